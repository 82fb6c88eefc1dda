/* SPDX-License-Identifier: Apache-2.0 */
/* Numbers, aggregates, casts, types and bits (OPA topdown/arithmetic.go, aggregates.go,
 * casts.go, type.go, bits.go). Aggregates accept arrays and sets; count also objects and strings
 * (runes). max/min/sort use the total order of rego_value.h. Integer results stay exact
 * (int64, then big through the value layer's arithmetic). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_str.h"
#include "crypto/crypto_sign.h"
#include "rego/rego_bi_util.h"

/* ---- aggregates ---- */

static ay_err bi_count(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                       struct ay_val *out)
{
    (void)nargs;
    switch (args[0].kind) {
    case AY_V_ARR:
    case AY_V_SET:
    case AY_V_OBJ:
        *out = ay_val_int(args[0].len);
        return AY_OK;
    case AY_V_STR:
        *out = ay_val_int((int64_t)ay_rego_bu_rune_count(args[0].u.s, args[0].len));
        return AY_OK;
    default:
        return ay_rego_bi_type_error(bc, 0, "one of {array, object, set, string}", args[0]);
    }
}

static ay_err fold(struct ay_rego_bctx *bc, const struct ay_val *args, bool mul, struct ay_val *out)
{
    if (!ay_rego_bu_is_coll(args[0])) {
        return ay_rego_bi_type_error(bc, 0, "one of {array, set}", args[0]);
    }
    struct ay_val acc = ay_val_int(mul ? 1 : 0);
    for (uint32_t k = 0; k < args[0].len; k++) {
        struct ay_val e = args[0].u.items[k];
        if (e.kind != AY_V_NUM) {
            return ay_rego_bu_type_fail(bc,
                                        "operand 1 must be %s of numbers but got %s "
                                        "containing %s",
                                        ay_val_type_name(args[0]), ay_val_type_name(args[0]),
                                        ay_val_type_name(e));
        }
        ay_err err =
            mul ? ay_val_num_mul(bc->arena, acc, e, &acc) : ay_val_num_add(bc->arena, acc, e, &acc);
        if (err != AY_OK) {
            return ay_rego_bi_fail(bc, "arithmetic error");
        }
    }
    *out = acc;
    return AY_OK;
}

static ay_err bi_sum(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                     struct ay_val *out)
{
    (void)nargs;
    return fold(bc, args, false, out);
}

static ay_err bi_product(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                         struct ay_val *out)
{
    (void)nargs;
    return fold(bc, args, true, out);
}

static ay_err extreme(struct ay_rego_bctx *bc, const struct ay_val *args, int sign,
                      struct ay_val *out)
{
    if (!ay_rego_bu_is_coll(args[0])) {
        return ay_rego_bi_type_error(bc, 0, "one of {array, set}", args[0]);
    }
    if (args[0].len == 0) {
        *out = ay_val_undef();
        return AY_OK;
    }
    struct ay_val best = args[0].u.items[0];
    for (uint32_t k = 1; k < args[0].len; k++) {
        if (ay_val_compare(args[0].u.items[k], best) * sign > 0) {
            best = args[0].u.items[k];
        }
    }
    *out = best;
    return AY_OK;
}

static ay_err bi_max(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                     struct ay_val *out)
{
    (void)nargs;
    return extreme(bc, args, 1, out);
}

static ay_err bi_min(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                     struct ay_val *out)
{
    (void)nargs;
    return extreme(bc, args, -1, out);
}

static int cmp_vals(const void *a, const void *b)
{
    return ay_val_compare(*(const struct ay_val *)a, *(const struct ay_val *)b);
}

static ay_err bi_sort(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                      struct ay_val *out)
{
    (void)nargs;
    if (!ay_rego_bu_is_coll(args[0])) {
        return ay_rego_bi_type_error(bc, 0, "one of {array, set}", args[0]);
    }
    size_t n = args[0].len;
    if (n == 0) {
        *out = ay_val_empty(AY_V_ARR);
        return AY_OK;
    }
    void *mem;
    TRY(ay_arena_array(bc->arena, n, sizeof(struct ay_val), &mem));
    memcpy(mem, args[0].u.items, n * sizeof(struct ay_val));
    qsort(mem, n, sizeof(struct ay_val), cmp_vals);
    struct ay_val v = {AY_V_ARR, 0, 0, (uint32_t)n, {.items = mem}};
    *out = v;
    return AY_OK;
}

