/* SPDX-License-Identifier: Apache-2.0 */
/* String builtins (OPA topdown/strings.go semantics, which are Go's strings package): positions
 * and lengths count runes, an invalid UTF-8 byte is one rune, and empty separators split or
 * replace at every rune boundary. sprintf lives in rego_bi_sprintf.c. */
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "rego/rego_bi_util.h"

/* First byte index of needle in hay at or after from, or -1 (memmem without GNU). */
static long find(const char *hay, size_t hn, const char *needle, size_t nn, size_t from)
{
    if (nn == 0) {
        return from <= hn ? (long)from : -1;
    }
    if (nn > hn) {
        return -1;
    }
    for (size_t i = from; i + nn <= hn; i++) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nn) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static bool has_prefix(const char *s, size_t n, const char *p, size_t pn)
{
    return pn <= n && memcmp(s, p, pn) == 0;
}

static bool has_suffix(const char *s, size_t n, const char *p, size_t pn)
{
    return pn <= n && memcmp(s + n - pn, p, pn) == 0;
}

static ay_err bi_concat(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                        struct ay_val *out)
{
    (void)nargs;
    const char *d;
    size_t dn;
    TRY(ay_rego_bu_str(bc, args, 0, &d, &dn));
    if (!ay_rego_bu_is_coll(args[1])) {
        return ay_rego_bi_type_error(bc, 1, "one of {array, set}", args[1]);
    }
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    for (uint32_t k = 0; k < args[1].len; k++) {
        struct ay_val e = args[1].u.items[k];
        if (e.kind != AY_V_STR) {
            return ay_rego_bu_type_fail(bc, "operand 2 must be array of strings but got %s",
                                        ay_val_type_name(args[1]));
        }
        if (k > 0) {
            ay_buf_put(&b, d, dn);
        }
        ay_buf_put(&b, e.u.s, e.len);
    }
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err two_strs(struct ay_rego_bctx *bc, const struct ay_val *args, const char **a,
                       size_t *an, const char **b, size_t *bn)
{
    TRY(ay_rego_bu_str(bc, args, 0, a, an));
    return ay_rego_bu_str(bc, args, 1, b, bn);
}

static ay_err bi_contains(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                          struct ay_val *out)
{
    (void)nargs;
    const char *a, *b;
    size_t an, bn;
    TRY(two_strs(bc, args, &a, &an, &b, &bn));
    *out = ay_val_bool(find(a, an, b, bn, 0) >= 0);
    return AY_OK;
}

static ay_err bi_startswith(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    const char *a, *b;
    size_t an, bn;
    TRY(two_strs(bc, args, &a, &an, &b, &bn));
    *out = ay_val_bool(has_prefix(a, an, b, bn));
    return AY_OK;
}

static ay_err bi_endswith(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                          struct ay_val *out)
{
    (void)nargs;
    const char *a, *b;
    size_t an, bn;
    TRY(two_strs(bc, args, &a, &an, &b, &bn));
    *out = ay_val_bool(has_suffix(a, an, b, bn));
    return AY_OK;
}

static ay_err bi_format_int(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_NUM));
    TRY(ay_rego_bu_kind(bc, args, 1, AY_V_NUM));
    int64_t base;
    if (!ay_val_to_i64(args[1], &base) || (base != 2 && base != 8 && base != 10 && base != 16)) {
        return ay_rego_bu_type_fail(bc, "operand 2 must be one of {2, 8, 10, 16}");
    }
    double d = ay_val_to_double(args[0]);
    int64_t v;
    if (!ay_val_to_i64(args[0], &v)) {
        if (d >= 9.2e18 || d <= -9.2e18) {
            return ay_rego_bi_fail(bc, "operand 1: number too large");
        }
        v = (int64_t)d; /* OPA truncates toward zero (big.Float.Int) */
    }
    bool neg = v < 0;
    uint64_t m = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char tmp[72];
    size_t k = sizeof tmp;
    do {
        tmp[--k] = "0123456789abcdef"[m % (uint64_t)base];
        m /= (uint64_t)base;
    } while (m != 0);
    if (neg) {
        tmp[--k] = '-';
    }
    return ay_rego_bu_mkstr(bc, tmp + k, sizeof tmp - k, out);
}

/* Rune index of a byte offset. */
static int64_t rune_index(const char *s, size_t byte_off)
{
    return (int64_t)ay_rego_bu_rune_count(s, byte_off);
}

static ay_err bi_indexof(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                         struct ay_val *out)
{
    (void)nargs;
    const char *a, *b;
    size_t an, bn;
    TRY(two_strs(bc, args, &a, &an, &b, &bn));
    long at = find(a, an, b, bn, 0);
    *out = ay_val_int(at < 0 ? -1 : rune_index(a, (size_t)at));
    return AY_OK;
}

