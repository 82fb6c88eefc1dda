/* SPDX-License-Identifier: Apache-2.0 */
/* regex.* builtins: Go RE2 syntax (regexp/syntax) evaluated on PCRE2 (REGO.md 3.4). A front end
 * checks the pattern against RE2's grammar and rewrites the few constructs whose meaning differs
 * before PCRE2 compiles it:
 *   rejected (as Go does): back-references \1-\9, look-around (?= (?! (?<= (?<!, atomic (?>,
 *     possessive or nested repetition (a*+, a**, a{2}{3}), counts above 1000, flags other than
 *     imsU, and escapes RE2 lacks (\Z \G \K \R \X \h \C \e \c \g \k \N \o \u ...);
 *   rewritten: \s to [\t\n\f\r ] (PCRE's \s also matches \v), \v to \x0B, octal \123 to \x{53},
 *     a literal '{' that does not start a valid repeat to \{, '[' inside a class to \[;
 *   compiled with PCRE2_UTF | PCRE2_MATCH_INVALID_UTF (invalid bytes do not error, as in Go),
 *     PCRE2_DOLLAR_ENDONLY ($ is end of text without m), PCRE2_NEVER_BACKSLASH_C, no PCRE2_UCP
 *     (\d \w \b stay ASCII as in RE2).
 * Known differences left: PCRE2 backtracks (bounded by match and depth limits, a limit hit is a
 * builtin error) where RE2 is linear; leftmost-first semantics agree. \S inside a class also
 * excludes \v. Unicode class names follow PCRE2's tables (Unicode 14) rather than Go's.
 * The "All" iteration and $-expansion follow Go's regexp (allMatches, Expand) in our code.
 * Compiled patterns are cached per process (rx_cache below; docs/REGO.md "PCRE2 vs RE2"). */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <pcre2.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "base/base_str.h"
#include "rego/rego_bi_util.h"

static bool is_octal(char c)
{
    return c >= '0' && c <= '7';
}

/* Parses "{n}", "{n,}", "{n,m}" at p[0] == '{'; *len is its length. */
static bool repeat_spec(const char *p, size_t n, size_t *len, long *lo, long *hi)
{
    size_t i = 1;
    long a = 0;
    long b = -1;
    if (i >= n || !ay_is_digit((unsigned char)p[i])) {
        return false;
    }
    while (i < n && ay_is_digit((unsigned char)p[i])) {
        a = a * 10 + (p[i] - '0');
        if (a > 100000) {
            a = 100000;
        }
        i++;
    }
    b = a;
    if (i < n && p[i] == ',') {
        i++;
        b = -1;
        if (i < n && ay_is_digit((unsigned char)p[i])) {
            b = 0;
            while (i < n && ay_is_digit((unsigned char)p[i])) {
                b = b * 10 + (p[i] - '0');
                if (b > 100000) {
                    b = 100000;
                }
                i++;
            }
        }
    }
    if (i >= n || p[i] != '}') {
        return false;
    }
    *len = i + 1;
    *lo = a;
    *hi = b;
    return true;
}

