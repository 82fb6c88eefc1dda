/* SPDX-License-Identifier: Apache-2.0 */
/* The attestation service: construction and the pipeline of TRUSTEE.md section 3.7 for
 * POST /attestation (decode, expected report data / init data, verifier, claims layout,
 * policy, EAR or simple token), plus challenge and JWKS. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "as/as.h"
#include "as/as_initdata.h"
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
#include "codec/codec_jcs.h"
#include "crypto/crypto_digest.h"
#include "store/store.h"
#include "tee/tee.h"
#include "token/token.h"

/* ---- construction ---- */

static ay_err make_dirs(const char *path, struct ay_diag *diag)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s", path);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        return FAIL(diag, AY_ERR_CONFIG, "path too long: %s", path);
    }
    for (char *p = tmp + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
                return FAIL(diag, AY_ERR_IO, "mkdir %s: %s", tmp, strerror(errno));
            }
            *p = '/';
        }
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
        return FAIL(diag, AY_ERR_IO, "mkdir %s: %s", tmp, strerror(errno));
    }
    return AY_OK;
}

static ay_err open_store(const struct ay_as_config *c, struct ay_diag *diag, struct ay_store **out)
{
    switch (c->storage) {
    case AY_AS_STORAGE_MEMORY:
        return ay_store_open_memory(out);
    case AY_AS_STORAGE_SQLITE: {
        char dir[4096];
        (void)snprintf(dir, sizeof dir, "%s", c->storage_path);
        char *slash = strrchr(dir, '/');
        if (slash != NULL && slash != dir) {
            *slash = '\0';
            TRY(make_dirs(dir, diag));
        }
        return ay_store_open_sqlite(c->storage_path, diag, out);
    }
    }
    return AY_ERR_INTERNAL;
}

ay_err ay_as_new(const struct ay_as_config *cfg, struct ay_diag *diag, struct ay_as **out)
{
    struct ay_as *as = ay_xcalloc(1, sizeof *as);
    ay_err err = AY_OK;
    bool policy_ready = false;
    struct ay_token_signer_opts so;
    memset(&so, 0, sizeof so);
    CHECK(as_config_parse_quiet(cfg->text, strlen(cfg->text), true, diag, &as->cfg));
    /* The work dir and storage path were resolved when cfg was parsed: keep those. */
    ay_free(as->cfg->work_dir);
    as->cfg->work_dir = ay_xstrdup(cfg->work_dir);
    ay_free(as->cfg->storage_path);
    as->cfg->storage_path = cfg->storage_path != NULL ? ay_xstrdup(cfg->storage_path) : NULL;
    as->cfg->storage = cfg->storage;
    CHECK(make_dirs(as->cfg->work_dir, diag));
    CHECK(open_store(as->cfg, diag, &as->store));
    so.alg = as->cfg->token_simple ? AY_SIGN_RS384 : AY_SIGN_ES256;
    so.key_path = as->cfg->key_path;
    so.cert_path = as->cfg->cert_path;
    so.cert_url = as->cfg->cert_url;
    so.work_dir = as->cfg->work_dir;
    CHECK(ay_token_signer_new(&so, diag, &as->signer));
    CHECK(as_policy_init(as, diag));
    policy_ready = true;
    ay_log(AY_LOG_INFO, "attestation service ready: work_dir %s, %s token, signing key %s",
           as->cfg->work_dir, as->cfg->token_simple ? "simple (RS384)" : "EAR (ES256)",
           ay_token_signer_key_path(as->signer));
    *out = as;
    return AY_OK;
out:
    if (!policy_ready && as->builtins != NULL) {
        as_policy_fini(as);
    }
    ay_token_signer_free(as->signer);
    if (as->store != NULL) {
        ay_store_close(as->store);
    }
    ay_as_config_free(as->cfg);
    ay_free(as);
    return err;
}

void ay_as_free(struct ay_as *as)
{
    if (as == NULL) {
        return;
    }
    as_policy_fini(as);
    ay_token_signer_free(as->signer);
    ay_store_close(as->store);
    ay_as_config_free(as->cfg);
    ay_free(as);
}

