/* SPDX-License-Identifier: Apache-2.0 */
/* Target function: ay_snp_cert_table_parse (SNP_GET_EXT_REPORT certificate table).
 * Property: every entry's data lies inside the input and after the entry headers, and the
 * count never exceeds the limit. */
#include <stdint.h>
#include <stdlib.h>

#include "base/base_limits.h"
#include "tee/tee_snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_snp_cert_entry ents[AY_LIMIT_SNP_CERT_TABLE];
    size_t n = 0;
    if (ay_snp_cert_table_parse(&d, ay_span_of(data, size), ents, AY_LIMIT_SNP_CERT_TABLE, &n) !=
        AY_OK) {
        return 0;
    }
    if (n > AY_LIMIT_SNP_CERT_TABLE) {
        abort();
    }
    uintptr_t lo = (uintptr_t)data + (n + 1) * 24;
    uintptr_t hi = (uintptr_t)data + size;
    for (size_t i = 0; i < n; i++) {
        uintptr_t p = (uintptr_t)ents[i].data.ptr;
        if (ents[i].data.len > 0 && (p < lo || p > hi || ents[i].data.len > hi - p)) {
            abort();
        }
    }
    return 0;
}
