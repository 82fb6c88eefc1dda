/* SPDX-License-Identifier: Apache-2.0 */
/* The Rego compiler's name resolution and safety pass through the embedding API: which
 * unsafe variable is reported and where (OPA's order), shadowing by := and comprehensions,
 * `var assigned above`, query bindings, precomputed ground literals, rule and import refs,
 * builtin arities, `with` on functions, and rules large and deep enough to take the compiler's
 * scratch memory and name table past their first blocks. */
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

static ay_err compile(const char *src, struct ay_diag *d, struct ay_rego_policy **out)
{
    struct ay_rego_module_src m[2] = {{"t.rego", src, strlen(src)},
                                      {"lib.rego", "package lib\nh(x) := [x]\nk := 3\n", 0}};
    m[1].len = strlen(m[1].text);
    struct ay_rego_compile_opts o = {.syntax = AY_REGO_V1};
    ay_diag_clear(d);
    return ay_rego_compile(m, 2, &o, d, out);
}

/* The module must fail to compile with exactly this message. */
static void compile_err(const char *src, const char *want)
{
    struct ay_diag d;
    struct ay_rego_policy *p = NULL;
    ay_err e = compile(src, &d, &p);
    if (e != AY_ERR_POLICY_COMPILE || strcmp(ay_diag_message(&d), want) != 0) {
        fail_msg("<<%s>>: want %s, got %s: %s", src, want, ay_err_name(e), ay_diag_message(&d));
    }
    ay_rego_policy_release(p);
}

/* Compiles src and evaluates the query; the result set must be want. */
static void query(const char *src, const char *q, const char *want)
{
    struct ay_diag d;
    struct ay_rego_policy *p = NULL;
    if (compile(src, &d, &p) != AY_OK) {
        fail_msg("<<%.200s>>: %s", src, ay_diag_message(&d));
    }
    struct ay_rego_eval_opts o = {0};
    o.input_json = "{\"xs\": [[1, 2], [3, 4]], \"a\": [1, 2]}";
    o.input_len = strlen(o.input_json);
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1 << 20);
    ay_diag_clear(&d);
    ay_err e = ay_rego_eval_query(p, q, &o, &b, &d);
    if (e != AY_OK || strcmp(b.ptr, want) != 0) {
        fail_msg("%s: want %s, got %s %s %s", q, want, ay_err_name(e), b.ptr ? b.ptr : "",
                 ay_diag_message(&d));
    }
    ay_buf_free(&b);
    ay_rego_policy_release(p);
}

static void test_unsafe_order(void **state)
{
    (void)state;
    /* The first expression (in source order) that cannot be placed, and the first variable it
     * waits for; head variables after the body. */
    compile_err("package t\nr if {\n\tx > 1\n}\n",
                "t.rego:3:2: rego_unsafe_var_error: var x is unsafe");
    compile_err("package t\nr := y if {\n\tx := 1\n}\n",
                "t.rego:2:6: rego_unsafe_var_error: var y is unsafe");
    compile_err("package t\nr if {\n\ty := x\n\tz := w\n}\n",
                "t.rego:3:2: rego_unsafe_var_error: var x is unsafe");
    compile_err("package t\nr if {\n\tcount(x) > 0\n\tsome y in z\n}\n",
                "t.rego:3:2: rego_unsafe_var_error: var x is unsafe");
    /* A negation binds nothing. */
    compile_err("package t\nr if {\n\tnot input.a[x]\n}\n",
                "t.rego:3:2: rego_unsafe_var_error: var x is unsafe");
    /* Captures of comprehensions and every bodies. */
    compile_err("package t\nr := [v | v := x[_]] if {\n\ttrue\n}\n",
                "t.rego:2:11: rego_unsafe_var_error: var x is unsafe");
    compile_err("package t\nr if {\n\tevery v in input.a {\n\t\tv > y\n\t}\n}\n",
                "t.rego:4:3: rego_unsafe_var_error: var y is unsafe");
    compile_err("package t\nr if {\n\t[a, b] = [c, 1]\n}\n",
                "t.rego:3:2: rego_unsafe_var_error: var a is unsafe");
    compile_err("package t\nr if {\n\tx == 1 with input as y\n}\n",
                "t.rego:3:2: rego_unsafe_var_error: var x is unsafe");
    compile_err("package t\nr if {\n\tx := 1\n\tx := 2\n}\n",
                "t.rego:4:2: rego_compile_error: var x assigned above");
}

