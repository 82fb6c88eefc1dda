/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL operations behind the Rego crypto.* and io.jwt.* builtins: EVP digests and HMAC
 * through EVP_MAC (OpenSSL 3 provider API), CRYPTO_memcmp for hmac.equal, JWS keys built with
 * EVP_PKEY_fromdata and RFC 7518 signatures through EVP_DigestSign/Verify. Errors drain through
 * ay_ossl_fail (or ay_ossl_clear where the caller only wants a yes/no). */
#include "crypto/crypto_rego.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "codec/codec_b64.h"
#include "crypto/crypto_ossl.h"

static const char *md_name(const char *alg)
{
    static const char *const names[][2] = {{"md5", "MD5"},
                                           {"sha1", "SHA1"},
                                           {"sha256", "SHA256"},
                                           {"sha384", "SHA384"},
                                           {"sha512", "SHA512"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(alg, names[i][0]) == 0) {
            return names[i][1];
        }
    }
    return NULL;
}

ay_err ay_crypto_rego_digest(const char *alg, const void *p, size_t n, uint8_t *out,
                             size_t *out_len, struct ay_diag *diag)
{
    const char *name = md_name(alg);
    if (name == NULL) {
        return FAIL(diag, AY_ERR_UNSUPPORTED, "unsupported digest %s", alg);
    }
    EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
    if (md == NULL) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "EVP_MD_fetch");
    }
    unsigned int len = 0;
    int ok = EVP_Digest(p, n, out, &len, md, NULL);
    EVP_MD_free(md);
    if (ok != 1) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "EVP_Digest");
    }
    *out_len = len;
    return AY_OK;
}

ay_err ay_crypto_rego_hmac(const char *alg, const void *key, size_t key_len, const void *msg,
                           size_t msg_len, uint8_t *out, size_t *out_len, struct ay_diag *diag)
{
    const char *name = md_name(alg);
    if (name == NULL) {
        return FAIL(diag, AY_ERR_UNSUPPORTED, "unsupported digest %s", alg);
    }
    ay_err err = AY_OK;
    EVP_MAC *mac = NULL;
    EVP_MAC_CTX *ctx = NULL;
    /* an empty key is valid HMAC input; OpenSSL wants a non-NULL pointer */
    static const uint8_t empty[1] = {0};
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)(uintptr_t)name, 0),
        OSSL_PARAM_construct_end(),
    };
    size_t len = 0;
    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) {
        err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "EVP_MAC_fetch");
        goto out;
    }
    ctx = EVP_MAC_CTX_new(mac);
    if (ctx == NULL || EVP_MAC_init(ctx, key_len > 0 ? key : empty, key_len, params) != 1 ||
        EVP_MAC_update(ctx, msg, msg_len) != 1 ||
        EVP_MAC_final(ctx, out, &len, AY_CRYPTO_REGO_MD_MAX) != 1) {
        err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "HMAC");
        goto out;
    }
    *out_len = len;
out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return err;
}

bool ay_crypto_rego_equal(const void *a, size_t an, const void *b, size_t bn)
{
    return an == bn && (an == 0 || CRYPTO_memcmp(a, b, an) == 0);
}

struct ay_crypto_rego_key {
    EVP_PKEY *pkey;  /* NULL for an HMAC secret */
    uint8_t *secret; /* ay_xmalloc'd copy of JWK "k" */
    size_t secret_len;
};

static struct ay_crypto_rego_key *key_new(void)
{
    struct ay_crypto_rego_key *k = ay_xcalloc(1, sizeof *k);
    return k;
}

void ay_crypto_rego_key_free(struct ay_crypto_rego_key *k)
{
    if (k == NULL) {
        return;
    }
    EVP_PKEY_free(k->pkey);
    if (k->secret != NULL) {
        OPENSSL_cleanse(k->secret, k->secret_len);
        ay_free(k->secret);
    }
    ay_free(k);
}

ay_err ay_crypto_rego_key_pem(const char *s, size_t n, bool *is_pem,
                              struct ay_crypto_rego_key **out, struct ay_diag *diag)
{
    *is_pem = false;
    *out = NULL;
    if (n > INT32_MAX) {
        return FAIL(diag, AY_ERR_LIMIT, "key too large");
    }
    BIO *bio = BIO_new_mem_buf(s, (int)n);
    if (bio == NULL) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "BIO_new_mem_buf");
    }
    char *name = NULL, *hdr = NULL;
    unsigned char *data = NULL;
    long len = 0;
    ay_err err = AY_OK;
    EVP_PKEY *pkey = NULL;
    const unsigned char *q = NULL;
    if (PEM_read_bio(bio, &name, &hdr, &data, &len) != 1) {
        /* no PEM block (Go's pem.Decode returned nil): not an error here, try a JWK */
        ay_ossl_clear();
        goto out;
    }
    *is_pem = true;
    /* Go's pem.Decode returns the bytes after the END line as rest; OPA refuses any */
    if (BIO_ctrl_pending(bio) > 0) {
        err = FAIL(diag, AY_ERR_MALFORMED, "extra data after a PEM certificate block");
        goto out;
    }
    q = data;
    if (strcmp(name, "CERTIFICATE") == 0) {
        X509 *x = d2i_X509(NULL, &q, len);
        if (x == NULL || q != data + len) {
            X509_free(x);
            ay_ossl_clear();
            err = FAIL(diag, AY_ERR_MALFORMED,
                       "failed to parse a PEM certificate: x509: malformed certificate");
            goto out;
        }
        pkey = X509_get_pubkey(x);
        X509_free(x);
        if (pkey == NULL) {
            ay_ossl_clear();
            err = FAIL(diag, AY_ERR_MALFORMED,
                       "failed to parse a PEM certificate: x509: unsupported public key");
            goto out;
        }
    } else if (strcmp(name, "PUBLIC KEY") == 0) {
        pkey = d2i_PUBKEY(NULL, &q, len);
        if (pkey == NULL) {
            ay_ossl_clear();
            err = FAIL(diag, AY_ERR_MALFORMED, "failed to parse a PEM public key");
            goto out;
        }
    } else {
        err = FAIL(diag, AY_ERR_MALFORMED, "failed to extract a Key from the PEM certificate");
        goto out;
    }
    *out = key_new();
    (*out)->pkey = pkey;
