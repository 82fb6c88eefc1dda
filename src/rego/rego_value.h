/* SPDX-License-Identifier: Apache-2.0 */
/* Rego values (STYLE.md B.9): a 16-byte immutable tagged union passed by value. Heap parts live
 * in an arena (the evaluation arena, or the compiled policy's frozen arena); there are no
 * refcounts. Objects and sets are stored SORTED by OPA's total order (REGO.md 2.1 item 2:
 * null < boolean < number < string < array < object < set), so equality and printing are
 * canonical and lookups are binary searches.
 * Numbers: int64 when exact; integers beyond int64 as canonical decimal text (GMP does the
 * arithmetic); double otherwise. 1 == 1.0 in compare and equality. */
#ifndef AY_REGO_REGO_VALUE_H
#define AY_REGO_REGO_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

struct ay_arena;
struct ay_buf;

enum ay_val_kind {
    AY_V_UNDEF = 0, /* "no value": undefined results, missing keys */
    AY_V_NULL,
    AY_V_BOOL,
    AY_V_NUM,
    AY_V_STR,
    AY_V_ARR,
    AY_V_OBJ,
    AY_V_SET,
};

/* Number representations (struct ay_val.sub when kind == AY_V_NUM). */
enum ay_num_kind {
    AY_NUM_INT = 0, /* u.i */
    AY_NUM_BIG = 1, /* u.s: canonical decimal text ("-123..."), NUL-terminated, len bytes;
                       never fits int64 */
    AY_NUM_DBL = 2, /* u.d, finite */
};

/* struct ay_val.flags for numbers: a big integer that was written with an exponent ("2e308",
 * beyond the double range); it prints back as <digits>e<n>. Ignored by compare and equality. */
#define AY_VAL_F_NUM_EXP 0x1u

struct ay_kv;

struct ay_val {
    uint8_t kind; /* enum ay_val_kind */
    uint8_t sub;  /* enum ay_num_kind for numbers; 0 otherwise */
    uint16_t flags;
    uint32_t len; /* string bytes, array/set elements, object pairs */
    union {
        bool b;
        int64_t i;
        double d;
        const char *s;             /* strings (NUL-terminated, may contain NUL), big numbers */
        const struct ay_val *items; /* arrays; sets (sorted, unique) */
        const struct ay_kv *pairs;  /* objects (sorted by key, unique keys) */
    } u;
};

struct ay_kv {
    struct ay_val k;
    struct ay_val v;
};

/* ---- constructors (no allocation unless an arena is taken) ---- */
struct ay_val ay_val_undef(void);
struct ay_val ay_val_null(void);
struct ay_val ay_val_bool(bool b);
struct ay_val ay_val_int(int64_t i);
/* A finite double; integral values within int64 become AY_NUM_INT (OPA prints 2.0 as 2).
 * NaN/Inf are not Rego numbers: callers check with isfinite first. */
struct ay_val ay_val_double(double d);
/* Borrows s (must outlive the value; e.g. a string literal). */
struct ay_val ay_val_str_static(const char *s);

/* Whether v is a collection: what `some ... in`, `every`, refs and walk iterate. */
bool ay_val_is_coll(struct ay_val v);
/* Element i (< c.len) of collection c as OPA iterates it: (index, item) of an array,
 * (key, value) of an object, (item, item) of a set. */
void ay_val_coll_at(struct ay_val c, uint32_t i, struct ay_val *key, struct ay_val *val);
/* Copies n bytes into the arena. */
AY_MUST_USE ay_err ay_val_str(struct ay_arena *a, const char *s, size_t n, struct ay_val *out);
/* Parses an integer or decimal number text (JSON number syntax); big integers kept exact. A value
 * beyond the double range ("2e308") becomes an exact big integer flagged AY_VAL_F_NUM_EXP (at most
 * AY_LIMIT_REGO_NUM_DIGITS digits, else AY_ERR_LIMIT). */
AY_MUST_USE ay_err ay_val_num_text(struct ay_arena *a, const char *s, size_t n,
                                   struct ay_val *out);
/* Copies n items into a new array. */
AY_MUST_USE ay_err ay_val_array(struct ay_arena *a, const struct ay_val *items, size_t n,
                                struct ay_val *out);
/* Copies, sorts and de-duplicates n items into a set. */
AY_MUST_USE ay_err ay_val_set(struct ay_arena *a, const struct ay_val *items, size_t n,
                              struct ay_val *out);
/* Copies and sorts n pairs into an object. Duplicate keys: the later pair wins, unless
 * strict_dups, then two different values for one key give AY_ERR_CONFLICT (no diag). */
AY_MUST_USE ay_err ay_val_object(struct ay_arena *a, const struct ay_kv *pairs, size_t n,
                                 bool strict_dups, struct ay_val *out);
static inline struct ay_val ay_val_empty(enum ay_val_kind kind)
{
    struct ay_val v = {(uint8_t)kind, 0, 0, 0, {.items = NULL}};
    return v;
}