static void test_reorder(void **state)
{
    (void)state;
    /* `_ = z` waits for z, which the second expression binds; once z is bound it unifies
     * (an answer "waits for _" must not be kept once z is bound). */
    query("package t\ng(_) := 1 if {\n\t_ = z\n\t[b, a] = input.xs[z]\n}\n", "x := data.t.g(0)",
          "[{\"expressions\":[{\"value\":true,\"text\":\"x := data.t.g(0)\","
          "\"location\":{\"row\":1,\"col\":1}}],\"bindings\":{\"x\":1}}]");
    query("package t\nr contains [a, y] if {\n\ty := a + 1\n\ta := input.a[_]\n}\n",
          "x := data.t.r",
          "[{\"expressions\":[{\"value\":true,\"text\":\"x := data.t.r\","
          "\"location\":{\"row\":1,\"col\":1}}],\"bindings\":{\"x\":[[1,2],[2,3]]}}]");
    /* An inner x of the comprehension shadows the rule's x only inside it. */
    query("package t\nr := [x, y] if {\n\tx := 1\n\ty := [x | some x in [5, 6]]\n}\n",
          "data.t.r == [1, [5, 6]]",
          "[{\"expressions\":[{\"value\":true,\"text\":\"data.t.r == [1, [5, 6]]\","
          "\"location\":{\"row\":1,\"col\":1}}]}]");
}

static void test_query_bindings(void **state)
{
    (void)state;
    /* Only the query's own named variables are bindings (not _, not comprehension locals). */
    query("package t\n", "x := 1; y := [z | z := 2]; _ = 3",
          "[{\"expressions\":[{\"value\":true,\"text\":\"x := 1\","
          "\"location\":{\"row\":1,\"col\":1}},{\"value\":true,\"text\":\"y := [z | z := 2]\","
          "\"location\":{\"row\":1,\"col\":9}},{\"value\":true,\"text\":\"_ = 3\","
          "\"location\":{\"row\":1,\"col\":28}}],\"bindings\":{\"x\":1,\"y\":[2]}}]");
}

static void test_literals_refs_builtins(void **state)
{
    (void)state;
    /* Ground literals: objects sorted, sets de-duplicated; a duplicate key is an error. */
    query("package t\nr := {\"b\": 1, \"a\": [1, 2], \"s\": {3, 1, 3}, \"e\": [], \"o\": {}}\n",
          "x := data.t.r",
          "[{\"expressions\":[{\"value\":true,\"text\":\"x := data.t.r\","
          "\"location\":{\"row\":1,\"col\":1}}],\"bindings\":{\"x\":{\"a\":[1,2],\"b\":1,"
          "\"e\":[],\"o\":{},\"s\":[1,3]}}}]");
    compile_err("package t\nr := {\"a\": 1, \"a\": 2}\n",
                "t.rego:2:6: rego_type_error: duplicate key in object");
    /* Rule names of the package, imports, functions of another package; one builtin name at
     * two arities (the legacy output argument). */
    query("package a.b\nimport data.lib\nimport data.lib.k as kk\np := 1\n"
          "q := [p + 1, lib.h(p), kk] if {\n\tcount([1, 2], n)\n\tn == count([3, 4])\n}\n",
          "x := data.a.b.q",
          "[{\"expressions\":[{\"value\":true,\"text\":\"x := data.a.b.q\","
          "\"location\":{\"row\":1,\"col\":1}}],\"bindings\":{\"x\":[2,[1],3]}}]");
    compile_err("package t\nr if {\n\tnosuch(1)\n}\n",
                "t.rego:3:2: rego_type_error: undefined function nosuch");
    compile_err("package t\nr if {\n\tcount(1, 2, 3)\n}\n",
                "t.rego:3:2: rego_type_error: count: wrong number of arguments");
}

/* `with` on functions: the target and a replacing function are looked up by name (not as
 * variables), a local of that name is not a function. */
static void test_with_mocks(void **state)
{
    (void)state;
    const char *src = "package t\nimport data.lib\nf(x) := x + 1\ng(x) := x * 10\n"
                      "r1 := x if {\n\tx := f(1) with f as g\n}\n"
                      "r2 := x if {\n\tx := f(1) with f as 5\n}\n"
                      "r3 := x if {\n\tx := lib.h(2) with lib.h as f\n}\n"
                      "r4 := y if {\n\tf := 3\n\ty := f\n}\n";
    query(src, "x := [data.t.r1, data.t.r2, data.t.r3, data.t.r4]",
          "[{\"expressions\":[{\"value\":true,"
          "\"text\":\"x := [data.t.r1, data.t.r2, data.t.r3, data.t.r4]\","
          "\"location\":{\"row\":1,\"col\":1}}],\"bindings\":{\"x\":[10,5,3,3]}}]");
    compile_err("package t\nr if {\n\ttrue with nosuch as 2\n}\n",
                "t.rego:3:12: rego_compile_error: with target nosuch must be input, data or a "
                "function");
}