out:
    OPENSSL_free(name);
    OPENSSL_free(hdr);
    OPENSSL_free(data);
    BIO_free(bio);
    return err;
}

static bool push_bn(OSSL_PARAM_BLD *bld, const char *key, struct ay_crypto_rego_bytes v,
                    BIGNUM **keep, size_t *nkeep)
{
    if (v.n == 0) {
        return true;
    }
    if (v.n > INT32_MAX) {
        return false;
    }
    BIGNUM *bn = BN_bin2bn(v.p, (int)v.n, NULL);
    if (bn == NULL) {
        return false;
    }
    keep[(*nkeep)++] = bn;
    return OSSL_PARAM_BLD_push_BN(bld, key, bn) == 1;
}

static ay_err key_fromdata(const char *type, OSSL_PARAM_BLD *bld, int selection, EVP_PKEY **out,
                           struct ay_diag *diag)
{
    ay_err err = AY_OK;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, out, selection, params) != 1) {
        err = ay_ossl_fail(diag, AY_ERR_MALFORMED, "EVP_PKEY_fromdata");
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return err;
}

static ay_err jwk_rsa(const struct ay_crypto_rego_jwk *j, EVP_PKEY **out, struct ay_diag *diag)
{
    if (j->n.n == 0 || j->e.n == 0) {
        return FAIL(diag, AY_ERR_MALFORMED, "RSA key needs n and e");
    }
    BIGNUM *keep[8];
    size_t nkeep = 0;
    ay_err err = AY_OK;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bld == NULL || !push_bn(bld, OSSL_PKEY_PARAM_RSA_N, j->n, keep, &nkeep) ||
        !push_bn(bld, OSSL_PKEY_PARAM_RSA_E, j->e, keep, &nkeep) ||
        !push_bn(bld, OSSL_PKEY_PARAM_RSA_D, j->d, keep, &nkeep)) {
        err = ay_ossl_fail(diag, AY_ERR_MALFORMED, "RSA key parameters");
        goto out;
    }
    /* the CRT members only when all five are present (RFC 7518 section 6.3.2) */
    if (j->d.n > 0 && j->p.n > 0 && j->q.n > 0 && j->dp.n > 0 && j->dq.n > 0 && j->qi.n > 0) {
        if (!push_bn(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, j->p, keep, &nkeep) ||
            !push_bn(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, j->q, keep, &nkeep) ||
            !push_bn(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, j->dp, keep, &nkeep) ||
            !push_bn(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, j->dq, keep, &nkeep) ||
            !push_bn(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, j->qi, keep, &nkeep)) {
            err = ay_ossl_fail(diag, AY_ERR_MALFORMED, "RSA key parameters");
            goto out;
        }
    }
    err = key_fromdata("RSA", bld, j->d.n > 0 ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, out, diag);
out:
    OSSL_PARAM_BLD_free(bld);
    for (size_t i = 0; i < nkeep; i++) {
        BN_clear_free(keep[i]);
    }
    return err;
}

static ay_err jwk_ec(const struct ay_crypto_rego_jwk *j, EVP_PKEY **out, struct ay_diag *diag)
{
    size_t fl;
    if (strcmp(j->crv, "P-256") == 0) {
        fl = 32;
    } else if (strcmp(j->crv, "P-384") == 0) {
        fl = 48;
    } else if (strcmp(j->crv, "P-521") == 0) {
        fl = 66;
    } else {
        return FAIL(diag, AY_ERR_MALFORMED, "unsupported elliptic curve %s", j->crv);
    }
    if (j->x.n == 0 || j->y.n == 0 || j->x.n > fl || j->y.n > fl) {
        return FAIL(diag, AY_ERR_MALFORMED, "EC key needs x and y of the curve size");
    }
    /* SEC 1 section 2.3.3 uncompressed point: 04 || X || Y, each left-padded to the field */
    uint8_t pt[1 + 2 * 66] = {0x04};
    memcpy(pt + 1 + fl - j->x.n, j->x.p, j->x.n);
    memcpy(pt + 1 + 2 * fl - j->y.n, j->y.p, j->y.n);
    BIGNUM *keep[1];
    size_t nkeep = 0;
    ay_err err = AY_OK;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bld == NULL ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, j->crv, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * fl) != 1 ||
        !push_bn(bld, OSSL_PKEY_PARAM_PRIV_KEY, j->d, keep, &nkeep)) {
        err = ay_ossl_fail(diag, AY_ERR_MALFORMED, "EC key parameters");
        goto out;
    }
    err = key_fromdata("EC", bld, j->d.n > 0 ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, out, diag);
out:
    OSSL_PARAM_BLD_free(bld);
    for (size_t i = 0; i < nkeep; i++) {
        BN_clear_free(keep[i]);
    }
    return err;
}

