/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory cache of compiled policies on the SQLite store (as assayd runs): attestation
 * does not read the store per request, so every POST and DELETE /policy must show in the very
 * next attestation (new version, deleted = 404, re-created), also while other threads attest
 * at the same time; and a restart reads the stored policy back. The same for the reference
 * values that query_reference_value reads. */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "as/as.h"
#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_cursor.h"
#include "codec/codec_b64.h"
#include "token/token.h"
#include "testlib.h"

static struct ay_as *as;
static char workdir[128];

static ay_err open_as(void)
{
    char cfg[256];
    (void)snprintf(cfg, sizeof cfg, "{\"work_dir\":\"%s\"}", workdir);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_as_config *c = NULL;
    ay_err e = ay_as_config_parse(cfg, strlen(cfg), &d, &c);
    if (e == AY_OK) {
        e = ay_as_new(c, &d, &as);
    }
    ay_as_config_free(c);
    if (e != AY_OK) {
        fprintf(stderr, "ay_as_new: %s\n", d.msg);
    }
    return e;
}

static int setup(void **state)
{
    (void)state;
    (void)snprintf(workdir, sizeof workdir, "/tmp/assay-pcache-XXXXXX");
    if (mkdtemp(workdir) == NULL) {
        return -1;
    }
    return open_as() == AY_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ay_as_free(as);
    /* The work directory is flat: the database files and the key. */
    DIR *d = opendir(workdir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[512];
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            (void)snprintf(path, sizeof path, "%s/%s", workdir, e->d_name);
            (void)unlink(path);
        }
    }
    if (d != NULL) {
        (void)closedir(d);
    }
    (void)rmdir(workdir);
    return 0;
}