/* A rule with n chained variables, declared in reverse order: the safety pass has to reorder
 * all of them (the last expression first, and so on). */
static char *chain(size_t n)
{
    size_t cap = n * 40 + 100;
    char *src = malloc(cap);
    assert_non_null(src);
    size_t w = (size_t)snprintf(src, cap, "package t\nr := v%zu if {\n", n - 1);
    for (size_t i = n - 1; i > 0; i--) {
        w += (size_t)snprintf(src + w, cap - w, "\tv%zu = v%zu + 1\n", i, i - 1);
    }
    w += (size_t)snprintf(src + w, cap - w, "\tv0 = 0\n}\n");
    assert_true(w < cap);
    return src;
}

/* Rules past the first scratch block and name table sizes. */
static void test_many_variables(void **state)
{
    (void)state;
    char *src = chain(100);
    query(src, "data.t.r == 99",
          "[{\"expressions\":[{\"value\":true,\"text\":\"data.t.r == 99\","
          "\"location\":{\"row\":1,\"col\":1}}]}]");
    free(src);
    /* 3000 expressions are too deep for an evaluation: compiled only. */
    size_t n = 3000;
    src = chain(n);
    struct ay_diag d;
    struct ay_rego_policy *p = NULL;
    if (compile(src, &d, &p) != AY_OK) {
        fail_msg("%s", ay_diag_message(&d));
    }
    ay_rego_policy_release(p);
    free(src);
    size_t cap = n * 40 + 100;
    src = malloc(cap);
    assert_non_null(src);
    size_t w;
    /* The last expression waits for an undeclared one. */
    w = (size_t)snprintf(src, cap, "package t\nr if {\n");
    for (size_t i = 0; i < n; i++) {
        w += (size_t)snprintf(src + w, cap - w, "\tv%zu := %zu\n", i, i);
    }
    w += (size_t)snprintf(src + w, cap - w, "\tv%zu == nope\n}\n", n - 1);
    char want[128];
    snprintf(want, sizeof want, "t.rego:%zu:2: rego_unsafe_var_error: var nope is unsafe", n + 3);
    compile_err(src, want);
    free(src);
}

/* Comprehensions nested 30 deep, each capturing the variable of the level above: every level
 * takes its own copy of the bound set (the scratch stack grows and is rewound). */
static void test_deep_nesting(void **state)
{
    (void)state;
    size_t depth = 30;
    size_t cap = depth * 64 + 100;
    char *src = malloc(cap);
    assert_non_null(src);
    size_t w = (size_t)snprintf(src, cap, "package t\nr := x0 if {\n\ty0 := 1\n\tx0 := ");
    for (size_t i = 1; i <= depth; i++) {
        w += (size_t)snprintf(src + w, cap - w, "[x%zu | y%zu := y%zu + 1; x%zu := ", i, i, i - 1,
                              i);
    }
    w += (size_t)snprintf(src + w, cap - w, "y%zu", depth);
    for (size_t i = 1; i <= depth; i++) {
        w += (size_t)snprintf(src + w, cap - w, "]");
    }
    w += (size_t)snprintf(src + w, cap - w, "\n}\n");
    assert_true(w < cap);
    char q[64];
    snprintf(q, sizeof q, "x := data.t.r");
    char *want = malloc(cap);
    assert_non_null(want);
    size_t k = (size_t)snprintf(want, cap,
                                "[{\"expressions\":[{\"value\":true,\"text\":\"x := data.t.r\","
                                "\"location\":{\"row\":1,\"col\":1}}],\"bindings\":{\"x\":");
    for (size_t i = 0; i < depth - 1; i++) {
        k += (size_t)snprintf(want + k, cap - k, "[");
    }
    k += (size_t)snprintf(want + k, cap - k, "[%zu]", depth + 1);
    for (size_t i = 0; i < depth - 1; i++) {
        k += (size_t)snprintf(want + k, cap - k, "]");
    }
    snprintf(want + k, cap - k, "}}]");
    query(src, q, want);
    /* The innermost level captures a variable nobody binds. */
    char *at = strstr(src, "x30 := y30");
    assert_non_null(at);
    memcpy(at, "x30 := zz0", 10);
    compile_err(src, "t.rego:4:864: rego_unsafe_var_error: var zz0 is unsafe");
    free(want);
    free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unsafe_order),
        cmocka_unit_test(test_reorder),
        cmocka_unit_test(test_query_bindings),
        cmocka_unit_test(test_literals_refs_builtins),
        cmocka_unit_test(test_with_mocks),
        cmocka_unit_test(test_many_variables),
        cmocka_unit_test(test_deep_nesting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
