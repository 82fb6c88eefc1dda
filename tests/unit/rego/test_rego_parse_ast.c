/* SPDX-License-Identifier: Apache-2.0 */
/* The Rego parser's AST, printed as S-expressions: operator precedence and associativity, the
 * newline rule for infix operators, suffix chains and parenthesised refs, lists of every kind
 * longer than the parser's scratch stack (and nested inside one another), query parsing, the
 * nesting limit at and one past its boundary for each kind of nesting, and parsing in an arena
 * too small for a whole block of nodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "rego/rego_ast.h"

/* ---- printer ---- */

static void put_term(struct ay_buf *b, const struct ay_rego_term *t);

static void put_items(struct ay_buf *b, const struct ay_rego_term *t, size_t from)
{
    for (size_t i = from; i < t->n; i++) {
        ay_buf_putc(b, ' ');
        put_term(b, t->items[i]);
    }
}

static void put_body(struct ay_buf *b, const struct ay_rego_body *body);

static void put_term(struct ay_buf *b, const struct ay_rego_term *t)
{
    switch (t->kind) {
    case AY_RT_VAL:
        ay_val_write_json(b, t->val);
        break;
    case AY_RT_VAR:
        ay_buf_put(b, t->name, t->name_len);
        break;
    case AY_RT_REF:
        ay_buf_puts(b, "(ref");
        put_items(b, t, 0);
        ay_buf_putc(b, ')');
        break;
    case AY_RT_ARR:
    case AY_RT_SET:
    case AY_RT_OBJ:
        ay_buf_puts(b, t->kind == AY_RT_ARR ? "(arr" : t->kind == AY_RT_SET ? "(set" : "(obj");
        put_items(b, t, 0);
        ay_buf_putc(b, ')');
        break;
    case AY_RT_CALL:
        ay_buf_putc(b, '(');
        ay_buf_put(b, t->name, t->name_len);
        put_items(b, t, 0);
        ay_buf_putc(b, ')');
        break;
    default:
        ay_buf_puts(b, "(comp ");
        put_term(b, t->head);
        if (t->kind == AY_RT_OCOMP) {
            ay_buf_putc(b, ' ');
            put_term(b, t->head2);
        }
        ay_buf_putc(b, ' ');
        put_body(b, t->body);
        ay_buf_putc(b, ')');
        break;
    }
}

static void put_expr(struct ay_buf *b, const struct ay_rego_expr *e)
{
    static const char *const kinds[] = {"term", "=", ":=", "some", "some-in", "every", "not"};
    ay_buf_printf(b, "[%s", kinds[e->kind]);
    const struct ay_rego_term *ts[] = {e->a, e->b, e->c};
    for (size_t i = 0; i < 3; i++) {
        if (ts[i] != NULL) {
            ay_buf_putc(b, ' ');
            put_term(b, ts[i]);
        }
    }
    for (size_t i = 0; i < e->n; i++) {
        ay_buf_putc(b, ' ');
        put_term(b, e->items[i]);
    }
    if (e->sub != NULL) {
        ay_buf_putc(b, ' ');
        put_expr(b, e->sub);
    }
    for (size_t i = 0; i < e->nwith; i++) {
        ay_buf_puts(b, " with ");
        put_term(b, e->with[i].target);
        ay_buf_puts(b, " as ");
        put_term(b, e->with[i].value);
    }
    ay_buf_putc(b, ']');
}

static void put_body(struct ay_buf *b, const struct ay_rego_body *body)
{
    ay_buf_putc(b, '{');
    for (size_t i = 0; i < body->n; i++) {
        if (i > 0) {
            ay_buf_putc(b, ' ');
        }
        put_expr(b, body->exprs[i]);
    }
    ay_buf_putc(b, '}');
}

/* ---- helpers ---- */

struct parsed {
    struct ay_arena *a;
    struct ay_rego_module *m;
    struct ay_diag d;
    ay_err e;
};

static void parse_cap(const char *src, size_t cap, struct parsed *out)
{
    ay_arena_new(cap, &out->a);
    ay_diag_clear(&out->d);
    out->m = NULL;
    out->e = ay_rego_parse_module(out->a, "t.rego", src, strlen(src), false, &out->d, &out->m);
}

