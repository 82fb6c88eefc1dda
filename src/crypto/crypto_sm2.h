/* SPDX-License-Identifier: Apache-2.0 */
/* SM2 signatures with SM3 and a distinguishing ID (GB/T 32918; FORMATS.md section 5.3: the ID
 * is the SIGNER's user_id), through OpenSSL 3. Keys and signature values are big-endian here;
 * the little-endian Hygon layouts are converted by the caller. Also an SM2 signing key for
 * tests that build Hygon-like chains. */
#ifndef AY_CRYPTO_SM2_H
#define AY_CRYPTO_SM2_H

#include <stddef.h>
#include <stdint.h>

#include "base/base_cursor.h"
#include "base/base_err.h"

#define AY_SM2_FIELD 32 /* bytes of a coordinate, r or s */

struct ay_sm2_key;

/* A public key from X || Y (64 bytes big-endian); AY_ERR_MALFORMED if not on the curve. */
AY_MUST_USE ay_err ay_sm2_key_from_xy(struct ay_diag *d, const uint8_t xy[2 * AY_SM2_FIELD],
                                      struct ay_sm2_key **out);
void ay_sm2_key_free(struct ay_sm2_key *k);

/* Verifies the SM2 signature (r, s big-endian, 32 bytes each) over msg with SM3 and the
 * distinguishing ID id. AY_ERR_BAD_SIGNATURE when it does not verify. */
AY_MUST_USE ay_err ay_sm2_verify(struct ay_diag *d, const struct ay_sm2_key *k, struct ay_span id,
                                 struct ay_span msg, const uint8_t r[AY_SM2_FIELD],
                                 const uint8_t s[AY_SM2_FIELD]);

/* ---- signing (tests) ---- */
AY_MUST_USE ay_err ay_sm2_key_generate(struct ay_diag *d, struct ay_sm2_key **out);
/* X || Y of any key (public or private). */
AY_MUST_USE ay_err ay_sm2_key_public_xy(const struct ay_sm2_key *k, uint8_t xy[2 * AY_SM2_FIELD]);
AY_MUST_USE ay_err ay_sm2_sign(struct ay_diag *d, const struct ay_sm2_key *k, struct ay_span id,
                               struct ay_span msg, uint8_t r[AY_SM2_FIELD],
                               uint8_t s[AY_SM2_FIELD]);

#endif
