/* SPDX-License-Identifier: Apache-2.0 */
/* METADATA annotations: the blocks the lexer finds (marker, column-1 continuation lines, CR,
 * strings are not comments), blocks on packages and rules, rego.metadata.chain() order (rule,
 * document, package, subpackages; across modules), rego.metadata.rule(), a policy without
 * annotations, the field normalisations (authors, related_resources, schemas, entrypoint),
 * compile errors with file:line:col (bad YAML, empty block, wrong or unknown scope, a block at
 * the end of the module or before an import, redeclared annotations); and calls in function
 * parameters (template strings) evaluated after the body, else clauses included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "rego/rego.h"
#include "rego/rego_ast.h"

/* Compiles the modules (named m0.rego, m1.rego, ...); NULL and the message in d on failure. */
static struct ay_rego_policy *compile_n(const char *const *srcs, size_t n, struct ay_diag *d)
{
    struct ay_rego_module_src m[4];
    static const char *const names[4] = {"m0.rego", "m1.rego", "m2.rego", "m3.rego"};
    assert_true(n <= 4);
    for (size_t i = 0; i < n; i++) {
        m[i] = (struct ay_rego_module_src){names[i], srcs[i], strlen(srcs[i])};
    }
    struct ay_rego_compile_opts o = {.syntax = AY_REGO_V1, .host = NULL};
    ay_diag_clear(d);
    struct ay_rego_policy *p = NULL;
    if (ay_rego_compile(m, n, &o, d, &p) != AY_OK) {
        return NULL;
    }
    return p;
}

/* The JSON value of rule `path` in the policy made of srcs, compared with want. */
static void check_n(const char *const *srcs, size_t n, const char *path, const char *want)
{
    struct ay_diag d;
    struct ay_rego_policy *p = compile_n(srcs, n, &d);
    if (p == NULL) {
        fail_msg("compile: %s", ay_diag_message(&d));
    }
    struct ay_rego_eval_opts o = {0};
    o.max_steps = 100000;
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1 << 20);
    bool def = false;
    ay_diag_clear(&d);
    ay_err e = ay_rego_eval_rule(p, path, &o, &b, &def, &d);
    if (e != AY_OK || !def || strcmp(b.ptr, want) != 0) {
        fail_msg("%s: want %s, got %s %s", path, want, e == AY_OK && def ? b.ptr : "error",
                 e == AY_OK ? (def ? "" : "undefined") : ay_diag_message(&d));
    }
    ay_buf_free(&b);
    ay_rego_policy_release(p);
}

static void check(const char *src, const char *path, const char *want)
{
    check_n(&src, 1, path, want);
}

static void expect_error_n(const char *const *srcs, size_t n, const char *msg)
{
    struct ay_diag d;
    struct ay_rego_policy *p = compile_n(srcs, n, &d);
    if (p != NULL) {
        ay_rego_policy_release(p);
        fail_msg("<<%s>>: compiled, want error \"%s\"", srcs[n - 1], msg);
    }
    if (strstr(ay_diag_message(&d), msg) == NULL) {
        fail_msg("<<%s>>: want error containing \"%s\", got: %s", srcs[n - 1], msg,
                 ay_diag_message(&d));
    }
}

static void expect_error(const char *src, const char *msg)
{
    expect_error_n(&src, 1, msg);
}

/* Lexes all of src and returns the METADATA blocks' "line:col:yaml" joined by '|'. */
static const char *blocks(const char *src)
{
    static char out[1024];
    struct ay_arena *a = NULL;
    ay_arena_new(AY_LIMIT_REQUEST_ARENA, &a);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_rego_lexer *lx = NULL;
    assert_int_equal(ay_rego_lexer_new(a, "l.rego", src, strlen(src), &d, &lx), AY_OK);
    for (size_t i = 0; ay_rego_lexer_at(lx, i)->kind != AY_TK_EOF; i++) {
    }
    assert_int_equal(ay_rego_lexer_error(lx, &d), AY_OK);
    out[0] = '\0';
    size_t len = 0;
    struct ay_rego_meta_block b;
    while (ay_rego_lexer_meta(lx, UINT32_MAX, &b)) {
        int n = snprintf(out + len, sizeof out - len, "%s%u:%u:%.*s", len ? "|" : "", b.line, b.col,
                         (int)b.len, b.yaml);
        assert_true(n > 0 && (size_t)n < sizeof out - len);
        len += (size_t)n;
    }
    ay_rego_lexer_free(lx);
    ay_arena_free(a);
    return out;
}

