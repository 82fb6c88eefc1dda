/* SPDX-License-Identifier: Apache-2.0 */
/* GraphQL lexer and parsers (codec_graphql) and the schema / query validation behind the
 * graphql.* builtins (rego_graphql_valid): ASTs of valid documents, the reference parser's
 * error texts and positions, truncated input at every length, bad tokens, and the source,
 * token and nesting limits at limit and limit+1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_arena.h"
#include "base/base_limits.h"
#include "codec/codec_graphql.h"
#include "rego/rego_graphql_valid.h"

#define ARENA_CAP ((size_t)64 * 1024 * 1024)

struct res {
    ay_err err;
    char msg[AY_DIAG_MSG_MAX];
    struct ay_gql_pos pos;
};

static struct res query(struct ay_arena *a, const char *src, size_t n, struct ay_gql_query **out)
{
    struct res r;
    struct ay_diag d;
    ay_diag_clear(&d);
    r.pos = (struct ay_gql_pos){-1, -1};
    struct ay_gql_query *q = NULL;
    r.err = ay_gql_parse_query(a, src, n, &d, &r.pos, &q);
    (void)snprintf(r.msg, sizeof r.msg, "%s", r.err == AY_OK ? "" : ay_diag_message(&d));
    if (out != NULL) {
        *out = q;
    }
    return r;
}

static struct res schema(struct ay_arena *a, const char *src, struct ay_gql_sdoc **out)
{
    struct res r;
    struct ay_diag d;
    ay_diag_clear(&d);
    r.pos = (struct ay_gql_pos){-1, -1};
    struct ay_gql_sdoc *s = NULL;
    r.err = ay_gql_parse_schema(a, src, strlen(src), &d, &r.pos, &s);
    (void)snprintf(r.msg, sizeof r.msg, "%s", r.err == AY_OK ? "" : ay_diag_message(&d));
    if (out != NULL) {
        *out = s;
    }
    return r;
}

static void expect_qerr(const char *src, const char *msg, int line, int col)
{
    struct ay_arena *a;
    ay_arena_new(ARENA_CAP, &a);
    struct res r = query(a, src, strlen(src), NULL);
    assert_int_equal(r.err, AY_ERR_MALFORMED);
    assert_string_equal(r.msg, msg);
    assert_int_equal(r.pos.line, line);
    assert_int_equal(r.pos.col, col);
    ay_arena_free(a);
}

static void expect_serr(const char *src, const char *msg, int line, int col)
{
    struct ay_arena *a;
    ay_arena_new(ARENA_CAP, &a);
    struct res r = schema(a, src, NULL);
    assert_int_equal(r.err, AY_ERR_MALFORMED);
    assert_string_equal(r.msg, msg);
    assert_int_equal(r.pos.line, line);
    assert_int_equal(r.pos.col, col);
    ay_arena_free(a);
}

static void test_query_ast(void **state)
{
    (void)state;
    struct ay_arena *a;
    ay_arena_new(ARENA_CAP, &a);
    struct ay_gql_query *q;
    const char *src = "query Q($v: [Int!]! = [1, 2.5e3], $w: String @d) @op {\n"
                      "  al: f(a: $v, b: \"s\\u0041\\n\", c: \"\"\"\n    x\n      y\n  \"\"\","
                      " d: {k: ENUM, n: null, t: true}) @x(y: 1) { g }\n"
                      "  ...Frag @s\n  ... on T { h }\n  ... { i }\n}\n"
                      "fragment Frag on T { j }\n{ k }\n";
    struct res r = query(a, src, strlen(src), &q);
    assert_int_equal(r.err, AY_OK);
    const struct ay_gql_op *op = q->ops;
    assert_true(ay_str_eq_c(op->operation, "query"));
    assert_true(ay_str_eq_c(op->name, "Q"));
    assert_true(ay_str_eq_c(op->vars->name, "v"));
    assert_true(op->vars->type->non_null);
    assert_true(op->vars->type->elem->non_null);
    assert_true(ay_str_eq_c(op->vars->type->elem->named, "Int"));
    assert_int_equal(op->vars->defval->kind, AY_GQL_V_LIST);
    assert_int_equal(op->vars->defval->n_children, 2);
    assert_int_equal(op->vars->defval->children->next->value->kind, AY_GQL_V_FLOAT);
    assert_true(ay_str_eq_c(op->vars->next->dirs->name, "d"));
    assert_true(ay_str_eq_c(op->dirs->name, "op"));
    const struct ay_gql_sel *f = op->sels;
    assert_int_equal(f->kind, AY_GQL_SEL_FIELD);
    assert_true(ay_str_eq_c(f->alias, "al"));
    assert_true(ay_str_eq_c(f->name, "f"));
    assert_int_equal(f->pos.line, 2);
    assert_int_equal(f->pos.col, 3);
    const struct ay_gql_arg *arg = f->args;
    assert_int_equal(arg->value->kind, AY_GQL_V_VARIABLE);
    assert_true(ay_str_eq_c(arg->value->raw, "v"));
    arg = arg->next;
    assert_int_equal(arg->value->kind, AY_GQL_V_STRING);
    assert_true(ay_str_eq_c(arg->value->raw, "sA\n"));
    arg = arg->next;
    assert_int_equal(arg->value->kind, AY_GQL_V_BLOCK);
    assert_true(ay_str_eq_c(arg->value->raw, "x\n  y")); /* common indent removed */
    arg = arg->next;
    assert_int_equal(arg->value->kind, AY_GQL_V_OBJECT);
    assert_int_equal(arg->value->children->value->kind, AY_GQL_V_ENUM);
    assert_int_equal(arg->value->children->next->value->kind, AY_GQL_V_NULL);
    assert_int_equal(arg->value->children->next->next->value->kind, AY_GQL_V_BOOLEAN);
    assert_true(ay_str_eq_c(f->sels->name, "g"));
    assert_int_equal(f->next->kind, AY_GQL_SEL_SPREAD);
    assert_true(ay_str_eq_c(f->next->name, "Frag"));
    assert_int_equal(f->next->next->kind, AY_GQL_SEL_INLINE);
    assert_true(ay_str_eq_c(f->next->next->type_cond, "T"));
    assert_int_equal(f->next->next->next->type_cond.len, 0);
    assert_true(ay_str_eq_c(q->frags->name, "Frag"));
    assert_true(ay_str_eq_c(q->frags->type_cond, "T"));
    assert_true(ay_str_eq_c(op->next->operation, "query"));
    assert_int_equal(op->next->name.len, 0);
    /* An empty document is valid and empty. */
    r = query(a, " \n# only a comment\n", 19, &q);
    assert_int_equal(r.err, AY_OK);
    assert_null(q->ops);
    assert_null(q->frags);
    ay_arena_free(a);
}

