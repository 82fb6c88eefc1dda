/* SPDX-License-Identifier: Apache-2.0 */
/* Target: the sample verifier (ay_tee_sample_verify / sampledevice) on any evidence bytes,
 * with and without an expected report data. Property: no crash, claims only on success. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "tee/tee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const tees[] = {"sample", "sampledevice"};
    struct ay_span rd = ay_span_of("hello", 5);
    for (size_t i = 0; i < 4; i++) {
        struct ay_arena *a = NULL;
        ay_arena_new(1 << 24, &a);
        struct ay_ctx ctx;
        ay_ctx_init(&ctx, a);
        struct ay_tee_input in = {
            .evidence = ay_span_of(data, size),
            .report_data = (i & 1) != 0 ? &rd : NULL,
            .init_data = (i & 1) != 0 ? &rd : NULL,
        };
        json_t *claims = NULL;
        ay_err e = ay_tee_find(tees[i >> 1])->verify(&ctx, &in, &claims);
        if ((e == AY_OK) != (claims != NULL)) {
            abort();
        }
        json_decref(claims);
        ay_arena_free(a);
    }
    return 0;
}
