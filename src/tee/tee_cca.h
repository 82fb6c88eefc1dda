/* SPDX-License-Identifier: Apache-2.0 */
/* The Arm CCA verifier (CCA-KBS.md sections 1.1-1.6; TRUSTEE.md section 7.7). Local mode:
 * the token collection (tag 399 or 907), the platform COSE_Sign1 verified by the CPAK of a
 * trust-anchor store (Trustee's ccatoken ta-store JSON), the realm COSE_Sign1 verified by the
 * RAK it carries, the RAK-hash binding, the realm challenge and personalization value
 * bindings, and Trustee's claims; appraisal of the platform software components and the
 * realm measurements against a ccatoken reference-value store (tee_cca_rv.c) with the trust
 * vectors ccatoken computes; remote mode through Veraison's challenge-response API
 * (tee_cca_remote.c). */
#ifndef AY_TEE_TEE_CCA_H
#define AY_TEE_TEE_CCA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cbor.h>
#include <jansson.h>

#include "base/base_cursor.h"
#include "base/base_err.h"
#include "base/base_limits.h"
#include "tee/tee.h"

#define AY_CCA_TAG_LEGACY 399 /* EAT collection */
#define AY_CCA_TAG_CMW    907 /* CMW collection (RMM 2.0) */
#define AY_CCA_MAX_SW     AY_LIMIT_CCA_SW_COMPONENTS

/* The two signed tokens of a collection; spans borrowed from the decoded item. */
struct ay_cca_collection {
    uint64_t tag;
    struct ay_span platform; /* tagged COSE_Sign1 bytes */
    struct ay_span realm;
};

struct ay_cca_sw_component {
    struct ay_span type;        /* 1, optional */
    struct ay_span measurement; /* 2 */
    struct ay_span version;     /* 4, optional */
    struct ay_span signer_id;   /* 5 */
    struct ay_span hash_algo;   /* 6, optional */
};

/* Platform claims (CCA-KBS.md section 1.2); spans borrowed from the claims item. */
struct ay_cca_platform {
    struct ay_span profile;
    struct ay_span challenge;
    struct ay_span implementation_id;
    struct ay_span instance_id;
    struct ay_span config;
    uint64_t lifecycle;
    struct ay_span hash_algo;
    struct ay_span service_indicator; /* optional, len 0 when absent */
    struct ay_cca_sw_component sw[AY_CCA_MAX_SW];
    size_t n_sw;
};

/* Realm claims (CCA-KBS.md section 1.3). */
struct ay_cca_realm {
    struct ay_span challenge;
    bool has_profile;
    struct ay_span profile;
    struct ay_span personalization_value;
    struct ay_span initial_measurement;
    struct ay_span extensible_measurements[4];
    struct ay_span hash_algo;
    struct ay_span public_key; /* 44237 content: raw point, or an encoded COSE_Key */
    struct ay_span public_key_hash_algo;
};

/* Decodes the top level (CCA-KBS.md section 1.5 step 1). *out_item keeps *out alive (release
 * it with ay_cbor_free). AY_ERR_LIBRARY when libcbor cannot be loaded, as for the two below. */
AY_MUST_USE ay_err ay_cca_collection_decode(struct ay_diag *d, struct ay_span in,
                                            cbor_item_t **out_item, struct ay_cca_collection *out);
/* Decodes and validates claims payloads (step 3). *out_item keeps *out alive. */
AY_MUST_USE ay_err ay_cca_platform_parse(struct ay_diag *d, struct ay_span payload,
                                         cbor_item_t **out_item, struct ay_cca_platform *out);
AY_MUST_USE ay_err ay_cca_realm_parse(struct ay_diag *d, struct ay_span payload,
                                      cbor_item_t **out_item, struct ay_cca_realm *out);

/* ---- appraisal (CCA-KBS.md section 1.5 steps 4-11, section 2.3) ---- */

/* AR4SI trustworthiness claims, in the EAR order. */
enum ay_ar4si {
    AY_TV_INSTANCE_IDENTITY,
    AY_TV_CONFIGURATION,
    AY_TV_EXECUTABLES,
    AY_TV_FILE_SYSTEM,
    AY_TV_HARDWARE,
    AY_TV_RUNTIME_OPAQUE,
    AY_TV_STORAGE_OPAQUE,
    AY_TV_SOURCED_DATA,
    AY_TV_COUNT
};

