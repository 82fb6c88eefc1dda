/* SPDX-License-Identifier: Apache-2.0 */
/* Target: ay_dcap_pck_ext_parse (the PCK certificate SGX extension, DER; FORMATS.md 2.3).
 * Property: no crash; a failure records a message; success fills a bounded SGX type. */
#include <stdint.h>
#include <stdlib.h>

#include "tee/tee_dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ay_dcap_pck_ext e;
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_dcap_pck_ext_parse(&d, ay_span_of(data, size), &e) == AY_OK) {
        if (e.sgx_type < 0 || e.sgx_type > 2) {
            abort();
        }
    } else if (d.code == AY_OK) {
        abort();
    }
    return 0;
}
