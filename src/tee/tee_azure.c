/* SPDX-License-Identifier: Apache-2.0 */
/* Azure SNP vTPM (FORMATS.md 4.1-4.3, TRUSTEE.md 7.5): the HCL report parser and the
 * `az-snp-vtpm` verifier over Trustee's evidence JSON v0 / v1 / v2. Unlike Cocos' Azure path
 * (FORMATS.md 0.6) every binding is checked: TPM signature, nonce, PCR digest, var_data hash in
 * REPORT_DATA, and the SNP report against the pinned AMD roots. */
#include "tee/tee_azure.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_digest.h"
#include "crypto/crypto_x509.h"
#include "tee/tee_dcap.h"
#include "tee/tee_snp.h"
#include "tee/tee_tpm.h"

#define MAX_CERTS 16

ay_err ay_hcl_report_parse(struct ay_diag *d, struct ay_span in, struct ay_hcl_report *out)
{
    struct ay_cur c;
    struct ay_hcl_report r;
    uint32_t sig = 0;
    memset(&r, 0, sizeof r);
    ay_cur_init(&c, in);
    /* FORMATS.md 4.1 header (little-endian). */
    if (ay_cur_left(&c) < AY_HCL_VAR_DATA_OFF) {
        return FAIL(d, AY_ERR_TRUNCATED, "hcl: report of %zu bytes is shorter than its header",
                    in.len);
    }
    TRY(ay_cur_u32le(&c, &sig));            /* 0x000 signature "HCLA" */
    TRY(ay_cur_u32le(&c, &r.version));      /* 0x004 version */
    TRY(ay_cur_u32le(&c, &r.report_size));  /* 0x008 report_size */
    TRY(ay_cur_u32le(&c, &r.request_type)); /* 0x00C request_type */
    TRY(ay_cur_u32le(&c, &r.status));       /* 0x010 status */
    TRY(ay_cur_skip(&c, 12));               /* 0x014 reserved */
    TRY(ay_cur_at(&c, 0x020));
    TRY(ay_cur_bytes(&c, AY_HCL_HW_REPORT_LEN, &r.hw_report)); /* 0x020 hardware report */
    TRY(ay_cur_at(&c, 0x4C0));
    TRY(ay_cur_u32le(&c, &r.data_size));    /* 0x4C0 IGVM request data: data_size */
    TRY(ay_cur_u32le(&c, &r.data_version)); /* 0x4C4 version */
    TRY(ay_cur_u32le(&c, &r.report_type));  /* 0x4C8 report_type */
    TRY(ay_cur_u32le(&c, &r.hash_type));    /* 0x4CC report_data_hash_type */
    uint32_t var_len = 0;
    TRY(ay_cur_u32le(&c, &var_len)); /* 0x4D0 variable_data_size */
    TRY(ay_cur_at(&c, AY_HCL_VAR_DATA_OFF));
    if (sig != AY_HCL_SIGNATURE) {
        return FAIL(d, AY_ERR_MALFORMED, "hcl: signature 0x%08x is not \"HCLA\"", (unsigned)sig);
    }
    if (r.version != 1 && r.version != 2) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "hcl: report version %u", (unsigned)r.version);
    }
    if (r.report_type != AY_HCL_TYPE_SNP && r.report_type != AY_HCL_TYPE_TDX) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "hcl: report type %u", (unsigned)r.report_type);
    }
    if (r.hash_type != AY_HCL_HASH_SHA256) {
        /* FORMATS.md 4.1: SHA-384/512 are defined but never seen; refuse rather than guess. */
        return FAIL(d, AY_ERR_UNSUPPORTED, "hcl: report data hash type %u", (unsigned)r.hash_type);
    }
    if (var_len > AY_HCL_MAX_VAR_DATA) {
        return FAIL(d, AY_ERR_LIMIT, "hcl: var_data of %u bytes", (unsigned)var_len);
    }
    /* data_size counts the 20-byte IGVM request header plus the variable data. */
    if (r.data_size != var_len + 20u) {
        return FAIL(d, AY_ERR_MALFORMED, "hcl: data_size %u != 20 + variable_data_size %u",
                    (unsigned)r.data_size, (unsigned)var_len);
    }
    if (ay_cur_bytes(&c, var_len, &r.var_data) != AY_OK) {
        return FAIL(d, AY_ERR_TRUNCATED, "hcl: var_data of %u bytes runs past the report",
                    (unsigned)var_len);
    }
    /* The rest is NV-index padding (FORMATS.md 4.1). */
    *out = r;
    return AY_OK;
}

