/* SPDX-License-Identifier: Apache-2.0 */
/* Rego values: constructors, OPA's total order (ast.Compare, REGO.md 2.1 item 2), number
 * arithmetic with int64 overflow promoted to GMP integers, the JSON writer (OPA output format),
 * the Rego term printer and a number-preserving JSON reader (RFC 8259). */
#include "rego/rego_value.h"

#include <gmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_str.h"
#include "codec/codec_hex.h"

struct ay_val ay_val_undef(void)
{
    struct ay_val v = {AY_V_UNDEF, 0, 0, 0, {.i = 0}};
    return v;
}

struct ay_val ay_val_null(void)
{
    struct ay_val v = {AY_V_NULL, 0, 0, 0, {.i = 0}};
    return v;
}

struct ay_val ay_val_bool(bool b)
{
    struct ay_val v = {AY_V_BOOL, 0, 0, 0, {.b = b}};
    return v;
}

struct ay_val ay_val_int(int64_t i)
{
    struct ay_val v = {AY_V_NUM, AY_NUM_INT, 0, 0, {.i = i}};
    return v;
}

bool ay_val_is_coll(struct ay_val v)
{
    return v.kind == AY_V_ARR || v.kind == AY_V_OBJ || v.kind == AY_V_SET;
}

void ay_val_coll_at(struct ay_val c, uint32_t i, struct ay_val *key, struct ay_val *val)
{
    if (c.kind == AY_V_ARR) {
        *key = ay_val_int(i);
        *val = c.u.items[i];
    } else if (c.kind == AY_V_OBJ) {
        *key = c.u.pairs[i].k;
        *val = c.u.pairs[i].v;
    } else {
        *key = c.u.items[i];
        *val = *key;
    }
}

struct ay_val ay_val_double(double d)
{
    /* 2^63 is exactly representable; the int64 range is [-2^63, 2^63). */
    if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
        return ay_val_int((int64_t)d);
    }
    struct ay_val v = {AY_V_NUM, AY_NUM_DBL, 0, 0, {.d = d}};
    return v;
}

struct ay_val ay_val_str_static(const char *s)
{
    struct ay_val v = {AY_V_STR, 0, 0, (uint32_t)strlen(s), {.s = s}};
    return v;
}

ay_err ay_val_str(struct ay_arena *a, const char *s, size_t n, struct ay_val *out)
{
    ENSURE(n <= UINT32_MAX - 1, AY_ERR_LIMIT);
    char *p;
    TRY(ay_arena_strndup(a, s, n, &p));
    struct ay_val v = {AY_V_STR, 0, 0, (uint32_t)n, {.s = p}};
    *out = v;
    return AY_OK;
}

/* A big integer from an mpz: int64 when it fits, else canonical decimal text in the arena. */
static ay_err from_mpz(struct ay_arena *a, const mpz_t z, struct ay_val *out)
{
    if (mpz_fits_slong_p(z) && sizeof(long) == sizeof(int64_t)) {
        *out = ay_val_int((int64_t)mpz_get_si(z));
        return AY_OK;
    }
    size_t n = mpz_sizeinbase(z, 10) + 2;
    char *p;
    TRY(ay_arena_alloc(a, n, (void **)&p));
    mpz_get_str(p, 10, z);
    struct ay_val v = {AY_V_NUM, AY_NUM_BIG, 0, (uint32_t)strlen(p), {.s = p}};
    *out = v;
    return AY_OK;
}

/* Loads any integer-valued number into z (the caller did mpz_init). */
static void to_mpz(mpz_t z, struct ay_val v)
{
    if (v.sub == AY_NUM_INT) {
        mpz_set_si(z, (long)v.u.i);
    } else if (v.sub == AY_NUM_BIG) {
        mpz_set_str(z, v.u.s, 10);
    } else {
        mpz_set_d(z, v.u.d);
    }
}

/* A decimal text with an exponent whose value is too large for a double ("2e308") as an exact
 * big integer marked AY_VAL_F_NUM_EXP, so it prints back in exponent form. AY_ERR_LIMIT when
 * it is not an integer or needs more than AY_LIMIT_REGO_NUM_DIGITS digits. */
static ay_err big_exp_text(struct ay_arena *a, const char *s, size_t n, struct ay_val *out)
{
    char digits[AY_LIMIT_REGO_NUM_DIGITS + 2];
    size_t nd = 0;
    size_t frac = 0;
    size_t i = 0;
    bool neg = false;
    bool in_frac = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    if (neg) {
        digits[nd++] = '-';
    }
    for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            in_frac = true;
            continue;
        }
        ENSURE(ay_is_digit((unsigned char)s[i]), AY_ERR_MALFORMED);
        ENSURE(nd < AY_LIMIT_REGO_NUM_DIGITS, AY_ERR_LIMIT);
        if (nd == (size_t)neg && s[i] == '0') {
            if (in_frac) {
                frac++;
            }
            continue; /* leading zeros */
        }
        digits[nd++] = s[i];
        frac += in_frac ? 1 : 0;
    }
    ENSURE(i < n && nd > (size_t)neg, AY_ERR_LIMIT);
    int64_t e;
    i++;
    if (i < n && s[i] == '+') {
        i++;
    }
    ENSURE(ay_str_to_i64((struct ay_str){s + i, n - i}, &e) == AY_OK, AY_ERR_LIMIT);
    ENSURE(e >= (int64_t)frac && e - (int64_t)frac <= AY_LIMIT_REGO_NUM_DIGITS, AY_ERR_LIMIT);
    size_t zeros = (size_t)(e - (int64_t)frac);
    ENSURE(nd + zeros <= AY_LIMIT_REGO_NUM_DIGITS, AY_ERR_LIMIT);
    char *p;
    TRY(ay_arena_alloc(a, nd + zeros + 1, (void **)&p));
    memcpy(p, digits, nd);
    memset(p + nd, '0', zeros);
    p[nd + zeros] = '\0';
    struct ay_val v = {AY_V_NUM, AY_NUM_BIG, AY_VAL_F_NUM_EXP, (uint32_t)(nd + zeros), {.s = p}};
    *out = v;
    return AY_OK;
}

