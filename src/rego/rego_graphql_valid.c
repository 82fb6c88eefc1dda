/* SPDX-License-Identifier: Apache-2.0 */
/* GraphQL schema building (spec October 2021 section 3: type and directive definitions,
 * extensions, root operation types, the "Type Validation" rules of each kind, interface
 * implementation rules of section 3.6) and query validation (section 5), with the messages of
 * the reference validator OPA uses. The first error wins, in the reference's order: types are
 * validated by name, then directive definitions; a query is walked operation by operation
 * (variables, directives, selections depth-first, fragments entered from their spreads), then
 * fragment by fragment, with each node's checks after its children. */
#include "rego/rego_graphql_valid.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "base/base_str.h"

/* The definitions every schema has (spec sections 3.5.1-3.5.5 scalars, 3.13.1-3.13.4
 * directives, 4.5 the introspection schema), marked built in. */
static const char prelude[] =
    "scalar Int\nscalar Float\nscalar String\nscalar Boolean\nscalar ID\n"
    "directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "directive @defer(if: Boolean = true, label: String) on FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "directive @deprecated(reason: String = \"No longer supported\") on FIELD_DEFINITION | "
    "ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE\n"
    "directive @specifiedBy(url: String!) on SCALAR\n"
    "type __Schema { description: String types: [__Type!]! queryType: __Type! "
    "mutationType: __Type subscriptionType: __Type directives: [__Directive!]! }\n"
    "type __Type { kind: __TypeKind! name: String description: String "
    "fields(includeDeprecated: Boolean = false): [__Field!] interfaces: [__Type!] "
    "possibleTypes: [__Type!] enumValues(includeDeprecated: Boolean = false): [__EnumValue!] "
    "inputFields: [__InputValue!] ofType: __Type specifiedByURL: String }\n"
    "type __Field { name: String! description: String args: [__InputValue!]! type: __Type! "
    "isDeprecated: Boolean! deprecationReason: String }\n"
    "type __InputValue { name: String! description: String type: __Type! "
    "defaultValue: String }\n"
    "type __EnumValue { name: String! description: String isDeprecated: Boolean! "
    "deprecationReason: String }\n"
    "enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }\n"
    "type __Directive { name: String! description: String locations: [__DirectiveLocation!]! "
    "args: [__InputValue!]! isRepeatable: Boolean! }\n"
    "enum __DirectiveLocation { QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION "
    "FRAGMENT_SPREAD INLINE_FRAGMENT VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION "
    "ARGUMENT_DEFINITION INTERFACE UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION }\n";

/* A growable array of pointers in the arena. */
struct pvec {
    const void **p;
    size_t n;
    size_t cap;
};

static ay_err pv_push(struct ay_arena *a, struct pvec *v, const void *x)
{
    if (v->n == v->cap) {
        size_t nc = v->cap == 0 ? 8 : v->cap * 2;
        void *np;
        TRY(ay_arena_grow(a, (void *)v->p, v->cap * sizeof *v->p, nc * sizeof *v->p, &np));
        v->p = np;
        v->cap = nc;
    }
    v->p[v->n++] = x;
    return AY_OK;
}

/* A copy of in, sorted with cmp (in keeps its order). */
static ay_err pv_sorted(struct ay_arena *a, const struct pvec *in,
                        int (*cmp)(const void *, const void *), struct pvec *out)
{
    *out = (struct pvec){0};
    for (size_t i = 0; i < in->n; i++) {
        TRY(pv_push(a, out, in->p[i]));
    }
    if (out->n > 1) {
        qsort((void *)out->p, out->n, sizeof *out->p, cmp);
    }
    return AY_OK;
}

/* A merged type: its definition plus everything its extensions add. */
struct gtype {
    struct ay_str name;
    struct ay_str kind;
    bool builtin;
    struct ay_gql_pos pos;
    struct pvec dirs;     /* const struct ay_gql_dir * */
    struct pvec ifaces;   /* const struct ay_gql_name * */
    struct pvec fields;   /* const struct ay_gql_fielddef * */
    struct pvec types;    /* const struct ay_gql_name * */
    struct pvec enumvals; /* const struct ay_gql_enumval * */
    struct pvec possible; /* struct gtype *: types that may stand for this one */
};

struct ay_gql_schema {
    struct pvec types;  /* struct gtype *, in declaration order */
    struct gtype **tab; /* open-addressing index of types by name (size tab_cap, a power of 2) */
    size_t tab_cap;
    struct pvec dirs; /* const struct ay_gql_dirdef * */
    struct gtype *query;
    struct gtype *mutation;
    struct gtype *subscription;
    struct ay_gql_fielddef schema_field; /* __schema: __Schema! on the query root */
    struct ay_gql_fielddef type_field;   /* __type(name: String!): __Type on the query root */
    struct ay_gql_fielddef type_name_arg;
    struct ay_gql_fielddef typename_field; /* __typename: String on every type */
    struct ay_gql_type t_schema, t_type, t_string_nn, t_string;
};

struct vctx {
    struct ay_arena *a;
    struct ay_gql_schema *s;
    struct ay_diag *diag;
    struct ay_gql_pos *pos;
    ay_err err;
};

static ay_err vfail(struct vctx *v, struct ay_gql_pos pos, const char *fmt, ...) AY_PRINTF(3, 4);

