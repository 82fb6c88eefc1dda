/* SPDX-License-Identifier: Apache-2.0 */
/* The DCAP collateral sources (tee_dcap_source.c) against a loopback PCCS (libmicrohttpd) that
 * serves collateral generated and signed at test time (crypto_dcap_testpki.h) with the PCS v4
 * paths and URL-encoded issuer-chain headers: fetch, reuse without network, the on-disk cache,
 * expiry at nextUpdate, a bad signature refused and not cached, the server down, the qcnl conf
 * and configuration errors; and the local collateral directory, with generated files and with
 * the real T-C1 collateral of ../shared/vectors (skipped when absent). */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <microhttpd.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "base/base_time.h"
#include "crypto/crypto_x509.h"
#include "crypto_dcap_testpki.h"
#include "tee/tee.h"
#include "tee/tee_dcap.h"
#include "tee/tee_dcap_source.h"
#include "testlib.h"

static struct tpki pki;
static const struct tpck pck_default = {
    .comp = {5, 5, 5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0},
    .pcesvn = 11,
    .fmspc = {0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00},
    .pceid = {0, 0},
};
static const uint8_t qe_mrsigner[32] = {0xdc, 0x9e, 0x2a, 0x7c, 1, 2, 3, 4};

static int set_test_root(void)
{
    struct tw der = {0};
    struct ay_diag d;
    struct ay_x509 *root = NULL;
    ay_diag_clear(&d);
    tpki_root_der(&pki, &der);
    ay_err e = ay_x509_parse(&d, ay_span_of(der.p, der.n), &root);
    free(der.p);
    if (e != AY_OK) {
        return -1;
    }
    ay_dcap_test_set_root(root);
    ay_x509_free(root);
    return 0;
}

static void opts_default(struct tquote_opts *o)
{
    memset(o, 0, sizeof *o);
    o->version = 4;
    uint8_t svn[16] = {5, 0, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
    memcpy(o->tee_tcb_svn, svn, 16);
    memcpy(o->tee_tcb_svn2, svn, 16);
    memset(o->report_data, 0xd1, 32);
    memset(o->mr_config_id, 0xc1, 48);
    o->qe_isvsvn = 4;
    o->qe_isvprodid = 2;
    memcpy(o->qe_mrsigner, qe_mrsigner, 32);
}

/* ---- collateral documents (as in test_tee_dcap.c) ---- */

/* ---- running the verifier ---- */

/* ---- the loopback PCCS ---- */

struct server {
    struct MHD_Daemon *d;
    uint16_t port;
    pthread_mutex_t mu;
    int requests;
    char *tcb, *qe;         /* served bodies (TDX) */
    char *sgx_tcb, *sgx_qe; /* SGX */
    struct tw pck_crl;      /* DER */
    bool root_crl_hex;      /* serve the root CRL as hex text (some PCCS do) */
    bool no_chain_header;
    unsigned tcb_status; /* HTTP status of the TCB info answer (0: 200) */
    bool tcb_oversize;   /* a TCB info answer over the 1 MiB limit */
    char seen[8][256];   /* the last requests: path?fmspc..update..ca..encoding */
};

static struct server srv;
static struct tquote_layout lay;
static struct tw quote;
static char tmpdir[64];
static json_t *last_claims; /* of the last run_at */

static char *url_encode(const uint8_t *p, size_t n)
{
    char *o = malloc(3 * n + 1);
    size_t k = 0;
    assert_non_null(o);
    for (size_t i = 0; i < n; i++) {
        int c = p[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            o[k++] = (char)c;
        } else {
            (void)snprintf(o + k, 4, "%%%02X", (unsigned)c);
            k += 3;
        }
    }
    o[k] = '\0';
    return o;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const void *body,
                               size_t n, const char *hdr)
{
    void *copy = malloc(n + 1);
    assert_non_null(copy);
    memcpy(copy, body, n);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, copy, MHD_RESPMEM_MUST_FREE);
    if (hdr != NULL && !srv.no_chain_header) {
        char *v = url_encode(pki.tcb_chain.p, pki.tcb_chain.n);
        MHD_add_response_header(r, hdr, v);
        free(v);
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)method;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    const char *fmspc = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "fmspc");
    const char *upd = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "update");
    const char *ca = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ca");
    const char *enc = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "encoding");
    (void)pthread_mutex_lock(&srv.mu);
    int i = srv.requests++;
    (void)snprintf(srv.seen[i % 8], sizeof srv.seen[0], "%s fmspc=%s update=%s ca=%s enc=%s", url,
                   fmspc ? fmspc : "-", upd ? upd : "-", ca ? ca : "-", enc ? enc : "-");
    (void)pthread_mutex_unlock(&srv.mu);
    if (strcmp(url, "/tdx/certification/v4/tcb") == 0) {
        if (srv.tcb_oversize) {
            size_t big = ((size_t)1 << 20) + 16;
            char *b = malloc(big);
            assert_non_null(b);
            memset(b, ' ', big);
            enum MHD_Result r = respond(c, 200, b, big, "TCB-Info-Issuer-Chain");
            free(b);
            return r;
        }
        return respond(c, srv.tcb_status != 0 ? srv.tcb_status : 200, srv.tcb, strlen(srv.tcb),
                       "TCB-Info-Issuer-Chain");
    }
    if (strcmp(url, "/sgx/certification/v4/tcb") == 0) {
        /* The v3 API's header name, also accepted. */
        return respond(c, 200, srv.sgx_tcb, strlen(srv.sgx_tcb), "SGX-TCB-Info-Issuer-Chain");
    }
    if (strcmp(url, "/tdx/certification/v4/qe/identity") == 0) {
        return respond(c, 200, srv.qe, strlen(srv.qe), "SGX-Enclave-Identity-Issuer-Chain");
    }
    if (strcmp(url, "/sgx/certification/v4/qe/identity") == 0) {
        return respond(c, 200, srv.sgx_qe, strlen(srv.sgx_qe), "SGX-Enclave-Identity-Issuer-Chain");
    }
    if (strcmp(url, "/sgx/certification/v4/pckcrl") == 0) {
        return respond(c, 200, srv.pck_crl.p, srv.pck_crl.n, "SGX-PCK-CRL-Issuer-Chain");
    }
    if (strcmp(url, "/sgx/certification/v4/rootcacrl") == 0) {
        if (srv.root_crl_hex) {
            char *h = malloc(2 * pki.root_crl.n + 1);
            assert_non_null(h);
            for (size_t k = 0; k < pki.root_crl.n; k++) {
                (void)snprintf(h + 2 * k, 3, "%02x", pki.root_crl.p[k]);
            }
            enum MHD_Result r = respond(c, 200, h, strlen(h), NULL);
            free(h);
            return r;
        }
        return respond(c, 200, pki.root_crl.p, pki.root_crl.n, NULL);
    }
    return respond(c, 404, "no", 2, NULL);
}

