/* SPDX-License-Identifier: Apache-2.0 */
/* Rego evaluation semantics through the embedding API (REGO.md 2.1): undefined vs false vs error,
 * `in` on non-collections, the total order in comparisons, conflicts, default/else, not, some,
 * every, with, comprehensions, functions, partial rules and ref heads, builtin errors (undefined
 * unless strict), host builtins, print, the step budget, query result sets, and concurrent use
 * of one compiled policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "base/base_buf.h"
#include "rego/rego.h"

static struct ay_rego_policy *compile_ok(const char *src, const struct ay_rego_builtins *host)
{
    struct ay_rego_module_src m = {"t.rego", src, strlen(src)};
    struct ay_rego_compile_opts o = {.syntax = AY_REGO_V1, .host = host};
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_rego_policy *p = NULL;
    ay_err e = ay_rego_compile(&m, 1, &o, &d, &p);
    if (e != AY_OK) {
        fail_msg("compile: %s", ay_diag_message(&d));
    }
    return p;
}

/* Evaluates rule path; returns a static string: JSON, "undefined", or "ERR:<code>:<msg>". */
static const char *rule(const struct ay_rego_policy *p, const char *path, const char *input,
                        bool strict)
{
    static char res[4096];
    struct ay_rego_eval_opts o = {0};
    o.input_json = input;
    o.input_len = input ? strlen(input) : 0;
    o.strict_builtin_errors = strict;
    o.max_steps = 100000;
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1 << 20);
    struct ay_diag d;
    ay_diag_clear(&d);
    bool def = false;
    ay_err e = ay_rego_eval_rule(p, path, &o, &b, &def, &d);
    if (e != AY_OK) {
        snprintf(res, sizeof res, "ERR:%s:%s", ay_err_name(e), ay_diag_message(&d));
    } else {
        snprintf(res, sizeof res, "%s", def ? b.ptr : "undefined");
    }
    ay_buf_free(&b);
    return res;
}

static void check(const char *src, const char *path, const char *input, const char *want)
{
    struct ay_rego_policy *p = compile_ok(src, NULL);
    const char *got = rule(p, path, input, false);
    if (strncmp(want, "ERR:", 4) == 0 ? strstr(got, want + 4) == NULL || strncmp(got, "ERR:", 4)
                                     : strcmp(got, want) != 0) {
        fail_msg("policy <<%s>> %s: want %s got %s", src, path, want, got);
    }
    ay_rego_policy_release(p);
}

static void test_truthiness_and_undefined(void **state)
{
    (void)state;
    const char *src = "package t\n"
                      "a if input.x\n"
                      "b if input.nope\n"
                      "c := input.x == false\n"
                      "d if not input.x\n"
                      "e if not input.nope\n"
                      "default f := 7\nf := 1 if input.nope\n";
    check(src, "data.t.a", "{\"x\": false}", "undefined");
    check(src, "data.t.a", "{\"x\": 0}", "true");
    check(src, "data.t.b", "{}", "undefined");
    check(src, "data.t.c", "{\"x\": false}", "true");
    check(src, "data.t.d", "{\"x\": false}", "true");
    check(src, "data.t.e", "{}", "true");
    check(src, "data.t.f", "{}", "7");
    check(src, "data.t.f", NULL, "7");
    check(src, "data.t.zzz", "{}", "ERR:NOT_FOUND");
    check(src, "data.t", "{\"x\": 1}",
          "{\"a\":true,\"c\":false,\"e\":true,\"f\":7}");
}

static void test_in_and_order(void **state)
{
    (void)state;
    /* REGO.md 2.1 items 1 and 2 */
    const char *src = "package t\n"
                      "a := 1 in null\nb := not_in\nnot_in if not 1 in null\n"
                      "c := 2 <= \"1\"\nd := 1 == 1.0\ne := {\"k\": 5} == {\"k\": 5.0}\n"
                      "f := 3 in {\"a\": 3}\ng := \"a\" in {\"a\": 3}\n"
                      "h if { 1, 2 in [0, 2] }\n"
                      "i := [1, 2] < [1, 3]\nj := null < false\n";
    check(src, "data.t.a", NULL, "false");
    check(src, "data.t.b", NULL, "true");
    check(src, "data.t.c", NULL, "true");
    check(src, "data.t.d", NULL, "true");
    check(src, "data.t.e", NULL, "true");
    check(src, "data.t.f", NULL, "true");
    check(src, "data.t.g", NULL, "false");
    check(src, "data.t.h", NULL, "true");
    check(src, "data.t.i", NULL, "true");
    check(src, "data.t.j", NULL, "true");
}

