/* SPDX-License-Identifier: Apache-2.0 */
/* COSE_Sign1 with ECDSA (RFC 9052/9053), COSE_Key and JWK EC keys, and an EC signing key for
 * tests: the crypto half of the CCA token verifier (CCA-KBS.md section 1.5 steps 2, 5-7). */
#include "crypto/crypto_cose.h"

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
    if (!cbor_isa_array(arr) || cbor_array_size(arr) != 4) {
        return FAIL(d, AY_ERR_MALFORMED, "%s: COSE_Sign1 is not an array of 4", what);
    }
    if (ay_cbor_bstr(ay_cbor_array_at(arr, 0), &s->protected_bytes) != AY_OK ||
        !cbor_isa_map(ay_cbor_array_at(arr, 1)) ||
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
    bool ok = cbor_isa_map(hdr) && ay_cbor_map_unique_int_keys(hdr) == AY_OK &&
              ay_cbor_int(ay_cbor_map_get_int(hdr, COSE_HDR_ALG), &s->alg) == AY_OK;
    cbor_decref(&hdr);
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
        cbor_decref(&root);
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
    cbor_item_t *arr = cbor_new_definite_array(4);
    ENSURE(arr != NULL, AY_ERR_INTERNAL);
    bool ok = cbor_array_push(arr, cbor_move(cbor_build_string("Signature1"))) &&
              cbor_array_push(arr, cbor_move(cbor_build_bytestring(protected_bytes.ptr,
                                                                   protected_bytes.len))) &&
              cbor_array_push(arr, cbor_move(cbor_build_bytestring(empty, 0))) &&
              cbor_array_push(arr, cbor_move(cbor_build_bytestring(payload.ptr, payload.len)));
    ay_err err = AY_ERR_INTERNAL;
    if (ok) {
        /* 4 heads of at most 9 bytes, the 10-byte context string and the two contents. */
        err = ay_cbor_encode(arr, a, protected_bytes.len + payload.len + 64, out);
    }
    cbor_decref(&arr);
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

static ay_err curve_field(enum ay_curve curve, size_t *field, const char **group)
{
    switch (curve) {
    case AY_CURVE_P256:
        *field = 32;
        *group = "P-256";
        return AY_OK;
    case AY_CURVE_P384:
        *field = 48;
        *group = "P-384";
        return AY_OK;
    }
    return AY_ERR_INTERNAL;
}

static ay_err cose_key_fields(struct ay_diag *d, const cbor_item_t *key, struct ay_pkey **out)
{
    int64_t kty = 0;
    int64_t crv = 0;
    struct ay_span x;
    struct ay_span y;
    /* RFC 9053 section 7.1.1: kty 2 (EC2), -1 crv, -2 x, -3 y. */
    if (!cbor_isa_map(key) || ay_cbor_map_unique_int_keys(key) != AY_OK ||
        ay_cbor_int(ay_cbor_map_get_int(key, 1), &kty) != AY_OK || kty != 2 ||
        ay_cbor_int(ay_cbor_map_get_int(key, -1), &crv) != AY_OK ||
        ay_cbor_bstr(ay_cbor_map_get_int(key, -2), &x) != AY_OK ||
        ay_cbor_bstr(ay_cbor_map_get_int(key, -3), &y) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "COSE_Key: not an EC2 key {1:2, -1:crv, -2:x, -3:y}");
    }
    enum ay_curve curve;
    if (crv == 1) {
        curve = AY_CURVE_P256;
    } else if (crv == 2) {
        curve = AY_CURVE_P384;
    } else {
        return FAIL(d, AY_ERR_UNSUPPORTED, "COSE_Key: curve %lld is not P-256 or P-384",
                    (long long)crv);
    }
    size_t field = 0;
    const char *group = NULL;
    TRY(curve_field(curve, &field, &group));
    if (x.len != field || y.len != field) {
        return FAIL(d, AY_ERR_MALFORMED, "COSE_Key: %s coordinates must be %zu bytes", group,
                    field);
    }
    uint8_t xy[2 * 48];
    memcpy(xy, x.ptr, field);
    memcpy(xy + field, y.ptr, field);
    return ay_pkey_from_ec_xy(d, curve, ay_span_of(xy, 2 * field), out);
}

ay_err ay_cose_key_decode(struct ay_diag *d, struct ay_span in, struct ay_pkey **out)
{
    cbor_item_t *key = NULL;
    TRY(ay_cbor_decode(d, "COSE_Key", in, &key));
    ay_err err = cose_key_fields(d, key, out);
    cbor_decref(&key);
    return err;
}

static ay_err jwk_curve(struct ay_diag *d, const json_t *jwk, enum ay_curve *curve)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    if (kty == NULL || strcmp(kty, "EC") != 0 || crv == NULL) {
        return FAIL(d, AY_ERR_MALFORMED, "JWK: not an EC key (kty \"EC\" with crv)");
    }
    if (strcmp(crv, "P-256") == 0) {
        *curve = AY_CURVE_P256;
    } else if (strcmp(crv, "P-384") == 0) {
        *curve = AY_CURVE_P384;
    } else {
        return FAIL(d, AY_ERR_UNSUPPORTED, "JWK: curve %s is not supported (P-256, P-384)", crv);
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
    enum ay_curve curve;
    TRY(jwk_curve(d, jwk, &curve));
    size_t field = 0;
    const char *group = NULL;
    TRY(curve_field(curve, &field, &group));
    uint8_t xy[2 * 48];
    TRY(jwk_bytes(d, jwk, "x", xy, field));
    TRY(jwk_bytes(d, jwk, "y", xy + field, field));
    return ay_pkey_from_ec_xy(d, curve, ay_span_of(xy, 2 * field), out);
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
    size_t field = 0;
    const char *group = NULL;
    TRY(curve_field(curve, &field, &group));
    EVP_PKEY *k = EVP_EC_gen(group);
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
    enum ay_curve curve;
    TRY(jwk_curve(d, jwk, &curve));
    size_t field = 0;
    const char *group = NULL;
    TRY(curve_field(curve, &field, &group));
    uint8_t pt[1 + 2 * 48];
    uint8_t priv[48];
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
