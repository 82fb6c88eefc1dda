/* SPDX-License-Identifier: Apache-2.0 */
/* The route table: every route by method and path, 404 for unknown paths, 405 with the Allow
 * list for known paths, HEAD on GET routes, and the {id} segment rules (non-empty, at most
 * AY_LIMIT_STORE_KEY bytes: at the limit and one past it, no '/', no control bytes, UTF-8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_limits.h"
#include "http/http_router.h"

/* The router links the handlers, which call the service core; none runs here. */
#include "fake_as.h"

static ay_err find(enum ay_http_method m, const char *path, const struct ay_http_route **r,
                   struct ay_str *id, char *allow)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    return ay_http_route_find(m, path, strlen(path), r, id, allow, 64, &d);
}

static void test_every_route(void **state)
{
    (void)state;

    static const struct {
        enum ay_http_method m;
        const char *path;
        enum ay_http_route_id id;
        const char *name;
    } cases[] = {
        {AY_HTTP_POST, "/attestation", AY_ROUTE_ATTESTATION, "attestation"},
        {AY_HTTP_POST, "/policy", AY_ROUTE_POLICY_SET, "policy_set"},
        {AY_HTTP_GET, "/policy", AY_ROUTE_POLICY_LIST, "policy_list"},
        {AY_HTTP_GET, "/policy/default_cpu", AY_ROUTE_POLICY_GET, "policy_get"},
        {AY_HTTP_DELETE, "/policy/default_cpu", AY_ROUTE_POLICY_DELETE, "policy_delete"},
        {AY_HTTP_POST, "/reference-value", AY_ROUTE_RV_REGISTER, "rv_register"},
        {AY_HTTP_GET, "/reference-value/a.b", AY_ROUTE_RV_GET, "rv_get"},
        {AY_HTTP_DELETE, "/reference-value/a.b", AY_ROUTE_RV_DELETE, "rv_delete"},
        {AY_HTTP_POST, "/challenge", AY_ROUTE_CHALLENGE, "challenge"},
        {AY_HTTP_GET, "/.well-known/jwks.json", AY_ROUTE_JWKS, "jwks"},
        {AY_HTTP_GET, "/healthz", AY_ROUTE_HEALTHZ, "healthz"},
        {AY_HTTP_HEAD, "/healthz", AY_ROUTE_HEALTHZ, "healthz"},
        {AY_HTTP_GET, "/metrics", AY_ROUTE_METRICS, "metrics"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct ay_http_route *r = NULL;
        struct ay_str id;
        char allow[64];
        assert_int_equal(find(cases[i].m, cases[i].path, &r, &id, allow), AY_OK);
        assert_int_equal(r->id, cases[i].id);
        assert_string_equal(ay_http_route_name(r->id), cases[i].name);
        assert_int_equal(r->json_body, cases[i].m == AY_HTTP_POST);
        assert_int_equal(r->max_body, cases[i].m == AY_HTTP_POST ? AY_LIMIT_HTTP_JSON_BODY : 0);
    }
    assert_string_equal(ay_http_route_name(AY_ROUTE_UNMATCHED), "unmatched");
}

static void test_not_found_and_method(void **state)
{
    (void)state;
    const struct ay_http_route *r = NULL;
    struct ay_str id;
    char allow[64];
    static const char *const unknown[] = {
        "",           "/",        "/Policy",     "/policy/",         "/policies", "/attestation/",
        "/healthz/x", "//policy", "/policy/a/b", "/reference-value/"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_int_equal(find(AY_HTTP_GET, unknown[i], &r, &id, allow), AY_ERR_NOT_FOUND);
    }
    assert_int_equal(find(AY_HTTP_DELETE, "/policy", &r, &id, allow), AY_ERR_METHOD);
    assert_string_equal(allow, "POST, GET");
    assert_int_equal(find(AY_HTTP_POST, "/policy/x", &r, &id, allow), AY_ERR_METHOD);
    assert_string_equal(allow, "GET, DELETE");
    assert_int_equal(find(AY_HTTP_GET, "/attestation", &r, &id, allow), AY_ERR_METHOD);
    assert_string_equal(allow, "POST");
    assert_int_equal(find(AY_HTTP_PUT, "/healthz", &r, &id, allow), AY_ERR_METHOD);
    assert_int_equal(find(AY_HTTP_OTHER, "/metrics", &r, &id, allow), AY_ERR_METHOD);
    assert_int_equal(find(AY_HTTP_HEAD, "/attestation", &r, &id, allow), AY_ERR_METHOD);
}

static void test_methods(void **state)
{
    (void)state;
    assert_int_equal(ay_http_method_parse("GET"), AY_HTTP_GET);
    assert_int_equal(ay_http_method_parse("POST"), AY_HTTP_POST);
    assert_int_equal(ay_http_method_parse("DELETE"), AY_HTTP_DELETE);
    assert_int_equal(ay_http_method_parse("OPTIONS"), AY_HTTP_OPTIONS);
    assert_int_equal(ay_http_method_parse("get"), AY_HTTP_OTHER); /* case-sensitive */
    assert_int_equal(ay_http_method_parse(""), AY_HTTP_OTHER);
    assert_int_equal(ay_http_method_parse("PATCH"), AY_HTTP_OTHER);
}

static void test_ids(void **state)
{
    (void)state;
    const struct ay_http_route *r = NULL;
    struct ay_str id;
    char allow[64];
    assert_int_equal(find(AY_HTTP_GET, "/policy/my policy.rego", &r, &id, allow), AY_OK);
    assert_int_equal(id.len, strlen("my policy.rego"));
    assert_memory_equal(id.ptr, "my policy.rego", id.len);
    assert_int_equal(find(AY_HTTP_GET, "/policy/d\xc3\xa9j\xc3\xa0", &r, &id, allow), AY_OK);
    assert_int_equal(find(AY_HTTP_GET, "/policy/bad\xc3", &r, &id, allow), AY_ERR_NOT_FOUND);
    assert_int_equal(find(AY_HTTP_GET, "/policy/tab\there", &r, &id, allow), AY_ERR_NOT_FOUND);
    assert_int_equal(find(AY_HTTP_GET, "/policy/del\x7f", &r, &id, allow), AY_ERR_NOT_FOUND);
    /* Length: at the limit and one past it. */
    size_t pre = strlen("/policy/");
    char *p = malloc(pre + AY_LIMIT_STORE_KEY + 2);
    assert_non_null(p);
    memcpy(p, "/policy/", pre);
    memset(p + pre, 'k', AY_LIMIT_STORE_KEY);
    p[pre + AY_LIMIT_STORE_KEY] = '\0';
    assert_int_equal(find(AY_HTTP_GET, p, &r, &id, allow), AY_OK);
    assert_int_equal(id.len, AY_LIMIT_STORE_KEY);
    p[pre + AY_LIMIT_STORE_KEY] = 'k';
    p[pre + AY_LIMIT_STORE_KEY + 1] = '\0';
    assert_int_equal(find(AY_HTTP_GET, p, &r, &id, allow), AY_ERR_NOT_FOUND);
    free(p);
    /* An embedded NUL ends the id only if the caller says so: the length counts. */
    struct ay_diag d;
    ay_diag_clear(&d);
    static const char nul[] = "/policy/a\0b";
    assert_int_equal(ay_http_route_find(AY_HTTP_GET, nul, sizeof nul - 1, &r, &id, allow, 64, &d),
                     AY_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route),
        cmocka_unit_test(test_not_found_and_method),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
