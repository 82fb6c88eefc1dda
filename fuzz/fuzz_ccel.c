/* SPDX-License-Identifier: Apache-2.0 */
/* Target: ay_ccel_parse, ay_ccel_replay, ay_ccel_claims (CC event log; TRUSTEE.md 7.14).
 * Property: no crash or leak; a parsed log replays and yields one claim per event. */
#include <stdint.h>
#include <stdlib.h>

#include "tee/tee_ccel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ay_ccel_log log;
    struct ay_diag d;
    ay_diag_clear(&d);
    if (size > (1u << 20)) {
        return 0;
    }
    if (ay_ccel_parse(&d, ay_span_of(data, size), &log) != AY_OK) {
        if (d.code == AY_OK) {
            abort();
        }
        return 0;
    }
    uint8_t mr[4][AY_HASH_MAX];
    json_t *claims = NULL;
    if (ay_ccel_replay(&d, &log, AY_HASH_SHA384, mr) != AY_OK ||
        ay_ccel_claims(&d, &log, &claims) != AY_OK || json_array_size(claims) != log.n_events) {
        abort();
    }
    json_decref(claims);
    ay_ccel_free(&log);
    return 0;
}
