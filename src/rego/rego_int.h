/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the Rego compiler, evaluator and API (not for other subsystems): the rule
 * tree of a compiled policy and the evaluation entry points. A compiled policy is immutable after
 * ay_rego_compile returns; evaluations keep all their state in their own arena. */
#ifndef AY_REGO_REGO_INT_H
#define AY_REGO_REGO_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"
#include "rego/rego.h"
#include "rego/rego_ast.h"
#include "rego/rego_value.h"

struct ay_arena;

/* One segment of the data tree below `data`. A node with rules is a virtual document. */
struct ay_rego_node {
    const char *name;
    size_t name_len;
    struct ay_rego_node *parent;
    struct ay_rego_node **kids; /* in insertion order */
    size_t nkids;
    size_t kcap;
    struct ay_rego_node **kidx; /* open-addressed index of kids by name once there are many */
    size_t kidx_cap;            /* a power of two, or 0 */
    struct ay_rego_rule **rules; /* the definitions (not default) */
    size_t nrules;
    size_t rcap;
    struct ay_rego_rule *dflt;
    uint8_t kind;      /* enum ay_rego_rule_kind of its rules */
    bool has_rules;
    bool in_rule_path; /* a rule's head ref passes here (rule names resolve to it) */
    size_t arity;      /* functions */
    uint32_t memo_idx; /* per-evaluation memo slot */
};

struct ay_rego_host {
    const char *name;
    size_t arity;
    ay_rego_host_fn *fn;
    void *arg;
};

struct ay_rego_builtins {
    struct ay_rego_host *v;
    size_t n;
    size_t cap;
};

struct ay_rego_policy {
    atomic_uint refs;
    struct ay_arena *arena; /* everything of the policy; frozen after compile */
    struct ay_rego_node *root;
    uint32_t nnodes;
    const struct ay_rego_builtins *host;
};

/* Finds a child by name (NULL if none). */
struct ay_rego_node *ay_rego_node_kid(const struct ay_rego_node *n, const char *name, size_t len);

/* Compiles parsed modules into p (p->arena, p->host set by the caller). */
AY_MUST_USE ay_err ay_rego_compile_modules(struct ay_rego_policy *p, struct ay_rego_module **mods,
                                           size_t n, struct ay_diag *diag);
/* Compiles a query body against a compiled policy; allocations in arena (the eval arena). The
 * names of query variables by slot are returned for result bindings. */
AY_MUST_USE ay_err ay_rego_compile_query(const struct ay_rego_policy *p, struct ay_arena *arena,
                                         struct ay_rego_body *body, uint32_t *out_nslots,
                                         const char ***out_names, struct ay_diag *diag);

/* One evaluation. */
struct ay_rego_eval;
/* Called by ay_rego_bi_type_fail through bctx.eval: the builtin error being raised is a type
 * error (eval_type_error). */
void ay_rego_eval_mark_type_error(void *eval);
/* The rule being evaluated (bctx.eval; NULL in a query or when eval is NULL), for
 * rego.metadata.*. */
const struct ay_rego_rule *ay_rego_eval_current_rule(const void *eval);
AY_MUST_USE ay_err ay_rego_eval_new(const struct ay_rego_policy *p, struct ay_arena *arena,
                                    const struct ay_rego_eval_opts *o, struct ay_diag *diag,
                                    struct ay_rego_eval **out);
/* Value of the document at data.<path...> (rule, package, or base data). *out undefined when
 * undefined; *out_found false when nothing (no rule, package, nor base data) is at that path. */
AY_MUST_USE ay_err ay_rego_eval_path(struct ay_rego_eval *ev, const char *const *path, size_t n,
                                     struct ay_val *out, bool *out_found);
/* Runs a compiled query; for each solution calls cb with the slot values and the values of
 * the expressions (by qslot). */
typedef ay_err ay_rego_query_cb(void *arg, const struct ay_val *slots, const struct ay_val *exprs);
AY_MUST_USE ay_err ay_rego_eval_body(struct ay_rego_eval *ev, const struct ay_rego_body *body,
                                     uint32_t nslots, ay_rego_query_cb *cb, void *arg);

#endif
