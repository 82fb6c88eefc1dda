/* SPDX-License-Identifier: Apache-2.0 */
/* glob.match / glob.quote_meta (OPA topdown/glob.go over gobwas/glob semantics): '*' matches
 * any run of non-delimiter runes, '**' any run at all, '?' one non-delimiter rune, "[abc]",
 * "[a-c]", "[!...]" one rune, "{a,b,...}" alternatives (nestable), '\' escapes. Delimiters: a
 * list of strings (their first runes); an empty list means ["."], null means none. Matching is
 * a backtracking walk with a step budget (a hostile pattern is an error, not a hang).
 * regex.globs_match(a, b) (OPA over gintersect): true when some string matches both "glob
 * regexes", a token language of literals, '.', classes "[a-z0-9]" (with '^' negation) and '\'
 * escapes, each optionally followed by '*' or '+'. Each side becomes an NFA (token k: '*' loops
 * on k or skips it, '+' consumes then loops or moves on); a breadth-first walk of the product of
 * the two NFAs finds a common string when one exists. */
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "rego/rego_bi_util.h"

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
    g.steps = AY_LIMIT_REGO_GLOB_STEPS;
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

/* ---- regex.globs_match ---- */

#define GI_RANGES 32

struct gi_tok {
    bool any;    /* '.' */
    bool neg;    /* "[^...]" */
    uint8_t rep; /* 0, '*' or '+' */
    uint8_t n;   /* ranges */
    uint32_t lo[GI_RANGES], hi[GI_RANGES];
};

/* Parses a glob regex into tokens (arena array); false with OPA's message in err. */
static ay_err gi_parse(struct ay_rego_bctx *bc, const char *s, size_t n, struct gi_tok **out,
                       size_t *out_n)
{
    struct gi_tok *t;
    TRY(ay_arena_array(bc->arena, n > 0 ? n : 1, sizeof *t, (void **)&t));
    size_t k = 0;
    size_t i = 0;
    while (i < n) {
        size_t w;
        uint32_t r = ay_rego_bu_rune(s + i, n - i, &w);
        size_t at = i;
        i += w;
        struct gi_tok *c = &t[k];
        memset(c, 0, sizeof *c);
        if (r == '*' || r == '+') {
            if (k == 0 || t[k - 1].rep != 0) {
                return ay_rego_bi_fail(bc,
                                       "input:%.*s, pos:%zu, modifier '%c' without a preceding "
                                       "character: the input provided is invalid",
                                       (int)n, s, at + 1, (char)r);
            }
            t[k - 1].rep = (uint8_t)r;
            continue;
        }
        if (r == ']') {
            return ay_rego_bi_fail(bc,
                                   "input:%.*s, pos:%zu, set-close ']' with no preceding '[': "
                                   "the input provided is invalid",
                                   (int)n, s, at + 1);
        }
        if (r == '.') {
            c->any = true;
        } else if (r == '[') {
            if (i < n && s[i] == '^') {
                c->neg = true;
                i++;
            }
            bool closed = false;
            while (i < n) {
                uint32_t a = ay_rego_bu_rune(s + i, n - i, &w);
                i += w;
                if (a == ']') {
                    closed = true;
                    break;
                }
                if (a == '\\' && i < n) {
                    a = ay_rego_bu_rune(s + i, n - i, &w);
                    i += w;
                }
                uint32_t b = a;
                if (i + 1 < n && s[i] == '-' && s[i + 1] != ']') {
                    i++;
                    b = ay_rego_bu_rune(s + i, n - i, &w);
                    i += w;
                    if (b == '\\' && i < n) {
                        b = ay_rego_bu_rune(s + i, n - i, &w);
                        i += w;
                    }
                }
                if (c->n >= GI_RANGES || b < a) {
                    return ay_rego_bi_fail(bc,
                                           "input:%.*s, pos:%zu, invalid character class: the "
                                           "input provided is invalid",
                                           (int)n, s, at + 1);
                }
                c->lo[c->n] = a;
                c->hi[c->n] = b;
                c->n++;
            }
            if (!closed) {
                return ay_rego_bi_fail(bc,
                                       "input:%.*s, pos:%zu, set-open '[' with no closing ']': "
                                       "the input provided is invalid",
                                       (int)n, s, at + 1);
            }
        } else {
            if (r == '\\' && i < n) {
                r = ay_rego_bu_rune(s + i, n - i, &w);
                i += w;
            }
            c->n = 1;
            c->lo[0] = c->hi[0] = r;
        }
        k++;
    }
    *out = t;
    *out_n = k;
    return AY_OK;
}

