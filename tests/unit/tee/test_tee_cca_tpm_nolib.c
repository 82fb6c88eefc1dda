/* SPDX-License-Identifier: Apache-2.0 */
/* A machine without libcbor and libtss2-mu (both are loaded on first use): every entry point
 * that needs one returns AY_ERR_LIBRARY with "cannot load <soname> (install <package>): ..."
 * instead of calling through a NULL pointer. The process is made to look for library names
 * that do not exist before anything loads the real ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "codec/codec_cbor.h"
#include "codec/codec_cbor_lib.h"
#include "crypto/crypto_cose.h"
#include "tee/tee.h"
#include "tee/tee_cca.h"
#include "tee/tee_tpm.h"
#include "tee/tee_tpm_mu.h"

#define NO_CBOR "libassay-test-missing-cbor.so.0.8"
#define NO_MU   "libassay-test-missing-tss2-mu.so.0"

#define CBOR_MSG "cannot load " NO_CBOR " (install " AY_CBOR_PACKAGE "): "
#define MU_MSG   "cannot load " NO_MU " (install " AY_TPM_MU_PACKAGE "): "

/* A tagged COSE_Sign1-looking item and a small map: never decoded, the library is missing. */
static const uint8_t SIGN1[] = {0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40};
static const uint8_t MAP[] = {0xa1, 0x01, 0x02};

static int setup(void **state)
{
    (void)state;
    /* Before anything asks for the tables. */
    if (ay_cbor_lib_use_soname(NO_CBOR) != AY_OK || ay_tpm_mu_use_soname(NO_MU) != AY_OK) {
        return -1;
    }
    return 0;
}

static bool says(const struct ay_diag *d, const char *text)
{
    return strstr(ay_diag_message(d), text) != NULL;
}

static void test_cbor_table(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    static const struct ay_cbor_lib untouched;
    const struct ay_cbor_lib *lib = &untouched; /* the out-param is left alone on failure */
    assert_int_equal(ay_cbor_lib_get(&d, &lib), AY_ERR_LIBRARY);
    assert_ptr_equal(lib, &untouched);
    assert_true(says(&d, CBOR_MSG));
    assert_null(ay_cbor_lib());
    /* The same answer, with its message, on every call. */
    ay_diag_clear(&d);
    assert_int_equal(ay_cbor_lib_get(&d, &lib), AY_ERR_LIBRARY);
    assert_true(says(&d, CBOR_MSG));
    /* Too late to change the name now. */
    assert_int_equal(ay_cbor_lib_use_soname(AY_CBOR_SONAME), AY_ERR_INTERNAL);
    assert_null(ay_cbor_lib());
    /* The real library is there: only the table was pointed elsewhere. */
    ay_diag_clear(&d);
    assert_int_equal(ay_cbor_lib_probe(AY_CBOR_SONAME, &d), AY_OK);
}

static void test_cbor_codec(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_cbor_check(&d, "test", ay_span_of(MAP, sizeof MAP)), AY_ERR_LIBRARY);
    assert_true(says(&d, CBOR_MSG));
    ay_diag_clear(&d);
    cbor_item_t *it = NULL;
    assert_int_equal(ay_cbor_decode(&d, "test", ay_span_of(MAP, sizeof MAP), &it), AY_ERR_LIBRARY);
    assert_true(says(&d, CBOR_MSG));
    assert_null(it);
    /* The tag-head workaround path too (0xD2 is stripped before decoding). */
    ay_diag_clear(&d);
    assert_int_equal(ay_cbor_decode(&d, "test", ay_span_of(SIGN1, sizeof SIGN1), &it),
                     AY_ERR_LIBRARY);
    assert_null(it);
    /* Accessors without a diagnostic fail as on a type mismatch. */
    int64_t i = 0;
    uint64_t u = 0;
    struct ay_span s;
    const cbor_item_t *inner = NULL;
    const struct cbor_pair *p = NULL;
    size_t n = 0;
    assert_int_equal(ay_cbor_int(NULL, &i), AY_ERR_LIBRARY);
    assert_int_equal(ay_cbor_uint(NULL, &u), AY_ERR_LIBRARY);
    assert_int_equal(ay_cbor_bstr(NULL, &s), AY_ERR_LIBRARY);
    assert_int_equal(ay_cbor_tstr(NULL, &s), AY_ERR_LIBRARY);
    assert_int_equal(ay_cbor_untag(NULL, &u, &inner), AY_ERR_LIBRARY);
    assert_int_equal(ay_cbor_map_pairs(NULL, &p, &n), AY_ERR_LIBRARY);
    assert_int_equal(ay_cbor_map_unique_int_keys(NULL), AY_ERR_LIBRARY);
    assert_false(ay_cbor_is_map(NULL));
    assert_int_equal(ay_cbor_array_len(NULL), 0);
    assert_null(ay_cbor_array_at(NULL, 0));
    assert_null(ay_cbor_map_get_int(NULL, 1));
    ay_cbor_free(NULL);
    struct ay_arena *a = NULL;
    ay_arena_new(4096, &a);
    assert_int_equal(ay_cbor_encode(NULL, a, 64, &s), AY_ERR_LIBRARY);
    ay_arena_free(a);
}