static void test_conflicts_default_else(void **state)
{
    (void)state;
    const char *src = "package t\n"
                      "p := 1 if input.a\np := 2 if input.b\n"
                      "default q := 0\nq := 1 if input.a\nq := 1 if input.b\n"
                      "r := 1 if input.a else := 2 if input.b else := 3\n"
                      "o[k] := v if { some k, v in input.m }\no[input.kk] := 9 if input.a\n"
                      "f(x) := 1 if x > 0\nf(x) := 2 if x > 1\ns := f(input.n)\n";
    check(src, "data.t.p", "{\"a\": true}", "1");
    check(src, "data.t.p", "{\"a\": true, \"b\": true}",
          "ERR:complete rules must not produce multiple outputs");
    check(src, "data.t.q", "{\"a\": true, \"b\": true}", "1");
    check(src, "data.t.q", "{}", "0");
    check(src, "data.t.r", "{\"a\": true}", "1");
    check(src, "data.t.r", "{\"b\": true}", "2");
    check(src, "data.t.r", "{}", "3");
    check(src, "data.t.o", "{\"m\": {\"y\": 1}}", "{\"y\":1}");
    check(src, "data.t.o", "{\"a\": 1, \"kk\": \"x\", \"m\": {\"x\": 1}}",
          "ERR:object keys must be unique");
    check(src, "data.t.s", "{\"n\": 1}", "1");
    check(src, "data.t.s", "{\"n\": 2}",
          "ERR:functions must not produce multiple outputs for same inputs");
}

static void test_iteration(void **state)
{
    (void)state;
    const char *src = "package t\n"
                      "xs := [x | some x in input.a; x > 1]\n"
                      "ks := {k | input.o[k]}\n"
                      "kv := {v: k | some k, v in input.o}\n"
                      "s contains x if { x := input.a[_] * 10 }\n"
                      "all_pos if { every x in input.a { x > 0 } }\n"
                      "pairs := [[i, j] | some i, j in input.a; j >= 2]\n"
                      "u if { [v1, {\"k\": v2}] = [1, {\"k\": input.a[0]}]; v1 == v2 }\n"
                      "nested := [y | y := input.n[_].v[_]]\n"
                      "a.b.c := 5\n"
                      "w := y if { y := q with input.a as [9] }\nq := input.a[0]\n";
    const char *in = "{\"a\": [1, 2, 3], \"o\": {\"p\": 1, \"q\": 0}, "
                     "\"n\": [{\"v\": [1]}, {\"v\": [2, 3]}]}";
    check(src, "data.t.xs", in, "[2,3]");
    check(src, "data.t.ks", in, "[\"p\",\"q\"]");
    check(src, "data.t.kv", in, "{\"0\":\"q\",\"1\":\"p\"}");
    check(src, "data.t.s", in, "[10,20,30]");
    check(src, "data.t.all_pos", in, "true");
    check(src, "data.t.all_pos", "{\"a\": [1, -1]}", "undefined");
    check(src, "data.t.all_pos", "{\"a\": []}", "true");
    check(src, "data.t.pairs", in, "[[1,2],[2,3]]");
    check(src, "data.t.u", in, "true");
    check(src, "data.t.nested", in, "[1,2,3]");
    check(src, "data.t.a.b", in, "{\"c\":5}");
    check(src, "data.t.w", in, "9");
    check(src, "data.t.q", in, "1");
}

static void test_ref_heads_and_mocks(void **state)
{
    (void)state;
    const char *src = "package t\n"
                      "p[q].r := n if { some q, n in input.m }\n"
                      "p.z.r := 9\n"
                      "s[k] contains v if { some k, vs in input.g; some v in vs }\n"
                      "s.extra contains \"e\"\n"
                      "f(x) := x + 1\n"
                      "g(x) := x * 10\n"
                      "mocked := y if { y := f(1) with f as g }\n"
                      "mockv := y if { y := count([1, 2]) with count as 7 }\n"
                      "kin := (1, \"b\" in [\"a\", \"b\"])\n"
                      "as.foo := 3\n"
                      "kw := as.foo\n"
                      "c := contains(\"abc\", \"b\")\n";
    const char *in = "{\"m\": {\"a\": 1, \"b\": 2}, \"g\": {\"x\": [1, 2], \"y\": [3]}}";
    check(src, "data.t.p", in, "{\"a\":{\"r\":1},\"b\":{\"r\":2},\"z\":{\"r\":9}}");
    check(src, "data.t.p.b.r", in, "2");
    check(src, "data.t.s", in, "{\"extra\":[\"e\"],\"x\":[1,2],\"y\":[3]}");
    check(src, "data.t.mocked", in, "10");
    check(src, "data.t.mockv", in, "7");
    check(src, "data.t.kin", in, "true");
    check(src, "data.t.kw", in, "3");
    check(src, "data.t.c", in, "true");
    check(src, "data.t.p", "{\"m\": {\"z\": 1}}", "ERR:object keys must be unique");
}

