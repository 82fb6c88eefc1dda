/* SPDX-License-Identifier: Apache-2.0 */
/* Target: ay_cca_rv_check and ay_cca_appraise on an untrusted rv-store JSON document, against
 * fixed claims shaped as the minted test token (one sw-component). Property: no crash, no
 * leak, no UB; a store that fails its check carries a message; vectors are consistent (a
 * platform mismatch leaves hardware 97 only). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tee/tee_cca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)data, size, 0, &jerr);
    if (doc == NULL) {
        return 0;
    }
    static const uint8_t impl[32] = {0x7f, 0x45, 0x4c, 0x46};
    static const uint8_t cfg[4] = {0xcf, 0xcf, 0xcf, 0xcf};
    static const uint8_t m32[32] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t zero32[32] = {0};
    struct ay_cca_platform *p = calloc(1, sizeof *p);
    if (p == NULL) {
        abort();
    }
    p->implementation_id = ay_span_of(impl, 32);
    p->config = ay_span_of(cfg, 4);
    p->n_sw = 1;
    p->sw[0].measurement = ay_span_of(m32, 32);
    p->sw[0].signer_id = ay_span_of(m32, 32);
    p->sw[0].type = ay_span_of("RSE_BL1_2", 9);
    p->sw[0].version = ay_span_of("1.0.0", 5);
    struct ay_cca_realm r;
    memset(&r, 0, sizeof r);
    r.initial_measurement = ay_span_of(m32, 32);
    for (size_t i = 0; i < 4; i++) {
        r.extensible_measurements[i] = ay_span_of(zero32, 32);
    }
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_cca_appraisal a;
    const json_t *docs[1] = {doc};
    ay_err e = ay_cca_appraise(&d, docs, 1, p, &r, &a);
    if (e != AY_OK && d.msg[0] == '\0') {
        abort();
    }
    if (e == AY_OK && !a.platform_matched &&
        (a.platform.set != (1u << AY_TV_HARDWARE) || a.realm.set != 0)) {
        abort();
    }
    if (e == AY_OK) {
        json_decref(ay_cca_appraisal_json(&a));
    }
    free(p);
    json_decref(doc);
    return 0;
}