static ay_err jwk_b64(struct ay_diag *d, const json_t *k, const char *name, uint8_t *dst,
                      size_t cap, size_t *n)
{
    const json_t *v = json_object_get(k, name);
    if (!json_is_string(v) || ay_b64_decode_to(AY_B64_URL_ANYPAD, json_string_value(v),
                                               json_string_length(v), dst, cap, n) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "hcl: HCLAkPub.%s is not base64url", name);
    }
    return AY_OK;
}

static ay_err ak_from_json(struct ay_diag *d, const json_t *root, struct ay_pkey **out)
{
    const json_t *keys = json_object_get(root, "keys");
    if (!json_is_array(keys)) {
        return FAIL(d, AY_ERR_MALFORMED, "hcl: var_data has no keys array");
    }
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const json_t *k = json_array_get(keys, i);
        const json_t *kid = json_object_get(k, "kid");
        if (!json_is_string(kid) || strcmp(json_string_value(kid), "HCLAkPub") != 0) {
            continue;
        }
        const json_t *kty = json_object_get(k, "kty");
        if (!json_is_string(kty) || strcmp(json_string_value(kty), "RSA") != 0) {
            return FAIL(d, AY_ERR_UNSUPPORTED, "hcl: HCLAkPub is not an RSA key");
        }
        uint8_t n[512];
        uint8_t e[8];
        size_t nl = 0;
        size_t el = 0;
        TRY(jwk_b64(d, k, "n", n, sizeof n, &nl));
        TRY(jwk_b64(d, k, "e", e, sizeof e, &el));
        return ay_pkey_from_rsa(d, ay_span_of(n, nl), ay_span_of(e, el), out);
    }
    return FAIL(d, AY_ERR_MALFORMED, "hcl: var_data has no HCLAkPub key");
}

ay_err ay_hcl_ak_pub(struct ay_diag *d, struct ay_span var_data, struct ay_pkey **out)
{
    json_error_t jerr;
    json_t *root =
        json_loadb((const char *)var_data.ptr, var_data.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return FAIL(d, AY_ERR_MALFORMED, "hcl: var_data is not a JSON object");
    }
    ay_err err = ak_from_json(d, root, out);
    json_decref(root);
    return err;
}

/* ---- evidence (TRUSTEE.md 7.5) ---- */

struct az_evidence {
    int version; /* 0, 1, 2 */
    struct ay_span signature;
    struct ay_span message;
    struct ay_span pcrs[AY_TPM_N_PCRS];
    size_t n_pcrs;
    struct ay_span hcl;
    struct ay_span vcek;     /* SNP: PEM (v0) or DER (v1/v2); empty if absent */
    struct ay_span td_quote; /* TDX: the TD quote; empty if absent */
};

/* A JSON array of numbers 0..255 (v0 / bincode-style), or its placeholder in js
 * (ay_snp_json_load decodes long byte arrays itself; jansson is slow at them). */
static ay_err byte_array(struct ay_ctx *ctx, const struct ay_snp_json *js, const json_t *a,
                         const char *what, struct ay_span *out)
{
    if (!ay_snp_json_bytes(ctx, js, a, out)) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "az-vtpm: %s is not a byte array", what);
    }
    return AY_OK;
}

/* A hex / base64url string, or its placeholder in js (ay_snp_json_load keeps long ones as
 * spans of the text; jansson is slow at them). */
static ay_err hex_field(struct ay_ctx *ctx, const struct ay_snp_json *js, const json_t *v,
                        const char *what, struct ay_span *out)
{
    struct ay_span t;
    if (!ay_snp_json_str(js, v, &t) ||
        ay_hex_decode((const char *)t.ptr, t.len, ctx->arena, out) != AY_OK) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "az-vtpm: %s is not hex", what);
    }
    return AY_OK;
}

static ay_err b64url_field(struct ay_ctx *ctx, const struct ay_snp_json *js, const json_t *v,
                           const char *what, struct ay_span *out)
{
    struct ay_span t;
    if (!ay_snp_json_str(js, v, &t) ||
        ay_b64_decode(AY_B64_URL_ANYPAD, (const char *)t.ptr, t.len, ctx->arena, out) != AY_OK) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "az-vtpm: %s is not base64url", what);
    }
    return AY_OK;
}

/* A v0 field (byte array) or v1/v2 field (base64url string) that may be absent. */
static ay_err opt_blob(struct ay_ctx *ctx, const struct ay_snp_json *js, const char *key, bool v0,
                       struct ay_span *out)
{
    const json_t *root = js->root;
    const json_t *v = json_object_get(root, key);
    if (v == NULL || json_is_null(v)) {
        return AY_OK;
    }
    return v0 ? byte_array(ctx, js, v, key, out) : b64url_field(ctx, js, v, key, out);
}