/* Records the first error: the message loses its trailing period (OPA trims it). */
static ay_err vfail(struct vctx *v, struct ay_gql_pos pos, const char *fmt, ...)
{
    if (v->err != AY_OK) {
        return v->err;
    }
    char m[AY_DIAG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    size_t n = strlen(m);
    if (n > 0 && m[n - 1] == '.') {
        m[n - 1] = '\0';
    }
    *v->pos = pos;
    v->err = AY_ERR_MALFORMED;
    return FAIL(v->diag, AY_ERR_MALFORMED, "%s", m);
}

#define S(x) (int)(x).len, (x).ptr

static struct gtype *type_of(const struct ay_gql_schema *s, struct ay_str name)
{
    if (s->tab_cap == 0) {
        return NULL;
    }
    size_t m = s->tab_cap - 1;
    for (size_t i = (size_t)ay_hash_bytes(name.ptr, name.len) & m;; i = (i + 1) & m) {
        struct gtype *t = s->tab[i];
        if (t == NULL || ay_str_eq(t->name, name)) {
            return t;
        }
    }
}

static void tab_put(struct ay_gql_schema *s, struct gtype *t)
{
    size_t m = s->tab_cap - 1;
    size_t i = (size_t)ay_hash_bytes(t->name.ptr, t->name.len) & m;
    while (s->tab[i] != NULL) {
        i = (i + 1) & m;
    }
    s->tab[i] = t;
}

/* Adds t to the declaration list and the index (kept at most half full). */
static ay_err types_add(struct ay_arena *a, struct ay_gql_schema *s, struct gtype *t)
{
    TRY(pv_push(a, &s->types, t));
    if (s->types.n * 2 > s->tab_cap) {
        size_t cap = s->tab_cap == 0 ? 64 : s->tab_cap * 2;
        struct gtype **tab;
        TRY(ay_arena_array(a, cap, sizeof *tab, (void **)&tab));
        s->tab = tab;
        s->tab_cap = cap;
        for (size_t i = 0; i < s->types.n; i++) {
            tab_put(s, (struct gtype *)(uintptr_t)s->types.p[i]);
        }
        return AY_OK;
    }
    tab_put(s, t);
    return AY_OK;
}

static const struct ay_gql_dirdef *dir_of(const struct ay_gql_schema *s, struct ay_str name)
{
    for (size_t i = 0; i < s->dirs.n; i++) {
        const struct ay_gql_dirdef *d = s->dirs.p[i];
        if (ay_str_eq(d->name, name)) {
            return d;
        }
    }
    return NULL;
}

static struct ay_str type_name(const struct ay_gql_type *t)
{
    while (t != NULL && t->elem != NULL) {
        t = t->elem;
    }
    return t != NULL ? t->named : (struct ay_str){"", 0};
}

/* The type as written: [Foo!]! */
static void type_text(const struct ay_gql_type *t, char *out, size_t cap)
{
    char inner[256] = "";
    if (t == NULL) {
        (void)snprintf(out, cap, "%s", "");
        return;
    }
    if (t->elem != NULL) {
        type_text(t->elem, inner, sizeof inner);
        (void)snprintf(out, cap, "[%s]%s", inner, t->non_null ? "!" : "");
    } else {
        (void)snprintf(out, cap, "%.*s%s", S(t->named), t->non_null ? "!" : "");
    }
}

static bool kind_is(const struct gtype *t, const char *k)
{
    return t != NULL && ay_str_eq_c(t->kind, k);
}

static bool is_input_type(const struct gtype *t)
{
    return kind_is(t, "SCALAR") || kind_is(t, "ENUM") || kind_is(t, "INPUT_OBJECT");
}

static const struct ay_gql_fielddef *field_of(const struct pvec *fields, struct ay_str name)
{
    for (size_t i = 0; i < fields->n; i++) {
        const struct ay_gql_fielddef *f = fields->p[i];
        if (ay_str_eq(f->name, name)) {
            return f;
        }
    }
    return NULL;
}

static const struct ay_gql_fielddef *arg_of(const struct ay_gql_fielddef *args, struct ay_str n)
{
    for (; args != NULL; args = args->next) {
        if (ay_str_eq(args->name, n)) {
            return args;
        }
    }
    return NULL;
}

static const struct ay_gql_arg *use_of(const struct ay_gql_arg *args, struct ay_str n)
{
    for (; args != NULL; args = args->next) {
        if (ay_str_eq(args->name, n)) {
            return args;
        }
    }
    return NULL;
}

/* ---- schema building ---- */

static ay_err add_def(struct vctx *v, const struct ay_gql_def *d)
{
    if (type_of(v->s, d->name) != NULL) {
        return vfail(v, d->pos, "Cannot redeclare type %.*s.", S(d->name));
    }
    struct gtype *t;
    TRY(ay_arena_alloc(v->a, sizeof *t, (void **)&t));
    t->name = d->name;
    t->kind = d->kind;
    t->builtin = d->builtin;
    t->pos = d->pos;
    return types_add(v->a, v->s, t);
}

/* Appends what a definition or extension brings to its merged type. */
static ay_err merge(struct vctx *v, struct gtype *t, const struct ay_gql_def *d)
{
    for (const struct ay_gql_dir *x = d->dirs; x != NULL; x = x->next) {
        TRY(pv_push(v->a, &t->dirs, x));
    }
    for (const struct ay_gql_name *x = d->ifaces; x != NULL; x = x->next) {
        TRY(pv_push(v->a, &t->ifaces, x));
    }
    for (const struct ay_gql_fielddef *x = d->fields; x != NULL; x = x->next) {
        TRY(pv_push(v->a, &t->fields, x));
    }
    for (const struct ay_gql_name *x = d->types; x != NULL; x = x->next) {
        TRY(pv_push(v->a, &t->types, x));
    }
    for (const struct ay_gql_enumval *x = d->enumvals; x != NULL; x = x->next) {
        TRY(pv_push(v->a, &t->enumvals, x));
    }
    return AY_OK;
}

static ay_err add_possible(struct vctx *v, struct ay_str name, struct gtype *t)
{
    struct gtype *owner = type_of(v->s, name);
    if (owner == NULL || t == NULL) {
        return AY_OK;
    }
    return pv_push(v->a, &owner->possible, t);
}

static bool check_name(struct vctx *v, struct ay_gql_pos pos, struct ay_str name)
{
    if (name.len >= 2 && name.ptr[0] == '_' && name.ptr[1] == '_') {
        (void)vfail(v, pos,
                    "Name \"%.*s\" must not begin with \"__\", which is reserved by GraphQL "
                    "introspection.",
                    S(name));
        return false;
    }
    return true;
}

/* Directives applied in the schema (reference validateDirectives). */
static bool check_dirs(struct vctx *v, const struct pvec *dirs, const char *loc,
                       const struct ay_gql_dirdef *current)
{
    for (size_t i = 0; i < dirs->n; i++) {
        const struct ay_gql_dir *d = dirs->p[i];
        if (!check_name(v, d->pos, d->name)) {
            return false;
        }
        if (current != NULL && ay_str_eq(d->name, current->name)) {
            (void)vfail(v, d->pos, "Directive %.*s cannot refer to itself.", S(current->name));
            return false;
        }
        const struct ay_gql_dirdef *def = dir_of(v->s, d->name);
        if (def == NULL) {
            (void)vfail(v, d->pos, "Undefined directive %.*s.", S(d->name));
            return false;
        }
        bool ok = false;
        for (const struct ay_gql_name *l = def->locs; l != NULL; l = l->next) {
            ok = ok || ay_str_eq_c(l->s, loc);
        }
        if (!ok) {
            (void)vfail(v, d->pos, "Directive %.*s is not applicable on %s.", S(d->name), loc);
            return false;
        }
        for (const struct ay_gql_arg *a = d->args; a != NULL; a = a->next) {
            if (arg_of(def->args, a->name) == NULL) {
                (void)vfail(v, a->pos, "Undefined argument %.*s for directive %.*s.", S(a->name),
                            S(d->name));
                return false;
            }
        }
        for (const struct ay_gql_fielddef *sa = def->args; sa != NULL; sa = sa->next) {
            if (sa->type != NULL && sa->type->non_null && sa->defval == NULL) {
                const struct ay_gql_arg *a = use_of(d->args, sa->name);
                if (a == NULL || (a->value != NULL && a->value->kind == AY_GQL_V_NULL)) {
                    (void)vfail(v, d->pos, "Argument %.*s for directive %.*s cannot be null.",
                                S(sa->name), S(d->name));
                    return false;
                }
            }
        }
    }
    return true;
}

static bool check_dir_list(struct vctx *v, const struct ay_gql_dir *dirs, const char *loc,
                           const struct ay_gql_dirdef *current)
{
    struct pvec pv = {0};
    for (; dirs != NULL; dirs = dirs->next) {
        if (pv_push(v->a, &pv, dirs) != AY_OK) {
            (void)vfail(v, dirs->pos, "out of memory");
            return false;
        }
    }
    return check_dirs(v, &pv, loc, current);
}

static bool check_type_ref(struct vctx *v, const struct ay_gql_type *t)
{
    if (type_of(v->s, type_name(t)) == NULL) {
        struct ay_gql_pos p = t != NULL ? t->pos : (struct ay_gql_pos){0, 0};
        (void)vfail(v, p, "Undefined type %.*s.", S(type_name(t)));
        return false;
    }
    return true;
}

static bool check_args(struct vctx *v, const struct ay_gql_fielddef *args,
                       const struct ay_gql_dirdef *current)
{
    for (; args != NULL; args = args->next) {
        if (!check_name(v, args->pos, args->name) || !check_type_ref(v, args->type)) {
            return false;
        }
        const struct gtype *t = type_of(v->s, type_name(args->type));
        if (!is_input_type(t)) {
            char ts[256];
            type_text(args->type, ts, sizeof ts);
            (void)vfail(v, args->pos,
                        "cannot use %s as argument %.*s because %.*s is not a valid input type", ts,
                        S(args->name), S(t->kind));
            return false;
        }
        if (!check_dir_list(v, args->dirs, "ARGUMENT_DEFINITION", current)) {
            return false;
        }
    }
    return true;
}

static bool has_name(const struct pvec *names, struct ay_str n)
{
    for (size_t i = 0; i < names->n; i++) {
        const struct ay_gql_name *x = names->p[i];
        if (ay_str_eq(x->s, n)) {
            return true;
        }
    }
    return false;
}

/* Spec section 3.6.2 IsValidImplementationFieldType. */
static bool covariant(const struct ay_gql_schema *s, const struct ay_gql_type *req,
                      const struct ay_gql_type *act)
{
    if (req == NULL || act == NULL) {
        return req == act;
    }
    if (req->non_null && !act->non_null) {
        return false;
    }
    if (req->named.len > 0) {
        if (ay_str_eq(req->named, act->named)) {
            return true;
        }
        const struct gtype *rt = type_of(s, req->named);
        for (size_t i = 0; rt != NULL && i < rt->possible.n; i++) {
            const struct gtype *pt = rt->possible.p[i];
            if (ay_str_eq(pt->name, act->named)) {
                return true;
            }
        }
        return false;
    }
    if (req->elem != NULL && act->elem == NULL) {
        return false;
    }
    return covariant(s, req->elem, act->elem);
}

static bool compatible(const struct ay_gql_type *t, const struct ay_gql_type *o)
{
    if (t == NULL || o == NULL) {
        return t == o;
    }
    if (!ay_str_eq(t->named, o->named)) {
        return false;
    }
    if (t->elem != NULL && (o->elem == NULL || !compatible(t->elem, o->elem))) {
        return false;
    }
    return !o->non_null || t->non_null;
}

/* Spec section 3.6 "Type Validation" items on implemented interfaces. */
static bool check_implements(struct vctx *v, const struct gtype *t, struct ay_str iname)
{
    const struct gtype *in = type_of(v->s, iname);
    if (in == NULL) {
        (void)vfail(v, t->pos, "Undefined type \"%.*s\".", S(iname));
        return false;
    }
    if (!kind_is(in, "INTERFACE")) {
        (void)vfail(v, t->pos, "\"%.*s\" is a non interface type %.*s.", S(iname), S(in->kind));
        return false;
    }
    for (size_t i = 0; i < in->fields.n; i++) {
        const struct ay_gql_fielddef *rf = in->fields.p[i];
        const struct ay_gql_fielddef *ff = field_of(&t->fields, rf->name);
        if (ff == NULL) {
            (void)vfail(v, t->pos, "For %.*s to implement %.*s it must have a field called %.*s.",
                        S(t->name), S(in->name), S(rf->name));
            return false;
        }
        if (!covariant(v->s, rf->type, ff->type)) {
            char ts[256];
            type_text(rf->type, ts, sizeof ts);
            (void)vfail(v, ff->pos, "For %.*s to implement %.*s the field %.*s must have type %s.",
                        S(t->name), S(in->name), S(rf->name), ts);
            return false;
        }
        for (const struct ay_gql_fielddef *ra = rf->args; ra != NULL; ra = ra->next) {
            const struct ay_gql_fielddef *fa = arg_of(ff->args, ra->name);
            if (fa == NULL) {
                (void)vfail(v, ff->pos,
                            "For %.*s to implement %.*s the field %.*s must have the same "
                            "arguments but it is missing %.*s.",
                            S(t->name), S(in->name), S(rf->name), S(ra->name));
                return false;
            }
            if (!compatible(ra->type, fa->type)) {
                (void)vfail(v, fa->pos,
                            "For %.*s to implement %.*s the field %.*s must have the same "
                            "arguments but %.*s has the wrong type.",
                            S(t->name), S(in->name), S(rf->name), S(ra->name));
                return false;
            }
        }
        for (const struct ay_gql_fielddef *fa = ff->args; fa != NULL; fa = fa->next) {
            if (arg_of(rf->args, fa->name) == NULL && fa->type != NULL && fa->type->non_null &&
                fa->defval == NULL) {
                (void)vfail(v, fa->pos,
                            "For %.*s to implement %.*s any additional arguments on %.*s must be "
                            "optional or have a default value but %.*s is required.",
                            S(t->name), S(in->name), S(ff->name), S(fa->name));
                return false;
            }
        }
    }
    /* Transitive interfaces must be declared too (section 3.7 item 4). */
    for (size_t i = 0; i < in->ifaces.n; i++) {
        const struct ay_gql_name *tr = in->ifaces.p[i];
        if (!has_name(&t->ifaces, tr->s)) {
            if (ay_str_eq(tr->s, t->name)) {
                (void)vfail(v, t->pos,
                            "Type %.*s cannot implement %.*s because it would create a circular "
                            "reference.",
                            S(t->name), S(iname));
            } else {
                (void)vfail(v, t->pos,
                            "Type %.*s must implement %.*s because it is implemented by %.*s.",
                            S(t->name), S(tr->s), S(iname));
            }
            return false;
        }
    }
    return true;
}

static bool check_def(struct vctx *v, const struct gtype *t)
{
    bool is_input = kind_is(t, "INPUT_OBJECT");
    for (size_t i = 0; i < t->fields.n; i++) {
        const struct ay_gql_fielddef *f = t->fields.p[i];
        if (!check_name(v, f->pos, f->name) || !check_type_ref(v, f->type) ||
            !check_args(v, f->args, NULL) ||
            !check_dir_list(v, f->dirs, is_input ? "INPUT_FIELD_DEFINITION" : "FIELD_DEFINITION",
                            NULL)) {
            return false;
        }
    }
    for (size_t i = 0; i < t->types.n; i++) {
        const struct ay_gql_name *m = t->types.p[i];
        const struct gtype *mt = type_of(v->s, m->s);
        if (mt == NULL) {
            (void)vfail(v, t->pos, "Undefined type \"%.*s\".", S(m->s));
            return false;
        }
        if (!kind_is(mt, "OBJECT")) {
            (void)vfail(v, t->pos, "%.*s type \"%.*s\" must be OBJECT.", S(t->kind), S(m->s));
            return false;
        }
    }
    for (size_t i = 0; i < t->ifaces.n; i++) {
        const struct ay_gql_name *in = t->ifaces.p[i];
        if (!check_implements(v, t, in->s)) {
            return false;
        }
    }
    if (kind_is(t, "OBJECT") || kind_is(t, "INTERFACE")) {
        if (t->fields.n == 0) {
            (void)vfail(v, t->pos, "%.*s %.*s: must define one or more fields.", S(t->kind),
                        S(t->name));
            return false;
        }
        for (size_t i = 0; i < t->fields.n; i++) {
            const struct ay_gql_fielddef *f = t->fields.p[i];
            const struct gtype *ft = type_of(v->s, type_name(f->type));
            if (ft != NULL && kind_is(ft, "INPUT_OBJECT")) {
                (void)vfail(v, f->pos,
                            "%.*s %.*s: field must be one of SCALAR, OBJECT, INTERFACE, UNION, "
                            "ENUM.",
                            S(t->kind), S(t->name));
                return false;
            }
        }
    } else if (kind_is(t, "ENUM")) {
        if (t->enumvals.n == 0) {
            (void)vfail(v, t->pos, "%.*s %.*s: must define one or more unique enum values.",
                        S(t->kind), S(t->name));
            return false;
        }
        for (size_t i = 0; i < t->enumvals.n; i++) {
            const struct ay_gql_enumval *e = t->enumvals.p[i];
            if (ay_str_eq_c(e->name, "true") || ay_str_eq_c(e->name, "false") ||
                ay_str_eq_c(e->name, "null")) {
                (void)vfail(v, t->pos, "%.*s %.*s: non-enum value %.*s.", S(t->kind), S(t->name),
                            S(e->name));
                return false;
            }
        }
    } else if (is_input) {
        if (t->fields.n == 0) {
            (void)vfail(v, t->pos, "%.*s %.*s: must define one or more input fields.", S(t->kind),
                        S(t->name));
            return false;
        }
        for (size_t i = 0; i < t->fields.n; i++) {
            const struct ay_gql_fielddef *f = t->fields.p[i];
            const struct gtype *ft = type_of(v->s, type_name(f->type));
            if (ft != NULL && !is_input_type(ft)) {
                (void)vfail(v, f->pos,
                            "%.*s %.*s: field must be one of SCALAR, ENUM, INPUT_OBJECT.",
                            S(ft->kind), S(f->name));
                return false;
            }
        }
    }
    for (size_t i = 0; i < t->fields.n; i++) {
        const struct ay_gql_fielddef *f1 = t->fields.p[i];
        for (size_t j = i + 1; j < t->fields.n; j++) {
            const struct ay_gql_fielddef *f2 = t->fields.p[j];
            if (ay_str_eq(f1->name, f2->name)) {
                (void)vfail(v, f2->pos, "Field %.*s.%.*s can only be defined once.", S(t->name),
                            S(f2->name));
                return false;
            }
        }
    }
    if (!t->builtin && !check_name(v, t->pos, t->name)) {
        return false;
    }
    char loc[32];
    (void)snprintf(loc, sizeof loc, "%.*s", S(t->kind));
    return check_dirs(v, &t->dirs, loc, NULL);
}

static int cmp_str(struct ay_str a, struct ay_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n > 0 ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c != 0) {
        return c;
    }
    return a.len < b.len ? -1 : a.len > b.len ? 1 : 0;
}

