/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP fetch helper of net_fetch.h over a libcurl loaded on first use: dlopen of
 * AY_NET_CURL_SONAME once (base_dl.h), the nine curl_* entry points resolved by name, types
 * and constants still from <curl/curl.h> (the easy API is ABI-stable across libcurl 7.x/8.x, the
 * soname says so). Not linking libcurl keeps its ~25 dependent libraries out of every process
 * start (issue 3: they were about half of an `assay policy eval` run). */
#include "net/net_fetch.h"

#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "base/base_dl.h"
#include "base/base_mem.h"
#include "base/base_str.h"
#include "codec/codec_hex.h"

#define NET_DEFAULT_TIMEOUT_S 30L
#define NET_DEFAULT_MAX_BODY  ((size_t)1024 * 1024)
#define NET_MAX_REDIRS        3L

/* The entry points used; each is checked at load so a fetch never calls through NULL. */
struct curl_api {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *c);
    CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *c);
    const char *(*easy_strerror)(CURLcode rc);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
};

static struct curl_api g_api;
static struct ay_dl_once g_once = AY_DL_ONCE_INIT;

#define CURL_SYM(field) AY_DL_SYM(struct curl_api, field, "curl_" #field)

static const struct ay_dl_sym CURL_SYMS[] = {
    CURL_SYM(global_init),   CURL_SYM(easy_init),    CURL_SYM(easy_setopt),
    CURL_SYM(easy_perform),  CURL_SYM(easy_getinfo), CURL_SYM(easy_cleanup),
    CURL_SYM(easy_strerror), CURL_SYM(slist_append), CURL_SYM(slist_free_all),
};

/* Every slot of the table is listed once: a field added without its symbol would stay NULL. */
_Static_assert(sizeof CURL_SYMS / sizeof CURL_SYMS[0] * sizeof(void *) == sizeof(struct curl_api),
               "CURL_SYMS must list every slot of struct curl_api");

/* curl_global_init is not thread-safe in every libcurl 7.x; here it runs exactly once, before
 * any easy handle exists. The library stays loaded for the process lifetime. */
static ay_err curl_init(void *table, struct ay_diag *d)
{
    const struct curl_api *a = table;
    CURLcode rc = a->global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        return FAIL(d, AY_ERR_NETWORK, "curl_global_init failed: %s", a->easy_strerror(rc));
    }
    return AY_OK;
}

static const struct ay_dl_spec CURL_SPEC = {
    .soname = AY_NET_CURL_SONAME,
    .package = "libcurl4",
    .kind = "libcurl",
    .code = AY_ERR_NETWORK,
    .syms = CURL_SYMS,
    .n_syms = sizeof CURL_SYMS / sizeof CURL_SYMS[0],
    .init = curl_init,
};

ay_err ay_net_init(struct ay_diag *d)
{
    return ay_dl_load(&g_once, &CURL_SPEC, &g_api, d);
}

ay_err ay_net_probe_library(const char *soname, struct ay_diag *d)
{
    struct ay_dl_spec spec = CURL_SPEC; /* a NULL soname is "no library name" */
    spec.soname = soname;
    struct curl_api api;
    void *lib = NULL;
    TRY(ay_dl_open(&spec, &api, &lib, d));
    ay_dl_close(lib);
    return AY_OK;
}

/* ---- one transfer ---- */

struct sink {
    uint8_t *buf;
    size_t len;
    size_t cap; /* allocated, one byte kept for the NUL */
    size_t max;
    bool over;
    ay_net_header_fn *on_header;
    void *header_arg;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct sink *s = arg;
    size_t add = size * nmemb;
    if (add > s->max - s->len) {
        s->over = true;
        return 0; /* a short count aborts the transfer (CURLE_WRITE_ERROR) */
    }
    if (add >= s->cap - s->len) {
        size_t cap = s->cap;
        while (add >= cap - s->len) {
            cap = cap > s->max / 2 ? s->max + 1 : cap * 2;
        }
        s->buf = ay_xrealloc(s->buf, cap);
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, add);
    s->len += add;
    return add;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    struct sink *s = arg;
    size_t n = size * nmemb;
    if (s->on_header != NULL) {
        s->on_header(s->header_arg, p, n);
    }
    return n;
}