/* Growable lists in an arena, to build arrays, sets and objects item by item. */
struct ay_val_vec {
    struct ay_arena *arena;
    struct ay_val *items;
    size_t n;
    size_t cap;
};
struct ay_kv_vec {
    struct ay_arena *arena;
    struct ay_kv *pairs;
    size_t n;
    size_t cap;
};
void ay_val_vec_init(struct ay_val_vec *v, struct ay_arena *a);
AY_MUST_USE ay_err ay_val_vec_push(struct ay_val_vec *v, struct ay_val x);
/* Finish without copying (the vector's storage becomes the value's). */
struct ay_val ay_val_vec_array(const struct ay_val_vec *v);
/* Sorts and de-duplicates in place, then finishes. */
struct ay_val ay_val_vec_set(struct ay_val_vec *v);
void ay_kv_vec_init(struct ay_kv_vec *v, struct ay_arena *a);
AY_MUST_USE ay_err ay_kv_vec_push(struct ay_kv_vec *v, struct ay_val k, struct ay_val val);
/* Sorts; duplicate keys as in ay_val_object. */
AY_MUST_USE ay_err ay_kv_vec_object(struct ay_kv_vec *v, bool strict_dups, struct ay_val *out);

/* ---- predicates and accessors ---- */
static inline bool ay_val_is(struct ay_val v, enum ay_val_kind k)
{
    return v.kind == (uint8_t)k;
}
static inline bool ay_val_defined(struct ay_val v)
{
    return v.kind != AY_V_UNDEF;
}
/* Rego truthiness of a bare expression: defined and not false. */
static inline bool ay_val_truthy(struct ay_val v)
{
    return v.kind != AY_V_UNDEF && !(v.kind == AY_V_BOOL && !v.u.b);
}
/* OPA's type names: "null", "boolean", "number", "string", "array", "object", "set". */
const char *ay_val_type_name(struct ay_val v);
/* Number helpers. is_int: an integer value (int64, big, or an integral double). */
bool ay_val_num_is_int(struct ay_val v);
/* true and *out when v is a number exactly representable as int64 (2.0 counts). */
bool ay_val_to_i64(struct ay_val v, int64_t *out);
/* Nearest double of any number (big integers may round). */
double ay_val_to_double(struct ay_val v);
/* Strings as slices. */
static inline const char *ay_val_sptr(struct ay_val v)
{
    return v.u.s;
}

/* ---- order, equality, hashing, lookup ---- */
/* OPA's total order (ast.Compare): <0, 0, >0. Numbers compare numerically across kinds. */
int ay_val_compare(struct ay_val a, struct ay_val b);
bool ay_val_equal(struct ay_val a, struct ay_val b);
uint64_t ay_val_hash(struct ay_val v);
/* Object lookup by key: NULL when absent. */
const struct ay_val *ay_val_obj_get(struct ay_val obj, struct ay_val key);
const struct ay_val *ay_val_obj_get_str(struct ay_val obj, const char *key, size_t n);
bool ay_val_set_has(struct ay_val set, struct ay_val x);

/* ---- number arithmetic (OPA semantics; int64 overflow promotes to big) ----
 * On a non-number operand or division by zero these return AY_ERR_POLICY_EVAL without a
 * message; the caller words the error. */
AY_MUST_USE ay_err ay_val_num_add(struct ay_arena *a, struct ay_val x, struct ay_val y,
                                  struct ay_val *out);
AY_MUST_USE ay_err ay_val_num_sub(struct ay_arena *a, struct ay_val x, struct ay_val y,
                                  struct ay_val *out);
AY_MUST_USE ay_err ay_val_num_mul(struct ay_arena *a, struct ay_val x, struct ay_val y,
                                  struct ay_val *out);
AY_MUST_USE ay_err ay_val_num_div(struct ay_arena *a, struct ay_val x, struct ay_val y,
                                  struct ay_val *out);
/* Both integers, y != 0; sign of the result follows x (Go's %). */
AY_MUST_USE ay_err ay_val_num_rem(struct ay_arena *a, struct ay_val x, struct ay_val y,
                                  struct ay_val *out);
AY_MUST_USE ay_err ay_val_num_neg(struct ay_arena *a, struct ay_val x, struct ay_val *out);

/* ---- text ---- */
/* JSON (OPA's output format): object keys sorted, sets as arrays, numbers without a fraction
 * when integral. Non-string object keys are written as their JSON text in a string (as OPA). */
void ay_val_write_json(struct ay_buf *b, struct ay_val v);
/* Rego term text (sprintf %v, print): [1, 2], {"a": 1}, set(), {1, 2}; strings quoted. */
void ay_val_write_term(struct ay_buf *b, struct ay_val v);
/* A number's text ("1", "12345678901234567890", "0.5"). */
void ay_val_write_num(struct ay_buf *b, struct ay_val v);

/* JSON reader: RFC 8259, exact big integers, depth <= max_depth (0 = AY_LIMIT_JSON_DEPTH).
 * Duplicate object keys: the last one wins. Errors (AY_ERR_MALFORMED / AY_ERR_LIMIT) go to diag
 * with "offset N: ..." when diag != NULL. Trailing non-space bytes are an error. */
AY_MUST_USE ay_err ay_val_parse_json(struct ay_arena *a, const char *text, size_t n,
                                     size_t max_depth, struct ay_diag *diag, struct ay_val *out);

#endif
