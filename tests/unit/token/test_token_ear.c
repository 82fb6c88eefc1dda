/* SPDX-License-Identifier: Apache-2.0 */
/* Tokens: EAR claims and status roll-up (TRUSTEE.md 4.2), ES256 / RS384 JWS signed and then
 * verified through OpenSSL via a JWKS, the signing key kept in the work directory with mode
 * 0600 and reused, configured keys of the wrong type refused, the simple token's claims. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/base_buf.h"
#include "base/base_err.h"
#include "crypto/crypto_sign.h"
#include "token/token.h"

static char workdir[256];

static int setup(void **state)
{
    (void)state;
    (void)snprintf(workdir, sizeof workdir, "/tmp/assay-token-test-XXXXXX");
    if (mkdtemp(workdir) == NULL) {
        return -1;
    }
    return 0;
}

static void rm_file(const char *name)
{
    char p[512];
    (void)snprintf(p, sizeof p, "%s/%s", workdir, name);
    (void)unlink(p);
}

static int teardown(void **state)
{
    (void)state;
    rm_file("token-es256.pem");
    rm_file("token-rs384.pem");
    rm_file("other.pem");
    (void)rmdir(workdir);
    return 0;
}

static json_t *jwks_of(const struct ay_token_signer *s)
{
    json_t *keys = json_array();
    json_array_append(keys, (json_t *)(uintptr_t)ay_token_signer_jwk(s));
    return json_pack("{s:o}", "keys", keys);
}

static void test_appraisal_rollup(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    json_t *ann = json_pack("{s:{s:s}}", "sample", "svn", "1");
    /* default_cpu with nothing matched: 97 hardware -> contraindicated. */
    json_t *tc = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "executables", 33, "hardware", 97,
                           "configuration", 36, "file-system", 0, "instance-identity", 0,
                           "runtime-opaque", 0, "storage-opaque", 0, "sourced-data", 0);
    json_t *a = NULL;
    assert_int_equal(ay_token_ear_appraisal(tc, NULL, "default", ann, &d, &a), AY_OK);
    assert_string_equal(ay_token_ear_status(a), "contraindicated");
    /* Vector order: instance-identity, configuration, executables, file-system, hardware... */
    char *txt = json_dumps(json_object_get(a, "ear.trustworthiness-vector"), JSON_COMPACT);
    assert_string_equal(txt, "{\"instance-identity\":0,\"configuration\":36,\"executables\":33,"
                             "\"file-system\":0,\"hardware\":97,\"runtime-opaque\":0,"
                             "\"storage-opaque\":0,\"sourced-data\":0}");
    free(txt);
    assert_string_equal(json_string_value(json_object_get(a, "ear.appraisal-policy-id")),
                        "default");
    assert_ptr_equal(json_object_get(a, "ear.veraison.annotated-evidence"), ann);
    json_decref(a);
    /* All approved: affirming; 33 alone: warning; only zeros: none. */
    json_object_set_new(tc, "hardware", json_integer(2));
    json_object_set_new(tc, "executables", json_integer(3));
    json_object_set_new(tc, "configuration", json_integer(2));
    assert_int_equal(ay_token_ear_appraisal(tc, NULL, "default", ann, &d, &a), AY_OK);
    assert_string_equal(ay_token_ear_status(a), "affirming");
    json_decref(a);
    json_object_set_new(tc, "executables", json_integer(33));
    assert_int_equal(ay_token_ear_appraisal(tc, NULL, "default", ann, &d, &a), AY_OK);
    assert_string_equal(ay_token_ear_status(a), "warning");
    json_decref(a);
    /* Undefined rule: every claim 0, status none. */
    assert_int_equal(ay_token_ear_appraisal(NULL, NULL, "default", ann, &d, &a), AY_OK);
    assert_string_equal(ay_token_ear_status(a), "none");
    assert_int_equal(json_object_size(json_object_get(a, "ear.trustworthiness-vector")), 8);
    json_decref(a);
    /* i8 wrap-around: 353 = 0x161 -> 0x61 = 97. -1 stays -1 (none). */
    json_t *wrap = json_pack("{s:i,s:i}", "hardware", 353, "executables", -1);
    assert_int_equal(ay_token_ear_appraisal(wrap, NULL, "p", ann, &d, &a), AY_OK);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(a, "ear.trustworthiness-vector"), "hardware")),
                     97);
    assert_int_equal(json_object_size(json_object_get(a, "ear.trustworthiness-vector")), 2);
    json_decref(a);
    json_decref(wrap);
    json_decref(tc);
    json_decref(ann);
}

