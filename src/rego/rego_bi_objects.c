/* SPDX-License-Identifier: Apache-2.0 */
/* Object builtins and JSON document surgery (OPA topdown/object.go, json.go): object.get with
 * paths, keys, remove, filter, union (recursive, right wins), union_n, subset; json.filter and
 * json.remove over "a/b/c" or [seg, ...] paths; json.patch per RFC 6902 (JSON Pointer per
 * RFC 6901: "~1" is "/", "~0" is "~"; array indexes without leading zeros, "-" appends). */
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_str.h"
#include "rego/rego_bi_util.h"

static ay_err bi_object_get(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_OBJ));
    if (args[1].kind != AY_V_ARR) {
        const struct ay_val *v = ay_val_obj_get(args[0], args[1]);
        *out = v != NULL ? *v : args[2];
        return AY_OK;
    }
    struct ay_val cur = args[0];
    for (uint32_t k = 0; k < args[1].len; k++) {
        struct ay_val seg = args[1].u.items[k];
        const struct ay_val *next = NULL;
        if (cur.kind == AY_V_OBJ) {
            next = ay_val_obj_get(cur, seg);
        } else if (cur.kind == AY_V_ARR) {
            int64_t i;
            if (ay_val_to_i64(seg, &i) && i >= 0 && i < (int64_t)cur.len) {
                next = &cur.u.items[i];
            }
        } else if (cur.kind == AY_V_SET) {
            if (ay_val_set_has(cur, seg)) {
                next = &seg;
            }
        }
        if (next == NULL) {
            *out = args[2];
            return AY_OK;
        }
        cur = *next;
    }
    *out = cur;
    return AY_OK;
}

static ay_err bi_object_keys(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                             struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_OBJ));
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    for (uint32_t k = 0; k < args[0].len; k++) {
        TRY(ay_val_vec_push(&v, args[0].u.pairs[k].k));
    }
    *out = ay_val_vec_set(&v);
    return AY_OK;
}

/* Operand 2 of object.remove / object.filter: keys from an array, set or object. */
static ay_err key_coll(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i)
{
    struct ay_val k = args[i];
    if (k.kind != AY_V_ARR && k.kind != AY_V_SET && k.kind != AY_V_OBJ) {
        return ay_rego_bi_type_error(bc, i, "one of {object, set, array}", k);
    }
    return AY_OK;
}

static bool key_in(struct ay_val keys, struct ay_val key)
{
    switch (keys.kind) {
    case AY_V_OBJ:
        return ay_val_obj_get(keys, key) != NULL;
    case AY_V_SET:
        return ay_val_set_has(keys, key);
    default:
        for (uint32_t k = 0; k < keys.len; k++) {
            if (ay_val_equal(keys.u.items[k], key)) {
                return true;
            }
        }
        return false;
    }
}

static ay_err keep_keys(struct ay_rego_bctx *bc, const struct ay_val *args, bool keep,
                        struct ay_val *out)
{
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_OBJ));
    TRY(key_coll(bc, args, 1));
    struct ay_kv_vec v;
    ay_kv_vec_init(&v, bc->arena);
    for (uint32_t k = 0; k < args[0].len; k++) {
        const struct ay_kv *p = &args[0].u.pairs[k];
        if (key_in(args[1], p->k) == keep) {
            TRY(ay_kv_vec_push(&v, p->k, p->v));
        }
    }
    return ay_kv_vec_object(&v, false, out);
}

static ay_err bi_object_remove(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)nargs;
    return keep_keys(bc, args, false, out);
}

static ay_err bi_object_filter(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)nargs;
    return keep_keys(bc, args, true, out);
}

/* Recursive merge: keys of b win, except that two objects merge. */
static ay_err merge(struct ay_rego_bctx *bc, struct ay_val a, struct ay_val b, size_t depth,
                    struct ay_val *out)
{
    if (a.kind != AY_V_OBJ || b.kind != AY_V_OBJ) {
        *out = b;
        return AY_OK;
    }
    if (depth > AY_LIMIT_REGO_JSON_DEPTH) {
        return ay_rego_bi_fail(bc, "objects nested too deeply");
    }
    struct ay_kv_vec v;
    ay_kv_vec_init(&v, bc->arena);
    for (uint32_t k = 0; k < a.len; k++) {
        const struct ay_val *bv = ay_val_obj_get(b, a.u.pairs[k].k);
        if (bv == NULL) {
            TRY(ay_kv_vec_push(&v, a.u.pairs[k].k, a.u.pairs[k].v));
        } else {
            struct ay_val m;
            TRY(merge(bc, a.u.pairs[k].v, *bv, depth + 1, &m));
            TRY(ay_kv_vec_push(&v, a.u.pairs[k].k, m));
        }
    }
    for (uint32_t k = 0; k < b.len; k++) {
        if (ay_val_obj_get(a, b.u.pairs[k].k) == NULL) {
            TRY(ay_kv_vec_push(&v, b.u.pairs[k].k, b.u.pairs[k].v));
        }
    }
    return ay_kv_vec_object(&v, false, out);
}