/* What the lexer takes as a block: the marker (any indentation, text after it ignored), then
 * the comments at column 1 of the following lines, one space and a CR removed from each. */
static void test_lexer_blocks(void **state)
{
    (void)state;
    assert_string_equal(blocks("package t\n# METADATA\n# a: 1\n#b: 2\n#   c: 3\np := 1\n"),
                        "2:1:a: 1\nb: 2\n  c: 3\n");
    assert_string_equal(blocks("package t\n  #METADATA trailing text\n# a: 1\n  # b: 2\n"),
                        "2:3:a: 1\n");
    assert_string_equal(blocks("package t\r\n# METADATA\r\n# a: 1\r\n#\r\n"), "2:1:a: 1\n\n");
    assert_string_equal(blocks("package t\n# METADATA"), "2:1:");
    assert_string_equal(blocks("package t\n# METADATA\n# a: 1"), "2:1:a: 1\n");
    assert_string_equal(blocks("# METADATA\n# x: 1\n\n# METADATA\n# y: 2\npackage t\n"),
                        "1:1:x: 1\n|4:1:y: 2\n");
    /* Not markers: inside strings and template text, lower case, another word first. */
    assert_string_equal(blocks("package t\np := \"# METADATA\"\nq := `\n# METADATA\n# a: 1\n`\n"
                               "r := $\"# METADATA {1}\"\n# metadata\n# see METADATA\n"),
                        "");
    /* A block after the tokens keeps the line count right for what follows. */
    struct ay_arena *a = NULL;
    ay_arena_new(AY_LIMIT_REQUEST_ARENA, &a);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_rego_lexer *lx = NULL;
    const char *src = "package t\n# METADATA\n# a: 1\n# b: 2\np := 1\n";
    assert_int_equal(ay_rego_lexer_new(a, "l.rego", src, strlen(src), &d, &lx), AY_OK);
    const struct ay_rego_tok *t = ay_rego_lexer_at(lx, 2); /* p */
    assert_int_equal(t->line, 5);
    assert_int_equal(t->col, 1);
    assert_true(t->nl_before);
    struct ay_rego_meta_block b;
    assert_false(ay_rego_lexer_meta(lx, 2, &b)); /* not before line 2 */
    assert_true(ay_rego_lexer_meta(lx, 5, &b));
    assert_int_equal(b.line, 2);
    assert_false(ay_rego_lexer_meta(lx, 5, &b)); /* taken */
    ay_rego_lexer_free(lx);
    ay_arena_free(a);
}

static void test_package_and_rule(void **state)
{
    (void)state;
    const char *src = "# METADATA\n"
                      "# title: The package\n"
                      "package t\n"
                      "\n"
                      "# METADATA\n"
                      "# title: Rule p\n"
                      "# description: what p does\n"
                      "p := rego.metadata.rule()\n"
                      "\n"
                      "q := rego.metadata.chain()\n";
    check(src, "data.t.p",
          "{\"description\":\"what p does\",\"scope\":\"rule\",\"title\":\"Rule p\"}");
    check(src, "data.t.q",
          "[{\"path\":[\"t\",\"q\"]},"
          "{\"annotations\":{\"scope\":\"package\",\"title\":\"The package\"},\"path\":[\"t\"]}]");
}

