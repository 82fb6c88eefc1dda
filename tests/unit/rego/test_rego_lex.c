/* SPDX-License-Identifier: Apache-2.0 */
/* The on-demand lexer (issue 3): tokens are lexed as the parser asks and dropped rule by rule,
 * so these check what that must not change. A lexing error anywhere in a module is what the
 * module is rejected for, even when the parser fails earlier; rules longer than a token block
 * and modules of many blocks parse and evaluate; the string fast path (no escapes) and the
 * escape path give the same values; template strings, queries and positions still work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_buf.h"
#include "rego/rego.h"

static ay_err compile_s(const char *src, struct ay_diag *d, struct ay_rego_policy **out)
{
    struct ay_rego_module_src m = {"p.rego", src, strlen(src)};
    struct ay_rego_compile_opts o = {.syntax = AY_REGO_V1, .host = NULL};
    ay_diag_clear(d);
    *out = NULL;
    return ay_rego_compile(&m, 1, &o, d, out);
}

static void expect_error(const char *src, const char *msg)
{
    struct ay_diag d;
    struct ay_rego_policy *p = NULL;
    ay_err e = compile_s(src, &d, &p);
    ay_rego_policy_release(p);
    if (e == AY_OK || strstr(ay_diag_message(&d), msg) == NULL) {
        fail_msg("policy <<%.200s>>: want error containing \"%s\", got %s: %s", src, msg,
                 ay_err_name(e), ay_diag_message(&d));
    }
}

/* Compiles src and evaluates the rule at path; returns its JSON (static buffer). */
static const char *eval_rule(const char *src, const char *path)
{
    static char res[4096];
    struct ay_diag d;
    struct ay_rego_policy *p = NULL;
    if (compile_s(src, &d, &p) != AY_OK) {
        fail_msg("compile: %s", ay_diag_message(&d));
    }
    struct ay_buf out;
    ay_buf_init(&out, NULL, 1 << 20);
    struct ay_rego_eval_opts eo = {0};
    bool defined = false;
    ay_diag_clear(&d);
    if (ay_rego_eval_rule(p, path, &eo, &out, &defined, &d) != AY_OK) {
        fail_msg("eval %s: %s", path, ay_diag_message(&d));
    }
    (void)snprintf(res, sizeof res, "%s", defined && out.ptr != NULL ? out.ptr : "undefined");
    ay_buf_free(&out);
    ay_rego_policy_release(p);
    return res;
}

static void test_lex_error_wins(void **state)
{
    (void)state;
    /* The parser fails on line 2 before the lexer reaches the bad escape on line 4: the
     * module is still rejected for the escape, as when modules were lexed whole first. */
    expect_error("package x\np := [1, 2\nq := 1\nr := \"\\q\"\n", "p.rego:4:7: invalid escape");
    expect_error("package x\np := ) \ns := `raw\n", "p.rego:4:1: non-terminated raw string");
    expect_error("package x\np := ( \nt := 1 ~ 2\n", "p.rego:3:8: illegal token");
    /* Without a lexing error the parser's error stands. */
    expect_error("package x\np := [1, 2\nq := 1\n", "p.rego:3:");
    /* A lexing error right after a complete rule (the parser alone would accept the module). */
    expect_error("package x\np := 1\n\"\\x\"", "p.rego:3:2: invalid escape");
    expect_error("package x\np := 1\nq := 0x1", "p.rego:3:7: invalid number");
}

/* n rules; rule i is `r<i> := sum([1, 2, ..., k])` (2k + 6 tokens). */
static char *many_rules(size_t n, size_t k)
{
    size_t cap = 64 + n * (k * 8 + 32);
    char *s = malloc(cap);
    assert_non_null(s);
    size_t w = (size_t)snprintf(s, cap, "package big\n");
    for (size_t i = 0; i < n; i++) {
        w += (size_t)snprintf(s + w, cap - w, "r%zu := sum([", i);
        for (size_t j = 1; j <= k; j++) {
            w += (size_t)snprintf(s + w, cap - w, j < k ? "%zu, " : "%zu])\n", j);
        }
    }
    return s;
}

