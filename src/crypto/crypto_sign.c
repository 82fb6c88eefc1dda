/* SPDX-License-Identifier: Apache-2.0 */
/* JOSE signing keys over OpenSSL 3 EVP: ES256 (JWS r||s, RFC 7518 section 3.4) and RS384
 * (RFC 7518 section 3.3). Only this file touches the private key material. */
#include "crypto/crypto_sign.h"

#include <pthread.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "base/base_buf.h"
#include "base/base_mem.h"
#include "codec/codec_b64.h"
#include "crypto/crypto_ossl.h"

/* ES256 signing contexts ready for EVP_PKEY_sign (key attached, algorithm fetched, sign_init
 * done), kept for reuse: building one per token (EVP_DigestSignInit_ex fetches the digest and
 * the signature method by name and copies the digest context at the end) costs about a fifth
 * of the signature itself. A context serves one thread at a time, so concurrent signers take
 * one each from this stack; the stack holds at most SIGN_POOL_MAX idle ones. */
#define SIGN_POOL_MAX 32

struct sign_pool {
    pthread_mutex_t lock;
    EVP_MD *sha256; /* fetched once */
    EVP_PKEY_CTX *idle[SIGN_POOL_MAX];
    size_t n_idle;
};

struct ay_sign_key {
    enum ay_sign_alg alg;
    EVP_PKEY *pkey;
    struct sign_pool *pool; /* ES256 only; a pointer so that const keys can use it */
};

#define ES256_COORD 32

const char *ay_sign_alg_name(enum ay_sign_alg alg)
{
    switch (alg) {
    case AY_SIGN_ES256:
        return "ES256";
    case AY_SIGN_RS384:
        return "RS384";
    }
    return "?";
}

static ay_err wrap(enum ay_sign_alg alg, EVP_PKEY *pkey, struct ay_sign_key **out)
{
    struct ay_sign_key *k = ay_xcalloc(1, sizeof *k);
    k->alg = alg;
    k->pkey = pkey;
    if (alg == AY_SIGN_ES256) {
        k->pool = ay_xcalloc(1, sizeof *k->pool);
        (void)pthread_mutex_init(&k->pool->lock, NULL);
        /* NULL here only makes ay_sign take the one-shot path below. */
        k->pool->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        ay_ossl_clear();
    }
    *out = k;
    return AY_OK;
}

static void pool_free(struct sign_pool *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->n_idle; i++) {
        EVP_PKEY_CTX_free(p->idle[i]);
    }
    EVP_MD_free(p->sha256);
    (void)pthread_mutex_destroy(&p->lock);
    ay_free(p);
}

/* An idle ES256 context, or a new one; NULL on an OpenSSL failure (error queue kept). */
static EVP_PKEY_CTX *pool_take(const struct ay_sign_key *k)
{
    EVP_PKEY_CTX *pc = NULL;
    struct sign_pool *p = k->pool;
    (void)pthread_mutex_lock(&p->lock);
    if (p->n_idle > 0) {
        pc = p->idle[--p->n_idle];
    }
    (void)pthread_mutex_unlock(&p->lock);
    if (pc != NULL) {
        return pc;
    }
    pc = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
    if (pc == NULL || EVP_PKEY_sign_init(pc) != 1) {
        EVP_PKEY_CTX_free(pc);
        return NULL;
    }
    return pc;
}

static void pool_give(const struct ay_sign_key *k, EVP_PKEY_CTX *pc)
{
    struct sign_pool *p = k->pool;
    (void)pthread_mutex_lock(&p->lock);
    if (p->n_idle < SIGN_POOL_MAX) {
        p->idle[p->n_idle++] = pc;
        pc = NULL;
    }
    (void)pthread_mutex_unlock(&p->lock);
    EVP_PKEY_CTX_free(pc);
}

ay_err ay_sign_key_generate(enum ay_sign_alg alg, struct ay_diag *diag, struct ay_sign_key **out)
{
    EVP_PKEY *pkey = NULL;
    switch (alg) {
    case AY_SIGN_ES256:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case AY_SIGN_RS384:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        break;
    }
    if (pkey == NULL) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "token key generation");
    }
    return wrap(alg, pkey, out);
}