ay_err ay_val_num_text(struct ay_arena *a, const char *s, size_t n, struct ay_val *out)
{
    bool is_int = n > 0;
    size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
    ENSURE(i < n, AY_ERR_MALFORMED);
    for (size_t j = i; j < n; j++) {
        if (!ay_is_digit((unsigned char)s[j])) {
            is_int = false;
        }
    }
    char tmp[64];
    char *txt = tmp;
    char *heap = NULL;
    if (n >= sizeof tmp) {
        TRY(ay_arena_strndup(a, s, n, &heap));
        txt = heap;
    } else {
        memcpy(tmp, s, n);
        tmp[n] = '\0';
    }
    if (is_int) {
        int64_t iv;
        if (ay_str_to_i64((struct ay_str){s, n}, &iv) == AY_OK) {
            *out = ay_val_int(iv);
            return AY_OK;
        }
        mpz_t z;
        ENSURE(mpz_init_set_str(z, txt, 10) == 0, AY_ERR_MALFORMED);
        ay_err e = from_mpz(a, z, out);
        mpz_clear(z);
        return e;
    }
    char *end = NULL;
    double d = strtod(txt, &end);
    ENSURE(end == txt + n, AY_ERR_MALFORMED);
    if (!isfinite(d)) {
        /* Beyond the double range (2e308): OPA keeps the literal as a big decimal; every such
         * value is an integer in practice, so it is kept exact as a big integer. */
        return big_exp_text(a, s, n, out);
    }
    *out = ay_val_double(d);
    return AY_OK;
}

/* ---- ordering ---- */

static int kind_rank(uint8_t k)
{
    /* ast.Compare sortOrder: null 0, boolean 1, number 2, string 3, array 6, object 7, set 8. */
    return (int)k;
}