static void serve(int64_t next_update, const char *top)
{
    struct tpki_coll_spec s = {top, "UpToDate", next_update, "TDX"};
    struct tpki_coll_spec g = {top, "UpToDate", next_update, "SGX"};
    free(srv.tcb);
    free(srv.qe);
    free(srv.sgx_tcb);
    free(srv.sgx_qe);
    srv.tcb = tpki_tcb_doc(&pki, &s);
    srv.qe = tpki_qe_doc(&pki, qe_mrsigner, &s, true);
    srv.sgx_tcb = tpki_tcb_doc(&pki, &g);
    srv.sgx_qe = tpki_qe_doc(&pki, qe_mrsigner, &g, false);
}

/* A PCK CRL valid [from, to]. */
static void serve_pck_crl(int64_t from, int64_t to)
{
    X509_CRL *pc = tpki_crl(pki.ca, pki.ca_k, from, to, 0);
    free(srv.pck_crl.p);
    memset(&srv.pck_crl, 0, sizeof srv.pck_crl);
    tpki_crl_der(pc, &srv.pck_crl);
    X509_CRL_free(pc);
}

static int requests(void)
{
    (void)pthread_mutex_lock(&srv.mu);
    int n = srv.requests;
    (void)pthread_mutex_unlock(&srv.mu);
    return n;
}

static void rm_tree(const char *path, int depth)
{
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
                continue;
            }
            char p[512];
            (void)snprintf(p, sizeof p, "%s/%s", path, de->d_name);
            if (depth < 3) {
                rm_tree(p, depth + 1);
            }
            (void)remove(p);
        }
        (void)closedir(d);
    }
    (void)remove(path);
}

