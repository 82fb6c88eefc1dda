/* SPDX-License-Identifier: Apache-2.0 */
/* graphql.parse, parse_query, parse_schema, parse_and_verify, is_valid, schema_is_valid (OPA
 * topdown/graphql.go). Documents are parsed by codec_graphql and validated by
 * rego_graphql_valid; ASTs are returned as OPA returns them: the reference AST's field names,
 * with null, empty-array and empty-object members dropped (OPA prunes them) and positions
 * left out. An AST object given instead of text is read back into the same AST. Errors read
 * "<message> in GraphQL string at location <line>:<column>". */
#include <stdint.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_str.h"
#include "codec/codec_graphql.h"
#include "rego/rego_bi_util.h"
#include "rego/rego_graphql_valid.h"

/* ---- AST to value ---- */

struct w {
    struct ay_rego_bctx *bc;
};

static ay_err str_val(struct ay_rego_bctx *bc, struct ay_str s, struct ay_val *out)
{
    return ay_val_str(bc->arena, s.ptr, s.len, out);
}

/* Adds key: v unless v is undefined (an omitted member). */
static ay_err put(struct ay_kv_vec *kv, const char *k, struct ay_val v)
{
    if (!ay_val_defined(v)) {
        return AY_OK;
    }
    return ay_kv_vec_push(kv, ay_val_str_static(k), v);
}

static ay_err put_str(struct ay_rego_bctx *bc, struct ay_kv_vec *kv, const char *k, struct ay_str s)
{
    struct ay_val v;
    TRY(str_val(bc, s, &v));
    return put(kv, k, v);
}

/* Finishes an array; an empty one is omitted (undefined), as OPA prunes it. */
static struct ay_val arr_or_undef(const struct ay_val_vec *vv)
{
    return vv->n == 0 ? ay_val_undef() : ay_val_vec_array(vv);
}

static ay_err names_val(struct ay_rego_bctx *bc, const struct ay_gql_name *n, struct ay_val *out)
{
    struct ay_val_vec vv;
    ay_val_vec_init(&vv, bc->arena);
    for (; n != NULL; n = n->next) {
        struct ay_val s;
        TRY(str_val(bc, n->s, &s));
        TRY(ay_val_vec_push(&vv, s));
    }
    *out = arr_or_undef(&vv);
    return AY_OK;
}

static ay_err type_val(struct ay_rego_bctx *bc, const struct ay_gql_type *t, struct ay_val *out)
{
    if (t == NULL) {
        *out = ay_val_undef();
        return AY_OK;
    }
    struct ay_kv_vec kv;
    ay_kv_vec_init(&kv, bc->arena);
    struct ay_val e;
    TRY(type_val(bc, t->elem, &e));
    TRY(put_str(bc, &kv, "NamedType", t->named));
    TRY(put(&kv, "Elem", e));
    TRY(put(&kv, "NonNull", ay_val_bool(t->non_null)));
    return ay_kv_vec_object(&kv, false, out);
}

static ay_err value_val(struct ay_rego_bctx *bc, const struct ay_gql_value *v, struct ay_val *out)
{
    if (v == NULL) {
        *out = ay_val_undef();
        return AY_OK;
    }
    struct ay_kv_vec kv;
    ay_kv_vec_init(&kv, bc->arena);
    struct ay_val_vec ch;
    ay_val_vec_init(&ch, bc->arena);
    for (const struct ay_gql_child *c = v->children; c != NULL; c = c->next) {
        struct ay_kv_vec ckv;
        ay_kv_vec_init(&ckv, bc->arena);
        struct ay_val cv, o;
        TRY(value_val(bc, c->value, &cv));
        TRY(put_str(bc, &ckv, "Name", c->name));
        TRY(put(&ckv, "Value", cv));
        TRY(ay_kv_vec_object(&ckv, false, &o));
        TRY(ay_val_vec_push(&ch, o));
    }
    TRY(put_str(bc, &kv, "Raw", v->raw));
    TRY(put(&kv, "Children", arr_or_undef(&ch)));
    TRY(put(&kv, "Kind", ay_val_int(v->kind)));
    TRY(put(&kv, "ExpectedTypeHasDefault", ay_val_bool(v->expected_type_has_default)));
    return ay_kv_vec_object(&kv, false, out);
}

static ay_err args_val(struct ay_rego_bctx *bc, const struct ay_gql_arg *a, struct ay_val *out)
{
    struct ay_val_vec vv;
    ay_val_vec_init(&vv, bc->arena);
    for (; a != NULL; a = a->next) {
        struct ay_kv_vec kv;
        ay_kv_vec_init(&kv, bc->arena);
        struct ay_val v, o;
        TRY(value_val(bc, a->value, &v));
        TRY(put_str(bc, &kv, "Name", a->name));
        TRY(put(&kv, "Value", v));
        TRY(ay_kv_vec_object(&kv, false, &o));
        TRY(ay_val_vec_push(&vv, o));
    }
    *out = arr_or_undef(&vv);
    return AY_OK;
}

