/* SPDX-License-Identifier: Apache-2.0 */
/* The service through as.h with the sample TEE and the memory store: request parsing edge
 * cases (TRUSTEE.md 1.1, 3.3, 3.4), binding, challenge, JWKS, policies (upload, compile
 * errors, id suffix rule, list/get/delete), RVPS (register, expiry), and the whole pipeline
 * to a signed EAR verified against the JWKS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "as/as.h"
#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_cursor.h"
#include "base/base_limits.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "codec/codec_jcs.h"
#include "crypto/crypto_digest.h"
#include "token/token.h"
#include "testlib.h"

static struct ay_as *as;
static char workdir[128];

struct req {
    struct ay_arena *arena;
    struct ay_ctx ctx;
    struct ay_buf out;
};

static void req_begin(struct req *r)
{
    ay_arena_new((size_t)64 << 20, &r->arena);
    ay_ctx_init(&r->ctx, r->arena);
    ay_buf_init(&r->out, r->arena, (size_t)16 << 20);
}

static void req_end(struct req *r)
{
    ay_arena_free(r->arena);
}

/* Sample evidence whose report_data is the given bytes. */
static char *sample_evidence(const void *rd, size_t n)
{
    char *rdb = ay_test_b64(AY_B64_STD, rd, n);
    char ev[1024];
    (void)snprintf(ev, sizeof ev, "{\"svn\":\"1\",\"report_data\":\"%s\"}", rdb);
    free(rdb);
    return ay_test_b64(AY_B64_URL_NOPAD, ev, strlen(ev));
}

static ay_err attest(const char *body, struct req *r, struct ay_as_attest_info *info)
{
    req_begin(r);
    return ay_as_attest(as, &r->ctx, ay_span_of(body, strlen(body)), &r->out, info);
}

static ay_err attest_simple(const char *body)
{
    struct req r;
    struct ay_as_attest_info info;
    ay_err e = attest(body, &r, &info);
    if (e != AY_OK && getenv("AY_TEST_VERBOSE") != NULL) {
        fprintf(stderr, "  -> %s: %s\n", ay_err_name(e), r.ctx.diag.msg);
    }
    req_end(&r);
    return e;
}

