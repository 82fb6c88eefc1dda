/* SPDX-License-Identifier: Apache-2.0 */
/* COSE_Sign1 with ECDSA (RFC 9052/9053), COSE_Key and JWK EC keys, and an EC signing key for
 * tests: the crypto half of the CCA token verifier (CCA-KBS.md section 1.5 steps 2, 5-7). */
#include "crypto/crypto_cose.h"

#include <pthread.h>
#include <string.h>

#include <cbor.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "base/base_arena.h"
#include "base/base_mem.h"
#include "codec/codec_b64.h"
#include "codec/codec_cbor.h"
#include "codec/codec_cbor_lib.h"
#include "crypto/crypto_ossl.h"

#define COSE_TAG_SIGN1 18 /* RFC 9052 section 4.2 */
#define COSE_HDR_ALG   1  /* RFC 9052 section 3.1 */

/* The fields of a decoded COSE_Sign1 item; spans borrowed from root. */
static ay_err sign1_fields(struct ay_diag *d, const char *what, const cbor_item_t *root,
                           struct ay_cose_sign1 *s)
{
    uint64_t tag = 0;
    const cbor_item_t *arr = NULL;
    /* CCA-KBS.md section 1.1: each token is a TAGGED COSE_Sign1. */
    if (ay_cbor_untag(root, &tag, &arr) != AY_OK || tag != COSE_TAG_SIGN1) {
        return FAIL(d, AY_ERR_MALFORMED, "%s: not a tagged COSE_Sign1 (tag 18)", what);
    }
    if (ay_cbor_array_len(arr) != 4) {
        return FAIL(d, AY_ERR_MALFORMED, "%s: COSE_Sign1 is not an array of 4", what);
    }
    if (ay_cbor_bstr(ay_cbor_array_at(arr, 0), &s->protected_bytes) != AY_OK ||
        !ay_cbor_is_map(ay_cbor_array_at(arr, 1)) ||
        ay_cbor_bstr(ay_cbor_array_at(arr, 2), &s->payload) != AY_OK ||
        ay_cbor_bstr(ay_cbor_array_at(arr, 3), &s->signature) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED,
                    "%s: COSE_Sign1 wants [bstr protected, map unprotected, bstr payload, bstr "
                    "signature] (detached payloads are not used by CCA)",
                    what);
    }
    /* The protected header is a bstr holding an encoded map (RFC 9052 section 3). */
    if (s->protected_bytes.len == 0) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "%s: COSE_Sign1 has no protected header (no alg)", what);
    }
    cbor_item_t *hdr = NULL;
    TRY(ay_cbor_decode(d, what, s->protected_bytes, &hdr));
    bool ok = ay_cbor_is_map(hdr) && ay_cbor_map_unique_int_keys(hdr) == AY_OK &&
              ay_cbor_int(ay_cbor_map_get_int(hdr, COSE_HDR_ALG), &s->alg) == AY_OK;
    ay_cbor_free(hdr);
    if (!ok) {
        return FAIL(d, AY_ERR_UNSUPPORTED,
                    "%s: COSE protected header lacks an integer alg (label 1)", what);
    }
    return AY_OK;
}

ay_err ay_cose_sign1_decode(struct ay_diag *d, const char *what, struct ay_span in,
                            cbor_item_t **out_item, struct ay_cose_sign1 *out)
{
    cbor_item_t *root = NULL;
    TRY(ay_cbor_decode(d, what, in, &root));
    struct ay_cose_sign1 s;
    memset(&s, 0, sizeof s);
    ay_err err = sign1_fields(d, what, root, &s);
    if (err != AY_OK) {
        ay_cbor_free(root);
        return err;
    }
    *out_item = root;
    *out = s;
    return AY_OK;
}

