/* SPDX-License-Identifier: Apache-2.0 */
/* The Cocos vectors of shared/vectors/manifest.json: S8 (attestation.bin + its JSON policy: every
 * policy field matches the report; the full `snp` verification is a reject because no VCEK is
 * shipped) and V1 (go-tpm-tools Attestation protobuf: AK signature, PCR digest, nonce; the
 * truncated event log replays only some PCRs). Skips without the shared folder. */
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
#include "codec/codec_hex.h"
#include "crypto/crypto_digest.h"
#include "tee/tee.h"
#include "tee/tee_cocos.h"
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

static uint8_t *read_file_of(const json_t *it, const char *role, size_t *len)
{
    const char *rel = json_string_value(json_object_get(json_object_get(it, "files"), role));
    assert_non_null(rel);
    char full[4200];
    (void)snprintf(full, sizeof full, "%s/vectors/%s", ay_test_shared(), rel);
    uint8_t *b = ay_test_read_file(full, len);
    if (b == NULL) {
        fail_msg("cannot read %s", full);
    }
    return b;
}

static uint64_t u64_of(const json_t *v)
{
    return strtoull(json_string_value(v), NULL, 0);
}

static void test_s8_policy_matches_report(void **state)
{
    (void)state;
    if (ay_test_shared() == NULL) {
        skip();
    }
    json_t *it = item("S8");
    const json_t *pj = json_object_get(json_object_get(it, "expected"), "policy_json");
    size_t pl = 0;
    size_t al = 0;
    uint8_t *pol = read_file_of(it, "policy", &pl);
    uint8_t *att = read_file_of(it, "attestation", &al);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_cocos_policy *p = malloc(sizeof *p);
    assert_int_equal(ay_cocos_policy_parse(&d, ay_span_of(pol, pl), p), AY_OK);
    /* The decoded values of the manifest. */
    assert_true(p->has_policy);
    assert_int_equal(p->policy, u64_of(json_object_get(pj, "policy_u64")));
    assert_int_equal(p->minimum_tcb, u64_of(json_object_get(pj, "minimum_tcb")));
    assert_int_equal(p->minimum_launch_tcb, u64_of(json_object_get(pj, "minimum_launch_tcb")));
    assert_int_equal(p->minimum_version, (1 << 8) | 55);
    assert_int_equal(p->minimum_build, json_integer_value(json_object_get(pj, "minimum_build")));
    assert_int_equal(p->vmpl, json_integer_value(json_object_get(pj, "vmpl")));
    assert_true(p->permit_provisional_firmware);
    assert_int_equal(p->product, AY_SNP_PRODUCT_MILAN);
    assert_int_equal(p->product_line, AY_SNP_PRODUCT_MILAN);
    assert_true(p->check_crl);
    assert_true(p->chip_id.is_set);
    assert_true(p->measurement.is_set);
    assert_int_equal(p->n_unknown_keys, 0);
    size_t n256 = 0;
    size_t n384 = 0;
    size_t n1 = 0;
    for (size_t i = 0; i < AY_TPM_N_PCRS; i++) {
        n1 += p->pcr[0].is_set[i];
        n256 += p->pcr[1].is_set[i];
        n384 += p->pcr[2].is_set[i];
    }
    const json_t *banks = json_object_get(pj, "pcr_values_banks");
    assert_int_equal(n1, 0);
    assert_int_equal(n256, json_integer_value(json_object_get(banks, "sha256")));
    assert_int_equal(n384, json_integer_value(json_object_get(banks, "sha384")));

    /* Every field matches the report (all_claim_checks_pass). */
    struct ay_arena *arena = NULL;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    ay_err e = ay_cocos_policy_check_evidence(&ctx, ay_span_of(pol, pl), ay_span_of(att, al), NULL);
    if (e != AY_OK) {
        fail_msg("S8 policy: %s", ay_diag_message(&ctx.diag));
    }
    /* Cocos injects the expected REPORT_DATA: the report's own passes, another fails. */
    const char *rdh =
        json_string_value(json_object_get(json_object_get(it, "expected"), "report_data"));
    size_t rl = 0;
    uint8_t *rd = ay_test_unhex(rdh, &rl);
    struct ay_span rds = ay_span_of(rd, rl);
    assert_int_equal(
        ay_cocos_policy_check_evidence(&ctx, ay_span_of(pol, pl), ay_span_of(att, al), &rds),
        AY_OK);
    rd[5] ^= 1;
    ay_diag_clear(&ctx.diag);
    assert_int_equal(
        ay_cocos_policy_check_evidence(&ctx, ay_span_of(pol, pl), ay_span_of(att, al), &rds),
        AY_ERR_POLICY_DENIED);
    assert_non_null(strstr(ay_diag_message(&ctx.diag), "report_data"));
    free(rd);

    /* The full verification through `snp` is a reject: no VCEK for this CHIP_ID offline. */
    size_t kl = 0;
    size_t rkl = 0;
    uint8_t *ask = read_file_of(it, "ask", &kl);
    uint8_t *ark = read_file_of(it, "ark", &rkl);
    struct ay_endorsement ends[2] = {{"ask.pem", {ask, kl}}, {"ark.pem", {ark, rkl}}};
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(att, al);
    in.endorsements = ends;
    in.n_endorsements = 2;
    const char *va = json_string_value(json_object_get(it, "verify_at"));
    assert_int_equal(ay_time_parse_rfc3339(va, strlen(va), &ctx.now), AY_OK);
    ay_diag_clear(&ctx.diag);
    json_t *claims = NULL;
    assert_int_not_equal(ay_tee_find("snp")->verify(&ctx, &in, &claims), AY_OK);
    assert_null(claims);
    free(ask);
    free(ark);
    ay_arena_free(arena);
    free(p);
    free(pol);
    free(att);
    json_decref(it);
}

