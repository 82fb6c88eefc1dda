/* SPDX-License-Identifier: Apache-2.0 */
/* Attestation policies (TRUSTEE.md section 5.1): stored as Rego source in the store namespace
 * attestation_service_policy, compiled when loaded, the compiled form cached per id and shared
 * read-only by concurrent requests (retain/release; a new upload swaps the entry). Only this
 * process writes the store (the SQLite file is opened with locking_mode=EXCLUSIVE, the memory
 * store is private), and every write goes through POST and DELETE /policy here, which update
 * or drop the cached entry: so a cached policy is used without reading the store again (a
 * store read per attestation was a tenth of its cost). */
#include <stdio.h>
#include <string.h>

#include "as/as.h"
#include "as/as_defaults.h"
#include "as/as_int.h"
#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_cursor.h"
#include "base/base_limits.h"
#include "base/base_log.h"
#include "base/base_mem.h"
#include "base/base_str.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_digest.h"
#include "rego/rego.h"
#include "store/store.h"

bool as_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > AY_LIMIT_STORE_ID) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)id[i];
        if (!ay_is_alnum(c) && c != '_' && c != '-' && c != '.') {
            return false;
        }
    }
    return strcmp(id, ".") != 0 && strcmp(id, "..") != 0;
}

static void join_lines(const char *const *lines, struct ay_buf *out)
{
    for (size_t i = 0; lines[i] != NULL; i++) {
        ay_buf_puts(out, lines[i]);
        ay_buf_putc(out, '\n');
    }
}

/* Rego v1 first (Trustee's defaults `import rego.v1`); sources written for v0 (rules without
 * `if`, as several Trustee test policies) are accepted too, as regorus does. The v1 message
 * is the one reported when neither compiles. */
static ay_err compile(struct ay_as *as, const char *id, const char *src, size_t len,
                      struct ay_diag *diag, struct ay_rego_policy **out)
{
    char name[AY_LIMIT_STORE_ID + 8];
    (void)snprintf(name, sizeof name, "%s.rego", id);
    struct ay_rego_module_src mod = {name, src, len};
    struct ay_rego_compile_opts o = {AY_REGO_V1, as->builtins};
    struct ay_diag d1;
    ay_diag_clear(&d1);
    ay_err err = ay_rego_compile(&mod, 1, &o, &d1, out);
    if (err == AY_OK) {
        return AY_OK;
    }
    struct ay_diag d0;
    ay_diag_clear(&d0);
    o.syntax = AY_REGO_V0;
    if (ay_rego_compile(&mod, 1, &o, &d0, out) == AY_OK) {
        return AY_OK;
    }
    return FAIL(diag, AY_ERR_POLICY_COMPILE, "%s", ay_diag_message(&d1));
}

static void entry_free(struct as_policy_entry *e)
{
    if (e == NULL) {
        return;
    }
    ay_rego_policy_release(e->policy);
    ay_free(e->id);
    ay_free(e->source);
    ay_free(e);
}

static void hash_hex(const char *src, size_t len, char out[97])
{
    uint8_t h[48];
    out[0] = '\0';
    if (ay_hash(AY_HASH_SHA384, src, len, h) == AY_OK) {
        ay_hex_encode(h, sizeof h, out);
    }
}

/* Puts a freshly compiled policy into the cache (replacing any entry of that id). With
 * only_if_gen, only when no policy was written or deleted since the generation *only_if_gen
 * was read (a request that loaded the source from the store just before a POST or DELETE
 * must not put the old policy back); returns whether it was put. */
