/* SPDX-License-Identifier: Apache-2.0 */
/* SM2/SM3 with the signer's distinguishing ID, the OpenSSL 3 recipe of FORMATS.md section 5.3:
 * an "SM2" EVP_PKEY from the uncompressed point, EVP_PKEY_CTX_set1_id on a context attached to
 * the digest context, SM3 as the digest, DER ECDSA_SIG(r, s). */
#include "crypto/crypto_sm2.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "base/base_mem.h"
#include "crypto/crypto_ossl.h"

struct ay_sm2_key {
    EVP_PKEY *k;
};

void ay_sm2_key_free(struct ay_sm2_key *k)
{
    if (k != NULL) {
        EVP_PKEY_free(k->k);
        ay_free(k);
    }
}

ay_err ay_sm2_key_from_xy(struct ay_diag *d, const uint8_t xy[2 * AY_SM2_FIELD],
                          struct ay_sm2_key **out)
{
    uint8_t pt[1 + 2 * AY_SM2_FIELD];
    pt[0] = 0x04; /* uncompressed */
    memcpy(pt + 1, xy, 2 * AY_SM2_FIELD);
    char group[] = "SM2";
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt);
    params[2] = OSSL_PARAM_construct_end();
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    if (pc == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
        EVP_PKEY_fromdata(pc, &k, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        EVP_PKEY_CTX_free(pc);
        return ay_ossl_fail(d, AY_ERR_MALFORMED, "SM2 key: not a point on the curve");
    }
    EVP_PKEY_CTX_free(pc);
    /* fromdata does not always check the point: do it explicitly. The quick check (on the
     * curve, not infinity) suffices for verification on the cofactor-1 SM2 curve; the full
     * check adds a scalar multiplication by the order, as costly as a verification. */
    EVP_PKEY_CTX *cc = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
    int valid = cc == NULL ? 0 : EVP_PKEY_public_check_quick(cc);
    EVP_PKEY_CTX_free(cc);
    if (valid != 1) {
        EVP_PKEY_free(k);
        return ay_ossl_fail(d, AY_ERR_MALFORMED, "SM2 key: not a point on the curve");
    }
    struct ay_sm2_key *key = ay_xcalloc(1, sizeof *key);
    key->k = k;
    *out = key;
    return AY_OK;
}

/* A digest context for SM3 with the distinguishing ID set (sign or verify). */
static ay_err md_ctx(struct ay_diag *d, const struct ay_sm2_key *k, struct ay_span id, bool sign,
                     EVP_MD_CTX **out)
{
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, k->k, NULL);
    if (mc == NULL || pc == NULL || EVP_PKEY_CTX_set1_id(pc, id.ptr, (int)id.len) != 1) {
        EVP_MD_CTX_free(mc);
        EVP_PKEY_CTX_free(pc);
        return ay_ossl_fail(d, AY_ERR_CRYPTO, "SM2: distinguishing ID");
    }
    /* The digest context borrows pc (EVP_MD_CTX_FLAG_KEEP_PKEY_CTX): free_md releases it. */
    EVP_MD_CTX_set_pkey_ctx(mc, pc);
    int rc = sign ? EVP_DigestSignInit_ex(mc, NULL, "SM3", NULL, NULL, k->k, NULL)
                  : EVP_DigestVerifyInit_ex(mc, NULL, "SM3", NULL, NULL, k->k, NULL);
    if (rc != 1) {
        EVP_MD_CTX_free(mc);
        EVP_PKEY_CTX_free(pc);
        return ay_ossl_fail(d, AY_ERR_CRYPTO, "SM2: SM3 digest init");
    }
    *out = mc;
    return AY_OK;
}

static void free_md(EVP_MD_CTX *mc)
{
    if (mc != NULL) {
        EVP_PKEY_CTX *pc = EVP_MD_CTX_get_pkey_ctx(mc);
        EVP_MD_CTX_free(mc);
        EVP_PKEY_CTX_free(pc);
    }
}