static int cmp_type(const void *x, const void *y)
{
    const struct gtype *a = *(const struct gtype *const *)x;
    const struct gtype *b = *(const struct gtype *const *)y;
    return cmp_str(a->name, b->name);
}

static int cmp_dir(const void *x, const void *y)
{
    const struct ay_gql_dirdef *a = *(const struct ay_gql_dirdef *const *)x;
    const struct ay_gql_dirdef *b = *(const struct ay_gql_dirdef *const *)y;
    return cmp_str(a->name, b->name);
}

static bool set_roots(struct vctx *v, const struct ay_gql_schemadef *sd)
{
    for (const struct ay_gql_optype *o = sd->optypes; o != NULL; o = o->next) {
        struct gtype *t = type_of(v->s, o->type);
        if (t == NULL) {
            (void)vfail(v, o->pos, "Schema root %.*s refers to a type %.*s that does not exist.",
                        S(o->operation), S(o->type));
            return false;
        }
        if (ay_str_eq_c(o->operation, "query")) {
            v->s->query = t;
        } else if (ay_str_eq_c(o->operation, "mutation")) {
            v->s->mutation = t;
        } else if (ay_str_eq_c(o->operation, "subscription")) {
            v->s->subscription = t;
        }
    }
    return check_dir_list(v, sd->dirs, "SCHEMA", NULL);
}

static bool is_builtin_dir(struct ay_str n)
{
    return ay_str_eq_c(n, "include") || ay_str_eq_c(n, "skip") || ay_str_eq_c(n, "deprecated") ||
           ay_str_eq_c(n, "specifiedBy") || ay_str_eq_c(n, "defer");
}

static ay_err build(struct vctx *v, const struct ay_gql_sdoc *pre, const struct ay_gql_sdoc *doc)
{
    struct ay_gql_schema *s = v->s;
    const struct ay_gql_sdoc *docs[2] = {pre, doc};
    for (size_t k = 0; k < 2; k++) {
        for (const struct ay_gql_def *d = docs[k]->defs; d != NULL; d = d->next) {
            TRY(add_def(v, d));
            TRY(merge(v, (struct gtype *)(uintptr_t)s->types.p[s->types.n - 1], d));
        }
    }
    for (size_t k = 0; k < 2; k++) {
        for (const struct ay_gql_def *e = docs[k]->exts; e != NULL; e = e->next) {
            struct gtype *t = type_of(s, e->name);
            if (t == NULL) {
                struct ay_gql_def bare = *e;
                bare.dirs = NULL;
                bare.ifaces = NULL;
                bare.fields = NULL;
                bare.types = NULL;
                bare.enumvals = NULL;
                TRY(add_def(v, &bare));
                t = (struct gtype *)(uintptr_t)s->types.p[s->types.n - 1];
            }
            if (!ay_str_eq(t->kind, e->kind)) {
                return vfail(v, e->pos,
                             "Cannot extend type %.*s because the base type is a %.*s, not %.*s.",
                             S(e->name), S(t->kind), S(e->kind));
            }
            TRY(merge(v, t, e));
        }
    }
    for (size_t i = 0; i < s->types.n; i++) {
        struct gtype *t = (struct gtype *)(uintptr_t)s->types.p[i];
        if (kind_is(t, "UNION")) {
            for (size_t j = 0; j < t->types.n; j++) {
                const struct ay_gql_name *m = t->types.p[j];
                TRY(add_possible(v, t->name, type_of(s, m->s)));
            }
        } else if (kind_is(t, "OBJECT") || kind_is(t, "INPUT_OBJECT") || kind_is(t, "INTERFACE")) {
            for (size_t j = 0; j < t->ifaces.n; j++) {
                const struct ay_gql_name *in = t->ifaces.p[j];
                TRY(add_possible(v, in->s, t));
            }
            if (!kind_is(t, "INTERFACE")) {
                TRY(add_possible(v, t->name, t));
            }
        }
    }
    for (size_t k = 0; k < 2; k++) {
        for (const struct ay_gql_dirdef *d = docs[k]->dirdefs; d != NULL; d = d->next) {
            const struct ay_gql_dirdef *old = dir_of(s, d->name);
            if (old != NULL) {
                if (!is_builtin_dir(d->name)) {
                    return vfail(v, d->pos, "Cannot redeclare directive %.*s.", S(d->name));
                }
                continue; /* a redefined built-in: the first one stays */
            }
            TRY(pv_push(v->a, &s->dirs, d));
        }
    }
    size_t n_schema = 0;
    for (const struct ay_gql_schemadef *sd = doc->schema; sd != NULL; sd = sd->next) {
        if (++n_schema == 2) {
            return vfail(v, sd->pos,
                         "Cannot have multiple schema entry points, consider schema extensions "
                         "instead.");
        }
    }
    if (doc->schema != NULL && !set_roots(v, doc->schema)) {
        return v->err;
    }
    for (const struct ay_gql_schemadef *sd = doc->schema_ext; sd != NULL; sd = sd->next) {
        if (!set_roots(v, sd)) {
            return v->err;
        }
    }
    /* Types, then directive definitions, each in name order (the reference's order). */
    struct pvec sorted;
    TRY(pv_sorted(v->a, &s->types, cmp_type, &sorted));
    for (size_t i = 0; i < sorted.n; i++) {
        if (!check_def(v, sorted.p[i])) {
            return v->err;
        }
    }
    struct pvec dsorted;
    TRY(pv_sorted(v->a, &s->dirs, cmp_dir, &dsorted));
    for (size_t i = 0; i < dsorted.n; i++) {
        const struct ay_gql_dirdef *d = dsorted.p[i];
        if (!check_name(v, d->pos, d->name) || !check_args(v, d->args, d)) {
            return v->err;
        }
    }
    /* Without a schema definition the roots are the types named Query, Mutation, Subscription. */
    if (doc->schema == NULL) {
        if (s->query == NULL) {
            s->query = type_of(s, ay_str_of("Query"));
        }
        if (s->mutation == NULL) {
            s->mutation = type_of(s, ay_str_of("Mutation"));
        }
        if (s->subscription == NULL) {
            s->subscription = type_of(s, ay_str_of("Subscription"));
        }
    }
    return AY_OK;
}

static void mark_builtin(struct ay_gql_sdoc *pre)
{
    for (struct ay_gql_def *d = pre->defs; d != NULL; d = d->next) {
        d->builtin = true;
    }
}

ay_err ay_gql_schema_build(struct ay_arena *a, const struct ay_gql_sdoc *doc, struct ay_diag *diag,
                           struct ay_gql_pos *out_pos, struct ay_gql_schema **out)
{
    struct ay_gql_sdoc *pre;
    struct ay_gql_pos ppos;
    TRY(ay_gql_parse_schema(a, prelude, sizeof prelude - 1, diag, &ppos, &pre));
    mark_builtin(pre);
    struct ay_gql_schema *s;
    TRY(ay_arena_alloc(a, sizeof *s, (void **)&s));
    s->t_schema = (struct ay_gql_type){ay_str_of("__Schema"), NULL, true, {0, 0}};
    s->t_type = (struct ay_gql_type){ay_str_of("__Type"), NULL, false, {0, 0}};
    s->t_string_nn = (struct ay_gql_type){ay_str_of("String"), NULL, true, {0, 0}};
    s->t_string = (struct ay_gql_type){ay_str_of("String"), NULL, false, {0, 0}};
    s->schema_field.name = ay_str_of("__schema");
    s->schema_field.type = &s->t_schema;
    s->type_name_arg.name = ay_str_of("name");
    s->type_name_arg.type = &s->t_string_nn;
    s->type_field.name = ay_str_of("__type");
    s->type_field.type = &s->t_type;
    s->type_field.args = &s->type_name_arg;
    s->typename_field.name = ay_str_of("__typename");
    s->typename_field.type = &s->t_string;
    struct vctx v = {a, s, diag, out_pos, AY_OK};
    out_pos->line = 0;
    out_pos->col = 0;
    ay_err e = build(&v, pre, doc);
    if (e != AY_OK) {
        if (v.err == AY_OK) {
            return FAIL(diag, e, "GraphQL schema: %s", ay_err_text(e));
        }
        return e;
    }
    *out = s;
    return AY_OK;
}

