/* SPDX-License-Identifier: Apache-2.0 */
/* The libmicrohttpd server of assayd: a thread pool (one polling thread per core, epoll,
 * keep-alive) that routes each request through the table of http_router.c. Each request gets
 * its own struct ay_ctx and arena capped by AY_LIMIT_REQUEST_ARENA; the body is collected up to
 * the route's limit (413 past it, as actix's 2 MiB JsonConfig default); POST bodies must be JSON
 * (415 otherwise); errors are {"error": code, "message": diag} with ay_err_http(code) as status.
 * CORS follows restful-as (TRUSTEE.md section 1.1): origins from -r, methods POST, GET, OPTIONS,
 * headers content-type and authorization, max-age 86400. HTTPS: http_tls.c accepts and hands
 * MHD the plaintext side of a socketpair. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "base/base_log.h"
#include "base/base_mem.h"
#include "base/base_str.h"
#include "http/http.h"
#include "http/http_metrics.h"
#include "http/http_router.h"
#include "http/http_tls.h"

struct ay_http_server {
    struct MHD_Daemon *d;
    struct ay_as *as;
    char **origins;
    size_t n_origins;
    struct ay_http_metrics *metrics;
    struct ay_http_tls *tls;
    int listen_fd;
    uint16_t port;
};

/* Per-request state, from the first callback to MHD's "completed" notification. */
struct rq {
    struct ay_arena *arena;
    struct ay_ctx ctx;
    const struct ay_http_route *route;
    const char *id;
    struct ay_buf body;
    bool too_big;
    bool responded;
    size_t received; /* body bytes seen, kept or not */
    uint64_t t0_us;
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static bool ieq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ay_to_lower((unsigned char)a[i]) != ay_to_lower((unsigned char)b[i])) {
            return false;
        }
    }
    return true;
}

/* application/json or application/<x>+json, parameters ignored (RFC 8259 section 11, RFC 6839
 * section 3.1; actix-web's JsonConfig accepts the same). */
static bool is_json_type(const char *ct)
{
    if (ct == NULL) {
        return false;
    }
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    size_t n = 0;
    while (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t') {
        n++;
    }
    static const char app[] = "application/";
    size_t al = sizeof app - 1;
    if (n < al + 4 || !ieq_n(ct, app, al)) {
        return false;
    }
    const char *sub = ct + al;
    size_t sl = n - al;
    return (sl == 4 && ieq_n(sub, "json", 4)) || (sl > 5 && ieq_n(sub + sl - 5, "+json", 5));
}

static const char *allowed_origin(const struct ay_http_server *s, struct MHD_Connection *c)
{
    const char *o = header(c, "Origin");
    if (o == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < s->n_origins; i++) {
        if (strcmp(s->origins[i], o) == 0) {
            return s->origins[i];
        }
    }
    return NULL;
}

struct out {
    unsigned status;
    const char *content_type;
    const char *allow;
    bool preflight;
};

