/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the builtin family tests: call a builtin through the lookup table with arguments
 * written as a JSON array (an object {"$set": [...]} becomes a set), and get the result as Rego
 * term text, "undefined", or "error: <message>". Expected values come from OPA's conformance
 * cases (REGO.md 1.1), written out by hand. Include after <cmocka.h>. */
#ifndef AY_TEST_REGO_BI_COMMON_H
#define AY_TEST_REGO_BI_COMMON_H

#include <stdio.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "rego/rego_builtin.h"
#include "rego/rego_value.h"

static struct ay_arena *bt_arena;
static char bt_out[8192];
static int64_t bt_now_ns = 1700000000123456789;

static struct ay_val bt_sets(struct ay_val v)
{
    if (v.kind == AY_V_OBJ) {
        const struct ay_val *s = ay_val_obj_get_str(v, "$set", 4);
        if (s != NULL && v.len == 1 && s->kind == AY_V_ARR) {
            struct ay_val items[64];
            assert_true(s->len <= 64);
            for (uint32_t i = 0; i < s->len; i++) {
                items[i] = bt_sets(s->u.items[i]);
            }
            struct ay_val out;
            assert_int_equal(ay_val_set(bt_arena, items, s->len, &out), AY_OK);
            return out;
        }
        struct ay_kv pairs[64];
        assert_true(v.len <= 64);
        for (uint32_t i = 0; i < v.len; i++) {
            pairs[i].k = v.u.pairs[i].k;
            pairs[i].v = bt_sets(v.u.pairs[i].v);
        }
        struct ay_val out;
        assert_int_equal(ay_val_object(bt_arena, pairs, v.len, false, &out), AY_OK);
        return out;
    }
    if (v.kind == AY_V_ARR) {
        struct ay_val items[64];
        assert_true(v.len <= 64);
        for (uint32_t i = 0; i < v.len; i++) {
            items[i] = bt_sets(v.u.items[i]);
        }
        struct ay_val out;
        assert_int_equal(ay_val_array(bt_arena, items, v.len, &out), AY_OK);
        return out;
    }
    return v;
}

/* Calls name(args...) and returns its result text (static buffer). */
static const char *bt_call(const char *name, const char *args_json)
{
    if (bt_arena == NULL) {
        ay_arena_new((size_t)256 * 1024 * 1024, &bt_arena);
    }
    struct ay_diag diag;
    ay_diag_clear(&diag);
    struct ay_val args;
    assert_int_equal(ay_val_parse_json(bt_arena, args_json, strlen(args_json), 0, &diag, &args),
                     AY_OK);
    assert_int_equal(args.kind, AY_V_ARR);
    args = bt_sets(args);
    const struct ay_rego_bi *bi = ay_rego_bi_find(name, strlen(name), args.len);
    if (bi == NULL) {
        (void)snprintf(bt_out, sizeof bt_out, "no builtin %s/%u", name, (unsigned)args.len);
        return bt_out;
    }
    struct ay_rego_bctx bc = {bt_arena, &diag, bt_now_ns, name, NULL};
    struct ay_val out = ay_val_undef();
    ay_err err = bi->fn(&bc, args.u.items, args.len, &out);
    if (err != AY_OK) {
        (void)snprintf(bt_out, sizeof bt_out, "error: %s", ay_diag_message(&diag));
        return bt_out;
    }
    struct ay_buf b;
    ay_buf_init(&b, NULL, sizeof bt_out - 1);
    ay_val_write_term(&b, out);
    assert_int_equal(ay_buf_finish(&b), AY_OK);
    memcpy(bt_out, b.ptr, b.len + 1);
    ay_buf_free(&b);
    return bt_out;
}

/* A table row: builtin, JSON args, expected text (exact), or an error substring after "error:".
 */
struct bt_case {
    const char *name;
    const char *args;
    const char *want;
};

static void bt_run(const struct bt_case *cases, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        const char *got = bt_call(cases[i].name, cases[i].args);
        bool ok;
        if (strncmp(cases[i].want, "error:", 6) == 0) {
            ok = strncmp(got, "error:", 6) == 0 && strstr(got, cases[i].want + 6) != NULL;
        } else {
            ok = strcmp(got, cases[i].want) == 0;
        }
        if (!ok) {
            print_error("case %zu: %s(%s)\n   want %s\n   got  %s\n", i, cases[i].name,
                        cases[i].args, cases[i].want, got);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

static int bt_teardown(void **state)
{
    (void)state;
    ay_arena_free(bt_arena);
    bt_arena = NULL;
    return 0;
}

#endif