static ay_err set_policy(const char *id, int hardware)
{
    char text[256];
    (void)snprintf(text, sizeof text,
                   "package policy\n\ntrust_claims := {\"hardware\": %d}\n", hardware);
    char *p = ay_test_b64(AY_B64_URL_NOPAD, text, strlen(text));
    char body[1024];
    (void)snprintf(body, sizeof body, "{\"policy_id\":\"%s\",\"policy\":\"%s\"}", id, p);
    free(p);
    struct ay_arena *a = NULL;
    ay_arena_new((size_t)16 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_buf out;
    ay_buf_init(&out, a, 1 << 20);
    ay_err e = ay_as_policy_set(as, &ctx, ay_span_of(body, strlen(body)), &out);
    ay_arena_free(a);
    return e;
}

static ay_err delete_policy(const char *id)
{
    struct ay_arena *a = NULL;
    ay_arena_new((size_t)1 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    ay_err e = ay_as_policy_delete(as, &ctx, id);
    ay_arena_free(a);
    return e;
}

/* Attests sample evidence with policy_ids [base]; *hardware = the token's hardware claim. */
static ay_err attest(const char *base, int *hardware)
{
    const char ev[] = "{\"svn\":\"1\",\"report_data\":\"AAECAw==\"}";
    char *evb = ay_test_b64(AY_B64_URL_NOPAD, ev, strlen(ev));
    char body[1024];
    (void)snprintf(body, sizeof body,
                   "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\"%s\"}],"
                   "\"policy_ids\":[\"%s\"]}",
                   evb, base);
    free(evb);
    struct ay_arena *a = NULL;
    ay_arena_new((size_t)64 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_buf out;
    ay_buf_init(&out, a, 1 << 20);
    struct ay_as_attest_info info;
    ay_err e = ay_as_attest(as, &ctx, ay_span_of(body, strlen(body)), &out, &info);
    *hardware = -1000;
    if (e == AY_OK) {
        json_t *hdr = NULL;
        json_t *claims = NULL;
        struct ay_diag d;
        ay_diag_clear(&d);
        assert_int_equal(ay_token_jwt_verify(out.ptr, out.len, NULL, 0, &d, &hdr, &claims), AY_OK);
        json_t *tv = json_object_get(json_object_get(json_object_get(claims, "submods"), "cpu0"),
                                     "ear.trustworthiness-vector");
        assert_true(json_is_integer(json_object_get(tv, "hardware")));
        *hardware = (int)json_integer_value(json_object_get(tv, "hardware"));
        json_decref(hdr);
        json_decref(claims);
    }
    ay_arena_free(a);
    return e;
}

static void test_set_delete_reset(void **state)
{
    (void)state;
    int hw = 0;
    assert_int_equal(attest("pc", &hw), AY_ERR_NOT_FOUND);
    assert_int_equal(set_policy("pc_cpu", 2), AY_OK);
    assert_int_equal(attest("pc", &hw), AY_OK);
    assert_int_equal(hw, 2);
    assert_int_equal(attest("pc", &hw), AY_OK); /* from the cache */
    assert_int_equal(hw, 2);
    assert_int_equal(set_policy("pc_cpu", 3), AY_OK);
    assert_int_equal(attest("pc", &hw), AY_OK);
    assert_int_equal(hw, 3);
    assert_int_equal(delete_policy("pc_cpu"), AY_OK);
    assert_int_equal(attest("pc", &hw), AY_ERR_NOT_FOUND);
    assert_int_equal(attest("pc", &hw), AY_ERR_NOT_FOUND);
    assert_int_equal(set_policy("pc_cpu", 32), AY_OK);
    assert_int_equal(attest("pc", &hw), AY_OK);
    assert_int_equal(hw, 32);
    /* Another id is cached on its own. */
    assert_int_equal(set_policy("other_cpu", 4), AY_OK);
    assert_int_equal(attest("other", &hw), AY_OK);
    assert_int_equal(hw, 4);
    assert_int_equal(attest("pc", &hw), AY_OK);
    assert_int_equal(hw, 32);
    /* A restart compiles the stored source again. */
    ay_as_free(as);
    as = NULL;
    assert_int_equal(open_as(), AY_OK);
    assert_int_equal(attest("pc", &hw), AY_OK);
    assert_int_equal(hw, 32);
    assert_int_equal(attest("other", &hw), AY_OK);
    assert_int_equal(hw, 4);
}

static ay_err set_policy_text(const char *id, const char *text)
{
    char *p = ay_test_b64(AY_B64_URL_NOPAD, text, strlen(text));
    char body[4096];
    (void)snprintf(body, sizeof body, "{\"policy_id\":\"%s\",\"policy\":\"%s\"}", id, p);
    free(p);
    struct ay_arena *a = NULL;
    ay_arena_new((size_t)16 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_buf out;
    ay_buf_init(&out, a, 1 << 20);
    ay_err e = ay_as_policy_set(as, &ctx, ay_span_of(body, strlen(body)), &out);
    ay_arena_free(a);
    return e;
}

/* op 'r': register payload (a JSON object of name: value); op 'd': delete id. */
static ay_err rv_op(char op, const char *arg)
{
    struct ay_arena *a = NULL;
    ay_arena_new((size_t)16 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_buf out;
    ay_buf_init(&out, a, 1 << 20);
    ay_err e;
    if (op == 'r') {
        char *p = ay_test_b64(AY_B64_STD, arg, strlen(arg));
        char body[2048];
        (void)snprintf(body, sizeof body,
                       "{\"version\":\"0.1.0\",\"type\":\"sample\",\"payload\":\"%s\"}", p);
        free(p);
        e = ay_as_rv_register(as, &ctx, ay_span_of(body, strlen(body)), &out);
    } else {
        e = ay_as_rv_delete(as, &ctx, arg);
    }
    ay_arena_free(a);
    return e;
}

/* query_reference_value answers from memory after the first read: every register and delete
 * must show in the next attestation. */
static void test_reference_values(void **state)
{
    (void)state;
    static const char policy[] =
        "package policy\n\nimport rego.v1\n\n"
        "trust_claims := {\"hardware\": h}\n\n"
        "default h := 9\n\n"
        "h := 2 if query_reference_value(\"pc.rv\") == [\"a\", \"b\"]\n\n"
        "h := 3 if query_reference_value(\"pc.rv\") == [\"c\"]\n\n"
        "h := 4 if {\n    query_reference_value(\"pc.rv\") == null\n"
        "    query_reference_value(\"bad id/..\") == null\n}\n";
    assert_int_equal(set_policy_text("rv_cpu", policy), AY_OK);
    int hw = 0;
    assert_int_equal(attest("rv", &hw), AY_OK);
    assert_int_equal(hw, 4); /* absent */
    assert_int_equal(attest("rv", &hw), AY_OK);
    assert_int_equal(hw, 4); /* absent, remembered */
    assert_int_equal(rv_op('r', "{\"pc.rv\": [\"a\", \"b\"]}"), AY_OK);
    assert_int_equal(attest("rv", &hw), AY_OK);
    assert_int_equal(hw, 2);
    assert_int_equal(attest("rv", &hw), AY_OK);
    assert_int_equal(hw, 2);
    assert_int_equal(rv_op('r', "{\"other\": 1, \"pc.rv\": [\"c\"]}"), AY_OK);
    assert_int_equal(attest("rv", &hw), AY_OK);
    assert_int_equal(hw, 3);
    assert_int_equal(rv_op('d', "pc.rv"), AY_OK);
    assert_int_equal(attest("rv", &hw), AY_OK);
    assert_int_equal(hw, 4);
    assert_int_equal(rv_op('d', "pc.rv"), AY_ERR_NOT_FOUND);
    assert_int_equal(rv_op('r', "{\"pc.rv\": [\"a\", \"b\"]}"), AY_OK);
    assert_int_equal(attest("rv", &hw), AY_OK);
    assert_int_equal(hw, 2);
    /* A restart reads the store again. */
    ay_as_free(as);
    as = NULL;
    assert_int_equal(open_as(), AY_OK);
    assert_int_equal(attest("rv", &hw), AY_OK);
    assert_int_equal(hw, 2);
    assert_int_equal(rv_op('d', "pc.rv"), AY_OK);
    assert_int_equal(attest("rv", &hw), AY_OK);
    assert_int_equal(hw, 4);
}

struct worker {
    pthread_t t;
    int n_ok;
    int n_other;
};

#define WORKER_ROUNDS 40

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < WORKER_ROUNDS; i++) {
        int hw = 0;
        ay_err e = attest("race", &hw);
        if (e == AY_OK || e == AY_ERR_NOT_FOUND) {
            w->n_ok++;
        } else {
            w->n_other++;
        }
    }
    return NULL;
}

/* Writers and deleters racing attesters: whatever the interleaving, once the last write is
 * acknowledged every attestation sees it (a reader that loaded an older source must not put
 * it back into the cache). */
static void test_concurrent_writes(void **state)
{
    (void)state;
    struct worker w[2];
    memset(w, 0, sizeof w);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&w[i].t, NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 30; i++) {
        if (i % 3 == 2) {
            (void)delete_policy("race_cpu");
        } else {
            assert_int_equal(set_policy("race_cpu", 5 + i), AY_OK);
        }
    }
    assert_int_equal(set_policy("race_cpu", 77), AY_OK);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(w[i].t, NULL), 0);
        assert_int_equal(w[i].n_other, 0);
        assert_int_equal(w[i].n_ok, WORKER_ROUNDS);
    }
    int hw = 0;
    assert_int_equal(attest("race", &hw), AY_OK);
    assert_int_equal(hw, 77);
    assert_int_equal(delete_policy("race_cpu"), AY_OK);
    assert_int_equal(attest("race", &hw), AY_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_delete_reset),
        cmocka_unit_test(test_concurrent_writes),
        cmocka_unit_test(test_reference_values),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
