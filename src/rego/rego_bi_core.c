/* SPDX-License-Identifier: Apache-2.0 */
/* The core builtins: comparison and arithmetic operators, set operators (OPA's `and`, `or`,
 * `minus` on sets), membership (internal.member_2/3, REGO.md 2.1 item 1), print and walk (both
 * handled by the evaluator; the entries here make the names resolve), and the builtin lookup
 * across the core table, the family tables of rego_bi_list.h. */
#include <stdio.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "rego/rego_builtin.h"
#include "rego/rego_int.h"

ay_err ay_rego_bi_fail(struct ay_rego_bctx *bc, const char *fmt, ...)
{
    char msg[AY_DIAG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return FAIL(bc->diag, AY_ERR_POLICY_EVAL, "%s: %s", bc->name ? bc->name : "builtin", msg);
}

ay_err ay_rego_bi_type_fail(struct ay_rego_bctx *bc, const char *fmt, ...)
{
    char msg[AY_DIAG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (bc->eval != NULL) {
        ay_rego_eval_mark_type_error(bc->eval);
    }
    return FAIL(bc->diag, AY_ERR_POLICY_EVAL, "%s: %s", bc->name ? bc->name : "builtin", msg);
}

ay_err ay_rego_bi_type_error(struct ay_rego_bctx *bc, size_t argi, const char *want,
                             struct ay_val got)
{
    return ay_rego_bi_type_fail(bc, "operand %zu must be %s but got %s", argi + 1, want,
                                ay_val_type_name(got));
}

static ay_err bi_equal(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n,
                       struct ay_val *out)
{
    (void)bc;
    (void)n;
    *out = ay_val_bool(ay_val_equal(a[0], a[1]));
    return AY_OK;
}

static ay_err bi_neq(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n, struct ay_val *out)
{
    (void)bc;
    (void)n;
    *out = ay_val_bool(!ay_val_equal(a[0], a[1]));
    return AY_OK;
}

static ay_err bi_lt(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n, struct ay_val *out)
{
    (void)bc;
    (void)n;
    *out = ay_val_bool(ay_val_compare(a[0], a[1]) < 0);
    return AY_OK;
}

static ay_err bi_gt(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n, struct ay_val *out)
{
    (void)bc;
    (void)n;
    *out = ay_val_bool(ay_val_compare(a[0], a[1]) > 0);
    return AY_OK;
}

static ay_err bi_lte(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n, struct ay_val *out)
{
    (void)bc;
    (void)n;
    *out = ay_val_bool(ay_val_compare(a[0], a[1]) <= 0);
    return AY_OK;
}

static ay_err bi_gte(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n, struct ay_val *out)
{
    (void)bc;
    (void)n;
    *out = ay_val_bool(ay_val_compare(a[0], a[1]) >= 0);
    return AY_OK;
}

static ay_err need_nums(struct ay_rego_bctx *bc, const struct ay_val *a)
{
    for (size_t i = 0; i < 2; i++) {
        if (a[i].kind != AY_V_NUM) {
            return ay_rego_bi_type_error(bc, i, "number", a[i]);
        }
    }
    return AY_OK;
}

static ay_err arith_result(struct ay_rego_bctx *bc, ay_err e)
{
    if (e == AY_ERR_POLICY_EVAL) {
        return ay_rego_bi_fail(bc, "arithmetic result out of range");
    }
    return e;
}

static ay_err bi_plus(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n, struct ay_val *out)
{
    (void)n;
    TRY(need_nums(bc, a));
    return arith_result(bc, ay_val_num_add(bc->arena, a[0], a[1], out));
}

/* Sets: difference; numbers: subtraction (OPA's "minus"). */
static ay_err bi_minus(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n,
                       struct ay_val *out)
{
    (void)n;
    if (a[0].kind == AY_V_SET && a[1].kind == AY_V_SET) {
        struct ay_val_vec v;
        ay_val_vec_init(&v, bc->arena);
        for (uint32_t i = 0; i < a[0].len; i++) {
            if (!ay_val_set_has(a[1], a[0].u.items[i])) {
                TRY(ay_val_vec_push(&v, a[0].u.items[i]));
            }
        }
        *out = ay_val_vec_set(&v);
        return AY_OK;
    }
    /* OPA words the error after the first operand's type. */
    if (a[0].kind == AY_V_SET) {
        return ay_rego_bi_type_error(bc, 1, "set", a[1]);
    }
    if (a[0].kind != AY_V_NUM) {
        return ay_rego_bi_type_error(bc, 0, "one of {number, set}", a[0]);
    }
    if (a[1].kind != AY_V_NUM) {
        return ay_rego_bi_type_error(bc, 1, "number", a[1]);
    }
    return arith_result(bc, ay_val_num_sub(bc->arena, a[0], a[1], out));
}

static ay_err bi_mul(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n, struct ay_val *out)
{
    (void)n;
    TRY(need_nums(bc, a));
    return arith_result(bc, ay_val_num_mul(bc->arena, a[0], a[1], out));
}

static ay_err bi_div(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n, struct ay_val *out)
{
    (void)n;
    TRY(need_nums(bc, a));
    if (ay_val_to_double(a[1]) == 0.0 && ay_val_num_is_int(a[1])) {
        return ay_rego_bi_fail(bc, "divide by zero");
    }
    return arith_result(bc, ay_val_num_div(bc->arena, a[0], a[1], out));
}

static ay_err bi_rem(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n, struct ay_val *out)
{
    (void)n;
    TRY(need_nums(bc, a));
    if (!ay_val_num_is_int(a[0]) || !ay_val_num_is_int(a[1])) {
        return ay_rego_bi_fail(bc, "modulo on floating-point number");
    }
    if (ay_val_to_double(a[1]) == 0.0) {
        return ay_rego_bi_fail(bc, "modulo by zero");
    }
    return arith_result(bc, ay_val_num_rem(bc->arena, a[0], a[1], out));
}

static ay_err need_sets(struct ay_rego_bctx *bc, const struct ay_val *a)
{
    for (size_t i = 0; i < 2; i++) {
        if (a[i].kind != AY_V_SET) {
            return ay_rego_bi_type_error(bc, i, "set", a[i]);
        }
    }
    return AY_OK;
}

static ay_err bi_and(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n, struct ay_val *out)
{
    (void)n;
    TRY(need_sets(bc, a));
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    for (uint32_t i = 0; i < a[0].len; i++) {
        if (ay_val_set_has(a[1], a[0].u.items[i])) {
            TRY(ay_val_vec_push(&v, a[0].u.items[i]));
        }
    }
    *out = ay_val_vec_set(&v);
    return AY_OK;
}

static ay_err bi_or(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n, struct ay_val *out)
{
    (void)n;
    TRY(need_sets(bc, a));
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    for (size_t s = 0; s < 2; s++) {
        for (uint32_t i = 0; i < a[s].len; i++) {
            TRY(ay_val_vec_push(&v, a[s].u.items[i]));
        }
    }
    *out = ay_val_vec_set(&v);
    return AY_OK;
}

/* `x in xs`: false for a non-collection (OPA builtinMember; REGO.md 2.1 item 1); an object
 * tests its values. */
static ay_err bi_member2(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n,
                         struct ay_val *out)
{
    (void)bc;
    (void)n;
    struct ay_val c = a[1];
    bool found = false;
    if (c.kind == AY_V_SET) {
        found = ay_val_set_has(c, a[0]);
    } else if (c.kind == AY_V_ARR) {
        for (uint32_t i = 0; i < c.len && !found; i++) {
            found = ay_val_equal(c.u.items[i], a[0]);
        }
    } else if (c.kind == AY_V_OBJ) {
        for (uint32_t i = 0; i < c.len && !found; i++) {
            found = ay_val_equal(c.u.pairs[i].v, a[0]);
        }
    }
    *out = ay_val_bool(found);
    return AY_OK;
}

/* `k, v in xs`: the key/index k holds v. */
static ay_err bi_member3(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n,
                         struct ay_val *out)
{
    (void)bc;
    (void)n;
    struct ay_val c = a[2];
    bool found = false;
    if (c.kind == AY_V_ARR) {
        int64_t i;
        if (ay_val_to_i64(a[0], &i) && i >= 0 && i < (int64_t)c.len) {
            found = ay_val_equal(c.u.items[i], a[1]);
        }
    } else if (c.kind == AY_V_OBJ) {
        const struct ay_val *v = ay_val_obj_get(c, a[0]);
        found = v != NULL && ay_val_equal(*v, a[1]);
    } else if (c.kind == AY_V_SET) {
        found = ay_val_equal(a[0], a[1]) && ay_val_set_has(c, a[0]);
    }
    *out = ay_val_bool(found);
    return AY_OK;
}

/* print and walk are evaluated by rego_eval.c (output callback, generator); never called. */
static ay_err bi_special(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n,
                         struct ay_val *out)
{
    (void)a;
    (void)n;
    (void)out;
    return ay_rego_bi_fail(bc, "internal: evaluated by the interpreter");
}

/* $"..{e}..": parts are the text strings and, for each expression, the array of its values
 * (the parser wraps each in a comprehension): strings go in as they are, other values as Rego
 * term text, an undefined expression as "<undefined>". */
static ay_err bi_template_string(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n,
                                 struct ay_val *out)
{
    (void)n;
    if (a[0].kind != AY_V_ARR) {
        return ay_rego_bi_type_error(bc, 0, "array", a[0]);
    }
    struct ay_buf b;
    ay_buf_init(&b, bc->arena, AY_LIMIT_REGO_BI_OUT);
    for (uint32_t i = 0; i < a[0].len; i++) {
        struct ay_val x = a[0].u.items[i];
        if (x.kind == AY_V_STR) {
            ay_buf_put(&b, x.u.s, x.len);
            continue;
        }
        if (x.kind != AY_V_ARR) {
            return ay_rego_bi_type_error(bc, 0, "array of strings and arrays", a[0]);
        }
        if (x.len == 0) {
            ay_buf_puts(&b, "<undefined>");
        } else if (x.len > 1) {
            return ay_rego_bi_fail(bc, "template-strings must not produce multiple outputs");
        } else if (x.u.items[0].kind == AY_V_STR) {
            ay_buf_put(&b, x.u.items[0].u.s, x.u.items[0].len);
        } else {
            ay_val_write_term(&b, x.u.items[0]);
        }
    }
    if (ay_buf_finish(&b) != AY_OK) {
        return ay_rego_bi_fail(bc, "result too long");
    }
    return ay_val_str(bc->arena, b.ptr ? b.ptr : "", b.len, out);
}

/* http.send is known (so `with http.send as mock` compiles, as in OPA tests) but never sends:
 * assay policies make no network calls (docs/REGO.md "Not supported"). */
static ay_err bi_http_send(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n,
                           struct ay_val *out)
{
    (void)a;
    (void)n;
    (void)out;
    return ay_rego_bi_fail(bc,
                           "http.send is not supported by assay: policies make no network calls");
}

/* opa.runtime(): OPA returns its runtime configuration; assay has none to give, so the empty
 * object (what OPA gives when no runtime is configured, as in its test harness). */
static ay_err bi_opa_runtime(struct ay_rego_bctx *bc, const struct ay_val *a, size_t n,
                             struct ay_val *out)
{
    (void)bc;
    (void)a;
    (void)n;
    *out = ay_val_empty(AY_V_OBJ);
    return AY_OK;
}

const struct ay_rego_bi ay_rego_bi_core[] = {
    {"equal", 2, bi_equal, 0},
    {"neq", 2, bi_neq, 0},
    {"lt", 2, bi_lt, 0},
    {"gt", 2, bi_gt, 0},
    {"lte", 2, bi_lte, 0},
    {"gte", 2, bi_gte, 0},
    {"plus", 2, bi_plus, 0},
    {"minus", 2, bi_minus, 0},
    {"mul", 2, bi_mul, 0},
    {"div", 2, bi_div, 0},
    {"rem", 2, bi_rem, 0},
    {"and", 2, bi_and, 0},
    {"or", 2, bi_or, 0},
    {"internal.member_2", 2, bi_member2, 0},
    {"internal.member_3", 3, bi_member3, 0},
    {"print", 0, bi_special, AY_REGO_BI_VARIADIC},
    {"walk", 1, bi_special, 0},
    {"internal.template_string", 1, bi_template_string, 0},
    {"http.send", 1, bi_http_send, 0},
    {"opa.runtime", 0, bi_opa_runtime, 0},
    {NULL, 0, NULL, 0},
};

#define AY_REGO_BI_TABLE(t) extern const struct ay_rego_bi t[];
#include "rego/rego_bi_list.h"
#undef AY_REGO_BI_TABLE

static const struct ay_rego_bi *const tables[] = {
    ay_rego_bi_core,
    ay_rego_bi_jsonschema,
#define AY_REGO_BI_TABLE(t) t,
#include "rego/rego_bi_list.h"
#undef AY_REGO_BI_TABLE
};

static bool name_is(const char *a, const char *s, size_t n)
{
    return strncmp(a, s, n) == 0 && a[n] == '\0';
}

const struct ay_rego_bi *ay_rego_bi_find(const char *name, size_t n, size_t arity)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        for (const struct ay_rego_bi *b = tables[t]; b->name != NULL; b++) {
            if (!name_is(b->name, name, n)) {
                continue;
            }
            if ((size_t)b->arity == arity ||
                ((b->flags & AY_REGO_BI_VARIADIC) != 0 && arity >= (size_t)b->arity)) {
                return b;
            }
        }
    }
    return NULL;
}

bool ay_rego_bi_known(const char *name, size_t n)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        for (const struct ay_rego_bi *b = tables[t]; b->name != NULL; b++) {
            if (name_is(b->name, name, n)) {
                return true;
            }
        }
    }
    return false;
}
