/* SPDX-License-Identifier: Apache-2.0 */
/* json.verify_schema / json.match_schema: a JSON Schema validator with the semantics OPA gets
 * from gojsonschema (drafts 4, 6, 7, auto-detected from $schema, else the "hybrid" draft that
 * accepts the keywords of all three). A schema is first compiled into a tree of struct sch (so
 * schema errors come out with gojsonschema's wording before any validation), then the document
 * is walked. Errors are objects {"error", "type", "field", "desc"} in gojsonschema's order and
 * words (its locale.go); the "score" it uses to pick the closest anyOf/oneOf branch is kept too.
 * Only local $refs ("#", "#/definitions/x", any JSON pointer into the schema) are followed:
 * policies make no network calls. Map orders Go randomises (properties, patternProperties, the
 * document's keys) are sorted here. Nesting and work are bounded by AY_LIMIT_REGO_JSONSCHEMA_*. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_str.h"
#include "rego/rego_bi_util.h"

enum { T_ARRAY, T_BOOLEAN, T_INTEGER, T_NUMBER, T_NULL, T_OBJECT, T_STRING, T_COUNT };

static const char *const type_names[T_COUNT] = {"array", "boolean", "integer", "number",
                                                "null",  "object",  "string"};

/* gojsonschema's drafts; HYBRID accepts every draft's keywords (its default). */
enum draft { D4 = 4, D6 = 6, D7 = 7, HYBRID = 100 };

struct sch;

struct prop {
    struct ay_val name; /* property name, or the pattern of patternProperties */
    struct sch *s;
};

struct dep {
    struct ay_val key;
    struct ay_val names; /* array of property names, or UNDEF */
    struct sch *s;       /* schema dependency, or NULL */
};

struct sch {
    int pass;        /* boolean schema: 1 true, 0 false; -1 an object schema */
    struct sch *ref; /* $ref target: the other keywords are ignored (draft 4-7) */
    uint8_t types[T_COUNT];
    size_t ntypes;
    struct sch **any_of, **one_of, **all_of;
    size_t n_any, n_one, n_all;
    struct sch *not_, *if_, *then_, *else_;
    struct ay_val multiple_of, maximum, exclusive_maximum, minimum, exclusive_minimum;
    int64_t min_len, max_len, min_items, max_items, min_props, max_props; /* -1: absent */
    struct ay_val pattern;                                                /* string or UNDEF */
    struct ay_val format;                                                 /* string or UNDEF */
    bool unique;
    struct sch **items;
    size_t n_items;
    bool items_single;
    int additional_items; /* -1 absent, 0 false, 1 true, 2 schema */
    struct sch *additional_items_s;
    struct sch *contains;
    struct ay_val required; /* array of strings or UNDEF */
    struct prop *props, *pprops;
    size_t n_props, n_pprops;
    int additional_props; /* -1 absent, 0 false, 1 true, 2 schema */
    struct sch *additional_props_s;
    struct sch *property_names;
    struct dep *deps;
    size_t n_deps;
    const char *const_json; /* Go JSON text of const, or NULL */
    const char **enum_json;
    size_t n_enum;
    const char *enum_allowed; /* enum texts joined by ", " */
};

struct memo {
    const struct ay_val *node;
    struct sch *s;
};

struct comp {
    struct ay_rego_bctx *bc;
    struct ay_val root;
    enum draft draft;
    struct memo *memo;
    size_t n_memo, cap_memo;
    char err[AY_DIAG_MSG_MAX]; /* the schema error, gojsonschema's words */
};

/* ---- Go encoding/json text (gojsonschema compares const, enum and uniqueItems by the JSON of
 * the values after a round trip through float64: marshalWithoutNumber) ---- */

static void go_str(struct ay_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    ay_buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t w;
            uint32_t r = ay_rego_bu_rune(s + i, n - i, &w);
            if (r == 0x2028 || r == 0x2029) {
                ay_buf_printf(b, "\\u%04x", (unsigned)r);
            } else {
                ay_buf_put_utf8(b, r);
            }
            i += w;
            continue;
        }
        i++;
        if (c == '"' || c == '\\') {
            ay_buf_putc(b, '\\');
            ay_buf_putc(b, (char)c);
        } else if (c == '\n') {
            ay_buf_puts(b, "\\n");
        } else if (c == '\r') {
            ay_buf_puts(b, "\\r");
        } else if (c == '\t') {
            ay_buf_puts(b, "\\t");
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            /* Go escapes HTML-significant bytes too */
            ay_buf_puts(b, "\\u00");
            ay_buf_putc(b, hex[c >> 4]);
            ay_buf_putc(b, hex[c & 15]);
        } else {
            ay_buf_putc(b, (char)c);
        }
    }
    ay_buf_putc(b, '"');
}

/* A float64 as Go's json encoder writes it: shortest digits, 'e' form below 1e-6 or from 1e21. */
static void go_float(struct ay_buf *b, double d)
{
    char tmp[64];
    double a = d < 0 ? -d : d;
    if (a != 0 && (a < 1e-6 || a >= 1e21)) {
        for (int prec = 0; prec <= 16; prec++) {
            (void)snprintf(tmp, sizeof tmp, "%.*e", prec, d);
            if (strtod(tmp, NULL) == d) {
                break;
            }
        }
        /* C writes e-07 / e+21; Go trims a leading exponent zero: e-7, e+21 */
        char *e = strchr(tmp, 'e');
        if (e != NULL && e[2] == '0' && e[3] != '\0') {
            memmove(e + 2, e + 3, strlen(e + 3) + 1);
        }
        ay_buf_puts(b, tmp);
        return;
    }
    for (int prec = 0; prec <= 17; prec++) {
        (void)snprintf(tmp, sizeof tmp, "%.*f", prec, d);
        if (strtod(tmp, NULL) == d) {
            break;
        }
    }
    ay_buf_puts(b, tmp);
}

static void key_text(struct ay_buf *b, struct ay_val k)
{
    if (k.kind == AY_V_STR) {
        ay_buf_put(b, k.u.s, k.len);
    } else {
        ay_val_write_json(b, k);
    }
}

static void go_json(struct ay_buf *b, struct ay_val v)
{
    switch ((enum ay_val_kind)v.kind) {
    case AY_V_UNDEF:
    case AY_V_NULL:
        ay_buf_puts(b, "null");
        return;
    case AY_V_BOOL:
        ay_buf_puts(b, v.u.b ? "true" : "false");
        return;
    case AY_V_NUM:
        go_float(b, ay_val_to_double(v));
        return;
    case AY_V_STR:
        go_str(b, v.u.s, v.len);
        return;
    case AY_V_ARR:
    case AY_V_SET:
        ay_buf_putc(b, '[');
        for (uint32_t i = 0; i < v.len; i++) {
            if (i > 0) {
                ay_buf_putc(b, ',');
            }
            go_json(b, v.u.items[i]);
        }
        ay_buf_putc(b, ']');
        return;
    case AY_V_OBJ:
        ay_buf_putc(b, '{');
        for (uint32_t i = 0; i < v.len; i++) {
            if (i > 0) {
                ay_buf_putc(b, ',');
            }
            if (v.u.pairs[i].k.kind == AY_V_STR) {
                go_str(b, v.u.pairs[i].k.u.s, v.u.pairs[i].k.len);
            } else {
                struct ay_buf t;
                ay_buf_init(&t, NULL, AY_REGO_BI_OUT_MAX);
                ay_val_write_json(&t, v.u.pairs[i].k);
                go_str(b, t.ptr != NULL ? t.ptr : "", t.len);
                ay_buf_free(&t);
            }
            ay_buf_putc(b, ':');
            go_json(b, v.u.pairs[i].v);
        }
        ay_buf_putc(b, '}');
        return;
    }
}

static ay_err json_text(struct ay_rego_bctx *bc, struct ay_val v, const char **out)
{
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    go_json(&b, v);
    TRY(ay_buf_finish(&b));
    *out = b.ptr != NULL ? b.ptr : "";
    return AY_OK;
}

/* ---- exact numbers: gojsonschema compares json.Number texts as big.Rat ---- */

