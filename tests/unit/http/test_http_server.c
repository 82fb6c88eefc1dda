/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP front end in process, over a real loopback socket, against the fake service core of
 * fake_as.h: routing (404/405), body limits (413 by Content-Length and by chunked upload at the
 * limit and one past it), content type (415), error bodies and status mapping, CORS, keep-alive
 * and the metrics counters. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/base_limits.h"
#include "base/base_str.h"
#include "fake_as.h"
#include "http/http.h"

static struct ay_as *g_as;
static struct ay_http_server *g_srv;
static uint16_t g_port;

struct reply {
    int status;
    char head[4096];
    char *body;
    size_t body_len;
};

/* Case-insensitive substring search (header names are case-insensitive). */
static const char *ci_find(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay != '\0'; hay++) {
        size_t i = 0;
        while (i < n && hay[i] != '\0' &&
               ay_to_lower((unsigned char)hay[i]) == ay_to_lower((unsigned char)needle[i])) {
            i++;
        }
        if (i == n) {
            return hay;
        }
    }
    return NULL;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(g_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w <= 0) {
            return; /* the server may close early (413): the reply is still readable */
        }
        c += w;
        n -= (size_t)w;
    }
}

/* Reads one response (Content-Length framed) from fd. */
static void read_reply(int fd, struct reply *r)
{
    size_t cap = 1 << 16;
    size_t len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    char *eoh = NULL;
    size_t need = 0;
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
        buf[len] = '\0';
        if (eoh == NULL && (eoh = strstr(buf, "\r\n\r\n")) != NULL) {
            const char *cl = ci_find(buf, "\r\nContent-Length:");
            need = (size_t)(eoh - buf) + 4 + (cl != NULL ? strtoul(cl + 17, NULL, 10) : 0);
        }
        if (eoh != NULL && len >= need) {
            break;
        }
    }
    assert_non_null(eoh);
    size_t hl = (size_t)(eoh - buf);
    assert_true(hl < sizeof r->head);
    memcpy(r->head, buf, hl);
    r->head[hl] = '\0';
    r->status = (int)strtol(buf + 9, NULL, 10);
    r->body_len = len - hl - 4;
    r->body = malloc(r->body_len + 1);
    memcpy(r->body, eoh + 4, r->body_len);
    r->body[r->body_len] = '\0';
    free(buf);
}

static void req(const char *method, const char *path, const char *extra_headers, const char *body,
                size_t body_len, struct reply *r)
{
    int fd = dial();
    char head[1024];
    int n =
        snprintf(head, sizeof head,
                 "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n",
                 method, path, extra_headers != NULL ? extra_headers : "", body_len);
    send_all(fd, head, (size_t)n);
    if (body_len > 0) {
        send_all(fd, body, body_len);
    }
    read_reply(fd, r);
    close(fd);
}

static void json_req(const char *method, const char *path, const char *body, struct reply *r)
{
    req(method, path, "Content-Type: application/json\r\n", body, body != NULL ? strlen(body) : 0,
        r);
}

static void done(struct reply *r)
{
    free(r->body);
    r->body = NULL;
}

static void expect_error(struct reply *r, int status, const char *code)
{
    if (r->status != status) {
        fail_msg("status %d, want %d; body %s", r->status, status, r->body);
    }
    char want[64];
    snprintf(want, sizeof want, "{\"error\":\"%s\",\"message\":", code);
    if (strncmp(r->body, want, strlen(want)) != 0) {
        fail_msg("body %s, want prefix %s", r->body, want);
    }
    assert_non_null(ci_find(r->head, "Content-Type: application/json"));
}