/* TRUSTEE.md 7.5 / 7.6: v0 {"quote"|"tpm_quote": {byte arrays}, "report"|"hcl_report": [...],
 * "vcek": PEM | "td_quote": [...]}; v1/v2 {"version", "tpm_quote": {hex}, "hcl_report": b64url,
 * "vcek" | "td_quote": b64url}. */
static ay_err parse_evidence(struct ay_ctx *ctx, const struct ay_snp_json *js,
                             struct az_evidence *ev)
{
    const json_t *root = js->root;
    struct ay_diag *d = &ctx->diag;
    memset(ev, 0, sizeof *ev);
    if (!json_is_object(root)) {
        return FAIL(d, AY_ERR_MALFORMED, "az-vtpm: evidence is not a JSON object");
    }
    const json_t *ver = json_object_get(root, "version");
    const json_t *q = json_object_get(root, "tpm_quote");
    bool v0 = ver == NULL;
    if (v0) {
        if (q == NULL) {
            q = json_object_get(root, "quote");
        }
        if (!json_is_object(q)) {
            return FAIL(d, AY_ERR_MALFORMED, "az-vtpm: evidence has neither version nor quote");
        }
        TRY(byte_array(ctx, js, json_object_get(q, "signature"), "quote.signature",
                       &ev->signature));
        TRY(byte_array(ctx, js, json_object_get(q, "message"), "quote.message", &ev->message));
        const json_t *rep = json_object_get(root, "report");
        TRY(byte_array(ctx, js, rep != NULL ? rep : json_object_get(root, "hcl_report"), "report",
                       &ev->hcl));
        const json_t *vc = json_object_get(root, "vcek");
        if (vc != NULL && !json_is_null(vc)) {
            if (!ay_snp_json_str(js, vc, &ev->vcek)) {
                return FAIL(d, AY_ERR_MALFORMED, "az-vtpm: vcek is not a PEM string");
            }
        }
    } else {
        if (!json_is_integer(ver) ||
            (json_integer_value(ver) != 1 && json_integer_value(ver) != 2)) {
            return FAIL(d, AY_ERR_UNSUPPORTED, "az-vtpm: evidence version is not 1 or 2");
        }
        ev->version = (int)json_integer_value(ver);
        if (!json_is_object(q)) {
            return FAIL(d, AY_ERR_MALFORMED, "az-vtpm: tpm_quote is not an object");
        }
        TRY(hex_field(ctx, js, json_object_get(q, "signature"), "tpm_quote.signature",
                      &ev->signature));
        TRY(hex_field(ctx, js, json_object_get(q, "message"), "tpm_quote.message", &ev->message));
        TRY(b64url_field(ctx, js, json_object_get(root, "hcl_report"), "hcl_report", &ev->hcl));
        TRY(opt_blob(ctx, js, "vcek", false, &ev->vcek));
    }
    TRY(opt_blob(ctx, js, "td_quote", v0, &ev->td_quote));
    const json_t *pcrs = json_object_get(q, "pcrs");
    if (!json_is_array(pcrs) || json_array_size(pcrs) > AY_TPM_N_PCRS) {
        return FAIL(d, AY_ERR_MALFORMED, "az-vtpm: pcrs is not an array of at most %d",
                    AY_TPM_N_PCRS);
    }
    ev->n_pcrs = json_array_size(pcrs);
    for (size_t i = 0; i < ev->n_pcrs; i++) {
        const json_t *v = json_array_get(pcrs, i);
        if (v0) {
            TRY(byte_array(ctx, js, v, "quote.pcrs[]", &ev->pcrs[i]));
        } else {
            TRY(hex_field(ctx, js, v, "tpm_quote.pcrs[]", &ev->pcrs[i]));
        }
    }
    return AY_OK;
}

