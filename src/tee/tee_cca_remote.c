/* SPDX-License-Identifier: Apache-2.0 */
/* CCA remote mode: Veraison's challenge-response API over net_fetch, as Trustee's remote CCA
 * verifier uses it (CCA-KBS.md section 1.6 "Remote mode", section 2.5 "Veraison's EAR"):
 * discovery, a session with the expected value as nonce, the token POSTed as
 * application/eat-collection, the EAR JWT verified with the discovered key (ES256 only, as
 * Trustee) and its eat_nonce compared; Trustee's claims are rebuilt from the annotated
 * evidence. Veraison's ear.status and trust vectors are not consulted (section 0 item 4). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "base/base_log.h"
#include "codec/codec_b64.h"
#include "crypto/crypto_cose.h"
#include "crypto/crypto_digest.h"
#include "crypto/crypto_x509.h"
#include "net/net_fetch.h"
#include "tee/tee_cca.h"

#define MT_DISCOVERY    "application/vnd.veraison.discovery+json"
#define MT_SESSION      "application/vnd.veraison.challenge-response-session+json"
#define MT_CCA          "application/eat-collection; profile=\"http://arm.com/CCA-SSD/1.0.0\""
#define REMOTE_BODY_MAX ((size_t)1024 * 1024) /* any Veraison answer */
#define REMOTE_URL_MAX  2048
#define NONCE_LEN       64

struct rx {
    struct ay_buf body;
    char location[REMOTE_URL_MAX];
};

static void on_header(void *arg, const char *p, size_t len)
{
    struct rx *r = arg;
    static const char name[] = "location:";
    if (len > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
        size_t i = sizeof name - 1;
        while (i < len && (p[i] == ' ' || p[i] == '\t')) {
            i++;
        }
        size_t j = len;
        while (j > i && (p[j - 1] == '\r' || p[j - 1] == '\n' || p[j - 1] == ' ')) {
            j--;
        }
        if (j - i < sizeof r->location) {
            memcpy(r->location, p + i, j - i);
            r->location[j - i] = '\0';
        }
    }
}

struct req {
    const char *method; /* "GET" or "POST" */
    const char *url;
    const char *accept;
    const char *content_type; /* POST only */
    struct ay_span body;
};

static ay_err http(struct ay_ctx *ctx, const struct ay_cca_remote_cfg *cfg, const struct req *q,
                   long *status, struct rx *r)
{
    char accept[160];
    char ctype[160];
    (void)snprintf(accept, sizeof accept, "Accept: %s", q->accept);
    (void)snprintf(ctype, sizeof ctype, "Content-Type: %s", q->content_type ? q->content_type : "");
    const char *hdrs[3] = {accept, q->content_type != NULL ? ctype : NULL, NULL};
    struct ay_net_req nq = {.method = q->method,
                            .url = q->url,
                            .headers = hdrs,
                            .body = q->body.ptr,
                            .body_len = q->body.len,
                            .timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : 30,
                            .ca_file = cfg->ca_cert,
                            .max_body = REMOTE_BODY_MAX,
                            .on_header = on_header,
                            .header_arg = r};
    struct ay_net_resp a;
    *status = 0;
    ay_err e = ay_net_fetch(&nq, &ctx->diag, &a);
    if (e != AY_OK) {
        ay_diag_prefix(&ctx->diag, "cca: remote");
        return e;
    }
    *status = a.status;
    ay_buf_put(&r->body, a.body, a.len);
    ay_net_resp_free(&a);
    if (ay_buf_finish(&r->body) != AY_OK) {
        return FAIL(&ctx->diag, AY_ERR_LIMIT, "cca: remote: answer too large");
    }
    return AY_OK;
}