static enum MHD_Result respond(struct ay_http_server *s, struct MHD_Connection *c, struct rq *r,
                               const struct out *o, const char *body, size_t len)
{
    r->responded = true;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL) {
        return MHD_NO;
    }
    if (o->content_type != NULL) {
        (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, o->content_type);
    }
    if (o->allow != NULL && o->allow[0] != '\0') {
        (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, o->allow);
    }
    const char *origin = allowed_origin(s, c);
    if (origin != NULL) {
        (void)MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
        (void)MHD_add_response_header(resp, "Vary", "Origin");
        if (o->preflight) {
            (void)MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                                          "POST, GET, OPTIONS");
            (void)MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                          "content-type, authorization");
            (void)MHD_add_response_header(resp, "Access-Control-Max-Age", "86400");
        }
    }
    enum MHD_Result ret = MHD_queue_response(c, o->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_error(struct ay_http_server *s, struct MHD_Connection *c, struct rq *r,
                                  enum ay_http_route_id rid, ay_err e, const char *allow)
{
    struct ay_buf b;
    ay_buf_init(&b, r->arena, AY_LIMIT_RESPONSE);
    ay_http_error_body(&b, e, ay_diag_message(&r->ctx.diag));
    unsigned status = (unsigned)ay_err_http(e);
    if (status < 400) {
        status = 500; /* an error code must never look like success */
    }
    if (status >= 500) {
        ay_log(AY_LOG_ERROR, "http: %u %s (%s:%d)", status, ay_diag_message(&r->ctx.diag),
               r->ctx.diag.file != NULL ? r->ctx.diag.file : "?", r->ctx.diag.line);
    } else {
        ay_log(AY_LOG_DEBUG, "http: %u %s", status, ay_diag_message(&r->ctx.diag));
    }
    ay_http_metrics_request(s->metrics, rid, status);
    struct out o = {status, "application/json", allow, false};
    if (ay_buf_finish(&b) != AY_OK) {
        static const char fallback[] = "{\"error\":\"internal\",\"message\":\"internal error\"}";
        return respond(s, c, r, &o, fallback, sizeof fallback - 1);
    }
    return respond(s, c, r, &o, b.ptr, b.len);
}

/* CORS preflight (Fetch standard "CORS protocol", as actix-cors answers it). */
static enum MHD_Result preflight(struct ay_http_server *s, struct MHD_Connection *c, struct rq *r,
                                 const char *path, size_t path_len)
{
    const struct ay_http_route *route = NULL;
    struct ay_str id;
    char allow[64];
    ay_err e = ay_http_route_find(AY_HTTP_GET, path, path_len, &route, &id, allow, sizeof allow,
                                  &r->ctx.diag);
    if (e == AY_ERR_NOT_FOUND) {
        return send_error(s, c, r, AY_ROUTE_UNMATCHED, e, NULL);
    }
    ay_diag_clear(&r->ctx.diag);
    const char *want = header(c, "Access-Control-Request-Method");
    if (header(c, "Origin") != NULL && allowed_origin(s, c) == NULL) {
        return send_error(s, c, r, AY_ROUTE_UNMATCHED,
                          FAIL(&r->ctx.diag, AY_ERR_BAD_REQUEST, "CORS: origin not allowed"), NULL);
    }
    if (want != NULL && strcmp(want, "POST") != 0 && strcmp(want, "GET") != 0 &&
        strcmp(want, "OPTIONS") != 0) {
        return send_error(s, c, r, AY_ROUTE_UNMATCHED,
                          FAIL(&r->ctx.diag, AY_ERR_BAD_REQUEST, "CORS: method not allowed"), NULL);
    }
    ay_http_metrics_request(s->metrics, AY_ROUTE_UNMATCHED, 200);
    struct out o = {200, NULL, "POST, GET, OPTIONS", true};
    return respond(s, c, r, &o, "", 0);
}

/* First callback of a request: route it and check the headers before any body is read, so
 * that 404/405/413/415 are answered without reading an oversize or unwanted upload. */
static enum MHD_Result begin(struct ay_http_server *s, struct MHD_Connection *c, struct rq *r,
                             const char *url, const char *method)
{
    enum ay_http_method m = ay_http_method_parse(method);
    size_t url_len = strlen(url);
    if (m == AY_HTTP_OPTIONS) {
        return preflight(s, c, r, url, url_len);
    }
    struct ay_str id;
    char allow[64];
    ay_err e =
        ay_http_route_find(m, url, url_len, &r->route, &id, allow, sizeof allow, &r->ctx.diag);
    if (e != AY_OK) {
        return send_error(s, c, r, AY_ROUTE_UNMATCHED, e, e == AY_ERR_METHOD ? allow : NULL);
    }
    enum ay_http_route_id rid = r->route->id;
    if (id.len > 0) {
        char *copy = NULL;
        e = ay_arena_strndup(r->arena, id.ptr, id.len, &copy);
        if (e != AY_OK) {
            return send_error(s, c, r, rid, FAIL(&r->ctx.diag, e, "id too large"), NULL);
        }
        r->id = copy;
    }
    if (r->route->json_body && !is_json_type(header(c, "Content-Type"))) {
        return send_error(
            s, c, r, rid,
            FAIL(&r->ctx.diag, AY_ERR_MEDIA_TYPE, "Content-Type must be application/json"), NULL);
    }
    const char *cl = header(c, "Content-Length");
    uint64_t declared = 0;
    if (cl != NULL && ay_str_to_u64(ay_str_of(cl), &declared) == AY_OK &&
        declared > r->route->max_body && r->route->max_body > 0) {
        /* Up to AY_LIMIT_HTTP_BODY the upload is read and dropped so that clients which send
         * the whole body before reading get a clean 413; past it the connection is closed
         * after the answer. */
        if (declared > AY_LIMIT_HTTP_BODY) {
            return send_error(s, c, r, rid,
                              FAIL(&r->ctx.diag, AY_ERR_LIMIT,
                                   "JSON payload of %llu bytes exceeds the limit of %zu bytes",
                                   (unsigned long long)declared, r->route->max_body),
                              NULL);
        }
        r->too_big = true;
    }
    ay_buf_init(&r->body, r->arena, r->route->max_body);
    return MHD_YES;
}

static enum MHD_Result dispatch(struct ay_http_server *s, struct MHD_Connection *c, struct rq *r,
                                const char *url, const char *method)
{
    const struct ay_http_route *route = r->route;
    if (r->too_big) {
        return send_error(s, c, r, route->id,
                          FAIL(&r->ctx.diag, AY_ERR_LIMIT,
                               "JSON payload exceeds the limit of %zu bytes", route->max_body),
                          NULL);
    }
    struct ay_http_req req = {
        .method = ay_http_method_parse(method),
        .path = url,
        .id = r->id,
        .body = ay_span_of(r->body.ptr != NULL ? r->body.ptr : "", r->body.len),
        .metrics = s->metrics,
    };
    struct ay_http_resp resp = {0};
    ay_buf_init(&resp.body, r->arena, AY_LIMIT_RESPONSE);
    ay_err e = route->handler(s->as, &r->ctx, &req, &resp);
    if (e == AY_OK) {
        e = ay_buf_finish(&resp.body);
        if (e != AY_OK) {
            e = FAIL(&r->ctx.diag, AY_ERR_INTERNAL, "response exceeds %zu bytes",
                     (size_t)AY_LIMIT_RESPONSE);
        }
    }
    if (resp.has_info) {
        ay_http_metrics_attest(s->metrics, resp.info.tee, e == AY_OK && resp.info.accepted,
                               now_us() - r->t0_us);
    }
    if (e != AY_OK) {
        return send_error(s, c, r, route->id, e, NULL);
    }
    ay_http_metrics_request(s->metrics, route->id, 200);
    struct out o = {200, resp.content_type, NULL, false};
    return respond(s, c, r, &o, resp.body.ptr != NULL ? resp.body.ptr : "", resp.body.len);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct ay_http_server *s = cls;
    struct rq *r = *con_cls;
    if (r == NULL) {
        r = ay_xcalloc(1, sizeof *r);
        ay_arena_new(AY_LIMIT_REQUEST_ARENA, &r->arena);
        ay_ctx_init(&r->ctx, r->arena);
        r->t0_us = now_us();
        *con_cls = r;
        return begin(s, c, r, url, method);
    }
    if (r->responded) {
        *upload_data_size = 0; /* an early error is queued; drop whatever still comes */
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        r->received += n;
        if (r->received > AY_LIMIT_HTTP_BODY) {
            return MHD_NO; /* endless chunked upload: drop the connection */
        }
        if (r->route->max_body == 0) {
            return MHD_YES; /* GET/DELETE bodies are ignored */
        }
        if (r->too_big || n > r->route->max_body - r->body.len) {
            r->too_big = true; /* chunked upload past the limit: keep draining, answer 413 */
            return MHD_YES;
        }
        ay_buf_put(&r->body, upload_data, n);
        if (ay_buf_finish(&r->body) != AY_OK) {
            r->too_big = true;
        }
        return MHD_YES;
    }
    return dispatch(s, c, r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct rq *r = *con_cls;
    if (r != NULL) {
        ay_arena_free(r->arena);
        ay_free(r);
        *con_cls = NULL;
    }
}

AY_PRINTF(2, 0)

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[256];
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        msg[--n] = '\0';
    }
    /* HTTPS hands MHD AF_UNIX sockets, on which its TCP_NODELAY/TCP_CORK calls fail; that is
     * harmless there (no Nagle on a local socket), so those notes are only debug. */
    bool tcp_note = strstr(msg, "TCP_NODELAY") != NULL || strstr(msg, "TCP_CORK") != NULL ||
                    strstr(msg, "push the data") != NULL;
    ay_log(tcp_note ? AY_LOG_DEBUG : AY_LOG_WARN, "microhttpd: %s", msg);
}

