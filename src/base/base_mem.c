/* SPDX-License-Identifier: Apache-2.0 */
/* Checked heap allocation: abort on real out-of-memory. */
#include "base/base_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
