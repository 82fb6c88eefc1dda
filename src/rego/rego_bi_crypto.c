/* SPDX-License-Identifier: Apache-2.0 */
/* crypto.* builtins (OPA topdown/crypto.go): crypto.md5/sha1/sha256 give the lower-case hex
 * digest of a string; crypto.hmac.md5/sha1/sha256/sha512(x, key) the hex HMAC (RFC 2104);
 * crypto.hmac.equal compares two MACs in constant time; crypto.x509.parse_certificates,
 * parse_and_verify_certificates, parse_certificate_request, parse_keypair,
 * parse_rsa_private_key and crypto.parse_private_keys read PEM or base64 DER (RFC 5280,
 * RFC 2986, RFC 7468) into objects shaped as Go's encoding/json output of the x509 types (a
 * subset of the fields: see crypto_rego.h). The OpenSSL calls are in src/crypto/crypto_rego.c. */
#include <string.h>

#include "base/base_buf.h"
#include "crypto/crypto_rego.h"
#include "rego/rego_bi_util.h"

static ay_err hex_result(struct ay_rego_bctx *bc, const uint8_t *p, size_t n, struct ay_val *out)
{
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    ay_buf_hex(&b, p, n);
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err digest(struct ay_rego_bctx *bc, const struct ay_val *args, const char *alg,
                     struct ay_val *out)
{
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    uint8_t md[AY_CRYPTO_REGO_MD_MAX];
    size_t len;
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_crypto_rego_digest(alg, s, n, md, &len, &d) != AY_OK) {
        return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
    }
    return hex_result(bc, md, len, out);
}

static ay_err hmac(struct ay_rego_bctx *bc, const struct ay_val *args, const char *alg,
                   struct ay_val *out)
{
    const char *s, *k;
    size_t n, kn;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    TRY(ay_rego_bu_str(bc, args, 1, &k, &kn));
    uint8_t md[AY_CRYPTO_REGO_MD_MAX];
    size_t len;
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_crypto_rego_hmac(alg, k, kn, s, n, md, &len, &d) != AY_OK) {
        return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
    }
    return hex_result(bc, md, len, out);
}

#define DIGEST_FN(fname, alg)                                                             \
    static ay_err fname(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs, \
                        struct ay_val *out)                                               \
    {                                                                                     \
        (void)nargs;                                                                      \
        return digest(bc, args, alg, out);                                                \
    }

#define HMAC_FN(fname, alg)                                                               \
    static ay_err fname(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs, \
                        struct ay_val *out)                                               \
    {                                                                                     \
        (void)nargs;                                                                      \
        return hmac(bc, args, alg, out);                                                  \
    }

DIGEST_FN(bi_md5, "md5")
DIGEST_FN(bi_sha1, "sha1")
DIGEST_FN(bi_sha256, "sha256")
HMAC_FN(bi_hmac_md5, "md5")
HMAC_FN(bi_hmac_sha1, "sha1")
HMAC_FN(bi_hmac_sha256, "sha256")
HMAC_FN(bi_hmac_sha512, "sha512")

static ay_err bi_hmac_equal(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    const char *a, *b;
    size_t an, bn;
    TRY(ay_rego_bu_str(bc, args, 0, &a, &an));
    TRY(ay_rego_bu_str(bc, args, 1, &b, &bn));
    *out = ay_val_bool(ay_crypto_rego_equal(a, an, b, bn));
    return AY_OK;
}

/* ---- X.509 ---- */

static bool has_pem_prefix(const char *s, size_t n)
{
    return n >= 10 && memcmp(s, "-----BEGIN", 10) == 0;
}

/* s decoded as standard base64 (Go's rules), into the builtin arena. */
static ay_err b64_input(struct ay_rego_bctx *bc, const char *s, size_t n, const uint8_t **p,
                        size_t *pn)
{
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    size_t bad;
    if (!ay_rego_bu_b64_decode(s, n, false, true, &b, &bad)) {
        return ay_rego_bi_fail(bc, "illegal base64 data at input byte %zu", bad);
    }
    TRY(ay_buf_finish(&b));
    *p = (const uint8_t *)(b.ptr != NULL ? b.ptr : "");
    *pn = b.len;
    return AY_OK;
}

/* PEM text as given, or the base64 of it (OPA's getStringFromInput-style handling). */
static ay_err pem_input(struct ay_rego_bctx *bc, const char *s, size_t n, const uint8_t **p,
                        size_t *pn)
{
    if (has_pem_prefix(s, n)) {
        *p = (const uint8_t *)s;
        *pn = n;
        return AY_OK;
    }
    return b64_input(bc, s, n, p, pn);
}

/* OPA's getX509CertsFromString: PEM text, or base64 of PEM or DER; *pem says which. */
static ay_err x509_input(struct ay_rego_bctx *bc, const char *s, size_t n, const uint8_t **p,
                         size_t *pn, bool *pem)
{
    TRY(pem_input(bc, s, n, p, pn));
    *pem = has_pem_prefix((const char *)*p, *pn);
    return AY_OK;
}

/* The JSON text built by the crypto layer as a value. */
static ay_err json_result(struct ay_rego_bctx *bc, const struct ay_buf *b, struct ay_val *out)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_val_parse_json(bc->arena, b->ptr != NULL ? b->ptr : "", b->len, 0, &d, out) != AY_OK) {
        return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
    }
    return AY_OK;
}

