/* SPDX-License-Identifier: Apache-2.0 */
/* net_fetch against a loopback libmicrohttpd server (no outside network): GET and POST with
 * headers, the response header callback, the size cap at and past the limit, HTTP errors with
 * and without fail_on_http_error, redirects, a timeout, a refused connection, refused schemes
 * and methods, the "cannot load libcurl" message, and the percent-decoder. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "base/base_err.h"
#include "base/base_mem.h"
#include "net/net_fetch.h"
#include "testlib.h"

#define BIG_LEN 10000

struct upload {
    char body[256];
    size_t len;
};

static char g_big[BIG_LEN];

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body, size_t n,
                             const char *hname, const char *hval)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (hname != NULL) {
        (void)MHD_add_response_header(r, hname, hval);
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void free_upload(void *cls, struct MHD_Connection *c, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    if (strcmp(method, "POST") == 0) {
        struct upload *u = *con_cls;
        if (u == NULL) {
            *con_cls = calloc(1, sizeof *u);
            return MHD_YES;
        }
        if (*data_size > 0) {
            size_t take =
                *data_size < sizeof u->body - 1 - u->len ? *data_size : sizeof u->body - 1 - u->len;
            memcpy(u->body + u->len, data, take);
            u->len += take;
            *data_size = 0;
            return MHD_YES;
        }
        /* Echo: "<content-type>|<x-test>|<body>". */
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        const char *xt = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Test");
        char echo[512];
        int n = snprintf(echo, sizeof echo, "%s|%s|%.*s", ct ? ct : "", xt ? xt : "", (int)u->len,
                         u->body);
        return reply(c, 201, echo, (size_t)n, "Location", "session/42");
    }
    if (strcmp(url, "/hello") == 0) {
        return reply(c, 200, "hello world", 11, "X-Chain", "a%2Fb%20c");
    }
    if (strcmp(url, "/exact") == 0) {
        return reply(c, 200, g_big, 64, NULL, NULL);
    }
    if (strcmp(url, "/big") == 0) {
        return reply(c, 200, g_big, BIG_LEN, NULL, NULL);
    }
    if (strcmp(url, "/moved") == 0) {
        return reply(c, 302, "", 0, "Location", "/hello");
    }
    if (strcmp(url, "/slow") == 0) {
        sleep(2);
        return reply(c, 200, "late", 4, NULL, NULL);
    }
    return reply(c, 404, "nothing here", 12, NULL, NULL);
}

static struct MHD_Daemon *g_daemon;
static char g_base[64];

static int setup(void **state)
{
    (void)state;
    memset(g_big, 'x', sizeof g_big);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                                NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR,
                                (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, free_upload,
                                NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (g_daemon == NULL) {
        return -1;
    }
    unsigned port = MHD_get_daemon_info(g_daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
    (void)snprintf(g_base, sizeof g_base, "http://127.0.0.1:%u", port);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    MHD_stop_daemon(g_daemon);
    return 0;
}

static void url(char *out, size_t cap, const char *path)
{
    (void)snprintf(out, cap, "%s%s", g_base, path);
}

struct hdrs {
    char chain[128];
    size_t lines;
};

static void on_header(void *arg, const char *line, size_t len)
{
    struct hdrs *h = arg;
    h->lines++;
    static const char name[] = "X-Chain: ";
    if (len > sizeof name - 1 && strncasecmp(line, name, sizeof name - 1) == 0) {
        size_t v = len - (sizeof name - 1);
        while (v > 0 && (line[sizeof name - 2 + v] == '\r' || line[sizeof name - 2 + v] == '\n')) {
            v--;
        }
        (void)snprintf(h->chain, sizeof h->chain, "%.*s", (int)v, line + sizeof name - 1);
    }
}

static void test_init(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_net_init(&d) != AY_OK) {
        fail_msg("libcurl: %s", ay_diag_message(&d));
    }
    /* Idempotent. */
    assert_int_equal(ay_net_init(&d), AY_OK);
}

static void test_get(void **state)
{
    (void)state;
    char u[128];
    url(u, sizeof u, "/hello");
    struct hdrs h = {{0}, 0};
    struct ay_net_req q = {.url = u, .timeout_s = 10, .on_header = on_header, .header_arg = &h};
    struct ay_net_resp r;
    struct ay_diag d;
    ay_diag_clear(&d);
    ay_err e = ay_net_fetch(&q, &d, &r);
    if (e != AY_OK) {
        fail_msg("GET: %s", ay_diag_message(&d));
    }
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 11);
    assert_memory_equal(r.body, "hello world", 11);
    assert_int_equal(r.body[11], 0); /* NUL-terminated for text answers */
    assert_string_equal(h.chain, "a%2Fb%20c");
    assert_true(h.lines >= 3); /* status line, headers, blank line */
    char *dec = NULL;
    size_t dlen = 0;
    assert_int_equal(ay_net_url_decode(h.chain, strlen(h.chain), &dec, &dlen), AY_OK);
    assert_string_equal(dec, "a/b c");
    assert_int_equal(dlen, 5);
    ay_free(dec);
    ay_net_resp_free(&r);
    assert_null(r.body);
    ay_net_resp_free(NULL);
}

