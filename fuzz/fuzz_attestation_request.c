/* SPDX-License-Identifier: Apache-2.0 */
/* Target: ay_as_attest (request JSON parsing, base64, runtime/init data, the sample verifier,
 * policy and token) on any body, with a service on the memory store. Also ay_as_challenge and
 * ay_as_rv_register, which parse the other request bodies. Property: no crash; a token only
 * on success. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as/as.h"
#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_cursor.h"
#include "base/base_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/assay-fuzz-XXXXXX";
static struct ay_as *as;

/* The service generated its token key in a temporary work directory: remove both. */
static void cleanup(void)
{
    char key[sizeof dir + 32];
    ay_as_free(as);
    as = NULL;
    (void)snprintf(key, sizeof key, "%s/token-es256.pem", dir);
    (void)unlink(key);
    (void)rmdir(dir);
}

static struct ay_as *service(void)
{
    if (as != NULL) {
        return as;
    }
    ay_log_set_level(AY_LOG_ERROR);
    if (mkdtemp(dir) == NULL) {
        abort();
    }
    char cfg[256];
    (void)snprintf(cfg, sizeof cfg,
                   "{\"work_dir\":\"%s\",\"storage_backend\":{\"storage_type\":\"Memory\"}}", dir);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_as_config *c = NULL;
    if (ay_as_config_parse(cfg, strlen(cfg), &d, &c) != AY_OK || ay_as_new(c, &d, &as) != AY_OK) {
        fprintf(stderr, "fuzz_attestation_request: %s\n", d.msg);
        abort();
    }
    ay_as_config_free(c);
    (void)atexit(cleanup);
    return as;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ay_as *svc = service();
    struct ay_arena *a = NULL;
    ay_arena_new((size_t)64 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_buf out;
    ay_buf_init(&out, a, (size_t)16 << 20);
    struct ay_as_attest_info info;
    ay_err e = ay_as_attest(svc, &ctx, ay_span_of(data, size), &out, &info);
    if ((e == AY_OK) != (out.len > 0) || (e == AY_OK) != info.accepted || info.tee == NULL) {
        abort();
    }
    ay_arena_reset(a);
    ay_ctx_init(&ctx, a);
    ay_buf_init(&out, a, 1 << 20);
    if (ay_as_challenge(svc, &ctx, ay_span_of(data, size), &out) == AY_OK && out.len != 0) {
        abort(); /* only se has a challenge, and se is refused */
    }
    ay_arena_free(a);
    return 0;
}