static void test_builtin_errors(void **state)
{
    (void)state;
    struct ay_rego_policy *p =
        compile_ok("package t\nx := 1 / 0\ny := 1 + \"a\"\nz := 7 % 2\n", NULL);
    assert_string_equal(rule(p, "data.t.x", NULL, false), "undefined");
    assert_non_null(strstr(rule(p, "data.t.x", NULL, true), "divide by zero"));
    assert_non_null(strstr(rule(p, "data.t.y", NULL, true), "operand 2 must be number"));
    assert_string_equal(rule(p, "data.t.z", NULL, false), "1");
    ay_rego_policy_release(p);
}

/* Type errors are eval_type_error (ay_rego_bi_type_fail), other builtin errors
 * eval_builtin_error; non-deterministic builtins give one value per arguments. */
static void test_builtin_error_codes(void **state)
{
    (void)state;
    struct ay_rego_policy *p = compile_ok(
        "package t\nx := 1 / 0\ny := 1 + \"a\"\n"
        "u := uuid.rfc4122(\"k\") == uuid.rfc4122(\"k\")\n", NULL);
    const char *got = rule(p, "data.t.x", NULL, true);
    assert_non_null(strstr(got, "eval_builtin_error"));
    got = rule(p, "data.t.y", NULL, true);
    assert_non_null(strstr(got, "eval_type_error"));
    assert_string_equal(rule(p, "data.t.u", NULL, false), "true");
    ay_rego_policy_release(p);
}

/* `with`: rule values are not reused across scopes; data overrides stack and reach below
 * packages and rules. */
static void test_with_scopes(void **state)
{
    (void)state;
    const char *src = "package t\n"
                      "lb := input\n"
                      "p if { lb with input as true; lb == false with input as false }\n"
                      "r := data.test\n"
                      "q := x if { r = x with data.test.a.c as 2 }\n"
                      "s := x if { q = x with data.test.a.b as 1 }\n"
                      "fp := foo if { some foo; foo == input.foos[foo] }\n"
                      "d := data[2]\n";
    check(src, "data.t.p", NULL, "true");
    check(src, "data.t.s", NULL, "{\"a\":{\"b\":1,\"c\":2}}");
    check(src, "data.t.fp", "{\"foos\": [2, 1, 0]}", "1");
}

/* Template strings and keywords used as ref heads. */
static void test_templates_and_keyword_refs(void **state)
{
    (void)state;
    const char *src = "package t\n"
                      "a := \"foo\"\n"
                      "p := $\"{a} {[1, \"x\"]} {set()} {input.nope} \\{x} {$\"<{1 + 1}>\"}\"\n"
                      "m := $`a\n{a}`\n"
                      "not.foo := 1\n"
                      "k if { not.foo == 1; true.f(1) == 2 }\n"
                      "true.f(x) := x + 1\n";
    check(src, "data.t.p", "{}", "\"foo [1, \\\"x\\\"] set() <undefined> {x} <2>\"");
    check(src, "data.t.m", NULL, "\"a\\nfoo\"");
    check(src, "data.t.k", NULL, "true");
}

static ay_err rv(void *arg, const char *const *args, size_t n, struct ay_buf *out,
                 struct ay_diag *d)
{
    (void)arg;
    (void)d;
    assert_int_equal(n, 1);
    if (strcmp(args[0], "\"svn\"") == 0) {
        ay_buf_puts(out, "[\"1\", 12345678901234567890]");
        return AY_OK;
    }
    if (strcmp(args[0], "\"none\"") == 0) {
        return AY_ERR_NOT_FOUND;
    }
    ay_buf_puts(out, "null");
    return AY_OK;
}

