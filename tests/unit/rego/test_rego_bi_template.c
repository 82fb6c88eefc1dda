/* SPDX-License-Identifier: Apache-2.0 */
/* strings.render_template: OPA's rendertemplate conformance cases, Go text/template behaviour of
 * the supported subset (fields, variables, if / else if / with / range, functions, trim markers,
 * comments, literals), malformed and unsupported templates, bad operand types, and the limits
 * (nesting depth, execution steps, template size, output size) at and past the limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "base/base_limits.h"
#include "test_rego_bi_common.h"

#define RT "strings.render_template"

static void test_conformance(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {RT, "[\"{{.test}}\", {\"test\": \"hello world\"}]", "\"hello world\""},
        {RT, "[\"{{.test}}\", {\"test\": 2023}]", "\"2023\""},
        {RT,
         "[\"{{range $i, $name := .hellonames}}{{if $i}},{{end}}hello {{$name}}{{end}}\", "
         "{\"hellonames\": [\"rohan\", \"john doe\"]}]",
         "\"hello rohan,hello john doe\""},
        {RT, "[\"{{.testvarnotprovided}}\", {\"test\": \"hello world\"}]", "\"<undefined>\""},
        {RT, "[\"test {{.foo}} {{.bar}} {{.baz}}\", {\"baz\": 1}]",
         "\"test <undefined> <undefined> 1\""},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_fields_and_values(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {RT, "[\"plain text\", {}]", "\"plain text\""},
        {RT, "[\"\", {}]", "\"\""},
        {RT, "[\"{{.a.b.c}}\", {\"a\": {\"b\": {\"c\": \"deep\"}}}]", "\"deep\""},
        {RT, "[\"{{.a.b}}\", {}]", "\"<undefined>\""},
        {RT, "[\"{{.a}}\", {\"a\": null}]", "\"<undefined>\""},
        {RT, "[\"{{.a}}|{{.b}}|{{.c}}\", {\"a\": true, \"b\": 1.5, \"c\": -7}]", "\"true|1.5|-7\""},
        {RT, "[\"{{.a}}\", {\"a\": [1, \"x\", [2, null], true]}]", "\"[1 x [2 <nil>] true]\""},
        {RT, "[\"{{.m}}\", {\"m\": {\"b\": 1, \"a\": \"x\"}}]", "\"map[a:x b:1]\""},
        {RT, "[\"{{.}}\", {\"k\": \"v\"}]", "\"map[k:v]\""},
        {RT, "[\"{{$}}\", {\"k\": \"v\"}]", "\"map[k:v]\""},
        {RT, "[\"{{.s}}\", {\"s\": {\"$set\": [3, 1, 2]}}]", "\"[1 2 3]\""},
        {RT, "[\"{{.a.b}}\", {\"a\": \"x\"}]",
         "error:template: template:1:2: executing \"template\" at <.a.b>: can't evaluate field b "
         "in type string"},
        {RT, "[\"{{.a.b}}\", {\"a\": null}]", "error:nil pointer evaluating interface {}.b"},
        {RT, "[\"{{.a.b}}\", {\"a\": 3}]", "error:can't evaluate field b in type json.Number"},
        {RT, "[\"{{.a.b}}\", {\"a\": [1]}]", "error:can't evaluate field b in type []interface {}"},
        /* literals */
        {RT, "[\"{{\\\"a\\\\tb\\\\u00e9\\\"}}\", {}]", "\"a\\tb\u00e9\""},
        {RT, "[\"{{`raw\\\\n`}}\", {}]", "\"raw\\\\n\""},
        {RT, "[\"{{1.5}} {{-3}} {{0x10}} {{1e6}} {{2.0}} {{0.00001}} {{123456.0}}\", {}]",
         "\"1.5 -3 16 1e+06 2 1e-05 123456\""},
        {RT, "[\"{{true}} {{false}}\", {}]", "\"true false\""},
        {RT, "[\"{{nil}}\", {}]", "error:nil is not a command"},
        {RT, "[\"{{18446744073709551615}}\", {}]", "error:18446744073709551615 overflows int"},
        {RT, "[\"{{18446744073709551616}}\", {}]", "\"<undefined>\""},
        {RT, "[\"{{0777}} {{-9223372036854775808}}\", {}]", "\"511 -9223372036854775808\""},
        {RT, "[\"{{09}}\", {}]", "error:bad number syntax"},
        {RT, "[\"{{1.2.3}}\", {}]", "error:bad number syntax: \"1.2.3\""},
        {RT, "[\"{{0x}}\", {}]", "error:bad number syntax"},
        {RT, "[\"{{\\\"\\\\q\\\"}}\", {}]", "error:invalid syntax in quoted string"},
        {RT, "[\"{{\\\"\\\\101\\\\x41\\\\U0001F600\\\"}}\", {}]", "\"AA\U0001F600\""},
        /* multi-line text and line numbers in errors */
        {RT, "[\"a\\nb {{.x}}\\nc\", {\"x\": 1}]", "\"a\\nb 1\\nc\""},
        {RT, "[\"line1\\nline2 {{.a.b}}\", {\"a\": 1}]", "error:template: template:2:8:"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_control(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {RT, "[\"{{if .a}}yes{{else}}no{{end}}\", {\"a\": true}]", "\"yes\""},
        {RT, "[\"{{if .a}}yes{{else}}no{{end}}\", {\"a\": false}]", "\"no\""},
        /* json.Number is a non-empty string: every number of the data is true in Go */
        {RT, "[\"{{if .a}}yes{{else}}no{{end}}\", {\"a\": 0}]", "\"yes\""},
        {RT, "[\"{{if .a}}yes{{else}}no{{end}}\", {\"a\": \"\"}]", "\"no\""},
        {RT, "[\"{{if .a}}yes{{else}}no{{end}}\", {\"a\": []}]", "\"no\""},
        {RT, "[\"{{if .a}}yes{{else}}no{{end}}\", {\"a\": {}}]", "\"no\""},
        {RT, "[\"{{if .a}}yes{{else}}no{{end}}\", {}]", "\"no\""},
        {RT, "[\"{{if .a}}yes{{else}}no{{end}}\", {\"a\": null}]", "\"no\""},
        {RT, "[\"{{if 0}}yes{{else}}no{{end}}{{if 0.0}}y{{else}}n{{end}}\", {}]", "\"non\""},
        {RT,
         "[\"{{if eq .a \\\"x\\\"}}X{{else if eq .a \\\"y\\\"}}Y{{else}}Z{{end}}\", "
         "{\"a\": \"y\"}]",
         "\"Y\""},
        {RT,
         "[\"{{if eq .a \\\"x\\\"}}X{{else if eq .a \\\"y\\\"}}Y{{else}}Z{{end}}\", "
         "{\"a\": \"q\"}]",
         "\"Z\""},
        {RT, "[\"{{with .a}}{{.b}}{{else}}none{{end}}\", {\"a\": {\"b\": \"c\"}}]", "\"c\""},
        {RT, "[\"{{with .a}}{{.b}}{{else}}none{{end}}\", {}]", "\"none\""},
        {RT, "[\"{{with .a}}A{{else with .b}}{{.}}{{end}}\", {\"b\": \"B\"}]", "\"B\""},
        {RT, "[\"{{range $k, $v := .}}{{$k}}={{$v}};{{end}}\", {\"b\": 2, \"a\": 1}]",
         "\"a=1;b=2;\""},
        {RT, "[\"{{range .a}}[{{.}}]{{end}}\", {\"a\": [1, \"x\", true]}]", "\"[1][x][true]\""},
        {RT, "[\"{{range $v := .a}}{{$v}}{{end}}\", {\"a\": [\"p\", \"q\"]}]", "\"pq\""},
        {RT, "[\"{{range .a}}x{{else}}empty{{end}}\", {\"a\": []}]", "\"empty\""},
        {RT, "[\"{{range .a}}x{{else}}empty{{end}}\", {}]", "\"empty\""},
        {RT, "[\"{{range .a}}{{.}}{{end}}\", {\"a\": {\"$set\": [\"z\", \"y\"]}}]", "\"yz\""},
        {RT, "[\"{{range .a}}x{{end}}\", {\"a\": \"str\"}]", "error:range can't iterate over str"},
        {RT, "[\"{{range .a}}x{{end}}\", {\"a\": 5}]", "error:range can't iterate over 5"},
        {RT,
         "[\"{{range .o}}{{range .}}{{.}}{{end}};{{end}}\", {\"o\": {\"a\": [1, 2], \"b\": "
         "[3]}}]",
         "\"12;3;\""},
        /* $ is the top data inside range and with */
        {RT, "[\"{{range .a}}{{$.p}}{{.}} {{end}}\", {\"a\": [1, 2], \"p\": \"#\"}]", "\"#1 #2 \""},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_variables_trim_comments(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {RT, "[\"{{$x := \\\"hi\\\"}}{{$x}}\", {}]", "\"hi\""},
        {RT, "[\"{{$x := 1}}{{$x = 2}}{{$x}}\", {}]", "\"2\""},
        {RT, "[\"{{$x := .a}}{{$x.b}}\", {\"a\": {\"b\": \"B\"}}]", "\"B\""},
        {RT, "[\"{{$x := 0}}{{range .a}}{{$x = .}}{{end}}{{$x}}\", {\"a\": [1, 9]}]", "\"9\""},
        {RT, "[\"{{if $v := .a}}{{$v}}{{end}}\", {\"a\": \"A\"}]", "\"A\""},
        {RT, "[\"{{$y}}\", {}]", "error:template: template:1: undefined variable \"$y\""},
        {RT, "[\"{{if true}}{{$z := 1}}{{end}}{{$z}}\", {}]", "error:undefined variable \"$z\""},
        {RT, "[\"{{$y = 1}}\", {}]", "error:undefined variable \"$y\""},
        {RT, "[\"a  {{- .x -}}  b\", {\"x\": \"X\"}]", "\"aXb\""},
        {RT, "[\"a \\n {{- .x}} b\", {\"x\": \"X\"}]", "\"aX b\""},
        {RT, "[\"{{3 -}} \\n x\", {}]", "\"3x\""},
        {RT, "[\"a{{/* c */}}b\", {}]", "\"ab\""},
        {RT, "[\"a {{- /* c */ -}} b\", {}]", "\"ab\""},
        {RT, "[\"a{{/* multi\\nline */}}b\", {}]", "\"ab\""},
        {RT, "[\"{{.a |\\n len}}\", {\"a\": \"xy\"}]", "\"2\""},
        /* nested ranges see both levels' variables; a range body's := shadows only inside */
        {RT,
         "[\"{{range $i, $e := .a}}{{range $j, $f := $e}}{{$i}}{{$j}}={{$f}} {{end}}{{end}}\", "
         "{\"a\": [[\"p\", \"q\"], [\"r\"]]}]",
         "\"00=p 01=q 10=r \""},
        {RT, "[\"{{$x := 1}}{{range .a}}{{$x := .}}{{$x}}{{end}}{{$x}}\", {\"a\": [7, 8]}]",
         "\"781\""},
        {RT, "[\"{{with $x := .a}}{{$x.b}}{{.b}}{{end}}\", {\"a\": {\"b\": \"B\"}}]", "\"BB\""},
        {RT, "[\"{{- .a -}}\", {\"a\": \"  x  \"}]", "\"  x  \""},
        {RT, "[\"\u00e9t\u00e9 {{.a}} \u2713\", {\"a\": \"\u00fc\"}]",
         "\"\u00e9t\u00e9 \u00fc \u2713\""},
        {RT, "[\"{{if .a}}A{{else if .b}}B{{else if .c}}C{{end}}\", {\"c\": true}]", "\"C\""},
        {RT, "[\"{{if .a}}A{{else if .b}}B{{end}}\", {}]", "\"\""},
        /* Go 1.18 break / continue, also from inside if / with, only for the innermost range */
        {RT,
         "[\"{{range .a}}{{if eq . \\\"c\\\"}}{{break}}{{end}}{{.}}{{end}}|{{range .a}}{{with "
         "eq . \\\"b\\\"}}{{continue}}{{end}}{{.}}{{end}}\", {\"a\": [\"a\", \"b\", \"c\", "
         "\"d\"]}]",
         "\"ab|acd\""},
        {RT,
         "[\"{{range $i, $r := .m}}{{range $r}}{{if eq . \\\"x\\\"}}{{break}}{{end}}{{.}}{{end}}"
         "{{$i}};{{end}}\", {\"m\": [[\"p\", \"x\", \"q\"], [\"r\"]]}]",
         "\"p0;r1;\""},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_functions(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {RT,
         "[\"{{len .a}} {{.a | len}} {{len .s}} {{len .m}} {{len .n}}\", "
         "{\"a\": [1, 2, 3], \"s\": \"h\u00e9llo\", \"m\": {\"k\": 1}, \"n\": 123}]",
         "\"3 3 6 1 3\""},
        {RT, "[\"{{len .x}}\", {}]", "error:error calling len: len of nil pointer"},
        {RT, "[\"{{len true}}\", {}]", "error:error calling len: len of type bool"},
        {RT,
         "[\"{{index .a 1}} {{index .m \\\"k\\\"}} {{index .n 0 1}}\", "
         "{\"a\": [\"x\", \"y\"], \"m\": {\"k\": \"v\"}, \"n\": [[1, 2]]}]",
         "\"y v 2\""},
        {RT, "[\"{{index .m \\\"nope\\\"}}\", {\"m\": {}}]", "\"<undefined>\""},
        {RT, "[\"{{index .s 1}}\", {\"s\": \"abc\"}]", "\"98\""},
        {RT, "[\"{{index .a 5}}\", {\"a\": [1]}]", "error:index out of range: 5"},
        {RT, "[\"{{index .a \\\"0\\\"}}\", {\"a\": [1]}]",
         "error:cannot index slice/array with type string"},
        {RT, "[\"{{index .x 0}}\", {}]", "error:index of untyped nil"},
        {RT, "[\"{{index .a .i}}\", {\"a\": [1], \"i\": 0}]",
         "error:cannot index slice/array with type json.Number"},
        {RT, "[\"{{print 1 2}}|{{print \\\"a\\\" \\\"b\\\"}}|{{print \\\"a\\\" 1 2}}\", {}]",
         "\"1 2|ab|a1 2\""},
        {RT, "[\"{{println 1 \\\"a\\\"}}\", {}]", "\"1 a\\n\""},
        {RT, "[\"{{print 1 2 3 4 5 6 7 8 9 10}}\", {}]", "\"1 2 3 4 5 6 7 8 9 10\""},
        {RT, "[\"{{print .n .n}}\", {\"n\": 5}]", "\"55\""},
        {RT, "[\"{{and 1 0}} {{and 1 2}} {{or 0 \\\"\\\" \\\"x\\\"}} {{or 0 false}}\", {}]",
         "\"0 2 x false\""},
        {RT, "[\"{{and .a .b.c}}\", {\"a\": false, \"b\": 1}]", "\"false\""},
        {RT, "[\"{{not .a}} {{not true}} {{.a | not}}\", {\"a\": \"\"}]", "\"true false true\""},
        {RT,
         "[\"{{eq .n \\\"1\\\"}} {{eq .s \\\"a\\\" \\\"b\\\"}} {{ne 1 2}}\", "
         "{\"n\": 1, \"s\": \"b\"}]",
         "\"true true true\""},
        {RT, "[\"{{eq .n 1}}\", {\"n\": 1}]",
         "error:error calling eq: incompatible types for comparison"},
        {RT, "[\"{{lt 1 2}} {{le 2 2}} {{gt \\\"b\\\" \\\"a\\\"}} {{ge 1.5 2.5}}\", {}]",
         "\"true true true false\""},
        {RT, "[\"{{lt true false}}\", {}]", "error:error calling lt: invalid type for comparison"},
        {RT, "[\"{{eq .a .a}}\", {\"a\": [1]}]", "error:non-comparable type"},
        {RT, "[\"{{not 1 2}}\", {}]", "error:wrong number of args for not: want 1 got 2"},
        {RT, "[\"{{eq 1}}\", {}]", "error:error calling eq: missing argument for comparison"},
        {RT, "[\"{{eq}}\", {}]", "error:wrong number of args for eq: want at least 1 got 0"},
        {RT, "[\"{{ne 1}}\", {}]", "error:wrong number of args for ne: want 2 got 1"},
        /* eq: a missing value is unequal to anything, without an error; first match wins */
        {RT, "[\"{{eq .nope \\\"x\\\"}} {{eq .nope .gone}} {{ne .z 1}}\", {\"z\": null}]",
         "\"false true true\""},
        {RT, "[\"{{eq 1 2 1 \\\"late\\\"}}\", {}]", "\"true\""},
        {RT, "[\"{{eq 1 1.0}}\", {}]", "error:incompatible types for comparison"},
        {RT, "[\"{{lt .a .a}}\", {\"a\": [1]}]",
         "error:error calling lt: invalid type for comparison"},
        {RT, "[\"{{lt 1 \\\"a\\\"}}\", {}]", "error:incompatible types for comparison"},
        {RT,
         "[\"{{(len .a)}} {{(index .m \\\"k\\\").z}}\", {\"a\": [1], \"m\": {\"k\": {\"z\": "
         "\"Z\"}}}]",
         "\"1 Z\""},
        {RT, "[\"{{.a | .b}}\", {}]", "error:non-function in pipeline after |"},
        {RT, "[\"{{.a 1}}\", {}]", "error:can't give argument to non-function .a"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_malformed_and_unsupported(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {RT, "[\"{{.a\", {}]",
         "error:strings.render_template: template: template:1: unclosed action"},
        {RT, "[\"{{\", {}]", "error:unclosed action"},
        {RT, "[\"{{if .a}}x\", {}]", "error:template: template:1: unexpected EOF"},
        {RT, "[\"{{end}}\", {}]", "error:unexpected {{end}}"},
        {RT, "[\"{{else}}\", {}]", "error:unexpected {{else}}"},
        {RT, "[\"{{if}}{{end}}\", {}]", "error:missing value for if"},
        {RT, "[\"{{range}}{{end}}\", {}]", "error:missing value for range"},
        {RT, "[\"{{}}\", {}]", "error:missing value for command"},
        {RT, "[\"{{/* x }}\", {}]", "error:unclosed comment"},
        {RT, "[\"{{/* x */ }}\", {}]", "error:comment ends before closing delimiter"},
        {RT, "[\"{{\\\"abc}}\", {}]", "error:unterminated quoted string"},
        {RT, "[\"{{`abc}}\", {}]", "error:unterminated raw quoted string"},
        {RT, "[\"{{#}}\", {}]", "error:bad character U+0023 '#'"},
        {RT, "[\"{{range .a}}{{else}}{{else}}{{end}}\", {}]", "error:expected end; found {{else}}"},
        {RT, "[\"{{end x}}\", {}]", "error:unexpected \"x\" in end"},
        {RT, "[\"{{(.a}}\", {}]", "error:unexpected"},
        {RT, "[\"{{.a)}}\", {}]", "error:unexpected \")\" in command"},
        {RT, "[\"{{.a |}}\", {}]", "error:missing command after |"},
        {RT, "[\"{{\\\"a\\\"\\\"b\\\"}}\", {}]", "error:missing space?"},
        {RT, "[\"{{$x :}}\", {}]", "error:expected :="},
        {RT, "[\"{{$x, $y := .a}}\", {}]", "error:too many declarations in command"},
        {RT, "[\"{{true.x}}\", {}]", "error:unexpected . after term"},
        /* Go constructs outside the subset are named */
        {RT, "[\"{{define \\\"x\\\"}}{{end}}\", {}]",
         "error:{{define}} is not supported by strings.render_template"},
        {RT, "[\"{{template \\\"x\\\"}}\", {}]", "error:{{template}} is not supported"},
        {RT, "[\"{{block \\\"x\\\" .}}{{end}}\", {}]", "error:{{block}} is not supported"},
        {RT, "[\"{{break}}\", {}]", "error:{{break}} outside {{range}}"},
        {RT, "[\"{{if true}}{{continue}}{{end}}\", {}]", "error:{{continue}} outside {{range}}"},
        {RT, "[\"{{range .a}}{{else}}{{break}}{{end}}\", {}]", "error:{{break}} outside {{range}}"},
        {RT, "[\"{{range .a}}{{break 1}}{{end}}\", {}]", "error:unexpected \"1\" in {{break}}"},
        {RT, "[\"{{printf \\\"%d\\\" 1}}\", {}]",
         "error:function \"printf\" is not supported by strings.render_template"},
        {RT, "[\"{{html .a}}\", {}]", "error:function \"html\" is not supported"},
        {RT, "[\"{{foo}}\", {}]", "error:template: template:1: function \"foo\" not defined"},
        {RT, "[\"{{'a'}}\", {}]", "error:character constants are not supported"},
        /* operand types */
        {RT, "[1, {}]", "error:strings.render_template: operand 1 must be string but got number"},
        {RT, "[\"x\", []]",
         "error:strings.render_template: operand 2 must be object but got array"},
        {RT, "[\"x\", {\"$set\": []}]", "error:operand 2 must be object but got set"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

/* A template of `depth` nested {{if true}} ... {{end}}. */
static char *nested_ifs(size_t depth)
{
    size_t n = depth * 20 + 64;
    char *s = malloc(n);
    assert_non_null(s);
    size_t k = (size_t)snprintf(s, n, "[\"");
    for (size_t i = 0; i < depth; i++) {
        k += (size_t)snprintf(s + k, n - k, "{{if true}}");
    }
    k += (size_t)snprintf(s + k, n - k, "x");
    for (size_t i = 0; i < depth; i++) {
        k += (size_t)snprintf(s + k, n - k, "{{end}}");
    }
    (void)snprintf(s + k, n - k, "\", {}]");
    return s;
}

static void test_limit_depth(void **state)
{
    (void)state;
    char *ok = nested_ifs(AY_LIMIT_REGO_DEPTH);
    assert_string_equal(bt_call(RT, ok), "\"x\"");
    free(ok);
    char *deep = nested_ifs(AY_LIMIT_REGO_DEPTH + 1);
    const char *got = bt_call(RT, deep);
    assert_non_null(strstr(got, "template nested deeper than 256"));
    free(deep);
    /* parentheses count too: depth parentheses around 1 */
    for (int depth = AY_LIMIT_REGO_DEPTH; depth <= AY_LIMIT_REGO_DEPTH + 1; depth++) {
        char paren[1024];
        size_t k = (size_t)snprintf(paren, sizeof paren, "[\"{{");
        for (int i = 0; i < depth; i++) {
            paren[k++] = '(';
        }
        paren[k++] = '1';
        for (int i = 0; i < depth; i++) {
            paren[k++] = ')';
        }
        (void)snprintf(paren + k, sizeof paren - k, "}}\", {}]");
        const char *r = bt_call(RT, paren);
        if (depth == AY_LIMIT_REGO_DEPTH) {
            assert_string_equal(r, "\"1\"");
        } else {
            assert_non_null(strstr(r, "template nested deeper than 256"));
        }
    }
}

/* Calls the builtin directly (results beyond bt_call's buffer): the result string's length, or
 * SIZE_MAX with the message in err. */
static size_t big_call(const char *args_json, char *err, size_t errn)
{
    struct ay_diag diag;
    ay_diag_clear(&diag);
    struct ay_val args;
    assert_int_equal(ay_val_parse_json(bt_arena, args_json, strlen(args_json), 0, &diag, &args),
                     AY_OK);
    const struct ay_rego_bi *bi = ay_rego_bi_find(RT, strlen(RT), 2);
    assert_non_null(bi);
    struct ay_rego_bctx bc = {bt_arena, &diag, bt_now_ns, RT, NULL};
    struct ay_val out = ay_val_undef();
    if (bi->fn(&bc, args.u.items, args.len, &out) != AY_OK) {
        (void)snprintf(err, errn, "%s", ay_diag_message(&diag));
        return SIZE_MAX;
    }
    assert_int_equal(out.kind, AY_V_STR);
    return out.len;
}

/* {"a": [0, 1, ..., n-1]} as JSON args after the template text. */
static char *range_args(const char *tmpl, size_t n)
{
    size_t cap = strlen(tmpl) + n * 8 + 64;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t k = (size_t)snprintf(s, cap, "[\"%s\", {\"a\": [", tmpl);
    for (size_t i = 0; i < n; i++) {
        k += (size_t)snprintf(s + k, cap - k, i > 0 ? ",%zu" : "%zu", i);
    }
    (void)snprintf(s + k, cap - k, "]}]");
    return s;
}

static void test_limit_steps(void **state)
{
    (void)state;
    /* 300 x 300 = 90,000 inner iterations: well under AY_LIMIT_REGO_STEPS */
    char err[AY_DIAG_MSG_MAX];
    (void)bt_call(RT, "[\"\", {}]"); /* creates the arena */
    char *ok = range_args("{{range .a}}{{range $.a}}{{end}}{{end}}done", 300);
    assert_int_equal(big_call(ok, err, sizeof err), 4);
    free(ok);
    /* 300^3 = 27,000,000 iterations: stopped at the step budget */
    char *big = range_args("{{range .a}}{{range $.a}}{{range $.a}}{{end}}{{end}}{{end}}done", 300);
    assert_int_equal(big_call(big, err, sizeof err), SIZE_MAX);
    assert_non_null(strstr(err, "template execution exceeds 10000000 steps"));
    free(big);
    ay_arena_reset(bt_arena);
}

static void test_limit_sizes(void **state)
{
    (void)state;
    char err[AY_DIAG_MSG_MAX];
    (void)bt_call(RT, "[\"\", {}]"); /* creates the arena */
    /* template bytes: AY_LIMIT_REGO_SOURCE passes, one more is refused */
    size_t n = AY_LIMIT_REGO_SOURCE;
    char *s = malloc(n + 32);
    assert_non_null(s);
    memcpy(s, "[\"", 2);
    memset(s + 2, 'x', n);
    memcpy(s + 2 + n, "\", {}]", 7);
    assert_int_equal(big_call(s, err, sizeof err), n);
    memset(s + 2, 'x', n + 1);
    memcpy(s + 3 + n, "\", {}]", 7);
    assert_int_equal(big_call(s, err, sizeof err), SIZE_MAX);
    assert_non_null(strstr(err, "template larger than 4194304 bytes"));
    free(s);
    ay_arena_reset(bt_arena);

    /* output bytes: 16 copies of 1 MiB are AY_LIMIT_REGO_BI_OUT exactly; 17 do not fit */
    size_t mib = (size_t)1 << 20;
    assert_int_equal(16 * mib, AY_LIMIT_REGO_BI_OUT);
    size_t cap = mib + 256;
    char *args = malloc(cap);
    assert_non_null(args);
    for (int copies = 16; copies <= 17; copies++) {
        size_t k = (size_t)snprintf(args, cap, "[\"{{range .a}}{{$.s}}{{end}}\", {\"a\": [");
        for (int i = 0; i < copies; i++) {
            k += (size_t)snprintf(args + k, cap - k, i > 0 ? ",%d" : "%d", i);
        }
        k += (size_t)snprintf(args + k, cap - k, "], \"s\": \"");
        memset(args + k, 'y', mib);
        k += mib;
        (void)snprintf(args + k, cap - k, "\"}]");
        size_t got = big_call(args, err, sizeof err);
        if (copies == 16) {
            assert_int_equal(got, AY_LIMIT_REGO_BI_OUT);
        } else {
            assert_int_equal(got, SIZE_MAX);
            assert_non_null(strstr(err, "template output larger than"));
        }
        ay_arena_reset(bt_arena);
    }
    free(args);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance), cmocka_unit_test(test_fields_and_values),
        cmocka_unit_test(test_control),     cmocka_unit_test(test_variables_trim_comments),
        cmocka_unit_test(test_functions),   cmocka_unit_test(test_malformed_and_unsupported),
        cmocka_unit_test(test_limit_depth), cmocka_unit_test(test_limit_steps),
        cmocka_unit_test(test_limit_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, bt_teardown);
}