static ay_err dirs_val(struct ay_rego_bctx *bc, const struct ay_gql_dir *d, struct ay_val *out)
{
    struct ay_val_vec vv;
    ay_val_vec_init(&vv, bc->arena);
    for (; d != NULL; d = d->next) {
        struct ay_kv_vec kv;
        ay_kv_vec_init(&kv, bc->arena);
        struct ay_val a, o;
        TRY(args_val(bc, d->args, &a));
        TRY(put_str(bc, &kv, "Name", d->name));
        TRY(put(&kv, "Arguments", a));
        TRY(put_str(bc, &kv, "Location", d->location));
        TRY(ay_kv_vec_object(&kv, false, &o));
        TRY(ay_val_vec_push(&vv, o));
    }
    *out = arr_or_undef(&vv);
    return AY_OK;
}

static ay_err vars_val(struct ay_rego_bctx *bc, const struct ay_gql_vardef *v, struct ay_val *out)
{
    struct ay_val_vec vv;
    ay_val_vec_init(&vv, bc->arena);
    for (; v != NULL; v = v->next) {
        struct ay_kv_vec kv;
        ay_kv_vec_init(&kv, bc->arena);
        struct ay_val t, dv, d, o;
        TRY(type_val(bc, v->type, &t));
        TRY(value_val(bc, v->defval, &dv));
        TRY(dirs_val(bc, v->dirs, &d));
        TRY(put_str(bc, &kv, "Variable", v->name));
        TRY(put(&kv, "Type", t));
        TRY(put(&kv, "DefaultValue", dv));
        TRY(put(&kv, "Directives", d));
        TRY(put(&kv, "Used", ay_val_bool(v->used)));
        TRY(ay_kv_vec_object(&kv, false, &o));
        TRY(ay_val_vec_push(&vv, o));
    }
    *out = arr_or_undef(&vv);
    return AY_OK;
}

static ay_err sels_val(struct ay_rego_bctx *bc, const struct ay_gql_sel *s, int depth,
                       struct ay_val *out);

static ay_err sel_val(struct ay_rego_bctx *bc, const struct ay_gql_sel *s, int depth,
                      struct ay_val *out)
{
    struct ay_kv_vec kv;
    ay_kv_vec_init(&kv, bc->arena);
    struct ay_val d, sub;
    TRY(dirs_val(bc, s->dirs, &d));
    TRY(sels_val(bc, s->sels, depth + 1, &sub));
    switch (s->kind) {
    case AY_GQL_SEL_FIELD: {
        struct ay_val a;
        TRY(args_val(bc, s->args, &a));
        TRY(put_str(bc, &kv, "Alias", s->alias));
        TRY(put_str(bc, &kv, "Name", s->name));
        TRY(put(&kv, "Arguments", a));
        TRY(put(&kv, "Directives", d));
        TRY(put(&kv, "SelectionSet", sub));
        break;
    }
    case AY_GQL_SEL_SPREAD:
        TRY(put_str(bc, &kv, "Name", s->name));
        TRY(put(&kv, "Directives", d));
        break;
    case AY_GQL_SEL_INLINE:
        TRY(put_str(bc, &kv, "TypeCondition", s->type_cond));
        TRY(put(&kv, "Directives", d));
        TRY(put(&kv, "SelectionSet", sub));
        break;
    }
    return ay_kv_vec_object(&kv, false, out);
}

static ay_err sels_val(struct ay_rego_bctx *bc, const struct ay_gql_sel *s, int depth,
                       struct ay_val *out)
{
    if (depth > AY_LIMIT_GQL_DEPTH) {
        return ay_rego_bi_fail(bc, "GraphQL document nested deeper than %d", AY_LIMIT_GQL_DEPTH);
    }
    struct ay_val_vec vv;
    ay_val_vec_init(&vv, bc->arena);
    for (; s != NULL; s = s->next) {
        struct ay_val o;
        TRY(sel_val(bc, s, depth, &o));
        TRY(ay_val_vec_push(&vv, o));
    }
    *out = arr_or_undef(&vv);
    return AY_OK;
}