/* Translates one escape at re[i] == '\\'; advances *i past it. */
static bool tr_escape(const char *re, size_t n, size_t *i, bool in_class, struct ay_buf *o,
                      const char **err)
{
    size_t k = *i + 1;
    if (k >= n) {
        *err = "trailing backslash at end of expression";
        return false;
    }
    char c = re[k];
    if (c >= '1' && c <= '7' && !(k + 1 < n && is_octal(re[k + 1]))) {
        *err = "invalid escape sequence (back-references are not supported)";
        return false;
    }
    if (c >= '0' && c <= '7') {
        unsigned v = 0;
        size_t d = 0;
        while (d < 3 && k < n && is_octal(re[k])) {
            v = v * 8 + (unsigned)(re[k] - '0');
            k++;
            d++;
        }
        ay_buf_printf(o, "\\x{%x}", v);
        *i = k;
        return true;
    }
    switch (c) {
    case 'a':
    case 'f':
    case 't':
    case 'n':
    case 'r':
    case 'd':
    case 'D':
    case 'w':
    case 'W':
        ay_buf_putc(o, '\\');
        ay_buf_putc(o, c);
        *i = k + 1;
        return true;
    case 'v':
        ay_buf_puts(o, "\\x0B");
        *i = k + 1;
        return true;
    case 's':
        ay_buf_puts(o, in_class ? "\\t\\n\\f\\r " : "[\\t\\n\\f\\r ]");
        *i = k + 1;
        return true;
    case 'S':
        ay_buf_puts(o, in_class ? "\\S" : "[^\\t\\n\\f\\r ]");
        *i = k + 1;
        return true;
    case 'b':
    case 'B':
    case 'A':
    case 'z':
        if (in_class) {
            *err = "invalid escape sequence in character class";
            return false;
        }
        ay_buf_putc(o, '\\');
        ay_buf_putc(o, c);
        *i = k + 1;
        return true;
    case 'x': {
        size_t e = k + 1;
        if (e < n && re[e] == '{') {
            e++;
            size_t st = e;
            while (e < n && ay_is_xdigit((unsigned char)re[e])) {
                e++;
            }
            if (e == st || e >= n || re[e] != '}') {
                *err = "invalid escape sequence: \\x";
                return false;
            }
            e++;
        } else {
            if (e + 1 >= n || !ay_is_xdigit((unsigned char)re[e]) ||
                !ay_is_xdigit((unsigned char)re[e + 1])) {
                *err = "invalid escape sequence: \\x";
                return false;
            }
            e += 2;
        }
        ay_buf_put(o, re + *i, e - *i);
        *i = e;
        return true;
    }
    case 'p':
    case 'P': {
        size_t e = k + 1;
        if (e < n && re[e] == '{') {
            while (e < n && re[e] != '}') {
                e++;
            }
            if (e >= n) {
                *err = "invalid character class range";
                return false;
            }
            e++;
        } else if (e < n) {
            e++;
        } else {
            *err = "invalid character class range";
            return false;
        }
        ay_buf_put(o, re + *i, e - *i);
        *i = e;
        return true;
    }
    case 'Q': {
        /* literal text up to \E (or the end) */
        size_t e = k + 1;
        while (e < n && !(re[e] == '\\' && e + 1 < n && re[e + 1] == 'E')) {
            uint8_t ch = (uint8_t)re[e];
            if (ch < 0x80 && !ay_is_alnum(ch)) {
                ay_buf_putc(o, '\\');
            }
            ay_buf_putc(o, (char)ch);
            e++;
        }
        *i = e < n ? e + 2 : e;
        return true;
    }
    default:
        if ((uint8_t)c < 0x80 && !ay_is_alnum((unsigned char)c)) {
            ay_buf_putc(o, '\\');
            ay_buf_putc(o, c);
            *i = k + 1;
            return true;
        }
        *err = "invalid escape sequence";
        return false;
    }
}

