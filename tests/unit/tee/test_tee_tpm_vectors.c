/* SPDX-License-Identifier: Apache-2.0 */
/* The Trustee TPM vector of shared/vectors/manifest.json (TPM1) through the registered `tpm`
 * verifier: signature and PCR digest verify; its 64-byte extraData can never equal Trustee's
 * 32-byte regularised report data, so it is accepted only without report data (as in Trustee);
 * PCR8 is zero, so any init data is a binding failure. Skips without the shared folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_digest.h"
#include "tee/tee.h"
#include "tee/tee_tpm.h"
#include "testlib.h"

static uint8_t *evidence(size_t *len)
{
    char full[4200];
    (void)snprintf(full, sizeof full, "%s/vectors/tpm/TPM1/tpm_evidence.json", ay_test_shared());
    uint8_t *b = ay_test_read_file(full, len);
    if (b == NULL) {
        fail_msg("cannot read %s", full);
    }
    return b;
}

static ay_err run(const uint8_t *ev, size_t len, const struct ay_span *rd,
                  const struct ay_span *init, json_t **claims)
{
    struct ay_arena *arena = NULL;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(ev, len);
    in.report_data = rd;
    in.init_data = init;
    *claims = NULL;
    ay_err e = ay_tee_find("tpm")->verify(&ctx, &in, claims);
    if (e != AY_OK) {
        print_message("tpm: %s\n", ay_diag_message(&ctx.diag));
    }
    ay_arena_free(arena);
    return e;
}

static void test_tpm1(void **state)
{
    (void)state;
    if (ay_test_shared() == NULL) {
        skip();
    }
    size_t len = 0;
    uint8_t *ev = evidence(&len);
    json_t *claims = NULL;
    assert_int_equal(run(ev, len, NULL, NULL, &claims), AY_OK);
    assert_string_equal(json_string_value(json_object_get(claims, "report_data")),
                        "a04182b506878d4f29b91ee606a71a0d3361ccf1b22db20c98adcaa537bea393ef0e41a1"
                        "8b3569ab678f1497fbc5c12000000000000000000000000000000000");
    assert_string_equal(json_string_value(json_object_get(claims, "init_data")),
                        "0000000000000000000000000000000000000000000000000000000000000000");
    assert_string_equal(json_string_value(json_object_get(claims, "pcr17")),
                        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    assert_string_equal(json_string_value(json_object_get(claims, "pcr23")),
                        "0000000000000000000000000000000000000000000000000000000000000000");
    assert_non_null(json_object_get(claims, "ak_public"));
    json_decref(claims);

    /* Report data: Trustee resizes to 32 bytes, which cannot equal the 64-byte extraData. */
    uint8_t rd[64];
    size_t rl = 0;
    assert_int_equal(ay_hex_decode_to("a04182b506878d4f29b91ee606a71a0d3361ccf1b22db20c98adcaa537"
                                      "bea393",
                                      64, rd, sizeof rd, &rl),
                     AY_OK);
    struct ay_span rds = ay_span_of(rd, rl);
    assert_int_equal(run(ev, len, &rds, NULL, &claims), AY_ERR_BINDING);
    /* Init data: PCR8 is zero. */
    uint8_t init[32];
    memset(init, 0, sizeof init);
    struct ay_span is = ay_span_of(init, 32);
    assert_int_equal(run(ev, len, NULL, &is, &claims), AY_ERR_BINDING);
    struct ay_span short_init = ay_span_of(init, 16);
    assert_int_equal(run(ev, len, NULL, &short_init, &claims), AY_ERR_BINDING);
    free(ev);
}

