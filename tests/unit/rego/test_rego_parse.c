/* SPDX-License-Identifier: Apache-2.0 */
/* Rego lexer, parser and compiler errors: positions "name:line:col", v0/v1 syntax, nesting
 * limit at the limit and one past it, safety ("var x is unsafe"), unknown builtins and
 * conflicting rule kinds; and that the accepted grammar covers the constructs policies use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_limits.h"
#include "rego/rego.h"

static ay_err compile_s(const char *src, enum ay_rego_syntax syn, struct ay_diag *d)
{
    struct ay_rego_module_src m = {"p.rego", src, strlen(src)};
    struct ay_rego_compile_opts o = {.syntax = syn, .host = NULL};
    struct ay_rego_policy *p = NULL;
    ay_diag_clear(d);
    ay_err e = ay_rego_compile(&m, 1, &o, d, &p);
    ay_rego_policy_release(p);
    return e;
}

static void expect_error(const char *src, const char *msg)
{
    struct ay_diag d;
    ay_err e = compile_s(src, AY_REGO_V1, &d);
    if (e == AY_OK || strstr(ay_diag_message(&d), msg) == NULL) {
        fail_msg("policy <<%s>>: want error containing \"%s\", got %s: %s", src, msg,
                 ay_err_name(e), ay_diag_message(&d));
    }
}

static void expect_ok(const char *src, enum ay_rego_syntax syn)
{
    struct ay_diag d;
    ay_err e = compile_s(src, syn, &d);
    if (e != AY_OK) {
        fail_msg("policy <<%s>>: %s", src, ay_diag_message(&d));
    }
}

static void test_positions(void **state)
{
    (void)state;
    expect_error("package x\n\np := 1 +", "p.rego:3:9:");
    expect_error("package x\np := \"abc", "p.rego:2:6: non-terminated string");
    expect_error("package x\np := 1 ~ 2", "p.rego:2:8: illegal token");
    expect_error("p := 1", "p.rego:1:1: expected package");
    expect_error("package x\np := [1, 2", "p.rego:2:11:");
    expect_error("package x\np := \"\\q\"", "invalid escape");
    expect_error("package x\np := 01", "leading zero");
    expect_error("package x\np { true }", "`if` keyword is required");
    expect_error("package x\np := 1\nimport data.y", "imports must come before rules");
    expect_error("package x\nimport foo.bar", "invalid import path");
}

static void test_compile_errors(void **state)
{
    (void)state;
    expect_error("package x\np if { y := x1 }", "var x1 is unsafe");
    expect_error("package x\np if { not q[z] }\nq contains 1", "p.rego:2");
    expect_error("package x\np if { x := 1; x := 2 }", "var x assigned above");
    expect_error("package x\np := nosuch.fn(1)", "undefined function nosuch.fn");
    expect_error("package x\np := count(1, 2, 3)", "count");
    expect_error("package x\np := 1\np contains 2", "conflicting rule types");
    expect_error("package x\ndefault p := 1\ndefault p := 2", "multiple default rules");
    expect_error("package x\np := y", "var y is unsafe");
    expect_error("package x\np := [x | true]", "var x is unsafe");
}

static void test_grammar(void **state)
{
    (void)state;
    expect_ok("package a.b[\"c\"]\nimport rego.v1\nimport data.q as z\nimport input.x\n"
              "default allow := false\n"
              "allow if { some i; input.xs[i] == 1 }\n"
              "allow if input.y in {1, 2}\n"
              "s contains v if { some v in input.xs }\n"
              "o[k] := v if { some k, v in input.obj }\n"
              "a.b.c := 1\n"
              "f(x) := x + 1\nf2(x, y) := x * y if x > 0\n"
              "g(x) := 1 if x == 1 else := 2 if x == 2 else := 3\n"
              "r := [x | x := input.xs[_]; x > 1]\n"
              "t := {k: v | some k, v in input.obj}\n"
              "u := {x | some x in input.xs}\n"
              "e if { every k, v in input.obj { v > k } }\n"
              "n if { not input.q; x := -1; y := - x; y == 1 }\n"
              "w if { input.q with input as {\"q\": true} }\n"
              "raw := `a\\b`\nemp := set()\nnested := [[1], {\"a\": {1}}]\n"
              "prec if 1 + 2 * 3 == 7 - 0 / 1\n"
              "m if { [a, {\"k\": b}] = [1, {\"k\": 2}]; a < b; x := input.r.s[0].t }\n"
              "bits := {1, 2} | {3} & {3}\n"
              "mem if { 1, 2 in {1: 2} }\n"
              "# comment at the end\n",
              AY_REGO_V1);
    /* v0: bodies without if, partial sets with brackets, keywords by import */
    expect_ok("package v\np { true }\nq[x] { x := 1 }\nr = 1 { true } else = 2 { true }\n",
              AY_REGO_V0);
    expect_ok("package v\nimport future.keywords.in\np { 1 in [1] }\n", AY_REGO_V0);
    expect_ok("package v\nimport rego.v1\np if { 1 in [1] }\n", AY_REGO_V0);
}

/* Nesting: AY_LIMIT_REGO_DEPTH levels of parentheses around a literal. */
static void test_depth_limit(void **state)
{
    (void)state;
    for (size_t extra = 0; extra < 2; extra++) {
        size_t depth = AY_LIMIT_REGO_DEPTH / 2 - 4 + extra * AY_LIMIT_REGO_DEPTH;
        size_t n = 32 + depth * 2;
        char *s = malloc(n);
        assert_non_null(s);
        size_t w = (size_t)snprintf(s, n, "package x\np := ");
        for (size_t i = 0; i < depth; i++) {
            s[w++] = '[';
        }
        for (size_t i = 0; i < depth; i++) {
            s[w++] = ']';
        }
        s[w] = '\0';
        struct ay_diag d;
        ay_err e = compile_s(s, AY_REGO_V1, &d);
        if (extra == 0) {
            assert_int_equal(e, AY_OK);
        } else {
            assert_int_equal(e, AY_ERR_LIMIT);
            assert_non_null(strstr(ay_diag_message(&d), "nesting"));
        }
        free(s);
    }
}

static void test_truncations(void **state)
{
    (void)state;
    /* Every prefix of a valid policy either compiles or fails cleanly with a message. */
    const char *src = "package x\nimport rego.v1\np contains v if { some v in input.a; v > 1 }\n"
                      "q := {\"k\": [1, 2.5, `r`]} if { not input.b }\n";
    size_t n = strlen(src);
    for (size_t i = 0; i <= n; i++) {
        char *s = malloc(i + 1);
        assert_non_null(s);
        memcpy(s, src, i);
        s[i] = '\0';
        struct ay_diag d;
        ay_err e = compile_s(s, AY_REGO_V1, &d);
        if (e != AY_OK) {
            assert_int_not_equal(d.code, AY_OK);
        }
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions),   cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_grammar),     cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_truncations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
