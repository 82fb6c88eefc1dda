/* SPDX-License-Identifier: Apache-2.0 */
/* Growable output buffer with a hard cap and a sticky error (STYLE.md B.7 "Writers").
 * Backed by an arena when one is given, else by the heap (then ay_buf_free releases it).
 * Appends return void; ay_buf_finish returns the first failure (AY_ERR_LIMIT over the cap).
 * The content is always NUL-terminated (the NUL is not counted in len). */
#ifndef AY_BASE_BUF_H
#define AY_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

struct ay_arena;

struct ay_buf {
    struct ay_arena *arena; /* borrowed; NULL = heap */
    char *ptr;
    size_t len;
    size_t cap;
    size_t max;
    ay_err err;
};

void ay_buf_init(struct ay_buf *b, struct ay_arena *arena, size_t max);
void ay_buf_free(struct ay_buf *b);
void ay_buf_reset(struct ay_buf *b);
void ay_buf_put(struct ay_buf *b, const void *p, size_t n);
void ay_buf_putc(struct ay_buf *b, char c);
/* Appends code point cp as UTF-8; a surrogate or a value past U+10FFFF becomes U+FFFD. */
void ay_buf_put_utf8(struct ay_buf *b, uint32_t cp);
void ay_buf_puts(struct ay_buf *b, const char *s);
void ay_buf_printf(struct ay_buf *b, const char *fmt, ...) AY_PRINTF(2, 3);
/* Lower-case hex of n bytes. */
void ay_buf_hex(struct ay_buf *b, const uint8_t *p, size_t n);
/* A JSON string literal (quotes included) of n bytes of UTF-8 text; invalid UTF-8 becomes U+FFFD. */
void ay_buf_json_str(struct ay_buf *b, const char *s, size_t n);
AY_MUST_USE ay_err ay_buf_finish(const struct ay_buf *b);

#endif
