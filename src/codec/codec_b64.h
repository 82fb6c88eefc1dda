/* SPDX-License-Identifier: Apache-2.0 */
/* Strict base64 (RFC 4648 section 4) and base64url (section 5). Strict means: only the
 * variant's alphabet, padding exactly as the variant says, no whitespace, and the unused
 * trailing bits of the last character must be zero (canonical encoding). */
#ifndef AY_CODEC_B64_H
#define AY_CODEC_B64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

struct ay_arena;
struct ay_buf;
struct ay_span;

enum ay_b64 {
    AY_B64_STD,        /* '+' '/', padding required */
    AY_B64_STD_NOPAD,  /* '+' '/', padding forbidden */
    AY_B64_URL,        /* '-' '_', padding required */
    AY_B64_URL_NOPAD,  /* '-' '_', padding forbidden (JOSE) */
    AY_B64_STD_ANYPAD, /* '+' '/', padding optional (as serde's base64 Engine with Indifferent) */
    AY_B64_URL_ANYPAD, /* '-' '_', padding optional */
};

/* Decodes n characters into a new arena block; out->len is the byte count. */
AY_MUST_USE ay_err ay_b64_decode(enum ay_b64 v, const char *s, size_t n, struct ay_arena *a,
                                 struct ay_span *out);
/* Decodes into dst of capacity cap; *out_len gets the count. AY_ERR_LIMIT if cap is short. */
AY_MUST_USE ay_err ay_b64_decode_to(enum ay_b64 v, const char *s, size_t n, uint8_t *dst,
                                    size_t cap, size_t *out_len);
/* Appends the encoding of n bytes (ANYPAD variants encode with padding). */
/* The 6-bit value of the base64 character c (base64url alphabet when url), -1 if none. */
int ay_b64_value(int c, bool url);
void ay_b64_encode(enum ay_b64 v, const uint8_t *p, size_t n, struct ay_buf *out);
/* Upper bound of decoded bytes for n characters. */
size_t ay_b64_decoded_max(size_t n);

#endif