static int setup(void **state)
{
    (void)state;
    (void)snprintf(workdir, sizeof workdir, "/tmp/assay-as-test-XXXXXX");
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

static void test_request_errors(void **state)
{
    (void)state;
    char *ev = sample_evidence("", 0);
    char body[4096];
    /* Malformed JSON, wrong shapes, missing required fields (TRUSTEE.md 1.1). */
    assert_int_equal(attest_simple("{"), AY_ERR_MALFORMED);
    assert_int_equal(attest_simple(""), AY_ERR_MALFORMED);
    assert_int_equal(attest_simple("[]"), AY_ERR_BAD_REQUEST);
    assert_int_equal(attest_simple("{\"verification_requests\":[]}"), AY_ERR_BAD_REQUEST);
    assert_int_equal(attest_simple("{\"policy_ids\":[]}"), AY_ERR_BAD_REQUEST);
    assert_int_equal(attest_simple("{\"verification_requests\":[],\"policy_ids\":[]}"),
                     AY_ERR_BAD_REQUEST);
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\"}],"
                   "\"policy_ids\":[1]}",
                   ev);
    assert_int_equal(attest_simple(body), AY_ERR_BAD_REQUEST);
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"evidence\":\"%s\"}],\"policy_ids\":[]}", ev);
    assert_int_equal(attest_simple(body), AY_ERR_BAD_REQUEST);
    assert_int_equal(
        attest_simple("{\"verification_requests\":[{\"tee\":\"sample\"}],\"policy_ids\":[]}"),
        AY_ERR_BAD_REQUEST);
    /* Unknown TEE. */
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"nosuch\",\"evidence\":\"%s\"}],"
                   "\"policy_ids\":[]}",
                   ev);
    struct req r;
    struct ay_as_attest_info info;
    assert_int_equal(attest(body, &r, &info), AY_ERR_BAD_REQUEST);
    assert_non_null(strstr(r.ctx.diag.msg, "not supported"));
    assert_string_equal(info.tee, "unknown");
    assert_false(info.accepted);
    req_end(&r);
    /* Strict base64url: padding, standard alphabet, bad trailing bits. */
    static const char *const bad_ev[] = {"eyJ9=", "ab+/", "e30=", "!!", "eZ"};
    for (size_t i = 0; i < sizeof bad_ev / sizeof bad_ev[0]; i++) {
        (void)snprintf(body, sizeof body,
                       "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\"}],"
                       "\"policy_ids\":[]}",
                       bad_ev[i]);
        assert_int_equal(attest_simple(body), AY_ERR_MALFORMED);
    }
    /* Evidence that decodes but is not JSON. */
    char *notjson = ay_test_b64(AY_B64_URL_NOPAD, "svn=1", 5);
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\"}],"
                   "\"policy_ids\":[]}",
                   notjson);
    assert_int_equal(attest_simple(body), AY_ERR_MALFORMED);
    free(notjson);
    /* runtime_data / init_data must have exactly one known key. */
    static const char *const bad_rd[] = {
        "\"runtime_data\":{}",
        "\"runtime_data\":{\"raw\":\"AA\",\"structured\":1}",
        "\"runtime_data\":{\"hex\":\"00\"}",
        "\"runtime_data\":\"AA\"",
        "\"runtime_data\":{\"raw\":5}",
        "\"runtime_data\":{\"raw\":\"AA==\"}",
        "\"runtime_data\":{\"raw\":\"AA\"},\"runtime_data_hash_algorithm\":\"sha-384\"",
        "\"runtime_data\":{\"raw\":\"AA\"},\"runtime_data_hash_algorithm\":\"md5\"",
        "\"runtime_data\":{\"raw\":\"AA\"},\"runtime_data_hash_algorithm\":5",
        "\"init_data\":{}",
        "\"init_data\":{\"init_data_digest\":\"AA\",\"init_data_toml\":\"x\"}",
        "\"init_data\":{\"init_data_digest\":\"A\"}",
        "\"init_data\":{\"init_data_toml\":\"not toml\"}",
        "\"init_data\":{\"init_data_toml\":5}",
        "\"init_data\":{\"unknown\":\"AA\"}",
    };
    for (size_t i = 0; i < sizeof bad_rd / sizeof bad_rd[0]; i++) {
        (void)snprintf(body, sizeof body,
                       "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\",%s}],"
                       "\"policy_ids\":[]}",
                       ev, bad_rd[i]);
        ay_err e = attest_simple(body);
        if (e != AY_ERR_BAD_REQUEST && e != AY_ERR_MALFORMED && e != AY_ERR_UNSUPPORTED) {
            fail_msg("%s gave %s", bad_rd[i], ay_err_name(e));
        }
    }
    free(ev);
}