/* A trust vector: only the claims whose bit is in `set` were assigned (rust-ear emits only
 * those). */
struct ay_cca_tv {
    int8_t v[AY_TV_COUNT];
    uint8_t set;
};

/* What ccatoken's verify + appraise leave in the two submods of the internal EAR Trustee's
 * local mode builds (CCA_SSD_PLATFORM, CCA_REALM). */
struct ay_cca_appraisal {
    struct ay_cca_tv platform;
    struct ay_cca_tv realm;
    bool appraised;        /* a reference-value store was given */
    bool platform_matched; /* a platform RV matched (config and sw-components) */
    bool realm_matched;    /* the RIM is endorsed */
};

void ay_cca_tv_set(struct ay_cca_tv *tv, enum ay_ar4si claim, int8_t value);
/* "none", "affirming", "warning" or "contraindicated": the worst tier (section 2.3). */
const char *ay_cca_tv_status(const struct ay_cca_tv *tv);
/* {"instance-identity": 2, ...} with the set claims only, in EAR order. New reference. */
json_t *ay_cca_tv_json(const struct ay_cca_tv *tv);

/* A reference-value store: {"platform": [...], "realm": [...]} (section 1.6 rvstore.json;
 * hex upper or lower case). */
bool ay_cca_is_rv_store(const json_t *doc);
AY_MUST_USE ay_err ay_cca_rv_check(struct ay_diag *d, const json_t *doc);
/* Appraises verified claims against the stores (n_docs may be 0: nothing is matched) and
 * fills the vectors as rust-ccatoken does after a successful verify: platform matched ->
 * instance 2, hardware 2, executables 3, configuration 2, runtime-opaque 32; not matched ->
 * hardware 97 and the realm vector reset; realm: instance 2, executables 2 (RIM and all REMs
 * endorsed), 3 (RIM endorsed, no REMs listed), 96 (REM mismatch) or -97 (RIM unknown).
 * AY_ERR_CONFIG for a malformed store. */
AY_MUST_USE ay_err ay_cca_appraise(struct ay_diag *d, const json_t *const *docs, size_t n_docs,
                                   const struct ay_cca_platform *p, const struct ay_cca_realm *r,
                                   struct ay_cca_appraisal *out);
/* Trustee's internal EAR submods {"CCA_SSD_PLATFORM": {"ear.status", "ear.trustworthiness-
 * vector"}, "CCA_REALM": {...}} (section 1.6 local step 5). New reference. */
json_t *ay_cca_appraisal_json(const struct ay_cca_appraisal *a);

/* ---- remote mode (Veraison, CCA-KBS.md section 1.6 "Remote mode") ---- */

struct ay_cca_remote_cfg {
    const char *address; /* base URL, e.g. https://veraison.example:8443 */
    const char *ca_cert; /* PEM file for the TLS server certificate, or NULL */
    long timeout_s;      /* per HTTP request; 0 = 30 */
};

/* Sends the token to Veraison with the nonce `expected` (64 bytes), verifies the EAR JWT
 * (ES256, the key from the discovery document) and its eat_nonce, and builds Trustee's claims
 * from the annotated evidence. AY_ERR_NETWORK for transport and HTTP errors. */
AY_MUST_USE ay_err ay_cca_remote_verify(struct ay_ctx *ctx, const struct ay_cca_remote_cfg *cfg,
                                        struct ay_span token, const uint8_t expected[64],
                                        json_t **out_claims);

/* Steps 4-6 on an EAR JWT: ES256 signature by jwk, eat_nonce == expected, then the claims. */
AY_MUST_USE ay_err ay_cca_remote_ear(struct ay_ctx *ctx, const char *jwt, const json_t *jwk,
                                     const uint8_t expected[64], json_t **out_claims);
/* Trustee's claims from the CCA_SSD_PLATFORM / CCA_REALM annotated evidence of a decoded EAR
 * claims set (base64 values checked). */
AY_MUST_USE ay_err ay_cca_ear_claims(struct ay_ctx *ctx, const json_t *ear, json_t **out);

/* The verifier; when out_appraisal is not NULL it receives the trust vectors (local mode). */
AY_MUST_USE ay_err ay_tee_cca_verify_ex(struct ay_ctx *ctx, const struct ay_tee_input *in,
                                        json_t **out_claims,
                                        struct ay_cca_appraisal *out_appraisal);

ay_tee_verify_fn ay_tee_cca_verify;

#endif