/* ---- query validation (spec section 5) ---- */

struct walk {
    struct vctx v;
    const struct ay_gql_query *q;
    const struct ay_gql_op *op; /* the operation being walked, NULL for a fragment */
    bool *used;                 /* per variable of op */
    size_t n_vars;
    struct pvec visited;    /* fragments entered from spreads of this operation */
    struct pvec spread;     /* fragment names spread anywhere (NoUnusedFragments) */
    struct pvec cycle_done; /* fragments already searched for cycles */
    size_t steps;           /* selections walked, fields collected and field pairs compared */
    int depth;
};

static const struct ay_gql_frag *frag_of(const struct ay_gql_query *q, struct ay_str n)
{
    for (const struct ay_gql_frag *f = q->frags; f != NULL; f = f->next) {
        if (ay_str_eq(f->name, n)) {
            return f;
        }
    }
    return NULL;
}

static bool ok(const struct walk *w)
{
    return w->v.err == AY_OK;
}

/* ---- "Did you mean" suggestions, worded and ranked as the reference ranks them ---- */

struct opts {
    struct ay_str s[64]; /* the first 64 candidates are enough to suggest from */
    size_t n;
};

static void opt_add(struct opts *o, struct ay_str s)
{
    if (o->n < sizeof o->s / sizeof o->s[0]) {
        o->s[o->n++] = s;
    }
}

/* Levenshtein distance of the ASCII-lower-cased names; a case change alone counts 1. */
static size_t lex_distance(struct ay_str a, struct ay_str b)
{
    if (ay_str_eq(a, b)) {
        return 0;
    }
    if (a.len > 128 || b.len > 128) {
        return SIZE_MAX; /* long names are never suggested (bounds the work) */
    }
    size_t row[129];
    bool same_ci = a.len == b.len;
    for (size_t i = 0; same_ci && i < a.len; i++) {
        same_ci = ay_to_lower((unsigned char)a.ptr[i]) == ay_to_lower((unsigned char)b.ptr[i]);
    }
    if (same_ci) {
        return 1;
    }
    for (size_t j = 0; j <= b.len; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= a.len; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.len; j++) {
            size_t up = row[j];
            int ca = ay_to_lower((unsigned char)a.ptr[i - 1]);
            int cb = ay_to_lower((unsigned char)b.ptr[j - 1]);
            size_t best = diag + (ca == cb ? 0 : 1);
            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            diag = up;
            row[j] = best;
        }
    }
    return row[b.len];
}

/* Appends `" <prefix> "a", "b", or "c"?"` (at most 5, nearest first) to out, or nothing. */
static void suggest(const char *prefix, struct ay_str typed, const struct opts *o, bool quoted,
                    char *out, size_t cap)
{
    out[0] = '\0';
    size_t threshold = typed.len * 2 / 5 + 1; /* floor(0.4 * len) + 1 */
    struct ay_str pick[64];
    size_t dist[64];
    size_t n = 0;
    for (size_t i = 0; i < o->n; i++) {
        size_t d = lex_distance(typed, o->s[i]);
        if (d > threshold) {
            continue;
        }
        size_t k = n++; /* stable insertion by distance */
        while (k > 0 && dist[k - 1] > d) {
            pick[k] = pick[k - 1];
            dist[k] = dist[k - 1];
            k--;
        }
        pick[k] = o->s[i];
        dist[k] = d;
    }
    if (n == 0) {
        return;
    }
    if (n > 5) {
        n = 5;
    }
    size_t at = 0;
    const char *q = quoted ? "\"" : "";
    int m = snprintf(out, cap, " %s ", prefix);
    if (m < 0 || (size_t)m >= cap) {
        out[0] = '\0';
        return;
    }
    at = (size_t)m;
    for (size_t i = 0; i < n; i++) {
        const char *sep = i == 0 ? "" : n == 2 ? " or " : i == n - 1 ? ", or " : ", ";
        m = snprintf(out + at, cap - at, "%s%s%.*s%s", sep, q, S(pick[i]), q);
        if (m < 0 || (size_t)m >= cap - at) {
            out[0] = '\0';
            return;
        }
        at += (size_t)m;
    }
    if (at + 1 < cap) {
        out[at] = '?';
        out[at + 1] = '\0';
    }
}

/* A value as the reference prints it in messages: $var, "string", [a, b], {k: v}. */
static void value_text(const struct ay_gql_value *v, char *out, size_t cap, int depth)
{
    if (cap == 0) {
        return;
    }
    out[0] = '\0';
    if (v == NULL || depth > 8) {
        return;
    }
    size_t at = 0;
#define PUT(...)                                            \
    do {                                                    \
        int k_ = snprintf(out + at, cap - at, __VA_ARGS__); \
        if (k_ < 0 || (size_t)k_ >= cap - at) {             \
            return;                                         \
        }                                                   \
        at += (size_t)k_;                                   \
    } while (0)
    switch (v->kind) {
    case AY_GQL_V_VARIABLE:
        PUT("$%.*s", S(v->raw));
        return;
    case AY_GQL_V_STRING:
    case AY_GQL_V_BLOCK:
        PUT("\"");
        for (size_t i = 0; i < v->raw.len; i++) {
            char c = v->raw.ptr[i];
            if (c == '"' || c == '\\') {
                PUT("\\%c", c);
            } else if (c == '\n') {
                PUT("\\n");
            } else if ((unsigned char)c < 0x20) {
                PUT("\\x%02x", (unsigned)(unsigned char)c);
            } else {
                PUT("%c", c);
            }
        }
        PUT("\"");
        return;
    case AY_GQL_V_LIST:
    case AY_GQL_V_OBJECT: {
        bool obj = v->kind == AY_GQL_V_OBJECT;
        PUT("%s", obj ? "{" : "[");
        for (const struct ay_gql_child *c = v->children; c != NULL; c = c->next) {
            char inner[256];
            value_text(c->value, inner, sizeof inner, depth + 1);
            if (obj) {
                PUT("%s%.*s: %s", c == v->children ? "" : ", ", S(c->name), inner);
            } else {
                PUT("%s%s", c == v->children ? "" : ", ", inner);
            }
        }
        PUT("%s", obj ? "}" : "]");
        return;
    }
    default:
        PUT("%.*s", S(v->raw));
        return;
    }
#undef PUT
}

static bool one_of(const struct gtype *t, const char *a, const char *b, const char *c)
{
    return t != NULL && (ay_str_eq_c(t->name, a) || (b != NULL && ay_str_eq_c(t->name, b)) ||
                         (c != NULL && ay_str_eq_c(t->name, c)));
}

/* The reference's "unexpected type" wording, by the expected type. */
static void unexpected_type(struct walk *w, const struct ay_gql_value *val,
                            const struct ay_gql_type *exp, const struct gtype *def)
{
    char vs[256], ts[256];
    value_text(val, vs, sizeof vs, 0);
    type_text(exp, ts, sizeof ts);
    if (strcmp(ts, "Int") == 0 || strcmp(ts, "Int!") == 0) {
        (void)vfail(&w->v, val->pos, "Int cannot represent non-integer value: %s", vs);
    } else if (strcmp(ts, "String") == 0 || strcmp(ts, "String!") == 0 ||
               strcmp(ts, "[String]") == 0) {
        (void)vfail(&w->v, val->pos, "String cannot represent a non string value: %s", vs);
    } else if (strcmp(ts, "Boolean") == 0 || strcmp(ts, "Boolean!") == 0) {
        (void)vfail(&w->v, val->pos, "Boolean cannot represent a non boolean value: %s", vs);
    } else if (strcmp(ts, "Float") == 0 || strcmp(ts, "Float!") == 0) {
        (void)vfail(&w->v, val->pos, "Float cannot represent non numeric value: %s", vs);
    } else if (strcmp(ts, "ID") == 0 || strcmp(ts, "ID!") == 0) {
        (void)vfail(&w->v, val->pos, "ID cannot represent a non-string and non-integer value: %s",
                    vs);
    } else if (kind_is(def, "ENUM")) {
        (void)vfail(&w->v, val->pos, "Enum \"%s\" cannot represent non-enum value: %s.", ts, vs);
    } else {
        (void)vfail(&w->v, val->pos, "Expected value of type \"%s\", found %s.", ts, vs);
    }
}

/* Section 5.6.1 Values of Correct Type (the reference's ValuesOfCorrectType rule). */
static void check_value_type(struct walk *w, const struct ay_gql_value *val,
                             const struct ay_gql_type *exp, const struct gtype *def)
{
    if (def == NULL || exp == NULL) {
        return;
    }
    char vs[256], ts[256];
    if (val->kind == AY_GQL_V_NULL && exp->non_null) {
        value_text(val, vs, sizeof vs, 0);
        type_text(exp, ts, sizeof ts);
        (void)vfail(&w->v, val->pos, "Expected value of type \"%s\", found %s.", ts, vs);
        return;
    }
    /* Custom scalars accept anything. */
    if (kind_is(def, "SCALAR") && !one_of(def, "Int", "Float", "String") &&
        !one_of(def, "Boolean", "ID", NULL)) {
        return;
    }
    switch (val->kind) {
    case AY_GQL_V_NULL:
    case AY_GQL_V_VARIABLE:
        return;
    case AY_GQL_V_LIST:
        if (exp->elem == NULL) {
            unexpected_type(w, val, exp, def);
        }
        return;
    case AY_GQL_V_INT:
        if (!one_of(def, "Int", "Float", "ID")) {
            unexpected_type(w, val, exp, def);
        }
        return;
    case AY_GQL_V_FLOAT:
        if (!one_of(def, "Float", NULL, NULL)) {
            unexpected_type(w, val, exp, def);
        }
        return;
    case AY_GQL_V_STRING:
    case AY_GQL_V_BLOCK:
        if (kind_is(def, "ENUM")) {
            value_text(val, vs, sizeof vs, 0);
            type_text(exp, ts, sizeof ts);
            (void)vfail(&w->v, val->pos, "Enum \"%s\" cannot represent non-enum value: %s.", ts,
                        vs);
        } else if (!one_of(def, "String", "ID", NULL)) {
            unexpected_type(w, val, exp, def);
        }
        return;
    case AY_GQL_V_ENUM:
        if (!kind_is(def, "ENUM")) {
            unexpected_type(w, val, exp, def);
            return;
        }
        for (size_t i = 0; i < def->enumvals.n; i++) {
            const struct ay_gql_enumval *e = def->enumvals.p[i];
            if (ay_str_eq(e->name, val->raw)) {
                return;
            }
        }
        type_text(exp, ts, sizeof ts);
        {
            struct opts o = {.n = 0};
            for (size_t i = 0; i < def->enumvals.n; i++) {
                const struct ay_gql_enumval *e = def->enumvals.p[i];
                opt_add(&o, e->name);
            }
            char sg[256];
            suggest("Did you mean the enum value", val->raw, &o, true, sg, sizeof sg);
            (void)vfail(&w->v, val->pos, "Value \"%.*s\" does not exist in \"%s\" enum.%s",
                        S(val->raw), ts, sg);
        }
        return;
    case AY_GQL_V_BOOLEAN:
        if (!one_of(def, "Boolean", NULL, NULL)) {
            unexpected_type(w, val, exp, def);
        }
        return;
    case AY_GQL_V_OBJECT:
        for (size_t i = 0; i < def->fields.n; i++) {
            const struct ay_gql_fielddef *f = def->fields.p[i];
            if (f->type == NULL || !f->type->non_null || f->defval != NULL) {
                continue;
            }
            bool given = false;
            for (const struct ay_gql_child *c = val->children; c != NULL; c = c->next) {
                given = given || ay_str_eq(c->name, f->name);
            }
            if (!given) {
                type_text(f->type, ts, sizeof ts);
                (void)vfail(&w->v, val->pos,
                            "Field \"%.*s.%.*s\" of required type \"%s\" was not provided.",
                            S(def->name), S(f->name), ts);
                return;
            }
        }
        for (const struct ay_gql_child *c = val->children; c != NULL; c = c->next) {
            if (field_of(&def->fields, c->name) == NULL) {
                struct opts o = {.n = 0};
                for (size_t i = 0; i < def->fields.n; i++) {
                    const struct ay_gql_fielddef *f = def->fields.p[i];
                    opt_add(&o, f->name);
                }
                char sg[256];
                suggest("Did you mean", c->name, &o, true, sg, sizeof sg);
                (void)vfail(&w->v, c->pos, "Field \"%.*s\" is not defined by type \"%.*s\".%s",
                            S(c->name), S(def->name), sg);
                return;
            }
        }
        return;
    default:
        unexpected_type(w, val, exp, def);
        return;
    }
}