static void test_binding(void **state)
{
    (void)state;
    char body[4096];
    /* raw: the decoded bytes as they are, compared exactly by the sample TEE. */
    char *ev = sample_evidence("nonce-123", 9);
    char *raw = ay_test_b64(AY_B64_URL_NOPAD, "nonce-123", 9);
    char *raw_short = ay_test_b64(AY_B64_URL_NOPAD, "nonce-12", 8);
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\","
                   "\"runtime_data\":{\"raw\":\"%s\"}}],\"policy_ids\":[\"nosuchpolicy\"]}",
                   ev, raw_short);
    assert_int_equal(attest_simple(body), AY_ERR_BINDING);
    /* Binding passes: the request then fails only at the (absent) policy. */
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\","
                   "\"runtime_data\":{\"raw\":\"%s\"}}],\"policy_ids\":[\"nosuchpolicy\"]}",
                   ev, raw);
    struct req r;
    struct ay_as_attest_info info;
    assert_int_equal(attest(body, &r, &info), AY_ERR_NOT_FOUND);
    assert_non_null(strstr(r.ctx.diag.msg, "nosuchpolicy_cpu"));
    assert_string_equal(info.tee, "sample");
    req_end(&r);
    free(ev);
    free(raw);
    free(raw_short);

    /* structured: H(JCS(value)), default sha384, or the requested algorithm. */
    json_t *v =
        json_loads("{\"nonce\":\"n\",\"tee-pubkey\":{\"kty\":\"EC\",\"alg\":\"ES256\"}}", 0, NULL);
    struct ay_buf jcs;
    ay_buf_init(&jcs, NULL, 1 << 20);
    assert_int_equal(ay_jcs_write(v, &jcs), AY_OK);
    uint8_t h384[48];
    uint8_t h256[32];
    assert_int_equal(ay_hash(AY_HASH_SHA384, jcs.ptr, jcs.len, h384), AY_OK);
    assert_int_equal(ay_hash(AY_HASH_SHA256, jcs.ptr, jcs.len, h256), AY_OK);
    char *ev384 = sample_evidence(h384, 48);
    char *ev256 = sample_evidence(h256, 32);
    /* Key order in the request does not matter (canonicalization). */
    const char *sv = "{\"tee-pubkey\":{\"alg\":\"ES256\",\"kty\":\"EC\"},\"nonce\":\"n\"}";
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\","
                   "\"runtime_data\":{\"structured\":%s}}],\"policy_ids\":[\"nosuch\"]}",
                   ev384, sv);
    assert_int_equal(attest_simple(body), AY_ERR_NOT_FOUND);
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\","
                   "\"runtime_data\":{\"structured\":%s},\"runtime_data_hash_algorithm\":"
                   "\"SHA256\"}],\"policy_ids\":[\"nosuch\"]}",
                   ev256, sv);
    assert_int_equal(attest_simple(body), AY_ERR_NOT_FOUND);
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\","
                   "\"runtime_data\":{\"structured\":%s}}],\"policy_ids\":[\"nosuch\"]}",
                   ev256, sv);
    assert_int_equal(attest_simple(body), AY_ERR_BINDING);
    free(ev384);
    free(ev256);
    ay_buf_free(&jcs);
    json_decref(v);
}

static void test_challenge_jwks(void **state)
{
    (void)state;

    static const struct {
        const char *body;
        ay_err want;
    } cases[] = {
        {"{\"tee\":\"sample\",\"tee_params\":\"\"}", AY_OK},
        {"{\"tee\":\"snp\",\"tee_params\":\"x\"}", AY_OK},
        {"{\"tee\":\"se\",\"tee_params\":\"x\"}", AY_ERR_UNSUPPORTED},
        {"{\"tee\":\"sample\"}", AY_ERR_BAD_REQUEST},
        {"{\"tee\":\"sample\",\"tee_params\":1}", AY_ERR_BAD_REQUEST},
        {"{\"tee\":\"nosuch\",\"tee_params\":\"\"}", AY_ERR_BAD_REQUEST},
        {"[]", AY_ERR_BAD_REQUEST},
        {"{", AY_ERR_MALFORMED},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct req r;
        req_begin(&r);
        assert_int_equal(
            ay_as_challenge(as, &r.ctx, ay_span_of(cases[i].body, strlen(cases[i].body)), &r.out),
            cases[i].want);
        assert_int_equal(r.out.len, 0);
        req_end(&r);
    }
    struct req r;
    req_begin(&r);
    assert_int_equal(ay_as_jwks(as, &r.ctx, &r.out), AY_OK);
    json_t *j = json_loads(r.out.ptr, 0, NULL);
    json_t *k = json_array_get(json_object_get(j, "keys"), 0);
    assert_string_equal(json_string_value(json_object_get(k, "kty")), "EC");
    assert_string_equal(json_string_value(json_object_get(k, "alg")), "ES256");
    assert_null(json_object_get(k, "d"));
    json_decref(j);
    req_end(&r);
}