static ay_err bi_object_union(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                              struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_OBJ));
    TRY(ay_rego_bu_kind(bc, args, 1, AY_V_OBJ));
    return merge(bc, args[0], args[1], 0, out);
}

static ay_err bi_object_union_n(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_ARR));
    struct ay_val acc = ay_val_empty(AY_V_OBJ);
    for (uint32_t k = 0; k < args[0].len; k++) {
        struct ay_val e = args[0].u.items[k];
        if (e.kind != AY_V_OBJ) {
            return ay_rego_bu_type_fail(bc,
                                        "operand 1 must be array of objects but got array "
                                        "containing %s",
                                        ay_val_type_name(e));
        }
        TRY(merge(bc, acc, e, 0, &acc));
    }
    *out = acc;
    return AY_OK;
}

static bool is_subset(struct ay_val super, struct ay_val sub, size_t depth)
{
    if (depth > AY_LIMIT_REGO_JSON_DEPTH) {
        return false;
    }
    if (super.kind == AY_V_OBJ && sub.kind == AY_V_OBJ) {
        for (uint32_t k = 0; k < sub.len; k++) {
            const struct ay_val *sv = ay_val_obj_get(super, sub.u.pairs[k].k);
            if (sv == NULL || !is_subset(*sv, sub.u.pairs[k].v, depth + 1)) {
                return false;
            }
        }
        return true;
    }
    if (super.kind == AY_V_SET && sub.kind == AY_V_SET) {
        for (uint32_t k = 0; k < sub.len; k++) {
            if (!ay_val_set_has(super, sub.u.items[k])) {
                return false;
            }
        }
        return true;
    }
    if (super.kind == AY_V_ARR && sub.kind == AY_V_ARR) {
        /* a contiguous run of super equal to sub */
        if (sub.len == 0) {
            return true;
        }
        for (uint32_t s = 0; s + sub.len <= super.len; s++) {
            bool all = true;
            for (uint32_t k = 0; k < sub.len && all; k++) {
                all = ay_val_equal(super.u.items[s + k], sub.u.items[k]);
            }
            if (all) {
                return true;
            }
        }
        return false;
    }
    if (super.kind == AY_V_ARR && sub.kind == AY_V_SET) {
        for (uint32_t k = 0; k < sub.len; k++) {
            bool found = false;
            for (uint32_t j = 0; j < super.len && !found; j++) {
                found = ay_val_equal(super.u.items[j], sub.u.items[k]);
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }
    return ay_val_equal(super, sub);
}

static ay_err bi_object_subset(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)nargs;
    struct ay_val super = args[0];
    struct ay_val sub = args[1];
    switch (super.kind) {
    case AY_V_OBJ:
        if (sub.kind != AY_V_OBJ) {
            return ay_rego_bi_type_error(bc, 1, "object", sub);
        }
        break;
    case AY_V_SET:
        if (sub.kind != AY_V_SET) {
            return ay_rego_bi_type_error(bc, 1, "set", sub);
        }
        break;
    case AY_V_ARR:
        if (sub.kind != AY_V_ARR && sub.kind != AY_V_SET) {
            return ay_rego_bi_type_error(bc, 1, "one of {array, set}", sub);
        }
        break;
    default:
        return ay_rego_bi_type_error(bc, 0, "one of {object, array, set}", super);
    }
    *out = ay_val_bool(is_subset(super, sub, 0));
    return AY_OK;
}

/* ---- json.filter / json.remove ---- */

struct path {
    const struct ay_val *segs;
    size_t n;
};

/* Splits "a/b/c" (a leading "/" is ignored) into string segments. */
static ay_err split_path(struct ay_rego_bctx *bc, struct ay_val s, struct path *p)
{
    const char *t = s.u.s;
    size_t n = s.len;
    if (n > 0 && t[0] == '/') {
        t++;
        n--;
    }
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    if (n > 0) {
        size_t st = 0;
        for (size_t i = 0; i <= n; i++) {
            if (i == n || t[i] == '/') {
                struct ay_val seg;
                TRY(ay_rego_bu_mkstr(bc, t + st, i - st, &seg));
                TRY(ay_val_vec_push(&v, seg));
                st = i + 1;
            }
        }
    }
    p->segs = v.items;
    p->n = v.n;
    return AY_OK;
}

static ay_err parse_paths(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i,
                          bool detailed, struct path **out, size_t *out_n)
{
    struct ay_val ps = args[i];
    if (!ay_rego_bu_is_coll(ps)) {
        return ay_rego_bi_type_error(bc, i, "one of {set, array}", ps);
    }
    void *mem = NULL;
    if (ps.len > 0) {
        TRY(ay_arena_array(bc->arena, ps.len, sizeof(struct path), &mem));
    }
    struct path *p = mem;
    for (uint32_t k = 0; k < ps.len; k++) {
        struct ay_val e = ps.u.items[k];
        if (e.kind == AY_V_STR) {
            TRY(split_path(bc, e, &p[k]));
        } else if (e.kind == AY_V_ARR) {
            p[k].segs = e.u.items;
            p[k].n = e.len;
        } else {
            if (detailed) {
                return ay_rego_bi_type_error(
                    bc, i, "one of {set, array} containing string paths or array of path segments",
                    e);
            }
            return ay_rego_bi_type_error(bc, i, "one of {set, array}", e);
        }
    }
    *out = p;
    *out_n = ps.len;
    return AY_OK;
}

/* Does segment seg name the child with key (object key, array index, set element)? */
static bool seg_match(struct ay_val seg, struct ay_val key, bool is_index)
{
    if (ay_val_equal(seg, key)) {
        return true;
    }
    if (is_index && seg.kind == AY_V_STR && key.kind == AY_V_NUM) {
        int64_t i;
        uint64_t u;
        if (ay_val_to_i64(key, &i) &&
            ay_str_to_u64((struct ay_str){seg.u.s, seg.len}, &u) == AY_OK) {
            return (int64_t)u == i;
        }
    }
    return false;
}

/* The paths (at depth d) that continue through child key; *terminal if one ends there. */
static ay_err sub_paths(struct ay_rego_bctx *bc, const struct path *ps, size_t n, size_t d,
                        struct ay_val key, bool is_index, struct path **out, size_t *out_n)
{
    void *mem = NULL;
    TRY(ay_arena_array(bc->arena, n > 0 ? n : 1, sizeof(struct path), &mem));
    struct path *o = mem;
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (ps[k].n > d && seg_match(ps[k].segs[d], key, is_index)) {
            o[m++] = ps[k];
        }
    }
    *out = o;
    *out_n = m;
    return AY_OK;
}