static ay_err bi_x509_parse(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n, pn;
    const uint8_t *p;
    bool pem;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    TRY(x509_input(bc, s, n, &p, &pn, &pem));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_crypto_rego_certs_json(p, pn, pem, &b, &d) != AY_OK) {
        return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
    }
    TRY(ay_buf_finish(&b));
    return json_result(bc, &b, out);
}

static ay_err bi_x509_parse_verify(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                   struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n, pn;
    const uint8_t *p;
    bool pem;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_val items[2] = {ay_val_bool(false), ay_val_empty(AY_V_ARR)};
    /* OPA: input that does not parse or verify gives [false, []], not an error */
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    bool ok = false;
    struct ay_diag *saved = bc->diag;
    bc->diag = &d;
    ay_err err = x509_input(bc, s, n, &p, &pn, &pem);
    bc->diag = saved;
    if (err == AY_OK &&
        ay_crypto_rego_certs_verify_json(p, pn, pem, ay_rego_bctx_now_ns(bc) / 1000000000, &ok, &b, &d) ==
            AY_OK &&
        ok) {
        TRY(ay_buf_finish(&b));
        items[0] = ay_val_bool(true);
        TRY(json_result(bc, &b, &items[1]));
    }
    return ay_val_array(bc->arena, items, 2, out);
}

static ay_err bi_x509_parse_csr(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    const uint8_t *p = (const uint8_t *)s;
    size_t pn = n;
    static const char csr_hdr[] = "-----BEGIN CERTIFICATE REQUEST-----";
    if (n < sizeof csr_hdr - 1 || memcmp(s, csr_hdr, sizeof csr_hdr - 1) != 0) {
        TRY(b64_input(bc, s, n, &p, &pn));
    }
    bool pem = has_pem_prefix((const char *)p, pn);
    if (pem && (pn < sizeof csr_hdr - 1 || memcmp(p, csr_hdr, sizeof csr_hdr - 1) != 0)) {
        return ay_rego_bi_fail(bc, "invalid PEM-encoded certificate signing request");
    }
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_crypto_rego_csr_json(p, pn, pem, &b, &d) != AY_OK) {
        return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
    }
    TRY(ay_buf_finish(&b));
    return json_result(bc, &b, out);
}

static ay_err private_keys(struct ay_rego_bctx *bc, const uint8_t *p, size_t pn, bool jwk,
                           size_t *count, struct ay_val *out)
{
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_crypto_rego_private_keys_json(p, pn, jwk, count, &b, &d) != AY_OK) {
        return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
    }
    TRY(ay_buf_finish(&b));
    return json_result(bc, &b, out);
}

static ay_err bi_parse_rsa_private_key(struct ay_rego_bctx *bc, const struct ay_val *args,
                                       size_t nargs, struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n, pn, count;
    const uint8_t *p;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    TRY(pem_input(bc, s, n, &p, &pn));
    struct ay_val arr;
    TRY(private_keys(bc, p, pn, true, &count, &arr));
    if (count == 0 || arr.kind != AY_V_ARR || arr.len == 0) {
        return ay_rego_bi_fail(bc, "failed to parse PEM data");
    }
    *out = arr.u.items[0];
    return AY_OK;
}

static ay_err bi_parse_private_keys(struct ay_rego_bctx *bc, const struct ay_val *args,
                                    size_t nargs, struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n, pn, count;
    const uint8_t *p;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    if (n == 0) {
        *out = ay_val_null();
        return AY_OK;
    }
    TRY(pem_input(bc, s, n, &p, &pn));
    return private_keys(bc, p, pn, false, &count, out);
}

static ay_err bi_parse_keypair(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)nargs;
    const char *c, *k;
    size_t cn, kn, cpn, kpn;
    const uint8_t *cp, *kp;
    TRY(ay_rego_bu_str(bc, args, 0, &c, &cn));
    TRY(ay_rego_bu_str(bc, args, 1, &k, &kn));
    TRY(pem_input(bc, c, cn, &cp, &cpn));
    TRY(pem_input(bc, k, kn, &kp, &kpn));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_crypto_rego_keypair_json(cp, cpn, kp, kpn, &b, &d) != AY_OK) {
        return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
    }
    TRY(ay_buf_finish(&b));
    return json_result(bc, &b, out);
}

const struct ay_rego_bi ay_rego_bi_crypto[] = {
    {"crypto.x509.parse_certificates", 1, bi_x509_parse, 0},
    {"crypto.x509.parse_and_verify_certificates", 1, bi_x509_parse_verify, 0},
    {"crypto.x509.parse_certificate_request", 1, bi_x509_parse_csr, 0},
    {"crypto.x509.parse_keypair", 2, bi_parse_keypair, 0},
    {"crypto.x509.parse_rsa_private_key", 1, bi_parse_rsa_private_key, 0},
    {"crypto.parse_private_keys", 1, bi_parse_private_keys, 0},
    {"crypto.md5", 1, bi_md5, 0},
    {"crypto.sha1", 1, bi_sha1, 0},
    {"crypto.sha256", 1, bi_sha256, 0},
    {"crypto.hmac.md5", 2, bi_hmac_md5, 0},
    {"crypto.hmac.sha1", 2, bi_hmac_sha1, 0},
    {"crypto.hmac.sha256", 2, bi_hmac_sha256, 0},
    {"crypto.hmac.sha512", 2, bi_hmac_sha512, 0},
    {"crypto.hmac.equal", 2, bi_hmac_equal, 0},
    {NULL, 0, NULL, 0},
};
