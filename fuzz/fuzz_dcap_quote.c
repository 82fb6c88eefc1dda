/* SPDX-License-Identifier: Apache-2.0 */
/* Target: ay_dcap_quote_parse (SGX v3, TDX v4/v5 quotes; FORMATS.md 2.1).
 * Property: no crash; on success the spans lie inside the input and the regions add up. */
#include <stdint.h>
#include <stdlib.h>

#include "tee/tee_dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(struct ay_span s, const uint8_t *data, size_t size)
{
    return s.len == 0 || (s.ptr >= data && s.ptr + s.len <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ay_dcap_quote q;
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_dcap_quote_parse(&d, ay_span_of(data, size), &q) == AY_OK) {
        if (!inside(q.signed_bytes, data, size) || !inside(q.qe_report_bytes, data, size) ||
            !inside(q.qe_auth_data, data, size) || !inside(q.cert_data, data, size) ||
            q.trailing > size || q.signed_bytes.ptr != data) {
            abort();
        }
    } else if (d.code == AY_OK) {
        abort(); /* a failure must say why */
    }
    return 0;
}