ay_err ay_cose_sig_structure(struct ay_arena *a, struct ay_span protected_bytes,
                             struct ay_span payload, struct ay_span *out)
{
    static const uint8_t empty[1] = {0};
    const struct ay_cbor_lib *lib = NULL;
    TRY(ay_cbor_lib_get(NULL, &lib));
    cbor_item_t *arr = lib->new_definite_array(4);
    ENSURE(arr != NULL, AY_ERR_INTERNAL);
    bool ok = lib->array_push(arr, lib->move(lib->build_string("Signature1"))) &&
              lib->array_push(arr, lib->move(lib->build_bytestring(protected_bytes.ptr,
                                                                   protected_bytes.len))) &&
              lib->array_push(arr, lib->move(lib->build_bytestring(empty, 0))) &&
              lib->array_push(arr, lib->move(lib->build_bytestring(payload.ptr, payload.len)));
    ay_err err = AY_ERR_INTERNAL;
    if (ok) {
        /* 4 heads of at most 9 bytes, the 10-byte context string and the two contents. */
        err = ay_cbor_encode(arr, a, protected_bytes.len + payload.len + 64, out);
    }
    lib->decref(&arr);
    return err;
}

ay_err ay_cose_sign1_verify(struct ay_diag *d, const char *what, const struct ay_cose_sign1 *s,
                            const struct ay_pkey *k, struct ay_arena *a)
{
    enum ay_hash h;
    size_t half;
    switch (s->alg) {
    case AY_COSE_ES256:
        h = AY_HASH_SHA256;
        half = 32;
        break;
    case AY_COSE_ES384:
        h = AY_HASH_SHA384;
        half = 48;
        break;
    case AY_COSE_ES512:
        h = AY_HASH_SHA512;
        half = 66;
        break;
    default:
        return FAIL(d, AY_ERR_UNSUPPORTED, "%s: COSE alg %lld is not supported (ES256/384/512)",
                    what, (long long)s->alg);
    }
    /* RFC 9053 section 2.1: the signature is r || s, each the size of the curve order. */
    if (s->signature.len != 2 * half) {
        return FAIL(d, AY_ERR_BAD_SIGNATURE, "%s: signature is %zu bytes, alg %lld wants %zu", what,
                    s->signature.len, (long long)s->alg, 2 * half);
    }
    struct ay_span tbs;
    if (ay_cose_sig_structure(a, s->protected_bytes, s->payload, &tbs) != AY_OK) {
        return FAIL(d, AY_ERR_LIMIT, "%s: cannot build the COSE Sig_structure", what);
    }
    struct ay_cur c;
    struct ay_span r;
    struct ay_span sv;
    ay_cur_init(&c, s->signature);
    TRY(ay_cur_bytes(&c, half, &r));
    TRY(ay_cur_bytes(&c, half, &sv));
    ay_err err = ay_pkey_verify_ecdsa_rs(d, k, h, tbs, r, sv);
    if (err != AY_OK) {
        ay_diag_prefix(d, "%s", what);
    }
    return err;
}

/* The curves of COSE EC2 keys and JWKs (RFC 9053 table 18; RFC 7518 section 6.2.1.1), with
 * the DER SubjectPublicKeyInfo header (RFC 5480) that precedes the uncompressed point. */
struct curve {
    const char *group;
    size_t field;
    int64_t cose_crv;
    const uint8_t *spki;
    size_t spki_len;
};