static int cmp_num(struct ay_val a, struct ay_val b)
{
    if (a.sub == AY_NUM_INT && b.sub == AY_NUM_INT) {
        return a.u.i < b.u.i ? -1 : (a.u.i > b.u.i ? 1 : 0);
    }
    if (a.sub == AY_NUM_DBL && b.sub == AY_NUM_DBL) {
        return a.u.d < b.u.d ? -1 : (a.u.d > b.u.d ? 1 : 0);
    }
    if (a.sub == AY_NUM_DBL || b.sub == AY_NUM_DBL) {
        /* Exact comparison of an integer with a double through GMP. */
        bool swap = a.sub == AY_NUM_DBL;
        struct ay_val iv = swap ? b : a;
        double d = swap ? a.u.d : b.u.d;
        mpz_t z;
        mpz_init(z);
        to_mpz(z, iv);
        int c = mpz_cmp_d(z, d);
        mpz_clear(z);
        c = c < 0 ? -1 : (c > 0 ? 1 : 0);
        return swap ? -c : c;
    }
    mpz_t x;
    mpz_t y;
    mpz_init(x);
    mpz_init(y);
    to_mpz(x, a);
    to_mpz(y, b);
    int c = mpz_cmp(x, y);
    mpz_clear(x);
    mpz_clear(y);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

static int cmp_str(struct ay_val a, struct ay_val b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n > 0 ? memcmp(a.u.s, b.u.s, n) : 0;
    if (c != 0) {
        return c < 0 ? -1 : 1;
    }
    return a.len < b.len ? -1 : (a.len > b.len ? 1 : 0);
}

int ay_val_compare(struct ay_val a, struct ay_val b)
{
    if (a.kind != b.kind) {
        return kind_rank(a.kind) < kind_rank(b.kind) ? -1 : 1;
    }
    switch ((enum ay_val_kind)a.kind) {
    case AY_V_UNDEF:
    case AY_V_NULL:
        return 0;
    case AY_V_BOOL:
        return (int)a.u.b - (int)b.u.b;
    case AY_V_NUM:
        return cmp_num(a, b);
    case AY_V_STR:
        return cmp_str(a, b);
    case AY_V_ARR:
    case AY_V_SET: {
        size_t n = a.len < b.len ? a.len : b.len;
        for (size_t i = 0; i < n; i++) {
            int c = ay_val_compare(a.u.items[i], b.u.items[i]);
            if (c != 0) {
                return c;
            }
        }
        return a.len < b.len ? -1 : (a.len > b.len ? 1 : 0);
    }
    case AY_V_OBJ: {
        size_t n = a.len < b.len ? a.len : b.len;
        for (size_t i = 0; i < n; i++) {
            int c = ay_val_compare(a.u.pairs[i].k, b.u.pairs[i].k);
            if (c != 0) {
                return c;
            }
            c = ay_val_compare(a.u.pairs[i].v, b.u.pairs[i].v);
            if (c != 0) {
                return c;
            }
        }
        return a.len < b.len ? -1 : (a.len > b.len ? 1 : 0);
    }
    }
    return 0;
}

bool ay_val_equal(struct ay_val a, struct ay_val b)
{
    if (a.kind != b.kind || (a.kind != AY_V_NUM && a.len != b.len)) {
        return false;
    }
    if (a.kind == AY_V_STR) {
        return a.len == 0 || memcmp(a.u.s, b.u.s, a.len) == 0;
    }
    return ay_val_compare(a, b) == 0;
}

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

uint64_t ay_val_hash(struct ay_val v)
{
    uint64_t h = v.kind;
    switch ((enum ay_val_kind)v.kind) {
    case AY_V_UNDEF:
    case AY_V_NULL:
        return h;
    case AY_V_BOOL:
        return mix(h, v.u.b ? 1 : 0);
    case AY_V_NUM: {
        int64_t i;
        if (ay_val_to_i64(v, &i)) {
            return mix(h, (uint64_t)i);
        }
        double d = ay_val_to_double(v);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return mix(h, bits);
    }
    case AY_V_STR: {
        return mix(h, ay_hash_bytes(v.u.s, v.len));
    }
    case AY_V_ARR:
    case AY_V_SET:
        for (uint32_t i = 0; i < v.len; i++) {
            h = mix(h, ay_val_hash(v.u.items[i]));
        }
        return h;
    case AY_V_OBJ:
        for (uint32_t i = 0; i < v.len; i++) {
            h = mix(h, ay_val_hash(v.u.pairs[i].k));
            h = mix(h, ay_val_hash(v.u.pairs[i].v));
        }
        return h;
    }
    return h;
}

/* ay_val_compare for object keys, which are nearly always strings: those compared here, most
 * by their first byte (an evaluation looks keys up and sorts the objects of its input by them). */
static inline int key_cmp(struct ay_val a, struct ay_val b)
{
    if (a.kind != AY_V_STR || b.kind != AY_V_STR) {
        return ay_val_compare(a, b);
    }
    if (a.len > 0 && b.len > 0 && a.u.s[0] != b.u.s[0]) {
        return (unsigned char)a.u.s[0] < (unsigned char)b.u.s[0] ? -1 : 1;
    }
    return cmp_str(a, b);
}

const struct ay_val *ay_val_obj_get(struct ay_val obj, struct ay_val key)
{
    if (obj.kind != AY_V_OBJ) {
        return NULL;
    }
    size_t lo = 0;
    size_t hi = obj.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(obj.u.pairs[mid].k, key);
        if (c == 0) {
            return &obj.u.pairs[mid].v;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

const struct ay_val *ay_val_obj_get_str(struct ay_val obj, const char *key, size_t n)
{
    struct ay_val k = {AY_V_STR, 0, 0, (uint32_t)n, {.s = key}};
    return ay_val_obj_get(obj, k);
}

bool ay_val_set_has(struct ay_val set, struct ay_val x)
{
    if (set.kind != AY_V_SET) {
        return false;
    }
    size_t lo = 0;
    size_t hi = set.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = ay_val_compare(set.u.items[mid], x);
        if (c == 0) {
            return true;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return false;
}

/* ---- collections ---- */

static int cmp_val_qsort(const void *x, const void *y)
{
    return ay_val_compare(*(const struct ay_val *)x, *(const struct ay_val *)y);
}

static int cmp_kv_qsort(const void *x, const void *y)
{
    const struct ay_kv *a = x;
    const struct ay_kv *b = y;
    int c = key_cmp(a->k, b->k);
    if (c != 0) {
        return c;
    }
    /* Stable for duplicates: the later pair sorts last so "last wins" keeps it. */
    return a < b ? -1 : (a > b ? 1 : 0);
}

ay_err ay_val_array(struct ay_arena *a, const struct ay_val *items, size_t n, struct ay_val *out)
{
    ENSURE(n <= UINT32_MAX, AY_ERR_LIMIT);
    struct ay_val *p = NULL;
    if (n > 0) {
        TRY(ay_arena_array(a, n, sizeof *p, (void **)&p));
        memcpy(p, items, n * sizeof *p);
    }
    struct ay_val v = {AY_V_ARR, 0, 0, (uint32_t)n, {.items = p}};
    *out = v;
    return AY_OK;
}

static size_t sort_unique(struct ay_val *p, size_t n)
{
    if (n < 2) {
        return n;
    }
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++) {
        if (ay_val_compare(p[i - 1], p[i]) >= 0) {
            sorted = false;
        }
    }
    if (sorted) {
        return n;
    }
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            struct ay_val x = p[i];
            size_t j = i;
            while (j > 0 && ay_val_compare(p[j - 1], x) > 0) {
                p[j] = p[j - 1];
                j--;
            }
            p[j] = x;
        }
    } else {
        qsort(p, n, sizeof *p, cmp_val_qsort);
    }
    size_t w = 1;
    for (size_t i = 1; i < n; i++) {
        if (ay_val_compare(p[w - 1], p[i]) != 0) {
            p[w++] = p[i];
        }
    }
    return w;
}

ay_err ay_val_set(struct ay_arena *a, const struct ay_val *items, size_t n, struct ay_val *out)
{
    ENSURE(n <= UINT32_MAX, AY_ERR_LIMIT);
    struct ay_val *p = NULL;
    if (n > 0) {
        TRY(ay_arena_array(a, n, sizeof *p, (void **)&p));
        memcpy(p, items, n * sizeof *p);
    }
    n = sort_unique(p, n);
    struct ay_val v = {AY_V_SET, 0, 0, (uint32_t)n, {.items = p}};
    *out = v;
    return AY_OK;
}

static ay_err sort_pairs(struct ay_kv *p, size_t n, bool strict_dups, size_t *out_n)
{
    if (n < 2) {
        *out_n = n;
        return AY_OK;
    }
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++) {
        if (key_cmp(p[i - 1].k, p[i].k) >= 0) {
            sorted = false;
        }
    }
    if (sorted) {
        *out_n = n;
        return AY_OK;
    }
    if (n <= 16) {
        /* Small objects (most JSON objects): a stable insertion sort, no qsort overhead. */
        for (size_t i = 1; i < n; i++) {
            struct ay_kv x = p[i];
            size_t j = i;
            while (j > 0 && key_cmp(p[j - 1].k, x.k) > 0) {
                p[j] = p[j - 1];
                j--;
            }
            p[j] = x;
        }
    } else {
        qsort(p, n, sizeof *p, cmp_kv_qsort);
    }
    size_t w = 1;
    for (size_t i = 1; i < n; i++) {
        if (key_cmp(p[w - 1].k, p[i].k) == 0) {
            if (strict_dups && !ay_val_equal(p[w - 1].v, p[i].v)) {
                return AY_ERR_CONFLICT;
            }
            p[w - 1] = p[i];
        } else {
            p[w++] = p[i];
        }
    }
    *out_n = w;
    return AY_OK;
}

