/* SPDX-License-Identifier: Apache-2.0 */
/* Cocos policies in the service (docs/API.md "Cocos policies"): upload validation naming the
 * field, storage with the type (list / get), Rego unchanged beside them, the TEE restriction,
 * and the outcome mapping of as_cocos_apply on a generated SEV-SNP report (pass = affirming,
 * fail = contraindicated with field and both values) and on the shared TDX vector T4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "as/as.h"
#include "as/as_int.h"
#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_cursor.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "tee/tee_snp.h"
#include "testlib.h"
#include "testlib_amd.h"
#include "token/token.h"

static struct ay_as *as;
static char workdir[128];

struct req {
    struct ay_arena *arena;
    struct ay_ctx ctx;
    struct ay_buf out;
};

static void req_begin(struct req *r)
{
    ay_arena_new((size_t)16 << 20, &r->arena);
    ay_ctx_init(&r->ctx, r->arena);
    ay_buf_init(&r->out, r->arena, (size_t)4 << 20);
}

static void req_end(struct req *r)
{
    ay_arena_free(r->arena);
}

static int setup(void **state)
{
    (void)state;
    (void)snprintf(workdir, sizeof workdir, "/tmp/assay-cocos-test-XXXXXX");
    if (mkdtemp(workdir) == NULL) {
        return -1;
    }
    char cfg[512];
    (void)snprintf(cfg, sizeof cfg,
                   "{\"work_dir\":\"%s\",\"storage_backend\":{\"storage_type\":\"Memory\"}}",
                   workdir);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_as_config *c = NULL;
    if (ay_as_config_parse(cfg, strlen(cfg), &d, &c) != AY_OK) {
        return -1;
    }
    ay_err e = ay_as_new(c, &d, &as);
    ay_as_config_free(c);
    if (e != AY_OK) {
        fprintf(stderr, "ay_as_new: %s\n", d.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ay_as_free(as);
    char p[256];
    (void)snprintf(p, sizeof p, "%s/token-es256.pem", workdir);
    (void)unlink(p);
    (void)rmdir(workdir);
    return 0;
}

/* POST /policy with the given type (NULL = no `type` key). */
static ay_err set_policy(const char *id, const char *type, const char *text, char *msg,
                         size_t msglen)
{
    char *b = ay_test_b64(AY_B64_URL_NOPAD, text, strlen(text));
    size_t n = strlen(b) + strlen(id) + 96;
    char *body = malloc(n);
    assert_non_null(body);
    if (type != NULL) {
        (void)snprintf(body, n, "{\"policy_id\":\"%s\",\"policy\":\"%s\",\"type\":\"%s\"}", id, b,
                       type);
    } else {
        (void)snprintf(body, n, "{\"policy_id\":\"%s\",\"policy\":\"%s\"}", id, b);
    }
    struct req r;
    req_begin(&r);
    ay_err e = ay_as_policy_set(as, &r.ctx, ay_span_of(body, strlen(body)), &r.out);
    if (msg != NULL) {
        (void)snprintf(msg, msglen, "%s", r.ctx.diag.msg);
    }
    req_end(&r);
    free(body);
    free(b);
    return e;
}

static json_t *get_policy(const char *id)
{
    struct req r;
    req_begin(&r);
    assert_int_equal(ay_as_policy_get(as, &r.ctx, id, &r.out), AY_OK);
    json_t *j = json_loads(r.out.ptr, 0, NULL);
    assert_non_null(j);
    req_end(&r);
    return j;
}

static const char snp_policy[] =
    "{\"policy\":{\"minimumGuestSvn\":0,\"policy\":\"196608\",\"vmpl\":0},"
    "\"rootOfTrust\":{\"productLine\":\"Milan\"}}";
static const char tdx_policy[] =
    "{\"policy\":{\"headerPolicy\":{\"minimumQeSvn\":0},\"tdQuoteBodyPolicy\":"
    "{\"minimumTeeTcbSvn\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}},\"rootOfTrust\":{}}";