static bool cache_put(struct ay_as *as, const char *id, const char *src, size_t len,
                      struct ay_rego_policy *p, const uint64_t *only_if_gen)
{
    struct as_policy_entry *e = ay_xcalloc(1, sizeof *e);
    e->id = ay_xstrdup(id);
    e->source = ay_xstrndup(src, len);
    e->source_len = len;
    e->policy = p;
    hash_hex(src, len, e->sha384_hex);
    struct as_policy_entry *old = NULL;
    (void)pthread_mutex_lock(&as->cache_lock);
    if (only_if_gen != NULL && *only_if_gen != as->policy_gen) {
        (void)pthread_mutex_unlock(&as->cache_lock);
        e->policy = NULL; /* the caller keeps its reference */
        entry_free(e);
        return false;
    }
    if (only_if_gen == NULL) {
        as->policy_gen++;
    }
    struct as_policy_entry **pp = &as->cache;
    for (; *pp != NULL; pp = &(*pp)->next) {
        if (strcmp((*pp)->id, id) == 0) {
            old = *pp;
            *pp = old->next;
            break;
        }
    }
    e->next = as->cache;
    as->cache = e;
    (void)pthread_mutex_unlock(&as->cache_lock);
    entry_free(old); /* requests holding the old policy keep their own reference */
    return true;
}

static void cache_drop(struct ay_as *as, const char *id)
{
    struct as_policy_entry *old = NULL;
    (void)pthread_mutex_lock(&as->cache_lock);
    as->policy_gen++;
    for (struct as_policy_entry **pp = &as->cache; *pp != NULL; pp = &(*pp)->next) {
        if (strcmp((*pp)->id, id) == 0) {
            old = *pp;
            *pp = old->next;
            break;
        }
    }
    (void)pthread_mutex_unlock(&as->cache_lock);
    entry_free(old);
}

/* On a miss, *gen = the generation to pass to cache_put. */
static bool cache_get(struct ay_as *as, const char *id, struct as_policy_ref *out, uint64_t *gen)
{
    bool hit = false;
    (void)pthread_mutex_lock(&as->cache_lock);
    for (struct as_policy_entry *e = as->cache; e != NULL; e = e->next) {
        if (strcmp(e->id, id) == 0) {
            ay_rego_policy_retain(e->policy);
            out->policy = e->policy;
            memcpy(out->sha384_hex, e->sha384_hex, sizeof out->sha384_hex);
            hit = true;
            break;
        }
    }
    *gen = as->policy_gen;
    (void)pthread_mutex_unlock(&as->cache_lock);
    return hit;
}

ay_err as_policy_init(struct ay_as *as, struct ay_diag *diag)
{
    (void)pthread_mutex_init(&as->cache_lock, NULL);
    ay_rego_builtins_new(&as->builtins);
    TRY(as_rvps_register_builtin(as, diag));
    /* TRUSTEE.md section 5.1: defaults are set without overwriting a stored copy. */
    for (size_t i = 0; as_default_policies[i].id != NULL; i++) {
        struct ay_buf b;
        ay_buf_init(&b, NULL, AY_LIMIT_REGO_SOURCE);
        join_lines(as_default_policies[i].lines, &b);
        ay_err err = ay_buf_finish(&b);
        int inserted = 0;
        if (err == AY_OK) {
            err = ay_store_put_if_absent(as->store, AY_STORE_NS_POLICY, as_default_policies[i].id,
                                         b.ptr, b.len, &inserted, diag);
        }
        ay_buf_free(&b);
        TRY(err);
        if (inserted != 0) {
            ay_log(AY_LOG_INFO, "installed default policy %s", as_default_policies[i].id);
        }
    }
    return AY_OK;
}

void as_policy_fini(struct ay_as *as)
{
    while (as->cache != NULL) {
        struct as_policy_entry *e = as->cache;
        as->cache = e->next;
        entry_free(e);
    }
    as_rvps_fini(as);
    ay_rego_builtins_free(as->builtins);
    as->builtins = NULL;
    (void)pthread_mutex_destroy(&as->cache_lock);
}