/* RE2 syntax check and rewrite into PCRE2 syntax. false with *err on a pattern Go rejects. */
static bool translate(const char *re, size_t n, struct ay_buf *o, const char **err)
{
    size_t i = 0;
    bool quant_ok = false; /* the previous item can take a repetition */
    bool after_quant = false;
    while (i < n) {
        char c = re[i];
        if (c == '\\') {
            if (!tr_escape(re, n, &i, false, o, err)) {
                return false;
            }
            quant_ok = true;
            after_quant = false;
            continue;
        }
        if (c == '[') {
            ay_buf_putc(o, '[');
            i++;
            if (i < n && re[i] == '^') {
                ay_buf_putc(o, '^');
                i++;
            }
            if (i < n && re[i] == ']') {
                ay_buf_puts(o, "\\]");
                i++;
            }
            bool closed = false;
            while (i < n) {
                char d = re[i];
                if (d == ']') {
                    ay_buf_putc(o, ']');
                    i++;
                    closed = true;
                    break;
                }
                if (d == '\\') {
                    if (!tr_escape(re, n, &i, true, o, err)) {
                        return false;
                    }
                    continue;
                }
                if (d == '[' && i + 1 < n && re[i + 1] == ':') {
                    const char *end = NULL;
                    for (size_t e = i + 2; e + 1 < n; e++) {
                        if (re[e] == ':' && re[e + 1] == ']') {
                            end = re + e + 2;
                            break;
                        }
                    }
                    if (end != NULL) {
                        size_t len = (size_t)(end - (re + i));
                        ay_buf_put(o, re + i, len);
                        i += len;
                        continue;
                    }
                }
                if (d == '[') {
                    ay_buf_puts(o, "\\[");
                    i++;
                    continue;
                }
                ay_buf_putc(o, d);
                i++;
            }
            if (!closed) {
                *err = "missing closing ]";
                return false;
            }
            quant_ok = true;
            after_quant = false;
            continue;
        }
        if (c == '(') {
            if (i + 1 < n && re[i + 1] == '?') {
                size_t k = i + 2;
                if (k < n && re[k] == 'P' && k + 1 < n && re[k + 1] == '<') {
                    ay_buf_puts(o, "(?P<");
                    i = k + 2;
                } else if (k < n && re[k] == '<' && k + 1 < n && re[k + 1] != '=' &&
                           re[k + 1] != '!') {
                    ay_buf_puts(o, "(?<");
                    i = k + 1;
                } else {
                    /* flags: (?imsU-imsU) or (?imsU-imsU: */
                    size_t e = k;
                    while (e < n && (re[e] == 'i' || re[e] == 'm' || re[e] == 's' || re[e] == 'U' ||
                                     re[e] == '-')) {
                        e++;
                    }
                    if (e >= n || (re[e] != ')' && re[e] != ':') || e == k) {
                        *err = "invalid or unsupported Perl syntax";
                        return false;
                    }
                    ay_buf_put(o, re + i, e + 1 - i);
                    i = e + 1;
                    quant_ok = false;
                    after_quant = false;
                    continue;
                }
            } else {
                ay_buf_putc(o, '(');
                i++;
            }
            quant_ok = false;
            after_quant = false;
            continue;
        }
        if (c == '*' || c == '+' || c == '?' || c == '{') {
            size_t len = 1;
            long lo = 0;
            long hi = 0;
            if (c == '{' && !repeat_spec(re + i, n - i, &len, &lo, &hi)) {
                ay_buf_puts(o, "\\{"); /* Go: not a repeat, a literal brace */
                i++;
                quant_ok = true;
                after_quant = false;
                continue;
            }
            if (after_quant) {
                *err = "invalid nested repetition operator";
                return false;
            }
            if (!quant_ok) {
                *err = "missing argument to repetition operator";
                return false;
            }
            if (c == '{' && (lo > AY_LIMIT_REGO_RE_REPEAT || hi > AY_LIMIT_REGO_RE_REPEAT ||
                             (hi >= 0 && hi < lo))) {
                *err = "invalid repeat count";
                return false;
            }
            ay_buf_put(o, re + i, len);
            i += len;
            if (i < n && re[i] == '?') {
                ay_buf_putc(o, '?');
                i++;
            }
            after_quant = true;
            quant_ok = false;
            continue;
        }
        if (c == '|' || c == '^' || c == '$') {
            ay_buf_putc(o, c);
            i++;
            quant_ok = c != '|';
            after_quant = false;
            continue;
        }
        ay_buf_putc(o, c);
        i++;
        quant_ok = true;
        after_quant = false;
    }
    return true;
}

struct rx {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mc;
    uint32_t ncap; /* capture groups, not counting group 0 */
    bool cached;   /* code belongs to the process-wide cache: not freed here */
};

static void rx_free(struct rx *r)
{
    pcre2_match_data_free(r->md);
    pcre2_match_context_free(r->mc);
    if (!r->cached) {
        pcre2_code_free(r->code);
    }
    memset(r, 0, sizeof *r);
}

/* The compiled-pattern cache: policies call regex.* with a handful of constant patterns on
 * every evaluation, and compiling costs far more than matching. A fixed table of
 * AY_LIMIT_REGO_RE_CACHE entries, filled once and never evicted, so a code pointer handed out
 * stays valid for the life of the process; a compiled pcre2_code is read-only during matching
 * (each call has its own match data and context), so threads share entries freely. The mutex
 * guards only lookup and insertion. When the table is full, patterns compile per call. */
struct rx_cache_entry {
    char *pattern; /* ay_xmalloc'd copy */
    size_t len;
    pcre2_code *code;
};

static struct rx_cache_entry rx_cache[AY_LIMIT_REGO_RE_CACHE];
static size_t rx_cache_n;
static pthread_mutex_t rx_cache_mu = PTHREAD_MUTEX_INITIALIZER;