static void test_upload(void **state)
{
    (void)state;
    char msg[600];
    /* Valid SNP and TDX policies (the platform comes from the JSON's shape). */
    ay_err e0 = set_policy("csnp_cpu", "cocos", snp_policy, msg, sizeof msg);
    if (e0 != AY_OK) {
        fprintf(stderr, "snp upload: %s\n", msg);
    }
    assert_int_equal(e0, AY_OK);
    e0 = set_policy("ctdx_cpu", "cocos", tdx_policy, msg, sizeof msg);
    if (e0 != AY_OK) {
        fprintf(stderr, "tdx upload: %s\n", msg);
    }
    assert_int_equal(e0, AY_OK);
    json_t *j = get_policy("csnp_cpu");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "cocos");
    assert_string_equal(json_string_value(json_object_get(j, "platform")), "snp");
    char *want = ay_test_b64(AY_B64_URL_NOPAD, snp_policy, strlen(snp_policy));
    assert_string_equal(json_string_value(json_object_get(j, "policy")), want); /* no header */
    free(want);
    json_decref(j);
    j = get_policy("ctdx_cpu");
    assert_string_equal(json_string_value(json_object_get(j, "platform")), "tdx");
    json_decref(j);
    j = get_policy("default_cpu");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "rego");
    assert_null(json_object_get(j, "platform"));
    json_decref(j);
    struct req r;
    req_begin(&r);
    assert_int_equal(ay_as_policy_list(as, &r.ctx, &r.out), AY_OK);
    assert_non_null(
        strstr(r.out.ptr, "{\"policy-id\":\"csnp_cpu\",\"type\":\"cocos\",\"platform\":\"snp\"}"));
    assert_non_null(
        strstr(r.out.ptr, "{\"policy-id\":\"ctdx_cpu\",\"type\":\"cocos\",\"platform\":\"tdx\"}"));
    assert_non_null(strstr(r.out.ptr, "{\"policy-id\":\"default_cpu\",\"type\":\"rego\"}"));
    req_end(&r);

    /* Bad Cocos JSON: 400 (MALFORMED) naming the field; nothing stored. */
    static const struct {
        const char *json;
        const char *needle;
    } bad[] = {
        {"not json", "not a JSON object"},
        {"[1]", "not a JSON object"},
        {"{\"policy\":{\"measurement\":\"!!\"}}", "measurement"},
        {"{\"policy\":{\"vmpl\":\"x\"}}", "vmpl"},
        {"{\"policy\":{\"minimumGuestSvn\":-1}}", "minimum_guest_svn"},
        {"{\"policy\":7}", "policy"},
        {"{\"policy\":{\"headerPolicy\":{\"minimumQeSvn\":\"zz\"}}}", "minimum_qe_svn"},
        {"{\"policy\":{\"tdQuoteBodyPolicy\":{\"mrTd\":5}}}", "mr_td"},
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ay_err e = set_policy("cbad_cpu", "cocos", bad[i].json, msg, sizeof msg);
        if (e != AY_ERR_MALFORMED || strstr(msg, bad[i].needle) == NULL) {
            fprintf(stderr, "case %zu: %s: %s\n", i, ay_err_name(e), msg);
        }
        assert_int_equal(e, AY_ERR_MALFORMED);
        assert_non_null(strstr(msg, bad[i].needle));
        assert_non_null(strstr(msg, "type cocos"));
        req_begin(&r);
        assert_int_equal(ay_as_policy_get(as, &r.ctx, "cbad_cpu", &r.out), AY_ERR_NOT_FOUND);
        req_end(&r);
    }
    /* A Rego body sent as cocos is refused, and Cocos JSON sent as Rego does not compile. */
    assert_int_equal(set_policy("cbad_cpu", "cocos", "package policy\n", msg, sizeof msg),
                     AY_ERR_MALFORMED);
    assert_int_equal(set_policy("cbad_cpu", "rego", snp_policy, msg, sizeof msg),
                     AY_ERR_POLICY_COMPILE);
    /* Rego with and without `type` is as before; overwriting a Cocos id with Rego switches
     * its type (and back). */
    const char *rego = "package policy\n\ntrust_claims := {\"hardware\": 2}\n";
    assert_int_equal(set_policy("csnp_cpu", NULL, rego, msg, sizeof msg), AY_OK);
    j = get_policy("csnp_cpu");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "rego");
    json_decref(j);
    assert_int_equal(set_policy("csnp_cpu", "cocos", snp_policy, msg, sizeof msg), AY_OK);
    j = get_policy("csnp_cpu");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "cocos");
    json_decref(j);
    req_begin(&r);
    assert_int_equal(ay_as_policy_delete(as, &r.ctx, "csnp_cpu"), AY_OK);
    req_end(&r);
    req_begin(&r);
    assert_int_equal(ay_as_policy_delete(as, &r.ctx, "ctdx_cpu"), AY_OK);
    req_end(&r);
}

/* The sample TEE cannot carry Cocos fields: attesting it with a Cocos policy is a 400 that
 * says which TEEs the policy applies to; the same request with the default policy works. */
static void test_attest_wrong_tee(void **state)
{
    (void)state;
    assert_int_equal(set_policy("cs_cpu", "cocos", snp_policy, NULL, 0), AY_OK);
    const char *ev = "{\"svn\":\"1\"}";
    char *evb = ay_test_b64(AY_B64_URL_NOPAD, ev, strlen(ev));
    char body[1024];
    (void)snprintf(body, sizeof body,
                   "{\"policy_ids\":[\"cs\"],\"verification_requests\":[{\"tee\":\"sample\","
                   "\"evidence\":\"%s\"}]}",
                   evb);
    struct req r;
    struct ay_as_attest_info info;
    req_begin(&r);
    ay_err e = ay_as_attest(as, &r.ctx, ay_span_of(body, strlen(body)), &r.out, &info);
    assert_int_equal(e, AY_ERR_UNSUPPORTED);
    assert_non_null(strstr(r.ctx.diag.msg, "applies to tee `snp`"));
    assert_non_null(strstr(r.ctx.diag.msg, "not `sample`"));
    assert_false(info.accepted);
    req_end(&r);
    (void)snprintf(body, sizeof body,
                   "{\"policy_ids\":[],\"verification_requests\":[{\"tee\":\"sample\","
                   "\"evidence\":\"%s\"}]}",
                   evb);
    req_begin(&r);
    assert_int_equal(ay_as_attest(as, &r.ctx, ay_span_of(body, strlen(body)), &r.out, &info),
                     AY_OK);
    req_end(&r);
    free(evb);
    req_begin(&r);
    assert_int_equal(ay_as_policy_delete(as, &r.ctx, "cs_cpu"), AY_OK);
    req_end(&r);
}