static ay_err bi_indexof_n(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                           struct ay_val *out)
{
    (void)nargs;
    const char *a, *b;
    size_t an, bn;
    TRY(two_strs(bc, args, &a, &an, &b, &bn));
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    size_t from = 0;
    while (from <= an) {
        long at = find(a, an, b, bn, from);
        if (at < 0) {
            break;
        }
        TRY(ay_val_vec_push(&v, ay_val_int(rune_index(a, (size_t)at))));
        /* OPA steps one byte past each match start, so matches may overlap */
        from = (size_t)at + 1;
    }
    *out = ay_val_vec_array(&v);
    return AY_OK;
}

static ay_err map_case(struct ay_rego_bctx *bc, const struct ay_val *args, struct ay_val *out,
                       bool upper)
{
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    size_t i = 0;
    while (i < n) {
        size_t w;
        uint32_t r = ay_rego_bu_rune(s + i, n - i, &w);
        if (r == 0xFFFD && w == 1) {
            ay_buf_put(&b, s + i, 1); /* Go keeps invalid bytes unchanged in ToUpper/ToLower */
        } else {
            ay_buf_put_utf8(&b, upper ? ay_rego_bu_upper(r) : ay_rego_bu_lower(r));
        }
        i += w;
    }
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_lower(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                       struct ay_val *out)
{
    (void)nargs;
    return map_case(bc, args, out, false);
}

static ay_err bi_upper(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                       struct ay_val *out)
{
    (void)nargs;
    return map_case(bc, args, out, true);
}

/* Go strings.Replace(s, old, new, limit); limit < 0 means all. */
static void replace_into(struct ay_buf *b, const char *s, size_t n, const char *old, size_t on,
                         const char *nw, size_t nn, int64_t limit)
{
    size_t i = 0;
    int64_t done = 0;
    if (on == 0) {
        /* an empty old string matches before every rune and at the end */
        while (limit < 0 || done < limit) {
            ay_buf_put(b, nw, nn);
            done++;
            if (i >= n) {
                break;
            }
            size_t w;
            (void)ay_rego_bu_rune(s + i, n - i, &w);
            ay_buf_put(b, s + i, w);
            i += w;
        }
        ay_buf_put(b, s + i, n - i);
        return;
    }
    while (limit < 0 || done < limit) {
        long at = find(s, n, old, on, i);
        if (at < 0) {
            break;
        }
        ay_buf_put(b, s + i, (size_t)at - i);
        ay_buf_put(b, nw, nn);
        i = (size_t)at + on;
        done++;
    }
    ay_buf_put(b, s + i, n - i);
}

static ay_err bi_replace(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                         struct ay_val *out)
{
    (void)nargs;
    const char *s, *o, *w;
    size_t sn, on, wn;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &sn));
    TRY(ay_rego_bu_str(bc, args, 1, &o, &on));
    TRY(ay_rego_bu_str(bc, args, 2, &w, &wn));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    replace_into(&b, s, sn, o, on, w, wn, -1);
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_split(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                       struct ay_val *out)
{
    (void)nargs;
    const char *s, *d;
    size_t sn, dn;
    TRY(two_strs(bc, args, &s, &sn, &d, &dn));
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    struct ay_val e;
    if (dn == 0) {
        size_t i = 0;
        while (i < sn) {
            size_t w;
            (void)ay_rego_bu_rune(s + i, sn - i, &w);
            TRY(ay_rego_bu_mkstr(bc, s + i, w, &e));
            TRY(ay_val_vec_push(&v, e));
            i += w;
        }
        *out = ay_val_vec_array(&v);
        return AY_OK;
    }
    size_t i = 0;
    for (;;) {
        long at = find(s, sn, d, dn, i);
        size_t end = at < 0 ? sn : (size_t)at;
        TRY(ay_rego_bu_mkstr(bc, s + i, end - i, &e));
        TRY(ay_val_vec_push(&v, e));
        if (at < 0) {
            break;
        }
        i = end + dn;
    }
    *out = ay_val_vec_array(&v);
    return AY_OK;
}

/* Byte offset of rune index r (clamped to n). */
static size_t rune_offset(const char *s, size_t n, int64_t r)
{
    size_t i = 0;
    while (i < n && r > 0) {
        size_t w;
        (void)ay_rego_bu_rune(s + i, n - i, &w);
        i += w;
        r--;
    }
    return i;
}

static ay_err bi_substring(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                           struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    int64_t off, len;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    TRY(ay_rego_bu_int(bc, args, 1, &off));
    TRY(ay_rego_bu_int(bc, args, 2, &len));
    if (off < 0) {
        return ay_rego_bi_fail(bc, "negative offset");
    }
    size_t start = rune_offset(s, n, off);
    size_t end = len < 0 ? n : start + rune_offset(s + start, n - start, len);
    return ay_rego_bu_mkstr(bc, s + start, end - start, out);
}

