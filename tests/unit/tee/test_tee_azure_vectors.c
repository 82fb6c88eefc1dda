/* SPDX-License-Identifier: Apache-2.0 */
/* The Azure SNP vTPM vectors of shared/vectors/manifest.json (S9.v0, S9.v1) through the
 * registered `az-snp-vtpm` verifier with the pinned AMD roots at verify_at and the expected nonce
 * of the item, plus the HCL facts of `expected`, and negative variants of the same bytes (wrong
 * nonce, time outside the VCEK window, init data not matching PCR8). Skips without the shared
 * folder. */
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
#include "base/base_time.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_digest.h"
#include "crypto/crypto_x509.h"
#include "tee/tee.h"
#include "tee/tee_azure.h"
#include "testlib.h"

static json_t *item(const char *id)
{
    char path[4096];
    if (!ay_test_shared_path("vectors/manifest.json", path, sizeof path)) {
        return NULL;
    }
    json_error_t e;
    json_t *m = json_load_file(path, 0, &e);
    assert_non_null(m);
    for (size_t i = 0; i < json_array_size(m); i++) {
        json_t *it = json_array_get(m, i);
        if (strcmp(json_string_value(json_object_get(it, "id")), id) == 0) {
            json_incref(it);
            json_decref(m);
            return it;
        }
    }
    json_decref(m);
    fail_msg("no item %s", id);
    return NULL;
}

static uint8_t *read_rel(const char *rel, size_t *len)
{
    char full[4200];
    (void)snprintf(full, sizeof full, "%s/vectors/%s", ay_test_shared(), rel);
    uint8_t *b = ay_test_read_file(full, len);
    if (b == NULL) {
        fail_msg("cannot read %s", full);
    }
    return b;
}

static int64_t rfc3339(const char *s)
{
    int64_t t = 0;
    assert_int_equal(ay_time_parse_rfc3339(s, strlen(s), &t), AY_OK);
    return t;
}

struct run {
    ay_err err;
    json_t *claims;
    char msg[AY_DIAG_MSG_MAX];
};

