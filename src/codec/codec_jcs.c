/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 8785 (JCS) canonical JSON writer. jansson's own dump differs in three ways that matter
 * for hashing: it escapes with upper-case hex and escapes '/' optionally, it keeps insertion
 * order (or sorts by bytes, not UTF-16 units), and it prints reals with "%.17g". */
#include "codec/codec_jcs.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "base/base_str.h"

/* Yields the UTF-16 code units of a valid UTF-8 string one at a time (RFC 8785 section 3.2.3
 * orders member names by UTF-16 code units, not by code points or UTF-8 bytes). */
struct u16_iter {
    const unsigned char *s;
    size_t n;
    size_t pos;
    uint16_t pending; /* low surrogate still to yield, 0 if none */
};

static int u16_next(struct u16_iter *it)
{
    if (it->pending != 0) {
        int u = it->pending;
        it->pending = 0;
        return u;
    }
    if (it->pos >= it->n) {
        return -1;
    }
    unsigned c = it->s[it->pos];
    uint32_t cp;
    size_t extra;
    if (c < 0x80) {
        cp = c;
        extra = 0;
    } else if ((c & 0xE0) == 0xC0) {
        cp = c & 0x1F;
        extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
        cp = c & 0x0F;
        extra = 2;
    } else {
        cp = c & 0x07;
        extra = 3;
    }
    it->pos++;
    for (size_t i = 0; i < extra && it->pos < it->n; i++) {
        cp = (cp << 6) | (it->s[it->pos] & 0x3Fu);
        it->pos++;
    }
    if (cp >= 0x10000) {
        cp -= 0x10000;
        it->pending = (uint16_t)(0xDC00 | (cp & 0x3FF));
        return (int)(0xD800 | (cp >> 10));
    }
    return (int)cp;
}

static int cmp_utf16(const char *a, const char *b)
{
    struct u16_iter ia = {(const unsigned char *)a, strlen(a), 0, 0};
    struct u16_iter ib = {(const unsigned char *)b, strlen(b), 0, 0};
    for (;;) {
        int ua = u16_next(&ia);
        int ub = u16_next(&ib);
        if (ua != ub) {
            return ua < ub ? -1 : 1; /* -1 (end) sorts first: a prefix comes before */
        }
        if (ua < 0) {
            return 0;
        }
    }
}

static int cmp_keys(const void *x, const void *y)
{
    const char *const *a = x;
    const char *const *b = y;
    return cmp_utf16(*a, *b);
}

/* RFC 8785 section 3.2.2.2: only '"', '\\' and U+0000..U+001F are escaped; the five short
 * forms where JSON has them, otherwise \u00xx with lower-case hex. */
static void put_string(struct ay_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    ay_buf_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\r':
            esc = "\\r";
            break;
        default:
            if (c < 0x20) {
                u[0] = '\\';
                u[1] = 'u';
                u[2] = '0';
                u[3] = '0';
                u[4] = hex[c >> 4];
                u[5] = hex[c & 0xF];
                u[6] = '\0';
                esc = u;
            }
            break;
        }
        if (esc != NULL) {
            ay_buf_put(out, s + run, i - run);
            ay_buf_puts(out, esc);
            run = i + 1;
        }
    }
    ay_buf_put(out, s + run, n - run);
    ay_buf_putc(out, '"');
}

/* ECMAScript Number::toString (ECMA-262 section 7.1.12.1), which RFC 8785 section 3.2.2.3
 * requires: the shortest digit string that round-trips, then placed by the exponent. */
static ay_err put_number(struct ay_buf *out, double x)
{
    if (!isfinite(x)) {
        return AY_ERR_MALFORMED;
    }
    if (x == 0.0) {
        ay_buf_putc(out, '0'); /* also -0 */
        return AY_OK;
    }
    if (x < 0) {
        ay_buf_putc(out, '-');
        x = -x;
    }
    char tmp[40];
    int prec = 1;
    for (; prec <= 17; prec++) {
        (void)snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
        if (strtod(tmp, NULL) == x) {
            break;
        }
    }
    /* tmp = "d[.ddd]e[+-]XX" */
    char digits[20];
    size_t k = 0;
    const char *p = tmp;
    for (; *p != 'e' && *p != '\0'; p++) {
        if (ay_is_digit((unsigned char)*p) && k < sizeof digits - 1) {
            digits[k++] = *p;
        }
    }
    while (k > 1 && digits[k - 1] == '0') {
        k--;
    }
    digits[k] = '\0';
    long e10 = (*p == 'e') ? strtol(p + 1, NULL, 10) : 0;
    long n = e10 + 1; /* x = 0.digits * 10^n */
    long kk = (long)k;
    if (kk <= n && n <= 21) {
        ay_buf_put(out, digits, k);
        for (long i = 0; i < n - kk; i++) {
            ay_buf_putc(out, '0');
        }
    } else if (0 < n && n <= 21) {
        ay_buf_put(out, digits, (size_t)n);
        ay_buf_putc(out, '.');
        ay_buf_put(out, digits + n, k - (size_t)n);
    } else if (-6 < n && n <= 0) {
        ay_buf_puts(out, "0.");
        for (long i = 0; i < -n; i++) {
            ay_buf_putc(out, '0');
        }
        ay_buf_put(out, digits, k);
    } else {
        ay_buf_putc(out, digits[0]);
        if (k > 1) {
            ay_buf_putc(out, '.');
            ay_buf_put(out, digits + 1, k - 1);
        }
        ay_buf_printf(out, "e%c%ld", n - 1 < 0 ? '-' : '+', labs(n - 1));
    }
    return AY_OK;
}