static void parse(const char *src, struct parsed *out)
{
    parse_cap(src, AY_LIMIT_REQUEST_ARENA, out);
    if (out->e != AY_OK) {
        fail_msg("<<%.200s>>: %s", src, ay_diag_message(&out->d));
    }
}

/* The module prefix + src_part + "\n" parsed, and its first rule's value (or body) printed. */
static void want_printed(const char *prefix, const char *src_part, bool value, const char *want)
{
    size_t n = strlen(prefix) + strlen(src_part) + 2;
    char *src = malloc(n);
    assert_non_null(src);
    snprintf(src, n, "%s%s\n", prefix, src_part);
    struct parsed p;
    parse(src, &p);
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1 << 20);
    if (value) {
        put_term(&b, p.m->rules[0]->value);
    } else {
        put_body(&b, p.m->rules[0]->body);
    }
    if (b.len != strlen(want) || memcmp(b.ptr, want, b.len) != 0) {
        fail_msg("<<%s>>: got %.*s, want %s", src_part, (int)b.len, b.ptr, want);
    }
    ay_buf_free(&b);
    ay_arena_free(p.a);
    free(src);
}

/* The value of the module's first rule, printed. */
static void want_value(const char *value_src, const char *want)
{
    want_printed("package t\np := ", value_src, true, want);
}

/* The body of the module's first rule, printed. */
static void want_body(const char *rule_src, const char *want)
{
    want_printed("package t\n", rule_src, false, want);
}

static void want_error(const char *src, ay_err code, const char *msg)
{
    struct parsed p;
    parse_cap(src, AY_LIMIT_REQUEST_ARENA, &p);
    if (p.e != code || strstr(ay_diag_message(&p.d), msg) == NULL) {
        fail_msg("<<%.200s>>: want %s \"%s\", got %s: %s", src, ay_err_name(code), msg,
                 ay_err_name(p.e), ay_diag_message(&p.d));
    }
    ay_arena_free(p.a);
}

/* ---- tests ---- */

/* OPA's precedence, loosest first: comparisons; |; &; + -; * / %; all left-associative. */
static void test_precedence(void **state)
{
    (void)state;
    want_value("1 + 2 * 3", "(plus 1 (mul 2 3))");
    want_value("1 * 2 + 3", "(plus (mul 1 2) 3)");
    want_value("1 - 2 - 3", "(minus (minus 1 2) 3)");
    want_value("8 / 4 / 2 % 3", "(rem (div (div 8 4) 2) 3)");
    want_value("a | b & c", "(or a (and b c))");
    want_value("a & b | c & d", "(or (and a b) (and c d))");
    want_value("a + b | c", "(or (plus a b) c)");
    want_value("a == b | c", "(equal a (or b c))");
    want_value("a == b == c", "(equal (equal a b) c)");
    want_value("a < b + 1 * c", "(lt a (plus b (mul 1 c)))");
    want_value("1 + 2 * 3 - 4 / 2 % 3 >= x | y & z != w",
                 "(neq (gte (minus (plus 1 (mul 2 3)) (rem (div 4 2) 3)) (or x (and y z))) w)");
    want_value("a in b", "(internal.member_2 a b)");
    want_value("a == b in c", "(internal.member_2 (equal a b) c)");
    want_value("a in b in c", "(internal.member_2 (internal.member_2 a b) c)");
    want_value("(1 + 2) * 3", "(mul (plus 1 2) 3)");
    want_value("-x * 2", "(mul (minus 0 x) 2)");
    want_value("-1 - -2", "(minus -1 -2)");
    want_value("-x.y", "(minus 0 (ref x \"y\"))");
    /* collection elements: `|` after the first one is a comprehension, else an operator */
    want_value("[a | b]", "(comp a {[term b]})");
    want_value("[a & b | c]", "(comp (and a b) {[term c]})");
    want_value("[a, b | c]", "(arr a (or b c))");
    want_value("[a + 1 == b, c in d]", "(arr (equal (plus a 1) b) (internal.member_2 c d))");
    want_value("[a == b | c]", "(arr (equal a (or b c)))");
    want_value("{a: b | c}", "(comp a b {[term c]})");
    want_value("{a: b == c, d: e | f}", "(obj a (equal b c) d (or e f))");
    want_value("{a == b}", "(set (equal a b))");
    want_value("{a | b}", "(comp a {[term b]})");
}