static pcre2_code *rx_cache_get(const char *re, size_t n)
{
    pcre2_code *code = NULL;
    (void)pthread_mutex_lock(&rx_cache_mu);
    for (size_t i = 0; i < rx_cache_n; i++) {
        if (rx_cache[i].len == n && memcmp(rx_cache[i].pattern, re, n) == 0) {
            code = rx_cache[i].code;
            break;
        }
    }
    (void)pthread_mutex_unlock(&rx_cache_mu);
    return code;
}

/* true if code now belongs to the cache (the caller must not free it). */
static bool rx_cache_put(const char *re, size_t n, pcre2_code *code)
{
    if (n > AY_LIMIT_REGO_RE_CACHE_PATTERN) {
        return false;
    }
    bool kept = false;
    (void)pthread_mutex_lock(&rx_cache_mu);
    bool dup = false;
    for (size_t i = 0; i < rx_cache_n; i++) {
        dup = dup || (rx_cache[i].len == n && memcmp(rx_cache[i].pattern, re, n) == 0);
    }
    if (!dup && rx_cache_n < AY_LIMIT_REGO_RE_CACHE) {
        struct rx_cache_entry *e = &rx_cache[rx_cache_n];
        e->pattern = ay_xmalloc(n > 0 ? n : 1);
        if (n > 0) {
            memcpy(e->pattern, re, n);
        }
        e->len = n;
        e->code = code;
        rx_cache_n++;
        kept = true;
    }
    (void)pthread_mutex_unlock(&rx_cache_mu);
    return kept;
}

/* Match data and limits for r->code. */
static bool rx_prepare(struct rx *r, char *msg, size_t msgn)
{
    (void)pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &r->ncap);
    r->md = pcre2_match_data_create_from_pattern(r->code, NULL);
    r->mc = pcre2_match_context_create(NULL);
    if (r->md == NULL || r->mc == NULL) {
        rx_free(r);
        (void)snprintf(msg, msgn, "regexp: out of memory");
        return false;
    }
    (void)pcre2_set_match_limit(r->mc, AY_LIMIT_REGO_RE_MATCH);
    (void)pcre2_set_depth_limit(r->mc, AY_LIMIT_REGO_RE_DEPTH);
    return true;
}

/* Compiles a Go-syntax pattern; false with a message "error parsing regexp: ..." in msg. */
static bool rx_compile(const char *re, size_t n, struct rx *r, char *msg, size_t msgn)
{
    memset(r, 0, sizeof *r);
    r->code = rx_cache_get(re, n);
    if (r->code != NULL) {
        r->cached = true;
        return rx_prepare(r, msg, msgn);
    }
    struct ay_buf b;
    ay_buf_init(&b, NULL, (size_t)1 << 20);
    const char *err = NULL;
    if (!translate(re, n, &b, &err) || ay_buf_finish(&b) != AY_OK) {
        (void)snprintf(msg, msgn, "error parsing regexp: %s: `%.*s`",
                       err != NULL ? err : "pattern too long", (int)(n > 200 ? 200 : n), re);
        ay_buf_free(&b);
        return false;
    }
    int ec = 0;
    PCRE2_SIZE eo = 0;
    r->code = pcre2_compile((PCRE2_SPTR)(b.ptr != NULL ? b.ptr : ""), b.len,
                            PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY |
                                PCRE2_NEVER_BACKSLASH_C,
                            &ec, &eo, NULL);
    ay_buf_free(&b);
    if (r->code == NULL) {
        PCRE2_UCHAR em[160];
        (void)pcre2_get_error_message(ec, em, sizeof em);
        (void)snprintf(msg, msgn, "error parsing regexp: %s: `%.*s`", (const char *)em,
                       (int)(n > 200 ? 200 : n), re);
        return false;
    }
    r->cached = rx_cache_put(re, n, r->code);
    return rx_prepare(r, msg, msgn);
}

/* One match at or after pos: 1 found, 0 none, -1 limit/error. */
static int rx_exec(struct rx *r, const char *s, size_t n, size_t pos)
{
    int rc = pcre2_match(r->code, (PCRE2_SPTR)s, n, pos, 0, r->md, r->mc);
    if (rc == PCRE2_ERROR_NOMATCH) {
        return 0;
    }
    return rc < 0 ? -1 : 1;
}

static PCRE2_SIZE *rx_ov(struct rx *r)
{
    return pcre2_get_ovector_pointer(r->md);
}