static void run_item(const json_t *it, const uint8_t *nonce, size_t nonce_len, const uint8_t *init,
                     int64_t at, struct run *out)
{
    size_t len = 0;
    uint8_t *ev = read_rel(
        json_string_value(json_object_get(json_object_get(it, "files"), "evidence")), &len);
    struct ay_arena *arena = NULL;
    ay_arena_new(1 << 22, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    ctx.now = at;
    struct ay_span rd = ay_span_of(nonce, nonce_len);
    struct ay_span id = ay_span_of(init, 32);
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(ev, len);
    in.report_data = &rd;
    in.init_data = init != NULL ? &id : NULL;
    const struct ay_tee *t = ay_tee_find("az-snp-vtpm");
    assert_non_null(t);
    out->claims = NULL;
    out->err = t->verify(&ctx, &in, &out->claims);
    (void)snprintf(out->msg, sizeof out->msg, "%s", ay_diag_message(&ctx.diag));
    ay_arena_free(arena);
    free(ev);
}

static void check_item(const char *id)
{
    if (ay_test_shared() == NULL) {
        skip();
    }
    json_t *it = item(id);
    const json_t *exp = json_object_get(it, "expected");
    size_t nl = 0;
    uint8_t *nonce = ay_test_unhex(
        json_string_value(json_object_get(json_object_get(it, "inputs"), "expected_nonce_hex")),
        &nl);
    int64_t at = rfc3339(json_string_value(json_object_get(it, "verify_at")));
    struct run r;
    run_item(it, nonce, nl, NULL, at, &r);
    if (r.err != AY_OK) {
        fail_msg("%s: %s", id, r.msg);
    }
    /* TRUSTEE.md 7.5 claims and the manifest facts. */
    assert_string_equal(json_string_value(json_object_get(r.claims, "report_data")),
                        json_string_value(json_object_get(exp, "tpm_nonce_hex")));
    const json_t *tpm = json_object_get(r.claims, "tpm");
    assert_string_equal(json_string_value(json_object_get(tpm, "pcr00")),
                        json_string_value(json_object_get(exp, "pcr0")));
    assert_string_equal(json_string_value(json_object_get(tpm, "pcr08")),
                        json_string_value(json_object_get(exp, "pcr8")));
    assert_string_equal(json_string_value(json_object_get(r.claims, "init_data")),
                        json_string_value(json_object_get(exp, "pcr8")));
    assert_non_null(json_object_get(tpm, "pcr23"));
    assert_null(json_object_get(r.claims, "chip_id"));
    assert_string_equal(json_string_value(json_object_get(r.claims, "policy_debug_allowed")),
                        "false");
    assert_string_equal(json_string_value(json_object_get(r.claims, "reported_tcb_snp")), "24");
    /* measurement in base64 std */
    const json_t *snp = json_object_get(exp, "snp");
    size_t ml = 0;
    uint8_t *m = ay_test_unhex(json_string_value(json_object_get(snp, "measurement")), &ml);
    const char *mb = json_string_value(json_object_get(r.claims, "measurement"));
    assert_non_null(mb);
    uint8_t dec[64];
    size_t dl = 0;
    assert_int_equal(ay_b64_decode_to(AY_B64_STD, mb, strlen(mb), dec, sizeof dec, &dl), AY_OK);
    assert_int_equal(dl, ml);
    assert_memory_equal(dec, m, ml);
    free(m);
    json_decref(r.claims);

    /* Negative: a different nonce (one byte longer, one byte changed). */
    uint8_t bad[64];
    memcpy(bad, nonce, nl);
    bad[0] ^= 1;
    run_item(it, bad, nl, NULL, at, &r);
    assert_int_equal(r.err, AY_ERR_BINDING);
    bad[0] ^= 1;
    bad[nl] = 0;
    run_item(it, bad, nl + 1, NULL, at, &r);
    assert_int_equal(r.err, AY_ERR_BINDING);
    /* Negative: before the VCEK's notBefore, and after its notAfter, with the chain verified
     * (and cached, tee_snp.h) at verify_at just before; then verify_at again. */
    run_item(it, nonce, nl, NULL, rfc3339("2024-01-01T00:00:00Z"), &r);
    assert_int_not_equal(r.err, AY_OK);
    run_item(it, nonce, nl, NULL, rfc3339("2032-01-28T16:26:55Z"), &r);
    assert_int_equal(r.err, AY_ERR_EXPIRED);
    run_item(it, nonce, nl, NULL, rfc3339("2032-01-28T16:26:54Z"), &r);
    assert_int_equal(r.err, AY_OK);
    json_decref(r.claims);
    run_item(it, nonce, nl, NULL, at, &r);
    assert_int_equal(r.err, AY_OK);
    json_decref(r.claims);
    /* Init data: PCR8 is zero, which no SHA-256(zeros || H) equals. */
    uint8_t init[32];
    memset(init, 0, sizeof init);
    run_item(it, nonce, nl, init, at, &r);
    assert_int_equal(r.err, AY_ERR_BINDING);
    free(nonce);
    json_decref(it);
}

static void test_s9_v0(void **state)
{
    (void)state;
    check_item("S9.v0");
}

static void test_s9_v1(void **state)
{
    (void)state;
    check_item("S9.v1");
}

/* The HCL report facts of the manifest, through the parser alone. */
static void test_s9_hcl_facts(void **state)
{
    (void)state;
    if (ay_test_shared() == NULL) {
        skip();
    }
    json_t *it = item("S9.v1");
    const json_t *exp = json_object_get(it, "expected");
    size_t len = 0;
    uint8_t *ev = read_rel("azure/S9/evidence-v1.json", &len);
    json_error_t je;
    json_t *j = json_loadb((const char *)ev, len, 0, &je);
    assert_non_null(j);
    const char *h = json_string_value(json_object_get(j, "hcl_report"));
    uint8_t *hcl = malloc(4096);
    size_t hl = 0;
    assert_int_equal(ay_b64_decode_to(AY_B64_URL_ANYPAD, h, strlen(h), hcl, 4096, &hl), AY_OK);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_hcl_report r;
    assert_int_equal(ay_hcl_report_parse(&d, ay_span_of(hcl, hl), &r), AY_OK);
    assert_int_equal(r.version, json_integer_value(json_object_get(exp, "hcl_version")));
    assert_int_equal(r.report_size, json_integer_value(json_object_get(exp, "hcl_report_size")));
    assert_int_equal(r.report_type, AY_HCL_TYPE_SNP);
    assert_int_equal(r.var_data.len, json_integer_value(json_object_get(exp, "var_data_size")));
    uint8_t vh[32];
    char hex[65];
    assert_int_equal(ay_hash(AY_HASH_SHA256, r.var_data.ptr, r.var_data.len, vh), AY_OK);
    ay_hex_encode(vh, 32, hex);
    assert_string_equal(hex, json_string_value(json_object_get(exp, "var_data_sha256")));
    struct ay_pkey *ak = NULL;
    assert_int_equal(ay_hcl_ak_pub(&d, r.var_data, &ak), AY_OK);
    ay_pkey_free(ak);
    free(hcl);
    json_decref(j);
    free(ev);
    json_decref(it);
}

/* The evidence re-serialised by jansson after `mutate`, through the verifier at verify_at. */
static ay_err verify_json(const char *rel, void (*mutate)(json_t *), size_t dump_flags)
{
    size_t len = 0;
    uint8_t *ev = read_rel(rel, &len);
    json_error_t je;
    json_t *j = json_loadb((const char *)ev, len, 0, &je);
    assert_non_null(j);
    if (mutate != NULL) {
        mutate(j);
    }
    char *text = json_dumps(j, dump_flags);
    assert_non_null(text);
    static const uint8_t nonce[] = "challenge";
    struct ay_span rd = ay_span_of(nonce, sizeof nonce - 1);
    struct ay_arena *arena = NULL;
    ay_arena_new(1 << 22, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    ctx.now = rfc3339("2025-06-01T00:00:00Z");
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(text, strlen(text));
    in.report_data = &rd;
    json_t *claims = NULL;
    ay_err e = ay_tee_find("az-snp-vtpm")->verify(&ctx, &in, &claims);
    json_decref(claims);
    ay_arena_free(arena);
    free(text);
    json_decref(j);
    free(ev);
    return e;
}

static void add_u0002(json_t *j)
{
    json_object_set_new(j, "note",
                        json_string("\x02"
                                    "0")); /* dumped as "\u00020" */
}

static void sig_256(json_t *j)
{
    json_t *q = json_object_get(j, "quote");
    if (q == NULL) {
        q = json_object_get(j, "tpm_quote");
    }
    json_array_set_new(json_object_get(q, "signature"), 0, json_integer(256));
}

/* MEASUREMENT[0] of the SNP report inside the HCL report (0x20 + 0x90) flipped. */
static void report_flip(json_t *j)
{
    json_t *r = json_object_get(j, "report");
    if (r == NULL) {
        r = json_object_get(j, "hcl_report");
    }
    size_t at = 0x20 + 0x90;
    json_array_set_new(r, at, json_integer(json_integer_value(json_array_get(r, at)) ^ 1));
}

static void hcl_bad_char(json_t *j)
{
    char *h = strdup(json_string_value(json_object_get(j, "hcl_report")));
    h[100] = '!';
    json_object_set_new(j, "hcl_report", json_string(h));
    free(h);
}

/* Trustee's v0 (byte arrays) and v1 (long base64url / hex strings) evidence through the JSON
 * fast path (ay_snp_json_load) and its fallback, indented or compact, and damaged. */
static void test_s9_json_forms(void **state)
{
    (void)state;
    if (ay_test_shared() == NULL) {
        skip();
    }
    const char *v0 = "azure/S9/evidence-v0.json";
    const char *v1 = "azure/S9/evidence-v1.json";
    assert_int_equal(verify_json(v0, NULL, JSON_COMPACT), AY_OK);
    assert_int_equal(verify_json(v1, NULL, JSON_COMPACT), AY_OK);
    assert_int_equal(verify_json(v0, NULL, JSON_INDENT(3)), AY_OK);
    assert_int_equal(verify_json(v1, NULL, JSON_INDENT(3)), AY_OK);
    /* a string escaping U+0002: the text is parsed as it is, with the same verdict */
    assert_int_equal(verify_json(v0, add_u0002, JSON_COMPACT), AY_OK);
    assert_int_equal(verify_json(v1, add_u0002, JSON_COMPACT), AY_OK);
    /* 256 in a byte array: not bytes */
    assert_int_equal(verify_json(v0, sig_256, JSON_COMPACT), AY_ERR_MALFORMED);
    /* one byte of the SNP report changed: its signature fails */
    assert_int_equal(verify_json(v0, report_flip, JSON_COMPACT), AY_ERR_BAD_SIGNATURE);
    /* a character outside base64url: not a placeholder, and not base64url */
    assert_int_equal(verify_json(v1, hcl_bad_char, JSON_COMPACT), AY_ERR_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s9_v0),
        cmocka_unit_test(test_s9_v1),
        cmocka_unit_test(test_s9_hcl_facts),
        cmocka_unit_test(test_s9_json_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