static bool any_ends(const struct path *ps, size_t n, size_t d)
{
    for (size_t k = 0; k < n; k++) {
        if (ps[k].n == d) {
            return true;
        }
    }
    return false;
}

/* filter (keep=true) or remove (keep=false) the paths from v; undefined out = dropped. */
static ay_err surgery(struct ay_rego_bctx *bc, struct ay_val v, const struct path *ps, size_t n,
                      size_t d, bool keep, struct ay_val *out)
{
    if (d > AY_LIMIT_REGO_JSON_DEPTH) {
        return ay_rego_bi_fail(bc, "path too deep");
    }
    if (any_ends(ps, n, d)) {
        *out = keep ? v : ay_val_undef();
        return AY_OK;
    }
    if (n == 0) {
        *out = keep ? ay_val_undef() : v;
        return AY_OK;
    }
    struct path *sp;
    size_t sn;
    struct ay_val r;
    switch (v.kind) {
    case AY_V_OBJ: {
        struct ay_kv_vec o;
        ay_kv_vec_init(&o, bc->arena);
        for (uint32_t k = 0; k < v.len; k++) {
            TRY(sub_paths(bc, ps, n, d, v.u.pairs[k].k, false, &sp, &sn));
            TRY(surgery(bc, v.u.pairs[k].v, sp, sn, d + 1, keep, &r));
            if (ay_val_defined(r)) {
                TRY(ay_kv_vec_push(&o, v.u.pairs[k].k, r));
            }
        }
        if (keep && o.n == 0) {
            *out = ay_val_empty(AY_V_OBJ);
            return AY_OK;
        }
        return ay_kv_vec_object(&o, false, out);
    }
    case AY_V_ARR:
    case AY_V_SET: {
        struct ay_val_vec a;
        ay_val_vec_init(&a, bc->arena);
        for (uint32_t k = 0; k < v.len; k++) {
            struct ay_val key = v.kind == AY_V_ARR ? ay_val_int(k) : v.u.items[k];
            TRY(sub_paths(bc, ps, n, d, key, v.kind == AY_V_ARR, &sp, &sn));
            TRY(surgery(bc, v.u.items[k], sp, sn, d + 1, keep, &r));
            if (ay_val_defined(r)) {
                TRY(ay_val_vec_push(&a, r));
            }
        }
        *out = v.kind == AY_V_ARR ? ay_val_vec_array(&a) : ay_val_vec_set(&a);
        return AY_OK;
    }
    default:
        *out = keep ? ay_val_undef() : v;
        return AY_OK;
    }
}

