/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_snp_report_parse, ay_snp_tcb_decode, ay_snp_kds_vcek_url, and the whole
 * `snp` verifier (ay_tee_snp_verify: raw report, report || certificate table, Trustee JSON)
 * with the pinned AMD roots and a fixed clock; no network, no files (no config).
 * Properties: a parsed report is exactly 1184 bytes and satisfies the wire rules; nothing that
 * lacks a genuine AMD-signed key verifies. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "tee/tee.h"
#include "tee/tee_snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_snp_report r;
    if (ay_snp_report_parse(&d, ay_span_of(data, size), &r) == AY_OK) {
        if (size != AY_SNP_REPORT_LEN || r.version < 2 || r.version > 5 || r.sig_algo != 1 ||
            (r.policy & AY_SNP_POLICY_RSVD1) == 0 || (r.policy & AY_SNP_POLICY_MBZ_MASK) != 0) {
            abort();
        }
        for (int p = AY_SNP_PRODUCT_UNKNOWN; p <= AY_SNP_PRODUCT_TURIN; p++) {
            struct ay_snp_tcb t;
            ay_snp_tcb_decode(r.reported_tcb, (enum ay_snp_product)p, &t);
            char url[600];
            ay_diag_clear(&d);
            if (ay_snp_kds_vcek_url(&d, NULL, &r, (enum ay_snp_product)p, url, sizeof url) ==
                    AY_OK &&
                strstr(url, "/vcek/v1/") == NULL) {
                abort();
            }
        }
    }

    struct ay_arena *arena;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    ctx.now = 1748736000; /* 2025-06-01T00:00:00Z */
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(data, size);
    json_t *claims = NULL;
    if (ay_tee_snp_verify(&ctx, &in, &claims) == AY_OK) {
        abort(); /* no fuzzer input carries an AMD-signed VCEK for its own report */
    }
    ay_arena_free(arena);
    return 0;
}
