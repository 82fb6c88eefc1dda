/* SPDX-License-Identifier: Apache-2.0 */
#include "codec/codec_hex.h"

#include "base/base_arena.h"
#include "base/base_cursor.h"

int ay_hex_digit(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

ay_err ay_hex_decode_to(const char *s, size_t n, uint8_t *dst, size_t cap, size_t *out_len)
{
    ENSURE(n % 2 == 0, AY_ERR_MALFORMED);
    ENSURE(n / 2 <= cap, AY_ERR_LIMIT);
    for (size_t i = 0; i < n; i += 2) {
        int hi = ay_hex_digit((unsigned char)s[i]);
        int lo = ay_hex_digit((unsigned char)s[i + 1]);
        ENSURE(hi >= 0 && lo >= 0, AY_ERR_MALFORMED);
        dst[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = n / 2;
    return AY_OK;
}

ay_err ay_hex_decode(const char *s, size_t n, struct ay_arena *a, struct ay_span *out)
{
    void *p;
    TRY(ay_arena_alloc(a, n / 2 + 1, &p));
    size_t len;
    TRY(ay_hex_decode_to(s, n, p, n / 2 + 1, &len));
    out->ptr = p;
    out->len = len;
    return AY_OK;
}

void ay_hex_encode(const uint8_t *p, size_t n, char *dst)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = digits[p[i] >> 4];
        dst[2 * i + 1] = digits[p[i] & 15];
    }
    dst[2 * n] = '\0';
}

ay_err ay_hex_encode_arena(const uint8_t *p, size_t n, struct ay_arena *a, char **out)
{
    ENSURE(n < SIZE_MAX / 2, AY_ERR_LIMIT);
    void *d;
    TRY(ay_arena_alloc(a, 2 * n + 1, &d));
    ay_hex_encode(p, n, d);
    *out = d;
    return AY_OK;
}