/* The answer body as a JSON object; an RFC 7807 problem detail is quoted in the message. */
static ay_err answer_json(struct ay_ctx *ctx, const char *what, long status, long want,
                          const struct rx *r, json_t **out)
{
    json_error_t jerr;
    json_t *j = json_loadb(r->body.ptr ? r->body.ptr : "", r->body.len, 0, &jerr);
    if (status != want) {
        const char *detail = json_string_value(json_object_get(j, "detail"));
        ay_err e = FAIL(&ctx->diag, AY_ERR_NETWORK, "cca: remote: %s answered HTTP %ld%s%.200s",
                        what, status, detail ? ": " : "", detail ? detail : "");
        json_decref(j);
        return e;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "cca: remote: %s answer is not a JSON object",
                    what);
    }
    *out = j;
    return AY_OK;
}

/* RFC 3986 section 5.2 for the three forms a Location takes: absolute, absolute-path, and
 * relative to the directory of the request URL (Veraison sends "session/<id>"). */
static ay_err resolve(struct ay_diag *d, const char *base, const char *ref, char *out, size_t cap)
{
    int n;
    if (strstr(ref, "://") != NULL) {
        n = snprintf(out, cap, "%s", ref);
    } else {
        const char *scheme_end = strstr(base, "://");
        if (scheme_end == NULL) {
            return FAIL(d, AY_ERR_CONFIG, "cca: remote: address %s has no scheme", base);
        }
        const char *path = strchr(scheme_end + 3, '/');
        size_t auth_len = path ? (size_t)(path - base) : strlen(base);
        if (ref[0] == '/') {
            n = snprintf(out, cap, "%.*s%s", (int)auth_len, base, ref);
        } else {
            const char *q = strchr(base, '?');
            size_t end = q ? (size_t)(q - base) : strlen(base);
            size_t dir = end;
            while (dir > auth_len && base[dir - 1] != '/') {
                dir--;
            }
            n = dir > auth_len ? snprintf(out, cap, "%.*s%s", (int)dir, base, ref)
                               : snprintf(out, cap, "%.*s/%s", (int)auth_len, base, ref);
        }
    }
    if (n < 0 || (size_t)n >= cap) {
        return FAIL(d, AY_ERR_LIMIT, "cca: remote: URL over %zu bytes", cap);
    }
    return AY_OK;
}

static ay_err b64url_json(struct ay_ctx *ctx, const char *s, size_t n, json_t **out)
{
    struct ay_span raw;
    if (ay_b64_decode(AY_B64_URL_ANYPAD, s, n, ctx->arena, &raw) != AY_OK) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "cca: remote: EAR part is not base64url");
    }
    json_error_t jerr;
    json_t *j = json_loadb((const char *)raw.ptr, raw.len, 0, &jerr);
    if (!json_is_object(j)) {
        json_decref(j);
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "cca: remote: EAR part is not a JSON object");
    }
    *out = j;
    return AY_OK;
}

/* Step 4: a compact JWS, ES256 hard-coded (section 7 item 8), with the discovered key. */
static ay_err ear_verify(struct ay_ctx *ctx, const char *jwt, const json_t *jwk, json_t **out)
{
    const char *dot1 = strchr(jwt, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "cca: remote: EAR is not a compact JWS");
    }
    json_t *hdr = NULL;
    TRY(b64url_json(ctx, jwt, (size_t)(dot1 - jwt), &hdr));
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    bool es256 = alg != NULL && strcmp(alg, "ES256") == 0;
    json_decref(hdr);
    if (!es256) {
        return FAIL(&ctx->diag, AY_ERR_UNSUPPORTED,
                    "cca: remote: EAR alg is not ES256 (Trustee accepts ES256 only)");
    }
    uint8_t sig[64];
    size_t slen = 0;
    const char *s64 = dot2 + 1;
    if (ay_b64_decode_to(AY_B64_URL_NOPAD, s64, strlen(s64), sig, sizeof sig, &slen) != AY_OK ||
        slen != sizeof sig) {
        return FAIL(&ctx->diag, AY_ERR_BAD_SIGNATURE,
                    "cca: remote: EAR signature is not a 64-byte ES256 r||s");
    }
    struct ay_pkey *k = NULL;
    ay_err err = ay_cose_jwk_ec_pkey(&ctx->diag, jwk, &k);
    if (err != AY_OK) {
        ay_diag_prefix(&ctx->diag, "cca: remote: ear-verification-key");
        return AY_ERR_CONFIG;
    }
    err = ay_pkey_verify_ecdsa_rs(&ctx->diag, k, AY_HASH_SHA256,
                                  ay_span_of(jwt, (size_t)(dot2 - jwt)), ay_span_of(sig, 32),
                                  ay_span_of(sig + 32, 32));
    ay_pkey_free(k);
    if (err != AY_OK) {
        ay_diag_prefix(&ctx->diag, "cca: remote: EAR signature");
        return err;
    }
    return b64url_json(ctx, dot1 + 1, (size_t)(dot2 - dot1 - 1), out);
}