static void test_schema_ast(void **state)
{
    (void)state;
    struct ay_arena *a;
    ay_arena_new(ARENA_CAP, &a);
    struct ay_gql_sdoc *s;
    struct res r =
        schema(a,
               "\"d\" schema @x { query: Q mutation: M }\n"
               "extend schema @y\n"
               "\"\"\"\n  Block\n\"\"\" type Q implements & A & B @k { f(a: Int = 1 @z): "
               "[S!] }\n"
               "union U = | A | B\nenum E { X \"ev\" Y @deprecated }\n"
               "input I { a: Int = 2 }\nscalar S\ninterface A implements B { f: Int }\n"
               "directive @d(a: Int) repeatable on | FIELD | QUERY\n"
               "extend type Q { g: Int }\nextend union U @k\n",
               &s);
    assert_int_equal(r.err, AY_OK);
    assert_true(ay_str_eq_c(s->schema->desc, "d"));
    assert_true(ay_str_eq_c(s->schema->optypes->next->operation, "mutation"));
    assert_true(ay_str_eq_c(s->schema_ext->dirs->name, "y"));
    const struct ay_gql_def *d = s->defs;
    assert_true(ay_str_eq_c(d->kind, "OBJECT"));
    assert_true(ay_str_eq_c(d->desc, "Block"));
    assert_true(ay_str_eq_c(d->ifaces->next->s, "B"));
    assert_true(ay_str_eq_c(d->fields->args->name, "a"));
    assert_true(ay_str_eq_c(d->fields->args->defval->raw, "1"));
    assert_true(ay_str_eq_c(d->fields->args->dirs->name, "z"));
    assert_true(d->fields->type->elem->non_null);
    d = d->next;
    assert_true(ay_str_eq_c(d->kind, "UNION"));
    assert_true(ay_str_eq_c(d->types->next->s, "B"));
    d = d->next;
    assert_true(ay_str_eq_c(d->kind, "ENUM"));
    assert_true(ay_str_eq_c(d->enumvals->next->desc, "ev"));
    d = d->next;
    assert_true(ay_str_eq_c(d->kind, "INPUT_OBJECT"));
    assert_true(ay_str_eq_c(d->fields->defval->raw, "2"));
    assert_true(ay_str_eq_c(s->dirdefs->name, "d"));
    assert_true(s->dirdefs->repeatable);
    assert_true(ay_str_eq_c(s->dirdefs->locs->next->s, "QUERY"));
    assert_true(ay_str_eq_c(s->exts->name, "Q"));
    assert_true(ay_str_eq_c(s->exts->next->kind, "UNION"));
    ay_arena_free(a);
}

