/* SPDX-License-Identifier: Apache-2.0 */
/* strings.render_template(template, vars): Go's text/template (OPA topdown/template.go) over the
 * vars object as Go sees it after OPA's JSON round trip (objects are map[string]interface{},
 * arrays and sets []interface{}, numbers json.Number, a string type). The subset:
 *  - text, comment actions (slash-star ... star-slash), trim markers "{{- " and " -}}";
 *  - actions {{pipeline}}: operands . .field.chain $ $var.field literals ("str", `raw`, numbers,
 *    true, false, nil) and (pipelines), commands joined with |, declarations {{$x := p}},
 *    assignments {{$x = p}};
 *  - {{if}} / {{else if}} / {{else}}, {{range}} (arrays; objects by sorted key; $i, $v :=)
 *    with {{break}} / {{continue}}, {{with}} / {{else with}}, {{end}};
 *  - functions and, or, not, len, index, eq, ne, lt, le, gt, ge, print, println.
 * Anything else (define, template, block, printf, html, js, urlquery, slice,
 * call, character constants) is refused with an error naming the construct. A key missing from
 * an object renders as "<undefined>" (OPA's rendering of Go's "<no value>").
 * Limits: template bytes AY_LIMIT_REGO_SOURCE, nesting AY_LIMIT_REGO_DEPTH, execution
 * steps AY_LIMIT_REGO_STEPS, output AY_REGO_BI_OUT_MAX. Errors use Go's "template: template:
 * <line>: <message>" form. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_cursor.h"
#include "base/base_limits.h"
#include "base/base_str.h"
#include "rego/rego_bi_util.h"

/* ---- syntax tree ---- */

enum targ_kind {
    TA_DOT,
    TA_VAR,
    TA_STR,
    TA_INT,
    TA_UINT,    /* an integer literal beyond int64 within uint64: an error when evaluated */
    TA_NOVALUE, /* an integer literal beyond uint64: Go evaluates it to no value */
    TA_FLOAT,
    TA_BOOL,
    TA_NIL,
    TA_FUNC,
    TA_PIPE
};

enum tfunc {
    TF_AND,
    TF_OR,
    TF_NOT,
    TF_LEN,
    TF_INDEX,
    TF_EQ,
    TF_NE,
    TF_LT,
    TF_LE,
    TF_GT,
    TF_GE,
    TF_PRINT,
    TF_PRINTLN
};

struct tname {
    const char *s;
    size_t n;
    struct tname *next;
};

struct tpipe;

struct targ {
    enum targ_kind kind;
    size_t pos; /* source offset, for messages */
    size_t len;
    const char *name; /* TA_VAR ("$x"), TA_FUNC */
    size_t name_n;
    enum tfunc fn;
    struct tname *chain; /* .field names after the operand */
    struct ay_val str;   /* TA_STR */
    int64_t i;
    double d;
    bool b;
    struct tpipe *pipe; /* TA_PIPE */
    struct targ *next;
};

struct tcmd {
    struct targ *args;
    size_t pos;
    size_t len;
    struct tcmd *next;
};

struct tpipe {
    size_t pos;
    int ndecl;
    struct tname decl[2];
    bool assign;
    struct tcmd *cmds;
};

enum tnode_kind { TN_TEXT, TN_ACTION, TN_IF, TN_RANGE, TN_WITH, TN_BREAK, TN_CONTINUE };

struct tnode {
    enum tnode_kind kind;
    size_t pos;
    const char *text; /* TN_TEXT */
    size_t text_n;
    struct tpipe *pipe;
    struct tnode *body;
    struct tnode *els;
    struct tnode *next;
};

/* ---- lexer ---- */

enum tk {
    TK_END,
    TK_DOT,
    TK_FIELD,
    TK_VAR,
    TK_IDENT,
    TK_STR,
    TK_NUM,
    TK_PIPE,
    TK_LP,
    TK_RP,
    TK_DECL,
    TK_ASSIGN,
    TK_COMMA
};

struct tok {
    enum tk k;
    size_t pos;
    size_t len;
    const char *s; /* the token text (borrowed from the template) */
    bool space_before;
};

struct tparse {
    size_t range_depth; /* {{range}} bodies open: where {{break}} / {{continue}} may stand */
    struct ay_rego_bctx *bc;
    const char *src; /* the whole template, for line numbers */
    size_t src_n;
    struct ay_cur cur;
    size_t depth;
    bool trim_next; /* the last action ended with " -}}" */
    struct tok tok; /* current token (after next_tok) */
    bool have_peek;
    struct tok peek;
    /* declared variables in scope (Go checks them at parse time) */
    struct tname *vars;
    size_t nvars;
    size_t vars_cap;
};

static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_ident(int c)
{
    return c == '_' || (c >= 0 && c < 128 && ay_is_alnum(c));
}

static size_t line_of(const struct tparse *p, size_t pos)
{
    size_t line = 1;
    for (size_t i = 0; i < pos && i < p->src_n; i++) {
        line += p->src[i] == '\n';
    }
    return line;
}

static ay_err pfail(struct tparse *p, size_t pos, const char *fmt, ...) AY_PRINTF(3, 4);