/* ---- numbers ---- */

static ay_err num_arg(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i)
{
    return ay_rego_bu_kind(bc, args, i, AY_V_NUM);
}

static ay_err bi_abs(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                     struct ay_val *out)
{
    (void)nargs;
    TRY(num_arg(bc, args, 0));
    if (ay_val_compare(args[0], ay_val_int(0)) < 0) {
        if (ay_val_num_neg(bc->arena, args[0], out) != AY_OK) {
            return ay_rego_bi_fail(bc, "arithmetic error");
        }
        return AY_OK;
    }
    *out = args[0];
    return AY_OK;
}

static ay_err rounding(struct ay_rego_bctx *bc, const struct ay_val *args, double (*fn)(double),
                       struct ay_val *out)
{
    TRY(num_arg(bc, args, 0));
    if (args[0].sub != AY_NUM_DBL) {
        *out = args[0];
        return AY_OK;
    }
    *out = ay_val_double(fn(args[0].u.d));
    return AY_OK;
}

static ay_err bi_ceil(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                      struct ay_val *out)
{
    (void)nargs;
    return rounding(bc, args, ceil, out);
}

static ay_err bi_floor(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                       struct ay_val *out)
{
    (void)nargs;
    return rounding(bc, args, floor, out);
}

static ay_err bi_round(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                       struct ay_val *out)
{
    (void)nargs;
    return rounding(bc, args, round, out); /* half away from zero, as Go's math.Round */
}

static ay_err push_range(struct ay_rego_bctx *bc, int64_t a, int64_t b, int64_t step,
                         struct ay_val *out)
{
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    uint64_t span = a <= b ? (uint64_t)b - (uint64_t)a : (uint64_t)a - (uint64_t)b;
    if (span / (uint64_t)step >= 10000000u) {
        return ay_rego_bi_fail(bc, "range too large");
    }
    if (a <= b) {
        for (int64_t x = a;; x += step) {
            TRY(ay_val_vec_push(&v, ay_val_int(x)));
            if ((uint64_t)b - (uint64_t)x < (uint64_t)step) {
                break;
            }
        }
    } else {
        for (int64_t x = a;; x -= step) {
            TRY(ay_val_vec_push(&v, ay_val_int(x)));
            if ((uint64_t)x - (uint64_t)b < (uint64_t)step) {
                break;
            }
        }
    }
    *out = ay_val_vec_array(&v);
    return AY_OK;
}

static ay_err bi_range(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                       struct ay_val *out)
{
    (void)nargs;
    int64_t a, b;
    TRY(ay_rego_bu_int(bc, args, 0, &a));
    TRY(ay_rego_bu_int(bc, args, 1, &b));
    return push_range(bc, a, b, 1, out);
}

static ay_err bi_range_step(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    int64_t a, b, s;
    TRY(ay_rego_bu_int(bc, args, 0, &a));
    TRY(ay_rego_bu_int(bc, args, 1, &b));
    TRY(num_arg(bc, args, 2));
    if (!ay_val_to_i64(args[2], &s)) {
        /* a step beyond int64 is larger than any span: only the start remains */
        if (!ay_val_num_is_int(args[2]) || ay_val_compare(args[2], ay_val_int(0)) <= 0) {
            return ay_rego_bi_fail(bc, "step must be a positive integer");
        }
        s = INT64_MAX;
    }
    if (s <= 0) {
        return ay_rego_bi_fail(bc, "step must be a positive integer");
    }
    return push_range(bc, a, b, s, out);
}