/* Decimal text (JSON number syntax, as ay_val_write_num writes) into q. */
static void dec_rat(const char *s, mpq_t q)
{
    mpz_t m, p;
    mpz_init(m);
    mpz_init(p);
    bool neg = false;
    long exp10 = 0;
    size_t i = 0;
    if (s[i] == '-') {
        neg = true;
        i++;
    }
    for (; s[i] != '\0' && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            continue;
        }
        mpz_mul_ui(m, m, 10);
        mpz_add_ui(m, m, (unsigned long)(s[i] - '0'));
        if (strchr(s, '.') != NULL && strchr(s, '.') < s + i) {
            exp10--;
        }
    }
    if (s[i] == 'e' || s[i] == 'E') {
        exp10 += strtol(s + i + 1, NULL, 10);
    }
    if (neg) {
        mpz_neg(m, m);
    }
    mpz_ui_pow_ui(p, 10, (unsigned long)(exp10 < 0 ? -exp10 : exp10));
    mpq_set_z(q, m);
    if (exp10 >= 0) {
        mpz_mul(mpq_numref(q), mpq_numref(q), p);
    } else {
        mpz_set(mpq_denref(q), p);
    }
    mpq_canonicalize(q);
    mpz_clear(m);
    mpz_clear(p);
}

static void num_rat(struct ay_val v, mpq_t q)
{
    if (v.sub == AY_NUM_INT) {
        mpz_set_si(mpq_numref(q), (long)v.u.i);
        mpz_set_ui(mpq_denref(q), 1);
        return;
    }
    char tmp[1200];
    struct ay_buf b;
    ay_buf_init(&b, NULL, sizeof tmp);
    ay_val_write_num(&b, v);
    size_t n = b.len < sizeof tmp - 1 ? b.len : sizeof tmp - 1;
    memcpy(tmp, b.ptr != NULL ? b.ptr : "0", b.ptr != NULL ? n : 1);
    tmp[b.ptr != NULL ? n : 1] = '\0';
    ay_buf_free(&b);
    dec_rat(tmp, q);
}

static int num_cmp(struct ay_val a, struct ay_val b)
{
    if (a.sub == AY_NUM_INT && b.sub == AY_NUM_INT) {
        return a.u.i < b.u.i ? -1 : (a.u.i > b.u.i ? 1 : 0);
    }
    mpq_t x, y;
    mpq_init(x);
    mpq_init(y);
    num_rat(a, x);
    num_rat(b, y);
    int c = mpq_cmp(x, y);
    mpq_clear(x);
    mpq_clear(y);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

static bool num_multiple(struct ay_val v, struct ay_val m)
{
    mpq_t x, y;
    mpq_init(x);
    mpq_init(y);
    num_rat(v, x);
    num_rat(m, y);
    mpq_div(x, x, y);
    bool is_int = mpz_cmp_ui(mpq_denref(x), 1) == 0;
    mpq_clear(x);
    mpq_clear(y);
    return is_int;
}

/* big.Float's String(): %.10g */
static void num_detail(struct ay_buf *b, struct ay_val v)
{
    ay_buf_printf(b, "%.10g", ay_val_to_double(v));
}

/* ---- schema compilation (gojsonschema schema.go parseSchema) ---- */

static ay_err cfail(struct comp *c, const char *fmt, ...) AY_PRINTF(2, 3);

static ay_err cfail(struct comp *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return AY_ERR_MALFORMED;
}

static ay_err bad_type(struct comp *c, const char *expected, const char *key)
{
    return cfail(c, "Invalid type. Expected: %s, given: %s", expected, key);
}

static const struct ay_val *kw(struct ay_val obj, const char *k)
{
    return ay_val_obj_get_str(obj, k, strlen(k));
}

static bool is_schema_kind(struct ay_val v)
{
    return v.kind == AY_V_OBJ || v.kind == AY_V_BOOL;
}

static ay_err compile(struct comp *c, const struct ay_val *node, size_t depth, struct sch *s);

static ay_err new_sch(struct comp *c, const struct ay_val *node, size_t depth, struct sch **out)
{
    struct sch *s;
    TRY(ay_arena_alloc(c->bc->arena, sizeof *s, (void **)&s));
    TRY(compile(c, node, depth + 1, s));
    *out = s;
    return AY_OK;
}

/* A non-negative integer keyword (minLength, maxItems, ...). */
static ay_err int_kw(struct comp *c, struct ay_val obj, const char *k, int64_t *out)
{
    *out = -1;
    const struct ay_val *v = kw(obj, k);
    if (v == NULL) {
        return AY_OK;
    }
    int64_t i;
    if (v->kind != AY_V_NUM || !ay_val_to_i64(*v, &i)) {
        return cfail(c, "%s must be of an integer", k);
    }
    if (i < 0) {
        return cfail(c, "%s must be greater than or equal to 0", k);
    }
    *out = i;
    return AY_OK;
}

static ay_err num_kw(struct comp *c, struct ay_val obj, const char *k, struct ay_val *out)
{
    *out = ay_val_undef();
    const struct ay_val *v = kw(obj, k);
    if (v == NULL) {
        return AY_OK;
    }
    if (v->kind != AY_V_NUM) {
        return cfail(c, "%s must be of a number", k);
    }
    *out = *v;
    return AY_OK;
}

/* The draft-dependent exclusiveMaximum / exclusiveMinimum: a boolean modifier of maximum in
 * draft 4, a number of its own from draft 6; hybrid takes either. */
static ay_err exclusive_kw(struct comp *c, struct ay_val obj, const char *k, const char *base,
                           struct ay_val *bound, struct ay_val *out)
{
    *out = ay_val_undef();
    const struct ay_val *v = kw(obj, k);
    if (v == NULL) {
        return AY_OK;
    }
    bool allow_bool = c->draft == D4 || c->draft == HYBRID;
    bool allow_num = c->draft != D4;
    if (v->kind == AY_V_BOOL && allow_bool) {
        if (!ay_val_defined(*bound)) {
            return cfail(c, "%s cannot be used without %s", k, base);
        }
        if (v->u.b) {
            *out = *bound;
            *bound = ay_val_undef();
        }
        return AY_OK;
    }
    if (v->kind == AY_V_NUM && allow_num) {
        *out = *v;
        return AY_OK;
    }
    return bad_type(
        c, c->draft == D4 ? "boolean" : (c->draft == HYBRID ? "boolean/number" : "number"), k);
}

static ay_err sch_list(struct comp *c, struct ay_val obj, const char *k, size_t depth,
                       struct sch ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const struct ay_val *v = kw(obj, k);
    if (v == NULL) {
        return AY_OK;
    }
    if (v->kind != AY_V_ARR) {
        return bad_type(c, "array", k);
    }
    struct sch **list;
    TRY(ay_arena_array(c->bc->arena, v->len + 1u, sizeof *list, (void **)&list));
    for (uint32_t i = 0; i < v->len; i++) {
        if (!is_schema_kind(v->u.items[i])) {
            return bad_type(c, "valid schema", k);
        }
        TRY(new_sch(c, &v->u.items[i], depth, &list[i]));
    }
    *out = list;
    *n = v->len;
    return AY_OK;
}

static ay_err sch_one(struct comp *c, struct ay_val obj, const char *k, size_t depth,
                      struct sch **out)
{
    *out = NULL;
    const struct ay_val *v = kw(obj, k);
    if (v == NULL) {
        return AY_OK;
    }
    if (!is_schema_kind(*v)) {
        return bad_type(c, "valid schema", k);
    }
    return new_sch(c, v, depth, out);
}

static bool regex_ok(struct comp *c, struct ay_val pattern)
{
    const struct ay_rego_bi *bi = ay_rego_bi_find("regex.is_valid", 14, 1);
    struct ay_val out = ay_val_undef();
    return bi != NULL && bi->fn(c->bc, &pattern, 1, &out) == AY_OK && out.kind == AY_V_BOOL &&
           out.u.b;
}

static ay_err prop_map(struct comp *c, struct ay_val obj, const char *k, size_t depth,
                       bool patterns, struct prop **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const struct ay_val *v = kw(obj, k);
    if (v == NULL) {
        return AY_OK;
    }
    if (v->kind != AY_V_OBJ) {
        return cfail(c, "%s must be of type object", k);
    }
    struct prop *list;
    TRY(ay_arena_array(c->bc->arena, v->len + 1u, sizeof *list, (void **)&list));
    for (uint32_t i = 0; i < v->len; i++) {
        list[i].name = v->u.pairs[i].k;
        if (patterns && (list[i].name.kind != AY_V_STR || !regex_ok(c, list[i].name))) {
            return cfail(c, "Invalid regex pattern '%s'",
                         list[i].name.kind == AY_V_STR ? list[i].name.u.s : "?");
        }
        if (!is_schema_kind(v->u.pairs[i].v)) {
            return bad_type(c, "valid schema", k);
        }
        TRY(new_sch(c, &v->u.pairs[i].v, depth, &list[i].s));
    }
    *out = list;
    *n = v->len;
    return AY_OK;
}

static ay_err add_type(struct comp *c, struct sch *s, struct ay_val t)
{
    for (size_t i = 0; i < T_COUNT; i++) {
        if (t.len == strlen(type_names[i]) && memcmp(t.u.s, type_names[i], t.len) == 0) {
            for (size_t j = 0; j < s->ntypes; j++) {
                if (s->types[j] == i) {
                    return cfail(c, "%s type is duplicated", type_names[i]);
                }
            }
            s->types[s->ntypes++] = (uint8_t)i;
            return AY_OK;
        }
    }
    return cfail(c,
                 "has a primitive type that is NOT VALID -- given: /%.*s/ Expected valid values "
                 "are:[array boolean integer number null object string]",
                 (int)(t.len > 200 ? 200 : t.len), t.u.s);
}

/* Percent-decodes and ~1 / ~0-unescapes one JSON pointer token. */
static ay_err ptr_token(struct comp *c, const char *p, size_t n, struct ay_val *out)
{
    struct ay_buf b;
    ay_rego_bu_buf(c->bc, &b);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '%' && i + 2 < n + 0 && ay_is_xdigit((unsigned char)p[i + 1]) &&
            ay_is_xdigit((unsigned char)p[i + 2])) {
            char hx[3] = {p[i + 1], p[i + 2], 0};
            ay_buf_putc(&b, (char)strtol(hx, NULL, 16));
            i += 2;
        } else if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
            ay_buf_putc(&b, p[i + 1] == '0' ? '~' : '/');
            i++;
        } else {
            ay_buf_putc(&b, p[i]);
        }
    }
    TRY(ay_buf_finish(&b));
    return ay_rego_bu_buf_str(c->bc, &b, out);
}

