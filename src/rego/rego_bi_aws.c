/* SPDX-License-Identifier: Apache-2.0 */
/* providers.aws.sign_req(request, aws_config, time_ns): AWS Signature Version 4 request signing
 * as OPA does it (topdown/providers.go over internal/providers/aws SignV4). The request object
 * comes back with a "headers" object holding the caller's headers, "Authorization" and the
 * x-amz-* headers that were signed. AWS reference: "Create a signed AWS API request" (SigV4
 * canonical request, string to sign, derived signing key). Rules OPA applies and the
 * conformance outputs pin down:
 *  - the method is signed as given (no upper-casing), the path is Go's url.URL.EscapedPath()
 *    ("" for "http://host", not "/"), the query is the raw query as written;
 *  - signed headers: host, x-amz-date, x-amz-content-sha256 (services s3 and glacier only),
 *    x-amz-security-token (when aws_session_token is a non-empty string), then every request
 *    header lower-cased except authorization, user-agent and x-amzn-trace-id; a request header
 *    overrides an x-amz-* one in the canonical request, while the returned headers carry the
 *    computed x-amz-* values;
 *  - the payload hash is SHA-256 of raw_body (a string) when present, else of body marshalled
 *    as Go's json.Marshal, else of ""; "UNSIGNED-PAYLOAD" when disable_payload_signing is true.
 * HMAC-SHA256 and SHA-256 run in src/crypto/ (crypto_rego.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_str.h"
#include "base/base_time.h"
#include "crypto/crypto_rego.h"
#include "rego/rego_bi_util.h"

/* ---- Go net/url: the parts SigV4 signs (Host, EscapedPath, RawQuery) ---- */

struct url_parts {
    const char *host;
    size_t host_n;
    const char *path; /* the raw path as written (still escaped) */
    size_t path_n;
    const char *query;
    size_t query_n;
};

/* Go url.shouldEscape(c, encodePath): RFC 3986 section 2.3 unreserved characters and the
 * sub-delimiters Go leaves alone in a path. */
static bool path_char_ok(unsigned char c)
{
    if (ay_is_alnum(c)) {
        return true;
    }
    return c != 0 && strchr("-_.~$&+,/:;=@", c) != NULL;
}

/* Go url.validEncoded(s, encodePath): a raw path Go keeps as written. */
static bool path_valid_encoded(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != 0 && (strchr("!$&'()*+,;=:@[]%", c) != NULL || path_char_ok(c))) {
            continue;
        }
        return false;
    }
    return true;
}

static ay_err url_fail(struct ay_rego_bctx *bc, const char *u, size_t un, const char *what,
                       const char *arg, size_t arg_n, const char *tail)
{
    /* Go's *url.Error text: parse "<url>": <what> ["<arg>"<tail>] */
    if (arg != NULL) {
        return ay_rego_bi_fail(bc, "parse \"%.*s\": %s \"%.*s\"%s", (int)un, u, what, (int)arg_n,
                               arg, tail);
    }
    return ay_rego_bi_fail(bc, "parse \"%.*s\": %s", (int)un, u, what);
}