ay_err ay_val_object(struct ay_arena *a, const struct ay_kv *pairs, size_t n, bool strict_dups,
                     struct ay_val *out)
{
    ENSURE(n <= UINT32_MAX, AY_ERR_LIMIT);
    struct ay_kv *p = NULL;
    if (n > 0) {
        TRY(ay_arena_array(a, n, sizeof *p, (void **)&p));
        memcpy(p, pairs, n * sizeof *p);
    }
    TRY(sort_pairs(p, n, strict_dups, &n));
    struct ay_val v = {AY_V_OBJ, 0, 0, (uint32_t)n, {.pairs = p}};
    *out = v;
    return AY_OK;
}

void ay_val_vec_init(struct ay_val_vec *v, struct ay_arena *a)
{
    v->arena = a;
    v->items = NULL;
    v->n = 0;
    v->cap = 0;
}

ay_err ay_val_vec_push(struct ay_val_vec *v, struct ay_val x)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 8;
        ENSURE(nc <= UINT32_MAX, AY_ERR_LIMIT);
        void *p;
        TRY(ay_arena_grow(v->arena, v->items, v->n * sizeof *v->items, nc * sizeof *v->items, &p));
        v->items = p;
        v->cap = nc;
    }
    v->items[v->n++] = x;
    return AY_OK;
}

struct ay_val ay_val_vec_array(const struct ay_val_vec *v)
{
    struct ay_val r = {AY_V_ARR, 0, 0, (uint32_t)v->n, {.items = v->items}};
    return r;
}

struct ay_val ay_val_vec_set(struct ay_val_vec *v)
{
    v->n = sort_unique(v->items, v->n);
    struct ay_val r = {AY_V_SET, 0, 0, (uint32_t)v->n, {.items = v->items}};
    return r;
}

void ay_kv_vec_init(struct ay_kv_vec *v, struct ay_arena *a)
{
    v->arena = a;
    v->pairs = NULL;
    v->n = 0;
    v->cap = 0;
}

ay_err ay_kv_vec_push(struct ay_kv_vec *v, struct ay_val k, struct ay_val val)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 8;
        ENSURE(nc <= UINT32_MAX, AY_ERR_LIMIT);
        void *p;
        TRY(ay_arena_grow(v->arena, v->pairs, v->n * sizeof *v->pairs, nc * sizeof *v->pairs, &p));
        v->pairs = p;
        v->cap = nc;
    }
    v->pairs[v->n].k = k;
    v->pairs[v->n].v = val;
    v->n++;
    return AY_OK;
}

ay_err ay_kv_vec_object(struct ay_kv_vec *v, bool strict_dups, struct ay_val *out)
{
    size_t n;
    TRY(sort_pairs(v->pairs, v->n, strict_dups, &n));
    v->n = n;
    struct ay_val r = {AY_V_OBJ, 0, 0, (uint32_t)n, {.pairs = v->pairs}};
    *out = r;
    return AY_OK;
}

/* ---- accessors ---- */

const char *ay_val_type_name(struct ay_val v)
{
    switch ((enum ay_val_kind)v.kind) {
    case AY_V_UNDEF:
        return "undefined";
    case AY_V_NULL:
        return "null";
    case AY_V_BOOL:
        return "boolean";
    case AY_V_NUM:
        return "number";
    case AY_V_STR:
        return "string";
    case AY_V_ARR:
        return "array";
    case AY_V_OBJ:
        return "object";
    case AY_V_SET:
        return "set";
    }
    return "?";
}

bool ay_val_num_is_int(struct ay_val v)
{
    if (v.kind != AY_V_NUM) {
        return false;
    }
    return v.sub != AY_NUM_DBL || v.u.d == floor(v.u.d);
}

