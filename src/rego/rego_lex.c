/* SPDX-License-Identifier: Apache-2.0 */
/* Rego lexer: identifiers, numbers (JSON syntax), "strings" with JSON escapes, `raw strings`,
 * template strings ($"a {expr} b", $`...`: the text parts become tokens of their own and the
 * expressions are lexed as usual in between), comments (# to end of line) and operators.
 * Records whether a newline precedes each token, because Rego separates body expressions by
 * newlines. Tokens are made on demand as the parser asks and recycled rule by rule (issue 3:
 * a whole-module token array was most of the memory, so of the page faults, of a CLI run).
 * Source is untrusted: every byte is checked, positions are reported as line:col (1-based,
 * bytes). */
#include "codec/codec_hex.h"
#include "rego/rego_ast.h"

#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
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

/* Bytes that continue a name ([A-Za-z0-9_]), as a table: the lexer's innermost loop. */
static const bool ident_byte[256] = {
    ['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true, ['5'] = true,
    ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true, ['_'] = true, ['a'] = true,
    ['b'] = true, ['c'] = true, ['d'] = true, ['e'] = true, ['f'] = true, ['g'] = true,
    ['h'] = true, ['i'] = true, ['j'] = true, ['k'] = true, ['l'] = true, ['m'] = true,
    ['n'] = true, ['o'] = true, ['p'] = true, ['q'] = true, ['r'] = true, ['s'] = true,
    ['t'] = true, ['u'] = true, ['v'] = true, ['w'] = true, ['x'] = true, ['y'] = true,
    ['z'] = true, ['A'] = true, ['B'] = true, ['C'] = true, ['D'] = true, ['E'] = true,
    ['F'] = true, ['G'] = true, ['H'] = true, ['I'] = true, ['J'] = true, ['K'] = true,
    ['L'] = true, ['M'] = true, ['N'] = true, ['O'] = true, ['P'] = true, ['Q'] = true,
    ['R'] = true, ['S'] = true, ['T'] = true, ['U'] = true, ['V'] = true, ['W'] = true,
    ['X'] = true, ['Y'] = true, ['Z'] = true,
};

static ay_err read_u4(struct lx *l, uint32_t *out)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        int h = ay_hex_digit(peekc(l, i));
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
                ay_buf_put_utf8(b, 0xFFFD);
                cp = lo;
            }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        ay_buf_put_utf8(b, cp);
        break;
    }
    default:
        l->pos -= 2;
        return lfail(l, "invalid escape in string");
    }
    return AY_OK;
}

/* A "string" token. Most literals have no escapes: they are copied once at their exact size
 * (a growing buffer would leave its smaller copies behind in the policy arena). */