ay_err as_policy_acquire(struct ay_as *as, struct ay_ctx *ctx, const char *id,
                         struct as_policy_ref *out)
{
    uint64_t gen = 0;
    if (cache_get(as, id, out, &gen)) {
        return AY_OK;
    }
    struct ay_span src;
    ay_err err = ay_store_get(as->store, AY_STORE_NS_POLICY, id, ctx->arena, &src, &ctx->diag);
    if (err == AY_ERR_NOT_FOUND) {
        ay_diag_clear(&ctx->diag);
        return FAIL(&ctx->diag, AY_ERR_NOT_FOUND, "policy %s not found", id);
    }
    TRY(err);
    struct ay_rego_policy *p = NULL;
    err = compile(as, id, (const char *)src.ptr, src.len, &ctx->diag, &p);
    if (err != AY_OK) {
        ay_diag_prefix(&ctx->diag, "stored policy %s", id);
        return err;
    }
    ay_rego_policy_retain(p); /* one reference for the cache, one for the caller */
    if (!cache_put(as, id, (const char *)src.ptr, src.len, p, &gen)) {
        ay_rego_policy_release(p); /* superseded meanwhile: used once, not cached */
    }
    out->policy = p;
    hash_hex((const char *)src.ptr, src.len, out->sha384_hex);
    return AY_OK;
}

void as_policy_put(struct as_policy_ref *ref)
{
    if (ref->policy != NULL) {
        ay_rego_policy_release(ref->policy);
        ref->policy = NULL;
    }
}

ay_err as_policy_eval(struct ay_as *as, struct ay_ctx *ctx, const struct as_policy_ref *ref,
                      const char *rule, const char *input_json, size_t input_len, json_t **out)
{
    (void)as;
    char path[64];
    (void)snprintf(path, sizeof path, "data.policy.%s", rule);
    struct ay_rego_eval_opts o;
    memset(&o, 0, sizeof o);
    o.input_json = input_json;
    o.input_len = input_len;
    o.now_ns = ctx->now * 1000000000;
    struct ay_buf b;
    ay_buf_init(&b, ctx->arena, AY_LIMIT_RESPONSE);
    bool defined = false;
    ay_err err = ay_rego_eval_rule(ref->policy, path, &o, &b, &defined, &ctx->diag);
    /* TRUSTEE.md section 5.1: a rule that does not exist is "absent", not an error. */
    if (err == AY_ERR_NOT_FOUND) {
        ay_diag_clear(&ctx->diag);
        *out = NULL;
        return AY_OK;
    }
    if (err != AY_OK) {
        ay_diag_prefix(&ctx->diag, "policy evaluation of %s", path);
        return err == AY_ERR_LIMIT ? err : AY_ERR_POLICY_EVAL;
    }
    if (!defined) {
        *out = NULL;
        return AY_OK;
    }
    json_error_t je;
    json_t *v = json_loadb(b.ptr, b.len, JSON_DECODE_ANY, &je);
    if (v == NULL) {
        return FAIL(&ctx->diag, AY_ERR_INTERNAL, "policy result of %s is not JSON: %s", path,
                    je.text);
    }
    *out = v;
    return AY_OK;
}

/* ---- the policy endpoints ---- */

static ay_err parse_body(struct ay_ctx *ctx, struct ay_span body, json_t **out)
{
    json_error_t je;
    json_t *root = json_loadb((const char *)body.ptr, body.len, 0, &je);
    if (root == NULL) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED,
                    "request body is not JSON: %s at line %d column %d", je.text, je.line,
                    je.column);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "request body must be a JSON object");
    }
    *out = root;
    return AY_OK;
}