static void test_chain_order(void **state)
{
    (void)state;
    /* subpackages on a.b and on a, package on a.b.c, document and rule on p */
    const char *const mods[] = {
        "# METADATA\n# scope: subpackages\n# title: sub a\npackage a\n",
        "# METADATA\n# scope: subpackages\n# title: sub ab\npackage a.b\n",
        "# METADATA\n# title: pkg abc\npackage a.b.c\n"
        "\n"
        "# METADATA\n# scope: document\n# title: doc p\n"
        "p := 1 if { false }\n"
        "\n"
        "# METADATA\n# title: rule p\n"
        "p := rego.metadata.chain()\n"
        "\n"
        "f(x) := [x, rego.metadata.chain()]\n",
    };
    check_n(
        mods, 3, "data.a.b.c.p",
        "[{\"annotations\":{\"scope\":\"rule\",\"title\":\"rule p\"},\"path\":[\"a\",\"b\",\"c\","
        "\"p\"]},"
        "{\"annotations\":{\"scope\":\"document\",\"title\":\"doc p\"},\"path\":[\"a\",\"b\","
        "\"c\",\"p\"]},"
        "{\"annotations\":{\"scope\":\"package\",\"title\":\"pkg abc\"},\"path\":[\"a\",\"b\","
        "\"c\"]},"
        "{\"annotations\":{\"scope\":\"subpackages\",\"title\":\"sub ab\"},\"path\":[\"a\","
        "\"b\"]},"
        "{\"annotations\":{\"scope\":\"subpackages\",\"title\":\"sub a\"},\"path\":[\"a\"]}]");
    /* A function's chain, and from another package (the subpackages of a only). */
    const char *const mods2[] = {
        mods[0],
        "package a.z\n"
        "f(x) := [x, rego.metadata.chain()]\n"
        "r := f(1)\n",
    };
    check_n(mods2, 2, "data.a.z.r",
            "[1,[{\"path\":[\"a\",\"z\",\"f\"]},"
            "{\"annotations\":{\"scope\":\"subpackages\",\"title\":\"sub a\"},\"path\":[\"a\"]}]]");
}

static void test_no_annotations(void **state)
{
    (void)state;
    const char *src = "package t\n"
                      "# an ordinary comment\n"
                      "p := rego.metadata.chain()\n"
                      "r := rego.metadata.rule()\n"
                      "s[k] := v if { some k in [\"a\"]; v := rego.metadata.chain() }\n";
    check(src, "data.t.p", "[{\"path\":[\"t\",\"p\"]}]");
    check(src, "data.t.r", "{}");
    check(src, "data.t.s", "{\"a\":[{\"path\":[\"t\",\"s\"]}]}");
    /* Another module has annotations: the linked chain is the same shape. */
    const char *const mods[] = {src, "# METADATA\n# title: x\npackage u\n"};
    check_n(mods, 2, "data.t.p", "[{\"path\":[\"t\",\"p\"]}]");
    check_n(mods, 2, "data.t.r", "{}");
}

static void test_fields(void **state)
{
    (void)state;
    const char *src = "package t\n"
                      "\n"
                      "# METADATA\n"
                      "# title: fields\n"
                      "# entrypoint: true\n"
                      "# organizations:\n"
                      "# - Acme\n"
                      "# authors:\n"
                      "# - Jane   Q  Doe <jane@example.com>\n"
                      "# - <only@example.com>\n"
                      "# - name: John\n"
                      "# related_resources:\n"
                      "# - https://example.com\n"
                      "# - ref: https://example.com/x\n"
                      "#   description: the x\n"
                      "# schemas:\n"
                      "# - input: schema.input\n"
                      "# - input.x: {type: string}\n"
                      "# custom:\n"
                      "#   severity: 3\n"
                      "#   tags: [a, b]\n"
                      "# unknown_key: ignored\n"
                      "p := rego.metadata.chain()[1]\n";
    check(src, "data.t.p",
          "{\"annotations\":{\"authors\":[{\"email\":\"jane@example.com\",\"name\":\"Jane Q Doe\"},"
          "{\"email\":\"only@example.com\"},{\"name\":\"John\"}],"
          "\"custom\":{\"severity\":3,\"tags\":[\"a\",\"b\"]},\"entrypoint\":true,"
          "\"organizations\":[\"Acme\"],"
          "\"related_resources\":[{\"ref\":\"https://example.com\"},"
          "{\"description\":\"the x\",\"ref\":\"https://example.com/x\"}],"
          "\"schemas\":[{\"path\":[\"input\"],\"schema\":[\"schema\",\"input\"]},"
          "{\"definition\":{\"type\":\"string\"},\"path\":[\"input\",\"x\"]}],"
          "\"scope\":\"document\",\"title\":\"fields\"},\"path\":[\"t\",\"p\"]}");
    /* entrypoint makes the default scope document: rule() is then {} */
    check("package t\n# METADATA\n# entrypoint: true\np := rego.metadata.rule()\n", "data.t.p",
          "{}");
    expect_error("package t\n# METADATA\n# scope: rule\n# entrypoint: true\np := 1\n",
                 "m0.rego:2:1: rego_parse_error: annotation entrypoint applied to non-document or "
                 "package scope 'rule'");
}