ay_err ay_crypto_rego_key_jwk(const struct ay_crypto_rego_jwk *j, struct ay_crypto_rego_key **out,
                              struct ay_diag *diag)
{
    *out = NULL;
    EVP_PKEY *pkey = NULL;
    if (strcmp(j->kty, "oct") == 0) {
        /* RFC 7518 section 6.4: the secret; an empty one is a valid (if useless) HMAC key */
        struct ay_crypto_rego_key *k = key_new();
        k->secret = ay_xmalloc(j->k.n > 0 ? j->k.n : 1);
        if (j->k.n > 0) {
            memcpy(k->secret, j->k.p, j->k.n);
        }
        k->secret_len = j->k.n;
        *out = k;
        return AY_OK;
    }
    if (strcmp(j->kty, "RSA") == 0) {
        TRY(jwk_rsa(j, &pkey, diag));
    } else if (strcmp(j->kty, "EC") == 0) {
        TRY(jwk_ec(j, &pkey, diag));
    } else if (strcmp(j->kty, "OKP") == 0) {
        /* RFC 8037 section 2: Ed25519 only (X25519 is not a signature key) */
        if (strcmp(j->crv, "Ed25519") != 0) {
            return FAIL(diag, AY_ERR_MALFORMED, "unsupported OKP curve %s", j->crv);
        }
        if (j->d.n > 0) {
            pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, j->d.p, j->d.n);
        } else {
            pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, j->x.p, j->x.n);
        }
        if (pkey == NULL) {
            return ay_ossl_fail(diag, AY_ERR_MALFORMED, "invalid Ed25519 key");
        }
    } else {
        return FAIL(diag, AY_ERR_MALFORMED, "unsupported key type %s", j->kty);
    }
    *out = key_new();
    (*out)->pkey = pkey;
    return AY_OK;
}

enum jws_family { JWS_HS, JWS_RS, JWS_PS, JWS_ES, JWS_ED };

struct jws_alg {
    const char *name;
    enum jws_family fam;
    const char *md; /* OpenSSL digest name; NULL for EdDSA */
};

/* RFC 7518 section 3.1 (and RFC 8037 section 3.1 for EdDSA) */
static const struct jws_alg JWS_ALGS[] = {
    {"HS256", JWS_HS, "sha256"}, {"HS384", JWS_HS, "sha384"}, {"HS512", JWS_HS, "sha512"},
    {"RS256", JWS_RS, "SHA256"}, {"RS384", JWS_RS, "SHA384"}, {"RS512", JWS_RS, "SHA512"},
    {"PS256", JWS_PS, "SHA256"}, {"PS384", JWS_PS, "SHA384"}, {"PS512", JWS_PS, "SHA512"},
    {"ES256", JWS_ES, "SHA256"}, {"ES384", JWS_ES, "SHA384"}, {"ES512", JWS_ES, "SHA512"},
    {"EdDSA", JWS_ED, NULL},
};

static const struct jws_alg *jws_find(const char *alg)
{
    for (size_t i = 0; i < sizeof JWS_ALGS / sizeof JWS_ALGS[0]; i++) {
        if (strcmp(alg, JWS_ALGS[i].name) == 0) {
            return &JWS_ALGS[i];
        }
    }
    return NULL;
}

bool ay_crypto_rego_jws_alg_known(const char *alg)
{
    return jws_find(alg) != NULL;
}

static bool key_fits(const struct ay_crypto_rego_key *k, enum jws_family fam)
{
    switch (fam) {
    case JWS_HS:
        return k->pkey == NULL;
    case JWS_RS:
    case JWS_PS:
        return k->pkey != NULL && EVP_PKEY_is_a(k->pkey, "RSA");
    case JWS_ES:
        return k->pkey != NULL && EVP_PKEY_is_a(k->pkey, "EC");
    case JWS_ED:
        return k->pkey != NULL && EVP_PKEY_is_a(k->pkey, "ED25519");
    }
    return false;
}

static bool pss_setup(EVP_PKEY_CTX *pctx, enum jws_family fam, int saltlen)
{
    if (fam != JWS_PS) {
        return true;
    }
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) == 1;
}

/* raw r || s (Go's verifyES: split at len/2) to a DER ECDSA-Sig-Value (SEC 1 section C.5) */
static unsigned char *es_der(const uint8_t *sig, size_t n, size_t *der_len)
{
    if (n == 0 || n > AY_CRYPTO_REGO_SIG_MAX) {
        return NULL;
    }
    size_t h = n / 2;
    BIGNUM *r = BN_bin2bn(sig, (int)h, NULL);
    BIGNUM *s = BN_bin2bn(sig + h, (int)(n - h), NULL);
    ECDSA_SIG *es = ECDSA_SIG_new();
    unsigned char *der = NULL;
    if (r == NULL || s == NULL || es == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return NULL;
    }
    int len = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (len <= 0) {
        return NULL;
    }
    *der_len = (size_t)len;
    return der;
}

