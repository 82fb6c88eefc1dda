/* SPDX-License-Identifier: Apache-2.0 */
#include "crypto/crypto_digest.h"

#include <string.h>

#include <openssl/evp.h>

#include "crypto/crypto_ossl.h"

static const struct {
    const char *name;
    size_t len;
} table[] = {
    [AY_HASH_SHA1] = {"sha1", 20},
    [AY_HASH_SHA256] = {"sha256", 32},
    [AY_HASH_SHA384] = {"sha384", 48},
    [AY_HASH_SHA512] = {"sha512", 64},
    [AY_HASH_SM3] = {"sm3", 32},
};

bool ay_hash_from_name(const char *name, enum ay_hash *out)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(name, table[i].name) == 0) {
            *out = (enum ay_hash)i;
            return true;
        }
    }
    return false;
}

const char *ay_hash_name(enum ay_hash h)
{
    return table[h].name;
}

size_t ay_hash_len(enum ay_hash h)
{
    return table[h].len;
}

ay_err ay_hash(enum ay_hash h, const void *p, size_t n, uint8_t *out)
{
    unsigned int len = 0;
    if (EVP_Digest(p, n, out, &len, ay_ossl_md(h), NULL) != 1) {
        ay_ossl_clear();
        return AY_ERR_CRYPTO;
    }
    return AY_OK;
}

struct ay_hash_ctx {
    EVP_MD_CTX *md;
};

ay_err ay_hash_begin(enum ay_hash h, struct ay_hash_ctx **out)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, ay_ossl_md(h), NULL) != 1) {
        EVP_MD_CTX_free(md);
        ay_ossl_clear();
        return AY_ERR_CRYPTO;
    }
    struct ay_hash_ctx *c = OPENSSL_malloc(sizeof *c);
    if (c == NULL) {
        EVP_MD_CTX_free(md);
        return AY_ERR_CRYPTO;
    }
    c->md = md;
    *out = c;
    return AY_OK;
}

ay_err ay_hash_update(struct ay_hash_ctx *c, const void *p, size_t n)
{
    if (EVP_DigestUpdate(c->md, p, n) != 1) {
        ay_ossl_clear();
        return AY_ERR_CRYPTO;
    }
    return AY_OK;
}

ay_err ay_hash_end(struct ay_hash_ctx *c, uint8_t *out)
{
    unsigned int len = 0;
    int ok = EVP_DigestFinal_ex(c->md, out, &len);
    ay_hash_ctx_free(c);
    if (ok != 1) {
        ay_ossl_clear();
        return AY_ERR_CRYPTO;
    }
    return AY_OK;
}

void ay_hash_ctx_free(struct ay_hash_ctx *c)
{
    if (c == NULL) {
        return;
    }
    EVP_MD_CTX_free(c->md);
    OPENSSL_free(c);
}
