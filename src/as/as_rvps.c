/* SPDX-License-Identifier: Apache-2.0 */
/* The built-in reference value provider (TRUSTEE.md section 6): register messages of type
 * "sample", records in the store namespace reference_value, and the Rego host builtin
 * query_reference_value(id) that policies use. Unlike Trustee (section 6.2), the expiration
 * date is enforced: an expired record reads as absent. The builtin answers from an in-memory
 * copy of the records it has read (present or absent, with their expiry), dropped per id by
 * every register and delete here: only this process writes the store (see as_policy.c). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "as/as.h"
#include "as/as_int.h"
#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_cursor.h"
#include "base/base_limits.h"
#include "base/base_log.h"
#include "base/base_mem.h"
#include "base/base_time.h"
#include "codec/codec_b64.h"
#include "codec/codec_jcs.h"
#include "rego/rego.h"
#include "store/store.h"

#define RV_VERSION     "0.1.0"
#define RV_QUERY_ARENA ((size_t)16 * 1024 * 1024)
#define RV_CACHE_MAX   1024 /* entries; a full cache is emptied (ids may come from input) */

/* ---- the query cache ---- */

static size_t rv_bucket(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++) {
        h = (h ^ *p) * 16777619u;
    }
    return h % AS_RV_BUCKETS;
}

static void rv_entry_free(struct as_rv_entry *e)
{
    if (e != NULL) {
        ay_free(e->id);
        ay_free(e->value_json);
        ay_free(e);
    }
}

/* Unlinks the entry of id (caller holds rv_lock); returns it for freeing outside the lock. */
static struct as_rv_entry *rv_unlink(struct ay_as *as, const char *id)
{
    for (struct as_rv_entry **pp = &as->rv_cache[rv_bucket(id)]; *pp != NULL; pp = &(*pp)->next) {
        if (strcmp((*pp)->id, id) == 0) {
            struct as_rv_entry *e = *pp;
            *pp = e->next;
            as->rv_count--;
            return e;
        }
    }
    return NULL;
}

static void rv_cache_drop(struct ay_as *as, const char *id)
{
    (void)pthread_mutex_lock(&as->rv_lock);
    as->rv_gen++;
    struct as_rv_entry *e = rv_unlink(as, id);
    (void)pthread_mutex_unlock(&as->rv_lock);
    rv_entry_free(e);
}

static void rv_cache_clear_locked(struct ay_as *as)
{
    for (size_t i = 0; i < AS_RV_BUCKETS; i++) {
        while (as->rv_cache[i] != NULL) {
            struct as_rv_entry *e = as->rv_cache[i];
            as->rv_cache[i] = e->next;
            rv_entry_free(e);
        }
    }
    as->rv_count = 0;
}

void as_rvps_fini(struct ay_as *as)
{
    if (!as->rv_ready) {
        return;
    }
    rv_cache_clear_locked(as);
    (void)pthread_mutex_destroy(&as->rv_lock);
    as->rv_ready = false;
}

/* now + 12 months (TRUSTEE.md section 6.2), the day clamped to the month's end as chrono's
 * checked_add_months does (29 February + 1 year = 28 February). */
static int64_t plus_one_year(int64_t now)
{
    int64_t days = now >= 0 ? now / 86400 : (now - 86399) / 86400;
    int64_t secs = now - days * 86400;
    int64_t y;
    unsigned m;
    unsigned d;
    ay_time_civil_from_days(days, &y, &m, &d);
    y += 1;
    if (m == 2 && d == 29) {
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (!leap) {
            d = 28;
        }
    }
    return ay_time_days_from_civil(y, m, d) * 86400 + secs;
}