/* A local $ref: "#" or "#<JSON pointer>" into the root schema. */
static ay_err resolve_ref(struct comp *c, struct ay_val ref, const struct ay_val **out)
{
    const char *r = ref.u.s;
    size_t n = ref.len;
    if (n == 0 || r[0] != '#') {
        return cfail(c, "$ref %.*s: only local references (#/...) are supported by assay",
                     (int)(n > 200 ? 200 : n), r);
    }
    const struct ay_val *cur = &c->root;
    size_t i = 1;
    if (i < n && r[i] != '/') {
        return cfail(c, "$ref %.*s: only JSON pointers are supported by assay",
                     (int)(n > 200 ? 200 : n), r);
    }
    while (i < n) {
        size_t j = i + 1;
        while (j < n && r[j] != '/') {
            j++;
        }
        struct ay_val tok;
        TRY(ptr_token(c, r + i + 1, j - i - 1, &tok));
        const struct ay_val *next = NULL;
        if (cur->kind == AY_V_OBJ) {
            next = ay_val_obj_get(*cur, tok);
        } else if (cur->kind == AY_V_ARR) {
            int64_t k;
            if (ay_str_to_i64((struct ay_str){tok.u.s, tok.len}, &k) == AY_OK && k >= 0 &&
                k < (int64_t)cur->len) {
                next = &cur->u.items[k];
            }
        }
        if (next == NULL) {
            return cfail(c, "Object has no key '%.*s'", (int)(tok.len > 200 ? 200 : tok.len),
                         tok.u.s);
        }
        cur = next;
        i = j;
    }
    *out = cur;
    return AY_OK;
}

static ay_err compile_ref(struct comp *c, struct ay_val ref, size_t depth, struct sch **out)
{
    const struct ay_val *target = NULL;
    TRY(resolve_ref(c, ref, &target));
    for (size_t i = 0; i < c->n_memo; i++) {
        if (c->memo[i].node == target) {
            *out = c->memo[i].s;
            return AY_OK;
        }
    }
    if (c->n_memo == c->cap_memo) {
        size_t cap = c->cap_memo ? c->cap_memo * 2 : 8;
        void *p;
        TRY(ay_arena_grow(c->bc->arena, c->memo, c->cap_memo * sizeof *c->memo,
                          cap * sizeof *c->memo, &p));
        c->memo = p;
        c->cap_memo = cap;
    }
    struct sch *s;
    TRY(ay_arena_alloc(c->bc->arena, sizeof *s, (void **)&s));
    /* registered before compiling, so a recursive schema refers to itself */
    c->memo[c->n_memo].node = target;
    c->memo[c->n_memo].s = s;
    c->n_memo++;
    if (!is_schema_kind(*target)) {
        return cfail(c, "Expected: valid schema, given: Invalid JSON");
    }
    TRY(compile(c, target, depth + 1, s));
    *out = s;
    return AY_OK;
}

static ay_err compile_types(struct comp *c, struct ay_val m, struct sch *s)
{
    const struct ay_val *t = kw(m, "type");
    if (t == NULL) {
        return AY_OK;
    }
    if (t->kind == AY_V_STR) {
        return add_type(c, s, *t);
    }
    if (t->kind != AY_V_ARR) {
        return bad_type(c, "string/array of strings", "type");
    }
    for (uint32_t i = 0; i < t->len; i++) {
        if (t->u.items[i].kind != AY_V_STR) {
            return bad_type(c, "string/array of strings", "type");
        }
        TRY(add_type(c, s, t->u.items[i]));
    }
    return AY_OK;
}

static ay_err compile_values(struct comp *c, struct ay_val m, struct sch *s)
{
    const struct ay_val *v = kw(m, "const");
    if (v != NULL && c->draft >= D6) {
        TRY(json_text(c->bc, *v, &s->const_json));
    }
    v = kw(m, "enum");
    if (v != NULL) {
        if (v->kind != AY_V_ARR) {
            return bad_type(c, "array", "enum");
        }
        if (v->len == 0) {
            return cfail(c, "enum must have at least 1 items");
        }
        TRY(ay_arena_array(c->bc->arena, v->len, sizeof *s->enum_json, (void **)&s->enum_json));
        struct ay_buf b;
        ay_rego_bu_buf(c->bc, &b);
        for (uint32_t i = 0; i < v->len; i++) {
            const char *t;
            TRY(json_text(c->bc, v->u.items[i], &t));
            for (size_t j = 0; j < i; j++) {
                if (strcmp(s->enum_json[j], t) == 0) {
                    return cfail(c, "enum items must be unique");
                }
            }
            s->enum_json[i] = t;
            if (i > 0) {
                ay_buf_puts(&b, ", ");
            }
            ay_buf_puts(&b, t);
        }
        TRY(ay_buf_finish(&b));
        s->n_enum = v->len;
        s->enum_allowed = b.ptr != NULL ? b.ptr : "";
    }
    return AY_OK;
}

static ay_err compile_numbers(struct comp *c, struct ay_val m, struct sch *s)
{
    TRY(num_kw(c, m, "multipleOf", &s->multiple_of));
    if (ay_val_defined(s->multiple_of) && ay_val_to_double(s->multiple_of) <= 0) {
        return cfail(c, "multipleOf must be strictly greater than 0");
    }
    TRY(num_kw(c, m, "minimum", &s->minimum));
    TRY(exclusive_kw(c, m, "exclusiveMinimum", "minimum", &s->minimum, &s->exclusive_minimum));
    TRY(num_kw(c, m, "maximum", &s->maximum));
    TRY(exclusive_kw(c, m, "exclusiveMaximum", "maximum", &s->maximum, &s->exclusive_maximum));
    TRY(int_kw(c, m, "minLength", &s->min_len));
    TRY(int_kw(c, m, "maxLength", &s->max_len));
    if (s->min_len >= 0 && s->max_len >= 0 && s->min_len > s->max_len) {
        return cfail(c, "minLength cannot be greater than maxLength");
    }
    const struct ay_val *v = kw(m, "pattern");
    if (v != NULL) {
        if (v->kind != AY_V_STR) {
            return bad_type(c, "string", "pattern");
        }
        if (!regex_ok(c, *v)) {
            return cfail(c, "pattern must be a valid regex");
        }
        s->pattern = *v;
    }
    v = kw(m, "format");
    if (v != NULL) {
        if (v->kind != AY_V_STR) {
            return bad_type(c, "string", "format");
        }
        s->format = *v;
    }
    return AY_OK;
}

