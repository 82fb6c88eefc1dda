/* SPDX-License-Identifier: Apache-2.0 */
/* The Arm CCA verifier: configuration, decoding and local mode. Steps follow CCA-KBS.md
 * section 1.5 (numbers cited at the checks) with Trustee's extras (section 1.6, TRUSTEE.md
 * sections 3.6 and 7.7); the appraisal is in tee_cca_rv.c, remote mode in tee_cca_remote.c. */
#include "tee/tee_cca.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "base/base_log.h"
#include "base/base_mem.h"
#include "codec/codec_b64.h"
#include "codec/codec_cbor.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_cose.h"
#include "crypto/crypto_digest.h"
#include "crypto/crypto_x509.h"

/* Collection and claim labels (CCA-KBS.md sections 1.1-1.3). */
#define LBL_PLATFORM 44234
#define LBL_REALM    44241
#define LBL_DEVICE   44258
#define CF_EAT_CWT   263 /* CoAP content-format application/eat+cwt */
#define CF_UCCS      601 /* application/uccs+cbor */

#define P_PROFILE   265
#define P_CHALLENGE 10
#define P_IMPL_ID   2396
#define P_INST_ID   256
#define P_CONFIG    2401
#define P_LIFECYCLE 2395
#define P_SW        2399
#define P_VSI       2400
#define P_HASH      2402

#define R_CHALLENGE 10
#define R_PROFILE   265
#define R_RPV       44235
#define R_HASH      44236
#define R_RAK       44237
#define R_RIM       44238
#define R_REM       44239
#define R_RAK_HASH  44240

#define CCA_CHALLENGE_LEN 64 /* realm challenge and RPV (section 1.3) */

static const char *const PLATFORM_PROFILES[] = {"http://arm.com/CCA-SSD/1.0.0",
                                                "tag:arm.com,2023:cca_platform#1.0.0"};
static const char REALM_PROFILE[] = "tag:arm.com,2023:realm#1.0.0";

static bool span_is(struct ay_span s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

static bool digest_len_ok(size_t n)
{
    return n == 32 || n == 48 || n == 64;
}

/* ---- collection (step 1) ---- */

static ay_err collection_entry(struct ay_diag *d, uint64_t tag, const cbor_item_t *v,
                               const char *name, struct ay_span *out)
{
    if (tag == AY_CCA_TAG_LEGACY) {
        if (ay_cbor_bstr(v, out) != AY_OK) {
            return FAIL(d, AY_ERR_MALFORMED, "cca: %s token is not a bstr (tag 399 form)", name);
        }
        return AY_OK;
    }
    /* Tag 907: [263, bstr .cbor COSE_Sign1_Tagged]. */
    uint64_t cf = 0;
    if (ay_cbor_array_len(v) != 2 || ay_cbor_uint(ay_cbor_array_at(v, 0), &cf) != AY_OK ||
        ay_cbor_bstr(ay_cbor_array_at(v, 1), out) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: %s token is not [content-format, bstr] (tag 907)",
                    name);
    }
    if (cf != CF_EAT_CWT) {
        return FAIL(d, AY_ERR_UNSUPPORTED, "cca: %s token content-format %llu, want 263", name,
                    (unsigned long long)cf);
    }
    return AY_OK;
}

static ay_err collection_fields(struct ay_diag *d, const cbor_item_t *root,
                                struct ay_cca_collection *out)
{
    uint64_t tag = 0;
    const cbor_item_t *map = NULL;
    if (ay_cbor_untag(root, &tag, &map) != AY_OK ||
        (tag != AY_CCA_TAG_LEGACY && tag != AY_CCA_TAG_CMW)) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: token is not a tag 399 or tag 907 collection");
    }
    const struct cbor_pair *p = NULL;
    size_t n = 0;
    if (ay_cbor_map_pairs(map, &p, &n) != AY_OK || ay_cbor_map_unique_int_keys(map) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: collection is not a map with unique keys");
    }
    for (size_t i = 0; i < n; i++) {
        int64_t k = 0;
        if (ay_cbor_int(p[i].key, &k) != AY_OK) {
            return FAIL(d, AY_ERR_MALFORMED, "cca: collection key is not an integer");
        }
        /* rust-ccatoken rejects extra keys in the 399 form; the 907 form reserves 44258 for
         * device claims (not appraised here) and further labels we refuse explicitly. */
        if (k != LBL_PLATFORM && k != LBL_REALM && !(tag == AY_CCA_TAG_CMW && k == LBL_DEVICE)) {
            return FAIL(d, AY_ERR_UNSUPPORTED, "cca: unknown collection entry %lld", (long long)k);
        }
    }
    const cbor_item_t *pv = ay_cbor_map_get_int(map, LBL_PLATFORM);
    const cbor_item_t *rv = ay_cbor_map_get_int(map, LBL_REALM);
    if (pv == NULL || rv == NULL) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: collection lacks the %s token",
                    pv == NULL ? "platform (44234)" : "realm (44241)");
    }
    TRY(collection_entry(d, tag, pv, "platform", &out->platform));
    TRY(collection_entry(d, tag, rv, "realm", &out->realm));
    out->tag = tag;
    return AY_OK;
}

ay_err ay_cca_collection_decode(struct ay_diag *d, struct ay_span in, cbor_item_t **out_item,
                                struct ay_cca_collection *out)
{
    cbor_item_t *root = NULL;
    TRY(ay_cbor_decode(d, "cca: token", in, &root));
    struct ay_cca_collection c;
    memset(&c, 0, sizeof c);
    ay_err err = collection_fields(d, root, &c);
    if (err != AY_OK) {
        ay_cbor_free(root);
        return err;
    }
    *out_item = root;
    *out = c;
    return AY_OK;
}