static int setup(void **state)
{
    (void)state;
    tpki_init(&pki, &pck_default, 0);
    if (set_test_root() != 0) {
        return -1;
    }
    struct tquote_opts o;
    opts_default(&o);
    tquote_build(&pki, &o, &quote, &lay);
    (void)pthread_mutex_init(&srv.mu, NULL);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (srv.d == NULL) {
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
    srv.port = info != NULL ? info->port : 0;
    return srv.port != 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    MHD_stop_daemon(srv.d);
    ay_dcap_source_reset();
    ay_dcap_test_set_root(NULL);
    free(srv.tcb);
    free(srv.qe);
    free(srv.sgx_tcb);
    free(srv.sgx_qe);
    free(srv.pck_crl.p);
    free(quote.p);
    tpki_free(&pki);
    return 0;
}

/* Per test: fresh collateral on the server, empty caches, a new temporary directory. */
static int before(void **state)
{
    (void)state;
    ay_dcap_source_reset();
    ay_dcap_cache_clear();
    serve(TPKI_T0 + 29 * TPKI_DAY, "UpToDate");
    serve_pck_crl(TPKI_T0 - 2 * TPKI_DAY, TPKI_T0 + 20 * TPKI_DAY);
    srv.root_crl_hex = false;
    srv.no_chain_header = false;
    srv.tcb_status = 0;
    srv.tcb_oversize = false;
    (void)pthread_mutex_lock(&srv.mu);
    srv.requests = 0;
    (void)pthread_mutex_unlock(&srv.mu);
    (void)snprintf(tmpdir, sizeof tmpdir, "/tmp/ay_dcap_src_XXXXXX");
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int after(void **state)
{
    (void)state;
    ay_dcap_source_reset();
    rm_tree(tmpdir, 0);
    json_decref(last_claims);
    last_claims = NULL;
    return 0;
}

/* ---- running the verifier ---- */

static char last_msg[AY_DIAG_MSG_MAX];
static char last_status[64];

static const char *run_tee = "tdx";

static ay_err run_at(const struct tw *q, const json_t *config, int64_t at)
{
    struct ay_arena *a;
    struct ay_ctx ctx;
    ay_arena_new((size_t)16 << 20, &a);
    ay_ctx_init(&ctx, a);
    ctx.now = at;
    struct ay_tee_input in = {
        .evidence = ay_span_of(q->p, q->n),
        .config = config,
        .require_collateral = true,
    };
    json_t *c = NULL;
    ay_err e = ay_tee_find(run_tee)->verify(&ctx, &in, &c);
    (void)snprintf(last_msg, sizeof last_msg, "%s", e == AY_OK ? "" : ay_diag_message(&ctx.diag));
    (void)snprintf(last_status, sizeof last_status, "%s",
                   e == AY_OK ? json_string_value(json_object_get(c, "tcb_status")) : "reject");
    json_decref(last_claims);
    last_claims = c;
    ay_arena_free(a);
    return e;
}

/* The config for the loopback server; extra: more members ("" or ",\"k\":v"). */
static json_t *net_config(const char *extra)
{
    char url[128];
    (void)snprintf(url, sizeof url, "http://127.0.0.1:%u/sgx/certification/v4/", srv.port);
    char buf[1024];
    (void)snprintf(buf, sizeof buf, "{\"dcap_verifier\":{\"collateral_service\":\"%s\"%s}}", url,
                   extra);
    json_t *j = json_loads(buf, 0, NULL);
    assert_non_null(j);
    return j;
}

static void expect_ok(ay_err e, const char *status)
{
    if (e != AY_OK) {
        fail_msg("rejected: %s", last_msg);
    }
    assert_string_equal(last_status, status);
}

static void expect_fail(ay_err e, const char *needle)
{
    if (e == AY_OK) {
        fail_msg("accepted, expected \"%s\"", needle);
    }
    if (strstr(last_msg, needle) == NULL) {
        fail_msg("message \"%s\" does not name \"%s\"", last_msg, needle);
    }
}

/* ---- tests ---- */

static void test_fetch_and_reuse(void **state)
{
    (void)state;
    struct ay_dcap_source_stats st;
    char extra[256];
    (void)snprintf(extra, sizeof extra, ",\"cache_dir\":\"%s/cache\"", tmpdir);
    json_t *cfg = net_config(extra);
    expect_ok(run_at(&quote, cfg, TPKI_T0), "UpToDate");
    /* Four requests on the PCS v4 paths (TRUSTEE.md 7.3), FMSPC upper-case, early. */
    assert_int_equal(requests(), 4);
    assert_string_equal(srv.seen[0],
                        "/tdx/certification/v4/tcb fmspc=00906ED50000 update=early ca=- enc=-");
    assert_string_equal(srv.seen[1], "/tdx/certification/v4/qe/identity fmspc=- update=early "
                                     "ca=- enc=-");
    assert_string_equal(srv.seen[2], "/sgx/certification/v4/pckcrl fmspc=- update=- "
                                     "ca=platform enc=der");
    assert_string_equal(srv.seen[3], "/sgx/certification/v4/rootcacrl fmspc=- update=- ca=- enc=-");
    ay_dcap_source_stats(&st);
    assert_int_equal(st.fetches, 1);
    assert_int_equal(st.http_requests, 4);
    /* The hot path: the reused outcome, the source is not even asked. */
    for (int i = 1; i <= 50; i++) {
        expect_ok(run_at(&quote, cfg, TPKI_T0 + i * 3600), "UpToDate");
    }
    assert_int_equal(requests(), 4);
    /* Without the reused outcome: the source's memory. */
    ay_dcap_cache_clear();
    expect_ok(run_at(&quote, cfg, TPKI_T0 + 7200), "UpToDate");
    ay_dcap_source_stats(&st);
    assert_int_equal(st.memory_hits, 1);
    assert_int_equal(requests(), 4);
    /* The on-disk cache in the documented layout survives a restart (memory dropped). */
    char p[256];
    struct stat sb;
    (void)snprintf(p, sizeof p, "%s/cache/tdx-00906ED50000-platform/tcb_info.json", tmpdir);
    assert_int_equal(stat(p, &sb), 0);
    ay_dcap_source_reset();
    ay_dcap_cache_clear();
    expect_ok(run_at(&quote, cfg, TPKI_T0 + 3 * 3600), "UpToDate");
    ay_dcap_source_stats(&st);
    assert_int_equal(st.disk_hits, 1);
    assert_int_equal(st.fetches, 0);
    assert_int_equal(requests(), 4);
    json_decref(cfg);
}

static void test_expiry(void **state)
{
    (void)state;
    json_t *cfg = net_config("");
    expect_ok(run_at(&quote, cfg, TPKI_T0), "UpToDate");
    assert_int_equal(requests(), 4);
    /* The PCK CRL's nextUpdate (T0 + 20 d) ends the set: a later time asks the server, which
     * still serves the old CRL: refused as expired. */
    expect_fail(run_at(&quote, cfg, TPKI_T0 + 21 * TPKI_DAY), "expired");
    assert_int_equal(requests(), 8);
    /* The server publishes new collateral: fetched, accepted, with the new status. */
    serve(TPKI_T0 + 60 * TPKI_DAY, "SWHardeningNeeded");
    serve_pck_crl(TPKI_T0 + 20 * TPKI_DAY, TPKI_T0 + 50 * TPKI_DAY);
    expect_ok(run_at(&quote, cfg, TPKI_T0 + 21 * TPKI_DAY), "SWHardeningNeeded");
    assert_int_equal(requests(), 12);
    expect_ok(run_at(&quote, cfg, TPKI_T0 + 40 * TPKI_DAY), "SWHardeningNeeded");
    assert_int_equal(requests(), 12);
    /* Past the TCB info nextUpdate with nothing newer: refused. */
    expect_fail(run_at(&quote, cfg, TPKI_T0 + 55 * TPKI_DAY), "expired");
    json_decref(cfg);
}

static void test_bad_answers(void **state)
{
    (void)state;
    json_t *cfg = net_config(",\"tcb_update_type\":\"standard\"");
    /* A signature byte broken by the server: refused, and not cached. */
    char *sig = strstr(srv.tcb, "\"signature\":\"") + 13;
    *sig = *sig == '0' ? '1' : '0';
    expect_fail(run_at(&quote, cfg, TPKI_T0), "TCB info: signature over the served bytes");
    assert_int_equal(requests(), 4);
    assert_string_equal(srv.seen[0],
                        "/tdx/certification/v4/tcb fmspc=00906ED50000 update=standard ca=- enc=-");
    expect_fail(run_at(&quote, cfg, TPKI_T0), "signature");
    assert_int_equal(requests(), 8);
    /* A body byte broken (the signed bytes). */
    serve(TPKI_T0 + 29 * TPKI_DAY, "UpToDate");
    char *fm = strstr(srv.qe, "\"isvprodid\":2");
    fm[12] = '3';
    expect_fail(run_at(&quote, cfg, TPKI_T0), "QE identity: signature");
    /* No issuer-chain header. */
    serve(TPKI_T0 + 29 * TPKI_DAY, "UpToDate");
    srv.no_chain_header = true;
    expect_fail(run_at(&quote, cfg, TPKI_T0), "no TCB-Info-Issuer-Chain header");
    /* Fixed: fetched and accepted; the root CRL served as hex text is decoded. */
    srv.no_chain_header = false;
    srv.root_crl_hex = true;
    expect_ok(run_at(&quote, cfg, TPKI_T0), "UpToDate");
    json_decref(cfg);
}

/* The served TCB info with `from` replaced by `to` in its body, signed again (valid signature). */
static void resign_tcb(const char *from, const char *to)
{
    const char *b = strstr(srv.tcb, "{\"tcbInfo\":") + 11;
    const char *e = strstr(srv.tcb, ",\"signature\":");
    char *body = strndup(b, (size_t)(e - b));
    char *at = strstr(body, from);
    assert_non_null(at);
    assert_int_equal(strlen(from), strlen(to));
    memcpy(at, to, strlen(to));
    free(srv.tcb);
    srv.tcb = tpki_doc(&pki, "tcbInfo", body);
    free(body);
}

/* Well-signed but wrong answers, HTTP errors, a tampered disk cache. */
static void test_wrong_answers(void **state)
{
    (void)state;
    char extra[256];
    (void)snprintf(extra, sizeof extra, ",\"cache_dir\":\"%s\"", tmpdir);
    json_t *cfg = net_config(extra);
    /* TCB info of another FMSPC. */
    resign_tcb("00906ed50000", "00906ed50001");
    expect_fail(run_at(&quote, cfg, TPKI_T0), "TCB info: fmspc differs");
    /* The SGX QE identity where the TD QE's is due. */
    serve(TPKI_T0 + 29 * TPKI_DAY, "UpToDate");
    char *keep = srv.qe;
    srv.qe = srv.sgx_qe;
    expect_fail(run_at(&quote, cfg, TPKI_T0), "QE identity: id is \"QE\", expected \"TD_QE\"");
    srv.qe = keep;
    /* The root CA CRL served as the PCK CRL. */
    struct tw pck = srv.pck_crl;
    srv.pck_crl = pki.root_crl;
    expect_fail(run_at(&quote, cfg, TPKI_T0), "pck_crl.der: issued by the wrong CA");
    srv.pck_crl = pck;
    /* HTTP errors and an oversized answer. */
    srv.tcb_status = 404;
    ay_err e = run_at(&quote, cfg, TPKI_T0);
    expect_fail(e, "HTTP status 404");
    assert_int_equal(e, AY_ERR_NETWORK);
    srv.tcb_status = 0;
    srv.tcb_oversize = true;
    e = run_at(&quote, cfg, TPKI_T0);
    expect_fail(e, "exceeds");
    assert_int_equal(e, AY_ERR_LIMIT);
    srv.tcb_oversize = false;
    /* Good answers: fetched and written to disk. */
    expect_ok(run_at(&quote, cfg, TPKI_T0), "UpToDate");
    int n = requests();
    /* A tampered file on disk is refused (not used), the server asked, the file rewritten. */
    char path[256];
    (void)snprintf(path, sizeof path, "%s/tdx-00906ED50000-platform/tcb_info.json", tmpdir);
    size_t len = 0;
    uint8_t *doc = ay_test_read_file(path, &len);
    assert_non_null(doc);
    char *sig = strstr((char *)doc, "\"signature\":\"") + 13;
    *sig = *sig == '0' ? '1' : '0';
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(doc, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(doc);
    ay_dcap_source_reset();
    ay_dcap_cache_clear();
    expect_ok(run_at(&quote, cfg, TPKI_T0), "UpToDate");
    assert_int_equal(requests(), n + 4);
    ay_dcap_source_reset();
    ay_dcap_cache_clear();
    expect_ok(run_at(&quote, cfg, TPKI_T0), "UpToDate");
    assert_int_equal(requests(), n + 4);
    struct ay_dcap_source_stats st;
    ay_dcap_source_stats(&st);
    assert_int_equal(st.disk_hits, 1);
    json_decref(cfg);
}

static void test_server_down(void **state)
{
    (void)state;
    /* A port nobody listens on: a daemon started and stopped. */
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, NULL,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
    assert_non_null(d);
    uint16_t port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    MHD_stop_daemon(d);
    char buf[256];
    (void)snprintf(buf, sizeof buf,
                   "{\"dcap_verifier\":{\"collateral_service\":\"http://127.0.0.1:%u\","
                   "\"timeout_secs\":5}}",
                   port);
    json_t *cfg = json_loads(buf, 0, NULL);
    ay_err e = run_at(&quote, cfg, TPKI_T0);
    expect_fail(e, "collateral source: collateral: GET http://127.0.0.1:");
    expect_fail(e, "/tdx/certification/v4/tcb?fmspc=00906ED50000&update=early failed");
    assert_int_equal(e, AY_ERR_NETWORK);
    json_decref(cfg);
}

static void write_to(const char *dir, const char *name, const void *p, size_t n)
{
    char path[512];
    (void)snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void test_local_dir(void **state)
{
    (void)state;
    struct ay_dcap_source_stats st;
    /* Flat directory, arbitrary names, recognised by content; decoys ignored. */
    struct tpki_coll_spec sgx = {"OutOfDate", "UpToDate", TPKI_T0 + 29 * TPKI_DAY, "SGX"};
    char *decoy = tpki_tcb_doc(&pki, &sgx);
    write_to(tmpdir, "a", srv.tcb, strlen(srv.tcb));
    write_to(tmpdir, "b", srv.qe, strlen(srv.qe));
    write_to(tmpdir, "c", pki.tcb_chain.p, pki.tcb_chain.n);
    write_to(tmpdir, "d", srv.pck_crl.p, srv.pck_crl.n);
    write_to(tmpdir, "e", pki.root_crl.p, pki.root_crl.n);
    write_to(tmpdir, "f-sgx-tcb", decoy, strlen(decoy));
    write_to(tmpdir, "g-chain", pki.chain.p, pki.chain.n);
    write_to(tmpdir, "h", "hello", 5);
    free(decoy);
    char buf[256];
    (void)snprintf(buf, sizeof buf, "{\"dcap_verifier\":{\"collateral_dir\":\"%s\"}}", tmpdir);
    json_t *cfg = json_loads(buf, 0, NULL);
    expect_ok(run_at(&quote, cfg, TPKI_T0), "UpToDate");
    ay_dcap_source_stats(&st);
    assert_int_equal(st.dir_hits, 1);
    assert_int_equal(st.http_requests, 0);
    /* Expired, with no network configured: a clear error. */
    expect_fail(run_at(&quote, cfg, TPKI_T0 + 21 * TPKI_DAY),
                "no collateral: collateral directory");
    expect_fail(run_at(&quote, cfg, TPKI_T0 + 21 * TPKI_DAY), "expired");
    json_decref(cfg);
    /* Incomplete directory (no QE identity) falls through to the PCCS. */
    (void)snprintf(buf, sizeof buf, "%s/b", tmpdir);
    assert_int_equal(remove(buf), 0);
    ay_dcap_cache_clear();
    char extra[256];
    (void)snprintf(extra, sizeof extra, ",\"collateral_dir\":\"%s\"", tmpdir);
    cfg = net_config(extra);
    expect_ok(run_at(&quote, cfg, TPKI_T0), "UpToDate");
    assert_int_equal(requests(), 4);
    json_decref(cfg);
}

static void test_config(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"dcap_verifier\":{}}",
        "{\"dcap_verifier\":{\"collateral_service\":\"ftp://x\"}}",
        "{\"dcap_verifier\":{\"collateral_service\":\"https://\"}}",
        "{\"dcap_verifier\":{\"collateral_service\":\"https://a\",\"tcb_update_type\":\"x\"}}",
        "{\"dcap_verifier\":{\"collateral_service\":\"https://a\",\"use_secure_cert\":\"no\"}}",
        "{\"dcap_verifier\":{\"collateral_service\":\"https://a\",\"timeout_secs\":0}}",
        "{\"dcap_verifier\":{\"collateral_service\":\"file:///nonexistent/x.json\"}}",
        "{\"dcap_verifier\":{\"qcnl_conf\":\"/nonexistent/qcnl.conf\"}}",
        "{\"dcap_verifier\":3}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ay_diag d;
        struct ay_dcap_source_config c;
        bool present = false;
        ay_diag_clear(&d);
        json_t *j = json_loads(bad[i], 0, NULL);
        assert_non_null(j);
        if (ay_dcap_source_config_parse(&d, j, &c, &present) != AY_ERR_CONFIG) {
            fail_msg("accepted: %s", bad[i]);
        }
        json_decref(j);
    }
    /* Trustee's URL reduced to scheme://host[:port]; defaults early + secure. */
    struct ay_diag d;
    struct ay_dcap_source_config c;
    bool present = false;
    ay_diag_clear(&d);
    json_t *j = json_loads("{\"dcap_verifier\":{\"collateral_service\":"
                           "\"https://api.trustedservices.intel.com/sgx/certification/v4/\"}}",
                           0, NULL);
    assert_int_equal(ay_dcap_source_config_parse(&d, j, &c, &present), AY_OK);
    assert_true(present);
    assert_string_equal(c.base_url, "https://api.trustedservices.intel.com");
    assert_true(c.early);
    assert_true(c.secure_cert);
    ay_dcap_source_config_clear(&c);
    json_decref(j);
    j = json_loads("{\"tpm_verifier\":{}}", 0, NULL);
    assert_int_equal(ay_dcap_source_config_parse(&d, j, &c, &present), AY_OK);
    assert_false(present);
    json_decref(j);
    /* The qcnl conf as shipped (// comment lines): collateral_service wins over pccs_url. */
    char path[256], body[512];
    (void)snprintf(path, sizeof path, "%s/sgx_default_qcnl.conf", tmpdir);
    int n = snprintf(body, sizeof body,
                     "// PCCS server address\n{\n  \"pccs_url\": \"https://localhost:8081/sgx/"
                     "certification/v4/\",\n  // comment\n  \"use_secure_cert\": false,\n"
                     "  \"collateral_service\": \"http://127.0.0.1:%u/sgx/certification/v4/\",\n"
                     "  \"retry_times\": 6\n}\n",
                     srv.port);
    write_to(tmpdir, "sgx_default_qcnl.conf", body, (size_t)n);
    char cfgs[512];
    (void)snprintf(cfgs, sizeof cfgs, "{\"dcap_verifier\":{\"qcnl_conf\":\"%s\"}}", path);
    j = json_loads(cfgs, 0, NULL);
    assert_int_equal(ay_dcap_source_config_parse(&d, j, &c, &present), AY_OK);
    assert_false(c.secure_cert);
    ay_dcap_source_config_clear(&c);
    expect_ok(run_at(&quote, j, TPKI_T0), "UpToDate");
    assert_int_equal(requests(), 4);
    /* Removing dcap_verifier removes the source: collateral required again. */
    expect_fail(run_at(&quote, NULL, TPKI_T0), "collateral required");
    json_decref(j);
}

/* SGX v3 quotes: the sgx endpoints, the SGX TCB info / QE identity, both kept apart from the
 * TDX set of the same FMSPC. */
static void test_sgx(void **state)
{
    (void)state;
    struct tquote_opts o;
    struct tquote_layout l3;
    struct tw q3;
    opts_default(&o);
    o.version = 3;
    tquote_build(&pki, &o, &q3, &l3);
    json_t *cfg = net_config("");
    run_tee = "sgx";
    ay_err e = run_at(&q3, cfg, TPKI_T0);
    run_tee = "tdx";
    free(q3.p);
    expect_ok(e, "UpToDate");
    assert_int_equal(requests(), 4);
    assert_string_equal(srv.seen[0],
                        "/sgx/certification/v4/tcb fmspc=00906ED50000 update=early ca=- enc=-");
    assert_string_equal(srv.seen[1], "/sgx/certification/v4/qe/identity fmspc=- update=early "
                                     "ca=- enc=-");
    expect_ok(run_at(&quote, cfg, TPKI_T0), "UpToDate");
    assert_int_equal(requests(), 8);
    json_decref(cfg);
}

/* Threads verifying through the source at once, the reuse cache dropped now and then: every
 * quote accepted, at most one fetch per thread (concurrent first misses), no race (ASan). */
struct thread_arg {
    const json_t *cfg;
    int ok;
};

static void *thread_main(void *p)
{
    struct thread_arg *a = p;
    for (int i = 0; i < 40; i++) {
        struct ay_arena *ar;
        struct ay_ctx ctx;
        ay_arena_new((size_t)4 << 20, &ar);
        ay_ctx_init(&ctx, ar);
        ctx.now = TPKI_T0 + i * 60;
        struct ay_tee_input in = {
            .evidence = ay_span_of(quote.p, quote.n), .config = a->cfg, .require_collateral = true};
        json_t *c = NULL;
        if (ay_tee_find("tdx")->verify(&ctx, &in, &c) == AY_OK) {
            a->ok++;
        }
        json_decref(c);
        ay_arena_free(ar);
        if (i % 10 == 9) {
            ay_dcap_cache_clear();
        }
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    json_t *cfg = net_config("");
    /* Installed once up front: installing replaces the source under running threads. */
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_dcap_source_use(&d, cfg), AY_OK);
    pthread_t th[4];
    struct thread_arg a[4];
    for (size_t i = 0; i < 4; i++) {
        a[i].cfg = cfg;
        a[i].ok = 0;
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &a[i]), 0);
    }
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(a[i].ok, 40);
    }
    assert_true(requests() >= 4 && requests() <= 16);
    json_decref(cfg);
}

