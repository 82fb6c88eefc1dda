/* SPDX-License-Identifier: Apache-2.0 */
/* The lexer's tokens, read through its own interface (rego_ast.h): kinds, keywords, positions
 * and the newline/space flags of every token kind; the same tokens whether or not the source
 * ends in a newline (the scans skip their bound checks only then) and from buffers of exact
 * size; the inline window of ay_rego_lexer_at over blocks, seeks back, releases and the end;
 * error messages with line:col; \u escapes and surrogates as Go's encoding/json decodes them
 * (issue 3 rewrite of the lexer's hot path; the surrogate fix). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_arena.h"
#include "base/base_err.h"
#include "rego/rego_ast.h"
#include "testlib.h"

struct lexed {
    struct ay_arena *a;
    struct ay_rego_lexer *lx;
    char *copy; /* the source in a buffer of its exact size (ASan sees any over-read) */
    struct ay_diag d;
};

static void lex_open(struct lexed *x, const char *src, size_t n)
{
    ay_arena_new((size_t)16 << 20, &x->a);
    x->copy = malloc(n > 0 ? n : 1);
    assert_non_null(x->copy);
    if (n > 0) {
        memcpy(x->copy, src, n);
    }
    ay_diag_clear(&x->d);
    assert_int_equal(ay_rego_lexer_new(x->a, "t.rego", x->copy, n, &x->d, &x->lx), AY_OK);
}

static void lex_close(struct lexed *x)
{
    ay_rego_lexer_free(x->lx);
    ay_arena_free(x->a);
    free(x->copy);
}

/* The lexer's error after lexing everything ("" when none). */
static const char *lex_err(struct lexed *x)
{
    static char msg[300];
    ay_diag_clear(&x->d);
    ay_err e = ay_rego_lexer_error(x->lx, &x->d);
    (void)snprintf(msg, sizeof msg, "%s", e == AY_OK ? "" : ay_diag_message(&x->d));
    return msg;
}

struct want {
    uint8_t kind;
    uint8_t kw;
    uint32_t line;
    uint32_t col;
    uint32_t len;
    bool nl;
    bool sp;
};

static void check_toks(const char *src, const struct want *w, size_t nw)
{
    struct lexed x;
    lex_open(&x, src, strlen(src));
    for (size_t i = 0; i < nw; i++) {
        const struct ay_rego_tok *t = ay_rego_lexer_at(x.lx, i);
        if (t->kind != w[i].kind || t->kw != w[i].kw || t->line != w[i].line ||
            t->col != w[i].col || t->len != w[i].len || t->nl_before != w[i].nl ||
            t->sp_before != w[i].sp) {
            fail_msg("<<%s>> token %zu: kind %u kw %u %u:%u len %u nl %d sp %d, want kind %u kw %u "
                     "%u:%u len %u nl %d sp %d",
                     src, i, t->kind, t->kw, t->line, t->col, t->len, t->nl_before, t->sp_before,
                     w[i].kind, w[i].kw, w[i].line, w[i].col, w[i].len, w[i].nl, w[i].sp);
        }
        assert_ptr_equal(t->text, x.copy + (t->text - x.copy));
    }
    assert_string_equal(lex_err(&x), "");
    lex_close(&x);
}