ay_err ay_http_parse_socket(const char *s, struct ay_diag *diag, char *host, size_t hostlen,
                            uint16_t *out_port)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s) {
        return FAIL(diag, AY_ERR_CONFIG, "socket '%s': expected IP:port", s);
    }
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (h[0] == '[') {
        if (hl < 3 || h[hl - 1] != ']') {
            return FAIL(diag, AY_ERR_CONFIG, "socket '%s': expected [IPv6]:port", s);
        }
        h++;
        hl -= 2;
    }
    if (hl + 1 > hostlen) {
        return FAIL(diag, AY_ERR_CONFIG, "socket '%s': address too long", s);
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    uint64_t port = 0;
    if (ay_str_to_u64(ay_str_of(colon + 1), &port) != AY_OK || port > 65535) {
        return FAIL(diag, AY_ERR_CONFIG, "socket '%s': port must be 0..65535", s);
    }
    struct in6_addr a6;
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) != 1 && inet_pton(AF_INET6, host, &a6) != 1) {
        return FAIL(diag, AY_ERR_CONFIG, "socket '%s': '%s' is not a numeric IPv4/IPv6 address", s,
                    host);
    }
    *out_port = (uint16_t)port;
    return AY_OK;
}

/* Opens the listening socket ourselves: the same code serves HTTP (MHD polls it) and HTTPS
 * (http_tls.c accepts on it), and getsockname gives the port when 0 was asked. */