/* TRUSTEE.md section 4.1: a configured EAR signer must be EC P-256. */
static ay_err check_key_type(enum ay_sign_alg alg, EVP_PKEY *pkey, struct ay_diag *diag)
{
    switch (alg) {
    case AY_SIGN_ES256: {
        char group[64] = "";
        size_t glen = 0;
        if (!EVP_PKEY_is_a(pkey, "EC") ||
            EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           &glen) != 1 ||
            strcmp(group, "prime256v1") != 0) {
            ay_ossl_clear();
            return FAIL(diag, AY_ERR_CONFIG,
                        "Only P-256 attestation token signing keys are supported");
        }
        return AY_OK;
    }
    case AY_SIGN_RS384:
        if (!EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_get_bits(pkey) < 2048) {
            return FAIL(diag, AY_ERR_CONFIG, "the simple token needs an RSA key of >= 2048 bits");
        }
        return AY_OK;
    }
    return AY_ERR_INTERNAL;
}

ay_err ay_sign_key_load_pem(enum ay_sign_alg alg, const uint8_t *pem, size_t len,
                            struct ay_diag *diag, struct ay_sign_key **out)
{
    if (len > INT32_MAX) {
        return FAIL(diag, AY_ERR_LIMIT, "key file too large");
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "BIO_new_mem_buf");
    }
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (pkey == NULL) {
        return ay_ossl_fail(diag, AY_ERR_CONFIG, "token signing key is not a PEM private key");
    }
    ay_err err = check_key_type(alg, pkey, diag);
    if (err != AY_OK) {
        EVP_PKEY_free(pkey);
        return err;
    }
    return wrap(alg, pkey, out);
}

ay_err ay_sign_key_save_pem(const struct ay_sign_key *k, struct ay_buf *out, struct ay_diag *diag)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "BIO_new");
    }
    if (PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) != 1) {
        BIO_free(bio);
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "PEM_write_bio_PrivateKey");
    }
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    if (n > 0 && p != NULL) {
        ay_buf_put(out, p, (size_t)n);
        OPENSSL_cleanse(p, (size_t)n);
    }
    BIO_free(bio);
    return ay_buf_finish(out);
}

void ay_sign_key_free(struct ay_sign_key *k)
{
    if (k == NULL) {
        return;
    }
    pool_free(k->pool);
    EVP_PKEY_free(k->pkey);
    ay_free(k);
}

enum ay_sign_alg ay_sign_key_alg(const struct ay_sign_key *k)
{
    return k->alg;
}

static json_t *b64url_json(const uint8_t *p, size_t n)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, (size_t)1 << 20);
    ay_b64_encode(AY_B64_URL_NOPAD, p, n, &b);
    json_t *s = json_stringn(b.ptr != NULL ? b.ptr : "", b.len);
    ay_buf_free(&b);
    return s;
}

/* A BIGNUM parameter as big-endian bytes, left-padded to pad bytes (0 = minimal). */
static json_t *bn_param_b64(EVP_PKEY *pkey, const char *name, size_t pad)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
        return NULL;
    }
    size_t n = (size_t)BN_num_bytes(bn);
    if (pad != 0 && n > pad) {
        BN_free(bn);
        return NULL;
    }
    size_t len = pad != 0 ? pad : (n == 0 ? 1 : n);
    uint8_t *buf = ay_xmalloc(len);
    json_t *s = NULL;
    if (BN_bn2binpad(bn, buf, (int)len) == (int)len) {
        s = b64url_json(buf, len);
    }
    ay_free(buf);
    BN_free(bn);
    return s;
}

