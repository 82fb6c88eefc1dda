/* SPDX-License-Identifier: Apache-2.0 */
/* The embedding API of rego.h: host builtin sets, compiling modules into an immutable
 * refcounted policy (shared read-only by concurrent evaluations), rule evaluation with the
 * three outcomes value / undefined / no such rule (REGO.md 2.1 item 9), and queries with an
 * OPA-style result set. Each evaluation owns one capped arena, freed before returning. */
#include "rego/rego.h"

#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "rego/rego_int.h"

void ay_rego_builtins_new(struct ay_rego_builtins **out)
{
    *out = ay_xcalloc(1, sizeof **out);
}

void ay_rego_builtins_free(struct ay_rego_builtins *b)
{
    if (b == NULL) {
        return;
    }
    for (size_t i = 0; i < b->n; i++) {
        ay_free((void *)(uintptr_t)b->v[i].name);
    }
    ay_free(b->v);
    ay_free(b);
}

ay_err ay_rego_builtins_add(struct ay_rego_builtins *b, const char *name, size_t arity,
                            ay_rego_host_fn *fn, void *arg)
{
    ENSURE(b != NULL && name != NULL && fn != NULL && name[0] != '\0', AY_ERR_BAD_REQUEST);
    ENSURE(arity <= 16, AY_ERR_LIMIT);
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 4;
        b->v = ay_xrealloc(b->v, b->cap * sizeof *b->v);
    }
    struct ay_rego_host *h = &b->v[b->n++];
    h->name = ay_xstrdup(name);
    h->arity = arity;
    h->fn = fn;
    h->arg = arg;
    return AY_OK;
}

ay_err ay_rego_compile(const struct ay_rego_module_src *mods, size_t n,
                       const struct ay_rego_compile_opts *opts, struct ay_diag *diag,
                       struct ay_rego_policy **out)
{
    struct ay_rego_policy *p = ay_xcalloc(1, sizeof *p);
    atomic_init(&p->refs, 1);
    p->host = opts ? opts->host : NULL;
    ay_arena_new(AY_LIMIT_REQUEST_ARENA, &p->arena);
    /* A compiled policy takes about 12 bytes of arena per byte of source (issue 3: the ACI
     * policy, 61 KB -> 736 KB): a large policy gets one chunk, populated as it fills, rather
     * than a chain of doubling ones that each start with page faults. */
    size_t src_len = 0;
    for (size_t i = 0; i < n; i++) {
        src_len += mods[i].text != NULL ? mods[i].len : 0;
    }
    if (src_len >= (size_t)8 * 1024 && src_len <= AY_LIMIT_REQUEST_ARENA / 16) {
        ay_arena_expect(p->arena, src_len * 16);
    }
    bool v0 = opts != NULL && opts->syntax == AY_REGO_V0;
    ay_err err = AY_OK;
    struct ay_rego_module **ms = NULL;
    if (n > 0) {
        err = ay_arena_array(p->arena, n, sizeof *ms, (void **)&ms);
    }
    for (size_t i = 0; i < n && err == AY_OK; i++) {
        const char *name = mods[i].name ? mods[i].name : "policy.rego";
        char *nm = NULL;
        const char *text = mods[i].text != NULL ? mods[i].text : "";
        size_t len = mods[i].text != NULL ? mods[i].len : 0;
        err = ay_arena_strndup(p->arena, name, strlen(name), &nm);
        if (err == AY_OK && (opts == NULL || !opts->borrow_text)) {
            /* The AST points into the text, so the policy keeps its own copy. */
            char *copy = NULL;
            err = ay_arena_strndup(p->arena, text, len, &copy);
            text = copy;
        }
        if (err == AY_OK) {
            err = ay_rego_parse_module(p->arena, nm, text, len, v0, diag, &ms[i]);
        }
    }
    if (err == AY_OK) {
        err = ay_rego_compile_modules(p, ms, n, diag);
    }
    if (err != AY_OK) {
        if (err == AY_ERR_LIMIT && diag->code == AY_OK) {
            (void)FAIL(diag, err, "rego: policy too large for the compile memory limit");
        }
        ay_rego_policy_release(p);
        return err;
    }
    *out = p;
    return AY_OK;
}