static void test_host_builtin(void **state)
{
    (void)state;
    struct ay_rego_builtins *b;
    ay_rego_builtins_new(&b);
    assert_int_equal(ay_rego_builtins_add(b, "query_reference_value", 1, rv, NULL), AY_OK);
    struct ay_rego_policy *p =
        compile_ok("package t\na if input.s in query_reference_value(\"svn\")\n"
                   "b if input.s in query_reference_value(\"missing\")\n"
                   "c := query_reference_value(\"none\")\n"
                   "big := query_reference_value(\"svn\")[1]\n",
                   b);
    assert_string_equal(rule(p, "data.t.a", "{\"s\": \"1\"}", false), "true");
    assert_string_equal(rule(p, "data.t.b", "{\"s\": \"1\"}", false), "undefined");
    assert_string_equal(rule(p, "data.t.c", NULL, false), "undefined");
    assert_string_equal(rule(p, "data.t.big", NULL, false), "12345678901234567890");
    ay_rego_policy_release(p);
    ay_rego_builtins_free(b);
}

/* Several rules in one evaluation: absent paths, undefined rules, shared rule values, and an
 * error that names its rule. */
static void test_eval_rules(void **state)
{
    (void)state;
    struct ay_rego_policy *p = compile_ok("package t\n"
                                          "n := count(input.xs)\n"
                                          "twice := n * 2\n"
                                          "u if input.nope\n"
                                          "bad := 1 / input.zero\n",
                                          NULL);
    struct ay_buf b[4];
    for (size_t i = 0; i < 4; i++) {
        ay_buf_init(&b[i], NULL, 1 << 16);
    }
    struct ay_rego_rule_result r[4] = {{.path = "data.t.n", .out = &b[0]},
                                       {.path = "data.t.twice", .out = &b[1]},
                                       {.path = "data.t.u", .out = &b[2]},
                                       {.path = "data.t.absent", .out = &b[3]}};
    const char *in = "{\"xs\": [1, 2, 3], \"zero\": 0}";
    struct ay_rego_eval_opts o = {.input_json = in, .input_len = strlen(in)};
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_rego_eval_rules(p, r, 4, &o, &d), AY_OK);
    assert_true(r[0].exists && r[0].defined);
    assert_string_equal(b[0].ptr, "3");
    assert_true(r[1].exists && r[1].defined);
    assert_string_equal(b[1].ptr, "6");
    assert_true(r[2].exists && !r[2].defined);
    assert_true(!r[3].exists && !r[3].defined);
    assert_null(b[3].ptr);
    /* Strict: a builtin error stops the evaluation and diag says which rule. */
    o.strict_builtin_errors = true;
    struct ay_rego_rule_result r2[2] = {{.path = "data.t.n", .out = &b[0]},
                                        {.path = "data.t.bad", .out = &b[1]}};
    ay_diag_clear(&d);
    assert_int_not_equal(ay_rego_eval_rules(p, r2, 2, &o, &d), AY_OK);
    assert_non_null(strstr(ay_diag_message(&d), "data.t.bad"));
    assert_non_null(strstr(ay_diag_message(&d), "divide by zero"));
    for (size_t i = 0; i < 4; i++) {
        ay_buf_free(&b[i]);
    }
    /* The one-rule form keeps its NOT_FOUND for a path that names nothing. */
    assert_string_equal(rule(p, "data.t.absent", NULL, false),
                        "ERR:NOT_FOUND:rego: data.t.absent is not a valid rule path");
    ay_rego_policy_release(p);
}

/* borrow_text: the policy points into the caller's text (no copy); freed after the policy. */
static void test_borrow_text(void **state)
{
    (void)state;
    static const char src[] = "package t\nx := concat(\"-\", [\"a\", input.b])\n";
    char *text = malloc(sizeof src - 1); /* not NUL-terminated: len is what counts */
    assert_non_null(text);
    memcpy(text, src, sizeof src - 1);
    struct ay_rego_module_src m = {"t.rego", text, sizeof src - 1};
    struct ay_rego_compile_opts o = {.syntax = AY_REGO_V1, .borrow_text = true};
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_rego_policy *p = NULL;
    assert_int_equal(ay_rego_compile(&m, 1, &o, &d, &p), AY_OK);
    assert_string_equal(rule(p, "data.t.x", "{\"b\": \"c\"}", false), "\"a-c\"");
    ay_rego_policy_release(p);
    free(text);
}

static void capture(void *arg, const char *text, size_t len)
{
    struct ay_buf *b = arg;
    ay_buf_put(b, text, len);
    ay_buf_putc(b, '|');
}

