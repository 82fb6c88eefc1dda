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
    /* The source ends in a newline. Every scan of the lexer's hot loops (names, blanks, the
     * plain part of a "string") stops at a newline, so such a scan starting before the last
     * byte cannot run past it and needs no bound check of its own. */
    bool nl_end;
};

AY_NOINLINE static ay_err lfail(const struct lx *l, const char *what)
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

/* What a byte starts, for the dispatch of lex_run: one table lookup instead of a chain of
 * tests. Blank is ' ', '\t' and '\r' (OPA's scanner: isWhitespace); C_BAD is no token. */
enum {
    C_BAD = 0,
    C_NAME,
    C_DIGIT,
    C_DQUOTE,
    C_BQUOTE,
    C_DOLLAR,
    C_LBRACE,
    C_RBRACE,
    C_OP,
    C_BLANK, /* from here on: what lex_run skips between tokens */
    C_NL,
    C_HASH,
};

/* clang-format off */
#define NAME_BYTES(X)                                                                              \
    X('a') X('b') X('c') X('d') X('e') X('f') X('g') X('h') X('i') X('j') X('k') X('l') X('m')    \
    X('n') X('o') X('p') X('q') X('r') X('s') X('t') X('u') X('v') X('w') X('x') X('y') X('z')    \
    X('A') X('B') X('C') X('D') X('E') X('F') X('G') X('H') X('I') X('J') X('K') X('L') X('M')    \
    X('N') X('O') X('P') X('Q') X('R') X('S') X('T') X('U') X('V') X('W') X('X') X('Y') X('Z')    \
    X('_')
#define DIGIT_BYTES(X) X('0') X('1') X('2') X('3') X('4') X('5') X('6') X('7') X('8') X('9')
#define AS_NAME(c) [c] = C_NAME,
#define AS_DIGIT(c) [c] = C_DIGIT,
#define AS_TRUE(c) [c] = true,

static const uint8_t byte_class[256] = {
    [' '] = C_BLANK, ['\t'] = C_BLANK, ['\r'] = C_BLANK, ['\n'] = C_NL, ['#'] = C_HASH,
    NAME_BYTES(AS_NAME) DIGIT_BYTES(AS_DIGIT) ['"'] = C_DQUOTE, ['`'] = C_BQUOTE,
    ['$'] = C_DOLLAR, ['{'] = C_LBRACE, ['}'] = C_RBRACE, ['['] = C_OP, [']'] = C_OP,
    ['('] = C_OP, [')'] = C_OP, ['.'] = C_OP, [','] = C_OP, [';'] = C_OP, [':'] = C_OP,
    ['='] = C_OP, ['!'] = C_OP, ['<'] = C_OP, ['>'] = C_OP, ['+'] = C_OP, ['-'] = C_OP,
    ['*'] = C_OP, ['/'] = C_OP, ['%'] = C_OP, ['&'] = C_OP, ['|'] = C_OP,
};

/* Bytes that continue a name ([A-Za-z0-9_]): the lexer's innermost loop. */
static const bool name_byte[256] = {NAME_BYTES(AS_TRUE) DIGIT_BYTES(AS_TRUE)};

/* The operator a C_OP byte is on its own (AY_TK_EOF: none, '!') and followed by '='
 * (AY_TK_EOF: not an operator then, as for "+=", lexed '+' '='). */
static const uint8_t op_one[256] = {
    ['['] = AY_TK_LBRACK, [']'] = AY_TK_RBRACK,  ['('] = AY_TK_LPAREN, [')'] = AY_TK_RPAREN,
    ['.'] = AY_TK_DOT,    [','] = AY_TK_COMMA,   [';'] = AY_TK_SEMI,   [':'] = AY_TK_COLON,
    ['='] = AY_TK_UNIFY,  ['<'] = AY_TK_LT,      ['>'] = AY_TK_GT,     ['+'] = AY_TK_PLUS,
    ['-'] = AY_TK_MINUS,  ['*'] = AY_TK_STAR,    ['/'] = AY_TK_SLASH,  ['%'] = AY_TK_PERCENT,
    ['&'] = AY_TK_AMP,    ['|'] = AY_TK_BAR,
};
static const uint8_t op_eq[256] = {
    [':'] = AY_TK_ASSIGN, ['='] = AY_TK_EQ, ['!'] = AY_TK_NEQ, ['<'] = AY_TK_LTE, ['>'] = AY_TK_GTE,
};