static void test_placement(void **state)
{
    (void)state;
    /* A block inside a rule body belongs to the next rule; an indented marker still starts a
     * block; a blank line ends the YAML; CRLF lines; several blocks on one rule (the first
     * rule-scope one is the rule's). */
    check("package t\n"
          "a if {\n"
          "  # METADATA\n"
          "# title: for b\n"
          "  true\n"
          "}\n"
          "b := rego.metadata.rule()\n",
          "data.t.b", "{\"scope\":\"rule\",\"title\":\"for b\"}");
    check("package t\r\n# METADATA\r\n# title: crlf\r\n\r\n# title: not yaml\r\n"
          "p := rego.metadata.rule()\r\n",
          "data.t.p", "{\"scope\":\"rule\",\"title\":\"crlf\"}");
    check("package t\n# METADATA\n# title: one\n\n# METADATA\n# description: two\n"
          "p := rego.metadata.rule()\n",
          "data.t.p", "{\"scope\":\"rule\",\"title\":\"one\"}");
    /* A marker right below a block's lines is YAML of that block (OPA appends it too). */
    expect_error("package t\n# METADATA\n# title: one\n# METADATA\n# description: two\np := 1\n",
                 "m0.rego:5:1: rego_parse_error: yaml: line 3:");
    check("package t\n# METADATA\n# title: one\n\n# METADATA\n# scope: document\n"
          "# title: two\np := rego.metadata.chain()\n",
          "data.t.p",
          "[{\"annotations\":{\"scope\":\"rule\",\"title\":\"one\"},\"path\":[\"t\",\"p\"]},"
          "{\"annotations\":{\"scope\":\"document\",\"title\":\"two\"},\"path\":[\"t\",\"p\"]}]");
    /* Not a marker: text before METADATA, or lower case. */
    check("package t\n# see METADATA\n# title: x\n# metadata\n# y: 1\np := rego.metadata.rule()\n",
          "data.t.p", "{}");
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("package t\n# METADATA\n# title: [unclosed\np := 1\n", "m0.rego:");
    expect_error("package t\n\n# METADATA\n# title: a\n# b: : c\n# d\np := 1\n",
                 "rego_parse_error: yaml: line 2:");
    expect_error("package t\n\n# METADATA\n# title: a\n# b: : c\np := 1\n", "m0.rego:5:1:");
    expect_error("package t\np := 1\n# METADATA\n# title: at the end\n",
                 "m0.rego:3:1: rego_parse_error: invalid annotation scope ''");
    expect_error("package t\np := 1\n# METADATA\n# scope: rule\n",
                 "annotation scope 'rule' must be applied to rule");
    expect_error("package t\n# METADATA\n# title: x\nimport data.y\np := 1\n",
                 "invalid annotation scope 'import'");
    expect_error("package t\n# METADATA\n# scope: package\np := 1\n",
                 "annotation scope 'package' must be applied to package (have rule)");
    expect_error("# METADATA\n# scope: document\npackage t\n",
                 "annotation scope 'document' must be applied to rule (have package)");
    expect_error("package t\n# METADATA\n# scope: everything\np := 1\n",
                 "invalid annotation scope 'everything'");
    expect_error("package t\n# METADATA\np := 1\n", "expected METADATA block, found whitespace");
    expect_error("package t\n# METADATA\n#\n#  \np := 1\n",
                 "expected METADATA block, found whitespace");
    expect_error("package t\n# METADATA\n# - a\np := 1\n", "must be a YAML mapping");
    expect_error("package t\n# METADATA\n# title: [a]\np := 1\n", "string is expected for title");
    expect_error("package t\n# METADATA\n# authors: x\np := 1\n", "list is expected for authors");
    expect_error("package t\n# METADATA\n# authors:\n# - {}\np := 1\n",
                 "invalid author definition");
    expect_error("package t\n# METADATA\n# related_resources:\n# - description: d\np := 1\n",
                 "'ref' value required");
    expect_error("package t\n# METADATA\n# custom: 3\np := 1\n", "mapping is expected for custom");
    expect_error("package t\n# METADATA\n# entrypoint: maybe\np := 1\n", "boolean is expected");
    expect_error("package t\n# METADATA\n# schemas:\n# - input: other.x\np := 1\n",
                 "invalid schema reference: other.x");
    expect_error("package t\n# METADATA\n# schemas:\n# - input..x: schema.y\np := 1\n",
                 "invalid schema reference: input..x");
    expect_error("package t\n# METADATA\n# schemas:\n# - input: 3\np := 1\n",
                 "invalid schema declaration for path input");
    expect_error("package t\n# METADATA\n# schemas:\n# - {input: schema.a, data: schema.b}\n"
                 "p := 1\n",
                 "a map of one path is expected");
    /* Bytes from YAML escapes are not echoed raw into messages. */
    expect_error("package t\n# METADATA\n# scope: \"a\\x01\\x1bb\"\np := 1\n",
                 "invalid annotation scope 'a??b'");
    /* Two package annotations of one package (in two modules), two document ones of a rule. */
    const char *const two[] = {"# METADATA\n# title: a\npackage t\n",
                               "# METADATA\n# title: b\npackage t\n"};
    expect_error_n(two, 2, "package annotation redeclared: m0.rego:1");
    expect_error("package t\n# METADATA\n# scope: document\np := 1 if false\n"
                 "# METADATA\n# scope: document\np := 2\n",
                 "m0.rego:5:1: rego_type_error: document annotation redeclared: m0.rego:2");
    /* Lexing errors still win over METADATA errors found earlier. */
    expect_error("package t\n# METADATA\n# scope: bad\np := \"unterminated\n",
                 "non-terminated string");
}