static bool in_cutset(uint32_t r, const char *cut, size_t cn)
{
    size_t i = 0;
    while (i < cn) {
        size_t w;
        uint32_t c = ay_rego_bu_rune(cut + i, cn - i, &w);
        if (c == r) {
            return true;
        }
        i += w;
    }
    return false;
}

/* Start and end of s after trimming runes in the cutset (or Unicode space when cut is NULL). */
static void trim_bounds(const char *s, size_t n, const char *cut, size_t cn, bool left, bool right,
                        size_t *out_a, size_t *out_b)
{
    size_t a = 0;
    size_t b = n;
    if (left) {
        while (a < b) {
            size_t w;
            uint32_t r = ay_rego_bu_rune(s + a, b - a, &w);
            if (!(cut != NULL ? in_cutset(r, cut, cn) : ay_rego_bu_is_space(r))) {
                break;
            }
            a += w;
        }
    }
    if (right) {
        while (b > a) {
            /* step back to the start of the last rune */
            size_t st = b - 1;
            while (st > a && b - st < 4 && (((uint8_t)s[st]) & 0xC0u) == 0x80u) {
                st--;
            }
            size_t w;
            uint32_t r = ay_rego_bu_rune(s + st, b - st, &w);
            if (st + w != b) {
                st = b - 1;
                r = 0xFFFD;
            }
            if (!(cut != NULL ? in_cutset(r, cut, cn) : ay_rego_bu_is_space(r))) {
                break;
            }
            b = st;
        }
    }
    *out_a = a;
    *out_b = b;
}

static ay_err trim_common(struct ay_rego_bctx *bc, const struct ay_val *args, bool left, bool right,
                          struct ay_val *out)
{
    const char *s, *c;
    size_t sn, cn;
    TRY(two_strs(bc, args, &s, &sn, &c, &cn));
    size_t a, b;
    trim_bounds(s, sn, c, cn, left, right, &a, &b);
    return ay_rego_bu_mkstr(bc, s + a, b - a, out);
}

static ay_err bi_trim(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                      struct ay_val *out)
{
    (void)nargs;
    return trim_common(bc, args, true, true, out);
}

static ay_err bi_trim_left(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                           struct ay_val *out)
{
    (void)nargs;
    return trim_common(bc, args, true, false, out);
}

static ay_err bi_trim_right(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    return trim_common(bc, args, false, true, out);
}

static ay_err bi_trim_space(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    size_t a, b;
    trim_bounds(s, n, NULL, 0, true, true, &a, &b);
    return ay_rego_bu_mkstr(bc, s + a, b - a, out);
}

static ay_err bi_trim_prefix(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                             struct ay_val *out)
{
    (void)nargs;
    const char *s, *p;
    size_t sn, pn;
    TRY(two_strs(bc, args, &s, &sn, &p, &pn));
    if (has_prefix(s, sn, p, pn)) {
        return ay_rego_bu_mkstr(bc, s + pn, sn - pn, out);
    }
    *out = args[0];
    return AY_OK;
}

static ay_err bi_trim_suffix(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                             struct ay_val *out)
{
    (void)nargs;
    const char *s, *p;
    size_t sn, pn;
    TRY(two_strs(bc, args, &s, &sn, &p, &pn));
    if (has_suffix(s, sn, p, pn)) {
        return ay_rego_bu_mkstr(bc, s, sn - pn, out);
    }
    *out = args[0];
    return AY_OK;
}

static ay_err bi_replace_n(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                           struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_OBJ));
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 1, &s, &n));
    struct ay_val pat = args[0];
    for (uint32_t k = 0; k < pat.len; k++) {
        if (pat.u.pairs[k].k.kind != AY_V_STR) {
            return ay_rego_bu_type_fail(bc, "operand 1 non-string key found in pattern object");
        }
        if (pat.u.pairs[k].v.kind != AY_V_STR) {
            return ay_rego_bu_type_fail(bc, "operand 1 non-string value found in pattern object");
        }
    }
    /* Go strings.NewReplacer: scan left to right; at each position the first pattern (in the
     * object's sorted key order, as OPA passes them) that matches wins; no rescanning. */
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    size_t i = 0;
    while (i <= n) {
        bool hit = false;
        for (uint32_t k = 0; k < pat.len; k++) {
            const struct ay_val *o = &pat.u.pairs[k].k;
            if (o->len > 0 && has_prefix(s + i, n - i, o->u.s, o->len)) {
                ay_buf_put(&b, pat.u.pairs[k].v.u.s, pat.u.pairs[k].v.len);
                i += o->len;
                hit = true;
                break;
            }
        }
        if (!hit) {
            if (i < n) {
                ay_buf_putc(&b, s[i]);
            }
            i++;
        }
    }
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_reverse(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                         struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    void *mem;
    TRY(ay_arena_alloc(bc->arena, n + 1, &mem));
    char *d = mem;
    size_t i = 0;
    while (i < n) {
        size_t w;
        (void)ay_rego_bu_rune(s + i, n - i, &w);
        memcpy(d + n - i - w, s + i, w);
        i += w;
    }
    struct ay_val v = {AY_V_STR, 0, 0, (uint32_t)n, {.s = d}};
    *out = v;
    return AY_OK;
}

