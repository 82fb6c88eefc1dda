/* SPDX-License-Identifier: Apache-2.0 */
/* The cursor: the only place that does pointer arithmetic on untrusted bytes (STYLE.md B.7).
 * The one bounds test is `n > len - pos`, which cannot overflow because pos <= len. */
#include "base/base_cursor.h"

#include <string.h>

struct ay_span ay_span_of(const void *p, size_t len)
{
    struct ay_span s = {(const uint8_t *)p, len};
    return s;
}

bool ay_span_eq(struct ay_span a, struct ay_span b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* A NULL input becomes this empty buffer, so base is never NULL and reads never see NULL. */
static const uint8_t empty_input[1];

void ay_cur_init(struct ay_cur *c, struct ay_span in)
{
    c->base = in.ptr == NULL ? empty_input : in.ptr;
    c->len = in.ptr == NULL ? 0 : in.len;
    c->pos = 0;
}

size_t ay_cur_left(const struct ay_cur *c)
{
    return c->len - c->pos;
}

size_t ay_cur_pos(const struct ay_cur *c)
{
    return c->pos;
}

int ay_cur_peek(const struct ay_cur *c)
{
    if (c->pos >= c->len) {
        return -1;
    }
    return c->base[c->pos];
}

struct ay_span ay_cur_rest(const struct ay_cur *c)
{
    struct ay_span s = {c->base + c->pos, c->len - c->pos};
    return s;
}

/* Points *p at n readable bytes and advances; false (cursor unchanged) if fewer remain. */
static bool take(struct ay_cur *c, size_t n, const uint8_t **p)
{
    if (n > c->len - c->pos) {
        return false;
    }
    *p = c->base + c->pos;
    c->pos += n;
    return true;
}

ay_err ay_cur_u8(struct ay_cur *c, uint8_t *out)
{
    const uint8_t *p = NULL;
    ENSURE(take(c, 1, &p), AY_ERR_TRUNCATED);
    *out = p[0];
    return AY_OK;
}

ay_err ay_cur_u16le(struct ay_cur *c, uint16_t *out)
{
    const uint8_t *p = NULL;
    ENSURE(take(c, 2, &p), AY_ERR_TRUNCATED);
    *out = (uint16_t)(p[0] | (uint16_t)(p[1] << 8));
    return AY_OK;
}

ay_err ay_cur_u32le(struct ay_cur *c, uint32_t *out)
{
    const uint8_t *p = NULL;
    ENSURE(take(c, 4, &p), AY_ERR_TRUNCATED);
    *out = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    return AY_OK;
}

ay_err ay_cur_u64le(struct ay_cur *c, uint64_t *out)
{
    const uint8_t *p = NULL;
    ENSURE(take(c, 8, &p), AY_ERR_TRUNCATED);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    *out = v;
    return AY_OK;
}

ay_err ay_cur_u16be(struct ay_cur *c, uint16_t *out)
{
    const uint8_t *p = NULL;
    ENSURE(take(c, 2, &p), AY_ERR_TRUNCATED);
    *out = (uint16_t)((uint16_t)(p[0] << 8) | p[1]);
    return AY_OK;
}

ay_err ay_cur_u32be(struct ay_cur *c, uint32_t *out)
{
    const uint8_t *p = NULL;
    ENSURE(take(c, 4, &p), AY_ERR_TRUNCATED);
    *out = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
    return AY_OK;
}

ay_err ay_cur_u64be(struct ay_cur *c, uint64_t *out)
{
    const uint8_t *p = NULL;
    ENSURE(take(c, 8, &p), AY_ERR_TRUNCATED);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }
    *out = v;
    return AY_OK;
}

ay_err ay_cur_bytes(struct ay_cur *c, size_t n, struct ay_span *out)
{
    const uint8_t *p = NULL;
    ENSURE(take(c, n, &p), AY_ERR_TRUNCATED);
    out->ptr = p;
    out->len = n;
    return AY_OK;
}

ay_err ay_cur_copy(struct ay_cur *c, void *dst, size_t n)
{
    const uint8_t *p = NULL;
    ENSURE(take(c, n, &p), AY_ERR_TRUNCATED);
    if (n > 0) {
        memcpy(dst, p, n);
    }
    return AY_OK;
}

ay_err ay_cur_skip(struct ay_cur *c, size_t n)
{
    const uint8_t *p = NULL;
    ENSURE(take(c, n, &p), AY_ERR_TRUNCATED);
    return AY_OK;
}

ay_err ay_cur_zeros(struct ay_cur *c, size_t n)
{
    ENSURE(n <= c->len - c->pos, AY_ERR_TRUNCATED);
    const uint8_t *p = c->base + c->pos;
    for (size_t i = 0; i < n; i++) {
        ENSURE(p[i] == 0, AY_ERR_MALFORMED);
    }
    c->pos += n;
    return AY_OK;
}

ay_err ay_cur_sub(struct ay_cur *c, size_t n, struct ay_cur *sub)
{
    const uint8_t *p = NULL;
    ENSURE(take(c, n, &p), AY_ERR_TRUNCATED);
    sub->base = p;
    sub->len = n;
    sub->pos = 0;
    return AY_OK;
}

ay_err ay_cur_at(const struct ay_cur *c, size_t offset)
{
    ENSURE(c->pos == offset, AY_ERR_INTERNAL);
    return AY_OK;
}

ay_err ay_cur_end(const struct ay_cur *c)
{
    ENSURE(c->pos == c->len, AY_ERR_MALFORMED);
    return AY_OK;
}
