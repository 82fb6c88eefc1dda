/* SPDX-License-Identifier: Apache-2.0 */
/* glob.match / glob.quote_meta (OPA topdown/glob.go over gobwas/glob semantics): '*' matches
 * any run of non-delimiter runes, '**' any run at all, '?' one non-delimiter rune, "[abc]",
 * "[a-c]", "[!...]" one rune, "{a,b,...}" alternatives (nestable), '\' escapes. Delimiters: a
 * list of strings (their first runes); an empty list means ["."], null means none. Matching is
 * a backtracking walk with a step budget (a hostile pattern is an error, not a hang). */
#include <string.h>

#include "base/base_buf.h"
#include "rego/rego_bi_util.h"

#define GLOB_STEPS  1000000
#define GLOB_DELIMS 64

struct gctx {
    uint32_t delims[GLOB_DELIMS];
    size_t nd;
    long steps;
    bool bad; /* malformed pattern */
};

struct cont {
    const char *p;
    const char *end;
    const struct cont *next;
};

static bool is_delim(const struct gctx *g, uint32_t r)
{
    for (size_t k = 0; k < g->nd; k++) {
        if (g->delims[k] == r) {
            return true;
        }
    }
    return false;
}

/* The end of the "{...}" group starting at p ('{'), or NULL. */
static const char *group_end(const char *p, const char *pe)
{
    int depth = 0;
    for (const char *q = p; q < pe; q++) {
        if (*q == '\\') {
            q++;
            continue;
        }
        if (*q == '{') {
            depth++;
        } else if (*q == '}') {
            if (--depth == 0) {
                return q;
            }
        }
    }
    return NULL;
}

static bool gm(const char *p, const char *pe, const char *s, const char *se, const struct cont *k,
               struct gctx *g);

static bool match_class(const char **pp, const char *pe, uint32_t r, bool *ok)
{
    const char *p = *pp + 1; /* after '[' */
    bool neg = false;
    bool hit = false;
    if (p < pe && *p == '!') {
        neg = true;
        p++;
    }
    bool first = true;
    while (p < pe && (*p != ']' || first)) {
        first = false;
        size_t w;
        if (*p == '\\' && p + 1 < pe) {
            p++;
        }
        uint32_t lo = ay_rego_bu_rune(p, (size_t)(pe - p), &w);
        p += w;
        uint32_t hi = lo;
        if (p + 1 < pe && *p == '-' && p[1] != ']') {
            p++;
            if (*p == '\\' && p + 1 < pe) {
                p++;
            }
            hi = ay_rego_bu_rune(p, (size_t)(pe - p), &w);
            p += w;
        }
        if (r >= lo && r <= hi) {
            hit = true;
        }
    }
    if (p >= pe) {
        *ok = false;
        return false;
    }
    *pp = p + 1;
    *ok = true;
    return hit != neg;
}

static bool gm(const char *p, const char *pe, const char *s, const char *se, const struct cont *k,
               struct gctx *g)
{
    for (;;) {
        if (--g->steps < 0 || g->bad) {
            return false;
        }
        if (p == pe) {
            if (k != NULL) {
                p = k->p;
                pe = k->end;
                k = k->next;
                continue;
            }
            return s == se;
        }
        char c = *p;
        if (c == '*') {
            bool super = p + 1 < pe && p[1] == '*';
            p += super ? 2 : 1;
            const char *t = s;
            for (;;) {
                if (gm(p, pe, t, se, k, g)) {
                    return true;
                }
                if (t == se || g->bad || g->steps < 0) {
                    return false;
                }
                size_t w;
                uint32_t r = ay_rego_bu_rune(t, (size_t)(se - t), &w);
                if (!super && is_delim(g, r)) {
                    return false;
                }
                t += w;
            }
        }
        if (c == '{') {
            const char *ge = group_end(p, pe);
            if (ge == NULL) {
                g->bad = true;
                return false;
            }
            struct cont after = {ge + 1, pe, k};
            const char *a = p + 1;
            int depth = 0;
            for (const char *q = p + 1; q <= ge; q++) {
                if (*q == '\\' && q < ge) {
                    q++;
                    continue;
                }
                if (*q == '{' || *q == '[') {
                    depth++;
                } else if ((*q == '}' || *q == ']') && depth > 0) {
                    depth--;
                } else if ((*q == ',' && depth == 0) || q == ge) {
                    if (gm(a, q, s, se, &after, g)) {
                        return true;
                    }
                    a = q + 1;
                }
            }
            return false;
        }
        if (s == se) {
            return false;
        }
        size_t w;
        uint32_t r = ay_rego_bu_rune(s, (size_t)(se - s), &w);
        if (c == '?') {
            if (is_delim(g, r)) {
                return false;
            }
            p++;
        } else if (c == '[') {
            bool ok;
            bool hit = match_class(&p, pe, r, &ok);
            if (!ok) {
                g->bad = true;
                return false;
            }
            if (!hit) {
                return false;
            }
        } else {
            if (c == '\\' && p + 1 < pe) {
                p++;
            }
            size_t pw;
            uint32_t pr = ay_rego_bu_rune(p, (size_t)(pe - p), &pw);
            if (pr != r) {
                return false;
            }
            p += pw;
        }
        s += w;
    }
}

static ay_err bi_glob_match(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    const char *p, *s;
    size_t pn, sn;
    TRY(ay_rego_bu_str(bc, args, 0, &p, &pn));
    TRY(ay_rego_bu_str(bc, args, 2, &s, &sn));
    struct gctx g;
    memset(&g, 0, sizeof g);
    g.steps = GLOB_STEPS;
    struct ay_val d = args[1];
    if (d.kind == AY_V_ARR) {
        if (d.len == 0) {
            g.delims[g.nd++] = '.';
        }
        for (uint32_t k = 0; k < d.len && g.nd < GLOB_DELIMS; k++) {
            struct ay_val e = d.u.items[k];
            if (e.kind != AY_V_STR) {
                return ay_rego_bu_type_fail(bc,
                                            "operand 2 must be array of strings but got "
                                            "array containing %s",
                                            ay_val_type_name(e));
            }
            if (e.len > 0) {
                size_t w;
                g.delims[g.nd++] = ay_rego_bu_rune(e.u.s, e.len, &w);
            }
        }
    } else if (d.kind != AY_V_NULL) {
        return ay_rego_bi_type_error(bc, 1, "one of {array, null}", d);
    }
    bool m = gm(p, p + pn, s, s + sn, NULL, &g);
    if (g.bad) {
        return ay_rego_bi_fail(bc, "unexpected end of input in pattern");
    }
    if (g.steps < 0) {
        return ay_rego_bi_fail(bc, "pattern too complex");
    }
    *out = ay_val_bool(m);
    return AY_OK;
}

static ay_err bi_glob_quote_meta(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                 struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    for (size_t i = 0; i < n; i++) {
        if (s[i] != 0 && strchr("*?\\[]{}", s[i]) != NULL) {
            ay_buf_putc(&b, '\\');
        }
        ay_buf_putc(&b, s[i]);
    }
    return ay_rego_bu_buf_str(bc, &b, out);
}

const struct ay_rego_bi ay_rego_bi_glob[] = {
    {"glob.match", 3, bi_glob_match, 0},
    {"glob.quote_meta", 1, bi_glob_quote_meta, 0},
    {NULL, 0, NULL, 0},
};
