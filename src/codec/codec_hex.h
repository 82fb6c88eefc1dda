/* SPDX-License-Identifier: Apache-2.0 */
/* Hexadecimal: strict decoding (even length, hex digits of either case), lower-case encoding. */
#ifndef AY_CODEC_HEX_H
#define AY_CODEC_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

struct ay_arena;
struct ay_span;

AY_MUST_USE ay_err ay_hex_decode(const char *s, size_t n, struct ay_arena *a, struct ay_span *out);
AY_MUST_USE ay_err ay_hex_decode_to(const char *s, size_t n, uint8_t *dst, size_t cap,
                                    size_t *out_len);
/* The value of the hex digit c (either case), -1 if c is not one. */
int ay_hex_digit(int c);
/* Writes 2n lower-case digits and a NUL into dst (capacity >= 2n + 1). */
void ay_hex_encode(const uint8_t *p, size_t n, char *dst);
/* A NUL-terminated lower-case hex string in the arena. */
AY_MUST_USE ay_err ay_hex_encode_arena(const uint8_t *p, size_t n, struct ay_arena *a, char **out);

#endif
