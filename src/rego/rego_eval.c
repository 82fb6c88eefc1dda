/* SPDX-License-Identifier: Apache-2.0 */
/* Rego evaluator: top-down, with backtracking through continuation callbacks (each generator
 * calls its continuation once per solution; bindings are undone when the callback returns).
 * Implements refs over input/data/virtual documents with iteration, unification with array
 * and object patterns, a per-evaluation memo of rule values, default/else, conflict errors,
 * not/some/every/with, comprehensions, builtins (errors are undefined unless strict), and the
 * step, depth and memory budgets (AY_ERR_LIMIT). Semantics follow OPA (REGO.md 2.1). */
#include "rego/rego_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "rego/rego_builtin.h"

/* Private "stop enumerating" signal; never escapes this file. */
#define EV_HALT AY_ERR__COUNT
/* Most bytes of C stack an evaluation may use (deep policies fail cleanly, not crash). */
#define EV_STACK_MAX ((size_t)2 * 1024 * 1024)

struct memo {
    uint8_t state; /* 0 not computed, 1 computing, 2 done */
    struct ay_val v;
};

struct wover {
    uint8_t kind; /* 1 data path, 2 function mock, 3 mock switched off (inside a mock) */
    const char **path;
    size_t npath;
    struct ay_val v;
    const struct ay_rego_with *w; /* mocks */
};

/* A result of a builtin flagged AY_REGO_BI_NONDET, kept for the rest of the evaluation so
 * the same arguments give the same value (OPA's per-query builtin cache: uuid.rfc4122,
 * rand.intn). */
struct ndmemo {
    const struct ay_rego_bi *bi;
    struct ay_val args; /* array */
    struct ay_val r;
    struct ndmemo *next;
};

struct ay_rego_eval {
    const struct ay_rego_policy *p;
    struct ay_arena *a;
    struct ay_diag *diag;
    struct ay_val input;
    struct ay_val data;
    uint64_t steps;
    uint64_t max_steps;
    size_t depth;
    uintptr_t stack_base; /* address near the bottom of the evaluating thread's stack */
    struct memo *memo;
    struct wover *with;
    size_t nwith;
    size_t wcap;
    uint32_t wdepth; /* active `with` scopes: rule values are not memoised inside one */
    int64_t now_ns;
    void (*print)(void *arg, const char *text, size_t len);
    void *print_arg;
    bool strict;
    struct ay_diag bdiag;
    bool bi_type_err; /* the failing builtin raised a type error */
    struct ndmemo *ndmemo;
    struct ay_val *qvals;
    const char *mod; /* module of the rule being evaluated (messages: "file:row: code: ...") */
    const struct ay_rego_rule *rule; /* the rule (head of its else chain) being evaluated */
    const char *dpath[AY_LIMIT_REGO_DEPTH];
};

struct frame {
    struct ay_val *s;
};

struct vk;
typedef ay_err vk_fn(struct ay_rego_eval *ev, struct vk *k, struct ay_val v);
struct vk {
    vk_fn *fn;
};
struct bk;
typedef ay_err bk_fn(struct ay_rego_eval *ev, struct bk *k);
struct bk {
    bk_fn *fn;
};

#define KCALL(k) ((k)->fn(ev, (k)))
#define VCALL(k, v) ((k)->fn(ev, (k), (v)))

static ay_err eval_term(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *t,
                        struct vk *k);
static ay_err eval_body(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_body *b,
                        size_t i, struct bk *k);
static ay_err unify_tv(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *t,
                       struct ay_val v, struct bk *k);
static ay_err rule_value(struct ay_rego_eval *ev, const struct ay_rego_node *n, struct ay_val *out);

static ay_err merge_docs_at(struct ay_rego_eval *ev, const struct ay_rego_node *n,
                            struct ay_val a, struct ay_val b, size_t depth, size_t leaf,
                            struct ay_val *out);
static ay_err upsert(struct ay_rego_eval *ev, struct ay_val v, const char *const *path, size_t n,
                     struct ay_val x, struct ay_val *out);

static ay_err efail_limit(struct ay_rego_eval *ev, const char *what)
{
    return FAIL(ev->diag, AY_ERR_LIMIT, "rego: evaluation %s", what);
}

static ay_err step(struct ay_rego_eval *ev)
{
    if (++ev->steps > ev->max_steps) {
        return FAIL(ev->diag, AY_ERR_LIMIT, "rego: evaluation exceeded the step budget of %llu",
                    (unsigned long long)ev->max_steps);
    }
    char here;
    uintptr_t now = (uintptr_t)&here;
    /* The stack grows down on every platform we build for. */
    if (now < ev->stack_base && ev->stack_base - now > EV_STACK_MAX) {
        return efail_limit(ev, "nesting too deep (stack budget exceeded)");
    }
    return AY_OK;
}

static ay_err new_frame(struct ay_rego_eval *ev, uint32_t n, struct frame *f)
{
    f->s = NULL;
    if (n > 0) {
        TRY(ay_arena_array(ev->a, n, sizeof *f->s, (void **)&f->s));
    }
    return AY_OK;
}

/* ---- body ---- */

struct body_k {
    struct bk base;
    struct frame *f;
    const struct ay_rego_body *b;
    size_t i;
    struct bk *next;
};

static ay_err body_next(struct ay_rego_eval *ev, struct bk *k)
{
    struct body_k *x = (struct body_k *)k;
    return eval_body(ev, x->f, x->b, x->i, x->next);
}

static ay_err eval_expr(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_expr *e,
                        struct bk *k);

static ay_err eval_body(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_body *b,
                        size_t i, struct bk *k)
{
    if (b == NULL || i == b->n) {
        return KCALL(k);
    }
    struct body_k nk = {{body_next}, f, b, i + 1, k};
    return eval_expr(ev, f, b->exprs[i], &nk.base);
}

/* ---- terms: helpers ---- */

static bool is_free(const struct frame *f, const struct ay_rego_term *t)
{
    return t->kind == AY_RT_VAR && t->slot >= 0 && (t->wildcard || f->s[t->slot].kind == AY_V_UNDEF);
}

static bool bindable(const struct frame *f, const struct ay_rego_term *t)
{
    if (t->ground) {
        return false;
    }
    if (t->kind == AY_RT_VAR) {
        return is_free(f, t);
    }
    if (t->kind == AY_RT_ARR) {
        for (size_t i = 0; i < t->n; i++) {
            if (bindable(f, t->items[i])) {
                return true;
            }
        }
    } else if (t->kind == AY_RT_OBJ) {
        for (size_t i = 1; i < t->n; i += 2) {
            if (bindable(f, t->items[i])) {
                return true;
            }
        }
    }
    return false;
}

/* Evaluates items[0..n) (cartesian over generators) and calls done with their values. */
struct lk;
typedef ay_err lk_fn(struct ay_rego_eval *ev, struct lk *k, const struct ay_val *vals);
struct lk {
    lk_fn *fn;
};

struct items_k {
    struct vk base;
    struct frame *f;
    struct ay_rego_term *const *items;
    size_t n;
    size_t i;
    struct ay_val *vals;
    struct lk *done;
};

static ay_err items_from(struct ay_rego_eval *ev, struct items_k *x);

static ay_err items_got(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    struct items_k *x = (struct items_k *)k;
    x->vals[x->i] = v;
    struct items_k nx = *x;
    nx.i = x->i + 1;
    return items_from(ev, &nx);
}

static bool unbound_var(const struct frame *f, const struct ay_rego_term *t)
{
    return t->kind == AY_RT_VAR && t->glob == AY_RG_NONE && t->slot >= 0 &&
           f->s[t->slot].kind == AY_V_UNDEF;
}

/* All items evaluated; an item left undefined is a variable that a later item (a ref that
 * iterates, as in `x == input.xs[x]`) was to bind: it is read now. */
static ay_err items_done(struct ay_rego_eval *ev, struct items_k *x)
{
    const struct ay_val *vals = x->vals;
    struct ay_val local[8];
    struct ay_val *late = NULL;
    for (size_t j = 0; j < x->n; j++) {
        if (x->vals[j].kind != AY_V_UNDEF) {
            continue;
        }
        if (unbound_var(x->f, x->items[j])) {
            /* Still unbound: eval_term reports it. */
            return eval_term(ev, x->f, x->items[j], &x->base);
        }
        if (late == NULL) {
            late = local;
            if (x->n > 8) {
                TRY(ay_arena_array(ev->a, x->n, sizeof *late, (void **)&late));
            }
            memcpy(late, x->vals, x->n * sizeof *late);
            vals = late;
        }
        late[j] = x->f->s[x->items[j]->slot];
    }
    return x->done->fn(ev, x->done, vals);
}

static ay_err items_from(struct ay_rego_eval *ev, struct items_k *x)
{
    while (x->i < x->n && x->i + 1 < x->n && unbound_var(x->f, x->items[x->i])) {
        x->vals[x->i++] = ay_val_undef();
    }
    if (x->i == x->n) {
        return items_done(ev, x);
    }
    return eval_term(ev, x->f, x->items[x->i], &x->base);
}

static ay_err eval_items(struct ay_rego_eval *ev, struct frame *f, struct ay_rego_term *const *items,
                         size_t n, struct lk *done)
{
    struct ay_val local[8] = {{0}};
    struct ay_val *vals = local;
    if (n > 8) {
        TRY(ay_arena_array(ev->a, n, sizeof *vals, (void **)&vals));
    }
    struct items_k x = {{items_got}, f, items, n, 0, vals, done};
    return items_from(ev, &x);
}

/* ---- collections ---- */

struct coll_k {
    struct lk base;
    const struct ay_rego_term *t;
    struct vk *k;
};

