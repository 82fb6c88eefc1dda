/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-1/256/384/512 (and SM3) through OpenSSL EVP. */
#ifndef AY_CRYPTO_DIGEST_H
#define AY_CRYPTO_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

enum ay_hash {
    AY_HASH_SHA1,
    AY_HASH_SHA256,
    AY_HASH_SHA384,
    AY_HASH_SHA512,
    AY_HASH_SM3,
};

#define AY_HASH_MAX 64

/* "sha256", "sha384", "sha512" (also "sha1", "sm3"); case-sensitive as Trustee's serde. */
bool ay_hash_from_name(const char *name, enum ay_hash *out);
const char *ay_hash_name(enum ay_hash h);
size_t ay_hash_len(enum ay_hash h);
/* out must hold ay_hash_len(h) bytes. */
AY_MUST_USE ay_err ay_hash(enum ay_hash h, const void *p, size_t n, uint8_t *out);

/* Incremental hashing. */
struct ay_hash_ctx;
AY_MUST_USE ay_err ay_hash_begin(enum ay_hash h, struct ay_hash_ctx **out);
AY_MUST_USE ay_err ay_hash_update(struct ay_hash_ctx *c, const void *p, size_t n);
/* Writes the digest and frees c. */
AY_MUST_USE ay_err ay_hash_end(struct ay_hash_ctx *c, uint8_t *out);
void ay_hash_ctx_free(struct ay_hash_ctx *c);

#endif
