/* SPDX-License-Identifier: Apache-2.0 */
/* The backend vtable behind store.h (internal to src/store/). Each backend embeds
 * struct ay_store as its first member; store_core.c dispatches through ops. */
#ifndef AY_STORE_IMPL_H
#define AY_STORE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"
#include "store/store.h"

struct ay_store_ops {
    ay_err (*put)(struct ay_store *s, const char *ns, const char *key, const void *val, size_t len,
                  struct ay_diag *diag);
    ay_err (*put_if_absent)(struct ay_store *s, const char *ns, const char *key, const void *val,
                            size_t len, int *out_inserted, struct ay_diag *diag);
    ay_err (*get)(struct ay_store *s, const char *ns, const char *key, struct ay_arena *a,
                  struct ay_span *out, struct ay_diag *diag);
    ay_err (*del)(struct ay_store *s, const char *ns, const char *key, struct ay_diag *diag);
    ay_err (*list)(struct ay_store *s, const char *ns, ay_store_each_fn *fn, void *arg,
                   struct ay_diag *diag);
    void (*close)(struct ay_store *s);
};

struct ay_store {
    const struct ay_store_ops *ops;
};

#endif
