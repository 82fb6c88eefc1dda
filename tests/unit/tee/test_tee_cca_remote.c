/* SPDX-License-Identifier: Apache-2.0 */
/* CCA remote mode (CCA-KBS.md section 1.6 "Remote mode") against a small Veraison stand-in:
 * a libmicrohttpd server on 127.0.0.1 (ephemeral port, this process only) that serves the
 * discovery document, the newSession 201 + Location and the evidence answer with an EAR JWT
 * built and ES256-signed here with a test key, shaped as Veraison's (section 2.5). Negative
 * cases: wrong key, wrong or missing eat_nonce, non-ES256 alg, async 202, problem details,
 * missing Location, incomplete session, bad discovery, oversized answer, closed port. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cbor.h>
#include <cmocka.h>
#include <jansson.h>
#include <microhttpd.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "codec/codec_b64.h"
#include "crypto/crypto_sign.h"
#include "crypto_cca_testtls.h"
#include "tee/tee.h"
#include "tee/tee_cca.h"
#include "testlib.h"

enum mode {
    M_GOOD,
    M_WRONG_KEY,     /* EAR signed by another key than the discovered one */
    M_WRONG_NONCE,   /* eat_nonce of other bytes */
    M_NO_NONCE,      /* no eat_nonce */
    M_ALG_ES384,     /* header alg ES384 */
    M_ASYNC,         /* 202 */
    M_PROBLEM,       /* 400 with a problem detail */
    M_NO_LOCATION,   /* 201 without Location */
    M_FAILED,        /* status "failed", no result */
    M_BAD_DISCOVERY, /* discovery without ear-verification-key */
    M_HUGE,          /* 2 MiB answer */
    M_ABS_LOCATION,  /* absolute-path Location */
    M_NO_REALM,      /* EAR without the CCA_REALM submod */
    M_TAMPERED,      /* payload changed after signing */
};

struct server {
    struct MHD_Daemon *d;
    uint16_t port;
    enum mode mode;
    struct ay_sign_key *key;   /* published in discovery */
    struct ay_sign_key *other; /* M_WRONG_KEY */
    char nonce[256];           /* as received in newSession */
    char content_type[256];    /* of the evidence POST */
    size_t evidence_len;
    int requests;
};

struct upload {
    struct ay_buf body;
};

static const uint8_t RPV[64] = {0x11, 0x22, 0x33};
static const uint8_t RIM[32] = {0xaa, 0xbb};

