/* SPDX-License-Identifier: Apache-2.0 */
/* Target: ay_as_config_parse on any bytes. Property: no crash; a parsed config has a work
 * directory and sane token settings. */
#include <stdint.h>
#include <stdlib.h>

#include "as/as.h"
#include "as/as_int.h"
#include "base/base_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ay_log_set_level(AY_LOG_ERROR); /* unknown keys warn; keep the fuzzer quiet */
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_as_config *c = NULL;
    if (ay_as_config_parse((const char *)data, size, &d, &c) == AY_OK) {
        if (ay_as_config_work_dir(c) == NULL || c->duration_min < 0 || c->issuer_name == NULL) {
            abort();
        }
        ay_as_config_free(c);
    }
    return 0;
}