/* Go url.Parse, reduced to what signing needs. Errors use Go's wording. */
static ay_err url_parse(struct ay_rego_bctx *bc, const char *u, size_t un, struct url_parts *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < un; i++) {
        unsigned char c = (unsigned char)u[i];
        if (c < 0x20 || c == 0x7f) {
            return url_fail(bc, u, un, "net/url: invalid control character in URL", NULL, 0, "");
        }
    }
    size_t n = un;
    const char *hash = memchr(u, '#', n);
    if (hash != NULL) {
        n = (size_t)(hash - u);
    }
    /* RFC 3986 section 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)u[i];
        if (ay_is_alpha(c)) {
            continue;
        }
        if (ay_is_digit(c) || c == '+' || c == '-' || c == '.') {
            if (i == 0) {
                break; /* no scheme: the whole text is a path */
            }
            continue;
        }
        if (c == ':') {
            if (i == 0) {
                return url_fail(bc, u, un, "missing protocol scheme", NULL, 0, "");
            }
            pos = i + 1;
        }
        break;
    }
    bool has_scheme = pos > 0;
    const char *rest = u + pos;
    size_t rn = n - pos;
    const char *q = memchr(rest, '?', rn);
    if (q != NULL) {
        out->query = q + 1;
        out->query_n = rn - (size_t)(q - rest) - 1;
        rn = (size_t)(q - rest);
    }
    if (has_scheme && (rn == 0 || rest[0] != '/')) {
        return AY_OK; /* an opaque URL ("mailto:x"): no host, empty path */
    }
    if (rn >= 2 && rest[0] == '/' && rest[1] == '/') {
        const char *auth = rest + 2;
        size_t an = rn - 2;
        const char *slash = memchr(auth, '/', an);
        size_t alen = slash != NULL ? (size_t)(slash - auth) : an;
        rest = auth + alen;
        rn = an - alen;
        /* RFC 3986 section 3.2: userinfo "@" host [":" port]; Go's Host drops the userinfo */
        const char *host = auth;
        size_t hn = alen;
        for (size_t i = alen; i > 0; i--) {
            if (auth[i - 1] == '@') {
                host = auth + i;
                hn = alen - i;
                break;
            }
        }
        size_t port_at = hn;
        if (hn > 0 && host[0] == '[') {
            const char *close = memchr(host, ']', hn);
            if (close == NULL) {
                return url_fail(bc, u, un, "missing ']' in host", NULL, 0, "");
            }
            port_at = (size_t)(close - host) + 1;
            if (port_at < hn && host[port_at] != ':') {
                return url_fail(bc, u, un, "invalid port", host + port_at, hn - port_at,
                                " after host");
            }
        } else {
            for (size_t i = hn; i > 0; i--) {
                if (host[i - 1] == ':') {
                    port_at = i - 1;
                    break;
                }
            }
        }
        for (size_t i = port_at + 1; i < hn; i++) {
            if (!ay_is_digit((unsigned char)host[i])) {
                return url_fail(bc, u, un, "invalid port", host + port_at, hn - port_at,
                                " after host");
            }
        }
        out->host = host;
        out->host_n = hn;
    }
    /* Go url.unescape(path, encodePath): every '%' starts two hex digits */
    for (size_t i = 0; i < rn; i++) {
        if (rest[i] == '%') {
            if (i + 2 >= rn) { /* fewer than two bytes follow */
                return url_fail(bc, u, un, "invalid URL escape", rest + i, rn - i, "");
            }
            if (!ay_is_xdigit((unsigned char)rest[i + 1]) ||
                !ay_is_xdigit((unsigned char)rest[i + 2])) {
                return url_fail(bc, u, un, "invalid URL escape", rest + i, 3, "");
            }
        }
    }
    out->path = rest;
    out->path_n = rn;
    return AY_OK;
}

static int hexval(char c)
{
    return ay_is_digit((unsigned char)c) ? c - '0' : (ay_to_lower((unsigned char)c) - 'a' + 10);
}

/* Go url.URL.EscapedPath(): the raw path when Go considers it validly encoded, else the decoded
 * path re-escaped (upper-case %XX for every byte outside path_char_ok). */
static void escaped_path(struct ay_buf *b, const char *p, size_t n)
{
    if (path_valid_encoded(p, n)) {
        ay_buf_put(b, p, n);
        return;
    }
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '%') { /* url_parse checked the two hex digits */
            c = (unsigned char)((hexval(p[i + 1]) << 4) | hexval(p[i + 2]));
            i += 2;
        }
        if (path_char_ok(c)) {
            ay_buf_putc(b, (char)c);
        } else {
            ay_buf_putc(b, '%');
            ay_buf_putc(b, hex[c >> 4]);
            ay_buf_putc(b, hex[c & 15]);
        }
    }
}

/* ---- signing ---- */

struct hdr {
    const char *k; /* lower-cased */
    size_t kn;
    const char *v;
    size_t vn;
};

static int hdr_cmp(const void *a, const void *b)
{
    const struct hdr *x = a;
    const struct hdr *y = b;
    size_t m = x->kn < y->kn ? x->kn : y->kn;
    int c = memcmp(x->k, y->k, m);
    if (c != 0) {
        return c;
    }
    return (x->kn > y->kn) - (x->kn < y->kn);
}