bool ay_val_to_i64(struct ay_val v, int64_t *out)
{
    if (v.kind != AY_V_NUM) {
        return false;
    }
    if (v.sub == AY_NUM_INT) {
        *out = v.u.i;
        return true;
    }
    if (v.sub == AY_NUM_DBL && v.u.d == floor(v.u.d) && v.u.d >= -9223372036854775808.0 &&
        v.u.d < 9223372036854775808.0) {
        *out = (int64_t)v.u.d;
        return true;
    }
    return false;
}

double ay_val_to_double(struct ay_val v)
{
    if (v.kind != AY_V_NUM) {
        return 0.0;
    }
    if (v.sub == AY_NUM_INT) {
        return (double)v.u.i;
    }
    if (v.sub == AY_NUM_DBL) {
        return v.u.d;
    }
    return strtod(v.u.s, NULL);
}

/* ---- arithmetic ---- */

enum op { OP_ADD, OP_SUB, OP_MUL };

static ay_err arith(struct ay_arena *a, enum op op, struct ay_val x, struct ay_val y,
                    struct ay_val *out)
{
    ENSURE(x.kind == AY_V_NUM && y.kind == AY_V_NUM, AY_ERR_POLICY_EVAL);
    if (x.sub == AY_NUM_INT && y.sub == AY_NUM_INT) {
        int64_t r;
        bool ovf = false;
        switch (op) {
        case OP_ADD:
            ovf = __builtin_add_overflow(x.u.i, y.u.i, &r);
            break;
        case OP_SUB:
            ovf = __builtin_sub_overflow(x.u.i, y.u.i, &r);
            break;
        case OP_MUL:
            ovf = __builtin_mul_overflow(x.u.i, y.u.i, &r);
            break;
        }
        if (!ovf) {
            *out = ay_val_int(r);
            return AY_OK;
        }
    }
    if (x.sub != AY_NUM_DBL && y.sub != AY_NUM_DBL) {
        mpz_t p;
        mpz_t q;
        mpz_init(p);
        mpz_init(q);
        to_mpz(p, x);
        to_mpz(q, y);
        switch (op) {
        case OP_ADD:
            mpz_add(p, p, q);
            break;
        case OP_SUB:
            mpz_sub(p, p, q);
            break;
        case OP_MUL:
            mpz_mul(p, p, q);
            break;
        }
        ay_err e = from_mpz(a, p, out);
        mpz_clear(p);
        mpz_clear(q);
        return e;
    }
    double dx = ay_val_to_double(x);
    double dy = ay_val_to_double(y);
    double r = op == OP_ADD ? dx + dy : (op == OP_SUB ? dx - dy : dx * dy);
    ENSURE(isfinite(r), AY_ERR_POLICY_EVAL);
    *out = ay_val_double(r);
    return AY_OK;
}

ay_err ay_val_num_add(struct ay_arena *a, struct ay_val x, struct ay_val y, struct ay_val *out)
{
    return arith(a, OP_ADD, x, y, out);
}

ay_err ay_val_num_sub(struct ay_arena *a, struct ay_val x, struct ay_val y, struct ay_val *out)
{
    return arith(a, OP_SUB, x, y, out);
}

ay_err ay_val_num_mul(struct ay_arena *a, struct ay_val x, struct ay_val y, struct ay_val *out)
{
    return arith(a, OP_MUL, x, y, out);
}

static bool is_zero(struct ay_val v)
{
    return (v.sub == AY_NUM_INT && v.u.i == 0) || (v.sub == AY_NUM_DBL && v.u.d == 0.0);
}

ay_err ay_val_num_div(struct ay_arena *a, struct ay_val x, struct ay_val y, struct ay_val *out)
{
    ENSURE(x.kind == AY_V_NUM && y.kind == AY_V_NUM, AY_ERR_POLICY_EVAL);
    ENSURE(!is_zero(y), AY_ERR_POLICY_EVAL);
    if (x.sub == AY_NUM_INT && y.sub == AY_NUM_INT && y.u.i != -1 && x.u.i % y.u.i == 0) {
        *out = ay_val_int(x.u.i / y.u.i);
        return AY_OK;
    }
    if (x.sub != AY_NUM_DBL && y.sub != AY_NUM_DBL) {
        mpz_t p;
        mpz_t q;
        mpz_init(p);
        mpz_init(q);
        to_mpz(p, x);
        to_mpz(q, y);
        ay_err e;
        if (mpz_divisible_p(p, q)) {
            mpz_divexact(p, p, q);
            e = from_mpz(a, p, out);
        } else {
            double r = mpz_get_d(p) / mpz_get_d(q);
            e = isfinite(r) ? AY_OK : AY_ERR_POLICY_EVAL;
            *out = ay_val_double(r);
        }
        mpz_clear(p);
        mpz_clear(q);
        return e;
    }
    double r = ay_val_to_double(x) / ay_val_to_double(y);
    ENSURE(isfinite(r), AY_ERR_POLICY_EVAL);
    *out = ay_val_double(r);
    return AY_OK;
}

ay_err ay_val_num_rem(struct ay_arena *a, struct ay_val x, struct ay_val y, struct ay_val *out)
{
    ENSURE(ay_val_num_is_int(x) && ay_val_num_is_int(y), AY_ERR_POLICY_EVAL);
    ENSURE(!is_zero(y), AY_ERR_POLICY_EVAL);
    if (x.sub == AY_NUM_INT && y.sub == AY_NUM_INT) {
        *out = ay_val_int(y.u.i == -1 ? 0 : x.u.i % y.u.i);
        return AY_OK;
    }
    mpz_t p;
    mpz_t q;
    mpz_init(p);
    mpz_init(q);
    to_mpz(p, x);
    to_mpz(q, y);
    mpz_tdiv_r(p, p, q); /* truncated: the sign follows x, as Go's % */
    ay_err e = from_mpz(a, p, out);
    mpz_clear(p);
    mpz_clear(q);
    return e;
}