static void test_appraisal_errors(void **state)
{
    (void)state;
    struct ay_diag d;
    json_t *ann = json_object();
    json_t *a = NULL;
    json_t *empty = json_object();
    ay_diag_clear(&d);
    assert_int_equal(ay_token_ear_appraisal(empty, NULL, "p", ann, &d, &a), AY_ERR_POLICY_EVAL);
    assert_string_equal(d.msg, "At least one policy claim must be set.");
    json_t *str = json_pack("{s:s}", "hardware", "2");
    ay_diag_clear(&d);
    assert_int_equal(ay_token_ear_appraisal(str, NULL, "p", ann, &d, &a), AY_ERR_POLICY_EVAL);
    assert_string_equal(d.msg, "Trust claim value not number");
    json_t *unk = json_pack("{s:i}", "firmware", 2);
    ay_diag_clear(&d);
    assert_int_equal(ay_token_ear_appraisal(unk, NULL, "p", ann, &d, &a), AY_ERR_POLICY_EVAL);
    json_t *arr = json_array();
    ay_diag_clear(&d);
    assert_int_equal(ay_token_ear_appraisal(arr, NULL, "p", ann, &d, &a), AY_ERR_POLICY_EVAL);
    /* Extensions: registered, null values left out, duplicates refused. */
    json_t *tc = json_pack("{s:i}", "hardware", 2);
    json_t *ext = json_pack("[{s:s,s:i,s:{s:{}}},{s:s,s:i,s:n}]", "name", "ear.trustee.identifiers",
                            "key", -18, "value", "validated", "name", "x-null", "key", 5, "value");
    ay_diag_clear(&d);
    assert_int_equal(ay_token_ear_appraisal(tc, ext, "p", ann, &d, &a), AY_OK);
    assert_non_null(json_object_get(json_object_get(a, "ear.trustee.identifiers"), "validated"));
    assert_null(json_object_get(a, "x-null"));
    json_decref(a);
    json_t *dup = json_pack("[{s:s,s:i,s:i},{s:s,s:i,s:i}]", "name", "a", "key", 1, "value", 1,
                            "name", "b", "key", 1, "value", 2);
    ay_diag_clear(&d);
    assert_int_equal(ay_token_ear_appraisal(tc, dup, "p", ann, &d, &a), AY_ERR_POLICY_EVAL);
    json_t *badext = json_pack("[{s:s}]", "name", "a");
    ay_diag_clear(&d);
    assert_int_equal(ay_token_ear_appraisal(tc, badext, "p", ann, &d, &a), AY_ERR_POLICY_EVAL);
    json_decref(badext);
    json_decref(dup);
    json_decref(ext);
    json_decref(tc);
    json_decref(arr);
    json_decref(unk);
    json_decref(str);
    json_decref(empty);
    json_decref(ann);
}