static ay_err lex_string(struct lx *l, struct ay_rego_tok *t)
{
    size_t start = l->pos;
    size_t end = start + 1;
    while (end < l->n && l->s[end] != '"' && l->s[end] != '\\' &&
           (unsigned char)l->s[end] >= 0x20) {
        end++;
    }
    if (end < l->n && l->s[end] == '"') {
        /* The whole source is valid UTF-8 (checked first) and the span holds no '"', no '\\'
         * and no control byte, so it is a complete, valid string on its own. */
        l->pos = end + 1;
        t->kind = AY_TK_STRING;
        return ay_val_str(l->a, l->s + start + 1, end - start - 1, &t->val);
    }
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

/* `two` when c2 is '=' (a two-byte operator such as :=), else `one`. */
static uint8_t eq_next(int c2, uint8_t two, uint8_t one, size_t *len)
{
    if (c2 == '=') {
        *len = 2;
        return two;
    }
    return one;
}

/* The operator or punctuation starting with c (c2 the next byte, -1 past the end), and its
 * length; AY_TK_EOF when none starts with c. */
static uint8_t op_kind(int c, int c2, size_t *len)
{
    *len = 1;
    switch (c) {
    case ':':
        return eq_next(c2, AY_TK_ASSIGN, AY_TK_COLON, len);
    case '=':
        return eq_next(c2, AY_TK_EQ, AY_TK_UNIFY, len);
    case '!':
        return eq_next(c2, AY_TK_NEQ, AY_TK_EOF, len);
    case '<':
        return eq_next(c2, AY_TK_LTE, AY_TK_LT, len);
    case '>':
        return eq_next(c2, AY_TK_GTE, AY_TK_GT, len);
    case '{':
        return AY_TK_LBRACE;
    case '}':
        return AY_TK_RBRACE;
    case '[':
        return AY_TK_LBRACK;
    case ']':
        return AY_TK_RBRACK;
    case '(':
        return AY_TK_LPAREN;
    case ')':
        return AY_TK_RPAREN;
    case '.':
        return AY_TK_DOT;
    case ',':
        return AY_TK_COMMA;
    case ';':
        return AY_TK_SEMI;
    case '+':
        return AY_TK_PLUS;
    case '-':
        return AY_TK_MINUS;
    case '*':
        return AY_TK_STAR;
    case '/':
        return AY_TK_SLASH;
    case '%':
        return AY_TK_PERCENT;
    case '&':
        return AY_TK_AMP;
    case '|':
        return AY_TK_BAR;
    default:
        return AY_TK_EOF;
    }
}

/* ---- the lexer: tokens on demand ---- */

/* Tokens live in blocks that never move (the parser holds token pointers while it parses a
 * rule) and are recycled once the parser has moved past them, so a module of any size needs
 * the memory of its largest rule only: a 54 KB policy has some 8,000 tokens, and in a
 * short-lived `assay policy eval` every page of a token array is a page fault. */
#define TOK_BLOCK 256

struct ay_rego_lexer {
    struct lx l;
    struct ay_diag ldiag; /* lexer errors: reported by ay_rego_lexer_error */
    ay_err err;
    bool done; /* EOF or an error was reached */
    bool nl;   /* a newline since the last token */
    bool sp;   /* whitespace or a comment since the last token */
    /* Open template strings, innermost last: raw or not, and the depth of `{` inside the
     * current expression (its `}` at depth 0 returns to the text). */
    struct {
        bool raw;
        uint32_t depth;
    } tpl[AY_REGO_TPL_NEST];
    size_t ntpl;
    bool in_text;
    struct ay_rego_tok **blk; /* blk[i / TOK_BLOCK]; NULL once released */
    size_t nblk;
    size_t blk_cap;
    size_t released; /* blocks before this index are released */
    struct ay_rego_tok **spare; /* released blocks, reused (their pages are already mapped) */
    size_t nspare;
    size_t cnt; /* tokens lexed */
    struct ay_rego_tok eof;
    struct ay_rego_meta_block *meta; /* METADATA blocks not yet taken, oldest at meta_head */
    size_t nmeta;
    size_t meta_head;
    size_t meta_cap;
};

/* The parser's words (AY_KW_NONE for other names): most names are longer than 8 bytes or
 * differ in their first byte, so they cost a switch. */
static uint8_t keyword(const char *s, size_t n)
{
    static const struct {
        const char *w;
        uint8_t kw;
    } words[] = {
        {"as", AY_KW_AS},           {"if", AY_KW_IF},           {"in", AY_KW_IN},
        {"not", AY_KW_NOT},         {"set", AY_KW_SET},         {"some", AY_KW_SOME},
        {"with", AY_KW_WITH},       {"else", AY_KW_ELSE},       {"true", AY_KW_TRUE},
        {"null", AY_KW_NULL},       {"every", AY_KW_EVERY},     {"false", AY_KW_FALSE},
        {"import", AY_KW_IMPORT},   {"default", AY_KW_DEFAULT}, {"package", AY_KW_PACKAGE},
        {"contains", AY_KW_CONTAINS},
    };
    if (n < 2 || n > 8) {
        return AY_KW_NONE;
    }
    switch (s[0]) {
    case 'a':
    case 'c':
    case 'd':
    case 'e':
    case 'f':
    case 'i':
    case 'n':
    case 'p':
    case 's':
    case 't':
    case 'w':
        break;
    default:
        return AY_KW_NONE;
    }
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (words[i].w[0] == s[0] && strlen(words[i].w) == n && memcmp(words[i].w, s, n) == 0) {
            return words[i].kw;
        }
    }
    return AY_KW_NONE;
}