ay_err ay_val_num_neg(struct ay_arena *a, struct ay_val x, struct ay_val *out)
{
    return arith(a, OP_SUB, ay_val_int(0), x, out);
}

/* ---- writers ---- */

void ay_val_write_num(struct ay_buf *b, struct ay_val v)
{
    if (v.sub == AY_NUM_INT) {
        ay_buf_printf(b, "%lld", (long long)v.u.i);
        return;
    }
    if (v.sub == AY_NUM_BIG && (v.flags & AY_VAL_F_NUM_EXP) != 0) {
        /* written with an exponent in the policy: significant digits, then e<zeros> */
        size_t end = v.len;
        while (end > 1 && v.u.s[end - 1] == '0') {
            end--;
        }
        ay_buf_put(b, v.u.s, end);
        ay_buf_printf(b, "e%zu", (size_t)v.len - end);
        return;
    }
    if (v.sub == AY_NUM_BIG) {
        ay_buf_put(b, v.u.s, v.len);
        return;
    }
    double d = v.u.d;
    if (d == floor(d) && fabs(d) < 1e21) {
        ay_buf_printf(b, "%.0f", d);
        return;
    }
    /* Shortest text that reads back to the same double (Go's strconv 'g' -1). */
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d) {
            break;
        }
    }
    ay_buf_puts(b, tmp);
}

static void write_json(struct ay_buf *b, struct ay_val v)
{
    switch ((enum ay_val_kind)v.kind) {
    case AY_V_UNDEF:
    case AY_V_NULL:
        ay_buf_puts(b, "null");
        return;
    case AY_V_BOOL:
        ay_buf_puts(b, v.u.b ? "true" : "false");
        return;
    case AY_V_NUM:
        ay_val_write_num(b, v);
        return;
    case AY_V_STR:
        ay_buf_json_str(b, v.u.s, v.len);
        return;
    case AY_V_ARR:
    case AY_V_SET:
        ay_buf_putc(b, '[');
        for (uint32_t i = 0; i < v.len; i++) {
            if (i > 0) {
                ay_buf_putc(b, ',');
            }
            write_json(b, v.u.items[i]);
        }
        ay_buf_putc(b, ']');
        return;
    case AY_V_OBJ:
        ay_buf_putc(b, '{');
        for (uint32_t i = 0; i < v.len; i++) {
            if (i > 0) {
                ay_buf_putc(b, ',');
            }
            struct ay_val k = v.u.pairs[i].k;
            if (k.kind == AY_V_STR) {
                ay_buf_json_str(b, k.u.s, k.len);
            } else {
                struct ay_buf kb;
                ay_buf_init(&kb, NULL, b->max);
                write_json(&kb, k);
                ay_buf_json_str(b, kb.ptr ? kb.ptr : "", kb.len);
                ay_buf_free(&kb);
            }
            ay_buf_putc(b, ':');
            write_json(b, v.u.pairs[i].v);
        }
        ay_buf_putc(b, '}');
        return;
    }
}

void ay_val_write_json(struct ay_buf *b, struct ay_val v)
{
    write_json(b, v);
}

void ay_val_write_term(struct ay_buf *b, struct ay_val v)
{
    switch ((enum ay_val_kind)v.kind) {
    case AY_V_UNDEF:
        ay_buf_puts(b, "undefined");
        return;
    case AY_V_NULL:
    case AY_V_BOOL:
    case AY_V_NUM:
    case AY_V_STR:
        write_json(b, v);
        return;
    case AY_V_ARR:
        ay_buf_putc(b, '[');
        for (uint32_t i = 0; i < v.len; i++) {
            if (i > 0) {
                ay_buf_puts(b, ", ");
            }
            ay_val_write_term(b, v.u.items[i]);
        }
        ay_buf_putc(b, ']');
        return;
    case AY_V_SET:
        if (v.len == 0) {
            ay_buf_puts(b, "set()");
            return;
        }
        ay_buf_putc(b, '{');
        for (uint32_t i = 0; i < v.len; i++) {
            if (i > 0) {
                ay_buf_puts(b, ", ");
            }
            ay_val_write_term(b, v.u.items[i]);
        }
        ay_buf_putc(b, '}');
        return;
    case AY_V_OBJ:
        ay_buf_putc(b, '{');
        for (uint32_t i = 0; i < v.len; i++) {
            if (i > 0) {
                ay_buf_puts(b, ", ");
            }
            ay_val_write_term(b, v.u.pairs[i].k);
            ay_buf_puts(b, ": ");
            ay_val_write_term(b, v.u.pairs[i].v);
        }
        ay_buf_putc(b, '}');
        return;
    }
}

/* ---- JSON reader ---- */

struct jr {
    struct ay_arena *a;
    const char *s;
    size_t n;
    size_t pos;
    size_t max_depth;
    struct ay_diag *diag;
};

static ay_err jfail(struct jr *r, ay_err code, const char *what)
{
    if (r->diag != NULL) {
        return FAIL(r->diag, code, "json: offset %zu: %s", r->pos, what);
    }
    return code;
}