static ay_err coll_done(struct ay_rego_eval *ev, struct lk *lk, const struct ay_val *vals)
{
    struct coll_k *x = (struct coll_k *)lk;
    const struct ay_rego_term *t = x->t;
    struct ay_val v;
    if (t->kind == AY_RT_ARR) {
        TRY(ay_val_array(ev->a, vals, t->n, &v));
    } else if (t->kind == AY_RT_SET) {
        TRY(ay_val_set(ev->a, vals, t->n, &v));
    } else {
        struct ay_kv_vec kv;
        ay_kv_vec_init(&kv, ev->a);
        for (size_t i = 0; i + 1 < t->n; i += 2) {
            TRY(ay_kv_vec_push(&kv, vals[i], vals[i + 1]));
        }
        ay_err e = ay_kv_vec_object(&kv, true, &v);
        if (e == AY_ERR_CONFLICT) {
            return FAIL(ev->diag, AY_ERR_POLICY_EVAL,
                        "%s:%u: eval_conflict_error: object keys must be unique", ev->mod, t->line);
        }
        TRY(e);
    }
    return VCALL(x->k, v);
}

/* ---- comprehensions ---- */

struct comp_k {
    struct bk base;
    struct vk headk;
    struct vk head2k;
    struct frame *f;
    const struct ay_rego_term *t;
    struct ay_val_vec vec;
    struct ay_kv_vec kv;
    struct ay_val key;
};

static ay_err comp_head2(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    struct comp_k *x = (struct comp_k *)(void *)((char *)k - offsetof(struct comp_k, head2k));
    for (size_t i = 0; i < x->kv.n; i++) {
        if (ay_val_equal(x->kv.pairs[i].k, x->key)) {
            if (!ay_val_equal(x->kv.pairs[i].v, v)) {
                return FAIL(ev->diag, AY_ERR_POLICY_EVAL,
                            "%s:%u: eval_conflict_error: object keys must be unique", ev->mod,
                            x->t->line);
            }
            return AY_OK;
        }
    }
    return ay_kv_vec_push(&x->kv, x->key, v);
}

static ay_err comp_head(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    struct comp_k *x = (struct comp_k *)(void *)((char *)k - offsetof(struct comp_k, headk));
    if (x->t->kind == AY_RT_OCOMP) {
        x->key = v;
        return eval_term(ev, x->f, x->t->head2, &x->head2k);
    }
    return ay_val_vec_push(&x->vec, v);
}

static ay_err comp_row(struct ay_rego_eval *ev, struct bk *k)
{
    struct comp_k *x = (struct comp_k *)k;
    return eval_term(ev, x->f, x->t->head, &x->headk);
}

static ay_err eval_comp(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *t,
                        struct vk *k)
{
    struct comp_k x;
    memset(&x, 0, sizeof x);
    x.base.fn = comp_row;
    x.headk.fn = comp_head;
    x.head2k.fn = comp_head2;
    x.f = f;
    x.t = t;
    ay_val_vec_init(&x.vec, ev->a);
    ay_kv_vec_init(&x.kv, ev->a);
    TRY(eval_body(ev, f, t->body, 0, &x.base));
    struct ay_val v;
    if (t->kind == AY_RT_ACOMP) {
        v = ay_val_vec_array(&x.vec);
    } else if (t->kind == AY_RT_SCOMP) {
        v = ay_val_vec_set(&x.vec);
    } else {
        TRY(ay_kv_vec_object(&x.kv, false, &v));
    }
    return VCALL(k, v);
}

/* ---- refs ---- */

static struct ay_val lookup(struct ay_val cur, struct ay_val key)
{
    if (cur.kind == AY_V_OBJ) {
        const struct ay_val *v = ay_val_obj_get(cur, key);
        return v ? *v : ay_val_undef();
    }
    if (cur.kind == AY_V_ARR) {
        int64_t i;
        if (key.kind == AY_V_NUM && ay_val_to_i64(key, &i) && i >= 0 && i < (int64_t)cur.len) {
            return cur.u.items[i];
        }
        return ay_val_undef();
    }
    if (cur.kind == AY_V_SET) {
        return ay_val_set_has(cur, key) ? key : ay_val_undef();
    }
    return ay_val_undef();
}

static ay_err walk_val(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *t,
                       size_t i, struct ay_val cur, struct vk *k);

struct walkv_k {
    struct vk base;
    struct frame *f;
    const struct ay_rego_term *t;
    size_t i;
    struct ay_val cur;
    struct vk *k;
};

/* OPA: an integer key into the data tree (base documents are JSON: their keys are strings)
 * selects the key of the same text (data[2] is data["2"]). Other keys are left as they are. */
static ay_err data_int_key(struct ay_rego_eval *ev, struct ay_val *key)
{
    int64_t iv;
    if (key->kind != AY_V_NUM || !ay_val_num_is_int(*key) || !ay_val_to_i64(*key, &iv)) {
        return AY_OK;
    }
    char buf[24];
    int len = snprintf(buf, sizeof buf, "%lld", (long long)iv);
    return ay_val_str(ev->a, buf, (size_t)len, key);
}

static ay_err walkv_key(struct ay_rego_eval *ev, struct vk *k, struct ay_val key)
{
    struct walkv_k *x = (struct walkv_k *)k;
    struct ay_val v = lookup(x->cur, key);
    if (v.kind == AY_V_UNDEF && key.kind == AY_V_NUM && x->cur.kind == AY_V_OBJ &&
        x->t->items[0]->kind == AY_RT_VAR && x->t->items[0]->glob == AY_RG_DATA) {
        TRY(data_int_key(ev, &key));
        v = lookup(x->cur, key);
    }
    if (v.kind == AY_V_UNDEF) {
        return AY_OK;
    }
    return walk_val(ev, x->f, x->t, x->i + 1, v, x->k);
}

struct walkp_k {
    struct bk base;
    struct frame *f;
    const struct ay_rego_term *t;
    size_t i;
    struct ay_val v;
    struct vk *k;
};

static ay_err walkp_next(struct ay_rego_eval *ev, struct bk *k)
{
    struct walkp_k *x = (struct walkp_k *)k;
    return walk_val(ev, x->f, x->t, x->i + 1, x->v, x->k);
}

/* A ref element that is an array/object pattern with unbound variables: unify it with every
 * key of cur (data.s[[1, x]]). */
static ay_err walk_pattern(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *t,
                           size_t i, struct ay_val cur, struct vk *k)
{
    if (!ay_val_is_coll(cur)) {
        return AY_OK;
    }
    for (uint32_t j = 0; j < cur.len; j++) {
        TRY(step(ev));
        struct ay_val key;
        struct ay_val v;
        ay_val_coll_at(cur, j, &key, &v);
        struct walkp_k x = {{walkp_next}, f, t, i, v, k};
        TRY(unify_tv(ev, f, t->items[i], key, &x.base));
    }
    return AY_OK;
}

static ay_err walk_val(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *t,
                       size_t i, struct ay_val cur, struct vk *k)
{
    if (i == t->n) {
        return VCALL(k, cur);
    }
    const struct ay_rego_term *e = t->items[i];
    if (is_free(f, e)) {
        int32_t s = e->slot;
        if (!ay_val_is_coll(cur)) {
            return AY_OK;
        }
        for (uint32_t j = 0; j < cur.len; j++) {
            TRY(step(ev));
            struct ay_val key;
            struct ay_val v;
            ay_val_coll_at(cur, j, &key, &v);
            f->s[s] = key;
            ay_err r = walk_val(ev, f, t, i + 1, v, k);
            f->s[s] = ay_val_undef();
            TRY(r);
        }
        return AY_OK;
    }
    if ((e->kind == AY_RT_ARR || e->kind == AY_RT_OBJ) && bindable(f, e)) {
        return walk_pattern(ev, f, t, i, cur, k);
    }
    struct walkv_k x = {{walkv_key}, f, t, i, cur, k};
    return eval_term(ev, f, e, &x.base);
}

static const struct wover *data_override(const struct ay_rego_eval *ev, size_t d)
{
    for (size_t w = ev->nwith; w-- > 0;) {
        const struct wover *o = &ev->with[w];
        if (o->kind != 1 || o->npath != d) {
            continue;
        }
        bool eq = true;
        for (size_t j = 0; j < d && eq; j++) {
            eq = strcmp(o->path[j], ev->dpath[j]) == 0;
        }
        if (eq) {
            return o;
        }
    }
    return NULL;
}

/* `with data.<p> as x` where <p> goes below the virtual document at dpath[0..d): x is set
 * inside the rule's value (the outermost scope first, so inner scopes win). */
static ay_err over_below(struct ay_rego_eval *ev, size_t d, struct ay_val *v)
{
    for (size_t w = 0; w < ev->nwith; w++) {
        const struct wover *o = &ev->with[w];
        if (o->kind != 1 || o->npath <= d) {
            continue;
        }
        bool eq = true;
        for (size_t j = 0; j < d && eq; j++) {
            eq = strcmp(o->path[j], ev->dpath[j]) == 0;
        }
        if (eq) {
            TRY(upsert(ev, *v, o->path + d, o->npath - d, o->v, v));
        }
    }
    return AY_OK;
}

/* Depth of the values of a general ref head node's rules in its object (the shortest key). */
static size_t gen_leaf_depth(const struct ay_rego_node *n)
{
    size_t leaf = SIZE_MAX;
    if (n->kind != AY_RR_GEN) {
        return leaf;
    }
    for (size_t i = 0; i < n->nrules; i++) {
        const struct ay_rego_term *key = n->rules[i]->key;
        if (key != NULL && key->kind == AY_RT_ARR && key->n < leaf) {
            leaf = key->n;
        }
    }
    return leaf;
}

