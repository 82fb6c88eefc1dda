/* SPDX-License-Identifier: Apache-2.0 */
/* The builtin-function interface of the Rego engine. A builtin reads its arguments (already
 * evaluated, never undefined) and writes one value, or leaves *out undefined (kind AY_V_UNDEF)
 * to make the call undefined. Type and domain errors are raised with ay_rego_bi_fail /
 * ay_rego_bi_type_error: they make the expression undefined, or an evaluation error when the
 * caller asked for strict builtin errors (as OPA's strict-builtin-errors flag).
 * Families export `const struct ay_rego_bi ay_rego_bi_<family>[]` ending with a {NULL} entry and
 * are listed in rego_bi_list.h as `AY_REGO_BI_TABLE(ay_rego_bi_<family>)`. */
#ifndef AY_REGO_REGO_BUILTIN_H
#define AY_REGO_REGO_BUILTIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"
#include "rego/rego_value.h"

struct ay_arena;

struct ay_rego_bctx {
    struct ay_arena *arena; /* the evaluation arena: results and temporaries go here */
    struct ay_diag *diag;   /* where ay_rego_bi_fail writes (a scratch diag of the evaluator) */
    int64_t now_ns;         /* the evaluation's clock if known, else 0: read it with
                             * ay_rego_bctx_now_ns */
    const char *name;       /* the builtin being called, for messages */
    void *eval;             /* evaluator internals (print, walk); builtins do not touch it */
};

typedef ay_err ay_rego_bi_fn(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                             struct ay_val *out);

enum {
    AY_REGO_BI_VARIADIC = 1u << 0, /* any arity >= .arity (print) */
    AY_REGO_BI_NONDET = 1u << 1,   /* result may differ between calls (rand.*): memoised per eval */
};

struct ay_rego_bi {
    const char *name; /* "count", "object.union_n", "internal.member_2" */
    int arity;        /* number of arguments */
    ay_rego_bi_fn *fn;
    unsigned flags;
};

/* time.now_ns() of this evaluation: one value for the whole evaluation, taken from the wall
 * clock at its first use when the caller gave none (a process that never asks for the time
 * never reads the clock: its first read page-faults the vDSO data). */
int64_t ay_rego_bctx_now_ns(struct ay_rego_bctx *bc);

/* Raises a builtin error "<name>: <message>" (OPA's builtin error wording), returning the code
 * the builtin must return (AY_ERR_POLICY_EVAL). */
ay_err ay_rego_bi_fail(struct ay_rego_bctx *bc, const char *fmt, ...) AY_PRINTF(2, 3);
/* Raises a type error "<name>: <message>": like ay_rego_bi_fail, but under strict builtin
 * errors the evaluation error is OPA's eval_type_error instead of eval_builtin_error. */
ay_err ay_rego_bi_type_fail(struct ay_rego_bctx *bc, const char *fmt, ...) AY_PRINTF(2, 3);
/* "<name>: operand <argi+1> must be <want> but got <type of got>" (OPA's type error, raised
 * with ay_rego_bi_type_fail). want is
 * e.g. "string", "number", "array", "object", "set", "one of {array, set}". */
ay_err ay_rego_bi_type_error(struct ay_rego_bctx *bc, size_t argi, const char *want,
                             struct ay_val got);

/* The builtins implemented by the core (operators, membership, print, walk). */
extern const struct ay_rego_bi ay_rego_bi_core[];
/* json.verify_schema, json.match_schema (rego_bi_jsonschema.c). */
extern const struct ay_rego_bi ay_rego_bi_jsonschema[];

/* Finds a builtin by name and arity among the core table and every family table (rego_bi_list.h).
 * NULL if unknown. */
const struct ay_rego_bi *ay_rego_bi_find(const char *name, size_t n, size_t arity);
/* true if some builtin of that name exists (any arity). */
bool ay_rego_bi_known(const char *name, size_t n);

#endif