/* Veraison's EAR for CCA (section 2.5), with the given nonce bytes. */
static char *make_ear(struct server *s, const uint8_t *nonce, size_t nlen)
{
    char *inst = ay_test_b64(AY_B64_STD, (const uint8_t[33]){1, 7, 6, 5}, 33);
    char *impl = ay_test_b64(AY_B64_STD, (const uint8_t[32]){0x7f, 0x45}, 32);
    char *rpv = ay_test_b64(AY_B64_STD, RPV, 64);
    char *rim = ay_test_b64(AY_B64_STD, RIM, 32);
    char *zero = ay_test_b64(AY_B64_STD, (const uint8_t[32]){0}, 32);
    char *chal = ay_test_b64(AY_B64_STD, nonce, nlen);
    json_t *pe = json_pack("{s:s,s:s,s:i,s:s}", "cca-platform-instance-id", inst,
                           "cca-platform-implementation-id", impl, "cca-platform-lifecycle", 12291,
                           "cca-platform-hash-algo-id", "sha-256");
    json_t *re = json_pack("{s:s,s:s,s:[s,s,s,s],s:s,s:s}", "cca-realm-personalization-value", rpv,
                           "cca-realm-initial-measurement", rim,
                           "cca-realm-extensible-measurements", zero, zero, zero, zero,
                           "cca-realm-hash-algo-id", "sha-256", "cca-realm-challenge", chal);
    json_t *sub = json_object();
    json_object_set_new(sub, "CCA_SSD_PLATFORM",
                        json_pack("{s:s,s:{s:i,s:i},s:s,s:o}", "ear.status", "affirming",
                                  "ear.trustworthiness-vector", "hardware", 2, "instance-identity",
                                  2, "ear.appraisal-policy-id", "policy:ARM_CCA",
                                  "ear.veraison.annotated-evidence", pe));
    if (s->mode != M_NO_REALM) {
        json_object_set_new(sub, "CCA_REALM",
                            json_pack("{s:s,s:{s:i},s:s,s:o}", "ear.status", "affirming",
                                      "ear.trustworthiness-vector", "instance-identity", 2,
                                      "ear.appraisal-policy-id", "policy:ARM_CCA",
                                      "ear.veraison.annotated-evidence", re));
    } else {
        json_decref(re);
    }
    json_t *claims =
        json_pack("{s:s,s:i,s:{s:s,s:s},s:o}", "eat_profile", "tag:github.com,2023:veraison/ear",
                  "iat", 1760000000, "ear.verifier-id", "build", "test", "developer",
                  "Veraison Project", "submods", sub);
    if (s->mode != M_NO_NONCE) {
        uint8_t other[64];
        memcpy(other, nonce, nlen < 64 ? nlen : 64);
        other[5] ^= 1;
        /* Go's base64.URLEncoding: padded base64url. */
        char *en = ay_test_b64(AY_B64_URL, s->mode == M_WRONG_NONCE ? other : nonce, nlen);
        json_object_set_new(claims, "eat_nonce", json_string(en));
        free(en);
    }
    char *payload = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
    const char *hdr = s->mode == M_ALG_ES384 ? "{\"alg\":\"ES384\",\"typ\":\"JWT\"}"
                                             : "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";
    char *h64 = ay_test_b64(AY_B64_URL_NOPAD, hdr, strlen(hdr));
    char *p64 = ay_test_b64(AY_B64_URL_NOPAD, payload, strlen(payload));
    size_t tlen = strlen(h64) + strlen(p64) + 2;
    char *tbs = malloc(tlen);
    snprintf(tbs, tlen, "%s.%s", h64, p64);
    uint8_t sig[AY_SIGN_MAX];
    size_t slen = 0;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(
        ay_sign(s->mode == M_WRONG_KEY ? s->other : s->key, tbs, strlen(tbs), sig, &slen, &d),
        AY_OK);
    char *s64 = ay_test_b64(AY_B64_URL_NOPAD, sig, slen);
    if (s->mode == M_TAMPERED) {
        /* Flip one payload character after signing. */
        tbs[strlen(h64) + 5] = tbs[strlen(h64) + 5] == 'A' ? 'B' : 'A';
    }
    size_t jlen = strlen(tbs) + strlen(s64) + 2;
    char *jwt = malloc(jlen);
    snprintf(jwt, jlen, "%s.%s", tbs, s64);
    json_decref(claims);
    char *frees[] = {inst, impl, rpv, rim, zero, chal, payload, h64, p64, tbs, s64};
    for (size_t i = 0; i < sizeof frees / sizeof frees[0]; i++) {
        free(frees[i]);
    }
    return jwt;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
                             char *body, const char *location)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", ctype);
    if (location != NULL) {
        MHD_add_response_header(r, "Location", location);
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static char *discovery(struct server *s)
{
    json_t *jwk = NULL;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_sign_key_jwk(s->key, &d, &jwk), AY_OK);
    json_t *doc =
        json_pack("{s:o,s:[s],s:s,s:s,s:{s:s}}", "ear-verification-key", jwk, "media-types",
                  "application/eat-collection; profile=\"http://arm.com/CCA-SSD/1.0.0\"", "version",
                  "commit-test", "service-state", "READY", "api-endpoints",
                  "newChallengeResponseSession", "/challenge-response/v1/newSession");
    if (s->mode == M_BAD_DISCOVERY) {
        json_object_del(doc, "ear-verification-key");
    }
    char *out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return out;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *data_size, void **con_cls)
{
    (void)version;
    struct server *s = cls;
    if (*con_cls == NULL) {
        struct upload *u = calloc(1, sizeof *u);
        ay_buf_init(&u->body, NULL, 4 << 20);
        *con_cls = u;
        return MHD_YES;
    }
    struct upload *u = *con_cls;
    if (*data_size > 0) {
        ay_buf_put(&u->body, data, *data_size);
        *data_size = 0;
        return MHD_YES;
    }
    s->requests++;
    if (strcmp(method, "GET") == 0 && strcmp(url, "/.well-known/veraison/verification") == 0) {
        return reply(c, 200, "application/vnd.veraison.discovery+json", discovery(s), NULL);
    }
    if (strcmp(method, "POST") == 0 && strcmp(url, "/challenge-response/v1/newSession") == 0) {
        const char *n = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "nonce");
        snprintf(s->nonce, sizeof s->nonce, "%s", n ? n : "");
        char *body = strdup("{\"status\":\"waiting\",\"nonce\":\"x\",\"expiry\":"
                            "\"2030-01-01T00:00:00Z\",\"accept\":[]}");
        const char *loc = s->mode == M_NO_LOCATION    ? NULL
                          : s->mode == M_ABS_LOCATION ? "/challenge-response/v1/session/abc"
                                                      : "session/abc";
        return reply(c, 201, "application/vnd.veraison.challenge-response-session+json", body, loc);
    }
    if (strcmp(method, "POST") == 0 && strcmp(url, "/challenge-response/v1/session/abc") == 0) {
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        snprintf(s->content_type, sizeof s->content_type, "%s", ct ? ct : "");
        s->evidence_len = u->body.len;
        if (s->mode == M_ASYNC) {
            return reply(c, 202, "application/json", strdup("{\"status\":\"processing\"}"), NULL);
        }
        if (s->mode == M_PROBLEM) {
            return reply(c, 400, "application/problem+json",
                         strdup("{\"title\":\"Bad Request\",\"detail\":\"no scheme for media "
                                "type\"}"),
                         NULL);
        }
        if (s->mode == M_HUGE) {
            char *big = malloc(2u << 20);
            memset(big, ' ', (2u << 20) - 1);
            big[(2u << 20) - 1] = '\0';
            return reply(c, 200, "application/json", big, NULL);
        }
        if (s->mode == M_FAILED) {
            return reply(c, 200, "application/json", strdup("{\"status\":\"failed\"}"), NULL);
        }
        /* The session nonce as Veraison keeps it: the decoded query value. */
        uint8_t nonce[64];
        size_t nlen = 0;
        assert_int_equal(ay_b64_decode_to(AY_B64_URL_NOPAD, s->nonce, strlen(s->nonce), nonce,
                                          sizeof nonce, &nlen),
                         AY_OK);
        char *jwt = make_ear(s, nonce, nlen);
        json_t *doc = json_pack("{s:s,s:s,s:s,s:{s:s,s:s},s:s}", "status", "complete", "nonce",
                                s->nonce, "expiry", "2030-01-01T00:00:00Z", "evidence", "type",
                                "application/eat-collection", "value", "", "result", jwt);
        free(jwt);
        char *body = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        return reply(c, 200, "application/vnd.veraison.challenge-response-session+json", body,
                     NULL);
    }
    return reply(c, 404, "application/problem+json", strdup("{\"detail\":\"not found\"}"), NULL);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct upload *u = *con_cls;
    if (u != NULL) {
        ay_buf_free(&u->body);
        free(u);
        *con_cls = NULL;
    }
}

