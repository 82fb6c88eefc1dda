/* SPDX-License-Identifier: Apache-2.0 */
/* Process-local store (tests, `storage_backend: memory`): one array of entries kept sorted by
 * (namespace, key) under a mutex, so that lookups are binary searches and list() walks keys
 * in order like the SQLite backend. Values are heap copies owned by the store. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_cursor.h"
#include "base/base_mem.h"
#include "store/store.h"
#include "store/store_impl.h"

struct entry {
    char *ns;
    char *key;
    uint8_t *val;
    size_t len;
};

struct mem {
    struct ay_store base;
    pthread_mutex_t mu;
    struct entry *e;
    size_t n;
    size_t cap;
};

static int cmp(const char *ns, const char *key, const struct entry *e)
{
    int c = strcmp(ns, e->ns);
    return c != 0 ? c : strcmp(key, e->key);
}

/* Index of the entry or of the insertion point; *found tells which. */
static size_t find(const struct mem *m, const char *ns, const char *key, int *found)
{
    size_t lo = 0;
    size_t hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp(ns, key, &m->e[mid]);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    *found = 0;
    return lo;
}

static uint8_t *dup_val(const void *val, size_t len)
{
    uint8_t *p = ay_xmalloc(len + 1);
    if (len > 0) {
        memcpy(p, val, len);
    }
    p[len] = 0;
    return p;
}

static void mem_write(struct mem *m, const char *ns, const char *key, const void *val, size_t len,
                      int overwrite, int *out_inserted)
{
    pthread_mutex_lock(&m->mu);
    int found = 0;
    size_t i = find(m, ns, key, &found);
    if (found) {
        if (overwrite) {
            ay_free(m->e[i].val);
            m->e[i].val = dup_val(val, len);
            m->e[i].len = len;
        }
        *out_inserted = 0;
    } else {
        if (m->n == m->cap) {
            m->cap = m->cap == 0 ? 16 : m->cap * 2;
            m->e = ay_xrealloc(m->e, m->cap * sizeof *m->e);
        }
        memmove(&m->e[i + 1], &m->e[i], (m->n - i) * sizeof *m->e);
        m->e[i] = (struct entry){ay_xstrdup(ns), ay_xstrdup(key), dup_val(val, len), len};
        m->n++;
        *out_inserted = 1;
    }
    pthread_mutex_unlock(&m->mu);
}

static ay_err mem_put(struct ay_store *base, const char *ns, const char *key, const void *val,
                      size_t len, struct ay_diag *diag)
{
    (void)diag;
    int ins = 0;
    mem_write((struct mem *)base, ns, key, val, len, 1, &ins);
    return AY_OK;
}

static ay_err mem_put_if_absent(struct ay_store *base, const char *ns, const char *key,
                                const void *val, size_t len, int *out_inserted,
                                struct ay_diag *diag)
{
    (void)diag;
    mem_write((struct mem *)base, ns, key, val, len, 0, out_inserted);
    return AY_OK;
}

static ay_err mem_get(struct ay_store *base, const char *ns, const char *key, struct ay_arena *a,
                      struct ay_span *out, struct ay_diag *diag)
{
    struct mem *m = (struct mem *)base;
    ay_err err = AY_OK;
    void *copy = NULL;
    pthread_mutex_lock(&m->mu);
    int found = 0;
    size_t i = find(m, ns, key, &found);
    if (!found) {
        err = FAIL(diag, AY_ERR_NOT_FOUND, "%s: no entry '%s'", ns, key);
    } else {
        err = ay_arena_memdup(a, m->e[i].val, m->e[i].len + 1, &copy);
        if (err == AY_OK) {
            out->ptr = copy;
            out->len = m->e[i].len;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return err;
}

static void entry_free(struct entry *e)
{
    ay_free(e->ns);
    ay_free(e->key);
    ay_free(e->val);
}

static ay_err mem_delete(struct ay_store *base, const char *ns, const char *key,
                         struct ay_diag *diag)
{
    struct mem *m = (struct mem *)base;
    ay_err err = AY_OK;
    pthread_mutex_lock(&m->mu);
    int found = 0;
    size_t i = find(m, ns, key, &found);
    if (!found) {
        err = FAIL(diag, AY_ERR_NOT_FOUND, "%s: no entry '%s'", ns, key);
    } else {
        entry_free(&m->e[i]);
        memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof *m->e);
        m->n--;
    }
    pthread_mutex_unlock(&m->mu);
    return err;
}

static ay_err mem_list(struct ay_store *base, const char *ns, ay_store_each_fn *fn, void *arg,
                       struct ay_diag *diag)
{
    (void)diag;
    struct mem *m = (struct mem *)base;
    ay_err err = AY_OK;
    pthread_mutex_lock(&m->mu);
    int found = 0;
    /* "" sorts before every key, so this lands on the first entry of the namespace. */
    size_t i = find(m, ns, "", &found);
    for (; i < m->n && strcmp(m->e[i].ns, ns) == 0; i++) {
        /* The callback runs under the lock: it must not call back into this store. */
        CHECK(fn(arg, m->e[i].key, m->e[i].val, m->e[i].len));
    }
out:
    pthread_mutex_unlock(&m->mu);
    return err;
}

static void mem_close(struct ay_store *base)
{
    struct mem *m = (struct mem *)base;
    for (size_t i = 0; i < m->n; i++) {
        entry_free(&m->e[i]);
    }
    ay_free(m->e);
    pthread_mutex_destroy(&m->mu);
    ay_free(m);
}

static const struct ay_store_ops mem_ops = {
    .put = mem_put,
    .put_if_absent = mem_put_if_absent,
    .get = mem_get,
    .del = mem_delete,
    .list = mem_list,
    .close = mem_close,
};

ay_err ay_store_open_memory(struct ay_store **out)
{
    struct mem *m = ay_xcalloc(1, sizeof *m);
    m->base.ops = &mem_ops;
    pthread_mutex_init(&m->mu, NULL);
    *out = &m->base;
    return AY_OK;
}