static ay_err query_val(struct ay_rego_bctx *bc, const struct ay_gql_query *q, struct ay_val *out)
{
    struct ay_val_vec ops, frs;
    ay_val_vec_init(&ops, bc->arena);
    ay_val_vec_init(&frs, bc->arena);
    for (const struct ay_gql_op *op = q->ops; op != NULL; op = op->next) {
        struct ay_kv_vec kv;
        ay_kv_vec_init(&kv, bc->arena);
        struct ay_val v, d, s, o;
        TRY(vars_val(bc, op->vars, &v));
        TRY(dirs_val(bc, op->dirs, &d));
        TRY(sels_val(bc, op->sels, 0, &s));
        TRY(put_str(bc, &kv, "Operation", op->operation));
        TRY(put_str(bc, &kv, "Name", op->name));
        TRY(put(&kv, "VariableDefinitions", v));
        TRY(put(&kv, "Directives", d));
        TRY(put(&kv, "SelectionSet", s));
        TRY(ay_kv_vec_object(&kv, false, &o));
        TRY(ay_val_vec_push(&ops, o));
    }
    for (const struct ay_gql_frag *f = q->frags; f != NULL; f = f->next) {
        struct ay_kv_vec kv;
        ay_kv_vec_init(&kv, bc->arena);
        struct ay_val v, d, s, o;
        TRY(vars_val(bc, f->vars, &v));
        TRY(dirs_val(bc, f->dirs, &d));
        TRY(sels_val(bc, f->sels, 0, &s));
        TRY(put_str(bc, &kv, "Name", f->name));
        TRY(put(&kv, "VariableDefinition", v));
        TRY(put_str(bc, &kv, "TypeCondition", f->type_cond));
        TRY(put(&kv, "Directives", d));
        TRY(put(&kv, "SelectionSet", s));
        TRY(ay_kv_vec_object(&kv, false, &o));
        TRY(ay_val_vec_push(&frs, o));
    }
    struct ay_kv_vec kv;
    ay_kv_vec_init(&kv, bc->arena);
    TRY(put(&kv, "Operations", arr_or_undef(&ops)));
    TRY(put(&kv, "Fragments", arr_or_undef(&frs)));
    return ay_kv_vec_object(&kv, false, out);
}

static ay_err fielddefs_val(struct ay_rego_bctx *bc, const struct ay_gql_fielddef *f,
                            struct ay_val *out)
{
    struct ay_val_vec vv;
    ay_val_vec_init(&vv, bc->arena);
    for (; f != NULL; f = f->next) {
        struct ay_kv_vec kv;
        ay_kv_vec_init(&kv, bc->arena);
        struct ay_val a, dv, t, d, o;
        TRY(fielddefs_val(bc, f->args, &a));
        TRY(value_val(bc, f->defval, &dv));
        TRY(type_val(bc, f->type, &t));
        TRY(dirs_val(bc, f->dirs, &d));
        TRY(put_str(bc, &kv, "Description", f->desc));
        TRY(put_str(bc, &kv, "Name", f->name));
        TRY(put(&kv, "Arguments", a));
        TRY(put(&kv, "DefaultValue", dv));
        TRY(put(&kv, "Type", t));
        TRY(put(&kv, "Directives", d));
        TRY(ay_kv_vec_object(&kv, false, &o));
        TRY(ay_val_vec_push(&vv, o));
    }
    *out = arr_or_undef(&vv);
    return AY_OK;
}

static ay_err defs_val(struct ay_rego_bctx *bc, const struct ay_gql_def *d, struct ay_val *out)
{
    struct ay_val_vec vv;
    ay_val_vec_init(&vv, bc->arena);
    for (; d != NULL; d = d->next) {
        struct ay_kv_vec kv;
        ay_kv_vec_init(&kv, bc->arena);
        struct ay_val dirs, ifs, fields, types, o;
        struct ay_val_vec ev;
        ay_val_vec_init(&ev, bc->arena);
        for (const struct ay_gql_enumval *e = d->enumvals; e != NULL; e = e->next) {
            struct ay_kv_vec ekv;
            ay_kv_vec_init(&ekv, bc->arena);
            struct ay_val ed, eo;
            TRY(dirs_val(bc, e->dirs, &ed));
            TRY(put_str(bc, &ekv, "Description", e->desc));
            TRY(put_str(bc, &ekv, "Name", e->name));
            TRY(put(&ekv, "Directives", ed));
            TRY(ay_kv_vec_object(&ekv, false, &eo));
            TRY(ay_val_vec_push(&ev, eo));
        }
        TRY(dirs_val(bc, d->dirs, &dirs));
        TRY(names_val(bc, d->ifaces, &ifs));
        TRY(fielddefs_val(bc, d->fields, &fields));
        TRY(names_val(bc, d->types, &types));
        TRY(put_str(bc, &kv, "Kind", d->kind));
        TRY(put_str(bc, &kv, "Description", d->desc));
        TRY(put_str(bc, &kv, "Name", d->name));
        TRY(put(&kv, "Directives", dirs));
        TRY(put(&kv, "Interfaces", ifs));
        TRY(put(&kv, "Fields", fields));
        TRY(put(&kv, "Types", types));
        TRY(put(&kv, "EnumValues", arr_or_undef(&ev)));
        TRY(put(&kv, "BuiltIn", ay_val_bool(d->builtin)));
        TRY(ay_kv_vec_object(&kv, false, &o));
        TRY(ay_val_vec_push(&vv, o));
    }
    *out = arr_or_undef(&vv);
    return AY_OK;
}