static ay_err set_policy(const char *id, const char *text, char *msg, size_t msglen)
{
    char *b = ay_test_b64(AY_B64_URL_NOPAD, text, strlen(text));
    size_t n = strlen(b) + strlen(id) + 64;
    char *body = malloc(n);
    (void)snprintf(body, n, "{\"policy_id\":\"%s\",\"policy\":\"%s\",\"type\":\"rego\"}", id, b);
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

static void test_policy_crud(void **state)
{
    (void)state;
    struct req r;
    /* The four defaults are installed. */
    req_begin(&r);
    assert_int_equal(ay_as_policy_list(as, &r.ctx, &r.out), AY_OK);
    assert_non_null(strstr(r.out.ptr, "{\"policy-id\":\"default_cpu\",\"type\":\"rego\"}"));
    assert_non_null(strstr(r.out.ptr, "{\"policy-id\":\"default_gpu\",\"type\":\"rego\"}"));
    assert_non_null(strstr(r.out.ptr, "{\"policy-id\":\"default_switch\",\"type\":\"rego\"}"));
    assert_non_null(strstr(r.out.ptr, "{\"policy-id\":\"default_ppcie\",\"type\":\"rego\"}"));
    req_end(&r);
    /* Bad uploads. */
    char msg[600];
    assert_int_equal(set_policy("bad id!", "package policy\n", msg, sizeof msg),
                     AY_ERR_BAD_REQUEST);
    const char *bad_bodies[] = {
        "{",
        "[]",
        "{\"policy_id\":\"x\"}",
        "{\"policy\":\"cGFja2FnZSBw\"}",
        "{\"policy_id\":\"x\",\"policy\":\"cGFja2FnZSBw==\"}",
        "{\"policy_id\":\"x\",\"policy\":\"cGFja2/+\"}",
    };
    for (size_t i = 0; i < sizeof bad_bodies / sizeof bad_bodies[0]; i++) {
        req_begin(&r);
        ay_err e =
            ay_as_policy_set(as, &r.ctx, ay_span_of(bad_bodies[i], strlen(bad_bodies[i])), &r.out);
        assert_true(e == AY_ERR_MALFORMED || e == AY_ERR_BAD_REQUEST);
        req_end(&r);
    }
    /* A policy that does not compile: refused with line:col, nothing stored. */
    assert_int_equal(set_policy("broken_cpu", "package policy\n\nx := {\n", msg, sizeof msg),
                     AY_ERR_POLICY_COMPILE);
    assert_non_null(strstr(msg, "broken_cpu.rego:"));
    req_begin(&r);
    assert_int_equal(ay_as_policy_get(as, &r.ctx, "broken_cpu", &r.out), AY_ERR_NOT_FOUND);
    req_end(&r);
    /* Good upload, get (b64url round trip), delete. */
    const char *text = "package policy\n\ntrust_claims := {\"hardware\": 2}\n";
    assert_int_equal(set_policy("mine_cpu", text, msg, sizeof msg), AY_OK);
    req_begin(&r);
    assert_int_equal(ay_as_policy_get(as, &r.ctx, "mine_cpu", &r.out), AY_OK);
    json_t *j = json_loads(r.out.ptr, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "policy-id")), "mine_cpu");
    char *want = ay_test_b64(AY_B64_URL_NOPAD, text, strlen(text));
    assert_string_equal(json_string_value(json_object_get(j, "policy")), want);
    free(want);
    json_decref(j);
    req_end(&r);
    req_begin(&r);
    assert_int_equal(ay_as_policy_delete(as, &r.ctx, "mine_cpu"), AY_OK);
    req_end(&r);
    req_begin(&r);
    assert_int_equal(ay_as_policy_delete(as, &r.ctx, "mine_cpu"), AY_ERR_NOT_FOUND);
    req_end(&r);
    req_begin(&r);
    assert_int_equal(ay_as_policy_get(as, &r.ctx, "../etc", &r.out), AY_ERR_NOT_FOUND);
    req_end(&r);
}

static ay_err rv_register(const char *payload_json, int64_t now)
{
    char *p = ay_test_b64(AY_B64_STD, payload_json, strlen(payload_json));
    char body[4096];
    (void)snprintf(body, sizeof body,
                   "{\"version\":\"0.1.0\",\"type\":\"sample\",\"payload\":\"%s\"}", p);
    free(p);
    struct req r;
    req_begin(&r);
    if (now != 0) {
        r.ctx.now = now;
    }
    ay_err e = ay_as_rv_register(as, &r.ctx, ay_span_of(body, strlen(body)), &r.out);
    req_end(&r);
    return e;
}