static const uint8_t SPKI_P256[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                    0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                    0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
static const uint8_t SPKI_P384[] = {0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                    0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
                                    0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00};
static const uint8_t SPKI_P521[] = {0x30, 0x81, 0x9b, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                    0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81,
                                    0x04, 0x00, 0x23, 0x03, 0x81, 0x86, 0x00};

static const struct curve CURVES[] = {
    {"P-256", 32, 1, SPKI_P256, sizeof SPKI_P256},
    {"P-384", 48, 2, SPKI_P384, sizeof SPKI_P384},
    {"P-521", 66, 3, SPKI_P521, sizeof SPKI_P521},
};

#define MAX_FIELD 66

static const struct curve *curve_named(const char *group)
{
    for (size_t i = 0; i < sizeof CURVES / sizeof CURVES[0]; i++) {
        if (group != NULL && strcmp(group, CURVES[i].group) == 0) {
            return &CURVES[i];
        }
    }
    return NULL;
}

static const struct curve *curve_of(enum ay_curve curve)
{
    return curve == AY_CURVE_P256 ? &CURVES[0] : &CURVES[1];
}

/* Imported keys, by curve and point: a CPAK is the same for every token of a platform and a
 * RAK for every token of a realm, and an import costs about a tenth of a P-384 verification
 * (bench_cca_csv). ay_pkey objects are immutable and shared by reference. */
#define KEY_CACHE_N 64

static struct {
    pthread_mutex_t mu;

    struct {
        const struct curve *c;
        uint8_t xy[2 * MAX_FIELD];
        struct ay_pkey *k;
    } e[KEY_CACHE_N];

    size_t n;
    size_t next;
} keys = {.mu = PTHREAD_MUTEX_INITIALIZER};

static struct ay_pkey *key_lookup(const struct curve *c, struct ay_span xy)
{
    struct ay_pkey *k = NULL;
    pthread_mutex_lock(&keys.mu);
    for (size_t i = 0; i < keys.n && k == NULL; i++) {
        if (keys.e[i].c == c && memcmp(keys.e[i].xy, xy.ptr, xy.len) == 0) {
            k = ay_pkey_ref(keys.e[i].k);
        }
    }
    pthread_mutex_unlock(&keys.mu);
    return k;
}

static void key_remember(const struct curve *c, struct ay_span xy, struct ay_pkey *k)
{
    pthread_mutex_lock(&keys.mu);
    size_t i;
    if (keys.n < KEY_CACHE_N) {
        i = keys.n++;
    } else {
        i = keys.next; /* full: replace the oldest (FIFO) */
        keys.next = (keys.next + 1) % KEY_CACHE_N;
    }
    struct ay_pkey *old = keys.e[i].k;
    keys.e[i].c = c;
    memcpy(keys.e[i].xy, xy.ptr, xy.len);
    keys.e[i].k = ay_pkey_ref(k);
    pthread_mutex_unlock(&keys.mu);
    ay_pkey_free(old);
}

/* Through a DER SubjectPublicKeyInfo: OpenSSL's decoder puts the point on the curve
 * (EC_POINT_oct2point checks it), which is all a signature verification needs on these
 * prime-order curves; the full EVP_PKEY_public_check of ay_pkey_from_ec_xy adds a scalar
 * multiplication by the order, as costly as the verification itself (bench_cca_csv). */
ay_err ay_ec_pkey_from_point(struct ay_diag *d, const char *group, struct ay_span xy,
                             struct ay_pkey **out)
{
    const struct curve *c = curve_named(group);
    if (c == NULL) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "EC key: curve %s is not supported (P-256/384/521)",
                    group ? group : "(none)");
    }
    if (xy.len != 2 * c->field) {
        return FAIL(d, AY_ERR_MALFORMED, "EC key: %zu bytes, %s wants %zu", xy.len, c->group,
                    2 * c->field);
    }
    struct ay_pkey *hit = key_lookup(c, xy);
    if (hit != NULL) {
        *out = hit;
        return AY_OK;
    }
    uint8_t der[sizeof SPKI_P521 + 1 + 2 * MAX_FIELD];
    memcpy(der, c->spki, c->spki_len);
    der[c->spki_len] = 0x04; /* uncompressed point */
    memcpy(der + c->spki_len + 1, xy.ptr, xy.len);
    ay_err err = ay_pkey_parse_spki(d, ay_span_of(der, c->spki_len + 1 + xy.len), out);
    if (err != AY_OK) {
        ay_diag_clear(d);
        return FAIL(d, AY_ERR_MALFORMED, "EC key: not a point on %s", c->group);
    }
    key_remember(c, xy, *out);
    return AY_OK;
}

