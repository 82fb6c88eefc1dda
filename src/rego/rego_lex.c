/* SPDX-License-Identifier: Apache-2.0 */
/* Rego lexer: identifiers, numbers (JSON syntax), "strings" with JSON escapes, `raw strings`,
 * template strings ($"a {expr} b", $`...`: the text parts become tokens of their own and the
 * expressions are lexed as usual in between), comments (# to end of line) and operators. Records whether a newline precedes each token,
 * because Rego separates body expressions by newlines. Source is untrusted: every byte is
 * checked, positions are reported as line:col (1-based, bytes). */
#include "rego/rego_ast.h"

#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_str.h"

/* Template strings nested inside template expressions ($"{$"{x}"}"). */
#define AY_REGO_TPL_NEST 16

struct lx {
    struct ay_arena *a;
    const char *name;
    const char *s;
    size_t n;
    size_t pos;
    uint32_t line;
    size_t line_start;
    struct ay_diag *diag;
};

static ay_err lfail(const struct lx *l, const char *what)
{
    return FAIL(l->diag, AY_ERR_POLICY_COMPILE, "%s:%u:%zu: %s", l->name, l->line,
                l->pos - l->line_start + 1, what);
}

static int peekc(const struct lx *l, size_t off)
{
    return l->pos + off < l->n ? (unsigned char)l->s[l->pos + off] : -1;
}

static bool is_ident_start(int c)
{
    return ay_is_alpha(c) || c == '_';
}

static int hexv(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static void put_utf8(struct ay_buf *b, uint32_t cp)
{
    if (cp < 0x80) {
        ay_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        ay_buf_putc(b, (char)(0xC0 | (cp >> 6)));
        ay_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        ay_buf_putc(b, (char)(0xE0 | (cp >> 12)));
        ay_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        ay_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        ay_buf_putc(b, (char)(0xF0 | (cp >> 18)));
        ay_buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
        ay_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        ay_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    }
}

static ay_err read_u4(struct lx *l, uint32_t *out)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        int h = hexv(peekc(l, i));
        if (h < 0) {
            return lfail(l, "invalid \\u escape in string");
        }
        v = v * 16 + (uint32_t)h;
    }
    l->pos += 4;
    *out = v;
    return AY_OK;
}