static ay_err sha256_hex(struct ay_rego_bctx *bc, const char *p, size_t n, char out[65])
{
    uint8_t md[AY_CRYPTO_REGO_MD_MAX];
    size_t mlen = 0;
    if (ay_crypto_rego_digest("sha256", p, n, md, &mlen, bc->diag) != AY_OK) {
        return ay_rego_bi_fail(bc, "sha256 failed");
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    return AY_OK;
}

static ay_err hmac(struct ay_rego_bctx *bc, const uint8_t *key, size_t kn, const char *msg,
                   size_t mn, uint8_t out[AY_CRYPTO_REGO_MD_MAX])
{
    size_t mlen = 0;
    if (ay_crypto_rego_hmac("sha256", key, kn, msg, mn, out, &mlen, bc->diag) != AY_OK) {
        return ay_rego_bi_fail(bc, "HMAC-SHA256 failed");
    }
    return AY_OK;
}

/* The string members of config the caller looks up. */
struct aws_cfg {
    struct ay_val access_key;
    struct ay_val secret;
    struct ay_val service;
    struct ay_val region;
    const char *token; /* "" when absent or not a string (OPA's stringFromTerm) */
    size_t token_n;
    bool unsigned_payload;
};

/* Checks that every key of `required` (a sorted list) is in obj and is a string; else OPA's
 * "missing required <what> parameters(s): {...}" or "invalid values for ..." (the names as a
 * Rego set, sorted). */
static ay_err check_required(struct ay_rego_bctx *bc, struct ay_val obj, size_t argi,
                             const char *const *required, size_t n, const char *what)
{
    struct ay_val_vec missing;
    struct ay_val_vec invalid;
    ay_val_vec_init(&missing, bc->arena);
    ay_val_vec_init(&invalid, bc->arena);
    for (size_t i = 0; i < n; i++) {
        const struct ay_val *v = ay_val_obj_get_str(obj, required[i], strlen(required[i]));
        if (v == NULL) {
            TRY(ay_val_vec_push(&missing, ay_val_str_static(required[i])));
        } else if (v->kind != AY_V_STR) {
            TRY(ay_val_vec_push(&invalid, ay_val_str_static(required[i])));
        }
    }
    struct ay_val_vec *bad = missing.n > 0 ? &missing : invalid.n > 0 ? &invalid : NULL;
    if (bad == NULL) {
        return AY_OK;
    }
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    ay_val_write_term(&b, ay_val_vec_set(bad));
    TRY(ay_buf_finish(&b));
    return ay_rego_bu_type_fail(bc, "operand %zu %s required %s parameters(s): %s", argi,
                                bad == &missing ? "missing" : "invalid values for", what, b.ptr);
}

static ay_err read_config(struct ay_rego_bctx *bc, struct ay_val cfg, struct aws_cfg *out)
{
    static const char *const required[] = {"aws_access_key", "aws_region", "aws_secret_access_key",
                                           "aws_service"};
    TRY(check_required(bc, cfg, 2, required, 4, "AWS config"));
    out->access_key = *ay_val_obj_get_str(cfg, "aws_access_key", 14);
    out->secret = *ay_val_obj_get_str(cfg, "aws_secret_access_key", 21);
    out->service = *ay_val_obj_get_str(cfg, "aws_service", 11);
    out->region = *ay_val_obj_get_str(cfg, "aws_region", 10);
    const struct ay_val *tok = ay_val_obj_get_str(cfg, "aws_session_token", 17);
    out->token = "";
    out->token_n = 0;
    if (tok != NULL && tok->kind == AY_V_STR) {
        out->token = tok->u.s;
        out->token_n = tok->len;
    }
    out->unsigned_payload = false;
    const struct ay_val *dps = ay_val_obj_get_str(cfg, "disable_payload_signing", 23);
    if (dps != NULL) {
        if (dps->kind != AY_V_BOOL) {
            return ay_rego_bu_type_fail(
                bc, "operand 2 invalid value for 'disable_payload_signing' in AWS config");
        }
        out->unsigned_payload = dps->u.b;
    }
    return AY_OK;
}

/* The SigV4 signature of sts: HMAC-SHA256 with the signing key derived by the HMAC chain over
 * "AWS4" + secret, the date, the region, the service and "aws4_request". The key material is
 * wiped on every path (STYLE.md B.6: secrets do not outlive their use). */
static ay_err sign(struct ay_rego_bctx *bc, const struct aws_cfg *cfg, const char *date,
                   const char *sts, size_t sts_n, uint8_t out[AY_CRYPTO_REGO_MD_MAX])
{
    struct ay_buf k0;
    ay_rego_bu_buf(bc, &k0);
    ay_buf_puts(&k0, "AWS4");
    ay_buf_put(&k0, cfg->secret.u.s, cfg->secret.len);
    TRY(ay_buf_finish(&k0));
    uint8_t k[AY_CRYPTO_REGO_MD_MAX];
    uint8_t k2[AY_CRYPTO_REGO_MD_MAX];
    ay_err err = hmac(bc, (const uint8_t *)k0.ptr, k0.len, date, strlen(date), k);
    if (err == AY_OK) {
        err = hmac(bc, k, 32, cfg->region.u.s, cfg->region.len, k2);
    }
    if (err == AY_OK) {
        err = hmac(bc, k2, 32, cfg->service.u.s, cfg->service.len, k);
    }
    if (err == AY_OK) {
        err = hmac(bc, k, 32, "aws4_request", 12, k2);
    }
    if (err == AY_OK) {
        err = hmac(bc, k2, 32, sts, sts_n, out);
    }
    explicit_bzero(k0.ptr, k0.len);
    explicit_bzero(k, sizeof k);
    explicit_bzero(k2, sizeof k2);
    return err;
}

/* The payload SigV4 hashes: raw_body, else body as Go's json.Marshal, else nothing. */
static ay_err payload(struct ay_rego_bctx *bc, struct ay_val req, const char **out_p, size_t *out_n)
{
    *out_p = "";
    *out_n = 0;
    const struct ay_val *raw = ay_val_obj_get_str(req, "raw_body", 8);
    if (raw != NULL) {
        if (raw->kind != AY_V_STR) {
            return ay_rego_bu_type_fail(bc, "operand 1 'raw_body' must be string but got %s",
                                        ay_val_type_name(*raw));
        }
        *out_p = raw->u.s;
        *out_n = raw->len;
        return AY_OK;
    }
    const struct ay_val *body = ay_val_obj_get_str(req, "body", 4);
    if (body == NULL) {
        return AY_OK;
    }
    /* json.marshal writes Go's encoding/json text (sorted keys, sets as arrays, HTML-safe
     * escapes), which is what OPA hashes */
    const struct ay_rego_bi *marshal = ay_rego_bi_find("json.marshal", 12, 1);
    if (marshal == NULL) {
        return ay_rego_bi_fail(bc, "json.marshal unavailable");
    }
    struct ay_val text = ay_val_undef();
    TRY(marshal->fn(bc, body, 1, &text));
    if (text.kind != AY_V_STR) {
        return ay_rego_bi_fail(bc, "body not representable as JSON");
    }
    *out_p = text.u.s;
    *out_n = text.len;
    return AY_OK;
}

static ay_err push_str(struct ay_rego_bctx *bc, struct ay_kv_vec *kv, const char *k, const char *v,
                       size_t vn)
{
    struct ay_val s;
    TRY(ay_rego_bu_mkstr(bc, v, vn, &s));
    return ay_kv_vec_push(kv, ay_val_str_static(k), s);
}

static ay_err bi_aws_sign_req(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                              struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_OBJ));
    struct ay_val req = args[0];
    static const char *const req_required[] = {"method", "url"};
    TRY(check_required(bc, req, 1, req_required, 2, "request"));
    struct ay_val headers = ay_val_empty(AY_V_OBJ);
    const struct ay_val *hv = ay_val_obj_get_str(req, "headers", 7);
    if (hv != NULL) {
        if (hv->kind != AY_V_OBJ) {
            return ay_rego_bi_type_error(bc, 0, "object", *hv);
        }
        headers = *hv;
    }

    TRY(ay_rego_bu_kind(bc, args, 1, AY_V_OBJ));
    struct aws_cfg cfg;
    TRY(read_config(bc, args[1], &cfg));

    if (args[2].kind != AY_V_NUM) {
        return ay_rego_bi_type_error(bc, 2, "number", args[2]);
    }
    int64_t ts = 0;
    /* OPA takes time_ns with Number.Int64(), which refuses fractions and exponent literals such
     * as -1e9; our numbers do not keep the literal, so negative times (before 1970, never a
     * valid signing time) are refused as well. */
    if (!ay_val_to_i64(args[2], &ts) || ts < 0) {
        return ay_rego_bu_type_fail(
            bc, "operand 3 could not convert time_ns value into a unix timestamp");
    }

    const struct ay_val *method = ay_val_obj_get_str(req, "method", 6);
    const struct ay_val *url = ay_val_obj_get_str(req, "url", 3);
    struct url_parts up;
    TRY(url_parse(bc, url->u.s, url->len, &up));

    const char *body;
    size_t body_n;
    TRY(payload(bc, req, &body, &body_n));
    char content_sha[65];
    if (cfg.unsigned_payload) {
        memcpy(content_sha, "UNSIGNED-PAYLOAD", 17);
    } else {
        TRY(sha256_hex(bc, body, body_n, content_sha));
    }

    /* SigV4 dates: yyyyMMdd for the scope, ISO 8601 basic yyyyMMddTHHmmssZ for x-amz-date */
    int64_t sec = ts / 1000000000;
    int64_t days = sec / 86400;
    int64_t sod = sec % 86400;
    int64_t year;
    unsigned mon, day;
    ay_time_civil_from_days(days, &year, &mon, &day);
    char date[32];
    char stamp[48];
    (void)snprintf(date, sizeof date, "%04lld%02u%02u", (long long)year, mon, day);
    (void)snprintf(stamp, sizeof stamp, "%sT%02d%02d%02dZ", date, (int)(sod / 3600),
                   (int)(sod / 60 % 60), (int)(sod % 60));

    bool s3 = ay_str_eq_c((struct ay_str){cfg.service.u.s, cfg.service.len}, "s3") ||
              ay_str_eq_c((struct ay_str){cfg.service.u.s, cfg.service.len}, "glacier");

    /* headersToSign: the x-amz-* headers, then the request's (lower-cased, overriding) */
    size_t cap = (size_t)headers.len + 4;
    struct hdr *hs;
    TRY(ay_arena_array(bc->arena, cap, sizeof *hs, (void **)&hs));
    size_t nh = 0;
    hs[nh++] = (struct hdr){"host", 4, up.host != NULL ? up.host : "", up.host_n};
    hs[nh++] = (struct hdr){"x-amz-date", 10, stamp, strlen(stamp)};
    if (s3) {
        /* S3 and Glacier require the payload hash header; other services do not */
        hs[nh++] = (struct hdr){"x-amz-content-sha256", 20, content_sha, strlen(content_sha)};
    }
    if (cfg.token_n > 0) {
        hs[nh++] = (struct hdr){"x-amz-security-token", 20, cfg.token, cfg.token_n};
    }
    for (uint32_t i = 0; i < headers.len; i++) {
        struct ay_val k = headers.u.pairs[i].k;
        struct ay_val v = headers.u.pairs[i].v;
        /* OPA's stringFromTerm: a non-string key or value counts as "" */
        const char *ks = k.kind == AY_V_STR ? k.u.s : "";
        size_t kn = k.kind == AY_V_STR ? k.len : 0;
        char *lk;
        TRY(ay_arena_strndup(bc->arena, ks, kn, &lk));
        for (size_t j = 0; j < kn; j++) {
            lk[j] = (char)ay_to_lower((unsigned char)lk[j]);
        }
        struct ay_str key = {lk, kn};
        /* never signed: they change on the way (aws-sdk ignoredHeaders) */
        if (ay_str_eq_c(key, "authorization") || ay_str_eq_c(key, "user-agent") ||
            ay_str_eq_c(key, "x-amzn-trace-id")) {
            continue;
        }
        struct hdr h = {lk, kn, v.kind == AY_V_STR ? v.u.s : "", v.kind == AY_V_STR ? v.len : 0};
        size_t j = 0;
        while (j < nh && hdr_cmp(&hs[j], &h) != 0) {
            j++;
        }
        if (j == nh) {
            nh++;
        }
        hs[j] = h;
    }
    qsort(hs, nh, sizeof *hs, hdr_cmp);

    /* the canonical request: method, path, query, headers, signed header list, payload hash */
    struct ay_buf signed_list;
    ay_rego_bu_buf(bc, &signed_list);
    for (size_t i = 0; i < nh; i++) {
        if (i > 0) {
            ay_buf_putc(&signed_list, ';');
        }
        ay_buf_put(&signed_list, hs[i].k, hs[i].kn);
    }
    TRY(ay_buf_finish(&signed_list));
    struct ay_buf creq;
    ay_rego_bu_buf(bc, &creq);
    ay_buf_put(&creq, method->u.s, method->len);
    ay_buf_putc(&creq, '\n');
    escaped_path(&creq, up.path, up.path_n);
    ay_buf_putc(&creq, '\n');
    ay_buf_put(&creq, up.query, up.query_n);
    ay_buf_putc(&creq, '\n');
    for (size_t i = 0; i < nh; i++) {
        ay_buf_put(&creq, hs[i].k, hs[i].kn);
        ay_buf_putc(&creq, ':');
        ay_buf_put(&creq, hs[i].v, hs[i].vn);
        ay_buf_putc(&creq, '\n');
    }
    ay_buf_putc(&creq, '\n');
    ay_buf_put(&creq, signed_list.ptr, signed_list.len);
    ay_buf_putc(&creq, '\n');
    ay_buf_puts(&creq, content_sha);
    TRY(ay_buf_finish(&creq));
    char creq_hash[65];
    TRY(sha256_hex(bc, creq.ptr, creq.len, creq_hash));

    /* the scope and the string to sign */
    struct ay_buf scope;
    ay_rego_bu_buf(bc, &scope);
    ay_buf_printf(&scope, "%s/%.*s/%.*s/aws4_request", date, (int)cfg.region.len, cfg.region.u.s,
                  (int)cfg.service.len, cfg.service.u.s);
    TRY(ay_buf_finish(&scope));
    struct ay_buf sts;
    ay_rego_bu_buf(bc, &sts);
    ay_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s\n%s", stamp, scope.ptr, creq_hash);
    TRY(ay_buf_finish(&sts));

    uint8_t sig[AY_CRYPTO_REGO_MD_MAX];
    TRY(sign(bc, &cfg, date, sts.ptr, sts.len, sig));

    struct ay_buf auth;
    ay_rego_bu_buf(bc, &auth);
    ay_buf_puts(&auth, "AWS4-HMAC-SHA256 Credential=");
    ay_buf_put(&auth, cfg.access_key.u.s, cfg.access_key.len);
    ay_buf_printf(&auth, "/%s,SignedHeaders=%s,Signature=", scope.ptr, signed_list.ptr);
    ay_buf_hex(&auth, sig, 32);
    struct ay_val auth_v;
    TRY(ay_rego_bu_buf_str(bc, &auth, &auth_v));

    /* the returned headers: the caller's, Authorization, then the computed x-amz-* (a later
     * push of the same key wins) */
    struct ay_kv_vec kv;
    ay_kv_vec_init(&kv, bc->arena);
    for (uint32_t i = 0; i < headers.len; i++) {
        TRY(ay_kv_vec_push(&kv, headers.u.pairs[i].k, headers.u.pairs[i].v));
    }
    TRY(ay_kv_vec_push(&kv, ay_val_str_static("Authorization"), auth_v));
    TRY(push_str(bc, &kv, "host", up.host != NULL ? up.host : "", up.host_n));
    TRY(push_str(bc, &kv, "x-amz-date", stamp, strlen(stamp)));
    if (s3) {
        TRY(push_str(bc, &kv, "x-amz-content-sha256", content_sha, strlen(content_sha)));
    }
    if (cfg.token_n > 0) {
        TRY(push_str(bc, &kv, "x-amz-security-token", cfg.token, cfg.token_n));
    }
    struct ay_val new_headers;
    TRY(ay_kv_vec_object(&kv, false, &new_headers));

    struct ay_kv_vec rk;
    ay_kv_vec_init(&rk, bc->arena);
    for (uint32_t i = 0; i < req.len; i++) {
        TRY(ay_kv_vec_push(&rk, req.u.pairs[i].k, req.u.pairs[i].v));
    }
    TRY(ay_kv_vec_push(&rk, ay_val_str_static("headers"), new_headers));
    return ay_kv_vec_object(&rk, false, out);
}

const struct ay_rego_bi ay_rego_bi_aws[] = {
    {"providers.aws.sign_req", 3, bi_aws_sign_req, 0},
    {NULL, 0, NULL, 0},
};