/* The reference parser's texts and positions (OPA's graphql test suite checks them). */
static void test_syntax_errors(void **state)
{
    (void)state;
    expect_qerr("{", "Expected Name, found <EOF>", 1, 2);
    expect_qerr("\n  { ...MissingOn }\n  fragment MissingOn Type\n",
                "Expected \"on\", found Name \"Type\"", 3, 22);
    expect_qerr("{ field: {} }", "Expected Name, found {", 1, 10);
    expect_qerr("notanoperation Foo { field }", "Unexpected Name \"notanoperation\"", 1, 1);
    expect_qerr("...", "Unexpected ...", 1, 1);
    expect_qerr("query Foo($x: Complex = { a: { b: [ $var ] } }) { field }", "Unexpected $", 1, 37);
    expect_qerr("fragment on on on { on }", "Unexpected Name \"on\"", 1, 10);
    expect_qerr("{ ...on }", "Expected Name, found }", 1, 9);
    expect_qerr("{__typename{...}}", "Expected {, found }", 1, 16);
    expect_qerr("{...{__typename{...{}}}}", "expected at least one definition, found }", 1, 21);
    expect_qerr("{ f(a: \"x\n\") }", "Unexpected <Invalid>", 1, 10);
    expect_qerr("{ f(a: 01) }", "Unexpected <Invalid>", 1, 9);
    expect_qerr("{ f(a: 1.) }", "Unexpected <Invalid>", 1, 10);
    expect_qerr("{ f(a: 'x') }", "Unexpected <Invalid>", 1, 8);
    expect_qerr("{ f(a: \"\\q\") }", "Unexpected <Invalid>", 1, 10);
    expect_qerr("{ f(a: \"\\u12G4\") }", "Unexpected <Invalid>", 1, 10);
    expect_qerr("{ a . b }", "Expected Name, found <Invalid>", 1, 5);
    expect_qerr("\x01", "Unexpected <Invalid>", 1, 1);
    /* A string is positioned after its quote, a block string after its three quotes. */
    expect_qerr("\"desc\"", "Unexpected String \"desc\"", 1, 2);
    expect_qerr("  \"\"\"a\"\"\"", "Unexpected BlockString \"a\"", 1, 6);
    expect_qerr("\"q\\\"\\n\"", "Unexpected String \"q\\\"\\n\"", 1, 2);
    expect_serr("type Hello {}", "expected at least one definition, found }", 1, 13);
    expect_serr("extend type Hello", "Unexpected <EOF>", 1, 18);
    expect_serr("\n  \"Description\"\n  extend type Hello {\n    world: String\n  }\n",
                "Unexpected String \"Description\"", 2, 4);
    expect_serr("\n  extend \"Description\" type Hello {\n    world: String\n  }\n",
                "Unexpected String \"Description\"", 2, 11);
    expect_serr("extend schema", "Unexpected <EOF>", 1, 14);
    expect_serr("union Hello = || Wo | Rld", "Expected Name, found |", 1, 16);
    expect_serr("union Hello = | Wo | Rld |", "Expected Name, found <EOF>", 1, 27);
    expect_serr("\n  input Hello {\n    world(foo: Int): String\n  }\n", "Expected :, found (", 3,
                10);
    expect_serr("directive @foo on FIELD | INCORRECT_LOCATION",
                "Unexpected Name \"INCORRECT_LOCATION\"", 1, 27);
    expect_serr("type o{d(g:[", "Expected Name, found <EOF>", 1, 13);
    expect_serr("\"\"\"\r", "Unexpected <Invalid>", 2, 1);
    expect_serr("query { a }", "Unexpected Name \"query\"", 1, 1);
    expect_serr("extend foo", "Unexpected Name \"foo\"", 1, 8);
    expect_serr("schema { query: Q, query: Q2 } {", "Unexpected {", 1, 32);
}

/* Every prefix of a valid document either parses or fails cleanly with a position inside. */
static void test_truncated(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "query Q($v: [Int!]! = [1, {a: \"s\"}]) @d(x: $v) { a: b(c: \"\"\"x\"\"\") { ...F ... on T "
        "{ d } } }\nfragment F on T { e }",
        "\"d\" type T implements A & B @x(y: 1) { f(a: Int = 3): [S!]! }\nunion U = A | B\n"
        "enum E { A B }\ninput I { a: Int }\ndirective @d(a: Int) repeatable on FIELD | QUERY\n"
        "extend schema @d\nschema { query: T }",
    };
    for (size_t k = 0; k < 2; k++) {
        size_t n = strlen(docs[k]);
        for (size_t cut = 0; cut <= n; cut++) {
            struct ay_arena *a;
            ay_arena_new(ARENA_CAP, &a);
            struct ay_diag d;
            ay_diag_clear(&d);
            struct ay_gql_pos pos = {0, 0};
            ay_err e;
            if (k == 0) {
                struct ay_gql_query *q;
                e = ay_gql_parse_query(a, docs[k], cut, &d, &pos, &q);
            } else {
                struct ay_gql_sdoc *s;
                e = ay_gql_parse_schema(a, docs[k], cut, &d, &pos, &s);
            }
            assert_true(e == AY_OK || e == AY_ERR_MALFORMED);
            if (e != AY_OK) {
                assert_true(pos.line >= 1 && pos.line <= 8);
                assert_true(strlen(ay_diag_message(&d)) > 0);
            }
            if (cut == n) {
                assert_int_equal(e, AY_OK);
            }
            ay_arena_free(a);
        }
    }
}