bool ay_crypto_rego_jws_verify(const struct ay_crypto_rego_key *k, const char *alg, const void *msg,
                               size_t msg_len, const void *sig, size_t sig_len)
{
    const struct jws_alg *a = jws_find(alg);
    if (a == NULL || !key_fits(k, a->fam)) {
        return false;
    }
    if (a->fam == JWS_HS) {
        uint8_t mac[AY_CRYPTO_REGO_MD_MAX];
        size_t mlen;
        struct ay_diag d;
        ay_diag_clear(&d);
        if (ay_crypto_rego_hmac(a->md, k->secret, k->secret_len, msg, msg_len, mac, &mlen, &d) !=
            AY_OK) {
            return false;
        }
        return ay_crypto_rego_equal(mac, mlen, sig, sig_len);
    }
    const unsigned char *s = sig;
    size_t sn = sig_len;
    unsigned char *der = NULL;
    if (a->fam == JWS_ES) {
        der = es_der(sig, sig_len, &sn);
        if (der == NULL) {
            ay_ossl_clear();
            return false;
        }
        s = der;
    }
    bool ok = false;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (ctx != NULL && EVP_DigestVerifyInit_ex(ctx, &pctx, a->md, NULL, NULL, k->pkey, NULL) == 1 &&
        pss_setup(pctx, a->fam, RSA_PSS_SALTLEN_AUTO)) {
        ok = EVP_DigestVerify(ctx, s, sn, msg, msg_len) == 1;
    }
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ay_ossl_clear();
    return ok;
}

/* DER ECDSA-Sig-Value to raw r || s, each padded to the curve's byte size (RFC 7518 3.4) */
static bool es_raw(const EVP_PKEY *pkey, const unsigned char *der, size_t n, uint8_t *out,
                   size_t *out_len)
{
    int bits = EVP_PKEY_get_bits(pkey);
    if (bits <= 0) {
        return false;
    }
    size_t fl = ((size_t)bits + 7) / 8;
    const unsigned char *q = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)n);
    if (es == NULL) {
        return false;
    }
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(es, &r, &s);
    bool ok = 2 * fl <= AY_CRYPTO_REGO_SIG_MAX && BN_bn2binpad(r, out, (int)fl) == (int)fl &&
              BN_bn2binpad(s, out + fl, (int)fl) == (int)fl;
    ECDSA_SIG_free(es);
    *out_len = 2 * fl;
    return ok;
}

ay_err ay_crypto_rego_jws_sign(const struct ay_crypto_rego_key *k, const char *alg, const void *msg,
                               size_t msg_len, uint8_t *sig, size_t *sig_len, struct ay_diag *diag)
{
    const struct jws_alg *a = jws_find(alg);
    if (a == NULL) {
        return FAIL(diag, AY_ERR_UNSUPPORTED, "unknown JWS algorithm: %s", alg);
    }
    if (!key_fits(k, a->fam)) {
        return FAIL(diag, AY_ERR_MALFORMED, "key type does not match the algorithm %s", alg);
    }
    if (a->fam == JWS_HS) {
        return ay_crypto_rego_hmac(a->md, k->secret, k->secret_len, msg, msg_len, sig, sig_len,
                                   diag);
    }
    ay_err err = AY_OK;
    uint8_t tmp[AY_CRYPTO_REGO_SIG_MAX + 16];
    size_t len = sizeof tmp;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (ctx == NULL || EVP_DigestSignInit_ex(ctx, &pctx, a->md, NULL, NULL, k->pkey, NULL) != 1 ||
        !pss_setup(pctx, a->fam, RSA_PSS_SALTLEN_DIGEST) ||
        EVP_DigestSign(ctx, NULL, &len, msg, msg_len) != 1 || len > sizeof tmp ||
        EVP_DigestSign(ctx, tmp, &len, msg, msg_len) != 1) {
        err = ay_ossl_fail(diag, AY_ERR_MALFORMED, "EVP_DigestSign");
        goto out;
    }
    if (a->fam == JWS_ES) {
        if (!es_raw(k->pkey, tmp, len, sig, sig_len)) {
            err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "ECDSA signature encoding");
        }
    } else if (len > AY_CRYPTO_REGO_SIG_MAX) {
        err = FAIL(diag, AY_ERR_LIMIT, "signature too large");
    } else {
        memcpy(sig, tmp, len);
        *sig_len = len;
    }
out:
    EVP_MD_CTX_free(ctx);
    return err;
}

/* ---- X.509 as Go's encoding/json sees it ---- */

static void json_b64(struct ay_buf *b, const uint8_t *p, size_t n)
{
    ay_buf_putc(b, '"');
    ay_b64_encode(AY_B64_STD, p, n, b);
    ay_buf_putc(b, '"');
}

static void json_bn(struct ay_buf *b, const BIGNUM *bn)
{
    char *dec = bn != NULL ? BN_bn2dec(bn) : NULL;
    ay_buf_puts(b, dec != NULL ? dec : "0");
    OPENSSL_free(dec);
}

static void json_asn1_str(struct ay_buf *b, const ASN1_STRING *s)
{
    unsigned char *u = NULL;
    int len = ASN1_STRING_to_UTF8(&u, s);
    if (len < 0) {
        ay_ossl_clear();
        ay_buf_puts(b, "\"\"");
        return;
    }
    ay_buf_json_str(b, (const char *)u, (size_t)len);
    OPENSSL_free(u);
}

/* An OID as Go's asn1.ObjectIdentifier: an array of ints. */
static void json_oid(struct ay_buf *b, const ASN1_OBJECT *o)
{
    char txt[128];
    int n = OBJ_obj2txt(txt, sizeof txt, o, 1);
    ay_buf_putc(b, '[');
    if (n > 0 && (size_t)n < sizeof txt) {
        for (const char *q = txt; *q != '\0'; q++) {
            ay_buf_putc(b, *q == '.' ? ',' : *q);
        }
    }
    ay_buf_putc(b, ']');
}

