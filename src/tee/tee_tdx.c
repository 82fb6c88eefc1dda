/* SPDX-License-Identifier: Apache-2.0 */
/* The "tdx" verifier: Trustee's TDX evidence ({"quote", "cc_eventlog"}) or a raw quote, DCAP
 * verification (tee_dcap.c), report data / MRCONFIGID binding, CCEL replay against RTMR0..3 and
 * Trustee's claims (TRUSTEE.md 3.6, 7.3, 7.14). */
#include <string.h>

#include "base/base_ctx.h"
#include "codec/codec_b64.h"
#include "tee/tee.h"
#include "tee/tee_ccel.h"
#include "tee/tee_dcap.h"
#include "tee/tee_dcap_source.h"

ay_tee_verify_fn ay_tee_tdx_verify;

#define HEX(obj, key, field) CHECK(ay_dcap_set_hex(ctx, (obj), (key), (field), sizeof(field)))

static ay_err quote_claims(struct ay_ctx *ctx, const struct ay_dcap_quote *q, json_t *claims)
{
    ay_err err = AY_OK;
    const struct ay_dcap_td_report *b = &q->td;
    json_t *quote = json_object();
    json_t *hdr = json_object();
    json_t *body = json_object();
    json_t *attr = json_object();
    uint8_t u16[2], u32[4];
    uint64_t a = 0;
    if (quote == NULL || hdr == NULL || body == NULL || attr == NULL) {
        err = FAIL(&ctx->diag, AY_ERR_INTERNAL, "out of memory");
        goto out;
    }
    /* Header fields as hex of their wire bytes (TRUSTEE.md 7.3, golden file of T4). */
    u16[0] = (uint8_t)q->version;
    u16[1] = (uint8_t)(q->version >> 8);
    HEX(hdr, "version", u16);
    u16[0] = (uint8_t)q->att_key_type;
    u16[1] = (uint8_t)(q->att_key_type >> 8);
    HEX(hdr, "att_key_type", u16);
    for (size_t i = 0; i < 4; i++) {
        u32[i] = (uint8_t)(q->tee_type >> (8 * i));
    }
    HEX(hdr, "tee_type", u32);
    HEX(hdr, "reserved", q->reserved);
    HEX(hdr, "vendor_id", q->qe_vendor_id);
    HEX(hdr, "user_data", q->user_data);
    HEX(body, "tcb_svn", b->tee_tcb_svn);
    HEX(body, "mr_seam", b->mr_seam);
    HEX(body, "mrsigner_seam", b->mrsigner_seam);
    HEX(body, "seam_attributes", b->seam_attributes);
    HEX(body, "td_attributes", b->td_attributes);
    HEX(body, "xfam", b->xfam);
    HEX(body, "mr_td", b->mr_td);
    HEX(body, "mr_config_id", b->mr_config_id);
    HEX(body, "mr_owner", b->mr_owner);
    HEX(body, "mr_owner_config", b->mr_owner_config);
    HEX(body, "rtmr_0", b->rtmr[0]);
    HEX(body, "rtmr_1", b->rtmr[1]);
    HEX(body, "rtmr_2", b->rtmr[2]);
    HEX(body, "rtmr_3", b->rtmr[3]);
    HEX(body, "report_data", b->report_data);
    if (b->is_15) {
        HEX(body, "tee_tcb_svn2", b->tee_tcb_svn2);
        HEX(body, "mr_servicetd", b->mr_servicetd);
    }
    if (q->version == 5) {
        /* v5: "type" and "size" as hex of their wire bytes ("0200"/"0300"). */
        u16[0] = (uint8_t)q->body_type;
        u16[1] = (uint8_t)(q->body_type >> 8);
        CHECK(ay_dcap_set_hex(ctx, quote, "type", u16, 2));
        for (size_t i = 0; i < 4; i++) {
            u32[i] = (uint8_t)(q->body_size >> (8 * i));
        }
        CHECK(ay_dcap_set_hex(ctx, quote, "size", u32, 4));
    }
    json_object_set(quote, "header", hdr);
    json_object_set(quote, "body", body);
    json_object_set(claims, "quote", quote);
    /* TD_ATTRIBUTES bits 0, 28, 30, 31, 63 (TRUSTEE.md 7.3), the u64 is little-endian. */
    for (size_t i = 0; i < 8; i++) {
        a |= (uint64_t)b->td_attributes[i] << (8 * i);
    }
    json_object_set_new(attr, "debug", json_boolean(a & 1u));
    json_object_set_new(attr, "septve_disable", json_boolean((a >> 28) & 1u));
    json_object_set_new(attr, "protection_keys", json_boolean((a >> 30) & 1u));
    json_object_set_new(attr, "key_locker", json_boolean((a >> 31) & 1u));
    json_object_set_new(attr, "perfmon", json_boolean((a >> 63) & 1u));
    json_object_set(claims, "td_attributes", attr);
    HEX(claims, "report_data", b->report_data);
    HEX(claims, "init_data", b->mr_config_id);
out:
    json_decref(quote);
    json_decref(hdr);
    json_decref(body);
    json_decref(attr);
    return err;
}