/* pre + open*k + mid + close*k + post, malloc'd. */
static char *nested(const char *pre, const char *open, const char *mid, const char *close,
                    const char *post, size_t k)
{
    size_t n = strlen(pre) + strlen(mid) + strlen(post) + k * (strlen(open) + strlen(close)) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    size_t at = 0;
    const char *parts[] = {pre, open, mid, close, post};
    size_t reps[] = {1, k, 1, k, 1};
    for (size_t p = 0; p < 5; p++) {
        size_t l = strlen(parts[p]);
        for (size_t r = 0; r < reps[p]; r++) {
            memcpy(s + at, parts[p], l);
            at += l;
        }
    }
    s[at] = '\0';
    return s;
}

static ay_err parse_nested(const char *pre, const char *open, const char *mid, const char *close,
                           const char *post, size_t k)
{
    char *s = nested(pre, open, mid, close, post, k);
    struct ay_arena *a;
    ay_arena_new(ARENA_CAP, &a);
    struct res r = query(a, s, strlen(s), NULL);
    if (r.err == AY_ERR_LIMIT) {
        assert_non_null(strstr(r.msg, "nesting deeper than"));
    }
    ay_arena_free(a);
    free(s);
    return r.err;
}

/* Nesting: selection sets, list values and list types share one depth counter capped at
 * AY_LIMIT_GQL_DEPTH (one level is the operation's own selection set, or the named type). */
static void test_depth_limit(void **state)
{
    (void)state;
    const size_t lim = AY_LIMIT_GQL_DEPTH;
    assert_int_equal(parse_nested("", "{a", "{b}", "}", "", lim - 1), AY_OK);
    assert_int_equal(parse_nested("", "{a", "{b}", "}", "", lim), AY_ERR_LIMIT);
    assert_int_equal(parse_nested("{f(a: ", "[", "", "]", ")}", lim - 1), AY_OK);
    assert_int_equal(parse_nested("{f(a: ", "[", "", "]", ")}", lim), AY_ERR_LIMIT);
    /* The innermost scalar is one more level. */
    assert_int_equal(parse_nested("{f(a: ", "{x: ", "1", "}", ")}", lim - 2), AY_OK);
    assert_int_equal(parse_nested("{f(a: ", "{x: ", "1", "}", ")}", lim - 1), AY_ERR_LIMIT);
    assert_int_equal(parse_nested("query($v: ", "[", "Int", "]", ") {a}", lim - 1), AY_OK);
    assert_int_equal(parse_nested("query($v: ", "[", "Int", "]", ") {a}", lim), AY_ERR_LIMIT);
    /* Far deeper input is refused the same way (no stack exhaustion). */
    assert_int_equal(parse_nested("", "{a", "{b}", "}", "", 100000), AY_ERR_LIMIT);
    assert_int_equal(parse_nested("{f(a: ", "[", "", "]", ")}", 100000), AY_ERR_LIMIT);
}

/* Tokens: AY_LIMIT_GQL_TOKENS are accepted (the EOF token counts), one more is refused. */
static void test_token_limit(void **state)
{
    (void)state;
    for (size_t extra = 0; extra < 2; extra++) {
        size_t fields = AY_LIMIT_GQL_TOKENS - 3 + extra; /* "{" fields "}" EOF */
        size_t n = 2 + fields * 2;
        char *s = malloc(n + 1);
        assert_non_null(s);
        s[0] = '{';
        for (size_t i = 0; i < fields; i++) {
            s[1 + 2 * i] = 'a';
            s[2 + 2 * i] = ' ';
        }
        s[n - 1] = '}';
        s[n] = '\0';
        struct ay_arena *a;
        ay_arena_new(ARENA_CAP, &a);
        struct res r = query(a, s, n, NULL);
        assert_int_equal(r.err, extra == 0 ? AY_OK : AY_ERR_LIMIT);
        ay_arena_free(a);
        free(s);
    }
}

static void test_size_and_arena_limits(void **state)
{
    (void)state;
    size_t n = AY_LIMIT_GQL_SOURCE + 1;
    char *s = malloc(n);
    assert_non_null(s);
    memset(s, ' ', n);
    struct ay_arena *a;
    ay_arena_new(ARENA_CAP, &a);
    assert_int_equal(query(a, s, n - 1, NULL).err, AY_OK); /* at the limit: all blanks */
    assert_int_equal(query(a, s, n, NULL).err, AY_ERR_LIMIT);
    ay_arena_free(a);
    free(s);
    /* A small arena: the parse fails with AY_ERR_LIMIT, never crashes. */
    const char *doc = "{ a b c d e f g h i j k l m n o p q r s t u v w x y z }";
    ay_arena_new(2048, &a);
    struct res r;
    int repeats = 0;
    do {
        r = query(a, doc, strlen(doc), NULL);
        repeats++;
    } while (r.err == AY_OK && repeats < 100);
    assert_int_equal(r.err, AY_ERR_LIMIT);
    ay_arena_free(a);
}