/* TRUSTEE.md 7.5 claims: the snp claims as strings, measurement in base64, no chip_id. */
static ay_err azure_claims(struct ay_ctx *ctx, const struct ay_snp_verified *v,
                           const struct ay_tpm_pcrs *pcrs, const struct ay_tpm_quote *q,
                           json_t *out)
{
    struct ay_diag *d = &ctx->diag;
    json_t *snp = json_object();
    json_t *tpm = json_object();
    ay_err err = AY_OK;
    const char *key = NULL;
    json_t *val = NULL;
    char *hex = NULL;
    struct ay_buf b;
    ay_buf_init(&b, ctx->arena, 4096);
    if (snp == NULL || tpm == NULL) {
        err = FAIL(d, AY_ERR_INTERNAL, "az-snp-vtpm: out of memory");
        goto out;
    }
    CHECK(ay_snp_claims_add(d, v, snp));
    json_object_foreach(snp, key, val)
    {
        json_t *s = NULL;
        if (strcmp(key, "chip_id") == 0 || strcmp(key, "report_data") == 0 ||
            strcmp(key, "init_data") == 0) {
            continue;
        }
        if (strcmp(key, "measurement") == 0) {
            ay_buf_reset(&b);
            ay_b64_encode(AY_B64_STD, v->report.measurement, sizeof v->report.measurement, &b);
            CHECK(ay_buf_finish(&b));
            s = json_string(b.ptr);
        } else if (json_is_integer(val)) {
            char num[32];
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(val));
            s = json_string(num);
        } else if (json_is_boolean(val)) {
            s = json_string(json_is_true(val) ? "true" : "false");
        } else {
            s = json_incref(val);
        }
        if (s == NULL || json_object_set_new(out, key, s) != 0) {
            err = FAIL(d, AY_ERR_INTERNAL, "az-snp-vtpm: out of memory");
            goto out;
        }
    }
    CHECK(ay_tpm_pcr_claims_add(d, pcrs, tpm));
    if (json_object_set(out, "tpm", tpm) != 0) {
        err = FAIL(d, AY_ERR_INTERNAL, "az-snp-vtpm: out of memory");
        goto out;
    }
    CHECK(ay_hex_encode_arena(q->extra_data, q->extra_data_len, ctx->arena, &hex));
    if (json_object_set_new(out, "report_data", json_string(hex)) != 0) {
        err = FAIL(d, AY_ERR_INTERNAL, "az-snp-vtpm: out of memory");
        goto out;
    }
    /* TRUSTEE.md 3.6: init_data = hex(PCR8) when more than 8 PCRs, else base64(host_data). */
    if (pcrs->present[8]) {
        CHECK(ay_hex_encode_arena(pcrs->value[8], pcrs->len, ctx->arena, &hex));
        val = json_string(hex);
    } else {
        ay_buf_reset(&b);
        ay_b64_encode(AY_B64_STD, v->report.host_data, sizeof v->report.host_data, &b);
        CHECK(ay_buf_finish(&b));
        val = json_string(b.ptr);
    }
    if (json_object_set_new(out, "init_data", val) != 0) {
        err = FAIL(d, AY_ERR_INTERNAL, "az-snp-vtpm: out of memory");
        goto out;
    }
out:
    json_decref(snp);
    json_decref(tpm);
    return err;
}

/* Everything the run owns; freed by the caller. */
struct az_run {
    struct ay_snp_json js;
    json_t *var_json;
    json_t *claims;
    struct ay_pkey *ak;
    struct ay_x509 *certs[MAX_CERTS];
    size_t n_certs;
    /* the vTPM part, checked by az_common */
    struct az_evidence *ev;
    struct ay_hcl_report hcl;
    struct ay_tpm_quote *q;
    struct ay_tpm_pcrs *pcrs;
};

static void az_run_free(struct az_run *r)
{
    json_decref(r->claims);
    json_decref(r->var_json);
    ay_snp_json_free(&r->js);
    ay_pkey_free(r->ak);
    for (size_t i = 0; i < r->n_certs; i++) {
        ay_x509_free(r->certs[i]);
    }
}

static ay_err add_cert_bytes(struct ay_diag *d, struct az_run *r, struct ay_span bytes,
                             bool required)
{
    struct ay_x509 **arr = NULL;
    size_t n = 0;
    struct ay_diag scratch;
    ay_diag_clear(&scratch);
    ay_err e =
        ay_snp_certs_parse(required ? d : &scratch, bytes, true, AY_LIMIT_CERT_CHAIN, &arr, &n);
    if (e != AY_OK) {
        if (required) {
            ay_diag_prefix(d, "az-snp-vtpm: vcek");
            return e;
        }
        return AY_OK; /* an endorsement that is not a certificate: another verifier's */
    }
    for (size_t i = 0; i < n; i++) {
        if (r->n_certs < MAX_CERTS) {
            r->certs[r->n_certs++] = arr[i];
        } else {
            ay_x509_free(arr[i]);
            e = FAIL(d, AY_ERR_LIMIT, "az-snp-vtpm: more than %d certificates", MAX_CERTS);
        }
    }
    ay_x509_free_all(arr, 0);
    return e;
}

/* FORMATS.md 4.3 steps 1-3 and 6 (TRUSTEE.md 7.5 checks 1, 2, 3, 5), common to SNP and TDX:
 * HCL report of the expected type, TPM quote signature by HCLAkPub, nonce, PCR digest, and the
 * v2 user-data prefix. `who` prefixes messages. */