static ay_err bi_json_filter(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                             struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_OBJ));
    struct path *ps;
    size_t n;
    TRY(parse_paths(bc, args, 1, false, &ps, &n));
    TRY(surgery(bc, args[0], ps, n, 0, true, out));
    if (!ay_val_defined(*out)) {
        *out = ay_val_empty(AY_V_OBJ);
    }
    return AY_OK;
}

static ay_err bi_json_remove(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                             struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_OBJ));
    struct path *ps;
    size_t n;
    TRY(parse_paths(bc, args, 1, true, &ps, &n));
    TRY(surgery(bc, args[0], ps, n, 0, false, out));
    if (!ay_val_defined(*out)) {
        *out = ay_val_empty(AY_V_OBJ);
    }
    return AY_OK;
}

/* ---- json.patch (RFC 6902) ---- */

/* RFC 6901 section 4: "~1" -> "/", "~0" -> "~"; any other "~x" is an error. */
static ay_err pointer_segs(struct ay_rego_bctx *bc, struct ay_val ptr, struct path *p, bool *ok)
{
    *ok = false;
    if (ptr.kind == AY_V_ARR) {
        p->segs = ptr.u.items;
        p->n = ptr.len;
        *ok = true;
        return AY_OK;
    }
    if (ptr.kind != AY_V_STR) {
        return AY_OK;
    }
    const char *t = ptr.u.s;
    size_t n = ptr.len;
    struct ay_val_vec v;
    ay_val_vec_init(&v, bc->arena);
    if (n > 0) {
        /* OPA accepts "foo/b" as well as "/foo/b" */
        size_t i = t[0] == '/' ? 1 : 0;
        for (;;) {
            struct ay_buf b;
            ay_rego_bu_buf(bc, &b);
            while (i < n && t[i] != '/') {
                if (t[i] == '~') {
                    if (i + 1 < n && (t[i + 1] == '0' || t[i + 1] == '1')) {
                        ay_buf_putc(&b, t[i + 1] == '0' ? '~' : '/');
                        i += 2;
                        continue;
                    }
                    return AY_OK;
                }
                ay_buf_putc(&b, t[i]);
                i++;
            }
            struct ay_val seg;
            TRY(ay_rego_bu_buf_str(bc, &b, &seg));
            TRY(ay_val_vec_push(&v, seg));
            if (i >= n) {
                break;
            }
            i++; /* the '/' */
        }
    }
    p->segs = v.items;
    p->n = v.n;
    *ok = true;
    return AY_OK;
}

/* RFC 6901 section 4: array indexes are "0" or digits without a leading zero. */
static bool array_index(struct ay_val seg, size_t len, bool allow_end, size_t *out)
{
    int64_t i;
    if (seg.kind == AY_V_NUM) {
        if (!ay_val_to_i64(seg, &i) || i < 0) {
            return false;
        }
    } else if (seg.kind == AY_V_STR) {
        if (allow_end && seg.len == 1 && seg.u.s[0] == '-') {
            *out = len;
            return true;
        }
        if (seg.len == 0 || (seg.len > 1 && seg.u.s[0] == '0')) {
            return false;
        }
        uint64_t u;
        if (ay_str_to_u64((struct ay_str){seg.u.s, seg.len}, &u) != AY_OK || u > len) {
            return false;
        }
        i = (int64_t)u;
    } else {
        return false;
    }
    if ((uint64_t)i > len || (!allow_end && (uint64_t)i == len)) {
        return false;
    }
    *out = (size_t)i;
    return true;
}