/* The whole document at a data node (base data merged with virtual documents). */
static ay_err build_doc(struct ay_rego_eval *ev, const struct ay_rego_node *n, struct ay_val base,
                        size_t d, struct ay_val *out)
{
    if (d > 0) {
        const struct wover *o = data_override(ev, d);
        if (o != NULL) {
            *out = o->v;
            return AY_OK;
        }
    }
    if (n == NULL) {
        *out = base;
        return AY_OK;
    }
    if (n->has_rules) {
        if (n->kind == AY_RR_FUNC) {
            *out = ay_val_undef();
            return AY_OK;
        }
        if (base.kind != AY_V_UNDEF && ev->nwith == 0) {
            /* Base data at a rule's path: OPA's data tree returns the base document. (Under
             * `with data...` the base holds the overrides, set into the rule's value below.) */
            *out = base;
            return AY_OK;
        }
        TRY(rule_value(ev, n, out));
        if (ev->nwith > 0) {
            TRY(over_below(ev, d, out));
        }
        if ((n->kind == AY_RR_GEN || n->kind == AY_RR_OBJ) && n->nkids > 0 &&
            d < AY_LIMIT_REGO_DEPTH) {
            /* Rules below a general ref head overlap its object. */
            for (size_t i = 0; i < n->nkids; i++) {
                ev->dpath[d] = n->kids[i]->name;
                struct ay_val kd;
                TRY(build_doc(ev, n->kids[i], ay_val_undef(), d + 1, &kd));
                if (kd.kind == AY_V_UNDEF) {
                    continue;
                }
                struct ay_kv one = {ay_val_str_static(n->kids[i]->name), kd};
                struct ay_val ov;
                TRY(ay_val_object(ev->a, &one, 1, false, &ov));
                TRY(merge_docs_at(ev, n, *out, ov, 0, gen_leaf_depth(n), out));
            }
        }
        return AY_OK;
    }
    struct ay_kv_vec kv;
    ay_kv_vec_init(&kv, ev->a);
    if (base.kind == AY_V_OBJ) {
        for (uint32_t i = 0; i < base.len; i++) {
            struct ay_val k = base.u.pairs[i].k;
            if (k.kind == AY_V_STR && ay_rego_node_kid(n, k.u.s, k.len) != NULL) {
                continue;
            }
            TRY(ay_kv_vec_push(&kv, k, base.u.pairs[i].v));
        }
    }
    for (size_t i = 0; i < n->nkids; i++) {
        const struct ay_rego_node *kid = n->kids[i];
        if (d >= AY_LIMIT_REGO_DEPTH) {
            return efail_limit(ev, "data tree too deep");
        }
        ev->dpath[d] = kid->name;
        struct ay_val sub = base.kind == AY_V_OBJ
                                ? lookup(base, ay_val_str_static(kid->name))
                                : ay_val_undef();
        struct ay_val v;
        TRY(build_doc(ev, kid, sub, d + 1, &v));
        if (v.kind != AY_V_UNDEF) {
            TRY(ay_kv_vec_push(&kv, ay_val_str_static(kid->name), v));
        }
    }
    if (kv.n == 0 && base.kind != AY_V_OBJ && n->nkids > 0) {
        /* A package with only undefined rules is still an (empty) object. */
        *out = ay_val_empty(AY_V_OBJ);
        return AY_OK;
    }
    return ay_kv_vec_object(&kv, false, out);
}

static ay_err walk_data(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *t,
                        size_t i, const struct ay_rego_node *n, struct ay_val base,
                        struct vk *k);

struct walkd_k {
    struct vk base;
    struct frame *f;
    const struct ay_rego_term *t;
    size_t i;
    const struct ay_rego_node *n;
    struct ay_val cur;
    struct vk *k;
};

static ay_err walkd_key(struct ay_rego_eval *ev, struct vk *k, struct ay_val key)
{
    struct walkd_k *x = (struct walkd_k *)k;
    if (key.kind == AY_V_NUM && x->cur.kind != AY_V_ARR) {
        TRY(data_int_key(ev, &key));
    }
    if (key.kind != AY_V_STR) {
        struct ay_val v = lookup(x->cur, key);
        if (v.kind == AY_V_UNDEF) {
            return AY_OK;
        }
        return walk_val(ev, x->f, x->t, x->i + 1, v, x->k);
    }
    const struct ay_rego_node *kid = ay_rego_node_kid(x->n, key.u.s, key.len);
    struct ay_val sub = lookup(x->cur, key);
    if (kid == NULL && sub.kind == AY_V_UNDEF) {
        /* `with data...` values are in the base document too, so nothing is here. */
        return AY_OK;
    }
    if (x->i - 1 >= AY_LIMIT_REGO_DEPTH) {
        return efail_limit(ev, "data path too deep");
    }
    ev->dpath[x->i - 1] = key.u.s;
    return walk_data(ev, x->f, x->t, x->i + 1, kid, sub, x->k);
}

/* i: next path element of t; the data path consumed so far is ev->dpath[0 .. i-1). */
static ay_err walk_data(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *t,
                        size_t i, const struct ay_rego_node *n, struct ay_val base, struct vk *k)
{
    if (ev->nwith > 0 && i > 1) {
        const struct wover *o = data_override(ev, i - 1);
        if (o != NULL) {
            return walk_val(ev, f, t, i, o->v, k);
        }
    }
    if (n != NULL && n->has_rules) {
        if (n->kind == AY_RR_FUNC) {
            return AY_OK;
        }
        if (base.kind != AY_V_UNDEF && ev->nwith == 0) {
            return walk_val(ev, f, t, i, base, k); /* as build_doc */
        }
        struct ay_val v;
        if ((n->kind == AY_RR_GEN || n->kind == AY_RR_OBJ) && n->nkids > 0) {
            TRY(build_doc(ev, n, ay_val_undef(), i - 1, &v));
        } else {
            TRY(rule_value(ev, n, &v));
            if (ev->nwith > 0) {
                TRY(over_below(ev, i - 1, &v));
            }
        }
        if (v.kind == AY_V_UNDEF) {
            return AY_OK;
        }
        return walk_val(ev, f, t, i, v, k);
    }
    if (n == NULL) {
        if (base.kind == AY_V_UNDEF) {
            return AY_OK;
        }
        return walk_val(ev, f, t, i, base, k);
    }
    if (i == t->n) {
        struct ay_val v;
        TRY(build_doc(ev, n, base, i - 1, &v));
        if (v.kind == AY_V_UNDEF) {
            return AY_OK;
        }
        return VCALL(k, v);
    }
    const struct ay_rego_term *e = t->items[i];
    if (is_free(f, e) || ((e->kind == AY_RT_ARR || e->kind == AY_RT_OBJ) && bindable(f, e))) {
        /* Iterate the union of virtual children and base keys. */
        struct ay_val doc;
        TRY(build_doc(ev, n, base, i - 1, &doc));
        if (doc.kind == AY_V_UNDEF) {
            return AY_OK;
        }
        return walk_val(ev, f, t, i, doc, k);
    }
    struct walkd_k x = {{walkd_key}, f, t, i, n, base, k};
    return eval_term(ev, f, e, &x.base);
}

static ay_err eval_ref(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *t,
                       struct vk *k)
{
    const struct ay_rego_term *h = t->items[0];
    if (h->kind == AY_RT_VAR && h->glob == AY_RG_DATA) {
        return walk_data(ev, f, t, 1, ev->p->root, ev->data, k);
    }
    if (h->kind == AY_RT_VAR && h->glob == AY_RG_INPUT) {
        if (ev->input.kind == AY_V_UNDEF) {
            return AY_OK;
        }
        return walk_val(ev, f, t, 1, ev->input, k);
    }
    /* Head is a local variable. */
    if (h->slot < 0 || f->s[h->slot].kind == AY_V_UNDEF) {
        return FAIL(ev->diag, AY_ERR_POLICY_EVAL, "%u:%u: rego: var %.*s is unbound", h->line,
                    h->col, (int)h->name_len, h->name);
    }
    return walk_val(ev, f, t, 1, f->s[h->slot], k);
}

/* ---- calls ---- */

struct fn_acc {
    bool has;
    struct ay_val v;
    const struct ay_rego_rule *r;
    const char *what; /* conflict message */
};

struct def_k {
    struct bk base;
    struct vk valk;
    struct frame *f;
    const struct ay_rego_rule *r;
    struct fn_acc *acc;
};

static ay_err acc_add(struct ay_rego_eval *ev, struct fn_acc *acc, const struct ay_rego_rule *r,
                      struct ay_val v)
{
    if (acc->has && !ay_val_equal(acc->v, v)) {
        return FAIL(ev->diag, AY_ERR_POLICY_EVAL, "%s:%u: eval_conflict_error: %s",
                    r->mod->name, r->line, acc->what);
    }
    acc->has = true;
    acc->v = v;
    acc->r = r;
    return AY_OK;
}

static ay_err def_val(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    struct def_k *x = (struct def_k *)(void *)((char *)k - offsetof(struct def_k, valk));
    return acc_add(ev, x->acc, x->r, v);
}

static ay_err def_row(struct ay_rego_eval *ev, struct bk *k)
{
    struct def_k *x = (struct def_k *)k;
    if (x->r->value == NULL && x->r->nargs > 0) {
        return acc_add(ev, x->acc, x->r, ay_val_bool(true));
    }
    if (x->r->nargs == 0 && (x->r->value == NULL || x->r->value->ground)) {
        /* A rule (not a function) with a constant value: further solutions of this body
         * cannot change it, so the body stops at its first solution (regorus's early exit;
         * the Kata prints show it; functions run every solution there). */
        TRY(acc_add(ev, x->acc, x->r, x->r->value ? x->r->value->val : ay_val_bool(true)));
        return EV_HALT;
    }
    return eval_term(ev, x->f, x->r->value, &x->valk);
}

/* Function arguments: unify parameter i with args[i], then the body. */
struct args_k {
    struct bk base;
    struct frame *f;
    const struct ay_rego_rule *r;
    const struct ay_val *args;
    size_t i;
    struct bk *done;
};

static ay_err args_next(struct ay_rego_eval *ev, struct bk *k)
{
    struct args_k *x = (struct args_k *)k;
    if (x->i == x->r->nargs) {
        return KCALL(x->done);
    }
    struct args_k nx = *x;
    nx.i = x->i + 1;
    return unify_tv(ev, x->f, x->r->args[x->i], x->args[x->i], &nx.base);
}

static ay_err eval_def_inner(struct ay_rego_eval *ev, const struct ay_rego_rule *r,
                             const struct ay_val *args, struct fn_acc *out);