/* S8's policy with one field changed at a time: each is denied, naming the field. */
static void test_s8_each_field_denied(void **state)
{
    (void)state;
    if (ay_test_shared() == NULL) {
        skip();
    }

    static const struct {
        const char *key;
        const char *json; /* the new value, as JSON */
        const char *field;
    } cases[] = {
        {"chipId",
         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
         "=\"",
         "chip_id"},
        {"measurement", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
         "measurement"},
        {"familyId", "\"AQAAAAAAAAAAAAAAAAAAAA==\"", "family_id"},
        {"imageId", "\"AQAAAAAAAAAAAAAAAAAAAA==\"", "image_id"},
        {"hostData", "\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"", "host_data"},
        {"reportIdMa", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"", "report_id_ma"},
        {"reportData",
         "\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
         "=\"",
         "report_data"},
        {"minimumBuild", "9", "minimum_build"},
        {"minimumVersion", "\"1.56\"", "minimum_version"},
        {"minimumTcb", "\"15352489654729310211\"", "minimum_tcb"},
        {"minimumLaunchTcb", "\"15352489654729310211\"", "minimum_launch_tcb"},
        {"vmpl", "0", "vmpl"},
        {"policy", "\"131072\"", "SMT"},
        {"permitProvisionalFirmware", "false", "permit_provisional_firmware"},
        {"minimumGuestSvn", "1", "minimum_guest_svn"},
    };

    json_t *it = item("S8");
    size_t pl = 0;
    size_t al = 0;
    uint8_t *pol = read_file_of(it, "policy", &pl);
    uint8_t *att = read_file_of(it, "attestation", &al);
    struct ay_arena *arena = NULL;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error_t je;
        json_t *root = json_loadb((const char *)pol, pl, 0, &je);
        assert_non_null(root);
        json_t *v = json_loads(cases[i].json, JSON_DECODE_ANY, &je);
        assert_non_null(v);
        assert_int_equal(json_object_set_new(json_object_get(root, "policy"), cases[i].key, v), 0);
        char *text = json_dumps(root, JSON_COMPACT);
        ay_diag_clear(&ctx.diag);
        ay_arena_reset(arena);
        ay_err e = ay_cocos_policy_check_evidence(&ctx, ay_span_of(text, strlen(text)),
                                                  ay_span_of(att, al), NULL);
        if (e != AY_ERR_POLICY_DENIED ||
            strstr(ay_diag_message(&ctx.diag), cases[i].field) == NULL) {
            fail_msg("%s: %s (%s)", cases[i].key, ay_diag_message(&ctx.diag), ay_err_name(e));
        }
        free(text);
        json_decref(root);
    }
    ay_arena_free(arena);
    free(pol);
    free(att);
    json_decref(it);
}

