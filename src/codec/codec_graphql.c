/* SPDX-License-Identifier: Apache-2.0 */
/* GraphQL lexer (spec October 2021 section 2.1) and recursive-descent parsers for executable
 * documents (section 2) and type-system documents (section 3), into an arena AST. Messages,
 * positions and the order in which errors win copy the behaviour of the reference parser OPA
 * uses, since graphql.* returns them verbatim: the lexer reports a bad token as <Invalid>
 * and the parser's first error wins; a peeked <Invalid> token shows as "Unexpected <Invalid>"
 * unless the parser consumes it, then the lexer's own message surfaces. */
#include "codec/codec_graphql.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_cursor.h"
#include "base/base_limits.h"

/* ---- lexer (section 2.1) ---- */

enum tk {
    TK_INVALID,
    TK_EOF,
    TK_BANG,
    TK_DOLLAR,
    TK_AMP,
    TK_PAREN_L,
    TK_PAREN_R,
    TK_SPREAD,
    TK_COLON,
    TK_EQUALS,
    TK_AT,
    TK_BRACKET_L,
    TK_BRACKET_R,
    TK_BRACE_L,
    TK_BRACE_R,
    TK_PIPE,
    TK_NAME,
    TK_INT,
    TK_FLOAT,
    TK_STRING,
    TK_BLOCK,
};

static const char *tk_name(enum tk k)
{
    switch (k) {
    case TK_INVALID:
        return "<Invalid>";
    case TK_EOF:
        return "<EOF>";
    case TK_BANG:
        return "!";
    case TK_DOLLAR:
        return "$";
    case TK_AMP:
        return "&";
    case TK_PAREN_L:
        return "(";
    case TK_PAREN_R:
        return ")";
    case TK_SPREAD:
        return "...";
    case TK_COLON:
        return ":";
    case TK_EQUALS:
        return "=";
    case TK_AT:
        return "@";
    case TK_BRACKET_L:
        return "[";
    case TK_BRACKET_R:
        return "]";
    case TK_BRACE_L:
        return "{";
    case TK_BRACE_R:
        return "}";
    case TK_PIPE:
        return "|";
    case TK_NAME:
        return "Name";
    case TK_INT:
        return "Int";
    case TK_FLOAT:
        return "Float";
    case TK_STRING:
        return "String";
    case TK_BLOCK:
        return "BlockString";
    }
    return "<Invalid>";
}

struct tok {
    enum tk kind;
    struct ay_str val; /* names, numbers, decoded strings; empty for punctuators */
    struct ay_gql_pos pos;
};

struct lexer {
    struct ay_cur c;
    struct ay_arena *arena;
    int line;
    long runes;      /* runes consumed so far */
    long line_start; /* rune offset where the current line starts */
    long start_runes;
    size_t start;
    size_t n_tokens;
    char emsg[160]; /* message of the last <Invalid> token */
    ay_err ecode;   /* AY_ERR_MALFORMED, or AY_ERR_LIMIT for the token cap / arena */
};

/* Byte k positions ahead of the cursor, or -1 past the end. */
static int at(const struct lexer *lx, size_t k)
{
    struct ay_span r = ay_cur_rest(&lx->c);
    return k < r.len ? r.ptr[k] : -1;
}

static void adv(struct lexer *lx, size_t nbytes, long nrunes)
{
    if (ay_cur_skip(&lx->c, nbytes) != AY_OK && ay_cur_skip(&lx->c, ay_cur_left(&lx->c))) {
        return; /* cannot happen: callers peeked the bytes they skip */
    }
    lx->runes += nrunes;
}

static void newline(struct lexer *lx)
{
    lx->line++;
    lx->line_start = lx->runes;
}

/* Width of the UTF-8 sequence starting with byte b (1 for a stray byte). */
static size_t utf8_width(const struct lexer *lx)
{
    int b = at(lx, 0);
    size_t w = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    for (size_t k = 1; k < w; k++) {
        int x = at(lx, k);
        if (x < 0 || (x & 0xC0) != 0x80) {
            return 1;
        }
    }
    return w;
}

static struct tok mk(const struct lexer *lx, enum tk kind, struct ay_str val)
{
    struct tok t = {kind, val, {lx->line, (int)(lx->start_runes - lx->line_start + 1)}};
    return t;
}

static struct ay_str src_slice(const struct lexer *lx)
{
    struct ay_str s = {(const char *)lx->c.base + lx->start, ay_cur_pos(&lx->c) - lx->start};
    return s;
}

static struct tok lex_fail(struct lexer *lx, const char *fmt, ...) AY_PRINTF(2, 3);

/* An <Invalid> token positioned where the lexer stopped (as the reference reports it). */
static struct tok lex_fail(struct lexer *lx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(lx->emsg, sizeof lx->emsg, fmt, ap);
    va_end(ap);
    if (lx->ecode == AY_OK) {
        lx->ecode = AY_ERR_MALFORMED;
    }
    struct tok t = {TK_INVALID, {"", 0}, {lx->line, (int)(lx->runes - lx->line_start + 1)}};
    return t;
}

/* Ignored tokens (section 2.1.2-2.1.7): BOM, white space, line terminators, commas, comments. */
static void skip_ignored(struct lexer *lx)
{
    for (;;) {
        int b = at(lx, 0);
        if (b == '\t' || b == ' ' || b == ',') {
            adv(lx, 1, 1);
        } else if (b == '\n') {
            adv(lx, 1, 1);
            newline(lx);
        } else if (b == '\r') {
            adv(lx, 1, 1);
            newline(lx);
            if (at(lx, 0) == '\n') {
                adv(lx, 1, 1);
            }
        } else if (b == 0xEF && at(lx, 1) == 0xBB && at(lx, 2) == 0xBF) {
            adv(lx, 3, 1);
        } else if (b == '#') {
            while (at(lx, 0) >= 0 && at(lx, 0) != '\n' && at(lx, 0) != '\r') {
                adv(lx, utf8_width(lx), 1);
            }
        } else {
            return;
        }
    }
}

static bool is_name_char(int b)
{
    return ay_is_alnum(b) || b == '_';
}

static size_t digits(struct lexer *lx)
{
    size_t k = 0;
    while (ay_is_digit(at(lx, 0))) {
        adv(lx, 1, 1);
        k++;
    }
    return k;
}

