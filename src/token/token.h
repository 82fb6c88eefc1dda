/* SPDX-License-Identifier: Apache-2.0 */
/* Attestation tokens: the signer (key from config, else generated once and kept in the work
 * directory), JWT signing and verification (RFC 7515/7519), the EAR claims (TRUSTEE.md
 * sections 4.1-4.3, CCA-KBS.md section 2) and the legacy "simple" token (TRUSTEE.md 4.4). */
#ifndef AY_TOKEN_TOKEN_H
#define AY_TOKEN_TOKEN_H

#include <stdint.h>

#include <jansson.h>

#include "base/base_err.h"
#include "crypto/crypto_sign.h"

struct ay_buf;
struct ay_token_signer;

/* Where the signing key comes from. key_path NULL: "<work_dir>/token-es256.pem" (or
 * token-rs384.pem), created with mode 0600 on first use and reused afterwards. cert_path:
 * PEM chain for the JWK "x5c"; cert_url: JWK "x5u". */
struct ay_token_signer_opts {
    enum ay_sign_alg alg;
    const char *key_path;
    const char *cert_path;
    const char *cert_url;
    const char *work_dir;
};

AY_MUST_USE ay_err ay_token_signer_new(const struct ay_token_signer_opts *o, struct ay_diag *diag,
                                       struct ay_token_signer **out);
void ay_token_signer_free(struct ay_token_signer *s);
/* The public JWK as put in headers and the JWKS (borrowed). */
const json_t *ay_token_signer_jwk(const struct ay_token_signer *s);
/* The path of the key file in use, for logs (never the key). */
const char *ay_token_signer_key_path(const struct ay_token_signer *s);

/* Appends header.payload.signature; header = {"typ":"JWT","alg":...,"jwk":...}. */
AY_MUST_USE ay_err ay_token_jwt_sign(const struct ay_token_signer *s, const json_t *claims,
                                     struct ay_buf *out, struct ay_diag *diag);

/* Verifies a compact JWS. The key: the JWK of jwks ({"keys":[...]}) that verifies, or the
 * header's own jwk when jwks is NULL. Checks alg (ES256/RS384 only) and, when now > 0, exp
 * and nbf. New references in *out_header and *out_claims. */
AY_MUST_USE ay_err ay_token_jwt_verify(const char *jwt, size_t len, const json_t *jwks, int64_t now,
                                       struct ay_diag *diag, json_t **out_header,
                                       json_t **out_claims);

/* EAR (TRUSTEE.md section 4.2). */
struct ay_ear_params {
    const char *profile;   /* eat_profile */
    const char *issuer;    /* iss */
    const char *developer; /* ear.verifier-id.developer */
    const char *build;     /* ear.verifier-id.build */
    int64_t iat;
    int64_t duration_min;
};

/* One appraisal from the policy results. trust_claims: the value of data.policy.trust_claims
 * (NULL when the rule is undefined: every claim 0); extensions: data.policy.extensions or
 * NULL. annotated is the section 3.8 claims object (a reference is taken). Errors are Trustee's:
 * "Trust claim value not number", "At least one policy claim must be set.", unknown claim. */
AY_MUST_USE ay_err ay_token_ear_appraisal(const json_t *trust_claims, const json_t *extensions,
                                          const char *policy_id, json_t *annotated,
                                          struct ay_diag *diag, json_t **out);
/* The "ear.status" of an appraisal ("none" when absent). */
const char *ay_token_ear_status(const json_t *appraisal);
/* The EAR claims set around submods (a reference is taken), keys in Trustee's order. */
json_t *ay_token_ear_claims(const struct ay_ear_params *p, json_t *submods);

/* The simple token's claims (TRUSTEE.md section 4.4, the 2024-10..2025-10 era). flat_claims:
 * the flattened claims (tcb-status, a JSON-encoded string); policy_hash: sha384 hex. */
struct ay_simple_params {
    const char *issuer;
    int64_t iat;
    int64_t duration_min;
    const char *tee;
    const char *policy_id;
    const char *policy_hash;
    const json_t *init_data;    /* customized_claims.init_data (may be NULL = null) */
    const json_t *runtime_data; /* customized_claims.runtime_data (may be NULL = null) */
};

/* Flattens a section 3.8 claims object: "tee." + dotted path per leaf; arrays kept whole;
 * report_data / init_data unprefixed; runtime_data_claims / init_data_claims left out. */
json_t *ay_token_simple_flatten(const json_t *claims, const char *tee);
AY_MUST_USE ay_err ay_token_simple_claims(const struct ay_simple_params *p,
                                          const json_t *flat_claims, struct ay_diag *diag,
                                          json_t **out);

#endif
