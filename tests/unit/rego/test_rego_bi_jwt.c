/* SPDX-License-Identifier: Apache-2.0 */
/* io.jwt.verify_<alg>, decode_verify and encode_sign(_raw) (OPA folders jwtverifyrsa,
 * jwtdecodeverify, jwtencodesign*; RFC 7515, 7518, 7519, 8037). Signatures are made at test
 * time with fresh keys (ES256 and RS384 from crypto_sign.h); the fixed-output cases use the
 * RFC 7515 appendix A.2 RSA key and the RFC 8037 Ed25519 key with the tokens OPA expects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <jansson.h>

#include "codec/codec_b64.h"
#include "crypto/crypto_sign.h"
#include "test_rego_bi_common.h"

/* RFC 7515 appendix A.2 (the key of OPA's case jwtencodesignraw/appendix-A.2) */
#define RSA_N                                                                                      \
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4" \
    "d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5re" \
    "xMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxX" \
    "FvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
#define RSA_D                                                                                      \
    "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXO" \
    "oAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51" \
    "gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3c" \
    "cPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ"
#define RSA_PUB "{\\\"kty\\\":\\\"RSA\\\",\\\"n\\\":\\\"" RSA_N "\\\",\\\"e\\\":\\\"AQAB\\\"}"
/* private key without the CRT members: OpenSSL signs with n, e, d alone */
#define RSA_PRIV                                    \
    "{\\\"kty\\\":\\\"RSA\\\",\\\"n\\\":\\\"" RSA_N \
    "\\\",\\\"e\\\":\\\"AQAB\\\",\\\"d\\\":\\\"" RSA_D "\\\"}"
#define ED_PRIV                                                                                    \
    "{\\\"kty\\\":\\\"OKP\\\",\\\"crv\\\":\\\"Ed25519\\\",\\\"x\\\":\\\"wEZFfoAj1rFKTLOOmjJjVZlCH" \
    "wksuvMb2I5y_hg70E8\\\",\\\"d\\\":\\\"9XI34uQzYUJfWhDZf_0nYsLMBRVu8a6dFsy60P8uugk\\\"}"
#define ED_PUB                                                                                     \
    "{\\\"kty\\\":\\\"OKP\\\",\\\"crv\\\":\\\"Ed25519\\\",\\\"x\\\":\\\"wEZFfoAj1rFKTLOOmjJjVZlCH" \
    "wksuvMb2I5y_hg70E8\\\"}"

static char tok_buf[4][4096];
static char jwk_buf[4][2048];

/* A compact JWS over header / payload (JSON texts) signed by k. */
static const char *make_token(int slot, struct ay_sign_key *k, const char *header,
                              const char *payload)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, sizeof tok_buf[0] - 1);
    ay_b64_encode(AY_B64_URL_NOPAD, (const uint8_t *)header, strlen(header), &b);
    ay_buf_putc(&b, '.');
    ay_b64_encode(AY_B64_URL_NOPAD, (const uint8_t *)payload, strlen(payload), &b);
    uint8_t sig[AY_SIGN_MAX];
    size_t sig_len = 0;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_sign(k, b.ptr, b.len, sig, &sig_len, &d), AY_OK);
    ay_buf_putc(&b, '.');
    ay_b64_encode(AY_B64_URL_NOPAD, sig, sig_len, &b);
    assert_int_equal(ay_buf_finish(&b), AY_OK);
    memcpy(tok_buf[slot], b.ptr, b.len + 1);
    ay_buf_free(&b);
    return tok_buf[slot];
}

/* The public JWK of k (with kid when non-NULL) as JSON text escaped for a JSON string. */
static const char *make_jwk(int slot, struct ay_sign_key *k, const char *kid)
{
    json_t *j = NULL;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_sign_key_jwk(k, &d, &j), AY_OK);
    if (kid != NULL) {
        json_object_set_new(j, "kid", json_string(kid));
    }
    char *txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    assert_non_null(txt);
    size_t o = 0;
    for (const char *p = txt; *p != '\0'; p++) {
        assert_true(o + 3 < sizeof jwk_buf[0]);
        if (*p == '"') {
            jwk_buf[slot][o++] = '\\';
        }
        jwk_buf[slot][o++] = *p;
    }
    jwk_buf[slot][o] = '\0';
    free(txt);
    return jwk_buf[slot];
}