ay_err ay_as_rv_register(struct ay_as *as, struct ay_ctx *ctx, struct ay_span body,
                         struct ay_buf *out)
{
    (void)out;
    json_error_t je;
    json_t *msg = json_loadb((const char *)body.ptr, body.len, 0, &je);
    json_t *payload = NULL;
    ay_err err = AY_OK;
    struct ay_span raw = {NULL, 0};
    const char *version = NULL;
    const char *type = NULL;
    const json_t *jp = NULL;
    char exp[32];
    const char *name;
    json_t *value;
    size_t count = 0;
    if (msg == NULL) {
        err = FAIL(&ctx->diag, AY_ERR_MALFORMED, "RVPS message is not JSON: %s", je.text);
        goto out;
    }
    if (!json_is_object(msg)) {
        err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "RVPS message must be a JSON object");
        goto out;
    }
    version = json_string_value(json_object_get(msg, "version"));
    type = json_string_value(json_object_get(msg, "type"));
    jp = json_object_get(msg, "payload");
    /* TRUSTEE.md section 6.1: version defaults to 0.1.0 and must equal it. */
    if (json_object_get(msg, "version") != NULL &&
        (version == NULL || strcmp(version, RV_VERSION) != 0)) {
        err = FAIL(&ctx->diag, AY_ERR_UNSUPPORTED, "RVPS message version must be %s", RV_VERSION);
        goto out;
    }
    if (type == NULL || !json_is_string(jp)) {
        err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST,
                   "RVPS message needs string fields `type` and `payload`");
        goto out;
    }
    if (strcmp(type, "sample") != 0) {
        err = FAIL(&ctx->diag, AY_ERR_UNSUPPORTED, "Could not find extractor for %s", type);
        goto out;
    }
    /* sample: payload = standard (padded) base64 of {name: value, ...}, no signature. */
    if (ay_b64_decode(AY_B64_STD, json_string_value(jp), json_string_length(jp), ctx->arena,
                      &raw) != AY_OK) {
        err = FAIL(&ctx->diag, AY_ERR_MALFORMED, "sample payload is not standard base64");
        goto out;
    }
    payload = json_loadb((const char *)raw.ptr, raw.len, 0, &je);
    if (!json_is_object(payload)) {
        err = FAIL(&ctx->diag, AY_ERR_MALFORMED, "sample payload is not a JSON object");
        goto out;
    }
    json_object_foreach(payload, name, value)
    {
        if (!as_id_valid(name)) {
            err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST,
                       "reference value name must be 1 to 128 characters of A-Z a-z 0-9 . _ -");
            goto out;
        }
    }
    ay_time_format_rfc3339(plus_one_year(ctx->now), exp, sizeof exp);
    json_object_foreach(payload, name, value)
    {
        json_t *rec = json_object();
        json_object_set_new(rec, "version", json_string(RV_VERSION));
        json_object_set_new(rec, "name", json_string(name));
        json_object_set_new(rec, "expiration", json_string(exp));
        json_object_set(rec, "value", value);
        struct ay_buf text;
        ay_buf_init(&text, ctx->arena, AY_LIMIT_HTTP_BODY * 2);
        err = ay_json_dump(rec, JSON_COMPACT, &text);
        json_decref(rec);
        if (err != AY_OK) {
            err = FAIL(&ctx->diag, err, "reference value serialization");
            goto out;
        }
        err = ay_store_put(as->store, AY_STORE_NS_RV, name, text.ptr, text.len, &ctx->diag);
        rv_cache_drop(as, name);
        if (err != AY_OK) {
            goto out;
        }
        count++;
    }
    ay_log(AY_LOG_INFO, "registered %zu reference value(s)", count);
out:
    json_decref(payload);
    json_decref(msg);
    return err;
}

