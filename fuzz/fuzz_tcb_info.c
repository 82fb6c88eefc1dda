/* SPDX-License-Identifier: Apache-2.0 */
/* Target: ay_coll_doc_sniff / ay_coll_doc_parse (Intel TCB info and QE identity documents;
 * FORMATS.md 2.4). Property: no crash or leak; the signed span lies inside the input. */
#include <stdint.h>
#include <stdlib.h>

#include "tee/tee_collateral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ay_coll_doc doc;
    struct ay_diag d;
    bool is_identity = false;
    ay_diag_clear(&d);
    (void)ay_coll_doc_sniff(ay_span_of(data, size), &is_identity);
    if (ay_coll_doc_parse(&d, ay_span_of(data, size), &doc) == AY_OK) {
        if (doc.signed_bytes.ptr < data || doc.signed_bytes.ptr + doc.signed_bytes.len > data + size ||
            doc.n_levels == 0) {
            abort();
        }
        ay_coll_doc_clear(&doc);
    } else if (d.code == AY_OK) {
        abort();
    }
    return 0;
}