static void test_kinds_and_positions(void **state)
{
    (void)state;
    static const struct want w1[] = {
        {AY_TK_IDENT, AY_KW_PACKAGE, 1, 1, 7, true, true},
        {AY_TK_IDENT, AY_KW_NONE, 1, 9, 1, false, true},
        {AY_TK_IDENT, AY_KW_NONE, 2, 1, 3, true, true},
        {AY_TK_ASSIGN, AY_KW_NONE, 2, 5, 2, false, true},
        {AY_TK_LBRACK, AY_KW_NONE, 2, 8, 1, false, true},
        {AY_TK_NUMBER, AY_KW_NONE, 2, 9, 3, false, false},
        {AY_TK_COMMA, AY_KW_NONE, 2, 12, 1, false, false},
        {AY_TK_STRING, AY_KW_NONE, 2, 14, 6, false, true},
        {AY_TK_COMMA, AY_KW_NONE, 2, 20, 1, false, false},
        {AY_TK_STRING, AY_KW_NONE, 2, 22, 3, false, true},
        {AY_TK_RBRACK, AY_KW_NONE, 2, 25, 1, false, false},
        {AY_TK_IDENT, AY_KW_IF, 2, 27, 2, false, true},
        {AY_TK_LBRACE, AY_KW_NONE, 2, 30, 1, false, true},
        {AY_TK_IDENT, AY_KW_NONE, 3, 2, 1, true, true},
        {AY_TK_EQ, AY_KW_NONE, 3, 4, 2, false, true},
        {AY_TK_IDENT, AY_KW_TRUE, 3, 7, 4, false, true},
        {AY_TK_SEMI, AY_KW_NONE, 3, 11, 1, false, false},
        {AY_TK_NEQ, AY_KW_NONE, 4, 1, 2, true, true},
        {AY_TK_LTE, AY_KW_NONE, 4, 3, 2, false, false},
        {AY_TK_GTE, AY_KW_NONE, 4, 5, 2, false, false},
        {AY_TK_LT, AY_KW_NONE, 4, 7, 1, false, false},
        {AY_TK_GTE, AY_KW_NONE, 4, 8, 2, false, false},
        {AY_TK_COLON, AY_KW_NONE, 4, 10, 1, false, false},
        {AY_TK_PLUS, AY_KW_NONE, 4, 11, 1, false, false},
        {AY_TK_UNIFY, AY_KW_NONE, 4, 12, 1, false, false},
        {AY_TK_MINUS, AY_KW_NONE, 4, 13, 1, false, false},
        {AY_TK_STAR, AY_KW_NONE, 4, 14, 1, false, false},
        {AY_TK_SLASH, AY_KW_NONE, 4, 15, 1, false, false},
        {AY_TK_PERCENT, AY_KW_NONE, 4, 16, 1, false, false},
        {AY_TK_AMP, AY_KW_NONE, 4, 17, 1, false, false},
        {AY_TK_BAR, AY_KW_NONE, 4, 18, 1, false, false},
        {AY_TK_LPAREN, AY_KW_NONE, 4, 19, 1, false, false},
        {AY_TK_RPAREN, AY_KW_NONE, 4, 20, 1, false, false},
        {AY_TK_DOT, AY_KW_NONE, 4, 21, 1, false, false},
        {AY_TK_IDENT, AY_KW_NONE, 4, 22, 3, false, false},
        {AY_TK_GT, AY_KW_NONE, 4, 25, 1, false, false},
        {AY_TK_RBRACE, AY_KW_NONE, 5, 1, 1, true, true},
        {AY_TK_EOF, AY_KW_NONE, 6, 1, 0, true, true},
    };
    /* Tabs, CRs and comments are blanks; a comment's newline still separates. */
    check_toks("package a\nabc := [1.5, \"x\\ty\", `r`] if {\n\tb == true; # note { \"\n"
               "!=<=>=<>=:+=-*/%&|().x_1>\r\n}\n",
               w1, sizeof w1 / sizeof w1[0]);
    /* The same without the final newline: the checked scans end at the last byte. */
    static const struct want w2[] = {
        {AY_TK_IDENT, AY_KW_NONE, 1, 1, 3, true, true},
        {AY_TK_NUMBER, AY_KW_NONE, 1, 5, 2, false, true},
        {AY_TK_IDENT, AY_KW_NONE, 1, 8, 5, false, true},
        {AY_TK_EOF, AY_KW_NONE, 1, 16, 0, false, true},
    };
    check_toks("abc 12 ab_9Z   ", w2, sizeof w2 / sizeof w2[0]);
    static const struct want w3[] = {
        {AY_TK_IDENT, AY_KW_NONE, 1, 1, 1, true, true},
        {AY_TK_EOF, AY_KW_NONE, 1, 2, 0, false, false},
    };
    check_toks("q", w3, sizeof w3 / sizeof w3[0]);
    static const struct want w4[] = {{AY_TK_EOF, AY_KW_NONE, 1, 1, 0, true, true}};
    check_toks("", w4, 1);
    static const struct want w5[] = {{AY_TK_EOF, AY_KW_NONE, 3, 3, 0, true, true}};
    check_toks(" \n# c\n\t\r", w5, 1);
    /* Template strings: text parts, expressions, braces inside expressions. */
    static const struct want w6[] = {
        {AY_TK_TPL_BEGIN, AY_KW_NONE, 1, 1, 2, true, true},
        {AY_TK_TPL_TEXT, AY_KW_NONE, 1, 3, 2, false, false},
        {AY_TK_TPL_OPEN, AY_KW_NONE, 1, 5, 1, false, false},
        {AY_TK_LBRACE, AY_KW_NONE, 1, 6, 1, false, false},
        {AY_TK_IDENT, AY_KW_NONE, 1, 7, 1, false, false},
        {AY_TK_RBRACE, AY_KW_NONE, 1, 8, 1, false, false},
        {AY_TK_TPL_CLOSE, AY_KW_NONE, 1, 9, 1, false, false},
        {AY_TK_TPL_END, AY_KW_NONE, 1, 10, 1, false, false},
        {AY_TK_EOF, AY_KW_NONE, 2, 1, 0, true, true},
    };
    check_toks("$\"ab{{x}}\"\n", w6, sizeof w6 / sizeof w6[0]);
}