static void test_block_string(void **state)
{
    (void)state;
    struct ay_arena *a;
    ay_arena_new(ARENA_CAP, &a);
    struct ay_str out;
    const char *raw = "\n    Hello,\n      World!\n\n    Yours,\n      GraphQL.\n  ";
    assert_int_equal(ay_gql_block_string(a, raw, strlen(raw), &out), AY_OK);
    assert_true(ay_str_eq_c(out, "Hello,\n  World!\n\nYours,\n  GraphQL."));
    assert_int_equal(ay_gql_block_string(a, "   ", 3, &out), AY_OK);
    assert_int_equal(out.len, 0);
    assert_int_equal(ay_gql_block_string(a, "  first\n  second", 16, &out), AY_OK);
    assert_true(ay_str_eq_c(out, "  first\nsecond")); /* the first line keeps its indent */
    ay_arena_free(a);
}

static struct res validate(const char *sdl, const char *q)
{
    struct ay_arena *a;
    ay_arena_new(ARENA_CAP, &a);
    struct ay_gql_sdoc *sd;
    struct res r = schema(a, sdl, &sd);
    assert_int_equal(r.err, AY_OK);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_gql_schema *s;
    r.err = ay_gql_schema_build(a, sd, &d, &r.pos, &s);
    if (r.err == AY_OK && q != NULL) {
        struct ay_gql_query *qd;
        struct res qr = query(a, q, strlen(q), &qd);
        assert_int_equal(qr.err, AY_OK);
        r.err = ay_gql_query_validate(a, s, qd, &d, &r.pos);
    }
    (void)snprintf(r.msg, sizeof r.msg, "%s", r.err == AY_OK ? "" : ay_diag_message(&d));
    ay_arena_free(a);
    return r;
}

static void expect_schema_invalid(const char *sdl, const char *msg)
{
    struct res r = validate(sdl, NULL);
    assert_int_equal(r.err, AY_ERR_MALFORMED);
    assert_string_equal(r.msg, msg);
}

static void test_schema_validation(void **state)
{
    (void)state;
    assert_int_equal(validate("type Query { a: Int }", NULL).err, AY_OK);
    assert_int_equal(validate("extend type User { id: ID! }\nunion E = User\n"
                              "extend type Query { e: E }",
                              NULL)
                         .err,
                     AY_OK);
    assert_int_equal(validate("type Query { x: Int }\ndirective @d(a: String = \"b\") on SCHEMA\n"
                              "extend schema @d",
                              NULL)
                         .err,
                     AY_OK);
    assert_int_equal(
        validate("interface I { a: Int }\ntype T implements I { a: Int b: Int }", NULL).err, AY_OK);
    expect_schema_invalid("type Hello implements World { field: String }",
                          "Undefined type \"World\"");
    expect_schema_invalid("union Hello = World", "Undefined type \"World\"");
    expect_schema_invalid("schema { query: Query }",
                          "Schema root query refers to a type Query that does not exist");
    expect_schema_invalid("extend scalar Foo @deprecated\nextend type Foo @deprecated",
                          "Cannot extend type Foo because the base type is a SCALAR, not OBJECT");
    expect_schema_invalid("interface IA { id: ID! }\ninterface IIA implements IA { id: ID! }\n"
                          "type A implements IIA { id: ID! }",
                          "Type A must implement IA because it is implemented by IIA");
    expect_schema_invalid("type P { f: [P!]! }\ninput PI { f: [P] }",
                          "OBJECT f: field must be one of SCALAR, ENUM, INPUT_OBJECT");
    expect_schema_invalid("type A { a: Int }\ntype A { b: Int }", "Cannot redeclare type A");
    expect_schema_invalid("type String { a: Int }", "Cannot redeclare type String");
    expect_schema_invalid("type __A { a: Int }",
                          "Name \"__A\" must not begin with \"__\", which is reserved by GraphQL "
                          "introspection");
    expect_schema_invalid("type A { a: Int a: Int }", "Field A.a can only be defined once");
    expect_schema_invalid("type A { a: B }", "Undefined type B");
    expect_schema_invalid("type A { a: Int @nope }", "Undefined directive nope");
    expect_schema_invalid("type A { a: Int @skip(if: true) }",
                          "Directive skip is not applicable on FIELD_DEFINITION");
    expect_schema_invalid("type A { a(x: A): Int }",
                          "cannot use A as argument x because OBJECT is not a valid input type");
    expect_schema_invalid("interface I { a: Int! }\ntype T implements I { a: Int }",
                          "For T to implement I the field a must have type Int!");
    expect_schema_invalid("interface I { a: Int }\ntype T implements I { b: Int }",
                          "For T to implement I it must have a field called a");
    expect_schema_invalid("enum E { true }", "ENUM E: non-enum value true");
    expect_schema_invalid("directive @d on FIELD\ndirective @d on FIELD",
                          "Cannot redeclare directive d");
    expect_schema_invalid("directive @d(a: Int @d) on ARGUMENT_DEFINITION",
                          "Directive d cannot refer to itself");
    expect_schema_invalid("type Q { a: Int }\nschema { query: Q }\nschema { query: Q }",
                          "Cannot have multiple schema entry points, consider schema extensions "
                          "instead");
    /* Redefining a built-in directive is allowed; the first definition stays. */
    assert_int_equal(
        validate("directive @skip(if: Boolean!) on FIELD\ntype Query { a: Int }", NULL).err, AY_OK);
}