/* Whether a comment's text (after '#') marks a METADATA block: OPA's test is
 * HasPrefix(TrimSpace(text), "METADATA"). */
static bool meta_marker(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) {
        i++;
    }
    return n - i >= 8 && memcmp(s + i, "METADATA", 8) == 0;
}

/* A METADATA block whose marker comment (l->pos at its '#') ends at `end`: the comments that
 * follow at column 1 of the next lines are its YAML (one leading space and a trailing CR
 * removed from each). Leaves l->pos at the end of the block's last line. */
static ay_err meta_block(struct ay_rego_lexer *L, size_t end)
{
    struct lx *l = &L->l;
    struct ay_rego_meta_block blk = {l->line, (uint32_t)(l->pos - l->line_start + 1), "", 0};
    struct ay_buf b;
    ay_buf_init(&b, l->a, AY_LIMIT_REGO_SOURCE);
    while (end + 1 < l->n && l->s[end + 1] == '#') {
        size_t start = end + 2;
        const char *nl = memchr(l->s + start, '\n', l->n - start);
        size_t stop = nl != NULL ? (size_t)(nl - l->s) : l->n;
        size_t e = stop > start && l->s[stop - 1] == '\r' ? stop - 1 : stop;
        if (start < e && l->s[start] == ' ') {
            start++;
        }
        ay_buf_put(&b, l->s + start, e - start);
        ay_buf_putc(&b, '\n');
        l->line++;
        l->line_start = end + 1;
        end = stop;
    }
    TRY(ay_buf_finish(&b));
    if (b.ptr != NULL) {
        blk.yaml = b.ptr;
        blk.len = b.len;
    }
    l->pos = end;
    if (L->nmeta == L->meta_cap) {
        L->meta_cap = L->meta_cap ? L->meta_cap * 2 : 4;
        L->meta = ay_xrealloc(L->meta, L->meta_cap * sizeof *L->meta);
    }
    L->meta[L->nmeta++] = blk;
    return AY_OK;
}