static ay_err cose_key_fields(struct ay_diag *d, const cbor_item_t *key, struct ay_pkey **out)
{
    int64_t kty = 0;
    int64_t crv = 0;
    struct ay_span x;
    struct ay_span y;
    /* RFC 9053 section 7.1.1: kty 2 (EC2), -1 crv, -2 x, -3 y. */
    if (!ay_cbor_is_map(key) || ay_cbor_map_unique_int_keys(key) != AY_OK ||
        ay_cbor_int(ay_cbor_map_get_int(key, 1), &kty) != AY_OK || kty != 2 ||
        ay_cbor_int(ay_cbor_map_get_int(key, -1), &crv) != AY_OK ||
        ay_cbor_bstr(ay_cbor_map_get_int(key, -2), &x) != AY_OK ||
        ay_cbor_bstr(ay_cbor_map_get_int(key, -3), &y) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "COSE_Key: not an EC2 key {1:2, -1:crv, -2:x, -3:y}");
    }
    const struct curve *c = NULL;
    for (size_t i = 0; i < sizeof CURVES / sizeof CURVES[0]; i++) {
        if (CURVES[i].cose_crv == crv) {
            c = &CURVES[i];
        }
    }
    if (c == NULL) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "COSE_Key: curve %lld is not P-256, P-384 or P-521",
                    (long long)crv);
    }
    if (x.len != c->field || y.len != c->field) {
        return FAIL(d, AY_ERR_MALFORMED, "COSE_Key: %s coordinates must be %zu bytes", c->group,
                    c->field);
    }
    uint8_t xy[2 * MAX_FIELD];
    memcpy(xy, x.ptr, c->field);
    memcpy(xy + c->field, y.ptr, c->field);
    return ay_ec_pkey_from_point(d, c->group, ay_span_of(xy, 2 * c->field), out);
}

ay_err ay_cose_key_decode(struct ay_diag *d, struct ay_span in, struct ay_pkey **out)
{
    cbor_item_t *key = NULL;
    TRY(ay_cbor_decode(d, "COSE_Key", in, &key));
    ay_err err = cose_key_fields(d, key, out);
    ay_cbor_free(key);
    return err;
}

static ay_err jwk_curve(struct ay_diag *d, const json_t *jwk, const struct curve **out)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    if (kty == NULL || strcmp(kty, "EC") != 0 || crv == NULL) {
        return FAIL(d, AY_ERR_MALFORMED, "JWK: not an EC key (kty \"EC\" with crv)");
    }
    *out = curve_named(crv);
    if (*out == NULL) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "JWK: curve %s is not supported (P-256, P-384, P-521)",
                    crv);
    }
    return AY_OK;
}

/* One base64url JWK member of exactly n bytes (RFC 7518 section 6.2.1.2: full length). */
static ay_err jwk_bytes(struct ay_diag *d, const json_t *jwk, const char *name, uint8_t *dst,
                        size_t n)
{
    const char *s = json_string_value(json_object_get(jwk, name));
    size_t got = 0;
    if (s == NULL || ay_b64_decode_to(AY_B64_URL_ANYPAD, s, strlen(s), dst, n, &got) != AY_OK ||
        got != n) {
        return FAIL(d, AY_ERR_MALFORMED, "JWK: member \"%s\" is not %zu base64url bytes", name, n);
    }
    return AY_OK;
}

ay_err ay_cose_jwk_ec_pkey(struct ay_diag *d, const json_t *jwk, struct ay_pkey **out)
{
    const struct curve *c = NULL;
    TRY(jwk_curve(d, jwk, &c));
    uint8_t xy[2 * MAX_FIELD];
    TRY(jwk_bytes(d, jwk, "x", xy, c->field));
    TRY(jwk_bytes(d, jwk, "y", xy + c->field, c->field));
    return ay_ec_pkey_from_point(d, c->group, ay_span_of(xy, 2 * c->field), out);
}

/* ---- signing keys ---- */

struct ay_ec_priv {
    EVP_PKEY *k;
    size_t field;
};

void ay_ec_priv_free(struct ay_ec_priv *k)
{
    if (k != NULL) {
        EVP_PKEY_free(k->k);
        ay_free(k);
    }
}

ay_err ay_ec_priv_generate(struct ay_diag *d, enum ay_curve curve, struct ay_ec_priv **out)
{
    return ay_ec_priv_generate_named(d, curve_of(curve)->group, out);
}