static const char sdl[] = "type Query { a(x: Int!, y: [String]): R b: Int e: E }\n"
                          "type R { id: ID! r: R }\nenum E { X Y }\n"
                          "type Mutation { m(i: In): Int }\ninput In { f: Int g: [In!] }";

static void expect_query(const char *q, const char *msg)
{
    struct res r = validate(sdl, q);
    if (msg == NULL && r.err != AY_OK) {
        print_message("unexpected error for %s: %s\n", q, r.msg);
    }
    if (msg == NULL) {
        assert_int_equal(r.err, AY_OK);
        return;
    }
    assert_int_equal(r.err, AY_ERR_MALFORMED);
    assert_string_equal(r.msg, msg);
}

static void test_query_validation(void **state)
{
    (void)state;
    expect_query("{ a(x: 1) { id r { id } } b __typename }", NULL);
    expect_query("query Q($v: Int!) { a(x: $v) { id } }", NULL);
    expect_query("query Q($f: Boolean!) { ...F }\nfragment F on Query { b @include(if: $f) }",
                 NULL);
    expect_query("{ __schema { types { name } } __type(name: \"R\") { name } }", NULL);
    expect_query("mutation { m(i: {f: 1}) }", NULL);
    expect_query("{ a { id } }",
                 "Field \"a\" argument \"x\" of type \"Int!\" is required, but it was not "
                 "provided");
    expect_query("{ zz }", "Cannot query field \"zz\" on type \"Query\"");
    expect_query("{ b(q: 1) }", "Unknown argument \"q\" on field \"Query.b\"");
    /* Near names are suggested (nearest first, case changes count one edit). */
    expect_query("{ B }", "Cannot query field \"B\" on type \"Query\". Did you mean \"a\", "
                          "\"b\", or \"e\"?"); /* all at distance 1: declaration order */
    expect_query("{ a(x: 1) { idd } }",
                 "Cannot query field \"idd\" on type \"R\". Did you mean \"id\"?");
    expect_query("{ a(x: 1, yy: 2) { id } }",
                 "Unknown argument \"yy\" on field \"Query.a\". Did you mean \"y\"?");
    expect_query("{ e(x: 1) }", "Unknown argument \"x\" on field \"Query.e\"");
    expect_query("mutation { m(i: {ff: 1}) }",
                 "Field \"ff\" is not defined by type \"In\". Did you mean \"f\"?");
    expect_query("{ b { __typename } }",
                 "Field \"b\" must not have a selection since type \"Int\" has no subfields");
    expect_query("{ a(x: 1) }",
                 "Field \"a\" of type \"R\" must have a selection of subfields. Did you mean \"a "
                 "{ ... }\"?");
    expect_query("{ ...Nope }", "Unknown fragment \"Nope\"");
    expect_query("{ b }\nfragment F on Query { b }", "Fragment \"F\" is never used");
    expect_query("query Q($v: Int) { b }", "Variable \"$v\" is never used in operation \"Q\"");
    expect_query("{ a(x: $v) { id } }", "Variable \"$v\" is not defined");
    expect_query("query Q($v: Nope) { b }", "Unknown type \"Nope\"");
    expect_query("query Q($v: R) { b }", "Variable \"$v\" cannot be non-input type \"R\"");
    expect_query("subscription { b }", "Schema does not support operation type \"subscription\"");
    expect_query("{ b }\n{ b }", "This anonymous operation must be the only defined operation");
    expect_query("query A { b }\nquery A { b }", "There can be only one operation named \"A\"");
    expect_query("{ b @nope }", "Unknown directive \"@nope\"");
    expect_query("{ b @skip }",
                 "Directive \"@skip\" argument \"if\" of type \"Boolean!\" is required, but it "
                 "was not provided");
    expect_query("{ ... on E { __typename } }",
                 "Fragment cannot condition on non composite type \"E\"");
    expect_query("{ ... on Nope { b } }", "Unknown type \"Nope\"");
    /* Values of correct type (section 5.6.1) and variables in allowed positions (5.8.5). */
    expect_query("{ a(x: \"s\") { id } }", "Int cannot represent non-integer value: \"s\"");
    expect_query("{ a(x: 1.5) { id } }", "Int cannot represent non-integer value: 1.5");
    expect_query("{ a(x: null) { id } }", "Expected value of type \"Int!\", found null");
    expect_query("{ a(x: 1, y: [\"a\", 2]) { id } }",
                 "String cannot represent a non string value: 2");
    expect_query("{ a(x: 1, y: \"one\") { id } }", NULL); /* a single value coerces to a list */
    expect_query("mutation { m(i: {f: 1, g: [{f: 2}]}) }", NULL);
    expect_query("mutation { m(i: {zzz: 1}) }", "Field \"zzz\" is not defined by type \"In\"");
    expect_query("mutation { m(i: {z: 1}) }",
                 "Field \"z\" is not defined by type \"In\". Did you mean \"f\" or \"g\"?");
    expect_query("mutation { m(i: {f: 1, f: 2}) }",
                 "There can be only one input field named \"f\"");
    expect_query("mutation { m(i: 3) }", "Expected value of type \"In\", found 3");
    expect_query("query Q($v: Int) { a(x: $v) { id } }",
                 "Variable \"$v\" of type \"Int\" used in position expecting type \"Int!\"");
    expect_query("query Q($v: Int = 3) { a(x: $v) { id } }", NULL);
    expect_query("query Q($v: String = 3) { b }", "String cannot represent a non string value: 3");
    /* Fragment cycles (section 5.5.2.2) are found, and never recursed into forever. */
    expect_query("{ a(x: 1) { ...F } }\nfragment F on R { r { ...F } }",
                 "Cannot spread fragment \"F\" within itself");
    expect_query("{ a(x: 1) { ...F } }\nfragment F on R { r { ...G } }\n"
                 "fragment G on R { ... on R { ...H } }\nfragment H on R { ...F }",
                 "Cannot spread fragment \"F\" within itself via \"G\", \"H\"");
    expect_query("{ a(x: 1) { ...F ...G } }\nfragment F on R { id ...G }\nfragment G on R { id }",
                 NULL);
    expect_query("{ b @skip(if: true) @skip(if: false) }",
                 "The directive \"@skip\" can only be used once at this location");
    /* A repeated variable: uses bind to the first, so the second is reported unused first. */
    expect_query("query Q($v: Int!, $v: Int) { a(x: $v) { id } }",
                 "Variable \"$v\" is never used in operation \"Q\"");
    const char *subs = "type Query { a: Int }\ntype Subscription { s: Int t: Int }";
    assert_int_equal(validate(subs, "subscription S { s }").err, AY_OK);
    assert_string_equal(validate(subs, "subscription S { s t }").msg,
                        "Subscription \"S\" must select only one top level field");
    assert_string_equal(
        validate(subs, "subscription { ...F }\nfragment F on Subscription { s t }").msg,
        "Anonymous Subscription must select only one top level field");
    assert_string_equal(validate(subs, "subscription { __typename }").msg,
                        "Anonymous Subscription must not select an introspection top level "
                        "field");
    assert_string_equal(
        validate("type Query { f(e: E): Int }\nenum E { RED GREEN }", "{ f(e: REDD) }").msg,
        "Value \"REDD\" does not exist in \"E\" enum. Did you mean the enum value "
        "\"RED\"?");
    assert_string_equal(validate("interface I { id: ID }\ntype A implements I { id: ID x: Int }\n"
                                 "type B implements I { id: ID x: Int }\ntype Query { i: I }",
                                 "{ i { x } }")
                            .msg,
                        "Cannot query field \"x\" on type \"I\". Did you mean to use an inline "
                        "fragment on \"A\" or \"B\"?");
    /* Field selection merging (section 5.3.2). */
    expect_query("{ x: b x: e }",
                 "Fields \"x\" conflict because b and e are different fields. Use different "
                 "aliases on the fields to fetch both if this was intentional");
    expect_query("{ a(x: 1) { id } a(x: 2) { id } }",
                 "Fields \"a\" conflict because they have differing arguments. Use different "
                 "aliases on the fields to fetch both if this was intentional");
    expect_query("{ a(x: 1) { id: r { id } } a(x: 1) { id } }",
                 "Fields \"a\" conflict because subfields \"id\" conflict because r and id are "
                 "different fields. Use different aliases on the fields to fetch both if this was "
                 "intentional");
    expect_query("{ a(x: 1) { id } a(x: 1) { r { id } } ...F }\nfragment F on Query { b }", NULL);
    expect_query("{ b ... on Query { b } }", NULL);
    /* Fragment spread is possible (section 5.5.2.3). */
    expect_query("{ a(x: 1) { ... on Query { b } } }",
                 "Fragment cannot be spread here as objects of type \"R\" can never be of type "
                 "\"Query\"");
    expect_query("{ a(x: 1) { ...Q } }\nfragment Q on Query { b }",
                 "Fragment \"Q\" cannot be spread here as objects of type \"R\" can never be of "
                 "type \"Query\"");
}