static ay_err pfail(struct tparse *p, size_t pos, const char *fmt, ...)
{
    char msg[AY_DIAG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Always an error (ay_rego_bi_fail's code): said here so the compiler knows that callers
     * never see AY_OK from a failed parse (their out-parameters are unset then). */
    (void)ay_rego_bi_fail(p->bc, "template: template:%zu: %s", line_of(p, pos), msg);
    return AY_ERR_POLICY_EVAL;
}

/* The byte k ahead of the cursor, -1 past the end. */
static int at(const struct tparse *p, size_t k)
{
    struct ay_span r = ay_cur_rest(&p->cur);
    return k < r.len ? r.ptr[k] : -1;
}

static bool starts(const struct tparse *p, const char *lit)
{
    size_t n = strlen(lit);
    struct ay_span r = ay_cur_rest(&p->cur);
    return r.len >= n && memcmp(r.ptr, lit, n) == 0;
}

static const char *here(const struct tparse *p)
{
    return (const char *)ay_cur_rest(&p->cur).ptr;
}

/* Consumes k bytes the caller has seen with at() / starts(). */
static void adv(struct tparse *p, size_t k)
{
    size_t left = ay_cur_left(&p->cur);
    ay_err e = ay_cur_skip(&p->cur, k < left ? k : left);
    (void)e; /* cannot fail: clamped to what is left */
}

static ay_err lex(struct tparse *p, struct tok *t)
{
    bool space = false;
    for (;;) {
        int c = at(p, 0);
        /* Go's hasRightTrimMarker: one space, then "-}}" */
        if (is_space(c) && at(p, 1) == '-' && at(p, 2) == '}' && at(p, 3) == '}') {
            *t = (struct tok){TK_END, ay_cur_pos(&p->cur), 4, here(p), true};
            adv(p, 4);
            p->trim_next = true;
            return AY_OK;
        }
        if (!is_space(c)) {
            break;
        }
        space = true;
        adv(p, 1);
    }
    size_t pos = ay_cur_pos(&p->cur);
    const char *s = here(p);
    int c = at(p, 0);
    *t = (struct tok){TK_END, pos, 1, s, space};
    if (c < 0) {
        return pfail(p, pos, "unclosed action");
    }
    if (c == '}' && at(p, 1) == '}') {
        t->len = 2;
        adv(p, 2);
        p->trim_next = false;
        return AY_OK;
    }
    size_t n = 1;
    switch (c) {
    case '|':
        t->k = TK_PIPE;
        break;
    case '(':
        t->k = TK_LP;
        break;
    case ')':
        t->k = TK_RP;
        break;
    case ',':
        t->k = TK_COMMA;
        break;
    case '=':
        t->k = TK_ASSIGN;
        break;
    case ':':
        if (at(p, 1) != '=') {
            return pfail(p, pos, "expected :=");
        }
        t->k = TK_DECL;
        n = 2;
        break;
    case '"':
        t->k = TK_STR;
        for (;;) {
            int d = at(p, n);
            if (d < 0 || d == '\n') {
                return pfail(p, pos, "unterminated quoted string");
            }
            n++;
            if (d == '\\') {
                if (at(p, n) < 0 || at(p, n) == '\n') {
                    return pfail(p, pos, "unterminated quoted string");
                }
                n++;
            } else if (d == '"') {
                break;
            }
        }
        break;
    case '`':
        t->k = TK_STR;
        for (;;) {
            int d = at(p, n);
            if (d < 0) {
                return pfail(p, pos, "unterminated raw quoted string");
            }
            n++;
            if (d == '`') {
                break;
            }
        }
        break;
    case '\'':
        return pfail(p, pos, "character constants are not supported by strings.render_template");
    case '$':
        t->k = TK_VAR;
        while (is_ident(at(p, n))) {
            n++;
        }
        break;
    case '.':
        if (at(p, 1) >= '0' && at(p, 1) <= '9') {
            goto number;
        }
        if (is_ident(at(p, 1))) {
            t->k = TK_FIELD;
            while (is_ident(at(p, n))) {
                n++;
            }
        } else {
            t->k = TK_DOT;
        }
        break;
    default:
        if (c == '+' || c == '-' || (c >= '0' && c <= '9')) {
            goto number;
        }
        if (is_ident(c)) {
            t->k = TK_IDENT;
            while (is_ident(at(p, n))) {
                n++;
            }
            break;
        }
        if (c >= 0x20 && c < 0x7f) {
            return pfail(p, pos, "bad character U+%04X '%c'", (unsigned)c, c);
        }
        return pfail(p, pos, "bad character U+%04X", (unsigned)c);
    }
    t->len = n;
    adv(p, n);
    return AY_OK;
number:
    /* Go's scanNumber, loosely: sign, digits, '.', exponent, hex; checked when parsed */
    t->k = TK_NUM;
    n = 1;
    for (;;) {
        int d = at(p, n);
        if (is_ident(d) || d == '.') {
            n++;
        } else if ((d == '+' || d == '-') && (at(p, n - 1) == 'e' || at(p, n - 1) == 'E')) {
            n++;
        } else {
            break;
        }
    }
    t->len = n;
    adv(p, n);
    return AY_OK;
}

static ay_err next_tok(struct tparse *p)
{
    if (p->have_peek) {
        p->tok = p->peek;
        p->have_peek = false;
        return AY_OK;
    }
    return lex(p, &p->tok);
}

static ay_err peek_tok(struct tparse *p, const struct tok **out)
{
    if (!p->have_peek) {
        TRY(lex(p, &p->peek));
        p->have_peek = true;
    }
    *out = &p->peek;
    return AY_OK;
}

static bool tok_is(const struct tok *t, enum tk k, const char *text)
{
    return t->k == k && t->len == strlen(text) && memcmp(t->s, text, t->len) == 0;
}

/* ---- parser ---- */

static ay_err alloc(struct tparse *p, size_t n, void **out)
{
    TRY(ay_arena_alloc(p->bc->arena, n, out));
    memset(*out, 0, n);
    return AY_OK;
}

static ay_err enter(struct tparse *p, size_t pos)
{
    if (++p->depth > AY_LIMIT_REGO_DEPTH) {
        return pfail(p, pos, "template nested deeper than %d", AY_LIMIT_REGO_DEPTH);
    }
    return AY_OK;
}

static ay_err declare(struct tparse *p, const char *s, size_t n)
{
    if (p->nvars == p->vars_cap) {
        size_t cap = p->vars_cap == 0 ? 16 : p->vars_cap * 2;
        struct tname *nv;
        TRY(ay_arena_array(p->bc->arena, cap, sizeof *nv, (void **)&nv));
        if (p->nvars > 0) {
            memcpy(nv, p->vars, p->nvars * sizeof *nv);
        }
        p->vars = nv;
        p->vars_cap = cap;
    }
    p->vars[p->nvars++] = (struct tname){s, n, NULL};
    return AY_OK;
}

static bool declared(const struct tparse *p, const char *s, size_t n)
{
    for (size_t i = p->nvars; i > 0; i--) {
        if (p->vars[i - 1].n == n && memcmp(p->vars[i - 1].s, s, n) == 0) {
            return true;
        }
    }
    return false;
}

/* Go's strconv.Unquote of a "..." or `...` literal. */
static ay_err unquote(struct tparse *p, const struct tok *t, struct ay_val *out)
{
    struct ay_buf b;
    ay_rego_bu_buf(p->bc, &b);
    if (t->s[0] == '`') {
        for (size_t i = 1; i + 1 < t->len; i++) {
            if (t->s[i] != '\r') { /* Go drops carriage returns from raw strings */
                ay_buf_putc(&b, t->s[i]);
            }
        }
        return ay_rego_bu_buf_str(p->bc, &b, out);
    }
    for (size_t i = 1; i + 1 < t->len; i++) {
        char c = t->s[i];
        if (c != '\\') {
            ay_buf_putc(&b, c);
            continue;
        }
        c = t->s[++i];
        static const char esc_in[] = "abfnrtv\\\"'";
        static const char esc_out[] = "\a\b\f\n\r\t\v\\\"'";
        const char *e = strchr(esc_in, c);
        if (c != 0 && e != NULL) {
            ay_buf_putc(&b, esc_out[e - esc_in]);
            continue;
        }
        size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
        if (digits > 0) {
            uint32_t v = 0;
            for (size_t k = 0; k < digits; k++) {
                char h = i + 1 + k + 1 < t->len ? t->s[i + 1 + k] : 0;
                if (!ay_is_xdigit((unsigned char)h)) {
                    return pfail(p, t->pos, "invalid syntax in quoted string");
                }
                v = v * 16 + (uint32_t)(ay_is_digit((unsigned char)h)
                                            ? h - '0'
                                            : ay_to_lower((unsigned char)h) - 'a' + 10);
            }
            i += digits;
            if (c == 'x') {
                ay_buf_putc(&b, (char)v);
            } else if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) {
                return pfail(p, t->pos, "invalid syntax in quoted string");
            } else {
                ay_buf_put_utf8(&b, v);
            }
            continue;
        }
        if (c >= '0' && c <= '7') { /* \ooo, three octal digits, at most \377 */
            uint32_t v = 0;
            for (size_t k = 0; k < 3; k++) {
                char o = i + k + 1 < t->len ? t->s[i + k] : 0;
                if (o < '0' || o > '7') {
                    return pfail(p, t->pos, "invalid syntax in quoted string");
                }
                v = v * 8 + (uint32_t)(o - '0');
            }
            if (v > 255) {
                return pfail(p, t->pos, "invalid syntax in quoted string");
            }
            i += 2;
            ay_buf_putc(&b, (char)v);
            continue;
        }
        return pfail(p, t->pos, "invalid syntax in quoted string");
    }
    return ay_rego_bu_buf_str(p->bc, &b, out);
}

/* A number literal: an int64 (decimal or 0x hex), else a float (Go's idealConstant). */
static ay_err number(struct tparse *p, const struct tok *t, struct targ *a)
{
    char text[64];
    if (t->len >= sizeof text) {
        return pfail(p, t->pos, "bad number syntax: \"%.*s\"", (int)t->len, t->s);
    }
    memcpy(text, t->s, t->len);
    text[t->len] = '\0';
    const char *digits = text + (text[0] == '+' || text[0] == '-');
    bool hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
    bool is_float = !hex && strpbrk(text, ".eE") != NULL;
    char *end = NULL;
    if (!is_float) {
        errno = 0;
        long long v = strtoll(text, &end, 0); /* 0x hex, 0 octal, else decimal, as Go */
        if (end != NULL && *end == '\0' && end != digits && errno == 0) {
            a->kind = TA_INT;
            a->i = (int64_t)v;
            return AY_OK;
        }
        if (errno != ERANGE) {
            return pfail(p, t->pos, "bad number syntax: \"%s\"", text);
        }
        /* beyond int64, Go's idealConstant: "N overflows int" up to the uint64 range, else
         * the zero value (an integer literal has no float form) */
        errno = 0;
        (void)strtoull(text, &end, 0);
        a->kind = text[0] != '-' && errno == 0 ? TA_UINT : TA_NOVALUE;
        return AY_OK;
    }
    double d = strtod(text, &end);
    if (end == NULL || *end != '\0' || !isfinite(d)) {
        return pfail(p, t->pos, "bad number syntax: \"%s\"", text);
    }
    a->kind = TA_FLOAT;
    a->d = d;
    return AY_OK;
}

static const struct {
    const char *name;
    enum tfunc fn;
} funcs[] = {
    {"and", TF_AND},         {"or", TF_OR}, {"not", TF_NOT}, {"len", TF_LEN},
    {"index", TF_INDEX},     {"eq", TF_EQ}, {"ne", TF_NE},   {"lt", TF_LT},
    {"le", TF_LE},           {"gt", TF_GT}, {"ge", TF_GE},   {"print", TF_PRINT},
    {"println", TF_PRINTLN},
};

/* Go's other predefined functions: known, but outside this subset. */
static const char *const unsupported_funcs[] = {"call",   "html",  "js",
                                                "printf", "slice", "urlquery"};

static ay_err parse_pipe(struct tparse *p, const char *context, enum tk end, bool in_range,
                         struct tpipe **out);

static ay_err parse_operand(struct tparse *p, struct targ **out)
{
    struct tok t = p->tok;
    struct targ *a;
    TRY(alloc(p, sizeof *a, (void **)&a));
    a->pos = t.pos;
    a->len = t.len;
    switch (t.k) {
    case TK_DOT:
        a->kind = TA_DOT;
        break;
    case TK_FIELD:
        a->kind = TA_DOT; /* .a.b is a field chain on dot */
        TRY(alloc(p, sizeof *a->chain, (void **)&a->chain));
        *a->chain = (struct tname){t.s + 1, t.len - 1, NULL};
        break;
    case TK_VAR:
        if (!declared(p, t.s, t.len)) {
            return pfail(p, t.pos, "undefined variable \"%.*s\"", (int)t.len, t.s);
        }
        a->kind = TA_VAR;
        a->name = t.s;
        a->name_n = t.len;
        break;
    case TK_STR:
        a->kind = TA_STR;
        TRY(unquote(p, &t, &a->str));
        break;
    case TK_NUM:
        TRY(number(p, &t, a));
        break;
    case TK_LP:
        TRY(enter(p, t.pos));
        a->kind = TA_PIPE;
        TRY(parse_pipe(p, "parenthesized pipeline", TK_RP, false, &a->pipe));
        p->depth--;
        break;
    case TK_IDENT:
        if (tok_is(&t, TK_IDENT, "true") || tok_is(&t, TK_IDENT, "false")) {
            a->kind = TA_BOOL;
            a->b = t.len == 4;
            break;
        }
        if (tok_is(&t, TK_IDENT, "nil")) {
            a->kind = TA_NIL;
            break;
        }
        for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
            if (tok_is(&t, TK_IDENT, funcs[i].name)) {
                a->kind = TA_FUNC;
                a->fn = funcs[i].fn;
                a->name = t.s;
                a->name_n = t.len;
                *out = a;
                return AY_OK;
            }
        }
        for (size_t i = 0; i < sizeof unsupported_funcs / sizeof unsupported_funcs[0]; i++) {
            if (tok_is(&t, TK_IDENT, unsupported_funcs[i])) {
                return pfail(p, t.pos,
                             "function \"%s\" is not supported by strings.render_template",
                             unsupported_funcs[i]);
            }
        }
        return pfail(p, t.pos, "function \"%.*s\" not defined", (int)t.len, t.s);
    default:
        return pfail(p, t.pos, "unexpected \"%.*s\" in operand", (int)t.len, t.s);
    }
    /* a field chain glued to the operand: $x.a.b, (pipe).a */
    struct tname **tail = &a->chain;
    while (*tail != NULL) {
        tail = &(*tail)->next;
    }
    for (;;) {
        const struct tok *nx;
        TRY(peek_tok(p, &nx));
        if (nx->k != TK_FIELD || nx->space_before) {
            break;
        }
        if (a->kind != TA_DOT && a->kind != TA_VAR && a->kind != TA_PIPE) {
            return pfail(p, nx->pos, "unexpected . after term \"%.*s\"", (int)t.len, t.s);
        }
        TRY(next_tok(p));
        struct tname *nm;
        TRY(alloc(p, sizeof *nm, (void **)&nm));
        *nm = (struct tname){p->tok.s + 1, p->tok.len - 1, NULL};
        *tail = nm;
        tail = &nm->next;
        a->len = p->tok.pos + p->tok.len - a->pos;
    }
    *out = a;
    return AY_OK;
}