static void test_keywords(void **state)
{
    (void)state;

    static const struct {
        const char *w;
        uint8_t kw;
    } words[] = {
        {"as", AY_KW_AS},           {"if", AY_KW_IF},
        {"in", AY_KW_IN},           {"not", AY_KW_NOT},
        {"set", AY_KW_SET},         {"some", AY_KW_SOME},
        {"with", AY_KW_WITH},       {"else", AY_KW_ELSE},
        {"true", AY_KW_TRUE},       {"null", AY_KW_NULL},
        {"every", AY_KW_EVERY},     {"false", AY_KW_FALSE},
        {"import", AY_KW_IMPORT},   {"default", AY_KW_DEFAULT},
        {"package", AY_KW_PACKAGE}, {"contains", AY_KW_CONTAINS},
        {"a", AY_KW_NONE},          {"i", AY_KW_NONE},
        {"is", AY_KW_NONE},         {"at", AY_KW_NONE},
        {"nut", AY_KW_NONE},        {"sat", AY_KW_NONE},
        {"seta", AY_KW_NONE},       {"nulls", AY_KW_NONE},
        {"Null", AY_KW_NONE},       {"sone", AY_KW_NONE},
        {"withx", AY_KW_NONE},      {"trues", AY_KW_NONE},
        {"xlse", AY_KW_NONE},       {"evert", AY_KW_NONE},
        {"falsy", AY_KW_NONE},      {"imports", AY_KW_NONE},
        {"importx", AY_KW_NONE},    {"defaulx", AY_KW_NONE},
        {"packagex", AY_KW_NONE},   {"contain", AY_KW_NONE},
        {"containz", AY_KW_NONE},   {"containss", AY_KW_NONE},
        {"_", AY_KW_NONE},          {"abcdefghijkl", AY_KW_NONE},
    };

    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        /* Alone (the name ends the source) and followed by a newline. */
        for (int nl = 0; nl < 2; nl++) {
            char src[32];
            int n = snprintf(src, sizeof src, "%s%s", words[i].w, nl ? "\n" : "");
            struct lexed x;
            lex_open(&x, src, (size_t)n);
            const struct ay_rego_tok *t = ay_rego_lexer_at(x.lx, 0);
            assert_int_equal(t->kind, AY_TK_IDENT);
            assert_int_equal(t->len, strlen(words[i].w));
            if (t->kw != words[i].kw) {
                fail_msg("%s: kw %u, want %u", words[i].w, t->kw, words[i].kw);
            }
            assert_int_equal(ay_rego_lexer_at(x.lx, 1)->kind, AY_TK_EOF);
            lex_close(&x);
        }
    }
}