static bool url_scheme_ok(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

/* All options of one request; false when libcurl refuses one (an option this build lacks). */
static bool set_options(CURL *c, const struct ay_net_req *q, bool post, struct curl_slist *hdrs,
                        struct sink *s)
{
    const struct curl_api *a = &g_api;
    long timeout = q->timeout_s > 0 ? q->timeout_s : NET_DEFAULT_TIMEOUT_S;
    long verify = q->insecure ? 0L : 1L;
    bool ok = a->easy_setopt(c, CURLOPT_URL, q->url) == CURLE_OK &&
              a->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
              a->easy_setopt(c, CURLOPT_WRITEDATA, s) == CURLE_OK &&
              a->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
              a->easy_setopt(c, CURLOPT_HEADERDATA, s) == CURLE_OK &&
              a->easy_setopt(c, CURLOPT_TIMEOUT, timeout) == CURLE_OK &&
              /* No SIGALRM-based DNS timeouts: the daemon is multi-threaded. */
              a->easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              a->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http") == CURLE_OK &&
              a->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify) == CURLE_OK &&
              a->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify * 2L) == CURLE_OK &&
              a->easy_setopt(c, CURLOPT_FAILONERROR, q->fail_on_http_error ? 1L : 0L) == CURLE_OK;
    if (ok && q->follow_redirects) {
        ok = a->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK &&
             a->easy_setopt(c, CURLOPT_MAXREDIRS, NET_MAX_REDIRS) == CURLE_OK &&
             a->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https,http") == CURLE_OK;
    } else if (ok) {
        ok = a->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
    }
    if (ok && q->ca_file != NULL) {
        ok = a->easy_setopt(c, CURLOPT_CAINFO, q->ca_file) == CURLE_OK;
    }
    if (ok && hdrs != NULL) {
        ok = a->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) == CURLE_OK;
    }
    if (ok && post) {
        /* POSTFIELDS is not copied: q->body outlives the perform call. */
        ok = a->easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK &&
             a->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len) == CURLE_OK &&
             a->easy_setopt(c, CURLOPT_POSTFIELDS,
                            q->body_len > 0 && q->body != NULL ? (const char *)q->body : "") ==
                 CURLE_OK;
    }
    return ok;
}

ay_err ay_net_fetch(const struct ay_net_req *q, struct ay_diag *d, struct ay_net_resp *out)
{
    const char *method = q->method != NULL ? q->method : "GET";
    bool post = strcmp(method, "POST") == 0;
    if (!post && strcmp(method, "GET") != 0) {
        return FAIL(d, AY_ERR_BAD_REQUEST, "HTTP method %s is not supported", method);
    }
    if (q->url == NULL || !url_scheme_ok(q->url)) {
        return FAIL(d, AY_ERR_BAD_REQUEST, "%s %s: only http:// and https:// URLs are fetched",
                    method, q->url != NULL ? q->url : "(no URL)");
    }
    if (q->body_len > 0 && q->body == NULL) {
        return FAIL(d, AY_ERR_BAD_REQUEST, "%s %s: body missing", method, q->url);
    }
    ay_err err = ay_net_init(d);
    if (err != AY_OK) {
        ay_diag_prefix(d, "%s %s failed", method, q->url);
        return err;
    }
    struct sink s = {NULL,
                     0,
                     0,
                     q->max_body > 0 ? q->max_body : NET_DEFAULT_MAX_BODY,
                     false,
                     q->on_header,
                     q->header_arg};
    s.cap = s.max < 4096 ? s.max + 1 : 4096;
    s.buf = ay_xmalloc(s.cap);
    struct curl_slist *hdrs = NULL;
    bool hdrs_ok = true;
    for (size_t i = 0; q->headers != NULL && q->headers[i] != NULL && hdrs_ok; i++) {
        struct curl_slist *h = g_api.slist_append(hdrs, q->headers[i]);
        hdrs_ok = h != NULL;
        hdrs = h != NULL ? h : hdrs;
    }
    CURL *c = g_api.easy_init();
    CURLcode rc = CURLE_FAILED_INIT;
    long status = 0;
    if (c != NULL && hdrs_ok && set_options(c, q, post, hdrs, &s)) {
        rc = g_api.easy_perform(c);
        if (g_api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
            status = 0;
        }
    }
    if (c != NULL) {
        g_api.easy_cleanup(c);
    }
    g_api.slist_free_all(hdrs);
    if (s.over) {
        err = FAIL(d, AY_ERR_LIMIT, "%s %s: answer exceeds %zu bytes", method, q->url, s.max);
    } else if (rc == CURLE_HTTP_RETURNED_ERROR) {
        err = FAIL(d, AY_ERR_NETWORK, "%s %s failed: HTTP status %ld", method, q->url, status);
    } else if (rc != CURLE_OK) {
        err = FAIL(d, AY_ERR_NETWORK, "%s %s failed: %s", method, q->url, g_api.easy_strerror(rc));
    }
    if (err != AY_OK) {
        ay_free(s.buf);
        return err;
    }
    s.buf[s.len] = 0;
    out->body = s.buf;
    out->len = s.len;
    out->status = status;
    return AY_OK;
}

void ay_net_resp_free(struct ay_net_resp *r)
{
    if (r == NULL) {
        return;
    }
    ay_free(r->body);
    r->body = NULL;
    r->len = 0;
    r->status = 0;
}

ay_err ay_net_url_decode(const char *s, size_t n, char **out, size_t *out_len)
{
    ENSURE(n < SIZE_MAX, AY_ERR_LIMIT);
    char *r = ay_xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            r[k++] = s[i];
            continue;
        }
        bool two = n - i >= 3; /* "%XX" fits */
        int hi = two ? ay_hex_digit((unsigned char)s[i + 1]) : -1;
        int lo = two ? ay_hex_digit((unsigned char)s[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            ay_free(r);
            return AY_ERR_MALFORMED;
        }
        r[k++] = (char)(hi * 16 + lo);
        i += 2;
    }
    r[k] = '\0';
    *out = r;
    *out_len = k;
    return AY_OK;
}
