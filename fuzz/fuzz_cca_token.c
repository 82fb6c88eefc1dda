/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_tee_cca_verify (evidence JSON or raw token, collection, COSE_Sign1 and
 * claims decoding up to the trust-anchor lookup), ay_cca_platform_parse, ay_cca_realm_parse,
 * ay_cose_key_decode on the raw input. Property: no crash, no leak, no UB; failures carry a
 * message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "crypto/crypto_cose.h"
#include "tee/tee.h"
#include "tee/tee_cca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    struct ay_arena *a = NULL;
    ay_arena_new(16 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_tee_input in = {.evidence = ay_span_of(data, size)};
    json_t *claims = NULL;
    if (ay_tee_cca_verify(&ctx, &in, &claims) == AY_OK) {
        abort(); /* no trust anchor was given: nothing can verify */
    }
    if (ctx.diag.msg[0] == '\0') {
        abort();
    }
    struct ay_diag d;
    ay_diag_clear(&d);
    cbor_item_t *it = NULL;
    struct ay_cca_platform *p = calloc(1, sizeof *p);
    if (p == NULL) {
        abort();
    }
    if (ay_cca_platform_parse(&d, ay_span_of(data, size), &it, p) == AY_OK) {
        cbor_decref(&it);
    }
    free(p);
    struct ay_cca_realm r;
    if (ay_cca_realm_parse(&d, ay_span_of(data, size), &it, &r) == AY_OK) {
        cbor_decref(&it);
    }
    struct ay_pkey *k = NULL;
    if (ay_cose_key_decode(&d, ay_span_of(data, size), &k) == AY_OK) {
        ay_pkey_free(k);
    }
    ay_arena_free(a);
    return 0;
}
