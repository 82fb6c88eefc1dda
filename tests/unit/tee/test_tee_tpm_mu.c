/* SPDX-License-Identifier: Apache-2.0 */
/* libtss2-mu loaded on first use (tee_tpm_mu.h): the table is complete, the messages when the
 * library or a symbol is missing, and the three parsers of tee_tpm.h reaching the unmarshal
 * functions through it (empty and truncated input are refused by the MU, not by a crash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto_x509.h"
#include "tee/tee_tpm.h"
#include "tee/tee_tpm_mu.h"

static void test_table_complete(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    const struct ay_tpm_mu *mu = NULL;
    assert_int_equal(ay_tpm_mu_get(&d, &mu), AY_OK);
    assert_non_null(mu);
    assert_non_null(mu->tpms_attest_unmarshal);
    assert_non_null(mu->tpmt_signature_unmarshal);
    assert_non_null(mu->tpmt_public_unmarshal);
    const struct ay_tpm_mu *again = NULL;
    assert_int_equal(ay_tpm_mu_get(NULL, &again), AY_OK);
    assert_ptr_equal(again, mu);
}

static void test_probe_messages(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_tpm_mu_probe("libassay-no-such-tss2-mu.so.0", &d), AY_ERR_LIBRARY);
    assert_non_null(strstr(ay_diag_message(&d),
                           "cannot load libassay-no-such-tss2-mu.so.0 (install libtss2-mu0): "));
    ay_diag_clear(&d);
    assert_int_equal(ay_tpm_mu_probe("libc.so.6", &d), AY_ERR_LIBRARY);
    assert_string_equal(ay_diag_message(&d),
                        "libc.so.6 has no Tss2_MU_TPMS_ATTEST_Unmarshal (not libtss2-mu?)");
    ay_diag_clear(&d);
    assert_int_equal(ay_tpm_mu_probe(NULL, &d), AY_ERR_LIBRARY);
    ay_diag_clear(&d);
    assert_int_equal(ay_tpm_mu_probe(AY_TPM_MU_SONAME, &d), AY_OK);
}

static void test_parsers_through_table(void **state)
{
    (void)state;
    static const uint8_t junk[] = {0xff, 0x54, 0x43}; /* the start of TPM_GENERATED_VALUE */
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_tpm_quote q;
    assert_int_equal(ay_tpm_quote_parse(&d, ay_span_of(junk, sizeof junk), &q), AY_ERR_MALFORMED);
    assert_non_null(strstr(ay_diag_message(&d), "TPMS_ATTEST does not unmarshal"));
    ay_diag_clear(&d);
    struct ay_tpm_sig s;
    assert_int_equal(ay_tpm_sig_parse(&d, ay_span_of(junk, 0), &s), AY_ERR_MALFORMED);
    assert_non_null(strstr(ay_diag_message(&d), "TPMT_SIGNATURE does not unmarshal"));
    ay_diag_clear(&d);
    struct ay_pkey *k = NULL;
    assert_int_equal(ay_tpm_public_parse(&d, ay_span_of(junk, 1), &k), AY_ERR_MALFORMED);
    assert_non_null(strstr(ay_diag_message(&d), "TPMT_PUBLIC does not unmarshal"));
    assert_null(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_complete),
        cmocka_unit_test(test_probe_messages),
        cmocka_unit_test(test_parsers_through_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