static ay_err parse_cmd(struct tparse *p, enum tk end, struct tcmd **out)
{
    struct tcmd *c;
    TRY(alloc(p, sizeof *c, (void **)&c));
    c->pos = p->tok.pos;
    struct targ **tail = &c->args;
    for (;;) {
        struct targ *a = NULL;
        TRY(parse_operand(p, &a));
        if (a == NULL) { /* not reached: said for the compiler, which loses track of it */
            return pfail(p, p->tok.pos, "no operand");
        }
        *tail = a;
        tail = &a->next;
        c->len = a->pos + a->len - c->pos;
        const struct tok *nx;
        TRY(peek_tok(p, &nx));
        if (nx->k == TK_PIPE || nx->k == end || nx->k == TK_END || nx->k == TK_RP) {
            break;
        }
        if (!nx->space_before && nx->k != TK_LP) {
            return pfail(p, nx->pos, "missing space?");
        }
        TRY(next_tok(p));
    }
    if (c->args->kind != TA_FUNC && c->args->next != NULL) {
        /* Go: only functions (and methods, which JSON data lacks) take arguments */
        return pfail(p, c->pos, "can't give argument to non-function %.*s", (int)c->args->len,
                     p->src + c->args->pos);
    }
    *out = c;
    return AY_OK;
}

