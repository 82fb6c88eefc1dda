/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_snp_json_load, ay_snp_json_bytes and ay_snp_json_str (the fast path of
 * the SNP and Azure vTPM evidence JSON for byte arrays and long base64 / hex strings,
 * tee_snp_verifier.c), differential against jansson.
 * Properties: the input parses with the fast path exactly when jansson parses it (same flags);
 * when it does, the tree with every placeholder expanded back (into an array of integers or a
 * string) is json_equal to jansson's tree of the input; every byte array and string read back
 * equals jansson's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "tee/tee_snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A copy of v with placeholders of j expanded into arrays of integers. */
static json_t *expand(struct ay_ctx *ctx, const struct ay_snp_json *j, json_t *v)
{
    struct ay_span b;
    if (json_is_string(v) && ay_snp_json_bytes(ctx, j, v, &b)) {
        json_t *a = json_array();
        for (size_t i = 0; i < b.len; i++) {
            json_array_append_new(a, json_integer(b.ptr[i]));
        }
        return a;
    }
    if (json_is_string(v) && ay_snp_json_str(j, v, &b)) {
        return json_stringn((const char *)b.ptr, b.len);
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_array_append_new(a, expand(ctx, j, json_array_get(v, i)));
        }
        return a;
    }
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e)
        {
            json_object_set_new(o, k, expand(ctx, j, e));
        }
        return o;
    }
    return json_incref(v);
}

/* Every byte array of the plain tree reads back the same through the fast tree. */
static void same_bytes(struct ay_ctx *ctx, const struct ay_snp_json *j, json_t *fast, json_t *plain)
{
    struct ay_span a;
    struct ay_span b;
    if (ay_snp_json_bytes(ctx, NULL, plain, &a)) {
        if (!ay_snp_json_bytes(ctx, j, fast, &b) || a.len != b.len ||
            (a.len > 0 && memcmp(a.ptr, b.ptr, a.len) != 0)) {
            abort();
        }
    }
    if (ay_snp_json_str(NULL, plain, &a)) {
        if (!ay_snp_json_str(j, fast, &b) || a.len != b.len ||
            (a.len > 0 && memcmp(a.ptr, b.ptr, a.len) != 0)) {
            abort();
        }
    }
    if (json_is_array(plain)) {
        for (size_t i = 0; i < json_array_size(plain); i++) {
            same_bytes(ctx, j, json_array_get(fast, i), json_array_get(plain, i));
        }
    } else if (json_is_object(plain)) {
        const char *k;
        json_t *e;
        json_object_foreach(plain, k, e)
        {
            same_bytes(ctx, j, json_object_get(fast, k), e);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    struct ay_arena *arena;
    ay_arena_new(4 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    size_t flags = (size > 0 && (data[0] & 1)) ? JSON_REJECT_DUPLICATES : 0;
    json_error_t jerr;
    struct ay_snp_json js;
    if (ay_snp_json_load(&ctx, ay_span_of(data, size), flags, &js, &jerr) != AY_OK) {
        abort(); /* only the arena can fail, and 4 MB holds the decoded bytes of 64 KB */
    }
    json_t *plain = json_loadb((const char *)data, size, flags, &jerr);
    if ((plain == NULL) != (js.root == NULL)) {
        abort();
    }
    if (plain != NULL) {
        json_t *back = expand(&ctx, &js, js.root);
        if (!json_equal(back, plain)) {
            abort();
        }
        json_decref(back);
        same_bytes(&ctx, &js, js.root, plain);
    }
    json_decref(plain);
    ay_snp_json_free(&js);
    ay_arena_free(arena);
    return 0;
}