ay_err ay_sign_key_jwk(const struct ay_sign_key *k, struct ay_diag *diag, json_t **out)
{
    json_t *jwk = json_object();
    json_t *a = NULL;
    json_t *b = NULL;
    switch (k->alg) {
    case AY_SIGN_ES256:
        a = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, ES256_COORD);
        b = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, ES256_COORD);
        if (a == NULL || b == NULL) {
            break;
        }
        json_object_set_new(jwk, "kty", json_string("EC"));
        json_object_set_new(jwk, "crv", json_string("P-256"));
        json_object_set_new(jwk, "alg", json_string("ES256"));
        json_object_set_new(jwk, "x", a);
        json_object_set_new(jwk, "y", b);
        *out = jwk;
        return AY_OK;
    case AY_SIGN_RS384:
        a = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_RSA_N, 0);
        b = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_RSA_E, 0);
        if (a == NULL || b == NULL) {
            break;
        }
        json_object_set_new(jwk, "kty", json_string("RSA"));
        json_object_set_new(jwk, "alg", json_string("RS384"));
        json_object_set_new(jwk, "n", a);
        json_object_set_new(jwk, "e", b);
        *out = jwk;
        return AY_OK;
    }
    json_decref(a);
    json_decref(b);
    json_decref(jwk);
    return ay_ossl_fail(diag, AY_ERR_CRYPTO, "JWK export");
}

/* ES256 over a pooled context: SHA-256 of the message, then ECDSA on the digest (the same
 * signature EVP_DigestSign makes, RFC 7518 section 3.4). *der_len: in capacity, out length. */
static ay_err es256_der(const struct ay_sign_key *k, const void *msg, size_t len, uint8_t *der,
                        size_t *der_len, struct ay_diag *diag)
{
    uint8_t h[32];
    unsigned hl = 0;
    if (EVP_Digest(msg, len, h, &hl, k->pool->sha256, NULL) != 1 || hl != sizeof h) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "token signature digest");
    }
    EVP_PKEY_CTX *pc = pool_take(k);
    if (pc == NULL) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "token signature context");
    }
    if (EVP_PKEY_sign(pc, der, der_len, h, sizeof h) != 1) {
        EVP_PKEY_CTX_free(pc); /* not put back: its state is unknown */
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "token signature");
    }
    pool_give(k, pc);
    return AY_OK;
}

ay_err ay_sign(const struct ay_sign_key *k, const void *msg, size_t len, uint8_t *sig,
               size_t *sig_len, struct ay_diag *diag)
{
    ay_err err = AY_OK;
    EVP_MD_CTX *md = NULL;
    ECDSA_SIG *es = NULL;
    uint8_t der[AY_SIGN_MAX];
    size_t der_len = sizeof der;
    const char *mdname = k->alg == AY_SIGN_ES256 ? "SHA256" : "SHA384";
    const uint8_t *p = der;
    const BIGNUM *r = NULL;
    const BIGNUM *s = NULL;
    if (k->pool != NULL && k->pool->sha256 != NULL) {
        CHECK(es256_der(k, msg, len, der, &der_len, diag));
    } else if ((md = EVP_MD_CTX_new()) == NULL ||
               EVP_DigestSignInit_ex(md, NULL, mdname, NULL, NULL, k->pkey, NULL) != 1 ||
               EVP_DigestSign(md, NULL, &der_len, msg, len) != 1 || der_len > sizeof der ||
               EVP_DigestSign(md, der, &der_len, msg, len) != 1) {
        err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "token signature");
        goto out;
    }
    if (k->alg == AY_SIGN_RS384) {
        memcpy(sig, der, der_len);
        *sig_len = der_len;
        goto out;
    }
    /* RFC 7518 section 3.4: the JWS form is R and S as 32-byte big-endian octets. */
    es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (es != NULL) {
        ECDSA_SIG_get0(es, &r, &s);
    }
    if (es == NULL || BN_bn2binpad(r, sig, ES256_COORD) != ES256_COORD ||
        BN_bn2binpad(s, sig + ES256_COORD, ES256_COORD) != ES256_COORD) {
        err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "ECDSA signature conversion");
        goto out;
    }
    *sig_len = 2 * ES256_COORD;
out:
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    return err;
}