static ay_err compile_arg(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i,
                          struct rx *r)
{
    const char *p;
    size_t pn;
    TRY(ay_rego_bu_str(bc, args, i, &p, &pn));
    char msg[400];
    if (!rx_compile(p, pn, r, msg, sizeof msg)) {
        return ay_rego_bi_fail(bc, "%s", msg);
    }
    return AY_OK;
}

/* Go's allMatches: calls cb for each accepted match (ovector in r) up to limit (<0 = all). */
typedef ay_err match_cb(struct ay_rego_bctx *bc, struct rx *r, const char *s, void *arg);

static ay_err all_matches(struct ay_rego_bctx *bc, struct rx *r, const char *s, size_t n,
                          int64_t limit, match_cb *cb, void *arg)
{
    size_t pos = 0;
    long prev_end = -1;
    int64_t count = 0;
    while ((limit < 0 || count < limit) && pos <= n) {
        int rc = rx_exec(r, s, n, pos);
        if (rc < 0) {
            return ay_rego_bi_fail(bc, "regexp: match limit exceeded");
        }
        if (rc == 0) {
            break;
        }
        PCRE2_SIZE *ov = rx_ov(r);
        bool accept = true;
        if (ov[1] == pos) {
            /* an empty match right after the previous match is skipped; step one rune */
            if ((long)ov[0] == prev_end) {
                accept = false;
            }
            if (pos < n) {
                size_t w;
                (void)ay_rego_bu_rune(s + pos, n - pos, &w);
                pos += w;
            } else {
                pos = n + 1;
            }
        } else {
            pos = ov[1];
        }
        prev_end = (long)ov[1];
        if (accept) {
            TRY(cb(bc, r, s, arg));
            count++;
        }
    }
    return AY_OK;
}

static ay_err bi_is_valid(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                          struct ay_val *out)
{
    (void)bc;
    (void)nargs;
    if (args[0].kind != AY_V_STR) {
        *out = ay_val_bool(false);
        return AY_OK;
    }
    struct rx r;
    char msg[400];
    bool ok = rx_compile(args[0].u.s, args[0].len, &r, msg, sizeof msg);
    if (ok) {
        rx_free(&r);
    }
    *out = ay_val_bool(ok);
    return AY_OK;
}

static ay_err bi_match(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                       struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    struct rx r;
    TRY(compile_arg(bc, args, 0, &r));
    ay_err err = ay_rego_bu_str(bc, args, 1, &s, &n);
    if (err == AY_OK) {
        int rc = rx_exec(&r, s, n, 0);
        if (rc < 0) {
            err = ay_rego_bi_fail(bc, "regexp: match limit exceeded");
        } else {
            *out = ay_val_bool(rc == 1);
        }
    }
    rx_free(&r);
    return err;
}

struct split_st {
    struct ay_val_vec *v;
    size_t beg;
    size_t end;
    size_t n;
};

static ay_err split_cb(struct ay_rego_bctx *bc, struct rx *r, const char *s, void *arg)
{
    struct split_st *st = arg;
    PCRE2_SIZE *ov = rx_ov(r);
    st->end = ov[0];
    if (ov[1] != 0) {
        struct ay_val e;
        TRY(ay_rego_bu_mkstr(bc, s + st->beg, st->end - st->beg, &e));
        TRY(ay_val_vec_push(st->v, e));
    }
    st->beg = ov[1];
    return AY_OK;
}

static ay_err bi_split(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                       struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    struct rx r;
    TRY(compile_arg(bc, args, 0, &r));
    ay_err err = ay_rego_bu_str(bc, args, 1, &s, &n);
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    if (err == AY_OK && args[0].len > 0 && n == 0) {
        err = ay_val_vec_push(&v, ay_val_str_static(""));
    } else if (err == AY_OK) {
        struct split_st st = {&v, 0, 0, n};
        err = all_matches(bc, &r, s, n, -1, split_cb, &st);
        if (err == AY_OK && st.end != n) {
            struct ay_val e;
            err = ay_rego_bu_mkstr(bc, s + st.beg, n - st.beg, &e);
            if (err == AY_OK) {
                err = ay_val_vec_push(&v, e);
            }
        }
    }
    rx_free(&r);
    TRY(err);
    *out = ay_val_vec_array(&v);
    return AY_OK;
}

struct find_st {
    struct ay_val_vec *v;
    bool groups;
};

