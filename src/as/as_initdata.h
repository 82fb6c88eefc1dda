/* SPDX-License-Identifier: Apache-2.0 */
/* Init data in TOML form (TRUSTEE.md section 3.4): {version, algorithm, data}. The expected
 * value is algorithm(the whole TOML text); the claims are the data map, with the agent policy's
 * `policy_data := {...}` object lifted to agent_policy_claims. */
#ifndef AY_AS_AS_INITDATA_H
#define AY_AS_AS_INITDATA_H

#include <stddef.h>

#include <jansson.h>

#include "base/base_err.h"
#include "crypto/crypto_digest.h"

struct ay_diag;

/* Reads the subset of TOML that init data uses: top-level `key = "string"` pairs and one
 * [data] table whose values are strings (basic, literal, and both multi-line forms). Other
 * tables are skipped. *out_claims: new object (the transformed data map). */
AY_MUST_USE ay_err ay_initdata_toml_parse(const char *text, size_t len, struct ay_diag *diag,
                                          enum ay_hash *out_alg, json_t **out_claims);

#endif