/* The evidence JSON and its HCL report (of report_type), parsed: the first steps of the
 * verifiers and of ay_az_snp_vtpm_read. */
static ay_err az_load(struct ay_ctx *ctx, struct ay_span evidence, const char *who,
                      uint32_t report_type, struct az_run *r)
{
    struct ay_diag *d = &ctx->diag;
    json_error_t jerr;
    TRY(ay_snp_json_load(ctx, evidence, JSON_REJECT_DUPLICATES, &r->js, &jerr));
    if (r->js.root == NULL) {
        return FAIL(d, AY_ERR_MALFORMED, "%s: evidence is not JSON: %s", who, jerr.text);
    }
    TRY(ay_arena_alloc(ctx->arena, sizeof *r->ev, (void **)&r->ev));
    TRY(ay_arena_alloc(ctx->arena, sizeof *r->q, (void **)&r->q));
    TRY(ay_arena_alloc(ctx->arena, sizeof *r->pcrs, (void **)&r->pcrs));
    TRY(parse_evidence(ctx, &r->js, r->ev));
    TRY(ay_hcl_report_parse(d, r->ev->hcl, &r->hcl));
    if (r->hcl.report_type != report_type) {
        return FAIL(d, AY_ERR_VERIFY, "%s: HCL report type %u is not %s", who,
                    (unsigned)r->hcl.report_type, report_type == AY_HCL_TYPE_SNP ? "SNP" : "TDX");
    }
    return AY_OK;
}

/* The quoted PCRs (r->pcrs), checked against the quote's PCR digest: SHA-256 over the supplied
 * PCRs in selection order. */
static ay_err az_quoted_pcrs(struct ay_diag *d, struct az_run *r)
{
    TRY(ay_tpm_pcrs_from_selection(d, r->q, r->ev->pcrs, r->ev->n_pcrs, r->pcrs));
    return ay_tpm_pcr_digest_check(d, r->q, r->pcrs, AY_HASH_SHA256);
}

static ay_err az_common(struct ay_ctx *ctx, const struct ay_tee_input *in, const char *who,
                        uint32_t report_type, struct az_run *r)
{
    struct ay_diag *d = &ctx->diag;
    json_error_t jerr;

    if (in->report_data == NULL) {
        /* TRUSTEE.md 3.6: "unexpected empty report data". */
        return FAIL(d, AY_ERR_BINDING, "%s: expected report data is required", who);
    }
    TRY(az_load(ctx, in->evidence, who, report_type, r));
    r->var_json = json_loadb((const char *)r->hcl.var_data.ptr, r->hcl.var_data.len,
                             JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(r->var_json)) {
        return FAIL(d, AY_ERR_MALFORMED, "%s: HCL var_data is not a JSON object", who);
    }
    TRY(ak_from_json(d, r->var_json, &r->ak));

    /* 1. TPM signature: RSASSA-PKCS1-v1_5 / SHA-256 by HCLAkPub over TPMS_ATTEST. */
    TRY(ay_tpm_quote_parse(d, r->ev->message, r->q));
    ay_err e = ay_pkey_verify(d, r->ak, AY_HASH_SHA256, r->ev->message, r->ev->signature);
    if (e != AY_OK) {
        ay_diag_prefix(d, "%s: TPM quote signature by HCLAkPub", who);
        return e;
    }
    /* 2. nonce: exact equality (no padding). */
    const struct ay_tpm_quote *q = r->q;
    if (q->extra_data_len != in->report_data->len ||
        (q->extra_data_len > 0 &&
         memcmp(q->extra_data, in->report_data->ptr, q->extra_data_len) != 0)) {
        char got[129];
        ay_hex_encode(q->extra_data, q->extra_data_len, got);
        return FAIL(d, AY_ERR_BINDING,
                    "%s: TPM nonce %s does not equal the expected report data (%zu bytes)", who,
                    got, in->report_data->len);
    }
    /* 3. PCR digest. */
    TRY(az_quoted_pcrs(d, r));
    /* v2: var_data user-data (hex) starts with the expected report data. */
    if (r->ev->version == 2) {
        const json_t *ud = json_object_get(r->var_json, "user-data");
        struct ay_span udb;
        if (!json_is_string(ud) || ay_hex_decode(json_string_value(ud), json_string_length(ud),
                                                 ctx->arena, &udb) != AY_OK) {
            return FAIL(d, AY_ERR_BINDING, "%s: var_data user-data is missing or not hex", who);
        }
        if (udb.len < in->report_data->len ||
            memcmp(udb.ptr, in->report_data->ptr, in->report_data->len) != 0) {
            return FAIL(d, AY_ERR_BINDING,
                        "%s: var_data user-data does not start with the report data", who);
        }
    }
    return AY_OK;
}

