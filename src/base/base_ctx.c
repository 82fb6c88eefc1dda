/* SPDX-License-Identifier: Apache-2.0 */
#include "base/base_ctx.h"

#include <time.h>

void ay_ctx_init(struct ay_ctx *ctx, struct ay_arena *arena)
{
    ctx->arena = arena;
    ay_diag_clear(&ctx->diag);
    ctx->now = (int64_t)time(NULL);
}