/* The stored record if present and not expired, else NULL. */
static ay_err load_record(struct ay_as *as, struct ay_arena *arena, int64_t now, const char *id,
                          struct ay_diag *diag, json_t **out)
{
    *out = NULL;
    if (!as_id_valid(id)) {
        return AY_OK;
    }
    struct ay_span raw;
    ay_err err = ay_store_get(as->store, AY_STORE_NS_RV, id, arena, &raw, diag);
    if (err == AY_ERR_NOT_FOUND) {
        ay_diag_clear(diag);
        return AY_OK;
    }
    TRY(err);
    json_error_t je;
    json_t *rec = json_loadb((const char *)raw.ptr, raw.len, 0, &je);
    const char *exp = json_string_value(json_object_get(rec, "expiration"));
    int64_t exp_s = 0;
    if (!json_is_object(rec) || exp == NULL ||
        ay_time_parse_rfc3339(exp, strlen(exp), &exp_s) != AY_OK ||
        json_object_get(rec, "value") == NULL) {
        json_decref(rec);
        return FAIL(diag, AY_ERR_STORE, "stored reference value %s is malformed", id);
    }
    if (exp_s <= now) {
        json_decref(rec);
        return AY_OK;
    }
    *out = rec;
    return AY_OK;
}

ay_err as_rvps_query(struct ay_as *as, struct ay_arena *arena, int64_t now, const char *id,
                     struct ay_diag *diag, json_t **out)
{
    json_t *rec = NULL;
    TRY(load_record(as, arena, now, id, diag, &rec));
    *out = NULL;
    if (rec != NULL) {
        *out = json_incref(json_object_get(rec, "value"));
        json_decref(rec);
    }
    return AY_OK;
}

ay_err ay_as_rv_get(struct ay_as *as, struct ay_ctx *ctx, const char *id, struct ay_buf *out)
{
    json_t *rec = NULL;
    TRY(load_record(as, ctx->arena, ctx->now, id, &ctx->diag, &rec));
    if (rec == NULL) {
        return FAIL(&ctx->diag, AY_ERR_NOT_FOUND, "reference value not found or expired");
    }
    ay_err err = ay_json_dump(rec, JSON_COMPACT, out);
    json_decref(rec);
    return err;
}

ay_err ay_as_rv_delete(struct ay_as *as, struct ay_ctx *ctx, const char *id)
{
    if (!as_id_valid(id)) {
        return FAIL(&ctx->diag, AY_ERR_NOT_FOUND, "reference value not found (invalid id)");
    }
    ay_err err = ay_store_delete(as->store, AY_STORE_NS_RV, id, &ctx->diag);
    rv_cache_drop(as, id);
    if (err == AY_ERR_NOT_FOUND) {
        ay_diag_clear(&ctx->diag);
        return FAIL(&ctx->diag, AY_ERR_NOT_FOUND, "reference value %s not found", id);
    }
    return err;
}

/* Reads id from the store into a new cache entry: the value's compact JSON, or absent. */
static ay_err rv_load_entry(struct ay_as *as, const char *id, struct ay_diag *diag,
                            struct as_rv_entry **out)
{
    struct ay_arena *arena = NULL;
    ay_arena_new(RV_QUERY_ARENA, &arena);
    struct as_rv_entry *e = ay_xcalloc(1, sizeof *e);
    e->id = ay_xstrdup(id);
    json_t *rec = NULL;
    struct ay_span raw;
    json_error_t je;
    const char *exp = NULL;
    const json_t *value = NULL;
    struct ay_buf b;
    ay_buf_init(&b, NULL, AY_LIMIT_HTTP_BODY * 2);
    ay_err err = ay_store_get(as->store, AY_STORE_NS_RV, id, arena, &raw, diag);
    if (err == AY_ERR_NOT_FOUND) {
        ay_diag_clear(diag);
        err = AY_OK;
        goto out;
    }
    CHECK(err);
    rec = json_loadb((const char *)raw.ptr, raw.len, 0, &je);
    exp = json_string_value(json_object_get(rec, "expiration"));
    value = json_object_get(rec, "value");
    if (!json_is_object(rec) || exp == NULL ||
        ay_time_parse_rfc3339(exp, strlen(exp), &e->exp_s) != AY_OK || value == NULL) {
        err = FAIL(diag, AY_ERR_STORE, "stored reference value %s is malformed", id);
        goto out;
    }
    err = ay_json_dump(value, JSON_COMPACT, &b);
    if (err != AY_OK || b.ptr == NULL) {
        err = FAIL(diag, err != AY_OK ? err : AY_ERR_INTERNAL, "reference value %s serialization",
                   id);
        goto out;
    }
    e->present = true;
    e->value_json = b.ptr;
    e->value_len = b.len;
    b.ptr = NULL;
out:
    ay_buf_free(&b);
    json_decref(rec);
    ay_arena_free(arena);
    if (err != AY_OK) {
        rv_entry_free(e);
        return err;
    }
    *out = e;
    return AY_OK;
}