static int setup(void **state)
{
    struct server *s = calloc(1, sizeof *s);
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_sign_key_generate(AY_SIGN_ES256, &d, &s->key), AY_OK);
    assert_int_equal(ay_sign_key_generate(AY_SIGN_ES256, &d, &s->other), AY_OK);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, s,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED,
                         completed, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    assert_non_null(s->d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    s->port = info->port;
    assert_true(s->port != 0);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct server *s = *state;
    MHD_stop_daemon(s->d);
    ay_sign_key_free(s->key);
    ay_sign_key_free(s->other);
    free(s);
    return 0;
}

/* A syntactically valid collection: remote mode sends the bytes as they are. */
static uint8_t *token(size_t *len)
{
    cbor_item_t *m = cbor_new_definite_map(2);
    static const uint8_t p[4] = {0xd2, 0x84, 0x40, 0xa0};
    assert_true(
        cbor_map_add(m, (struct cbor_pair){.key = cbor_move(cbor_build_uint16(44234)),
                                           .value = cbor_move(cbor_build_bytestring(p, 4))}));
    assert_true(
        cbor_map_add(m, (struct cbor_pair){.key = cbor_move(cbor_build_uint16(44241)),
                                           .value = cbor_move(cbor_build_bytestring(p, 4))}));
    cbor_item_t *t = cbor_build_tag(399, m);
    cbor_decref(&m);
    unsigned char *buf = NULL;
    size_t cap = 0;
    *len = cbor_serialize_alloc(t, &buf, &cap);
    cbor_decref(&t);
    return buf;
}

struct run {
    uint16_t port;
    bool https;
    const char *ca_cert; /* path, or NULL */
    const uint8_t *report_data;
    size_t report_data_len;
    const uint8_t *init_data;
    size_t init_data_len;
    json_t *claims;
    char msg[AY_DIAG_MSG_MAX];
};