/* One definition with its else chain; args NULL for rules. */
static ay_err eval_def(struct ay_rego_eval *ev, const struct ay_rego_rule *r,
                       const struct ay_val *args, struct fn_acc *out)
{
    const char *saved_mod = ev->mod;
    const struct ay_rego_rule *saved_rule = ev->rule;
    ev->mod = r->mod->name;
    ev->rule = r;
    ay_err err = eval_def_inner(ev, r, args, out);
    ev->mod = saved_mod;
    ev->rule = saved_rule;
    return err;
}

const struct ay_rego_rule *ay_rego_eval_current_rule(const void *eval)
{
    return eval != NULL ? ((const struct ay_rego_eval *)eval)->rule : NULL;
}

static ay_err eval_def_inner(struct ay_rego_eval *ev, const struct ay_rego_rule *r,
                             const struct ay_val *args, struct fn_acc *out)
{
    for (const struct ay_rego_rule *e = r; e != NULL; e = e->els) {
        struct frame f;
        TRY(new_frame(ev, e->nslots, &f));
        struct fn_acc acc = {false, ay_val_undef(), NULL, out->what};
        struct def_k dk = {{def_row}, {def_val}, &f, e, &acc};
        ay_err err;
        if (args != NULL) {
            struct body_k bk = {{body_next}, &f, e->body, 0, &dk.base};
            struct args_k ak = {{args_next}, &f, e, args, 0, &bk.base};
            err = args_next(ev, &ak.base);
        } else {
            err = eval_body(ev, &f, e->body, 0, &dk.base);
        }
        if (err != EV_HALT) {
            TRY(err);
        }
        if (acc.has) {
            return acc_add(ev, out, acc.r, acc.v);
        }
    }
    return AY_OK;
}

static ay_err call_user(struct ay_rego_eval *ev, const struct ay_rego_node *n,
                        const struct ay_val *args, struct ay_val *out)
{
    if (++ev->depth > AY_LIMIT_REGO_DEPTH) {
        return efail_limit(ev, "call depth exceeded (recursion?)");
    }
    struct fn_acc acc = {false, ay_val_undef(), NULL,
                         "functions must not produce multiple outputs for same inputs"};
    for (size_t i = 0; i < n->nrules; i++) {
        TRY(eval_def(ev, n->rules[i], args, &acc));
    }
    if (!acc.has && n->dflt != NULL) {
        TRY(eval_def(ev, n->dflt, args, &acc));
    }
    ev->depth--;
    *out = acc.has ? acc.v : ay_val_undef();
    return AY_OK;
}

static ay_err call_host(struct ay_rego_eval *ev, const struct ay_rego_host *h,
                        const struct ay_val *args, size_t n, struct ay_val *out)
{
    const char *jargs[16];
    if (n > 16) {
        return FAIL(ev->diag, AY_ERR_UNSUPPORTED, "rego: host builtin %s: too many arguments",
                    h->name);
    }
    for (size_t i = 0; i < n; i++) {
        struct ay_buf b;
        ay_buf_init(&b, ev->a, AY_LIMIT_RESPONSE);
        ay_val_write_json(&b, args[i]);
        TRY(ay_buf_finish(&b));
        jargs[i] = b.ptr ? b.ptr : "null";
    }
    struct ay_buf ob;
    ay_buf_init(&ob, ev->a, AY_LIMIT_RESPONSE);
    struct ay_diag hd;
    ay_diag_clear(&hd);
    ay_err e = h->fn(h->arg, jargs, n, &ob, &hd);
    if (e == AY_ERR_NOT_FOUND) {
        *out = ay_val_undef();
        return AY_OK;
    }
    if (e != AY_OK) {
        if (!ev->strict) {
            *out = ay_val_undef();
            return AY_OK;
        }
        return FAIL(ev->diag, AY_ERR_POLICY_EVAL, "%s: %s", h->name, ay_diag_message(&hd));
    }
    TRY(ay_buf_finish(&ob));
    e = ay_val_parse_json(ev->a, ob.ptr ? ob.ptr : "", ob.len, 0, &hd, out);
    if (e != AY_OK) {
        return FAIL(ev->diag, AY_ERR_POLICY_EVAL, "%s: result is not JSON: %s", h->name,
                    ay_diag_message(&hd));
    }
    return AY_OK;
}

/* walk(x): yields [path, value] for every node, pre-order. */
static ay_err walk_gen(struct ay_rego_eval *ev, struct ay_val v, struct ay_val_vec *path,
                       struct vk *k)
{
    TRY(step(ev));
    struct ay_val p;
    TRY(ay_val_array(ev->a, path->items, path->n, &p));
    struct ay_val pair[2] = {p, v};
    struct ay_val out;
    TRY(ay_val_array(ev->a, pair, 2, &out));
    TRY(VCALL(k, out));
    for (uint32_t i = 0; i < v.len && ay_val_is_coll(v); i++) {
        struct ay_val key;
        struct ay_val sub;
        ay_val_coll_at(v, i, &key, &sub);
        TRY(ay_val_vec_push(path, key));
        ay_err e = walk_gen(ev, sub, path, k);
        path->n--;
        TRY(e);
    }
    return AY_OK;
}

struct first_k {
    struct vk base;
    struct ay_val v;
};

static ay_err first_got(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    (void)ev;
    ((struct first_k *)k)->v = v;
    return EV_HALT;
}

static ay_err eval_print(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *t)
{
    struct ay_buf b;
    ay_buf_init(&b, ev->a, AY_LIMIT_RESPONSE);
    for (size_t i = 0; i < t->n; i++) {
        struct first_k fk = {{first_got}, ay_val_undef()};
        ay_err e = eval_term(ev, f, t->items[i], &fk.base);
        if (e != AY_OK && e != EV_HALT) {
            return e;
        }
        if (i > 0) {
            ay_buf_putc(&b, ' ');
        }
        if (fk.v.kind == AY_V_UNDEF) {
            ay_buf_puts(&b, "<undefined>");
        } else if (fk.v.kind == AY_V_STR) {
            ay_buf_put(&b, fk.v.u.s, fk.v.len);
        } else {
            ay_val_write_term(&b, fk.v);
        }
    }
    TRY(ay_buf_finish(&b));
    if (ev->print != NULL) {
        ev->print(ev->print_arg, b.ptr ? b.ptr : "", b.len);
    }
    return AY_OK;
}

struct call_k {
    struct lk base;
    struct bk outk;
    struct frame *f;
    const struct ay_rego_term *t;
    struct vk *k;
};

static ay_err call_out_done(struct ay_rego_eval *ev, struct bk *k)
{
    struct call_k *x = (struct call_k *)(void *)((char *)k - offsetof(struct call_k, outk));
    return VCALL(x->k, ay_val_bool(true));
}

static ay_err call_result(struct ay_rego_eval *ev, struct call_k *x, struct ay_val r)
{
    if (r.kind == AY_V_UNDEF) {
        return AY_OK;
    }
    if (x->t->out_arg) {
        return unify_tv(ev, x->f, x->t->items[x->t->n - 1], r, &x->outk);
    }
    return VCALL(x->k, r);
}

struct walkout_k {
    struct vk base;
    struct call_k *x;
};

static ay_err walk_out(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    return call_result(ev, ((struct walkout_k *)k)->x, v);
}

static struct wover *find_mock(const struct ay_rego_eval *ev,
                                           const struct ay_rego_node *fn,
                                           const struct ay_rego_bi *bi, int32_t host,
                                           struct ay_val *v)
{
    for (size_t i = ev->nwith; i-- > 0;) {
        struct wover *o = &ev->with[i];
        if (o->kind != 2) {
            continue;
        }
        const struct ay_rego_with *w = o->w;
        if ((fn != NULL && w->tfn == fn) ||
            (bi != NULL && w->tbi != NULL && strcmp(w->tbi->name, bi->name) == 0) ||
            (host >= 0 && w->thost == host)) {
            *v = o->v;
            return o;
        }
    }
    return NULL;
}

static ay_err call_bi(struct ay_rego_eval *ev, const struct ay_rego_term *t,
                      const struct ay_rego_bi *bi, const struct ay_val *vals, size_t nargs,
                      struct ay_val *r, bool *failed)
{
    struct ay_rego_bctx bc = {ev->a, &ev->bdiag, ev->now_ns, bi->name, ev};
    ay_diag_clear(&ev->bdiag);
    *failed = false;
    ev->bi_type_err = false;
    struct ay_val args = ay_val_undef();
    if (bi->flags & AY_REGO_BI_NONDET) {
        TRY(ay_val_array(ev->a, vals, nargs, &args));
        for (const struct ndmemo *m = ev->ndmemo; m != NULL; m = m->next) {
            if (m->bi == bi && ay_val_equal(m->args, args)) {
                *r = m->r;
                return AY_OK;
            }
        }
    }
    ay_err e = bi->fn(&bc, vals, nargs, r);
    if (e == AY_OK && args.kind != AY_V_UNDEF) {
        struct ndmemo *m;
        TRY(ay_arena_alloc(ev->a, sizeof *m, (void **)&m));
        *m = (struct ndmemo){bi, args, *r, ev->ndmemo};
        ev->ndmemo = m;
    }
    if (e == AY_ERR_POLICY_EVAL) {
        *failed = true;
        if (!ev->strict) {
            return AY_OK; /* builtin errors make the expression undefined (OPA default) */
        }
        /* OPA's codes: type errors (ay_rego_bi_type_fail, ay_rego_bu_type_fail) are
         * eval_type_error, the rest eval_builtin_error. */
        const char *msg = ay_diag_message(&ev->bdiag);
        bool type = ev->bi_type_err;
        return FAIL(ev->diag, AY_ERR_POLICY_EVAL, "%s:%u: %s: %s", ev->mod, t->line,
                    type ? "eval_type_error" : "eval_builtin_error", msg);
    }
    if (e != AY_OK && ev->bdiag.code != AY_OK) {
        return FAIL(ev->diag, e, "%s", ay_diag_message(&ev->bdiag));
    }
    return e;
}

