/* SPDX-License-Identifier: Apache-2.0 */
/* Shared libraries loaded on first use instead of at program start (issue 3: every library the
 * loader maps costs page faults and relocations in each CLI run, used or not). A library is
 * opened once per process with dlopen(RTLD_NOW | RTLD_LOCAL) of its versioned soname, and the
 * caller's table of pointers (a struct of function pointers, data pointers allowed) is filled
 * by name. Any failure is final and reported the same way on every later call: the library
 * missing ("cannot load <soname> (install <package>): <loader message>") or a symbol missing
 * ("<soname> has no <symbol> (not <kind>?)"). Types and constants still come from the
 * library's own headers: only its code is reached through the table. */
#ifndef AY_BASE_DL_H
#define AY_BASE_DL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/base_err.h"

/* One symbol: its name and where its pointer goes in the caller's table struct. */
struct ay_dl_sym {
    const char *name;
    size_t offset; /* of the slot in the table */
    size_t size;   /* of the slot: must be sizeof(void *) */
};

/* {name, slot} for field `field` of table struct `type`, e.g.
 * AY_DL_SYM(struct ay_cbor_lib, load, "cbor_load"). */
#define AY_DL_SYM(type, field, name) {(name), offsetof(type, field), sizeof(((type *)0)->field)}

/* Runs once after every symbol resolved (e.g. a library's global init); an error it returns
 * (with its message in d) is the outcome of the load. */
typedef ay_err ay_dl_init_fn(void *table, struct ay_diag *d);

/* What to load. All pointers are to static data. */
struct ay_dl_spec {
    const char *soname;  /* versioned soname, "libcbor.so.0.8" */
    const char *package; /* Debian package that ships it, named in the message, "libcbor0.8" */
    const char *kind;    /* what the library should be, "libcbor" in "(not libcbor?)" */
    ay_err code;         /* error code of every failure (the messages say which) */
    const struct ay_dl_sym *syms;
    size_t n_syms;
    ay_dl_init_fn *init; /* may be NULL */
};

/* Opens spec->soname and fills table (a struct laid out as spec->syms says), without the
 * once-per-process state: for probes and tests. On AY_OK *out_handle holds the library (release
 * with ay_dl_close; spec->init is not run); on failure nothing stays open, table may be partly
 * written, and d says which library or symbol is missing. */
AY_MUST_USE ay_err ay_dl_open(const struct ay_dl_spec *spec, void *table, void **out_handle,
                              struct ay_diag *d);
void ay_dl_close(void *handle);

/* The once-per-process state of one library. Static storage, initialised with AY_DL_ONCE_INIT;
 * the fields are private to base_dl.c. */
struct ay_dl_once {
    pthread_mutex_t mu;
    atomic_int state; /* 0 not tried yet, 1 loaded, 2 failed (for good) */
    void *handle;     /* kept open for the process lifetime */
    ay_err err;
    char msg[AY_DIAG_MSG_MAX];
};

#define AY_DL_ONCE_INIT {PTHREAD_MUTEX_INITIALIZER, 0, NULL, AY_OK, {0}}

/* Loads the library on the first call (ay_dl_open, then spec->init) and returns the first
 * outcome on every call: AY_OK with table filled, or spec->code (AY_ERR_INTERNAL for a table
 * slot that is not pointer-sized) with the same message each time. table must be static (it is
 * written once, under the lock, and read without one afterwards). Thread-safe; after the first
 * call it costs one atomic load. */
AY_MUST_USE ay_err ay_dl_load(struct ay_dl_once *once, const struct ay_dl_spec *spec, void *table,
                              struct ay_diag *d);

/* True once a load was attempted (whatever its outcome): for test hooks that must run first. */
bool ay_dl_tried(struct ay_dl_once *once);

#endif
