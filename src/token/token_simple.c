/* SPDX-License-Identifier: Apache-2.0 */
/* The legacy "simple" token's claims (TRUSTEE.md section 4.4, the era 2024-10 to 2025-10 with
 * the RSA JWK in the header): iss, iat, jti, nbf, exp, tee, evaluation-reports, tcb-status (a
 * JSON-encoded string of the flattened claims), customized_claims. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_buf.h"
#include "base/base_limits.h"
#include "codec/codec_jcs.h"
#include "token/token.h"

#define FLAT_DEPTH 64

static void flatten(json_t *out, const json_t *v, char *path, size_t len, size_t cap, int depth)
{
    if (json_is_object(v) && depth < FLAT_DEPTH) {
        const char *k;
        const json_t *m;
        json_object_foreach((json_t *)(uintptr_t)v, k, m)
        {
            int n = snprintf(path + len, cap - len, "%s%s", len > 0 ? "." : "", k);
            if (n < 0 || (size_t)n >= cap - len) {
                continue; /* an absurdly long path is left out rather than cut */
            }
            flatten(out, m, path, len + (size_t)n, cap, depth + 1);
        }
        path[len] = '\0';
        return;
    }
    json_object_set(out, path, (json_t *)(uintptr_t)v);
}

json_t *ay_token_simple_flatten(const json_t *claims, const char *tee)
{
    json_t *out = json_object();
    char path[1024];
    const char *k;
    const json_t *m;
    json_object_foreach((json_t *)(uintptr_t)claims, k, m)
    {
        if (strcmp(k, "report_data") == 0 || strcmp(k, "init_data") == 0) {
            json_object_set(out, k, (json_t *)(uintptr_t)m);
            continue;
        }
        if (strcmp(k, "runtime_data_claims") == 0 || strcmp(k, "init_data_claims") == 0) {
            continue; /* these go to customized_claims */
        }
        /* The section 3.8 layout already nests the TEE's claims under its name. */
        int n = strcmp(k, tee) == 0 ? snprintf(path, sizeof path, "%s", tee)
                                    : snprintf(path, sizeof path, "%s.%s", tee, k);
        if (n < 0 || (size_t)n >= sizeof path) {
            continue;
        }
        flatten(out, m, path, (size_t)n, sizeof path, 0);
    }
    return out;
}

/* jti: 10 random alphanumerics, as the historical token. The source is not security relevant
 * but the CSPRNG is at hand and avoids rand(). */
static void make_jti(char out[11])
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[10];
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_sign_random(r, sizeof r, &d) != AY_OK) {
        memset(r, 0, sizeof r);
    }
    for (size_t i = 0; i < 10; i++) {
        out[i] = alnum[r[i] % (sizeof alnum - 1)];
    }
    out[10] = '\0';
}

ay_err ay_token_simple_claims(const struct ay_simple_params *p, const json_t *flat_claims,
                              struct ay_diag *diag, json_t **out)
{
    struct ay_buf tcb;
    ay_buf_init(&tcb, NULL, AY_LIMIT_JWT);
    if (ay_json_dump(flat_claims, JSON_COMPACT, &tcb) != AY_OK) {
        ay_buf_free(&tcb);
        return FAIL(diag, AY_ERR_LIMIT, "tcb-status serialization");
    }
    char jti[11];
    make_jti(jti);
    json_t *c = json_object();
    json_object_set_new(c, "iss", json_string(p->issuer));
    json_object_set_new(c, "iat", json_integer(p->iat));
    json_object_set_new(c, "jti", json_string(jti));
    json_object_set_new(c, "nbf", json_integer(p->iat));
    json_object_set_new(c, "exp", json_integer(p->iat + p->duration_min * 60));
    json_object_set_new(c, "tee", json_string(p->tee));
    json_object_set_new(
        c, "evaluation-reports",
        json_pack("[{s:s,s:s}]", "policy-id", p->policy_id, "policy-hash", p->policy_hash));
    json_object_set_new(c, "tcb-status", json_stringn(tcb.ptr, tcb.len));
    ay_buf_free(&tcb);
    json_t *cc = json_object();
    json_object_set(cc, "init_data",
                    p->init_data != NULL ? (json_t *)(uintptr_t)p->init_data : json_null());
    json_object_set(cc, "runtime_data",
                    p->runtime_data != NULL ? (json_t *)(uintptr_t)p->runtime_data : json_null());
    json_object_set_new(c, "customized_claims", cc);
    *out = c;
    return AY_OK;
}