static ay_err compile_arrays(struct comp *c, struct ay_val m, size_t depth, struct sch *s)
{
    TRY(int_kw(c, m, "minItems", &s->min_items));
    TRY(int_kw(c, m, "maxItems", &s->max_items));
    if (s->min_items >= 0 && s->max_items >= 0 && s->min_items > s->max_items) {
        return cfail(c, "minItems cannot be greater than maxItems");
    }
    const struct ay_val *v = kw(m, "uniqueItems");
    if (v != NULL) {
        if (v->kind != AY_V_BOOL) {
            return cfail(c, "uniqueItems must be of a boolean");
        }
        s->unique = v->u.b;
    }
    v = kw(m, "items");
    if (v != NULL) {
        if (v->kind == AY_V_ARR) {
            TRY(sch_list(c, m, "items", depth, &s->items, &s->n_items));
        } else if (is_schema_kind(*v)) {
            TRY(ay_arena_alloc(c->bc->arena, sizeof *s->items, (void **)&s->items));
            TRY(new_sch(c, v, depth, &s->items[0]));
            s->n_items = 1;
            s->items_single = true;
        } else {
            return bad_type(c, "valid schema/array of schemas", "items");
        }
    }
    s->additional_items = -1;
    v = kw(m, "additionalItems");
    if (v != NULL) {
        if (v->kind == AY_V_BOOL) {
            s->additional_items = v->u.b ? 1 : 0;
        } else if (v->kind == AY_V_OBJ) {
            s->additional_items = 2;
            TRY(new_sch(c, v, depth, &s->additional_items_s));
        } else {
            return bad_type(c, "boolean/valid schema", "additionalItems");
        }
    }
    if (c->draft >= D6) {
        TRY(sch_one(c, m, "contains", depth, &s->contains));
    }
    return AY_OK;
}

static ay_err compile_deps(struct comp *c, struct ay_val m, size_t depth, struct sch *s)
{
    const struct ay_val *v = kw(m, "dependencies");
    if (v == NULL) {
        return AY_OK;
    }
    if (v->kind != AY_V_OBJ) {
        return cfail(c, "dependencies must be of type object");
    }
    TRY(ay_arena_array(c->bc->arena, v->len + 1u, sizeof *s->deps, (void **)&s->deps));
    for (uint32_t i = 0; i < v->len; i++) {
        struct ay_val d = v->u.pairs[i].v;
        s->deps[i].key = v->u.pairs[i].k;
        s->deps[i].names = ay_val_undef();
        if (d.kind == AY_V_ARR) {
            for (uint32_t j = 0; j < d.len; j++) {
                if (d.u.items[j].kind != AY_V_STR) {
                    return cfail(c, "dependencies items must be string");
                }
            }
            s->deps[i].names = d;
        } else if (is_schema_kind(d)) {
            TRY(new_sch(c, &v->u.pairs[i].v, depth, &s->deps[i].s));
        } else {
            return bad_type(c, "valid schema/array", "dependencies");
        }
    }
    s->n_deps = v->len;
    return AY_OK;
}

static ay_err compile_objects(struct comp *c, struct ay_val m, size_t depth, struct sch *s)
{
    TRY(int_kw(c, m, "minProperties", &s->min_props));
    TRY(int_kw(c, m, "maxProperties", &s->max_props));
    if (s->min_props >= 0 && s->max_props >= 0 && s->min_props > s->max_props) {
        return cfail(c, "minProperties cannot be greater than maxProperties");
    }
    const struct ay_val *v = kw(m, "required");
    if (v != NULL) {
        if (v->kind != AY_V_ARR) {
            return bad_type(c, "array", "required");
        }
        for (uint32_t i = 0; i < v->len; i++) {
            if (v->u.items[i].kind != AY_V_STR) {
                return cfail(c, "required items must be string");
            }
            for (uint32_t j = 0; j < i; j++) {
                if (ay_val_equal(v->u.items[i], v->u.items[j])) {
                    return cfail(c, "required items must be unique");
                }
            }
        }
        s->required = *v;
    }
    TRY(prop_map(c, m, "properties", depth, false, &s->props, &s->n_props));
    TRY(prop_map(c, m, "patternProperties", depth, true, &s->pprops, &s->n_pprops));
    s->additional_props = -1;
    v = kw(m, "additionalProperties");
    if (v != NULL) {
        if (v->kind == AY_V_BOOL) {
            s->additional_props = v->u.b ? 1 : 0;
        } else if (v->kind == AY_V_OBJ) {
            s->additional_props = 2;
            TRY(new_sch(c, v, depth, &s->additional_props_s));
        } else {
            return bad_type(c, "boolean/valid schema", "additionalProperties");
        }
    }
    if (c->draft >= D6) {
        TRY(sch_one(c, m, "propertyNames", depth, &s->property_names));
    }
    return compile_deps(c, m, depth, s);
}

static ay_err compile(struct comp *c, const struct ay_val *node, size_t depth, struct sch *s)
{
    if (depth > AY_LIMIT_REGO_JSONSCHEMA_DEPTH) {
        (void)cfail(c, "schema nesting exceeds %d", AY_LIMIT_REGO_JSONSCHEMA_DEPTH);
        return AY_ERR_LIMIT;
    }
    s->pass = -1;
    s->min_len = s->max_len = s->min_items = s->max_items = s->min_props = s->max_props = -1;
    s->additional_items = s->additional_props = -1;
    /* draft 6 on: true is the empty schema, false the schema nothing passes */
    if (node->kind == AY_V_BOOL && c->draft >= D6) {
        s->pass = node->u.b ? 1 : 0;
        return AY_OK;
    }
    if (node->kind != AY_V_OBJ) {
        return cfail(c, "Expected: valid schema, given: Invalid JSON");
    }
    struct ay_val m = *node;
    const struct ay_val *v = kw(m, "$schema");
    if (v != NULL && v->kind != AY_V_STR) {
        return bad_type(c, "string", "$schema");
    }
    v = kw(m, "$ref");
    if (v != NULL) {
        if (v->kind != AY_V_STR) {
            return bad_type(c, "string", "$ref");
        }
        return compile_ref(c, *v, depth, &s->ref);
    }
    v = kw(m, "definitions");
    if (v != NULL) {
        if (v->kind != AY_V_OBJ) {
            return cfail(c, "definitions must be of type object");
        }
        for (uint32_t i = 0; i < v->len; i++) {
            struct sch *d;
            if (!is_schema_kind(v->u.pairs[i].v)) {
                return bad_type(c, "valid schema", "definitions");
            }
            TRY(new_sch(c, &v->u.pairs[i].v, depth, &d)); /* errors in them count */
        }
    }
    TRY(compile_types(c, m, s));
    TRY(compile_values(c, m, s));
    TRY(compile_numbers(c, m, s));
    TRY(compile_arrays(c, m, depth, s));
    TRY(compile_objects(c, m, depth, s));
    TRY(sch_list(c, m, "anyOf", depth, &s->any_of, &s->n_any));
    TRY(sch_list(c, m, "oneOf", depth, &s->one_of, &s->n_one));
    TRY(sch_list(c, m, "allOf", depth, &s->all_of, &s->n_all));
    TRY(sch_one(c, m, "not", depth, &s->not_));
    if (c->draft >= D7) {
        TRY(sch_one(c, m, "if", depth, &s->if_));
        TRY(sch_one(c, m, "then", depth, &s->then_));
        TRY(sch_one(c, m, "else", depth, &s->else_));
    }
    return AY_OK;
}

static enum draft detect_draft(struct ay_val root)
{
    const struct ay_val *v = root.kind == AY_V_OBJ ? kw(root, "$schema") : NULL;
    if (v == NULL || v->kind != AY_V_STR) {
        return HYBRID;
    }

    static const struct {
        const char *url;
        enum draft d;
    } urls[] = {
        {"json-schema.org/draft-04/schema", D4},
        {"json-schema.org/draft-06/schema", D6},
        {"json-schema.org/draft-07/schema", D7},
    };

    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        if (strstr(v->u.s, urls[i].url) != NULL) {
            return urls[i].d;
        }
    }
    return HYBRID;
}

/* ---- validation (gojsonschema validation.go) ---- */

struct jerr {
    const char *type;
    const char *field;
    const char *desc;
};

struct res {
    struct jerr *v;
    size_t n, cap;
    long score;
};

struct jctx {
    const char *seg;
    size_t n;
    const struct jctx *up;
};

struct val {
    struct ay_rego_bctx *bc;
    size_t steps;
    char err[AY_DIAG_MSG_MAX];
};

/* Counts n units of work against AY_LIMIT_REGO_JSONSCHEMA_STEPS (subschema visits, enum and
 * property comparisons), so a hostile document cannot make one call quadratic for long. */
static ay_err charge(struct val *vs, size_t n)
{
    vs->steps += n;
    if (vs->steps > AY_LIMIT_REGO_JSONSCHEMA_STEPS) {
        (void)snprintf(vs->err, sizeof vs->err, "validation exceeds %d steps",
                       AY_LIMIT_REGO_JSONSCHEMA_STEPS);
        return AY_ERR_LIMIT;
    }
    return AY_OK;
}