/* Integers beyond 2^53 are not exactly representable as the IEEE doubles RFC 8785 models
 * numbers as; they are written through the double path like any ECMAScript engine would. */
#define JCS_EXACT_INT ((json_int_t)1 << 53)

static ay_err write_value(const json_t *v, struct ay_buf *out, int depth)
{
    if (depth > AY_LIMIT_JSON_DEPTH) {
        return AY_ERR_LIMIT;
    }
    switch (json_typeof(v)) {
    case JSON_NULL:
        ay_buf_puts(out, "null");
        return AY_OK;
    case JSON_TRUE:
        ay_buf_puts(out, "true");
        return AY_OK;
    case JSON_FALSE:
        ay_buf_puts(out, "false");
        return AY_OK;
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(v);
        if (i >= -JCS_EXACT_INT && i <= JCS_EXACT_INT) {
            ay_buf_printf(out, "%" JSON_INTEGER_FORMAT, i);
            return AY_OK;
        }
        return put_number(out, (double)i);
    }
    case JSON_REAL:
        return put_number(out, json_real_value(v));
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (!ay_utf8_valid(s, n)) {
            return AY_ERR_MALFORMED;
        }
        put_string(out, s, n);
        return AY_OK;
    }
    case JSON_ARRAY: {
        ay_buf_putc(out, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i > 0) {
                ay_buf_putc(out, ',');
            }
            TRY(write_value(json_array_get(v, i), out, depth + 1));
        }
        ay_buf_putc(out, ']');
        return AY_OK;
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(v);
        const char **keys = ay_xcalloc(n == 0 ? 1 : n, sizeof *keys);
        size_t i = 0;
        const char *key;
        json_t *member;
        /* json_object_foreach takes a non-const object; iteration does not modify it. */
        json_t *mv = (json_t *)(uintptr_t)v;
        json_object_foreach(mv, key, member)
        {
            if (i < n) {
                keys[i++] = key;
            }
        }
        qsort(keys, i, sizeof *keys, cmp_keys);
        ay_err err = AY_OK;
        ay_buf_putc(out, '{');
        for (size_t j = 0; j < i; j++) {
            if (j > 0) {
                ay_buf_putc(out, ',');
            }
            put_string(out, keys[j], strlen(keys[j]));
            ay_buf_putc(out, ':');
            err = write_value(json_object_get(v, keys[j]), out, depth + 1);
            if (err != AY_OK) {
                break;
            }
        }
        ay_free(keys);
        TRY(err);
        ay_buf_putc(out, '}');
        return AY_OK;
    }
    }
    return AY_ERR_MALFORMED;
}

ay_err ay_jcs_write(const json_t *v, struct ay_buf *out)
{
    if (v == NULL) {
        return AY_ERR_MALFORMED;
    }
    TRY(write_value(v, out, 0));
    return ay_buf_finish(out);
}

/* jansson's dump calls back once per token (a brace, a key, a quote): gather the pieces in a
 * local chunk and append to the output buffer in few large writes. */
#define DUMP_CHUNK 4096

struct dump_state {
    struct ay_buf *out;
    size_t used;
    char chunk[DUMP_CHUNK];
};

static void dump_flush(struct dump_state *st)
{
    if (st->used > 0) {
        ay_buf_put(st->out, st->chunk, st->used);
        st->used = 0;
    }
}

static int dump_cb(const char *p, size_t n, void *arg)
{
    struct dump_state *st = arg;
    if (n > sizeof st->chunk - st->used) {
        dump_flush(st);
        if (n > sizeof st->chunk) {
            ay_buf_put(st->out, p, n);
            return st->out->err == AY_OK ? 0 : -1;
        }
    }
    memcpy(st->chunk + st->used, p, n);
    st->used += n;
    return st->out->err == AY_OK ? 0 : -1;
}