/* ---- claims (step 3) ---- */

static ay_err need_bstr(struct ay_diag *d, const cbor_item_t *m, int64_t key, const char *name,
                        struct ay_span *out)
{
    const cbor_item_t *v = ay_cbor_map_get_int(m, key);
    if (v == NULL) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: missing mandatory claim %s (%lld)", name,
                    (long long)key);
    }
    if (ay_cbor_bstr(v, out) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: claim %s (%lld) is not a bstr", name,
                    (long long)key);
    }
    return AY_OK;
}

static ay_err need_tstr(struct ay_diag *d, const cbor_item_t *m, int64_t key, const char *name,
                        struct ay_span *out)
{
    const cbor_item_t *v = ay_cbor_map_get_int(m, key);
    if (v == NULL) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: missing mandatory claim %s (%lld)", name,
                    (long long)key);
    }
    if (ay_cbor_tstr(v, out) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: claim %s (%lld) is not a tstr", name,
                    (long long)key);
    }
    return AY_OK;
}

static ay_err sw_component(struct ay_diag *d, size_t i, const cbor_item_t *m,
                           struct ay_cca_sw_component *out)
{
    const struct cbor_pair *p = NULL;
    size_t n = 0;
    if (ay_cbor_map_pairs(m, &p, &n) != AY_OK || ay_cbor_map_unique_int_keys(m) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: sw-component %zu is not a map", i);
    }
    memset(out, 0, sizeof *out);
    for (size_t j = 0; j < n; j++) {
        int64_t k = 0;
        ay_err e;
        if (ay_cbor_int(p[j].key, &k) != AY_OK) {
            return FAIL(d, AY_ERR_MALFORMED, "cca: sw-component %zu has a non-integer key", i);
        }
        switch (k) {
        case 1:
            e = ay_cbor_tstr(p[j].value, &out->type);
            break;
        case 2:
            e = ay_cbor_bstr(p[j].value, &out->measurement);
            break;
        case 4:
            e = ay_cbor_tstr(p[j].value, &out->version);
            break;
        case 5:
            e = ay_cbor_bstr(p[j].value, &out->signer_id);
            break;
        case 6:
            /* In CCA key 6 is the hash algorithm (PSA uses it for a description). */
            e = ay_cbor_tstr(p[j].value, &out->hash_algo);
            break;
        default:
            /* rust-ccatoken refuses unknown keys inside a component (section 1.2). */
            return FAIL(d, AY_ERR_MALFORMED, "cca: sw-component %zu has unknown key %lld", i,
                        (long long)k);
        }
        if (e != AY_OK) {
            return FAIL(d, AY_ERR_MALFORMED, "cca: sw-component %zu key %lld has the wrong type", i,
                        (long long)k);
        }
    }
    if (!digest_len_ok(out->measurement.len) || !digest_len_ok(out->signer_id.len)) {
        return FAIL(d, AY_ERR_MALFORMED,
                    "cca: sw-component %zu needs a measurement-value and a signer-id of "
                    "32/48/64 bytes",
                    i);
    }
    return AY_OK;
}

static ay_err platform_fields(struct ay_diag *d, const cbor_item_t *m, struct ay_cca_platform *o)
{
    if (!ay_cbor_is_map(m) || ay_cbor_map_unique_int_keys(m) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: platform claims are not a map with unique keys");
    }
    TRY(need_tstr(d, m, P_PROFILE, "cca-platform-profile", &o->profile));
    if (!span_is(o->profile, PLATFORM_PROFILES[0]) && !span_is(o->profile, PLATFORM_PROFILES[1])) {
        /* Section 1.3 notes: refuse unknown (newer) profiles explicitly. */
        return FAIL(d, AY_ERR_UNSUPPORTED, "cca: unknown platform profile \"%.*s\"",
                    (int)(o->profile.len > 80 ? 80 : o->profile.len), (const char *)o->profile.ptr);
    }
    TRY(need_bstr(d, m, P_CHALLENGE, "cca-platform-challenge", &o->challenge));
    ENSURE(digest_len_ok(o->challenge.len),
           FAIL(d, AY_ERR_MALFORMED, "cca: platform challenge is %zu bytes (32/48/64)",
                o->challenge.len));
    TRY(need_bstr(d, m, P_IMPL_ID, "cca-platform-implementation-id", &o->implementation_id));
    ENSURE(o->implementation_id.len == 32,
           FAIL(d, AY_ERR_MALFORMED, "cca: implementation-id is %zu bytes, want 32",
                o->implementation_id.len));
    TRY(need_bstr(d, m, P_INST_ID, "cca-platform-instance-id", &o->instance_id));
    ENSURE(o->instance_id.len == 33,
           FAIL(d, AY_ERR_MALFORMED, "cca: instance-id is %zu bytes, want 33", o->instance_id.len));
    TRY(need_bstr(d, m, P_CONFIG, "cca-platform-config", &o->config));
    if (ay_cbor_uint(ay_cbor_map_get_int(m, P_LIFECYCLE), &o->lifecycle) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: missing or non-integer lifecycle (2395)");
    }
    /* Section 1.2: valid ranges are 0xN000-0xN0ff for N = 0..6. */
    if (o->lifecycle > 0x60ff || (o->lifecycle & 0x0f00) != 0) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: lifecycle 0x%llx is out of range",
                    (unsigned long long)o->lifecycle);
    }
    TRY(need_tstr(d, m, P_HASH, "cca-platform-hash-algo-id", &o->hash_algo));
    const cbor_item_t *vsi = ay_cbor_map_get_int(m, P_VSI);
    if (vsi != NULL && ay_cbor_tstr(vsi, &o->service_indicator) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: service indicator (2400) is not a tstr");
    }
    const cbor_item_t *sw = ay_cbor_map_get_int(m, P_SW);
    size_t n_sw = ay_cbor_array_len(sw);
    if (n_sw == 0) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: sw-components (2399) must be a non-empty array");
    }
    if (n_sw > AY_CCA_MAX_SW) {
        return FAIL(d, AY_ERR_LIMIT, "cca: more than %d sw-components", AY_CCA_MAX_SW);
    }
    o->n_sw = n_sw;
    for (size_t i = 0; i < o->n_sw; i++) {
        TRY(sw_component(d, i, ay_cbor_array_at(sw, i), &o->sw[i]));
    }
    return AY_OK;
}