/* Runs as_cocos_apply on an annotated object shaped as the service builds it; returns the
 * EAR status of the resulting trust claims and leaves the "cocos" member in *res. */
static const char *apply(struct req *r, enum as_policy_kind kind, const char *policy,
                         const char *tee, struct ay_span evidence, ay_err want, json_t **res,
                         json_t **trust_out)
{
    json_t *annotated = json_pack("{s:o, s:{s:i}}", "report_data", json_string("x"), tee, "v", 1);
    json_t *trust = NULL;
    ay_err e = as_cocos_apply(&r->ctx, "p_cpu", kind, ay_span_of(policy, strlen(policy)), tee,
                              evidence, annotated, &trust);
    if (e != want) {
        fprintf(stderr, "as_cocos_apply: %s: %s\n", ay_err_name(e), r->ctx.diag.msg);
    }
    assert_int_equal(e, want);
    *res = NULL;
    *trust_out = NULL;
    if (e != AY_OK) {
        assert_null(trust);
        json_decref(annotated);
        return NULL;
    }
    /* Keys stay sorted (Trustee's BTreeMap): cocos < report_data < snp / tdx. */
    const char *k;
    json_t *v;
    const char *prev = "";
    json_object_foreach(annotated, k, v)
    {
        assert_true(strcmp(prev, k) < 0);
        prev = k;
    }
    *res = json_incref(json_object_get(annotated, "cocos"));
    assert_non_null(*res);
    json_t *appr = NULL;
    assert_int_equal(ay_token_ear_appraisal(trust, NULL, "p", annotated, &r->ctx.diag, &appr),
                     AY_OK);
    static char status[32];
    (void)snprintf(status, sizeof status, "%s", ay_token_ear_status(appr));
    json_decref(appr);
    json_decref(annotated);
    *trust_out = trust;
    return status;
}

static char *policy_with(const char *field, const uint8_t *v, size_t n)
{
    char *b = ay_test_b64(AY_B64_STD, v, n);
    size_t len = strlen(b) + strlen(field) + 128;
    char *out = malloc(len);
    assert_non_null(out);
    (void)snprintf(out, len, "{\"policy\":{\"%s\":\"%s\"}}", field, b);
    free(b);
    return out;
}