/* pipeline: [decl] command { "|" command }, then the end token (}} or ")"). */
static ay_err parse_pipe(struct tparse *p, const char *context, enum tk end, bool in_range,
                         struct tpipe **out)
{
    struct tpipe *pp;
    TRY(alloc(p, sizeof *pp, (void **)&pp));
    TRY(next_tok(p));
    pp->pos = p->tok.pos;
    if (p->tok.k == TK_VAR) {
        const struct tok *nx;
        TRY(peek_tok(p, &nx));
        if (nx->k == TK_COMMA && !in_range) {
            return pfail(p, nx->pos, "too many declarations in %s", context);
        }
        if (nx->k == TK_DECL || nx->k == TK_ASSIGN || nx->k == TK_COMMA) {
            struct tok v1 = p->tok;
            pp->decl[0] = (struct tname){v1.s, v1.len, NULL};
            pp->ndecl = 1;
            TRY(next_tok(p));
            if (p->tok.k == TK_COMMA) {
                TRY(next_tok(p));
                if (p->tok.k != TK_VAR) {
                    return pfail(p, p->tok.pos, "range can only initialize variables");
                }
                pp->decl[1] = (struct tname){p->tok.s, p->tok.len, NULL};
                pp->ndecl = 2;
                TRY(next_tok(p));
                if (p->tok.k != TK_DECL && p->tok.k != TK_ASSIGN) {
                    return pfail(p, p->tok.pos, "expected := or = in range declaration");
                }
            }
            pp->assign = p->tok.k == TK_ASSIGN;
            for (int i = 0; i < pp->ndecl; i++) {
                if (pp->assign) {
                    if (!declared(p, pp->decl[i].s, pp->decl[i].n)) {
                        return pfail(p, v1.pos, "undefined variable \"%.*s\"", (int)pp->decl[i].n,
                                     pp->decl[i].s);
                    }
                } else {
                    TRY(declare(p, pp->decl[i].s, pp->decl[i].n));
                }
            }
            TRY(next_tok(p));
        }
    }
    struct tcmd **tail = &pp->cmds;
    for (;;) {
        if (p->tok.k == end || p->tok.k == TK_END || p->tok.k == TK_RP || p->tok.k == TK_PIPE) {
            if (p->tok.k == end && pp->cmds == NULL) {
                return pfail(p, p->tok.pos, "missing value for %s", context);
            }
            if (p->tok.k == end) {
                break;
            }
            return pfail(p, p->tok.pos, "unexpected \"%.*s\" in %s", (int)p->tok.len, p->tok.s,
                         context);
        }
        struct tcmd *c = NULL;
        TRY(parse_cmd(p, end, &c));
        if (c == NULL) { /* not reached: said for the compiler, which loses track of it */
            return pfail(p, p->tok.pos, "no command");
        }
        *tail = c;
        tail = &c->next;
        TRY(next_tok(p));
        if (p->tok.k == TK_PIPE) {
            TRY(next_tok(p));
            if (p->tok.k == end) {
                return pfail(p, p->tok.pos, "missing command after |");
            }
            if (p->tok.k != TK_IDENT) {
                /* Go: the value flows in as the last argument, so it must be a function */
                return pfail(p, p->tok.pos, "non-function in pipeline after |");
            }
        }
    }
    *out = pp;
    return AY_OK;
}

enum tstop { STOP_EOF, STOP_END, STOP_ELSE };

static ay_err parse_list(struct tparse *p, struct tnode **out, enum tstop *stop, size_t *stop_pos);

/* {{if}}, {{range}}, {{with}} after the keyword: pipeline, body, optional else, end.
 * "{{else if}}" / "{{else with}}" nest a node that takes the shared {{end}}. */
static ay_err parse_control(struct tparse *p, enum tnode_kind kind, size_t pos, struct tnode **out)
{
    static const char *const names[] = {"", "", "if", "range", "with", "", ""};
    TRY(enter(p, pos));
    size_t mark = p->nvars; /* Go pops the control's variables at its {{end}} */
    struct tnode *nd;
    TRY(alloc(p, sizeof *nd, (void **)&nd));
    nd->kind = kind;
    nd->pos = pos;
    TRY(parse_pipe(p, names[kind], TK_END, kind == TN_RANGE, &nd->pipe));
    enum tstop stop;
    size_t stop_pos;
    /* Go: break and continue belong to the range body, not to its else branch */
    p->range_depth += kind == TN_RANGE;
    TRY(parse_list(p, &nd->body, &stop, &stop_pos));
    p->range_depth -= kind == TN_RANGE;
    if (stop == STOP_ELSE) {
        const struct tok *nx;
        TRY(peek_tok(p, &nx));
        if ((kind == TN_IF && tok_is(nx, TK_IDENT, "if")) ||
            (kind == TN_WITH && tok_is(nx, TK_IDENT, "with"))) {
            TRY(next_tok(p));
            TRY(parse_control(p, kind, p->tok.pos, &nd->els));
            p->nvars = mark;
            p->depth--;
            *out = nd;
            return AY_OK;
        }
        TRY(next_tok(p));
        if (p->tok.k != TK_END) {
            return pfail(p, p->tok.pos, "unexpected \"%.*s\" in else", (int)p->tok.len, p->tok.s);
        }
        TRY(parse_list(p, &nd->els, &stop, &stop_pos));
        if (stop == STOP_ELSE) {
            return pfail(p, stop_pos, "expected end; found {{else}}");
        }
    }
    if (stop == STOP_EOF) {
        return pfail(p, stop_pos, "unexpected EOF");
    }
    p->nvars = mark;
    p->depth--;
    *out = nd;
    return AY_OK;
}

/* Text up to "{{" (trimmed by markers), then one action. */
static ay_err parse_list(struct tparse *p, struct tnode **out, enum tstop *stop, size_t *stop_pos)
{
    struct tnode *head = NULL;
    struct tnode **tail = &head;
    for (;;) {
        struct ay_span rest = ay_cur_rest(&p->cur);
        size_t tn = 0;
        while (tn < rest.len &&
               !(rest.ptr[tn] == '{' && tn + 1 < rest.len && rest.ptr[tn + 1] == '{')) {
            tn++;
        }
        const char *text = here(p);
        size_t text_pos = ay_cur_pos(&p->cur);
        adv(p, tn);
        bool at_end = ay_cur_left(&p->cur) == 0;
        bool left_trim = !at_end && at(p, 2) == '-' && is_space(at(p, 3));
        size_t ts = 0;
        size_t te = tn;
        if (p->trim_next) {
            while (ts < te && is_space((unsigned char)text[ts])) {
                ts++;
            }
        }
        if (left_trim) {
            while (te > ts && is_space((unsigned char)text[te - 1])) {
                te--;
            }
        }
        p->trim_next = false;
        if (te > ts) {
            struct tnode *nd;
            TRY(alloc(p, sizeof *nd, (void **)&nd));
            nd->kind = TN_TEXT;
            nd->pos = text_pos + ts;
            nd->text = text + ts;
            nd->text_n = te - ts;
            *tail = nd;
            tail = &nd->next;
        }
        if (at_end) {
            *stop = STOP_EOF;
            *stop_pos = ay_cur_pos(&p->cur);
            *out = head;
            return AY_OK;
        }
        size_t apos = ay_cur_pos(&p->cur);
        adv(p, left_trim ? 4 : 2);
        /* after "{{- " the lexer skips any further space, but a comment must follow the
         * marker directly (Go's lexLeftDelim) */
        if (starts(p, "/*")) {
            struct ay_span r = ay_cur_rest(&p->cur);
            size_t k = 2;
            while (k + 1 < r.len && !(r.ptr[k] == '*' && r.ptr[k + 1] == '/')) {
                k++;
            }
            if (k + 1 >= r.len) {
                return pfail(p, apos, "unclosed comment");
            }
            adv(p, k + 2);
            if (starts(p, "}}")) {
                adv(p, 2);
            } else if (is_space(at(p, 0)) && at(p, 1) == '-' && at(p, 2) == '}' &&
                       at(p, 3) == '}') {
                adv(p, 4);
                p->trim_next = true;
            } else {
                return pfail(p, apos, "comment ends before closing delimiter");
            }
            continue;
        }
        p->have_peek = false;
        TRY(next_tok(p));
        struct tok t = p->tok;
        if (t.k == TK_IDENT) {
            if (tok_is(&t, TK_IDENT, "end") || tok_is(&t, TK_IDENT, "else")) {
                bool is_end = t.len == 3;
                if (is_end) {
                    TRY(next_tok(p));
                    if (p->tok.k != TK_END) {
                        return pfail(p, p->tok.pos, "unexpected \"%.*s\" in end", (int)p->tok.len,
                                     p->tok.s);
                    }
                }
                *stop = is_end ? STOP_END : STOP_ELSE;
                *stop_pos = apos;
                *out = head;
                return AY_OK;
            }
            enum tnode_kind kind = TN_ACTION;
            if (tok_is(&t, TK_IDENT, "if")) {
                kind = TN_IF;
            } else if (tok_is(&t, TK_IDENT, "range")) {
                kind = TN_RANGE;
            } else if (tok_is(&t, TK_IDENT, "with")) {
                kind = TN_WITH;
            } else {
                if (tok_is(&t, TK_IDENT, "break") || tok_is(&t, TK_IDENT, "continue")) {
                    /* Go 1.18: {{break}} / {{continue}} inside a {{range}} body */
                    if (p->range_depth == 0) {
                        return pfail(p, t.pos, "{{%.*s}} outside {{range}}", (int)t.len, t.s);
                    }
                    TRY(next_tok(p));
                    if (p->tok.k != TK_END) {
                        return pfail(p, p->tok.pos, "unexpected \"%.*s\" in {{%.*s}}",
                                     (int)p->tok.len, p->tok.s, (int)t.len, t.s);
                    }
                    struct tnode *nd;
                    TRY(alloc(p, sizeof *nd, (void **)&nd));
                    nd->kind = t.len == 5 ? TN_BREAK : TN_CONTINUE;
                    nd->pos = t.pos;
                    *tail = nd;
                    tail = &nd->next;
                    continue;
                }
                static const char *const kw[] = {"define", "template", "block"};
                for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++) {
                    if (tok_is(&t, TK_IDENT, kw[i])) {
                        return pfail(p, t.pos, "{{%s}} is not supported by strings.render_template",
                                     kw[i]);
                    }
                }
            }
            if (kind != TN_ACTION) {
                struct tnode *nd;
                TRY(parse_control(p, kind, t.pos, &nd));
                *tail = nd;
                tail = &nd->next;
                continue;
            }
        }
        /* a plain action: re-read from the first token */
        struct tnode *nd;
        TRY(alloc(p, sizeof *nd, (void **)&nd));
        nd->kind = TN_ACTION;
        nd->pos = t.pos;
        p->peek = t;
        p->have_peek = true;
        TRY(parse_pipe(p, "command", TK_END, false, &nd->pipe));
        *tail = nd;
        tail = &nd->next;
    }
}