/* Step 5: eat_nonce, padded base64url as Go's URLEncoding writes it (unpadded tolerated). */
static ay_err check_nonce(struct ay_ctx *ctx, const json_t *ear, const uint8_t expected[NONCE_LEN])
{
    const char *n = json_string_value(json_object_get(ear, "eat_nonce"));
    if (n == NULL) {
        return FAIL(&ctx->diag, AY_ERR_BINDING, "cca: remote: EAR has no eat_nonce");
    }
    uint8_t got[NONCE_LEN];
    size_t glen = 0;
    if (ay_b64_decode_to(AY_B64_URL_ANYPAD, n, strlen(n), got, sizeof got, &glen) != AY_OK ||
        glen != NONCE_LEN || memcmp(got, expected, NONCE_LEN) != 0) {
        return FAIL(&ctx->diag, AY_ERR_BINDING,
                    "cca: remote: EAR eat_nonce differs from the expected report data");
    }
    return AY_OK;
}

/* A claim copied from Veraison's annotated evidence: a standard base64 string (Go's []byte
 * JSON encoding, Trustee's claim format). */
static ay_err copy_b64(struct ay_ctx *ctx, const json_t *from, const char *key, json_t *to,
                       struct ay_span *raw)
{
    const json_t *v = json_object_get(from, key);
    const char *s = json_string_value(v);
    struct ay_span tmp;
    if (s == NULL || ay_b64_decode(AY_B64_STD, s, strlen(s), ctx->arena, &tmp) != AY_OK) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED,
                    "cca: remote: annotated evidence lacks a base64 \"%s\"", key);
    }
    if (raw != NULL) {
        *raw = tmp;
    }
    json_object_set_new(to, key, json_string(s));
    return AY_OK;
}

static json_t *hex_json(struct ay_span s)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, 2 * s.len + 8);
    ay_buf_hex(&b, s.ptr, s.len);
    json_t *j = ay_buf_finish(&b) == AY_OK ? json_stringn(b.ptr, b.len) : NULL;
    ay_buf_free(&b);
    return j;
}