/* An infix operator continues an expression only on its line. */
static void test_newlines(void **state)
{
    (void)state;
    want_body("p if {\n x := 1\n -2\n}", "{[:= x 1] [term -2]}");
    want_body("p if {\n x := 1 -\n 2\n}", "{[:= x (minus 1 2)]}");
    want_body("p if {\n x := [1,\n 2 + 3]\n}", "{[:= x (arr 1 (plus 2 3))]}");
    want_error("package t\np if {\n a\n in b\n}", AY_ERR_POLICY_COMPILE,
                 "t.rego:4:2: unexpected keyword (found \"in\")");
}

static void test_suffixes(void **state)
{
    (void)state;
    want_value("a.b[c].d", "(ref a \"b\" c \"d\")");
    want_value("a.b.c(1, 2)", "(a.b.c 1 2)");
    want_value("f(x).y[0]", "(ref (f x) \"y\" 0)");
    want_error("package t\np := f(x)(y)", AY_ERR_POLICY_COMPILE,
                 "t.rego:2:10: invalid function call target (found \"(\")");
    want_value("[1, 2][0]", "(ref (arr 1 2) 0)");
    want_error("package t\np := a [0]", AY_ERR_POLICY_COMPILE,
                 "t.rego:2:8: unexpected token after rule");
    /* A parenthesised ref continues: (a.b).c is a.b.c, however long the inner ref. */
    want_value("(a.b).c", "(ref a \"b\" \"c\")");
    want_value("(a.b.c.d).e.f", "(ref a \"b\" \"c\" \"d\" \"e\" \"f\")");
    want_value("(a.b.c.d.e.f.g.h.i)[1].j",
                 "(ref a \"b\" \"c\" \"d\" \"e\" \"f\" \"g\" \"h\" \"i\" 1 \"j\")");
    want_value("(a.b.c).f(1)", "(a.b.c.f 1)");
    want_value("(x)[0]", "(ref x 0)");
}

/* Parse errors where an operand, a name or a closing token is missing: the message and the
 * position of the token found instead (as before the parser's rework: OPA's conformance suite
 * checks them). */
static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *src, *msg;
    } cases[] = {
        {"package t\np := 1 +",
         "t.rego:2:9: expected a term (found end of input)"},
        {"package t\np := 1 + )",
         "t.rego:2:10: expected a term (found \")\")"},
        {"package t\np := [1 |",
         "t.rego:2:10: expected a term (found end of input)"},
        {"package t\np := {\"a\": }",
         "t.rego:2:12: expected a term (found \"}\")"},
        {"package t\np := f(1,",
         "t.rego:2:10: expected a term (found end of input)"},
        {"package t\np := a.",
         "t.rego:2:8: expected a name after '.' (found end of input)"},
        {"package t\np := a.1",
         "t.rego:2:8: expected a name after '.' (found \"1\")"},
        {"package t\np := a. b",
         "t.rego:2:9: expected a name after '.' (found \"b\")"},
        {"package t\np if { (a, b) }",
         "t.rego:2:10: expected ')' (found \",\")"},
        {"package t\np if { some x, 1 }",
         "t.rego:2:16: expected variables after 'some' (found \"1\")"},
        {"package t\np if { x with y }",
         "t.rego:2:17: expected 'as' after with target (found \"}\")"},
        {"package t\np := -",
         "t.rego:2:7: expected a term (found end of input)"},
        {"package t\np if { k, v in }",
         "t.rego:2:16: expected a term (found \"}\")"},
        {"package t\np := {1: 2 | }",
         "t.rego:2:15: empty body (found end of input)"},
        {"package t\np := [1, 2",
         "t.rego:2:11: expected ']' (found end of input)"},
        {"package t\np := 1 2",
         "t.rego:2:8: unexpected token after rule (found \"2\")"},
        {"package t\np := (1 + 2",
         "t.rego:2:12: expected ')' (found end of input)"},
        {"package t\np if { not }",
         "t.rego:2:12: expected a term (found \"}\")"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        want_error(cases[i].src, AY_ERR_POLICY_COMPILE, cases[i].msg);
    }
    /* not errors: `if {x, y}` is the set {x, y} (no body can start so), and an operator at the
     * end of a line takes its operand from the next */
    want_body("p if { x, y }", "{[term (set x y)]}");
    want_value("1 ==\n 2", "(equal 1 2)");
}