ay_err ay_as_policy_set(struct ay_as *as, struct ay_ctx *ctx, struct ay_span body,
                        struct ay_buf *out)
{
    (void)out;
    json_t *root = NULL;
    TRY(parse_body(ctx, body, &root));
    ay_err err = AY_OK;
    struct ay_rego_policy *p = NULL;
    struct ay_span src = {NULL, 0};
    const json_t *jid = json_object_get(root, "policy_id");
    const json_t *jpol = json_object_get(root, "policy");
    const char *id = json_string_value(jid);
    if (!json_is_string(jid) || !json_is_string(jpol)) {
        err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "`policy_id` and `policy` are required strings");
        goto out;
    }
    if (!as_id_valid(id)) {
        err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST,
                   "policy_id must be 1 to %d characters of A-Z a-z 0-9 . _ -", AY_LIMIT_STORE_ID);
        goto out;
    }
    /* TRUSTEE.md section 1.1: strict base64url without padding. */
    if (ay_b64_decode(AY_B64_URL_NOPAD, json_string_value(jpol), json_string_length(jpol),
                      ctx->arena, &src) != AY_OK) {
        err = FAIL(&ctx->diag, AY_ERR_MALFORMED, "`policy` is not base64url without padding");
        goto out;
    }
    if (src.len > AY_LIMIT_REGO_SOURCE) {
        err = FAIL(&ctx->diag, AY_ERR_LIMIT, "policy over %zu bytes", AY_LIMIT_REGO_SOURCE);
        goto out;
    }
    if (!ay_utf8_valid((const char *)src.ptr, src.len)) {
        err = FAIL(&ctx->diag, AY_ERR_MALFORMED, "policy is not UTF-8 text");
        goto out;
    }
    CHECK(compile(as, id, (const char *)src.ptr, src.len, &ctx->diag, &p));
    CHECK(ay_store_put(as->store, AY_STORE_NS_POLICY, id, src.ptr, src.len, &ctx->diag));
    (void)cache_put(as, id, (const char *)src.ptr, src.len, p, NULL);
    p = NULL;
    ay_log(AY_LOG_INFO, "policy %s set (%zu bytes)", id, src.len);
out:
    if (p != NULL) {
        ay_rego_policy_release(p);
    }
    json_decref(root);
    return err;
}

struct list_state {
    struct ay_buf *out;
    size_t n;
};

static ay_err list_one(void *arg, const char *key, const uint8_t *val, size_t len)
{
    (void)val;
    (void)len;
    struct list_state *st = arg;
    ay_buf_puts(st->out, st->n == 0 ? "{\"policy-id\":" : ",{\"policy-id\":");
    ay_buf_json_str(st->out, key, strlen(key));
    ay_buf_putc(st->out, '}');
    st->n++;
    return AY_OK;
}

ay_err ay_as_policy_list(struct ay_as *as, struct ay_ctx *ctx, struct ay_buf *out)
{
    struct list_state st = {out, 0};
    ay_buf_putc(out, '[');
    TRY(ay_store_list(as->store, AY_STORE_NS_POLICY, list_one, &st, &ctx->diag));
    ay_buf_putc(out, ']');
    return ay_buf_finish(out);
}

ay_err ay_as_policy_get(struct ay_as *as, struct ay_ctx *ctx, const char *id, struct ay_buf *out)
{
    if (!as_id_valid(id)) {
        return FAIL(&ctx->diag, AY_ERR_NOT_FOUND, "policy not found (invalid id)");
    }
    struct ay_span src;
    ay_err err = ay_store_get(as->store, AY_STORE_NS_POLICY, id, ctx->arena, &src, &ctx->diag);
    if (err == AY_ERR_NOT_FOUND) {
        ay_diag_clear(&ctx->diag);
        return FAIL(&ctx->diag, AY_ERR_NOT_FOUND, "policy %s not found", id);
    }
    TRY(err);
    ay_buf_puts(out, "{\"policy-id\":");
    ay_buf_json_str(out, id, strlen(id));
    ay_buf_puts(out, ",\"policy\":\"");
    ay_b64_encode(AY_B64_URL_NOPAD, src.ptr, src.len, out);
    ay_buf_puts(out, "\"}");
    return ay_buf_finish(out);
}

ay_err ay_as_policy_delete(struct ay_as *as, struct ay_ctx *ctx, const char *id)
{
    if (!as_id_valid(id)) {
        return FAIL(&ctx->diag, AY_ERR_NOT_FOUND, "policy not found (invalid id)");
    }
    ay_err err = ay_store_delete(as->store, AY_STORE_NS_POLICY, id, &ctx->diag);
    if (err == AY_ERR_NOT_FOUND) {
        ay_diag_clear(&ctx->diag);
        return FAIL(&ctx->diag, AY_ERR_NOT_FOUND, "policy %s not found", id);
    }
    TRY(err);
    cache_drop(as, id);
    ay_log(AY_LOG_INFO, "policy %s deleted", id);
    return AY_OK;
}
