/* SPDX-License-Identifier: Apache-2.0 */
/* The per-request (or per-CLI-run) context: the arena, the diagnostic and the verification
 * clock. Passed explicitly; never global or thread-local (STYLE.md B.5, B.6). */
#ifndef AY_BASE_CTX_H
#define AY_BASE_CTX_H

#include <stdint.h>

#include "base/base_err.h"

struct ay_arena;

struct ay_ctx {
    struct ay_arena *arena; /* borrowed: outlives the ctx */
    struct ay_diag diag;
    int64_t now;            /* verification time, Unix seconds (UTC) */
};

/* Initialises ctx with now = the current wall-clock time. */
void ay_ctx_init(struct ay_ctx *ctx, struct ay_arena *arena);

#endif
