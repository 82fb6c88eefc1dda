/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the files of src/as/ (not a contract: as.h is). */
#ifndef AY_AS_AS_INT_H
#define AY_AS_AS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "as/as.h"
#include "base/base_cursor.h"
#include "crypto/crypto_sign.h"

struct ay_arena;
struct ay_rego_builtins;
struct ay_rego_policy;
struct ay_store;
struct ay_token_signer;

enum ay_as_storage {
    AY_AS_STORAGE_SQLITE, /* assay's default: one file in the work directory */
    AY_AS_STORAGE_MEMORY, /* Trustee's Memory: nothing survives a restart */
};

/* Parsed config.json (TRUSTEE.md section 2) plus assay's own keys. Immutable once parsed. */
struct ay_as_config {
    char *text; /* the JSON text it was parsed from (ay_as_new re-parses it to copy) */
    char *work_dir;
    enum ay_as_storage storage;
    char *storage_path; /* SQLite file */
    bool token_simple;  /* attestation_token_broker.type "Simple" (TRUSTEE.md section 4.4) */
    int64_t duration_min;
    char *issuer_name;
    char *developer_name;
    char *build_name;
    char *profile_name;
    bool verbose_token;
    char *key_path;
    char *cert_path;
    char *cert_url;
    json_t *verifier_config; /* NULL or an object */
};

/* The type of a stored policy. Rego sources are stored as they always were; a Cocos policy is
 * stored as AS_COCOS_MAGIC + "snp\n" or "tdx\n" + the JSON (0xFF never starts valid UTF-8, and
 * every Rego upload is UTF-8-checked, so old stored values stay Rego). */
enum as_policy_kind {
    AS_POLICY_REGO,
    AS_POLICY_COCOS_SNP, /* go-sev-guest check.Config + pcr_values (FORMATS.md 6.3) */
    AS_POLICY_COCOS_TDX, /* go-tdx-guest checkconfig.Policy (FORMATS.md 6.2) */
};

#define AS_COCOS_MAGIC "\377cocos-" /* 0xFF, then "cocos-" */

/* One policy, shared read-only by requests; the source is kept so that a change made
 * by another process sharing the store is noticed (the store is the source of truth).
 * Cocos policies have policy == NULL and source = the JSON. */
struct as_policy_entry {
    char *id;
    enum as_policy_kind kind;
    char *source;
    size_t source_len;
    struct ay_rego_policy *policy;
    char sha384_hex[97];
    struct as_policy_entry *next;
};

/* A reference value as query_reference_value answers it: the stored value's compact JSON and
 * its expiry, or a remembered absence. */
struct as_rv_entry {
    char *id;
    bool present;
    int64_t exp_s;
    char *value_json;
    size_t value_len;
    struct as_rv_entry *next;
};

#define AS_RV_BUCKETS 64

struct ay_as {
    struct ay_as_config *cfg;
    struct ay_store *store;
    struct ay_token_signer *signer;
    struct ay_rego_builtins *builtins;
    pthread_mutex_t cache_lock;
    struct as_policy_entry *cache;
    uint64_t policy_gen; /* bumped (under cache_lock) by every policy write or delete */
    bool rv_ready;       /* rv_lock initialised */
    pthread_mutex_t rv_lock;
    struct as_rv_entry *rv_cache[AS_RV_BUCKETS];
    size_t rv_count;
    uint64_t rv_gen; /* bumped (under rv_lock) by every reference value write or delete */
};

/* A policy ready to evaluate: a retained compiled policy (release with as_policy_put). */
struct as_policy_ref {
    struct ay_rego_policy *policy; /* NULL for a Cocos policy */
    char sha384_hex[97];
    enum as_policy_kind kind;
    struct ay_span cocos; /* Cocos: the policy JSON (in the request arena) */
};

AY_MUST_USE ay_err as_config_parse_quiet(const char *json, size_t len, bool quiet,
                                         struct ay_diag *diag, struct ay_as_config **out);

/* as_service.c: the policy input / annotated evidence of TRUSTEE.md section 3.8 built from a
 * verifier's claims (new reference). rd_claims / id_claims may be NULL (= null). */
json_t *as_claims_layout(const char *tee, const json_t *claims, const json_t *rd_claims,
                         const json_t *id_claims, bool verbose);

/* as_policy.c */
AY_MUST_USE ay_err as_policy_init(struct ay_as *as, struct ay_diag *diag);
void as_policy_fini(struct ay_as *as);
/* Looks up, compiles on first use or after a change, and retains. AY_ERR_NOT_FOUND. */
AY_MUST_USE ay_err as_policy_acquire(struct ay_as *as, struct ay_ctx *ctx, const char *id,
                                     struct as_policy_ref *out);
void as_policy_put(struct as_policy_ref *ref);
/* Evaluates data.policy.<rules[i]> (at most 4) with input in one evaluation; outs[i] = the
 * value (new reference) or NULL when the rule is undefined or absent. */
AY_MUST_USE ay_err as_policy_eval(struct ay_as *as, struct ay_ctx *ctx,
                                  const struct as_policy_ref *ref, const char *const *rules,
                                  size_t n, const char *input_json, size_t input_len,
                                  json_t **outs);
/* A Cocos policy applied to evidence a verifier has accepted (the outcome, not an error, when
 * a field does not match): *out_trust = the EAR trust claims (new reference; see docs/API.md
 * "Cocos policies"), and annotated gets a "cocos" member with the result, the failing field
 * and both values. Evidence of a TEE the policy cannot apply to: AY_ERR_UNSUPPORTED (400). */
AY_MUST_USE ay_err as_cocos_apply(struct ay_ctx *ctx, const char *policy_id,
                                  enum as_policy_kind kind, struct ay_span policy_json,
                                  const char *tee, struct ay_span evidence, json_t *annotated,
                                  json_t **out_trust);
/* Policy ids and reference-value ids: 1..128 of [A-Za-z0-9._-] (the storage key rule). */
bool as_id_valid(const char *id);

/* as_rvps.c */
AY_MUST_USE ay_err as_rvps_register_builtin(struct ay_as *as, struct ay_diag *diag);
void as_rvps_fini(struct ay_as *as);
/* The stored value of a reference value, or *out = NULL when absent or expired. */
AY_MUST_USE ay_err as_rvps_query(struct ay_as *as, struct ay_arena *arena, int64_t now,
                                 const char *id, struct ay_diag *diag, json_t **out);

#endif