/* A value with the type its position expects (exp, def: NULL when unknown), walked children
 * first; then NoUndefinedVariables, UniqueInputFieldNames, ValuesOfCorrectType and
 * VariablesInAllowedPosition, in that order (the reference's). */
static void walk_value(struct walk *w, const struct ay_gql_value *val,
                       const struct ay_gql_type *exp, const struct gtype *def, bool exp_has_default,
                       int depth)
{
    if (val == NULL || !ok(w) || depth > AY_LIMIT_GQL_DEPTH) {
        return;
    }
    const struct ay_gql_vardef *vd = NULL;
    if (val->kind == AY_GQL_V_VARIABLE && w->op != NULL) {
        size_t i = 0;
        for (vd = w->op->vars; vd != NULL; vd = vd->next, i++) {
            if (ay_str_eq(vd->name, val->raw)) {
                w->used[i] = true;
                break;
            }
        }
    }
    for (const struct ay_gql_child *c = val->children; c != NULL; c = c->next) {
        const struct ay_gql_type *cexp = NULL;
        const struct gtype *cdef = NULL;
        if (val->kind == AY_GQL_V_OBJECT && def != NULL) {
            const struct ay_gql_fielddef *f = field_of(&def->fields, c->name);
            if (f != NULL) {
                cexp = f->type;
                cdef = type_of(w->v.s, type_name(f->type));
            }
        } else if (val->kind == AY_GQL_V_LIST && exp != NULL && exp->elem != NULL) {
            cexp = exp->elem;
            cdef = def;
        }
        walk_value(w, c->value, cexp, cdef, false, depth + 1);
    }
    if (!ok(w)) {
        return;
    }
    /* NoUndefinedVariables */
    if (val->kind == AY_GQL_V_VARIABLE && w->op != NULL && vd == NULL) {
        if (w->op->name.len > 0) {
            (void)vfail(&w->v, val->pos, "Variable \"$%.*s\" is not defined by operation \"%.*s\".",
                        S(val->raw), S(w->op->name));
        } else {
            (void)vfail(&w->v, val->pos, "Variable \"$%.*s\" is not defined.", S(val->raw));
        }
        return;
    }
    /* UniqueInputFieldNames */
    if (val->kind == AY_GQL_V_OBJECT) {
        for (const struct ay_gql_child *c = val->children; c != NULL; c = c->next) {
            for (const struct ay_gql_child *d = c->next; d != NULL; d = d->next) {
                if (ay_str_eq(c->name, d->name)) {
                    (void)vfail(&w->v, d->pos, "There can be only one input field named \"%.*s\".",
                                S(d->name));
                    return;
                }
            }
        }
    }
    check_value_type(w, val, exp, def);
    /* VariablesInAllowedPosition: a default value makes a non-null position nullable. */
    if (ok(w) && vd != NULL && exp != NULL && vd->type != NULL) {
        struct ay_gql_type relaxed = *exp;
        bool var_default = vd->defval != NULL && vd->defval->kind != AY_GQL_V_NULL;
        if (var_default || exp_has_default) {
            relaxed.non_null = false;
        }
        if (!compatible(vd->type, &relaxed)) {
            char vt[256], et[256];
            type_text(vd->type, vt, sizeof vt);
            type_text(exp, et, sizeof et);
            (void)vfail(&w->v, val->pos,
                        "Variable \"$%.*s\" of type \"%s\" used in position expecting type "
                        "\"%s\".",
                        S(val->raw), vt, et);
        }
    }
}

/* An argument's value against its definition (NULL when unknown). */
static void walk_arg(struct walk *w, const struct ay_gql_arg *a, const struct ay_gql_fielddef *ad)
{
    if (ad == NULL) {
        walk_value(w, a->value, NULL, NULL, false, 0);
        return;
    }
    bool has_default = ad->defval != NULL && ad->defval->kind != AY_GQL_V_NULL;
    walk_value(w, a->value, ad->type, type_of(w->v.s, type_name(ad->type)), has_default, 0);
}

static void unique_args(struct walk *w, const struct ay_gql_arg *args)
{
    for (const struct ay_gql_arg *a = args; a != NULL && ok(w); a = a->next) {
        for (const struct ay_gql_arg *b = a->next; b != NULL; b = b->next) {
            if (ay_str_eq(a->name, b->name)) {
                (void)vfail(&w->v, a->pos, "There can be only one argument named \"%.*s\".",
                            S(a->name));
                return;
            }
        }
    }
}

static void walk_dirs(struct walk *w, const struct ay_gql_dir *dirs, const char *loc)
{
    for (const struct ay_gql_dir *d = dirs; d != NULL && ok(w); d = d->next) {
        const struct ay_gql_dirdef *def = dir_of(w->v.s, d->name);
        for (const struct ay_gql_arg *a = d->args; a != NULL; a = a->next) {
            walk_arg(w, a, def != NULL ? arg_of(def->args, a->name) : NULL);
        }
        if (!ok(w)) {
            return;
        }
        /* KnownArgumentNames on directives */
        for (const struct ay_gql_arg *a = d->args; def != NULL && a != NULL; a = a->next) {
            if (arg_of(def->args, a->name) == NULL) {
                struct opts o = {.n = 0};
                for (const struct ay_gql_fielddef *x = def->args; x != NULL; x = x->next) {
                    opt_add(&o, x->name);
                }
                char sg[256];
                suggest("Did you mean", a->name, &o, true, sg, sizeof sg);
                (void)vfail(&w->v, a->pos, "Unknown argument \"%.*s\" on directive \"@%.*s\".%s",
                            S(a->name), S(d->name), sg);
                return;
            }
        }
        /* KnownDirectives */
        if (def == NULL) {
            (void)vfail(&w->v, d->pos, "Unknown directive \"@%.*s\".", S(d->name));
            return;
        }
        bool at_loc = false;
        for (const struct ay_gql_name *l = def->locs; l != NULL; l = l->next) {
            at_loc = at_loc || ay_str_eq_c(l->s, loc);
        }
        if (!at_loc) {
            (void)vfail(&w->v, d->pos, "Directive \"@%.*s\" may not be used on %s.", S(d->name),
                        loc);
            return;
        }
        /* ProvidedRequiredArguments on directives */
        for (const struct ay_gql_fielddef *ad = def->args; ad != NULL; ad = ad->next) {
            if (ad->defval == NULL && ad->type != NULL && ad->type->non_null &&
                use_of(d->args, ad->name) == NULL) {
                char ts[256];
                type_text(ad->type, ts, sizeof ts);
                (void)vfail(&w->v, d->pos,
                            "Directive \"@%.*s\" argument \"%.*s\" of type \"%s\" is required, "
                            "but it was not provided.",
                            S(d->name), S(ad->name), ts);
                return;
            }
        }
        unique_args(w, d->args);
    }
    /* UniqueDirectivesPerLocation (section 5.7.3), for non-repeatable directives. */
    for (const struct ay_gql_dir *d = dirs; d != NULL && ok(w); d = d->next) {
        const struct ay_gql_dirdef *def = dir_of(w->v.s, d->name);
        if (def != NULL && def->repeatable) {
            continue;
        }
        for (const struct ay_gql_dir *e = d->next; e != NULL; e = e->next) {
            if (ay_str_eq(e->name, d->name)) {
                (void)vfail(&w->v, e->pos,
                            "The directive \"@%.*s\" can only be used once at this location.",
                            S(d->name));
                return;
            }
        }
    }
}

static void walk_sels(struct walk *w, const struct gtype *parent, const struct ay_gql_sel *s);

static const struct ay_gql_fielddef *field_def(const struct walk *w, const struct gtype *parent,
                                               struct ay_str name)
{
    const struct ay_gql_schema *s = w->v.s;
    if (ay_str_eq_c(name, "__typename")) {
        return &s->typename_field;
    }
    if (parent == NULL) {
        return NULL;
    }
    const struct ay_gql_fielddef *f = field_of(&parent->fields, name);
    if (f == NULL && parent == s->query) {
        if (ay_str_eq_c(name, "__schema")) {
            return &s->schema_field;
        }
        if (ay_str_eq_c(name, "__type")) {
            return &s->type_field;
        }
    }
    return f;
}

/* ---- Field selection merging (section 5.3.2, the reference's OverlappingFieldsCanBeMerged) */

static bool composite(const struct gtype *t);
static bool step(struct walk *w, struct ay_gql_pos pos);

/* A field reached from a selection set, with the type it was selected on. */
struct fent {
    const struct ay_gql_sel *sel;
    const struct gtype *parent;
    const struct ay_gql_fielddef *def;
};

/* Heap vectors for the merge checks: they are filled and dropped once per check, so their
 * memory is returned at once instead of piling up in the arena (which frees nothing until the
 * evaluation ends). */
struct fvec {
    struct fent *p;
    size_t n;
    size_t cap;
};

struct hvec {
    const void **p;
    size_t n;
    size_t cap;
};

static void fv_push(struct fvec *v, struct fent e)
{
    if (v->n == v->cap) {
        v->cap = v->cap == 0 ? 16 : v->cap * 2;
        v->p = ay_xrealloc(v->p, v->cap * sizeof *v->p);
    }
    v->p[v->n++] = e;
}