static void jws(struct jr *r)
{
    while (r->pos < r->n && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' ||
                             r->s[r->pos] == '\n' || r->s[r->pos] == '\r')) {
        r->pos++;
    }
}

static int jpeek(const struct jr *r)
{
    return r->pos < r->n ? (unsigned char)r->s[r->pos] : -1;
}

static bool jlit(struct jr *r, const char *lit)
{
    size_t l = strlen(lit);
    if (r->n - r->pos >= l && memcmp(r->s + r->pos, lit, l) == 0) {
        r->pos += l;
        return true;
    }
    return false;
}

static bool hex4(struct jr *r, uint32_t *out)
{
    if (r->n - r->pos < 4) {
        return false;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = ay_hex_digit((unsigned char)r->s[r->pos + (size_t)i]);
        if (h < 0) {
            return false;
        }
        v = v * 16 + (uint32_t)h;
    }
    r->pos += 4;
    *out = v;
    return true;
}

#define ONES UINT64_C(0x0101010101010101)

/* Nonzero if a byte of w (all bytes < 0x80) is below n (n <= 0x80). */
static inline uint64_t has_below(uint64_t w, unsigned n)
{
    return (w - ONES * n) & ~w & ONES * 0x80;
}

/* Nonzero if a byte of w equals c. */
static inline uint64_t has_byte(uint64_t w, unsigned char c)
{
    uint64_t x = w ^ (ONES * c);
    return (x - ONES) & ~x & ONES * 0x80;
}

