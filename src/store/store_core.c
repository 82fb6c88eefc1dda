/* SPDX-License-Identifier: Apache-2.0 */
/* The store.h entry points: argument checks shared by every backend, then dispatch. Keys are
 * non-empty text of at most AY_LIMIT_STORE_KEY bytes without NUL (the SQLite text column and
 * the list callback both need a C string). */
#include <string.h>

#include "base/base_limits.h"
#include "store/store.h"
#include "store/store_impl.h"

static ay_err check_key(const char *ns, const char *key, struct ay_diag *diag)
{
    if (ns == NULL || ns[0] == '\0') {
        return FAIL(diag, AY_ERR_INTERNAL, "store: empty namespace");
    }
    if (key == NULL || key[0] == '\0') {
        return FAIL(diag, AY_ERR_BAD_REQUEST, "store: empty key");
    }
    if (strnlen(key, AY_LIMIT_STORE_KEY + 1) > AY_LIMIT_STORE_KEY) {
        return FAIL(diag, AY_ERR_LIMIT, "store: key longer than %zu bytes",
                    (size_t)AY_LIMIT_STORE_KEY);
    }
    return AY_OK;
}

static ay_err check_val(const void *val, size_t len, struct ay_diag *diag)
{
    if (val == NULL && len != 0) {
        return FAIL(diag, AY_ERR_INTERNAL, "store: NULL value");
    }
    if (len > AY_LIMIT_STORE_VALUE) {
        return FAIL(diag, AY_ERR_LIMIT, "store: value of %zu bytes exceeds %zu", len,
                    (size_t)AY_LIMIT_STORE_VALUE);
    }
    return AY_OK;
}

ay_err ay_store_put(struct ay_store *s, const char *ns, const char *key, const void *val,
                    size_t len, struct ay_diag *diag)
{
    TRY(check_key(ns, key, diag));
    TRY(check_val(val, len, diag));
    return s->ops->put(s, ns, key, val, len, diag);
}

ay_err ay_store_get(struct ay_store *s, const char *ns, const char *key, struct ay_arena *a,
                    struct ay_span *out, struct ay_diag *diag)
{
    TRY(check_key(ns, key, diag));
    return s->ops->get(s, ns, key, a, out, diag);
}

ay_err ay_store_put_if_absent(struct ay_store *s, const char *ns, const char *key, const void *val,
                              size_t len, int *out_inserted, struct ay_diag *diag)
{
    TRY(check_key(ns, key, diag));
    TRY(check_val(val, len, diag));
    return s->ops->put_if_absent(s, ns, key, val, len, out_inserted, diag);
}

ay_err ay_store_delete(struct ay_store *s, const char *ns, const char *key, struct ay_diag *diag)
{
    TRY(check_key(ns, key, diag));
    return s->ops->del(s, ns, key, diag);
}

ay_err ay_store_list(struct ay_store *s, const char *ns, ay_store_each_fn *fn, void *arg,
                     struct ay_diag *diag)
{
    if (ns == NULL || ns[0] == '\0') {
        return FAIL(diag, AY_ERR_INTERNAL, "store: empty namespace");
    }
    return s->ops->list(s, ns, fn, arg, diag);
}

void ay_store_close(struct ay_store *s)
{
    if (s != NULL) {
        s->ops->close(s);
    }
}