static const char *describe_next(const struct lexer *lx, char buf[8])
{
    int b = at(lx, 0);
    if (b < 0) {
        return "<EOF>";
    }
    (void)snprintf(buf, 8, "\"%c\"", (char)b);
    return buf;
}

/* IntValue / FloatValue (section 2.9.1, 2.9.2). */
static struct tok lex_number(struct lexer *lx)
{
    char d[8];
    bool is_float = false;
    if (at(lx, 0) == '-') {
        adv(lx, 1, 1);
    }
    if (at(lx, 0) == '0') {
        adv(lx, 1, 1);
        if (ay_is_digit(at(lx, 0))) {
            return lex_fail(lx, "Invalid number, unexpected digit after 0: %s.",
                            describe_next(lx, d));
        }
    } else if (digits(lx) == 0) {
        return lex_fail(lx, "Invalid number, expected digit but got: %s.", describe_next(lx, d));
    }
    if (at(lx, 0) == '.') {
        is_float = true;
        adv(lx, 1, 1);
        if (digits(lx) == 0) {
            return lex_fail(lx, "Invalid number, expected digit but got: %s.",
                            describe_next(lx, d));
        }
    }
    if (at(lx, 0) == 'e' || at(lx, 0) == 'E') {
        is_float = true;
        adv(lx, 1, 1);
        if (at(lx, 0) == '-' || at(lx, 0) == '+') {
            adv(lx, 1, 1);
        }
        if (digits(lx) == 0) {
            return lex_fail(lx, "Invalid number, expected digit but got: %s.",
                            describe_next(lx, d));
        }
    }
    return mk(lx, is_float ? TK_FLOAT : TK_INT, src_slice(lx));
}

static int hexval(int b)
{
    if (ay_is_digit(b)) {
        return b - '0';
    }
    if (b >= 'a' && b <= 'f') {
        return b - 'a' + 10;
    }
    if (b >= 'A' && b <= 'F') {
        return b - 'A' + 10;
    }
    return -1;
}

/* The buffer's text (NUL-terminated, in the arena) as a slice. */
static ay_err buf_str(const struct ay_buf *b, struct ay_str *out)
{
    TRY(ay_buf_finish(b));
    out->ptr = b->len > 0 ? b->ptr : "";
    out->len = b->len;
    return AY_OK;
}

/* StringValue (section 2.9.4): "..." with escapes, on one line. */
static struct tok lex_string(struct lexer *lx)
{
    struct ay_buf b;
    ay_buf_init(&b, lx->arena, AY_LIMIT_GQL_SOURCE);
    adv(lx, 1, 1);
    lx->start_runes += 1; /* the reference positions a string after its opening quote */
    for (;;) {
        int c = at(lx, 0);
        if (c < 0 || c == '\n' || c == '\r') {
            break;
        }
        if (c < 0x20 && c != '\t') {
            return lex_fail(lx, "Invalid character within String: \"\\u%04d\".", c);
        }
        if (c == '"') {
            struct tok t = mk(lx, TK_STRING, (struct ay_str){"", 0});
            if (buf_str(&b, &t.val) != AY_OK) {
                lx->ecode = AY_ERR_LIMIT;
                return lex_fail(lx, "string too long");
            }
            adv(lx, 1, 1);
            return t;
        }
        if (c != '\\') {
            size_t w = c >= 0x80 ? utf8_width(lx) : 1;
            struct ay_span r = ay_cur_rest(&lx->c);
            if (w == 1 && c >= 0x80) {
                ay_buf_put_utf8(&b, 0xFFFD);
            } else {
                ay_buf_put(&b, r.ptr, w);
            }
            adv(lx, w, 1);
            continue;
        }
        int e = at(lx, 1);
        if (e == 'u') {
            int h[4];
            for (size_t k = 0; k < 4; k++) {
                h[k] = hexval(at(lx, 2 + k));
            }
            if (at(lx, 5) < 0 || at(lx, 6) < 0) {
                adv(lx, 1, 1);
                struct ay_span r = ay_cur_rest(&lx->c);
                return lex_fail(lx, "Invalid character escape sequence: \\%.*s.", (int)r.len,
                                (const char *)r.ptr);
            }
            if (h[0] < 0 || h[1] < 0 || h[2] < 0 || h[3] < 0) {
                adv(lx, 1, 1);
                struct ay_span r = ay_cur_rest(&lx->c);
                return lex_fail(lx, "Invalid character escape sequence: \\%.*s.", 5,
                                (const char *)r.ptr);
            }
            ay_buf_put_utf8(&b, (uint32_t)((h[0] << 12) | (h[1] << 8) | (h[2] << 4) | h[3]));
            adv(lx, 6, 6);
            continue;
        }
        char ch;
        switch (e) {
        case '"':
        case '/':
        case '\\':
            ch = (char)e;
            break;
        case 'b':
            ch = '\b';
            break;
        case 'f':
            ch = '\f';
            break;
        case 'n':
            ch = '\n';
            break;
        case 'r':
            ch = '\r';
            break;
        case 't':
            ch = '\t';
            break;
        default:
            if (e < 0) {
                adv(lx, 1, 1);
                return lex_fail(lx, "Unterminated string.");
            }
            adv(lx, 1, 1);
            return lex_fail(lx, "Invalid character escape sequence: \\%c.", (char)e);
        }
        ay_buf_putc(&b, ch);
        adv(lx, 2, 2);
    }
    return lex_fail(lx, "Unterminated string.");
}

/* Leading blanks of a line, or -1 when the line is all blanks. */
static long leading_ws(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t') {
            return (long)i;
        }
    }
    return -1;
}