/* The tokens of src (n bytes) equal those of the same source with a newline appended, but for
 * the EOF token: the two ways through the scans (bound-checked or not) agree. */
static void check_tail_agrees(const char *src, size_t n)
{
    char *with = malloc(n + 1);
    assert_non_null(with);
    memcpy(with, src, n);
    with[n] = '\n';
    struct lexed x;
    struct lexed y;
    lex_open(&x, src, n);
    lex_open(&y, with, n + 1);
    for (size_t i = 0;; i++) {
        const struct ay_rego_tok *a = ay_rego_lexer_at(x.lx, i);
        const struct ay_rego_tok *b = ay_rego_lexer_at(y.lx, i);
        if (a->kind == AY_TK_EOF || b->kind == AY_TK_EOF) {
            break;
        }
        if (a->kind != b->kind || a->kw != b->kw || a->line != b->line || a->col != b->col ||
            a->len != b->len || a->nl_before != b->nl_before || a->sp_before != b->sp_before ||
            a->text - x.copy != b->text - y.copy) {
            fail_msg("token %zu differs with a final newline: %u:%u vs %u:%u", i, a->line, a->col,
                     b->line, b->col);
        }
    }
    /* A lexing error is the same error (the message holds its position). */
    char ea[300];
    (void)snprintf(ea, sizeof ea, "%s", lex_err(&x));
    const char *eb = lex_err(&y);
    if (strstr(ea, "non-terminated") == NULL && strstr(eb, "non-terminated") == NULL) {
        assert_string_equal(ea, eb);
    }
    lex_close(&x);
    lex_close(&y);
    free(with);
}

static void test_final_newline(void **state)
{
    (void)state;
    static const char *srcs[] = {
        "package p\nx := 1",
        "a.b[c] = \"d\" { e }",
        "x := `raw`",
        "x := \"str\"",
        "x := \"a\\nb\"",
        "x := 1e5",
        "x :=    \t",
        "# only a comment",
        "$\"t{x}\"",
        "p := 01",
        "p := !",
        "p := 1 ~ 2",
        "\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
        check_tail_agrees(srcs[i], strlen(srcs[i]));
    }
    /* The policies of the shared corpus, cut short without their final newline. */
    char path[512];
    if (!ay_test_shared_path("rego-conformance/regorus/aci/framework.rego", path, sizeof path)) {
        print_message("SKIP: shared corpus absent (ASSAY_SHARED), shared policy not lexed\n");
        return;
    }
    size_t n = 0;
    uint8_t *f = ay_test_read_file(path, &n);
    if (f == NULL) {
        print_message("SKIP: %s unreadable\n", path);
        return;
    }
    while (n > 0 && f[n - 1] == '\n') {
        n--;
    }
    check_tail_agrees((const char *)f, n);
    free(f);
}

/* n rules `r<i> := [1, 2]` of 8 tokens each (9 with the newline flag on the next). */
static char *rules(size_t n)
{
    size_t cap = n * 24 + 16;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        w += (size_t)snprintf(s + w, cap - w, "r%zu := [1, 2]\n", i % 1000);
    }
    s[w] = '\0';
    return s;
}

