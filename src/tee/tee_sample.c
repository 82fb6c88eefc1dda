/* SPDX-License-Identifier: Apache-2.0 */
/* The `sample` and `sampledevice` verifiers (TRUSTEE.md section 7.1): evidence
 * {"svn": "<string>", "report_data": "<standard base64>"} with no cryptography at all. They
 * exist to test the whole pipeline; the binding checks are real (section 3.6: EXACT compare). */
#include <string.h>

#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "base/base_log.h"
#include "codec/codec_b64.h"
#include "tee/tee.h"

ay_tee_verify_fn ay_tee_sample_verify;
ay_tee_verify_fn ay_tee_sampledevice_verify;

struct sample_evidence {
    const char *svn;
    const char *report_data; /* the base64 text as sent; "" when absent (serde default) */
};

static ay_err parse(struct ay_ctx *ctx, const char *tee, json_t *root, struct sample_evidence *ev)
{
    if (!json_is_object(root)) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "%s: evidence is not a JSON object", tee);
    }
    json_t *svn = json_object_get(root, "svn");
    if (!json_is_string(svn)) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "%s: evidence field `svn` must be a string", tee);
    }
    ev->svn = json_string_value(svn);
    json_t *rd = json_object_get(root, "report_data");
    if (rd == NULL) {
        ev->report_data = "";
    } else if (json_is_string(rd)) {
        ev->report_data = json_string_value(rd);
    } else {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED,
                    "%s: evidence field `report_data` must be a string", tee);
    }
    return AY_OK;
}

/* TRUSTEE.md section 3.6, row sample: standard-base64 decode of evidence.report_data, then
 * EXACT equality with the expected bytes (no padding, no truncation). */
static ay_err check_report_data(struct ay_ctx *ctx, const char *tee,
                                const struct sample_evidence *ev, const struct ay_span *expected)
{
    struct ay_span got;
    if (ay_b64_decode(AY_B64_STD, ev->report_data, strlen(ev->report_data), ctx->arena, &got) !=
        AY_OK) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "%s: evidence report_data is not standard base64",
                    tee);
    }
    if (!ay_span_eq(got, *expected)) {
        return FAIL(&ctx->diag, AY_ERR_BINDING,
                    "%s: report data mismatch: evidence has %zu bytes that differ from the "
                    "expected %zu bytes",
                    tee, got.len, expected->len);
    }
    return AY_OK;
}

static ay_err verify(struct ay_ctx *ctx, const struct ay_tee_input *in, bool is_device,
                     json_t **out_claims)
{
    const char *tee = is_device ? "sampledevice" : "sample";
    if (in->evidence.len > AY_LIMIT_EVIDENCE) {
        return FAIL(&ctx->diag, AY_ERR_LIMIT, "%s: evidence over %zu bytes", tee,
                    AY_LIMIT_EVIDENCE);
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *)in->evidence.ptr, in->evidence.len, 0, &jerr);
    if (root == NULL) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "%s: evidence is not JSON: %s (line %d)", tee,
                    jerr.text, jerr.line);
    }
    struct sample_evidence ev = {0};
    ay_err err = parse(ctx, tee, root, &ev);
    if (err == AY_OK && in->report_data != NULL) {
        err = check_report_data(ctx, tee, &ev, in->report_data);
    }
    if (err != AY_OK) {
        json_decref(root);
        return err;
    }
    if (in->init_data != NULL && is_device) {
        ay_log(AY_LOG_DEBUG, "sampledevice: init data is ignored");
    } else if (in->init_data != NULL) {
        /* Trustee's sample verifier does not compare init data; it only reports it. */
        ay_log(AY_LOG_DEBUG, "sample: init data is not checked by the sample TEE");
    }
    json_t *claims = json_object();
    json_object_set_new(claims, "svn", json_string(ev.svn));
    json_object_set_new(claims, "report_data", json_string(ev.report_data));
    if (!is_device) {
        json_object_set_new(claims, "launch_digest", json_string("abcde"));
        json_object_set_new(claims, "platform_version",
                            json_pack("{s:i,s:i}", "major", 1, "minor", 4));
        json_object_set_new(claims, "debug", json_false());
        if (in->init_data != NULL) {
            struct ay_buf b;
            ay_buf_init(&b, ctx->arena, AY_LIMIT_EVIDENCE * 2);
            ay_b64_encode(AY_B64_STD, in->init_data->ptr, in->init_data->len, &b);
            err = ay_buf_finish(&b);
            if (err != AY_OK) {
                json_decref(claims);
                json_decref(root);
                return FAIL(&ctx->diag, err, "%s: init data too large", tee);
            }
            json_object_set_new(claims, "init_data", json_stringn(b.ptr, b.len));
        }
    }
    json_decref(root);
    *out_claims = claims;
    return AY_OK;
}

ay_err ay_tee_sample_verify(struct ay_ctx *ctx, const struct ay_tee_input *in, json_t **out_claims)
{
    return verify(ctx, in, false, out_claims);
}

ay_err ay_tee_sampledevice_verify(struct ay_ctx *ctx, const struct ay_tee_input *in,
                                  json_t **out_claims)
{
    return verify(ctx, in, true, out_claims);
}