/* Big documents near the token cap stay fast: types are indexed by name, fragments entered
 * once per operation. */
static void test_large_documents(void **state)
{
    (void)state;
    size_t n_types = 8000;
    size_t cap = n_types * 40 + 64;
    char *sdl_big = malloc(cap);
    assert_non_null(sdl_big);
    size_t at = (size_t)snprintf(sdl_big, cap, "type Query { t0: T0 }\n");
    for (size_t i = 0; i < n_types; i++) {
        at += (size_t)snprintf(sdl_big + at, cap - at, "type T%zu { f: Int n: T%zu }\n", i,
                               (i + 1) % n_types);
    }
    struct res r = validate(sdl_big, "{ t0 { n { n { n { f } } } } }");
    assert_int_equal(r.err, AY_OK);
    free(sdl_big);
    /* One type with many fields, and a query selecting them all. */
    size_t n_fields = 6000;
    cap = n_fields * 16 + 64;
    char *wide = malloc(cap);
    char *q = malloc(cap);
    assert_non_null(wide);
    assert_non_null(q);
    at = (size_t)snprintf(wide, cap, "type Query {");
    size_t qat = (size_t)snprintf(q, cap, "{");
    for (size_t i = 0; i < n_fields; i++) {
        at += (size_t)snprintf(wide + at, cap - at, " f%zu: Int", i);
        qat += (size_t)snprintf(q + qat, cap - qat, " f%zu", i);
    }
    (void)snprintf(wide + at, cap - at, " }");
    (void)snprintf(q + qat, cap - qat, " }");
    r = validate(wide, q);
    assert_int_equal(r.err, AY_OK);
    free(wide);
    free(q);
    /* Fragments spreading each other in a diamond lattice: each entered once. */
    size_t n_frags = 60;
    cap = n_frags * 64 + 64;
    char *fq = malloc(cap);
    assert_non_null(fq);
    at = (size_t)snprintf(fq, cap, "{ r { ...F0 } }\n");
    for (size_t i = 0; i < n_frags; i++) {
        if (i + 2 < n_frags) {
            at += (size_t)snprintf(fq + at, cap - at, "fragment F%zu on R { ...F%zu ...F%zu }\n", i,
                                   i + 1, i + 2);
        } else {
            at += (size_t)snprintf(fq + at, cap - at, "fragment F%zu on R { id }\n", i);
        }
    }
    r = validate("type Query { r: R }\ntype R { id: ID r: R }", fq);
    assert_int_equal(r.err, AY_OK);
    free(fq);
}