static void hv_push(struct hvec *v, const void *x)
{
    if (v->n == v->cap) {
        v->cap = v->cap == 0 ? 16 : v->cap * 2;
        v->p = ay_xrealloc((void *)v->p, v->cap * sizeof *v->p);
    }
    v->p[v->n++] = x;
}

static void fv_free(struct fvec *v, struct hvec *h)
{
    ay_free(v->p);
    ay_free((void *)h->p);
}

/* The fields of a selection set, through inline fragments and (each once) fragment spreads. */
static void collect(struct walk *w, const struct ay_gql_sel *s, const struct gtype *parent,
                    struct fvec *out, struct hvec *frags, int depth)
{
    if (depth > AY_LIMIT_GQL_DEPTH || !ok(w)) {
        return;
    }
    for (; s != NULL && ok(w); s = s->next) {
        if (s->kind == AY_GQL_SEL_FIELD) {
            if (!step(w, s->pos)) {
                return;
            }
            fv_push(out, (struct fent){s, parent, field_def(w, parent, s->name)});
        } else if (s->kind == AY_GQL_SEL_INLINE) {
            const struct gtype *np = s->type_cond.len > 0 ? type_of(w->v.s, s->type_cond) : parent;
            collect(w, s->sels, np, out, frags, depth + 1);
        } else {
            const struct ay_gql_frag *f = frag_of(w->q, s->name);
            bool seen = false;
            for (size_t i = 0; i < frags->n; i++) {
                seen = seen || frags->p[i] == (const void *)f;
            }
            if (f != NULL && !seen && step(w, s->pos)) {
                hv_push(frags, f);
                collect(w, f->sels, type_of(w->v.s, f->type_cond), out, frags, depth + 1);
            }
        }
    }
}

static bool same_args(const struct ay_gql_arg *a, const struct ay_gql_arg *b)
{
    size_t na = 0, nb = 0;
    for (const struct ay_gql_arg *x = a; x != NULL; x = x->next) {
        na++;
    }
    for (const struct ay_gql_arg *x = b; x != NULL; x = x->next) {
        nb++;
    }
    if (na != nb) {
        return false;
    }
    for (const struct ay_gql_arg *x = a; x != NULL; x = x->next) {
        const struct ay_gql_arg *y = use_of(b, x->name);
        if (y == NULL) {
            return false;
        }
        char vx[256], vy[256];
        value_text(x->value, vx, sizeof vx, 0);
        value_text(y->value, vy, sizeof vy, 0);
        if (strcmp(vx, vy) != 0) {
            return false;
        }
    }
    return true;
}

/* The reference's doTypesConflict: list shapes and nullability must match, and two leaf types
 * must be the same type. */
static bool types_conflict(const struct ay_gql_schema *s, const struct ay_gql_type *a,
                           const struct ay_gql_type *b)
{
    if (a == NULL || b == NULL) {
        return false;
    }
    if (a->elem != NULL || b->elem != NULL) {
        return a->elem == NULL || b->elem == NULL || types_conflict(s, a->elem, b->elem);
    }
    if (a->non_null != b->non_null) {
        return true;
    }
    const struct gtype *ta = type_of(s, a->named), *tb = type_of(s, b->named);
    bool leaf_a = kind_is(ta, "SCALAR") || kind_is(ta, "ENUM");
    bool leaf_b = kind_is(tb, "SCALAR") || kind_is(tb, "ENUM");
    return leaf_a && leaf_b && !ay_str_eq(ta->name, tb->name);
}

/* Counts one unit of validation work; false (and the error) past AY_LIMIT_GQL_STEPS, which
 * bounds the time a hostile query can take (fragments are re-entered per operation and merge
 * checks re-collect subfields per pair). */
static bool step(struct walk *w, struct ay_gql_pos pos)
{
    if (++w->steps > AY_LIMIT_GQL_STEPS) {
        (void)vfail(&w->v, pos, "validation needs more than %d steps", AY_LIMIT_GQL_STEPS);
        return false;
    }
    return true;
}

/* Whether two fields with one response key can merge; else the reason, as the reference
 * words it. Parents that are different object types can never both apply ("exclusive"). */
static bool fields_conflict(struct walk *w, const struct fent *a, const struct fent *b, bool excl,
                            char *why, size_t cap, int depth)
{
    if (!step(w, a->sel->pos)) {
        return false;
    }
    if (depth > AY_LIMIT_GQL_DEPTH) {
        (void)vfail(&w->v, a->sel->pos, "field merging nested deeper than %d", AY_LIMIT_GQL_DEPTH);
        return false;
    }
    excl = excl ||
           (a->parent != b->parent && kind_is(a->parent, "OBJECT") && kind_is(b->parent, "OBJECT"));
    if (!excl) {
        if (!ay_str_eq(a->sel->name, b->sel->name)) {
            (void)snprintf(why, cap, "%.*s and %.*s are different fields", S(a->sel->name),
                           S(b->sel->name));
            return true;
        }
        if (!same_args(a->sel->args, b->sel->args)) {
            (void)snprintf(why, cap, "they have differing arguments");
            return true;
        }
    }
    if (a->def != NULL && b->def != NULL && types_conflict(w->v.s, a->def->type, b->def->type)) {
        char ta[128], tb[128];
        type_text(a->def->type, ta, sizeof ta);
        type_text(b->def->type, tb, sizeof tb);
        /* type names past 40 bytes are cut: the reason must fit the caller's buffer */
        (void)snprintf(why, cap, "they return conflicting types \"%.40s\" and \"%.40s\"", ta, tb);
        return true;
    }
    if (a->sel->sels == NULL || b->sel->sels == NULL) {
        return false;
    }
    struct fvec fa = {0}, fb = {0};
    struct hvec ga = {0}, gb = {0};
    collect(w, a->sel->sels, a->def != NULL ? type_of(w->v.s, type_name(a->def->type)) : NULL, &fa,
            &ga, 0);
    collect(w, b->sel->sels, b->def != NULL ? type_of(w->v.s, type_name(b->def->type)) : NULL, &fb,
            &gb, 0);
    for (size_t i = 0; i < fa.n && ok(w); i++) {
        const struct fent *x = &fa.p[i];
        for (size_t j = 0; j < fb.n && ok(w); j++) {
            const struct fent *y = &fb.p[j];
            if (!ay_str_eq(x->sel->alias, y->sel->alias)) {
                continue;
            }
            char sub[200];
            if (fields_conflict(w, x, y, excl, sub, sizeof sub, depth + 1)) {
                (void)snprintf(why, cap, "subfields \"%.*s\" conflict because %s", S(x->sel->alias),
                               sub);
                fv_free(&fa, &ga);
                fv_free(&fb, &gb);
                return true;
            }
        }
    }
    fv_free(&fa, &ga);
    fv_free(&fb, &gb);
    return false;
}

struct keyed {
    const struct fent *e;
    size_t i; /* position in the selection set's field order */
};

static int cmp_keyed(const void *x, const void *y)
{
    const struct keyed *a = x, *b = y;
    int c = cmp_str(a->e->sel->alias, b->e->sel->alias);
    if (c != 0) {
        return c;
    }
    return a->i < b->i ? -1 : a->i > b->i ? 1 : 0;
}

/* Fields with one response key must merge. Fields are grouped by key (sorted) so only same-key
 * pairs are compared; the conflict reported is the reference's first, the lowest (i, j). */
static void check_merge(struct walk *w, const struct ay_gql_sel *sels, const struct gtype *parent)
{
    if (sels == NULL || !ok(w)) {
        return;
    }
    struct fvec fs = {0};
    struct hvec frags = {0};
    collect(w, sels, parent, &fs, &frags, 0);
    if (fs.n < 2 || !ok(w)) {
        fv_free(&fs, &frags);
        return;
    }
    struct keyed *k = ay_xmalloc(fs.n * sizeof *k); /* fs.n <= AY_LIMIT_GQL_STEPS */
    for (size_t i = 0; i < fs.n; i++) {
        k[i] = (struct keyed){&fs.p[i], i};
    }
    qsort(k, fs.n, sizeof *k, cmp_keyed);
    size_t best_i = SIZE_MAX, best_j = SIZE_MAX;
    char best_why[256] = "";
    const struct fent *best_a = NULL, *best_b = NULL;
    for (size_t g = 0; g < fs.n && ok(w);) {
        size_t end = g + 1;
        while (end < fs.n && ay_str_eq(k[end].e->sel->alias, k[g].e->sel->alias)) {
            end++;
        }
        for (size_t x = g; x < end && ok(w) && k[x].i < best_i; x++) {
            for (size_t y = x + 1; y < end && ok(w); y++) {
                char why[256];
                if (fields_conflict(w, k[x].e, k[y].e, false, why, sizeof why, 0) && ok(w)) {
                    if (k[x].i < best_i || (k[x].i == best_i && k[y].i < best_j)) {
                        best_i = k[x].i;
                        best_j = k[y].i;
                        best_a = k[x].e;
                        best_b = k[y].e;
                        (void)snprintf(best_why, sizeof best_why, "%s", why);
                    }
                    break; /* later y of this x come after (x, y) */
                }
            }
        }
        g = end;
    }
    if (ok(w) && best_a != NULL && best_b != NULL) {
        (void)vfail(&w->v, best_b->sel->pos,
                    "Fields \"%.*s\" conflict because %s. Use different aliases on the fields to "
                    "fetch both if this was intentional.",
                    S(best_a->sel->alias), best_why);
    }
    ay_free(k);
    fv_free(&fs, &frags);
}

/* FieldsOnCorrectType's hint: on an abstract type, the types that have the field (interfaces
 * first, most implemented first); else field names close to the typed one. */