/* crypto/x509/pkix.Name: the attribute lists Go fills, in Go's field order */
static void json_name(struct ay_buf *b, const X509_NAME *nm)
{
    static const struct {
        int nid;
        const char *field;
        bool single;
    } F[] = {
        {NID_countryName, "Country", false},
        {NID_organizationName, "Organization", false},
        {NID_organizationalUnitName, "OrganizationalUnit", false},
        {NID_localityName, "Locality", false},
        {NID_stateOrProvinceName, "Province", false},
        {NID_streetAddress, "StreetAddress", false},
        {NID_postalCode, "PostalCode", false},
        {NID_serialNumber, "SerialNumber", true},
        {NID_commonName, "CommonName", true},
    };

    int cnt = nm != NULL ? X509_NAME_entry_count(nm) : 0;
    ay_buf_putc(b, '{');
    for (size_t f = 0; f < sizeof F / sizeof F[0]; f++) {
        ay_buf_printf(b, "%s\"%s\":", f > 0 ? "," : "", F[f].field);
        bool any = false;
        for (int i = 0; i < cnt; i++) {
            const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
            if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) != F[f].nid) {
                continue;
            }
            if (F[f].single) {
                /* Go keeps the last value of a single-valued attribute */
                any = true;
                continue;
            }
            ay_buf_putc(b, any ? ',' : '[');
            json_asn1_str(b, X509_NAME_ENTRY_get_data(e));
            any = true;
        }
        if (F[f].single) {
            const ASN1_STRING *last = NULL;
            for (int i = 0; i < cnt; i++) {
                const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
                if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) == F[f].nid) {
                    last = X509_NAME_ENTRY_get_data(e);
                }
            }
            if (last != NULL) {
                json_asn1_str(b, last);
            } else {
                ay_buf_puts(b, "\"\"");
            }
        } else {
            ay_buf_puts(b, any ? "]" : "null");
        }
    }
    ay_buf_puts(b, ",\"Names\":[");
    for (int i = 0; i < cnt; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
        ay_buf_puts(b, i > 0 ? ",{\"Type\":" : "{\"Type\":");
        json_oid(b, X509_NAME_ENTRY_get_object(e));
        ay_buf_puts(b, ",\"Value\":");
        json_asn1_str(b, X509_NAME_ENTRY_get_data(e));
        ay_buf_putc(b, '}');
    }
    ay_buf_puts(b, "],\"ExtraNames\":null}");
}