ay_err ay_gql_block_string(struct ay_arena *a, const char *raw, size_t n, struct ay_str *out)
{
    /* Section 2.9.4 BlockStringValue: lines split on \n (the lexer already folded \r\n). */
    long common = -1;
    size_t i = 0;
    bool first = true;
    while (i <= n) {
        size_t j = i;
        while (j < n && raw[j] != '\n') {
            j++;
        }
        if (!first) {
            long ind = leading_ws(raw + i, j - i);
            if (ind >= 0 && (common < 0 || ind < common)) {
                common = ind;
            }
        }
        first = false;
        i = j + 1;
    }
    struct ay_buf b;
    ay_buf_init(&b, a, n + 1);
    /* Collect the lines (after removing the common indent), then trim blank lines. */
    size_t n_lines = 1;
    for (size_t k = 0; k < n; k++) {
        n_lines += raw[k] == '\n';
    }
    struct ay_str *lines;
    TRY(ay_arena_array(a, n_lines, sizeof *lines, (void **)&lines));
    i = 0;
    for (size_t li = 0; li < n_lines; li++) {
        size_t j = i;
        while (j < n && raw[j] != '\n') {
            j++;
        }
        struct ay_str l = {raw + i, j - i};
        if (li > 0 && common >= 0) {
            if (l.len < (size_t)common) {
                l.len = 0;
            } else {
                l.ptr += common;
                l.len -= (size_t)common;
            }
        }
        lines[li] = l;
        i = j + 1;
    }
    size_t s = 0, e = n_lines;
    while (s < e && leading_ws(lines[s].ptr, lines[s].len) < 0) {
        s++;
    }
    while (s < e && leading_ws(lines[e - 1].ptr, lines[e - 1].len) < 0) {
        e--;
    }
    for (size_t k = s; k < e; k++) {
        if (k > s) {
            ay_buf_putc(&b, '\n');
        }
        ay_buf_put(&b, lines[k].ptr, lines[k].len);
    }
    TRY(ay_buf_finish(&b));
    out->ptr = b.len > 0 ? b.ptr : "";
    out->len = b.len;
    return AY_OK;
}

/* BlockString (section 2.9.4): """...""" spanning lines; \""" is an escaped triple quote. */
static struct tok lex_block(struct lexer *lx)
{
    struct ay_buf b;
    ay_buf_init(&b, lx->arena, AY_LIMIT_GQL_SOURCE);
    adv(lx, 3, 3);
    lx->start_runes += 3; /* positioned after the opening quotes, as the reference does */
    for (;;) {
        int c = at(lx, 0);
        if (c < 0) {
            break;
        }
        if (c == '"' && at(lx, 1) == '"' && at(lx, 2) == '"') {
            struct tok t = mk(lx, TK_BLOCK, (struct ay_str){"", 0});
            struct ay_str raw;
            if (buf_str(&b, &raw) != AY_OK ||
                ay_gql_block_string(lx->arena, raw.ptr, raw.len, &t.val) != AY_OK) {
                lx->ecode = AY_ERR_LIMIT;
                return lex_fail(lx, "string too long");
            }
            adv(lx, 3, 3);
            return t;
        }
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            return lex_fail(lx, "Invalid character within String: \"\\u%04d\".", c);
        }
        if (c == '\\' && at(lx, 1) == '"' && at(lx, 2) == '"' && at(lx, 3) == '"') {
            ay_buf_puts(&b, "\"\"\"");
            adv(lx, 4, 4);
        } else if (c == '\r') {
            if (at(lx, 1) == '\n') {
                adv(lx, 1, 1);
            }
            ay_buf_putc(&b, '\n');
            adv(lx, 1, 1);
            newline(lx);
        } else {
            size_t w = c >= 0x80 ? utf8_width(lx) : 1;
            struct ay_span r = ay_cur_rest(&lx->c);
            if (w == 1 && c >= 0x80) {
                ay_buf_put_utf8(&b, 0xFFFD);
            } else {
                ay_buf_put(&b, r.ptr, w);
            }
            adv(lx, w, 1);
            if (c == '\n') {
                newline(lx);
            }
        }
    }
    return lex_fail(lx, "Unterminated string.");
}

static struct tok lex_next(struct lexer *lx)
{
    skip_ignored(lx);
    lx->start = ay_cur_pos(&lx->c);
    lx->start_runes = lx->runes;
    if (++lx->n_tokens > AY_LIMIT_GQL_TOKENS) {
        lx->ecode = AY_ERR_LIMIT;
        return lex_fail(lx, "more than %d tokens", AY_LIMIT_GQL_TOKENS);
    }
    int c = at(lx, 0);
    static const struct ay_str none = {"", 0};
    enum tk k;
    switch (c) {
    case -1:
        return mk(lx, TK_EOF, none);
    case '!':
        k = TK_BANG;
        break;
    case '$':
        k = TK_DOLLAR;
        break;
    case '&':
        k = TK_AMP;
        break;
    case '(':
        k = TK_PAREN_L;
        break;
    case ')':
        k = TK_PAREN_R;
        break;
    case ':':
        k = TK_COLON;
        break;
    case '=':
        k = TK_EQUALS;
        break;
    case '@':
        k = TK_AT;
        break;
    case '[':
        k = TK_BRACKET_L;
        break;
    case ']':
        k = TK_BRACKET_R;
        break;
    case '{':
        k = TK_BRACE_L;
        break;
    case '}':
        k = TK_BRACE_R;
        break;
    case '|':
        k = TK_PIPE;
        break;
    case '.':
        if (at(lx, 1) == '.' && at(lx, 2) == '.') {
            adv(lx, 3, 3);
            return mk(lx, TK_SPREAD, none);
        }
        return lex_fail(lx, "Cannot parse the unexpected character \".\".");
    case '"':
        if (at(lx, 1) == '"' && at(lx, 2) == '"') {
            return lex_block(lx);
        }
        return lex_string(lx);
    default:
        if (ay_is_alpha(c) || c == '_') {
            while (is_name_char(at(lx, 0))) {
                adv(lx, 1, 1);
            }
            return mk(lx, TK_NAME, src_slice(lx));
        }
        if (c == '-' || ay_is_digit(c)) {
            return lex_number(lx);
        }
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            return lex_fail(lx, "Cannot contain the invalid character \"\\u%04d\"", c);
        }
        if (c == '\'') {
            return lex_fail(lx, "Unexpected single quote character ('), did you mean to use a "
                                "double quote (\")?");
        }
        /* The reference prints the byte as a code point (Latin-1 for bytes >= 0x80). */
        char u[8];
        struct ay_buf ub;
        ay_buf_init(&ub, NULL, 8);
        ay_buf_put_utf8(&ub, (uint32_t)c);
        (void)snprintf(u, sizeof u, "%s", ub.err == AY_OK && ub.ptr != NULL ? ub.ptr : "?");
        ay_buf_free(&ub);
        return lex_fail(lx, "Cannot parse the unexpected character \"%s\".", u);
    }
    adv(lx, 1, 1);
    return mk(lx, k, none);
}

/* ---- parser ---- */