static ay_err bi_count_str(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                           struct ay_val *out)
{
    (void)nargs;
    const char *s, *sub;
    size_t n, sn;
    TRY(two_strs(bc, args, &s, &n, &sub, &sn));
    if (sn == 0) {
        *out = ay_val_int((int64_t)ay_rego_bu_rune_count(s, n) + 1);
        return AY_OK;
    }
    int64_t c = 0;
    size_t i = 0;
    for (;;) {
        long at = find(s, n, sub, sn, i);
        if (at < 0) {
            break;
        }
        c++;
        i = (size_t)at + sn;
    }
    *out = ay_val_int(c);
    return AY_OK;
}

/* Operand of any_prefix_match: a string, or an array/set of strings. */
static ay_err str_list(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i,
                       const struct ay_val **items, size_t *n)
{
    struct ay_val v = args[i];
    if (v.kind == AY_V_STR) {
        *items = &args[i];
        *n = 1;
        return AY_OK;
    }
    if (!ay_rego_bu_is_coll(v)) {
        return ay_rego_bi_type_error(bc, i, "one of {string, set, array}", v);
    }
    for (uint32_t k = 0; k < v.len; k++) {
        if (v.u.items[k].kind != AY_V_STR) {
            return ay_rego_bu_type_fail(bc,
                                        "operand %zu must be %s of strings but got %s "
                                        "containing %s",
                                        i + 1, ay_val_type_name(v), ay_val_type_name(v),
                                        ay_val_type_name(v.u.items[k]));
        }
    }
    *items = v.u.items;
    *n = v.len;
    return AY_OK;
}

static ay_err any_match(struct ay_rego_bctx *bc, const struct ay_val *args, bool prefix,
                        struct ay_val *out)
{
    const struct ay_val *ss, *ps;
    size_t sn, pn;
    TRY(str_list(bc, args, 0, &ss, &sn));
    TRY(str_list(bc, args, 1, &ps, &pn));
    for (size_t a = 0; a < sn; a++) {
        for (size_t b = 0; b < pn; b++) {
            bool m = prefix ? has_prefix(ss[a].u.s, ss[a].len, ps[b].u.s, ps[b].len)
                            : has_suffix(ss[a].u.s, ss[a].len, ps[b].u.s, ps[b].len);
            if (m) {
                *out = ay_val_bool(true);
                return AY_OK;
            }
        }
    }
    *out = ay_val_bool(false);
    return AY_OK;
}

static ay_err bi_any_prefix_match(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                  struct ay_val *out)
{
    (void)nargs;
    return any_match(bc, args, true, out);
}

static ay_err bi_any_suffix_match(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                  struct ay_val *out)
{
    (void)nargs;
    return any_match(bc, args, false, out);
}

const struct ay_rego_bi ay_rego_bi_strings[] = {
    {"concat", 2, bi_concat, 0},
    {"contains", 2, bi_contains, 0},
    {"startswith", 2, bi_startswith, 0},
    {"endswith", 2, bi_endswith, 0},
    {"format_int", 2, bi_format_int, 0},
    {"indexof", 2, bi_indexof, 0},
    {"indexof_n", 2, bi_indexof_n, 0},
    {"lower", 1, bi_lower, 0},
    {"upper", 1, bi_upper, 0},
    {"replace", 3, bi_replace, 0},
    {"split", 2, bi_split, 0},
    {"substring", 3, bi_substring, 0},
    {"trim", 2, bi_trim, 0},
    {"trim_left", 2, bi_trim_left, 0},
    {"trim_right", 2, bi_trim_right, 0},
    {"trim_prefix", 2, bi_trim_prefix, 0},
    {"trim_suffix", 2, bi_trim_suffix, 0},
    {"trim_space", 1, bi_trim_space, 0},
    {"strings.replace_n", 2, bi_replace_n, 0},
    {"strings.reverse", 1, bi_reverse, 0},
    {"strings.any_prefix_match", 2, bi_any_prefix_match, 0},
    {"strings.any_suffix_match", 2, bi_any_suffix_match, 0},
    {"strings.count", 2, bi_count_str, 0},
    {NULL, 0, NULL, 0},
};
