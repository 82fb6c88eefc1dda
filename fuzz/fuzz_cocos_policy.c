/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_cocos_policy_parse, ay_cocos_policy_check_snp against a fixed report,
 * ay_cocos_policy_check_pcrs against fixed PCRs, ay_cocos_tdx_policy_parse and _check against a
 * fixed TD quote.
 * Properties: no crash; parsed byte fields never exceed 64 bytes; a denial names its field. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_err.h"
#include "tee/tee_cocos.h"
#include "tee/tee_dcap.h"

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
    static struct ay_cocos_policy p;
    static struct ay_cocos_tdx_policy tp;
    static struct ay_dcap_quote q;
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_cocos_tdx_policy_parse(&d, ay_span_of(data, size), &tp) == AY_OK) {
        if (tp.n_rtmrs != 0 && tp.n_rtmrs != 4) {
            abort();
        }
        q.tee_type = AY_DCAP_TEE_TDX;
        ay_diag_clear(&d);
        ay_err te = ay_cocos_tdx_policy_check(&d, &tp, &q);
        if (te != AY_OK && te != AY_ERR_POLICY_DENIED) {
            abort();
        }
    }
    ay_diag_clear(&d);
    if (ay_cocos_policy_parse(&d, ay_span_of(data, size), &p) != AY_OK) {
        return 0;
    }
    if (p.measurement.len > 48 || p.chip_id.len > 64 || p.n_author_keys > 16 || p.n_id_keys > 16) {
        abort();
    }
    struct ay_snp_report r;
    memset(&r, 0, sizeof r);
    r.version = 3;
    r.policy = 0x30000;
    r.current_major = 1;
    r.current_minor = 55;
    r.current_build = 8;
    r.committed_major = 1;
    r.committed_minor = 55;
    r.committed_build = 8;
    r.reported_tcb = r.current_tcb = r.committed_tcb = r.launch_tcb = 0xd50e000000000003ull;
    memset(r.report_id_ma, 0xff, sizeof r.report_id_ma);
    ay_diag_clear(&d);
    ay_err e = ay_cocos_policy_check_snp(&d, &p, &r, AY_SNP_PRODUCT_MILAN, NULL);
    if (e != AY_OK && (e != AY_ERR_POLICY_DENIED || strstr(d.msg, "cocos policy: ") == NULL)) {
        abort();
    }
    struct ay_tpm_pcrs pcrs;
    memset(&pcrs, 0, sizeof pcrs);
    pcrs.hash = AY_TPM_ALG_SHA256;
    pcrs.len = 32;
    for (size_t i = 0; i < AY_TPM_N_PCRS; i++) {
        pcrs.present[i] = true;
    }
    ay_diag_clear(&d);
    ignore(ay_cocos_policy_check_pcrs(&d, &p, &pcrs));
    return 0;
}