/* Bytes that end the plain part of a "string": '"', '\\' and the control characters, which a
 * string may not hold (RFC 8259 section 7). */
#define AS_STOP4(c) [c] = true, [(c) + 1] = true, [(c) + 2] = true, [(c) + 3] = true,
static const bool str_stop[256] = {
    AS_STOP4(0) AS_STOP4(4) AS_STOP4(8) AS_STOP4(12) AS_STOP4(16) AS_STOP4(20) AS_STOP4(24)
    AS_STOP4(28) ['"'] = true, ['\\'] = true,
};
/* clang-format on */

/* The 4 hex digits at l->pos + off, if they are. */
static bool hex4_at(const struct lx *l, size_t off, uint32_t *out)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        int h = ay_hex_digit(peekc(l, off + i));
        if (h < 0) {
            return false;
        }
        v = v * 16 + (uint32_t)h;
    }
    *out = v;
    return true;
}

static ay_err read_u4(struct lx *l, uint32_t *out)
{
    if (!hex4_at(l, 0, out)) {
        return lfail(l, "invalid \\u escape in string");
    }
    l->pos += 4;
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
        uint32_t cp = 0;
        uint32_t lo = 0;
        TRY(read_u4(l, &cp));
        /* OPA decodes a "string" with Go's encoding/json: a high surrogate joins a following
         * \\u low surrogate; any other surrogate is U+FFFD, and an escape after a lone high
         * surrogate is read again on its own ("\\uD800\\uD800\\uDC00": U+FFFD U+10000). */
        if (cp >= 0xD800 && cp < 0xDC00 && peekc(l, 0) == '\\' && peekc(l, 1) == 'u' &&
            hex4_at(l, 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
            l->pos += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
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
AY_NOINLINE static ay_err lex_string(struct lx *l, struct ay_rego_tok *t)
{
    const unsigned char *s = (const unsigned char *)l->s;
    size_t start = l->pos;
    size_t end = start + 1;
    if (l->nl_end) {
        while (!str_stop[s[end]]) {
            end++;
        }
    } else {
        while (end < l->n && !str_stop[s[end]]) {
            end++;
        }
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
AY_NOINLINE static ay_err lex_tpl_text(struct lx *l, bool raw, struct ay_rego_tok *t)
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

AY_NOINLINE static ay_err lex_raw(struct lx *l, struct ay_rego_tok *t)
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

AY_NOINLINE static ay_err lex_number(struct lx *l, struct ay_rego_tok *t)
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

/* ---- the lexer: tokens on demand ---- */

/* Tokens live in blocks that never move (the parser holds token pointers while it parses a
 * rule) and are recycled once the parser has moved past them, so a module of any size needs
 * the memory of its largest rule only: a 54 KB policy has some 8,000 tokens, and in a
 * short-lived `assay policy eval` every page of a token array is a page fault. */
#define TOK_BLOCK 256

struct ay_rego_lexer {
    struct ay_rego_lexer_win win; /* first (see rego_ast.h) */
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

/* kw when s (n bytes) is the word w of n bytes, else AY_KW_NONE. */
static uint8_t word(const char *s, const char *w, size_t n, uint8_t kw)
{
    return memcmp(s, w, n) == 0 ? kw : AY_KW_NONE;
}

/* The parser's words (AY_KW_NONE for other names): by length, then by first byte, so a name
 * costs a switch and at most one comparison of a few bytes. */
static uint8_t keyword(const char *s, size_t n)
{
    switch (n) {
    case 2:
        return s[0] == 'i' ? (s[1] == 'f'   ? AY_KW_IF
                              : s[1] == 'n' ? AY_KW_IN
                                            : AY_KW_NONE)
                           : word(s, "as", 2, AY_KW_AS);
    case 3:
        return s[0] == 'n' ? word(s, "not", 3, AY_KW_NOT) : word(s, "set", 3, AY_KW_SET);
    case 4:
        switch (s[0]) {
        case 's':
            return word(s, "some", 4, AY_KW_SOME);
        case 'w':
            return word(s, "with", 4, AY_KW_WITH);
        case 'e':
            return word(s, "else", 4, AY_KW_ELSE);
        case 't':
            return word(s, "true", 4, AY_KW_TRUE);
        case 'n':
            return word(s, "null", 4, AY_KW_NULL);
        default:
            return AY_KW_NONE;
        }
    case 5:
        return s[0] == 'e' ? word(s, "every", 5, AY_KW_EVERY) : word(s, "false", 5, AY_KW_FALSE);
    case 6:
        return word(s, "import", 6, AY_KW_IMPORT);
    case 7:
        return s[0] == 'd' ? word(s, "default", 7, AY_KW_DEFAULT)
                           : word(s, "package", 7, AY_KW_PACKAGE);
    case 8:
        return word(s, "contains", 8, AY_KW_CONTAINS);
    default:
        return AY_KW_NONE;
    }
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
AY_NOINLINE static ay_err meta_block(struct ay_rego_lexer *L, size_t end)
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

/* Writes a whole token. Its fields are computed first: a byte store through t may alias the
 * lexer's state (the build has -fno-strict-aliasing), which the compiler would then read
 * again. */
static inline void put_tok(struct ay_rego_tok *t, uint8_t kind, uint8_t kw, bool nl, bool sp,
                           uint32_t line, uint32_t col, size_t len, const char *text)
{
    t->kind = kind;
    t->kw = kw;
    t->nl_before = nl;
    t->sp_before = sp;
    t->line = line;
    t->col = col;
    t->len = (uint32_t)len;
    t->text = text;
    t->val = (struct ay_val){0};
}

/* The next token inside a template string: its text, the `{` of an expression or the closing
 * quote. */
AY_NOINLINE static ay_err lex_in_text(struct ay_rego_lexer *L, struct ay_rego_tok *t)
{
    struct lx *l = &L->l;
    int c = peekc(l, 0);
    size_t start = l->pos;
    put_tok(t, AY_TK_EOF, AY_KW_NONE, false, false, l->line, (uint32_t)(start - l->line_start + 1),
            0, l->s + start);
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

/* $" or $`, the start of a template string (l->pos at the '$'), or no token. */
AY_NOINLINE static ay_err lex_tpl_begin(struct ay_rego_lexer *L, struct ay_rego_tok *t)
{
    struct lx *l = &L->l;
    int q = peekc(l, 1);
    if (q != '"' && q != '`') {
        return lfail(l, "illegal token");
    }
    if (L->ntpl == AY_REGO_TPL_NEST) {
        return lfail(l, "template strings nested too deep");
    }
    L->tpl[L->ntpl].raw = q == '`';
    L->tpl[L->ntpl].depth = 0;
    L->ntpl++;
    L->in_text = true;
    l->pos += 2;
    t->kind = AY_TK_TPL_BEGIN;
    return AY_OK;
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
    L->l = (struct lx){a, name, src, n, 0, 1, 0, &L->ldiag, n > 0 && src[n - 1] == '\n'};
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

/* lex_run keeps the position in locals; the rarer tokens' functions work on struct lx. */
#define SPILL() (l->pos = pos, l->line = line, l->line_start = line_start)
#define RELOAD() (pos = l->pos, line = l->line, line_start = l->line_start)

/* Lexes up to max tokens into t, stopping after the EOF token or at an error (which stops the
 * lexer); returns how many it made. This is the hot loop of the front end (issue 3): the
 * position, line and line start stay in locals from token to token (written back around the
 * calls for the rarer tokens, which work on struct lx), a byte-class table picks the branch,
 * and the scans of names and blanks skip their bound check when the source ends in a newline.
 * The column is only needed per token: from the start of the line, not counted per byte. */
static size_t lex_run(struct ay_rego_lexer *L, struct ay_rego_tok *t, size_t max)
{
    struct lx *l = &L->l;
    const unsigned char *s = (const unsigned char *)l->s;
    const size_t n = l->n;
    const bool guarded = l->nl_end;
    size_t pos = l->pos;
    uint32_t line = l->line;
    size_t line_start = l->line_start;
    bool nl = L->nl;
    bool sp = L->sp;
    ay_err e = AY_OK;
    size_t k = 0;
    for (; k < max; k++) {
        struct ay_rego_tok *tk = &t[k];
        if (L->in_text) {
            SPILL();
            e = lex_in_text(L, tk);
            if (e != AY_OK) {
                goto fail;
            }
            RELOAD();
            nl = false;
            sp = false;
            continue;
        }
        uint8_t c = C_BAD;
        while (pos < n) {
            c = byte_class[s[pos]];
            if (c < C_BLANK) {
                break;
            }
            if (c == C_BLANK) {
                pos++;
                if (guarded) {
                    while (byte_class[s[pos]] == C_BLANK) {
                        pos++;
                    }
                } else {
                    while (pos < n && byte_class[s[pos]] == C_BLANK) {
                        pos++;
                    }
                }
                sp = true;
            } else if (c == C_NL) {
                pos++;
                line++;
                line_start = pos;
                nl = true;
                sp = true;
            } else {
                const char *hit = memchr(l->s + pos, '\n', n - pos);
                size_t end = hit != NULL ? (size_t)(hit - l->s) : n;
                sp = true;
                if (meta_marker(l->s + pos + 1, end - pos - 1)) {
                    SPILL();
                    e = meta_block(L, end);
                    if (e != AY_OK) {
                        goto fail;
                    }
                    RELOAD();
                } else {
                    pos = end;
                }
            }
        }
        uint32_t col = (uint32_t)(pos - line_start + 1);
        const char *text = l->s + pos;
        if (pos >= n) {
            put_tok(tk, AY_TK_EOF, AY_KW_NONE, nl, sp, line, col, 0, text);
            nl = false;
            sp = false;
            SPILL();
            if (L->ntpl > 0) {
                e = lfail(l, "non-terminated template string");
                goto fail;
            }
            L->done = true;
            L->eof = *tk;
            k++;
            break;
        }
        switch (c) {
        case C_NAME: {
            size_t i = pos + 1;
            if (guarded) {
                while (name_byte[s[i]]) {
                    i++;
                }
            } else {
                while (i < n && name_byte[s[i]]) {
                    i++;
                }
            }
            put_tok(tk, AY_TK_IDENT, keyword(text, i - pos), nl, sp, line, col, i - pos, text);
            pos = i;
            break;
        }
        case C_OP: {
            uint8_t kind = op_one[s[pos]];
            size_t len = 1;
            if (pos + 1 < n && s[pos + 1] == '=' && op_eq[s[pos]] != AY_TK_EOF) {
                kind = op_eq[s[pos]];
                len = 2;
            }
            if (kind == AY_TK_EOF) {
                SPILL();
                e = lfail(l, "illegal token");
                goto fail;
            }
            put_tok(tk, kind, AY_KW_NONE, nl, sp, line, col, len, text);
            pos += len;
            break;
        }
        case C_LBRACE:
            if (L->ntpl > 0) {
                L->tpl[L->ntpl - 1].depth++;
            }
            put_tok(tk, AY_TK_LBRACE, AY_KW_NONE, nl, sp, line, col, 1, text);
            pos++;
            break;
        case C_RBRACE: {
            uint8_t kind = AY_TK_RBRACE;
            if (L->ntpl > 0 && L->tpl[L->ntpl - 1].depth == 0) {
                kind = AY_TK_TPL_CLOSE;
                L->in_text = true;
            } else if (L->ntpl > 0) {
                L->tpl[L->ntpl - 1].depth--;
            }
            put_tok(tk, kind, AY_KW_NONE, nl, sp, line, col, 1, text);
            pos++;
            break;
        }
        default:
            /* The rarer tokens: their functions fill in kind and value and move l->pos (and
             * the line, in a raw string). */
            put_tok(tk, AY_TK_EOF, AY_KW_NONE, nl, sp, line, col, 0, text);
            SPILL();
            switch (c) {
            case C_DIGIT:
                e = lex_number(l, tk);
                break;
            case C_DQUOTE:
                e = lex_string(l, tk);
                break;
            case C_BQUOTE:
                e = lex_raw(l, tk);
                break;
            case C_DOLLAR:
                e = lex_tpl_begin(L, tk);
                break;
            default:
                e = lfail(l, "illegal token");
                break;
            }
            if (e != AY_OK) {
                goto fail;
            }
            tk->len = (uint32_t)(l->pos - pos);
            RELOAD();
            break;
        }
        nl = false;
        sp = false;
    }
    SPILL();
    L->nl = nl;
    L->sp = sp;
    return k;
fail:
    /* l holds the position of the error (the helper that failed left it there). */
    stop(L, e);
    return k;
}

#undef SPILL
#undef RELOAD

/* Tokens a lexer may hold at once (one rule's, at most): they count against the same cap as an
 * arena. */
#define HELD_MAX \
    ((AY_LIMIT_REQUEST_ARENA + sizeof(struct ay_rego_tok) - 1) / sizeof(struct ay_rego_tok))

/* Lexes through token i, and on to the end of its block: the parser asks for the tokens one by
 * one, and a run of them costs less than a call each. Lexing ahead changes nothing the parser
 * sees: the tokens are the same, a lexing error is reported after parsing wherever it is, and
 * the METADATA blocks it finds come after the parser's position, below the statement it asks
 * them for. */
static void lex_ahead(struct ay_rego_lexer *L, size_t i)
{
    size_t want = (i / TOK_BLOCK + 1) * TOK_BLOCK;
    size_t cap = L->released * TOK_BLOCK + HELD_MAX;
    while (L->cnt < want && !L->done) {
        if (L->cnt >= cap) {
            /* Only the tokens asked for hit the cap: the parser may release before the rest. */
            if (L->cnt <= i) {
                stop(L, FAIL(&L->ldiag, AY_ERR_LIMIT, "%s:%u: one rule of more than %zu tokens",
                             L->l.name, L->l.line,
                             AY_LIMIT_REQUEST_ARENA / sizeof(struct ay_rego_tok)));
            }
            return;
        }
        size_t room = TOK_BLOCK - L->cnt % TOK_BLOCK;
        room = room < cap - L->cnt ? room : cap - L->cnt;
        struct ay_rego_tok *t = slot(L);
        L->cnt += lex_run(L, t, room);
    }
}

const struct ay_rego_tok *ay_rego_lexer_at_slow(struct ay_rego_lexer *L, size_t i)
{
    if (i >= L->cnt && !L->done) {
        lex_ahead(L, i);
    }
    if (i < L->cnt && i / TOK_BLOCK >= L->released) {
        /* The window: i's block, as far as it is lexed. */
        size_t b = i / TOK_BLOCK;
        L->win.tok = L->blk[b];
        L->win.base = b * TOK_BLOCK;
        L->win.n = L->cnt - L->win.base < TOK_BLOCK ? L->cnt - L->win.base : TOK_BLOCK;
        return &L->blk[b][i % TOK_BLOCK];
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
    if (L->win.base / TOK_BLOCK < L->released) {
        L->win.n = 0; /* its block went: the slow path decides */
    }
}

ay_err ay_rego_lexer_error(struct ay_rego_lexer *L, struct ay_diag *diag)
{
    /* Lex what the parser did not reach (it stopped at an error of its own, or left early):
     * a lexing error anywhere in the module is what gets reported, as when whole modules were
     * lexed before parsing. */
    struct ay_rego_tok t;
    while (!L->done) {
        (void)lex_run(L, &t, 1);
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
