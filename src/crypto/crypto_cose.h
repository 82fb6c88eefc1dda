/* SPDX-License-Identifier: Apache-2.0 */
/* COSE_Sign1 (RFC 9052 section 4.2) decoding and ECDSA verification, COSE_Key and JWK EC
 * public keys (RFC 9053 section 7.1.1, RFC 7518 section 6.2), as the CCA token needs them
 * (CCA-KBS.md sections 1.1, 1.4, 1.5). Also an EC signing key, used by tests and tools to
 * mint fresh evidence; it never handles production secrets. */
#ifndef AY_CRYPTO_COSE_H
#define AY_CRYPTO_COSE_H

#include <stddef.h>
#include <stdint.h>

#include <cbor.h>
#include <jansson.h>

#include "base/base_cursor.h"
#include "base/base_err.h"
#include "crypto/crypto_x509.h"

struct ay_arena;

/* COSE algorithm identifiers (RFC 9053 section 2.1). */
#define AY_COSE_ES256 (-7)
#define AY_COSE_ES384 (-35)
#define AY_COSE_ES512 (-36)

/* A decoded COSE_Sign1; every span is borrowed from the CBOR item it was decoded from. */
struct ay_cose_sign1 {
    struct ay_span protected_bytes; /* the protected-header bstr content, as sent */
    int64_t alg;                    /* protected header label 1 */
    struct ay_span payload;         /* attached payload */
    struct ay_span signature;       /* raw r || s */
};

/* Decodes a tagged COSE_Sign1 (#6.18([protected, unprotected, payload, signature])) from `in`.
 * The unprotected header must be a map (tolerated, not interpreted). *out_item keeps the
 * spans of *out alive: release it with ay_cbor_free. Errors: AY_ERR_MALFORMED, AY_ERR_TRUNCATED,
 * AY_ERR_LIMIT, AY_ERR_UNSUPPORTED (no alg), with `what` in the message. */
AY_MUST_USE ay_err ay_cose_sign1_decode(struct ay_diag *d, const char *what, struct ay_span in,
                                        cbor_item_t **out_item, struct ay_cose_sign1 *out);

/* Sig_structure = ["Signature1", protected, h'', payload] (RFC 9052 section 4.4), CBOR-encoded
 * into a new arena block. */
AY_MUST_USE ay_err ay_cose_sig_structure(struct ay_arena *a, struct ay_span protected_bytes,
                                         struct ay_span payload, struct ay_span *out);

/* Verifies the signature of s with k: ES256/ES384/ES512 (r || s of 64/96/132 bytes).
 * AY_ERR_BAD_SIGNATURE when it does not verify, AY_ERR_UNSUPPORTED for other algorithms. */
AY_MUST_USE ay_err ay_cose_sign1_verify(struct ay_diag *d, const char *what,
                                        const struct ay_cose_sign1 *s, const struct ay_pkey *k,
                                        struct ay_arena *a);

/* An EC public key from X || Y (big-endian, field size each) on group "P-256", "P-384" or
 * "P-521" (crypto_x509.h has no P-521). The point must be on the curve; the costly order
 * check of ay_pkey_from_ec_xy is skipped (cofactor-1 curves, verification only). The last
 * 64 imported points are kept per process (CPAKs and RAKs repeat), so a known point costs a
 * reference, not an import. Thread-safe. */
AY_MUST_USE ay_err ay_ec_pkey_from_point(struct ay_diag *d, const char *group, struct ay_span xy,
                                         struct ay_pkey **out);

/* A COSE_Key EC2 public key {1:2, -1:crv, -2:x, -3:y} (crv 1 = P-256, 2 = P-384, 3 = P-521),
 * encoded. */
AY_MUST_USE ay_err ay_cose_key_decode(struct ay_diag *d, struct ay_span in, struct ay_pkey **out);

/* An EC public key from a JWK {"kty":"EC","crv":"P-256"|"P-384"|"P-521","x","y"}
 * (base64url). */
AY_MUST_USE ay_err ay_cose_jwk_ec_pkey(struct ay_diag *d, const json_t *jwk, struct ay_pkey **out);

/* ---- EC signing keys (tests, tools) ---- */
struct ay_ec_priv;

AY_MUST_USE ay_err ay_ec_priv_generate(struct ay_diag *d, enum ay_curve curve,
                                       struct ay_ec_priv **out);
/* Same by group name, P-521 included. */
AY_MUST_USE ay_err ay_ec_priv_generate_named(struct ay_diag *d, const char *group,
                                             struct ay_ec_priv **out);
/* From a private JWK with "d" (and "crv"). */
AY_MUST_USE ay_err ay_ec_priv_from_jwk(struct ay_diag *d, const json_t *jwk,
                                       struct ay_ec_priv **out);
void ay_ec_priv_free(struct ay_ec_priv *k);
/* The public point X || Y (big-endian, field-size each) into xy of cap bytes. */
AY_MUST_USE ay_err ay_ec_priv_public_xy(const struct ay_ec_priv *k, uint8_t *xy, size_t cap,
                                        size_t *out_len);
/* ECDSA over msg with hash h; writes raw r || s (2 * field size) into sig of cap bytes. */
AY_MUST_USE ay_err ay_ec_priv_sign_rs(struct ay_diag *d, const struct ay_ec_priv *k, enum ay_hash h,
                                      struct ay_span msg, uint8_t *sig, size_t cap,
                                      size_t *out_len);

#endif