static ay_err realm_fields(struct ay_diag *d, const cbor_item_t *m, struct ay_cca_realm *o)
{
    if (!ay_cbor_is_map(m) || ay_cbor_map_unique_int_keys(m) != AY_OK) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: realm claims are not a map with unique keys");
    }
    TRY(need_bstr(d, m, R_CHALLENGE, "cca-realm-challenge", &o->challenge));
    ENSURE(
        o->challenge.len == CCA_CHALLENGE_LEN,
        FAIL(d, AY_ERR_MALFORMED, "cca: realm challenge is %zu bytes, want 64", o->challenge.len));
    /* Step 3: the profile is read before the RAK because it switches its encoding. */
    const cbor_item_t *prof = ay_cbor_map_get_int(m, R_PROFILE);
    if (prof != NULL) {
        if (ay_cbor_tstr(prof, &o->profile) != AY_OK || !span_is(o->profile, REALM_PROFILE)) {
            return FAIL(d, AY_ERR_UNSUPPORTED, "cca: unknown realm profile");
        }
        o->has_profile = true;
    }
    TRY(need_bstr(d, m, R_RPV, "cca-realm-personalization-value", &o->personalization_value));
    ENSURE(o->personalization_value.len == CCA_CHALLENGE_LEN,
           FAIL(d, AY_ERR_MALFORMED, "cca: personalization value is %zu bytes, want 64",
                o->personalization_value.len));
    TRY(need_bstr(d, m, R_RIM, "cca-realm-initial-measurement", &o->initial_measurement));
    ENSURE(
        digest_len_ok(o->initial_measurement.len),
        FAIL(d, AY_ERR_MALFORMED, "cca: RIM is %zu bytes (32/48/64)", o->initial_measurement.len));
    const cbor_item_t *rem = ay_cbor_map_get_int(m, R_REM);
    if (ay_cbor_array_len(rem) != 4) {
        return FAIL(d, AY_ERR_MALFORMED, "cca: REMs (44239) must be an array of exactly 4");
    }
    for (size_t i = 0; i < 4; i++) {
        if (ay_cbor_bstr(ay_cbor_array_at(rem, i), &o->extensible_measurements[i]) != AY_OK ||
            !digest_len_ok(o->extensible_measurements[i].len)) {
            return FAIL(d, AY_ERR_MALFORMED, "cca: REM %zu is not a bstr of 32/48/64 bytes", i);
        }
    }
    TRY(need_tstr(d, m, R_HASH, "cca-realm-hash-algo-id", &o->hash_algo));
    TRY(need_bstr(d, m, R_RAK, "cca-realm-public-key", &o->public_key));
    TRY(need_tstr(d, m, R_RAK_HASH, "cca-realm-public-key-hash-algo-id", &o->public_key_hash_algo));
    return AY_OK;
}

ay_err ay_cca_platform_parse(struct ay_diag *d, struct ay_span payload, cbor_item_t **out_item,
                             struct ay_cca_platform *out)
{
    cbor_item_t *m = NULL;
    TRY(ay_cbor_decode(d, "cca: platform claims", payload, &m));
    memset(out, 0, sizeof *out);
    ay_err err = platform_fields(d, m, out);
    if (err != AY_OK) {
        ay_cbor_free(m);
        return err;
    }
    *out_item = m;
    return AY_OK;
}

ay_err ay_cca_realm_parse(struct ay_diag *d, struct ay_span payload, cbor_item_t **out_item,
                          struct ay_cca_realm *out)
{
    cbor_item_t *m = NULL;
    TRY(ay_cbor_decode(d, "cca: realm claims", payload, &m));
    memset(out, 0, sizeof *out);
    ay_err err = realm_fields(d, m, out);
    if (err != AY_OK) {
        ay_cbor_free(m);
        return err;
    }
    *out_item = m;
    return AY_OK;
}

/* ---- evidence, configuration and trust anchors ---- */