/* Lists longer than the parser's scratch stack holds in place (256 entries), nested in one
 * another, keep every element in order. */
static void test_long_lists(void **state)
{
    (void)state;
    const size_t n = 700;
    struct ay_buf src;
    ay_buf_init(&src, NULL, 1 << 24);
    ay_buf_puts(&src, "package t\nimport data.a as a0\nimport input.b\n");
    /* an array of arrays, an object, a set, call arguments, a ref, a body with withs */
    ay_buf_puts(&src, "arr := [");
    for (size_t i = 0; i < n; i++) {
        ay_buf_printf(&src, "%s[%zu, \"s%zu\", x%zu]", i ? ", " : "", i, i, i);
    }
    ay_buf_puts(&src, "]\nobj := {");
    for (size_t i = 0; i < n; i++) {
        ay_buf_printf(&src, "%s\"k%zu\": {%zu, %zu}", i ? ", " : "", i, i, i + 1);
    }
    ay_buf_puts(&src, "}\ncall := f(");
    for (size_t i = 0; i < n; i++) {
        ay_buf_printf(&src, "%s%zu", i ? ", " : "", i);
    }
    ay_buf_puts(&src, ")\nref := r");
    for (size_t i = 0; i < n; i++) {
        ay_buf_printf(&src, i % 2 ? ".n%zu" : "[%zu]", i);
    }
    ay_buf_puts(&src, "\nbody if {\n");
    for (size_t i = 0; i < n; i++) {
        ay_buf_printf(&src, "  x%zu := [%zu] with input.a as %zu with data.b as [%zu]\n", i, i,
                      i, i);
    }
    ay_buf_puts(&src, "}\n");
    for (size_t i = 0; i < n; i++) {
        ay_buf_printf(&src, "r%zu.a[\"b\"].c := %zu\n", i, i);
    }
    assert_int_equal(ay_buf_finish(&src), AY_OK);
    ay_buf_putc(&src, '\0');
    struct parsed p;
    parse(src.ptr, &p);
    const struct ay_rego_module *m = p.m;
    assert_int_equal(m->nimports, 2);
    assert_string_equal(m->imports[0].alias, "a0");
    assert_int_equal(m->imports[1].npath, 2);
    assert_string_equal(m->imports[1].path[1], "b");
    assert_int_equal(m->nrules, 5 + n);
    const struct ay_rego_term *arr = m->rules[0]->value;
    assert_int_equal(arr->kind, AY_RT_ARR);
    assert_int_equal(arr->n, n);
    const struct ay_rego_term *obj = m->rules[1]->value;
    assert_int_equal(obj->kind, AY_RT_OBJ);
    assert_int_equal(obj->n, 2 * n);
    const struct ay_rego_term *call = m->rules[2]->value;
    assert_int_equal(call->kind, AY_RT_CALL);
    assert_int_equal(call->n, n);
    const struct ay_rego_term *ref = m->rules[3]->value;
    assert_int_equal(ref->kind, AY_RT_REF);
    assert_int_equal(ref->n, n + 1);
    const struct ay_rego_body *body = m->rules[4]->body;
    assert_int_equal(body->n, n);
    for (size_t i = 0; i < n; i++) {
        char want[96];
        struct ay_buf b;
        ay_buf_init(&b, NULL, 1 << 16);
        put_term(&b, arr->items[i]);
        snprintf(want, sizeof want, "(arr %zu \"s%zu\" x%zu)", i, i, i);
        assert_int_equal(b.len, strlen(want));
        assert_memory_equal(b.ptr, want, b.len);
        ay_buf_reset(&b);
        put_term(&b, obj->items[2 * i]);
        ay_buf_putc(&b, ' ');
        put_term(&b, obj->items[2 * i + 1]);
        snprintf(want, sizeof want, "\"k%zu\" (set %zu %zu)", i, i, i + 1);
        assert_int_equal(b.len, strlen(want));
        assert_memory_equal(b.ptr, want, b.len);
        ay_buf_reset(&b);
        put_expr(&b, body->exprs[i]);
        snprintf(want, sizeof want, "[:= x%zu (arr %zu) with (ref input \"a\") as %zu with "
                 "(ref data \"b\") as (arr %zu)]", i, i, i, i);
        assert_int_equal(b.len, strlen(want));
        assert_memory_equal(b.ptr, want, b.len);
        ay_buf_reset(&b);
        put_term(&b, ref->items[i + 1]);
        if (i % 2) {
            snprintf(want, sizeof want, "\"n%zu\"", i);
        } else {
            snprintf(want, sizeof want, "%zu", i);
        }
        assert_int_equal(b.len, strlen(want));
        assert_memory_equal(b.ptr, want, b.len);
        ay_buf_free(&b);
        assert_int_equal(call->items[i]->val.u.i, (int64_t)i);
        const struct ay_rego_rule *r = m->rules[5 + i];
        assert_int_equal(r->npath, 5);
        snprintf(want, sizeof want, "r%zu", i);
        assert_string_equal(r->path[0], "t");
        assert_string_equal(r->path[1], want);
        assert_string_equal(r->path[2], "a");
        assert_string_equal(r->path[3], "b");
        assert_string_equal(r->path[4], "c");
    }
    ay_arena_free(p.a);
    ay_buf_free(&src);
}