static ay_err jstring(struct jr *r, struct ay_val *out)
{
    r->pos++; /* opening quote */
    size_t start = r->pos;
    /* Fast path: no escapes. UTF-8 is checked only when a byte is not ASCII (claims are
     * mostly hex and base64: this is the hottest loop of an evaluation). */
    unsigned char hi = 0;
    const unsigned char *q = (const unsigned char *)r->s + r->pos;
    const unsigned char *end = (const unsigned char *)r->s + r->n;
    /* Eight plain ASCII bytes at a time (not '"', '\\', control or >= 0x80), then bytewise. */
    while (end - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        if (((w & ONES * 0x80) | has_below(w, 0x20) | has_byte(w, '"') | has_byte(w, '\\')) != 0) {
            break;
        }
        q += 8;
    }
    while (q < end && *q >= 0x20 && *q != '"' && *q != '\\') {
        hi |= *q++;
    }
    r->pos = (size_t)(q - (const unsigned char *)r->s);
    while (r->pos < r->n) {
        unsigned char c = (unsigned char)r->s[r->pos];
        hi |= c;
        if (c == '"') {
            if (hi >= 0x80 && !ay_utf8_valid(r->s + start, r->pos - start)) {
                return jfail(r, AY_ERR_MALFORMED, "invalid UTF-8 in string");
            }
            TRY(ay_val_str(r->a, r->s + start, r->pos - start, out));
            r->pos++;
            return AY_OK;
        }
        if (c == '\\') {
            break;
        }
        if (c < 0x20) {
            return jfail(r, AY_ERR_MALFORMED, "control character in string");
        }
        r->pos++;
    }
    struct ay_buf b;
    ay_buf_init(&b, r->a, UINT32_MAX - 1);
    ay_buf_put(&b, r->s + start, r->pos - start);
    while (r->pos < r->n) {
        unsigned char c = (unsigned char)r->s[r->pos];
        if (c == '"') {
            r->pos++;
            TRY(ay_buf_finish(&b));
            /* \u escapes are encoded valid; raw bytes need the check only if not ASCII. */
            if (hi >= 0x80 && !ay_utf8_valid(b.ptr ? b.ptr : "", b.len)) {
                return jfail(r, AY_ERR_MALFORMED, "invalid UTF-8 in string");
            }
            struct ay_val v = {AY_V_STR, 0, 0, (uint32_t)b.len, {.s = b.ptr ? b.ptr : ""}};
            *out = v;
            return AY_OK;
        }
        if (c < 0x20) {
            return jfail(r, AY_ERR_MALFORMED, "control character in string");
        }
        if (c != '\\') {
            hi |= c;
            ay_buf_putc(&b, (char)c);
            r->pos++;
            continue;
        }
        r->pos++;
        int e = jpeek(r);
        r->pos++;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            ay_buf_putc(&b, (char)e);
            break;
        case 'b':
            ay_buf_putc(&b, '\b');
            break;
        case 'f':
            ay_buf_putc(&b, '\f');
            break;
        case 'n':
            ay_buf_putc(&b, '\n');
            break;
        case 'r':
            ay_buf_putc(&b, '\r');
            break;
        case 't':
            ay_buf_putc(&b, '\t');
            break;
        case 'u': {
            uint32_t cp;
            if (!hex4(r, &cp)) {
                return jfail(r, AY_ERR_MALFORMED, "bad \\u escape");
            }
            /* Go's encoding/json: a high surrogate joins a following \\u low surrogate;
             * any other surrogate is U+FFFD and a following escape is read on its own. */
            if (cp >= 0xD800 && cp < 0xDC00 && r->n - r->pos >= 2 && r->s[r->pos] == '\\' &&
                r->s[r->pos + 1] == 'u') {
                size_t at = r->pos;
                uint32_t lo;
                r->pos += 2;
                if (hex4(r, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else {
                    r->pos = at;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            ay_buf_put_utf8(&b, cp);
            break;
        }
        default:
            r->pos--;
            return jfail(r, AY_ERR_MALFORMED, "bad escape");
        }
    }
    return jfail(r, AY_ERR_MALFORMED, "unterminated string");
}

static ay_err jnumber(struct jr *r, struct ay_val *out)
{
    size_t start = r->pos;
    if (jpeek(r) == '-') {
        r->pos++;
    }
    if (jpeek(r) == '0') {
        r->pos++;
    } else if (jpeek(r) >= '1' && jpeek(r) <= '9') {
        while (ay_is_digit(jpeek(r))) {
            r->pos++;
        }
    } else {
        return jfail(r, AY_ERR_MALFORMED, "bad number");
    }
    if (jpeek(r) == '.') {
        r->pos++;
        if (!ay_is_digit(jpeek(r))) {
            return jfail(r, AY_ERR_MALFORMED, "bad number fraction");
        }
        while (ay_is_digit(jpeek(r))) {
            r->pos++;
        }
    }
    if (jpeek(r) == 'e' || jpeek(r) == 'E') {
        r->pos++;
        if (jpeek(r) == '+' || jpeek(r) == '-') {
            r->pos++;
        }
        if (!ay_is_digit(jpeek(r))) {
            return jfail(r, AY_ERR_MALFORMED, "bad number exponent");
        }
        while (ay_is_digit(jpeek(r))) {
            r->pos++;
        }
    }
    ay_err e = ay_val_num_text(r->a, r->s + start, r->pos - start, out);
    if (e == AY_OK && (out->flags & AY_VAL_F_NUM_EXP) != 0) {
        e = AY_ERR_LIMIT; /* JSON input keeps the double range; only policy literals go beyond */
    }
    if (e != AY_OK) {
        return jfail(r, e, "number out of range");
    }
    return AY_OK;
}

static ay_err jvalue(struct jr *r, size_t depth, struct ay_val *out);

static ay_err jarray(struct jr *r, size_t depth, struct ay_val *out)
{
    r->pos++;
    struct ay_val_vec v;
    ay_val_vec_init(&v, r->a);
    jws(r);
    if (jpeek(r) == ']') {
        r->pos++;
        *out = ay_val_empty(AY_V_ARR);
        return AY_OK;
    }
    for (;;) {
        struct ay_val x;
        TRY(jvalue(r, depth, &x));
        TRY(ay_val_vec_push(&v, x));
        jws(r);
        int c = jpeek(r);
        r->pos++;
        if (c == ']') {
            break;
        }
        if (c != ',') {
            r->pos--;
            return jfail(r, AY_ERR_MALFORMED, "expected ',' or ']'");
        }
    }
    *out = ay_val_vec_array(&v);
    return AY_OK;
}

static ay_err jobject(struct jr *r, size_t depth, struct ay_val *out)
{
    r->pos++;
    struct ay_kv_vec v;
    ay_kv_vec_init(&v, r->a);
    jws(r);
    if (jpeek(r) == '}') {
        r->pos++;
        *out = ay_val_empty(AY_V_OBJ);
        return AY_OK;
    }
    for (;;) {
        jws(r);
        if (jpeek(r) != '"') {
            return jfail(r, AY_ERR_MALFORMED, "expected object key string");
        }
        struct ay_val k;
        TRY(jstring(r, &k));
        jws(r);
        if (jpeek(r) != ':') {
            return jfail(r, AY_ERR_MALFORMED, "expected ':'");
        }
        r->pos++;
        struct ay_val x;
        TRY(jvalue(r, depth, &x));
        TRY(ay_kv_vec_push(&v, k, x));
        jws(r);
        int c = jpeek(r);
        r->pos++;
        if (c == '}') {
            break;
        }
        if (c != ',') {
            r->pos--;
            return jfail(r, AY_ERR_MALFORMED, "expected ',' or '}'");
        }
    }
    return ay_kv_vec_object(&v, false, out);
}

static ay_err jvalue(struct jr *r, size_t depth, struct ay_val *out)
{
    jws(r);
    int c = jpeek(r);
    switch (c) {
    case '{':
    case '[':
        if (depth >= r->max_depth) {
            return jfail(r, AY_ERR_LIMIT, "nesting too deep");
        }
        return c == '{' ? jobject(r, depth + 1, out) : jarray(r, depth + 1, out);
    case '"':
        return jstring(r, out);
    case 't':
        if (jlit(r, "true")) {
            *out = ay_val_bool(true);
            return AY_OK;
        }
        break;
    case 'f':
        if (jlit(r, "false")) {
            *out = ay_val_bool(false);
            return AY_OK;
        }
        break;
    case 'n':
        if (jlit(r, "null")) {
            *out = ay_val_null();
            return AY_OK;
        }
        break;
    default:
        if (c == '-' || ay_is_digit(c)) {
            return jnumber(r, out);
        }
        break;
    }
    return jfail(r, AY_ERR_MALFORMED, c < 0 ? "unexpected end of input" : "unexpected character");
}

ay_err ay_val_parse_json(struct ay_arena *a, const char *text, size_t n, size_t max_depth,
                         struct ay_diag *diag, struct ay_val *out)
{
    struct jr r = {a, text, n, 0, max_depth ? max_depth : AY_LIMIT_JSON_DEPTH, diag};
    struct ay_val v;
    TRY(jvalue(&r, 0, &v));
    jws(&r);
    if (r.pos != r.n) {
        return jfail(&r, AY_ERR_MALFORMED, "trailing bytes after JSON value");
    }
    *out = v;
    return AY_OK;
}