static void test_s8_pcr_values_file(void **state)
{
    (void)state;
    if (ay_test_shared() == NULL) {
        skip();
    }
    json_t *it = item("S8");
    size_t pl = 0;
    uint8_t *pv = read_file_of(it, "pcr_values", &pl);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_cocos_policy *p = malloc(sizeof *p);
    assert_int_equal(ay_cocos_policy_parse(&d, ay_span_of(pv, pl), p), AY_OK);
    assert_true(p->pcr[1].is_set[0]);
    assert_true(p->pcr[1].is_set[9]);
    assert_false(p->pcr[1].is_set[16]); /* the generator input has no PCR16 yet */
    assert_false(p->pcr[1].is_set[8]);
    assert_true(p->pcr[2].is_set[9]);
    /* A quote carrying exactly these values passes; one changed byte names the PCR. */
    struct ay_tpm_pcrs pcrs;
    memset(&pcrs, 0, sizeof pcrs);
    pcrs.hash = AY_TPM_ALG_SHA256;
    pcrs.len = 32;
    for (unsigned i = 0; i < AY_TPM_N_PCRS; i++) {
        pcrs.present[i] = true;
        memcpy(pcrs.value[i], p->pcr[1].v[i], 32);
    }
    assert_int_equal(ay_cocos_policy_check_pcrs(&d, p, &pcrs), AY_OK);
    pcrs.value[16][0] ^= 1; /* unlisted: unchecked */
    assert_int_equal(ay_cocos_policy_check_pcrs(&d, p, &pcrs), AY_OK);
    pcrs.value[9][0] ^= 1;
    assert_int_equal(ay_cocos_policy_check_pcrs(&d, p, &pcrs), AY_ERR_POLICY_DENIED);
    assert_non_null(strstr(ay_diag_message(&d), "pcr_values.sha256[9]"));
    /* Another bank is an error; a SHA-1 quote with an empty sha1 map checks nothing. */
    pcrs.hash = AY_TPM_ALG_SHA512;
    assert_int_equal(ay_cocos_policy_check_pcrs(&d, p, &pcrs), AY_ERR_POLICY_DENIED);
    pcrs.hash = AY_TPM_ALG_SHA1;
    pcrs.len = 20;
    assert_int_equal(ay_cocos_policy_check_pcrs(&d, p, &pcrs), AY_OK);
    free(p);
    free(pv);
    json_decref(it);
}

/* S8.tdx-policy: the shipped TDX policy against the T4 quote: the quote is authentic (the `tdx`
 * verifier accepts it at verify_at), the policy parses leniently (two unknown keys) and the
 * mismatching fields of the manifest, and only those, are named. */
static void test_s8_tdx_policy(void **state)
{
    (void)state;
    if (ay_test_shared() == NULL) {
        skip();
    }
    json_t *it = item("S8.tdx-policy");
    const json_t *exp = json_object_get(it, "expected");
    size_t pl = 0;
    size_t ql = 0;
    uint8_t *pol = read_file_of(it, "policy", &pl);
    uint8_t *quote = read_file_of(it, "quote", &ql);
    struct ay_arena *arena = NULL;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    const char *va = json_string_value(json_object_get(it, "verify_at"));
    assert_int_equal(ay_time_parse_rfc3339(va, strlen(va), &ctx.now), AY_OK);
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(quote, ql);
    json_t *claims = NULL;
    ay_err e = ay_tee_find("tdx")->verify(&ctx, &in, &claims);
    if (e != AY_OK) {
        fail_msg("T4: %s", ay_diag_message(&ctx.diag));
    }
    json_decref(claims);
    struct ay_cocos_tdx_policy *p = malloc(sizeof *p);
    ay_diag_clear(&ctx.diag);
    assert_int_equal(ay_cocos_tdx_policy_parse(&ctx.diag, ay_span_of(pol, pl), p), AY_OK);
    assert_int_equal(p->n_unknown_keys, json_array_size(json_object_get(exp, "unknown_keys")));
    assert_true(p->check_crl);
    assert_true(p->get_collateral);
    assert_int_equal(p->n_rtmrs, 4);
    assert_true(p->rtmrs[3].is_set); /* 48 zero bytes: checked, and T4 matches */
    free(p);
    e = ay_cocos_tdx_policy_check_evidence(&ctx, ay_span_of(pol, pl), ay_span_of(quote, ql));
    assert_int_equal(e, AY_ERR_POLICY_DENIED);
    const char *msg = ay_diag_message(&ctx.diag);
    print_message("%s\n", msg);
    const json_t *bad = json_object_get(exp, "mismatching_fields");
    for (size_t i = 0; i < json_array_size(bad); i++) {
        char want[64];
        (void)snprintf(want, sizeof want, "%s", json_string_value(json_array_get(bad, i)));
        if (strstr(msg, want) == NULL) {
            fail_msg("%s not named in: %s", want, msg);
        }
    }
    /* names are listed before "; first:" */
    char names[AY_DIAG_MSG_MAX];
    (void)snprintf(names, sizeof names, "%s", msg);
    char *cut = strstr(names, "; first:");
    assert_non_null(cut);
    *cut = '\0';
    const json_t *ok = json_object_get(exp, "matching_fields");
    for (size_t i = 0; i < json_array_size(ok); i++) {
        if (strstr(names, json_string_value(json_array_get(ok, i))) != NULL) {
            fail_msg("%s should match: %s", json_string_value(json_array_get(ok, i)), names);
        }
    }
    ay_arena_free(arena);
    free(pol);
    free(quote);
    json_decref(it);
}