static void test_blocks(void **state)
{
    (void)state;
    /* One rule of about 1,200 tokens: it spans several token blocks, all kept while it parses. */
    char *one = many_rules(1, 600);
    assert_string_equal(eval_rule(one, "data.big.r0"), "180300");
    free(one);
    /* 400 rules of 46 tokens: blocks are released and reused rule after rule. */
    char *lots = many_rules(400, 20);
    assert_string_equal(eval_rule(lots, "data.big.r0"), "210");
    assert_string_equal(eval_rule(lots, "data.big.r399"), "210");
    free(lots);
    /* A lexing error deep in a long module keeps its position. */
    char *bad = many_rules(300, 20);
    size_t len = strlen(bad);
    char *tail = malloc(len + 32);
    assert_non_null(tail);
    (void)snprintf(tail, len + 32, "%sz := \"\\q\"\n", bad);
    expect_error(tail, "p.rego:302:7: invalid escape");
    free(tail);
    free(bad);
}

static void test_strings(void **state)
{
    (void)state;
    /* Fast path (no escapes) and escape path give the same values. */
    assert_string_equal(eval_rule("package s\np := \"abc\"", "data.s.p"), "\"abc\"");
    assert_string_equal(eval_rule("package s\np := \"\"", "data.s.p"), "\"\"");
    assert_string_equal(eval_rule("package s\np := \"a\\\"b\"", "data.s.p"), "\"a\\\"b\"");
    assert_string_equal(eval_rule("package s\np := \"\xc3\xa9\" == \"\\u00e9\"", "data.s.p"),
                        "true");
    assert_string_equal(eval_rule("package s\np := count(\"\\ud83d\\ude00x\")", "data.s.p"), "2");
    assert_string_equal(eval_rule("package s\np := \"a\\nb\"", "data.s.p"), "\"a\\nb\"");
    assert_string_equal(eval_rule("package s\np := `a\\nb`", "data.s.p"), "\"a\\\\nb\"");
    /* Errors on both paths. */
    expect_error("package s\np := \"tab\there\"", "control character in string");
    expect_error("package s\np := \"abc", "p.rego:2:6: non-terminated string");
    expect_error("package s\np := \"abc\ndef\"", "p.rego:2:6: non-terminated string");
    expect_error("package s\np := \"a\\u12\"", "invalid \\u escape");
}

static void test_templates_and_queries(void **state)
{
    (void)state;
    assert_string_equal(eval_rule("package t\nx := 2\np := $\"a{x}b{[1, 2][0]}c\"", "data.t.p"),
                        "\"a2b1c\"");
    expect_error("package t\np := $\"a{1}", "non-terminated template string");
    /* Queries go through the same lexer. */
    struct ay_diag d;
    struct ay_rego_policy *p = NULL;
    assert_int_equal(compile_s("package q\nv := 3", &d, &p), AY_OK);
    struct ay_buf out;
    ay_buf_init(&out, NULL, 1 << 20);
    struct ay_rego_eval_opts eo = {0};
    ay_diag_clear(&d);
    assert_int_equal(ay_rego_eval_query(p, "x := data.q.v; y := x * 2", &eo, &out, &d), AY_OK);
    assert_non_null(strstr(out.ptr, "\"y\":6"));
    ay_buf_reset(&out);
    ay_diag_clear(&d);
    assert_int_not_equal(ay_rego_eval_query(p, "x := (1 + ; y := \"\\q\"", &eo, &out, &d), AY_OK);
    assert_non_null(strstr(ay_diag_message(&d), "invalid escape"));
    ay_buf_free(&out);
    ay_rego_policy_release(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lex_error_wins),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_templates_and_queries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
