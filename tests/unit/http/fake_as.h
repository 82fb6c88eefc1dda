/* SPDX-License-Identifier: Apache-2.0 */
/* A fake attestation service core (src/as/as.h) for the HTTP front-end tests: it lives only in
 * test code. Policies and reference values go to a memory store; the "token" is a fixed text.
 * Body markers trigger errors: "fake-internal" -> AY_ERR_INTERNAL (500), "fake-verify" ->
 * AY_ERR_VERIFY (422), a policy whose text contains "syntax error" -> AY_ERR_POLICY_COMPILE. */
#ifndef AY_TEST_FAKE_AS_H
#define AY_TEST_FAKE_AS_H

#include <string.h>

#include <jansson.h>

#include "as/as.h"
#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_cursor.h"
#include "base/base_mem.h"
#include "codec/codec_b64.h"
#include "store/store.h"

struct ay_as_config {
    int unused;
};

struct ay_as {
    struct ay_store *store;
};

static struct ay_as_config fake_cfg;

ay_err ay_as_config_load(const char *path, struct ay_diag *diag, struct ay_as_config **out)
{
    if (path != NULL && strstr(path, "bad") != NULL) {
        return FAIL(diag, AY_ERR_CONFIG, "fake: bad config %s", path);
    }
    *out = &fake_cfg;
    return AY_OK;
}

ay_err ay_as_config_parse(const char *json, size_t len, struct ay_diag *diag,
                          struct ay_as_config **out)
{
    (void)json;
    (void)len;
    (void)diag;
    *out = &fake_cfg;
    return AY_OK;
}

void ay_as_config_free(struct ay_as_config *c)
{
    (void)c;
}

const char *ay_as_config_work_dir(const struct ay_as_config *c)
{
    (void)c;
    return ".";
}

ay_err ay_as_new(const struct ay_as_config *cfg, struct ay_diag *diag, struct ay_as **out)
{
    (void)cfg;
    (void)diag;
    struct ay_as *as = ay_xcalloc(1, sizeof *as);
    TRY(ay_store_open_memory(&as->store));
    *out = as;
    return AY_OK;
}

void ay_as_free(struct ay_as *as)
{
    if (as != NULL) {
        ay_store_close(as->store);
        ay_free(as);
    }
}

static json_t *fake_parse(struct ay_ctx *ctx, struct ay_span body, ay_err *err)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)body.ptr, body.len, 0, &je);
    if (j == NULL) {
        *err = FAIL(&ctx->diag, AY_ERR_MALFORMED, "JSON: %s at line %d column %d", je.text, je.line,
                    je.column);
    }
    return j;
}

static bool has(struct ay_span body, const char *marker)
{
    size_t n = strlen(marker);
    for (size_t i = 0; i + n <= body.len; i++) {
        if (memcmp(body.ptr + i, marker, n) == 0) {
            return true;
        }
    }
    return false;
}

ay_err ay_as_attest(struct ay_as *as, struct ay_ctx *ctx, struct ay_span body, struct ay_buf *out,
                    struct ay_as_attest_info *info)
{
    (void)as;
    ay_err e = AY_OK;
    json_t *j = fake_parse(ctx, body, &e);
    if (j == NULL) {
        return e;
    }
    json_t *reqs = json_object_get(j, "verification_requests");
    json_t *r0 = json_array_get(reqs, 0);
    const char *tee = json_string_value(json_object_get(r0, "tee"));
    if (tee == NULL) {
        json_decref(j);
        return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "missing field `tee`");
    }
    info->tee = strcmp(tee, "sample") == 0 ? "sample" : "unknown";
    json_decref(j);
    if (has(body, "fake-internal")) {
        return FAIL(&ctx->diag, AY_ERR_INTERNAL, "fake internal fault");
    }
    if (has(body, "fake-verify")) {
        return FAIL(&ctx->diag, AY_ERR_VERIFY, "fake: evidence does not verify");
    }
    info->accepted = true;
    ay_buf_puts(out, "eyJhbGciOiJFUzI1NiJ9.e30.c2ln");
    return AY_OK;
}