static void test_ear_sign_verify(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_token_signer_opts o = {AY_SIGN_ES256, NULL, NULL, NULL, workdir};
    struct ay_token_signer *s = NULL;
    assert_int_equal(ay_token_signer_new(&o, &d, &s), AY_OK);
    const json_t *jwk = ay_token_signer_jwk(s);
    assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
    assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
    assert_string_equal(json_string_value(json_object_get(jwk, "alg")), "ES256");
    /* 32-byte coordinates: 43 base64url characters. */
    assert_int_equal(json_string_length(json_object_get(jwk, "x")), 43);
    assert_int_equal(json_string_length(json_object_get(jwk, "y")), 43);

    json_t *submods = json_pack("{s:{s:s}}", "cpu0", "ear.status", "affirming");
    struct ay_ear_params p = {"tag:github.com,2024:confidential-containers/Trustee",
                              "CoCo-Attestation-Service",
                              "https://confidentialcontainers.org",
                              "assay test",
                              1700000000,
                              5};
    json_t *claims = ay_token_ear_claims(&p, submods);
    char *ctext = json_dumps(claims, JSON_COMPACT);
    /* Key order of TRUSTEE.md section 4.2. */
    assert_non_null(strstr(ctext, "{\"eat_profile\":\"tag:github.com,2024:confidential-"
                                  "containers/Trustee\",\"iat\":1700000000,\"ear.verifier-id\":"
                                  "{\"developer\":\"https://confidentialcontainers.org\","
                                  "\"build\":\"assay test\"},\"submods\":"));
    assert_non_null(strstr(ctext, ",\"exp\":1700000300,\"iss\":\"CoCo-Attestation-Service\"}"));
    free(ctext);
    struct ay_buf jwt;
    ay_buf_init(&jwt, NULL, 1 << 20);
    assert_int_equal(ay_token_jwt_sign(s, claims, &jwt, &d), AY_OK);

    json_t *jwks = jwks_of(s);
    json_t *hdr = NULL;
    json_t *got = NULL;
    assert_int_equal(ay_token_jwt_verify(jwt.ptr, jwt.len, jwks, 1700000100, &d, &hdr, &got),
                     AY_OK);
    assert_string_equal(json_string_value(json_object_get(hdr, "alg")), "ES256");
    assert_string_equal(json_string_value(json_object_get(hdr, "typ")), "JWT");
    assert_non_null(json_object_get(hdr, "jwk"));
    assert_null(json_object_get(hdr, "kid"));
    assert_true(json_equal(got, claims));
    json_decref(hdr);
    json_decref(got);
    /* Expired at now > exp. */
    ay_diag_clear(&d);
    assert_int_equal(ay_token_jwt_verify(jwt.ptr, jwt.len, jwks, 1700000301, &d, &hdr, &got),
                     AY_ERR_EXPIRED);
    /* Header jwk (no JWKS) also verifies. */
    ay_diag_clear(&d);
    assert_int_equal(ay_token_jwt_verify(jwt.ptr, jwt.len, NULL, 0, &d, &hdr, &got), AY_OK);
    json_decref(hdr);
    json_decref(got);
    /* One flipped signature character fails. */
    char *bad = strdup(jwt.ptr);
    size_t n = strlen(bad);
    bad[n - 5] = bad[n - 5] == 'A' ? 'B' : 'A';
    ay_diag_clear(&d);
    assert_int_equal(ay_token_jwt_verify(bad, n, jwks, 0, &d, &hdr, &got), AY_ERR_BAD_SIGNATURE);
    /* A tampered payload fails. */
    memcpy(bad, jwt.ptr, n + 1);
    char *dot = strchr(bad, '.');
    dot[3] = dot[3] == 'x' ? 'y' : 'x';
    ay_diag_clear(&d);
    assert_int_not_equal(ay_token_jwt_verify(bad, n, jwks, 0, &d, &hdr, &got), AY_OK);
    /* Structure errors. */
    ay_diag_clear(&d);
    assert_int_equal(ay_token_jwt_verify("a.b", 3, jwks, 0, &d, &hdr, &got), AY_ERR_MALFORMED);
    ay_diag_clear(&d);
    assert_int_equal(ay_token_jwt_verify("a.b.c.d", 7, jwks, 0, &d, &hdr, &got), AY_ERR_MALFORMED);
    free(bad);

    /* A different key does not verify this token. */
    struct ay_token_signer_opts o2 = {AY_SIGN_ES256, NULL, NULL, NULL, "/nonexistent-dir-xyz"};
    (void)o2;
    struct ay_sign_key *other = NULL;
    ay_diag_clear(&d);
    assert_int_equal(ay_sign_key_generate(AY_SIGN_ES256, &d, &other), AY_OK);
    json_t *ojwk = NULL;
    assert_int_equal(ay_sign_key_jwk(other, &d, &ojwk), AY_OK);
    json_t *ojwks = json_pack("{s:[o]}", "keys", ojwk);
    ay_diag_clear(&d);
    assert_int_equal(ay_token_jwt_verify(jwt.ptr, jwt.len, ojwks, 0, &d, &hdr, &got),
                     AY_ERR_BAD_SIGNATURE);
    json_decref(ojwks);
    ay_sign_key_free(other);

    ay_buf_free(&jwt);
    json_decref(jwks);
    json_decref(claims);
    json_decref(submods);
    ay_token_signer_free(s);
}