/* RFC 3339 in UTC, as Go's time.Time marshals */
static void json_time(struct ay_buf *b, const ASN1_TIME *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
        ay_ossl_clear();
        ay_buf_puts(b, "\"0001-01-01T00:00:00Z\"");
        return;
    }
    ay_buf_printf(b, "\"%04d-%02d-%02dT%02d:%02d:%02dZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* subjectAltName (RFC 5280 section 4.2.1.6) split as Go does: DNSNames, EmailAddresses,
 * IPAddresses, URIStrings (OPA's addition: the URIs as strings); null when empty */
static void json_sans(struct ay_buf *b, const GENERAL_NAMES *gens)
{
    static const struct {
        int type;
        const char *field;
    } F[] = {{GEN_DNS, "DNSNames"},
             {GEN_EMAIL, "EmailAddresses"},
             {GEN_IPADD, "IPAddresses"},
             {GEN_URI, "URIStrings"}};

    int cnt = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
    for (size_t f = 0; f < sizeof F / sizeof F[0]; f++) {
        ay_buf_printf(b, ",\"%s\":", F[f].field);
        bool any = false;
        for (int i = 0; i < cnt; i++) {
            const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
            if (g->type != F[f].type) {
                continue;
            }
            ay_buf_putc(b, any ? ',' : '[');
            any = true;
            if (g->type == GEN_IPADD) {
                const ASN1_OCTET_STRING *ip = g->d.iPAddress;
                const unsigned char *q = ASN1_STRING_get0_data(ip);
                int len = ASN1_STRING_length(ip);
                char txt[64] = "";
                if (len == 4) {
                    (void)snprintf(txt, sizeof txt, "%u.%u.%u.%u", q[0], q[1], q[2], q[3]);
                } else if (len == 16) {
                    size_t o = 0;
                    for (int k = 0; k < 16; k += 2) {
                        o += (size_t)snprintf(txt + o, sizeof txt - o, "%s%x", k > 0 ? ":" : "",
                                              (unsigned)(q[k] << 8 | q[k + 1]));
                    }
                }
                ay_buf_json_str(b, txt, strlen(txt));
            } else {
                json_asn1_str(b, g->d.ia5);
            }
        }
        ay_buf_puts(b, any ? "]" : "null");
    }
}

/* Go's x509.PublicKeyAlgorithm numbering */
static int go_pubkey_alg(const EVP_PKEY *k)
{
    if (k == NULL) {
        return 0;
    }
    if (EVP_PKEY_is_a(k, "RSA")) {
        return 1;
    }
    if (EVP_PKEY_is_a(k, "EC")) {
        return 3;
    }
    if (EVP_PKEY_is_a(k, "ED25519")) {
        return 4;
    }
    return 0;
}

static ay_err cert_json(X509 *x, struct ay_buf *b, struct ay_diag *diag)
{
    unsigned char *der = NULL;
    int dn = i2d_X509(x, &der);
    if (dn <= 0) {
        return ay_ossl_fail(diag, AY_ERR_MALFORMED, "i2d_X509");
    }
    ay_buf_puts(b, "{\"Raw\":");
    json_b64(b, der, (size_t)dn);
    OPENSSL_free(der);
    ay_buf_printf(b, ",\"Version\":%ld,\"SerialNumber\":", X509_get_version(x) + 1);
    BIGNUM *sn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    json_bn(b, sn);
    BN_free(sn);
    ay_buf_puts(b, ",\"Issuer\":");
    json_name(b, X509_get_issuer_name(x));
    ay_buf_puts(b, ",\"Subject\":");
    json_name(b, X509_get_subject_name(x));
    ay_buf_puts(b, ",\"NotBefore\":");
    json_time(b, X509_get0_notBefore(x));
    ay_buf_puts(b, ",\"NotAfter\":");
    json_time(b, X509_get0_notAfter(x));
    uint32_t ku = X509_get_key_usage(x);
    /* Go numbers KeyUsage bits from digitalSignature = 1 (RFC 5280 bit 0) upwards */
    int goku = 0;
    if (ku != UINT32_MAX) {
        static const uint32_t bits[] = {
            KU_DIGITAL_SIGNATURE, KU_NON_REPUDIATION, KU_KEY_ENCIPHERMENT,
            KU_DATA_ENCIPHERMENT, KU_KEY_AGREEMENT,   KU_KEY_CERT_SIGN,
            KU_CRL_SIGN,          KU_ENCIPHER_ONLY,   KU_DECIPHER_ONLY};
        for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
            if ((ku & bits[i]) != 0) {
                goku |= 1 << i;
            }
        }
    }
    ay_buf_printf(b, ",\"KeyUsage\":%d,\"PublicKeyAlgorithm\":%d", goku,
                  go_pubkey_alg(X509_get0_pubkey(x)));
    ay_ossl_clear();
    BASIC_CONSTRAINTS *bcons = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
    ay_buf_printf(b, ",\"BasicConstraintsValid\":%s,\"IsCA\":%s", bcons != NULL ? "true" : "false",
                  bcons != NULL && bcons->ca ? "true" : "false");
    BASIC_CONSTRAINTS_free(bcons);
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    json_sans(b, gens);
    GENERAL_NAMES_free(gens);
    ay_ossl_clear();
    ay_buf_putc(b, '}');
    return AY_OK;
}

/* Every certificate of the input, DER back to back (Go's x509.ParseCertificates) or PEM. */
static ay_err read_certs(const uint8_t *p, size_t n, bool pem, STACK_OF(X509) * *out,
                         struct ay_diag *diag)
{
    if (n > INT32_MAX) {
        return FAIL(diag, AY_ERR_LIMIT, "input too large");
    }
    STACK_OF(X509) *sk = sk_X509_new_null();
    if (sk == NULL) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "sk_X509_new_null");
    }
    ay_err err = AY_OK;
    if (pem) {
        BIO *bio = BIO_new_mem_buf(p, (int)n);
        char *name = NULL, *hdr = NULL;
        unsigned char *data = NULL;
        long len = 0;
        while (bio != NULL && PEM_read_bio(bio, &name, &hdr, &data, &len) == 1) {
            const unsigned char *q = data;
            X509 *x = strcmp(name, "CERTIFICATE") == 0 ? d2i_X509(NULL, &q, len) : NULL;
            bool bad = strcmp(name, "CERTIFICATE") == 0 && (x == NULL || q != data + len);
            OPENSSL_free(name);
            OPENSSL_free(hdr);
            OPENSSL_free(data);
            if (bad) {
                X509_free(x);
                err = FAIL(diag, AY_ERR_MALFORMED, "x509: malformed certificate");
                break;
            }
            if (x != NULL &&
                (sk_X509_num(sk) >= AY_LIMIT_REGO_X509_CERTS || sk_X509_push(sk, x) <= 0)) {
                X509_free(x);
                err = FAIL(diag, AY_ERR_LIMIT, "too many certificates");
                break;
            }
        }
        BIO_free(bio);
    } else {
        const unsigned char *q = p;
        const unsigned char *end = p + n;
        while (q < end) {
            X509 *x = d2i_X509(NULL, &q, end - q);
            if (x == NULL) {
                err = FAIL(diag, AY_ERR_MALFORMED, "x509: malformed certificate");
                break;
            }
            if (sk_X509_num(sk) >= AY_LIMIT_REGO_X509_CERTS || sk_X509_push(sk, x) <= 0) {
                X509_free(x);
                err = FAIL(diag, AY_ERR_LIMIT, "too many certificates");
                break;
            }
        }
    }
    ay_ossl_clear();
    if (err == AY_OK && sk_X509_num(sk) == 0) {
        err = FAIL(diag, AY_ERR_MALFORMED, "x509: malformed certificate");
    }
    if (err != AY_OK) {
        sk_X509_pop_free(sk, X509_free);
        return err;
    }
    *out = sk;
    return AY_OK;
}

static ay_err certs_array(STACK_OF(X509) * sk, struct ay_buf *out, struct ay_diag *diag)
{
    ay_buf_putc(out, '[');
    for (int i = 0; i < sk_X509_num(sk); i++) {
        if (i > 0) {
            ay_buf_putc(out, ',');
        }
        TRY(cert_json(sk_X509_value(sk, i), out, diag));
    }
    ay_buf_putc(out, ']');
    return AY_OK;
}