void ay_rego_policy_retain(struct ay_rego_policy *p)
{
    if (p != NULL) {
        atomic_fetch_add(&p->refs, 1);
    }
}

void ay_rego_policy_release(struct ay_rego_policy *p)
{
    if (p == NULL) {
        return;
    }
    if (atomic_fetch_sub(&p->refs, 1) == 1) {
        ay_arena_free(p->arena);
        ay_free(p);
    }
}

static ay_err finish_err(ay_err e, struct ay_diag *diag)
{
    if (e == AY_ERR_LIMIT && diag->code == AY_OK) {
        return FAIL(diag, e, "rego: evaluation exceeded its memory limit");
    }
    if (e != AY_OK && diag->code == AY_OK) {
        return FAIL(diag, e, "rego: evaluation failed");
    }
    return e;
}

/* Splits "data.a.b" into ["a", "b"] in the arena. */
static ay_err split_path(struct ay_arena *a, const char *path, const char ***out, size_t *out_n)
{
    size_t len = strlen(path);
    char *s;
    TRY(ay_arena_strndup(a, path, len, &s));
    size_t cnt = 1;
    for (size_t i = 0; i < len; i++) {
        cnt += s[i] == '.';
    }
    const char **v;
    TRY(ay_arena_array(a, cnt, sizeof *v, (void **)&v));
    size_t n = 0;
    char *seg = s;
    for (size_t i = 0; i <= len; i++) {
        if (s[i] == '.' || s[i] == '\0') {
            s[i] = '\0';
            ENSURE(seg[0] != '\0', AY_ERR_NOT_FOUND);
            v[n++] = seg;
            seg = s + i + 1;
        }
    }
    if (n > 0 && strcmp(v[0], "data") == 0) {
        v++;
        n--;
    }
    *out = v;
    *out_n = n;
    return AY_OK;
}

ay_err ay_rego_eval_rules(const struct ay_rego_policy *p, struct ay_rego_rule_result *rules,
                          size_t n, const struct ay_rego_eval_opts *o, struct ay_diag *diag)
{
    struct ay_arena *a;
    ay_arena_new(o && o->max_memory ? o->max_memory : AY_LIMIT_REQUEST_ARENA, &a);
    ay_err err = AY_OK;
    struct ay_rego_eval *ev = NULL;
    CHECK(ay_rego_eval_new(p, a, o, diag, &ev));
    for (size_t i = 0; i < n; i++) {
        struct ay_rego_rule_result *r = &rules[i];
        const char **segs = NULL;
        size_t nseg = 0;
        struct ay_val v = ay_val_undef();
        r->exists = false;
        r->defined = false;
        err = split_path(a, r->path, &segs, &nseg);
        if (err == AY_ERR_NOT_FOUND) {
            continue; /* "data..x" names nothing */
        }
        CHECK(err);
        err = ay_rego_eval_path(ev, segs, nseg, &v, &r->exists);
        if (err != AY_OK) {
            err = finish_err(err, diag);
            if (n > 1) {
                ay_diag_prefix(diag, "%s", r->path);
            }
            goto out;
        }
        if (r->exists && v.kind != AY_V_UNDEF) {
            ay_val_write_json(r->out, v);
            r->defined = true;
        }
    }
out:
    err = finish_err(err, diag);
    ay_arena_free(a);
    return err;
}

ay_err ay_rego_eval_rule(const struct ay_rego_policy *p, const char *path,
                         const struct ay_rego_eval_opts *o, struct ay_buf *out, bool *out_defined,
                         struct ay_diag *diag)
{
    struct ay_rego_rule_result r = {.path = path, .out = out};
    TRY(ay_rego_eval_rules(p, &r, 1, o, diag));
    if (!r.exists) {
        return FAIL(diag, AY_ERR_NOT_FOUND, "rego: %s is not a valid rule path", path);
    }
    *out_defined = r.defined;
    return AY_OK;
}