ay_err ay_as_policy_set(struct ay_as *as, struct ay_ctx *ctx, struct ay_span body,
                        struct ay_buf *out)
{
    (void)out;
    ay_err e = AY_OK;
    json_t *j = fake_parse(ctx, body, &e);
    if (j == NULL) {
        return e;
    }
    const char *id = json_string_value(json_object_get(j, "policy_id"));
    const char *p = json_string_value(json_object_get(j, "policy"));
    struct ay_span text = {0};
    if (id == NULL || p == NULL) {
        e = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "missing field `policy_id` or `policy`");
    } else if (ay_b64_decode(AY_B64_URL_NOPAD, p, strlen(p), ctx->arena, &text) != AY_OK) {
        e = FAIL(&ctx->diag, AY_ERR_MALFORMED, "policy: bad base64url");
    } else if (has(text, "syntax error")) {
        e = FAIL(&ctx->diag, AY_ERR_POLICY_COMPILE, "3:7: syntax error");
    } else {
        e = ay_store_put(as->store, AY_STORE_NS_POLICY, id, text.ptr, text.len, &ctx->diag);
    }
    json_decref(j);
    return e;
}

static ay_err list_fn(void *arg, const char *key, const uint8_t *val, size_t len)
{
    (void)val;
    (void)len;
    struct ay_buf *b = arg;
    ay_buf_puts(b, b->len > 1 ? ",{\"policy-id\":" : "{\"policy-id\":");
    ay_buf_json_str(b, key, strlen(key));
    ay_buf_putc(b, '}');
    return AY_OK;
}

ay_err ay_as_policy_list(struct ay_as *as, struct ay_ctx *ctx, struct ay_buf *out)
{
    ay_buf_putc(out, '[');
    TRY(ay_store_list(as->store, AY_STORE_NS_POLICY, list_fn, out, &ctx->diag));
    ay_buf_putc(out, ']');
    return AY_OK;
}

ay_err ay_as_policy_get(struct ay_as *as, struct ay_ctx *ctx, const char *id, struct ay_buf *out)
{
    struct ay_span v;
    TRY(ay_store_get(as->store, AY_STORE_NS_POLICY, id, ctx->arena, &v, &ctx->diag));
    ay_buf_puts(out, "{\"policy-id\":");
    ay_buf_json_str(out, id, strlen(id));
    ay_buf_puts(out, ",\"policy\":\"");
    ay_b64_encode(AY_B64_URL_NOPAD, v.ptr, v.len, out);
    ay_buf_puts(out, "\"}");
    return AY_OK;
}

ay_err ay_as_policy_delete(struct ay_as *as, struct ay_ctx *ctx, const char *id)
{
    return ay_store_delete(as->store, AY_STORE_NS_POLICY, id, &ctx->diag);
}

ay_err ay_as_rv_register(struct ay_as *as, struct ay_ctx *ctx, struct ay_span body,
                         struct ay_buf *out)
{
    (void)out;
    ay_err e = AY_OK;
    json_t *j = fake_parse(ctx, body, &e);
    if (j == NULL) {
        return e;
    }
    const char *name = json_string_value(json_object_get(j, "name"));
    if (name == NULL) {
        e = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "missing field `name`");
    } else {
        e = ay_store_put(as->store, AY_STORE_NS_RV, name, body.ptr, body.len, &ctx->diag);
    }
    json_decref(j);
    return e;
}

ay_err ay_as_rv_get(struct ay_as *as, struct ay_ctx *ctx, const char *id, struct ay_buf *out)
{
    struct ay_span v;
    TRY(ay_store_get(as->store, AY_STORE_NS_RV, id, ctx->arena, &v, &ctx->diag));
    ay_buf_put(out, v.ptr, v.len);
    return AY_OK;
}

ay_err ay_as_rv_delete(struct ay_as *as, struct ay_ctx *ctx, const char *id)
{
    return ay_store_delete(as->store, AY_STORE_NS_RV, id, &ctx->diag);
}

ay_err ay_as_challenge(struct ay_as *as, struct ay_ctx *ctx, struct ay_span body,
                       struct ay_buf *out)
{
    (void)as;
    (void)out;
    ay_err e = AY_OK;
    json_t *j = fake_parse(ctx, body, &e);
    if (j == NULL) {
        return e;
    }
    json_decref(j);
    return AY_OK;
}

ay_err ay_as_jwks(struct ay_as *as, struct ay_ctx *ctx, struct ay_buf *out)
{
    (void)as;
    (void)ctx;
    ay_buf_puts(out, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES256\"}]}");
    return AY_OK;
}

#endif