struct parser {
    struct lexer lx;
    struct tok prev;
    struct tok peek_tok;
    bool peeked;
    bool peek_bad; /* the peeked token is <Invalid>: consuming it raises the lexer error */
    char peek_msg[160];
    ay_err peek_code;
    /* The first error. */
    ay_err err;
    char msg[256];
    struct ay_gql_pos epos;
    int depth;
    /* Where nodes go once the arena is exhausted: the parse is failing and stops, so callers
     * need no NULL checks and the result is discarded. */
    max_align_t scratch[16];
};

static void fail_at(struct parser *p, ay_err code, struct ay_gql_pos pos, const char *fmt, ...)
    AY_PRINTF(4, 5);

static void fail_at(struct parser *p, ay_err code, struct ay_gql_pos pos, const char *fmt, ...)
{
    if (p->err != AY_OK) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
    p->err = code;
    p->epos = pos;
}

static struct tok read_tok(struct parser *p, bool *bad, char msg[160], ay_err *code)
{
    p->lx.ecode = AY_OK;
    struct tok t = lex_next(&p->lx);
    *bad = t.kind == TK_INVALID;
    if (*bad) {
        memcpy(msg, p->lx.emsg, 160);
        *code = p->lx.ecode;
    }
    return t;
}

static struct tok peek(struct parser *p)
{
    if (p->err != AY_OK) {
        return p->prev;
    }
    if (!p->peeked) {
        p->peek_tok = read_tok(p, &p->peek_bad, p->peek_msg, &p->peek_code);
        p->peeked = true;
        /* Token and arena caps stop the parse at once (the reference has no such caps). */
        if (p->peek_bad && p->peek_code == AY_ERR_LIMIT) {
            fail_at(p, AY_ERR_LIMIT, p->peek_tok.pos, "%s", p->peek_msg);
        }
    }
    return p->peek_tok;
}

static struct tok next(struct parser *p)
{
    if (p->err != AY_OK) {
        return p->prev;
    }
    if (p->peeked) {
        p->peeked = false;
        p->prev = p->peek_tok;
        if (p->peek_bad) {
            fail_at(p, p->peek_code, p->prev.pos, "%s", p->peek_msg);
        }
        return p->prev;
    }
    bool bad;
    char msg[160];
    ay_err code = AY_OK;
    p->prev = read_tok(p, &bad, msg, &code);
    if (bad) {
        fail_at(p, code, p->prev.pos, "%s", msg);
    }
    return p->prev;
}

static void put_quoted(struct ay_buf *b, struct ay_str s);

/* A token as the reference prints it: Kind, plus the quoted value when there is one. */
static void tok_text(struct tok t, char *out, size_t cap)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, 4096);
    ay_buf_puts(&b, tk_name(t.kind));
    if (t.val.len > 0) {
        ay_buf_putc(&b, ' ');
        put_quoted(&b, t.val);
    }
    (void)snprintf(out, cap, "%s", b.err == AY_OK && b.ptr != NULL ? b.ptr : "?");
    ay_buf_free(&b);
}

/* Go's strconv.Quote of valid UTF-8 text (what the reference uses in messages). */
static void put_quoted(struct ay_buf *b, struct ay_str s)
{
    ay_buf_putc(b, '"');
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        switch (c) {
        case '"':
            ay_buf_puts(b, "\\\"");
            break;
        case '\\':
            ay_buf_puts(b, "\\\\");
            break;
        case '\a':
            ay_buf_puts(b, "\\a");
            break;
        case '\b':
            ay_buf_puts(b, "\\b");
            break;
        case '\f':
            ay_buf_puts(b, "\\f");
            break;
        case '\n':
            ay_buf_puts(b, "\\n");
            break;
        case '\r':
            ay_buf_puts(b, "\\r");
            break;
        case '\t':
            ay_buf_puts(b, "\\t");
            break;
        case '\v':
            ay_buf_puts(b, "\\v");
            break;
        default:
            if (c < 0x20 || c == 0x7F) {
                ay_buf_printf(b, "\\x%02x", c);
            } else {
                ay_buf_putc(b, (char)c);
            }
        }
    }
    ay_buf_putc(b, '"');
}

static void unexpected_tok(struct parser *p, struct tok t)
{
    char s[200];
    tok_text(t, s, sizeof s);
    fail_at(p, AY_ERR_MALFORMED, t.pos, "Unexpected %s", s);
}

static void unexpected(struct parser *p)
{
    unexpected_tok(p, peek(p));
}

static struct tok expect(struct parser *p, enum tk kind)
{
    struct tok t = peek(p);
    if (t.kind == kind) {
        return next(p);
    }
    fail_at(p, AY_ERR_MALFORMED, t.pos, "Expected %s, found %s", tk_name(kind), tk_name(t.kind));
    return t;
}

static void expect_keyword(struct parser *p, const char *kw)
{
    struct tok t = peek(p);
    if (t.kind == TK_NAME && ay_str_eq_c(t.val, kw)) {
        (void)next(p);
        return;
    }
    char s[200];
    tok_text(t, s, sizeof s);
    fail_at(p, AY_ERR_MALFORMED, t.pos, "Expected \"%s\", found %s", kw, s);
}

static bool skip(struct parser *p, enum tk kind)
{
    if (p->err != AY_OK) {
        return false;
    }
    if (peek(p).kind != kind) {
        return false;
    }
    (void)next(p);
    return true;
}

static bool peek_is(struct parser *p, const char *kw)
{
    struct tok t = peek(p);
    return t.kind == TK_NAME && ay_str_eq_c(t.val, kw);
}

/* Allocation: on failure the parse stops with AY_ERR_LIMIT (the arena cap). */
static void *node(struct parser *p, size_t n)
{
    void *m = NULL;
    if (ay_arena_alloc(p->lx.arena, n, &m) != AY_OK) {
        fail_at(p, AY_ERR_LIMIT, peek(p).pos, "out of memory (arena cap)");
        memset(p->scratch, 0, sizeof p->scratch);
        return n <= sizeof p->scratch ? p->scratch : NULL;
    }
    return m;
}

#define NEW(p, T) ((T *)node((p), sizeof(T)))
_Static_assert(sizeof(struct ay_gql_sel) <= 16 * sizeof(max_align_t), "scratch holds any node");
_Static_assert(sizeof(struct ay_gql_def) <= 16 * sizeof(max_align_t), "scratch holds any node");