/* ---- values as Go sees them ---- */

enum tv_kind {
    TV_INVALID, /* Go's invalid reflect.Value: a missing key ("<no value>") */
    TV_NIL,     /* a nil interface{}: JSON null, index of a missing key */
    TV_BOOL,
    TV_INT,
    TV_FLOAT,
    TV_STR,  /* string */
    TV_JNUM, /* json.Number (a string type): numbers of the data */
    TV_ARR,  /* []interface{}: arrays and sets of the data */
    TV_MAP,  /* map[string]interface{} */
};

struct tv {
    enum tv_kind k;
    bool b;
    int64_t i;
    double d;
    struct ay_val v; /* TV_STR, TV_JNUM, TV_ARR, TV_MAP */
};

static struct tv tv_of(struct ay_val v)
{
    struct tv t = {TV_NIL, false, 0, 0, v};
    switch (v.kind) {
    case AY_V_BOOL:
        t.k = TV_BOOL;
        t.b = v.u.b;
        break;
    case AY_V_NUM:
        t.k = TV_JNUM;
        break;
    case AY_V_STR:
        t.k = TV_STR;
        break;
    case AY_V_ARR:
    case AY_V_SET:
        t.k = TV_ARR;
        break;
    case AY_V_OBJ:
        t.k = TV_MAP;
        break;
    default:
        t.k = TV_NIL;
        break;
    }
    return t;
}

static const char *go_type(const struct tv *t)
{
    static const char *const names[] = {"<no value>",  "interface {}",   "bool",
                                        "int",         "float64",        "string",
                                        "json.Number", "[]interface {}", "map[string]interface {}"};
    return names[t->k];
}

/* Go's fmt %v of a float64: strconv 'g' with the shortest digits that round-trip, in e form
 * when the exponent is < -4 or >= 6 (strconv uses precision 6 for that decision when the
 * precision is "shortest"): 1e+06, 123456, 1.5e-05. */
static void go_float(struct ay_buf *b, double d)
{
    char tmp[64];
    int prec = 0;
    for (; prec < 17; prec++) {
        (void)snprintf(tmp, sizeof tmp, "%.*e", prec, d);
        if (strtod(tmp, NULL) == d) {
            break;
        }
    }
    const char *e = strchr(tmp, 'e');
    long exp = e != NULL ? strtol(e + 1, NULL, 10) : 0;
    if (exp < -4 || exp >= 6) {
        ay_buf_puts(b, tmp);
        return;
    }
    int decimals = prec - (int)exp;
    (void)snprintf(tmp, sizeof tmp, "%.*f", decimals > 0 ? decimals : 0, d);
    ay_buf_puts(b, tmp);
}

/* fmt.Fprint of one value (composites as Go prints []interface{} and maps). */
static ay_err go_print(struct ay_rego_bctx *bc, struct ay_buf *b, const struct tv *t, size_t depth)
{
    if (depth > AY_LIMIT_JSON_DEPTH) {
        return ay_rego_bi_fail(bc, "template: value nested too deeply to print");
    }
    switch (t->k) {
    case TV_INVALID:
        ay_buf_puts(b, "<undefined>");
        break;
    case TV_NIL:
        ay_buf_puts(b, "<nil>");
        break;
    case TV_BOOL:
        ay_buf_puts(b, t->b ? "true" : "false");
        break;
    case TV_INT:
        ay_buf_printf(b, "%lld", (long long)t->i);
        break;
    case TV_FLOAT:
        go_float(b, t->d);
        break;
    case TV_STR:
        ay_buf_put(b, t->v.u.s, t->v.len);
        break;
    case TV_JNUM:
        ay_val_write_num(b, t->v);
        break;
    case TV_ARR:
        ay_buf_putc(b, '[');
        for (uint32_t i = 0; i < t->v.len; i++) {
            if (i > 0) {
                ay_buf_putc(b, ' ');
            }
            struct tv e = tv_of(t->v.u.items[i]);
            TRY(go_print(bc, b, &e, depth + 1));
        }
        ay_buf_putc(b, ']');
        break;
    case TV_MAP:
        ay_buf_puts(b, "map[");
        for (uint32_t i = 0; i < t->v.len; i++) {
            if (i > 0) {
                ay_buf_putc(b, ' ');
            }
            struct ay_val k = t->v.u.pairs[i].k;
            if (k.kind == AY_V_STR) {
                ay_buf_put(b, k.u.s, k.len);
            } else {
                ay_val_write_json(b, k);
            }
            ay_buf_putc(b, ':');
            struct tv e = tv_of(t->v.u.pairs[i].v);
            TRY(go_print(bc, b, &e, depth + 1));
        }
        ay_buf_putc(b, ']');
        break;
    }
    return AY_OK;
}

/* Go's text/template isTrue: the zero value of its type is false. json.Number is a string, so
 * every number of the data is true (even 0), as in OPA. */
static bool truth(const struct tv *t)
{
    switch (t->k) {
    case TV_INVALID:
    case TV_NIL:
        return false;
    case TV_BOOL:
        return t->b;
    case TV_INT:
        return t->i != 0;
    case TV_FLOAT:
        return t->d != 0;
    case TV_JNUM:
        return true; /* the text of a number is never empty */
    case TV_STR:
    case TV_ARR:
    case TV_MAP:
        return t->v.len > 0;
    }
    return false;
}

