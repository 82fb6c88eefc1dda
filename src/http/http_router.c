/* SPDX-License-Identifier: Apache-2.0 */
/* The route table of assayd: the six restful-as routes (TRUSTEE.md section 1.1) plus ours
 * (policy get/delete, reference values, metrics). Matching is exact on the literal part; a
 * trailing "/{id}" takes one non-empty path segment. An unknown path is 404 and a known path with
 * another method is 405, as actix-web does (TRUSTEE.md section 1.1 "Error shapes"). */
#include "http/http_router.h"

#include <string.h>

#include "base/base_limits.h"

#define JSON_MAX AY_LIMIT_HTTP_JSON_BODY

static const struct ay_http_route routes[] = {
    {AY_HTTP_POST, "/attestation", ay_http_h_attest, JSON_MAX, true, AY_ROUTE_ATTESTATION,
     "attestation"},
    {AY_HTTP_POST, "/policy", ay_http_h_policy_set, JSON_MAX, true, AY_ROUTE_POLICY_SET,
     "policy_set"},
    {AY_HTTP_GET, "/policy", ay_http_h_policy_list, 0, false, AY_ROUTE_POLICY_LIST, "policy_list"},
    {AY_HTTP_GET, "/policy/{id}", ay_http_h_policy_get, 0, false, AY_ROUTE_POLICY_GET,
     "policy_get"},
    {AY_HTTP_DELETE, "/policy/{id}", ay_http_h_policy_delete, 0, false, AY_ROUTE_POLICY_DELETE,
     "policy_delete"},
    {AY_HTTP_POST, "/reference-value", ay_http_h_rv_register, JSON_MAX, true, AY_ROUTE_RV_REGISTER,
     "rv_register"},
    {AY_HTTP_GET, "/reference-value/{id}", ay_http_h_rv_get, 0, false, AY_ROUTE_RV_GET, "rv_get"},
    {AY_HTTP_DELETE, "/reference-value/{id}", ay_http_h_rv_delete, 0, false, AY_ROUTE_RV_DELETE,
     "rv_delete"},
    {AY_HTTP_POST, "/challenge", ay_http_h_challenge, JSON_MAX, true, AY_ROUTE_CHALLENGE,
     "challenge"},
    {AY_HTTP_GET, "/.well-known/jwks.json", ay_http_h_jwks, 0, false, AY_ROUTE_JWKS, "jwks"},
    {AY_HTTP_GET, "/healthz", ay_http_h_healthz, 0, false, AY_ROUTE_HEALTHZ, "healthz"},
    {AY_HTTP_GET, "/metrics", ay_http_h_metrics, 0, false, AY_ROUTE_METRICS, "metrics"},
};

#define N_ROUTES (sizeof routes / sizeof routes[0])

static const char *const method_names[] = {
    [AY_HTTP_GET] = "GET",     [AY_HTTP_HEAD] = "HEAD",     [AY_HTTP_POST] = "POST",
    [AY_HTTP_PUT] = "PUT",     [AY_HTTP_DELETE] = "DELETE", [AY_HTTP_OPTIONS] = "OPTIONS",
    [AY_HTTP_OTHER] = "OTHER",
};

enum ay_http_method ay_http_method_parse(const char *m)
{
    /* HTTP methods are case-sensitive (RFC 9110 section 9.1). */
    for (int i = AY_HTTP_GET; i < AY_HTTP_OTHER; i++) {
        if (strcmp(m, method_names[i]) == 0) {
            return (enum ay_http_method)i;
        }
    }
    return AY_HTTP_OTHER;
}

const char *ay_http_route_name(enum ay_http_route_id id)
{
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (routes[i].id == id) {
            return routes[i].name;
        }
    }
    return "unmatched";
}

/* An id must be something a store key can be: non-empty, bounded, printable UTF-8, no '/'. */
static bool id_ok(const char *p, size_t n)
{
    if (n == 0 || n > AY_LIMIT_STORE_KEY) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f || c == '/') {
            return false;
        }
    }
    return ay_utf8_valid(p, n);
}

/* 1: path matches the pattern (id set when it has one); 0: it does not. */
static int match(const char *pattern, const char *path, size_t path_len, struct ay_str *id)
{
    static const char slot[] = "/{id}";
    size_t pl = strlen(pattern);
    size_t sl = sizeof slot - 1;
    if (pl > sl && memcmp(pattern + pl - sl, slot, sl) == 0) {
        size_t lit = pl - sl + 1; /* literal prefix including the '/' */
        if (path_len < lit || memcmp(path, pattern, lit) != 0) {
            return 0;
        }
        id->ptr = path + lit;
        id->len = path_len - lit;
        /* Anything after the prefix counts as this path (so "/policy/a/b" is a 404 of this
         * resource rather than an unknown path); id_ok decides. */
        return 1;
    }
    id->ptr = path + path_len;
    id->len = 0;
    return pl == path_len && memcmp(pattern, path, pl) == 0;
}

static void allow_add(char *allow, size_t allowlen, const char *m)
{
    size_t l = strnlen(allow, allowlen);
    size_t ml = strlen(m);
    size_t sep = l > 0 ? 2 : 0;
    if (l + sep + ml + 1 > allowlen) {
        return;
    }
    if (sep) {
        memcpy(allow + l, ", ", 2);
    }
    memcpy(allow + l + sep, m, ml + 1);
}

ay_err ay_http_route_find(enum ay_http_method m, const char *path, size_t path_len,
                          const struct ay_http_route **out, struct ay_str *out_id, char *allow,
                          size_t allowlen, struct ay_diag *diag)
{
    const struct ay_http_route *hit = NULL;
    struct ay_str hit_id = {NULL, 0};
    bool known = false;
    bool bad_id = false;
    enum ay_http_method want = m == AY_HTTP_HEAD ? AY_HTTP_GET : m;
    if (allowlen > 0) {
        allow[0] = '\0';
    }
    for (size_t i = 0; i < N_ROUTES; i++) {
        struct ay_str id = {NULL, 0};
        if (!match(routes[i].pattern, path, path_len, &id)) {
            continue;
        }
        if (routes[i].pattern[strlen(routes[i].pattern) - 1] == '}' && !id_ok(id.ptr, id.len)) {
            bad_id = true;
            continue;
        }
        known = true;
        allow_add(allow, allowlen, method_names[routes[i].method]);
        if (routes[i].method == want && hit == NULL) {
            hit = &routes[i];
            hit_id = id;
        }
    }
    if (hit != NULL) {
        *out = hit;
        *out_id = hit_id;
        return AY_OK;
    }
    if (known) {
        return FAIL(diag, AY_ERR_METHOD, "method %s is not allowed here (allowed: %s)",
                    method_names[m], allow);
    }
    if (bad_id) {
        return FAIL(diag, AY_ERR_NOT_FOUND,
                    "no such id: ids are 1 to %zu printable characters "
                    "without '/'",
                    (size_t)AY_LIMIT_STORE_KEY);
    }
    return FAIL(diag, AY_ERR_NOT_FOUND, "no route for this path");
}