/* The init-data PCR8 rule (TRUSTEE.md 3.6), when init data is expected. */
static ay_err az_init_data(struct ay_diag *d, const struct ay_tee_input *in, const char *who,
                           const struct ay_tpm_pcrs *pcrs)
{
    if (in->init_data == NULL) {
        return AY_OK;
    }
    if (!pcrs->present[8]) {
        return FAIL(d, AY_ERR_BINDING, "%s: init data given but PCR8 not quoted", who);
    }
    return ay_tpm_init_data_check(d, *in->init_data, ay_span_of(pcrs->value[8], pcrs->len));
}

/* FORMATS.md 4.1 binding: SHA-256(var_data) == report_data[0:32]. */
static ay_err var_data_binding(struct ay_diag *d, const char *who, struct ay_span var_data,
                               const uint8_t report_data[64], const char *field)
{
    uint8_t vh[32];
    TRY(ay_hash(AY_HASH_SHA256, var_data.ptr, var_data.len, vh));
    if (memcmp(vh, report_data, 32) != 0) {
        char a[65];
        char b[65];
        ay_hex_encode(vh, 32, a);
        ay_hex_encode(report_data, 32, b);
        return FAIL(d, AY_ERR_BINDING, "%s: SHA-256(var_data) %s != %s[0:32] %s", who, a, field, b);
    }
    return AY_OK;
}

static ay_err az_run(struct ay_ctx *ctx, const struct ay_tee_input *in,
                     const struct ay_snp_trust *trust, struct az_run *r)
{
    struct ay_diag *d = &ctx->diag;
    struct ay_snp_verified *v = NULL;
    static const char who[] = "az-snp-vtpm";

    TRY(az_common(ctx, in, who, AY_HCL_TYPE_SNP, r));
    TRY(ay_arena_alloc(ctx->arena, sizeof *v, (void **)&v));
    /* 4. SHA-256(var_data) == SNP REPORT_DATA[0:32]. */
    struct ay_snp_report rep;
    TRY(ay_snp_report_parse(d, r->hcl.hw_report, &rep));
    TRY(var_data_binding(d, who, r->hcl.var_data, rep.report_data, "SNP REPORT_DATA"));
    /* 6-7. The SNP report: VCEK chain to the pinned ARK, TCB / hwID, signature. */
    if (r->ev->vcek.len == 0) {
        return FAIL(d, AY_ERR_MALFORMED, "%s: evidence has no vcek", who);
    }
    TRY(add_cert_bytes(d, r, r->ev->vcek, true));
    for (size_t i = 0; i < in->n_endorsements; i++) {
        TRY(add_cert_bytes(d, r, in->endorsements[i].bytes, false));
    }
    struct ay_snp_verify_in vi;
    memset(&vi, 0, sizeof vi);
    vi.report = r->hcl.hw_report;
    vi.trust = trust;
    vi.certs = r->certs;
    vi.n_certs = r->n_certs;
    ay_err e = ay_snp_verify(ctx, &vi, v);
    if (e != AY_OK) {
        ay_diag_prefix(d, "%s", who);
        return e;
    }
    /* Trustee requires VMPL 0 for the HCL's report (the paravisor runs at VMPL 0). */
    if (v->report.vmpl != 0) {
        return FAIL(d, AY_ERR_VERIFY, "%s: SNP report VMPL %u != 0", who, (unsigned)v->report.vmpl);
    }
    /* 8. init data: PCR8 == SHA-256(zeros32 || init data). */
    TRY(az_init_data(d, in, who, r->pcrs));
    r->claims = json_object();
    if (r->claims == NULL) {
        return FAIL(d, AY_ERR_INTERNAL, "%s: out of memory", who);
    }
    return azure_claims(ctx, v, r->pcrs, r->q, r->claims);
}

ay_err ay_tee_az_snp_vtpm_verify_with(struct ay_ctx *ctx, const struct ay_tee_input *in,
                                      const struct ay_snp_trust *trust, json_t **out_claims)
{
    if (in->evidence.len > AY_LIMIT_EVIDENCE) {
        return FAIL(&ctx->diag, AY_ERR_LIMIT, "az-snp-vtpm: evidence of %zu bytes",
                    in->evidence.len);
    }
    struct az_run r;
    memset(&r, 0, sizeof r);
    ay_err err = az_run(ctx, in, trust, &r);
    if (err == AY_OK) {
        *out_claims = r.claims;
        r.claims = NULL;
    }
    az_run_free(&r);
    return err;
}

