/* SPDX-License-Identifier: Apache-2.0 */
/* Attestation policies (TRUSTEE.md section 5.1): stored as Rego source in the store namespace
 * attestation_service_policy, compiled when loaded (or, type "cocos", a Cocos policy JSON,
 * FORMATS.md 6.2-6.3, checked at upload and applied by as_cocos_apply), the compiled form cached
 * per id and shared read-only by concurrent requests (retain/release; a new upload swaps the
 * entry). Only this process writes the store (the SQLite file is opened with
 * locking_mode=EXCLUSIVE, the memory store is private), and every write goes through POST and
 * DELETE /policy here, which update or drop the cached entry: so a cached policy is used without
 * reading the store again (a store read per attestation was a tenth of its cost). */
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
#include "tee/tee_cocos.h"

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
    struct ay_rego_compile_opts o = {.syntax = AY_REGO_V1, .host = as->builtins};
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
    if (e->policy != NULL) {
        ay_rego_policy_release(e->policy);
    }
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
static bool cache_put(struct ay_as *as, const char *id, enum as_policy_kind kind, const char *src,
                      size_t len, struct ay_rego_policy *p, const uint64_t *only_if_gen)
{
    struct as_policy_entry *e = ay_xcalloc(1, sizeof *e);
    e->id = ay_xstrdup(id);
    e->kind = kind;
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

/* On a miss, *gen = the generation to pass to cache_put. A Cocos policy's JSON is copied into
 * the arena (the entry may be replaced once the lock is dropped). */
static bool cache_get(struct ay_as *as, struct ay_arena *arena, const char *id,
                      struct as_policy_ref *out, uint64_t *gen)
{
    bool hit = false;
    (void)pthread_mutex_lock(&as->cache_lock);
    for (struct as_policy_entry *e = as->cache; e != NULL; e = e->next) {
        if (strcmp(e->id, id) == 0) {
            if (e->kind != AS_POLICY_REGO) {
                uint8_t *copy = NULL;
                if (ay_arena_alloc(arena, e->source_len + 1, (void **)&copy) != AY_OK) {
                    break; /* a miss: the store read reports the arena limit */
                }
                memcpy(copy, e->source, e->source_len);
                copy[e->source_len] = 0;
                out->cocos = ay_span_of(copy, e->source_len);
            } else {
                ay_rego_policy_retain(e->policy);
            }
            out->kind = e->kind;
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

/* The kind of a stored value; for Cocos, src is advanced past the header to the JSON. */
static enum as_policy_kind stored_kind(struct ay_span *src)
{
    const size_t m = sizeof AS_COCOS_MAGIC - 1;
    if (src->len < m + 4 || memcmp(src->ptr, AS_COCOS_MAGIC, m) != 0) {
        return AS_POLICY_REGO;
    }
    enum as_policy_kind k;
    if (memcmp(src->ptr + m, "snp\n", 4) == 0) {
        k = AS_POLICY_COCOS_SNP;
    } else if (memcmp(src->ptr + m, "tdx\n", 4) == 0) {
        k = AS_POLICY_COCOS_TDX;
    } else {
        return AS_POLICY_REGO; /* not ours: fails to compile, reported as such */
    }
    src->ptr += m + 4;
    src->len -= m + 4;
    return k;
}

static const char *kind_type(enum as_policy_kind k)
{
    return k == AS_POLICY_REGO ? "rego" : "cocos";
}

static const char *kind_platform(enum as_policy_kind k)
{
    return k == AS_POLICY_COCOS_TDX ? "tdx" : "snp";
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
    out->kind = AS_POLICY_REGO;
    out->cocos = ay_span_of(NULL, 0);
    if (cache_get(as, ctx->arena, id, out, &gen)) {
        return AY_OK;
    }
    struct ay_span src;
    ay_err err = ay_store_get(as->store, AY_STORE_NS_POLICY, id, ctx->arena, &src, &ctx->diag);
    if (err == AY_ERR_NOT_FOUND) {
        ay_diag_clear(&ctx->diag);
        return FAIL(&ctx->diag, AY_ERR_NOT_FOUND, "policy %s not found", id);
    }
    TRY(err);
    enum as_policy_kind kind = stored_kind(&src);
    if (kind != AS_POLICY_REGO) {
        /* Checked at upload; parsed again per request by as_cocos_apply (microseconds). */
        (void)cache_put(as, id, kind, (const char *)src.ptr, src.len, NULL, &gen);
        out->kind = kind;
        out->policy = NULL;
        out->cocos = src;
        hash_hex((const char *)src.ptr, src.len, out->sha384_hex);
        return AY_OK;
    }
    struct ay_rego_policy *p = NULL;
    err = compile(as, id, (const char *)src.ptr, src.len, &ctx->diag, &p);
    if (err != AY_OK) {
        ay_diag_prefix(&ctx->diag, "stored policy %s", id);
        return err;
    }
    ay_rego_policy_retain(p); /* one reference for the cache, one for the caller */
    if (!cache_put(as, id, AS_POLICY_REGO, (const char *)src.ptr, src.len, p, &gen)) {
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
    ref->cocos = ay_span_of(NULL, 0);
}

ay_err as_policy_eval(struct ay_as *as, struct ay_ctx *ctx, const struct as_policy_ref *ref,
                      const char *const *rules, size_t n, const char *input_json,
                      size_t input_len, json_t **outs)
{
    (void)as;
    enum { MAX_RULES = 4 };
    ENSURE(n <= MAX_RULES, AY_ERR_INTERNAL);
    struct ay_rego_rule_result rr[MAX_RULES];
    struct ay_buf bufs[MAX_RULES];
    char paths[MAX_RULES][64];
    for (size_t i = 0; i < n; i++) {
        outs[i] = NULL;
        (void)snprintf(paths[i], sizeof paths[i], "data.policy.%s", rules[i]);
        ay_buf_init(&bufs[i], ctx->arena, AY_LIMIT_RESPONSE);
        rr[i] = (struct ay_rego_rule_result){.path = paths[i], .out = &bufs[i]};
    }
    struct ay_rego_eval_opts o;
    memset(&o, 0, sizeof o);
    o.input_json = input_json;
    o.input_len = input_len;
    o.now_ns = ctx->now * 1000000000;
    /* One evaluation for all rules: the claims are read once. */
    ay_err err = ay_rego_eval_rules(ref->policy, rr, n, &o, &ctx->diag);
    if (err != AY_OK) {
        ay_diag_prefix(&ctx->diag, "policy evaluation");
        return err == AY_ERR_LIMIT ? err : AY_ERR_POLICY_EVAL;
    }
    /* TRUSTEE.md section 5.1: a rule that does not exist is "absent", not an error. */
    for (size_t i = 0; i < n; i++) {
        if (!rr[i].exists || !rr[i].defined) {
            continue;
        }
        json_error_t je;
        outs[i] = json_loadb(bufs[i].ptr, bufs[i].len, JSON_DECODE_ANY, &je);
        if (outs[i] == NULL) {
            for (size_t j = 0; j < i; j++) {
                json_decref(outs[j]);
                outs[j] = NULL;
            }
            return FAIL(&ctx->diag, AY_ERR_INTERNAL, "policy result of %s is not JSON: %s",
                        paths[i], je.text);
        }
    }
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

/* Which Cocos policy a JSON text is: go-tdx-guest's has policy.headerPolicy or
 * policy.tdQuoteBodyPolicy (FORMATS.md 6.2), anything else is read as go-sev-guest's
 * check.Config (6.3), whose parser then names the offending field. */
static enum as_policy_kind cocos_kind_of(struct ay_span json)
{
    json_t *root = json_loadb((const char *)json.ptr, json.len, 0, NULL);
    const json_t *pol = json_object_get(root, "policy");
    enum as_policy_kind k = AS_POLICY_COCOS_SNP;
    if (json_object_get(pol, "headerPolicy") != NULL ||
        json_object_get(pol, "header_policy") != NULL ||
        json_object_get(pol, "tdQuoteBodyPolicy") != NULL ||
        json_object_get(pol, "td_quote_body_policy") != NULL) {
        k = AS_POLICY_COCOS_TDX;
    }
    json_decref(root);
    return k;
}

/* Validates a Cocos policy upload with the parser the attestation will use (errors name the
 * field: AY_ERR_MALFORMED, 400) and builds the stored value (magic + platform + JSON). */
static ay_err cocos_prepare(struct ay_ctx *ctx, struct ay_span json, struct ay_span *stored,
                            enum as_policy_kind *kind)
{
    *kind = cocos_kind_of(json);
    ay_err err;
    if (*kind == AS_POLICY_COCOS_TDX) {
        struct ay_cocos_tdx_policy *tp = NULL;
        TRY(ay_arena_alloc(ctx->arena, sizeof *tp, (void **)&tp));
        err = ay_cocos_tdx_policy_parse(&ctx->diag, json, tp);
    } else {
        struct ay_cocos_policy *sp = NULL;
        TRY(ay_arena_alloc(ctx->arena, sizeof *sp, (void **)&sp));
        err = ay_cocos_policy_parse(&ctx->diag, json, sp);
    }
    if (err != AY_OK) {
        ay_diag_prefix(&ctx->diag, "type cocos");
        return err == AY_ERR_LIMIT ? err : AY_ERR_MALFORMED;
    }
    struct ay_buf b;
    ay_buf_init(&b, ctx->arena, AY_LIMIT_REGO_SOURCE + 64);
    ay_buf_puts(&b, AS_COCOS_MAGIC);
    ay_buf_puts(&b, *kind == AS_POLICY_COCOS_TDX ? "tdx\n" : "snp\n");
    ay_buf_put(&b, json.ptr, json.len);
    TRY(ay_buf_finish(&b));
    *stored = ay_span_of(b.ptr, b.len);
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
    /* TRUSTEE.md section 1.1: Trustee ignores `type`; assay reads "cocos" and treats anything
     * else as before (Rego), so existing clients sending "rego" or nothing are unchanged. */
    const char *type = json_string_value(json_object_get(root, "type"));
    bool cocos = type != NULL && strcmp(type, "cocos") == 0;
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
    if (cocos) {
        struct ay_span stored;
        enum as_policy_kind kind;
        CHECK(cocos_prepare(ctx, src, &stored, &kind));
        CHECK(ay_store_put(as->store, AY_STORE_NS_POLICY, id, stored.ptr, stored.len, &ctx->diag));
        (void)cache_put(as, id, kind, (const char *)src.ptr, src.len, NULL, NULL);
        ay_log(AY_LOG_INFO, "policy %s set (cocos %s, %zu bytes)", id, kind_platform(kind),
               src.len);
        goto out;
    }
    CHECK(compile(as, id, (const char *)src.ptr, src.len, &ctx->diag, &p));
    CHECK(ay_store_put(as->store, AY_STORE_NS_POLICY, id, src.ptr, src.len, &ctx->diag));
    (void)cache_put(as, id, AS_POLICY_REGO, (const char *)src.ptr, src.len, p, NULL);
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
    struct list_state *st = arg;
    struct ay_span v = ay_span_of(val, len);
    enum as_policy_kind k = stored_kind(&v);
    ay_buf_puts(st->out, st->n == 0 ? "{\"policy-id\":" : ",{\"policy-id\":");
    ay_buf_json_str(st->out, key, strlen(key));
    ay_buf_puts(st->out, ",\"type\":\"");
    ay_buf_puts(st->out, kind_type(k));
    ay_buf_putc(st->out, '"');
    if (k != AS_POLICY_REGO) {
        ay_buf_puts(st->out, ",\"platform\":\"");
        ay_buf_puts(st->out, kind_platform(k));
        ay_buf_putc(st->out, '"');
    }
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
    enum as_policy_kind k = stored_kind(&src);
    ay_buf_puts(out, "{\"policy-id\":");
    ay_buf_json_str(out, id, strlen(id));
    ay_buf_puts(out, ",\"policy\":\"");
    ay_b64_encode(AY_B64_URL_NOPAD, src.ptr, src.len, out);
    ay_buf_puts(out, "\",\"type\":\"");
    ay_buf_puts(out, kind_type(k));
    if (k != AS_POLICY_REGO) {
        ay_buf_puts(out, "\",\"platform\":\"");
        ay_buf_puts(out, kind_platform(k));
    }
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

/* ---- Cocos policies at attestation (docs/API.md "Cocos policies") ---- */

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* AR4SI claim of a failing Cocos field: what the field attests. Measurements of the guest
 * image are executables, TCB / firmware / platform fields hardware, report binding fields
 * instance-identity, the rest (guest policy, VMPL, HOST_DATA, TD attributes, ...)
 * configuration. */
static const char *cocos_claim(const char *field)
{
    static const char *const exec[] = {"measurement", "image_id", "family_id",         "mr_td",
                                       "any_mr_td",   "rtmrs",    "minimum_guest_svn", "pcr",
                                       NULL};
    static const char *const hw[] = {"minimum_tcb",
                                     "minimum_launch_tcb",
                                     "minimum_build",
                                     "minimum_version",
                                     "permit_provisional_firmware",
                                     "chip_id",
                                     "product",
                                     "stepping",
                                     "platform_info",
                                     "minimum_qe_svn",
                                     "minimum_pce_svn",
                                     "qe_vendor_id",
                                     "minimum_tee_tcb_svn",
                                     "mr_seam",
                                     NULL};
    static const char *const ident[] = {"report_data", "report_id", NULL};
    for (size_t i = 0; exec[i] != NULL; i++) {
        if (starts(field, exec[i])) {
            return "executables";
        }
    }
    for (size_t i = 0; hw[i] != NULL; i++) {
        if (starts(field, hw[i])) {
            return "hardware";
        }
    }
    for (size_t i = 0; ident[i] != NULL; i++) {
        if (starts(field, ident[i])) {
            return "instance-identity";
        }
    }
    return "configuration";
}

/* Splits a denial of tee_cocos.c ("cocos policy: <field>: report <v> vs policy <w>", or for
 * TDX "...; first: <field>: quote <v> vs policy <w>") into the result object's members. The
 * values are kept only when the message has that exact shape; "message" always has both. */
static void cocos_denial(const char *msg, json_t *res)
{
    const char *f = strstr(msg, "first: ");
    if (f != NULL) {
        f += strlen("first: ");
    } else if (starts(msg, "cocos policy: ")) {
        f = msg + strlen("cocos policy: ");
    } else {
        f = msg;
    }
    const char *colon = strstr(f, ": ");
    size_t flen = colon != NULL ? (size_t)(colon - f) : strlen(f);
    const char *eq = memchr(f, '=', flen); /* "permit_provisional_firmware=false" */
    if (eq != NULL) {
        flen = (size_t)(eq - f);
    }
    char field[96];
    (void)snprintf(field, sizeof field, "%.*s", (int)(flen < 95 ? flen : 95), f);
    json_object_set_new(res, "field", json_string(field));
    json_object_set_new(res, "claim", json_string(cocos_claim(field)));
    if (colon != NULL) {
        const char *v = colon + 2;
        const char *vs = strstr(v, " vs policy ");
        size_t skip = starts(v, "report ") ? 7 : starts(v, "quote ") ? 6 : 0;
        if (vs != NULL && skip > 0 && strchr(v + skip, ' ') == vs) {
            json_object_set_new(res, "evidence_value",
                                json_stringn(v + skip, (size_t)(vs - v) - skip));
            const char *w = vs + strlen(" vs policy ");
            json_object_set_new(res, "policy_value", json_stringn(w, strcspn(w, " ")));
        }
    }
    json_object_set_new(res, "message", json_string(msg));
}

/* Adds "cocos" to the section 3.8 object keeping its keys sorted (a BTreeMap in Trustee). */
static void annotate(json_t *annotated, json_t *res)
{
    json_object_set_new(annotated, "cocos", res);
    const char *keys[16];
    size_t n = 0;
    const char *k;
    json_t *val;
    json_object_foreach(annotated, k, val)
    {
        if (n < 16) {
            keys[n++] = k;
        }
    }
    for (size_t i = 1; i < n; i++) { /* insertion sort: at most 7 keys */
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    }
    json_t *copy = json_object();
    for (size_t i = 0; i < n; i++) {
        json_object_set(copy, keys[i], json_object_get(annotated, keys[i]));
    }
    json_object_clear(annotated);
    json_object_update(annotated, copy);
    json_decref(copy);
}

/* Whether a Cocos SNP policy sets any pcr_values entry. */
static bool cocos_has_pcrs(const struct ay_cocos_policy *p)
{
    for (size_t b = 0; b < sizeof p->pcr / sizeof p->pcr[0]; b++) {
        for (size_t i = 0; i < AY_TPM_N_PCRS; i++) {
            if (p->pcr[b].is_set[i]) {
                return true;
            }
        }
    }
    return false;
}

ay_err as_cocos_apply(struct ay_ctx *ctx, const char *policy_id, enum as_policy_kind kind,
                      struct ay_span policy_json, const char *tee, struct ay_span evidence,
                      json_t *annotated, json_t **out_trust)
{
    *out_trust = NULL;
    const char *platform = kind_platform(kind);
    /* tee_cocos.c reads the SNP report out of `snp` and `az-snp-vtpm` evidence (with the vTPM
     * PCRs of the latter) and the TD quote out of `tdx` evidence. */
    bool azure = kind == AS_POLICY_COCOS_SNP && strcmp(tee, "az-snp-vtpm") == 0;
    if (strcmp(tee, platform) != 0 && !azure) {
        return FAIL(&ctx->diag, AY_ERR_UNSUPPORTED,
                    "cocos policy %s is a %s policy: it applies to tee `%s` evidence only, not "
                    "`%s` (cocos policies apply to snp, az-snp-vtpm and tdx)",
                    policy_id, platform,
                    kind == AS_POLICY_COCOS_SNP ? "snp` or `az-snp-vtpm" : platform, tee);
    }
    struct ay_cocos_policy *snp = NULL;
    ay_err err;
    if (kind == AS_POLICY_COCOS_TDX) {
        err = ay_cocos_tdx_policy_check_evidence(ctx, policy_json, evidence);
    } else {
        TRY(ay_arena_alloc(ctx->arena, sizeof *snp, (void **)&snp));
        err = ay_cocos_policy_parse(&ctx->diag, policy_json, snp);
        if (err == AY_OK) {
            err = azure ? ay_cocos_policy_check_az_snp_vtpm(ctx, snp, evidence)
                        : ay_cocos_policy_check_evidence_parsed(ctx, snp, evidence, NULL);
        }
    }
    if (err != AY_OK && err != AY_ERR_POLICY_DENIED) {
        ay_diag_prefix(&ctx->diag, "cocos policy %s", policy_id);
        return err;
    }
    json_t *res = json_object();
    json_object_set_new(res, "policy_id", json_string(policy_id));
    json_object_set_new(res, "platform", json_string(platform));
    json_object_set_new(res, "result", json_string(err == AY_OK ? "pass" : "fail"));
    if (snp != NULL && !azure && cocos_has_pcrs(snp)) {
        /* Said in the result, never skipped silently (docs/API.md). */
        json_object_set_new(res, "pcr_values",
                            json_string("not checked: `snp` evidence carries no vTPM PCRs"));
    }
    json_t *trust = json_object();
    if (err == AY_OK) {
        /* AR4SI: 2 = approved / genuine (affirming), for every claim a Cocos policy covers. */
        json_object_set_new(trust, "configuration", json_integer(2));
        json_object_set_new(trust, "executables", json_integer(2));
        json_object_set_new(trust, "hardware", json_integer(2));
    } else {
        cocos_denial(ay_diag_message(&ctx->diag), res);
        ay_diag_clear(&ctx->diag);
        /* AR4SI: 96 = contraindicated, on the claim of the (first) failing field only: the
         * check stops there, so the other claims are not asserted either way. */
        json_object_set_new(trust, json_string_value(json_object_get(res, "claim")),
                            json_integer(96));
    }
    annotate(annotated, res);
    *out_trust = trust;
    return AY_OK;
}
