/* SPDX-License-Identifier: Apache-2.0 */
/* crypto.* digests and HMACs (RFC 1321 / FIPS 180-4 / RFC 2104 values), io.jwt.decode and
 * verify_hs* (OPA's folder jwtbuiltins; RFC 7515), uuid.* (OPA's
 * conformance folder uuid) and graph.reachable (folder reachable); expected values written out
 * by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_rego_bi_common.h"

static void test_crypto(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"crypto.md5", "[\"foo\"]", "\"acbd18db4cc2f85cedef654fccc4a4d8\""},
        {"crypto.sha1", "[\"foo\"]", "\"0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33\""},
        {"crypto.sha256", "[\"foo\"]",
         "\"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\""},
        {"crypto.hmac.md5", "[\"foo\", \"bar\"]", "\"31b6db9e5eb4addb42f1a6ca07367adc\""},
        {"crypto.hmac.sha512", "[\"foo\", \"bar\"]",
         "\"24257d7210582a65c731ec55159c8184cc24c02489453e58587f71f44c23a2d61b4b72154a89d17b2d4"
         "9448a8452ea066f4fc56a2bcead45c088572ffccdb3d8\""},
        {"crypto.hmac.sha256", "[\"foo\", \"\"]",
         "\"0c0d98f7e3d9d45e72e8877bc1b104327efb9c07b18f2ffeced76d81307f1fff\""},
        {"crypto.hmac.equal", "[\"abc\", \"abc\"]", "true"},
        {"crypto.hmac.equal", "[\"abc\", \"abd\"]", "false"},
        {"crypto.hmac.equal", "[\"abc\", \"ab\"]", "false"},
        {"crypto.md5", "[1]", "error:operand 1 must be string but got number"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_jwt(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"io.jwt.decode",
         "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0."
         "XmVoLoHI3pxMtMO_WRONMSJzGUDP9pDjy8Jp0_tdRXY\"]",
         "[{\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"opa\", \"sub\": \"0\"}, "
         "\"5e65682e81c8de9c4cb4c3bf59138d3122731940cff690e3cbc269d3fb5d4576\"]"},
        {"io.jwt.decode",
         "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0\"]",
         "error:encoded JWT had no period separators"},
        {"io.jwt.decode", "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXV.CJ9eyJzdWIiOiIwIn0\"]",
         "error:encoded JWT must have 3 sections, found 2"},
        {"io.jwt.decode",
         "[\"eyJhbGciOiJIU^%zI1NiI+sInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0.XmVo\"]",
         "error:JWT header had invalid encoding: illegal base64 data at input byte 13"},
        {"io.jwt.decode",
         "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwia/XNzIjoib3BhIn0.XmVo\"]",
         "error:JWT payload had invalid encoding: illegal base64 data at input byte 17"},
        {"io.jwt.decode",
         "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImVuYyI6ImJsYWgifQ.eyJzdWIiOiIwIn0.XmVo\"]",
         "error:JWT is a JWE object, which is not supported"},
        {"io.jwt.verify_hs256",
         "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0."
         "TKECX_pF_bzlcgrzGibhwL3tklDD4LdEEzXVQCw00qY\", \"secret\"]",
         "true"},
        {"io.jwt.verify_hs256",
         "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0."
         "TKECX_pF_bzlcgrzGibhwL3tklDD4LdEEzXVQCw00qY\", \"Secret\"]",
         "false"},
        {"io.jwt.verify_hs256",
         "[\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ5In0."
         "TKECX_pF_bzlcgrzGibhwL3tklDD4LdEEzXVQCw00qY\", \"secret\"]",
         "false"},
        {"io.jwt.verify_hs512", "[\"a.b\", \"k\"]", "error:must have 3 sections"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
}

static void test_uuid_graph(void **state)
{
    (void)state;
    static const struct bt_case c[] = {
        {"uuid.parse", "[\"00000000-0000-4000-8000-000000000000\"]",
         "{\"variant\": \"RFC4122\", \"version\": 4}"},
        {"uuid.parse", "[\"{00000000-0000-4000-8000-000000000000}\"]",
         "{\"variant\": \"RFC4122\", \"version\": 4}"},
        {"uuid.parse", "[\"6bea8ef2d3d33cd184e09bab06a52ece\"]",
         "{\"variant\": \"RFC4122\", \"version\": 3}"},
        {"uuid.parse", "[\"urn:uuid:000003e8-48b9-21ee-b200-325096b39f47\"]",
         "{\"clocksequence\": 12800, \"domain\": \"Person\", \"id\": 1000, \"macvariables\": "
         "\"local:unicast\", \"nodeid\": \"32-50-96-b3-9f-47\", \"time\": 1693566990121469600, "
         "\"variant\": \"RFC4122\", \"version\": 2}"},
        {"uuid.parse", "[\"not-a-uuid\"]", "undefined"},
        {"uuid.parse", "[\"00000000-0000-4000-8000-00000000000g\"]", "undefined"},
        {"graph.reachable", "[{}, {\"$set\": [\"a\"]}]", "set()"},
        {"graph.reachable", "[{\"a\": [\"b\"], \"b\": [\"c\"], \"c\": [\"a\"]}, [\"a\"]]",
         "{\"a\", \"b\", \"c\"}"},
        {"graph.reachable",
         "[{\"a\": [\"b\"], \"b\": [\"d\"], \"d\": [], \"e\": {\"$set\": [\"f\"]}, \"f\": []}, "
         "[\"b\", \"e\"]]",
         "{\"b\", \"d\", \"e\", \"f\"}"},
        {"graph.reachable", "[{\"a\": 1}, [\"a\"]]", "error:"},
        {"graph.reachable", "[[], [\"a\"]]", "error:operand 1 must be object"},
        /* graph.reachable_paths (OPA folder reachable) */
        {"graph.reachable_paths", "[{}, {\"$set\": [\"a\"]}]", "[]"},
        {"graph.reachable_paths", "[{\"a\": [\"b\"], \"b\": [\"c\"], \"c\": [\"a\"]}, [\"a\"]]",
         "[[\"a\", \"b\", \"c\"]]"},
        {"graph.reachable_paths", "[{\"a\": [\"b\", \"c\"], \"b\": [\"c\"], \"c\": []}, [\"a\"]]",
         "[[\"a\", \"b\", \"c\"], [\"a\", \"c\"]]"},
        {"graph.reachable_paths", "[{\"a\": [\"b\"], \"b\": [\"nonexistent\"]}, [\"a\", \"b\"]]",
         "[[\"a\", \"b\"], [\"b\"]]"},
        {"graph.reachable_paths", "[{\"a\": null}, [\"a\"]]", "[[\"a\"]]"},
        {"graph.reachable_paths",
         "[{\"one\": [\"two\", \"five\"], \"two\": [\"four\"], \"three\": [\"\"], "
         "\"four\": [\"three\"], \"five\": [\"seven\", \"six\"], \"six\": [\"nine\", "
         "\"seven\"], \"seven\": [\"eight\"], \"eight\": [\"three\"], \"nine\": [\"\"]}, "
         "[\"one\"]]",
         "[[\"one\", \"five\", \"seven\", \"eight\", \"three\"], [\"one\", \"five\", "
         "\"six\"], [\"one\", \"five\", \"six\", \"nine\"], [\"one\", \"two\", \"four\", "
         "\"three\"]]"},
        {"graph.reachable_paths", "[{\"a\": []}, \"a\"]",
         "error:operand 2 must be one of {array, set}"},
        {"graph.reachable_paths", "[1, [1]]", "error:operand 1 must be object"},
        {"graph.reachable_paths", "[{\"a\": 1}, [\"a\"]]", "error:"},
        /* rand.intn: bounds (the per-evaluation memo lives in the evaluator) */
        {"rand.intn", "[\"k\", 0]", "0"},
        {"rand.intn", "[\"k\", 1]", "0"},
        {"rand.intn", "[\"k\", -1]", "0"},
        {"rand.intn", "[\"k\", 1.5]", "error:operand 2 must be integer number"},
        {"rand.intn", "[1, 2]", "error:operand 1 must be string"},
    };
    bt_run(c, sizeof c / sizeof c[0]);
    /* a random v4 UUID: 36 characters, version nibble 4, variant 8-b */
    const char *u = bt_call("uuid.rfc4122", "[\"k\"]");
    assert_int_equal(strlen(u), 38);
    assert_int_equal(u[15], '4');
    assert_non_null(strchr("89ab", u[20]));
    /* rand.intn stays in [0, |n|) */
    for (int i = 0; i < 200; i++) {
        const char *r = bt_call("rand.intn", i % 2 == 0 ? "[\"k\", 7]" : "[\"k\", -7]");
        assert_int_equal(strlen(r), 1);
        assert_true(r[0] >= '0' && r[0] <= '6');
    }

    /* a deep chain ends with a builtin error, not a stack overflow */
    enum { CHAIN = 1000 };
    static struct ay_kv kv[CHAIN];
    static char names[CHAIN + 1][8];
    for (int i = 0; i <= CHAIN; i++) {
        (void)snprintf(names[i], sizeof names[i], "n%04d", i);
    }
    for (int i = 0; i < CHAIN; i++) {
        kv[i].k = ay_val_str_static(names[i]);
        struct ay_val next = ay_val_str_static(names[i + 1]);
        assert_int_equal(ay_val_array(bt_arena, &next, 1, &kv[i].v), AY_OK);
    }
    struct ay_val args[2];
    assert_int_equal(ay_val_object(bt_arena, kv, CHAIN, false, &args[0]), AY_OK);
    struct ay_val start = ay_val_str_static(names[0]);
    assert_int_equal(ay_val_array(bt_arena, &start, 1, &args[1]), AY_OK);
    const struct ay_rego_bi *bi = ay_rego_bi_find("graph.reachable_paths", 21, 2);
    assert_non_null(bi);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_rego_bctx bc = {bt_arena, &d, bt_now_ns, "graph.reachable_paths", NULL};
    struct ay_val out = ay_val_undef();
    assert_int_not_equal(bi->fn(&bc, args, 2, &out), AY_OK);
    assert_non_null(strstr(ay_diag_message(&d), "longer than"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto),
        cmocka_unit_test(test_jwt),
        cmocka_unit_test(test_uuid_graph),
    };
    return cmocka_run_group_tests(tests, NULL, bt_teardown);
}