static ay_err verify(struct run *r)
{
    struct ay_arena *a = NULL;
    ay_arena_new(8 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    json_t *cfg = json_pack("{s:{s:s,s:s,s:i}}", "cca-verifier", "type", "remote", "address", "",
                            "timeout", 10);
    char addr[64];
    snprintf(addr, sizeof addr, "%s://127.0.0.1:%u/", r->https ? "https" : "http",
             (unsigned)r->port);
    json_t *inner = json_object_get(cfg, "cca-verifier");
    json_object_set_new(inner, "address", json_string(addr));
    if (r->ca_cert != NULL) {
        json_object_set_new(inner, "ca-cert", json_string(r->ca_cert));
    }
    size_t tn = 0;
    uint8_t *tok = token(&tn);
    struct ay_span rd = ay_span_of(r->report_data, r->report_data_len);
    struct ay_span id = ay_span_of(r->init_data, r->init_data_len);
    struct ay_tee_input in = {.evidence = ay_span_of(tok, tn),
                              .report_data = r->report_data ? &rd : NULL,
                              .init_data = r->init_data ? &id : NULL,
                              .config = cfg};
    r->claims = NULL;
    ay_err err = ay_tee_cca_verify(&ctx, &in, &r->claims);
    snprintf(r->msg, sizeof r->msg, "%s", ay_diag_message(&ctx.diag));
    if (err != AY_OK) {
        assert_null(r->claims);
    }
    free(tok);
    json_decref(cfg);
    ay_arena_free(a);
    return err;
}

static void test_remote_accept(void **state)
{
    struct server *s = *state;
    uint8_t rd[48];
    for (int i = 0; i < 48; i++) {
        rd[i] = (uint8_t)(0xf0 ^ i);
    }
    for (int abs = 0; abs < 2; abs++) {
        s->mode = abs ? M_ABS_LOCATION : M_GOOD;
        struct run r = {.port = s->port, .report_data = rd, .report_data_len = sizeof rd};
        ay_err e = verify(&r);
        if (e != AY_OK) {
            fail_msg("remote: %s", r.msg);
        }
        /* The nonce sent is the 64-byte regularized value, base64url without padding. */
        uint8_t want[64] = {0};
        memcpy(want, rd, sizeof rd);
        char *n = ay_test_b64(AY_B64_URL_NOPAD, want, 64);
        assert_string_equal(s->nonce, n);
        free(n);
        assert_string_equal(s->content_type,
                            "application/eat-collection; profile=\"http://arm.com/CCA-SSD/1.0.0\"");
        size_t tn = 0;
        free(token(&tn));
        assert_int_equal(s->evidence_len, tn);
        /* Trustee's claims from the annotated evidence. */
        json_t *realm = json_object_get(r.claims, "realm");
        json_t *plat = json_object_get(r.claims, "platform");
        char *rim = ay_test_b64(AY_B64_STD, RIM, 32);
        assert_string_equal(
            json_string_value(json_object_get(realm, "cca-realm-initial-measurement")), rim);
        free(rim);
        assert_int_equal(
            json_array_size(json_object_get(realm, "cca-realm-extensible-measurements")), 4);
        assert_string_equal(json_string_value(json_object_get(realm, "cca-realm-hash-algo-id")),
                            "sha-256");
        assert_non_null(json_object_get(plat, "cca-platform-instance-id"));
        assert_non_null(json_object_get(plat, "cca-platform-implementation-id"));
        assert_null(json_object_get(plat, "cca-platform-lifecycle")); /* not exposed */
        char hex[129];
        for (int i = 0; i < 64; i++) {
            snprintf(hex + 2 * i, 3, "%02x", want[i]);
        }
        assert_string_equal(json_string_value(json_object_get(r.claims, "report_data")), hex);
        const char *idata = json_string_value(json_object_get(r.claims, "init_data"));
        assert_non_null(idata);
        assert_memory_equal(idata, "112233000000", 12);
        json_decref(r.claims);
    }
    /* Init data binds to the personalization value Veraison reports, both ways. */
    s->mode = M_GOOD;
    struct run r = {.port = s->port,
                    .report_data = rd,
                    .report_data_len = sizeof rd,
                    .init_data = RPV,
                    .init_data_len = 64};
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    uint8_t other[64];
    memcpy(other, RPV, 64);
    other[63] = 1;
    r.init_data = other;
    assert_int_equal(verify(&r), AY_ERR_BINDING);
}

static void test_remote_reject(void **state)
{
    struct server *s = *state;

    static const struct {
        enum mode mode;
        ay_err want;
        const char *msg;
    } cases[] = {
        {M_WRONG_KEY, AY_ERR_BAD_SIGNATURE, "EAR signature"},
        {M_TAMPERED, AY_ERR_BAD_SIGNATURE, "EAR signature"},
        {M_WRONG_NONCE, AY_ERR_BINDING, "eat_nonce"},
        {M_NO_NONCE, AY_ERR_BINDING, "eat_nonce"},
        {M_ALG_ES384, AY_ERR_UNSUPPORTED, "ES256"},
        {M_ASYNC, AY_ERR_UNSUPPORTED, "202"},
        {M_PROBLEM, AY_ERR_NETWORK, "no scheme for media type"},
        {M_NO_LOCATION, AY_ERR_MALFORMED, "Location"},
        {M_FAILED, AY_ERR_VERIFY, "failed"},
        {M_BAD_DISCOVERY, AY_ERR_MALFORMED, "ear-verification-key"},
        {M_HUGE, AY_ERR_LIMIT, "bytes"},
        {M_NO_REALM, AY_ERR_MALFORMED, "CCA_REALM"},
    };

    uint8_t rd[64] = {9, 8, 7};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s->mode = cases[i].mode;
        struct run r = {.port = s->port, .report_data = rd, .report_data_len = sizeof rd};
        ay_err e = verify(&r);
        if (e != cases[i].want || strstr(r.msg, cases[i].msg) == NULL) {
            fail_msg("case %zu: got %s (%s)", i, ay_err_name(e), r.msg);
        }
    }
    s->mode = M_GOOD;
}

