/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL operations behind the Rego crypto.* builtins: EVP digests and HMAC through EVP_MAC
 * (OpenSSL 3 provider API), CRYPTO_memcmp for hmac.equal. Errors drain through ay_ossl_fail. */
#include "crypto/crypto_rego.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

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