/* Names are copied: the AST must not borrow the Rego string it came from. */
static struct ay_str own(struct parser *p, struct ay_str s)
{
    char *d = NULL;
    if (s.len == 0) {
        return (struct ay_str){"", 0};
    }
    if (ay_arena_strndup(p->lx.arena, s.ptr, s.len, &d) != AY_OK) {
        fail_at(p, AY_ERR_LIMIT, peek(p).pos, "out of memory (arena cap)");
        return (struct ay_str){"", 0};
    }
    return (struct ay_str){d, s.len};
}

static bool enter(struct parser *p)
{
    if (++p->depth > AY_LIMIT_GQL_DEPTH) {
        fail_at(p, AY_ERR_LIMIT, peek(p).pos, "nesting deeper than %d", AY_LIMIT_GQL_DEPTH);
        return false;
    }
    return true;
}

static void leave(struct parser *p)
{
    p->depth--;
}

static struct ay_str parse_name(struct parser *p)
{
    return own(p, expect(p, TK_NAME).val);
}

/* many (may be empty) and some (at least one) delimited lists of the reference grammar. */
typedef void item_fn(struct parser *p, void *ctx);

static void many(struct parser *p, enum tk open, enum tk close, item_fn *fn, void *ctx)
{
    if (!skip(p, open)) {
        return;
    }
    while (peek(p).kind != close && p->err == AY_OK) {
        fn(p, ctx);
    }
    (void)next(p);
}

static void some(struct parser *p, enum tk open, enum tk close, item_fn *fn, void *ctx)
{
    if (!skip(p, open)) {
        return;
    }
    bool called = false;
    while (peek(p).kind != close && p->err == AY_OK) {
        called = true;
        fn(p, ctx);
    }
    if (!called) {
        struct tok t = peek(p);
        fail_at(p, AY_ERR_MALFORMED, t.pos, "expected at least one definition, found %s",
                tk_name(t.kind));
        return;
    }
    (void)next(p);
}

/* ---- values (section 2.9) ---- */

static struct ay_gql_value *parse_value(struct parser *p, bool is_const);

struct child_list {
    struct ay_gql_value *v;
    struct ay_gql_child **tail;
    bool is_const;
    bool is_object;
};

static void child_item(struct parser *p, void *ctx)
{
    struct child_list *cl = ctx;
    struct ay_gql_child *ch = NEW(p, struct ay_gql_child);
    ch->pos = peek(p).pos;
    if (cl->is_object) {
        ch->name = parse_name(p);
        (void)expect(p, TK_COLON);
    }
    ch->value = parse_value(p, cl->is_const);
    *cl->tail = ch;
    cl->tail = &ch->next;
    cl->v->n_children++;
}

static struct ay_gql_value *parse_value(struct parser *p, bool is_const)
{
    struct tok t = peek(p);
    struct ay_gql_value *v = NULL;
    if (!enter(p)) {
        return NULL;
    }
    int kind;
    switch (t.kind) {
    case TK_BRACKET_L:
    case TK_BRACE_L: {
        v = NEW(p, struct ay_gql_value);
        v->pos = t.pos;
        bool obj = t.kind == TK_BRACE_L;
        v->kind = obj ? AY_GQL_V_OBJECT : AY_GQL_V_LIST;
        v->raw = (struct ay_str){"", 0};
        struct child_list cl = {v, &v->children, is_const, obj};
        many(p, t.kind, obj ? TK_BRACE_R : TK_BRACKET_R, child_item, &cl);
        leave(p);
        return v;
    }
    case TK_DOLLAR:
        if (is_const) {
            unexpected(p);
            leave(p);
            return NULL;
        }
        v = NEW(p, struct ay_gql_value);
        v->pos = t.pos;
        v->kind = AY_GQL_V_VARIABLE;
        (void)expect(p, TK_DOLLAR);
        v->raw = parse_name(p);
        leave(p);
        return v;
    case TK_INT:
        kind = AY_GQL_V_INT;
        break;
    case TK_FLOAT:
        kind = AY_GQL_V_FLOAT;
        break;
    case TK_STRING:
        kind = AY_GQL_V_STRING;
        break;
    case TK_BLOCK:
        kind = AY_GQL_V_BLOCK;
        break;
    case TK_NAME:
        if (ay_str_eq_c(t.val, "true") || ay_str_eq_c(t.val, "false")) {
            kind = AY_GQL_V_BOOLEAN;
        } else if (ay_str_eq_c(t.val, "null")) {
            kind = AY_GQL_V_NULL;
        } else {
            kind = AY_GQL_V_ENUM;
        }
        break;
    default:
        unexpected(p);
        leave(p);
        return NULL;
    }
    (void)next(p);
    v = NEW(p, struct ay_gql_value);
    v->pos = t.pos;
    v->kind = kind;
    v->raw = own(p, t.val);
    leave(p);
    return v;
}

/* ---- types, directives, arguments ---- */

static struct ay_gql_type *parse_type(struct parser *p)
{
    struct ay_gql_type *ty = NEW(p, struct ay_gql_type);
    if (!enter(p)) {
        return ty;
    }
    if (skip(p, TK_BRACKET_L)) {
        ty->pos = peek(p).pos;
        ty->named = (struct ay_str){"", 0};
        ty->elem = parse_type(p);
        (void)expect(p, TK_BRACKET_R);
    } else {
        ty->pos = peek(p).pos;
        ty->named = parse_name(p);
    }
    if (skip(p, TK_BANG)) {
        ty->non_null = true;
    }
    leave(p);
    return ty;
}

struct arg_list {
    struct ay_gql_arg **tail;
    bool is_const;
};

static void arg_item(struct parser *p, void *ctx)
{
    struct arg_list *al = ctx;
    struct ay_gql_arg *a = NEW(p, struct ay_gql_arg);
    a->pos = peek(p).pos;
    a->name = parse_name(p);
    (void)expect(p, TK_COLON);
    a->value = parse_value(p, al->is_const);
    *al->tail = a;
    al->tail = &a->next;
}

static struct ay_gql_arg *parse_args(struct parser *p, bool is_const)
{
    struct ay_gql_arg *first = NULL;
    struct arg_list al = {&first, is_const};
    many(p, TK_PAREN_L, TK_PAREN_R, arg_item, &al);
    return first;
}

static struct ay_gql_dir *parse_dirs(struct parser *p, bool is_const)
{
    struct ay_gql_dir *first = NULL, **tail = &first;
    while (peek(p).kind == TK_AT && p->err == AY_OK) {
        (void)expect(p, TK_AT);
        struct ay_gql_dir *d = NEW(p, struct ay_gql_dir);
        d->pos = peek(p).pos;
        d->name = parse_name(p);
        d->location = (struct ay_str){"", 0};
        d->args = parse_args(p, is_const);
        *tail = d;
        tail = &d->next;
    }
    return first;
}