static const char *call2(const char *name, const char *a, const char *b)
{
    char args[12288];
    int n = snprintf(args, sizeof args, "[\"%s\", \"%s\"]", a, b);
    assert_true(n > 0 && (size_t)n < sizeof args);
    return bt_call(name, args);
}

static const char *call_dv(const char *tok, const char *constraints)
{
    char args[12288];
    int n = snprintf(args, sizeof args, "[\"%s\", %s]", tok, constraints);
    assert_true(n > 0 && (size_t)n < sizeof args);
    return bt_call("io.jwt.decode_verify", args);
}

static struct ay_sign_key *gen(enum ay_sign_alg alg)
{
    struct ay_sign_key *k = NULL;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_sign_key_generate(alg, &d, &k), AY_OK);
    return k;
}

static void test_verify_es_rs(void **state)
{
    (void)state;
    struct ay_sign_key *ec = gen(AY_SIGN_ES256), *ec2 = gen(AY_SIGN_ES256);
    struct ay_sign_key *rsa = gen(AY_SIGN_RS384);
    const char *t = make_token(0, ec, "{\"alg\":\"ES256\"}", "{\"iss\":\"me\"}");
    const char *j = make_jwk(0, ec, NULL);
    const char *j2 = make_jwk(1, ec2, NULL);
    assert_string_equal(call2("io.jwt.verify_es256", t, j), "true");
    assert_string_equal(call2("io.jwt.verify_es256", t, j2), "false");
    /* OPA's verifyES does not tie the curve to the hash: ES384 over P-256 is checked too */
    assert_string_equal(call2("io.jwt.verify_es384", t, j), "false");
    assert_string_equal(call2("io.jwt.verify_rs256", t, j), "false");
    assert_string_equal(call2("io.jwt.verify_eddsa", t, j), "false");

    /* a tampered payload no longer verifies */
    char bad[4096];
    memcpy(bad, t, strlen(t) + 1);
    char *dot = strchr(bad, '.');
    dot[1] = dot[1] == 'e' ? 'f' : 'e';
    assert_string_equal(call2("io.jwt.verify_es256", bad, j), "false");

    /* a JWK set: any key verifies, unless a kid match decides alone */
    char set[4200];
    (void)snprintf(set, sizeof set, "{\\\"keys\\\": [%s, %s]}", make_jwk(2, ec2, "k2"),
                   make_jwk(3, ec, "k1"));
    assert_string_equal(call2("io.jwt.verify_es256", t, set), "true");
    const char *tk = make_token(1, ec, "{\"alg\":\"ES256\",\"kid\":\"k2\"}", "{}");
    assert_string_equal(call2("io.jwt.verify_es256", tk, set), "false");
    tk = make_token(1, ec, "{\"alg\":\"ES256\",\"kid\":\"k1\"}", "{}");
    assert_string_equal(call2("io.jwt.verify_es256", tk, set), "true");
    tk = make_token(1, ec, "{\"alg\":\"ES256\",\"kid\":\"nope\"}", "{}");
    assert_string_equal(call2("io.jwt.verify_es256", tk, set), "true");

    const char *tr = make_token(2, rsa, "{\"alg\":\"RS384\"}", "{\"sub\":\"x\"}");
    const char *jr = make_jwk(0, rsa, NULL);
    assert_string_equal(call2("io.jwt.verify_rs384", tr, jr), "true");
    assert_string_equal(call2("io.jwt.verify_rs256", tr, jr), "false");
    assert_string_equal(call2("io.jwt.verify_rs512", tr, jr), "false");
    assert_string_equal(call2("io.jwt.verify_ps384", tr, jr), "false");
    assert_string_equal(call2("io.jwt.verify_es384", tr, jr), "false");

    ay_sign_key_free(ec);
    ay_sign_key_free(ec2);
    ay_sign_key_free(rsa);
}

