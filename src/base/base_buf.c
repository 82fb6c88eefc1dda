/* SPDX-License-Identifier: Apache-2.0 */
/* The sticky-error output buffer. */
#include "base/base_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_mem.h"

void ay_buf_init(struct ay_buf *b, struct ay_arena *arena, size_t max)
{
    b->arena = arena;
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->err = AY_OK;
}

void ay_buf_free(struct ay_buf *b)
{
    if (b->arena == NULL) {
        ay_free(b->ptr);
    }
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
}

void ay_buf_reset(struct ay_buf *b)
{
    b->len = 0;
    b->err = AY_OK;
    if (b->ptr != NULL) {
        b->ptr[0] = '\0';
    }
}

/* Ensures room for n more bytes plus the NUL. */
static int reserve(struct ay_buf *b, size_t n)
{
    if (b->err != AY_OK) {
        return 0;
    }
    if (n > b->max || b->len > b->max - n) {
        b->err = AY_ERR_LIMIT;
        return 0;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap) {
        return 1;
    }
    size_t nc = b->cap < 256 ? 256 : b->cap;
    while (nc < need) {
        nc *= 2;
    }
    if (b->arena != NULL) {
        void *p;
        ay_err e = ay_arena_grow(b->arena, b->ptr, b->len, nc, &p);
        if (e != AY_OK) {
            b->err = e;
            return 0;
        }
        b->ptr = p;
    } else {
        b->ptr = ay_xrealloc(b->ptr, nc);
    }
    b->cap = nc;
    return 1;
}

void ay_buf_put(struct ay_buf *b, const void *p, size_t n)
{
    if (!reserve(b, n)) {
        return;
    }
    if (n > 0) {
        memcpy(b->ptr + b->len, p, n);
    }
    b->len += n;
    b->ptr[b->len] = '\0';
}

void ay_buf_putc(struct ay_buf *b, char c)
{
    ay_buf_put(b, &c, 1);
}

void ay_buf_puts(struct ay_buf *b, const char *s)
{
    ay_buf_put(b, s, strlen(s));
}

void ay_buf_printf(struct ay_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        if (b->err == AY_OK) {
            b->err = AY_ERR_INTERNAL;
        }
        return;
    }
    if ((size_t)n < sizeof small) {
        ay_buf_put(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n)) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void ay_buf_hex(struct ay_buf *b, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    if (n > SIZE_MAX / 2 || !reserve(b, n * 2)) {
        if (b->err == AY_OK) {
            b->err = AY_ERR_LIMIT;
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        b->ptr[b->len++] = digits[p[i] >> 4];
        b->ptr[b->len++] = digits[p[i] & 15];
    }
    b->ptr[b->len] = '\0';
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        return 1;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return len;
}

void ay_buf_json_str(struct ay_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    ay_buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            ay_buf_putc(b, '\\');
            ay_buf_putc(b, (char)c);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\b':
                ay_buf_puts(b, "\\b");
                break;
            case '\f':
                ay_buf_puts(b, "\\f");
                break;
            case '\n':
                ay_buf_puts(b, "\\n");
                break;
            case '\r':
                ay_buf_puts(b, "\\r");
                break;
            case '\t':
                ay_buf_puts(b, "\\t");
                break;
            default:
                ay_buf_printf(b, "\\u%04x", c);
                break;
            }
            i++;
        } else {
            size_t l = utf8_seq(u + i, n - i);
            if (l == 0) {
                ay_buf_puts(b, "\xEF\xBF\xBD");
                i++;
            } else {
                ay_buf_put(b, u + i, l);
                i += l;
            }
        }
    }
    ay_buf_putc(b, '"');
}

ay_err ay_buf_finish(const struct ay_buf *b)
{
    return b->err;
}

void ay_buf_put_utf8(struct ay_buf *b, uint32_t cp)
{
    char tmp[4];
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        cp = 0xFFFD;
    }
    if (cp < 0x80) {
        ay_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        tmp[0] = (char)(0xC0u | (cp >> 6));
        tmp[1] = (char)(0x80u | (cp & 0x3Fu));
        ay_buf_put(b, tmp, 2);
    } else if (cp < 0x10000) {
        tmp[0] = (char)(0xE0u | (cp >> 12));
        tmp[1] = (char)(0x80u | ((cp >> 6) & 0x3Fu));
        tmp[2] = (char)(0x80u | (cp & 0x3Fu));
        ay_buf_put(b, tmp, 3);
    } else {
        tmp[0] = (char)(0xF0u | (cp >> 18));
        tmp[1] = (char)(0x80u | ((cp >> 12) & 0x3Fu));
        tmp[2] = (char)(0x80u | ((cp >> 6) & 0x3Fu));
        tmp[3] = (char)(0x80u | (cp & 0x3Fu));
        ay_buf_put(b, tmp, 4);
    }
}
