/* SPDX-License-Identifier: Apache-2.0 */
/* The "sgx" verifier: Trustee's SGX evidence ({"quote"}) or a raw v3 quote, DCAP verification
 * (tee_dcap.c), report data / CONFIGID binding and Trustee's claims (TRUSTEE.md 3.6, 7.4). */
#include <string.h>

#include "base/base_ctx.h"
#include "tee/tee.h"
#include "tee/tee_dcap.h"
#include "tee/tee_dcap_source.h"

ay_tee_verify_fn ay_tee_sgx_verify;

#define HEX(obj, key, field) CHECK(ay_dcap_set_hex(ctx, (obj), (key), (field), sizeof(field)))

static void le16(uint16_t v, uint8_t out[2])
{
    out[0] = (uint8_t)v;
    out[1] = (uint8_t)(v >> 8);
}

static void le32(uint32_t v, uint8_t out[4])
{
    for (size_t i = 0; i < 4; i++) {
        out[i] = (uint8_t)(v >> (8 * i));
    }
}

static ay_err quote_claims(struct ay_ctx *ctx, const struct ay_dcap_quote *q, json_t *claims)
{
    ay_err err = AY_OK;
    const struct ay_dcap_sgx_report *b = &q->sgx;
    json_t *hdr = json_object();
    json_t *body = json_object();
    uint8_t u16[2], u32[4];
    if (hdr == NULL || body == NULL) {
        err = FAIL(&ctx->diag, AY_ERR_INTERNAL, "out of memory");
        goto out;
    }
    /* TRUSTEE.md 7.4: hex of the wire bytes; qe_svn / pce_svn are header bytes 8..11. */
    le16(q->version, u16);
    HEX(hdr, "version", u16);
    le16(q->att_key_type, u16);
    HEX(hdr, "att_key_type", u16);
    le32(q->tee_type, u32);
    HEX(hdr, "att_key_data_0", u32);
    CHECK(ay_dcap_set_hex(ctx, hdr, "qe_svn", q->reserved, 2));
    CHECK(ay_dcap_set_hex(ctx, hdr, "pce_svn", q->reserved + 2, 2));
    HEX(hdr, "vendor_id", q->qe_vendor_id);
    HEX(hdr, "user_data", q->user_data);
    HEX(body, "cpu_svn", b->cpu_svn);
    le32(b->misc_select, u32);
    HEX(body, "misc_select", u32);
    HEX(body, "reserved1", b->reserved1);
    HEX(body, "isv_ext_prod_id", b->isv_ext_prod_id);
    CHECK(ay_dcap_set_hex(ctx, body, "attributes.flags", b->attributes, 8));
    CHECK(ay_dcap_set_hex(ctx, body, "attributes.xfrm", b->attributes + 8, 8));
    HEX(body, "mr_enclave", b->mr_enclave);
    HEX(body, "reserved2", b->reserved2);
    HEX(body, "mr_signer", b->mr_signer);
    HEX(body, "reserved3", b->reserved3);
    HEX(body, "config_id", b->config_id);
    le16(b->isv_prod_id, u16);
    HEX(body, "isv_prod_id", u16);
    le16(b->isv_svn, u16);
    HEX(body, "isv_svn", u16);
    le16(b->config_svn, u16);
    HEX(body, "config_svn", u16);
    HEX(body, "reserved4", b->reserved4);
    HEX(body, "isv_family_id", b->isv_family_id);
    HEX(body, "report_data", b->report_data);
    json_object_set(claims, "header", hdr);
    json_object_set(claims, "body", body);
    HEX(claims, "report_data", b->report_data);
    HEX(claims, "init_data", b->config_id);
    /* ATTRIBUTES.FLAGS bit 1 is DEBUG (FORMATS.md 3). */
    json_object_set_new(claims, "debug", json_boolean((b->attributes[0] & 2u) != 0));
out:
    json_decref(hdr);
    json_decref(body);
    return err;
}

ay_err ay_tee_sgx_verify(struct ay_ctx *ctx, const struct ay_tee_input *in, json_t **out_claims)
{
    ay_err err;
    json_t *ev = NULL, *claims = NULL;
    struct ay_span raw;
    struct ay_dcap_quote q;
    struct ay_dcap_result r;
    memset(&r, 0, sizeof r);
    CHECK(ay_dcap_evidence_quote(ctx, in->evidence, &ev, &raw));
    CHECK(ay_dcap_quote_parse(&ctx->diag, raw, &q));
    /* TRUSTEE.md 7.4: must be a v3 quote. */
    if (q.version != 3 || q.tee_type != AY_DCAP_TEE_SGX) {
        err = FAIL(&ctx->diag, AY_ERR_UNSUPPORTED, "sgx: the quote is not an SGX v3 quote (v%u)",
                   q.version);
        goto out;
    }
    /* verifier_config.dcap_verifier: the collateral source (docs/CONFIG.md). */
    CHECK(ay_dcap_source_use(&ctx->diag, in->config));
    CHECK(ay_dcap_verify(ctx, &q, in->endorsements, in->n_endorsements, in->require_collateral,
                         &r));
    /* TRUSTEE.md 3.6: regularize to 64 vs REPORTDATA and vs CONFIGID. */
    if (in->report_data != NULL && !ay_dcap_regularized_eq(*in->report_data, q.sgx.report_data, 64)) {
        err = FAIL(&ctx->diag, AY_ERR_BINDING,
                   "sgx: REPORTDATA does not match the expected report data");
        goto out;
    }
    if (in->init_data != NULL && !ay_dcap_regularized_eq(*in->init_data, q.sgx.config_id, 64)) {
        err = FAIL(&ctx->diag, AY_ERR_BINDING, "sgx: CONFIGID does not match the expected init data");
        goto out;
    }
    claims = json_object();
    if (claims == NULL) {
        err = FAIL(&ctx->diag, AY_ERR_INTERNAL, "out of memory");
        goto out;
    }
    CHECK(quote_claims(ctx, &q, claims));
    CHECK(ay_dcap_result_claims(ctx, &r, claims));
    *out_claims = claims;
    claims = NULL;
out:
    json_decref(claims);
    json_decref(ev);
    ay_dcap_result_clear(&r);
    return err;
}