struct qres {
    struct ay_buf *out;
    const struct ay_rego_body *orig; /* expressions in source order */
    const char **names;
    uint32_t nslots;
    size_t rows;
};

static ay_err query_row(void *arg, const struct ay_val *slots, const struct ay_val *exprs)
{
    struct qres *q = arg;
    struct ay_buf *b = q->out;
    if (q->rows++ > 0) {
        ay_buf_putc(b, ',');
    }
    ay_buf_puts(b, "{\"expressions\":[");
    for (size_t i = 0; i < q->orig->n; i++) {
        const struct ay_rego_expr *e = q->orig->exprs[i];
        if (i > 0) {
            ay_buf_putc(b, ',');
        }
        ay_buf_puts(b, "{\"value\":");
        struct ay_val v = e->kind == AY_RE_TERM ? exprs[e->qslot] : ay_val_bool(true);
        ay_val_write_json(b, v);
        ay_buf_puts(b, ",\"text\":");
        ay_buf_json_str(b, e->text, e->text_len);
        ay_buf_printf(b, ",\"location\":{\"row\":%u,\"col\":%u}}", e->line, e->col);
    }
    ay_buf_putc(b, ']');
    bool any = false;
    for (uint32_t s = 0; s < q->nslots; s++) {
        if (q->names[s] == NULL || slots[s].kind == AY_V_UNDEF) {
            continue;
        }
        /* A name may own several slots (shadowing); report the first bound one. */
        bool dup = false;
        for (uint32_t t = 0; t < s && !dup; t++) {
            dup = q->names[t] != NULL && slots[t].kind != AY_V_UNDEF &&
                  strcmp(q->names[t], q->names[s]) == 0;
        }
        if (dup) {
            continue;
        }
        ay_buf_puts(b, any ? "," : ",\"bindings\":{");
        any = true;
        ay_buf_json_str(b, q->names[s], strlen(q->names[s]));
        ay_buf_putc(b, ':');
        ay_val_write_json(b, slots[s]);
    }
    if (any) {
        ay_buf_putc(b, '}');
    }
    ay_buf_putc(b, '}');
    return ay_buf_finish(b);
}

ay_err ay_rego_eval_query(const struct ay_rego_policy *p, const char *query,
                          const struct ay_rego_eval_opts *o, struct ay_buf *out,
                          struct ay_diag *diag)
{
    struct ay_arena *a;
    ay_arena_new(o && o->max_memory ? o->max_memory : AY_LIMIT_REQUEST_ARENA, &a);
    ay_err err;
    struct ay_rego_body *body = NULL;
    struct ay_rego_body orig;
    struct ay_rego_eval *ev = NULL;
    uint32_t nslots = 0;
    const char **names = NULL;
    size_t start = out->len;
    struct qres q = {out, &orig, NULL, 0, 0};
    orig.exprs = NULL;
    CHECK(ay_rego_parse_query(a, query, strlen(query), diag, &body));
    orig.n = body->n;
    CHECK(ay_arena_array(a, body->n, sizeof *orig.exprs, (void **)&orig.exprs));
    for (size_t i = 0; i < body->n; i++) {
        body->exprs[i]->qslot = (int32_t)i;
        orig.exprs[i] = body->exprs[i];
    }
    CHECK(ay_rego_compile_query(p, a, body, &nslots, &names, diag));
    CHECK(ay_rego_eval_new(p, a, o, diag, &ev));
    q.names = names;
    q.nslots = nslots;
    ay_buf_putc(out, '[');
    err = ay_rego_eval_body(ev, body, nslots, query_row, &q);
    if (err != AY_OK) {
        out->len = start;
        if (out->ptr != NULL) {
            out->ptr[start] = '\0';
        }
        goto out;
    }
    ay_buf_putc(out, ']');
    err = ay_buf_finish(out);
out:
    err = finish_err(err, diag);
    ay_arena_free(a);
    return err;
}