static ay_err bi_to_number(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                           struct ay_val *out)
{
    (void)nargs;
    struct ay_val v = args[0];
    switch (v.kind) {
    case AY_V_NULL:
        *out = ay_val_int(0);
        return AY_OK;
    case AY_V_BOOL:
        *out = ay_val_int(v.u.b ? 1 : 0);
        return AY_OK;
    case AY_V_NUM:
        *out = v;
        return AY_OK;
    case AY_V_STR: {
        /* Go strconv.ParseFloat syntax; NaN and infinities are not Rego numbers. */
        char tmp[64];
        if (v.len == 0 || v.len >= sizeof tmp) {
            if (v.len != 0 && ay_val_num_text(bc->arena, v.u.s, v.len, out) == AY_OK) {
                return AY_OK;
            }
            return ay_rego_bi_fail(bc, "strconv.ParseFloat: parsing %s: invalid syntax",
                                   v.len == 0 ? "\"\"" : "input");
        }
        memcpy(tmp, v.u.s, v.len);
        tmp[v.len] = '\0';
        const char *p = tmp;
        if (*p == '+' || *p == '-') {
            p++;
        }
        char c0 = (char)ay_to_lower((unsigned char)p[0]);
        if (c0 == 'i' || c0 == 'n') {
            return ay_rego_bi_type_error(bc, 0, "valid number string", v);
        }
        char *end = NULL;
        double d = strtod(tmp, &end);
        if (end == tmp || *end != '\0' || !isfinite(d)) {
            return ay_rego_bi_fail(bc, "strconv.ParseFloat: parsing \"%s\": invalid syntax", tmp);
        }
        if (tmp[0] == '+') {
            p = tmp + 1;
        } else {
            p = tmp;
        }
        if (ay_val_num_text(bc->arena, p, strlen(p), out) == AY_OK) {
            return AY_OK;
        }
        *out = ay_val_double(d);
        return AY_OK;
    }
    default:
        return ay_rego_bi_type_error(bc, 0, "one of {null, boolean, number, string}", v);
    }
}

/* ---- types ---- */

#define IS_FN(fname, want)                                                                \
    static ay_err fname(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs, \
                        struct ay_val *out)                                               \
    {                                                                                     \
        (void)bc;                                                                         \
        (void)nargs;                                                                      \
        *out = ay_val_bool(args[0].kind == (want));                                       \
        return AY_OK;                                                                     \
    }

IS_FN(bi_is_number, AY_V_NUM)
IS_FN(bi_is_string, AY_V_STR)
IS_FN(bi_is_boolean, AY_V_BOOL)
IS_FN(bi_is_array, AY_V_ARR)
IS_FN(bi_is_set, AY_V_SET)
IS_FN(bi_is_object, AY_V_OBJ)
IS_FN(bi_is_null, AY_V_NULL)

static ay_err bi_type_name(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                           struct ay_val *out)
{
    (void)bc;
    (void)nargs;
    *out = ay_val_str_static(ay_val_type_name(args[0]));
    return AY_OK;
}

/* ---- bits (two's complement on int64; OPA uses big.Int, which agrees within int64) ---- */

static ay_err bits2(struct ay_rego_bctx *bc, const struct ay_val *args, int op, struct ay_val *out)
{
    int64_t a, b;
    TRY(ay_rego_bu_int(bc, args, 0, &a));
    TRY(ay_rego_bu_int(bc, args, 1, &b));
    switch (op) {
    case 0:
        *out = ay_val_int(a & b);
        break;
    case 1:
        *out = ay_val_int(a | b);
        break;
    case 2:
        *out = ay_val_int(a ^ b);
        break;
    default:
        if (b < 0) {
            return ay_rego_bu_type_fail(bc, "operand 2 must be an unsigned integer number but "
                                            "got a negative integer");
        }
        if (op == 3) {
            /* left shift: exact through the value layer's big arithmetic */
            struct ay_val r = ay_val_int(a);
            for (int64_t k = 0; k < b; k++) {
                if (k > 4096) {
                    return ay_rego_bi_fail(bc, "shift too large");
                }
                if (ay_val_num_mul(bc->arena, r, ay_val_int(2), &r) != AY_OK) {
                    return ay_rego_bi_fail(bc, "arithmetic error");
                }
            }
            *out = r;
        } else {
            *out = ay_val_int(b >= 63 ? (a < 0 ? -1 : 0) : (a >> b));
        }
        break;
    }
    return AY_OK;
}

