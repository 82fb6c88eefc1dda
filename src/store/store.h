/* SPDX-License-Identifier: Apache-2.0 */
/* Persistent key-value storage behind one interface (CONTRACT between the service core and the
 * backends). Namespaces as Trustee's: "attestation_service_policy" (policies, key = policy id)
 * and "reference_value" (RVPS records, key = reference value id). Backends: SQLite (embedded
 * default, WAL, one file), memory (tests). Every function is thread-safe. A put/delete is
 * durable and atomic when it returns AY_OK (kill -9 afterwards loses nothing). */
#ifndef AY_STORE_STORE_H
#define AY_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

struct ay_arena;
struct ay_span;
struct ay_store;

#define AY_STORE_NS_POLICY "attestation_service_policy"
#define AY_STORE_NS_RV "reference_value"

/* Opens (creating if needed) a SQLite database file. */
AY_MUST_USE ay_err ay_store_open_sqlite(const char *path, struct ay_diag *diag,
                                        struct ay_store **out);
/* A process-local store (tests, `storage_backend: memory`). */
AY_MUST_USE ay_err ay_store_open_memory(struct ay_store **out);
void ay_store_close(struct ay_store *s);

/* Inserts or replaces. */
AY_MUST_USE ay_err ay_store_put(struct ay_store *s, const char *ns, const char *key,
                                const void *val, size_t len, struct ay_diag *diag);
/* Copies the value into the arena (NUL-terminated, not counted in len); AY_ERR_NOT_FOUND. */
AY_MUST_USE ay_err ay_store_get(struct ay_store *s, const char *ns, const char *key,
                                struct ay_arena *a, struct ay_span *out, struct ay_diag *diag);
/* Inserts only if absent; *out_inserted tells which happened (default policies at first start). */
AY_MUST_USE ay_err ay_store_put_if_absent(struct ay_store *s, const char *ns, const char *key,
                                          const void *val, size_t len, int *out_inserted,
                                          struct ay_diag *diag);
/* AY_ERR_NOT_FOUND if absent. */
AY_MUST_USE ay_err ay_store_delete(struct ay_store *s, const char *ns, const char *key,
                                   struct ay_diag *diag);

/* Called once per entry in key order; a non-AY_OK return stops the walk and is returned. */
typedef ay_err ay_store_each_fn(void *arg, const char *key, const uint8_t *val, size_t len);
AY_MUST_USE ay_err ay_store_list(struct ay_store *s, const char *ns, ay_store_each_fn *fn,
                                 void *arg, struct ay_diag *diag);

#endif