static void test_rvps(void **state)
{
    (void)state;
    struct req r;
    assert_int_equal(rv_register("{\"rv_a\":[\"x\"],\"rv_b\":3}", 0), AY_OK);
    req_begin(&r);
    assert_int_equal(ay_as_rv_get(as, &r.ctx, "rv_a", &r.out), AY_OK);
    json_t *j = json_loads(r.out.ptr, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "version")), "0.1.0");
    assert_string_equal(json_string_value(json_object_get(j, "name")), "rv_a");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "value"), 0)), "x");
    /* expiration = now + 12 months */
    const char *exp = json_string_value(json_object_get(j, "expiration"));
    assert_non_null(exp);
    assert_int_equal(strlen(exp), 20);
    json_decref(j);
    req_end(&r);
    /* Registered two years ago: expired, so absent. */
    assert_int_equal(rv_register("{\"rv_old\":1}", (int64_t)time(NULL) - 2 * 366 * 86400), AY_OK);
    req_begin(&r);
    assert_int_equal(ay_as_rv_get(as, &r.ctx, "rv_old", &r.out), AY_ERR_NOT_FOUND);
    req_end(&r);
    /* Registered eleven months ago: still valid. */
    assert_int_equal(rv_register("{\"rv_recent\":1}", (int64_t)time(NULL) - 330 * 86400), AY_OK);
    req_begin(&r);
    assert_int_equal(ay_as_rv_get(as, &r.ctx, "rv_recent", &r.out), AY_OK);
    req_end(&r);
    /* Delete. */
    req_begin(&r);
    assert_int_equal(ay_as_rv_delete(as, &r.ctx, "rv_b"), AY_OK);
    assert_int_equal(ay_as_rv_get(as, &r.ctx, "rv_b", &r.out), AY_ERR_NOT_FOUND);
    req_end(&r);
    req_begin(&r);
    assert_int_equal(ay_as_rv_delete(as, &r.ctx, "rv_b"), AY_ERR_NOT_FOUND);
    req_end(&r);

    /* Bad messages. */
    static const struct {
        const char *body;
        ay_err want;
    } bad[] = {
        {"{", AY_ERR_MALFORMED},
        {"{\"version\":\"0.2.0\",\"type\":\"sample\",\"payload\":\"e30=\"}", AY_ERR_UNSUPPORTED},
        {"{\"type\":\"swid\",\"payload\":\"e30=\"}", AY_ERR_UNSUPPORTED},
        {"{\"type\":\"sample\"}", AY_ERR_BAD_REQUEST},
        {"{\"type\":\"sample\",\"payload\":\"e30\"}", AY_ERR_MALFORMED},
        {"{\"type\":\"sample\",\"payload\":\"W10=\"}", AY_ERR_MALFORMED},
        {"{\"type\":\"sample\",\"payload\":\"eyJhL2IiOjF9\"}", AY_ERR_BAD_REQUEST},
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        req_begin(&r);
        ay_err e =
            ay_as_rv_register(as, &r.ctx, ay_span_of(bad[i].body, strlen(bad[i].body)), &r.out);
        if (e != bad[i].want) {
            fail_msg("%s gave %s (%s)", bad[i].body, ay_err_name(e), r.ctx.diag.msg);
        }
        req_end(&r);
    }
}

/* Attests sample evidence bound to a raw nonce with policy ids [pid] and returns the claims of
 * the EAR after verifying it against the service's JWKS. */
static json_t *attest_ok(const char *pid)
{
    char *ev = sample_evidence("nonce", 5);
    char *raw = ay_test_b64(AY_B64_URL_NOPAD, "nonce", 5);
    char body[4096];
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\","
                   "\"runtime_data\":{\"raw\":\"%s\"},\"init_data\":{\"init_data_digest\":"
                   "\"AQID\"}}],\"policy_ids\":[%s]}",
                   ev, raw, pid);
    free(ev);
    free(raw);
    struct req r;
    struct ay_as_attest_info info;
    ay_err e = attest(body, &r, &info);
    if (e != AY_OK) {
        fail_msg("attest: %s: %s", ay_err_name(e), r.ctx.diag.msg);
    }
    assert_true(info.accepted);
    assert_string_equal(info.tee, "sample");
    struct req k;
    req_begin(&k);
    assert_int_equal(ay_as_jwks(as, &k.ctx, &k.out), AY_OK);
    json_t *jwks = json_loads(k.out.ptr, 0, NULL);
    json_t *hdr = NULL;
    json_t *claims = NULL;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_token_jwt_verify(r.out.ptr, r.out.len, jwks, r.ctx.now, &d, &hdr, &claims),
                     AY_OK);
    assert_string_equal(json_string_value(json_object_get(hdr, "alg")), "ES256");
    json_decref(hdr);
    json_decref(jwks);
    req_end(&k);
    req_end(&r);
    return claims;
}