/* Section 1.6 "Claims handed to the AS": Trustee re-parses only these fields. */
ay_err ay_cca_ear_claims(struct ay_ctx *ctx, const json_t *ear, json_t **out)
{
    const json_t *sub = json_object_get(ear, "submods");
    const json_t *pe = json_object_get(json_object_get(sub, "CCA_SSD_PLATFORM"),
                                       "ear.veraison.annotated-evidence");
    const json_t *re =
        json_object_get(json_object_get(sub, "CCA_REALM"), "ear.veraison.annotated-evidence");
    if (!json_is_object(pe) || !json_is_object(re)) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED,
                    "cca: remote: EAR lacks the CCA_SSD_PLATFORM / CCA_REALM annotated evidence");
    }
    json_t *platform = json_object();
    json_t *realm = json_object();
    json_t *claims = json_object();
    json_object_set_new(claims, "platform", platform);
    json_object_set_new(claims, "realm", realm);
    struct ay_span challenge = {NULL, 0};
    struct ay_span rpv = {NULL, 0};
    const json_t *rems = json_object_get(re, "cca-realm-extensible-measurements");
    const char *halg = json_string_value(json_object_get(re, "cca-realm-hash-algo-id"));
    json_t *r4 = NULL;
    ay_err err = AY_OK;
    CHECK(copy_b64(ctx, pe, "cca-platform-instance-id", platform, NULL));
    CHECK(copy_b64(ctx, pe, "cca-platform-implementation-id", platform, NULL));
    CHECK(copy_b64(ctx, re, "cca-realm-personalization-value", realm, &rpv));
    CHECK(copy_b64(ctx, re, "cca-realm-initial-measurement", realm, NULL));
    CHECK(copy_b64(ctx, re, "cca-realm-challenge", realm, &challenge));
    if (!json_is_array(rems) || json_array_size(rems) != 4 || halg == NULL) {
        err = FAIL(&ctx->diag, AY_ERR_MALFORMED,
                   "cca: remote: realm annotated evidence lacks 4 REMs or the hash algorithm");
        goto out;
    }
    r4 = json_array();
    for (size_t i = 0; i < 4; i++) {
        const char *s = json_string_value(json_array_get(rems, i));
        struct ay_span tmp;
        if (s == NULL || ay_b64_decode(AY_B64_STD, s, strlen(s), ctx->arena, &tmp) != AY_OK) {
            json_decref(r4);
            err = FAIL(&ctx->diag, AY_ERR_MALFORMED, "cca: remote: REM %zu is not base64", i);
            goto out;
        }
        json_array_append_new(r4, json_string(s));
    }
    json_object_set_new(realm, "cca-realm-extensible-measurements", r4);
    json_object_set_new(realm, "cca-realm-hash-algo-id", json_string(halg));
    json_object_set_new(claims, "report_data", hex_json(challenge));
    json_object_set_new(claims, "init_data", hex_json(rpv));
out:
    if (err != AY_OK) {
        json_decref(claims);
        return err;
    }
    *out = claims;
    return AY_OK;
}

struct remote_state {
    struct rx rx;
    json_t *disc;
    json_t *session;
    json_t *result;
};

static void rx_reset(struct rx *r)
{
    ay_buf_free(&r->body);
    memset(r, 0, sizeof *r);
    ay_buf_init(&r->body, NULL, REMOTE_BODY_MAX + 1);
}

