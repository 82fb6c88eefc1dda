/* SPDX-License-Identifier: Apache-2.0 */
/* The attestation service core (CONTRACT between the HTTP front end in src/http/ and the
 * service logic in src/as/). Each operation takes the request body bytes and writes the
 * response body; the HTTP layer only routes, checks content type and size, and maps ay_err to
 * a status with ay_err_http() and a JSON body {"error": ay_err_code(e), "message": diag}.
 * All operations are thread-safe; each request brings its own struct ay_ctx (arena + diag +
 * clock). Semantics: ../shared/docs/TRUSTEE.md sections 1.1, 3, 4, 5, 6. */
#ifndef AY_AS_AS_H
#define AY_AS_AS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/base_err.h"

struct ay_as;
struct ay_as_config;
struct ay_buf;
struct ay_ctx;
struct ay_span;

/* Parses config.json (both Trustee eras, TRUSTEE.md section 2); NULL path = embedded defaults.
 * Unknown keys are logged as warnings; wrong types fail with a message naming the key. */
AY_MUST_USE ay_err ay_as_config_load(const char *path, struct ay_diag *diag,
                                     struct ay_as_config **out);
/* Same, from JSON text (tests). */
AY_MUST_USE ay_err ay_as_config_parse(const char *json, size_t len, struct ay_diag *diag,
                                      struct ay_as_config **out);
void ay_as_config_free(struct ay_as_config *c);
/* The work directory (default /var/lib/assay, or ./assay-data when that is not writable). */
const char *ay_as_config_work_dir(const struct ay_as_config *c);

/* Builds the service: opens the store, installs the default policies if absent, loads or
 * creates the token signing key, registers the verifiers. cfg is copied. */
AY_MUST_USE ay_err ay_as_new(const struct ay_as_config *cfg, struct ay_diag *diag,
                             struct ay_as **out);
void ay_as_free(struct ay_as *as);

/* Per-request facts the HTTP layer needs for metrics and logs. */
struct ay_as_attest_info {
    const char *tee; /* static string, or "unknown" */
    bool accepted;   /* evidence verified and token issued */
};

/* POST /attestation: body = AttestationRequest JSON; out = the JWT text (no JSON wrapper). */
AY_MUST_USE ay_err ay_as_attest(struct ay_as *as, struct ay_ctx *ctx, struct ay_span body,
                                struct ay_buf *out, struct ay_as_attest_info *info);
/* POST /policy: {"policy_id": "...", "policy": "<b64url-nopad Rego>"}; out stays empty.
 * A policy that does not compile: AY_ERR_POLICY_COMPILE with "line:col: message".
 * With "type": "cocos" the policy is a Cocos policy JSON (docs/API.md "Cocos policies"); one
 * that does not parse: AY_ERR_MALFORMED naming the field. */
AY_MUST_USE ay_err ay_as_policy_set(struct ay_as *as, struct ay_ctx *ctx, struct ay_span body,
                                    struct ay_buf *out);
/* GET /policy: [{"policy-id":"default_cpu","type":"rego"}, ...] in id order (Cocos entries:
 * "type":"cocos","platform":"snp"|"tdx"). */
AY_MUST_USE ay_err ay_as_policy_list(struct ay_as *as, struct ay_ctx *ctx, struct ay_buf *out);
/* GET /policy/{id}: {"policy-id": id, "policy": "<b64url-nopad>", "type": ...}; as uploaded;
 * AY_ERR_NOT_FOUND. */
AY_MUST_USE ay_err ay_as_policy_get(struct ay_as *as, struct ay_ctx *ctx, const char *id,
                                    struct ay_buf *out);
/* DELETE /policy/{id}: AY_ERR_NOT_FOUND if absent. */
AY_MUST_USE ay_err ay_as_policy_delete(struct ay_as *as, struct ay_ctx *ctx, const char *id);
/* POST /reference-value: an RVPS message {"version":"0.1.0","type":"sample","payload":"..."}. */
AY_MUST_USE ay_err ay_as_rv_register(struct ay_as *as, struct ay_ctx *ctx, struct ay_span body,
                                     struct ay_buf *out);
/* GET /reference-value/{id}: the stored record as JSON; expired or absent: AY_ERR_NOT_FOUND. */
AY_MUST_USE ay_err ay_as_rv_get(struct ay_as *as, struct ay_ctx *ctx, const char *id,
                                struct ay_buf *out);
AY_MUST_USE ay_err ay_as_rv_delete(struct ay_as *as, struct ay_ctx *ctx, const char *id);
/* POST /challenge: {"tee": "...", "tee_params": "..."}; out = challenge text (empty except se). */
AY_MUST_USE ay_err ay_as_challenge(struct ay_as *as, struct ay_ctx *ctx, struct ay_span body,
                                   struct ay_buf *out);
/* GET /.well-known/jwks.json */
AY_MUST_USE ay_err ay_as_jwks(struct ay_as *as, struct ay_ctx *ctx, struct ay_buf *out);

#endif