/* Rule heads: static path, one key, general refs (every element after the first dynamic one). */
static void test_rule_heads(void **state)
{
    (void)state;
    struct parsed p;
    parse("package a.b\np.q[\"r\"].s := 1\no[k] := 2 if k := 1\ng.h[x].i[y] := 3 if {x := 1; "
          "y := 2}\ns[x].t contains x if x := 1\nf(x, [y, z]) := x\n", &p);
    const struct ay_rego_rule *const *r = (const struct ay_rego_rule *const *)p.m->rules;
    assert_int_equal(p.m->nrules, 5);
    assert_int_equal(r[0]->kind, AY_RR_COMPLETE);
    assert_int_equal(r[0]->npath, 6);
    assert_string_equal(r[0]->path[5], "s");
    assert_null(r[0]->key);
    assert_int_equal(r[1]->kind, AY_RR_OBJ);
    assert_int_equal(r[1]->npath, 3);
    assert_int_equal(r[1]->key->kind, AY_RT_VAR);
    assert_int_equal(r[2]->kind, AY_RR_GEN);
    assert_int_equal(r[2]->npath, 4);
    assert_string_equal(r[2]->path[3], "h");
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1 << 16);
    put_term(&b, r[2]->key);
    assert_int_equal(b.len, strlen("(arr x \"i\" y)"));
    assert_memory_equal(b.ptr, "(arr x \"i\" y)", b.len);
    ay_buf_reset(&b);
    assert_int_equal(r[3]->kind, AY_RR_GEN);
    assert_true(r[3]->set_leaf);
    put_term(&b, r[3]->key);
    assert_int_equal(b.len, strlen("(arr x \"t\")"));
    assert_memory_equal(b.ptr, "(arr x \"t\")", b.len);
    ay_buf_reset(&b);
    assert_int_equal(r[4]->kind, AY_RR_FUNC);
    assert_int_equal(r[4]->nargs, 2);
    put_term(&b, r[4]->args[1]);
    assert_int_equal(b.len, strlen("(arr y z)"));
    assert_memory_equal(b.ptr, "(arr y z)", b.len);
    ay_buf_free(&b);
    ay_arena_free(p.a);
}

static void test_query(void **state)
{
    (void)state;
    struct ay_arena *a;
    ay_arena_new(AY_LIMIT_REQUEST_ARENA, &a);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_buf src;
    ay_buf_init(&src, NULL, 1 << 20);
    for (size_t i = 0; i < 300; i++) {
        ay_buf_printf(&src, "x%zu := data.a.b[%zu] + 1; ", i, i);
    }
    ay_buf_puts(&src, "k, v in input");
    struct ay_rego_body *b = NULL;
    assert_int_equal(ay_rego_parse_query(a, src.ptr, src.len, &d, &b), AY_OK);
    assert_int_equal(b->n, 301);
    struct ay_buf o;
    ay_buf_init(&o, NULL, 1 << 16);
    put_expr(&o, b->exprs[299]);
    put_expr(&o, b->exprs[300]);
    const char *want = "[:= x299 (plus (ref data \"a\" \"b\" 299) 1)]"
                       "[term (internal.member_3 k v input)]";
    assert_int_equal(o.len, strlen(want));
    assert_memory_equal(o.ptr, want, o.len);
    ay_buf_free(&o);
    ay_buf_free(&src);
    ay_arena_free(a);
}