ay_err ay_az_snp_vtpm_read(struct ay_ctx *ctx, struct ay_span evidence, struct ay_snp_report *report,
                           struct ay_tpm_pcrs *pcrs)
{
    static const char who[] = "az-snp-vtpm";
    if (evidence.len > AY_LIMIT_EVIDENCE) {
        return FAIL(&ctx->diag, AY_ERR_LIMIT, "%s: evidence of %zu bytes", who, evidence.len);
    }
    struct az_run r;
    memset(&r, 0, sizeof r);
    ay_err err = az_load(ctx, evidence, who, AY_HCL_TYPE_SNP, &r);
    if (err == AY_OK) {
        err = ay_snp_report_parse(&ctx->diag, r.hcl.hw_report, report);
    }
    /* The digest check ties the values to the quote the verifier accepted. */
    if (err == AY_OK) {
        err = ay_tpm_quote_parse(&ctx->diag, r.ev->message, r.q);
    }
    if (err == AY_OK) {
        err = az_quoted_pcrs(&ctx->diag, &r);
    }
    if (err == AY_OK) {
        *pcrs = *r.pcrs;
    }
    az_run_free(&r);
    return err;
}

ay_err ay_tee_az_snp_vtpm_verify(struct ay_ctx *ctx, const struct ay_tee_input *in,
                                 json_t **out_claims)
{
    const struct ay_snp_trust *trust = NULL;
    TRY(ay_snp_trust_pinned(&ctx->diag, &trust));
    return ay_tee_az_snp_vtpm_verify_with(ctx, in, trust, out_claims);
}

/* ---- az-tdx-vtpm (TRUSTEE.md 7.6) ---- */

static ay_err set_hex_into(struct ay_ctx *ctx, json_t *o, const char *k, const uint8_t *p, size_t n)
{
    return ay_dcap_set_hex(ctx, o, k, p, n);
}

/* The TD quote claims Trustee's az-tdx-vtpm reports (TRUSTEE.md 7.3 names, no event log). */
static ay_err td_claims(struct ay_ctx *ctx, const struct ay_dcap_quote *q, json_t *claims)
{
    json_t *quote = json_object();
    json_t *hdr = json_object();
    json_t *body = json_object();
    ay_err err = AY_OK;
    const struct ay_dcap_td_report *b = &q->td;
    uint8_t v16[2] = {(uint8_t)q->version, (uint8_t)(q->version >> 8)};
    uint8_t k16[2] = {(uint8_t)q->att_key_type, (uint8_t)(q->att_key_type >> 8)};
    uint8_t t32[4] = {(uint8_t)q->tee_type, (uint8_t)(q->tee_type >> 8),
                      (uint8_t)(q->tee_type >> 16), (uint8_t)(q->tee_type >> 24)};
    if (quote == NULL || hdr == NULL || body == NULL) {
        err = FAIL(&ctx->diag, AY_ERR_INTERNAL, "az-tdx-vtpm: out of memory");
        goto out;
    }
    CHECK(set_hex_into(ctx, hdr, "version", v16, 2));
    CHECK(set_hex_into(ctx, hdr, "att_key_type", k16, 2));
    CHECK(set_hex_into(ctx, hdr, "tee_type", t32, 4));
    CHECK(set_hex_into(ctx, hdr, "reserved", q->reserved, sizeof q->reserved));
    CHECK(set_hex_into(ctx, hdr, "vendor_id", q->qe_vendor_id, sizeof q->qe_vendor_id));
    CHECK(set_hex_into(ctx, hdr, "user_data", q->user_data, sizeof q->user_data));
    CHECK(set_hex_into(ctx, body, "tcb_svn", b->tee_tcb_svn, sizeof b->tee_tcb_svn));
    CHECK(set_hex_into(ctx, body, "mr_seam", b->mr_seam, sizeof b->mr_seam));
    CHECK(set_hex_into(ctx, body, "mrsigner_seam", b->mrsigner_seam, sizeof b->mrsigner_seam));
    CHECK(
        set_hex_into(ctx, body, "seam_attributes", b->seam_attributes, sizeof b->seam_attributes));
    CHECK(set_hex_into(ctx, body, "td_attributes", b->td_attributes, sizeof b->td_attributes));
    CHECK(set_hex_into(ctx, body, "xfam", b->xfam, sizeof b->xfam));
    CHECK(set_hex_into(ctx, body, "mr_td", b->mr_td, sizeof b->mr_td));
    CHECK(set_hex_into(ctx, body, "mr_config_id", b->mr_config_id, sizeof b->mr_config_id));
    CHECK(set_hex_into(ctx, body, "mr_owner", b->mr_owner, sizeof b->mr_owner));
    CHECK(
        set_hex_into(ctx, body, "mr_owner_config", b->mr_owner_config, sizeof b->mr_owner_config));
    CHECK(set_hex_into(ctx, body, "rtmr_0", b->rtmr[0], 48));
    CHECK(set_hex_into(ctx, body, "rtmr_1", b->rtmr[1], 48));
    CHECK(set_hex_into(ctx, body, "rtmr_2", b->rtmr[2], 48));
    CHECK(set_hex_into(ctx, body, "rtmr_3", b->rtmr[3], 48));
    CHECK(set_hex_into(ctx, body, "report_data", b->report_data, sizeof b->report_data));
    if (json_object_set(quote, "header", hdr) != 0 || json_object_set(quote, "body", body) != 0 ||
        json_object_set(claims, "quote", quote) != 0) {
        err = FAIL(&ctx->diag, AY_ERR_INTERNAL, "az-tdx-vtpm: out of memory");
    }
out:
    json_decref(quote);
    json_decref(hdr);
    json_decref(body);
    return err;
}