static void test_apply_snp(void **state)
{
    (void)state;
    struct ay_test_amd pki;
    ay_test_amd_init(&pki, 1700000000);
    uint8_t rd[64];
    memset(rd, 0x5a, sizeof rd);
    uint8_t report[AY_SNP_REPORT_LEN];
    ay_test_amd_report(&pki, rd, report);
    ay_test_amd_sign(pki.vcek_key, report);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_snp_report parsed;
    assert_int_equal(ay_snp_report_parse(&d, ay_span_of(report, sizeof report), &parsed), AY_OK);
    struct ay_span ev = ay_span_of(report, sizeof report);
    struct req r;
    json_t *res = NULL;
    json_t *trust = NULL;

    /* Pass: every claim a Cocos policy covers is affirming (2). */
    char *pol = policy_with("measurement", parsed.measurement, 48);
    req_begin(&r);
    assert_string_equal(apply(&r, AS_POLICY_COCOS_SNP, pol, "snp", ev, AY_OK, &res, &trust),
                        "affirming");
    assert_string_equal(json_string_value(json_object_get(res, "result")), "pass");
    assert_string_equal(json_string_value(json_object_get(res, "platform")), "snp");
    assert_string_equal(json_string_value(json_object_get(res, "policy_id")), "p_cpu");
    assert_null(json_object_get(res, "field"));
    assert_int_equal(json_integer_value(json_object_get(trust, "hardware")), 2);
    assert_int_equal(json_integer_value(json_object_get(trust, "executables")), 2);
    assert_int_equal(json_integer_value(json_object_get(trust, "configuration")), 2);
    assert_int_equal(json_object_size(trust), 3);
    assert_null(json_object_get(res, "pcr_values"));
    json_decref(res);
    json_decref(trust);
    req_end(&r);
    free(pol);

    /* pcr_values cannot be checked on `snp` evidence: the result says so. */
    char *b64m = ay_test_b64(AY_B64_STD, parsed.measurement, 48);
    size_t plen = strlen(b64m) + 256;
    pol = malloc(plen);
    assert_non_null(pol);
    (void)snprintf(pol, plen,
                   "{\"policy\":{\"measurement\":\"%s\"},\"pcr_values\":{\"sha256\":{\"0\":"
                   "\"%064d\"}}}",
                   b64m, 0);
    free(b64m);
    req_begin(&r);
    assert_string_equal(apply(&r, AS_POLICY_COCOS_SNP, pol, "snp", ev, AY_OK, &res, &trust),
                        "affirming");
    assert_non_null(strstr(json_string_value(json_object_get(res, "pcr_values")), "not checked"));
    json_decref(res);
    json_decref(trust);
    req_end(&r);
    free(pol);

    /* Fail on the measurement: executables 96 (contraindicated), field and both values. */
    uint8_t other[48];
    memcpy(other, parsed.measurement, 48);
    other[0] ^= 0xff;
    pol = policy_with("measurement", other, 48);
    req_begin(&r);
    assert_string_equal(apply(&r, AS_POLICY_COCOS_SNP, pol, "snp", ev, AY_OK, &res, &trust),
                        "contraindicated");
    assert_int_equal(r.ctx.diag.code, AY_OK); /* an outcome, not an error */
    assert_string_equal(json_string_value(json_object_get(res, "result")), "fail");
    assert_string_equal(json_string_value(json_object_get(res, "field")), "measurement");
    assert_string_equal(json_string_value(json_object_get(res, "claim")), "executables");
    char hx[97];
    ay_hex_encode(parsed.measurement, 48, hx);
    assert_string_equal(json_string_value(json_object_get(res, "evidence_value")), hx);
    ay_hex_encode(other, 48, hx);
    assert_string_equal(json_string_value(json_object_get(res, "policy_value")), hx);
    assert_non_null(strstr(json_string_value(json_object_get(res, "message")), "measurement"));
    assert_int_equal(json_integer_value(json_object_get(trust, "executables")), 96);
    assert_int_equal(json_object_size(trust), 1);
    json_decref(res);
    json_decref(trust);
    req_end(&r);
    free(pol);

    /* Fail on report_data (instance-identity), on vmpl (configuration), on the TCB floor
     * (hardware): the claim follows the field. */
    static const struct {
        const char *json;
        const char *field;
        const char *claim;
    } cases[] = {
        {"{\"policy\":{\"reportData\":\"" /* 64 zero bytes */
         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
         "\"}}",
         "report_data", "instance-identity"},
        {"{\"policy\":{\"vmpl\":1}}", "vmpl", "configuration"},
        {"{\"policy\":{\"minimumTcb\":\"18446744073709551615\"}}", "minimum_tcb", "hardware"},
        {"{\"policy\":{\"minimumGuestSvn\":4000000000}}", "minimum_guest_svn", "executables"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        req_begin(&r);
        const char *st =
            apply(&r, AS_POLICY_COCOS_SNP, cases[i].json, "snp", ev, AY_OK, &res, &trust);
        if (strcmp(json_string_value(json_object_get(res, "field")), cases[i].field) != 0) {
            fprintf(stderr, "case %zu: %s\n", i,
                    json_string_value(json_object_get(res, "message")));
        }
        assert_string_equal(st, "contraindicated");
        assert_string_equal(json_string_value(json_object_get(res, "field")), cases[i].field);
        assert_string_equal(json_string_value(json_object_get(res, "claim")), cases[i].claim);
        assert_int_equal(json_integer_value(json_object_get(trust, cases[i].claim)), 96);
        json_decref(res);
        json_decref(trust);
        req_end(&r);
    }

    /* Other TEEs: a clear 400; a TDX policy on SNP evidence too. An SNP policy also reads
     * az-snp-vtpm evidence (tests/unit/tee/test_tee_azure.c): a raw report is not that. */
    req_begin(&r);
    assert_null(
        apply(&r, AS_POLICY_COCOS_SNP, "{}", "sample", ev, AY_ERR_UNSUPPORTED, &res, &trust));
    assert_non_null(strstr(r.ctx.diag.msg, "cocos policies apply to snp, az-snp-vtpm and tdx"));
    req_end(&r);
    req_begin(&r);
    assert_null(
        apply(&r, AS_POLICY_COCOS_SNP, "{}", "az-snp-vtpm", ev, AY_ERR_MALFORMED, &res, &trust));
    assert_non_null(strstr(r.ctx.diag.msg, "az-snp-vtpm: evidence is not JSON"));
    req_end(&r);
    req_begin(&r);
    assert_null(apply(&r, AS_POLICY_COCOS_TDX, tdx_policy, "az-snp-vtpm", ev, AY_ERR_UNSUPPORTED,
                      &res, &trust));
    req_end(&r);
    req_begin(&r);
    assert_null(
        apply(&r, AS_POLICY_COCOS_TDX, tdx_policy, "snp", ev, AY_ERR_UNSUPPORTED, &res, &trust));
    assert_non_null(strstr(r.ctx.diag.msg, "is a tdx policy"));
    req_end(&r);
    /* A stored policy that no longer parses (written by an older assay) is an error naming it;
     * truncated evidence is malformed, not a verdict. */
    req_begin(&r);
    assert_null(apply(&r, AS_POLICY_COCOS_SNP, "{\"policy\":{\"vmpl\":\"x\"}}", "snp", ev,
                      AY_ERR_MALFORMED, &res, &trust));
    assert_non_null(strstr(r.ctx.diag.msg, "cocos policy p_cpu"));
    req_end(&r);
    req_begin(&r);
    assert_null(apply(&r, AS_POLICY_COCOS_SNP, "{}", "snp", ay_span_of(report, 100),
                      AY_ERR_TRUNCATED, &res, &trust));
    req_end(&r);
    ay_test_amd_free(&pki);
}

/* S8.tdx-policy (README of the vectors: reject) on quote T4, and a policy built from T4's own
 * MRTD (pass). */
static void test_apply_tdx_vector(void **state)
{
    (void)state;
    char qpath[512];
    char ppath[512];
    if (!ay_test_shared_path("vectors/tdx/T4/tdx_quote_4.dat", qpath, sizeof qpath) ||
        !ay_test_shared_path("vectors/cocos/S8/attestation_policy_tdx.json", ppath, sizeof ppath)) {
        fprintf(stderr, "SKIP: $ASSAY_SHARED vectors (tdx/T4, cocos/S8) absent\n");
        skip();
        return;
    }
    size_t qlen = 0;
    size_t plen = 0;
    uint8_t *quote = ay_test_read_file(qpath, &qlen);
    char *policy = (char *)ay_test_read_file(ppath, &plen);
    assert_non_null(quote);
    assert_non_null(policy);
    char *pz = malloc(plen + 1);
    assert_non_null(pz);
    memcpy(pz, policy, plen);
    pz[plen] = '\0';
    struct req r;
    json_t *res = NULL;
    json_t *trust = NULL;
    /* Evidence as Trustee's tdx JSON {"quote": base64}. */
    char *qb = ay_test_b64(AY_B64_STD, quote, qlen);
    size_t evn = strlen(qb) + 32;
    char *evj = malloc(evn);
    assert_non_null(evj);
    (void)snprintf(evj, evn, "{\"quote\":\"%s\"}", qb);
    struct ay_span ev = ay_span_of(evj, strlen(evj));
    req_begin(&r);
    assert_string_equal(apply(&r, AS_POLICY_COCOS_TDX, pz, "tdx", ev, AY_OK, &res, &trust),
                        "contraindicated");
    assert_string_equal(json_string_value(json_object_get(res, "result")), "fail");
    const char *field = json_string_value(json_object_get(res, "field"));
    assert_non_null(field);
    assert_non_null(json_object_get(trust, json_string_value(json_object_get(res, "claim"))));
    json_decref(res);
    json_decref(trust);
    req_end(&r);
    /* The upload of the shipped file is accepted as a tdx policy. */
    assert_int_equal(set_policy("s8tdx_cpu", "cocos", pz, NULL, 0), AY_OK);
    json_t *j = get_policy("s8tdx_cpu");
    assert_string_equal(json_string_value(json_object_get(j, "platform")), "tdx");
    json_decref(j);
    /* A minimal policy (empty body policy, no always-on bit violations expected in T4). */
    req_begin(&r);
    const char *st = apply(&r, AS_POLICY_COCOS_TDX, "{\"policy\":{\"tdQuoteBodyPolicy\":{}}}",
                           "tdx", ay_span_of(quote, qlen), AY_OK, &res, &trust);
    if (strcmp(st, "affirming") != 0) {
        fprintf(stderr, "T4 minimal: %s\n", json_dumps(res, 0));
    }
    assert_string_equal(st, "affirming");
    json_decref(res);
    json_decref(trust);
    req_end(&r);
    free(evj);
    free(qb);
    free(pz);
    free(policy);
    free(quote);
}

/* Trustee's `snp` evidence JSON: the report as the sev crate serialises it (TRUSTEE.md 7.2),
 * byte fields as arrays of numbers, TCBs as objects (Milan layout). */
static json_t *bytes_json(const uint8_t *p, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_integer(p[i]));
    }
    return a;
}