static void test_healthz(void **state)
{
    (void)state;
    struct reply r;
    req("GET", "/healthz", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    done(&r);
    req("HEAD", "/healthz", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    done(&r);
}

static void test_routing(void **state)
{
    (void)state;
    struct reply r;
    req("GET", "/nope", NULL, NULL, 0, &r);
    expect_error(&r, 404, "not_found");
    done(&r);
    req("GET", "/policyx", NULL, NULL, 0, &r);
    expect_error(&r, 404, "not_found");
    done(&r);
    req("DELETE", "/policy", NULL, NULL, 0, &r);
    expect_error(&r, 405, "method");
    assert_non_null(strstr(r.head, "Allow: POST, GET"));
    done(&r);
    req("PUT", "/attestation", NULL, NULL, 0, &r);
    expect_error(&r, 405, "method");
    done(&r);
    req("GET", "/attestation", NULL, NULL, 0, &r);
    expect_error(&r, 405, "method");
    done(&r);
    req("POST", "/policy/abc", "Content-Type: application/json\r\n", "{}", 2, &r);
    expect_error(&r, 405, "method");
    assert_non_null(strstr(r.head, "Allow: GET, DELETE"));
    done(&r);
    req("GET", "/policy/a/b", NULL, NULL, 0, &r);
    expect_error(&r, 404, "not_found");
    done(&r);
    req("GET", "/policy/", NULL, NULL, 0, &r);
    expect_error(&r, 404, "not_found");
    done(&r);
    req("GET", "/policy/missing", NULL, NULL, 0, &r);
    expect_error(&r, 404, "not_found");
    assert_non_null(strstr(r.body, "missing"));
    done(&r);
    /* Query strings are not part of the path. */
    req("GET", "/healthz?x=1", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    done(&r);
}

static void test_content_type(void **state)
{
    (void)state;
    struct reply r;
    static const char body[] =
        "{\"verification_requests\":[{\"tee\":\"sample\"}],\"policy_ids\":[]}";
    req("POST", "/attestation", NULL, body, strlen(body), &r);
    expect_error(&r, 415, "media_type");
    done(&r);
    req("POST", "/attestation", "Content-Type: text/plain\r\n", body, strlen(body), &r);
    expect_error(&r, 415, "media_type");
    done(&r);
    req("POST", "/attestation", "Content-Type: application/jsonx\r\n", body, strlen(body), &r);
    expect_error(&r, 415, "media_type");
    done(&r);
    req("POST", "/attestation", "Content-Type: Application/JSON; charset=utf-8\r\n", body,
        strlen(body), &r);
    assert_int_equal(r.status, 200);
    done(&r);
    req("POST", "/attestation", "Content-Type: application/vnd.x+json\r\n", body, strlen(body), &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "eyJhbGciOiJFUzI1NiJ9.e30.c2ln");
    assert_null(ci_find(r.head, "Content-Type"));
    done(&r);
}

/* A JSON body of exactly n bytes: {"verification_requests":[{"tee":"sample","pad":"xxx"}]} */
static char *padded(size_t n)
{
    static const char pre[] = "{\"verification_requests\":[{\"tee\":\"sample\",\"pad\":\"";
    static const char post[] = "\"}],\"policy_ids\":[]}";
    char *b = malloc(n + 1);
    assert_non_null(b);
    size_t pl = sizeof pre - 1;
    size_t sl = sizeof post - 1;
    memcpy(b, pre, pl);
    memset(b + pl, 'x', n - pl - sl);
    memcpy(b + n - sl, post, sl);
    b[n] = '\0';
    return b;
}

static void test_body_limit(void **state)
{
    (void)state;
    struct reply r;
    size_t lim = AY_LIMIT_HTTP_JSON_BODY;
    char *b = padded(lim);
    json_req("POST", "/attestation", b, &r);
    assert_int_equal(r.status, 200);
    done(&r);
    free(b);
    b = padded(lim + 1);
    json_req("POST", "/attestation", b, &r);
    expect_error(&r, 413, "limit");
    done(&r);
    /* The same over chunked transfer (no Content-Length up front). */
    int fd = dial();
    static const char head[] = "POST /attestation HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                               "Content-Type: application/json\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n";
    send_all(fd, head, sizeof head - 1);
    size_t off = 0;
    while (off < lim + 1) {
        size_t n = lim + 1 - off < 65536 ? lim + 1 - off : 65536;
        char ch[32];
        int hn = snprintf(ch, sizeof ch, "%zx\r\n", n);
        send_all(fd, ch, (size_t)hn);
        send_all(fd, b + off, n);
        send_all(fd, "\r\n", 2);
        off += n;
    }
    send_all(fd, "0\r\n\r\n", 5);
    read_reply(fd, &r);
    close(fd);
    expect_error(&r, 413, "limit");
    done(&r);
    free(b);
}

static void test_errors(void **state)
{
    (void)state;
    struct reply r;
    json_req("POST", "/attestation", "{\"verification_requests\":", &r);
    expect_error(&r, 400, "malformed");
    done(&r);
    json_req("POST", "/attestation", "", &r);
    expect_error(&r, 400, "malformed");
    done(&r);
    json_req("POST", "/attestation",
             "{\"verification_requests\":[{\"tee\":\"sample\",\"x\":\"fake-verify\"}]}", &r);
    expect_error(&r, 422, "verify");
    done(&r);
    json_req("POST", "/attestation",
             "{\"verification_requests\":[{\"tee\":\"sample\",\"x\":\"fake-internal\"}]}", &r);
    expect_error(&r, 500, "internal");
    assert_non_null(strstr(r.body, "fake internal fault"));
    done(&r);
    /* Quotes and control characters in messages are escaped. */
    json_req("POST", "/policy", "{\"policy_id\":\"a\"}", &r);
    expect_error(&r, 400, "bad_request");
    assert_non_null(strstr(r.body, "missing field `policy_id` or `policy`"));
    done(&r);
}

static void test_policy_round_trip(void **state)
{
    (void)state;
    struct reply r;
    /* "package policy\n" in base64url without padding. */
    json_req("POST", "/policy", "{\"policy_id\":\"p1\",\"policy\":\"cGFja2FnZSBwb2xpY3kK\"}", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    done(&r);
    req("GET", "/policy", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "{\"policy-id\":\"p1\"}"));
    done(&r);
    req("GET", "/policy/p1", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"policy-id\":\"p1\",\"policy\":\"cGFja2FnZSBwb2xpY3kK\"}");
    done(&r);
    /* Percent-encoded ids are decoded before lookup. */
    req("GET", "/policy/%70%31", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    done(&r);
    req("DELETE", "/policy/p1", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    done(&r);
    req("DELETE", "/policy/p1", NULL, NULL, 0, &r);
    expect_error(&r, 404, "not_found");
    done(&r);
    /* "syntax error" */
    json_req("POST", "/policy", "{\"policy_id\":\"p2\",\"policy\":\"c3ludGF4IGVycm9y\"}", &r);
    expect_error(&r, 400, "policy_compile");
    assert_non_null(strstr(r.body, "3:7"));
    done(&r);
}

static void test_rv(void **state)
{
    (void)state;
    struct reply r;
    json_req("POST", "/reference-value", "{\"name\":\"rv1\",\"v\":[1]}", &r);
    assert_int_equal(r.status, 200);
    done(&r);
    req("GET", "/reference-value/rv1", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"name\":\"rv1\",\"v\":[1]}");
    done(&r);
    req("DELETE", "/reference-value/rv1", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    done(&r);
    req("GET", "/reference-value/rv1", NULL, NULL, 0, &r);
    expect_error(&r, 404, "not_found");
    done(&r);
}

static void test_cors(void **state)
{
    (void)state;
    struct reply r;
    req("OPTIONS", "/attestation",
        "Origin: https://ok.example\r\nAccess-Control-Request-Method: POST\r\n", NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "Access-Control-Allow-Origin: https://ok.example"));
    assert_non_null(strstr(r.head, "Access-Control-Allow-Methods: POST, GET, OPTIONS"));
    assert_non_null(strstr(r.head, "Access-Control-Allow-Headers: content-type, authorization"));
    assert_non_null(strstr(r.head, "Access-Control-Max-Age: 86400"));
    done(&r);
    req("OPTIONS", "/attestation",
        "Origin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n", NULL, 0, &r);
    expect_error(&r, 400, "bad_request");
    assert_null(strstr(r.head, "Access-Control-Allow-Origin"));
    done(&r);
    req("OPTIONS", "/nowhere", "Origin: https://ok.example\r\n", NULL, 0, &r);
    assert_int_equal(r.status, 404);
    done(&r);
    req("GET", "/healthz", "Origin: https://ok.example\r\n", NULL, 0, &r);
    assert_non_null(strstr(r.head, "Access-Control-Allow-Origin: https://ok.example"));
    done(&r);
    req("GET", "/healthz", "Origin: https://evil.example\r\n", NULL, 0, &r);
    assert_null(strstr(r.head, "Access-Control-Allow-Origin"));
    done(&r);
}

static void test_keepalive(void **state)
{
    (void)state;
    int fd = dial();
    for (int i = 0; i < 5; i++) {
        static const char get[] = "GET /.well-known/jwks.json HTTP/1.1\r\nHost: t\r\n\r\n";
        send_all(fd, get, sizeof get - 1);
        struct reply r;
        read_reply(fd, &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "\"keys\""));
        assert_non_null(ci_find(r.head, "Content-Type: application/json"));
        done(&r);
    }
    close(fd);
}

static void test_metrics(void **state)
{
    (void)state;
    struct reply r;
    json_req("POST", "/attestation", "{\"verification_requests\":[{\"tee\":\"sample\"}]}", &r);
    done(&r);
    req("GET", "/metrics", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "text/plain; version=0.0.4"));
    assert_non_null(strstr(r.body, "# TYPE assay_http_requests_total counter"));
    assert_non_null(
        strstr(r.body, "assay_http_requests_total{route=\"attestation\",status=\"200\"}"));
    assert_non_null(
        strstr(r.body, "assay_http_requests_total{route=\"unmatched\",status=\"404\"}"));
    assert_non_null(
        strstr(r.body, "assay_attestations_total{tee=\"sample\",verdict=\"accepted\"}"));
    assert_non_null(
        strstr(r.body, "assay_attestations_total{tee=\"sample\",verdict=\"rejected\"}"));
    assert_non_null(
        strstr(r.body, "assay_attestation_duration_seconds_bucket{tee=\"sample\",le=\"+Inf\"}"));
    assert_non_null(strstr(r.body, "assay_attestation_duration_seconds_count{tee=\"sample\"}"));
    done(&r);
}

static void test_parse_socket(void **state)
{
    (void)state;
    char host[64];
    uint16_t port = 0;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_http_parse_socket("0.0.0.0:8080", &d, host, sizeof host, &port), AY_OK);
    assert_string_equal(host, "0.0.0.0");
    assert_int_equal(port, 8080);
    assert_int_equal(ay_http_parse_socket("[::1]:65535", &d, host, sizeof host, &port), AY_OK);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 65535);
    assert_int_equal(ay_http_parse_socket("127.0.0.1:65536", &d, host, sizeof host, &port),
                     AY_ERR_CONFIG);
    assert_int_equal(ay_http_parse_socket("localhost:80", &d, host, sizeof host, &port),
                     AY_ERR_CONFIG);
    assert_int_equal(ay_http_parse_socket("8080", &d, host, sizeof host, &port), AY_ERR_CONFIG);
    assert_int_equal(ay_http_parse_socket("1.2.3.4:", &d, host, sizeof host, &port), AY_ERR_CONFIG);
    assert_int_equal(ay_http_parse_socket("1.2.3.4:-1", &d, host, sizeof host, &port),
                     AY_ERR_CONFIG);
    /* A port in use is a clear start-up error. */
    struct ay_http_server *s2 = NULL;
    char spec[32];
    snprintf(spec, sizeof spec, "127.0.0.1:%u", (unsigned)g_port);
    struct ay_http_opts o = {.socket = spec, .threads = 1};
    ay_diag_clear(&d);
    assert_int_equal(ay_http_start(g_as, &o, &d, &s2), AY_ERR_IO);
    assert_non_null(strstr(d.msg, "cannot bind"));
    assert_null(s2);
}

static int setup(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_as_new(NULL, &d, &g_as) != AY_OK) {
        return -1;
    }
    static const char *const origins[] = {"https://ok.example"};
    struct ay_http_opts o = {
        .socket = "127.0.0.1:0", .origins = origins, .n_origins = 1, .threads = 2};
    if (ay_http_start(g_as, &o, &d, &g_srv) != AY_OK) {
        fprintf(stderr, "start: %s\n", d.msg);
        return -1;
    }
    g_port = ay_http_port(g_srv);
    return g_port != 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ay_http_stop(g_srv);
    ay_as_free(g_as);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthz),      cmocka_unit_test(test_routing),
        cmocka_unit_test(test_content_type), cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_errors),       cmocka_unit_test(test_policy_round_trip),
        cmocka_unit_test(test_rv),           cmocka_unit_test(test_cors),
        cmocka_unit_test(test_keepalive),    cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_parse_socket),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