static void test_cose(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    cbor_item_t *it = NULL;
    struct ay_cose_sign1 s1;
    assert_int_equal(ay_cose_sign1_decode(&d, "cose", ay_span_of(SIGN1, sizeof SIGN1), &it, &s1),
                     AY_ERR_LIBRARY);
    assert_true(says(&d, CBOR_MSG));
    assert_null(it);
    ay_diag_clear(&d);
    struct ay_pkey *k = NULL;
    assert_int_equal(ay_cose_key_decode(&d, ay_span_of(MAP, sizeof MAP), &k), AY_ERR_LIBRARY);
    assert_true(says(&d, CBOR_MSG));
    assert_null(k);
    struct ay_arena *a = NULL;
    ay_arena_new(4096, &a);
    struct ay_span tbs;
    assert_int_equal(
        ay_cose_sig_structure(a, ay_span_of(MAP, sizeof MAP), ay_span_of(MAP, 1), &tbs),
        AY_ERR_LIBRARY);
    ay_arena_free(a);
}

static void test_cca(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    cbor_item_t *it = NULL;
    struct ay_cca_collection c;
    assert_int_equal(ay_cca_collection_decode(&d, ay_span_of(SIGN1, sizeof SIGN1), &it, &c),
                     AY_ERR_LIBRARY);
    assert_true(says(&d, CBOR_MSG));
    ay_diag_clear(&d);
    struct ay_cca_platform pl;
    assert_int_equal(ay_cca_platform_parse(&d, ay_span_of(MAP, sizeof MAP), &it, &pl),
                     AY_ERR_LIBRARY);
    ay_diag_clear(&d);
    struct ay_cca_realm rl;
    assert_int_equal(ay_cca_realm_parse(&d, ay_span_of(MAP, sizeof MAP), &it, &rl), AY_ERR_LIBRARY);
    assert_null(it);
    /* The whole verifier, raw token as the CLI passes it. */
    struct ay_arena *a = NULL;
    ay_arena_new(1 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(SIGN1, sizeof SIGN1);
    json_t *claims = NULL;
    assert_int_equal(ay_tee_cca_verify(&ctx, &in, &claims), AY_ERR_LIBRARY);
    assert_true(says(&ctx.diag, CBOR_MSG));
    assert_null(claims);
    ay_arena_free(a);
}

static void test_tpm(void **state)
{
    (void)state;
    static const uint8_t junk[] = {0xff, 0x54, 0x43, 0x47};
    struct ay_diag d;
    ay_diag_clear(&d);
    const struct ay_tpm_mu *mu = NULL;
    assert_int_equal(ay_tpm_mu_get(&d, &mu), AY_ERR_LIBRARY);
    assert_true(says(&d, MU_MSG));
    assert_null(mu);
    assert_int_equal(ay_tpm_mu_use_soname(AY_TPM_MU_SONAME), AY_ERR_INTERNAL);
    ay_diag_clear(&d);
    struct ay_tpm_quote q;
    assert_int_equal(ay_tpm_quote_parse(&d, ay_span_of(junk, sizeof junk), &q), AY_ERR_LIBRARY);
    assert_true(says(&d, MU_MSG));
    ay_diag_clear(&d);
    struct ay_tpm_sig sig;
    assert_int_equal(ay_tpm_sig_parse(&d, ay_span_of(junk, sizeof junk), &sig), AY_ERR_LIBRARY);
    assert_true(says(&d, MU_MSG));
    ay_diag_clear(&d);
    struct ay_pkey *k = NULL;
    assert_int_equal(ay_tpm_public_parse(&d, ay_span_of(junk, sizeof junk), &k), AY_ERR_LIBRARY);
    assert_true(says(&d, MU_MSG));
    assert_null(k);
    /* Limits are still checked first, without the library. */
    static uint8_t big[4097];
    ay_diag_clear(&d);
    assert_int_equal(ay_tpm_quote_parse(&d, ay_span_of(big, sizeof big), &q), AY_ERR_LIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cbor_table), cmocka_unit_test(test_cbor_codec),
        cmocka_unit_test(test_cose),       cmocka_unit_test(test_cca),
        cmocka_unit_test(test_tpm),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