/* ---- executable documents (section 2.3-2.8) ---- */

static struct ay_gql_sel *parse_selset(struct parser *p, bool required);

static struct ay_str parse_fragment_name(struct parser *p)
{
    if (ay_str_eq_c(peek(p).val, "on")) {
        unexpected(p);
        return (struct ay_str){"", 0};
    }
    return parse_name(p);
}

static struct ay_gql_sel *parse_selection(struct parser *p)
{
    struct ay_gql_sel *s = NEW(p, struct ay_gql_sel);
    if (peek(p).kind == TK_SPREAD) {
        (void)expect(p, TK_SPREAD);
        struct tok t = peek(p);
        if (t.kind == TK_NAME && !ay_str_eq_c(t.val, "on")) {
            s->kind = AY_GQL_SEL_SPREAD;
            s->pos = t.pos;
            s->name = parse_fragment_name(p);
            s->dirs = parse_dirs(p, false);
            return s;
        }
        s->kind = AY_GQL_SEL_INLINE;
        s->pos = t.pos;
        s->type_cond = (struct ay_str){"", 0};
        if (ay_str_eq_c(t.val, "on")) {
            (void)next(p);
            s->type_cond = parse_name(p);
        }
        s->dirs = parse_dirs(p, false);
        s->sels = parse_selset(p, true);
        return s;
    }
    s->kind = AY_GQL_SEL_FIELD;
    s->pos = peek(p).pos;
    s->alias = parse_name(p);
    s->name = skip(p, TK_COLON) ? parse_name(p) : s->alias;
    s->args = parse_args(p, false);
    s->dirs = parse_dirs(p, false);
    if (peek(p).kind == TK_BRACE_L) {
        s->sels = parse_selset(p, false);
    }
    return s;
}

struct sel_list {
    struct ay_gql_sel **tail;
};

static void sel_item(struct parser *p, void *ctx)
{
    struct sel_list *sl = ctx;
    struct ay_gql_sel *s = parse_selection(p);
    *sl->tail = s;
    sl->tail = &s->next;
}

static struct ay_gql_sel *parse_selset(struct parser *p, bool required)
{
    struct tok t = peek(p);
    if (required && t.kind != TK_BRACE_L) {
        fail_at(p, AY_ERR_MALFORMED, t.pos, "Expected {, found %s", tk_name(t.kind));
        return NULL;
    }
    struct ay_gql_sel *first = NULL;
    if (!enter(p)) {
        return NULL;
    }
    struct sel_list sl = {&first};
    some(p, TK_BRACE_L, TK_BRACE_R, sel_item, &sl);
    leave(p);
    return first;
}

struct var_list {
    struct ay_gql_vardef **tail;
};

static void var_item(struct parser *p, void *ctx)
{
    struct var_list *vl = ctx;
    struct ay_gql_vardef *v = NEW(p, struct ay_gql_vardef);
    v->pos = peek(p).pos;
    (void)expect(p, TK_DOLLAR);
    v->name = parse_name(p);
    (void)expect(p, TK_COLON);
    v->type = parse_type(p);
    if (skip(p, TK_EQUALS)) {
        v->defval = parse_value(p, true);
    }
    v->dirs = parse_dirs(p, false);
    *vl->tail = v;
    vl->tail = &v->next;
}

static struct ay_gql_vardef *parse_vardefs(struct parser *p)
{
    struct ay_gql_vardef *first = NULL;
    struct var_list vl = {&first};
    many(p, TK_PAREN_L, TK_PAREN_R, var_item, &vl);
    return first;
}

static struct ay_str op_type(struct parser *p, struct tok t)
{
    static const char *const ops[] = {"query", "mutation", "subscription"};
    for (size_t i = 0; i < 3; i++) {
        if (t.kind == TK_NAME && ay_str_eq_c(t.val, ops[i])) {
            return ay_str_of(ops[i]);
        }
    }
    unexpected_tok(p, t);
    return (struct ay_str){"", 0};
}

static struct ay_gql_op *parse_operation(struct parser *p)
{
    struct ay_gql_op *op = NEW(p, struct ay_gql_op);
    op->pos = peek(p).pos;
    op->name = (struct ay_str){"", 0};
    if (peek(p).kind == TK_BRACE_L) {
        op->operation = ay_str_of("query");
        op->sels = parse_selset(p, true);
        return op;
    }
    op->operation = op_type(p, next(p));
    if (peek(p).kind == TK_NAME) {
        op->name = own(p, next(p).val);
    }
    op->vars = parse_vardefs(p);
    op->dirs = parse_dirs(p, false);
    op->sels = parse_selset(p, true);
    return op;
}

static struct ay_gql_frag *parse_fragment_def(struct parser *p)
{
    struct ay_gql_frag *f = NEW(p, struct ay_gql_frag);
    f->pos = peek(p).pos;
    expect_keyword(p, "fragment");
    f->name = parse_fragment_name(p);
    f->vars = parse_vardefs(p);
    expect_keyword(p, "on");
    f->type_cond = parse_name(p);
    f->dirs = parse_dirs(p, false);
    f->sels = parse_selset(p, true);
    return f;
}

static void parser_init(struct parser *p, struct ay_arena *a, const char *src, size_t n)
{
    memset(p, 0, sizeof *p);
    ay_cur_init(&p->lx.c, ay_span_of(src, n));
    p->lx.arena = a;
    p->lx.line = 1;
}

static ay_err finish(struct parser *p, struct ay_diag *diag, struct ay_gql_pos *out_pos)
{
    if (p->err == AY_OK) {
        return AY_OK;
    }
    *out_pos = p->epos;
    return FAIL(diag, p->err, "%s", p->msg);
}

static ay_err too_big(size_t n, struct ay_diag *diag, struct ay_gql_pos *out_pos)
{
    out_pos->line = 1;
    out_pos->col = 1;
    return FAIL(diag, AY_ERR_LIMIT, "document of %zu bytes exceeds %zu", n, AY_LIMIT_GQL_SOURCE);
}