/* QVL supplemental claims: root_key_id = SHA-384 of the root's encoded point, and the PCK
 * PPID as platform_provider_id; the collateral dates of the fetched set. */
static void test_qvl_claims(void **state)
{
    (void)state;
    json_t *cfg = net_config("");
    expect_ok(run_at(&quote, cfg, TPKI_T0), "UpToDate");
    uint8_t pt[65], h[48];
    size_t n = 0;
    char hex[97];
    assert_int_equal(
        EVP_PKEY_get_octet_string_param(pki.root_k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &n), 1);
    assert_int_equal(n, 65);
    unsigned int hl = 0;
    assert_int_equal(EVP_Digest(pt, n, h, &hl, EVP_sha384(), NULL), 1);
    for (size_t i = 0; i < 48; i++) {
        (void)snprintf(hex + 2 * i, 3, "%02x", h[i]);
    }
    assert_string_equal(json_string_value(json_object_get(last_claims, "root_key_id")), hex);
    assert_string_equal(json_string_value(json_object_get(last_claims, "platform_provider_id")),
                        "11111111111111111111111111111111");
    char t[40];
    ay_time_format_rfc3339(TPKI_T0 + 20 * TPKI_DAY /* the PCK CRL's nextUpdate */, t, sizeof t);
    assert_string_equal(json_string_value(json_object_get(last_claims, "earliest_expiration_date")),
                        t);
    assert_string_equal(
        json_string_value(json_object_get(last_claims, "collateral_expiration_status")), "0");
    json_decref(cfg);
}

