/* SPDX-License-Identifier: Apache-2.0 */
/* The sample / sampledevice verifiers (TRUSTEE.md 7.1, 3.6): claims, exact report_data
 * binding (no padding, no truncation), init data reported not checked, malformed evidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "tee/tee.h"

struct run {
    struct ay_arena *arena;
    struct ay_ctx ctx;
    json_t *claims;
};

static ay_err verify(struct run *r, const char *tee, const char *evidence, const struct ay_span *rd,
                     const struct ay_span *id)
{
    ay_arena_new(1 << 20, &r->arena);
    ay_ctx_init(&r->ctx, r->arena);
    r->claims = NULL;
    const struct ay_tee *t = ay_tee_find(tee);
    assert_non_null(t);
    struct ay_tee_input in = {
        .evidence = ay_span_of(evidence, strlen(evidence)),
        .report_data = rd,
        .init_data = id,
        .require_collateral = true,
    };
    return t->verify(&r->ctx, &in, &r->claims);
}

static void done(struct run *r)
{
    json_decref(r->claims);
    ay_arena_free(r->arena);
}

static void test_registry(void **state)
{
    (void)state;
    assert_string_equal(ay_tee_find("sample")->device_class, "cpu");
    assert_string_equal(ay_tee_find("sampledevice")->device_class, "gpu");
    assert_null(ay_tee_find("Sample"));
    assert_null(ay_tee_find(""));
}

static void test_claims(void **state)
{
    (void)state;
    struct run r;
    /* "aGVsbG8=" = "hello" */
    struct ay_span rd = ay_span_of("hello", 5);
    struct ay_span id = ay_span_of("\x01\x02\x03", 3);
    assert_int_equal(
        verify(&r, "sample", "{\"svn\":\"1\",\"report_data\":\"aGVsbG8=\",\"x\":1}", &rd, &id),
        AY_OK);
    char *txt = json_dumps(r.claims, JSON_COMPACT);
    assert_string_equal(txt, "{\"svn\":\"1\",\"report_data\":\"aGVsbG8=\",\"launch_digest\":"
                             "\"abcde\",\"platform_version\":{\"major\":1,\"minor\":4},"
                             "\"debug\":false,\"init_data\":\"AQID\"}");
    free(txt);
    done(&r);
    /* No expected values: no check, no init_data claim; report_data defaults to "". */
    assert_int_equal(verify(&r, "sample", "{\"svn\":\"7\"}", NULL, NULL), AY_OK);
    assert_string_equal(json_string_value(json_object_get(r.claims, "report_data")), "");
    assert_null(json_object_get(r.claims, "init_data"));
    done(&r);
    /* sampledevice: svn and report_data only. */
    assert_int_equal(
        verify(&r, "sampledevice", "{\"svn\":\"2\",\"report_data\":\"aGVsbG8=\"}", &rd, &id),
        AY_OK);
    assert_int_equal(json_object_size(r.claims), 2);
    done(&r);
}

static void test_binding_exact(void **state)
{
    (void)state;
    struct run r;
    struct ay_span longer = ay_span_of("hello\0", 6);
    struct ay_span shorter = ay_span_of("hell", 4);
    struct ay_span other = ay_span_of("hellO", 5);
    struct ay_span empty = ay_span_of("", 0);
    const char *ev = "{\"svn\":\"1\",\"report_data\":\"aGVsbG8=\"}";
    assert_int_equal(verify(&r, "sample", ev, &longer, NULL), AY_ERR_BINDING);
    done(&r);
    assert_int_equal(verify(&r, "sample", ev, &shorter, NULL), AY_ERR_BINDING);
    done(&r);
    assert_int_equal(verify(&r, "sample", ev, &other, NULL), AY_ERR_BINDING);
    assert_non_null(strstr(r.ctx.diag.msg, "report data mismatch"));
    done(&r);
    assert_int_equal(verify(&r, "sampledevice", ev, &other, NULL), AY_ERR_BINDING);
    done(&r);
    /* Empty expected value matches an absent report_data. */
    assert_int_equal(verify(&r, "sample", "{\"svn\":\"1\"}", &empty, NULL), AY_OK);
    done(&r);
    assert_int_equal(verify(&r, "sample", "{\"svn\":\"1\"}", &other, NULL), AY_ERR_BINDING);
    done(&r);
}

static void test_malformed(void **state)
{
    (void)state;
    struct run r;
    struct ay_span rd = ay_span_of("hello", 5);
    static const char *const bad[] = {
        "",
        "not json",
        "[]",
        "\"svn\"",
        "{}",
        "{\"svn\":1}",
        "{\"svn\":null}",
        "{\"svn\":\"1\",\"report_data\":5}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(verify(&r, "sample", bad[i], NULL, NULL), AY_ERR_MALFORMED);
        assert_null(r.claims);
        done(&r);
    }
    /* report_data must be standard padded base64: url alphabet or missing padding refused. */
    assert_int_equal(verify(&r, "sample", "{\"svn\":\"1\",\"report_data\":\"aGVsbG8\"}", &rd, NULL),
                     AY_ERR_MALFORMED);
    done(&r);
    assert_int_equal(verify(&r, "sample", "{\"svn\":\"1\",\"report_data\":\"-_-_\"}", &rd, NULL),
                     AY_ERR_MALFORMED);
    done(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_binding_exact),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
