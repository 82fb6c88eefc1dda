/* SPDX-License-Identifier: Apache-2.0 */
/* crypto.* builtins (OPA topdown/crypto.go): crypto.md5/sha1/sha256 give the lower-case hex
 * digest of a string; crypto.hmac.md5/sha1/sha256/sha512(x, key) the hex HMAC (RFC 2104);
 * crypto.hmac.equal compares two MACs in constant time. The OpenSSL calls are in
 * src/crypto/crypto_rego.c. Not implemented: crypto.x509.*, crypto.parse_private_keys. */
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

const struct ay_rego_bi ay_rego_bi_crypto[] = {
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