/* Trustee's evidence is {"token": [u8, ...]} (section 1.1); the CLI may pass the raw CBOR. */
static ay_err evidence_token(struct ay_ctx *ctx, struct ay_span ev, struct ay_span *out)
{
    struct ay_cur c;
    ay_cur_init(&c, ev);
    int first = ay_cur_peek(&c);
    while (first == ' ' || first == '\n' || first == '\r' || first == '\t') {
        TRY(ay_cur_skip(&c, 1));
        first = ay_cur_peek(&c);
    }
    if (first != '{') {
        *out = ev;
        return AY_OK;
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *)ev.ptr, ev.len, 0, &jerr);
    if (root == NULL) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "cca: evidence is not JSON: %s (line %d)",
                    jerr.text, jerr.line);
    }
    json_t *tok = json_object_get(root, "token");
    ay_err err = AY_OK;
    size_t n = json_array_size(tok);
    uint8_t *bytes = NULL;
    void *mem = NULL;
    if (!json_is_array(tok) || json_array_size(tok) == 0) {
        err = FAIL(&ctx->diag, AY_ERR_MALFORMED, "cca: evidence lacks a \"token\" byte array");
        goto out;
    }
    err = ay_arena_alloc(ctx->arena, n, &mem);
    if (err != AY_OK) {
        err = FAIL(&ctx->diag, err, "cca: token of %zu bytes over the request budget", n);
        goto out;
    }
    bytes = mem;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(tok, i);
        json_int_t b = json_is_integer(v) ? json_integer_value(v) : -1;
        if (b < 0 || b > 255) {
            err = FAIL(&ctx->diag, AY_ERR_MALFORMED, "cca: token element %zu is not a byte", i);
            goto out;
        }
        bytes[i] = (uint8_t)b;
    }
    *out = ay_span_of(bytes, n);
out:
    json_decref(root);
    return err;
}

struct ta {
    uint8_t instance_id[33];
    json_t *pkey; /* borrowed from the store document */
};

struct ta_set {
    struct ta items[AY_LIMIT_CCA_TRUST_ANCHORS];
    size_t n;
    json_t *docs[8];
    size_t n_docs;
    json_t *rvs[8]; /* reference-value stores */
    size_t n_rvs;
};

/* A ccatoken trust-anchor store: [{"pkey": JWK, "implementation-id": hex32,
 * "instance-id": hex33}] (section 1.6, local mode step 1). Takes ownership of doc. */
static ay_err ta_add_doc(struct ay_diag *d, const char *name, json_t *doc, struct ta_set *set)
{
    if (set->n_docs == sizeof set->docs / sizeof set->docs[0]) {
        json_decref(doc);
        return FAIL(d, AY_ERR_LIMIT, "cca: too many trust-anchor stores");
    }
    set->docs[set->n_docs++] = doc;
    size_t i;
    json_t *e;
    json_array_foreach(doc, i, e)
    {
        const char *inst = json_string_value(json_object_get(e, "instance-id"));
        json_t *pkey = json_object_get(e, "pkey");
        size_t got = 0;
        if (inst == NULL || !json_is_object(pkey)) {
            return FAIL(d, AY_ERR_CONFIG, "cca: %s entry %zu lacks instance-id or pkey", name, i);
        }
        if (set->n == AY_LIMIT_CCA_TRUST_ANCHORS) {
            return FAIL(d, AY_ERR_LIMIT, "cca: more than %d trust anchors",
                        AY_LIMIT_CCA_TRUST_ANCHORS);
        }
        struct ta *t = &set->items[set->n];
        if (ay_hex_decode_to(inst, strlen(inst), t->instance_id, sizeof t->instance_id, &got) !=
                AY_OK ||
            got != sizeof t->instance_id) {
            return FAIL(d, AY_ERR_CONFIG, "cca: %s entry %zu: instance-id is not 33 hex bytes",
                        name, i);
        }
        t->pkey = pkey;
        set->n++;
    }
    return AY_OK;
}

/* Takes ownership of doc; its shape is checked when appraising. */
static ay_err rv_add_doc(struct ay_diag *d, const char *name, json_t *doc, struct ta_set *set)
{
    if (set->n_rvs == sizeof set->rvs / sizeof set->rvs[0]) {
        json_decref(doc);
        return FAIL(d, AY_ERR_LIMIT, "cca: too many reference-value stores (%s)", name);
    }
    set->rvs[set->n_rvs++] = doc;
    if (!ay_cca_is_rv_store(doc)) {
        return FAIL(d, AY_ERR_CONFIG,
                    "cca: rv-store %s is not {\"platform\": [...], \"realm\": [...]}", name);
    }
    return AY_OK;
}

static bool is_ta_store(const json_t *doc)
{
    return json_is_array(doc) && json_array_size(doc) > 0 &&
           json_is_object(json_object_get(json_array_get(doc, 0), "pkey"));
}

static ay_err read_file(struct ay_ctx *ctx, const char *path, struct ay_span *out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return FAIL(&ctx->diag, AY_ERR_CONFIG, "cca: cannot open %s", path);
    }
    void *mem = NULL;
    size_t cap = 1024 * 1024;
    ay_err err = ay_arena_alloc(ctx->arena, cap, &mem);
    size_t n = err == AY_OK ? fread(mem, 1, cap, f) : 0;
    bool too_big = err == AY_OK && n == cap;
    fclose(f);
    if (err != AY_OK || too_big) {
        return FAIL(&ctx->diag, AY_ERR_LIMIT, "cca: %s is over 1 MiB", path);
    }
    *out = ay_span_of(mem, n);
    return AY_OK;
}

/* The CCA verifier configuration (CCA-KBS.md section 1.6): strings live in the arena. */
struct cca_cfg {
    bool remote;
    const char *ta_store;
    const char *rv_store;
    const char *address;
    const char *ca_cert;
    long timeout_s;
};