static ay_err remote(struct ay_ctx *ctx, const struct ay_cca_remote_cfg *cfg, struct ay_span token,
                     const uint8_t expected[NONCE_LEN], struct remote_state *st, json_t **out)
{
    char url[REMOTE_URL_MAX];
    char base[REMOTE_URL_MAX];
    long status = 0;
    size_t alen = strlen(cfg->address);
    while (alen > 0 && cfg->address[alen - 1] == '/') {
        alen--;
    }
    if (alen + 64 >= sizeof base) {
        return FAIL(&ctx->diag, AY_ERR_CONFIG, "cca: remote: address too long");
    }
    memcpy(base, cfg->address, alen);
    base[alen] = '\0';
    /* Step 1: discovery. */
    int dn = snprintf(url, sizeof url, "%s/.well-known/veraison/verification", base);
    if (dn < 0 || (size_t)dn >= sizeof url) {
        return FAIL(&ctx->diag, AY_ERR_CONFIG, "cca: remote: address too long");
    }
    struct req q = {.method = "GET", .url = url, .accept = MT_DISCOVERY};
    TRY(http(ctx, cfg, &q, &status, &st->rx));
    TRY(answer_json(ctx, "discovery", status, 200, &st->rx, &st->disc));
    const json_t *key = json_object_get(st->disc, "ear-verification-key");
    const char *ns = json_string_value(
        json_object_get(json_object_get(st->disc, "api-endpoints"), "newChallengeResponseSession"));
    if (!json_is_object(key) || ns == NULL) {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED,
                    "cca: remote: discovery lacks ear-verification-key or "
                    "api-endpoints.newChallengeResponseSession");
    }
    /* Step 2: a session whose nonce is the expected value (64 bytes, base64url no pad). */
    struct ay_buf nb;
    ay_buf_init(&nb, NULL, 128);
    ay_b64_encode(AY_B64_URL_NOPAD, expected, NONCE_LEN, &nb);
    if (ay_buf_finish(&nb) != AY_OK) {
        ay_buf_free(&nb);
        return FAIL(&ctx->diag, AY_ERR_INTERNAL, "cca: remote: cannot encode the nonce");
    }
    /* The endpoint is a path under the configured address (a path prefix is kept), or an
     * absolute URL. */
    char ns_url[REMOTE_URL_MAX];
    int n = strstr(ns, "://") != NULL
                ? snprintf(ns_url, sizeof ns_url, "%s", ns)
                : snprintf(ns_url, sizeof ns_url, "%s%s%s", base, ns[0] == '/' ? "" : "/", ns);
    int n2 = snprintf(url, sizeof url, "%s?nonce=%s", ns_url, nb.ptr);
    ay_buf_free(&nb);
    if (n < 0 || (size_t)n >= sizeof ns_url || n2 < 0 || (size_t)n2 >= sizeof url) {
        return FAIL(&ctx->diag, AY_ERR_LIMIT, "cca: remote: session URL too long");
    }
    rx_reset(&st->rx);
    struct req q2 = {.method = "POST", .url = url, .accept = MT_SESSION};
    TRY(http(ctx, cfg, &q2, &status, &st->rx));
    TRY(answer_json(ctx, "newSession", status, 201, &st->rx, &st->session));
    if (st->rx.location[0] == '\0') {
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "cca: remote: newSession gave no Location");
    }
    char sess[REMOTE_URL_MAX];
    TRY(resolve(&ctx->diag, ns_url, st->rx.location, sess, sizeof sess));
    /* Step 3: the evidence. 200 = synchronous; Trustee does not implement 202 (async). */
    rx_reset(&st->rx);
    struct req q3 = {
        .method = "POST", .url = sess, .accept = MT_SESSION, .content_type = MT_CCA, .body = token};
    TRY(http(ctx, cfg, &q3, &status, &st->rx));
    if (status == 202) {
        return FAIL(&ctx->diag, AY_ERR_UNSUPPORTED,
                    "cca: remote: Veraison answered 202 (asynchronous), not supported");
    }
    TRY(answer_json(ctx, "evidence", status, 200, &st->rx, &st->result));
    const char *stat = json_string_value(json_object_get(st->result, "status"));
    const char *jwt = json_string_value(json_object_get(st->result, "result"));
    if (stat == NULL || strcmp(stat, "complete") != 0 || jwt == NULL) {
        return FAIL(&ctx->diag, AY_ERR_VERIFY,
                    "cca: remote: session status \"%.40s\" without a result",
                    stat ? stat : "(none)");
    }
    return ay_cca_remote_ear(ctx, jwt, key, expected, out);
}

ay_err ay_cca_remote_ear(struct ay_ctx *ctx, const char *jwt, const json_t *jwk,
                         const uint8_t expected[64], json_t **out_claims)
{
    json_t *ear = NULL;
    TRY(ear_verify(ctx, jwt, jwk, &ear));
    ay_err err = check_nonce(ctx, ear, expected);
    if (err == AY_OK) {
        err = ay_cca_ear_claims(ctx, ear, out_claims);
    }
    json_decref(ear);
    return err;
}

ay_err ay_cca_remote_verify(struct ay_ctx *ctx, const struct ay_cca_remote_cfg *cfg,
                            struct ay_span token, const uint8_t expected[64], json_t **out_claims)
{
    struct remote_state st;
    memset(&st, 0, sizeof st);
    ay_buf_init(&st.rx.body, NULL, REMOTE_BODY_MAX + 1);
    ay_err err = remote(ctx, cfg, token, expected, &st, out_claims);
    ay_buf_free(&st.rx.body);
    json_decref(st.disc);
    json_decref(st.session);
    json_decref(st.result);
    return err;
}
