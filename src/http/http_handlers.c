/* SPDX-License-Identifier: Apache-2.0 */
/* One handler per route: each calls the matching ay_as_* operation (src/as/as.h) and fills the
 * response. Success bodies follow restful-as (TRUSTEE.md section 1.1): the attestation token is
 * the bare JWT with no Content-Type, policy set answers an empty 200, JWKS is application/json.
 * Errors are turned into {"error","message"} by the server (http_server.c). */
#include <string.h>

#include "base/base_ctx.h"
#include "http/http_metrics.h"
#include "http/http_router.h"

static const char json_type[] = "application/json";

ay_err ay_http_h_attest(struct ay_as *as, struct ay_ctx *ctx, const struct ay_http_req *req,
                        struct ay_http_resp *resp)
{
    resp->has_info = true;
    resp->info.tee = "unknown";
    resp->info.accepted = false;
    return ay_as_attest(as, ctx, req->body, &resp->body, &resp->info);
}

ay_err ay_http_h_policy_set(struct ay_as *as, struct ay_ctx *ctx, const struct ay_http_req *req,
                            struct ay_http_resp *resp)
{
    return ay_as_policy_set(as, ctx, req->body, &resp->body);
}

ay_err ay_http_h_policy_list(struct ay_as *as, struct ay_ctx *ctx, const struct ay_http_req *req,
                             struct ay_http_resp *resp)
{
    (void)req;
    resp->content_type = json_type;
    return ay_as_policy_list(as, ctx, &resp->body);
}

ay_err ay_http_h_policy_get(struct ay_as *as, struct ay_ctx *ctx, const struct ay_http_req *req,
                            struct ay_http_resp *resp)
{
    resp->content_type = json_type;
    return ay_as_policy_get(as, ctx, req->id, &resp->body);
}

ay_err ay_http_h_policy_delete(struct ay_as *as, struct ay_ctx *ctx, const struct ay_http_req *req,
                               struct ay_http_resp *resp)
{
    (void)resp;
    return ay_as_policy_delete(as, ctx, req->id);
}

ay_err ay_http_h_rv_register(struct ay_as *as, struct ay_ctx *ctx, const struct ay_http_req *req,
                             struct ay_http_resp *resp)
{
    return ay_as_rv_register(as, ctx, req->body, &resp->body);
}

ay_err ay_http_h_rv_get(struct ay_as *as, struct ay_ctx *ctx, const struct ay_http_req *req,
                        struct ay_http_resp *resp)
{
    resp->content_type = json_type;
    return ay_as_rv_get(as, ctx, req->id, &resp->body);
}

ay_err ay_http_h_rv_delete(struct ay_as *as, struct ay_ctx *ctx, const struct ay_http_req *req,
                           struct ay_http_resp *resp)
{
    (void)resp;
    return ay_as_rv_delete(as, ctx, req->id);
}

ay_err ay_http_h_challenge(struct ay_as *as, struct ay_ctx *ctx, const struct ay_http_req *req,
                           struct ay_http_resp *resp)
{
    return ay_as_challenge(as, ctx, req->body, &resp->body);
}

ay_err ay_http_h_jwks(struct ay_as *as, struct ay_ctx *ctx, const struct ay_http_req *req,
                      struct ay_http_resp *resp)
{
    (void)req;
    resp->content_type = json_type;
    return ay_as_jwks(as, ctx, &resp->body);
}

ay_err ay_http_h_healthz(struct ay_as *as, struct ay_ctx *ctx, const struct ay_http_req *req,
                         struct ay_http_resp *resp)
{
    (void)as;
    (void)ctx;
    (void)req;
    (void)resp;
    return AY_OK; /* 200, empty (TRUSTEE.md section 10.2) */
}

ay_err ay_http_h_metrics(struct ay_as *as, struct ay_ctx *ctx, const struct ay_http_req *req,
                         struct ay_http_resp *resp)
{
    (void)as;
    (void)ctx;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    ay_http_metrics_render(req->metrics, &resp->body);
    return AY_OK;
}

void ay_http_error_body(struct ay_buf *b, ay_err e, const char *msg)
{
    ay_buf_reset(b);
    ay_buf_puts(b, "{\"error\":");
    const char *code = ay_err_code(e);
    ay_buf_json_str(b, code, strlen(code));
    ay_buf_puts(b, ",\"message\":");
    ay_buf_json_str(b, msg, strlen(msg));
    ay_buf_putc(b, '}');
}
