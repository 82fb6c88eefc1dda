/* SPDX-License-Identifier: Apache-2.0 */
/* Token signing keys and JOSE signatures (RFC 7515/7518): ES256 with raw r||s signatures and
 * RS384 (PKCS#1 v1.5). Key generate / load / save as PEM, JWK export (RFC 7517/7518 section 6),
 * verification against a JWK (CLI `assay token verify`, tests). The private key stays inside
 * the opaque struct: nothing here writes it anywhere but the PEM buffer the caller asks for. */
#ifndef AY_CRYPTO_SIGN_H
#define AY_CRYPTO_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/base_err.h"

struct ay_buf;
struct ay_sign_key;

enum ay_sign_alg {
    AY_SIGN_ES256, /* ECDSA P-256 + SHA-256, JWS signature = r||s, 64 bytes */
    AY_SIGN_RS384, /* RSASSA-PKCS1-v1_5 + SHA-384 */
};

#define AY_SIGN_MAX 512 /* bytes of the largest signature (RSA-4096) */

/* "ES256" / "RS384". */
const char *ay_sign_alg_name(enum ay_sign_alg alg);

/* A new key: P-256 for ES256, RSA-2048 for RS384. */
AY_MUST_USE ay_err ay_sign_key_generate(enum ay_sign_alg alg, struct ay_diag *diag,
                                        struct ay_sign_key **out);
/* A PEM private key (SEC1, PKCS#1 or PKCS#8). The key must suit alg: ES256 needs P-256
 * (TRUSTEE.md section 4.1), RS384 needs RSA of at least 2048 bits. */
AY_MUST_USE ay_err ay_sign_key_load_pem(enum ay_sign_alg alg, const uint8_t *pem, size_t len,
                                        struct ay_diag *diag, struct ay_sign_key **out);
/* Appends the private key as unencrypted PKCS#8 PEM (for the 0600 key file only). */
AY_MUST_USE ay_err ay_sign_key_save_pem(const struct ay_sign_key *k, struct ay_buf *out,
                                        struct ay_diag *diag);
void ay_sign_key_free(struct ay_sign_key *k);
enum ay_sign_alg ay_sign_key_alg(const struct ay_sign_key *k);

/* The public JWK: {"kty":"EC","crv":"P-256","alg":"ES256","x","y"} (coordinates left-padded
 * to 32 bytes) or {"kty":"RSA","alg":"RS384","n","e"}. New reference. */
AY_MUST_USE ay_err ay_sign_key_jwk(const struct ay_sign_key *k, struct ay_diag *diag, json_t **out);

/* Signs msg; sig must hold AY_SIGN_MAX bytes; *sig_len gets the JWS signature length. */
AY_MUST_USE ay_err ay_sign(const struct ay_sign_key *k, const void *msg, size_t len, uint8_t *sig,
                           size_t *sig_len, struct ay_diag *diag);

/* Verifies a JWS signature with the public key of a JWK ("EC" P-256 for ES256, "RSA" for
 * RS384). AY_ERR_BAD_SIGNATURE when it does not verify, AY_ERR_MALFORMED for a bad JWK. */
AY_MUST_USE ay_err ay_sign_verify_jwk(enum ay_sign_alg alg, const json_t *jwk, const void *msg,
                                      size_t len, const uint8_t *sig, size_t sig_len,
                                      struct ay_diag *diag);

/* n bytes from the OpenSSL CSPRNG. */
AY_MUST_USE ay_err ay_sign_random(uint8_t *out, size_t n, struct ay_diag *diag);

/* Every certificate of a PEM chain as standard padded base64 DER (JWK "x5c", RFC 7517
 * section 4.7), in file order. New reference to an array. */
AY_MUST_USE ay_err ay_sign_x5c_from_pem(const uint8_t *pem, size_t len, struct ay_diag *diag,
                                        json_t **out);
/* True if the JWK's public key equals the key of the first x5c certificate. */
AY_MUST_USE ay_err ay_sign_x5c_matches(const struct ay_sign_key *k, const json_t *x5c,
                                       struct ay_diag *diag);

#endif