static void test_window(void **state)
{
    (void)state;
    char *src = rules(200); /* 1,400 tokens: six blocks */
    struct lexed x;
    lex_open(&x, src, strlen(src));
    /* Forward, peeking ahead and seeking back, as the parser does. */
    for (size_t i = 0; i < 1400; i++) {
        const struct ay_rego_tok *t = ay_rego_lexer_at(x.lx, i);
        static const uint8_t kinds[] = {AY_TK_IDENT, AY_TK_ASSIGN, AY_TK_LBRACK, AY_TK_NUMBER,
                                        AY_TK_COMMA, AY_TK_NUMBER, AY_TK_RBRACK};
        assert_int_equal(t->kind, kinds[i % 7]);
        assert_int_equal(t->line, i / 7 + 1);
        assert_ptr_equal(ay_rego_lexer_at(x.lx, i), t); /* stable while held */
        if (i > 0) {
            assert_int_equal(ay_rego_lexer_at(x.lx, i - 1)->kind, kinds[(i - 1) % 7]);
        }
        (void)ay_rego_lexer_at(x.lx, i + 3);
        assert_ptr_equal(ay_rego_lexer_at(x.lx, i), t);
        if (i % 7 == 0 && i > 0) {
            ay_rego_lexer_release(x.lx, i - 1);
            assert_int_equal(ay_rego_lexer_at(x.lx, i - 1)->kind, kinds[(i - 1) % 7]);
        }
    }
    /* The end: EOF at and past it, and far past it. */
    const struct ay_rego_tok *eof = ay_rego_lexer_at(x.lx, 1400);
    assert_int_equal(eof->kind, AY_TK_EOF);
    assert_int_equal(eof->line, 201);
    assert_int_equal(ay_rego_lexer_at(x.lx, 1401)->kind, AY_TK_EOF);
    assert_int_equal(ay_rego_lexer_at(x.lx, (size_t)-1)->kind, AY_TK_EOF);
    /* Released tokens (a misuse) read as EOF, and the held ones still read. */
    ay_rego_lexer_release(x.lx, 1399);
    assert_int_equal(ay_rego_lexer_at(x.lx, 3)->kind, AY_TK_EOF);
    assert_int_equal(ay_rego_lexer_at(x.lx, 1399)->kind, AY_TK_RBRACK);
    assert_string_equal(lex_err(&x), "");
    lex_close(&x);
    free(src);

    /* A lexing error in the middle of a block: the tokens before it, then EOF there. */
    char *bad = rules(20);
    size_t at = strlen(bad) - 4; /* in the last rule: "r19 := [1, 2]" */
    bad[at] = '~';
    lex_open(&x, bad, strlen(bad));
    size_t i = 0;
    while (ay_rego_lexer_at(x.lx, i)->kind != AY_TK_EOF) {
        i++;
    }
    assert_int_equal(i, 19 * 7 + 5);
    assert_int_equal(ay_rego_lexer_at(x.lx, i)->line, 20);
    assert_int_equal(ay_rego_lexer_at(x.lx, i)->col, 11);
    assert_int_equal(ay_rego_lexer_at(x.lx, i - 1)->kind, AY_TK_COMMA);
    assert_string_equal(lex_err(&x), "t.rego:20:11: illegal token");
    lex_close(&x);
    free(bad);
}

static void check_err(const char *src, const char *want)
{
    struct lexed x;
    lex_open(&x, src, strlen(src));
    for (size_t i = 0; ay_rego_lexer_at(x.lx, i)->kind != AY_TK_EOF; i++) {
    }
    const char *got = lex_err(&x);
    if (strcmp(got, want) != 0) {
        fail_msg("<<%s>>: error \"%s\", want \"%s\"", src, got, want);
    }
    lex_close(&x);
}