static ay_err az_tdx_run(struct ay_ctx *ctx, const struct ay_tee_input *in, struct az_run *r,
                         struct ay_dcap_result *res)
{
    struct ay_diag *d = &ctx->diag;
    struct ay_dcap_quote *q = NULL;
    static const char who[] = "az-tdx-vtpm";

    TRY(az_common(ctx, in, who, AY_HCL_TYPE_TDX, r));
    if (r->ev->td_quote.len == 0) {
        return FAIL(d, AY_ERR_MALFORMED, "%s: evidence has no td_quote", who);
    }
    TRY(ay_arena_alloc(ctx->arena, sizeof *q, (void **)&q));
    TRY(ay_dcap_quote_parse(d, r->ev->td_quote, q));
    if (q->tee_type != AY_DCAP_TEE_TDX) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "%s: td_quote is not a TDX quote", who);
    }
    /* The TDREPORT inside the HCL is only MAC'ed: trust comes from the TD quote (FORMATS.md
     * 4.1), verified by DCAP with the given endorsements. */
    ay_err e =
        ay_dcap_verify(ctx, q, in->endorsements, in->n_endorsements, in->require_collateral, res);
    if (e != AY_OK) {
        ay_diag_prefix(d, "%s", who);
        return e;
    }
    TRY(var_data_binding(d, who, r->hcl.var_data, q->td.report_data, "TD quote REPORT_DATA"));
    TRY(az_init_data(d, in, who, r->pcrs));
    r->claims = json_object();
    json_t *tpm = json_object();
    if (r->claims == NULL || tpm == NULL) {
        json_decref(tpm);
        return FAIL(d, AY_ERR_INTERNAL, "%s: out of memory", who);
    }
    e = ay_tpm_pcr_claims_add(d, r->pcrs, tpm);
    if (e == AY_OK && json_object_set(r->claims, "tpm", tpm) != 0) {
        e = FAIL(d, AY_ERR_INTERNAL, "%s: out of memory", who);
    }
    json_decref(tpm);
    TRY(e);
    TRY(td_claims(ctx, q, r->claims));
    TRY(ay_dcap_result_claims(ctx, res, r->claims));
    TRY(ay_dcap_set_hex(ctx, r->claims, "report_data", r->q->extra_data, r->q->extra_data_len));
    if (r->pcrs->present[8]) {
        TRY(ay_dcap_set_hex(ctx, r->claims, "init_data", r->pcrs->value[8], r->pcrs->len));
    }
    return AY_OK;
}

ay_err ay_tee_az_tdx_vtpm_verify(struct ay_ctx *ctx, const struct ay_tee_input *in,
                                 json_t **out_claims)
{
    if (in->evidence.len > AY_LIMIT_EVIDENCE) {
        return FAIL(&ctx->diag, AY_ERR_LIMIT, "az-tdx-vtpm: evidence of %zu bytes",
                    in->evidence.len);
    }
    struct az_run r;
    struct ay_dcap_result res;
    memset(&r, 0, sizeof r);
    memset(&res, 0, sizeof res);
    ay_err err = az_tdx_run(ctx, in, &r, &res);
    if (err == AY_OK) {
        *out_claims = r.claims;
        r.claims = NULL;
    }
    ay_dcap_result_clear(&res);
    az_run_free(&r);
    return err;
}
