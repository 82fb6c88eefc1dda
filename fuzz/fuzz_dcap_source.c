/* SPDX-License-Identifier: Apache-2.0 */
/* Target: the DCAP collateral source configuration: ay_dcap_source_qcnl_parse (the
 * sgx_default_qcnl.conf text) and ay_dcap_source_config_parse of the same bytes as a
 * verifier_config. Property: no crash or leak; failures carry a diagnostic. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "tee/tee_dcap_source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ay_diag d;
    json_t *j = NULL;
    ay_diag_clear(&d);
    if (ay_dcap_source_qcnl_parse(&d, data, size, &j) != AY_OK) {
        if (d.code == AY_OK || j != NULL) {
            abort();
        }
        return 0;
    }
    struct ay_dcap_source_config c;
    bool present = false;
    ay_diag_clear(&d);
    if (ay_dcap_source_config_parse(&d, j, &c, &present) == AY_OK) {
        if (present && c.base_url == NULL && c.local_dir == NULL) {
            abort();
        }
        ay_dcap_source_config_clear(&c);
    } else if (d.code == AY_OK) {
        abort();
    }
    json_decref(j);
    return 0;
}