static ay_err find_cb(struct ay_rego_bctx *bc, struct rx *r, const char *s, void *arg)
{
    struct find_st *st = arg;
    PCRE2_SIZE *ov = rx_ov(r);
    struct ay_val e;
    if (!st->groups) {
        TRY(ay_rego_bu_mkstr(bc, s + ov[0], ov[1] - ov[0], &e));
        return ay_val_vec_push(st->v, e);
    }
    struct ay_val_vec g;
    ay_val_vec_init(&g, bc->arena);
    for (uint32_t k = 0; k <= r->ncap; k++) {
        if (ov[2 * k] == PCRE2_UNSET) {
            e = ay_val_str_static("");
        } else {
            TRY(ay_rego_bu_mkstr(bc, s + ov[2 * k], ov[2 * k + 1] - ov[2 * k], &e));
        }
        TRY(ay_val_vec_push(&g, e));
    }
    return ay_val_vec_push(st->v, ay_val_vec_array(&g));
}

static ay_err find_common(struct ay_rego_bctx *bc, const struct ay_val *args, bool groups,
                          struct ay_val *out)
{
    const char *s;
    size_t n;
    int64_t lim;
    struct rx r;
    TRY(compile_arg(bc, args, 0, &r));
    ay_err err = ay_rego_bu_str(bc, args, 1, &s, &n);
    if (err == AY_OK) {
        err = ay_rego_bu_int(bc, args, 2, &lim);
    }
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    if (err == AY_OK) {
        struct find_st st = {&v, groups};
        err = all_matches(bc, &r, s, n, lim < 0 ? -1 : lim, find_cb, &st);
    }
    rx_free(&r);
    TRY(err);
    *out = ay_val_vec_array(&v);
    return AY_OK;
}

static ay_err bi_find_n(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                        struct ay_val *out)
{
    (void)nargs;
    return find_common(bc, args, false, out);
}

static ay_err bi_find_all_submatch(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                   struct ay_val *out)
{
    (void)nargs;
    return find_common(bc, args, true, out);
}

struct repl_st {
    struct ay_buf *b;
    const char *tmpl;
    size_t tn;
    size_t last;
};

/* Go regexp.Expand: $1, ${1}, $name (longest [A-Za-z0-9_] run), ${name}, $$. */
static void expand(struct rx *r, const char *s, const char *t, size_t tn, struct ay_buf *b)
{
    PCRE2_SIZE *ov = rx_ov(r);
    size_t i = 0;
    while (i < tn) {
        if (t[i] != '$') {
            ay_buf_putc(b, t[i]);
            i++;
            continue;
        }
        i++;
        if (i < tn && t[i] == '$') {
            ay_buf_putc(b, '$');
            i++;
            continue;
        }
        size_t ns, ne;
        bool brace = i < tn && t[i] == '{';
        if (brace) {
            ns = i + 1;
            ne = ns;
            while (ne < tn && (ay_is_alnum((unsigned char)t[ne]) || t[ne] == '_')) {
                ne++;
            }
            if (ne >= tn || t[ne] != '}' || ne == ns) {
                ay_buf_putc(b, '$'); /* malformed: Go writes the '$' literally */
                continue;
            }
            i = ne + 1;
        } else {
            ns = i;
            ne = ns;
            while (ne < tn && (ay_is_alnum((unsigned char)t[ne]) || t[ne] == '_')) {
                ne++;
            }
            if (ne == ns) {
                ay_buf_putc(b, '$');
                continue;
            }
            i = ne;
        }
        /* a number names a group by index, else by name */
        long idx = -1;
        bool numeric = true;
        long v = 0;
        for (size_t k = ns; k < ne; k++) {
            if (!ay_is_digit((unsigned char)t[k])) {
                numeric = false;
                break;
            }
            v = v * 10 + (t[k] - '0');
            if (v > 100000) {
                v = 100000;
            }
        }
        if (numeric) {
            idx = v;
        } else {
            char name[128];
            size_t nl = ne - ns < sizeof name - 1 ? ne - ns : sizeof name - 1;
            memcpy(name, t + ns, nl);
            name[nl] = '\0';
            int g = pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)name);
            idx = g > 0 ? g : -1;
        }
        if (idx >= 0 && (uint32_t)idx <= r->ncap && ov[2 * idx] != PCRE2_UNSET) {
            ay_buf_put(b, s + ov[2 * idx], ov[2 * idx + 1] - ov[2 * idx]);
        }
    }
}