static json_t *tcb_json(uint64_t raw)
{
    struct ay_snp_tcb t;
    ay_snp_tcb_decode(raw, AY_SNP_PRODUCT_MILAN, &t);
    return json_pack("{s:n,s:i,s:i,s:i,s:i}", "fmc", "bootloader", t.bl, "tee", t.tee, "snp", t.snp,
                     "microcode", t.ucode);
}

static char *trustee_snp_evidence(const struct ay_snp_report *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "version", json_integer(r->version));
    json_object_set_new(j, "guest_svn", json_integer(r->guest_svn));
    json_object_set_new(j, "policy", json_integer((json_int_t)r->policy));
    json_object_set_new(j, "family_id", bytes_json(r->family_id, 16));
    json_object_set_new(j, "image_id", bytes_json(r->image_id, 16));
    json_object_set_new(j, "vmpl", json_integer(r->vmpl));
    json_object_set_new(j, "sig_algo", json_integer(r->sig_algo));
    json_object_set_new(j, "current_tcb", tcb_json(r->current_tcb));
    json_object_set_new(j, "plat_info", json_integer((json_int_t)r->platform_info));
    json_object_set_new(j, "key_info", json_integer(r->key_info));
    json_object_set_new(j, "report_data", bytes_json(r->report_data, 64));
    json_object_set_new(j, "measurement", bytes_json(r->measurement, 48));
    json_object_set_new(j, "host_data", bytes_json(r->host_data, 32));
    json_object_set_new(j, "id_key_digest", bytes_json(r->id_key_digest, 48));
    json_object_set_new(j, "author_key_digest", bytes_json(r->author_key_digest, 48));
    json_object_set_new(j, "report_id", bytes_json(r->report_id, 32));
    json_object_set_new(j, "report_id_ma", bytes_json(r->report_id_ma, 32));
    json_object_set_new(j, "reported_tcb", tcb_json(r->reported_tcb));
    json_object_set_new(j, "cpuid_fam_id", json_integer(r->cpuid_fam_id));
    json_object_set_new(j, "cpuid_mod_id", json_integer(r->cpuid_mod_id));
    json_object_set_new(j, "cpuid_step", json_integer(r->cpuid_step));
    json_object_set_new(j, "chip_id", bytes_json(r->chip_id, 64));
    json_object_set_new(j, "committed_tcb", tcb_json(r->committed_tcb));
    json_object_set_new(j, "current",
                        json_pack("{s:i,s:i,s:i}", "major", r->current_major, "minor",
                                  r->current_minor, "build", r->current_build));
    json_object_set_new(j, "committed",
                        json_pack("{s:i,s:i,s:i}", "major", r->committed_major, "minor",
                                  r->committed_minor, "build", r->committed_build));
    json_object_set_new(j, "launch_tcb", tcb_json(r->launch_tcb));
    json_object_set_new(
        j, "signature",
        json_pack("{s:o,s:o}", "r", bytes_json(r->sig_r, 72), "s", bytes_json(r->sig_s, 72)));
    json_t *ev = json_pack("{s:o,s:[]}", "attestation_report", j, "cert_chain");
    char *text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    assert_non_null(text);
    return text;
}