static const char *arena_str(struct ay_ctx *ctx, const char *s)
{
    if (s == NULL) {
        return NULL;
    }
    size_t n = strlen(s) + 1;
    void *mem = NULL;
    if (ay_arena_alloc(ctx->arena, n, &mem) != AY_OK) {
        return NULL;
    }
    memcpy(mem, s, n);
    return mem;
}

static ay_err apply_config(struct ay_ctx *ctx, const json_t *cfg, struct cca_cfg *out)
{
    const char *type = json_string_value(json_object_get(cfg, "type"));
    /* Trustee: "local" or "remote"; an unknown type is an error. */
    if (type != NULL && strcmp(type, "remote") == 0) {
        out->remote = true;
        out->address = arena_str(ctx, json_string_value(json_object_get(cfg, "address")));
        out->ca_cert = arena_str(ctx, json_string_value(json_object_get(cfg, "ca-cert")));
        json_int_t t = json_integer_value(json_object_get(cfg, "timeout"));
        out->timeout_s = t > 0 && t <= 600 ? (long)t : 0;
        if (out->address == NULL) {
            return FAIL(&ctx->diag, AY_ERR_CONFIG, "cca: remote verifier needs an \"address\"");
        }
        return AY_OK;
    }
    if (type != NULL && strcmp(type, "local") != 0) {
        return FAIL(&ctx->diag, AY_ERR_CONFIG, "cca: unknown verifier type \"%s\"", type);
    }
    out->ta_store = arena_str(ctx, json_string_value(json_object_get(cfg, "ta-store")));
    out->rv_store = arena_str(ctx, json_string_value(json_object_get(cfg, "rv-store")));
    return AY_OK;
}

static ay_err load_json_file(struct ay_ctx *ctx, const char *what, const char *path, json_t **out)
{
    struct ay_span bytes;
    TRY(read_file(ctx, path, &bytes));
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)bytes.ptr, bytes.len, 0, &jerr);
    if (doc == NULL) {
        return FAIL(&ctx->diag, AY_ERR_CONFIG, "cca: %s %s is not JSON: %s", what, path, jerr.text);
    }
    *out = doc;
    return AY_OK;
}

/* Config: Trustee's CCA_CONFIG_FILE content {"cca-verifier": {"type": "local", "ta-store":
 * PATH, "rv-store": PATH}} or {"cca-verifier": {"type": "remote", "address": URL, "ca-cert":
 * PATH?}}, or the inner object itself, from the verifier config; without one, the file named
 * by env CCA_CONFIG_FILE as Trustee reads it (re-read on every request, CCA-KBS.md section
 * 1.6). */
static ay_err load_config(struct ay_ctx *ctx, const struct ay_tee_input *in, struct cca_cfg *out)
{
    const json_t *cfg = in->config;
    json_t *env_doc = NULL;
    if (json_is_object(json_object_get(cfg, "cca-verifier"))) {
        cfg = json_object_get(cfg, "cca-verifier");
    } else if (json_object_get(cfg, "type") == NULL) {
        cfg = NULL;
        const char *env = getenv("CCA_CONFIG_FILE");
        if (env != NULL && env[0] != '\0') {
            struct ay_span bytes;
            TRY(read_file(ctx, env, &bytes));
            json_error_t jerr;
            env_doc = json_loadb((const char *)bytes.ptr, bytes.len, 0, &jerr);
            cfg = json_object_get(env_doc, "cca-verifier");
            if (!json_is_object(cfg)) {
                json_decref(env_doc);
                return FAIL(&ctx->diag, AY_ERR_CONFIG,
                            "cca: %s (CCA_CONFIG_FILE) lacks a \"cca-verifier\" object", env);
            }
        }
    }
    ay_err err = json_is_object(cfg) ? apply_config(ctx, cfg, out) : AY_OK;
    json_decref(env_doc);
    return err;
}

/* Trust-anchor and reference-value stores from the config paths and from endorsement files,
 * recognised by shape. */
static ay_err load_stores(struct ay_ctx *ctx, const struct ay_tee_input *in,
                          const struct cca_cfg *cfg, struct ta_set *set)
{
    json_t *doc = NULL;
    if (cfg->ta_store != NULL) {
        TRY(load_json_file(ctx, "ta-store", cfg->ta_store, &doc));
        if (!json_is_array(doc)) {
            json_decref(doc);
            return FAIL(&ctx->diag, AY_ERR_CONFIG, "cca: ta-store %s is not a JSON array",
                        cfg->ta_store);
        }
        TRY(ta_add_doc(&ctx->diag, cfg->ta_store, doc, set));
    }
    if (cfg->rv_store != NULL) {
        TRY(load_json_file(ctx, "rv-store", cfg->rv_store, &doc));
        TRY(rv_add_doc(&ctx->diag, cfg->rv_store, doc, set));
    }
    for (size_t i = 0; i < in->n_endorsements; i++) {
        const struct ay_endorsement *e = &in->endorsements[i];
        json_error_t jerr;
        doc = json_loadb((const char *)e->bytes.ptr, e->bytes.len, 0, &jerr);
        if (is_ta_store(doc)) {
            TRY(ta_add_doc(&ctx->diag, e->name, doc, set));
        } else if (ay_cca_is_rv_store(doc)) {
            TRY(rv_add_doc(&ctx->diag, e->name, doc, set));
        } else {
            json_decref(doc);
        }
    }
    return AY_OK;
}

