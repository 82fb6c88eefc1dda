/* SPDX-License-Identifier: Apache-2.0 */
/* The SQLite backend: the shared store suite, persistence across reopen, a writer killed with
 * SIGKILL right after its acknowledged writes (nothing acknowledged is lost), a second handle on
 * a file in use (refused after the busy timeout, about 5 s), and open errors. */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_suite.h"

static char dir[64];
static char last_path[128];
static int seq;

static void rm_tree(const char *d)
{
    DIR *dd = opendir(d);
    if (dd == NULL) {
        return;
    }
    struct dirent *e;
    while ((e = readdir(dd)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char p[512];
        snprintf(p, sizeof p, "%s/%s", d, e->d_name);
        (void)unlink(p);
    }
    closedir(dd);
    (void)rmdir(d);
}

static struct ay_store *open_path(const char *path)
{
    struct ay_store *s = NULL;
    struct ay_diag d;
    ay_diag_clear(&d);
    ay_err e = ay_store_open_sqlite(path, &d, &s);
    if (e != AY_OK) {
        fail_msg("open %s: %s", path, d.msg);
    }
    return s;
}

static struct ay_store *open_store(void)
{
    snprintf(last_path, sizeof last_path, "%s/db%d.sqlite", dir, seq++);
    return open_path(last_path);
}

static void close_store(struct ay_store *s)
{
    ay_store_close(s);
}

static void test_reopen(void **state)
{
    (void)state;
    struct ay_store *s = open_store();
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_store_put(s, AY_STORE_NS_POLICY, "keep", "rego", 4, &d), AY_OK);
    assert_int_equal(ay_store_put(s, AY_STORE_NS_POLICY, "gone", "x", 1, &d), AY_OK);
    assert_int_equal(ay_store_delete(s, AY_STORE_NS_POLICY, "gone", &d), AY_OK);
    ay_store_close(s);
    s = open_path(last_path);
    struct ay_arena *a;
    ay_arena_new(1 << 16, &a);
    struct ay_span v = {0};
    assert_int_equal(ay_store_get(s, AY_STORE_NS_POLICY, "keep", a, &v, &d), AY_OK);
    assert_memory_equal(v.ptr, "rego", 4);
    assert_int_equal(ay_store_get(s, AY_STORE_NS_POLICY, "gone", a, &v, &d), AY_ERR_NOT_FOUND);
    ay_arena_free(a);
    ay_store_close(s);
}

/* A child writes keys and reports each acknowledged index through a pipe; the parent kills it
 * with SIGKILL mid-stream, then every acknowledged key must be in the reopened file. */
static void test_kill9(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/kill.sqlite", dir);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        struct ay_store *s = NULL;
        struct ay_diag d;
        ay_diag_clear(&d);
        if (ay_store_open_sqlite(path, &d, &s) != AY_OK) {
            _exit(3);
        }
        for (uint32_t i = 0;; i++) {
            char key[32];
            snprintf(key, sizeof key, "k%06u", i);
            if (ay_store_put(s, AY_STORE_NS_POLICY, key, key, strlen(key), &d) != AY_OK) {
                _exit(4);
            }
            if (write(fds[1], &i, sizeof i) != (ssize_t)sizeof i) {
                _exit(5);
            }
        }
    }
    close(fds[1]);
    uint32_t last = 0;
    uint32_t got = 0;
    for (int n = 0; n < 40; n++) {
        assert_int_equal(read(fds[0], &got, sizeof got), (ssize_t)sizeof got);
        last = got;
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    /* Drain acknowledgements that were already in the pipe. */
    while (read(fds[0], &got, sizeof got) == (ssize_t)sizeof got) {
        last = got;
    }
    close(fds[0]);
    struct ay_store *s = open_path(path);
    struct ay_arena *a;
    ay_arena_new(1 << 20, &a);
    struct ay_diag d;
    ay_diag_clear(&d);
    for (uint32_t i = 0; i <= last; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%06u", i);
        struct ay_span v = {0};
        assert_int_equal(ay_store_get(s, AY_STORE_NS_POLICY, key, a, &v, &d), AY_OK);
        assert_int_equal(v.len, strlen(key));
        assert_memory_equal(v.ptr, key, v.len);
    }
    ay_arena_free(a);
    ay_store_close(s);
}

/* The file belongs to one handle (one process in real life): a second open is refused with a
 * clear error once the busy timeout passes, and succeeds after the first one is closed. */
static void test_second_handle(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/two.sqlite", dir);
    struct ay_store *s1 = open_path(path);
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_store_put(s1, AY_STORE_NS_RV, "r", "1", 1, &d), AY_OK);
    struct ay_store *s2 = NULL;
    assert_int_equal(ay_store_open_sqlite(path, &d, &s2), AY_ERR_STORE);
    assert_null(s2);
    assert_non_null(strstr(d.msg, "locked"));
    ay_store_close(s1);
    s2 = open_path(path);
    struct ay_arena *a;
    ay_arena_new(1 << 16, &a);
    struct ay_span v = {0};
    ay_diag_clear(&d);
    assert_int_equal(ay_store_get(s2, AY_STORE_NS_RV, "r", a, &v, &d), AY_OK);
    assert_memory_equal(v.ptr, "1", 1);
    ay_arena_free(a);
    ay_store_close(s2);
}

static void test_open_errors(void **state)
{
    (void)state;
    struct ay_store *s = NULL;
    struct ay_diag d;
    ay_diag_clear(&d);
    char path[128];
    snprintf(path, sizeof path, "%s/no/such/dir/x.sqlite", dir);
    assert_int_equal(ay_store_open_sqlite(path, &d, &s), AY_ERR_STORE);
    assert_null(s);
    assert_non_null(strstr(d.msg, "no/such/dir"));
    /* A file that is not a database. */
    snprintf(path, sizeof path, "%s/garbage.sqlite", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 200; i++) {
        fputs("this is not an SQLite file ", f);
    }
    fclose(f);
    ay_diag_clear(&d);
    assert_int_equal(ay_store_open_sqlite(path, &d, &s), AY_ERR_STORE);
    assert_null(s);
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ay-store-XXXXXX", tmp != NULL && strlen(tmp) < 40 ? tmp : "/tmp");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SUITE_TESTS,
        cmocka_unit_test(test_reopen),
        cmocka_unit_test(test_kill9),
        cmocka_unit_test(test_second_handle),
        cmocka_unit_test(test_open_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
