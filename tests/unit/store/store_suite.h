/* SPDX-License-Identifier: Apache-2.0 */
/* Backend-independent store tests, included by test_store_memory.c and test_store_sqlite.c.
 * Each test gets a fresh store from the including file's open_store(). */
#ifndef AY_TEST_STORE_SUITE_H
#define AY_TEST_STORE_SUITE_H

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_cursor.h"
#include "base/base_err.h"
#include "base/base_limits.h"
#include "store/store.h"

static struct ay_store *open_store(void);
static void close_store(struct ay_store *s);

static void suite_put_get(void **state)
{
    (void)state;
    struct ay_store *s = open_store();
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_arena *a;
    ay_arena_new(1 << 20, &a);
    struct ay_span v = {0};
    assert_int_equal(ay_store_get(s, AY_STORE_NS_POLICY, "p1", a, &v, &d), AY_ERR_NOT_FOUND);
    assert_non_null(strstr(d.msg, "p1"));
    assert_int_equal(ay_store_put(s, AY_STORE_NS_POLICY, "p1", "hello", 5, &d), AY_OK);
    assert_int_equal(ay_store_get(s, AY_STORE_NS_POLICY, "p1", a, &v, &d), AY_OK);
    assert_int_equal(v.len, 5);
    assert_memory_equal(v.ptr, "hello", 5);
    assert_int_equal(v.ptr[5], 0); /* NUL after the value */
    /* Same key in another namespace is another entry. */
    assert_int_equal(ay_store_get(s, AY_STORE_NS_RV, "p1", a, &v, &d), AY_ERR_NOT_FOUND);
    /* Overwrite. */
    assert_int_equal(ay_store_put(s, AY_STORE_NS_POLICY, "p1", "bye", 3, &d), AY_OK);
    assert_int_equal(ay_store_get(s, AY_STORE_NS_POLICY, "p1", a, &v, &d), AY_OK);
    assert_int_equal(v.len, 3);
    assert_memory_equal(v.ptr, "bye", 3);
    /* Empty value and binary value with NUL bytes. */
    assert_int_equal(ay_store_put(s, AY_STORE_NS_RV, "empty", "", 0, &d), AY_OK);
    assert_int_equal(ay_store_get(s, AY_STORE_NS_RV, "empty", a, &v, &d), AY_OK);
    assert_int_equal(v.len, 0);
    static const uint8_t bin[] = {0, 1, 0, 255};
    assert_int_equal(ay_store_put(s, AY_STORE_NS_RV, "bin", bin, sizeof bin, &d), AY_OK);
    assert_int_equal(ay_store_get(s, AY_STORE_NS_RV, "bin", a, &v, &d), AY_OK);
    assert_int_equal(v.len, 4);
    assert_memory_equal(v.ptr, bin, 4);
    ay_arena_free(a);
    close_store(s);
}

static void suite_delete(void **state)
{
    (void)state;
    struct ay_store *s = open_store();
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_store_delete(s, AY_STORE_NS_POLICY, "nope", &d), AY_ERR_NOT_FOUND);
    ay_diag_clear(&d);
    assert_int_equal(ay_store_put(s, AY_STORE_NS_POLICY, "x", "1", 1, &d), AY_OK);
    assert_int_equal(ay_store_delete(s, AY_STORE_NS_POLICY, "x", &d), AY_OK);
    assert_int_equal(ay_store_delete(s, AY_STORE_NS_POLICY, "x", &d), AY_ERR_NOT_FOUND);
    close_store(s);
}

static void suite_put_if_absent(void **state)
{
    (void)state;
    struct ay_store *s = open_store();
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_arena *a;
    ay_arena_new(1 << 20, &a);
    int ins = -1;
    assert_int_equal(ay_store_put_if_absent(s, AY_STORE_NS_POLICY, "d", "one", 3, &ins, &d), AY_OK);
    assert_int_equal(ins, 1);
    assert_int_equal(ay_store_put_if_absent(s, AY_STORE_NS_POLICY, "d", "two", 3, &ins, &d), AY_OK);
    assert_int_equal(ins, 0);
    struct ay_span v = {0};
    assert_int_equal(ay_store_get(s, AY_STORE_NS_POLICY, "d", a, &v, &d), AY_OK);
    assert_memory_equal(v.ptr, "one", 3);
    ay_arena_free(a);
    close_store(s);
}

struct collect {
    char keys[16][16];
    size_t n;
    size_t stop_at;
};

static ay_err collect_fn(void *arg, const char *key, const uint8_t *val, size_t len)
{
    struct collect *c = arg;
    (void)val;
    (void)len;
    if (c->n == c->stop_at) {
        return AY_ERR_CONFLICT;
    }
    snprintf(c->keys[c->n], sizeof c->keys[c->n], "%s", key);
    c->n++;
    return AY_OK;
}