static ay_err jwk_bytes(const json_t *jwk, const char *name, uint8_t *dst, size_t cap,
                        size_t *out_len)
{
    const json_t *v = json_object_get(jwk, name);
    if (!json_is_string(v)) {
        return AY_ERR_MALFORMED;
    }
    return ay_b64_decode_to(AY_B64_URL_NOPAD, json_string_value(v), json_string_length(v), dst, cap,
                            out_len);
}

static ay_err pkey_from_jwk(enum ay_sign_alg alg, const json_t *jwk, struct ay_diag *diag,
                            EVP_PKEY **out)
{
    ay_err err = AY_OK;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    BIGNUM *n = NULL;
    BIGNUM *e = NULL;
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    /* OSSL_PARAM_BLD keeps a pointer to the octet string until OSSL_PARAM_BLD_to_param, so
     * the point must live in this scope. */
    uint8_t pt[1 + 2 * ES256_COORD];
    if (bld == NULL) {
        err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "OSSL_PARAM_BLD_new");
        goto out;
    }
    if (alg == AY_SIGN_ES256) {
        size_t xl = 0;
        size_t yl = 0;
        const char *crv = json_string_value(json_object_get(jwk, "crv"));
        if (kty == NULL || strcmp(kty, "EC") != 0 || crv == NULL || strcmp(crv, "P-256") != 0 ||
            jwk_bytes(jwk, "x", pt + 1, ES256_COORD, &xl) != AY_OK ||
            jwk_bytes(jwk, "y", pt + 1 + ES256_COORD, ES256_COORD, &yl) != AY_OK ||
            xl != ES256_COORD || yl != ES256_COORD) {
            err = FAIL(diag, AY_ERR_MALFORMED, "JWK is not an EC P-256 public key");
            goto out;
        }
        pt[0] = 0x04; /* SEC 1 uncompressed point */
        if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) != 1 ||
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt) != 1) {
            err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "EC params");
            goto out;
        }
    } else {
        uint8_t nb[1024];
        uint8_t eb[16];
        size_t nl = 0;
        size_t el = 0;
        if (kty == NULL || strcmp(kty, "RSA") != 0 ||
            jwk_bytes(jwk, "n", nb, sizeof nb, &nl) != AY_OK ||
            jwk_bytes(jwk, "e", eb, sizeof eb, &el) != AY_OK || nl == 0 || el == 0) {
            err = FAIL(diag, AY_ERR_MALFORMED, "JWK is not an RSA public key");
            goto out;
        }
        n = BN_bin2bn(nb, (int)nl, NULL);
        e = BN_bin2bn(eb, (int)el, NULL);
        if (n == NULL || e == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1) {
            err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "RSA params");
            goto out;
        }
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    pc = EVP_PKEY_CTX_new_from_name(NULL, alg == AY_SIGN_ES256 ? "EC" : "RSA", NULL);
    if (params == NULL || pc == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
        EVP_PKEY_fromdata(pc, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        err = ay_ossl_fail(diag, AY_ERR_MALFORMED, "JWK public key");
        goto out;
    }
out:
    BN_free(n);
    BN_free(e);
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return err;
}