static ay_err call_args(struct ay_rego_eval *ev, struct lk *lk, const struct ay_val *vals)
{
    struct call_k *x = (struct call_k *)lk;
    const struct ay_rego_term *t = x->t;
    size_t nargs = t->out_arg ? t->n - 1 : t->n;
    struct ay_val r = ay_val_undef();
    if (ev->nwith > 0) {
        struct ay_val mv;
        struct wover *o = find_mock(ev, t->fn, t->bi, t->host, &mv);
        if (o != NULL) {
            const struct ay_rego_with *w = o->w;
            if (w->rfn != NULL) {
                /* The replacement may call the original: mocks are off inside it (OPA: a mock
                 * never calls another mock). */
                for (size_t i = 0; i < ev->nwith; i++) {
                    if (ev->with[i].kind == 2) {
                        ev->with[i].kind = 3;
                    }
                }
                size_t nw = ev->nwith;
                ay_err e = call_user(ev, w->rfn, vals, &r);
                for (size_t i = 0; i < nw; i++) {
                    if (ev->with[i].kind == 3) {
                        ev->with[i].kind = 2;
                    }
                }
                TRY(e);
            } else if (w->rbi != NULL) {
                bool failed;
                TRY(call_bi(ev, t, w->rbi, vals, nargs, &r, &failed));
                if (failed) {
                    return AY_OK;
                }
            } else if (w->rhost >= 0) {
                TRY(call_host(ev, &ev->p->host->v[w->rhost], vals, nargs, &r));
            } else {
                r = mv;
            }
            return call_result(ev, x, r);
        }
    }
    if (t->fn != NULL) {
        TRY(call_user(ev, t->fn, vals, &r));
        return call_result(ev, x, r);
    }
    if (t->host >= 0) {
        TRY(call_host(ev, &ev->p->host->v[t->host], vals, nargs, &r));
        return call_result(ev, x, r);
    }
    const struct ay_rego_bi *bi = t->bi;
    if (bi->name[0] == 'w' && strcmp(bi->name, "walk") == 0) {
        struct ay_val_vec path;
        ay_val_vec_init(&path, ev->a);
        struct walkout_k wk = {{walk_out}, x};
        return walk_gen(ev, vals[0], &path, &wk.base);
    }
    bool failed;
    TRY(call_bi(ev, t, bi, vals, nargs, &r, &failed));
    if (failed) {
        return AY_OK;
    }
    return call_result(ev, x, r);
}

static ay_err eval_call(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *t,
                        struct vk *k)
{
    if (t->bi != NULL && t->bi->name[0] == 'p' && strcmp(t->bi->name, "print") == 0) {
        TRY(eval_print(ev, f, t));
        return VCALL(k, ay_val_bool(true));
    }
    struct call_k x = {{call_args}, {call_out_done}, f, t, k};
    size_t nargs = t->out_arg ? t->n - 1 : t->n;
    return eval_items(ev, f, t->items, nargs, &x.base);
}

/* ---- terms ---- */

struct headk {
    struct vk base;
    struct frame *f;
    const struct ay_rego_term *t;
    struct vk *k;
};

static ay_err ref_head_got(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    struct headk *x = (struct headk *)k;
    return walk_val(ev, x->f, x->t, 1, v, x->k);
}

static ay_err eval_term(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *t,
                        struct vk *k)
{
    if (t->ground) {
        return VCALL(k, t->val);
    }
    TRY(step(ev));
    switch ((enum ay_rego_term_kind)t->kind) {
    case AY_RT_VAL:
        return VCALL(k, t->val);
    case AY_RT_VAR:
        if (t->glob == AY_RG_INPUT) {
            return ev->input.kind == AY_V_UNDEF ? AY_OK : VCALL(k, ev->input);
        }
        if (t->glob == AY_RG_DATA) {
            struct ay_val d;
            TRY(build_doc(ev, ev->p->root, ev->data, 0, &d));
            return VCALL(k, d);
        }
        if (t->slot < 0 || f->s[t->slot].kind == AY_V_UNDEF) {
            return FAIL(ev->diag, AY_ERR_POLICY_EVAL, "%u:%u: rego: var %.*s is unbound", t->line,
                        t->col, (int)t->name_len, t->name);
        }
        return VCALL(k, f->s[t->slot]);
    case AY_RT_REF: {
        const struct ay_rego_term *h = t->items[0];
        if (h->kind == AY_RT_VAR) {
            return eval_ref(ev, f, t, k);
        }
        struct headk x = {{ref_head_got}, f, t, k};
        return eval_term(ev, f, h, &x.base);
    }
    case AY_RT_ARR:
    case AY_RT_SET:
    case AY_RT_OBJ: {
        struct coll_k x = {{coll_done}, t, k};
        return eval_items(ev, f, t->items, t->n, &x.base);
    }
    case AY_RT_CALL:
        return eval_call(ev, f, t, k);
    case AY_RT_ACOMP:
    case AY_RT_SCOMP:
    case AY_RT_OCOMP:
        return eval_comp(ev, f, t, k);
    }
    return AY_OK;
}

/* ---- unification ---- */

struct cmp_k {
    struct vk base;
    struct ay_val want;
    struct bk *k;
};

static ay_err cmp_got(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    struct cmp_k *x = (struct cmp_k *)k;
    if (!ay_val_equal(v, x->want)) {
        return AY_OK;
    }
    return KCALL(x->k);
}

struct seq_k {
    struct bk base;
    struct frame *f;
    const struct ay_rego_term *t; /* pattern ARR / OBJ */
    struct ay_val v;
    size_t i;
    struct bk *k;
};

static ay_err unify_seq(struct ay_rego_eval *ev, struct bk *k);

struct objkey_k {
    struct vk base;
    struct seq_k *s;
};

static ay_err objkey_got(struct ay_rego_eval *ev, struct vk *k, struct ay_val key)
{
    struct seq_k *s = ((struct objkey_k *)k)->s;
    struct ay_val v = lookup(s->v, key);
    if (v.kind == AY_V_UNDEF) {
        return AY_OK;
    }
    struct seq_k ns = *s;
    ns.i = s->i + 2;
    return unify_tv(ev, s->f, s->t->items[s->i + 1], v, &ns.base);
}

static ay_err unify_seq(struct ay_rego_eval *ev, struct bk *k)
{
    struct seq_k *s = (struct seq_k *)k;
    if (s->i >= s->t->n) {
        return KCALL(s->k);
    }
    if (s->t->kind == AY_RT_ARR) {
        struct seq_k ns = *s;
        ns.i = s->i + 1;
        return unify_tv(ev, s->f, s->t->items[s->i], s->v.u.items[s->i], &ns.base);
    }
    struct objkey_k ok = {{objkey_got}, s};
    return eval_term(ev, s->f, s->t->items[s->i], &ok.base);
}

static ay_err unify_tv(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *t,
                       struct ay_val v, struct bk *k)
{
    if (t->kind == AY_RT_VAR && t->slot >= 0) {
        if (t->wildcard) {
            return KCALL(k);
        }
        struct ay_val *s = &f->s[t->slot];
        if (s->kind == AY_V_UNDEF) {
            *s = v;
            ay_err e = KCALL(k);
            *s = ay_val_undef();
            return e;
        }
        return ay_val_equal(*s, v) ? KCALL(k) : AY_OK;
    }
    if (!t->ground && t->kind == AY_RT_ARR && bindable(f, t)) {
        if (v.kind != AY_V_ARR || v.len != t->n) {
            return AY_OK;
        }
        struct seq_k s = {{unify_seq}, f, t, v, 0, k};
        return unify_seq(ev, &s.base);
    }
    if (!t->ground && t->kind == AY_RT_OBJ && bindable(f, t)) {
        if (v.kind != AY_V_OBJ || v.len * 2 != t->n) {
            return AY_OK;
        }
        struct seq_k s = {{unify_seq}, f, t, v, 0, k};
        return unify_seq(ev, &s.base);
    }
    struct cmp_k x = {{cmp_got}, v, k};
    return eval_term(ev, f, t, &x.base);
}

struct utt_k {
    struct vk base;
    struct frame *f;
    const struct ay_rego_term *pat;
    struct bk *k;
};

static ay_err utt_got(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    struct utt_k *x = (struct utt_k *)k;
    return unify_tv(ev, x->f, x->pat, v, x->k);
}

struct pair_k {
    struct bk base;
    struct frame *f;
    struct ay_rego_term *const *a;
    struct ay_rego_term *const *b;
    size_t n;
    size_t i;
    struct bk *k;
};

static ay_err unify_tt(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *a,
                       const struct ay_rego_term *b, struct bk *k);

static ay_err pair_next(struct ay_rego_eval *ev, struct bk *k)
{
    struct pair_k *x = (struct pair_k *)k;
    if (x->i == x->n) {
        return KCALL(x->k);
    }
    struct pair_k nx = *x;
    nx.i = x->i + 1;
    return unify_tt(ev, x->f, x->a[x->i], x->b[x->i], &nx.base);
}

static ay_err unify_tt(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_term *a,
                       const struct ay_rego_term *b, struct bk *k)
{
    bool ba = bindable(f, a);
    bool bb = bindable(f, b);
    if (ba && bb && a->kind == AY_RT_ARR && b->kind == AY_RT_ARR) {
        if (a->n != b->n) {
            return AY_OK;
        }
        struct pair_k x = {{pair_next}, f, a->items, b->items, a->n, 0, k};
        return pair_next(ev, &x.base);
    }
    if (ba && bb && a->kind == AY_RT_OBJ && b->kind == AY_RT_OBJ) {
        /* Both objects with variables: pair the values by (ground) key. */
        if (a->n != b->n) {
            return AY_OK;
        }
        size_t np = a->n / 2;
        struct ay_rego_term **av;
        struct ay_rego_term **bv;
        TRY(ay_arena_array(ev->a, np + 1, sizeof *av, (void **)&av));
        TRY(ay_arena_array(ev->a, np + 1, sizeof *bv, (void **)&bv));
        for (size_t i = 0; i < np; i++) {
            const struct ay_rego_term *ka = a->items[2 * i];
            struct ay_rego_term *m = NULL;
            for (size_t j = 0; j < np && m == NULL; j++) {
                const struct ay_rego_term *kb = b->items[2 * j];
                if (ka->ground && kb->ground && ay_val_equal(ka->val, kb->val)) {
                    m = b->items[2 * j + 1];
                }
            }
            if (m == NULL) {
                return AY_OK;
            }
            av[i] = a->items[2 * i + 1];
            bv[i] = m;
        }
        struct pair_k x = {{pair_next}, f, av, bv, np, 0, k};
        return pair_next(ev, &x.base);
    }
    if (ba) {
        struct utt_k x = {{utt_got}, f, a, k};
        return eval_term(ev, f, b, &x.base);
    }
    struct utt_k x = {{utt_got}, f, b, k};
    return eval_term(ev, f, a, &x.base);
}

