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

/* The first member of struct ay_arena (so an arena pointer points to it, C17 6.7.2.1p15): the
 * free bytes of the current chunk that are mapped, which ay_arena_alloc hands out inline. An
 * allocation was ~30 instructions through a call, and the Rego front end makes some 20,000 of
 * them per 54 KB policy (issue 3). Only base_arena.c writes it. */
struct ay_arena_fast {
    unsigned char *cur;
    unsigned char *end;
};

/* ay_arena_alloc past the fast path's window: a new chunk, more pages mapped, or the cap. */
AY_MUST_USE ay_err ay_arena_alloc_slow(struct ay_arena *a, size_t n, void **out);

/* n bytes aligned for any type, zero-filled. AY_ERR_LIMIT when over the cap. */
AY_MUST_USE static inline ay_err ay_arena_alloc(struct ay_arena *a, size_t n, void **out)
{
    struct ay_arena_fast *f = (struct ay_arena_fast *)(void *)a;
    size_t left = (size_t)((uintptr_t)f->end - (uintptr_t)f->cur); /* 0 before a chunk */
    size_t need = (n + (_Alignof(max_align_t) - 1)) & ~(size_t)(_Alignof(max_align_t) - 1);
    /* n - 1 < left: n is 1..left, so need cannot have wrapped around */
    if (n - 1 < left && need <= left) {
        *out = f->cur;
        f->cur += need;
        return AY_OK;
    }
    return ay_arena_alloc_slow(a, n, out);
}
/* count * size bytes with overflow check. */
AY_MUST_USE ay_err ay_arena_array(struct ay_arena *a, size_t count, size_t size, void **out);
/* A NUL-terminated copy of n bytes. */
AY_MUST_USE ay_err ay_arena_strndup(struct ay_arena *a, const char *s, size_t n, char **out);
AY_MUST_USE ay_err ay_arena_memdup(struct ay_arena *a, const void *p, size_t n, void **out);
/* Grows a block previously returned by this arena (copies; old block is not reclaimed). */
AY_MUST_USE ay_err ay_arena_grow(struct ay_arena *a, void *old, size_t old_n, size_t new_n,
                                 void **out);

#endif