static ay_err listen_on(const char *spec, struct ay_diag *diag, int *out_fd, uint16_t *out_port)
{
    char host[64];
    uint16_t port = 0;
    TRY(ay_http_parse_socket(spec, diag, host, sizeof host, &port));
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    int family;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        family = AF_INET;
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        sl = sizeof *in4;
    } else {
        family = AF_INET6;
        (void)inet_pton(AF_INET6, host, &in6->sin6_addr);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        sl = sizeof *in6;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return FAIL(diag, AY_ERR_IO, "socket: %s", strerror(errno));
    }
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6) {
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
        int en = errno;
        close(fd);
        return FAIL(diag, AY_ERR_IO, "cannot bind %s: %s", spec, strerror(en));
    }
    if (listen(fd, 1024) != 0) {
        int en = errno;
        close(fd);
        return FAIL(diag, AY_ERR_IO, "cannot listen on %s: %s", spec, strerror(en));
    }
    sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        int en = errno;
        close(fd);
        return FAIL(diag, AY_ERR_IO, "getsockname: %s", strerror(en));
    }
    *out_port = ntohs(family == AF_INET ? in4->sin_port : in6->sin6_port);
    *out_fd = fd;
    return AY_OK;
}

static unsigned cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1u : n > 64 ? 64u : (unsigned)n;
}

static struct MHD_Daemon *start_mhd(struct ay_http_server *s, bool tls, unsigned threads)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC | MHD_USE_TURBO;
    if (tls) {
        flags |= MHD_USE_NO_LISTEN_SOCKET;
    }
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)(uintptr_t)mhd_log, s},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)threads, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)AY_LIMIT_HTTP_CONNECTIONS, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)AY_LIMIT_HTTP_TIMEOUT_S, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)(uintptr_t)on_completed, s},
        /* Plain HTTP: MHD polls our socket. HTTPS: connections come from http_tls.c. */
        {tls ? MHD_OPTION_END : MHD_OPTION_LISTEN_SOCKET, (intptr_t)s->listen_fd, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    return MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts,
                            MHD_OPTION_END);
}

ay_err ay_http_start(struct ay_as *as, const struct ay_http_opts *o, struct ay_diag *diag,
                     struct ay_http_server **out)
{
    ay_err err = AY_OK;
    bool tls = o->cert_path != NULL && o->key_path != NULL;
    const char *spec = o->socket != NULL ? o->socket : "127.0.0.1:8080";
    unsigned threads = o->threads != 0 ? o->threads : cores();
    int lfd = -1;
    struct ay_http_server *s = ay_xcalloc(1, sizeof *s);
    s->as = as;
    s->listen_fd = -1;
    ay_http_metrics_new(&s->metrics);
    s->n_origins = o->n_origins;
    s->origins = ay_xcalloc(o->n_origins + 1, sizeof *s->origins);
    for (size_t i = 0; i < o->n_origins; i++) {
        s->origins[i] = ay_xstrdup(o->origins[i]);
    }
    CHECK(listen_on(spec, diag, &s->listen_fd, &s->port));
    s->d = start_mhd(s, tls, threads);
    if (s->d == NULL) {
        err = FAIL(diag, AY_ERR_IO, "cannot start the HTTP server on %s", spec);
        goto out;
    }
    lfd = s->listen_fd;
    s->listen_fd = -1; /* MHD or the TLS acceptor owns it now (the acceptor even on failure) */
    if (tls) {
        CHECK(ay_http_tls_start(s->d, lfd, o->cert_path, o->key_path, diag, &s->tls));
    }
    ay_log(AY_LOG_INFO, "listening on %s port %u (%s, %u threads)", spec, (unsigned)s->port,
           tls ? "https" : "http", threads);
    *out = s;
    return AY_OK;
out:
    ay_http_stop(s);
    return err;
}

uint16_t ay_http_port(const struct ay_http_server *s)
{
    return s->port;
}

void ay_http_stop(struct ay_http_server *s)
{
    if (s == NULL) {
        return;
    }
    /* TLS first: its pump threads write into MHD's sockets. */
    ay_http_tls_stop(s->tls);
    if (s->d != NULL) {
        MHD_stop_daemon(s->d);
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
    }
    for (size_t i = 0; i < s->n_origins; i++) {
        ay_free(s->origins[i]);
    }
    ay_free(s->origins);
    ay_http_metrics_free(s->metrics);
    ay_free(s);
}