/* ---- request parsing ---- */

/* One decoded entry of verification_requests. */
struct vreq {
    const struct ay_tee *tee;
    struct ay_span evidence;
    bool has_rd;
    struct ay_span rd;
    json_t *rd_claims; /* runtime_data_claims: structured value or null */
    bool has_id;
    struct ay_span id;
    json_t *id_claims; /* init_data_claims: TOML data map or null */
};

static void vreq_clear(struct vreq *v)
{
    json_decref(v->rd_claims);
    json_decref(v->id_claims);
    v->rd_claims = NULL;
    v->id_claims = NULL;
}

static ay_err b64url_field(struct ay_ctx *ctx, const json_t *v, const char *name,
                           struct ay_span *out)
{
    if (!json_is_string(v)) {
        return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "`%s` must be a string", name);
    }
    /* TRUSTEE.md section 1.1: URL_SAFE_NO_PAD, strict. */
    if (ay_b64_decode(AY_B64_URL_NOPAD, json_string_value(v), json_string_length(v), ctx->arena,
                      out) != AY_OK) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "`%s` is not base64url without padding", name);
    }
    return AY_OK;
}

/* The one key of an externally tagged enum ({"raw": ...} | {"structured": ...}). */
static ay_err one_key(struct ay_ctx *ctx, const json_t *obj, const char *name, const char **key,
                      json_t **val)
{
    if (!json_is_object(obj) || json_object_size(obj) != 1) {
        return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "`%s` must be an object with exactly one key",
                    name);
    }
    void *it = json_object_iter((json_t *)(uintptr_t)obj);
    *key = json_object_iter_key(it);
    *val = json_object_iter_value(it);
    return AY_OK;
}

static ay_err hash_alg(struct ay_ctx *ctx, const json_t *v, enum ay_hash *out)
{
    *out = AY_HASH_SHA384; /* TRUSTEE.md section 3.3 default */
    if (v == NULL || json_is_null(v)) {
        return AY_OK;
    }
    if (!json_is_string(v)) {
        return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST,
                    "`runtime_data_hash_algorithm` must be a string");
    }
    /* Case-insensitive, exact token (TRUSTEE.md section 3.3): "sha-384" is refused. */
    char lower[16];
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0) {
        return AY_OK; /* gRPC's empty string means the default */
    }
    if (n >= sizeof lower) {
        return FAIL(&ctx->diag, AY_ERR_UNSUPPORTED, "unsupported runtime_data_hash_algorithm");
    }
    for (size_t i = 0; i < n; i++) {
        lower[i] = (char)ay_to_lower((unsigned char)s[i]);
    }
    lower[n] = '\0';
    if (!ay_hash_from_name(lower, out) || *out == AY_HASH_SHA1) {
        return FAIL(&ctx->diag, AY_ERR_UNSUPPORTED,
                    "runtime_data_hash_algorithm must be sha256, sha384 or sha512");
    }
    return AY_OK;
}

static ay_err digest_into(struct ay_ctx *ctx, enum ay_hash h, const void *p, size_t n,
                          struct ay_span *out)
{
    void *buf = NULL;
    TRY(ay_arena_alloc(ctx->arena, AY_HASH_MAX, &buf));
    TRY(ay_hash(h, p, n, buf));
    *out = ay_span_of(buf, ay_hash_len(h));
    return AY_OK;
}

