/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_hcl_report_parse, ay_hcl_ak_pub, and the `az-snp-vtpm` / `az-tdx-vtpm`
 * verifiers (the input used as the v1 evidence's HCL report and, raw, as evidence JSON) with
 * the pinned roots, a fixed clock and a fixed nonce; no network, no files.
 * Properties: a parsed report's var_data lies inside the input right after the 0x4D4 header;
 * nothing without a genuine AMD-signed VCEK or Intel-signed TD quote verifies. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "codec/codec_b64.h"
#include "crypto/crypto_x509.h"
#include "tee/tee.h"
#include "tee/tee_azure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_verifier(const uint8_t *ev, size_t len)
{
    struct ay_arena *arena = NULL;
    ay_arena_new((size_t)8 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    ctx.now = 1748736000; /* 2025-06-01 */
    static const uint8_t nonce[] = "challenge";
    struct ay_span rd = ay_span_of(nonce, 9);
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(ev, len);
    in.report_data = &rd;
    json_t *claims = NULL;
    if (ay_tee_az_snp_vtpm_verify(&ctx, &in, &claims) == AY_OK) {
        abort(); /* no fuzz input carries an AMD-signed report */
    }
    json_decref(claims);
    claims = NULL;
    ay_diag_clear(&ctx.diag);
    if (ay_tee_az_tdx_vtpm_verify(&ctx, &in, &claims) == AY_OK) {
        abort(); /* nor an Intel-signed TD quote */
    }
    json_decref(claims);
    ay_arena_free(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_hcl_report r;
    if (ay_hcl_report_parse(&d, ay_span_of(data, size), &r) == AY_OK) {
        if (r.var_data.ptr != data + AY_HCL_VAR_DATA_OFF || r.var_data.len > size - 0x4D4u ||
            r.hw_report.len != AY_HCL_HW_REPORT_LEN) {
            abort();
        }
        struct ay_pkey *k = NULL;
        if (ay_hcl_ak_pub(&d, r.var_data, &k) == AY_OK) {
            ay_pkey_free(k);
        }
    }
    /* As the HCL report of a v1 evidence with an empty quote. */
    struct ay_buf b;
    ay_buf_init(&b, NULL, (size_t)1 << 20);
    ay_buf_puts(&b, "{\"version\":1,\"tpm_quote\":{\"signature\":\"00\",\"message\":\"00\","
                    "\"pcrs\":[]},\"vcek\":\"\",\"hcl_report\":\"");
    ay_b64_encode(AY_B64_URL_NOPAD, data, size, &b);
    ay_buf_puts(&b, "\"}");
    if (ay_buf_finish(&b) == AY_OK) {
        run_verifier((const uint8_t *)b.ptr, b.len);
    }
    ay_buf_free(&b);
    run_verifier(data, size);
    return 0;
}