static void test_key_errors(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"io.jwt.verify_rs256", "[\"a.b.c\", \"{\\\"kty\\\": \\\"RSA\\\"}\"]",
         "error:failed to parse a JWK key (set)"},
        {"io.jwt.verify_rs256", "[\"a.b.c\", \"not a key\"]",
         "error:failed to parse a JWK key (set)"},
        {"io.jwt.verify_rs256", "[\"a.b.c\", \"{\\\"keys\\\": 1}\"]",
         "error:failed to parse a JWK key (set)"},
        {"io.jwt.verify_rs256",
         "[\"a.b.c\", \"{\\\"kty\\\": \\\"EC\\\", \\\"crv\\\": \\\"P-7\\\"}\"]",
         "error:failed to parse a JWK key (set)"},
        {"io.jwt.verify_rs256",
         "[\"a.b.c\", \"-----BEGIN FOO-----\\nAAAA\\n-----END FOO-----\\n\"]",
         "error:failed to extract a Key from the PEM certificate"},
        {"io.jwt.verify_rs256",
         "[\"a.b.c\", \"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n\"]",
         "error:failed to parse a PEM certificate"},
        {"io.jwt.verify_rs256",
         "[\"a.b.c\", \"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\\n\"]",
         "error:failed to parse a PEM public key"},
        {"io.jwt.verify_rs256",
         "[\"a.b.c\", \"-----BEGIN FOO-----\\nAAAA\\n-----END FOO-----\\nx\"]",
         "error:extra data after a PEM certificate block"},
        {"io.jwt.verify_rs256", "[\"a.b\", \"k\"]",
         "error:encoded JWT must have 3 sections, found 2"},
        {"io.jwt.verify_es512", "[1, \"k\"]", "error:operand 1 must be string but got number"},
        {"io.jwt.verify_ps512", "[\"a.b.c\", 2]", "error:operand 2 must be string but got number"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_decode_verify(void **state)
{
    (void)state;
    struct ay_sign_key *ec = gen(AY_SIGN_ES256), *ec2 = gen(AY_SIGN_ES256);
    const char *t =
        make_token(0, ec, "{\"alg\":\"ES256\",\"typ\":\"JWT\"}",
                   "{\"iss\":\"xxx\",\"aud\":[\"bob\",\"fred\"],\"nbf\":1000,\"exp\":2000}");
    const char *j = make_jwk(0, ec, NULL);
    const char *j2 = make_jwk(1, ec2, NULL);
    char c[3000];
    static const char *const unverified = "[false, {}, {}]";
    /* time in ns: 1500 s is inside [nbf, exp) */
    (void)snprintf(c, sizeof c, "{\"cert\": \"%s\", \"time\": 1500000000000, \"aud\": \"bob\"}", j);
    assert_string_equal(call_dv(t, c), "[true, {\"alg\": \"ES256\", \"typ\": \"JWT\"}, {\"aud\": "
                                       "[\"bob\", \"fred\"], \"exp\": 2000, \"iss\": \"xxx\", "
                                       "\"nbf\": 1000}]");
    (void)snprintf(c, sizeof c,
                   "{\"cert\": \"%s\", \"time\": 1500000000000, \"aud\": \"fred\", \"iss\": "
                   "\"xxx\", \"alg\": \"ES256\"}",
                   j);
    assert_int_equal(call_dv(t, c)[1], 't');
    /* RFC 7519 4.1.4: exp is exclusive; 4.1.5: nbf inclusive */
    (void)snprintf(c, sizeof c, "{\"cert\": \"%s\", \"time\": 2000000000000, \"aud\": \"bob\"}", j);
    assert_string_equal(call_dv(t, c), unverified);
    (void)snprintf(c, sizeof c, "{\"cert\": \"%s\", \"time\": 1000000000000, \"aud\": \"bob\"}", j);
    assert_int_equal(call_dv(t, c)[1], 't');
    (void)snprintf(c, sizeof c, "{\"cert\": \"%s\", \"time\": 999999999999, \"aud\": \"bob\"}", j);
    assert_string_equal(call_dv(t, c), unverified);
    /* the token has aud: a constraint without aud does not accept it */
    (void)snprintf(c, sizeof c, "{\"cert\": \"%s\", \"time\": 1500000000000}", j);
    assert_string_equal(call_dv(t, c), unverified);
    (void)snprintf(c, sizeof c, "{\"cert\": \"%s\", \"time\": 1500000000000, \"aud\": \"cath\"}",
                   j);
    assert_string_equal(call_dv(t, c), unverified);
    (void)snprintf(c, sizeof c,
                   "{\"cert\": \"%s\", \"time\": 1500000000000, \"aud\": \"bob\", \"iss\": \"y\"}",
                   j);
    assert_string_equal(call_dv(t, c), unverified);
    (void)snprintf(c, sizeof c,
                   "{\"cert\": \"%s\", \"time\": 1500000000000, \"aud\": \"bob\", \"alg\": "
                   "\"RS256\"}",
                   j);
    assert_string_equal(call_dv(t, c), unverified);
    (void)snprintf(c, sizeof c, "{\"cert\": \"%s\", \"time\": 1500000000000, \"aud\": \"bob\"}",
                   j2);
    assert_string_equal(call_dv(t, c), unverified);
    /* the evaluation clock (bt_now_ns, 2023) is past exp */
    (void)snprintf(c, sizeof c, "{\"cert\": \"%s\", \"aud\": \"bob\"}", j);
    assert_string_equal(call_dv(t, c), unverified);

    /* header checks: no alg, crit */
    const char *tn = make_token(1, ec, "{\"typ\":\"JWT\"}", "{}");
    (void)snprintf(c, sizeof c, "{\"cert\": \"%s\"}", j);
    assert_string_equal(call_dv(tn, c), unverified);
    tn = make_token(1, ec, "{\"alg\":\"ES256\",\"crit\":[\"junk\"]}", "{}");
    assert_string_equal(call_dv(tn, c), unverified);
    tn = make_token(1, ec, "{\"alg\":\"ES256\"}", "{\"exp\":\"soon\"}");
    assert_string_equal(call_dv(tn, c), "error: io.jwt.decode_verify: exp value must be a number");
    tn = make_token(1, ec, "{\"alg\":\"ES256\"}", "{\"nbf\":null}");
    assert_non_null(strstr(call_dv(tn, c), "nbf value must be a number"));

    /* constraint errors */
    assert_non_null(strstr(call_dv(t, "{}"), "no key constraint"));
    (void)snprintf(c, sizeof c, "{\"cert\": \"%s\", \"secret\": \"s\"}", j);
    assert_non_null(strstr(call_dv(t, c), "duplicate key constraints"));
    assert_non_null(strstr(call_dv(t, "{\"secret\": \"s\", \"bogus\": 1}"),
                           "unknown token validation constraint: bogus"));
    assert_non_null(strstr(call_dv(t, "{\"secret\": 7}"), "must be a string"));
    assert_non_null(strstr(call_dv(t, "[]"), "operand 2 must be object"));
    /* a constraint failing after the cert was parsed (keys are sorted: cert, then time) */
    (void)snprintf(c, sizeof c, "{\"cert\": \"%s\", \"time\": \"soon\"}", j);
    assert_non_null(strstr(call_dv(t, c), "must be a number"));

    ay_sign_key_free(ec);
    ay_sign_key_free(ec2);
}

static void test_decode_verify_hs_nested(void **state)
{
    (void)state;
    /* encode_sign then decode_verify with the same secret; a nested token (cty JWT: the outer
     * payload is the inner token itself, RFC 7519 section 5.2; typ other than JWT lets
     * encode_sign_raw take a non-JSON payload) */
    char args[2048];
    const char *inner = bt_call("io.jwt.encode_sign",
                                "[{\"alg\": \"HS256\"}, {\"iss\": \"in\"}, {\"kty\": \"oct\", "
                                "\"k\": \"c2VjcmV0\"}]");
    char inner_tok[1024];
    assert_true(inner[0] == '"' && strlen(inner) < sizeof inner_tok);
    memcpy(inner_tok, inner + 1, strlen(inner) - 2);
    inner_tok[strlen(inner) - 2] = '\0';
    assert_string_equal(call_dv(inner_tok, "{\"secret\": \"secret\"}"),
                        "[true, {\"alg\": \"HS256\"}, {\"iss\": \"in\"}]");
    assert_string_equal(call_dv(inner_tok, "{\"secret\": \"Secret\"}"), "[false, {}, {}]");
    (void)snprintf(
        args, sizeof args,
        "[\"{\\\"alg\\\":\\\"HS512\\\",\\\"cty\\\":\\\"JWT\\\",\\\"typ\\\":\\\"x\\\"}\", \"%s\", "
        "\"{\\\"kty\\\":\\\"oct\\\",\\\"k\\\":\\\"c2VjcmV0\\\"}\"]",
        inner_tok);
    const char *outer = bt_call("io.jwt.encode_sign_raw", args);
    char outer_tok[2048];
    assert_true(outer[0] == '"' && strlen(outer) < sizeof outer_tok);
    memcpy(outer_tok, outer + 1, strlen(outer) - 2);
    outer_tok[strlen(outer) - 2] = '\0';
    /* the innermost header and payload are returned */
    assert_string_equal(call_dv(outer_tok, "{\"secret\": \"secret\"}"),
                        "[true, {\"alg\": \"HS256\"}, {\"iss\": \"in\"}]");
    assert_string_equal(call_dv(outer_tok, "{\"secret\": \"secret\", \"alg\": \"HS512\"}"),
                        "[false, {}, {}]");
}

static void test_encode_sign(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        /* OPA jwtencodesignraw/appendix-A.2 (RFC 7515 A.2: PKCS#1 v1.5 is deterministic) */
        {"io.jwt.encode_sign_raw",
         "[\"{\\\"alg\\\":\\\"RS256\\\"}\", \"{\\\"iss\\\":\\\"joe\\\",\\r\\n "
         "\\\"exp\\\":1300819380,\\r\\n \\\"http://example.com/is_root\\\":true}\", \"" RSA_PRIV
         "\"]",
         "\"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
         "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZ"
         "j5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZ"
         "LgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"
         "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVr"
         "Bp0igcN_IoypGlUPQGe77Rw\""},
        /* OPA jwtencodesignraw/EdDSA (RFC 8032 signatures are deterministic) */
        {"io.jwt.encode_sign_raw",
         "[\"{\\\"alg\\\":\\\"EdDSA\\\",\\\"typ\\\":\\\"JWT\\\"}\", "
         "\"{\\\"iss\\\":\\\"joe\\\",\\\"exp\\\":1300819380,\\\"http://example.com/is_root\\\":"
         "true}\", \"" ED_PRIV "\"]",
         "\"eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJqb2UiLCJleHAiOjEzMDA4MTkzODAsImh0dHA6"
         "Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.jS1so-rsTaC8DdA8_ZnFXYbi9xOrMVXOviMFrahQ7ez0UKKzj"
         "U-2vxrM0ON-Vu3GXKhtBkkO3SUtNMoeYw3zDQ\""},
        /* OPA jwtencodesign/Empty JSON payload */
        {"io.jwt.encode_sign",
         "[{\"alg\": \"HS256\", \"typ\": \"JWT\"}, {}, {\"k\": "
         "\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CA"
         "ow\", \"kty\": \"oct\"}]",
         "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.6cvao8lnOu6FAdK68jQFcDMXOmaWNwWiYhCgijd-"
         "AD8\""},
        /* OPA jwtencodesignraw/text/plain media type: the payload need not be JSON */
        {"io.jwt.encode_sign_raw",
         "[\"{\\\"typ\\\":\\\"text/plain\\\",\\r\\n \\\"alg\\\":\\\"HS256\\\"}\", \"e\", "
         "\"{\\\"kty\\\":\\\"oct\\\",\\\"k\\\":\\\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1q"
         "S0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\\\"}\"]",
         "\"eyJ0eXAiOiJ0ZXh0L3BsYWluIiwNCiAiYWxnIjoiSFMyNTYifQ.ZQ.oO8Vnc4Jv7-J231a1bEcQrgXfKbNW-kE"
         "vVY7BP1v5rM\""},
        /* header and payload errors (folders jwtencodesignheadererrors / payloaderrors) */
        {"io.jwt.encode_sign_raw",
         "[\"\", \"{}\", \"{\\\"kty\\\":\\\"oct\\\",\\\"k\\\":\\\"AA\\\"}\"]",
         "error:missing or invalid 'alg' header: cannot parse JSON: cannot parse empty string"},
        {"io.jwt.encode_sign_raw",
         "[\"{\\\"typ:\\\"JWT\\\"}\", \"{}\", \"{\\\"kty\\\":\\\"oct\\\",\\\"k\\\":\\\"AA\\\"}\"]",
         "error:missing or invalid 'alg' header: cannot parse JSON"},
        {"io.jwt.encode_sign_raw",
         "[\"{}\", \"{}\", \"{\\\"kty\\\":\\\"oct\\\",\\\"k\\\":\\\"AA\\\"}\"]",
         "error:missing or invalid 'alg' header: jwsbb: header \"alg\" not found"},
        {"io.jwt.encode_sign_raw",
         "[\"{\\\"alg\\\":\\\"dummy\\\"}\", \"{}\", "
         "\"{\\\"kty\\\":\\\"oct\\\",\\\"k\\\":\\\"AA\\\"}\"]",
         "error:unknown JWS algorithm: dummy"},
        {"io.jwt.encode_sign_raw",
         "[\"{\\\"alg\\\":\\\"HS256\\\"}\", \"e\", "
         "\"{\\\"kty\\\":\\\"oct\\\",\\\"k\\\":\\\"AA\\\"}\"]",
         "error:type is JWT but payload is not JSON"},
        /* a key that cannot sign with the algorithm */
        {"io.jwt.encode_sign_raw",
         "[\"{\\\"alg\\\":\\\"RS256\\\"}\", \"{}\", "
         "\"{\\\"kty\\\":\\\"oct\\\",\\\"k\\\":\\\"AA\\\"}\"]",
         "error:key type does not match"},
        {"io.jwt.encode_sign_raw", "[\"{\\\"alg\\\":\\\"RS256\\\"}\", \"{}\", \"" RSA_PUB "\"]",
         "error:io.jwt.encode_sign_raw"},
        {"io.jwt.encode_sign_raw", "[\"{\\\"alg\\\":\\\"HS256\\\"}\", \"{}\", \"nope\"]",
         "error:failed to parse a JWK key (set)"},
        {"io.jwt.encode_sign", "[{\"alg\": \"HS256\"}, [], {}]",
         "error:operand 2 must be object but got array"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

/* Sign with a private JWK, verify with its public half (PSS is randomised: a round trip). */
static void test_sign_round_trip(void **state)
{
    (void)state;
    static const char *const algs[][2] = {
        {"PS256", "io.jwt.verify_ps256"}, {"PS384", "io.jwt.verify_ps384"},
        {"PS512", "io.jwt.verify_ps512"}, {"RS384", "io.jwt.verify_rs384"},
        {"RS512", "io.jwt.verify_rs512"},
    };
    char args[4096];
    char tok[2048];
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        (void)snprintf(args, sizeof args,
                       "[\"{\\\"alg\\\":\\\"%s\\\"}\", \"{\\\"i\\\":1}\", \"" RSA_PRIV "\"]",
                       algs[i][0]);
        const char *t = bt_call("io.jwt.encode_sign_raw", args);
        assert_true(t[0] == '"' && strlen(t) < sizeof tok);
        memcpy(tok, t + 1, strlen(t) - 2);
        tok[strlen(t) - 2] = '\0';
        assert_string_equal(call2(algs[i][1], tok, RSA_PUB), "true");
        assert_string_equal(call2("io.jwt.verify_rs256", tok, RSA_PUB), "false");
        assert_string_equal(call2("io.jwt.verify_es256", tok, RSA_PUB), "false");
    }
    const char *t = bt_call("io.jwt.encode_sign_raw",
                            "[\"{\\\"alg\\\":\\\"EdDSA\\\"}\", \"{}\", \"" ED_PRIV "\"]");
    memcpy(tok, t + 1, strlen(t) - 2);
    tok[strlen(t) - 2] = '\0';
    assert_string_equal(call2("io.jwt.verify_eddsa", tok, ED_PUB), "true");
    assert_string_equal(call2("io.jwt.verify_eddsa", tok, RSA_PUB), "false");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_es_rs),  cmocka_unit_test(test_key_errors),
        cmocka_unit_test(test_decode_verify), cmocka_unit_test(test_decode_verify_hs_nested),
        cmocka_unit_test(test_encode_sign),   cmocka_unit_test(test_sign_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, bt_teardown);
}