/* ---- expressions ---- */

struct term_k {
    struct vk base;
    const struct ay_rego_expr *e;
    struct bk *k;
};

static ay_err term_got(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    struct term_k *x = (struct term_k *)k;
    if (!ay_val_truthy(v)) {
        return AY_OK;
    }
    if (x->e->qslot >= 0 && ev->qvals != NULL) {
        ev->qvals[x->e->qslot] = v;
    }
    return KCALL(x->k);
}

struct somein_k {
    struct vk base;
    struct bk keyk;
    struct frame *f;
    const struct ay_rego_expr *e;
    struct ay_val key;
    struct bk *k;
};

static ay_err somein_key(struct ay_rego_eval *ev, struct bk *k)
{
    struct somein_k *x = (struct somein_k *)(void *)((char *)k - offsetof(struct somein_k, keyk));
    if (x->e->a == NULL) {
        return KCALL(x->k);
    }
    return unify_tv(ev, x->f, x->e->a, x->key, x->k);
}

static ay_err somein_coll(struct ay_rego_eval *ev, struct vk *k, struct ay_val c)
{
    struct somein_k *x = (struct somein_k *)k;
    if (!ay_val_is_coll(c)) {
        return AY_OK;
    }
    for (uint32_t i = 0; i < c.len; i++) {
        TRY(step(ev));
        struct ay_val v;
        ay_val_coll_at(c, i, &x->key, &v);
        TRY(unify_tv(ev, x->f, x->e->b, v, &x->keyk));
    }
    return AY_OK;
}

static ay_err halt_bk(struct ay_rego_eval *ev, struct bk *k)
{
    (void)ev;
    (void)k;
    return EV_HALT;
}

/* true if the body has a solution (bindings undone). */
static ay_err body_any(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_body *b,
                       bool *found)
{
    struct bk h = {halt_bk};
    ay_err e = eval_body(ev, f, b, 0, &h);
    *found = e == EV_HALT;
    return e == EV_HALT ? AY_OK : e;
}

struct every_k {
    struct vk base;
    struct frame *f;
    const struct ay_rego_expr *e;
    struct bk *k;
};

struct every_elem_k {
    struct bk base;
    struct every_k *x;
    struct ay_val key;
    bool ok;
};

static ay_err every_bound_key(struct ay_rego_eval *ev, struct bk *k)
{
    struct every_elem_k *y = (struct every_elem_k *)k;
    TRY(body_any(ev, y->x->f, y->x->e->body, &y->ok));
    return AY_OK;
}

static ay_err every_bound_val(struct ay_rego_eval *ev, struct bk *k)
{
    struct every_elem_k *y = (struct every_elem_k *)k;
    if (y->x->e->a == NULL) {
        return every_bound_key(ev, k);
    }
    struct every_elem_k z = *y;
    z.base.fn = every_bound_key;
    ay_err e = unify_tv(ev, y->x->f, y->x->e->a, y->key, &z.base);
    y->ok = z.ok;
    return e;
}

static ay_err every_dom(struct ay_rego_eval *ev, struct vk *k, struct ay_val c)
{
    struct every_k *x = (struct every_k *)k;
    /* every over a non-collection is false (OPA: the domain must be iterable). */
    if (!ay_val_is_coll(c)) {
        return AY_OK;
    }
    for (uint32_t i = 0; i < c.len; i++) {
        TRY(step(ev));
        struct ay_val v;
        struct ay_val key;
        ay_val_coll_at(c, i, &key, &v);
        struct every_elem_k y = {{every_bound_val}, x, key, false};
        TRY(unify_tv(ev, x->f, x->e->b, v, &y.base));
        if (!y.ok) {
            return AY_OK;
        }
    }
    return KCALL(x->k);
}

static ay_err eval_expr_inner(struct ay_rego_eval *ev, struct frame *f,
                              const struct ay_rego_expr *e, struct bk *k)
{
    switch ((enum ay_rego_expr_kind)e->kind) {
    case AY_RE_TERM: {
        struct term_k x = {{term_got}, e, k};
        return eval_term(ev, f, e->a, &x.base);
    }
    case AY_RE_UNIFY:
    case AY_RE_ASSIGN:
        return unify_tt(ev, f, e->a, e->b, k);
    case AY_RE_SOME:
        return KCALL(k);
    case AY_RE_SOME_IN: {
        struct somein_k x = {{somein_coll}, {somein_key}, f, e, ay_val_undef(), k};
        return eval_term(ev, f, e->c, &x.base);
    }
    case AY_RE_EVERY: {
        struct every_k x = {{every_dom}, f, e, k};
        return eval_term(ev, f, e->c, &x.base);
    }
    case AY_RE_NOT: {
        struct bk h = {halt_bk};
        ay_err r = eval_expr_inner(ev, f, e->sub, &h);
        if (r == EV_HALT) {
            return AY_OK;
        }
        TRY(r);
        return KCALL(k);
    }
    }
    return AY_OK;
}

/* ---- with ---- */

/* Returns v with path[0..n) set to x (objects created as needed). */
static ay_err upsert(struct ay_rego_eval *ev, struct ay_val v, const char *const *path, size_t n,
                     struct ay_val x, struct ay_val *out)
{
    if (n == 0) {
        *out = x;
        return AY_OK;
    }
    struct ay_kv_vec kv;
    ay_kv_vec_init(&kv, ev->a);
    struct ay_val key = ay_val_str_static(path[0]);
    struct ay_val sub = ay_val_undef();
    if (v.kind == AY_V_OBJ) {
        for (uint32_t i = 0; i < v.len; i++) {
            if (ay_val_equal(v.u.pairs[i].k, key)) {
                sub = v.u.pairs[i].v;
            } else {
                TRY(ay_kv_vec_push(&kv, v.u.pairs[i].k, v.u.pairs[i].v));
            }
        }
    }
    struct ay_val nv;
    TRY(upsert(ev, sub, path + 1, n - 1, x, &nv));
    TRY(ay_kv_vec_push(&kv, key, nv));
    return ay_kv_vec_object(&kv, false, out);
}

/* What a `with` scope changes: restored when the continuation runs outside the scope. */
struct with_state {
    struct ay_val input;
    struct ay_val data;
    size_t nwith;
    uint32_t wdepth;
};

struct with_k {
    struct bk base;
    struct with_state saved;
    struct with_state inner;
    struct bk *k;
};

static struct with_state with_get(const struct ay_rego_eval *ev)
{
    struct with_state s = {ev->input, ev->data, ev->nwith, ev->wdepth};
    return s;
}

static void with_set(struct ay_rego_eval *ev, const struct with_state *s)
{
    ev->input = s->input;
    ev->data = s->data;
    ev->nwith = s->nwith;
    ev->wdepth = s->wdepth;
}

static ay_err with_cont(struct ay_rego_eval *ev, struct bk *k)
{
    struct with_k *x = (struct with_k *)k;
    with_set(ev, &x->saved);
    ay_err e = KCALL(x->k);
    with_set(ev, &x->inner);
    return e;
}

static ay_err with_path(struct ay_rego_eval *ev, const struct ay_rego_term *tg, const char ***out,
                        size_t *out_n)
{
    size_t n = tg->kind == AY_RT_REF ? tg->n - 1 : 0;
    const char **p = NULL;
    if (n > 0) {
        TRY(ay_arena_array(ev->a, n, sizeof *p, (void **)&p));
    }
    for (size_t i = 0; i < n; i++) {
        const struct ay_rego_term *e = tg->items[i + 1];
        if (e->kind != AY_RT_VAL || e->val.kind != AY_V_STR) {
            return FAIL(ev->diag, AY_ERR_POLICY_EVAL, "%u:%u: rego: unsupported with target",
                        tg->line, tg->col);
        }
        p[i] = e->val.u.s;
    }
    *out = p;
    *out_n = n;
    return AY_OK;
}

static ay_err push_over(struct ay_rego_eval *ev, struct wover **out)
{
    if (ev->nwith == ev->wcap) {
        size_t nc = ev->wcap ? ev->wcap * 2 : 4;
        void *p;
        TRY(ay_arena_grow(ev->a, ev->with, ev->wcap * sizeof *ev->with, nc * sizeof *ev->with,
                          &p));
        ev->with = p;
        ev->wcap = nc;
    }
    *out = &ev->with[ev->nwith++];
    memset(*out, 0, sizeof **out);
    return AY_OK;
}

