/* SPDX-License-Identifier: Apache-2.0 */
/* The Arm CCA verifier, local mode (CCA-KBS.md sections 1.1-1.6; TRUSTEE.md section 7.7):
 * the token collection (tag 399 or 907), the platform COSE_Sign1 verified by the CPAK of a
 * trust-anchor store (Trustee's ccatoken ta-store JSON), the realm COSE_Sign1 verified by the
 * RAK it carries, the RAK-hash binding, the realm challenge and personalization value
 * bindings, and Trustee's claims. Remote (Veraison) mode and reference-value appraisal are
 * not implemented yet. */
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

/* Decodes the top level (CCA-KBS.md section 1.5 step 1). *out_item keeps *out alive. */
AY_MUST_USE ay_err ay_cca_collection_decode(struct ay_diag *d, struct ay_span in,
                                            cbor_item_t **out_item, struct ay_cca_collection *out);
/* Decodes and validates claims payloads (step 3). *out_item keeps *out alive. */
AY_MUST_USE ay_err ay_cca_platform_parse(struct ay_diag *d, struct ay_span payload,
                                         cbor_item_t **out_item, struct ay_cca_platform *out);
AY_MUST_USE ay_err ay_cca_realm_parse(struct ay_diag *d, struct ay_span payload,
                                      cbor_item_t **out_item, struct ay_cca_realm *out);

ay_tee_verify_fn ay_tee_cca_verify;

#endif