static void ta_set_free(struct ta_set *set)
{
    for (size_t i = 0; i < set->n_docs; i++) {
        json_decref(set->docs[i]);
    }
    for (size_t i = 0; i < set->n_rvs; i++) {
        json_decref(set->rvs[i]);
    }
}

/* Step 4: the CPAK by instance-id (Trustee ignores the implementation-id here). */
static ay_err find_cpak(struct ay_ctx *ctx, const struct ta_set *set, struct ay_span inst,
                        struct ay_pkey **out)
{
    for (size_t i = 0; i < set->n; i++) {
        if (ay_span_eq(ay_span_of(set->items[i].instance_id, 33), inst)) {
            ay_err err = ay_cose_jwk_ec_pkey(&ctx->diag, set->items[i].pkey, out);
            if (err != AY_OK) {
                /* An unusable anchor means the platform cannot be authenticated: a
                 * verification failure (ccatoken: instance identity not trustworthy). */
                char why[AY_DIAG_MSG_MAX];
                (void)snprintf(why, sizeof why, "%s", ay_diag_message(&ctx->diag));
                ay_diag_clear(&ctx->diag);
                return FAIL(&ctx->diag, AY_ERR_VERIFY,
                            "cca: the trust anchor for this instance-id is unusable: %.400s", why);
            }
            return AY_OK;
        }
    }
    char hex[67];
    ay_hex_encode(inst.ptr, inst.len, hex);
    return FAIL(&ctx->diag, AY_ERR_VERIFY,
                "cca: no trust anchor (CPAK) for platform instance-id %s%s", hex,
                set->n == 0 ? " (no ta-store configured or given)" : "");
}

/* Step 6: the RAK, a raw uncompressed point without realm profile, a COSE_Key with it. */
static ay_err rak_key(struct ay_ctx *ctx, const struct ay_cca_realm *r, struct ay_pkey **out)
{
    if (r->has_profile) {
        ay_err err = ay_cose_key_decode(&ctx->diag, r->public_key, out);
        if (err != AY_OK) {
            ay_diag_prefix(&ctx->diag, "cca: realm public key");
        }
        return err;
    }
    struct ay_cur c;
    uint8_t form = 0;
    ay_cur_init(&c, r->public_key);
    /* A raw RAK is a P-384 point in every profile seen (section 1.3); P-256 and P-521 points
     * are taken by their length. */
    const char *group;
    if (r->public_key.len == 97) {
        group = "P-384";
    } else if (r->public_key.len == 65) {
        group = "P-256";
    } else if (r->public_key.len == 133) {
        group = "P-521";
    } else {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED,
                    "cca: realm public key is %zu bytes, want a 97-byte P-384 point",
                    r->public_key.len);
    }
    if (ay_cur_u8(&c, &form) != AY_OK || form != 0x04) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "cca: realm public key is not uncompressed");
    }
    ay_err err = ay_ec_pkey_from_point(&ctx->diag, group, ay_cur_rest(&c), out);
    if (err != AY_OK) {
        ay_diag_prefix(&ctx->diag, "cca: realm public key");
    }
    return err;
}

/* "sha-256" style names of the CCA claims (section 1.3). */
static bool cca_hash(struct ay_span name, enum ay_hash *out)
{
    if (span_is(name, "sha-256")) {
        *out = AY_HASH_SHA256;
    } else if (span_is(name, "sha-384")) {
        *out = AY_HASH_SHA384;
    } else if (span_is(name, "sha-512")) {
        *out = AY_HASH_SHA512;
    } else {
        return false;
    }
    return true;
}

/* Step 7: H_alg44240(bytes of 44237) == platform challenge. */
static ay_err check_rak_binding(struct ay_ctx *ctx, const struct ay_cca_platform *p,
                                const struct ay_cca_realm *r)
{
    enum ay_hash h;
    if (!cca_hash(r->public_key_hash_algo, &h)) {
        return FAIL(&ctx->diag, AY_ERR_UNSUPPORTED,
                    "cca: realm public-key hash algorithm \"%.*s\" is not supported",
                    (int)(r->public_key_hash_algo.len > 32 ? 32 : r->public_key_hash_algo.len),
                    (const char *)r->public_key_hash_algo.ptr);
    }
    uint8_t md[AY_HASH_MAX];
    TRY(ay_hash(h, r->public_key.ptr, r->public_key.len, md));
    if (!ay_span_eq(ay_span_of(md, ay_hash_len(h)), p->challenge)) {
        return FAIL(&ctx->diag, AY_ERR_VERIFY,
                    "cca: realm key binding broken: %s of the RAK differs from the platform "
                    "challenge",
                    ay_hash_name(h));
    }
    return AY_OK;
}

/* TRUSTEE.md section 3.5 regularize_data + section 3.6 row cca. */
static ay_err check_bindings(struct ay_ctx *ctx, const struct ay_tee_input *in,
                             const struct ay_cca_realm *r)
{
    if (in->report_data != NULL) {
        uint8_t want[CCA_CHALLENGE_LEN];
        memset(want, 0, sizeof want);
        size_t n = in->report_data->len < sizeof want ? in->report_data->len : sizeof want;
        if (n > 0) {
            memcpy(want, in->report_data->ptr, n);
        }
        if (!ay_span_eq(ay_span_of(want, sizeof want), r->challenge)) {
            return FAIL(&ctx->diag, AY_ERR_BINDING,
                        "cca: realm challenge differs from the expected report data");
        }
    } else {
        /* Trustee refuses a CCA request without report data; the contract leaves it to the
         * caller (the CLI may verify without a nonce). */
        ay_log(AY_LOG_DEBUG, "cca: no expected report data: realm challenge not checked");
    }
    /* Init data binds by EXACT equality with the 64-byte RPV (CCA-KBS.md section 0.5). */
    if (in->init_data != NULL && !ay_span_eq(*in->init_data, r->personalization_value)) {
        return FAIL(&ctx->diag, AY_ERR_BINDING,
                    "cca: init data (%zu bytes) differs from the 64-byte realm personalization "
                    "value",
                    in->init_data->len);
    }
    return AY_OK;
}

