/* SPDX-License-Identifier: Apache-2.0 */
/* Checked heap allocation: abort on real out-of-memory. */
#include "base/base_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

static void oom(size_t n)
{
    (void)fprintf(stderr, "{\"level\":\"fatal\",\"msg\":\"out of memory allocating %zu bytes\"}\n", n);
    abort();
}

void *ay_xmalloc(size_t n)
{
    void *p = malloc(n == 0 ? 1 : n);
    if (p == NULL) {
        oom(n);
    }
    return p;
}

void *ay_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
    if (p == NULL) {
        oom(count * size);
    }
    return p;
}

void *ay_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n == 0 ? 1 : n);
    if (q == NULL) {
        oom(n);
    }
    return q;
}

char *ay_xstrdup(const char *s)
{
    return ay_xstrndup(s, strlen(s));
}

char *ay_xstrndup(const char *s, size_t n)
{
    char *p = ay_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void ay_free(void *p)
{
    free(p);
}

void *ay_xmap(size_t n)
{
    void *p = mmap(NULL, n == 0 ? 1 : n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                   0);
    if (p == MAP_FAILED) {
        oom(n);
    }
    return p;
}

void ay_unmap(void *p, size_t n)
{
    if (p != NULL) {
        (void)munmap(p, n == 0 ? 1 : n);
    }
}

void ay_populate(void *p, size_t n)
{
    if (n == 0) {
        return;
    }
    uintptr_t lo = (uintptr_t)p & ~(uintptr_t)4095;
    uintptr_t hi = ((uintptr_t)p + n + 4095) & ~(uintptr_t)4095;
    (void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
}