static void suggest_field(struct walk *w, const struct gtype *parent, struct ay_str name, char *out,
                          size_t cap)
{
    out[0] = '\0';
    if (kind_is(parent, "INTERFACE") || kind_is(parent, "UNION")) {
        struct opts ifs = {.n = 0}, objs = {.n = 0};
        size_t uses[64] = {0};
        for (size_t i = 0; i < parent->possible.n; i++) {
            const struct gtype *pt = parent->possible.p[i];
            if (field_of(&pt->fields, name) == NULL) {
                continue;
            }
            opt_add(&objs, pt->name);
            for (size_t j = 0; j < pt->ifaces.n; j++) {
                const struct ay_gql_name *in = pt->ifaces.p[j];
                const struct gtype *it = type_of(w->v.s, in->s);
                if (it == NULL || field_of(&it->fields, name) == NULL) {
                    continue;
                }
                size_t k = 0;
                while (k < ifs.n && !ay_str_eq(ifs.s[k], in->s)) {
                    k++;
                }
                if (k == ifs.n) {
                    opt_add(&ifs, in->s);
                }
                if (k < 64) {
                    uses[k]++;
                }
            }
        }
        if (ifs.n + objs.n > 0) {
            /* Interfaces by use count (stable), then object types in order. */
            struct ay_str all[128];
            size_t n = 0;
            for (size_t i = 0; i < ifs.n; i++) {
                size_t k = n++;
                while (k > 0 && uses[k - 1] < uses[i]) {
                    all[k] = all[k - 1];
                    k--;
                }
                all[k] = ifs.s[i];
            }
            for (size_t i = 0; i < objs.n; i++) {
                all[n++] = objs.s[i];
            }
            if (n > 5) {
                n = 5;
            }
            size_t at = 0;
            int m = snprintf(out, cap, " Did you mean to use an inline fragment on ");
            at = m > 0 ? (size_t)m : 0;
            for (size_t i = 0; i < n && at < cap; i++) {
                const char *sep = i == 0 ? "" : n == 2 ? " or " : i == n - 1 ? ", or " : ", ";
                m = snprintf(out + at, cap - at, "%s\"%.*s\"", sep, S(all[i]));
                at = m > 0 && (size_t)m < cap - at ? at + (size_t)m : cap;
            }
            if (at + 1 < cap) {
                out[at] = '?';
                out[at + 1] = '\0';
            } else {
                out[0] = '\0';
            }
            return;
        }
    }
    if (kind_is(parent, "OBJECT") || kind_is(parent, "INTERFACE")) {
        struct opts o = {.n = 0};
        for (size_t i = 0; i < parent->fields.n; i++) {
            const struct ay_gql_fielddef *f = parent->fields.p[i];
            opt_add(&o, f->name);
        }
        suggest("Did you mean", name, &o, true, out, cap);
    }
}

static void walk_field(struct walk *w, const struct gtype *parent, const struct ay_gql_sel *f)
{
    const struct ay_gql_fielddef *def = field_def(w, parent, f->name);
    const struct gtype *next_parent = def != NULL ? type_of(w->v.s, type_name(def->type)) : NULL;
    for (const struct ay_gql_arg *a = f->args; a != NULL && ok(w); a = a->next) {
        walk_arg(w, a, def != NULL ? arg_of(def->args, a->name) : NULL);
    }
    walk_dirs(w, f->dirs, "FIELD");
    walk_sels(w, next_parent, f->sels);
    if (!ok(w)) {
        return;
    }
    /* FieldsOnCorrectType */
    if (parent != NULL && def == NULL) {
        char sg[256];
        suggest_field(w, parent, f->name, sg, sizeof sg);
        (void)vfail(&w->v, f->pos, "Cannot query field \"%.*s\" on type \"%.*s\".%s", S(f->name),
                    S(parent->name), sg);
        return;
    }
    if (def == NULL) {
        return;
    }
    /* KnownArgumentNames */
    struct ay_str pname = parent != NULL ? parent->name : ay_str_of("");
    for (const struct ay_gql_arg *a = f->args; a != NULL; a = a->next) {
        if (arg_of(def->args, a->name) == NULL) {
            struct opts o = {.n = 0};
            for (const struct ay_gql_fielddef *x = def->args; x != NULL; x = x->next) {
                opt_add(&o, x->name);
            }
            char sg[256];
            suggest("Did you mean", a->name, &o, true, sg, sizeof sg);
            (void)vfail(&w->v, a->pos, "Unknown argument \"%.*s\" on field \"%.*s.%.*s\".%s",
                        S(a->name), S(pname), S(f->name), sg);
            return;
        }
    }
    check_merge(w, f->sels, next_parent);
    if (!ok(w)) {
        return;
    }
    /* ProvidedRequiredArguments */
    for (const struct ay_gql_fielddef *ad = def->args; ad != NULL; ad = ad->next) {
        if (ad->defval == NULL && ad->type != NULL && ad->type->non_null) {
            const struct ay_gql_arg *a = use_of(f->args, ad->name);
            if (a == NULL) {
                char ts[256];
                type_text(ad->type, ts, sizeof ts);
                (void)vfail(&w->v, f->pos,
                            "Field \"%.*s\" argument \"%.*s\" of type \"%s\" is required, but it "
                            "was not provided.",
                            S(f->name), S(ad->name), ts);
                return;
            }
        }
    }
    /* ScalarLeafs */
    const struct gtype *ft = next_parent;
    if (ft != NULL) {
        if ((kind_is(ft, "SCALAR") || kind_is(ft, "ENUM")) && f->sels != NULL) {
            (void)vfail(&w->v, f->pos,
                        "Field \"%.*s\" must not have a selection since type \"%.*s\" has no "
                        "subfields.",
                        S(f->name), S(ft->name));
            return;
        }
        if ((kind_is(ft, "OBJECT") || kind_is(ft, "INTERFACE") || kind_is(ft, "UNION")) &&
            f->sels == NULL) {
            (void)vfail(&w->v, f->pos,
                        "Field \"%.*s\" of type \"%.*s\" must have a selection of subfields. Did "
                        "you mean \"%.*s { ... }\"?",
                        S(f->name), S(ft->name), S(f->name));
            return;
        }
    }
    unique_args(w, f->args);
}

static bool composite(const struct gtype *t)
{
    return kind_is(t, "OBJECT") || kind_is(t, "INTERFACE") || kind_is(t, "UNION");
}

/* Section 5.5.2.3 Fragment Spread Is Possible: the possible types of the enclosing type and of
 * the fragment's type must overlap (an object's possible types are itself). */
static bool spread_possible(const struct gtype *parent, const struct gtype *frag)
{
    if (parent == NULL || frag == NULL || !composite(frag)) {
        return true;
    }
    if (!composite(parent)) {
        return true;
    }
    for (size_t i = 0; i < frag->possible.n; i++) {
        const struct gtype *f = frag->possible.p[i];
        if (kind_is(parent, "OBJECT")) {
            if (ay_str_eq(f->name, parent->name)) {
                return true;
            }
            continue;
        }
        for (size_t j = 0; j < parent->possible.n; j++) {
            const struct gtype *p = parent->possible.p[j];
            if (ay_str_eq(f->name, p->name)) {
                return true;
            }
        }
    }
    return false;
}

static void walk_sel(struct walk *w, const struct gtype *parent, const struct ay_gql_sel *s)
{
    if (!step(w, s->pos)) {
        return;
    }
    switch (s->kind) {
    case AY_GQL_SEL_FIELD:
        walk_field(w, parent, s);
        return;
    case AY_GQL_SEL_INLINE: {
        const struct gtype *np = parent;
        if (s->type_cond.len > 0) {
            np = type_of(w->v.s, s->type_cond);
        }
        walk_dirs(w, s->dirs, "INLINE_FRAGMENT");
        walk_sels(w, np, s->sels);
        if (!ok(w) || s->type_cond.len == 0) {
            return;
        }
        /* FragmentsOnCompositeTypes, KnownTypeNames */
        if (np != NULL && !composite(np)) {
            (void)vfail(&w->v, s->pos, "Fragment cannot condition on non composite type \"%.*s\".",
                        S(s->type_cond));
            return;
        }
        if (np == NULL) {
            (void)vfail(&w->v, s->pos, "Unknown type \"%.*s\".", S(s->type_cond));
            return;
        }
        check_merge(w, s->sels, np);
        if (ok(w) && !spread_possible(parent, np)) {
            (void)vfail(&w->v, s->pos,
                        "Fragment cannot be spread here as objects of type \"%.*s\" can never be "
                        "of type \"%.*s\".",
                        S(parent->name), S(s->type_cond));
        }
        return;
    }
    case AY_GQL_SEL_SPREAD: {
        const struct ay_gql_frag *f = frag_of(w->q, s->name);
        const struct gtype *np = f != NULL ? type_of(w->v.s, f->type_cond) : NULL;
        walk_dirs(w, s->dirs, "FRAGMENT_SPREAD");
        /* Only spreads reached from operations count as uses (the reference stops counting at
         * the first fragment definition). */
        if (w->op != NULL && pv_push(w->v.a, &w->spread, s) != AY_OK) {
            (void)vfail(&w->v, s->pos, "out of memory");
            return;
        }
        bool seen = false;
        for (size_t i = 0; i < w->visited.n; i++) {
            seen = seen || w->visited.p[i] == (const void *)f;
        }
        if (f != NULL && !seen) {
            /* Each fragment is entered once per operation: cycles cannot recurse forever. */
            if (pv_push(w->v.a, &w->visited, f) != AY_OK) {
                (void)vfail(&w->v, s->pos, "out of memory");
                return;
            }
            walk_sels(w, np, f->sels);
        }
        if (ok(w) && f == NULL) {
            /* KnownFragmentNames */
            (void)vfail(&w->v, s->pos, "Unknown fragment \"%.*s\".", S(s->name));
        } else if (ok(w) && !spread_possible(parent, np)) {
            (void)vfail(&w->v, s->pos,
                        "Fragment \"%.*s\" cannot be spread here as objects of type \"%.*s\" can "
                        "never be of type \"%.*s\".",
                        S(s->name), S(parent->name), S(f->type_cond));
        }
        return;
    }
    }
}

static void walk_sels(struct walk *w, const struct gtype *parent, const struct ay_gql_sel *s)
{
    if (++w->depth > AY_LIMIT_GQL_DEPTH) {
        (void)vfail(&w->v, s != NULL ? s->pos : (struct ay_gql_pos){0, 0},
                    "selections nested deeper than %d", AY_LIMIT_GQL_DEPTH);
        return;
    }
    for (; s != NULL && ok(w); s = s->next) {
        walk_sel(w, parent, s);
    }
    w->depth--;
}

static void walk_vardefs(struct walk *w, const struct ay_gql_vardef *vars)
{
    for (const struct ay_gql_vardef *vd = vars; vd != NULL && ok(w); vd = vd->next) {
        const struct gtype *t = type_of(w->v.s, type_name(vd->type));
        /* KnownTypeNames */
        if (t == NULL) {
            (void)vfail(&w->v, vd->pos, "Unknown type \"%.*s\".", S(type_name(vd->type)));
            return;
        }
        /* VariablesAreInputTypes */
        if (!is_input_type(t)) {
            char ts[256];
            type_text(vd->type, ts, sizeof ts);
            (void)vfail(&w->v, vd->pos, "Variable \"$%.*s\" cannot be non-input type \"%s\".",
                        S(vd->name), ts);
            return;
        }
    }
}

/* Distinct response keys of a root selection set, through fragments (each fragment once). */
static void count_root_fields(struct walk *w, const struct ay_gql_sel *s, size_t *n,
                              const struct ay_gql_sel **intro, int depth)
{
    if (depth > AY_LIMIT_GQL_DEPTH || !ok(w)) {
        return;
    }
    for (; s != NULL; s = s->next) {
        if (s->kind == AY_GQL_SEL_FIELD) {
            (*n)++;
            if (*intro == NULL && s->name.len >= 2 && s->name.ptr[0] == '_' &&
                s->name.ptr[1] == '_') {
                *intro = s;
            }
        } else if (s->kind == AY_GQL_SEL_INLINE) {
            count_root_fields(w, s->sels, n, intro, depth + 1);
        } else {
            const struct ay_gql_frag *f = frag_of(w->q, s->name);
            bool seen = false;
            for (size_t i = 0; i < w->visited.n; i++) {
                seen = seen || w->visited.p[i] == (const void *)f;
            }
            /* Each fragment once: spreads forming cycles or diamonds cannot blow up. */
            if (f != NULL && !seen) {
                if (pv_push(w->v.a, &w->visited, f) != AY_OK) {
                    (void)vfail(&w->v, s->pos, "out of memory");
                    return;
                }
                count_root_fields(w, f->sels, n, intro, depth + 1);
            }
        }
    }
}

