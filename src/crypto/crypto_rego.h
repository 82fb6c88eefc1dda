/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL operations behind the Rego crypto.* builtins (rego_bi_crypto.c): message digests
 * (MD5, SHA-1, SHA-256, SHA-512) and HMAC (RFC 2104) with those digests, plus a constant-time
 * comparison. OpenSSL stays in src/crypto/ (STYLE.md B.10). */
#ifndef AY_CRYPTO_CRYPTO_REGO_H
#define AY_CRYPTO_CRYPTO_REGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

#define AY_CRYPTO_REGO_MD_MAX 64

/* alg: "md5", "sha1", "sha256", "sha384", "sha512". AY_ERR_UNSUPPORTED for another name;
 * AY_ERR_CRYPTO (message in diag) when OpenSSL fails. out holds AY_CRYPTO_REGO_MD_MAX bytes. */
AY_MUST_USE ay_err ay_crypto_rego_digest(const char *alg, const void *p, size_t n, uint8_t *out,
                                         size_t *out_len, struct ay_diag *diag);
/* HMAC(key, msg) with the digest alg. */
AY_MUST_USE ay_err ay_crypto_rego_hmac(const char *alg, const void *key, size_t key_len,
                                       const void *msg, size_t msg_len, uint8_t *out,
                                       size_t *out_len, struct ay_diag *diag);
/* Constant-time equality of two byte strings (lengths compared first). */
bool ay_crypto_rego_equal(const void *a, size_t an, const void *b, size_t bn);

#endif