/* One escape sequence (l->pos at the backslash) of a "string", decoded into b. */
static ay_err lex_escape(struct lx *l, struct ay_buf *b)
{
    int e = peekc(l, 1);
    l->pos += 2;
    switch (e) {
    case '"':
    case '\\':
    case '/':
        ay_buf_putc(b, (char)e);
        break;
    case 'b':
        ay_buf_putc(b, '\b');
        break;
    case 'f':
        ay_buf_putc(b, '\f');
        break;
    case 'n':
        ay_buf_putc(b, '\n');
        break;
    case 'r':
        ay_buf_putc(b, '\r');
        break;
    case 't':
        ay_buf_putc(b, '\t');
        break;
    case 'u': {
        uint32_t cp;
        TRY(read_u4(l, &cp));
        if (cp >= 0xD800 && cp < 0xDC00 && peekc(l, 0) == '\\' && peekc(l, 1) == 'u') {
            l->pos += 2;
            uint32_t lo;
            TRY(read_u4(l, &lo));
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else {
                put_utf8(b, 0xFFFD);
                cp = lo;
            }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        put_utf8(b, cp);
        break;
    }
    default:
        l->pos -= 2;
        return lfail(l, "invalid escape in string");
    }
    return AY_OK;
}

static ay_err lex_string(struct lx *l, struct ay_rego_tok *t)
{
    size_t start = l->pos;
    l->pos++;
    struct ay_buf b;
    ay_buf_init(&b, l->a, AY_LIMIT_REGO_SOURCE);
    for (;;) {
        int c = peekc(l, 0);
        if (c < 0 || c == '\n') {
            l->pos = start;
            return lfail(l, "non-terminated string");
        }
        if (c == '"') {
            l->pos++;
            break;
        }
        if (c < 0x20) {
            return lfail(l, "control character in string");
        }
        if (c != '\\') {
            ay_buf_putc(&b, (char)c);
            l->pos++;
            continue;
        }
        TRY(lex_escape(l, &b));
    }
    TRY(ay_buf_finish(&b));
    if (!ay_utf8_valid(b.ptr ? b.ptr : "", b.len)) {
        return lfail(l, "invalid UTF-8 in string");
    }
    struct ay_val v = {AY_V_STR, 0, 0, (uint32_t)b.len, {.s = b.ptr ? b.ptr : ""}};
    t->kind = AY_TK_STRING;
    t->val = v;
    return AY_OK;
}

/* Text of a template string up to its next `{expression` or its closing quote (l->pos at the
 * first text byte). `\{` is a literal brace in both forms; "..." also takes JSON escapes and
 * stays on one line, `...` takes everything else as it is. */
static ay_err lex_tpl_text(struct lx *l, bool raw, struct ay_rego_tok *t)
{
    struct ay_buf b;
    ay_buf_init(&b, l->a, AY_LIMIT_REGO_SOURCE);
    int q = raw ? '`' : '"';
    for (;;) {
        int c = peekc(l, 0);
        if (c < 0 || (c == '\n' && !raw)) {
            return lfail(l, "non-terminated template string");
        }
        if (c == q || c == '{') {
            break;
        }
        if (c == '\\' && peekc(l, 1) == '{') {
            ay_buf_putc(&b, '{');
            l->pos += 2;
            continue;
        }
        if (c == '\n') {
            l->line++;
            l->line_start = l->pos + 1;
        } else if (c < 0x20 && !raw) {
            return lfail(l, "control character in string");
        }
        if (c == '\\' && !raw) {
            TRY(lex_escape(l, &b));
            continue;
        }
        ay_buf_putc(&b, (char)c);
        l->pos++;
    }
    TRY(ay_buf_finish(&b));
    if (!ay_utf8_valid(b.ptr ? b.ptr : "", b.len)) {
        return lfail(l, "invalid UTF-8 in string");
    }
    struct ay_val v = {AY_V_STR, 0, 0, (uint32_t)b.len, {.s = b.ptr ? b.ptr : ""}};
    t->kind = AY_TK_TPL_TEXT;
    t->val = v;
    return AY_OK;
}

static ay_err lex_raw(struct lx *l, struct ay_rego_tok *t)
{
    l->pos++;
    size_t start = l->pos;
    while (peekc(l, 0) >= 0 && peekc(l, 0) != '`') {
        if (peekc(l, 0) == '\n') {
            l->line++;
            l->line_start = l->pos + 1;
        }
        l->pos++;
    }
    if (peekc(l, 0) < 0) {
        return lfail(l, "non-terminated raw string");
    }
    size_t len = l->pos - start;
    l->pos++;
    if (!ay_utf8_valid(l->s + start, len)) {
        return lfail(l, "invalid UTF-8 in raw string");
    }
    t->kind = AY_TK_STRING;
    return ay_val_str(l->a, l->s + start, len, &t->val);
}

static ay_err lex_number(struct lx *l, struct ay_rego_tok *t)
{
    size_t start = l->pos;
    while (ay_is_digit(peekc(l, 0))) {
        l->pos++;
    }
    if (peekc(l, 0) == '.' && ay_is_digit(peekc(l, 1))) {
        l->pos++;
        while (ay_is_digit(peekc(l, 0))) {
            l->pos++;
        }
    }
    if (peekc(l, 0) == 'e' || peekc(l, 0) == 'E') {
        size_t save = l->pos;
        l->pos++;
        if (peekc(l, 0) == '+' || peekc(l, 0) == '-') {
            l->pos++;
        }
        if (!ay_is_digit(peekc(l, 0))) {
            l->pos = save;
        }
        while (ay_is_digit(peekc(l, 0))) {
            l->pos++;
        }
    }
    if (is_ident_start(peekc(l, 0))) {
        return lfail(l, "invalid number");
    }
    t->kind = AY_TK_NUMBER;
    /* Leading zeros ("01") are not JSON numbers; OPA rejects them too. */
    if (l->pos - start > 1 && l->s[start] == '0' && ay_is_digit((unsigned char)l->s[start + 1])) {
        return lfail(l, "invalid number: leading zero");
    }
    ay_err e = ay_val_num_text(l->a, l->s + start, l->pos - start, &t->val);
    if (e != AY_OK) {
        return lfail(l, "number out of range");
    }
    return AY_OK;
}

static const struct {
    const char *text;
    uint8_t kind;
} ops[] = {
    {":=", AY_TK_ASSIGN}, {"==", AY_TK_EQ},      {"!=", AY_TK_NEQ},   {"<=", AY_TK_LTE},
    {">=", AY_TK_GTE},    {"{", AY_TK_LBRACE},   {"}", AY_TK_RBRACE}, {"[", AY_TK_LBRACK},
    {"]", AY_TK_RBRACK},  {"(", AY_TK_LPAREN},   {")", AY_TK_RPAREN}, {".", AY_TK_DOT},
    {",", AY_TK_COMMA},   {";", AY_TK_SEMI},     {":", AY_TK_COLON},  {"=", AY_TK_UNIFY},
    {"<", AY_TK_LT},      {">", AY_TK_GT},       {"+", AY_TK_PLUS},   {"-", AY_TK_MINUS},
    {"*", AY_TK_STAR},    {"/", AY_TK_SLASH},    {"%", AY_TK_PERCENT}, {"&", AY_TK_AMP},
    {"|", AY_TK_BAR},
};

ay_err ay_rego_lex(struct ay_arena *a, struct ay_arena *toks_arena, const char *name,
                   const char *src, size_t n, struct ay_diag *diag, struct ay_rego_tok **out,
                   size_t *out_n)
{
    struct lx l = {a, name, src, n, 0, 1, 0, diag};
    if (n > AY_LIMIT_REGO_SOURCE) {
        return FAIL(diag, AY_ERR_LIMIT, "%s: policy source of %zu bytes exceeds the limit of %zu",
                    name, n, AY_LIMIT_REGO_SOURCE);
    }
    if (!ay_utf8_valid(src, n)) {
        return FAIL(diag, AY_ERR_POLICY_COMPILE, "%s: policy source is not valid UTF-8", name);
    }
    /* Policies average well over 4 source bytes per token: one allocation, usually. */
    size_t cap = n / 4 + 64;
    size_t cnt = 0;
    struct ay_rego_tok *toks;
    TRY(ay_arena_array(toks_arena, cap, sizeof *toks, (void **)&toks));
    bool nl = true;
    bool sp = true;
    /* Open template strings, innermost last: raw or not, and the depth of `{` inside the
     * current expression (its `}` at depth 0 returns to the text). */
    struct {
        bool raw;
        uint32_t depth;
    } tpl[AY_REGO_TPL_NEST];
    size_t ntpl = 0;
    bool in_text = false;
    for (;;) {
        int c = peekc(&l, 0);
        if (in_text) {
            if (cnt + 1 >= cap) {
                void *p;
                TRY(ay_arena_grow(toks_arena, toks, cap * sizeof *toks, cap * 2 * sizeof *toks,
                                  &p));
                toks = p;
                cap *= 2;
            }
            struct ay_rego_tok *t = &toks[cnt];
            memset(t, 0, sizeof *t);
            t->line = l.line;
            t->col = (uint32_t)(l.pos - l.line_start + 1);
            t->text = src + l.pos;
            size_t start = l.pos;
            if (c == '{') {
                t->kind = AY_TK_TPL_OPEN;
                l.pos++;
                tpl[ntpl - 1].depth = 0;
                in_text = false;
            } else if (c == (tpl[ntpl - 1].raw ? '`' : '"')) {
                t->kind = AY_TK_TPL_END;
                l.pos++;
                ntpl--;
                in_text = false;
            } else {
                TRY(lex_tpl_text(&l, tpl[ntpl - 1].raw, t));
            }
            t->len = l.pos - start;
            cnt++;
            nl = false;
            sp = false;
            continue;
        }
        if (c == '\n') {
            l.pos++;
            l.line++;
            l.line_start = l.pos;
            nl = true;
            sp = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            l.pos++;
            sp = true;
            continue;
        }
        if (c == '#') {
            while (peekc(&l, 0) >= 0 && peekc(&l, 0) != '\n') {
                l.pos++;
            }
            sp = true;
            continue;
        }
        if (cnt + 1 >= cap) {
            void *p;
            TRY(ay_arena_grow(toks_arena, toks, cap * sizeof *toks, cap * 2 * sizeof *toks,
                                  &p));
            toks = p;
            cap *= 2;
        }
        struct ay_rego_tok *t = &toks[cnt];
        memset(t, 0, sizeof *t);
        t->nl_before = nl;
        t->sp_before = sp;
        t->line = l.line;
        t->col = (uint32_t)(l.pos - l.line_start + 1);
        t->text = src + l.pos;
        nl = false;
        sp = false;
        size_t start = l.pos;
        if (c < 0 && ntpl > 0) {
            return lfail(&l, "non-terminated template string");
        }
        if (c < 0) {
            t->kind = AY_TK_EOF;
            cnt++;
            break;
        }
        if (is_ident_start(c)) {
            while (is_ident_start(peekc(&l, 0)) || ay_is_digit(peekc(&l, 0))) {
                l.pos++;
            }
            t->kind = AY_TK_IDENT;
        } else if (ay_is_digit(c)) {
            TRY(lex_number(&l, t));
        } else if (c == '$' && (peekc(&l, 1) == '"' || peekc(&l, 1) == '`')) {
            if (ntpl == AY_REGO_TPL_NEST) {
                return lfail(&l, "template strings nested too deep");
            }
            tpl[ntpl].raw = peekc(&l, 1) == '`';
            tpl[ntpl].depth = 0;
            ntpl++;
            in_text = true;
            l.pos += 2;
            t->kind = AY_TK_TPL_BEGIN;
        } else if (ntpl > 0 && c == '}' && tpl[ntpl - 1].depth == 0) {
            t->kind = AY_TK_TPL_CLOSE;
            l.pos++;
            in_text = true;
        } else if (c == '"') {
            TRY(lex_string(&l, t));
        } else if (c == '`') {
            TRY(lex_raw(&l, t));
        } else {
            bool found = false;
            for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
                size_t ol = strlen(ops[i].text);
                if (l.n - l.pos >= ol && memcmp(l.s + l.pos, ops[i].text, ol) == 0) {
                    t->kind = ops[i].kind;
                    l.pos += ol;
                    found = true;
                    break;
                }
            }
            if (!found) {
                return lfail(&l, "illegal token");
            }
            if (ntpl > 0 && t->kind == AY_TK_LBRACE) {
                tpl[ntpl - 1].depth++;
            } else if (ntpl > 0 && t->kind == AY_TK_RBRACE) {
                tpl[ntpl - 1].depth--;
            }
        }
        t->len = l.pos - start;
        cnt++;
    }
    *out = toks;
    *out_n = cnt;
    return AY_OK;
}
