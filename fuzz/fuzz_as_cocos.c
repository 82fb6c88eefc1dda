/* SPDX-License-Identifier: Apache-2.0 */
/* Target: the service's Cocos policy type (docs/API.md "Cocos policies"): POST /policy with
 * "type":"cocos" on any JSON (validation, stored header, GET round trip), and as_cocos_apply
 * on any policy / evidence pair (the checkers, the denial message split, the annotated-evidence
 * merge). Input: byte 0 = platform (bit 0: tdx), byte 1 = where the policy ends, then policy
 * bytes, then evidence bytes. Properties: no crash; an accepted upload reads back unchanged
 * as type cocos; an applied policy yields a trust vector of 1 (fail) or 3 (pass) claims and a
 * "cocos" member in the annotated evidence. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "as/as.h"
#include "as/as_int.h"
#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_cursor.h"
#include "base/base_log.h"
#include "codec/codec_b64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/assay-fuzz-cocos-XXXXXX";
static struct ay_as *as;

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
        fprintf(stderr, "fuzz_as_cocos: %s\n", d.msg);
        abort();
    }
    ay_as_config_free(c);
    (void)atexit(cleanup);
    return as;
}

/* POST /policy type cocos, then GET: the policy comes back unchanged with its type. */
static void upload(struct ay_as *svc, struct ay_arena *a, struct ay_span pol)
{
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_buf body;
    ay_buf_init(&body, a, (size_t)8 << 20);
    ay_buf_puts(&body, "{\"policy_id\":\"fz_cpu\",\"type\":\"cocos\",\"policy\":\"");
    ay_b64_encode(AY_B64_URL_NOPAD, pol.ptr, pol.len, &body);
    ay_buf_puts(&body, "\"}");
    if (ay_buf_finish(&body) != AY_OK) {
        return;
    }
    struct ay_buf out;
    ay_buf_init(&out, a, (size_t)8 << 20);
    if (ay_as_policy_set(svc, &ctx, ay_span_of(body.ptr, body.len), &out) != AY_OK) {
        return;
    }
    ay_ctx_init(&ctx, a);
    ay_buf_init(&out, a, (size_t)8 << 20);
    if (ay_as_policy_get(svc, &ctx, "fz_cpu", &out) != AY_OK || ay_buf_finish(&out) != AY_OK) {
        abort();
    }
    json_t *j = json_loadb(out.ptr, out.len, 0, NULL);
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *b64 = json_string_value(json_object_get(j, "policy"));
    struct ay_span back;
    if (type == NULL || strcmp(type, "cocos") != 0 || b64 == NULL ||
        ay_b64_decode(AY_B64_URL_NOPAD, b64, strlen(b64), a, &back) != AY_OK ||
        back.len != pol.len || (pol.len > 0 && memcmp(back.ptr, pol.ptr, pol.len) != 0)) {
        abort();
    }
    json_decref(j);
    ay_ctx_init(&ctx, a);
    if (ay_as_policy_delete(svc, &ctx, "fz_cpu") != AY_OK) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    struct ay_as *svc = service();
    enum as_policy_kind kind = (data[0] & 1) != 0 ? AS_POLICY_COCOS_TDX : AS_POLICY_COCOS_SNP;
    size_t split = size - 2 < (size_t)data[1] * 8 ? size - 2 : (size_t)data[1] * 8;
    struct ay_span pol = ay_span_of(data + 2, split);
    struct ay_span ev = ay_span_of(data + 2 + split, size - 2 - split);
    struct ay_arena *a = NULL;
    ay_arena_new((size_t)64 << 20, &a);
    upload(svc, a, pol);
    ay_arena_reset(a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    json_t *annotated =
        json_pack("{s:s,s:{}}", "report_data", "", kind == AS_POLICY_COCOS_TDX ? "tdx" : "snp");
    json_t *trust = NULL;
    ay_err e = as_cocos_apply(&ctx, "fz_cpu", kind, pol,
                              kind == AS_POLICY_COCOS_TDX ? "tdx" : "snp", ev, annotated, &trust);
    if (e == AY_OK) {
        size_t n = json_object_size(trust);
        if ((n != 1 && n != 3) || !json_is_object(json_object_get(annotated, "cocos"))) {
            abort();
        }
    } else if (trust != NULL) {
        abort();
    }
    json_decref(trust);
    json_decref(annotated);
    ay_arena_free(a);
    return 0;
}
