/* SPDX-License-Identifier: Apache-2.0 */
/* Per-request arena with a hard byte cap (STYLE.md B.6 rule 4). Everything transient of one
 * request (or one CLI run, or one policy evaluation) lives here and is freed in one call.
 * Going over the cap is AY_ERR_LIMIT, an ordinary error. An arena is not thread-safe. */
#ifndef AY_BASE_ARENA_H
#define AY_BASE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

struct ay_arena;

/* cap: the most bytes (including chunk overhead) the arena may take from the heap. */
void ay_arena_new(size_t cap, struct ay_arena **out);
void ay_arena_free(struct ay_arena *a);
/* Frees everything allocated so far but keeps the first chunk for reuse. */
void ay_arena_reset(struct ay_arena *a);
/* The next chunk the arena takes is n bytes at least: a caller that knows about how much it will
 * need (a compile of so many bytes of source) gets one chunk instead of a chain of doubling ones.
 * Large chunks are populated as they fill, so an overestimate costs address space only. */
void ay_arena_expect(struct ay_arena *a, size_t n);
size_t ay_arena_used(const struct ay_arena *a);
size_t ay_arena_cap(const struct ay_arena *a);

/* n bytes aligned for any type, zero-filled. AY_ERR_LIMIT when over the cap. */
AY_MUST_USE ay_err ay_arena_alloc(struct ay_arena *a, size_t n, void **out);
/* count * size bytes with overflow check. */
AY_MUST_USE ay_err ay_arena_array(struct ay_arena *a, size_t count, size_t size, void **out);
/* A NUL-terminated copy of n bytes. */
AY_MUST_USE ay_err ay_arena_strndup(struct ay_arena *a, const char *s, size_t n, char **out);
AY_MUST_USE ay_err ay_arena_memdup(struct ay_arena *a, const void *p, size_t n, void **out);
/* Grows a block previously returned by this arena (copies; old block is not reclaimed). */
AY_MUST_USE ay_err ay_arena_grow(struct ay_arena *a, void *old, size_t old_n, size_t new_n,
                                 void **out);

#endif
