/* SPDX-License-Identifier: Apache-2.0 */
/* dlopen of a versioned soname, symbols resolved by name into the caller's table of pointers,
 * once per process (base_dl.h). */
#include "base/base_dl.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

ay_err ay_dl_open(const struct ay_dl_spec *spec, void *table, void **out_handle, struct ay_diag *d)
{
    if (spec == NULL || spec->soname == NULL || table == NULL) {
        return FAIL(d, spec != NULL ? spec->code : AY_ERR_INTERNAL, "no library name");
    }
    /* RTLD_NOW: a library missing one of its own dependencies fails here, with the loader's
     * message, not at the first call. RTLD_LOCAL: its symbols do not leak into later lookups. */
    void *lib = dlopen(spec->soname, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        const char *why = dlerror();
        return FAIL(d, spec->code, "cannot load %s (install %s): %s", spec->soname, spec->package,
                    why != NULL ? why : "unknown reason");
    }
    for (size_t i = 0; i < spec->n_syms; i++) {
        const struct ay_dl_sym *s = &spec->syms[i];
        void *p = NULL;
        if (s->size != sizeof p) {
            (void)dlclose(lib);
            return FAIL(d, AY_ERR_INTERNAL, "%s: the slot for %s is not pointer-sized",
                        spec->soname, s->name);
        }
        p = dlsym(lib, s->name);
        if (p == NULL) {
            (void)dlclose(lib);
            return FAIL(d, spec->code, "%s has no %s (not %s?)", spec->soname, s->name, spec->kind);
        }
        /* dlsym returns an object pointer; POSIX guarantees it converts to a function pointer
         * of the same size, and memcpy says so without a cast ISO C would warn about. */
        memcpy((uint8_t *)table + s->offset, &p, sizeof p);
    }
    *out_handle = lib;
    return AY_OK;
}

void ay_dl_close(void *handle)
{
    if (handle != NULL) {
        (void)dlclose(handle);
    }
}

enum { ST_NEW = 0, ST_LOADED = 1, ST_FAILED = 2 };

/* Under once->mu, the first time only. */
static void load_locked(struct ay_dl_once *once, const struct ay_dl_spec *spec, void *table)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    void *lib = NULL;
    ay_err err = ay_dl_open(spec, table, &lib, &d);
    if (err == AY_OK && spec->init != NULL) {
        /* The library stays loaded even when its init fails: a failed init may have left
         * state behind (curl_global_init), and nothing calls it again. */
        err = spec->init(table, &d);
    }
    once->handle = lib;
    once->err = err;
    if (err != AY_OK) {
        (void)snprintf(once->msg, sizeof once->msg, "%s", ay_diag_message(&d));
    }
    /* Release: a thread that sees the state also sees the table, err and msg written above. */
    atomic_store_explicit(&once->state, err == AY_OK ? ST_LOADED : ST_FAILED, memory_order_release);
}

bool ay_dl_tried(struct ay_dl_once *once)
{
    return atomic_load_explicit(&once->state, memory_order_acquire) != ST_NEW;
}

ay_err ay_dl_load(struct ay_dl_once *once, const struct ay_dl_spec *spec, void *table,
                  struct ay_diag *d)
{
    int st = atomic_load_explicit(&once->state, memory_order_acquire);
    if (st == ST_NEW) {
        (void)pthread_mutex_lock(&once->mu);
        if (atomic_load_explicit(&once->state, memory_order_relaxed) == ST_NEW) {
            load_locked(once, spec, table);
        }
        (void)pthread_mutex_unlock(&once->mu);
        st = atomic_load_explicit(&once->state, memory_order_acquire);
    }
    if (st != ST_LOADED) {
        return FAIL(d, once->err, "%s", once->msg);
    }
    return AY_OK;
}