static void test_v1_gotpm(void **state)
{
    (void)state;
    if (ay_test_shared() == NULL) {
        skip();
    }
    json_t *it = item("V1");
    const json_t *exp = json_object_get(it, "expected");
    size_t al = 0;
    uint8_t *att = read_file_of(it, "attestation", &al);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_gotpm_attestation *a = malloc(sizeof *a);
    assert_int_equal(ay_gotpm_attestation_parse(&d, ay_span_of(att, al), a), AY_OK);
    assert_int_equal(a->n_quotes, json_integer_value(json_object_get(exp, "quote_count")));
    assert_int_equal(a->event_log.len,
                     json_integer_value(json_object_get(exp, "event_log_length")));
    assert_int_equal(a->sev_snp_attestation.len, 0);
    assert_int_equal(a->quotes[0].pcr_hash, AY_TPM_ALG_SHA1);

    struct ay_arena *arena = NULL;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    size_t nl = 0;
    uint8_t *nonce = ay_test_unhex(json_string_value(json_object_get(exp, "tpm_nonce_hex")), &nl);
    struct ay_span ns = ay_span_of(nonce, nl);
    struct ay_gotpm_verified *v = malloc(sizeof *v);
    ay_err e = ay_gotpm_verify(&ctx, a, &ns, false, v);
    if (e != AY_OK) {
        fail_msg("V1: %s", ay_diag_message(&ctx.diag));
    }
    char hex[129];
    ay_hex_encode(v->quote[0].pcr_digest, v->quote[0].pcr_digest_len, hex);
    assert_string_equal(hex, json_string_value(json_object_get(exp, "pcr_digest")));
    ay_hex_encode(v->pcrs[0].value[0], 20, hex);
    assert_string_equal(hex, json_string_value(json_object_get(exp, "pcr0")));
    assert_int_equal(v->quote[0].clock, json_integer_value(json_object_get(exp, "tpm_clock")));
    /* The event log is truncated: replay reproduces some PCRs, not 5, 8, 9. */
    assert_true(v->has_replay);
    const json_t *ok = json_object_get(exp, "event_log_replay_matches_pcrs");
    for (size_t i = 0; i < json_array_size(ok); i++) {
        unsigned pcr = (unsigned)json_integer_value(json_array_get(ok, i));
        assert_true((v->replay.matched & (1u << pcr)) != 0);
    }
    const json_t *bad = json_object_get(exp, "event_log_replay_mismatch_pcrs");
    for (size_t i = 0; i < json_array_size(bad); i++) {
        unsigned pcr = (unsigned)json_integer_value(json_array_get(bad, i));
        assert_true((v->replay.matched & (1u << pcr)) == 0);
    }
    /* go-tpm-tools' full replay would reject (checks.event_log_replay = false). */
    ay_diag_clear(&ctx.diag);
    assert_int_equal(ay_gotpm_verify(&ctx, a, &ns, true, v), AY_ERR_VERIFY);
    /* A wrong nonce. */
    nonce[0] ^= 1;
    ay_diag_clear(&ctx.diag);
    assert_int_equal(ay_gotpm_verify(&ctx, a, &ns, false, v), AY_ERR_BINDING);
    /* A flipped quote byte breaks the signature. */
    nonce[0] ^= 1;
    uint8_t *q = malloc(a->quotes[0].quote.len);
    memcpy(q, a->quotes[0].quote.ptr, a->quotes[0].quote.len);
    q[a->quotes[0].quote.len - 1] ^= 1;
    a->quotes[0].quote = ay_span_of(q, a->quotes[0].quote.len);
    ay_diag_clear(&ctx.diag);
    assert_int_equal(ay_gotpm_verify(&ctx, a, &ns, false, v), AY_ERR_BAD_SIGNATURE);
    free(q);
    free(nonce);
    free(v);
    ay_arena_free(arena);
    free(a);
    free(att);
    json_decref(it);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s8_policy_matches_report),
        cmocka_unit_test(test_s8_each_field_denied),
        cmocka_unit_test(test_s8_pcr_values_file),
        cmocka_unit_test(test_s8_tdx_policy),
        cmocka_unit_test(test_v1_gotpm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