static void test_errors(void **state)
{
    (void)state;
    check_err("x := !\n", "t.rego:1:6: illegal token");
    check_err("x := !", "t.rego:1:6: illegal token");
    check_err("x := $\n", "t.rego:1:6: illegal token");
    check_err("x := $", "t.rego:1:6: illegal token");
    check_err("x := $y\n", "t.rego:1:6: illegal token");
    check_err("a\n  \f", "t.rego:2:3: illegal token");
    check_err("a\n  \xc3\xa9", "t.rego:2:3: illegal token");
    check_err("x := ~", "t.rego:1:6: illegal token");
    check_err("x := 1 ^ 2", "t.rego:1:8: illegal token");
    check_err("x := \"abc", "t.rego:1:6: non-terminated string");
    check_err("x := \"abc\n\"", "t.rego:1:6: non-terminated string");
    check_err("x := \"a\\", "t.rego:1:8: invalid escape in string");
    check_err("x := \"a\x01\"", "t.rego:1:8: control character in string");
    check_err("x := \"\\q\"", "t.rego:1:7: invalid escape in string");
    check_err("x := \"\\u12x4\"", "t.rego:1:9: invalid \\u escape in string");
    check_err("x := \"\\u12", "t.rego:1:9: invalid \\u escape in string");
    check_err("x := \"\\uD800\\uZZZZ\"", "t.rego:1:15: invalid \\u escape in string");
    check_err("x := \"\\uD800\\u\"", "t.rego:1:15: invalid \\u escape in string");
    check_err("x := `abc\n", "t.rego:2:1: non-terminated raw string");
    check_err("x := 1x", "t.rego:1:7: invalid number");
    check_err("x := 0123", "t.rego:1:10: invalid number: leading zero");
    check_err("x := $\"a{1}", "t.rego:1:12: non-terminated template string");
    check_err("x := $\"a\nb\"", "t.rego:1:9: non-terminated template string");
    check_err("\n\n  x := 1 @", "t.rego:3:10: illegal token");
    /* Nested too deep. */
    char deep[256];
    size_t w = 0;
    for (int i = 0; i < 17; i++) {
        w += (size_t)snprintf(deep + w, sizeof deep - w, "$\"{");
    }
    check_err(deep, "t.rego:1:49: template strings nested too deep");
}

/* The decoded value of the one string token in src. */
static void check_str(const char *src, const char *want, size_t want_len)
{
    struct lexed x;
    lex_open(&x, src, strlen(src));
    const struct ay_rego_tok *t = ay_rego_lexer_at(x.lx, 0);
    if (t->kind == AY_TK_TPL_BEGIN) {
        t = ay_rego_lexer_at(x.lx, 1);
        assert_int_equal(t->kind, AY_TK_TPL_TEXT);
    } else {
        assert_int_equal(t->kind, AY_TK_STRING);
    }
    if (t->val.len != want_len || memcmp(t->val.u.s, want, want_len) != 0) {
        fail_msg("<<%s>>: %u bytes, want %zu", src, t->val.len, want_len);
    }
    assert_string_equal(lex_err(&x), "");
    lex_close(&x);
}

#define STR(src, want) check_str(src, want, sizeof(want) - 1)
#define FFFD           "\xEF\xBF\xBD"

static void test_surrogates(void **state)
{
    (void)state;
    /* A pair joins. */
    STR("\"\\ud83d\\ude00\"", "\xF0\x9F\x98\x80");
    STR("\"\\uD800\\uDC00\"", "\xF0\x90\x80\x80");
    STR("\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF");
    /* A high surrogate before an escape that is no low surrogate is U+FFFD, and that escape
     * is read again on its own (Go's encoding/json, which OPA decodes "strings" with). */
    STR("\"\\uD800\\uD800\\uDC00\"", FFFD "\xF0\x90\x80\x80");
    STR("\"\\uD800\\u0041\"", FFFD "A");
    STR("\"\\uD800\\n\"", FFFD "\n");
    STR("\"\\uD800\\uD800\"", FFFD FFFD);
    STR("\"\\uD800\\uD800\\uD800\\uDC00x\"", FFFD FFFD "\xF0\x90\x80\x80x");
    /* Lone surrogates, at the end of a string and before other text. */
    STR("\"\\uD800\"", FFFD);
    STR("\"\\uDC00\"", FFFD);
    STR("\"a\\uDBFF\"", "a" FFFD);
    STR("\"\\uDFFFb\"", FFFD "b");
    STR("\"\\uD800x\\uDC00\"", FFFD "x" FFFD);
    /* A low surrogate first: no pair, each is U+FFFD. */
    STR("\"\\uDC00\\uD800\"", FFFD FFFD);
    /* Other escapes around them. */
    STR("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"", "\"\\/\b\f\n\r\t\xC3\xA9");
    /* Template text decodes the same way. */
    STR("$\"\\uD800\\uD800\\uDC00{1}\"", FFFD "\xF0\x90\x80\x80");
    STR("$\"\\uD800\"", FFFD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds_and_positions),
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_final_newline),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_surrogates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