static ay_err parse_runtime_data(struct ay_ctx *ctx, const json_t *rdj, const json_t *algj,
                                 struct vreq *v)
{
    enum ay_hash alg;
    TRY(hash_alg(ctx, algj, &alg));
    if (rdj == NULL || json_is_null(rdj)) {
        return AY_OK;
    }
    const char *k;
    json_t *val;
    TRY(one_key(ctx, rdj, "runtime_data", &k, &val));
    v->has_rd = true;
    if (strcmp(k, "raw") == 0) {
        /* TRUSTEE.md section 3.3: raw bytes are the expected value as they are. */
        TRY(b64url_field(ctx, val, "runtime_data.raw", &v->rd));
        v->rd_claims = json_null();
        return AY_OK;
    }
    if (strcmp(k, "structured") == 0) {
        /* expected = H(JCS(value)); the claims keep the value as received. */
        struct ay_buf b;
        ay_buf_init(&b, ctx->arena, AY_LIMIT_HTTP_BODY);
        ay_err err = ay_jcs_write(val, &b);
        if (err != AY_OK) {
            return FAIL(&ctx->diag, err == AY_ERR_LIMIT ? AY_ERR_LIMIT : AY_ERR_BAD_REQUEST,
                        "runtime_data.structured cannot be canonicalized (RFC 8785)");
        }
        TRY(digest_into(ctx, alg, b.ptr, b.len, &v->rd));
        v->rd_claims = json_incref(val);
        return AY_OK;
    }
    return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST,
                "`runtime_data` must be {\"raw\": ...} or {\"structured\": ...}");
}

static ay_err parse_init_data(struct ay_ctx *ctx, const json_t *idj, struct vreq *v)
{
    if (idj == NULL || json_is_null(idj)) {
        return AY_OK;
    }
    const char *k;
    json_t *val;
    TRY(one_key(ctx, idj, "init_data", &k, &val));
    v->has_id = true;
    if (strcmp(k, "init_data_digest") == 0) {
        TRY(b64url_field(ctx, val, "init_data.init_data_digest", &v->id));
        v->id_claims = json_null();
        return AY_OK;
    }
    if (strcmp(k, "init_data_toml") == 0) {
        if (!json_is_string(val)) {
            return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "`init_data_toml` must be a string");
        }
        enum ay_hash alg;
        json_t *claims = NULL;
        TRY(ay_initdata_toml_parse(json_string_value(val), json_string_length(val), &ctx->diag,
                                   &alg, &claims));
        v->id_claims = claims;
        /* TRUSTEE.md section 3.4: the hash of the whole TOML text, by its own algorithm. */
        return digest_into(ctx, alg, json_string_value(val), json_string_length(val), &v->id);
    }
    return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST,
                "`init_data` must be {\"init_data_digest\": ...} or {\"init_data_toml\": ...}");
}

static ay_err parse_vreq(struct ay_ctx *ctx, const json_t *r, size_t idx, struct vreq *v)
{
    if (!json_is_object(r)) {
        return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "verification_requests[%zu] is not an object",
                    idx);
    }
    const json_t *tee = json_object_get(r, "tee");
    if (!json_is_string(tee)) {
        return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "missing field `tee` (a string)");
    }
    v->tee = ay_tee_find(json_string_value(tee));
    const char *what = v->tee == NULL ? ay_tee_unsupported(json_string_value(tee)) : NULL;
    if (what != NULL) {
        return FAIL(&ctx->diag, AY_ERR_UNSUPPORTED,
                    "tee `%s` (%s) is not supported by assay: it has no verifier for it",
                    json_string_value(tee), what);
    }
    if (v->tee == NULL) {
        struct ay_buf b;
        ay_buf_init(&b, ctx->arena, 256);
        ay_buf_json_str(&b, json_string_value(tee),
                        json_string_length(tee) > 64 ? 64 : json_string_length(tee));
        return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "tee %s not supported",
                    b.ptr != NULL ? b.ptr : "");
    }
    const json_t *ev = json_object_get(r, "evidence");
    if (ev == NULL) {
        return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "missing field `evidence`");
    }
    TRY(b64url_field(ctx, ev, "evidence", &v->evidence));
    if (v->evidence.len > AY_LIMIT_EVIDENCE) {
        return FAIL(&ctx->diag, AY_ERR_LIMIT, "evidence over %zu bytes", AY_LIMIT_EVIDENCE);
    }
    TRY(parse_runtime_data(ctx, json_object_get(r, "runtime_data"),
                           json_object_get(r, "runtime_data_hash_algorithm"), v));
    TRY(parse_init_data(ctx, json_object_get(r, "init_data"), v));
    /* TRUSTEE.md section 3.2: the decoded evidence must be JSON before any verifier sees it. */
    json_error_t je;
    json_t *evj = json_loadb((const char *)v->evidence.ptr, v->evidence.len, JSON_DECODE_ANY, &je);
    if (evj == NULL) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "evidence is not JSON: %s", je.text);
    }
    json_decref(evj);
    return AY_OK;
}