/* The field: the context path without the "(root)." prefix; "(root)" for the root. */
static ay_err field_of(struct val *vs, const struct jctx *cx, const char **out)
{
    const struct jctx *segs[AY_LIMIT_REGO_JSONSCHEMA_DEPTH * 2 + 2];
    size_t n = 0;
    for (const struct jctx *p = cx; p != NULL && p->up != NULL; p = p->up) {
        if (n < sizeof segs / sizeof segs[0]) {
            segs[n++] = p;
        }
    }
    if (n == 0) {
        *out = "(root)";
        return AY_OK;
    }
    struct ay_buf b;
    ay_rego_bu_buf(vs->bc, &b);
    for (size_t i = n; i-- > 0;) {
        ay_buf_put(&b, segs[i]->seg, segs[i]->n);
        if (i > 0) {
            ay_buf_putc(&b, '.');
        }
    }
    TRY(ay_buf_finish(&b));
    *out = b.ptr != NULL ? b.ptr : "";
    return AY_OK;
}

static ay_err res_push(struct val *vs, struct res *r, struct jerr e)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        void *p;
        TRY(ay_arena_grow(vs->bc->arena, r->v, r->cap * sizeof *r->v, cap * sizeof *r->v, &p));
        r->v = p;
        r->cap = cap;
    }
    r->v[r->n++] = e;
    return AY_OK;
}

static ay_err res_merge(struct val *vs, struct res *r, const struct res *o)
{
    for (size_t i = 0; i < o->n; i++) {
        TRY(res_push(vs, r, o->v[i]));
    }
    r->score += o->score;
    return AY_OK;
}

/* addInternalError: the description is fmt with the details already filled in; "%F" is not
 * used: the field goes in through the caller (const and enum start with it). */
static ay_err add_err(struct val *vs, struct res *r, const struct jctx *cx, const char *type,
                      const char *fmt, ...) AY_PRINTF(5, 6);

