/* SPDX-License-Identifier: Apache-2.0 */
/* String slices and ASCII-only classifiers (never <ctype.h> on plain char; STYLE.md B.4). */
#ifndef AY_BASE_STR_H
#define AY_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

struct ay_str {
    const char *ptr;
    size_t len;
};

struct ay_str ay_str_of(const char *s);
bool ay_str_eq(struct ay_str a, struct ay_str b);
bool ay_str_eq_c(struct ay_str a, const char *b);

static inline bool ay_is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static inline bool ay_is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool ay_is_alnum(int c)
{
    return ay_is_alpha(c) || ay_is_digit(c);
}

static inline bool ay_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static inline bool ay_is_xdigit(int c)
{
    return ay_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline int ay_to_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* A 64-bit hash of n bytes (not cryptographic): for hash tables keyed by names or strings. */
uint64_t ay_hash_bytes(const char *s, size_t n);

/* Strict unsigned decimal: digits only, no sign, no overflow. */
AY_MUST_USE ay_err ay_str_to_u64(struct ay_str s, uint64_t *out);
/* Strict signed decimal with optional leading '-'. */
AY_MUST_USE ay_err ay_str_to_i64(struct ay_str s, int64_t *out);
/* true if the n bytes are valid UTF-8 (no overlongs, no surrogates). */
bool ay_utf8_valid(const char *s, size_t n);

#endif