static ay_err schemadefs_val(struct ay_rego_bctx *bc, const struct ay_gql_schemadef *s,
                             struct ay_val *out)
{
    struct ay_val_vec vv;
    ay_val_vec_init(&vv, bc->arena);
    for (; s != NULL; s = s->next) {
        struct ay_kv_vec kv;
        ay_kv_vec_init(&kv, bc->arena);
        struct ay_val d, o;
        struct ay_val_vec ot;
        ay_val_vec_init(&ot, bc->arena);
        for (const struct ay_gql_optype *t = s->optypes; t != NULL; t = t->next) {
            struct ay_kv_vec tkv;
            ay_kv_vec_init(&tkv, bc->arena);
            struct ay_val to;
            TRY(put_str(bc, &tkv, "Operation", t->operation));
            TRY(put_str(bc, &tkv, "Type", t->type));
            TRY(ay_kv_vec_object(&tkv, false, &to));
            TRY(ay_val_vec_push(&ot, to));
        }
        TRY(dirs_val(bc, s->dirs, &d));
        TRY(put_str(bc, &kv, "Description", s->desc));
        TRY(put(&kv, "Directives", d));
        TRY(put(&kv, "OperationTypes", arr_or_undef(&ot)));
        TRY(ay_kv_vec_object(&kv, false, &o));
        TRY(ay_val_vec_push(&vv, o));
    }
    *out = arr_or_undef(&vv);
    return AY_OK;
}

static ay_err sdoc_val(struct ay_rego_bctx *bc, const struct ay_gql_sdoc *doc, struct ay_val *out)
{
    struct ay_kv_vec kv;
    ay_kv_vec_init(&kv, bc->arena);
    struct ay_val s, sx, dd, defs, exts;
    TRY(schemadefs_val(bc, doc->schema, &s));
    TRY(schemadefs_val(bc, doc->schema_ext, &sx));
    struct ay_val_vec dv;
    ay_val_vec_init(&dv, bc->arena);
    for (const struct ay_gql_dirdef *d = doc->dirdefs; d != NULL; d = d->next) {
        struct ay_kv_vec dkv;
        ay_kv_vec_init(&dkv, bc->arena);
        struct ay_val a, l, o;
        TRY(fielddefs_val(bc, d->args, &a));
        TRY(names_val(bc, d->locs, &l));
        TRY(put_str(bc, &dkv, "Description", d->desc));
        TRY(put_str(bc, &dkv, "Name", d->name));
        TRY(put(&dkv, "Arguments", a));
        TRY(put(&dkv, "Locations", l));
        TRY(put(&dkv, "IsRepeatable", ay_val_bool(d->repeatable)));
        TRY(ay_kv_vec_object(&dkv, false, &o));
        TRY(ay_val_vec_push(&dv, o));
    }
    dd = arr_or_undef(&dv);
    TRY(defs_val(bc, doc->defs, &defs));
    TRY(defs_val(bc, doc->exts, &exts));
    TRY(put(&kv, "Schema", s));
    TRY(put(&kv, "SchemaExtension", sx));
    TRY(put(&kv, "Directives", dd));
    TRY(put(&kv, "Definitions", defs));
    TRY(put(&kv, "Extensions", exts));
    return ay_kv_vec_object(&kv, false, out);
}

/* ---- value to AST (an AST object passed instead of text) ---- */

/* Reading stops at the first member of the wrong type (OPA's JSON decoding fails there). */
struct rd {
    struct ay_rego_bctx *bc;
    bool bad;
    int depth;
};

static const struct ay_val *member(struct rd *r, struct ay_val o, const char *k,
                                   enum ay_val_kind want)
{
    const struct ay_val *v = ay_val_obj_get_str(o, k, strlen(k));
    if (v == NULL || v->kind == AY_V_NULL) {
        return NULL;
    }
    if (v->kind != want) {
        r->bad = true;
        return NULL;
    }
    return v;
}

static struct ay_str rd_str(struct rd *r, struct ay_val o, const char *k)
{
    const struct ay_val *v = member(r, o, k, AY_V_STR);
    if (v == NULL) {
        return (struct ay_str){"", 0};
    }
    return (struct ay_str){v->u.s, v->len};
}

static bool rd_bool(struct rd *r, struct ay_val o, const char *k)
{
    const struct ay_val *v = member(r, o, k, AY_V_BOOL);
    return v != NULL && v->u.b;
}

/* Allocates n zeroed bytes; NULL (and r->bad) when the arena is full. */
static void *rd_new(struct rd *r, size_t n)
{
    void *m = NULL;
    if (ay_arena_alloc(r->bc->arena, n, &m) != AY_OK) {
        r->bad = true;
        return NULL;
    }
    return m;
}

/* Runs the body once for each object of array member k (bound to `item`); an element that is
 * not an object marks the read bad. A `break` in the body ends that element only. */