/* ---- claims (section 1.6 "Claims handed to the AS") ---- */

static json_t *b64(struct ay_span s)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, 4 * s.len + 8);
    ay_b64_encode(AY_B64_STD, s.ptr, s.len, &b);
    json_t *j = ay_buf_finish(&b) == AY_OK ? json_stringn(b.ptr, b.len) : NULL;
    ay_buf_free(&b);
    return j;
}

static json_t *hex(struct ay_span s)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, 2 * s.len + 8);
    ay_buf_hex(&b, s.ptr, s.len);
    json_t *j = ay_buf_finish(&b) == AY_OK ? json_stringn(b.ptr, b.len) : NULL;
    ay_buf_free(&b);
    return j;
}

static json_t *claims_json(const struct ay_cca_platform *p, const struct ay_cca_realm *r)
{
    json_t *rems = json_array();
    for (size_t i = 0; i < 4; i++) {
        json_array_append_new(rems, b64(r->extensible_measurements[i]));
    }
    json_t *platform = json_object();
    json_object_set_new(platform, "cca-platform-instance-id", b64(p->instance_id));
    json_object_set_new(platform, "cca-platform-implementation-id", b64(p->implementation_id));
    json_t *realm = json_object();
    json_object_set_new(realm, "cca-realm-personalization-value", b64(r->personalization_value));
    json_object_set_new(realm, "cca-realm-initial-measurement", b64(r->initial_measurement));
    json_object_set_new(realm, "cca-realm-extensible-measurements", rems);
    json_object_set_new(realm, "cca-realm-hash-algo-id",
                        json_stringn((const char *)r->hash_algo.ptr, r->hash_algo.len));
    json_object_set_new(realm, "cca-realm-challenge", b64(r->challenge));
    json_t *claims = json_object();
    json_object_set_new(claims, "platform", platform);
    json_object_set_new(claims, "realm", realm);
    json_object_set_new(claims, "report_data", hex(r->challenge));
    json_object_set_new(claims, "init_data", hex(r->personalization_value));
    return claims;
}

/* ---- the verifier ---- */

struct cca_state {
    cbor_item_t *coll;
    cbor_item_t *ptok;
    cbor_item_t *rtok;
    cbor_item_t *pclaims;
    cbor_item_t *rclaims;
    struct ay_pkey *cpak;
    struct ay_pkey *rak;
    struct ta_set *tas;
    struct ay_cca_platform platform;
    struct ay_cca_realm realm;
};

/* Steps 10-12: appraisal against the reference-value stores. Trustee requires the realm
 * instance-identity tier to be affirming; ccatoken resets the realm vector when no platform
 * RV matches, so a platform mismatch fails attestation, while an unknown RIM does not (the
 * policy checks it against the RVPS). */
static ay_err appraise(struct ay_ctx *ctx, const struct ta_set *set, struct cca_state *st,
                       struct ay_cca_appraisal *out)
{
    TRY(ay_cca_appraise(&ctx->diag, (const json_t *const *)set->rvs, set->n_rvs, &st->platform,
                        &st->realm, out));
    if (!out->appraised) {
        /* Trustee's local mode always has an rv-store; without one (the CLI, or a config
         * without "rv-store") the platform is not appraised and the vectors stay unset. */
        ay_log(AY_LOG_DEBUG, "cca: no rv-store: platform software components not appraised");
        memset(out, 0, sizeof *out);
        ay_cca_tv_set(&out->realm, AY_TV_INSTANCE_IDENTITY, 2);
        return AY_OK;
    }
    /* The tier of the realm instance-identity claim alone (not the whole vector: an unknown
     * RIM or a REM mismatch lowers executables only). */
    int8_t inst = out->realm.v[AY_TV_INSTANCE_IDENTITY];
    if ((out->realm.set & (1u << AY_TV_INSTANCE_IDENTITY)) == 0 || inst < -32 || inst > 31 ||
        (inst >= -1 && inst <= 1)) {
        char hex[65];
        ay_hex_encode(st->platform.implementation_id.ptr, 32, hex);
        return FAIL(&ctx->diag, AY_ERR_VERIFY,
                    "cca: platform reference values do not match (implementation-id %s, %zu "
                    "sw-components): hardware 97, realm instance identity not affirming",
                    hex, st->platform.n_sw);
    }
    if (!out->realm_matched) {
        ay_log(AY_LOG_DEBUG,
               "cca: realm initial measurement not in the rv-store (executables -97)");
    }
    return AY_OK;
}

static ay_err expected_challenge(const struct ay_tee_input *in, uint8_t want[CCA_CHALLENGE_LEN])
{
    memset(want, 0, CCA_CHALLENGE_LEN);
    size_t n = in->report_data->len < CCA_CHALLENGE_LEN ? in->report_data->len : CCA_CHALLENGE_LEN;
    if (n > 0) {
        memcpy(want, in->report_data->ptr, n);
    }
    return AY_OK;
}