ay_err ay_crypto_rego_certs_json(const uint8_t *p, size_t n, bool pem, struct ay_buf *out,
                                 struct ay_diag *diag)
{
    STACK_OF(X509) *sk = NULL;
    TRY(read_certs(p, n, pem, &sk, diag));
    ay_err err = certs_array(sk, out, diag);
    sk_X509_pop_free(sk, X509_free);
    return err;
}

ay_err ay_crypto_rego_certs_verify_json(const uint8_t *p, size_t n, bool pem, int64_t at, bool *ok,
                                        struct ay_buf *out, struct ay_diag *diag)
{
    *ok = false;
    STACK_OF(X509) *sk = NULL;
    TRY(read_certs(p, n, pem, &sk, diag));
    ay_err err = AY_OK;
    int cnt = sk_X509_num(sk);
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    STACK_OF(X509) *inter = NULL;
    X509_VERIFY_PARAM *vp = NULL;
    if (cnt < 2) {
        err = FAIL(diag, AY_ERR_MALFORMED,
                   "must supply at least two certificates to be able to verify");
        goto out;
    }
    store = X509_STORE_new();
    ctx = X509_STORE_CTX_new();
    inter = sk_X509_new_null();
    if (store == NULL || ctx == NULL || inter == NULL ||
        X509_STORE_add_cert(store, sk_X509_value(sk, 0)) != 1) {
        err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "X509_STORE");
        goto out;
    }
    for (int i = 1; i < cnt - 1; i++) {
        if (sk_X509_push(inter, sk_X509_value(sk, i)) <= 0) {
            err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "sk_X509_push");
            goto out;
        }
    }
    if (X509_STORE_CTX_init(ctx, store, sk_X509_value(sk, cnt - 1), inter) != 1) {
        err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "X509_STORE_CTX_init");
        goto out;
    }
    vp = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(vp, (time_t)at);
    /* Go's ExtKeyUsageAny: no purpose check */
    if (X509_verify_cert(ctx) == 1) {
        STACK_OF(X509) *chain = X509_STORE_CTX_get1_chain(ctx);
        if (chain != NULL) {
            *ok = true;
            err = certs_array(chain, out, diag);
            sk_X509_pop_free(chain, X509_free);
        }
    }
    ay_ossl_clear();
out:
    sk_X509_free(inter);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_pop_free(sk, X509_free);
    return err;
}

ay_err ay_crypto_rego_csr_json(const uint8_t *p, size_t n, bool pem, struct ay_buf *out,
                               struct ay_diag *diag)
{
    if (n > INT32_MAX) {
        return FAIL(diag, AY_ERR_LIMIT, "input too large");
    }
    X509_REQ *req = NULL;
    if (pem) {
        BIO *bio = BIO_new_mem_buf(p, (int)n);
        req = bio != NULL ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
    } else {
        const unsigned char *q = p;
        req = d2i_X509_REQ(NULL, &q, (long)n);
    }
    ay_ossl_clear();
    if (req == NULL) {
        return FAIL(diag, AY_ERR_MALFORMED, "asn1: structure error: malformed certificate request");
    }
    unsigned char *der = NULL;
    int dn = i2d_X509_REQ(req, &der);
    ay_buf_puts(out, "{\"Raw\":");
    json_b64(out, der, dn > 0 ? (size_t)dn : 0);
    OPENSSL_free(der);
    ay_buf_printf(out, ",\"Version\":%ld,\"Subject\":", X509_REQ_get_version(req));
    json_name(out, X509_REQ_get_subject_name(req));
    EVP_PKEY *pk = X509_REQ_get0_pubkey(req);
    ay_buf_printf(out, ",\"PublicKeyAlgorithm\":%d", go_pubkey_alg(pk));
    /* subjectAltName from the extensionRequest attribute (RFC 2986 section 4.1) */
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *gens = NULL;
    for (int i = 0; exts != NULL && i < sk_X509_EXTENSION_num(exts); i++) {
        X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
        if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) == NID_subject_alt_name) {
            gens = X509V3_EXT_d2i(e);
            break;
        }
    }
    json_sans(out, gens);
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    ay_ossl_clear();
    ay_buf_putc(out, '}');
    X509_REQ_free(req);
    return AY_OK;
}

static void json_bn_b64url(struct ay_buf *b, const EVP_PKEY *k, const char *param)
{
    BIGNUM *bn = NULL;
    ay_buf_putc(b, '"');
    if (EVP_PKEY_get_bn_param(k, param, &bn) == 1) {
        int len = BN_num_bytes(bn);
        uint8_t tmp[1024];
        if (len > 0 && (size_t)len <= sizeof tmp && BN_bn2bin(bn, tmp) == len) {
            ay_b64_encode(AY_B64_URL_NOPAD, tmp, (size_t)len, b);
        }
    }
    BN_clear_free(bn);
    ay_buf_putc(b, '"');
}

static void json_bn_param(struct ay_buf *b, const EVP_PKEY *k, const char *param)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(k, param, &bn) == 1) {
        json_bn(b, bn);
    } else {
        ay_buf_puts(b, "null");
    }
    BN_clear_free(bn);
}