/* The service's `snp` evidence is Trustee's JSON: the same verdicts as on the raw report. */
static void test_apply_snp_trustee_json(void **state)
{
    (void)state;
    struct ay_test_amd pki;
    ay_test_amd_init(&pki, 1700000000);
    uint8_t rd[64] = {1, 2, 3};
    uint8_t report[AY_SNP_REPORT_LEN];
    ay_test_amd_report(&pki, rd, report);
    ay_test_amd_sign(pki.vcek_key, report);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_snp_report parsed;
    assert_int_equal(ay_snp_report_parse(&d, ay_span_of(report, sizeof report), &parsed), AY_OK);
    char *ev = trustee_snp_evidence(&parsed);
    struct ay_span evs = ay_span_of(ev, strlen(ev));
    struct req r;
    json_t *res = NULL;
    json_t *trust = NULL;
    char *pol = policy_with("measurement", parsed.measurement, 48);
    req_begin(&r);
    assert_string_equal(apply(&r, AS_POLICY_COCOS_SNP, pol, "snp", evs, AY_OK, &res, &trust),
                        "affirming");
    json_decref(res);
    json_decref(trust);
    req_end(&r);
    free(pol);
    uint8_t hd[32];
    memset(hd, 0xee, sizeof hd);
    pol = policy_with("hostData", hd, sizeof hd);
    req_begin(&r);
    assert_string_equal(apply(&r, AS_POLICY_COCOS_SNP, pol, "snp", evs, AY_OK, &res, &trust),
                        "contraindicated");
    assert_string_equal(json_string_value(json_object_get(res, "field")), "host_data");
    assert_string_equal(json_string_value(json_object_get(res, "claim")), "configuration");
    char hx[65];
    ay_hex_encode(parsed.host_data, 32, hx);
    assert_string_equal(json_string_value(json_object_get(res, "evidence_value")), hx);
    ay_hex_encode(hd, 32, hx);
    assert_string_equal(json_string_value(json_object_get(res, "policy_value")), hx);
    json_decref(res);
    json_decref(trust);
    req_end(&r);
    free(pol);
    /* Evidence JSON without a usable report: an error, not a verdict. */
    req_begin(&r);
    const char *badev = "{\"attestation_report\":{\"version\":\"x\"}}";
    assert_null(apply(&r, AS_POLICY_COCOS_SNP, "{}", "snp", ay_span_of(badev, strlen(badev)),
                      AY_ERR_MALFORMED, &res, &trust));
    req_end(&r);
    free(ev);
    ay_test_amd_free(&pki);
}

/* A Cocos policy read back from a SQLite store by a new service (the store-read path, no
 * cached entry): same type, same JSON; a Rego policy beside it unchanged. */