/* A module of `depth` nested `open`..`close` around `inner`, as the value of a rule. */
static char *nested(const char *open, const char *inner, const char *close, size_t depth)
{
    size_t n = 32 + depth * (strlen(open) + strlen(close)) + strlen(inner);
    char *s = malloc(n);
    assert_non_null(s);
    size_t w = (size_t)snprintf(s, n, "package t\np := ");
    for (size_t i = 0; i < depth; i++) {
        w += (size_t)snprintf(s + w, n - w, "%s", open);
    }
    w += (size_t)snprintf(s + w, n - w, "%s", inner);
    for (size_t i = 0; i < depth; i++) {
        w += (size_t)snprintf(s + w, n - w, "%s", close);
    }
    return s;
}

/* The deepest nesting accepted for each kind of nesting (each level of it counts once or twice
 * against AY_LIMIT_REGO_DEPTH, as it always has), and one more level failing at the innermost
 * term. */
static void test_depth_boundaries(void **state)
{
    (void)state;
    static const struct {
        const char *open, *inner, *close;
        size_t max;
    } kinds[] = {
        {"[", "1", "]", AY_LIMIT_REGO_DEPTH - 2},
        {"{\"a\": ", "1", "}", AY_LIMIT_REGO_DEPTH - 2},
        {"-", "x", "", AY_LIMIT_REGO_DEPTH - 2},
        {"(", "1", ")", AY_LIMIT_REGO_DEPTH / 2 - 1},
        {"1 + (", "1", ")", AY_LIMIT_REGO_DEPTH / 2 - 1},
        {"f(", "1", ")", AY_LIMIT_REGO_DEPTH / 2 - 1},
        {"x[", "1", "]", AY_LIMIT_REGO_DEPTH / 2 - 1},
        {"[y | y := ", "1", "]", AY_LIMIT_REGO_DEPTH / 4 - 1},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (size_t extra = 0; extra < 2; extra++) {
            char *s = nested(kinds[k].open, kinds[k].inner, kinds[k].close, kinds[k].max + extra);
            struct parsed p;
            parse_cap(s, AY_LIMIT_REQUEST_ARENA, &p);
            if (extra == 0 && p.e != AY_OK) {
                fail_msg("%s x%zu: %s", kinds[k].open, kinds[k].max, ay_diag_message(&p.d));
            }
            if (extra == 1 &&
                (p.e != AY_ERR_LIMIT || strstr(ay_diag_message(&p.d), "nesting deeper") == NULL)) {
                fail_msg("%s x%zu: %s", kinds[k].open, kinds[k].max + 1, ay_diag_message(&p.d));
            }
            ay_arena_free(p.a);
            free(s);
        }
    }
}

/* Near the arena's cap a block of nodes may not fit where a node still does: parsing goes on
 * node by node, and fails only with AY_ERR_LIMIT, never otherwise. */
static void test_small_arena(void **state)
{
    (void)state;
    const char *src = "package t\nimport rego.v1\np contains [x, y.z, {\"k\": 1 + 2}] if {\n"
                      "  some x in input.xs\n  y := f(x)\n  not x in {1, 2}\n}\n"
                      "f(a) := a * 2\n";
    struct parsed ref;
    parse(src, &ref);
    size_t full = ay_arena_used(ref.a);
    ay_arena_free(ref.a);
    bool ok_seen = false;
    for (size_t cap = 256; cap < full + 64 * 1024; cap += 512) {
        struct parsed p;
        parse_cap(src, cap, &p);
        if (p.e == AY_OK) {
            assert_int_equal(p.m->nrules, 2);
            ok_seen = true;
        } else {
            assert_int_equal(p.e, AY_ERR_LIMIT);
        }
        ay_arena_free(p.a);
    }
    assert_true(ok_seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),  cmocka_unit_test(test_newlines),
        cmocka_unit_test(test_suffixes),    cmocka_unit_test(test_long_lists),
        cmocka_unit_test(test_rule_heads),  cmocka_unit_test(test_query),
        cmocka_unit_test(test_depth_boundaries), cmocka_unit_test(test_small_arena),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