ay_err ay_gql_parse_query(struct ay_arena *a, const char *src, size_t n, struct ay_diag *diag,
                          struct ay_gql_pos *out_pos, struct ay_gql_query **out)
{
    if (n > AY_LIMIT_GQL_SOURCE) {
        return too_big(n, diag, out_pos);
    }
    struct parser p;
    parser_init(&p, a, src, n);
    struct ay_gql_query *doc = NEW(&p, struct ay_gql_query);
    struct ay_gql_op **otail = &doc->ops;
    struct ay_gql_frag **ftail = &doc->frags;
    while (peek(&p).kind != TK_EOF && p.err == AY_OK) {
        struct tok t = peek(&p);
        if (t.kind == TK_BRACE_L ||
            (t.kind == TK_NAME && (ay_str_eq_c(t.val, "query") || ay_str_eq_c(t.val, "mutation") ||
                                   ay_str_eq_c(t.val, "subscription")))) {
            struct ay_gql_op *op = parse_operation(&p);
            *otail = op;
            otail = &op->next;
        } else if (t.kind == TK_NAME && ay_str_eq_c(t.val, "fragment")) {
            struct ay_gql_frag *f = parse_fragment_def(&p);
            *ftail = f;
            ftail = &f->next;
        } else {
            unexpected(&p);
        }
    }
    TRY(finish(&p, diag, out_pos));
    *out = doc;
    return AY_OK;
}

/* ---- type-system documents (section 3) ---- */

static struct ay_str parse_desc(struct parser *p)
{
    struct tok t = peek(p);
    if (t.kind != TK_STRING && t.kind != TK_BLOCK) {
        return (struct ay_str){"", 0};
    }
    return own(p, next(p).val);
}

struct fdef_list {
    struct ay_gql_fielddef **tail;
    int shape; /* 0 field (with arguments), 1 argument / input value */
};

static void fdef_item(struct parser *p, void *ctx);

static struct ay_gql_fielddef *parse_argdefs(struct parser *p)
{
    struct ay_gql_fielddef *first = NULL;
    struct fdef_list fl = {&first, 1};
    some(p, TK_PAREN_L, TK_PAREN_R, fdef_item, &fl);
    return first;
}

static void fdef_item(struct parser *p, void *ctx)
{
    struct fdef_list *fl = ctx;
    struct ay_gql_fielddef *f = NEW(p, struct ay_gql_fielddef);
    f->pos = peek(p).pos;
    f->desc = parse_desc(p);
    f->name = parse_name(p);
    if (fl->shape == 0) {
        f->args = parse_argdefs(p);
    }
    (void)expect(p, TK_COLON);
    f->type = parse_type(p);
    if (fl->shape == 1 && skip(p, TK_EQUALS)) {
        f->defval = parse_value(p, true);
    }
    f->dirs = parse_dirs(p, true);
    *fl->tail = f;
    fl->tail = &f->next;
}

static struct ay_gql_fielddef *parse_fields(struct parser *p, int shape)
{
    struct ay_gql_fielddef *first = NULL;
    struct fdef_list fl = {&first, shape};
    some(p, TK_BRACE_L, TK_BRACE_R, fdef_item, &fl);
    return first;
}

static void enumval_item(struct parser *p, void *ctx)
{
    struct ay_gql_enumval ***tail = ctx;
    struct ay_gql_enumval *e = NEW(p, struct ay_gql_enumval);
    e->pos = peek(p).pos;
    e->desc = parse_desc(p);
    e->name = parse_name(p);
    e->dirs = parse_dirs(p, true);
    **tail = e;
    *tail = &e->next;
}

static struct ay_gql_name *name_node(struct parser *p, struct ay_str s)
{
    struct ay_gql_name *n = NEW(p, struct ay_gql_name);
    n->s = s;
    return n;
}

/* ImplementsInterfaces (section 3.6): implements &? A & B */
static struct ay_gql_name *parse_implements(struct parser *p)
{
    struct ay_gql_name *first = NULL, **tail = &first;
    if (ay_str_eq_c(peek(p).val, "implements")) {
        (void)next(p);
        (void)skip(p, TK_AMP);
        do {
            struct ay_gql_name *n = name_node(p, parse_name(p));
            *tail = n;
            tail = &n->next;
        } while (skip(p, TK_AMP) && p->err == AY_OK);
    }
    return first;
}

/* UnionMemberTypes (section 3.8): = |? A | B */
static struct ay_gql_name *parse_union_members(struct parser *p)
{
    struct ay_gql_name *first = NULL, **tail = &first;
    if (skip(p, TK_EQUALS)) {
        (void)skip(p, TK_PIPE);
        do {
            struct ay_gql_name *n = name_node(p, parse_name(p));
            *tail = n;
            tail = &n->next;
        } while (skip(p, TK_PIPE) && p->err == AY_OK);
    }
    return first;
}

static const char *def_kind(struct ay_str kw, const char **out_kw)
{
    static const char *const kw_s[] = {"scalar", "type", "interface", "union", "enum", "input"};
    static const char *const kinds[] = {"SCALAR", "OBJECT", "INTERFACE",
                                        "UNION",  "ENUM",   "INPUT_OBJECT"};
    for (size_t i = 0; i < 6; i++) {
        if (ay_str_eq_c(kw, kw_s[i])) {
            if (out_kw != NULL) {
                *out_kw = kw_s[i];
            }
            return kinds[i];
        }
    }
    return NULL;
}

/* A type definition (is_ext false) or extension (section 3.4-3.10). The keyword is next. */
static struct ay_gql_def *parse_typedef(struct parser *p, struct ay_str desc, bool is_ext)
{
    const char *kw = "";
    const char *kind = def_kind(peek(p).val, &kw);
    struct ay_gql_def *d = NEW(p, struct ay_gql_def);
    expect_keyword(p, kw);
    d->pos = peek(p).pos;
    d->kind = ay_str_of(kind != NULL ? kind : "");
    d->desc = desc;
    d->name = parse_name(p);
    bool has_ifaces = ay_str_eq_c(d->kind, "OBJECT") || ay_str_eq_c(d->kind, "INTERFACE");
    /* The reference accepts no `implements` on interface extensions. */
    if (has_ifaces && !(is_ext && ay_str_eq_c(d->kind, "INTERFACE"))) {
        d->ifaces = parse_implements(p);
    }
    /* The reference parses input-object extension directives as non-constant. */
    d->dirs = parse_dirs(p, !(is_ext && ay_str_eq_c(d->kind, "INPUT_OBJECT")));
    bool has_any = d->dirs != NULL || d->ifaces != NULL;
    if (has_ifaces) {
        d->fields = parse_fields(p, 0);
        has_any = has_any || d->fields != NULL;
    } else if (ay_str_eq_c(d->kind, "INPUT_OBJECT")) {
        d->fields = parse_fields(p, 1);
        has_any = has_any || d->fields != NULL;
    } else if (ay_str_eq_c(d->kind, "UNION")) {
        d->types = parse_union_members(p);
        has_any = has_any || d->types != NULL;
    } else if (ay_str_eq_c(d->kind, "ENUM")) {
        struct ay_gql_enumval **tail = &d->enumvals;
        some(p, TK_BRACE_L, TK_BRACE_R, enumval_item, &tail);
        has_any = has_any || d->enumvals != NULL;
    }
    /* Section 3.4.3 etc.: an extension must add something. */
    if (is_ext && !has_any) {
        unexpected(p);
    }
    return d;
}

