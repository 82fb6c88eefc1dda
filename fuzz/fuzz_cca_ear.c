/* SPDX-License-Identifier: Apache-2.0 */
/* Targets: the remote-mode EAR handling on untrusted Veraison answers: ay_cca_remote_ear on
 * the input as a JWT (header parse, alg check, signature decode and check with a fixed test
 * key, which random input cannot pass) and ay_cca_ear_claims on the input as a decoded EAR
 * claims set (annotated-evidence extraction, base64 checks). Property: no crash, no leak, no
 * UB; failures carry a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "tee/tee_cca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A valid P-256 public point (the generator of the curve). */
static const char JWK[] =
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY\","
    "\"y\":\"T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    struct ay_arena *a = NULL;
    ay_arena_new(16 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    char *jwt = malloc(size + 1);
    if (jwt == NULL) {
        abort();
    }
    memcpy(jwt, data, size);
    jwt[size] = '\0';
    json_t *jwk = json_loads(JWK, 0, NULL);
    uint8_t expected[64] = {0};
    json_t *claims = NULL;
    if (ay_cca_remote_ear(&ctx, jwt, jwk, expected, &claims) == AY_OK) {
        json_decref(claims);
        claims = NULL;
    } else if (ctx.diag.msg[0] == '\0') {
        abort();
    }
    json_error_t jerr;
    json_t *ear = json_loadb((const char *)data, size, 0, &jerr);
    if (ear != NULL) {
        ay_diag_clear(&ctx.diag);
        if (ay_cca_ear_claims(&ctx, ear, &claims) == AY_OK) {
            json_decref(claims);
        } else if (ctx.diag.msg[0] == '\0') {
            abort();
        }
        json_decref(ear);
    }
    json_decref(jwk);
    free(jwt);
    ay_arena_free(a);
    return 0;
}
