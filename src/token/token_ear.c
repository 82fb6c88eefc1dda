/* SPDX-License-Identifier: Apache-2.0 */
/* EAR claims (TRUSTEE.md sections 4.2, CCA-KBS.md section 2): appraisals built from the
 * policy's trust_claims and extensions, the status roll-up over AR4SI tiers, and the claims
 * set in Trustee's key order. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "token/token.h"

/* CCA-KBS.md section 2.3: the eight AR4SI claims, in the order the EAR serializers emit them. */
static const char *const claim_names[] = {
    "instance-identity", "configuration",  "executables",    "file-system",
    "hardware",          "runtime-opaque", "storage-opaque", "sourced-data",
};
#define N_CLAIMS (sizeof claim_names / sizeof claim_names[0])

/* TRUSTEE.md section 4.2, tier of a claim value: -1..1 none, -32..31 affirming, -96..95
 * warning, else contraindicated. */
static int tier(int v)
{
    if (v >= -1 && v <= 1) {
        return 0;
    }
    if (v >= -32 && v <= 31) {
        return 1;
    }
    if (v >= -96 && v <= 95) {
        return 2;
    }
    return 3;
}

static const char *const tier_names[] = {"none", "affirming", "warning", "contraindicated"};

static int claim_index(const char *name)
{
    for (size_t i = 0; i < N_CLAIMS; i++) {
        if (strcmp(claim_names[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static ay_err add_extensions(json_t *appraisal, const json_t *extensions, struct ay_diag *diag)
{
    if (extensions == NULL || json_is_null(extensions)) {
        return AY_OK;
    }
    if (!json_is_array(extensions)) {
        return FAIL(diag, AY_ERR_POLICY_EVAL, "data.policy.extensions must be an array");
    }
    size_t i;
    const json_t *e;
    json_t *seen_keys = json_object();
    ay_err err = AY_OK;
    json_array_foreach(extensions, i, e)
    {
        const json_t *name = json_object_get(e, "name");
        const json_t *key = json_object_get(e, "key");
        const json_t *value = json_object_get(e, "value");
        if (!json_is_object(e) || !json_is_string(name) || !json_is_integer(key) || value == NULL ||
            json_integer_value(key) < INT32_MIN || json_integer_value(key) > INT32_MAX) {
            err = FAIL(diag, AY_ERR_POLICY_EVAL,
                       "extension %zu is not {\"name\": string, \"key\": i32, \"value\": any}", i);
            break;
        }
        char keytxt[32];
        (void)snprintf(keytxt, sizeof keytxt, "%" JSON_INTEGER_FORMAT, json_integer_value(key));
        const char *nm = json_string_value(name);
        if (json_object_get(seen_keys, keytxt) != NULL || json_object_get(appraisal, nm) != NULL) {
            err =
                FAIL(diag, AY_ERR_POLICY_EVAL, "duplicate extension name %s or key %s", nm, keytxt);
            break;
        }
        json_object_set_new(seen_keys, keytxt, json_true());
        if (!json_is_null(value)) {
            json_object_set(appraisal, nm, (json_t *)(uintptr_t)value);
        }
    }
    json_decref(seen_keys);
    return err;
}

ay_err ay_token_ear_appraisal(const json_t *trust_claims, const json_t *extensions,
                              const char *policy_id, json_t *annotated, struct ay_diag *diag,
                              json_t **out)
{
    int values[N_CLAIMS];
    bool set[N_CLAIMS];
    memset(set, 0, sizeof set);
    memset(values, 0, sizeof values);
    if (trust_claims == NULL || json_is_null(trust_claims)) {
        /* Rule undefined: every claim 0 (TRUSTEE.md section 4.2), status none. */
        for (size_t i = 0; i < N_CLAIMS; i++) {
            set[i] = true;
        }
    } else {
        if (!json_is_object(trust_claims)) {
            return FAIL(diag, AY_ERR_POLICY_EVAL, "data.policy.trust_claims must be an object");
        }
        if (json_object_size(trust_claims) == 0) {
            return FAIL(diag, AY_ERR_POLICY_EVAL, "At least one policy claim must be set.");
        }
        const char *name;
        const json_t *v;
        json_object_foreach((json_t *)(uintptr_t)trust_claims, name, v)
        {
            int idx = claim_index(name);
            if (idx < 0) {
                /* Trustee panics here; a clean error is the safe equivalent. */
                return FAIL(diag, AY_ERR_POLICY_EVAL, "unknown trust claim %s", name);
            }
            if (!json_is_integer(v)) {
                return FAIL(diag, AY_ERR_POLICY_EVAL, "Trust claim value not number");
            }
            /* Cast to i8 with wrap-around as Trustee's `as i8`. */
            values[idx] = (int)(int8_t)(uint8_t)((uint64_t)json_integer_value(v) & 0xFFu);
            set[idx] = true;
        }
    }
    int worst = 0;
    json_t *tv = json_object();
    for (size_t i = 0; i < N_CLAIMS; i++) {
        if (set[i]) {
            json_object_set_new(tv, claim_names[i], json_integer(values[i]));
            int t = tier(values[i]);
            worst = t > worst ? t : worst;
        }
    }
    json_t *a = json_object();
    json_object_set_new(a, "ear.status", json_string(tier_names[worst]));
    json_object_set_new(a, "ear.trustworthiness-vector", tv);
    json_object_set_new(a, "ear.appraisal-policy-id", json_string(policy_id));
    json_object_set(a, "ear.veraison.annotated-evidence", annotated);
    ay_err err = add_extensions(a, extensions, diag);
    if (err != AY_OK) {
        json_decref(a);
        return err;
    }
    *out = a;
    return AY_OK;
}

const char *ay_token_ear_status(const json_t *appraisal)
{
    const char *s = json_string_value(json_object_get(appraisal, "ear.status"));
    return s != NULL ? s : "none";
}

json_t *ay_token_ear_claims(const struct ay_ear_params *p, json_t *submods)
{
    json_t *c = json_object();
    json_object_set_new(c, "eat_profile", json_string(p->profile));
    json_object_set_new(c, "iat", json_integer(p->iat));
    json_object_set_new(c, "ear.verifier-id",
                        json_pack("{s:s,s:s}", "developer", p->developer, "build", p->build));
    json_object_set(c, "submods", submods);
    json_object_set_new(c, "exp", json_integer(p->iat + p->duration_min * 60));
    json_object_set_new(c, "iss", json_string(p->issuer));
    return c;
}