static void suite_list_order(void **state)
{
    (void)state;
    struct ay_store *s = open_store();
    struct ay_diag d;
    ay_diag_clear(&d);
    static const char *const ins[] = {"default_gpu", "b", "default_cpu", "a", "zz", "Z"};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(ay_store_put(s, AY_STORE_NS_POLICY, ins[i], "v", 1, &d), AY_OK);
    }
    assert_int_equal(ay_store_put(s, AY_STORE_NS_RV, "other", "v", 1, &d), AY_OK);
    assert_int_equal(ay_store_put(s, "a_ns", "first", "v", 1, &d), AY_OK);
    struct collect c = {.stop_at = 99};
    assert_int_equal(ay_store_list(s, AY_STORE_NS_POLICY, collect_fn, &c, &d), AY_OK);
    assert_int_equal(c.n, 6);
    static const char *const want[] = {"Z", "a", "b", "default_cpu", "default_gpu", "zz"};
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(c.keys[i], want[i]);
    }
    /* A callback error stops the walk and comes back. */
    struct collect c2 = {.stop_at = 2};
    assert_int_equal(ay_store_list(s, AY_STORE_NS_POLICY, collect_fn, &c2, &d), AY_ERR_CONFLICT);
    assert_int_equal(c2.n, 2);
    /* Empty namespace lists nothing. */
    struct collect c3 = {.stop_at = 99};
    assert_int_equal(ay_store_list(s, "empty_ns", collect_fn, &c3, &d), AY_OK);
    assert_int_equal(c3.n, 0);
    close_store(s);
}

static void suite_bad_args(void **state)
{
    (void)state;
    struct ay_store *s = open_store();
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_store_put(s, AY_STORE_NS_POLICY, "", "v", 1, &d), AY_ERR_BAD_REQUEST);
    static char key[AY_LIMIT_STORE_KEY + 2];
    memset(key, 'k', AY_LIMIT_STORE_KEY);
    key[AY_LIMIT_STORE_KEY] = '\0';
    /* At the limit: accepted; one past it: refused. */
    assert_int_equal(ay_store_put(s, AY_STORE_NS_POLICY, key, "v", 1, &d), AY_OK);
    key[AY_LIMIT_STORE_KEY] = 'k';
    key[AY_LIMIT_STORE_KEY + 1] = '\0';
    assert_int_equal(ay_store_put(s, AY_STORE_NS_POLICY, key, "v", 1, &d), AY_ERR_LIMIT);
    assert_int_equal(ay_store_put(s, AY_STORE_NS_POLICY, "k", "v", AY_LIMIT_STORE_VALUE + 1, &d),
                     AY_ERR_LIMIT);
    close_store(s);
}

#define SUITE_THREADS    4
#define SUITE_PER_THREAD 50

struct worker {
    struct ay_store *s;
    int id;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct ay_arena *a;
    ay_arena_new(1 << 20, &a);
    for (int i = 0; i < SUITE_PER_THREAD; i++) {
        char key[32];
        char val[32];
        snprintf(key, sizeof key, "t%d-k%03d", w->id, i);
        snprintf(val, sizeof val, "v%d-%d", w->id, i);
        struct ay_diag d;
        ay_diag_clear(&d);
        if (ay_store_put(w->s, AY_STORE_NS_RV, key, val, strlen(val), &d) != AY_OK) {
            w->failures++;
        }
        struct ay_span v = {0};
        if (ay_store_get(w->s, AY_STORE_NS_RV, key, a, &v, &d) != AY_OK || v.len != strlen(val) ||
            memcmp(v.ptr, val, v.len) != 0) {
            w->failures++;
        }
        ay_arena_reset(a);
    }
    ay_arena_free(a);
    return NULL;
}

static ay_err count_fn(void *arg, const char *key, const uint8_t *val, size_t len)
{
    (void)key;
    (void)val;
    (void)len;
    (*(size_t *)arg)++;
    return AY_OK;
}

static void suite_threads(void **state)
{
    (void)state;
    struct ay_store *s = open_store();
    pthread_t t[SUITE_THREADS];
    struct worker w[SUITE_THREADS];
    for (int i = 0; i < SUITE_THREADS; i++) {
        w[i] = (struct worker){s, i, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < SUITE_THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    struct ay_diag d;
    ay_diag_clear(&d);
    size_t n = 0;
    assert_int_equal(ay_store_list(s, AY_STORE_NS_RV, count_fn, &n, &d), AY_OK);
    assert_int_equal(n, SUITE_THREADS * SUITE_PER_THREAD);
    close_store(s);
}

#define SUITE_TESTS                                                                \
    cmocka_unit_test(suite_put_get), cmocka_unit_test(suite_delete),               \
        cmocka_unit_test(suite_put_if_absent), cmocka_unit_test(suite_list_order), \
        cmocka_unit_test(suite_bad_args), cmocka_unit_test(suite_threads)

#endif
