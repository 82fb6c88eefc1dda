/* SPDX-License-Identifier: Apache-2.0 */
/* The builtin families through the engine (ay_rego_compile + ay_rego_eval_query): the
 * builtins Trustee's policies use (count, object.union_n, object.subset, sprintf %v,
 * time.parse_rfc3339_ns) and one call per family, with OPA's expected values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_buf.h"
#include "rego/rego.h"

static const char policy[] =
    "package t\n"
    "import rego.v1\n"
    "claims := object.union_n([{\"a\": 1}, {\"b\": {\"c\": 2}}, {\"b\": {\"d\": 3}}])\n"
    "n := count(claims)\n"
    "sub if object.subset(claims, {\"b\": {\"c\": 2}})\n"
    "msg := sprintf(\"%v / %s / %d\", [[1, \"x\"], \"y\", 7])\n" /* banned-ok: Rego text */
    "ts := time.parse_rfc3339_ns(\"2017-06-02T19:00:00-07:00\")\n"
    "up := upper(concat(\",\", split(\"a.b\", \".\")))\n"
    "re if regex.match(`^\\d+$`, \"123\")\n"
    "b64 := base64.decode(\"aGVsbG8=\")\n"
    "units := units.parse_bytes(\"1KiB\")\n"
    "bad := sprintf(1, [])\n"; /* banned-ok: Rego text */

static void eval_one(const struct ay_rego_policy *p, const char *query, const char *want)
{
    struct ay_rego_eval_opts o;
    memset(&o, 0, sizeof o);
    o.now_ns = 1;
    struct ay_buf out;
    ay_buf_init(&out, NULL, 1 << 20);
    struct ay_diag diag;
    ay_diag_clear(&diag);
    ay_err err = ay_rego_eval_query(p, query, &o, &out, &diag);
    if (err != AY_OK) {
        print_error("%s: %s\n", query, ay_diag_message(&diag));
    }
    assert_int_equal(err, AY_OK);
    assert_int_equal(ay_buf_finish(&out), AY_OK);
    const char *got = out.ptr != NULL ? out.ptr : "";
    if (strstr(got, want) == NULL) {
        print_error("%s\n   want substring %s\n   got %s\n", query, want, got);
        fail();
    }
    ay_buf_free(&out);
}

static void test_e2e(void **state)
{
    (void)state;
    struct ay_rego_module_src m = {"t.rego", policy, sizeof policy - 1};
    struct ay_rego_compile_opts co;
    memset(&co, 0, sizeof co);
    struct ay_diag diag;
    ay_diag_clear(&diag);
    struct ay_rego_policy *p = NULL;
    ay_err err = ay_rego_compile(&m, 1, &co, &diag, &p);
    if (err != AY_OK) {
        print_error("compile: %s\n", ay_diag_message(&diag));
    }
    assert_int_equal(err, AY_OK);
    eval_one(p, "x := data.t.claims", "\"bindings\":{\"x\":{\"a\":1,\"b\":{\"c\":2,\"d\":3}}}");
    eval_one(p, "x := data.t.n", "\"bindings\":{\"x\":2}");
    eval_one(p, "x := data.t.sub", "\"bindings\":{\"x\":true}");
    eval_one(p, "x := data.t.msg", "[1, \\\"x\\\"] / y / 7");
    eval_one(p, "x := data.t.ts", "\"x\":1496455200000000000");
    eval_one(p, "x := data.t.up", "\"x\":\"A,B\"");
    eval_one(p, "x := data.t.re", "\"bindings\":{\"x\":true}");
    eval_one(p, "x := data.t.b64", "\"x\":\"hello\"");
    eval_one(p, "x := data.t.units", "\"x\":1024");
    /* a builtin error without strict mode is undefined: an empty result set */
    eval_one(p, "x := data.t.bad", "[]");
    ay_rego_policy_release(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