static ay_err add_err(struct val *vs, struct res *r, const struct jctx *cx, const char *type,
                      const char *fmt, ...)
{
    struct jerr e = {type, NULL, NULL};
    TRY(field_of(vs, cx, &e.field));
    struct ay_buf b;
    ay_rego_bu_buf(vs->bc, &b);
    char tmp[AY_DIAG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    ay_buf_puts(&b, tmp);
    TRY(ay_buf_finish(&b));
    e.desc = b.ptr != NULL ? b.ptr : "";
    r->score -= 2;
    return res_push(vs, r, e);
}

/* Same, with a long value text (enum, const) appended after the formatted prefix. */
static ay_err add_err_text(struct val *vs, struct res *r, const struct jctx *cx, const char *type,
                           const char *prefix, const char *text)
{
    struct jerr e = {type, NULL, NULL};
    TRY(field_of(vs, cx, &e.field));
    struct ay_buf b;
    ay_rego_bu_buf(vs->bc, &b);
    ay_buf_puts(&b, e.field);
    ay_buf_puts(&b, prefix);
    ay_buf_puts(&b, text);
    TRY(ay_buf_finish(&b));
    e.desc = b.ptr != NULL ? b.ptr : "";
    r->score -= 2;
    return res_push(vs, r, e);
}

static ay_err validate(struct val *vs, const struct sch *s, struct ay_val node,
                       const struct jctx *cx, size_t depth, struct res *r);

static ay_err sub_validate(struct val *vs, const struct sch *s, struct ay_val node,
                           const struct jctx *cx, size_t depth, struct res *out)
{
    memset(out, 0, sizeof *out);
    return validate(vs, s, node, cx, depth + 1, out);
}

static bool types_has(const struct sch *s, int t)
{
    for (size_t i = 0; i < s->ntypes; i++) {
        if (s->types[i] == t) {
            return true;
        }
    }
    return false;
}

static ay_err bad_type_err(struct val *vs, const struct sch *s, const struct jctx *cx,
                           struct res *r, const char *given)
{
    char exp[128] = "";
    if (s->ntypes == 1) {
        (void)snprintf(exp, sizeof exp, "%s", type_names[s->types[0]]);
    } else {
        size_t o = 0;
        exp[o++] = '[';
        for (size_t i = 0; i < s->ntypes; i++) {
            o += (size_t)snprintf(exp + o, sizeof exp - o, "%s%s", i ? "," : "",
                                  type_names[s->types[i]]);
        }
        (void)snprintf(exp + o, sizeof exp - o, "]");
    }
    return add_err(vs, r, cx, "invalid_type", "Invalid type. Expected: %s, given: %s", exp, given);
}

static ay_err validate_schema(struct val *vs, const struct sch *s, struct ay_val node,
                              const struct jctx *cx, size_t depth, struct res *r)
{
    if (s->n_any > 0) {
        bool ok = false;
        struct res best = {0};
        bool have_best = false;
        for (size_t i = 0; i < s->n_any && !ok; i++) {
            struct res sub;
            TRY(sub_validate(vs, s->any_of[i], node, cx, depth, &sub));
            ok = sub.n == 0;
            if (!ok && (!have_best || sub.score > best.score)) {
                best = sub;
                have_best = true;
            }
        }
        if (!ok) {
            TRY(add_err(vs, r, cx, "number_any_of", "Must validate at least one schema (anyOf)"));
            TRY(res_merge(vs, r, &best));
        }
    }
    if (s->n_one > 0) {
        size_t nvalid = 0;
        struct res best = {0};
        bool have_best = false;
        for (size_t i = 0; i < s->n_one; i++) {
            struct res sub;
            TRY(sub_validate(vs, s->one_of[i], node, cx, depth, &sub));
            if (sub.n == 0) {
                nvalid++;
            } else if (nvalid == 0 && (!have_best || sub.score > best.score)) {
                best = sub;
                have_best = true;
            }
        }
        if (nvalid != 1) {
            TRY(add_err(vs, r, cx, "number_one_of",
                        "Must validate one and only one schema (oneOf)"));
            if (nvalid == 0) {
                TRY(res_merge(vs, r, &best));
            }
        }
    }
    if (s->n_all > 0) {
        size_t nvalid = 0;
        for (size_t i = 0; i < s->n_all; i++) {
            struct res sub;
            TRY(sub_validate(vs, s->all_of[i], node, cx, depth, &sub));
            nvalid += sub.n == 0 ? 1 : 0;
            TRY(res_merge(vs, r, &sub));
        }
        if (nvalid != s->n_all) {
            TRY(add_err(vs, r, cx, "number_all_of", "Must validate all the schemas (allOf)"));
        }
    }
    if (s->not_ != NULL) {
        struct res sub;
        TRY(sub_validate(vs, s->not_, node, cx, depth, &sub));
        if (sub.n == 0) {
            TRY(add_err(vs, r, cx, "number_not", "Must not validate the schema (not)"));
        }
    }
    if (s->n_deps > 0 && node.kind == AY_V_OBJ) {
        for (uint32_t i = 0; i < node.len; i++) {
            for (size_t d = 0; d < s->n_deps; d++) {
                if (!ay_val_equal(s->deps[d].key, node.u.pairs[i].k)) {
                    continue;
                }
                if (s->deps[d].s != NULL) {
                    TRY(validate(vs, s->deps[d].s, node, cx, depth + 1, r));
                    continue;
                }
                struct ay_val names = s->deps[d].names;
                for (uint32_t j = 0; j < names.len; j++) {
                    if (ay_val_obj_get(node, names.u.items[j]) == NULL) {
                        TRY(add_err(vs, r, cx, "missing_dependency", "Has a dependency on %s",
                                    names.u.items[j].u.s));
                    }
                }
            }
        }
    }
    if (s->if_ != NULL) {
        struct res sub;
        TRY(sub_validate(vs, s->if_, node, cx, depth, &sub));
        const struct sch *branch = sub.n == 0 ? s->then_ : s->else_;
        if (branch != NULL) {
            struct res b;
            TRY(sub_validate(vs, branch, node, cx, depth, &b));
            if (b.n != 0) {
                TRY(add_err(vs, r, cx, sub.n == 0 ? "condition_then" : "condition_else",
                            sub.n == 0 ? "Must validate \"then\" as \"if\" was valid"
                                       : "Must validate \"else\" as \"if\" was not valid"));
                TRY(res_merge(vs, r, &b));
            }
        }
    }
    r->score++;
    return AY_OK;
}

static ay_err validate_common(struct val *vs, const struct sch *s, struct ay_val node,
                              const struct jctx *cx, struct res *r)
{
    if (s->const_json != NULL || s->n_enum > 0) {
        const char *t;
        TRY(json_text(vs->bc, node, &t));
        if (s->const_json != NULL && strcmp(t, s->const_json) != 0) {
            TRY(add_err_text(vs, r, cx, "const", " does not match: ", s->const_json));
        }
        if (s->n_enum > 0) {
            TRY(charge(vs, s->n_enum));
            bool found = false;
            for (size_t i = 0; i < s->n_enum && !found; i++) {
                found = strcmp(t, s->enum_json[i]) == 0;
            }
            if (!found) {
                TRY(add_err_text(vs, r, cx, "enum",
                                 " must be one of the following: ", s->enum_allowed));
            }
        }
    }
    r->score++;
    return AY_OK;
}

static ay_err validate_number(struct val *vs, const struct sch *s, struct ay_val node,
                              const struct jctx *cx, struct res *r)
{
    if (node.kind != AY_V_NUM) {
        return AY_OK;
    }
    struct ay_buf b;
    ay_buf_init(&b, NULL, 128);
    ay_err e = AY_OK;
    if (ay_val_defined(s->multiple_of) && !num_multiple(node, s->multiple_of)) {
        num_detail(&b, s->multiple_of);
        e = add_err(vs, r, cx, "multiple_of", "Must be a multiple of %s", b.ptr);
        ay_buf_reset(&b);
    }
    if (e == AY_OK && ay_val_defined(s->maximum) && num_cmp(node, s->maximum) > 0) {
        num_detail(&b, s->maximum);
        e = add_err(vs, r, cx, "number_lte", "Must be less than or equal to %s", b.ptr);
        ay_buf_reset(&b);
    }
    if (e == AY_OK && ay_val_defined(s->exclusive_maximum) &&
        num_cmp(node, s->exclusive_maximum) >= 0) {
        num_detail(&b, s->exclusive_maximum);
        e = add_err(vs, r, cx, "number_lt", "Must be less than %s", b.ptr);
        ay_buf_reset(&b);
    }
    if (e == AY_OK && ay_val_defined(s->minimum) && num_cmp(node, s->minimum) < 0) {
        num_detail(&b, s->minimum);
        e = add_err(vs, r, cx, "number_gte", "Must be greater than or equal to %s", b.ptr);
        ay_buf_reset(&b);
    }
    if (e == AY_OK && ay_val_defined(s->exclusive_minimum) &&
        num_cmp(node, s->exclusive_minimum) <= 0) {
        num_detail(&b, s->exclusive_minimum);
        e = add_err(vs, r, cx, "number_gt", "Must be greater than %s", b.ptr);
    }
    ay_buf_free(&b);
    r->score++;
    return e;
}

static bool rx_match(struct val *vs, struct ay_val pattern, struct ay_val str, ay_err *err)
{
    const struct ay_rego_bi *bi = ay_rego_bi_find("regex.match", 11, 2);
    struct ay_val args[2] = {pattern, str};
    struct ay_val out = ay_val_undef();
    *err = bi != NULL ? bi->fn(vs->bc, args, 2, &out) : AY_ERR_INTERNAL;
    return *err == AY_OK && out.kind == AY_V_BOOL && out.u.b;
}

/* ---- formats (gojsonschema format_checkers.go); unknown formats pass, as there ---- */

static bool digits(const char *s, size_t n, size_t at, size_t k, int *out)
{
    int v = 0;
    if (at + k > n) {
        return false;
    }
    for (size_t i = at; i < at + k; i++) {
        if (!ay_is_digit((unsigned char)s[i])) {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool fmt_date(const char *s, size_t n, size_t *used)
{
    int y, m, d;
    if (!digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' || !digits(s, n, 5, 2, &m) ||
        s[7] != '-' || !digits(s, n, 8, 2, &d)) {
        return false;
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) {
        return false;
    }
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap) {
        return false;
    }
    *used = 10;
    return true;
}

/* 15:04:05[.frac][Z|+hh:mm] from s[at]; zone required when need_zone. */
static bool fmt_time(const char *s, size_t n, size_t at, bool need_zone)
{
    int h, mi, se;
    if (!digits(s, n, at, 2, &h) || at + 8 > n || s[at + 2] != ':' ||
        !digits(s, n, at + 3, 2, &mi) || s[at + 5] != ':' || !digits(s, n, at + 6, 2, &se)) {
        return false;
    }
    if (h > 23 || mi > 59 || se > 59) {
        return false;
    }
    size_t i = at + 8;
    if (i < n && s[i] == '.') {
        size_t st = ++i;
        while (i < n && ay_is_digit((unsigned char)s[i])) {
            i++;
        }
        if (i == st) {
            return false;
        }
    }
    if (i == n) {
        return !need_zone;
    }
    if (s[i] == 'Z') {
        return i + 1 == n;
    }
    int zh = 0, zm = 0;
    return (s[i] == '+' || s[i] == '-') && i + 6 == n && digits(s, n, i + 1, 2, &zh) &&
           s[i + 3] == ':' && digits(s, n, i + 4, 2, &zm) && zh < 24 && zm < 60;
}

static bool fmt_hostname(const char *s, size_t n)
{
    if (n == 0 || n > 255) {
        return false;
    }
    size_t lab = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (lab == 0 || lab > 63 || s[i - 1] == '-' || s[i - lab] == '-') {
                return false;
            }
            lab = 0;
            continue;
        }
        if (!ay_is_alnum((unsigned char)s[i]) && s[i] != '-') {
            return false;
        }
        lab++;
    }
    return true;
}

static bool fmt_ok(struct val *vs, struct ay_val fmt, struct ay_val str)
{
    const char *f = fmt.u.s;
    const char *s = str.u.s;
    size_t n = str.len;
    char ip[64];
    unsigned char bin[16];
    size_t used;
    if (strcmp(f, "date") == 0) {
        return fmt_date(s, n, &used) && used == n;
    }
    if (strcmp(f, "time") == 0) {
        return fmt_time(s, n, 0, false);
    }
    if (strcmp(f, "date-time") == 0) {
        if (fmt_date(s, n, &used)) {
            return used == n || (s[used] == 'T' && fmt_time(s, n, used + 1, true));
        }
        return fmt_time(s, n, 0, false);
    }
    if (strcmp(f, "ipv4") == 0 || strcmp(f, "ipv6") == 0) {
        if (n >= sizeof ip || memchr(s, '\0', n) != NULL) {
            return false;
        }
        memcpy(ip, s, n);
        ip[n] = '\0';
        bool v4 = inet_pton(AF_INET, ip, bin) == 1;
        bool v6 = !v4 && inet_pton(AF_INET6, ip, bin) == 1;
        /* Go: net.ParseIP succeeds, and the text has a '.' (ipv4) or a ':' (ipv6) */
        return (v4 || v6) && strchr(ip, f[3] == '4' ? '.' : ':') != NULL;
    }
    if (strcmp(f, "uuid") == 0) {
        static const size_t dash[] = {8, 13, 18, 23};
        if (n != 36) {
            return false;
        }
        for (size_t i = 0, d = 0; i < n; i++) {
            if (d < 4 && i == dash[d]) {
                if (s[i] != '-') {
                    return false;
                }
                d++;
            } else if (!ay_is_xdigit((unsigned char)s[i])) {
                return false;
            }
        }
        return true;
    }
    if (strcmp(f, "hostname") == 0) {
        return fmt_hostname(s, n);
    }
    if (strcmp(f, "email") == 0) {
        const char *at = memchr(s, '@', n);
        if (at == NULL || at == s || at == s + n - 1) {
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            if ((unsigned char)s[i] <= ' ') {
                return false;
            }
        }
        return true;
    }
    if (strcmp(f, "json-pointer") == 0) {
        if (n > 0 && s[0] != '/') {
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '~' && (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1'))) {
                return false;
            }
        }
        return true;
    }
    if (strcmp(f, "regex") == 0) {
        struct comp c = {0};
        c.bc = vs->bc;
        return regex_ok(&c, str);
    }
    if (strcmp(f, "uri") == 0) {
        /* url.Parse with a scheme, and no backslash */
        size_t i = 0;
        while (i < n &&
               (ay_is_alnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
            i++;
        }
        return i > 0 && i < n && s[i] == ':' && ay_is_alpha((unsigned char)s[0]) &&
               memchr(s, '\\', n) == NULL;
    }
    return true;
}

static ay_err validate_string(struct val *vs, const struct sch *s, struct ay_val node,
                              const struct jctx *cx, struct res *r)
{
    if (node.kind != AY_V_STR) {
        return AY_OK;
    }
    size_t runes = ay_rego_bu_rune_count(node.u.s, node.len);
    if (s->min_len >= 0 && runes < (uint64_t)s->min_len) {
        TRY(add_err(vs, r, cx, "string_gte", "String length must be greater than or equal to %lld",
                    (long long)s->min_len));
    }
    if (s->max_len >= 0 && runes > (uint64_t)s->max_len) {
        TRY(add_err(vs, r, cx, "string_lte", "String length must be less than or equal to %lld",
                    (long long)s->max_len));
    }
    if (s->pattern.kind == AY_V_STR) {
        ay_err e;
        bool m = rx_match(vs, s->pattern, node, &e);
        TRY(e);
        if (!m) {
            TRY(add_err(vs, r, cx, "pattern", "Does not match pattern '%s'", s->pattern.u.s));
        }
    }
    if (s->format.kind == AY_V_STR && !fmt_ok(vs, s->format, node)) {
        TRY(add_err(vs, r, cx, "format", "Does not match format '%s'", s->format.u.s));
    }
    r->score++;
    return AY_OK;
}

static ay_err idx_ctx(struct val *vs, size_t i, const struct jctx *up, struct jctx *out)
{
    char tmp[24];
    int k = snprintf(tmp, sizeof tmp, "%zu", i);
    char *p;
    TRY(ay_arena_strndup(vs->bc->arena, tmp, (size_t)k, &p));
    *out = (struct jctx){p, (size_t)k, up};
    return AY_OK;
}

struct uitem {
    const char *text;
    size_t idx;
};

static int uitem_cmp(const void *a, const void *b)
{
    const struct uitem *x = a;
    const struct uitem *y = b;
    int c = strcmp(x->text, y->text);
    if (c != 0) {
        return c;
    }
    return x->idx < y->idx ? -1 : (x->idx > y->idx ? 1 : 0);
}

/* uniqueItems: Go walks the items keeping the last index of each JSON text in a map and reports
 * (that index, j) for every repeat j. Sorting (text, index) pairs gives each item's previous
 * occurrence in n log n; the errors then go out in j order. */
static ay_err check_unique(struct val *vs, struct ay_val node, const struct jctx *cx, struct res *r)
{
    size_t n = node.len;
    struct uitem *it;
    size_t *prev;
    TRY(ay_arena_array(vs->bc->arena, n, sizeof *it, (void **)&it));
    TRY(ay_arena_array(vs->bc->arena, n, sizeof *prev, (void **)&prev));
    for (size_t j = 0; j < n; j++) {
        TRY(json_text(vs->bc, node.u.items[j], &it[j].text));
        it[j].idx = j;
        prev[j] = SIZE_MAX;
    }
    TRY(charge(vs, n));
    qsort(it, n, sizeof *it, uitem_cmp);
    for (size_t k = 1; k < n; k++) {
        if (strcmp(it[k - 1].text, it[k].text) == 0) {
            prev[it[k].idx] = it[k - 1].idx;
        }
    }
    for (size_t j = 0; j < n; j++) {
        if (prev[j] != SIZE_MAX) {
            TRY(add_err(vs, r, cx, "unique", "array items[%zu,%zu] must be unique", prev[j], j));
        }
    }
    return AY_OK;
}

static ay_err validate_array(struct val *vs, const struct sch *s, struct ay_val node,
                             const struct jctx *cx, size_t depth, struct res *r)
{
    size_t n = node.len;
    struct jctx sub;
    if (s->items_single) {
        for (size_t i = 0; i < n; i++) {
            struct res o;
            TRY(idx_ctx(vs, i, cx, &sub));
            TRY(sub_validate(vs, s->items[0], node.u.items[i], &sub, depth, &o));
            TRY(res_merge(vs, r, &o));
        }
    } else if (s->n_items > 0) {
        for (size_t i = 0; i < s->n_items && i < n; i++) {
            struct res o;
            TRY(idx_ctx(vs, i, cx, &sub));
            TRY(sub_validate(vs, s->items[i], node.u.items[i], &sub, depth, &o));
            TRY(res_merge(vs, r, &o));
        }
        if (s->n_items < n) {
            if (s->additional_items == 0) {
                TRY(add_err(vs, r, cx, "array_no_additional_items",
                            "No additional items allowed on array"));
            } else if (s->additional_items == 2) {
                for (size_t i = s->n_items; i < n; i++) {
                    struct res o;
                    TRY(idx_ctx(vs, i, cx, &sub));
                    TRY(sub_validate(vs, s->additional_items_s, node.u.items[i], &sub, depth, &o));
                    TRY(res_merge(vs, r, &o));
                }
            }
        }
    }
    if (s->min_items >= 0 && n < (uint64_t)s->min_items) {
        TRY(add_err(vs, r, cx, "array_min_items", "Array must have at least %lld items",
                    (long long)s->min_items));
    }
    if (s->max_items >= 0 && n > (uint64_t)s->max_items) {
        TRY(add_err(vs, r, cx, "array_max_items", "Array must have at most %lld items",
                    (long long)s->max_items));
    }
    if (s->unique && n > 1) {
        TRY(check_unique(vs, node, cx, r));
    }
    if (s->contains != NULL) {
        bool ok = false;
        struct res best = {0};
        bool have_best = false;
        for (size_t i = 0; i < n && !ok; i++) {
            struct res o;
            TRY(idx_ctx(vs, i, cx, &sub));
            TRY(sub_validate(vs, s->contains, node.u.items[i], &sub, depth, &o));
            ok = o.n == 0;
            if (!ok && (!have_best || o.score > best.score)) {
                best = o;
                have_best = true;
            }
        }
        if (!ok) {
            TRY(add_err(vs, r, cx, "contains", "At least one of the items must match"));
            TRY(res_merge(vs, r, &best));
        }
    }
    r->score++;
    return AY_OK;
}

static ay_err key_ctx(struct val *vs, struct ay_val k, const struct jctx *up, struct jctx *out)
{
    if (k.kind == AY_V_STR) {
        *out = (struct jctx){k.u.s, k.len, up};
        return AY_OK;
    }
    struct ay_buf b;
    ay_rego_bu_buf(vs->bc, &b);
    key_text(&b, k);
    TRY(ay_buf_finish(&b));
    *out = (struct jctx){b.ptr != NULL ? b.ptr : "", b.len, up};
    return AY_OK;
}

static ay_err validate_object(struct val *vs, const struct sch *s, struct ay_val node,
                              const struct jctx *cx, size_t depth, struct res *r)
{
    size_t n = node.len;
    if (s->min_props >= 0 && n < (uint64_t)s->min_props) {
        TRY(add_err(vs, r, cx, "array_min_properties", "Must have at least %lld properties",
                    (long long)s->min_props));
    }
    if (s->max_props >= 0 && n > (uint64_t)s->max_props) {
        TRY(add_err(vs, r, cx, "array_max_properties", "Must have at most %lld properties",
                    (long long)s->max_props));
    }
    for (uint32_t i = 0; i < s->required.len && s->required.kind == AY_V_ARR; i++) {
        if (ay_val_obj_get(node, s->required.u.items[i]) != NULL) {
            r->score++;
        } else {
            TRY(add_err(vs, r, cx, "required", "%s is required", s->required.u.items[i].u.s));
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        struct ay_val k = node.u.pairs[i].k;
        struct ay_val v = node.u.pairs[i].v;
        struct jctx sub;
        TRY(key_ctx(vs, k, cx, &sub));
        TRY(charge(vs, s->n_props + s->n_pprops));
        bool found = false;
        for (size_t p = 0; p < s->n_props && !found; p++) {
            found = ay_val_equal(s->props[p].name, k);
        }
        bool pmatch = false;
        for (size_t p = 0; p < s->n_pprops; p++) {
            struct ay_val ks;
            TRY(ay_val_str(vs->bc->arena, sub.seg, sub.n, &ks));
            ay_err e;
            if (rx_match(vs, s->pprops[p].name, ks, &e)) {
                pmatch = true;
                struct res o;
                TRY(sub_validate(vs, s->pprops[p].s, v, &sub, depth, &o));
                TRY(res_merge(vs, r, &o));
            }
            TRY(e);
        }
        if (pmatch) {
            r->score++;
        }
        if (!found && !pmatch) {
            if (s->additional_props == 0) {
                TRY(add_err(vs, r, cx, "additional_property_not_allowed",
                            "Additional property %.*s is not allowed", (int)sub.n, sub.seg));
            } else if (s->additional_props == 2) {
                struct res o;
                TRY(sub_validate(vs, s->additional_props_s, v, &sub, depth, &o));
                TRY(res_merge(vs, r, &o));
            }
        }
    }
    if (s->property_names != NULL) {
        for (uint32_t i = 0; i < n; i++) {
            struct jctx sub;
            TRY(key_ctx(vs, node.u.pairs[i].k, cx, &sub));
            struct ay_val ks;
            TRY(ay_val_str(vs->bc->arena, sub.seg, sub.n, &ks));
            struct res o;
            TRY(sub_validate(vs, s->property_names, ks, cx, depth, &o));
            if (o.n != 0) {
                TRY(add_err(vs, r, cx, "invalid_property_name",
                            "Property name of \"%.*s\" does not match", (int)sub.n, sub.seg));
                TRY(res_merge(vs, r, &o));
            }
        }
    }
    r->score++;
    return AY_OK;
}

static ay_err validate(struct val *vs, const struct sch *s, struct ay_val node,
                       const struct jctx *cx, size_t depth, struct res *r)
{
    if (depth > AY_LIMIT_REGO_JSONSCHEMA_DEPTH) {
        (void)snprintf(vs->err, sizeof vs->err, "schema or document nesting exceeds %d",
                       AY_LIMIT_REGO_JSONSCHEMA_DEPTH);
        return AY_ERR_LIMIT;
    }
    TRY(charge(vs, 1));
    if (s->pass >= 0) {
        if (s->pass == 0) {
            TRY(add_err(vs, r, cx, "false", "False always fails validation"));
        }
        return AY_OK;
    }
    if (s->ref != NULL) {
        return validate(vs, s->ref, node, cx, depth + 1, r);
    }
    bool typed = s->ntypes > 0;
    switch ((enum ay_val_kind)node.kind) {
    case AY_V_UNDEF:
    case AY_V_NULL:
        if (typed && !types_has(s, T_NULL)) {
            return bad_type_err(vs, s, cx, r, "null");
        }
        TRY(validate_schema(vs, s, node, cx, depth, r));
        TRY(validate_common(vs, s, node, cx, r));
        break;
    case AY_V_NUM: {
        bool is_int = ay_val_num_is_int(node);
        if (typed && !types_has(s, T_NUMBER) && !(is_int && types_has(s, T_INTEGER))) {
            return bad_type_err(vs, s, cx, r, is_int ? "integer" : "number");
        }
        TRY(validate_schema(vs, s, node, cx, depth, r));
        TRY(validate_number(vs, s, node, cx, r));
        TRY(validate_common(vs, s, node, cx, r));
        break;
    }
    case AY_V_ARR:
    case AY_V_SET:
        if (typed && !types_has(s, T_ARRAY)) {
            return bad_type_err(vs, s, cx, r, "array");
        }
        TRY(validate_schema(vs, s, node, cx, depth, r));
        TRY(validate_array(vs, s, node, cx, depth, r));
        TRY(validate_common(vs, s, node, cx, r));
        break;
    case AY_V_OBJ:
        if (typed && !types_has(s, T_OBJECT)) {
            return bad_type_err(vs, s, cx, r, "object");
        }
        TRY(validate_schema(vs, s, node, cx, depth, r));
        TRY(validate_object(vs, s, node, cx, depth, r));
        TRY(validate_common(vs, s, node, cx, r));
        for (size_t p = 0; p < s->n_props; p++) {
            const struct ay_val *v = ay_val_obj_get(node, s->props[p].name);
            if (v != NULL) {
                struct jctx sub;
                TRY(key_ctx(vs, s->props[p].name, cx, &sub));
                TRY(validate(vs, s->props[p].s, *v, &sub, depth + 1, r));
            }
        }
        break;
    case AY_V_BOOL:
    case AY_V_STR:
        if (typed && !types_has(s, node.kind == AY_V_BOOL ? T_BOOLEAN : T_STRING)) {
            return bad_type_err(vs, s, cx, r, node.kind == AY_V_BOOL ? "boolean" : "string");
        }
        TRY(validate_schema(vs, s, node, cx, depth, r));
        TRY(validate_common(vs, s, node, cx, r));
        TRY(validate_string(vs, s, node, cx, r));
        break;
    }
    r->score++;
    return AY_OK;
}

/* ---- the builtins ---- */

/* OPA's astValueToJSONSchemaLoader: a JSON text or an object. *msg set on a user error. */
static ay_err load_arg(struct ay_rego_bctx *bc, struct ay_val v, struct ay_val *out,
                       const char **msg)
{
    *msg = NULL;
    if (v.kind == AY_V_STR) {
        struct ay_diag d = {0};
        ay_err e = ay_val_parse_json(bc->arena, v.u.s, v.len, 0, &d, out);
        if (e == AY_ERR_MALFORMED) {
            *msg = "invalid JSON string";
            return AY_OK;
        }
        if (e != AY_OK) {
            return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
        }
        return AY_OK;
    }
    if (v.kind != AY_V_OBJ) {
        *msg = "wrong type, expected string or object";
        return AY_OK;
    }
    *out = v;
    return AY_OK;
}

/* Compiles the schema: *msg is gojsonschema's schema error, or NULL. */
static ay_err compile_root(struct ay_rego_bctx *bc, struct comp *c, struct ay_val root,
                           struct sch **out, const char **msg)
{
    memset(c, 0, sizeof *c);
    c->bc = bc;
    c->root = root;
    c->draft = detect_draft(root);
    *msg = NULL;
    struct sch *s;
    TRY(ay_arena_alloc(bc->arena, sizeof *s, (void **)&s));
    /* the root is a $ref target like any node ("$ref": "#") */
    c->memo = NULL;
    ay_err e = compile(c, &c->root, 0, s);
    if (e == AY_ERR_MALFORMED) {
        *msg = c->err;
        return AY_OK;
    }
    if (e == AY_ERR_LIMIT && c->err[0] != '\0') {
        return ay_rego_bi_fail(bc, "%s", c->err);
    }
    TRY(e);
    *out = s;
    return AY_OK;
}

static ay_err bi_verify_schema(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)nargs;
    struct ay_val root;
    const char *msg;
    TRY(load_arg(bc, args[0], &root, &msg));
    struct comp c;
    struct sch *s = NULL;
    if (msg == NULL) {
        TRY(compile_root(bc, &c, root, &s, &msg));
    }
    struct ay_val items[2] = {ay_val_bool(msg == NULL), ay_val_null()};
    if (msg != NULL) {
        struct ay_buf b;
        ay_rego_bu_buf(bc, &b);
        ay_buf_printf(&b, "jsonschema: %s", msg);
        TRY(ay_buf_finish(&b));
        TRY(ay_rego_bu_buf_str(bc, &b, &items[1]));
    }
    return ay_val_array(bc->arena, items, 2, out);
}

static ay_err err_obj(struct ay_rego_bctx *bc, const struct jerr *e, struct ay_val *out)
{
    struct ay_kv kv[4];
    kv[0].k = ay_val_str_static("desc");
    TRY(ay_val_str(bc->arena, e->desc, strlen(e->desc), &kv[0].v));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    ay_buf_printf(&b, "%s: %s", e->field, e->desc);
    TRY(ay_buf_finish(&b));
    kv[1].k = ay_val_str_static("error");
    TRY(ay_rego_bu_buf_str(bc, &b, &kv[1].v));
    kv[2].k = ay_val_str_static("field");
    TRY(ay_val_str(bc->arena, e->field, strlen(e->field), &kv[2].v));
    kv[3].k = ay_val_str_static("type");
    kv[3].v = ay_val_str_static(e->type);
    return ay_val_object(bc->arena, kv, 4, false, out);
}

static ay_err bi_match_schema(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                              struct ay_val *out)
{
    (void)nargs;
    struct ay_val doc, root;
    const char *msg;
    TRY(load_arg(bc, args[0], &doc, &msg));
    if (msg != NULL) {
        return ay_rego_bi_fail(bc, "%s", msg);
    }
    TRY(load_arg(bc, args[1], &root, &msg));
    if (msg != NULL) {
        return ay_rego_bi_fail(bc, "%s", msg);
    }
    struct comp c;
    struct sch *s = NULL;
    TRY(compile_root(bc, &c, root, &s, &msg));
    if (msg != NULL) {
        return ay_rego_bi_fail(bc, "%s", msg);
    }
    struct val vs;
    memset(&vs, 0, sizeof vs);
    vs.bc = bc;
    struct res r = {0};
    struct jctx rootcx = {"(root)", 6, NULL};
    ay_err e = validate(&vs, s, doc, &rootcx, 0, &r);
    if (e == AY_ERR_LIMIT && vs.err[0] != '\0') {
        return ay_rego_bi_fail(bc, "%s", vs.err);
    }
    TRY(e);
    struct ay_val_vec errs;
    ay_val_vec_init(&errs, bc->arena);
    for (size_t i = 0; i < r.n; i++) {
        struct ay_val o;
        TRY(err_obj(bc, &r.v[i], &o));
        TRY(ay_val_vec_push(&errs, o));
    }
    struct ay_val items[2] = {ay_val_bool(r.n == 0), ay_val_vec_array(&errs)};
    return ay_val_array(bc->arena, items, 2, out);
}

const struct ay_rego_bi ay_rego_bi_jsonschema[] = {
    {"json.verify_schema", 1, bi_verify_schema, 0},
    {"json.match_schema", 2, bi_match_schema, 0},
    {NULL, 0, NULL, 0},
};
