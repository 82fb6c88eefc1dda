/* SPDX-License-Identifier: Apache-2.0 */
/* Bump allocator over a list of chunks, with a hard cap on the heap bytes it takes. */
#include "base/base_arena.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "base/base_mem.h"

#define CHUNK_MIN ((size_t)32 * 1024)
#define ALIGN ((size_t)alignof(max_align_t))

struct chunk {
    struct chunk *next;
    size_t size;  /* usable bytes after the header */
    size_t used;
    size_t ready; /* bytes from data[0] known to be mapped (see prefault) */
    size_t mapped; /* bytes of the chunk's own mapping (ay_xmap), 0 for heap chunks */
    alignas(max_align_t) unsigned char data[];
};

struct ay_arena {
    struct ay_arena_fast fast; /* first (base_arena.h): the head chunk's free, mapped bytes */
    struct chunk *head;
    size_t taken; /* heap bytes held, headers included */
    size_t cap;
    size_t used; /* bytes handed out in the chunks after head (the head's: fast.cur) */
    size_t expect; /* the next chunk's size at least (ay_arena_expect), 0 when none */
};

#define PREFAULT_MIN ((size_t)64 * 1024)
/* Chunks this large get a mapping of their own: new zero pages, populated as they fill. */
#define MAP_MIN ((size_t)128 * 1024)

/* Maps the pages of c up to `upto` bytes (and up to 64 KiB more) ahead of use with one
 * madvise call instead of a page fault per page (issue 3: a short-lived `assay policy eval`
 * spent a third of its time in page faults of its arena). A chunk is filled front to back, so
 * the pages will be written anyway. Chunks below MAP_MIN were populated whole when taken. */
static void prefault(struct chunk *c, size_t upto)
{
    if (c->size < PREFAULT_MIN) {
        c->ready = c->size;
        return;
    }
    size_t end = upto - c->ready < PREFAULT_MIN ? c->ready + PREFAULT_MIN : upto;
    end = end < c->size ? end : c->size;
    ay_populate(c->data + c->ready, end - c->ready);
    c->ready = end;
}

/* The last mapped chunk released, kept (its pages still mapped) for the next one: a
 * service that compiles a large policy per request would otherwise map and populate fresh pages
 * every time. One per process, taken and given back atomically (arenas live in any thread). */
static _Atomic(struct chunk *) g_spare;
/* The same for heap chunks of CHUNK_MIN, the first chunk of every arena: an evaluation makes an
 * arena and frees it, and clearing only the bytes it used beats clearing a fresh 32 KiB. */
static _Atomic(struct chunk *) g_spare_small;

/* A zeroed chunk. Small ones come from the heap: populated in one call before they are zeroed
 * (calloc would zero them page fault by page fault). Large ones are mappings of their own:
 * their pages are new zero pages, untouched until prefault. (calloc would mmap them only while
 * glibc's top of heap is too small: a CLI run once got a heap chunk of 128 KiB, cleared by
 * calloc in 31 page faults.) */
static struct chunk *chunk_new(size_t total)
{
    struct chunk *c;
    if (total >= MAP_MIN) {
        c = atomic_exchange(&g_spare, NULL);
        if (c != NULL && c->mapped >= total) {
            /* Zeroed now rather than when released (a process that exits never pays); its
             * c->ready bytes are still mapped. */
            memset(c->data, 0, c->used);
            return c;
        }
        if (c != NULL) {
            ay_unmap(c, c->mapped);
        }
        c = ay_xmap(total);
        /* Its first window before the header is written (else that write is a page fault). */
        size_t first = total < PREFAULT_MIN ? total : PREFAULT_MIN;
        ay_populate(c, first);
        c->mapped = total;
        c->ready = first - sizeof *c;
    } else {
        if (total == sizeof *c + CHUNK_MIN) {
            c = atomic_exchange(&g_spare_small, NULL);
            if (c != NULL) {
                memset(c->data, 0, c->used);
                return c;
            }
        }
        c = ay_xmalloc(total);
        if (total >= (size_t)16 * 1024) {
            ay_populate(c, total);
        }
        memset(c, 0, total);
        c->ready = total - sizeof *c;
    }
    return c;
}

/* c->used must be current (sync_head for the head chunk). */
static void chunk_free(struct chunk *c)
{
    c->next = NULL; /* c->used: the bytes chunk_new clears when it takes c again */
    if (c->mapped == 0) {
        struct chunk *old = c;
        if (c->size == CHUNK_MIN) {
            old = atomic_exchange(&g_spare_small, c);
        }
        ay_free(old);
        return;
    }
    struct chunk *old = atomic_exchange(&g_spare, c);
    if (old != NULL) {
        ay_unmap(old, old->mapped);
    }
}

/* The head chunk's bytes handed out, from the fast path's pointer. */
static void sync_head(struct ay_arena *a)
{
    if (a->head != NULL) {
        a->head->used = (size_t)(a->fast.cur - a->head->data);
    }
}