/* One private key as a JWK (RFC 7518 section 6.3 / 6.2) or in Go's field names. */
static void key_json(const EVP_PKEY *k, bool jwk, struct ay_buf *b)
{
    if (EVP_PKEY_is_a(k, "RSA")) {
        if (jwk) {
            static const char *const F[][2] = {
                {"d", OSSL_PKEY_PARAM_RSA_D},
                {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
                {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
                {"e", OSSL_PKEY_PARAM_RSA_E},
                {"kty", NULL},
                {"n", OSSL_PKEY_PARAM_RSA_N},
                {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
                {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
                {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
            };
            ay_buf_putc(b, '{');
            for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
                ay_buf_printf(b, "%s\"%s\":", i > 0 ? "," : "", F[i][0]);
                if (F[i][1] == NULL) {
                    ay_buf_puts(b, "\"RSA\"");
                } else {
                    json_bn_b64url(b, k, F[i][1]);
                }
            }
            ay_buf_putc(b, '}');
            return;
        }
        ay_buf_puts(b, "{\"N\":");
        json_bn_param(b, k, OSSL_PKEY_PARAM_RSA_N);
        ay_buf_puts(b, ",\"E\":");
        json_bn_param(b, k, OSSL_PKEY_PARAM_RSA_E);
        ay_buf_puts(b, ",\"D\":");
        json_bn_param(b, k, OSSL_PKEY_PARAM_RSA_D);
        ay_buf_puts(b, ",\"Primes\":[");
        json_bn_param(b, k, OSSL_PKEY_PARAM_RSA_FACTOR1);
        ay_buf_putc(b, ',');
        json_bn_param(b, k, OSSL_PKEY_PARAM_RSA_FACTOR2);
        ay_buf_puts(b, "]}");
        return;
    }
    if (EVP_PKEY_is_a(k, "EC")) {
        ay_buf_puts(b, jwk ? "{\"kty\":\"EC\",\"d\":" : "{\"D\":");
        if (jwk) {
            json_bn_b64url(b, k, OSSL_PKEY_PARAM_PRIV_KEY);
        } else {
            json_bn_param(b, k, OSSL_PKEY_PARAM_PRIV_KEY);
        }
        ay_buf_putc(b, '}');
        return;
    }
    ay_buf_puts(b, "{}");
}

ay_err ay_crypto_rego_private_keys_json(const uint8_t *p, size_t n, bool jwk, size_t *count,
                                        struct ay_buf *out, struct ay_diag *diag)
{
    *count = 0;
    if (n > INT32_MAX) {
        return FAIL(diag, AY_ERR_LIMIT, "input too large");
    }
    BIO *bio = BIO_new_mem_buf(p, (int)n);
    if (bio == NULL) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "BIO_new_mem_buf");
    }
    ay_buf_putc(out, '[');
    char *name = NULL, *hdr = NULL;
    unsigned char *data = NULL;
    long len = 0;
    while (PEM_read_bio(bio, &name, &hdr, &data, &len) == 1) {
        const unsigned char *q = data;
        EVP_PKEY *k = NULL;
        /* Go's getPrivateKeysFromPEMData: PKCS#1, SEC 1 and PKCS#8 blocks */
        if (strcmp(name, "RSA PRIVATE KEY") == 0) {
            k = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &q, len);
        } else if (strcmp(name, "EC PRIVATE KEY") == 0) {
            k = d2i_PrivateKey(EVP_PKEY_EC, NULL, &q, len);
        } else if (strcmp(name, "PRIVATE KEY") == 0) {
            k = d2i_AutoPrivateKey(NULL, &q, len);
        }
        OPENSSL_free(name);
        OPENSSL_free(hdr);
        OPENSSL_free(data);
        name = hdr = NULL;
        data = NULL;
        if (k == NULL) {
            continue;
        }
        if (*count > 0) {
            ay_buf_putc(out, ',');
        }
        key_json(k, jwk, out);
        EVP_PKEY_free(k);
        if (++*count >= AY_LIMIT_REGO_X509_CERTS) {
            break;
        }
    }
    ay_ossl_clear();
    BIO_free(bio);
    ay_buf_putc(out, ']');
    return AY_OK;
}

ay_err ay_crypto_rego_keypair_json(const uint8_t *cert, size_t cert_n, const uint8_t *key,
                                   size_t key_n, struct ay_buf *out, struct ay_diag *diag)
{
    if (key_n > INT32_MAX) {
        return FAIL(diag, AY_ERR_LIMIT, "input too large");
    }
    STACK_OF(X509) *sk = NULL;
    if (read_certs(cert, cert_n, true, &sk, diag) != AY_OK) {
        return FAIL(diag, AY_ERR_MALFORMED,
                    "tls: failed to find any PEM data in certificate input");
    }
    ay_err err = AY_OK;
    BIO *bio = BIO_new_mem_buf(key, (int)key_n);
    EVP_PKEY *k = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ay_ossl_clear();
    if (k == NULL) {
        err = FAIL(diag, AY_ERR_MALFORMED, "tls: failed to find any PEM data in key input");
        goto out;
    }
    if (EVP_PKEY_eq(X509_get0_pubkey(sk_X509_value(sk, 0)), k) != 1) {
        ay_ossl_clear();
        err = FAIL(diag, AY_ERR_MALFORMED, "tls: private key does not match public key");
        goto out;
    }
    ay_buf_puts(out, "{\"Certificate\":[");
    for (int i = 0; i < sk_X509_num(sk); i++) {
        unsigned char *der = NULL;
        int dn = i2d_X509(sk_X509_value(sk, i), &der);
        if (i > 0) {
            ay_buf_putc(out, ',');
        }
        json_b64(out, der, dn > 0 ? (size_t)dn : 0);
        OPENSSL_free(der);
    }
    ay_buf_puts(out, "],\"PrivateKey\":");
    key_json(k, false, out);
    ay_buf_puts(out, ",\"Leaf\":null}");
out:
    EVP_PKEY_free(k);
    sk_X509_pop_free(sk, X509_free);
    return err;
}
