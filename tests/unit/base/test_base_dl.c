/* SPDX-License-Identifier: Apache-2.0 */
/* base_dl: libraries loaded on first use. The messages for a missing library and a missing
 * symbol, the first missing symbol reported, a table that works, the once-per-process state
 * (init run once, a failure kept with its message, many threads at once). libc.so.6 stands in
 * for a real library: it is always there and has known and unknown symbols. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_dl.h"

/* A table of two libc functions and, for the failure cases, one that does not exist. */
struct libc_api {
    size_t (*strlen)(const char *s);
    int (*memcmp)(const void *a, const void *b, size_t n);
    void (*missing)(void);
};

#define LIBC_SYM(field, name) AY_DL_SYM(struct libc_api, field, name)

static const struct ay_dl_sym GOOD[] = {
    LIBC_SYM(strlen, "strlen"),
    LIBC_SYM(memcmp, "memcmp"),
};

static const struct ay_dl_sym BAD[] = {
    LIBC_SYM(strlen, "strlen"),
    LIBC_SYM(missing, "ay_dl_test_no_such_symbol"),
    LIBC_SYM(memcmp, "ay_dl_test_no_such_symbol_either"),
};

static struct ay_dl_spec spec_of(const char *soname, const struct ay_dl_sym *syms, size_t n)
{
    struct ay_dl_spec s = {
        .soname = soname,
        .package = "libc6",
        .kind = "libc",
        .code = AY_ERR_LIBRARY,
        .syms = syms,
        .n_syms = n,
        .init = NULL,
    };
    return s;
}

static bool has(const struct ay_diag *d, const char *text)
{
    return strstr(ay_diag_message(d), text) != NULL;
}

static void test_open_ok(void **state)
{
    (void)state;
    struct ay_dl_spec s = spec_of("libc.so.6", GOOD, 2);
    struct libc_api api;
    memset(&api, 0, sizeof api);
    void *h = NULL;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_dl_open(&s, &api, &h, &d), AY_OK);
    assert_non_null(h);
    assert_non_null(api.strlen);
    assert_non_null(api.memcmp);
    assert_null(api.missing); /* not listed, not touched */
    assert_int_equal(api.strlen("assay"), 5);
    assert_int_equal(api.memcmp("ab", "ab", 2), 0);
    ay_dl_close(h);
    ay_dl_close(NULL); /* a no-op */
}

static void test_library_missing(void **state)
{
    (void)state;
    struct ay_dl_spec s = spec_of("libassay-no-such-library.so.7", GOOD, 2);
    s.package = "libassay-no-such7";
    s.code = AY_ERR_NETWORK; /* the caller's code is the one returned */
    struct libc_api api;
    void *h = (void *)&api;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_dl_open(&s, &api, &h, &d), AY_ERR_NETWORK);
    assert_true(has(&d, "cannot load libassay-no-such-library.so.7 (install libassay-no-such7): "));
    /* The loader's own reason follows. */
    assert_true(has(&d, "libassay-no-such-library.so.7: cannot open shared object file"));
    assert_ptr_equal(h, (void *)&api); /* out-param untouched on failure */
}

static void test_symbol_missing(void **state)
{
    (void)state;
    struct ay_dl_spec s = spec_of("libc.so.6", BAD, 3);
    struct libc_api api;
    memset(&api, 0, sizeof api);
    void *h = NULL;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_dl_open(&s, &api, &h, &d), AY_ERR_LIBRARY);
    /* The first missing symbol is named, not the second. */
    assert_string_equal(ay_diag_message(&d),
                        "libc.so.6 has no ay_dl_test_no_such_symbol (not libc?)");
    assert_null(h);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct libc_api api;
    void *h = NULL;
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_dl_spec s = spec_of(NULL, GOOD, 2);
    assert_int_equal(ay_dl_open(&s, &api, &h, &d), AY_ERR_LIBRARY);
    assert_true(has(&d, "no library name"));
    ay_diag_clear(&d);
    assert_int_equal(ay_dl_open(NULL, &api, &h, &d), AY_ERR_INTERNAL);

    /* A slot that cannot hold a pointer is a programming error, said as such. */
    struct narrow {
        uint16_t slot;
    };
    static const struct ay_dl_sym NARROW[] = {AY_DL_SYM(struct narrow, slot, "strlen")};
    struct narrow n;
    s = spec_of("libc.so.6", NARROW, 1);
    ay_diag_clear(&d);
    assert_int_equal(ay_dl_open(&s, &n, &h, &d), AY_ERR_INTERNAL);
    assert_true(has(&d, "slot for strlen is not pointer-sized"));
    /* No symbols at all: opening is all there is. */
    s = spec_of("libc.so.6", NULL, 0);
    ay_diag_clear(&d);
    assert_int_equal(ay_dl_open(&s, &n, &h, &d), AY_OK);
    ay_dl_close(h);
}

/* ---- once per process ---- */

static int g_init_runs;
static ay_err g_init_result;