static ay_err bi_bits_and(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                          struct ay_val *out)
{
    (void)nargs;
    return bits2(bc, args, 0, out);
}

static ay_err bi_bits_or(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                         struct ay_val *out)
{
    (void)nargs;
    return bits2(bc, args, 1, out);
}

static ay_err bi_bits_xor(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                          struct ay_val *out)
{
    (void)nargs;
    return bits2(bc, args, 2, out);
}

static ay_err bi_bits_lsh(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                          struct ay_val *out)
{
    (void)nargs;
    return bits2(bc, args, 3, out);
}

static ay_err bi_bits_rsh(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                          struct ay_val *out)
{
    (void)nargs;
    return bits2(bc, args, 4, out);
}

static ay_err bi_bits_negate(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                             struct ay_val *out)
{
    (void)nargs;
    int64_t a;
    TRY(ay_rego_bu_int(bc, args, 0, &a));
    *out = ay_val_int(~a);
    return AY_OK;
}

/* ---- arrays and sets ---- */

static ay_err bi_array_concat(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                              struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_ARR));
    TRY(ay_rego_bu_kind(bc, args, 1, AY_V_ARR));
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    for (size_t a = 0; a < 2; a++) {
        for (uint32_t k = 0; k < args[a].len; k++) {
            TRY(ay_val_vec_push(&v, args[a].u.items[k]));
        }
    }
    *out = ay_val_vec_array(&v);
    return AY_OK;
}

static ay_err bi_array_slice(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                             struct ay_val *out)
{
    (void)nargs;
    int64_t a, b;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_ARR));
    TRY(ay_rego_bu_int(bc, args, 1, &a));
    TRY(ay_rego_bu_int(bc, args, 2, &b));
    int64_t n = args[0].len;
    /* OPA clamps: negative start is 0, stop beyond length is the length, start > stop empty */
    if (a < 0) {
        a = 0;
    }
    if (b > n) {
        b = n;
    }
    if (a >= b) {
        *out = ay_val_empty(AY_V_ARR);
        return AY_OK;
    }
    return ay_val_array(bc->arena, args[0].u.items + a, (size_t)(b - a), out);
}

static ay_err bi_array_reverse(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_ARR));
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    for (uint32_t k = args[0].len; k > 0; k--) {
        TRY(ay_val_vec_push(&v, args[0].u.items[k - 1]));
    }
    *out = ay_val_vec_array(&v);
    return AY_OK;
}

static ay_err flatten_into(struct ay_rego_bctx *bc, struct ay_val a, struct ay_val_vec *v,
                           size_t depth)
{
    if (depth > 256) {
        return ay_rego_bi_fail(bc, "array nested too deeply");
    }
    for (uint32_t k = 0; k < a.len; k++) {
        if (a.u.items[k].kind == AY_V_ARR && depth == 0) {
            /* OPA flattens one level only */
            TRY(flatten_into(bc, a.u.items[k], v, depth + 1));
        } else {
            TRY(ay_val_vec_push(v, a.u.items[k]));
        }
    }
    return AY_OK;
}

static ay_err bi_array_flatten(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_ARR));
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    TRY(flatten_into(bc, args[0], &v, 0));
    *out = ay_val_vec_array(&v);
    return AY_OK;
}

/* intersection/union take a set of sets. */
static ay_err set_of_sets(struct ay_rego_bctx *bc, const struct ay_val *args)
{
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_SET));
    for (uint32_t k = 0; k < args[0].len; k++) {
        if (args[0].u.items[k].kind != AY_V_SET) {
            return ay_rego_bu_type_fail(bc,
                                        "operand 1 must be set of sets but got set "
                                        "containing %s",
                                        ay_val_type_name(args[0].u.items[k]));
        }
    }
    return AY_OK;
}