static void test_pipeline_default_policy(void **state)
{
    (void)state;
    /* No reference values: default_cpu leaves hardware 97 -> contraindicated. */
    json_t *c = attest_ok("");
    json_t *cpu0 = json_object_get(json_object_get(c, "submods"), "cpu0");
    assert_non_null(cpu0);
    assert_string_equal(json_string_value(json_object_get(cpu0, "ear.appraisal-policy-id")),
                        "default");
    json_t *tv = json_object_get(cpu0, "ear.trustworthiness-vector");
    assert_int_equal(json_integer_value(json_object_get(tv, "hardware")), 97);
    assert_int_equal(json_integer_value(json_object_get(tv, "configuration")), 2);
    assert_string_equal(json_string_value(json_object_get(cpu0, "ear.status")), "contraindicated");
    json_t *ann = json_object_get(cpu0, "ear.veraison.annotated-evidence");
    assert_string_equal(json_string_value(json_object_get(ann, "report_data")), "bm9uY2U=");
    assert_true(json_is_null(json_object_get(ann, "runtime_data_claims")));
    assert_string_equal(json_string_value(json_object_get(ann, "init_data")), "AQID");
    assert_true(json_is_null(json_object_get(ann, "init_data_claims")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(ann, "sample"), "launch_digest")),
        "abcde");
    assert_non_null(json_object_get(cpu0, "ear.trustee.identifiers"));
    assert_string_equal(json_string_value(json_object_get(c, "iss")), "CoCo-Attestation-Service");
    assert_int_equal(json_integer_value(json_object_get(c, "exp")) -
                         json_integer_value(json_object_get(c, "iat")),
                     300);
    json_decref(c);

    /* REGO.md 2.3 C1: with the reference values, affirming (2 / 3 / 2). */
    assert_int_equal(rv_register("{\"launch_digest\":[\"abcde\"],\"svn\":[\"1\"],"
                                 "\"major_version\":1,\"minimum_minor_version\":0}",
                                 0),
                     AY_OK);
    c = attest_ok("\"default\"");
    cpu0 = json_object_get(json_object_get(c, "submods"), "cpu0");
    tv = json_object_get(cpu0, "ear.trustworthiness-vector");
    assert_int_equal(json_integer_value(json_object_get(tv, "hardware")), 2);
    assert_int_equal(json_integer_value(json_object_get(tv, "executables")), 3);
    assert_int_equal(json_integer_value(json_object_get(tv, "configuration")), 2);
    assert_string_equal(json_string_value(json_object_get(cpu0, "ear.status")), "affirming");
    json_decref(c);
}

