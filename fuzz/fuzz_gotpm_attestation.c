/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_pb_next (the bounded protobuf wire reader), ay_gotpm_attestation_parse,
 * ay_gotpm_verify (no nonce, full replay off and on), ay_tcg_legacy_replay on the input.
 * Properties: every LEN field read lies inside the input; the reader always advances. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "tee/tee_cocos.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Results the property checks do not need. */
static void ignore(ay_err e)
{
    (void)e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 17) {
        return 0;
    }
    struct ay_cur c;
    ay_cur_init(&c, ay_span_of(data, size));
    while (ay_cur_left(&c) > 0) {
        size_t before = ay_cur_pos(&c);
        struct ay_pb_field f;
        if (ay_pb_next(&c, &f) != AY_OK) {
            if (ay_cur_pos(&c) != before) {
                abort(); /* a failed read leaves the cursor unchanged */
            }
            break;
        }
        if (ay_cur_pos(&c) <= before ||
            (f.wire == AY_PB_LEN && f.data.len > 0 &&
             (f.data.ptr < data || f.data.ptr + f.data.len > data + size))) {
            abort();
        }
    }
    static struct ay_gotpm_attestation a;
    static struct ay_gotpm_verified v;
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_gotpm_attestation_parse(&d, ay_span_of(data, size), &a) == AY_OK) {
        struct ay_arena *arena = NULL;
        ay_arena_new((size_t)8 << 20, &arena);
        struct ay_ctx ctx;
        ay_ctx_init(&ctx, arena);
        ignore(ay_gotpm_verify(&ctx, &a, NULL, false, &v));
        ay_diag_clear(&ctx.diag);
        ignore(ay_gotpm_verify(&ctx, &a, NULL, true, &v));
        ay_arena_free(arena);
    }
    uint8_t pcrs[AY_TPM_N_PCRS][20];
    uint32_t replayed = 0;
    size_t n = 0;
    ay_diag_clear(&d);
    ignore(ay_tcg_legacy_replay(&d, ay_span_of(data, size), pcrs, &replayed, &n));
    return 0;
}