/* One token into *t (whitespace and comments skipped). */
static ay_err lex_one(struct ay_rego_lexer *L, struct ay_rego_tok *t)
{
    struct lx *l = &L->l;
    for (;;) {
        int c = peekc(l, 0);
        if (L->in_text) {
            memset(t, 0, sizeof *t);
            t->line = l->line;
            t->col = (uint32_t)(l->pos - l->line_start + 1);
            t->text = l->s + l->pos;
            size_t start = l->pos;
            if (c == '{') {
                t->kind = AY_TK_TPL_OPEN;
                l->pos++;
                L->tpl[L->ntpl - 1].depth = 0;
                L->in_text = false;
            } else if (c == (L->tpl[L->ntpl - 1].raw ? '`' : '"')) {
                t->kind = AY_TK_TPL_END;
                l->pos++;
                L->ntpl--;
                L->in_text = false;
            } else {
                TRY(lex_tpl_text(l, L->tpl[L->ntpl - 1].raw, t));
            }
            t->len = (uint32_t)(l->pos - start);
            L->nl = false;
            L->sp = false;
            return AY_OK;
        }
        if (c == '\n') {
            l->pos++;
            l->line++;
            l->line_start = l->pos;
            L->nl = true;
            L->sp = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            size_t i = l->pos + 1;
            while (i < l->n && (l->s[i] == ' ' || l->s[i] == '\t' || l->s[i] == '\r')) {
                i++;
            }
            l->pos = i;
            L->sp = true;
            continue;
        }
        if (c == '#') {
            const char *nl = memchr(l->s + l->pos, '\n', l->n - l->pos);
            size_t end = nl != NULL ? (size_t)(nl - l->s) : l->n;
            L->sp = true;
            if (meta_marker(l->s + l->pos + 1, end - l->pos - 1)) {
                TRY(meta_block(L, end));
                continue;
            }
            l->pos = end;
            continue;
        }
        memset(t, 0, sizeof *t);
        t->nl_before = L->nl;
        t->sp_before = L->sp;
        t->line = l->line;
        t->col = (uint32_t)(l->pos - l->line_start + 1);
        t->text = l->s + l->pos;
        L->nl = false;
        L->sp = false;
        size_t start = l->pos;
        if (c < 0 && L->ntpl > 0) {
            return lfail(l, "non-terminated template string");
        }
        if (c < 0) {
            t->kind = AY_TK_EOF;
            return AY_OK;
        }
        if (is_ident_start(c)) {
            size_t i = l->pos + 1;
            while (i < l->n && ident_byte[(unsigned char)l->s[i]]) {
                i++;
            }
            l->pos = i;
            t->kind = AY_TK_IDENT;
            t->kw = keyword(t->text, l->pos - start);
        } else if (ay_is_digit(c)) {
            TRY(lex_number(l, t));
        } else if (c == '$' && (peekc(l, 1) == '"' || peekc(l, 1) == '`')) {
            if (L->ntpl == AY_REGO_TPL_NEST) {
                return lfail(l, "template strings nested too deep");
            }
            L->tpl[L->ntpl].raw = peekc(l, 1) == '`';
            L->tpl[L->ntpl].depth = 0;
            L->ntpl++;
            L->in_text = true;
            l->pos += 2;
            t->kind = AY_TK_TPL_BEGIN;
        } else if (L->ntpl > 0 && c == '}' && L->tpl[L->ntpl - 1].depth == 0) {
            t->kind = AY_TK_TPL_CLOSE;
            l->pos++;
            L->in_text = true;
        } else if (c == '"') {
            TRY(lex_string(l, t));
        } else if (c == '`') {
            TRY(lex_raw(l, t));
        } else {
            size_t ol;
            t->kind = op_kind(c, peekc(l, 1), &ol);
            if (t->kind == AY_TK_EOF) {
                return lfail(l, "illegal token");
            }
            l->pos += ol;
            if (L->ntpl > 0 && t->kind == AY_TK_LBRACE) {
                L->tpl[L->ntpl - 1].depth++;
            } else if (L->ntpl > 0 && t->kind == AY_TK_RBRACE) {
                L->tpl[L->ntpl - 1].depth--;
            }
        }
        t->len = (uint32_t)(l->pos - start);
        return AY_OK;
    }
}

/* The slot of token L->cnt, taking a block (a spare one first) when it starts one. */
static struct ay_rego_tok *slot(struct ay_rego_lexer *L)
{
    size_t b = L->cnt / TOK_BLOCK;
    if (b == L->nblk) {
        if (L->nblk == L->blk_cap) {
            L->blk_cap = L->blk_cap ? L->blk_cap * 2 : 16;
            L->blk = ay_xrealloc(L->blk, L->blk_cap * sizeof *L->blk);
        }
        L->blk[L->nblk++] =
            L->nspare > 0 ? L->spare[--L->nspare] : ay_xmalloc(TOK_BLOCK * sizeof **L->blk);
    }
    return &L->blk[b][L->cnt % TOK_BLOCK];
}

/* The end state after an error: an EOF token where lexing stopped. */
static void stop(struct ay_rego_lexer *L, ay_err e)
{
    L->err = e;
    L->done = true;
    memset(&L->eof, 0, sizeof L->eof);
    L->eof.kind = AY_TK_EOF;
    L->eof.line = L->l.line;
    L->eof.col = (uint32_t)(L->l.pos - L->l.line_start + 1);
    L->eof.text = L->l.s + L->l.pos;
}

