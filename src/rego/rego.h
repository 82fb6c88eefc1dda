/* SPDX-License-Identifier: Apache-2.0 */
/* The Rego engine's embedding API (CONTRACT; implementation in src/rego/). Compile a set of
 * modules once into an immutable, thread-shareable policy; evaluate queries or rules many times,
 * concurrently, with input and data as JSON text; results as JSON text. */
#ifndef AY_REGO_REGO_H
#define AY_REGO_REGO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

struct ay_arena;
struct ay_buf;
struct ay_rego_policy;
struct ay_rego_builtins;

/* One module's source. name is used in messages ("policy.rego:3:7: ..."). */
struct ay_rego_module_src {
    const char *name;
    const char *text;
    size_t len;
};

enum ay_rego_syntax {
    AY_REGO_V1 = 0, /* default: Rego v1 (OPA 1.x); `import rego.v1` optional */
    AY_REGO_V0 = 1, /* v0: keywords only via `import future.keywords...` */
};

/* Host builtins (e.g. assay's query_reference_value). The callback receives its arguments as
 * JSON texts and writes its result as one JSON text into out; returning AY_ERR_NOT_FOUND means
 * "undefined". arg is the pointer given at registration (borrowed: must outlive every policy
 * compiled with this set). The callback may run concurrently from several threads. */
typedef ay_err ay_rego_host_fn(void *arg, const char *const *args_json, size_t nargs,
                               struct ay_buf *out, struct ay_diag *diag);

void ay_rego_builtins_new(struct ay_rego_builtins **out);
void ay_rego_builtins_free(struct ay_rego_builtins *b);
/* name like "query_reference_value" or "a.b.c"; arity >= 0. */
AY_MUST_USE ay_err ay_rego_builtins_add(struct ay_rego_builtins *b, const char *name, size_t arity,
                                        ay_rego_host_fn *fn, void *arg);

struct ay_rego_compile_opts {
    enum ay_rego_syntax syntax;
    const struct ay_rego_builtins *host; /* may be NULL; borrowed, must outlive the policy */
    /* The module texts stay valid and unchanged for as long as the policy lives: it points
     * into them instead of keeping its own copy (a CLI that compiles once and exits). */
    bool borrow_text;
};

/* Parses and compiles. On failure diag holds "name:line:col: message". */
AY_MUST_USE ay_err ay_rego_compile(const struct ay_rego_module_src *mods, size_t n,
                                   const struct ay_rego_compile_opts *opts, struct ay_diag *diag,
                                   struct ay_rego_policy **out);
/* Reference counted; the last release frees. Both are thread-safe. */
void ay_rego_policy_retain(struct ay_rego_policy *p);
void ay_rego_policy_release(struct ay_rego_policy *p);

struct ay_rego_eval_opts {
    const char *input_json; /* NULL = no input */
    size_t input_len;
    const char *data_json;  /* NULL = empty data */
    size_t data_len;
    int64_t now_ns;         /* time.now_ns(); 0 = the wall clock */
    uint64_t max_steps;     /* 0 = AY_LIMIT_REGO_STEPS */
    size_t max_memory;      /* 0 = default arena cap */
    /* print() output: one call per print statement, text without newline. May be NULL. */
    void (*print)(void *arg, const char *text, size_t len);
    void *print_arg;
    bool strict_builtin_errors; /* builtin errors are errors (else undefined), as OPA's flag */
};

/* Evaluates a rule by path ("data.policy.trust_claims"). Writes its value as JSON into out and
 * sets *out_defined; an undefined rule gives *out_defined = false (not an error).
 * AY_ERR_NOT_FOUND if no rule or package has that path. Errors (conflicts, limits, builtin
 * errors in strict mode) are AY_ERR_POLICY_EVAL with the message in diag. */
AY_MUST_USE ay_err ay_rego_eval_rule(const struct ay_rego_policy *p, const char *path,
                                     const struct ay_rego_eval_opts *o, struct ay_buf *out,
                                     bool *out_defined, struct ay_diag *diag);
/* One rule of ay_rego_eval_rules. */
struct ay_rego_rule_result {
    const char *path;   /* in: "data.policy.trust_claims" */
    struct ay_buf *out; /* in: the value is written here as JSON, when defined */
    bool exists;        /* out: a rule, package or data document has this path */
    bool defined;       /* out: it has a value */
};

/* Evaluates several rules in one evaluation: input and data are read once and a rule computed
 * for one path is reused by the next, as a service asking for trust_claims and extensions
 * wants. A path that names nothing gives exists = false (not an error). The first error
 * stops the evaluation; diag names the rule. */
AY_MUST_USE ay_err ay_rego_eval_rules(const struct ay_rego_policy *p,
                                      struct ay_rego_rule_result *rules, size_t n,
                                      const struct ay_rego_eval_opts *o, struct ay_diag *diag);
/* Evaluates a query ("data.x.allow == true; y := 1") and writes the OPA-style result set
 * ([{"expressions":[{"value":...,"text":"..."}],"bindings":{...}}, ...]) as JSON into out. */
AY_MUST_USE ay_err ay_rego_eval_query(const struct ay_rego_policy *p, const char *query,
                                      const struct ay_rego_eval_opts *o, struct ay_buf *out,
                                      struct ay_diag *diag);

#endif