static void test_post(void **state)
{
    (void)state;
    char u[128];
    url(u, sizeof u, "/session");
    static const char *const hd[] = {"Content-Type: application/eat-collection", "X-Test: 7", NULL};
    static const uint8_t body[] = "token-bytes";
    struct ay_net_req q = {.method = "POST",
                           .url = u,
                           .headers = hd,
                           .body = body,
                           .body_len = sizeof body - 1,
                           .timeout_s = 10};
    struct ay_net_resp r;
    struct ay_diag d;
    ay_diag_clear(&d);
    ay_err e = ay_net_fetch(&q, &d, &r);
    if (e != AY_OK) {
        fail_msg("POST: %s", ay_diag_message(&d));
    }
    assert_int_equal(r.status, 201);
    assert_string_equal((const char *)r.body, "application/eat-collection|7|token-bytes");
    ay_net_resp_free(&r);
    /* An empty POST (libcurl then sends its default form content type). */
    q.body = NULL;
    q.body_len = 0;
    q.headers = NULL;
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_OK);
    assert_int_equal(r.status, 201);
    assert_true(r.len >= 2 && strcmp((const char *)r.body + r.len - 2, "||") == 0);
    ay_net_resp_free(&r);
}

static void test_cap(void **state)
{
    (void)state;
    char u[128];
    struct ay_net_resp r;
    struct ay_diag d;
    /* At the cap: accepted. */
    url(u, sizeof u, "/exact");
    struct ay_net_req q = {.url = u, .timeout_s = 10, .max_body = 64};
    ay_diag_clear(&d);
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_OK);
    assert_int_equal(r.len, 64);
    ay_net_resp_free(&r);
    /* One byte under what is sent: refused. */
    q.max_body = 63;
    ay_diag_clear(&d);
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_ERR_LIMIT);
    assert_non_null(strstr(ay_diag_message(&d), "exceeds 63 bytes"));
    /* Larger answers grow the buffer past its first allocation. */
    url(u, sizeof u, "/big");
    q.max_body = BIG_LEN;
    ay_diag_clear(&d);
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_OK);
    assert_int_equal(r.len, BIG_LEN);
    assert_int_equal(r.body[BIG_LEN - 1], 'x');
    ay_net_resp_free(&r);
    q.max_body = BIG_LEN - 1;
    ay_diag_clear(&d);
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_ERR_LIMIT);
}

static void test_http_errors(void **state)
{
    (void)state;
    char u[128];
    url(u, sizeof u, "/missing");
    struct ay_net_req q = {.url = u, .timeout_s = 10};
    struct ay_net_resp r;
    struct ay_diag d;
    ay_diag_clear(&d);
    /* Without the flag the status is the caller's to judge. */
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_OK);
    assert_int_equal(r.status, 404);
    assert_string_equal((const char *)r.body, "nothing here");
    ay_net_resp_free(&r);
    q.fail_on_http_error = true;
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_ERR_NETWORK);
    assert_non_null(strstr(ay_diag_message(&d), "HTTP status 404"));
    assert_non_null(strstr(ay_diag_message(&d), "GET http://127.0.0.1:"));
}

static void test_redirect(void **state)
{
    (void)state;
    char u[128];
    url(u, sizeof u, "/moved");
    struct ay_net_req q = {.url = u, .timeout_s = 10};
    struct ay_net_resp r;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_OK);
    assert_int_equal(r.status, 302); /* not followed unless asked */
    ay_net_resp_free(&r);
    q.follow_redirects = true;
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal((const char *)r.body, "hello world");
    ay_net_resp_free(&r);
}