/* The real T-C1 collateral from ../shared/vectors as a local directory (T4 quote, Intel root). */
static void test_local_dir_vectors(void **state)
{
    (void)state;
    char dir[512], qpath[512];
    if (!ay_test_shared_path("vectors/tdx/collateral/T-C1", dir, sizeof dir) ||
        !ay_test_shared_path("vectors/tdx/T4/tdx_quote_4.dat", qpath, sizeof qpath)) {
        print_message("SKIP: the shared vectors are absent\n");
        skip();
    }
    FILE *f = fopen(qpath, "rb");
    if (f == NULL) {
        print_message("SKIP: %s absent\n", qpath);
        skip();
    }
    struct tw q = {0};
    uint8_t b[4096];
    size_t n;
    while ((n = fread(b, 1, sizeof b, f)) > 0) {
        tw_put(&q, b, n);
    }
    (void)fclose(f);
    ay_dcap_test_set_root(NULL); /* the pinned Intel root */
    char buf[1024];
    (void)snprintf(buf, sizeof buf, "{\"dcap_verifier\":{\"collateral_dir\":\"%s\"}}", dir);
    json_t *cfg = json_loads(buf, 0, NULL);
    int64_t at = 0;
    assert_int_equal(ay_time_parse_rfc3339("2023-07-01T00:00:00Z", 20, &at), AY_OK);
    ay_err e = run_at(&q, cfg, at);
    struct ay_dcap_source_stats st;
    ay_dcap_source_stats(&st);
    /* Collateral intersection (manifest): 2023-06-18T08:42:58Z .. 2023-07-08T07:24:59Z. */
    ay_err late = run_at(&q, cfg, at + 8 * TPKI_DAY);
    char late_msg[AY_DIAG_MSG_MAX];
    (void)snprintf(late_msg, sizeof late_msg, "%s", last_msg);
    assert_int_equal(set_test_root(), 0);
    json_decref(cfg);
    free(q.p);
    if (e != AY_OK) {
        fail_msg("T4 + T-C1 directory rejected: %s", last_msg);
    }
    assert_int_equal(st.dir_hits, 1);
    assert_int_not_equal(late, AY_OK);
    assert_non_null(strstr(late_msg, "expired"));
    /* T1 + T-C1: same directory, the manifest's reject (TCB NotSupported). */
    char q1[512];
    assert_true(ay_test_shared_path("vectors/tdx/T1/tdx_prod_quote_SPR_E4.dat", q1, sizeof q1));
    size_t n1 = 0;
    uint8_t *b1 = ay_test_read_file(q1, &n1);
    if (b1 == NULL) {
        return;
    }
    struct tw t1 = {b1, n1, n1};
    cfg = json_loads(buf, 0, NULL);
    ay_dcap_test_set_root(NULL);
    e = run_at(&t1, cfg, at);
    assert_int_equal(set_test_root(), 0);
    json_decref(cfg);
    free(b1);
    assert_int_equal(e, AY_ERR_TCB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fetch_and_reuse, before, after),
        cmocka_unit_test_setup_teardown(test_expiry, before, after),
        cmocka_unit_test_setup_teardown(test_bad_answers, before, after),
        cmocka_unit_test_setup_teardown(test_wrong_answers, before, after),
        cmocka_unit_test_setup_teardown(test_server_down, before, after),
        cmocka_unit_test_setup_teardown(test_local_dir, before, after),
        cmocka_unit_test_setup_teardown(test_config, before, after),
        cmocka_unit_test_setup_teardown(test_sgx, before, after),
        cmocka_unit_test_setup_teardown(test_qvl_claims, before, after),
        cmocka_unit_test_setup_teardown(test_threads, before, after),
        cmocka_unit_test_setup_teardown(test_local_dir_vectors, before, after),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