/* The fast path's window: the head chunk's bytes that are free and mapped. */
static void set_fast(struct ay_arena *a)
{
    struct chunk *c = a->head;
    if (c == NULL) {
        a->fast.cur = NULL;
        a->fast.end = NULL;
        return;
    }
    a->fast.cur = c->data + c->used;
    a->fast.end = c->data + (c->ready < c->size ? c->ready : c->size);
}

void ay_arena_new(size_t cap, struct ay_arena **out)
{
    struct ay_arena *a = ay_xcalloc(1, sizeof *a);
    a->cap = cap;
    *out = a;
}

void ay_arena_free(struct ay_arena *a)
{
    if (a == NULL) {
        return;
    }
    sync_head(a);
    struct chunk *c = a->head;
    while (c != NULL) {
        struct chunk *n = c->next;
        chunk_free(c);
        c = n;
    }
    ay_free(a);
}

void ay_arena_reset(struct ay_arena *a)
{
    sync_head(a); /* the kept chunk may be the head: its used bytes are cleared below */
    struct chunk *keep = NULL;
    struct chunk *c = a->head;
    while (c != NULL) {
        struct chunk *n = c->next;
        if (n == NULL) {
            keep = c; /* the oldest chunk */
        } else {
            chunk_free(c);
        }
        c = n;
    }
    a->head = keep;
    a->taken = 0;
    a->used = 0;
    if (keep != NULL) {
        memset(keep->data, 0, keep->used);
        keep->used = 0;
        a->taken = sizeof *keep + keep->size;
    }
    set_fast(a);
}

void ay_arena_expect(struct ay_arena *a, size_t n)
{
    a->expect = n;
}

size_t ay_arena_used(const struct ay_arena *a)
{
    return a->used + (a->head != NULL ? (size_t)(a->fast.cur - a->head->data) : 0);
}

size_t ay_arena_cap(const struct ay_arena *a)
{
    return a->cap;
}

ay_err ay_arena_alloc_slow(struct ay_arena *a, size_t n, void **out)
{
    if (n == 0) {
        n = 1;
    }
    ENSURE(n <= a->cap, AY_ERR_LIMIT);
    size_t need = (n + ALIGN - 1) & ~(ALIGN - 1);
    sync_head(a);
    struct chunk *c = a->head;
    if (c == NULL || c->size - c->used < need) {
        size_t size = need > CHUNK_MIN ? need : CHUNK_MIN;
        if (c != NULL && c->size * 2 > size && c->size < ((size_t)1 << 24)) {
            size = c->size * 2; /* grow chunks geometrically up to 16 MiB */
        }
        if (a->expect > size && a->taken <= a->cap && sizeof *c < a->cap - a->taken &&
            a->expect <= a->cap - a->taken - sizeof *c) {
            size = a->expect; /* only when it fits under the cap */
        }
        a->expect = 0;
        size_t total = sizeof *c + size;
        if (a->taken + total > a->cap) {
            /* Fall back to an exact-size chunk before giving up. */
            size = need;
            total = sizeof *c + size;
            ENSURE(a->cap - a->taken >= total && a->taken <= a->cap, AY_ERR_LIMIT);
        }
        /* Zeroed once here rather than at every alloc. */
        struct chunk *nc = chunk_new(total);
        nc->size = size;
        nc->used = 0;
        nc->next = c;
        a->head = nc;
        a->taken += total;
        a->used += c != NULL ? c->used : 0; /* the old head's bytes, now counted here */
        c = nc;
    }
    if (c->used + need > c->ready) {
        prefault(c, c->used + need);
    }
    void *p = c->data + c->used;
    c->used += need;
    set_fast(a);
    *out = p; /* zero: chunks start zeroed and ay_arena_reset zeroes what it keeps */
    return AY_OK;
}

ay_err ay_arena_array(struct ay_arena *a, size_t count, size_t size, void **out)
{
    ENSURE(size == 0 || count <= SIZE_MAX / size, AY_ERR_LIMIT);
    return ay_arena_alloc(a, count * size, out);
}

ay_err ay_arena_strndup(struct ay_arena *a, const char *s, size_t n, char **out)
{
    ENSURE(n < SIZE_MAX, AY_ERR_LIMIT);
    void *p;
    TRY(ay_arena_alloc(a, n + 1, &p));
    if (n > 0) {
        memcpy(p, s, n);
    }
    ((char *)p)[n] = '\0';
    *out = p;
    return AY_OK;
}

ay_err ay_arena_memdup(struct ay_arena *a, const void *src, size_t n, void **out)
{
    void *p;
    TRY(ay_arena_alloc(a, n, &p));
    if (n > 0) {
        memcpy(p, src, n);
    }
    *out = p;
    return AY_OK;
}

ay_err ay_arena_grow(struct ay_arena *a, void *old, size_t old_n, size_t new_n, void **out)
{
    void *p;
    TRY(ay_arena_alloc(a, new_n, &p));
    if (old != NULL && old_n > 0) {
        memcpy(p, old, old_n < new_n ? old_n : new_n);
    }
    *out = p;
    return AY_OK;
}