static void test_timeout(void **state)
{
    (void)state;
    char u[128];
    url(u, sizeof u, "/slow");
    struct ay_net_req q = {.url = u, .timeout_s = 1};
    struct ay_net_resp r;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_ERR_NETWORK);
    assert_non_null(strstr(ay_diag_message(&d), "failed"));
}

static void test_refused(void **state)
{
    (void)state;
    /* A port nobody listens on: a daemon started and stopped. */
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *dm =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
    assert_non_null(dm);
    unsigned port = MHD_get_daemon_info(dm, MHD_DAEMON_INFO_BIND_PORT)->port;
    MHD_stop_daemon(dm);
    char u[128];
    (void)snprintf(u, sizeof u, "http://127.0.0.1:%u/x", port);
    struct ay_net_req q = {.url = u, .timeout_s = 5};
    struct ay_net_resp r = {NULL, 0, 0};
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_ERR_NETWORK);
    assert_non_null(strstr(ay_diag_message(&d), "/x failed: "));
    assert_null(r.body); /* untouched on failure */
}

static void test_refused_requests(void **state)
{
    (void)state;
    struct ay_net_resp r;
    struct ay_diag d;
    struct ay_net_req q = {.url = "file:///etc/passwd"};
    ay_diag_clear(&d);
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_ERR_BAD_REQUEST);
    assert_non_null(strstr(ay_diag_message(&d), "only http:// and https://"));
    q.url = "ftp://127.0.0.1/";
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_ERR_BAD_REQUEST);
    q.url = NULL;
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_ERR_BAD_REQUEST);
    q.url = "http://127.0.0.1:1/";
    q.method = "PUT";
    ay_diag_clear(&d);
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_ERR_BAD_REQUEST);
    assert_non_null(strstr(ay_diag_message(&d), "PUT"));
    q.method = "POST";
    q.body_len = 3; /* a length without bytes */
    assert_int_equal(ay_net_fetch(&q, &d, &r), AY_ERR_BAD_REQUEST);
}

static void test_library_missing(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_net_probe_library("libassay-no-such-curl.so.4", &d), AY_ERR_NETWORK);
    assert_non_null(strstr(ay_diag_message(&d), "cannot load libassay-no-such-curl.so.4"));
    /* A library that is not libcurl. */
    ay_diag_clear(&d);
    assert_int_equal(ay_net_probe_library("libc.so.6", &d), AY_ERR_NETWORK);
    assert_non_null(strstr(ay_diag_message(&d), "has no curl_global_init"));
    ay_diag_clear(&d);
    assert_int_equal(ay_net_probe_library(NULL, &d), AY_ERR_NETWORK);
    ay_diag_clear(&d);
    assert_int_equal(ay_net_probe_library(AY_NET_CURL_SONAME, &d), AY_OK);
}

static void test_url_decode(void **state)
{
    (void)state;
    char *o = NULL;
    size_t n = 0;
    assert_int_equal(ay_net_url_decode("", 0, &o, &n), AY_OK);
    assert_int_equal(n, 0);
    assert_string_equal(o, "");
    ay_free(o);
    assert_int_equal(ay_net_url_decode("%2d%2D+%41", 10, &o, &n), AY_OK);
    assert_string_equal(o, "--+A");
    ay_free(o);
    /* Stops at n, not at a NUL. */
    assert_int_equal(ay_net_url_decode("ab%41cd", 5, &o, &n), AY_OK);
    assert_string_equal(o, "abA");
    ay_free(o);
    /* A decoded NUL is kept inside the length. */
    assert_int_equal(ay_net_url_decode("a%00b", 5, &o, &n), AY_OK);
    assert_int_equal(n, 3);
    assert_int_equal(o[1], 0);
    ay_free(o);
    o = NULL;
    assert_int_equal(ay_net_url_decode("%zz", 3, &o, &n), AY_ERR_MALFORMED);
    assert_int_equal(ay_net_url_decode("abc%4", 5, &o, &n), AY_ERR_MALFORMED);
    assert_int_equal(ay_net_url_decode("abc%", 4, &o, &n), AY_ERR_MALFORMED);
    assert_int_equal(ay_net_url_decode("%4g", 3, &o, &n), AY_ERR_MALFORMED);
    assert_null(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_post),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_http_errors),
        cmocka_unit_test(test_redirect),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_refused_requests),
        cmocka_unit_test(test_library_missing),
        cmocka_unit_test(test_url_decode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