static void test_key_persistence(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_token_signer_opts o = {AY_SIGN_ES256, NULL, NULL, NULL, workdir};
    struct ay_token_signer *a = NULL;
    struct ay_token_signer *b = NULL;
    assert_int_equal(ay_token_signer_new(&o, &d, &a), AY_OK);
    assert_int_equal(ay_token_signer_new(&o, &d, &b), AY_OK);
    /* Same key across "restarts". */
    assert_true(json_equal((json_t *)(uintptr_t)ay_token_signer_jwk(a),
                           (json_t *)(uintptr_t)ay_token_signer_jwk(b)));
    char path[512];
    (void)snprintf(path, sizeof path, "%s/token-es256.pem", workdir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    ay_token_signer_free(a);
    ay_token_signer_free(b);

    /* The key file as key_path gives the same JWK; the EC key as an RS384 key is refused. */
    struct ay_token_signer_opts oc = {AY_SIGN_ES256, path, NULL, "https://example/chain.pem", NULL};
    assert_int_equal(ay_token_signer_new(&oc, &d, &a), AY_OK);
    assert_string_equal(json_string_value(json_object_get(ay_token_signer_jwk(a), "x5u")),
                        "https://example/chain.pem");
    ay_token_signer_free(a);
    struct ay_token_signer_opts ow = {AY_SIGN_RS384, path, NULL, NULL, NULL};
    ay_diag_clear(&d);
    assert_int_equal(ay_token_signer_new(&ow, &d, &a), AY_ERR_CONFIG);
    /* A P-384 key is refused for ES256 (TRUSTEE.md section 4.1). */
    char p384[512];
    (void)snprintf(p384, sizeof p384, "%s/other.pem", workdir);
    char cmd[1024];
    (void)snprintf(cmd, sizeof cmd,
                   "openssl ecparam -name secp384r1 -genkey -noout -out %s 2>/dev/null", p384);
    if (system(cmd) == 0) { /* banned-ok: runs the openssl CLI as an independent check */
        struct ay_token_signer_opts o3 = {AY_SIGN_ES256, p384, NULL, NULL, NULL};
        ay_diag_clear(&d);
        assert_int_equal(ay_token_signer_new(&o3, &d, &a), AY_ERR_CONFIG);
        assert_non_null(strstr(d.msg, "Only P-256"));
    }
    /* A missing configured key is an error, not a silently generated one. */
    struct ay_token_signer_opts om = {AY_SIGN_ES256, "/nonexistent/key.pem", NULL, NULL, NULL};
    ay_diag_clear(&d);
    assert_int_not_equal(ay_token_signer_new(&om, &d, &a), AY_OK);
    /* Garbage PEM. */
    FILE *f = fopen(p384, "w");
    assert_non_null(f);
    fputs("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", f);
    fclose(f);
    struct ay_token_signer_opts og = {AY_SIGN_ES256, p384, NULL, NULL, NULL};
    ay_diag_clear(&d);
    assert_int_equal(ay_token_signer_new(&og, &d, &a), AY_ERR_CONFIG);
}

static void test_x5c(void **state)
{
    (void)state;
    char key[512];
    char crt[512];
    char cmd[2048];
    (void)snprintf(key, sizeof key, "%s/token-es256.pem", workdir);
    (void)snprintf(crt, sizeof crt, "%s/other.pem", workdir);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_token_signer_opts o = {AY_SIGN_ES256, NULL, NULL, NULL, workdir};
    struct ay_token_signer *s = NULL;
    assert_int_equal(ay_token_signer_new(&o, &d, &s), AY_OK);
    ay_token_signer_free(s);
    (void)snprintf(cmd, sizeof cmd,
                   "openssl req -new -x509 -key %s -subj /CN=assay-test -days 2 -out %s "
                   "2>/dev/null",
                   key, crt);
    if (system(cmd) != 0) { /* banned-ok: runs the openssl CLI as an independent check */
        skip();
    }
    struct ay_token_signer_opts oc = {AY_SIGN_ES256, key, crt, NULL, NULL};
    assert_int_equal(ay_token_signer_new(&oc, &d, &s), AY_OK);
    const json_t *x5c = json_object_get(ay_token_signer_jwk(s), "x5c");
    assert_int_equal(json_array_size(x5c), 1);
    /* Standard base64 DER of a certificate: starts with "MII". */
    assert_memory_equal(json_string_value(json_array_get(x5c, 0)), "MII", 3);
    ay_token_signer_free(s);
    /* A certificate for a different key is refused. */
    (void)snprintf(cmd, sizeof cmd,
                   "openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                   "-keyout /dev/null -subj /CN=other -days 2 -out %s 2>/dev/null",
                   crt);
    if (system(cmd) == 0) { /* banned-ok: runs the openssl CLI as an independent check */
        ay_diag_clear(&d);
        assert_int_equal(ay_token_signer_new(&oc, &d, &s), AY_ERR_CONFIG);
    }
}

static void test_rs384_simple(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_token_signer_opts o = {AY_SIGN_RS384, NULL, NULL, NULL, workdir};
    struct ay_token_signer *s = NULL;
    assert_int_equal(ay_token_signer_new(&o, &d, &s), AY_OK);
    assert_string_equal(json_string_value(json_object_get(ay_token_signer_jwk(s), "kty")), "RSA");
    json_t *claims =
        json_pack("{s:{s:s,s:{s:i}},s:s,s:n}", "sample", "svn", "1", "platform_version", "major", 1,
                  "report_data", "AAA=", "runtime_data_claims");
    json_t *flat = ay_token_simple_flatten(claims, "sample");
    assert_string_equal(json_string_value(json_object_get(flat, "sample.svn")), "1");
    assert_int_equal(json_integer_value(json_object_get(flat, "sample.platform_version.major")), 1);
    assert_string_equal(json_string_value(json_object_get(flat, "report_data")), "AAA=");
    assert_int_equal(json_object_size(flat), 3);
    struct ay_simple_params sp = {
        "CoCo-Attestation-Service", 1700000000, 5, "sample", "default", "00", NULL, NULL};
    json_t *tc = NULL;
    assert_int_equal(ay_token_simple_claims(&sp, flat, &d, &tc), AY_OK);
    assert_int_equal(json_string_length(json_object_get(tc, "jti")), 10);
    assert_true(json_is_string(json_object_get(tc, "tcb-status")));
    assert_int_equal(json_integer_value(json_object_get(tc, "nbf")), 1700000000);
    struct ay_buf jwt;
    ay_buf_init(&jwt, NULL, 1 << 20);
    assert_int_equal(ay_token_jwt_sign(s, tc, &jwt, &d), AY_OK);
    json_t *jwks = jwks_of(s);
    json_t *hdr = NULL;
    json_t *got = NULL;
    assert_int_equal(ay_token_jwt_verify(jwt.ptr, jwt.len, jwks, 0, &d, &hdr, &got), AY_OK);
    assert_string_equal(json_string_value(json_object_get(hdr, "alg")), "RS384");
    json_decref(hdr);
    json_decref(got);
    ay_buf_free(&jwt);
    json_decref(jwks);
    json_decref(tc);
    json_decref(flat);
    json_decref(claims);
    ay_token_signer_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appraisal_rollup),
        cmocka_unit_test(test_appraisal_errors),
        cmocka_unit_test(test_ear_sign_verify),
        cmocka_unit_test(test_key_persistence),
        cmocka_unit_test(test_x5c),
        cmocka_unit_test(test_rs384_simple),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