static void test_pipeline_custom_policy(void **state)
{
    (void)state;
    char msg[600];
    /* Uploaded as "strict_cpu", requested as "strict": the device-class suffix rule. */
    assert_int_equal(set_policy("strict_cpu",
                                "package policy\n\nimport rego.v1\n\n"
                                "default hw := 97\n\n"
                                "hw := 2 if input.sample.svn == \"1\"\n\n"
                                "trust_claims := {\"hardware\": hw, \"executables\": 3}\n",
                                msg, sizeof msg),
                     AY_OK);
    json_t *c = attest_ok("\"strict\"");
    json_t *cpu0 = json_object_get(json_object_get(c, "submods"), "cpu0");
    assert_string_equal(json_string_value(json_object_get(cpu0, "ear.appraisal-policy-id")),
                        "strict");
    json_t *tv = json_object_get(cpu0, "ear.trustworthiness-vector");
    assert_int_equal(json_object_size(tv), 2);
    assert_string_equal(json_string_value(json_object_get(cpu0, "ear.status")), "affirming");
    json_decref(c);
    /* Requesting "strict_cpu" looks up "strict_cpu_cpu". */
    char *ev = sample_evidence("", 0);
    char body[2048];
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\"}],"
                   "\"policy_ids\":[\"strict_cpu\"]}",
                   ev);
    assert_int_equal(attest_simple(body), AY_ERR_NOT_FOUND);
    /* A policy whose trust_claims is not an object is an evaluation error. */
    assert_int_equal(
        set_policy("weird_cpu", "package policy\n\ntrust_claims := [1]\n", msg, sizeof msg), AY_OK);
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\"}],"
                   "\"policy_ids\":[\"weird\"]}",
                   ev);
    assert_int_equal(attest_simple(body), AY_ERR_POLICY_EVAL);
    /* sampledevice is gpu class: default_gpu, submod gpu0. */
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\"},"
                   "{\"tee\":\"sampledevice\",\"evidence\":\"%s\"},"
                   "{\"tee\":\"sampledevice\",\"evidence\":\"%s\"}],\"policy_ids\":[]}",
                   ev, ev, ev);
    struct req r;
    struct ay_as_attest_info info;
    assert_int_equal(attest(body, &r, &info), AY_OK);
    json_t *hdr = NULL;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_token_jwt_verify(r.out.ptr, r.out.len, NULL, 0, &d, &hdr, &c), AY_OK);
    json_t *sm = json_object_get(c, "submods");
    assert_int_equal(json_object_size(sm), 3);
    assert_non_null(json_object_get(sm, "cpu0"));
    assert_non_null(json_object_get(sm, "gpu0"));
    assert_non_null(json_object_get(sm, "gpu1"));
    json_decref(c);
    json_decref(hdr);
    req_end(&r);
    free(ev);
}

/* Limits: 16 verification requests (17 refused), evidence of AY_LIMIT_EVIDENCE bytes (one
 * more refused), ids of 128 characters (129 refused). */
static void test_limits(void **state)
{
    (void)state;
    char *ev = sample_evidence("", 0);
    size_t cap = 64 * 1024;
    char *body = malloc(cap);
    size_t n =
        (size_t)snprintf(body, cap, "{\"policy_ids\":[\"nosuch\"],\"verification_requests\":[");
    for (int i = 0; i < 17; i++) {
        n += (size_t)snprintf(body + n, cap - n, "%s{\"tee\":\"sample\",\"evidence\":\"%s\"}",
                              i == 0 ? "" : ",", ev);
        if (i == 15) {
            char *b16 = strndup(body, n);
            size_t m = strlen(b16);
            b16 = realloc(b16, m + 3);
            memcpy(b16 + m, "]}", 3);
            assert_int_equal(attest_simple(b16), AY_ERR_NOT_FOUND); /* 16: up to the policy */
            free(b16);
        }
    }
    (void)snprintf(body + n, cap - n, "]}");
    assert_int_equal(attest_simple(body), AY_ERR_LIMIT);
    free(body);
    free(ev);

    /* Evidence size: a JSON string padded with spaces to exactly the limit, then one more. */
    for (size_t extra = 0; extra < 2; extra++) {
        size_t len = AY_LIMIT_EVIDENCE + extra;
        char *raw = malloc(len);
        memset(raw, ' ', len);
        memcpy(raw, "{\"svn\":\"1\"}", 11);
        char *b = ay_test_b64(AY_B64_URL_NOPAD, raw, len);
        size_t bl = strlen(b) + 200;
        char *req = malloc(bl);
        (void)snprintf(req, bl,
                       "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\"}],"
                       "\"policy_ids\":[\"nosuch\"]}",
                       b);
        assert_int_equal(attest_simple(req), extra == 0 ? AY_ERR_NOT_FOUND : AY_ERR_LIMIT);
        free(req);
        free(b);
        free(raw);
    }

    /* Policy ids: 128 characters accepted, 129 refused. */
    char id[131];
    memset(id, 'a', sizeof id);
    id[128] = '\0';
    char msg[600];
    assert_int_equal(set_policy(id, "package policy\n", msg, sizeof msg), AY_OK);
    struct req r;
    req_begin(&r);
    assert_int_equal(ay_as_policy_delete(as, &r.ctx, id), AY_OK);
    req_end(&r);
    id[128] = 'a';
    id[129] = '\0';
    assert_int_equal(set_policy(id, "package policy\n", msg, sizeof msg), AY_ERR_BAD_REQUEST);
}