static void test_persisted(void **state)
{
    (void)state;
    char dir[128];
    (void)snprintf(dir, sizeof dir, "/tmp/assay-cocos-db-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char cfg[512];
    (void)snprintf(cfg, sizeof cfg, "{\"work_dir\":\"%s\"}", dir);
    struct ay_as *saved = as;
    for (int round = 0; round < 2; round++) {
        struct ay_diag d;
        ay_diag_clear(&d);
        struct ay_as_config *c = NULL;
        assert_int_equal(ay_as_config_parse(cfg, strlen(cfg), &d, &c), AY_OK);
        ay_err e = ay_as_new(c, &d, &as);
        ay_as_config_free(c);
        assert_int_equal(e, AY_OK);
        if (round == 0) {
            assert_int_equal(set_policy("keep_cpu", "cocos", tdx_policy, NULL, 0), AY_OK);
            assert_int_equal(set_policy("rg_cpu", NULL,
                                        "package policy\n\ntrust_claims := {\"hardware\": 2}\n",
                                        NULL, 0),
                             AY_OK);
        } else {
            json_t *j = get_policy("keep_cpu");
            assert_string_equal(json_string_value(json_object_get(j, "type")), "cocos");
            assert_string_equal(json_string_value(json_object_get(j, "platform")), "tdx");
            char *want = ay_test_b64(AY_B64_URL_NOPAD, tdx_policy, strlen(tdx_policy));
            assert_string_equal(json_string_value(json_object_get(j, "policy")), want);
            free(want);
            json_decref(j);
            j = get_policy("rg_cpu");
            assert_string_equal(json_string_value(json_object_get(j, "type")), "rego");
            json_decref(j);
            /* Attesting through it reads the store: the TDX policy refuses the sample TEE. */
            const char *body = "{\"policy_ids\":[\"keep\"],\"verification_requests\":"
                               "[{\"tee\":\"sample\",\"evidence\":\"eyJzdm4iOiIxIn0\"}]}";
            struct req r;
            struct ay_as_attest_info info;
            req_begin(&r);
            assert_int_equal(
                ay_as_attest(as, &r.ctx, ay_span_of(body, strlen(body)), &r.out, &info),
                AY_ERR_UNSUPPORTED);
            assert_non_null(strstr(r.ctx.diag.msg, "is a tdx policy"));
            req_end(&r);
            /* twice: the second use is served from the cache */
            req_begin(&r);
            assert_int_equal(
                ay_as_attest(as, &r.ctx, ay_span_of(body, strlen(body)), &r.out, &info),
                AY_ERR_UNSUPPORTED);
            req_end(&r);
        }
        ay_as_free(as);
    }
    as = saved;
    char p[256];
    static const char *const files[] = {"assay.db", "assay.db-wal", "assay.db-shm",
                                        "token-es256.pem"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        (void)snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        (void)unlink(p);
    }
    (void)rmdir(dir);
}

/* The whole pipeline on TDX: quote T4 verified by the `tdx` verifier with the T-C1 collateral
 * (collateral_dir) at the vectors' verify_at, then the Cocos policy: the EAR's cpu0 submod is
 * contraindicated with the failing field for the shipped S8 policy, affirming for a policy
 * T4 meets; the Rego default on the same evidence is untouched (no "cocos" member). */
static json_t *ear_cpu0(const char *jwt)
{
    const char *dot1 = strchr(jwt, '.');
    assert_non_null(dot1);
    const char *dot2 = strchr(dot1 + 1, '.');
    assert_non_null(dot2);
    struct ay_arena *a = NULL;
    ay_arena_new(1 << 20, &a);
    struct ay_span payload;
    assert_int_equal(
        ay_b64_decode(AY_B64_URL_NOPAD, dot1 + 1, (size_t)(dot2 - dot1 - 1), a, &payload), AY_OK);
    json_t *claims = json_loadb((const char *)payload.ptr, payload.len, 0, NULL);
    ay_arena_free(a);
    assert_non_null(claims);
    json_t *cpu0 = json_incref(json_object_get(json_object_get(claims, "submods"), "cpu0"));
    json_decref(claims);
    assert_non_null(cpu0);
    return cpu0;
}

static void test_pipeline_tdx(void **state)
{
    (void)state;
    char qpath[512];
    char ppath[512];
    char cdir[512];
    if (!ay_test_shared_path("vectors/tdx/T4/tdx_quote_4.dat", qpath, sizeof qpath) ||
        !ay_test_shared_path("vectors/cocos/S8/attestation_policy_tdx.json", ppath, sizeof ppath) ||
        !ay_test_shared_path("vectors/tdx/collateral/T-C1", cdir, sizeof cdir)) {
        fprintf(stderr, "SKIP: $ASSAY_SHARED vectors (tdx/T4, T-C1, cocos/S8) absent\n");
        skip();
        return;
    }
    size_t qlen = 0;
    size_t plen = 0;
    uint8_t *quote = ay_test_read_file(qpath, &qlen);
    char *s8 = (char *)ay_test_read_file(ppath, &plen);
    assert_non_null(quote);
    assert_non_null(s8);
    char dir[128];
    (void)snprintf(dir, sizeof dir, "/tmp/assay-cocos-tdx-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char cfg[1024];
    (void)snprintf(cfg, sizeof cfg,
                   "{\"work_dir\":\"%s\",\"storage_backend\":{\"storage_type\":\"Memory\"},"
                   "\"verifier_config\":{\"dcap_verifier\":{\"collateral_dir\":\"%s\"}}}",
                   dir, cdir);
    struct ay_as *saved = as;
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_as_config *c = NULL;
    assert_int_equal(ay_as_config_parse(cfg, strlen(cfg), &d, &c), AY_OK);
    ay_err e = ay_as_new(c, &d, &as);
    ay_as_config_free(c);
    assert_int_equal(e, AY_OK);

    assert_int_equal(set_policy("s8_cpu", "cocos", s8, NULL, 0), AY_OK);
    assert_int_equal(
        set_policy("mini_cpu", "cocos", "{\"policy\":{\"tdQuoteBodyPolicy\":{}}}", NULL, 0), AY_OK);
    /* Trustee's tdx evidence: {"quote": base64}. */
    char *qb = ay_test_b64(AY_B64_STD, quote, qlen);
    size_t evn = strlen(qb) + 32;
    char *evj = malloc(evn);
    assert_non_null(evj);
    (void)snprintf(evj, evn, "{\"quote\":\"%s\"}", qb);
    char *evu = ay_test_b64(AY_B64_URL_NOPAD, evj, strlen(evj));
    static const char *const pids[] = {"s8", "mini", "default"};
    static const char *const want[] = {"contraindicated", "affirming", NULL};
    for (size_t i = 0; i < 3; i++) {
        size_t bn = strlen(evu) + 128;
        char *body = malloc(bn);
        assert_non_null(body);
        (void)snprintf(body, bn,
                       "{\"policy_ids\":[\"%s\"],\"verification_requests\":[{\"tee\":\"tdx\","
                       "\"evidence\":\"%s\"}]}",
                       pids[i], evu);
        struct req r;
        struct ay_as_attest_info info;
        req_begin(&r);
        r.ctx.now = 1688169600; /* 2023-07-01T00:00:00Z, the vectors' verify_at for T4+T-C1 */
        e = ay_as_attest(as, &r.ctx, ay_span_of(body, strlen(body)), &r.out, &info);
        if (e != AY_OK) {
            fprintf(stderr, "%s: %s: %s\n", pids[i], ay_err_name(e), r.ctx.diag.msg);
        }
        assert_int_equal(e, AY_OK);
        assert_true(info.accepted);
        assert_int_equal(ay_buf_finish(&r.out), AY_OK);
        json_t *cpu0 = ear_cpu0(r.out.ptr);
        const json_t *ann = json_object_get(cpu0, "ear.veraison.annotated-evidence");
        const json_t *res = json_object_get(ann, "cocos");
        assert_non_null(json_object_get(ann, "tdx"));
        assert_string_equal(json_string_value(json_object_get(cpu0, "ear.appraisal-policy-id")),
                            pids[i]);
        if (want[i] == NULL) {
            assert_null(res); /* Rego policies exactly as before */
        } else {
            assert_string_equal(json_string_value(json_object_get(cpu0, "ear.status")), want[i]);
            assert_non_null(res);
            assert_string_equal(json_string_value(json_object_get(res, "platform")), "tdx");
            if (i == 0) {
                assert_string_equal(json_string_value(json_object_get(res, "result")), "fail");
                assert_non_null(json_object_get(res, "field"));
                assert_non_null(json_object_get(res, "message"));
                const json_t *tv = json_object_get(cpu0, "ear.trustworthiness-vector");
                assert_int_equal(json_object_size(tv), 1);
            } else {
                assert_string_equal(json_string_value(json_object_get(res, "result")), "pass");
            }
        }
        json_decref(cpu0);
        req_end(&r);
        free(body);
    }
    ay_as_free(as);

    /* The simple token: a contraindicated Cocos outcome is the usual 403 "Reject by policy". */
    (void)snprintf(cfg, sizeof cfg,
                   "{\"work_dir\":\"%s\",\"storage_backend\":{\"storage_type\":\"Memory\"},"
                   "\"attestation_token_broker\":{\"type\":\"Simple\",\"duration_min\":1},"
                   "\"verifier_config\":{\"dcap_verifier\":{\"collateral_dir\":\"%s\"}}}",
                   dir, cdir);
    ay_diag_clear(&d);
    assert_int_equal(ay_as_config_parse(cfg, strlen(cfg), &d, &c), AY_OK);
    e = ay_as_new(c, &d, &as);
    ay_as_config_free(c);
    assert_int_equal(e, AY_OK);
    assert_int_equal(set_policy("s8_cpu", "cocos", s8, NULL, 0), AY_OK);
    assert_int_equal(
        set_policy("mini_cpu", "cocos", "{\"policy\":{\"tdQuoteBodyPolicy\":{}}}", NULL, 0), AY_OK);
    for (size_t i = 0; i < 2; i++) {
        size_t bn = strlen(evu) + 128;
        char *body = malloc(bn);
        assert_non_null(body);
        (void)snprintf(body, bn,
                       "{\"policy_ids\":[\"%s\"],\"verification_requests\":[{\"tee\":\"tdx\","
                       "\"evidence\":\"%s\"}]}",
                       pids[i], evu);
        struct req r;
        struct ay_as_attest_info info;
        req_begin(&r);
        r.ctx.now = 1688169600;
        e = ay_as_attest(as, &r.ctx, ay_span_of(body, strlen(body)), &r.out, &info);
        if (i == 0) {
            assert_int_equal(e, AY_ERR_POLICY_DENIED);
            assert_non_null(strstr(r.ctx.diag.msg, "Reject by policy s8_cpu"));
        } else {
            if (e != AY_OK) {
                fprintf(stderr, "simple mini: %s: %s\n", ay_err_name(e), r.ctx.diag.msg);
            }
            assert_int_equal(e, AY_OK);
            assert_true(r.out.len > 0);
        }
        req_end(&r);
        free(body);
    }
    ay_as_free(as);
    free(evu);
    free(evj);
    free(qb);
    free(s8);
    free(quote);
    as = saved;
    char p[256];
    static const char *const keys[] = {"token-es256.pem", "token-rs384.pem"};
    for (size_t i = 0; i < 2; i++) {
        (void)snprintf(p, sizeof p, "%s/%s", dir, keys[i]);
        (void)unlink(p);
    }
    (void)rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload),
        cmocka_unit_test(test_attest_wrong_tee),
        cmocka_unit_test(test_apply_snp),
        cmocka_unit_test(test_apply_tdx_vector),
        cmocka_unit_test(test_apply_snp_trustee_json),
        cmocka_unit_test(test_persisted),
        cmocka_unit_test(test_pipeline_tdx),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
