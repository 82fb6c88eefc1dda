/* SPDX-License-Identifier: Apache-2.0 */
/* The declarative route table (STYLE.md B.11) and the request/response records handlers see.
 * Internal to src/http/. */
#ifndef AY_HTTP_ROUTER_H
#define AY_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "as/as.h"
#include "base/base_buf.h"
#include "base/base_cursor.h"
#include "base/base_err.h"
#include "base/base_str.h"

struct ay_ctx;

enum ay_http_method {
    AY_HTTP_GET,
    AY_HTTP_HEAD,
    AY_HTTP_POST,
    AY_HTTP_PUT,
    AY_HTTP_DELETE,
    AY_HTTP_OPTIONS,
    AY_HTTP_OTHER,
};

/* One per route, in table order; also the metric label index. */
enum ay_http_route_id {
    AY_ROUTE_ATTESTATION,
    AY_ROUTE_POLICY_SET,
    AY_ROUTE_POLICY_LIST,
    AY_ROUTE_POLICY_GET,
    AY_ROUTE_POLICY_DELETE,
    AY_ROUTE_RV_REGISTER,
    AY_ROUTE_RV_GET,
    AY_ROUTE_RV_DELETE,
    AY_ROUTE_CHALLENGE,
    AY_ROUTE_JWKS,
    AY_ROUTE_HEALTHZ,
    AY_ROUTE_METRICS,
    AY_ROUTE_UNMATCHED, /* 404, 405 and CORS preflight: not a table entry */
    AY_ROUTE__COUNT,
};

struct ay_http_metrics;

struct ay_http_req {
    enum ay_http_method method;
    const char *path;
    const char *id; /* the {id} path segment, NUL-terminated in the request arena, or NULL */
    struct ay_span body;
    struct ay_http_metrics *metrics;
};

struct ay_http_resp {
    struct ay_buf body;
    const char *content_type; /* static string, or NULL for none (as restful-as) */
    bool has_info;
    struct ay_as_attest_info info;
};

typedef ay_err ay_http_handler_fn(struct ay_as *as, struct ay_ctx *ctx,
                                  const struct ay_http_req *req, struct ay_http_resp *resp);

struct ay_http_route {
    enum ay_http_method method;
    const char *pattern; /* literal path, or literal prefix + "/{id}" */
    ay_http_handler_fn *handler;
    size_t max_body; /* 0: the request must carry no body */
    bool json_body;  /* Content-Type must be JSON */
    enum ay_http_route_id id;
    const char *name; /* metric label */
};

enum ay_http_method ay_http_method_parse(const char *m);
const char *ay_http_route_name(enum ay_http_route_id id);

/* Matches method + path (already percent-decoded, no query). On success *out is the route and
 * *out_id the {id} segment (a slice of path; empty when the pattern has none).
 * AY_ERR_NOT_FOUND: no route has this path (or the id is not acceptable).
 * AY_ERR_METHOD: the path exists with another method; allow gets the methods ("GET, DELETE").
 * HEAD matches GET routes. allow (at least 32 bytes) is also filled on success. */
AY_MUST_USE ay_err ay_http_route_find(enum ay_http_method m, const char *path, size_t path_len,
                                      const struct ay_http_route **out, struct ay_str *out_id,
                                      char *allow, size_t allowlen, struct ay_diag *diag);

/* Handlers (http_handlers.c). */
ay_http_handler_fn ay_http_h_attest, ay_http_h_policy_set, ay_http_h_policy_list,
    ay_http_h_policy_get, ay_http_h_policy_delete, ay_http_h_rv_register, ay_http_h_rv_get,
    ay_http_h_rv_delete, ay_http_h_challenge, ay_http_h_jwks, ay_http_h_healthz, ay_http_h_metrics;

/* Writes the error body {"error": code, "message": msg}. */
void ay_http_error_body(struct ay_buf *b, ay_err e, const char *msg);

#endif
