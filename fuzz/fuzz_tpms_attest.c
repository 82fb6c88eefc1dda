/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_tpm_quote_parse, ay_tpm_sig_parse, ay_tpm_public_parse (libtss2-mu
 * underneath), ay_tpm_pcr_digest_check, and the `tpm` verifier on the input as evidence JSON.
 * Properties: a parsed quote is exactly the input, selects only PCRs 0..23, extraData <= 64. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "crypto/crypto_x509.h"
#include "tee/tee.h"
#include "tee/tee_tpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Results the property checks do not need. */
static void ignore(ay_err e)
{
    (void)e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_tpm_quote q;
    if (ay_tpm_quote_parse(&d, ay_span_of(data, size), &q) == AY_OK) {
        if (q.raw.len != size || q.extra_data_len > 64 || q.n_select > AY_TPM_MAX_BANKS) {
            abort();
        }
        for (size_t i = 0; i < q.n_select; i++) {
            if ((q.select[i].bitmap >> AY_TPM_N_PCRS) != 0) {
                abort();
            }
        }
        struct ay_tpm_pcrs pcrs;
        memset(&pcrs, 0, sizeof pcrs);
        pcrs.hash = q.n_select > 0 ? q.select[0].hash : AY_TPM_ALG_SHA256;
        pcrs.len = 32;
        for (size_t i = 0; i < AY_TPM_N_PCRS; i++) {
            pcrs.present[i] = true;
        }
        ignore(ay_tpm_pcr_digest_check(&d, &q, &pcrs, AY_HASH_SHA256));
    }
    struct ay_tpm_sig s;
    ignore(ay_tpm_sig_parse(&d, ay_span_of(data, size), &s));
    struct ay_pkey *k = NULL;
    if (ay_tpm_public_parse(&d, ay_span_of(data, size), &k) == AY_OK) {
        ay_pkey_free(k);
    }
    struct ay_arena *arena = NULL;
    ay_arena_new((size_t)8 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(data, size);
    json_t *claims = NULL;
    if (ay_tee_tpm_verify(&ctx, &in, &claims) == AY_OK) {
        json_decref(claims);
    }
    ay_arena_free(arena);
    return 0;
}