static bool gi_has(const struct gi_tok *t, uint32_t r)
{
    if (t->any) {
        return true;
    }
    bool in = false;
    for (size_t i = 0; i < t->n && !in; i++) {
        in = r >= t->lo[i] && r <= t->hi[i];
    }
    return in != t->neg;
}

/* Whether some rune is in both token sets. */
static bool gi_meet(const struct gi_tok *a, const struct gi_tok *b)
{
    if (a->any || b->any || (a->neg && b->neg)) {
        return true; /* the complement of two finite sets is never empty */
    }
    if (a->neg) {
        const struct gi_tok *x = a;
        a = b;
        b = x;
    }
    /* a is a plain set. Against a plain b: two ranges overlap. Against a negated b: a rune of
     * a outside b's ranges, which if any is the start of an a range or just past a b range. */
    for (size_t i = 0; i < a->n; i++) {
        if (!b->neg) {
            for (size_t j = 0; j < b->n; j++) {
                if (a->lo[i] <= b->hi[j] && b->lo[j] <= a->hi[i]) {
                    return true;
                }
            }
            continue;
        }
        if (gi_has(b, a->lo[i])) {
            return true;
        }
        for (size_t j = 0; j < b->n; j++) {
            uint32_t c = b->hi[j] + 1;
            if (c > a->lo[i] && c <= a->hi[i] && gi_has(b, c)) {
                return true;
            }
        }
    }
    return false;
}

static ay_err bi_globs_match(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                             struct ay_val *out)
{
    (void)nargs;
    const char *s1, *s2;
    size_t n1, n2, k1, k2;
    struct gi_tok *a, *b;
    TRY(ay_rego_bu_str(bc, args, 0, &s1, &n1));
    TRY(ay_rego_bu_str(bc, args, 1, &s2, &n2));
    TRY(gi_parse(bc, s1, n1, &a, &k1));
    TRY(gi_parse(bc, s2, n2, &b, &k2));
    size_t w = k2 + 1;
    if ((k1 + 1) > AY_LIMIT_REGO_GLOB_STEPS / w) {
        return ay_rego_bi_fail(bc, "patterns too long");
    }
    size_t states = (k1 + 1) * w;
    bool *seen;
    size_t *queue;
    TRY(ay_arena_array(bc->arena, states, sizeof *seen, (void **)&seen));
    TRY(ay_arena_array(bc->arena, states, sizeof *queue, (void **)&queue));
    memset(seen, 0, states * sizeof *seen);
    size_t qh = 0, qt = 0;
    seen[0] = true;
    queue[qt++] = 0;
    while (qh < qt) {
        size_t st = queue[qh++];
        size_t i = st / w, j = st % w;
        if (i == k1 && j == k2) {
            *out = ay_val_bool(true);
            return AY_OK;
        }
        /* successors: '*' skips without input on either side; a shared rune moves both */
        size_t next[6];
        size_t nn = 0;
        if (i < k1 && a[i].rep == '*') {
            next[nn++] = (i + 1) * w + j;
        }
        if (j < k2 && b[j].rep == '*') {
            next[nn++] = i * w + j + 1;
        }
        if (i < k1 && j < k2 && gi_meet(&a[i], &b[j])) {
            /* each side either stays on a repeating token or moves past it: staying on a '+'
             * token means one more rune is still to come, moving past ends it, so any count
             * of at least one is reachable */
            size_t ia[2] = {i + 1, a[i].rep != 0 ? i : i + 1};
            size_t jb[2] = {j + 1, b[j].rep != 0 ? j : j + 1};
            for (size_t x = 0; x < 2; x++) {
                for (size_t y = 0; y < 2; y++) {
                    next[nn++] = ia[x] * w + jb[y]; /* at most 2 + 4 entries */
                }
            }
        }
        for (size_t q = 0; q < nn; q++) {
            if (!seen[next[q]]) {
                seen[next[q]] = true;
                queue[qt++] = next[q];
            }
        }
    }
    *out = ay_val_bool(false);
    return AY_OK;
}

const struct ay_rego_bi ay_rego_bi_glob[] = {
    {"regex.globs_match", 2, bi_globs_match, 0},
    {"glob.match", 3, bi_glob_match, 0},
    {"glob.quote_meta", 1, bi_glob_quote_meta, 0},
    {NULL, 0, NULL, 0},
};