static ay_err bi_union(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                       struct ay_val *out)
{
    (void)nargs;
    TRY(set_of_sets(bc, args));
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    for (uint32_t k = 0; k < args[0].len; k++) {
        struct ay_val s = args[0].u.items[k];
        for (uint32_t j = 0; j < s.len; j++) {
            TRY(ay_val_vec_push(&v, s.u.items[j]));
        }
    }
    *out = ay_val_vec_set(&v);
    return AY_OK;
}

static ay_err bi_intersection(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                              struct ay_val *out)
{
    (void)nargs;
    TRY(set_of_sets(bc, args));
    if (args[0].len == 0) {
        *out = ay_val_empty(AY_V_SET);
        return AY_OK;
    }
    struct ay_val first = args[0].u.items[0];
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    for (uint32_t j = 0; j < first.len; j++) {
        bool all = true;
        for (uint32_t k = 1; k < args[0].len && all; k++) {
            all = ay_val_set_has(args[0].u.items[k], first.u.items[j]);
        }
        if (all) {
            TRY(ay_val_vec_push(&v, first.u.items[j]));
        }
    }
    *out = ay_val_vec_set(&v);
    return AY_OK;
}

/* rand.intn(key, n) (OPA topdown/numbers.go): a random integer in [0, |n|), 0 for n == 0. The
 * engine memoises it per evaluation (AY_REGO_BI_NONDET), so the same key and n give the same
 * number throughout one evaluation; key only distinguishes draws. */
static ay_err bi_rand_intn(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                           struct ay_val *out)
{
    (void)nargs;
    const char *key;
    size_t kn;
    int64_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &key, &kn));
    TRY(ay_rego_bu_int(bc, args, 1, &n));
    if (n == 0) {
        *out = ay_val_int(0);
        return AY_OK;
    }
    uint64_t bound = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    /* rejection sampling: a uniform draw without modulo bias */
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t v;
    do {
        uint8_t b[8];
        struct ay_diag d;
        ay_diag_clear(&d);
        if (ay_sign_random(b, sizeof b, &d) != AY_OK) {
            return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
        }
        v = 0;
        for (size_t i = 0; i < 8; i++) {
            v = v << 8 | b[i];
        }
    } while (v >= limit);
    *out = ay_val_int((int64_t)(v % bound));
    return AY_OK;
}

const struct ay_rego_bi ay_rego_bi_numbers[] = {
    {"rand.intn", 2, bi_rand_intn, AY_REGO_BI_NONDET},
    {"count", 1, bi_count, 0},
    {"sum", 1, bi_sum, 0},
    {"product", 1, bi_product, 0},
    {"max", 1, bi_max, 0},
    {"min", 1, bi_min, 0},
    {"sort", 1, bi_sort, 0},
    {"abs", 1, bi_abs, 0},
    {"ceil", 1, bi_ceil, 0},
    {"floor", 1, bi_floor, 0},
    {"round", 1, bi_round, 0},
    {"numbers.range", 2, bi_range, 0},
    {"numbers.range_step", 3, bi_range_step, 0},
    {"to_number", 1, bi_to_number, 0},
    {"is_number", 1, bi_is_number, 0},
    {"is_string", 1, bi_is_string, 0},
    {"is_boolean", 1, bi_is_boolean, 0},
    {"is_array", 1, bi_is_array, 0},
    {"is_set", 1, bi_is_set, 0},
    {"is_object", 1, bi_is_object, 0},
    {"is_null", 1, bi_is_null, 0},
    {"type_name", 1, bi_type_name, 0},
    {"bits.and", 2, bi_bits_and, 0},
    {"bits.or", 2, bi_bits_or, 0},
    {"bits.xor", 2, bi_bits_xor, 0},
    {"bits.lsh", 2, bi_bits_lsh, 0},
    {"bits.rsh", 2, bi_bits_rsh, 0},
    {"bits.negate", 1, bi_bits_negate, 0},
    {"array.concat", 2, bi_array_concat, 0},
    {"array.slice", 3, bi_array_slice, 0},
    {"array.reverse", 1, bi_array_reverse, 0},
    {"array.flatten", 1, bi_array_flatten, 0},
    {"union", 1, bi_union, 0},
    {"intersection", 1, bi_intersection, 0},
    {NULL, 0, NULL, 0},
};