/* The facts of the manifest, through the parsers. */
static void test_tpm1_facts(void **state)
{
    (void)state;
    if (ay_test_shared() == NULL) {
        skip();
    }
    size_t len = 0;
    uint8_t *ev = evidence(&len);
    json_error_t je;
    json_t *j = json_loadb((const char *)ev, len, 0, &je);
    assert_non_null(j);
    const json_t *tq = json_object_get(j, "tpm_quote");
    const char *m = json_string_value(json_object_get(tq, "message"));
    const char *s = json_string_value(json_object_get(tq, "signature"));
    const char *ak = json_string_value(json_object_get(j, "ak_public"));
    uint8_t mb[1024] = {0};
    uint8_t sb[1024];
    uint8_t akb[1024];
    size_t ml = 0;
    size_t sl = 0;
    size_t akl = 0;
    assert_int_equal(ay_b64_decode_to(AY_B64_STD, m, strlen(m), mb, sizeof mb, &ml), AY_OK);
    assert_int_equal(ay_b64_decode_to(AY_B64_STD, s, strlen(s), sb, sizeof sb, &sl), AY_OK);
    assert_int_equal(ay_b64_decode_to(AY_B64_STD, ak, strlen(ak), akb, sizeof akb, &akl), AY_OK);
    uint8_t h[32];
    char hex[129];
    assert_int_equal(ay_hash(AY_HASH_SHA256, akb, akl, h), AY_OK);
    ay_hex_encode(h, 32, hex);
    assert_string_equal(hex, "a517f03ffdaee469aef1a19569547e330726335d0461c3ef6383409c6295679e");
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_tpm_quote q;
    assert_int_equal(ay_tpm_quote_parse(&d, ay_span_of(mb, ml), &q), AY_OK);
    assert_int_equal(q.extra_data_len, 64);
    assert_int_equal(q.firmware_version, 0x2019102300163636ull);
    assert_int_equal(q.n_select, 1);
    assert_int_equal(q.select[0].hash, AY_TPM_ALG_SHA256);
    assert_int_equal(q.select[0].bitmap, 0xffffff);
    ay_hex_encode(q.pcr_digest, q.pcr_digest_len, hex);
    assert_string_equal(hex, "019de64c9318655e422c3d03831169896e31f02a1d74e4d8fef575bf4e0d75fa");
    struct ay_tpm_sig sig;
    assert_int_equal(ay_tpm_sig_parse(&d, ay_span_of(sb, sl), &sig), AY_OK);
    assert_int_equal(sig.sig_alg, AY_TPM_ALG_RSASSA);
    assert_int_equal(sig.hash_alg, AY_TPM_ALG_SHA256);
    assert_int_equal(sig.rsa_len, 256);
    /* Trailing bytes are refused. */
    assert_int_equal(ay_tpm_quote_parse(&d, ay_span_of(mb, ml + 1), &q), AY_ERR_MALFORMED);
    assert_int_equal(ay_tpm_sig_parse(&d, ay_span_of(sb, sl - 1), &sig), AY_ERR_MALFORMED);
    json_decref(j);
    free(ev);
}

/* V1 (Cocos go-tpm-tools Attestation) through the registered `tpm` verifier, as the CLI
 * passes it: binary evidence, the vTPM nonce as report data. */
static void test_v1_binary(void **state)
{
    (void)state;
    if (ay_test_shared() == NULL) {
        skip();
    }
    char full[4200];
    (void)snprintf(full, sizeof full, "%s/vectors/tpm/V1/quote.dat", ay_test_shared());
    size_t len = 0;
    uint8_t *ev = ay_test_read_file(full, &len);
    assert_non_null(ev);
    size_t nl = 0;
    uint8_t *nonce = ay_test_unhex("ea03ef139abac44b48fdfe2e8a2e7a7f", &nl);
    struct ay_span ns = ay_span_of(nonce, nl);
    json_t *claims = NULL;
    assert_int_equal(run(ev, len, &ns, NULL, &claims), AY_OK);
    assert_string_equal(json_string_value(json_object_get(claims, "pcr00")),
                        "1b5cf341190b06eb5326c21dbe767be7cac71a12");
    assert_string_equal(json_string_value(json_object_get(claims, "report_data")),
                        "ea03ef139abac44b48fdfe2e8a2e7a7f");
    const json_t *m = json_object_get(claims, "event_log_matched_pcrs");
    assert_true(json_is_array(m));
    assert_int_equal(json_integer_value(json_array_get(m, 0)), 0);
    json_decref(claims);
    nonce[3] ^= 1;
    assert_int_equal(run(ev, len, &ns, NULL, &claims), AY_ERR_BINDING);
    assert_int_equal(run(ev, len / 2, NULL, NULL, &claims), AY_ERR_TRUNCATED);
    free(nonce);
    free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tpm1),
        cmocka_unit_test(test_tpm1_facts),
        cmocka_unit_test(test_v1_binary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