#define RD_EACH(r, o, k, item)                                                                 \
    const struct ay_val *item##_arr = member((r), (o), (k), AY_V_ARR);                         \
    for (uint32_t item##_i = 0; item##_arr != NULL && item##_i < item##_arr->len && !(r)->bad; \
         item##_i++)                                                                           \
        for (struct ay_val item = item##_arr->u.items[item##_i], *item##_once = &item;         \
             item##_once != NULL && (item.kind == AY_V_OBJ || ((r)->bad = true, false));       \
             item##_once = NULL)

static struct ay_gql_type *rd_type(struct rd *r, struct ay_val o)
{
    if (++r->depth > AY_LIMIT_GQL_DEPTH) {
        r->bad = true;
        return NULL;
    }
    struct ay_gql_type *t = rd_new(r, sizeof *t);
    if (t == NULL) {
        return NULL;
    }
    t->named = rd_str(r, o, "NamedType");
    t->non_null = rd_bool(r, o, "NonNull");
    const struct ay_val *e = member(r, o, "Elem", AY_V_OBJ);
    if (e != NULL) {
        t->elem = rd_type(r, *e);
    }
    r->depth--;
    return t;
}

static struct ay_gql_type *rd_type_m(struct rd *r, struct ay_val o, const char *k)
{
    const struct ay_val *t = member(r, o, k, AY_V_OBJ);
    return t != NULL ? rd_type(r, *t) : NULL;
}

static struct ay_gql_value *rd_value(struct rd *r, struct ay_val o)
{
    if (++r->depth > AY_LIMIT_GQL_DEPTH) {
        r->bad = true;
        return NULL;
    }
    struct ay_gql_value *v = rd_new(r, sizeof *v);
    if (v == NULL) {
        return NULL;
    }
    v->raw = rd_str(r, o, "Raw");
    const struct ay_val *k = member(r, o, "Kind", AY_V_NUM);
    int64_t kind = 0;
    if (k != NULL && !ay_val_to_i64(*k, &kind)) {
        r->bad = true;
    }
    v->kind = (int)(kind >= INT32_MIN && kind <= INT32_MAX ? kind : -1);
    v->expected_type_has_default = rd_bool(r, o, "ExpectedTypeHasDefault");
    struct ay_gql_child **tail = &v->children;
    RD_EACH(r, o, "Children", c)
    {
        struct ay_gql_child *ch = rd_new(r, sizeof *ch);
        if (ch == NULL) {
            break;
        }
        ch->name = rd_str(r, c, "Name");
        const struct ay_val *cv = member(r, c, "Value", AY_V_OBJ);
        ch->value = cv != NULL ? rd_value(r, *cv) : NULL;
        *tail = ch;
        tail = &ch->next;
        v->n_children++;
    }
    r->depth--;
    return v;
}

static struct ay_gql_value *rd_value_m(struct rd *r, struct ay_val o, const char *k)
{
    const struct ay_val *v = member(r, o, k, AY_V_OBJ);
    return v != NULL ? rd_value(r, *v) : NULL;
}

static struct ay_gql_arg *rd_args(struct rd *r, struct ay_val o)
{
    struct ay_gql_arg *first = NULL, **tail = &first;
    RD_EACH(r, o, "Arguments", a)
    {
        struct ay_gql_arg *n = rd_new(r, sizeof *n);
        if (n == NULL) {
            break;
        }
        n->name = rd_str(r, a, "Name");
        n->value = rd_value_m(r, a, "Value");
        *tail = n;
        tail = &n->next;
    }
    return first;
}

static struct ay_gql_dir *rd_dirs(struct rd *r, struct ay_val o)
{
    struct ay_gql_dir *first = NULL, **tail = &first;
    RD_EACH(r, o, "Directives", d)
    {
        struct ay_gql_dir *n = rd_new(r, sizeof *n);
        if (n == NULL) {
            break;
        }
        n->name = rd_str(r, d, "Name");
        n->location = rd_str(r, d, "Location");
        n->args = rd_args(r, d);
        *tail = n;
        tail = &n->next;
    }
    return first;
}

static struct ay_gql_name *rd_names(struct rd *r, struct ay_val o, const char *k)
{
    struct ay_gql_name *first = NULL, **tail = &first;
    const struct ay_val *arr = member(r, o, k, AY_V_ARR);
    for (uint32_t i = 0; arr != NULL && i < arr->len && !r->bad; i++) {
        struct ay_val s = arr->u.items[i];
        if (s.kind != AY_V_STR) {
            r->bad = true;
            break;
        }
        struct ay_gql_name *n = rd_new(r, sizeof *n);
        if (n == NULL) {
            break;
        }
        n->s = (struct ay_str){s.u.s, s.len};
        *tail = n;
        tail = &n->next;
    }
    return first;
}

static struct ay_gql_vardef *rd_vars(struct rd *r, struct ay_val o, const char *k)
{
    struct ay_gql_vardef *first = NULL, **tail = &first;
    RD_EACH(r, o, k, v)
    {
        struct ay_gql_vardef *n = rd_new(r, sizeof *n);
        if (n == NULL) {
            break;
        }
        n->name = rd_str(r, v, "Variable");
        n->type = rd_type_m(r, v, "Type");
        n->defval = rd_value_m(r, v, "DefaultValue");
        n->dirs = rd_dirs(r, v);
        n->used = rd_bool(r, v, "Used");
        *tail = n;
        tail = &n->next;
    }
    return first;
}

/* A selection's shape is recognised by its members: a field has an Alias, an inline fragment
 * a TypeCondition, anything else is a fragment spread. */
static struct ay_gql_sel *rd_sels(struct rd *r, struct ay_val o)
{
    struct ay_gql_sel *first = NULL, **tail = &first;
    if (++r->depth > AY_LIMIT_GQL_DEPTH) {
        r->bad = true;
        return NULL;
    }
    RD_EACH(r, o, "SelectionSet", s)
    {
        struct ay_gql_sel *n = rd_new(r, sizeof *n);
        if (n == NULL) {
            break;
        }
        n->dirs = rd_dirs(r, s);
        if (ay_val_obj_get_str(s, "Alias", 5) != NULL) {
            n->kind = AY_GQL_SEL_FIELD;
            n->alias = rd_str(r, s, "Alias");
            n->name = rd_str(r, s, "Name");
            n->args = rd_args(r, s);
            n->sels = rd_sels(r, s);
        } else if (ay_val_obj_get_str(s, "TypeCondition", 13) != NULL) {
            n->kind = AY_GQL_SEL_INLINE;
            n->type_cond = rd_str(r, s, "TypeCondition");
            n->sels = rd_sels(r, s);
        } else {
            n->kind = AY_GQL_SEL_SPREAD;
            n->name = rd_str(r, s, "Name");
        }
        *tail = n;
        tail = &n->next;
    }
    r->depth--;
    return first;
}

static ay_err rd_fail(struct ay_rego_bctx *bc, struct rd *r)
{
    (void)r;
    return ay_rego_bi_fail(bc, "cannot read the GraphQL AST object");
}

static ay_err val_query(struct ay_rego_bctx *bc, struct ay_val o, struct ay_gql_query **out)
{
    struct rd r = {bc, false, 0};
    struct ay_gql_query *q = rd_new(&r, sizeof *q);
    if (q == NULL) {
        return rd_fail(bc, &r);
    }
    struct ay_gql_op **otail = &q->ops;
    RD_EACH(&r, o, "Operations", op)
    {
        struct ay_gql_op *n = rd_new(&r, sizeof *n);
        if (n == NULL) {
            break;
        }
        n->operation = rd_str(&r, op, "Operation");
        n->name = rd_str(&r, op, "Name");
        n->vars = rd_vars(&r, op, "VariableDefinitions");
        n->dirs = rd_dirs(&r, op);
        n->sels = rd_sels(&r, op);
        *otail = n;
        otail = &n->next;
    }
    struct ay_gql_frag **ftail = &q->frags;
    RD_EACH(&r, o, "Fragments", f)
    {
        struct ay_gql_frag *n = rd_new(&r, sizeof *n);
        if (n == NULL) {
            break;
        }
        n->name = rd_str(&r, f, "Name");
        n->vars = rd_vars(&r, f, "VariableDefinition");
        n->type_cond = rd_str(&r, f, "TypeCondition");
        n->dirs = rd_dirs(&r, f);
        n->sels = rd_sels(&r, f);
        *ftail = n;
        ftail = &n->next;
    }
    if (r.bad) {
        return rd_fail(bc, &r);
    }
    *out = q;
    return AY_OK;
}

static struct ay_gql_fielddef *rd_fielddefs(struct rd *r, struct ay_val o, const char *k)
{
    struct ay_gql_fielddef *first = NULL, **tail = &first;
    if (++r->depth > AY_LIMIT_GQL_DEPTH) {
        r->bad = true;
        return NULL;
    }
    RD_EACH(r, o, k, f)
    {
        struct ay_gql_fielddef *n = rd_new(r, sizeof *n);
        if (n == NULL) {
            break;
        }
        n->desc = rd_str(r, f, "Description");
        n->name = rd_str(r, f, "Name");
        n->args = rd_fielddefs(r, f, "Arguments");
        n->defval = rd_value_m(r, f, "DefaultValue");
        n->type = rd_type_m(r, f, "Type");
        n->dirs = rd_dirs(r, f);
        *tail = n;
        tail = &n->next;
    }
    r->depth--;
    return first;
}

static struct ay_gql_def *rd_defs(struct rd *r, struct ay_val o, const char *k)
{
    struct ay_gql_def *first = NULL, **tail = &first;
    RD_EACH(r, o, k, d)
    {
        struct ay_gql_def *n = rd_new(r, sizeof *n);
        if (n == NULL) {
            break;
        }
        n->kind = rd_str(r, d, "Kind");
        n->desc = rd_str(r, d, "Description");
        n->name = rd_str(r, d, "Name");
        n->dirs = rd_dirs(r, d);
        n->ifaces = rd_names(r, d, "Interfaces");
        n->fields = rd_fielddefs(r, d, "Fields");
        n->types = rd_names(r, d, "Types");
        n->builtin = rd_bool(r, d, "BuiltIn");
        struct ay_gql_enumval **etail = &n->enumvals;
        RD_EACH(r, d, "EnumValues", e)
        {
            struct ay_gql_enumval *ev = rd_new(r, sizeof *ev);
            if (ev == NULL) {
                break;
            }
            ev->desc = rd_str(r, e, "Description");
            ev->name = rd_str(r, e, "Name");
            ev->dirs = rd_dirs(r, e);
            *etail = ev;
            etail = &ev->next;
        }
        *tail = n;
        tail = &n->next;
    }
    return first;
}

static struct ay_gql_schemadef *rd_schemadefs(struct rd *r, struct ay_val o, const char *k)
{
    struct ay_gql_schemadef *first = NULL, **tail = &first;
    RD_EACH(r, o, k, s)
    {
        struct ay_gql_schemadef *n = rd_new(r, sizeof *n);
        if (n == NULL) {
            break;
        }
        n->desc = rd_str(r, s, "Description");
        n->dirs = rd_dirs(r, s);
        struct ay_gql_optype **ttail = &n->optypes;
        RD_EACH(r, s, "OperationTypes", t)
        {
            struct ay_gql_optype *ot = rd_new(r, sizeof *ot);
            if (ot == NULL) {
                break;
            }
            ot->operation = rd_str(r, t, "Operation");
            ot->type = rd_str(r, t, "Type");
            *ttail = ot;
            ttail = &ot->next;
        }
        *tail = n;
        tail = &n->next;
    }
    return first;
}

static ay_err val_sdoc(struct ay_rego_bctx *bc, struct ay_val o, struct ay_gql_sdoc **out)
{
    struct rd r = {bc, false, 0};
    struct ay_gql_sdoc *doc = rd_new(&r, sizeof *doc);
    if (doc == NULL) {
        return rd_fail(bc, &r);
    }
    doc->schema = rd_schemadefs(&r, o, "Schema");
    doc->schema_ext = rd_schemadefs(&r, o, "SchemaExtension");
    doc->defs = rd_defs(&r, o, "Definitions");
    doc->exts = rd_defs(&r, o, "Extensions");
    struct ay_gql_dirdef **tail = &doc->dirdefs;
    RD_EACH(&r, o, "Directives", d)
    {
        struct ay_gql_dirdef *n = rd_new(&r, sizeof *n);
        if (n == NULL) {
            break;
        }
        n->desc = rd_str(&r, d, "Description");
        n->name = rd_str(&r, d, "Name");
        n->args = rd_fielddefs(&r, d, "Arguments");
        n->locs = rd_names(&r, d, "Locations");
        n->repeatable = rd_bool(&r, d, "IsRepeatable");
        *tail = n;
        tail = &n->next;
    }
    if (r.bad) {
        return rd_fail(bc, &r);
    }
    *out = doc;
    return AY_OK;
}

/* ---- glue ---- */

/* "<message> in GraphQL string at location L:C" (OPA's wording; no location when the
 * document came from an AST object, which has no positions). */
static ay_err gql_fail(struct ay_rego_bctx *bc, const struct ay_diag *d, struct ay_gql_pos pos)
{
    const char *m = ay_diag_message(d);
    if (pos.line <= 0) {
        return ay_rego_bi_fail(bc, "%s", m);
    }
    return ay_rego_bi_fail(bc, "%s in GraphQL string at location %d:%d", m, pos.line, pos.col);
}

/* Operand i as a query document: text is parsed, an object read back. On failure *is_err
 * tells a document error (reported with the message) from a wrong operand type. */
static ay_err get_query(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i,
                        struct ay_gql_query **out)
{
    struct ay_val v = args[i];
    if (v.kind == AY_V_STR) {
        struct ay_diag d;
        ay_diag_clear(&d);
        struct ay_gql_pos pos = {0, 0};
        if (ay_gql_parse_query(bc->arena, v.u.s, v.len, &d, &pos, out) != AY_OK) {
            return gql_fail(bc, &d, pos);
        }
        return AY_OK;
    }
    if (v.kind == AY_V_OBJ) {
        return val_query(bc, v, out);
    }
    return ay_rego_bi_type_error(bc, i, "one of {object, string}", v);
}

static ay_err get_sdoc(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i,
                       struct ay_gql_sdoc **out)
{
    struct ay_val v = args[i];
    if (v.kind == AY_V_STR) {
        struct ay_diag d;
        ay_diag_clear(&d);
        struct ay_gql_pos pos = {0, 0};
        if (ay_gql_parse_schema(bc->arena, v.u.s, v.len, &d, &pos, out) != AY_OK) {
            return gql_fail(bc, &d, pos);
        }
        return AY_OK;
    }
    if (v.kind == AY_V_OBJ) {
        return val_sdoc(bc, v, out);
    }
    return ay_rego_bi_type_error(bc, i, "one of {object, string}", v);
}

static ay_err check(struct ay_rego_bctx *bc, const struct ay_gql_sdoc *sd,
                    const struct ay_gql_query *q)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_gql_pos pos = {0, 0};
    struct ay_gql_schema *s;
    if (ay_gql_schema_build(bc->arena, sd, &d, &pos, &s) != AY_OK) {
        return gql_fail(bc, &d, pos);
    }
    if (q != NULL && ay_gql_query_validate(bc->arena, s, q, &d, &pos) != AY_OK) {
        return gql_fail(bc, &d, pos);
    }
    return AY_OK;
}

static ay_err bi_parse_query(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                             struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_gql_query *q;
    TRY(get_query(bc, args, 0, &q));
    return query_val(bc, q, out);
}

static ay_err bi_parse_schema(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                              struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_gql_sdoc *sd;
    TRY(get_sdoc(bc, args, 0, &sd));
    return sdoc_val(bc, sd, out);
}

/* graphql.parse(query, schema): [query AST, schema AST], an error when invalid. The ASTs are
 * taken before validation (as OPA does), so validation leaves no trace in them. */
static ay_err bi_parse(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                       struct ay_val *out)
{
    (void)nargs;
    struct ay_gql_query *q;
    struct ay_gql_sdoc *sd;
    TRY(get_query(bc, args, 0, &q));
    TRY(get_sdoc(bc, args, 1, &sd));
    struct ay_val pair[2];
    TRY(query_val(bc, q, &pair[0]));
    TRY(sdoc_val(bc, sd, &pair[1]));
    TRY(check(bc, sd, q));
    return ay_val_array(bc->arena, pair, 2, out);
}

/* Parses (and for parse_and_verify converts) the documents and validates them; any failure,
 * a wrong operand type included, is "not valid" (the is_valid family never raises). */
static bool valid(struct ay_rego_bctx *bc, const struct ay_val *args, bool with_query,
                  struct ay_val *out_q, struct ay_val *out_s)
{
    /* Errors must not escape: keep the evaluator's diag clean. */
    struct ay_diag scratch;
    ay_diag_clear(&scratch);
    struct ay_diag *saved = bc->diag;
    void *saved_eval = bc->eval; /* nor mark the evaluation with a type error */
    bc->diag = &scratch;
    bc->eval = NULL;
    struct ay_gql_query *q = NULL;
    struct ay_gql_sdoc *sd = NULL;
    size_t si = with_query ? 1 : 0;
    bool ok = (!with_query || get_query(bc, args, 0, &q) == AY_OK) &&
              get_sdoc(bc, args, si, &sd) == AY_OK &&
              (out_q == NULL || query_val(bc, q, out_q) == AY_OK) &&
              (out_s == NULL || sdoc_val(bc, sd, out_s) == AY_OK) && check(bc, sd, q) == AY_OK;
    bc->diag = saved;
    bc->eval = saved_eval;
    return ok;
}

static ay_err bi_is_valid(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                          struct ay_val *out)
{
    (void)nargs;
    *out = ay_val_bool(valid(bc, args, true, NULL, NULL));
    return AY_OK;
}

static ay_err bi_schema_is_valid(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                 struct ay_val *out)
{
    (void)nargs;
    *out = ay_val_bool(valid(bc, args, false, NULL, NULL));
    return AY_OK;
}

/* [true, query AST, schema AST], or [false, {}, {}]. */
static ay_err bi_parse_and_verify(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                  struct ay_val *out)
{
    (void)nargs;
    struct ay_val r[3];
    if (valid(bc, args, true, &r[1], &r[2])) {
        r[0] = ay_val_bool(true);
    } else {
        r[0] = ay_val_bool(false);
        r[1] = ay_val_empty(AY_V_OBJ);
        r[2] = ay_val_empty(AY_V_OBJ);
    }
    return ay_val_array(bc->arena, r, 3, out);
}

const struct ay_rego_bi ay_rego_bi_graphql[] = {
    {"graphql.parse", 2, bi_parse, 0},
    {"graphql.parse_and_verify", 2, bi_parse_and_verify, 0},
    {"graphql.parse_query", 1, bi_parse_query, 0},
    {"graphql.parse_schema", 1, bi_parse_schema, 0},
    {"graphql.is_valid", 2, bi_is_valid, 0},
    {"graphql.schema_is_valid", 1, bi_schema_is_valid, 0},
    {NULL, 0, NULL, 0},
};
