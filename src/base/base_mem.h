/* SPDX-License-Identifier: Apache-2.0 */
/* Checked heap allocation (STYLE.md B.6 rule 7): a real malloc failure logs and aborts.
 * Budgets and caps are not OOM: they are ordinary AY_ERR_LIMIT errors (see base_arena.h). */
#ifndef AY_BASE_MEM_H
#define AY_BASE_MEM_H

#include <stddef.h>

void *ay_xmalloc(size_t n);
void *ay_xcalloc(size_t count, size_t size);
void *ay_xrealloc(void *p, size_t n);
char *ay_xstrdup(const char *s);
char *ay_xstrndup(const char *s, size_t n);
void ay_free(void *p);
/* Maps the pages under [p, p + n) writable now, in one call, instead of one page fault per
 * first touch (a fault costs ~10 us on the CI machine's VM; a page populated this way well under
 * 1 us). Best effort: before Linux 5.14 it does nothing. For memory about to be written whole. */
void ay_populate(void *p, size_t n);
/* n bytes of new zero pages straight from the kernel, left unmapped until touched or populated
 * (calloc may instead hand out recycled heap memory and clear it, page fault by page fault);
 * aborts on failure as ay_xmalloc does. Returned with ay_unmap and the same n. */
void *ay_xmap(size_t n);
void ay_unmap(void *p, size_t n);

#endif