/* Remote mode: Veraison does the cryptography; Trustee keeps only the annotated evidence and
 * the eat_nonce check (section 1.6 remote steps 4-6), then the init-data binding. */
static ay_err run_remote(struct ay_ctx *ctx, const struct ay_tee_input *in,
                         const struct cca_cfg *cfg, struct ay_span token, json_t **out_claims)
{
    if (in->report_data == NULL) {
        return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST,
                    "cca: remote mode needs the expected report data (the Veraison session "
                    "nonce)");
    }
    uint8_t want[CCA_CHALLENGE_LEN];
    TRY(expected_challenge(in, want));
    struct ay_cca_remote_cfg rc = {
        .address = cfg->address, .ca_cert = cfg->ca_cert, .timeout_s = cfg->timeout_s};
    json_t *claims = NULL;
    TRY(ay_cca_remote_verify(ctx, &rc, token, want, &claims));
    if (in->init_data != NULL) {
        const char *rpv = json_string_value(json_object_get(claims, "init_data"));
        struct ay_buf b;
        ay_buf_init(&b, NULL, 2 * in->init_data->len + 8);
        ay_buf_hex(&b, in->init_data->ptr, in->init_data->len);
        bool ok = ay_buf_finish(&b) == AY_OK && rpv != NULL && strcmp(rpv, b.ptr) == 0;
        ay_buf_free(&b);
        if (!ok) {
            json_decref(claims);
            return FAIL(&ctx->diag, AY_ERR_BINDING,
                        "cca: init data differs from the realm personalization value Veraison "
                        "reported");
        }
    }
    *out_claims = claims;
    return AY_OK;
}

static ay_err run(struct ay_ctx *ctx, const struct ay_tee_input *in, struct cca_state *st,
                  json_t **out_claims, struct ay_cca_appraisal *appraisal)
{
    struct ay_diag *d = &ctx->diag;
    if (in->evidence.len > AY_LIMIT_EVIDENCE) {
        return FAIL(d, AY_ERR_LIMIT, "cca: evidence over %zu bytes", AY_LIMIT_EVIDENCE);
    }
    struct cca_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    TRY(load_config(ctx, in, &cfg));
    struct ay_span token;
    TRY(evidence_token(ctx, in->evidence, &token));
    struct ay_cca_collection coll;
    TRY(ay_cca_collection_decode(d, token, &st->coll, &coll));
    if (cfg.remote) {
        return run_remote(ctx, in, &cfg, token, out_claims);
    }
    TRY(load_stores(ctx, in, &cfg, st->tas));
    struct ay_cose_sign1 ps;
    struct ay_cose_sign1 rs;
    TRY(ay_cose_sign1_decode(d, "cca: platform token", coll.platform, &st->ptok, &ps));
    TRY(ay_cose_sign1_decode(d, "cca: realm token", coll.realm, &st->rtok, &rs));
    TRY(ay_cca_platform_parse(d, ps.payload, &st->pclaims, &st->platform));
    TRY(ay_cca_realm_parse(d, rs.payload, &st->rclaims, &st->realm));
    TRY(find_cpak(ctx, st->tas, st->platform.instance_id, &st->cpak));
    TRY(ay_cose_sign1_verify(d, "cca: platform token (CPAK)", &ps, st->cpak, ctx->arena));
    TRY(rak_key(ctx, &st->realm, &st->rak));
    TRY(ay_cose_sign1_verify(d, "cca: realm token (RAK)", &rs, st->rak, ctx->arena));
    TRY(check_rak_binding(ctx, &st->platform, &st->realm));
    TRY(appraise(ctx, st->tas, st, appraisal));
    TRY(check_bindings(ctx, in, &st->realm));
    json_t *claims = claims_json(&st->platform, &st->realm);
    if (claims == NULL) {
        return FAIL(d, AY_ERR_INTERNAL, "cca: cannot build claims");
    }
    /* Beyond Trustee (which discards them): the AR4SI trust vectors of the appraisal, as EAR
     * submods, under cca.appraisal; a policy may copy them into its trust claims (the EAR hints
     * of docs/API.md). */
    json_object_set_new(claims, "appraisal", ay_cca_appraisal_json(appraisal));
    *out_claims = claims;
    return AY_OK;
}

ay_err ay_tee_cca_verify_ex(struct ay_ctx *ctx, const struct ay_tee_input *in, json_t **out_claims,
                            struct ay_cca_appraisal *out_appraisal)
{
    struct cca_state *st = ay_xcalloc(1, sizeof *st);
    st->tas = ay_xcalloc(1, sizeof *st->tas);
    struct ay_cca_appraisal appraisal;
    memset(&appraisal, 0, sizeof appraisal);
    ay_err err = run(ctx, in, st, out_claims, &appraisal);
    if (out_appraisal != NULL) {
        *out_appraisal = appraisal;
    }
    ay_cbor_free(st->coll);
    ay_cbor_free(st->ptok);
    ay_cbor_free(st->rtok);
    ay_cbor_free(st->pclaims);
    ay_cbor_free(st->rclaims);
    ay_pkey_free(st->cpak);
    ay_pkey_free(st->rak);
    ta_set_free(st->tas);
    ay_free(st->tas);
    ay_free(st);
    return err;
}

ay_err ay_tee_cca_verify(struct ay_ctx *ctx, const struct ay_tee_input *in, json_t **out_claims)
{
    return ay_tee_cca_verify_ex(ctx, in, out_claims, NULL);
}