ay_err ay_sm2_verify(struct ay_diag *d, const struct ay_sm2_key *k, struct ay_span id,
                     struct ay_span msg, const uint8_t r[AY_SM2_FIELD],
                     const uint8_t s[AY_SM2_FIELD])
{
    ENSURE(id.len <= 0xffff / 8, FAIL(d, AY_ERR_MALFORMED, "SM2: distinguishing ID too long"));
    ay_err err = AY_OK;
    EVP_MD_CTX *mc = NULL;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *br = BN_bin2bn(r, AY_SM2_FIELD, NULL);
    BIGNUM *bs = BN_bin2bn(s, AY_SM2_FIELD, NULL);
    unsigned char *der = NULL;
    int der_len = 0;
    int rc = 0;
    if (es == NULL || br == NULL || bs == NULL || ECDSA_SIG_set0(es, br, bs) != 1) {
        BN_free(br);
        BN_free(bs);
        err = ay_ossl_fail(d, AY_ERR_CRYPTO, "SM2: signature value");
        goto out;
    }
    der_len = i2d_ECDSA_SIG(es, &der);
    if (der_len <= 0) {
        err = ay_ossl_fail(d, AY_ERR_CRYPTO, "SM2: signature encoding");
        goto out;
    }
    CHECK(md_ctx(d, k, id, false, &mc));
    rc = EVP_DigestVerify(mc, der, (size_t)der_len, msg.ptr, msg.len);
    if (rc != 1) {
        /* 0 is a bad signature; below 0 a malformed one: both are "does not verify". */
        ay_ossl_clear();
        err = FAIL(d, AY_ERR_BAD_SIGNATURE, "SM2 signature does not verify");
    }
out:
    free_md(mc);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    return err;
}

ay_err ay_sm2_key_generate(struct ay_diag *d, struct ay_sm2_key **out)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    if (k == NULL) {
        return ay_ossl_fail(d, AY_ERR_CRYPTO, "SM2 key generation");
    }
    struct ay_sm2_key *key = ay_xcalloc(1, sizeof *key);
    key->k = k;
    *out = key;
    return AY_OK;
}

ay_err ay_sm2_key_public_xy(const struct ay_sm2_key *k, uint8_t xy[2 * AY_SM2_FIELD])
{
    uint8_t pt[1 + 2 * AY_SM2_FIELD];
    size_t n = 0;
    if (EVP_PKEY_get_octet_string_param(k->k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &n) != 1 ||
        n != sizeof pt || pt[0] != 0x04) {
        ay_ossl_clear();
        return AY_ERR_CRYPTO;
    }
    memcpy(xy, pt + 1, 2 * AY_SM2_FIELD);
    return AY_OK;
}

ay_err ay_sm2_sign(struct ay_diag *d, const struct ay_sm2_key *k, struct ay_span id,
                   struct ay_span msg, uint8_t r[AY_SM2_FIELD], uint8_t s[AY_SM2_FIELD])
{
    ay_err err = AY_OK;
    EVP_MD_CTX *mc = NULL;
    uint8_t der[128];
    size_t der_len = sizeof der;
    ECDSA_SIG *es = NULL;
    const unsigned char *p = der;
    CHECK(md_ctx(d, k, id, true, &mc));
    if (EVP_DigestSign(mc, der, &der_len, msg.ptr, msg.len) != 1) {
        err = ay_ossl_fail(d, AY_ERR_CRYPTO, "SM2 sign");
        goto out;
    }
    es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (es == NULL || BN_bn2binpad(ECDSA_SIG_get0_r(es), r, AY_SM2_FIELD) < 0 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(es), s, AY_SM2_FIELD) < 0) {
        err = ay_ossl_fail(d, AY_ERR_CRYPTO, "SM2 signature to r, s");
        goto out;
    }
out:
    ECDSA_SIG_free(es);
    free_md(mc);
    return err;
}