static void walk_op(struct walk *w, const struct ay_gql_op *op)
{
    w->op = op;
    w->visited.n = 0;
    size_t n = 0;
    for (const struct ay_gql_vardef *vd = op->vars; vd != NULL; vd = vd->next) {
        n++;
    }
    w->n_vars = n;
    w->used = NULL;
    if (n > 0 && ay_arena_array(w->v.a, n, sizeof *w->used, (void **)&w->used) != AY_OK) {
        (void)vfail(&w->v, op->pos, "out of memory");
        return;
    }
    walk_vardefs(w, op->vars);
    const struct gtype *root = NULL;
    const char *loc = "QUERY";
    if (ay_str_eq_c(op->operation, "mutation")) {
        root = w->v.s->mutation;
        loc = "MUTATION";
    } else if (ay_str_eq_c(op->operation, "subscription")) {
        root = w->v.s->subscription;
        loc = "SUBSCRIPTION";
    } else if (op->operation.len == 0 || ay_str_eq_c(op->operation, "query")) {
        root = w->v.s->query;
    } else {
        loc = ""; /* an AST object may name any operation: it has no root type */
    }
    for (const struct ay_gql_vardef *vd = op->vars; vd != NULL && ok(w); vd = vd->next) {
        walk_value(w, vd->defval, vd->type, type_of(w->v.s, type_name(vd->type)), false, 0);
        walk_dirs(w, vd->dirs, "VARIABLE_DEFINITION");
    }
    walk_dirs(w, op->dirs, loc);
    walk_sels(w, root, op->sels);
    if (!ok(w)) {
        return;
    }
    /* KnownRootType */
    if (root == NULL) {
        (void)vfail(&w->v, op->pos, "Schema does not support operation type \"%.*s\"",
                    S(op->operation));
        return;
    }
    /* LoneAnonymousOperation */
    size_t n_ops = 0;
    for (const struct ay_gql_op *o = w->q->ops; o != NULL; o = o->next) {
        n_ops++;
    }
    if (op->name.len == 0 && n_ops > 1) {
        (void)vfail(&w->v, op->pos, "This anonymous operation must be the only defined operation.");
        return;
    }
    /* NoUnusedVariables */
    size_t i = 0;
    for (const struct ay_gql_vardef *vd = op->vars; vd != NULL; vd = vd->next, i++) {
        if (!w->used[i]) {
            if (op->name.len > 0) {
                (void)vfail(&w->v, vd->pos,
                            "Variable \"$%.*s\" is never used in operation \"%.*s\".", S(vd->name),
                            S(op->name));
            } else {
                (void)vfail(&w->v, vd->pos, "Variable \"$%.*s\" is never used.", S(vd->name));
            }
            return;
        }
    }
    check_merge(w, op->sels, root);
    if (!ok(w)) {
        return;
    }
    /* SingleFieldSubscriptions (section 5.2.3.1): one root field, not an introspection one. */
    if (ay_str_eq_c(op->operation, "subscription")) {
        size_t n_fields = 0;
        const struct ay_gql_sel *intro = NULL;
        w->visited.n = 0;
        count_root_fields(w, op->sels, &n_fields, &intro, 0);
        if (n_fields > 1) {
            if (op->name.len > 0) {
                (void)vfail(&w->v, op->pos,
                            "Subscription \"%.*s\" must select only one top level field.",
                            S(op->name));
            } else {
                (void)vfail(&w->v, op->pos,
                            "Anonymous Subscription must select only one top level field.");
            }
            return;
        }
        if (intro != NULL) {
            if (op->name.len > 0) {
                (void)vfail(&w->v, intro->pos,
                            "Subscription \"%.*s\" must not select an introspection top level "
                            "field.",
                            S(op->name));
            } else {
                (void)vfail(&w->v, intro->pos,
                            "Anonymous Subscription must not select an introspection top level "
                            "field.");
            }
            return;
        }
    }
    /* UniqueOperationNames */
    for (const struct ay_gql_op *o = w->q->ops; o != NULL; o = o->next) {
        if (o != op && op->name.len > 0 && ay_str_eq(o->name, op->name)) {
            (void)vfail(&w->v, op->pos, "There can be only one operation named \"%.*s\".",
                        S(op->name));
            return;
        }
    }
    /* UniqueVariableNames */
    for (const struct ay_gql_vardef *vd = op->vars; vd != NULL; vd = vd->next) {
        for (const struct ay_gql_vardef *x = vd->next; x != NULL; x = x->next) {
            if (ay_str_eq(x->name, vd->name)) {
                (void)vfail(&w->v, vd->pos, "There can be only one variable named \"$%.*s\".",
                            S(vd->name));
                return;
            }
        }
    }
}

/* Collects the fragment spreads of a selection set, through fields and inline fragments. */
static bool spreads_of(struct walk *w, const struct ay_gql_sel *s, struct pvec *out, int depth)
{
    if (depth > AY_LIMIT_GQL_DEPTH) {
        return false;
    }
    for (; s != NULL; s = s->next) {
        if (s->kind == AY_GQL_SEL_SPREAD) {
            if (pv_push(w->v.a, out, s) != AY_OK) {
                return false;
            }
        } else if (!spreads_of(w, s->sels, out, depth + 1)) {
            return false;
        }
    }
    return true;
}

/* Section 5.5.2.2 Fragment Spreads Must Not Form Cycles: a depth-first search along spreads
 * with the current path; each fragment is searched once per document. */
static void find_cycle(struct walk *w, const struct ay_gql_frag *f, struct pvec *path,
                       struct pvec *path_frags, int depth)
{
    for (size_t i = 0; i < w->cycle_done.n; i++) {
        if (w->cycle_done.p[i] == (const void *)f) {
            return;
        }
    }
    if (depth > AY_LIMIT_GQL_DEPTH) {
        (void)vfail(&w->v, f->pos, "fragment spreads nested deeper than %d", AY_LIMIT_GQL_DEPTH);
        return;
    }
    struct pvec spreads = {0};
    if (pv_push(w->v.a, &w->cycle_done, f) != AY_OK || !spreads_of(w, f->sels, &spreads, 0) ||
        pv_push(w->v.a, path_frags, f) != AY_OK) {
        (void)vfail(&w->v, f->pos, "out of memory or nesting limit");
        return;
    }
    for (size_t i = 0; i < spreads.n && ok(w); i++) {
        const struct ay_gql_sel *sp = spreads.p[i];
        size_t at = SIZE_MAX;
        for (size_t k = 0; k < path_frags->n; k++) {
            const struct ay_gql_frag *pf = path_frags->p[k];
            if (ay_str_eq(pf->name, sp->name)) {
                at = k;
                break;
            }
        }
        if (at == SIZE_MAX) {
            const struct ay_gql_frag *next = frag_of(w->q, sp->name);
            if (next != NULL) {
                if (pv_push(w->v.a, path, sp) != AY_OK) {
                    (void)vfail(&w->v, sp->pos, "out of memory");
                    return;
                }
                find_cycle(w, next, path, path_frags, depth + 1);
                path->n--;
            }
            continue;
        }
        /* The spreads from the repeated fragment to here, as "A", "B" (path[k] leads out of
         * path_frags[k]). */
        char via[256] = "";
        size_t vl = 0;
        for (size_t k = at; k < path->n && vl < 200; k++) {
            const struct ay_gql_sel *ps = path->p[k];
            int m = snprintf(via + vl, sizeof via - vl, "%s\"%.*s\"", vl == 0 ? " via " : ", ",
                             S(ps->name));
            if (m < 0 || (size_t)m >= sizeof via - vl) {
                break;
            }
            vl += (size_t)m;
        }
        (void)vfail(&w->v, sp->pos, "Cannot spread fragment \"%.*s\" within itself%s.", S(sp->name),
                    via);
        return;
    }
    path_frags->n--;
}

static void walk_frag(struct walk *w, const struct ay_gql_frag *f)
{
    w->op = NULL;
    w->visited.n = 0;
    const struct gtype *t = type_of(w->v.s, f->type_cond);
    walk_dirs(w, f->dirs, "FRAGMENT_DEFINITION");
    walk_sels(w, t, f->sels);
    if (!ok(w)) {
        return;
    }
    /* FragmentsOnCompositeTypes, KnownTypeNames */
    if (t != NULL && !composite(t)) {
        (void)vfail(&w->v, f->pos,
                    "Fragment \"%.*s\" cannot condition on non composite type \"%.*s\".",
                    S(f->name), S(f->type_cond));
        return;
    }
    if (t == NULL) {
        (void)vfail(&w->v, f->pos, "Unknown type \"%.*s\".", S(f->type_cond));
        return;
    }
    /* NoFragmentCycles */
    struct pvec path = {0}, path_frags = {0};
    find_cycle(w, f, &path, &path_frags, 0);
    if (!ok(w)) {
        return;
    }
    /* NoUnusedFragments */
    bool used = false;
    for (size_t i = 0; i < w->spread.n; i++) {
        const struct ay_gql_sel *s = w->spread.p[i];
        used = used || ay_str_eq(s->name, f->name);
    }
    if (!used) {
        (void)vfail(&w->v, f->pos, "Fragment \"%.*s\" is never used.", S(f->name));
        return;
    }
    check_merge(w, f->sels, t);
    if (!ok(w)) {
        return;
    }
    /* UniqueFragmentNames */
    for (const struct ay_gql_frag *g = w->q->frags; g != NULL; g = g->next) {
        if (g != f && ay_str_eq(g->name, f->name)) {
            (void)vfail(&w->v, f->pos, "There can be only one fragment named \"%.*s\".",
                        S(f->name));
            return;
        }
    }
}

ay_err ay_gql_query_validate(struct ay_arena *a, const struct ay_gql_schema *s,
                             const struct ay_gql_query *q, struct ay_diag *diag,
                             struct ay_gql_pos *out_pos)
{
    struct walk w;
    memset(&w, 0, sizeof w);
    w.v = (struct vctx){a, (struct ay_gql_schema *)(uintptr_t)s, diag, out_pos, AY_OK};
    w.q = q;
    out_pos->line = 0;
    out_pos->col = 0;
    for (const struct ay_gql_op *op = q->ops; op != NULL && ok(&w); op = op->next) {
        walk_op(&w, op);
    }
    for (const struct ay_gql_frag *f = q->frags; f != NULL && ok(&w); f = f->next) {
        walk_frag(&w, f);
    }
    return w.v.err;
}