static ay_err eval_with(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_expr *e,
                        struct bk *k)
{
    struct with_k x = {{with_cont}, with_get(ev), with_get(ev), k};
    /* The values are evaluated first, outside the scope (OPA rewrites non-ground with values
     * into assignments before the expression). */
    struct ay_val *vals;
    TRY(ay_arena_array(ev->a, e->nwith, sizeof *vals, (void **)&vals));
    for (size_t i = 0; i < e->nwith; i++) {
        const struct ay_rego_with *wi = &e->with[i];
        vals[i] = ay_val_undef();
        if (wi->is_mock && (wi->rfn != NULL || wi->rbi != NULL || wi->rhost >= 0)) {
            continue;
        }
        struct first_k fk = {{first_got}, ay_val_undef()};
        ay_err r = eval_term(ev, f, wi->value, &fk.base);
        if (r != AY_OK && r != EV_HALT) {
            return r;
        }
        if (fk.v.kind == AY_V_UNDEF) {
            return AY_OK;
        }
        vals[i] = fk.v;
    }
    ay_err r = AY_OK;
    for (size_t i = 0; i < e->nwith && r == AY_OK; i++) {
        const struct ay_rego_term *tg = e->with[i].target;
        const struct ay_rego_term *h = tg->kind == AY_RT_REF ? tg->items[0] : tg;
        const struct ay_rego_with *wi = &e->with[i];
        if (wi->is_mock && (wi->rfn != NULL || wi->rbi != NULL || wi->rhost >= 0)) {
            struct wover *o;
            r = push_over(ev, &o);
            if (r == AY_OK) {
                o->kind = 2;
                o->w = wi;
            }
            continue;
        }
        if (wi->is_mock) {
            struct wover *o;
            r = push_over(ev, &o);
            if (r == AY_OK) {
                o->kind = 2;
                o->w = wi;
                o->v = vals[i];
            }
            continue;
        }
        const char **path = NULL;
        size_t np = 0;
        r = with_path(ev, tg, &path, &np);
        if (r != AY_OK) {
            break;
        }
        if (h->kind == AY_RT_VAR && h->glob == AY_RG_INPUT) {
            r = upsert(ev, ev->input, path, np, vals[i], &ev->input);
        } else if (h->kind == AY_RT_VAR && h->glob == AY_RG_DATA && np > 0) {
            /* The base document gets the value (so paths through base data and overrides
             * stacked by nested scopes see it); the override entry also shadows any virtual
             * document at or above the path. */
            r = upsert(ev, ev->data, path, np, vals[i], &ev->data);
            struct wover *o = NULL;
            if (r == AY_OK) {
                r = push_over(ev, &o);
            }
            if (r == AY_OK) {
                o->kind = 1;
                o->path = path;
                o->npath = np;
                o->v = vals[i];
            }
        } else {
            r = FAIL(ev->diag, AY_ERR_UNSUPPORTED,
                     "%u:%u: rego: with on functions and builtins is not supported", tg->line,
                     tg->col);
        }
    }
    if (r == AY_OK) {
        ev->wdepth++;
        x.inner = with_get(ev);
        r = eval_expr_inner(ev, f, e, &x.base);
    }
    with_set(ev, &x.saved);
    return r;
}

static ay_err eval_expr(struct ay_rego_eval *ev, struct frame *f, const struct ay_rego_expr *e,
                        struct bk *k)
{
    TRY(step(ev));
    if (e->nwith > 0) {
        return eval_with(ev, f, e, k);
    }
    return eval_expr_inner(ev, f, e, k);
}


/* ---- general ref heads ---- */

struct gen_acc {
    struct bk base;
    struct vk keyk;
    struct vk valk;
    struct frame *f;
    const struct ay_rego_rule *r;
    struct ay_val_vec *paths;
    struct ay_val_vec *vals;
    struct ay_val key;
};

static ay_err gen_val(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    (void)ev;
    struct gen_acc *x = (struct gen_acc *)(void *)((char *)k - offsetof(struct gen_acc, valk));
    TRY(ay_val_vec_push(x->paths, x->key));
    return ay_val_vec_push(x->vals, v);
}

static ay_err gen_key(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    struct gen_acc *x = (struct gen_acc *)(void *)((char *)k - offsetof(struct gen_acc, keyk));
    x->key = v;
    if (x->r->value == NULL) {
        return gen_val(ev, &x->valk, ay_val_bool(true));
    }
    return eval_term(ev, x->f, x->r->value, &x->valk);
}

static ay_err gen_row(struct ay_rego_eval *ev, struct bk *k)
{
    struct gen_acc *x = (struct gen_acc *)k;
    return eval_term(ev, x->f, x->r->key, &x->keyk);
}

static ay_err gen_conflict(struct ay_rego_eval *ev, const struct ay_rego_node *n)
{
    const struct ay_rego_rule *r = n->nrules > 0 ? n->rules[0] : NULL;
    if (r == NULL) {
        return FAIL(ev->diag, AY_ERR_POLICY_EVAL, "eval_conflict_error: object keys must be unique");
    }
    return FAIL(ev->diag, AY_ERR_POLICY_EVAL,
                "%s:%u: eval_conflict_error: object keys must be unique", r->mod->name, r->line);
}