enum patch_op { P_ADD, P_REMOVE, P_REPLACE };

/* Applies add/remove/replace of val at path segs[d..] inside doc; *ok false when the path is
 * not usable. */
static ay_err patch_at(struct ay_rego_bctx *bc, struct ay_val doc, const struct path *p, size_t d,
                       enum patch_op op, struct ay_val val, struct ay_val *out, bool *ok)
{
    *ok = false;
    if (d > AY_LIMIT_REGO_JSON_DEPTH) {
        return AY_OK;
    }
    if (p->n == 0) {
        if (op == P_REMOVE) {
            return AY_OK;
        }
        *out = val;
        *ok = true;
        return AY_OK;
    }
    struct ay_val seg = p->segs[d];
    bool last = d + 1 == p->n;
    if (doc.kind == AY_V_OBJ) {
        const struct ay_val *cur = ay_val_obj_get(doc, seg);
        struct ay_kv_vec o;
        ay_kv_vec_init(&o, bc->arena);
        if (last) {
            if (op != P_ADD && cur == NULL) {
                return AY_OK;
            }
            for (uint32_t k = 0; k < doc.len; k++) {
                if (!ay_val_equal(doc.u.pairs[k].k, seg)) {
                    TRY(ay_kv_vec_push(&o, doc.u.pairs[k].k, doc.u.pairs[k].v));
                }
            }
            if (op != P_REMOVE) {
                TRY(ay_kv_vec_push(&o, seg, val));
            }
            *ok = true;
            return ay_kv_vec_object(&o, false, out);
        }
        if (cur == NULL) {
            return AY_OK;
        }
        struct ay_val child;
        TRY(patch_at(bc, *cur, p, d + 1, op, val, &child, ok));
        if (!*ok) {
            return AY_OK;
        }
        for (uint32_t k = 0; k < doc.len; k++) {
            TRY(ay_kv_vec_push(&o, doc.u.pairs[k].k,
                               ay_val_equal(doc.u.pairs[k].k, seg) ? child : doc.u.pairs[k].v));
        }
        return ay_kv_vec_object(&o, false, out);
    }
    if (doc.kind == AY_V_ARR) {
        size_t idx;
        if (!array_index(seg, doc.len, last && op == P_ADD, &idx)) {
            return AY_OK;
        }
        struct ay_val_vec a;
        ay_val_vec_init(&a, bc->arena);
        if (last) {
            for (size_t k = 0; k <= doc.len; k++) {
                if (k == idx && op != P_REMOVE) {
                    TRY(ay_val_vec_push(&a, val));
                }
                if (k < doc.len && !(k == idx && op != P_ADD)) {
                    TRY(ay_val_vec_push(&a, doc.u.items[k]));
                }
            }
            *out = ay_val_vec_array(&a);
            *ok = true;
            return AY_OK;
        }
        struct ay_val child;
        TRY(patch_at(bc, doc.u.items[idx], p, d + 1, op, val, &child, ok));
        if (!*ok) {
            return AY_OK;
        }
        for (size_t k = 0; k < doc.len; k++) {
            TRY(ay_val_vec_push(&a, k == idx ? child : doc.u.items[k]));
        }
        *out = ay_val_vec_array(&a);
        return AY_OK;
    }
    if (doc.kind == AY_V_SET) {
        /* OPA extension: a set member is addressed by its value; replacing one (or something
         * inside one) is not defined */
        if (op == P_REPLACE) {
            return AY_OK;
        }
        bool has = ay_val_set_has(doc, seg);
        struct ay_val_vec a;
        ay_val_vec_init(&a, bc->arena);
        struct ay_val child = val;
        if (!last) {
            if (!has) {
                return AY_OK;
            }
            TRY(patch_at(bc, seg, p, d + 1, op, val, &child, ok));
            if (!*ok) {
                return AY_OK;
            }
        } else if (op != P_ADD && !has) {
            return AY_OK;
        } else if (op == P_ADD && !ay_val_equal(seg, val)) {
            /* adding to a set: the path's last segment names the member, so it must be the
             * value added */
            return AY_OK;
        }
        for (uint32_t k = 0; k < doc.len; k++) {
            if (!(ay_val_equal(doc.u.items[k], seg) && (op != P_ADD || !last))) {
                TRY(ay_val_vec_push(&a, doc.u.items[k]));
            }
        }
        if (!(last && op == P_REMOVE)) {
            TRY(ay_val_vec_push(&a, child));
        }
        *out = ay_val_vec_set(&a);
        *ok = true;
        return AY_OK;
    }
    return AY_OK;
}