/* Nothing listens on the port: a network error, quickly. */
static void test_remote_closed_port(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    uint16_t port = ntohs(sa.sin_port);
    /* Bound but not listening: connections are refused. */
    uint8_t rd[64] = {1};
    struct run r = {.port = port, .report_data = rd, .report_data_len = sizeof rd};
    assert_int_equal(verify(&r), AY_ERR_NETWORK);
    close(fd);
}

/* HTTPS: the server certificate must chain to "ca-cert"; without it (system CAs) or with
 * another CA the TLS handshake fails: no insecure fallback. */
static void test_remote_tls(void **state)
{
    struct server *plain = *state;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        print_message("SKIP: libmicrohttpd without TLS\n");
        skip();
    }
    char *cert = NULL;
    char *key = NULL;
    assert_int_equal(testtls_make(&cert, &key), 0);
    char *other_cert = NULL;
    char *other_key = NULL;
    assert_int_equal(testtls_make(&other_cert, &other_key), 0);
    struct server *s = calloc(1, sizeof *s);
    s->key = plain->key;
    s->other = plain->other;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL, NULL, handler, s,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED,
                         completed, s, MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT,
                         cert, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    assert_non_null(s->d);
    s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    char ca[] = "/tmp/assay-cca-ca-XXXXXX";
    int fd = mkstemp(ca);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, cert, strlen(cert)), (ssize_t)strlen(cert));
    close(fd);
    char wrong[] = "/tmp/assay-cca-ca-XXXXXX";
    fd = mkstemp(wrong);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, other_cert, strlen(other_cert)), (ssize_t)strlen(other_cert));
    close(fd);
    uint8_t rd[64] = {3, 1, 4};
    struct run r = {
        .port = s->port, .https = true, .ca_cert = ca, .report_data = rd, .report_data_len = 64};
    ay_err e = verify(&r);
    if (e != AY_OK) {
        fail_msg("https with ca-cert: %s", r.msg);
    }
    json_decref(r.claims);
    r.ca_cert = wrong;
    assert_int_equal(verify(&r), AY_ERR_NETWORK);
    r.ca_cert = NULL;
    assert_int_equal(verify(&r), AY_ERR_NETWORK);
    r.ca_cert = "/nonexistent/ca.pem";
    assert_int_equal(verify(&r), AY_ERR_NETWORK);
    MHD_stop_daemon(s->d);
    free(s);
    unlink(ca);
    unlink(wrong);
    free(cert);
    free(key);
    free(other_cert);
    free(other_key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remote_accept),
        cmocka_unit_test(test_remote_reject),
        cmocka_unit_test(test_remote_closed_port),
        cmocka_unit_test(test_remote_tls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