static void test_print_and_query(void **state)
{
    (void)state;
    struct ay_rego_policy *p = compile_ok(
        "package t\np contains x if { some x in [1, 2]; print(\"x is\", x, {x}, input.no) }\n",
        NULL);
    struct ay_buf pr;
    ay_buf_init(&pr, NULL, 4096);
    struct ay_rego_eval_opts o = {0};
    o.print = capture;
    o.print_arg = &pr;
    struct ay_buf out;
    ay_buf_init(&out, NULL, 1 << 16);
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_rego_eval_query(p, "data.t.p = x; y := count(x)", &o, &out, &d), AY_OK);
    assert_string_equal(out.ptr, "[{\"expressions\":[{\"value\":true,\"text\":\"data.t.p = x\","
                                 "\"location\":{\"row\":1,\"col\":1}},{\"value\":true,\"text\":"
                                 "\"y := count(x)\",\"location\":{\"row\":1,\"col\":15}}],"
                                 "\"bindings\":{\"x\":[1,2],\"y\":2}}]");
    assert_string_equal(pr.ptr, "x is 1 {1} <undefined>|x is 2 {2} <undefined>|");
    ay_buf_reset(&out);
    assert_int_equal(ay_rego_eval_query(p, "data.t.p[3]", &o, &out, &d), AY_OK);
    assert_string_equal(out.ptr, "[]");
    ay_buf_reset(&out);
    assert_int_equal(ay_rego_eval_query(p, "x := [1, 2][_]", &o, &out, &d), AY_OK);
    assert_non_null(strstr(out.ptr, "\"bindings\":{\"x\":2}"));
    ay_buf_free(&out);
    ay_buf_free(&pr);
    ay_rego_policy_release(p);
}

static void test_limits(void **state)
{
    (void)state;
    struct ay_rego_policy *p =
        compile_ok("package t\nn := count([1 | some a in numbers.range(1, 100); some b in numbers.range(1, 100); some c in numbers.range(1, 100)])\n"
                   "f(x) := f(x + 1)\ng := f(1)\n",
                   NULL);
    const char *r = rule(p, "data.t.n", NULL, false);
    assert_non_null(strstr(r, "ERR:LIMIT"));
    assert_non_null(strstr(r, "step"));
    r = rule(p, "data.t.g", NULL, false);
    assert_non_null(strstr(r, "ERR:LIMIT"));
    ay_rego_policy_release(p);
}

struct thr {
    const struct ay_rego_policy *p;
    int ok;
};

static void *worker(void *arg)
{
    struct thr *t = arg;
    for (int i = 0; i < 200; i++) {
        char in[64];
        snprintf(in, sizeof in, "{\"v\": %d}", i);
        struct ay_rego_eval_opts o = {0};
        o.input_json = in;
        o.input_len = strlen(in);
        struct ay_buf b;
        ay_buf_init(&b, NULL, 4096);
        struct ay_diag d;
        ay_diag_clear(&d);
        bool def;
        char want[32];
        snprintf(want, sizeof want, "%d", i * 2);
        if (ay_rego_eval_rule(t->p, "data.t.y", &o, &b, &def, &d) == AY_OK && def &&
            strcmp(b.ptr, want) == 0) {
            t->ok++;
        }
        ay_buf_free(&b);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    (void)state;
    struct ay_rego_policy *p = compile_ok("package t\nx := input.v\ny := x * 2\n", NULL);
    pthread_t th[4];
    struct thr t[4];
    for (int i = 0; i < 4; i++) {
        t[i].p = p;
        t[i].ok = 0;
        assert_int_equal(pthread_create(&th[i], NULL, worker, &t[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(t[i].ok, 200);
    }
    ay_rego_policy_release(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truthiness_and_undefined),
        cmocka_unit_test(test_in_and_order),
        cmocka_unit_test(test_conflicts_default_else),
        cmocka_unit_test(test_iteration),
        cmocka_unit_test(test_ref_heads_and_mocks),
        cmocka_unit_test(test_builtin_errors),
        cmocka_unit_test(test_builtin_error_codes),
        cmocka_unit_test(test_with_scopes),
        cmocka_unit_test(test_templates_and_keyword_refs),
        cmocka_unit_test(test_host_builtin),
        cmocka_unit_test(test_eval_rules),
        cmocka_unit_test(test_borrow_text),
        cmocka_unit_test(test_print_and_query),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