/* Many annotated rules fit (each block's YAML is read in a scratch arena); a YAML alias bomb in
 * custom is refused when the annotation is copied out, not expanded without bound. */
static void test_limits(void **state)
{
    (void)state;
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1 << 22);
    ay_buf_puts(&b, "package t\n");
    for (int i = 0; i < 3000; i++) {
        ay_buf_printf(&b, "# METADATA\n# title: rule %d\n# custom: {n: %d}\nr%d := %d\n", i, i, i,
                      i);
    }
    ay_buf_puts(&b, "# METADATA\n# title: last\np := rego.metadata.rule()\n");
    assert_int_equal(ay_buf_finish(&b), AY_OK);
    check(b.ptr, "data.t.p", "{\"scope\":\"rule\",\"title\":\"last\"}");
    ay_buf_free(&b);

    ay_buf_init(&b, NULL, 1 << 16);
    ay_buf_puts(&b,
                "package t\n# METADATA\n# custom:\n#   l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 8; i++) {
        ay_buf_printf(&b, "#   l%d: &l%d [", i, i);
        for (int j = 0; j < 10; j++) {
            ay_buf_printf(&b, "%s*l%d", j ? ", " : "", i - 1);
        }
        ay_buf_puts(&b, "]\n");
    }
    ay_buf_puts(&b, "p := 1\n");
    assert_int_equal(ay_buf_finish(&b), AY_OK);
    expect_error(b.ptr, "m0.rego:2:1: METADATA block: too many values");
    ay_buf_free(&b);
}

/* Template strings (any call) in function parameters are evaluated after the body. */
static void test_call_in_parameters(void **state)
{
    (void)state;
    check("package t\n"
          "f($\"{x}-{y}\") := 1 if { x := \"a\"; y := \"b\" } else := 2 if { x := \"c\"; y := "
          "\"d\" }\n"
          "g([1, $`{x}`]) := x if { x := \"z\" }\n"
          "h(x, $\"{x}!\") := true\n"
          "p := [f(\"a-b\"), f(\"c-d\"), g([1, \"z\"]), h(\"w\", \"w!\")]\n",
          "data.t.p", "[1,2,\"z\",true]");
    check("package t\nf($\"{x}\") := 1 if { x := \"a\" }\np := [r | r := f(\"b\")]\n", "data.t.p",
          "[]");
}

static void test_query(void **state)
{
    (void)state;
    const char *src = "# METADATA\n# title: x\npackage t\n";
    struct ay_diag d;
    struct ay_rego_policy *p = compile_n(&src, 1, &d);
    assert_non_null(p);
    struct ay_rego_eval_opts o = {0};
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1 << 16);
    assert_int_equal(
        ay_rego_eval_query(p, "x := rego.metadata.chain(); y := rego.metadata.rule()", &o, &b, &d),
        AY_OK);
    assert_non_null(strstr(b.ptr, "\"x\":[]"));
    assert_non_null(strstr(b.ptr, "\"y\":{}"));
    ay_buf_free(&b);
    ay_rego_policy_release(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lexer_blocks),
        cmocka_unit_test(test_package_and_rule),
        cmocka_unit_test(test_chain_order),
        cmocka_unit_test(test_no_annotations),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_placement),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_call_in_parameters),
        cmocka_unit_test(test_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
