/* SPDX-License-Identifier: Apache-2.0 */
/* The safe-parsing cursor (STYLE.md B.7): read-only, zero-copy, bounds-checked. Every untrusted
 * byte is read through it. A failed read leaves the cursor and *out unchanged. Only
 * base_cursor.c does pointer arithmetic on input bytes. */
#ifndef AY_BASE_CURSOR_H
#define AY_BASE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

/* Borrowed bytes. */
struct ay_span {
    const uint8_t *ptr;
    size_t len;
};

/* Invariant: pos <= len. */
struct ay_cur {
    const uint8_t *base;
    size_t len;
    size_t pos;
};

struct ay_span ay_span_of(const void *p, size_t len);
bool ay_span_eq(struct ay_span a, struct ay_span b);

void ay_cur_init(struct ay_cur *c, struct ay_span in);
size_t ay_cur_left(const struct ay_cur *c);
size_t ay_cur_pos(const struct ay_cur *c);
/* The next byte without consuming it, or -1 at the end. */
int ay_cur_peek(const struct ay_cur *c);
/* The unread rest as a span (borrowed). */
struct ay_span ay_cur_rest(const struct ay_cur *c);

AY_MUST_USE ay_err ay_cur_u8(struct ay_cur *c, uint8_t *out);
AY_MUST_USE ay_err ay_cur_u16le(struct ay_cur *c, uint16_t *out);
AY_MUST_USE ay_err ay_cur_u32le(struct ay_cur *c, uint32_t *out);
AY_MUST_USE ay_err ay_cur_u64le(struct ay_cur *c, uint64_t *out);
AY_MUST_USE ay_err ay_cur_u16be(struct ay_cur *c, uint16_t *out);
AY_MUST_USE ay_err ay_cur_u32be(struct ay_cur *c, uint32_t *out);
AY_MUST_USE ay_err ay_cur_u64be(struct ay_cur *c, uint64_t *out);
/* Borrow n bytes. */
AY_MUST_USE ay_err ay_cur_bytes(struct ay_cur *c, size_t n, struct ay_span *out);
/* Copy n bytes into a fixed array. */
AY_MUST_USE ay_err ay_cur_copy(struct ay_cur *c, void *dst, size_t n);
AY_MUST_USE ay_err ay_cur_skip(struct ay_cur *c, size_t n);
/* Reserved / must-be-zero fields: AY_ERR_MALFORMED if any byte is non-zero. */
AY_MUST_USE ay_err ay_cur_zeros(struct ay_cur *c, size_t n);
/* A length-delimited region: sub covers the next n bytes, c advances past them. */
AY_MUST_USE ay_err ay_cur_sub(struct ay_cur *c, size_t n, struct ay_cur *sub);
/* Spec-offset checkpoint: AY_ERR_INTERNAL if pos != offset (a parser skipped a field). */
AY_MUST_USE ay_err ay_cur_at(const struct ay_cur *c, size_t offset);
/* AY_ERR_MALFORMED if bytes remain. */
AY_MUST_USE ay_err ay_cur_end(const struct ay_cur *c);

#endif