static ay_err repl_cb(struct ay_rego_bctx *bc, struct rx *r, const char *s, void *arg)
{
    (void)bc;
    struct repl_st *st = arg;
    PCRE2_SIZE *ov = rx_ov(r);
    ay_buf_put(st->b, s + st->last, ov[0] - st->last);
    expand(r, s, st->tmpl, st->tn, st->b);
    st->last = ov[1];
    return AY_OK;
}

static ay_err bi_replace(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                         struct ay_val *out)
{
    (void)nargs;
    const char *s, *t;
    size_t n, tn;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    TRY(ay_rego_bu_str(bc, args, 2, &t, &tn));
    struct rx r;
    TRY(compile_arg(bc, args, 1, &r));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    struct repl_st st = {&b, t, tn, 0};
    ay_err err = all_matches(bc, &r, s, n, -1, repl_cb, &st);
    rx_free(&r);
    TRY(err);
    ay_buf_put(&b, s + st.last, n - st.last);
    return ay_rego_bu_buf_str(bc, &b, out);
}

/* regex.template_match(template, value, start, end): the parts between the delimiters are
 * regular expressions, the rest literal text (OPA topdown/regex_template.go). */
static ay_err bi_template_match(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                struct ay_val *out)
{
    (void)nargs;
    const char *t, *s, *ds, *de;
    size_t tn, n, dsn, den;
    TRY(ay_rego_bu_str(bc, args, 0, &t, &tn));
    TRY(ay_rego_bu_str(bc, args, 1, &s, &n));
    TRY(ay_rego_bu_str(bc, args, 2, &ds, &dsn));
    TRY(ay_rego_bu_str(bc, args, 3, &de, &den));
    if (dsn == 0 || den == 0) {
        return ay_rego_bi_fail(bc, "delimiters must not be empty");
    }
    struct ay_buf re;
    ay_rego_bu_buf(bc, &re);
    ay_buf_putc(&re, '^');
    size_t i = 0;
    while (i < tn) {
        if (tn - i >= dsn && memcmp(t + i, ds, dsn) == 0) {
            /* find the balanced end delimiter */
            size_t level = 1;
            size_t k = i + dsn;
            size_t st = k;
            while (k < tn) {
                if (tn - k >= dsn && memcmp(t + k, ds, dsn) == 0) {
                    level++;
                    k += dsn;
                } else if (tn - k >= den && memcmp(t + k, de, den) == 0) {
                    level--;
                    if (level == 0) {
                        break;
                    }
                    k += den;
                } else {
                    k++;
                }
            }
            if (level != 0) {
                return ay_rego_bi_fail(bc, "unbalanced braces in template");
            }
            ay_buf_puts(&re, "(");
            ay_buf_put(&re, t + st, k - st);
            ay_buf_puts(&re, ")");
            i = k + den;
            continue;
        }
        uint8_t c = (uint8_t)t[i];
        if (c < 0x80 && !ay_is_alnum(c) && c != '_') {
            ay_buf_putc(&re, '\\');
        }
        ay_buf_putc(&re, (char)c);
        i++;
    }
    ay_buf_putc(&re, '$');
    TRY(ay_buf_finish(&re));
    struct rx r;
    char msg[400];
    if (!rx_compile(re.ptr, re.len, &r, msg, sizeof msg)) {
        return ay_rego_bi_fail(bc, "%s", msg);
    }
    int rc = rx_exec(&r, s, n, 0);
    rx_free(&r);
    if (rc < 0) {
        return ay_rego_bi_fail(bc, "regexp: match limit exceeded");
    }
    *out = ay_val_bool(rc == 1);
    return AY_OK;
}

const struct ay_rego_bi ay_rego_bi_regex[] = {
    {"regex.is_valid", 1, bi_is_valid, 0},
    {"regex.match", 2, bi_match, 0},
    {"re_match", 2, bi_match, 0},
    {"regex.split", 2, bi_split, 0},
    {"regex.find_n", 3, bi_find_n, 0},
    {"regex.find_all_string_submatch_n", 3, bi_find_all_submatch, 0},
    {"regex.replace", 3, bi_replace, 0},
    {"regex.template_match", 4, bi_template_match, 0},
    {NULL, 0, NULL, 0},
};