/* The CC event log: from the evidence JSON (base64 std), else an endorsement that looks like
 * one (CLI). An empty span means none. */
static ay_err find_ccel(struct ay_ctx *ctx, const json_t *ev, const struct ay_tee_input *in,
                        struct ay_span *out)
{
    *out = ay_span_of(NULL, 0);
    const json_t *v = ev != NULL ? json_object_get(ev, "cc_eventlog") : NULL;
    if (json_is_string(v) && json_string_length(v) > 0) {
        ay_err e = ay_b64_decode(AY_B64_STD, json_string_value(v), json_string_length(v),
                                 ctx->arena, out);
        ENSURE(e == AY_OK, FAIL(&ctx->diag, e, "evidence: \"cc_eventlog\" is not base64"));
        return AY_OK;
    }
    ENSURE(v == NULL || json_is_null(v) || json_is_string(v),
           FAIL(&ctx->diag, AY_ERR_MALFORMED, "evidence: \"cc_eventlog\" is not a string"));
    for (size_t i = 0; i < in->n_endorsements; i++) {
        if (ay_ccel_sniff(in->endorsements[i].bytes)) {
            *out = in->endorsements[i].bytes;
            break;
        }
    }
    return AY_OK;
}

static ay_err check_ccel(struct ay_ctx *ctx, const struct ay_dcap_td_report *b, struct ay_span log,
                         json_t *claims)
{
    struct ay_ccel_log l;
    uint8_t mr[4][AY_HASH_MAX];
    json_t *events = NULL;
    ay_err err;
    TRY(ay_ccel_parse(&ctx->diag, log, &l));
    /* TRUSTEE.md 7.3: SHA-384, index 1..4 -> RTMR0..3; mismatch is an error. */
    CHECK(ay_ccel_replay(&ctx->diag, &l, AY_HASH_SHA384, mr));
    for (size_t i = 0; i < 4; i++) {
        if (memcmp(mr[i], b->rtmr[i], 48) != 0) {
            err = FAIL(&ctx->diag, AY_ERR_BINDING,
                       "tdx: CC event log replay does not reproduce RTMR%zu of the quote", i);
            goto out;
        }
    }
    CHECK(ay_ccel_claims(&ctx->diag, &l, &events));
    json_object_set_new(claims, "uefi_event_logs", events);
out:
    ay_ccel_free(&l);
    return err;
}

ay_err ay_tee_tdx_verify(struct ay_ctx *ctx, const struct ay_tee_input *in, json_t **out_claims)
{
    ay_err err;
    json_t *ev = NULL, *claims = NULL;
    struct ay_span raw, log;
    struct ay_dcap_quote quote;
    struct ay_dcap_quote *q = &quote;
    struct ay_dcap_result r;
    memset(&r, 0, sizeof r);
    CHECK(ay_dcap_evidence_quote(ctx, in->evidence, &ev, &raw));
    CHECK(ay_dcap_quote_parse(&ctx->diag, raw, q));
    /* TRUSTEE.md 7.3: v4 / v5 TDX only; SGX quotes belong to the sgx verifier. */
    if (q->tee_type != AY_DCAP_TEE_TDX) {
        err = FAIL(&ctx->diag, AY_ERR_UNSUPPORTED, "tdx: the quote is not a TDX quote (v%u)",
                   q->version);
        goto out;
    }
    CHECK(find_ccel(ctx, ev, in, &log));
    /* verifier_config.dcap_verifier: the collateral source (docs/CONFIG.md). */
    CHECK(ay_dcap_source_use(&ctx->diag, in->config));
    CHECK(ay_dcap_verify(ctx, q, in->endorsements, in->n_endorsements, in->require_collateral,
                         &r));
    /* TRUSTEE.md 3.6: regularize to 64 vs REPORT_DATA, to 48 vs MRCONFIGID. */
    if (in->report_data != NULL && !ay_dcap_regularized_eq(*in->report_data, q->td.report_data, 64)) {
        err = FAIL(&ctx->diag, AY_ERR_BINDING, "tdx: REPORT_DATA does not match the expected "
                                               "report data");
        goto out;
    }
    if (in->init_data != NULL && !ay_dcap_regularized_eq(*in->init_data, q->td.mr_config_id, 48)) {
        err = FAIL(&ctx->diag, AY_ERR_BINDING, "tdx: MRCONFIGID does not match the expected "
                                               "init data");
        goto out;
    }
    claims = json_object();
    if (claims == NULL) {
        err = FAIL(&ctx->diag, AY_ERR_INTERNAL, "out of memory");
        goto out;
    }
    CHECK(quote_claims(ctx, q, claims));
    if (log.len > 0) {
        CHECK(check_ccel(ctx, &q->td, log, claims));
    }
    CHECK(ay_dcap_result_claims(ctx, &r, claims));
    *out_claims = claims;
    claims = NULL;
out:
    json_decref(claims);
    json_decref(ev);
    ay_dcap_result_clear(&r);
    return err;
}