static bool lookup(struct ay_val doc, const struct path *p, struct ay_val *out)
{
    struct ay_val cur = doc;
    for (size_t d = 0; d < p->n; d++) {
        if (cur.kind == AY_V_OBJ) {
            const struct ay_val *v = ay_val_obj_get(cur, p->segs[d]);
            if (v == NULL) {
                return false;
            }
            cur = *v;
        } else if (cur.kind == AY_V_ARR) {
            size_t idx;
            if (!array_index(p->segs[d], cur.len, false, &idx)) {
                return false;
            }
            cur = cur.u.items[idx];
        } else if (cur.kind == AY_V_SET && ay_val_set_has(cur, p->segs[d])) {
            cur = p->segs[d];
        } else {
            return false;
        }
    }
    *out = cur;
    return true;
}

/* OPA: a patch that cannot be applied makes json.patch undefined (not an error). */
static ay_err undefined(struct ay_val *out)
{
    *out = ay_val_undef();
    return AY_OK;
}

static ay_err bi_json_patch(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 1, AY_V_ARR));
    struct ay_val doc = args[0];
    for (uint32_t k = 0; k < args[1].len; k++) {
        struct ay_val op = args[1].u.items[k];
        if (op.kind != AY_V_OBJ) {
            return undefined(out);
        }
        const struct ay_val *name = ay_val_obj_get_str(op, "op", 2);
        const struct ay_val *pv = ay_val_obj_get_str(op, "path", 4);
        const struct ay_val *vv = ay_val_obj_get_str(op, "value", 5);
        const struct ay_val *fv = ay_val_obj_get_str(op, "from", 4);
        if (name == NULL || name->kind != AY_V_STR || pv == NULL) {
            return undefined(out);
        }
        struct path p;
        bool ok;
        TRY(pointer_segs(bc, *pv, &p, &ok));
        if (!ok) {
            return undefined(out);
        }
        const char *nm = name->u.s;
        struct ay_val res;
        if (strcmp(nm, "add") == 0 || strcmp(nm, "replace") == 0) {
            if (vv == NULL) {
                return undefined(out);
            }
            TRY(patch_at(bc, doc, &p, 0, nm[0] == 'a' ? P_ADD : P_REPLACE, *vv, &res, &ok));
        } else if (strcmp(nm, "remove") == 0) {
            TRY(patch_at(bc, doc, &p, 0, P_REMOVE, ay_val_null(), &res, &ok));
        } else if (strcmp(nm, "test") == 0) {
            struct ay_val cur;
            if (vv == NULL) {
                return undefined(out);
            }
            ok = lookup(doc, &p, &cur) && ay_val_equal(cur, *vv);
            res = doc;
        } else if (strcmp(nm, "move") == 0 || strcmp(nm, "copy") == 0) {
            struct path fp;
            struct ay_val moved;
            if (fv == NULL) {
                return undefined(out);
            }
            TRY(pointer_segs(bc, *fv, &fp, &ok));
            if (!ok || !lookup(doc, &fp, &moved)) {
                return undefined(out);
            }
            res = doc;
            ok = true;
            if (nm[0] == 'm') {
                TRY(patch_at(bc, doc, &fp, 0, P_REMOVE, ay_val_null(), &res, &ok));
            }
            if (ok) {
                TRY(patch_at(bc, res, &p, 0, P_ADD, moved, &res, &ok));
            }
        } else {
            return undefined(out);
        }
        if (!ok) {
            return undefined(out);
        }
        doc = res;
    }
    *out = doc;
    return AY_OK;
}

const struct ay_rego_bi ay_rego_bi_objects[] = {
    {"object.get", 3, bi_object_get, 0},
    {"object.keys", 1, bi_object_keys, 0},
    {"object.remove", 2, bi_object_remove, 0},
    {"object.filter", 2, bi_object_filter, 0},
    {"object.union", 2, bi_object_union, 0},
    {"object.union_n", 1, bi_object_union_n, 0},
    {"object.subset", 2, bi_object_subset, 0},
    {"json.filter", 2, bi_json_filter, 0},
    {"json.remove", 2, bi_json_remove, 0},
    {"json.patch", 2, bi_json_patch, 0},
    {NULL, 0, NULL, 0},
};