/* ---- claims layout (TRUSTEE.md section 3.8) ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *as_claims_layout(const char *tee, const json_t *claims, const json_t *rd_claims,
                         const json_t *id_claims, bool verbose)
{
    json_t *tmp = json_object();
    json_t *rest = json_deep_copy(claims);
    json_t *id = json_object_get(rest, "init_data");
    if (id != NULL) {
        json_object_set(tmp, "init_data", id);
        json_object_set_new(tmp, "init_data_claims",
                            id_claims != NULL ? json_deep_copy(id_claims) : json_null());
        json_object_del(rest, "init_data");
    }
    json_t *rd = json_object_get(rest, "report_data");
    if (rd != NULL) {
        json_object_set(tmp, "report_data", rd);
        json_t *rdc = rd_claims != NULL ? json_deep_copy(rd_claims) : json_null();
        if (!verbose && json_is_object(rdc)) {
            json_object_del(rdc, "additional-evidence");
        }
        json_object_set_new(tmp, "runtime_data_claims", rdc);
        json_object_del(rest, "report_data");
    }
    json_object_set_new(tmp, tee, rest);
    /* BTreeMap order: sorted by key. */
    const char *keys[8];
    size_t n = 0;
    const char *k;
    json_t *val;
    json_object_foreach(tmp, k, val)
    {
        if (n < 8) {
            keys[n++] = k;
        }
    }
    qsort(keys, n, sizeof keys[0], cmp_str);
    json_t *out = json_object();
    for (size_t i = 0; i < n; i++) {
        json_object_set(out, keys[i], json_object_get(tmp, keys[i]));
    }
    json_decref(tmp);
    return out;
}

/* ---- policy step ---- */

struct appraisal_in {
    const char *policy_base; /* policy_ids[0] or "default" */
    const char *device_class;
    json_t *annotated;
    const char *tee;         /* for a Cocos policy */
    struct ay_span evidence; /* idem: the evidence the verifier accepted */
};

static ay_err eval_policy(struct ay_as *as, struct ay_ctx *ctx, const struct appraisal_in *in,
                          bool simple, json_t **out_trust, json_t **out_ext, json_t **out_allow,
                          char hash_out[97])
{
    /* TRUSTEE.md section 0 item 3: the stored policy is <id>_<device class>. */
    char full[160];
    int n = snprintf(full, sizeof full, "%s_%s", in->policy_base, in->device_class);
    if (n < 0 || (size_t)n >= sizeof full || !as_id_valid(full)) {
        return FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "invalid policy id");
    }
    struct as_policy_ref ref;
    memset(&ref, 0, sizeof ref);
    TRY(as_policy_acquire(as, ctx, full, &ref));
    memcpy(hash_out, ref.sha384_hex, 97);
    if (ref.kind != AS_POLICY_REGO) {
        /* A Cocos policy stands in for trust_claims (docs/API.md); it has no extensions and no
         * `allow`, so the simple token follows the appraisal status as for such Rego. */
        ay_err cerr = as_cocos_apply(ctx, full, ref.kind, ref.cocos, in->tee, in->evidence,
                                     in->annotated, out_trust);
        as_policy_put(&ref);
        return cerr;
    }
    static const char *const rules[] = {"trust_claims", "extensions", "allow"};
    json_t *vals[3] = {NULL, NULL, NULL};
    struct ay_buf input;
    ay_buf_init(&input, ctx->arena, AY_LIMIT_RESPONSE);
    ay_err err = ay_json_dump(in->annotated, JSON_COMPACT, &input);
    if (err != AY_OK) {
        err = FAIL(&ctx->diag, err, "claims serialization");
        goto out;
    }
    CHECK(as_policy_eval(as, ctx, &ref, rules, simple ? 3 : 2, input.ptr, input.len, vals));
    *out_trust = vals[0];
    *out_ext = vals[1];
    if (simple) {
        *out_allow = vals[2];
    }