/* ---- compact dump ----
 * The attestation path dumps claims twice per request (the policy input, the token payload),
 * and jansson's dump costs about 100 instructions a byte there. This writer makes the same
 * bytes as json_dump_callback(JSON_COMPACT): members in the object's (insertion) order, the
 * same escapes (\b \f \n \r \t \" \\, other controls as \u00XX in upper case, '/' and
 * non-ASCII as they are), integers in decimal. The rare cases are left to jansson itself: a
 * real is printed by jansson, and a string that is not valid UTF-8 (which jansson refuses)
 * or nesting past the depth cap sends the whole value back to jansson's dump. */
enum { COMPACT_OK, COMPACT_FALLBACK, COMPACT_FAIL };

/* Deeper values (none on the attestation path) are left to jansson's own dump. */
#define COMPACT_MAX_DEPTH 512u

static int put_chunk(struct dump_state *st, const char *p, size_t n)
{
    return dump_cb(p, n, st) == 0 ? COMPACT_OK : COMPACT_FAIL;
}

static int compact_str(struct dump_state *st, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!ay_utf8_valid(s, n)) {
        return COMPACT_FALLBACK;
    }
    int r = put_chunk(st, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n && r == COMPACT_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t el = 2;
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xFu];
            el = 6;
            break;
        }
        r = put_chunk(st, s + run, i - run);
        if (r == COMPACT_OK) {
            r = put_chunk(st, esc, el);
        }
        run = i + 1;
    }
    if (r == COMPACT_OK) {
        r = put_chunk(st, s + run, n - run);
    }
    return r == COMPACT_OK ? put_chunk(st, "\"", 1) : r;
}

static int compact_value(struct dump_state *st, const json_t *v, unsigned depth)
{
    if (depth > COMPACT_MAX_DEPTH) {
        return COMPACT_FALLBACK;
    }
    switch (json_typeof(v)) {
    case JSON_NULL:
        return put_chunk(st, "null", 4);
    case JSON_TRUE:
        return put_chunk(st, "true", 4);
    case JSON_FALSE:
        return put_chunk(st, "false", 5);
    case JSON_INTEGER: {
        char num[32];
        int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return n > 0 && (size_t)n < sizeof num ? put_chunk(st, num, (size_t)n) : COMPACT_FAIL;
    }
    case JSON_REAL: {
        char num[64];
        size_t n = json_dumpb(v, num, sizeof num, JSON_COMPACT | JSON_ENCODE_ANY);
        return n > 0 && n <= sizeof num ? put_chunk(st, num, n) : COMPACT_FALLBACK;
    }
    case JSON_STRING:
        return compact_str(st, json_string_value(v), json_string_length(v));
    case JSON_ARRAY: {
        int r = put_chunk(st, "[", 1);
        for (size_t i = 0; i < json_array_size(v) && r == COMPACT_OK; i++) {
            if (i > 0) {
                r = put_chunk(st, ",", 1);
            }
            if (r == COMPACT_OK) {
                r = compact_value(st, json_array_get(v, i), depth + 1);
            }
        }
        return r == COMPACT_OK ? put_chunk(st, "]", 1) : r;
    }
    case JSON_OBJECT: {
        int r = put_chunk(st, "{", 1);
        bool first = true;
        /* The iterator only reads; jansson's API takes a non-const object. */
        json_t *o = (json_t *)(uintptr_t)v;
        for (void *it = json_object_iter(o); it != NULL && r == COMPACT_OK;
             it = json_object_iter_next(o, it)) {
            if (!first) {
                r = put_chunk(st, ",", 1);
            }
            first = false;
            if (r == COMPACT_OK) {
                r = compact_str(st, json_object_iter_key(it), json_object_iter_key_len(it));
            }
            if (r == COMPACT_OK) {
                r = put_chunk(st, ":", 1);
            }
            if (r == COMPACT_OK) {
                r = compact_value(st, json_object_iter_value(it), depth + 1);
            }
        }
        return r == COMPACT_OK ? put_chunk(st, "}", 1) : r;
    }
    }
    return COMPACT_FALLBACK;
}

ay_err ay_json_dump(const json_t *v, size_t flags, struct ay_buf *out)
{
    struct dump_state st;
    st.out = out;
    st.used = 0;
    if (v != NULL && flags == JSON_COMPACT && out->err == AY_OK) {
        size_t start = out->len;
        int r = compact_value(&st, v, 0);
        if (r == COMPACT_OK) {
            dump_flush(&st);
            return ay_buf_finish(out);
        }
        if (r == COMPACT_FAIL) {
            return out->err != AY_OK ? out->err : AY_ERR_INTERNAL;
        }
        /* Start again with jansson, from where this value began. */
        st.used = 0;
        out->len = start;
        if (out->ptr != NULL) {
            out->ptr[start] = '\0';
        }
    }
    if (v == NULL || json_dump_callback(v, dump_cb, &st, flags | JSON_ENCODE_ANY) != 0) {
        return out->err != AY_OK ? out->err : AY_ERR_INTERNAL;
    }
    dump_flush(&st);
    return ay_buf_finish(out);
}