ay_err ay_rego_lexer_new(struct ay_arena *a, const char *name, const char *src, size_t n,
                         struct ay_diag *diag, struct ay_rego_lexer **out)
{
    if (n > AY_LIMIT_REGO_SOURCE) {
        return FAIL(diag, AY_ERR_LIMIT, "%s: policy source of %zu bytes exceeds the limit of %zu",
                    name, n, AY_LIMIT_REGO_SOURCE);
    }
    if (!ay_utf8_valid(src, n)) {
        return FAIL(diag, AY_ERR_POLICY_COMPILE, "%s: policy source is not valid UTF-8", name);
    }
    struct ay_rego_lexer *L = ay_xcalloc(1, sizeof *L);
    ay_diag_clear(&L->ldiag);
    L->l = (struct lx){a, name, src, n, 0, 1, 0, &L->ldiag};
    L->nl = true;
    L->sp = true;
    *out = L;
    return AY_OK;
}

void ay_rego_lexer_free(struct ay_rego_lexer *L)
{
    if (L == NULL) {
        return;
    }
    for (size_t b = L->released; b < L->nblk; b++) {
        ay_free(L->blk[b]);
    }
    for (size_t i = 0; i < L->nspare; i++) {
        ay_free(L->spare[i]);
    }
    ay_free(L->blk);
    ay_free(L->spare);
    ay_free(L->meta);
    ay_free(L);
}

const struct ay_rego_tok *ay_rego_lexer_at(struct ay_rego_lexer *L, size_t i)
{
    while (i >= L->cnt && !L->done) {
        /* The tokens held (one rule's, at most) count against the same cap as an arena. */
        if ((L->cnt - L->released * TOK_BLOCK) * sizeof(struct ay_rego_tok) >=
            AY_LIMIT_REQUEST_ARENA) {
            stop(L, FAIL(&L->ldiag, AY_ERR_LIMIT, "%s:%u: one rule of more than %zu tokens",
                         L->l.name, L->l.line,
                         AY_LIMIT_REQUEST_ARENA / sizeof(struct ay_rego_tok)));
            break;
        }
        struct ay_rego_tok *t = slot(L);
        ay_err e = lex_one(L, t);
        if (e != AY_OK) {
            stop(L, e);
            break;
        }
        L->cnt++;
        if (t->kind == AY_TK_EOF) {
            L->done = true;
            L->eof = *t;
        }
    }
    if (i < L->cnt && i / TOK_BLOCK >= L->released) {
        return &L->blk[i / TOK_BLOCK][i % TOK_BLOCK];
    }
    /* Past the end (or, by misuse, released): the EOF token, as the parser expects. */
    return &L->eof;
}

void ay_rego_lexer_release(struct ay_rego_lexer *L, size_t i)
{
    size_t upto = i / TOK_BLOCK; /* the block holding i stays */
    for (; L->released < upto && L->released < L->nblk; L->released++) {
        if (L->nspare % 16 == 0) {
            L->spare = ay_xrealloc(L->spare, (L->nspare + 16) * sizeof *L->spare);
        }
        L->spare[L->nspare++] = L->blk[L->released];
        L->blk[L->released] = NULL;
    }
}

ay_err ay_rego_lexer_error(struct ay_rego_lexer *L, struct ay_diag *diag)
{
    /* Lex what the parser did not reach (it stopped at an error of its own, or left early):
     * a lexing error anywhere in the module is what gets reported, as when whole modules were
     * lexed before parsing. */
    struct ay_rego_tok t;
    while (!L->done) {
        ay_err e = lex_one(L, &t);
        if (e != AY_OK) {
            stop(L, e);
        } else if (t.kind == AY_TK_EOF) {
            L->done = true;
        }
    }
    if (L->err == AY_OK) {
        return AY_OK;
    }
    *diag = L->ldiag;
    return L->err;
}

bool ay_rego_lexer_meta(struct ay_rego_lexer *L, uint32_t before, struct ay_rego_meta_block *out)
{
    if (L->meta_head == L->nmeta || L->meta[L->meta_head].line >= before) {
        return false;
    }
    *out = L->meta[L->meta_head++];
    return true;
}