out:
    if (err != AY_OK) {
        json_decref(*out_trust);
        json_decref(*out_allow);
        *out_trust = NULL;
        *out_allow = NULL;
        ay_diag_prefix(&ctx->diag, "policy %s", full);
    }
    as_policy_put(&ref);
    return err;
}

static ay_err issue_simple(struct ay_as *as, struct ay_ctx *ctx, const struct vreq *v,
                           const char *policy_id, const char *hash, json_t *annotated,
                           struct ay_buf *out)
{
    json_t *flat = ay_token_simple_flatten(annotated, v->tee->name);
    struct ay_simple_params sp = {
        .issuer = as->cfg->issuer_name,
        .iat = ctx->now,
        .duration_min = as->cfg->duration_min,
        .tee = v->tee->name,
        .policy_id = policy_id,
        .policy_hash = hash,
        .init_data = json_object_get(annotated, "init_data_claims"),
        .runtime_data = json_object_get(annotated, "runtime_data_claims"),
    };
    json_t *claims = NULL;
    ay_err err = ay_token_simple_claims(&sp, flat, &ctx->diag, &claims);
    json_decref(flat);
    TRY(err);
    err = ay_token_jwt_sign(as->signer, claims, out, &ctx->diag);
    json_decref(claims);
    return err;
}

/* ---- POST /attestation ---- */

struct class_count {
    const char *cls;
    unsigned n;
};

static unsigned next_index(struct class_count *cc, size_t *ncc, const char *cls)
{
    for (size_t i = 0; i < *ncc; i++) {
        if (strcmp(cc[i].cls, cls) == 0) {
            return cc[i].n++;
        }
    }
    cc[*ncc].cls = cls;
    cc[*ncc].n = 1;
    (*ncc)++;
    return 0;
}

ay_err ay_as_attest(struct ay_as *as, struct ay_ctx *ctx, struct ay_span body, struct ay_buf *out,
                    struct ay_as_attest_info *info)
{
    struct vreq reqs[AY_LIMIT_VERIFICATION_REQUESTS];
    size_t nreq = 0;
    json_t *root = NULL;
    json_t *submods = json_object();
    json_t *claims = NULL;
    json_t *ear = NULL;
    ay_err err = AY_OK;
    const char *policy_base = "default";
    const json_t *vr = NULL;
    const json_t *pids = NULL;
    struct class_count cc[AY_LIMIT_VERIFICATION_REQUESTS];
    size_t ncc = 0;
    json_error_t je;
    memset(reqs, 0, sizeof reqs);
    info->tee = "unknown";
    info->accepted = false;