/* attestation_token_broker.type "Simple": RS384 token of TRUSTEE.md 4.4 from the same
 * pipeline; a policy's `allow` decides, else the EAR appraisal must not be contraindicated. */
static void test_pipeline_simple_token(void **state)
{
    (void)state;
    char dir[] = "/tmp/assay-simple-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cfg[512];
    (void)snprintf(cfg, sizeof cfg,
                   "{\"work_dir\":\"%s\",\"storage_backend\":{\"storage_type\":\"Memory\"},"
                   "\"attestation_token_broker\":{\"type\":\"Simple\",\"duration_min\":1}}",
                   dir);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_as_config *c = NULL;
    assert_int_equal(ay_as_config_parse(cfg, strlen(cfg), &d, &c), AY_OK);
    struct ay_as *ear_as = as;
    assert_int_equal(ay_as_new(c, &d, &as), AY_OK);
    ay_as_config_free(c);
    char msg[600];
    assert_int_equal(
        set_policy("allowall_cpu", "package policy\n\ndefault allow := true\n", msg, sizeof msg),
        AY_OK);
    assert_int_equal(
        set_policy("denyall_cpu", "package policy\n\ndefault allow := false\n", msg, sizeof msg),
        AY_OK);
    char *ev = sample_evidence("", 0);
    char body[2048];
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\"}],"
                   "\"policy_ids\":[\"allowall\"]}",
                   ev);
    struct req r;
    struct ay_as_attest_info info;
    assert_int_equal(attest(body, &r, &info), AY_OK);
    json_t *hdr = NULL;
    json_t *claims = NULL;
    ay_diag_clear(&d);
    assert_int_equal(ay_token_jwt_verify(r.out.ptr, r.out.len, NULL, r.ctx.now, &d, &hdr, &claims),
                     AY_OK);
    assert_string_equal(json_string_value(json_object_get(hdr, "alg")), "RS384");
    assert_string_equal(json_string_value(json_object_get(claims, "tee")), "sample");
    json_t *tcb = json_loads(json_string_value(json_object_get(claims, "tcb-status")), 0, NULL);
    assert_string_equal(json_string_value(json_object_get(tcb, "sample.svn")), "1");
    assert_int_equal(json_integer_value(json_object_get(claims, "exp")) -
                         json_integer_value(json_object_get(claims, "iat")),
                     60);
    json_t *rep = json_array_get(json_object_get(claims, "evaluation-reports"), 0);
    assert_string_equal(json_string_value(json_object_get(rep, "policy-id")), "allowall");
    assert_int_equal(json_string_length(json_object_get(rep, "policy-hash")), 96);
    json_decref(tcb);
    json_decref(hdr);
    json_decref(claims);
    req_end(&r);
    /* allow false: denied. */
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\"}],"
                   "\"policy_ids\":[\"denyall\"]}",
                   ev);
    assert_int_equal(attest_simple(body), AY_ERR_POLICY_DENIED);
    /* No allow rule: default_cpu without reference values is contraindicated: denied. */
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\"}],"
                   "\"policy_ids\":[]}",
                   ev);
    assert_int_equal(attest_simple(body), AY_ERR_POLICY_DENIED);
    /* Exactly one verification request. */
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\"},"
                   "{\"tee\":\"sample\",\"evidence\":\"%s\"}],\"policy_ids\":[\"allowall\"]}",
                   ev, ev);
    assert_int_equal(attest_simple(body), AY_ERR_UNSUPPORTED);
    free(ev);
    ay_as_free(as);
    as = ear_as;
    char p[256];
    (void)snprintf(p, sizeof p, "%s/token-rs384.pem", dir);
    (void)unlink(p);
    (void)rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_challenge_jwks),
        cmocka_unit_test(test_policy_crud),
        cmocka_unit_test(test_rvps),
        cmocka_unit_test(test_pipeline_default_policy),
        cmocka_unit_test(test_pipeline_custom_policy),
        cmocka_unit_test(test_pipeline_simple_token),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