/* Validation work is capped (AY_LIMIT_GQL_STEPS): every field spreading one big fragment makes
 * each merge check re-collect it. Below the cap the same shape validates. */
static void test_step_limit(void **state)
{
    (void)state;
    const char *sdl_t = "type Query { t: T }\ntype T { t: T x: Int }";
    size_t n_fields[2] = {20, 1000};
    size_t frag_fields = 3000;
    for (size_t k = 0; k < 2; k++) {
        size_t cap = n_fields[k] * 24 + frag_fields * 16 + 64;
        char *q = malloc(cap);
        assert_non_null(q);
        size_t at = (size_t)snprintf(q, cap, "{ t {");
        for (size_t i = 0; i < n_fields[k]; i++) {
            at += (size_t)snprintf(q + at, cap - at, " a%zu: t { ...F }", i);
        }
        at += (size_t)snprintf(q + at, cap - at, " } }\nfragment F on T {");
        for (size_t i = 0; i < frag_fields; i++) {
            at += (size_t)snprintf(q + at, cap - at, " x%zu: x", i);
        }
        (void)snprintf(q + at, cap - at, " }");
        struct res r = validate(sdl_t, q);
        if (k == 0) {
            assert_int_equal(r.err, AY_OK);
        } else {
            assert_int_equal(r.err, AY_ERR_MALFORMED);
            if (strstr(r.msg, "validation needs more than") == NULL) {
                print_message("%s\n", r.msg);
            }
            assert_non_null(strstr(r.msg, "validation needs more than"));
        }
        free(q);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_ast),
        cmocka_unit_test(test_schema_ast),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_token_limit),
        cmocka_unit_test(test_size_and_arena_limits),
        cmocka_unit_test(test_block_string),
        cmocka_unit_test(test_schema_validation),
        cmocka_unit_test(test_query_validation),
        cmocka_unit_test(test_large_documents),
        cmocka_unit_test(test_step_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