static ay_err count_init(void *table, struct ay_diag *d)
{
    const struct libc_api *a = table;
    g_init_runs++;
    /* The table is filled before init runs. */
    if (a->strlen == NULL || a->strlen("x") != 1) {
        return FAIL(d, AY_ERR_INTERNAL, "init saw an empty table");
    }
    if (g_init_result != AY_OK) {
        return FAIL(d, g_init_result, "test init failed on purpose");
    }
    return AY_OK;
}

static void test_load_once_ok(void **state)
{
    (void)state;
    static struct ay_dl_once once = AY_DL_ONCE_INIT;
    static struct libc_api api;
    struct ay_dl_spec s = spec_of("libc.so.6", GOOD, 2);
    s.init = count_init;
    g_init_runs = 0;
    g_init_result = AY_OK;
    for (int i = 0; i < 3; i++) {
        struct ay_diag d;
        ay_diag_clear(&d);
        assert_int_equal(ay_dl_load(&once, &s, &api, &d), AY_OK);
        assert_int_equal(d.code, AY_OK); /* nothing recorded on success */
    }
    assert_int_equal(g_init_runs, 1);
    assert_int_equal(api.strlen("four"), 4);
    /* A NULL diagnostic is accepted. */
    assert_int_equal(ay_dl_load(&once, &s, &api, NULL), AY_OK);
}

static void test_load_once_missing(void **state)
{
    (void)state;
    static struct ay_dl_once once = AY_DL_ONCE_INIT;
    static struct libc_api api;
    struct ay_dl_spec s = spec_of("libassay-no-such-library.so.7", GOOD, 2);
    s.init = count_init;
    g_init_runs = 0;
    for (int i = 0; i < 3; i++) {
        struct ay_diag d;
        ay_diag_clear(&d);
        assert_int_equal(ay_dl_load(&once, &s, &api, &d), AY_ERR_LIBRARY);
        /* Every call says why, not only the first. */
        assert_true(has(&d, "cannot load libassay-no-such-library.so.7 (install libc6): "));
    }
    assert_int_equal(g_init_runs, 0);
    assert_int_equal(ay_dl_load(&once, &s, &api, NULL), AY_ERR_LIBRARY);
}

static void test_load_once_symbol_missing(void **state)
{
    (void)state;
    static struct ay_dl_once once = AY_DL_ONCE_INIT;
    static struct libc_api api;
    struct ay_dl_spec s = spec_of("libc.so.6", BAD, 3);
    for (int i = 0; i < 2; i++) {
        struct ay_diag d;
        ay_diag_clear(&d);
        assert_int_equal(ay_dl_load(&once, &s, &api, &d), AY_ERR_LIBRARY);
        assert_string_equal(ay_diag_message(&d),
                            "libc.so.6 has no ay_dl_test_no_such_symbol (not libc?)");
    }
}

static void test_load_once_init_fails(void **state)
{
    (void)state;
    static struct ay_dl_once once = AY_DL_ONCE_INIT;
    static struct libc_api api;
    struct ay_dl_spec s = spec_of("libc.so.6", GOOD, 2);
    s.init = count_init;
    g_init_runs = 0;
    g_init_result = AY_ERR_NETWORK;
    for (int i = 0; i < 2; i++) {
        struct ay_diag d;
        ay_diag_clear(&d);
        /* The init's own code and message are the outcome, and it is not retried. */
        assert_int_equal(ay_dl_load(&once, &s, &api, &d), AY_ERR_NETWORK);
        assert_string_equal(ay_diag_message(&d), "test init failed on purpose");
    }
    assert_int_equal(g_init_runs, 1);
    g_init_result = AY_OK;
}

/* Many threads at the first call: one load, one init, every thread sees a full table. */
#define RACERS 8

static struct ay_dl_once g_race_once = AY_DL_ONCE_INIT;
static struct libc_api g_race_api;
static atomic_int g_race_inits;

static ay_err race_init(void *table, struct ay_diag *d)
{
    (void)table;
    (void)d;
    atomic_fetch_add(&g_race_inits, 1);
    return AY_OK;
}

static void *racer(void *arg)
{
    const struct ay_dl_spec *s = arg;
    struct ay_diag d;
    ay_diag_clear(&d);
    intptr_t ok = ay_dl_load(&g_race_once, s, &g_race_api, &d) == AY_OK &&
                  g_race_api.strlen != NULL && g_race_api.strlen("abc") == 3;
    return (void *)ok;
}

static void test_load_once_threads(void **state)
{
    (void)state;
    struct ay_dl_spec s = spec_of("libc.so.6", GOOD, 2);
    s.init = race_init;
    pthread_t t[RACERS];
    for (size_t i = 0; i < RACERS; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, racer, &s), 0);
    }
    for (size_t i = 0; i < RACERS; i++) {
        void *ok = NULL;
        assert_int_equal(pthread_join(t[i], &ok), 0);
        assert_true(ok != NULL);
    }
    assert_int_equal(atomic_load(&g_race_inits), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_ok),
        cmocka_unit_test(test_library_missing),
        cmocka_unit_test(test_symbol_missing),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_load_once_ok),
        cmocka_unit_test(test_load_once_missing),
        cmocka_unit_test(test_load_once_symbol_missing),
        cmocka_unit_test(test_load_once_init_fails),
        cmocka_unit_test(test_load_once_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