/* ---- execution ---- */

struct tvar {
    const char *name;
    size_t n;
    struct tv val;
};

/* How a range body ended: normally, or at {{break}} / {{continue}}. */
enum tjump { TJ_NONE, TJ_BREAK, TJ_CONTINUE };

struct texec {
    enum tjump jump; /* set by {{break}} / {{continue}} until the enclosing range sees it */
    struct ay_rego_bctx *bc;
    struct tparse *p;
    struct ay_buf *out;
    struct tvar *vars;
    size_t nvars;
    size_t cap;
    size_t steps;
};

static ay_err xfail(struct texec *x, size_t pos, size_t len, const char *fmt, ...) AY_PRINTF(4, 5);

/* Go's ExecError: template: template:<line>:<col>: executing "template" at <node>: msg */
static ay_err xfail(struct texec *x, size_t pos, size_t len, const char *fmt, ...)
{
    char msg[AY_DIAG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t line = line_of(x->p, pos);
    size_t col = pos;
    for (size_t i = pos; i > 0; i--) {
        if (x->p->src[i - 1] == '\n') {
            col = pos - i;
            break;
        }
    }
    int shown = len > 64 ? 64 : (int)len;
    return ay_rego_bi_fail(x->bc,
                           "template: template:%zu:%zu: executing \"template\" at <%.*s>: %s", line,
                           col, shown, x->p->src + pos, msg);
}

static ay_err step(struct texec *x, size_t pos)
{
    if (++x->steps > AY_LIMIT_REGO_STEPS) {
        return xfail(x, pos, 0, "template execution exceeds %d steps", AY_LIMIT_REGO_STEPS);
    }
    return AY_OK;
}

static ay_err push_var(struct texec *x, const char *name, size_t n, struct tv v)
{
    if (x->nvars == x->cap) {
        size_t cap = x->cap == 0 ? 16 : x->cap * 2;
        struct tvar *nv;
        TRY(ay_arena_array(x->bc->arena, cap, sizeof *nv, (void **)&nv));
        if (x->nvars > 0) {
            memcpy(nv, x->vars, x->nvars * sizeof *nv);
        }
        x->vars = nv;
        x->cap = cap;
    }
    x->vars[x->nvars++] = (struct tvar){name, n, v};
    return AY_OK;
}

static struct tvar *find_var(struct texec *x, const char *name, size_t n)
{
    for (size_t i = x->nvars; i > 0; i--) {
        if (x->vars[i - 1].n == n && memcmp(x->vars[i - 1].name, name, n) == 0) {
            return &x->vars[i - 1];
        }
    }
    return NULL;
}

static ay_err field(struct texec *x, const struct targ *a, struct tv in, const struct tname *f,
                    struct tv *out)
{
    switch (in.k) {
    case TV_INVALID:
        *out = in; /* Go: a field of a missing value is missing too */
        return AY_OK;
    case TV_MAP: {
        const struct ay_val *v = ay_val_obj_get_str(in.v, f->s, f->n);
        if (v == NULL) {
            *out = (struct tv){TV_INVALID, false, 0, 0, ay_val_undef()};
        } else {
            *out = tv_of(*v);
        }
        return AY_OK;
    }
    case TV_NIL:
        return xfail(x, a->pos, a->len, "nil pointer evaluating interface {}.%.*s", (int)f->n,
                     f->s);
    default:
        return xfail(x, a->pos, a->len, "can't evaluate field %.*s in type %s", (int)f->n, f->s,
                     go_type(&in));
    }
}

static ay_err eval_pipe(struct texec *x, const struct tpipe *pp, struct tv dot, struct tv *out);

static ay_err eval_arg(struct texec *x, const struct targ *a, struct tv dot, struct tv *out)
{
    struct tv v = {TV_NIL, false, 0, 0, ay_val_undef()};
    switch (a->kind) {
    case TA_DOT:
        v = dot;
        break;
    case TA_VAR: {
        const struct tvar *var = find_var(x, a->name, a->name_n);
        if (var == NULL) {
            return xfail(x, a->pos, a->len, "undefined variable: %.*s", (int)a->name_n, a->name);
        }
        v = var->val;
        break;
    }
    case TA_STR:
        v.k = TV_STR;
        v.v = a->str;
        break;
    case TA_INT:
        v.k = TV_INT;
        v.i = a->i;
        break;
    case TA_FLOAT:
        v.k = TV_FLOAT;
        v.d = a->d;
        break;
    case TA_BOOL:
        v.k = TV_BOOL;
        v.b = a->b;
        break;
    case TA_UINT:
        return xfail(x, a->pos, a->len, "%.*s overflows int", (int)a->len, x->p->src + a->pos);
    case TA_NOVALUE:
        v.k = TV_INVALID;
        break;
    case TA_NIL:
        return xfail(x, a->pos, a->len, "nil is not a command");
    case TA_PIPE:
        TRY(eval_pipe(x, a->pipe, dot, &v));
        break;
    case TA_FUNC:
        return xfail(x, a->pos, a->len, "function %.*s used as a value", (int)a->name_n, a->name);
    }
    for (const struct tname *f = a->chain; f != NULL; f = f->next) {
        TRY(field(x, a, v, f, &v));
    }
    *out = v;
    return AY_OK;
}

/* Go 1.18+ comparison kinds: bool, integer, float, string (json.Number is a string). */
static int basic_kind(const struct tv *t)
{
    switch (t->k) {
    case TV_BOOL:
        return 1;
    case TV_INT:
        return 2;
    case TV_FLOAT:
        return 3;
    case TV_STR:
    case TV_JNUM:
        return 4;
    default:
        return 0;
    }
}

/* The text of a string-kind value (a json.Number's digits). */
static ay_err str_of(struct texec *x, const struct tv *t, const char **s, size_t *n)
{
    if (t->k == TV_STR) {
        *s = t->v.u.s;
        *n = t->v.len;
        return AY_OK;
    }
    struct ay_buf b;
    ay_rego_bu_buf(x->bc, &b);
    ay_val_write_num(&b, t->v);
    TRY(ay_buf_finish(&b));
    *s = b.ptr;
    *n = b.len;
    return AY_OK;
}

/* a <=> b for two values of the same basic kind: -1, 0, 1. */
static ay_err cmp_fail(struct texec *x, const struct targ *fa, const char *why)
{
    return xfail(x, fa->pos, fa->len, "error calling %.*s: %s", (int)fa->name_n, fa->name, why);
}

static bool is_nil(const struct tv *t)
{
    return t->k == TV_INVALID || t->k == TV_NIL;
}

/* a <=> b (-1, 0, 1) with the rules of Go's eq (ordered false) or lt / le / gt / ge (ordered
 * true); *out 1 for an eq between a nil and a non-nil value, which Go calls unequal without an
 * error. */
static ay_err compare(struct texec *x, const struct targ *fa, const struct tv *a,
                      const struct tv *b, bool ordered, int *out)
{
    int ka = basic_kind(a);
    int kb = basic_kind(b);
    if (ordered) {
        /* lt & co take bool-free basic kinds only */
        if (ka == 0 || kb == 0) {
            return cmp_fail(x, fa, "invalid type for comparison");
        }
        if (ka != kb) {
            return cmp_fail(x, fa, "incompatible types for comparison");
        }
        if (ka == 1) {
            return cmp_fail(x, fa, "invalid type for comparison");
        }
    } else {
        if (is_nil(a) || is_nil(b)) {
            *out = is_nil(a) && is_nil(b) ? 0 : 1;
            return AY_OK;
        }
        if (ka != kb) {
            return cmp_fail(x, fa, "incompatible types for comparison");
        }
        if (ka == 0) {
            return cmp_fail(x, fa, "non-comparable type"); /* []interface{}, maps */
        }
    }
    switch (ka) {
    case 1:
        *out = (a->b > b->b) - (a->b < b->b);
        return AY_OK;
    case 2:
        *out = (a->i > b->i) - (a->i < b->i);
        return AY_OK;
    case 3:
        *out = (a->d > b->d) - (a->d < b->d);
        return AY_OK;
    default: {
        const char *sa;
        const char *sb;
        size_t na;
        size_t nb;
        TRY(str_of(x, a, &sa, &na));
        TRY(str_of(x, b, &sb, &nb));
        int c = memcmp(sa, sb, na < nb ? na : nb);
        *out = c != 0 ? (c > 0) - (c < 0) : (na > nb) - (na < nb);
        return AY_OK;
    }
    }
}

static ay_err call(struct texec *x, const struct targ *fa, const struct tv *argv, size_t argc,
                   struct tv *out)
{
    struct tv r = {TV_BOOL, false, 0, 0, ay_val_undef()};
    int nm = (int)fa->name_n;
    switch (fa->fn) {
    case TF_AND:
    case TF_OR:
        break; /* evaluated lazily by eval_cmd */
    case TF_NOT:
        if (argc != 1) {
            return xfail(x, fa->pos, fa->len, "wrong number of args for not: want 1 got %zu", argc);
        }
        r.b = !truth(&argv[0]);
        break;
    case TF_LEN:
        if (argc != 1) {
            return xfail(x, fa->pos, fa->len, "wrong number of args for len: want 1 got %zu", argc);
        }
        r.k = TV_INT;
        if (argv[0].k == TV_STR || argv[0].k == TV_ARR || argv[0].k == TV_MAP) {
            r.i = argv[0].v.len;
        } else if (argv[0].k == TV_JNUM) {
            const char *s;
            size_t n;
            TRY(str_of(x, &argv[0], &s, &n));
            r.i = (int64_t)n;
        } else if (argv[0].k == TV_INVALID || argv[0].k == TV_NIL) {
            return xfail(x, fa->pos, fa->len, "error calling len: len of nil pointer");
        } else {
            return xfail(x, fa->pos, fa->len, "error calling len: len of type %s",
                         go_type(&argv[0]));
        }
        break;
    case TF_INDEX: {
        if (argc < 1) {
            return xfail(x, fa->pos, fa->len,
                         "wrong number of args for index: want at least 1 got 0");
        }
        r = argv[0];
        for (size_t i = 1; i < argc; i++) {
            const struct tv *k = &argv[i];
            if (r.k == TV_ARR || r.k == TV_STR) {
                if (k->k != TV_INT) {
                    return xfail(x, fa->pos, fa->len,
                                 "error calling index: cannot index slice/array with type %s",
                                 go_type(k));
                }
                if (k->i < 0 || k->i >= (int64_t)r.v.len) {
                    return xfail(x, fa->pos, fa->len,
                                 "error calling index: index out of range: %lld", (long long)k->i);
                }
                if (r.k == TV_STR) {
                    r = (struct tv){TV_INT, false, (unsigned char)r.v.u.s[k->i], 0, ay_val_undef()};
                } else {
                    r = tv_of(r.v.u.items[k->i]);
                }
            } else if (r.k == TV_MAP) {
                if (k->k != TV_STR) {
                    return xfail(x, fa->pos, fa->len,
                                 "error calling index: value has type %s; should be string",
                                 go_type(k));
                }
                const struct ay_val *v = ay_val_obj_get_str(r.v, k->v.u.s, k->v.len);
                r = v != NULL ? tv_of(*v) : (struct tv){TV_NIL, false, 0, 0, ay_val_undef()};
            } else if (r.k == TV_INVALID || r.k == TV_NIL) {
                return xfail(x, fa->pos, fa->len, "error calling index: index of untyped nil");
            } else {
                return xfail(x, fa->pos, fa->len,
                             "error calling index: can't index item of type %s", go_type(&r));
            }
        }
        break;
    }
    case TF_EQ:
    case TF_NE:
    case TF_LT:
    case TF_LE:
    case TF_GT:
    case TF_GE: {
        bool eq = fa->fn == TF_EQ;
        if (eq && argc < 2) {
            /* eq(arg1, arg2 ...): Go checks the arity first, then the comparison */
            return argc == 0 ? xfail(x, fa->pos, fa->len,
                                     "wrong number of args for eq: want at least 1 got 0")
                             : cmp_fail(x, fa, "missing argument for comparison");
        }
        if (!eq && argc != 2) {
            return xfail(x, fa->pos, fa->len, "wrong number of args for %.*s: want 2 got %zu", nm,
                         fa->name, argc);
        }
        bool ordered = fa->fn != TF_EQ && fa->fn != TF_NE;
        for (size_t i = 1; i < argc; i++) {
            int c = 0;
            TRY(compare(x, fa, &argv[0], &argv[i], ordered, &c));
            switch (fa->fn) {
            case TF_EQ:
                r.b = c == 0;
                break;
            case TF_NE:
                r.b = c != 0;
                break;
            case TF_LT:
                r.b = c < 0;
                break;
            case TF_LE:
                r.b = c <= 0;
                break;
            case TF_GT:
                r.b = c > 0;
                break;
            default:
                r.b = c >= 0;
                break;
            }
            if (r.b && eq) {
                break; /* Go's eq returns at the first match */
            }
        }
        break;
    }
    case TF_PRINT:
    case TF_PRINTLN: {
        /* fmt.Sprint adds a space between operands when neither is a string; Sprintln
         * always does, and ends with a newline */
        struct ay_buf b;
        ay_rego_bu_buf(x->bc, &b);
        for (size_t i = 0; i < argc; i++) {
            bool s1 = argv[i].k == TV_STR || argv[i].k == TV_JNUM;
            bool s0 = i > 0 && (argv[i - 1].k == TV_STR || argv[i - 1].k == TV_JNUM);
            if (i > 0 && (fa->fn == TF_PRINTLN || (!s0 && !s1))) {
                ay_buf_putc(&b, ' ');
            }
            struct tv e = argv[i].k == TV_INVALID ? (struct tv){TV_NIL, false, 0, 0, ay_val_undef()}
                                                  : argv[i];
            TRY(go_print(x->bc, &b, &e, 0));
        }
        if (fa->fn == TF_PRINTLN) {
            ay_buf_putc(&b, '\n');
        }
        r.k = TV_STR;
        TRY(ay_rego_bu_buf_str(x->bc, &b, &r.v));
        break;
    }
    }
    *out = r;
    return AY_OK;
}

static ay_err eval_cmd(struct texec *x, const struct tcmd *c, struct tv dot, const struct tv *final,
                       struct tv *out)
{
    TRY(step(x, c->pos));
    const struct targ *fa = c->args;
    if (fa->kind != TA_FUNC) {
        if (final != NULL) {
            return xfail(x, fa->pos, fa->len, "can't give argument to non-function %.*s",
                         (int)fa->len, x->p->src + fa->pos);
        }
        return eval_arg(x, fa, dot, out);
    }
    size_t argc = final != NULL ? 1 : 0;
    for (const struct targ *a = fa->next; a != NULL; a = a->next) {
        argc++;
    }
    if (fa->fn == TF_AND || fa->fn == TF_OR) {
        /* Go 1.18: and / or stop at the first false / true argument and return it */
        if (argc == 0) {
            return xfail(x, fa->pos, fa->len,
                         "wrong number of args for %.*s: want at least 1 got 0", (int)fa->name_n,
                         fa->name);
        }
        struct tv v = {TV_NIL, false, 0, 0, ay_val_undef()};
        for (const struct targ *a = fa->next; a != NULL; a = a->next) {
            TRY(eval_arg(x, a, dot, &v));
            if (truth(&v) == (fa->fn == TF_OR)) {
                *out = v;
                return AY_OK;
            }
        }
        if (final != NULL) {
            v = *final;
        }
        *out = v;
        return AY_OK;
    }
    /* the usual few arguments live on the stack: a range over a call costs no arena memory */
    struct tv small[8];
    struct tv *argv = small;
    if (argc > sizeof small / sizeof small[0]) {
        TRY(ay_arena_array(x->bc->arena, argc, sizeof *argv, (void **)&argv));
    }
    size_t i = 0;
    for (const struct targ *a = fa->next; a != NULL; a = a->next) {
        TRY(eval_arg(x, a, dot, &argv[i++]));
    }
    if (final != NULL) {
        argv[i] = *final;
    }
    return call(x, fa, argv, argc, out);
}

static ay_err set_or_push(struct texec *x, const struct tpipe *pp, int i, struct tv v)
{
    if (pp->assign) {
        struct tvar *var = find_var(x, pp->decl[i].s, pp->decl[i].n);
        if (var != NULL) {
            var->val = v;
        }
        return AY_OK;
    }
    return push_var(x, pp->decl[i].s, pp->decl[i].n, v);
}

static ay_err eval_pipe(struct texec *x, const struct tpipe *pp, struct tv dot, struct tv *out)
{
    struct tv v = {TV_INVALID, false, 0, 0, ay_val_undef()};
    bool have = false;
    for (const struct tcmd *c = pp->cmds; c != NULL; c = c->next) {
        TRY(eval_cmd(x, c, dot, have ? &v : NULL, &v));
        have = true;
    }
    /* Go unwraps interface{} results: a nil one becomes the invalid value */
    if (v.k == TV_NIL) {
        v.k = TV_INVALID;
    }
    if (pp->ndecl == 1) {
        TRY(set_or_push(x, pp, 0, v));
    }
    *out = v;
    return AY_OK;
}

static ay_err exec_list(struct texec *x, const struct tnode *nd, struct tv dot);

static ay_err exec_range(struct texec *x, const struct tnode *nd, struct tv dot)
{
    /* the range pipeline's declarations take the key / element, not the whole value */
    struct tpipe pp = *nd->pipe;
    int ndecl = pp.ndecl;
    pp.ndecl = 0;
    struct tv v;
    TRY(eval_pipe(x, &pp, dot, &v));
    uint32_t n = 0;
    switch (v.k) {
    case TV_INVALID:
        break; /* Go: ranging over a missing value runs the else branch */
    case TV_ARR:
    case TV_MAP:
        n = v.v.len;
        break;
    default: {
        /* Go words this with the value itself (fmt %v) */
        struct ay_buf vb;
        ay_rego_bu_buf(x->bc, &vb);
        TRY(go_print(x->bc, &vb, &v, 0));
        TRY(ay_buf_finish(&vb));
        return xfail(x, nd->pipe->cmds->pos, nd->pipe->cmds->len, "range can't iterate over %.*s",
                     (int)(vb.len > 64 ? 64 : vb.len), vb.ptr);
    }
    }
    if (n == 0) {
        return nd->els != NULL ? exec_list(x, nd->els, dot) : AY_OK;
    }
    size_t mark = x->nvars;
    for (uint32_t i = 0; i < n; i++) {
        TRY(step(x, nd->pos));
        struct tv key;
        struct tv elem;
        if (v.k == TV_ARR) {
            key = (struct tv){TV_INT, false, (int64_t)i, 0, ay_val_undef()};
            elem = tv_of(v.v.u.items[i]);
        } else {
            /* objects iterate in key order, as Go's sorted map range */
            key = tv_of(v.v.u.pairs[i].k);
            elem = tv_of(v.v.u.pairs[i].v);
        }
        if (ndecl == 1) {
            TRY(set_or_push(x, nd->pipe, 0, elem));
        } else if (ndecl == 2) {
            TRY(set_or_push(x, nd->pipe, 0, key));
            TRY(set_or_push(x, nd->pipe, 1, elem));
        }
        TRY(exec_list(x, nd->body, elem));
        x->nvars = mark;
        enum tjump j = x->jump;
        x->jump = TJ_NONE;
        if (j == TJ_BREAK) {
            break;
        }
    }
    return AY_OK;
}

static ay_err exec_list(struct texec *x, const struct tnode *nd, struct tv dot)
{
    size_t mark = x->nvars;
    for (; nd != NULL; nd = nd->next) {
        TRY(step(x, nd->pos));
        switch (nd->kind) {
        case TN_TEXT:
            ay_buf_put(x->out, nd->text, nd->text_n);
            break;
        case TN_ACTION: {
            struct tv v;
            TRY(eval_pipe(x, nd->pipe, dot, &v));
            if (nd->pipe->ndecl == 0) {
                TRY(go_print(x->bc, x->out, &v, 0));
            }
            break;
        }
        case TN_IF:
        case TN_WITH: {
            size_t m = x->nvars;
            struct tv v;
            TRY(eval_pipe(x, nd->pipe, dot, &v));
            if (truth(&v)) {
                TRY(exec_list(x, nd->body, nd->kind == TN_WITH ? v : dot));
            } else if (nd->els != NULL) {
                TRY(exec_list(x, nd->els, dot));
            }
            x->nvars = m;
            break;
        }
        case TN_RANGE: {
            size_t m = x->nvars;
            TRY(exec_range(x, nd, dot));
            x->nvars = m;
            break;
        }
        case TN_BREAK:
            x->jump = TJ_BREAK;
            break;
        case TN_CONTINUE:
            x->jump = TJ_CONTINUE;
            break;
        }
        if (ay_buf_finish(x->out) != AY_OK) {
            return ay_rego_bi_fail(x->bc, "template output larger than %zu bytes",
                                   AY_REGO_BI_OUT_MAX);
        }
        if (x->jump != TJ_NONE) {
            break; /* unwinds to the enclosing range through if / with bodies */
        }
    }
    x->nvars = mark;
    return AY_OK;
}

static ay_err bi_render_template(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                 struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    TRY(ay_rego_bu_kind(bc, args, 1, AY_V_OBJ));
    if (n > AY_LIMIT_REGO_SOURCE) {
        return ay_rego_bi_fail(bc, "template larger than %zu bytes", AY_LIMIT_REGO_SOURCE);
    }
    struct tparse p;
    memset(&p, 0, sizeof p);
    p.bc = bc;
    p.src = s;
    p.src_n = n;
    ay_cur_init(&p.cur, ay_span_of(s, n));
    TRY(declare(&p, "$", 1));
    struct tnode *root;
    enum tstop stop;
    size_t stop_pos;
    TRY(parse_list(&p, &root, &stop, &stop_pos));
    if (stop != STOP_EOF) {
        return pfail(&p, stop_pos, "unexpected {{%s}}", stop == STOP_END ? "end" : "else");
    }

    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    struct texec x = {TJ_NONE, bc, &p, &b, NULL, 0, 0, 0};
    struct tv top = tv_of(args[1]);
    TRY(push_var(&x, "$", 1, top));
    TRY(exec_list(&x, root, top));
    return ay_rego_bu_buf_str(bc, &b, out);
}

const struct ay_rego_bi ay_rego_bi_template[] = {
    {"strings.render_template", 2, bi_render_template, 0},
    {NULL, 0, NULL, 0},
};
