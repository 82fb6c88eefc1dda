/* SPDX-License-Identifier: Apache-2.0 */
#include "base/base_str.h"

#include <string.h>

struct ay_str ay_str_of(const char *s)
{
    struct ay_str r = {s, s == NULL ? 0 : strlen(s)};
    return r;
}

bool ay_str_eq(struct ay_str a, struct ay_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool ay_str_eq_c(struct ay_str a, const char *b)
{
    return ay_str_eq(a, ay_str_of(b));
}

ay_err ay_str_to_u64(struct ay_str s, uint64_t *out)
{
    ENSURE(s.len > 0 && s.len <= 20, AY_ERR_MALFORMED);
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        ENSURE(ay_is_digit(s.ptr[i]), AY_ERR_MALFORMED);
        uint64_t d = (uint64_t)(s.ptr[i] - '0');
        ENSURE(v <= (UINT64_MAX - d) / 10, AY_ERR_MALFORMED);
        v = v * 10 + d;
    }
    *out = v;
    return AY_OK;
}

ay_err ay_str_to_i64(struct ay_str s, int64_t *out)
{
    bool neg = s.len > 0 && s.ptr[0] == '-';
    struct ay_str d = {s.ptr + (neg ? 1 : 0), s.len - (neg ? 1 : 0)};
    uint64_t v;
    TRY(ay_str_to_u64(d, &v));
    if (neg) {
        ENSURE(v <= (uint64_t)INT64_MAX + 1, AY_ERR_MALFORMED);
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        ENSURE(v <= (uint64_t)INT64_MAX, AY_ERR_MALFORMED);
        *out = (int64_t)v;
    }
    return AY_OK;
}

/* Words of the input, read unaligned. */
static uint64_t ld64(const char *s)
{
    uint64_t w;
    memcpy(&w, s, sizeof w);
    return w;
}

static uint64_t ld32(const char *s)
{
    uint32_t w;
    memcpy(&w, s, sizeof w);
    return w;
}

static uint64_t ld16(const char *s)
{
    uint16_t w;
    memcpy(&w, s, sizeof w);
    return w;
}

/* The word of n < 8 bytes: every byte is in it (the two halves may overlap). */
static uint64_t short_word(const char *s, size_t n)
{
    if (n >= 4) {
        return ld32(s) | ld32(s + n - 4) << 32;
    }
    if (n >= 2) {
        return ld16(s) | ld16(s + n - 2) << 16;
    }
    return n == 1 ? (uint8_t)s[0] : 0;
}

static uint64_t hash_mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0xff51afd7ed558ccdu;
    return h ^ (h >> 32);
}

uint64_t ay_hash_bytes(const char *s, size_t n)
{
    /* A word at a time (the Rego compiler hashes every variable occurrence): the last word
     * overlaps the one before instead of being read byte by byte; the length is mixed in. */
    uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15u;
    if (n < 8) {
        return hash_mix(h, short_word(s, n));
    }
    for (size_t i = 0; i + 8 < n; i += 8) {
        h = hash_mix(h, ld64(s + i));
    }
    return hash_mix(h, ld64(s + n - 8));
}

bool ay_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* ASCII eight bytes at a time: policies and JSON are mostly ASCII. */
        while (n - i >= 8) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if ((w & 0x8080808080808080u) != 0) {
                break;
            }
            i += 8;
        }
        if (i == n) {
            break;
        }
        unsigned char c = u[i];
        if (c < 0x80) {
            i++;
            continue;
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
            return false;
        }
        if (len > n - i) {
            return false;
        }
        for (size_t k = 1; k < len; k++) {
            if ((u[i + k] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (u[i + k] & 0x3Fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += len;
    }
    return true;
}