/* Appends the value of id as JSON, or null when unknown, expired or not a valid id. */
static ay_err rv_cached_query(struct ay_as *as, int64_t now, const char *id, struct ay_buf *out,
                              struct ay_diag *diag)
{
    if (!as_id_valid(id)) {
        ay_buf_puts(out, "null");
        return AY_OK;
    }
    bool hit = false;
    (void)pthread_mutex_lock(&as->rv_lock);
    uint64_t gen = as->rv_gen;
    for (const struct as_rv_entry *e = as->rv_cache[rv_bucket(id)]; e != NULL; e = e->next) {
        if (strcmp(e->id, id) == 0) {
            hit = true;
            if (e->present && e->exp_s > now) {
                ay_buf_put(out, e->value_json, e->value_len);
            } else {
                ay_buf_puts(out, "null");
            }
            break;
        }
    }
    (void)pthread_mutex_unlock(&as->rv_lock);
    if (hit) {
        return AY_OK;
    }
    struct as_rv_entry *e = NULL;
    TRY(rv_load_entry(as, id, diag, &e));
    if (e->present && e->exp_s > now) {
        ay_buf_put(out, e->value_json, e->value_len);
    } else {
        ay_buf_puts(out, "null");
    }
    (void)pthread_mutex_lock(&as->rv_lock);
    /* Not when a register or delete ran since the read: that entry may already be stale. */
    if (gen == as->rv_gen && as->rv_ready) {
        struct as_rv_entry *old = rv_unlink(as, id);
        rv_entry_free(old);
        if (as->rv_count >= RV_CACHE_MAX) {
            rv_cache_clear_locked(as);
        }
        size_t bkt = rv_bucket(id);
        e->next = as->rv_cache[bkt];
        as->rv_cache[bkt] = e;
        as->rv_count++;
        e = NULL;
    }
    (void)pthread_mutex_unlock(&as->rv_lock);
    rv_entry_free(e);
    return AY_OK;
}

/* query_reference_value(id) (TRUSTEE.md section 5.1): the stored value, or null when the id
 * is unknown or expired. A non-string argument is an error, as a type error in regorus. */
static ay_err builtin_query(void *arg, const char *const *args_json, size_t nargs,
                            struct ay_buf *out, struct ay_diag *diag)
{
    struct ay_as *as = arg;
    if (nargs != 1) {
        return FAIL(diag, AY_ERR_POLICY_EVAL, "query_reference_value takes one argument");
    }
    json_error_t je;
    json_t *id = json_loads(args_json[0], JSON_DECODE_ANY, &je);
    if (!json_is_string(id)) {
        json_decref(id);
        return FAIL(diag, AY_ERR_POLICY_EVAL, "query_reference_value: the id must be a string");
    }
    ay_err err = rv_cached_query(as, (int64_t)time(NULL), json_string_value(id), out, diag);
    json_decref(id);
    TRY(err);
    return ay_buf_finish(out);
}

ay_err as_rvps_register_builtin(struct ay_as *as, struct ay_diag *diag)
{
    if (!as->rv_ready) {
        (void)pthread_mutex_init(&as->rv_lock, NULL);
        as->rv_ready = true;
    }
    ay_err err = ay_rego_builtins_add(as->builtins, "query_reference_value", 1, builtin_query, as);
    if (err != AY_OK) {
        return FAIL(diag, err, "registering query_reference_value");
    }
    return AY_OK;
}