    root = json_loadb((const char *)body.ptr, body.len, 0, &je);
    if (root == NULL) {
        err = FAIL(&ctx->diag, AY_ERR_MALFORMED, "request is not JSON: %s at line %d column %d",
                   je.text, je.line, je.column);
        goto out;
    }
    if (!json_is_object(root)) {
        err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "request must be a JSON object");
        goto out;
    }
    vr = json_object_get(root, "verification_requests");
    pids = json_object_get(root, "policy_ids");
    if (!json_is_array(vr)) {
        err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST,
                   "missing field `verification_requests` (an array)");
        goto out;
    }
    if (!json_is_array(pids)) {
        err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "missing field `policy_ids` (an array)");
        goto out;
    }
    if (json_array_size(vr) == 0) {
        err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "No verification requests provided.");
        goto out;
    }
    if (json_array_size(vr) > AY_LIMIT_VERIFICATION_REQUESTS) {
        err = FAIL(&ctx->diag, AY_ERR_LIMIT, "more than %d verification requests",
                   AY_LIMIT_VERIFICATION_REQUESTS);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(pids); i++) {
        if (!json_is_string(json_array_get(pids, i))) {
            err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "`policy_ids` must hold strings");
            goto out;
        }
    }
    /* TRUSTEE.md section 0 item 3: only policy_ids[0] is used; [] means "default". */
    if (json_array_size(pids) > 0) {
        policy_base = json_string_value(json_array_get(pids, 0));
    }
    for (size_t i = 0; i < json_array_size(vr); i++) {
        CHECK(parse_vreq(ctx, json_array_get(vr, i), i, &reqs[i]));
        nreq = i + 1;
        if (i == 0) {
            info->tee = reqs[0].tee->name;
        }
    }
    if (as->cfg->token_simple && nreq != 1) {
        err = FAIL(&ctx->diag, AY_ERR_UNSUPPORTED,
                   "the simple token carries exactly one verification request");
        goto out;
    }
    for (size_t i = 0; i < nreq; i++) {
        struct vreq *v = &reqs[i];
        struct ay_tee_input in = {
            .evidence = v->evidence,
            .report_data = v->has_rd ? &v->rd : NULL,
            .init_data = v->has_id ? &v->id : NULL,
            .endorsements = NULL,
            .n_endorsements = 0,
            .config = as->cfg->verifier_config,
            .require_collateral = true,
        };
        json_t *tee_claims = NULL;
        err = v->tee->verify(ctx, &in, &tee_claims);
        if (err == AY_OK && !json_is_object(tee_claims)) {
            json_decref(tee_claims);
            err = FAIL(&ctx->diag, AY_ERR_INTERNAL, "%s: verifier returned no claims object",
                       v->tee->name);
        }
        if (err != AY_OK) {
            goto out;
        }
        json_t *annotated = as_claims_layout(v->tee->name, tee_claims, v->rd_claims, v->id_claims,
                                             as->cfg->verbose_token);
        json_decref(tee_claims);
        struct appraisal_in ain = {policy_base, v->tee->device_class, annotated, v->tee->name,
                                   v->evidence};
        json_t *trust = NULL;
        json_t *ext = NULL;
        json_t *allow = NULL;
        char hash[97];
        err = eval_policy(as, ctx, &ain, as->cfg->token_simple, &trust, &ext, &allow, hash);
        if (err == AY_OK && as->cfg->token_simple) {
            json_t *appr = NULL;
            bool allowed;
            if (allow != NULL) {
                allowed = json_is_true(allow);
            } else {
                /* A policy with no `allow` rule (the EAR defaults): accept unless the
                 * appraisal is contraindicated. */
                err =
                    ay_token_ear_appraisal(trust, NULL, policy_base, annotated, &ctx->diag, &appr);
                allowed = err == AY_OK && strcmp(ay_token_ear_status(appr), "contraindicated") != 0;
                json_decref(appr);
            }
            if (err == AY_OK && !allowed) {
                err = FAIL(&ctx->diag, AY_ERR_POLICY_DENIED, "Reject by policy %s_%s", policy_base,
                           v->tee->device_class);
            }
            if (err == AY_OK) {
                err = issue_simple(as, ctx, v, policy_base, hash, annotated, out);
            }
        } else if (err == AY_OK) {
            json_t *appr = NULL;
            err = ay_token_ear_appraisal(trust, ext, policy_base, annotated, &ctx->diag, &appr);
            if (err == AY_OK) {
                char name[80];
                unsigned idx = next_index(cc, &ncc, v->tee->device_class);
                (void)snprintf(name, sizeof name, "%s%u", v->tee->device_class, idx);
                json_object_set_new(submods, name, appr);
            }
        }
        json_decref(trust);
        json_decref(ext);
        json_decref(allow);
        json_decref(annotated);
        if (err != AY_OK) {
            goto out;
        }
    }
    if (!as->cfg->token_simple) {
        /* Submods sorted by name (a BTreeMap in the ear crate). */
        const char *names[AY_LIMIT_VERIFICATION_REQUESTS];
        size_t nn = 0;
        const char *k;
        json_t *val;
        json_object_foreach(submods, k, val)
        {
            names[nn++] = k;
        }
        qsort(names, nn, sizeof names[0], cmp_str);
        json_t *sorted = json_object();
        for (size_t i = 0; i < nn; i++) {
            json_object_set(sorted, names[i], json_object_get(submods, names[i]));
        }
        struct ay_ear_params p = {
            .profile = as->cfg->profile_name,
            .issuer = as->cfg->issuer_name,
            .developer = as->cfg->developer_name,
            .build = as->cfg->build_name,
            .iat = ctx->now,
            .duration_min = as->cfg->duration_min,
        };
        ear = ay_token_ear_claims(&p, sorted);
        json_decref(sorted);
        CHECK(ay_token_jwt_sign(as->signer, ear, out, &ctx->diag));
    }
    info->accepted = true;
