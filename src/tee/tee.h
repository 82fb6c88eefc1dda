/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier interface (CONTRACT between the service core / CLI and every TEE verifier).
 * A verifier parses untrusted evidence, checks signatures and chains to pinned roots at
 * ctx->now, checks the expected report data / init data binding (TRUSTEE.md section 3.6), and
 * returns the claims as a JSON object with Trustee's claim names (TRUSTEE.md section 7). */
#ifndef AY_TEE_TEE_H
#define AY_TEE_TEE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/base_cursor.h"
#include "base/base_err.h"

struct ay_ctx;

/* One endorsement file given by the user (CLI --endorsements) or the service configuration:
 * certificates and chains (PEM or DER), CRLs, Intel TCB-info / QE-identity JSON, CCA stores,
 * vendor certificates. Verifiers recognise the files they need by content and ignore others. */
struct ay_endorsement {
    const char *name; /* file name, for messages */
    struct ay_span bytes;
};

struct ay_tee_input {
    struct ay_span evidence;            /* decoded evidence: the JSON the service receives, or
                                           (CLI) the TEE's plain binary form */
    const struct ay_span *report_data;  /* expected runtime-data binding; NULL = not checked */
    const struct ay_span *init_data;    /* expected init-data binding; NULL = not checked */
    const struct ay_endorsement *endorsements;
    size_t n_endorsements;
    const json_t *config;               /* the verifier's config (verifier_config), may be NULL */
    bool require_collateral;            /* service default true; CLI false */
};

/* On success *out_claims is a new JSON object (caller decrefs). On failure ctx->diag says
 * what failed ("snp: VCEK signature over the report does not verify"). */
typedef ay_err ay_tee_verify_fn(struct ay_ctx *ctx, const struct ay_tee_input *in,
                                json_t **out_claims);

struct ay_tee {
    const char *name;        /* Trustee's name: "sample", "snp", "tdx", "az-snp-vtpm", ... */
    const char *device_class; /* "cpu" for CPU TEEs, "gpu", ... (policy id suffix rule) */
    ay_tee_verify_fn *verify;
};

/* The registered verifier of that name, or NULL. */
const struct ay_tee *ay_tee_find(const char *name);
/* Every registered verifier, NULL-terminated. */
const struct ay_tee *const *ay_tee_all(void);

/* For a TEE name that Trustee knows but assay does not verify (yet): what it is, for a clear
 * "not supported" error (issue: `se` must not look like a typo). NULL for other names. */
const char *ay_tee_unsupported(const char *name);

#endif