/* Builds the nested object of (path, value) tuples idx[0..n) from path element depth on. */
static ay_err gen_build(struct ay_rego_eval *ev, const struct ay_rego_node *n,
                        const struct ay_val *paths, const struct ay_val *vals, size_t *idx,
                        size_t cnt, uint32_t depth, bool set_leaf, struct ay_val *out)
{
    TRY(step(ev));
    /* insertion sort by the path element at depth */
    for (size_t i = 1; i < cnt; i++) {
        size_t v = idx[i];
        size_t j = i;
        while (j > 0 && ay_val_compare(paths[idx[j - 1]].u.items[depth],
                                       paths[v].u.items[depth]) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
    struct ay_kv_vec kv;
    ay_kv_vec_init(&kv, ev->a);
    size_t i = 0;
    while (i < cnt) {
        struct ay_val key = paths[idx[i]].u.items[depth];
        size_t j = i;
        size_t leaves = 0;
        while (j < cnt && ay_val_equal(paths[idx[j]].u.items[depth], key)) {
            leaves += paths[idx[j]].len == depth + 1;
            j++;
        }
        struct ay_val v;
        if (leaves > 0 && leaves != j - i) {
            return gen_conflict(ev, n);
        }
        if (leaves > 0 && set_leaf) {
            struct ay_val_vec sv;
            ay_val_vec_init(&sv, ev->a);
            for (size_t t = i; t < j; t++) {
                TRY(ay_val_vec_push(&sv, vals[idx[t]]));
            }
            v = ay_val_vec_set(&sv);
        } else if (leaves > 0) {
            v = vals[idx[i]];
            for (size_t t = i + 1; t < j; t++) {
                if (!ay_val_equal(v, vals[idx[t]])) {
                    return gen_conflict(ev, n);
                }
            }
        } else {
            TRY(gen_build(ev, n, paths, vals, idx + i, j - i, depth + 1, set_leaf, &v));
        }
        TRY(ay_kv_vec_push(&kv, key, v));
        i = j;
    }
    return ay_kv_vec_object(&kv, false, out);
}

/* The body of partial rule r (ev->rule is r meanwhile, for rego.metadata.*). */
static ay_err eval_body_of(struct ay_rego_eval *ev, const struct ay_rego_rule *r, struct frame *f,
                           struct bk *k)
{
    const struct ay_rego_rule *saved_rule = ev->rule;
    ev->rule = r;
    ay_err e = eval_body(ev, f, r->body, 0, k);
    ev->rule = saved_rule;
    return e;
}

static ay_err compute_gen(struct ay_rego_eval *ev, const struct ay_rego_node *n, struct ay_val *out)
{
    struct ay_val_vec paths;
    struct ay_val_vec vals;
    ay_val_vec_init(&paths, ev->a);
    ay_val_vec_init(&vals, ev->a);
    bool set_leaf = false;
    for (size_t i = 0; i < n->nrules; i++) {
        const struct ay_rego_rule *r = n->rules[i];
        set_leaf = r->set_leaf;
        struct frame f;
        TRY(new_frame(ev, r->nslots, &f));
        struct gen_acc x = {{gen_row}, {gen_key}, {gen_val}, &f, r, &paths, &vals, ay_val_undef()};
        TRY(eval_body_of(ev, r, &f, &x.base));
    }
    if (paths.n == 0) {
        *out = ay_val_empty(AY_V_OBJ);
        return AY_OK;
    }
    size_t *idx;
    TRY(ay_arena_array(ev->a, paths.n, sizeof *idx, (void **)&idx));
    for (size_t i = 0; i < paths.n; i++) {
        idx[i] = i;
    }
    return gen_build(ev, n, paths.items, vals.items, idx, paths.n, 0, set_leaf, out);
}

/* Merges a and b; at depth `leaf` (the values of a general ref head rule) two objects are
 * not merged (OPA: a rule must not inject keys into another rule's value: conflict). */
static ay_err merge_docs_at(struct ay_rego_eval *ev, const struct ay_rego_node *n,
                            struct ay_val a, struct ay_val b, size_t depth, size_t leaf,
                            struct ay_val *out)
{
    if (a.kind == AY_V_UNDEF) {
        *out = b;
        return AY_OK;
    }
    if (b.kind == AY_V_UNDEF) {
        *out = a;
        return AY_OK;
    }
    if (a.kind == AY_V_SET && b.kind == AY_V_SET) {
        struct ay_val_vec sv;
        ay_val_vec_init(&sv, ev->a);
        for (uint32_t i = 0; i < a.len; i++) {
            TRY(ay_val_vec_push(&sv, a.u.items[i]));
        }
        for (uint32_t i = 0; i < b.len; i++) {
            TRY(ay_val_vec_push(&sv, b.u.items[i]));
        }
        *out = ay_val_vec_set(&sv);
        return AY_OK;
    }
    if (a.kind != AY_V_OBJ || b.kind != AY_V_OBJ || depth >= leaf) {
        if (ay_val_equal(a, b)) {
            *out = a;
            return AY_OK;
        }
        return gen_conflict(ev, n);
    }
    struct ay_kv_vec kv;
    ay_kv_vec_init(&kv, ev->a);
    for (uint32_t i = 0; i < a.len; i++) {
        const struct ay_val *o = ay_val_obj_get(b, a.u.pairs[i].k);
        struct ay_val v = a.u.pairs[i].v;
        if (o != NULL) {
            TRY(merge_docs_at(ev, n, v, *o, depth + 1, leaf, &v));
        }
        TRY(ay_kv_vec_push(&kv, a.u.pairs[i].k, v));
    }
    for (uint32_t i = 0; i < b.len; i++) {
        if (ay_val_obj_get(a, b.u.pairs[i].k) == NULL) {
            TRY(ay_kv_vec_push(&kv, b.u.pairs[i].k, b.u.pairs[i].v));
        }
    }
    return ay_kv_vec_object(&kv, false, out);
}

/* ---- rules ---- */

struct coll_acc {
    struct bk base;
    struct vk keyk;
    struct vk valk;
    struct frame *f;
    const struct ay_rego_rule *r;
    struct ay_val_vec *set;
    struct ay_kv_vec *obj;
    struct ay_val key;
};

static ay_err pobj_val(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    struct coll_acc *x = (struct coll_acc *)(void *)((char *)k - offsetof(struct coll_acc, valk));
    for (size_t i = 0; i < x->obj->n; i++) {
        if (ay_val_equal(x->obj->pairs[i].k, x->key)) {
            if (!ay_val_equal(x->obj->pairs[i].v, v)) {
                return FAIL(ev->diag, AY_ERR_POLICY_EVAL,
                            "%s:%u: eval_conflict_error: object keys must be unique",
                            x->r->mod->name, x->r->line);
            }
            return AY_OK;
        }
    }
    return ay_kv_vec_push(x->obj, x->key, v);
}

static ay_err pcoll_key(struct ay_rego_eval *ev, struct vk *k, struct ay_val v)
{
    struct coll_acc *x = (struct coll_acc *)(void *)((char *)k - offsetof(struct coll_acc, keyk));
    if (x->set != NULL) {
        return ay_val_vec_push(x->set, v);
    }
    x->key = v;
    if (x->r->value == NULL) {
        return pobj_val(ev, &x->valk, ay_val_bool(true));
    }
    return eval_term(ev, x->f, x->r->value, &x->valk);
}

static ay_err pcoll_row(struct ay_rego_eval *ev, struct bk *k)
{
    struct coll_acc *x = (struct coll_acc *)k;
    return eval_term(ev, x->f, x->r->key, &x->keyk);
}

static ay_err compute_rule(struct ay_rego_eval *ev, const struct ay_rego_node *n,
                           struct ay_val *out)
{
    if (n->kind == AY_RR_GEN) {
        return compute_gen(ev, n, out);
    }
    if (n->kind == AY_RR_COMPLETE) {
        struct fn_acc acc = {false, ay_val_undef(), NULL,
                             "complete rules must not produce multiple outputs"};
        for (size_t i = 0; i < n->nrules; i++) {
            TRY(eval_def(ev, n->rules[i], NULL, &acc));
        }
        if (!acc.has && n->dflt != NULL) {
            TRY(eval_def(ev, n->dflt, NULL, &acc));
        }
        *out = acc.has ? acc.v : ay_val_undef();
        return AY_OK;
    }
    struct ay_val_vec set;
    struct ay_kv_vec obj;
    ay_val_vec_init(&set, ev->a);
    ay_kv_vec_init(&obj, ev->a);
    for (size_t i = 0; i < n->nrules; i++) {
        const struct ay_rego_rule *r = n->rules[i];
        struct frame f;
        TRY(new_frame(ev, r->nslots, &f));
        struct coll_acc x = {{pcoll_row}, {pcoll_key}, {pobj_val}, &f, r,
                             n->kind == AY_RR_SET ? &set : NULL, &obj, ay_val_undef()};
        TRY(eval_body_of(ev, r, &f, &x.base));
    }
    if (n->kind == AY_RR_SET) {
        *out = ay_val_vec_set(&set);
        return AY_OK;
    }
    return ay_kv_vec_object(&obj, false, out);
}

/* Under `with data...` the data path walked so far (ev->dpath) is read again after a rule's
 * value is computed (overrides below the rule), so the nested walk must not clobber it. */
AY_NOINLINE static ay_err compute_rule_keep_dpath(struct ay_rego_eval *ev,
                                                  const struct ay_rego_node *n,
                                                  struct ay_val *out)
{
    const char *saved[AY_LIMIT_REGO_DEPTH];
    memcpy(saved, ev->dpath, sizeof saved);
    ay_err e = compute_rule(ev, n, out);
    memcpy(ev->dpath, saved, sizeof saved);
    return e;
}

static ay_err rule_value(struct ay_rego_eval *ev, const struct ay_rego_node *n, struct ay_val *out)
{
    struct memo *m = &ev->memo[n->memo_idx];
    bool use_memo = ev->wdepth == 0;
    if (use_memo && m->state == 2) {
        *out = m->v;
        return AY_OK;
    }
    if (m->state == 1) {
        return FAIL(ev->diag, AY_ERR_POLICY_EVAL, "rego_recursion_error: rule %s is recursive",
                    n->name);
    }
    if (++ev->depth > AY_LIMIT_REGO_DEPTH) {
        return efail_limit(ev, "rule depth exceeded");
    }
    uint8_t saved = m->state;
    m->state = 1;
    const char *saved_mod = ev->mod;
    if (n->nrules > 0) {
        ev->mod = n->rules[0]->mod->name;
    }
    ay_err e = ev->nwith > 0 ? compute_rule_keep_dpath(ev, n, out) : compute_rule(ev, n, out);
    ev->mod = saved_mod;
    m->state = saved;
    ev->depth--;
    TRY(e);
    if (use_memo) {
        m->state = 2;
        m->v = *out;
    }
    return AY_OK;
}

/* ---- entry points ---- */

void ay_rego_eval_mark_type_error(void *eval)
{
    ((struct ay_rego_eval *)eval)->bi_type_err = true;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t ay_rego_bctx_now_ns(struct ay_rego_bctx *bc)
{
    if (bc->now_ns == 0) {
        struct ay_rego_eval *ev = bc->eval;
        if (ev == NULL) {
            bc->now_ns = wall_ns();
        } else {
            if (ev->now_ns == 0) {
                ev->now_ns = wall_ns();
            }
            bc->now_ns = ev->now_ns;
        }
    }
    return bc->now_ns;
}

ay_err ay_rego_eval_new(const struct ay_rego_policy *p, struct ay_arena *arena,
                        const struct ay_rego_eval_opts *o, struct ay_diag *diag,
                        struct ay_rego_eval **out)
{
    struct ay_rego_eval *ev;
    TRY(ay_arena_alloc(arena, sizeof *ev, (void **)&ev));
    ev->p = p;
    ev->a = arena;
    ev->diag = diag;
    ev->mod = "query";
    ev->max_steps = o && o->max_steps ? o->max_steps : AY_LIMIT_REGO_STEPS;
    ev->print = o ? o->print : NULL;
    ev->print_arg = o ? o->print_arg : NULL;
    ev->strict = o ? o->strict_builtin_errors : false;
    ev->now_ns = o ? o->now_ns : 0; /* 0: the wall clock, read at first use */
    ev->input = ay_val_undef();
    ev->data = ay_val_empty(AY_V_OBJ);
    if (o != NULL && o->input_json != NULL) {
        ay_err e = ay_val_parse_json(arena, o->input_json, o->input_len, 0, diag, &ev->input);
        if (e != AY_OK) {
            ay_diag_prefix(diag, "input");
            return e;
        }
    }
    if (o != NULL && o->data_json != NULL) {
        ay_err e = ay_val_parse_json(arena, o->data_json, o->data_len, 0, diag, &ev->data);
        if (e != AY_OK) {
            ay_diag_prefix(diag, "data");
            return e;
        }
    }
    TRY(ay_arena_array(arena, p->nnodes + 1, sizeof *ev->memo, (void **)&ev->memo));
    *out = ev;
    return AY_OK;
}

ay_err ay_rego_eval_path(struct ay_rego_eval *ev, const char *const *path, size_t n,
                         struct ay_val *out, bool *out_found)
{
    char base;
    ev->stack_base = (uintptr_t)&base;
    const struct ay_rego_node *node = ev->p->root;
    struct ay_val b = ev->data;
    bool found = true;
    for (size_t i = 0; i < n; i++) {
        const struct ay_rego_node *kid =
            node != NULL ? ay_rego_node_kid(node, path[i], strlen(path[i])) : NULL;
        if (node != NULL && node->has_rules) {
            /* The path continues inside a rule's value. */
            struct ay_val v;
            TRY(rule_value(ev, node, &v));
            for (size_t j = i; j < n && v.kind != AY_V_UNDEF; j++) {
                v = lookup(v, ay_val_str_static(path[j]));
            }
            *out = v;
            *out_found = true;
            return AY_OK;
        }
        b = lookup(b, ay_val_str_static(path[i]));
        if (kid == NULL && b.kind == AY_V_UNDEF) {
            found = false;
        }
        node = kid;
        ev->dpath[i < AY_LIMIT_REGO_DEPTH ? i : 0] = path[i];
    }
    *out_found = found;
    if (!found) {
        *out = ay_val_undef();
        return AY_OK;
    }
    if (n >= AY_LIMIT_REGO_DEPTH) {
        return efail_limit(ev, "path too deep");
    }
    return build_doc(ev, node, b, n, out);
}

struct query_k {
    struct bk base;
    struct frame *f;
    ay_rego_query_cb *cb;
    void *arg;
};

static ay_err query_row(struct ay_rego_eval *ev, struct bk *k)
{
    struct query_k *x = (struct query_k *)k;
    return x->cb(x->arg, x->f->s, ev->qvals);
}

ay_err ay_rego_eval_body(struct ay_rego_eval *ev, const struct ay_rego_body *body, uint32_t nslots,
                         ay_rego_query_cb *cb, void *arg)
{
    char base;
    ev->stack_base = (uintptr_t)&base;
    struct frame f;
    TRY(new_frame(ev, nslots + 1, &f));
    TRY(ay_arena_array(ev->a, body->n + 1, sizeof *ev->qvals, (void **)&ev->qvals));
    struct query_k x = {{query_row}, &f, cb, arg};
    return eval_body(ev, &f, body, 0, &x.base);
}