out:
    for (size_t i = 0; i < AY_LIMIT_VERIFICATION_REQUESTS; i++) {
        vreq_clear(&reqs[i]);
    }
    json_decref(ear);
    json_decref(claims);
    json_decref(submods);
    json_decref(root);
    return err;
}

/* ---- POST /challenge, GET /.well-known/jwks.json ---- */

/* kbs-types Tee wire names (TRUSTEE.md section 3.1). */
static const char *const known_tees[] = {
    "sample", "sampledevice", "hygondcu", "nvidia", "tpm",         "se",          "cca",
    "csv",    "snp",          "tdx",      "sgx",    "az-snp-vtpm", "az-tdx-vtpm", NULL,
};

ay_err ay_as_challenge(struct ay_as *as, struct ay_ctx *ctx, struct ay_span body,
                       struct ay_buf *out)
{
    (void)as;
    (void)out;
    json_error_t je;
    json_t *root = json_loadb((const char *)body.ptr, body.len, 0, &je);
    ay_err err = AY_OK;
    const char *k;
    json_t *v;
    const char *tee = NULL;
    bool known = false;
    if (root == NULL) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "request is not JSON: %s", je.text);
    }
    if (!json_is_object(root)) {
        err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "request must be a JSON object");
        goto out;
    }
    /* TRUSTEE.md section 1.1: every value must be a string; tee and tee_params required. */
    json_object_foreach(root, k, v)
    {
        if (!json_is_string(v)) {
            err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "challenge values must be strings");
            goto out;
        }
    }
    tee = json_string_value(json_object_get(root, "tee"));
    if (tee == NULL || json_object_get(root, "tee_params") == NULL) {
        err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "`tee` and `tee_params` are required");
        goto out;
    }
    for (size_t i = 0; known_tees[i] != NULL; i++) {
        if (strcmp(known_tees[i], tee) == 0) {
            known = true;
        }
    }
    if (!known) {
        err = FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "unknown tee in challenge request");
        goto out;
    }
    if (strcmp(tee, "se") == 0) {
        err = FAIL(&ctx->diag, AY_ERR_UNSUPPORTED,
                   "se: IBM Secure Execution challenges are not supported by assay");
        goto out;
    }
    /* Every other TEE: an empty challenge. */
out:
    json_decref(root);
    return err;
}

ay_err ay_as_jwks(struct ay_as *as, struct ay_ctx *ctx, struct ay_buf *out)
{
    json_t *jwks = json_object();
    json_t *keys = json_array();
    json_array_append(keys, (json_t *)(uintptr_t)ay_token_signer_jwk(as->signer));
    json_object_set_new(jwks, "keys", keys);
    ay_err err = ay_json_dump(jwks, JSON_COMPACT, out);
    json_decref(jwks);
    if (err != AY_OK) {
        return FAIL(&ctx->diag, err, "JWKS serialization");
    }
    return AY_OK;
}
