/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_tee_csv_verify (Trustee evidence JSON incl. the PEK JSON, or the binary
 * report wrapper) and ay_csv_report_parse on the raw input. Property: no crash, no UB, and no
 * input verifies without an HSK/CEK. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "tee/tee.h"
#include "tee/tee_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 17) {
        return 0;
    }
    struct ay_arena *a = NULL;
    ay_arena_new(16 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_tee_input in = {.evidence = ay_span_of(data, size)};
    json_t *claims = NULL;
    if (ay_tee_csv_verify(&ctx, &in, &claims) == AY_OK) {
        abort(); /* no HSK/CEK: the chain cannot reach the HRK */
    }
    ay_arena_free(a);
    if (size >= AY_CSV_MAGIC_LEN + 4 + AY_CSV_REPORT_DATA_LEN) {
        struct ay_diag d;
        ay_diag_clear(&d);
        struct ay_csv_report *r = malloc(sizeof *r);
        if (r == NULL) {
            abort();
        }
        uint32_t flags = (uint32_t)data[16] | (uint32_t)data[17] << 8 | (uint32_t)data[18] << 16 |
                         (uint32_t)data[19] << 24;
        ay_err e = ay_csv_report_parse(&d, ay_span_of(data, AY_CSV_MAGIC_LEN), flags,
                                       ay_span_of(data + 20, AY_CSV_REPORT_DATA_LEN), r);
        if (e == AY_OK && (r->version < 1 || r->version > 3)) {
            abort();
        }
        free(r);
    }
    return 0;
}