ay_err ay_sign_verify_jwk(enum ay_sign_alg alg, const json_t *jwk, const void *msg, size_t len,
                          const uint8_t *sig, size_t sig_len, struct ay_diag *diag)
{
    ay_err err = AY_OK;
    EVP_PKEY *pkey = NULL;
    EVP_MD_CTX *md = NULL;
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL;
    BIGNUM *s = NULL;
    uint8_t *der = NULL;
    const uint8_t *sigp = sig;
    size_t siglen = sig_len;
    int dl = 0;
    int rc = 0;
    CHECK(pkey_from_jwk(alg, jwk, diag, &pkey));
    if (alg == AY_SIGN_ES256) {
        if (sig_len != 2 * ES256_COORD) {
            err = FAIL(diag, AY_ERR_BAD_SIGNATURE, "ES256 signature is %zu bytes, not 64", sig_len);
            goto out;
        }
        es = ECDSA_SIG_new();
        r = BN_bin2bn(sig, ES256_COORD, NULL);
        s = BN_bin2bn(sig + ES256_COORD, ES256_COORD, NULL);
        if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
            err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "ECDSA_SIG");
            goto out;
        }
        r = NULL;
        s = NULL;
        dl = i2d_ECDSA_SIG(es, &der);
        if (dl <= 0) {
            err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "i2d_ECDSA_SIG");
            goto out;
        }
        sigp = der;
        siglen = (size_t)dl;
    }
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestVerifyInit_ex(md, NULL, alg == AY_SIGN_ES256 ? "SHA256" : "SHA384",
                                              NULL, NULL, pkey, NULL) != 1) {
        err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "EVP_DigestVerifyInit");
        goto out;
    }
    /* EVP_DigestVerify is tri-state: 1 valid, 0 invalid, < 0 error (STYLE.md B.5). */
    rc = EVP_DigestVerify(md, sigp, siglen, msg, len);
    if (rc != 1) {
        ay_ossl_clear();
        err =
            FAIL(diag, AY_ERR_BAD_SIGNATURE, "%s signature does not verify", ay_sign_alg_name(alg));
    }
out:
    OPENSSL_free(der);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    return err;
}

ay_err ay_sign_x5c_from_pem(const uint8_t *pem, size_t len, struct ay_diag *diag, json_t **out)
{
    if (len > INT32_MAX) {
        return FAIL(diag, AY_ERR_LIMIT, "certificate chain too large");
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "BIO_new_mem_buf");
    }
    json_t *arr = json_array();
    X509 *x;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        uint8_t *der = NULL;
        int dl = i2d_X509(x, &der);
        X509_free(x);
        if (dl <= 0) {
            continue;
        }
        struct ay_buf b;
        ay_buf_init(&b, NULL, (size_t)1 << 22);
        ay_b64_encode(AY_B64_STD, der, (size_t)dl, &b);
        json_array_append_new(arr, json_stringn(b.ptr != NULL ? b.ptr : "", b.len));
        ay_buf_free(&b);
        OPENSSL_free(der);
    }
    ay_ossl_clear(); /* the loop ends on a "no start line" entry */
    BIO_free(bio);
    if (json_array_size(arr) == 0) {
        json_decref(arr);
        return FAIL(diag, AY_ERR_CONFIG, "certificate chain holds no PEM certificate");
    }
    *out = arr;
    return AY_OK;
}

ay_err ay_sign_x5c_matches(const struct ay_sign_key *k, const json_t *x5c, struct ay_diag *diag)
{
    const json_t *first = json_array_get(x5c, 0);
    if (!json_is_string(first)) {
        return FAIL(diag, AY_ERR_CONFIG, "x5c is empty");
    }
    size_t n = json_string_length(first);
    uint8_t *der = ay_xmalloc(ay_b64_decoded_max(n) + 1);
    size_t dl = 0;
    ay_err err = ay_b64_decode_to(AY_B64_STD, json_string_value(first), n, der,
                                  ay_b64_decoded_max(n) + 1, &dl);
    X509 *cert = NULL;
    if (err == AY_OK) {
        const uint8_t *p = der;
        cert = d2i_X509(NULL, &p, (long)dl);
    }
    EVP_PKEY *pub = cert != NULL ? X509_get0_pubkey(cert) : NULL;
    if (pub == NULL) {
        err = ay_ossl_fail(diag, AY_ERR_CONFIG, "first certificate of the chain");
    } else if (EVP_PKEY_eq(pub, k->pkey) != 1) {
        ay_ossl_clear();
        err = FAIL(diag, AY_ERR_CONFIG,
                   "the first certificate of signer.cert_path does not hold the signing key");
    }
    X509_free(cert);
    ay_free(der);
    return err;
}

ay_err ay_sign_random(uint8_t *out, size_t n, struct ay_diag *diag)
{
    if (n > INT32_MAX || RAND_bytes(out, (int)n) != 1) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "RAND_bytes");
    }
    return AY_OK;
}