static void optype_item(struct parser *p, void *ctx)
{
    struct ay_gql_optype ***tail = ctx;
    struct ay_gql_optype *o = NEW(p, struct ay_gql_optype);
    o->pos = peek(p).pos;
    o->operation = op_type(p, next(p));
    (void)expect(p, TK_COLON);
    o->type = parse_name(p);
    **tail = o;
    *tail = &o->next;
}

/* SchemaDefinition / SchemaExtension (section 3.3). The keyword is next. */
static struct ay_gql_schemadef *parse_schemadef(struct parser *p, struct ay_str desc, bool is_ext)
{
    expect_keyword(p, "schema");
    struct ay_gql_schemadef *s = NEW(p, struct ay_gql_schemadef);
    s->pos = peek(p).pos;
    s->desc = desc;
    s->dirs = parse_dirs(p, true);
    struct ay_gql_optype **tail = &s->optypes;
    some(p, TK_BRACE_L, TK_BRACE_R, optype_item, &tail);
    if (is_ext && s->dirs == NULL && s->optypes == NULL) {
        unexpected(p);
    }
    return s;
}

/* DirectiveLocation (section 3.13). */
static bool is_dir_location(struct ay_str s)
{
    static const char *const locs[] = {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
        "SCHEMA",
        "SCALAR",
        "OBJECT",
        "FIELD_DEFINITION",
        "ARGUMENT_DEFINITION",
        "INTERFACE",
        "UNION",
        "ENUM",
        "ENUM_VALUE",
        "INPUT_OBJECT",
        "INPUT_FIELD_DEFINITION",
    };
    for (size_t i = 0; i < sizeof locs / sizeof locs[0]; i++) {
        if (ay_str_eq_c(s, locs[i])) {
            return true;
        }
    }
    return false;
}

static struct ay_gql_name *parse_dir_location(struct parser *p)
{
    struct tok t = expect(p, TK_NAME);
    if (!is_dir_location(t.val)) {
        unexpected_tok(p, t);
        return name_node(p, (struct ay_str){"", 0});
    }
    return name_node(p, own(p, t.val));
}

static struct ay_gql_dirdef *parse_dirdef(struct parser *p, struct ay_str desc)
{
    expect_keyword(p, "directive");
    (void)expect(p, TK_AT);
    struct ay_gql_dirdef *d = NEW(p, struct ay_gql_dirdef);
    d->pos = peek(p).pos;
    d->desc = desc;
    d->name = parse_name(p);
    d->args = parse_argdefs(p);
    if (peek(p).kind == TK_NAME && peek_is(p, "repeatable")) {
        d->repeatable = true;
        (void)next(p);
    }
    expect_keyword(p, "on");
    (void)skip(p, TK_PIPE);
    struct ay_gql_name **tail = &d->locs;
    do {
        struct ay_gql_name *n = parse_dir_location(p);
        *tail = n;
        tail = &n->next;
    } while (skip(p, TK_PIPE) && p->err == AY_OK);
    return d;
}

ay_err ay_gql_parse_schema(struct ay_arena *a, const char *src, size_t n, struct ay_diag *diag,
                           struct ay_gql_pos *out_pos, struct ay_gql_sdoc **out)
{
    if (n > AY_LIMIT_GQL_SOURCE) {
        return too_big(n, diag, out_pos);
    }
    struct parser p;
    parser_init(&p, a, src, n);
    struct ay_gql_sdoc *doc = NEW(&p, struct ay_gql_sdoc);
    struct ay_gql_schemadef **stail = &doc->schema, **xtail = &doc->schema_ext;
    struct ay_gql_dirdef **dtail = &doc->dirdefs;
    struct ay_gql_def **deftail = &doc->defs, **exttail = &doc->exts;
    while (peek(&p).kind != TK_EOF && p.err == AY_OK) {
        struct ay_str desc = parse_desc(&p);
        struct tok t = peek(&p);
        if (t.kind != TK_NAME) {
            unexpected(&p);
            break;
        }
        if (def_kind(t.val, NULL) != NULL) {
            struct ay_gql_def *d = parse_typedef(&p, desc, false);
            *deftail = d;
            deftail = &d->next;
        } else if (ay_str_eq_c(t.val, "schema")) {
            struct ay_gql_schemadef *s = parse_schemadef(&p, desc, false);
            *stail = s;
            stail = &s->next;
        } else if (ay_str_eq_c(t.val, "directive")) {
            struct ay_gql_dirdef *d = parse_dirdef(&p, desc);
            *dtail = d;
            dtail = &d->next;
        } else if (ay_str_eq_c(t.val, "extend")) {
            /* Section 3.4.3 etc.: extensions carry no description. */
            if (desc.len > 0) {
                unexpected_tok(&p, p.prev);
            }
            expect_keyword(&p, "extend");
            struct tok k = peek(&p);
            if (ay_str_eq_c(k.val, "schema")) {
                struct ay_gql_schemadef *s = parse_schemadef(&p, (struct ay_str){"", 0}, true);
                *xtail = s;
                xtail = &s->next;
            } else if (def_kind(k.val, NULL) != NULL) {
                struct ay_gql_def *d = parse_typedef(&p, (struct ay_str){"", 0}, true);
                *exttail = d;
                exttail = &d->next;
            } else {
                unexpected(&p);
            }
        } else {
            unexpected(&p);
        }
    }
    TRY(finish(&p, diag, out_pos));
    *out = doc;
    return AY_OK;
}