ay_err ay_ec_priv_generate_named(struct ay_diag *d, const char *group, struct ay_ec_priv **out)
{
    const struct curve *c = curve_named(group);
    if (c == NULL) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "EC key: curve %s is not supported",
                    group ? group : "(none)");
    }
    size_t field = c->field;
    EVP_PKEY *k = EVP_EC_gen(c->group);
    if (k == NULL) {
        return ay_ossl_fail(d, AY_ERR_CRYPTO, "EC key generation");
    }
    struct ay_ec_priv *p = ay_xcalloc(1, sizeof *p);
    p->k = k;
    p->field = field;
    *out = p;
    return AY_OK;
}

ay_err ay_ec_priv_from_jwk(struct ay_diag *d, const json_t *jwk, struct ay_ec_priv **out)
{
    const struct curve *c = NULL;
    TRY(jwk_curve(d, jwk, &c));
    size_t field = c->field;
    const char *group = c->group;
    uint8_t pt[1 + 2 * MAX_FIELD];
    uint8_t priv[MAX_FIELD];
    pt[0] = 0x04;
    TRY(jwk_bytes(d, jwk, "x", pt + 1, field));
    TRY(jwk_bytes(d, jwk, "y", pt + 1 + field, field));
    TRY(jwk_bytes(d, jwk, "d", priv, field));
    ay_err err = AY_OK;
    struct ay_ec_priv *p = NULL;
    BIGNUM *bn = BN_bin2bn(priv, (int)field, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    EVP_PKEY *k = NULL;
    if (bn == NULL || bld == NULL ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * field) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) != 1 ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(pc) != 1 ||
        EVP_PKEY_fromdata(pc, &k, EVP_PKEY_KEYPAIR, params) != 1) {
        err = ay_ossl_fail(d, AY_ERR_MALFORMED, "JWK: EC private key");
        goto out;
    }
    p = ay_xcalloc(1, sizeof *p);
    p->k = k;
    p->field = field;
    k = NULL;
    *out = p;
out:
    OPENSSL_cleanse(priv, sizeof priv);
    EVP_PKEY_free(k);
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(bn);
    return err;
}

ay_err ay_ec_priv_public_xy(const struct ay_ec_priv *k, uint8_t *xy, size_t cap, size_t *out_len)
{
    uint8_t pt[1 + 2 * 66];
    size_t n = 0;
    if (EVP_PKEY_get_octet_string_param(k->k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &n) != 1 ||
        n != 1 + 2 * k->field || pt[0] != 0x04) {
        ay_ossl_clear();
        return AY_ERR_CRYPTO;
    }
    ENSURE(cap >= n - 1, AY_ERR_LIMIT);
    memcpy(xy, pt + 1, n - 1);
    *out_len = n - 1;
    return AY_OK;
}

static const char *md_name(enum ay_hash h)
{
    switch (h) {
    case AY_HASH_SHA1:
        return "SHA1";
    case AY_HASH_SHA256:
        return "SHA256";
    case AY_HASH_SHA384:
        return "SHA384";
    case AY_HASH_SHA512:
        return "SHA512";
    case AY_HASH_SM3:
        return "SM3";
    }
    return NULL;
}

ay_err ay_ec_priv_sign_rs(struct ay_diag *d, const struct ay_ec_priv *k, enum ay_hash h,
                          struct ay_span msg, uint8_t *sig, size_t cap, size_t *out_len)
{
    ENSURE(cap >= 2 * k->field, AY_ERR_LIMIT);
    ay_err err = AY_OK;
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    uint8_t der[160];
    size_t der_len = sizeof der;
    ECDSA_SIG *es = NULL;
    const unsigned char *p = der;
    if (mc == NULL || EVP_DigestSignInit_ex(mc, NULL, md_name(h), NULL, NULL, k->k, NULL) != 1 ||
        EVP_DigestSign(mc, der, &der_len, msg.ptr, msg.len) != 1) {
        err = ay_ossl_fail(d, AY_ERR_CRYPTO, "ECDSA sign");
        goto out;
    }
    es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (es == NULL || BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, (int)k->field) < 0 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + k->field, (int)k->field) < 0) {
        err = ay_ossl_fail(d, AY_ERR_CRYPTO, "ECDSA signature to r || s");
        goto out;
    }
    *out_len = 2 * k->field;
out:
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(mc);
    return err;
}
