/* SPDX-License-Identifier: Apache-2.0 */
/* DCAP quotes with a PKI generated at test time (crypto_dcap_testpki.h): valid v3/v4/v5 quotes
 * accept; every signature, chain link, CRL, collateral body and binding broken one byte at a
 * time is rejected with a message naming what failed; expiry, revocation, truncation, the
 * report-data / init-data bindings and the QVL TCB status cases. Runs without ../shared. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_time.h"
#include "codec/codec_b64.h"
#include "crypto/crypto_x509.h"
#include "crypto_dcap_testpki.h"
#include "tee/tee.h"
#include "tee/tee_collateral.h"
#include "tee/tee_dcap.h"
#include "testlib.h"

/* The one-byte sweeps visit every position in plain builds and every third under the
 * sanitizers (CI time budget; OpenSSL verification dominates). */
#if defined(__SANITIZE_ADDRESS__)
#define SWEEP 3
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SWEEP 3
#endif
#endif
#ifndef SWEEP
#define SWEEP 1
#endif

static struct tpki pki;
static const struct tpck pck_default = {
    .comp = {5, 5, 5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0},
    .pcesvn = 11,
    .fmspc = {0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00},
    .pceid = {0, 0},
};
static const uint8_t qe_mrsigner[32] = {0xdc, 0x9e, 0x2a, 0x7c, 1, 2, 3, 4};

static int set_root(const struct tpki *t)
{
    struct tw der = {0};
    struct ay_diag d;
    struct ay_x509 *root = NULL;
    ay_diag_clear(&d);
    tpki_root_der(t, &der);
    ay_err e = ay_x509_parse(&d, ay_span_of(der.p, der.n), &root);
    free(der.p);
    if (e != AY_OK) {
        return -1;
    }
    ay_dcap_test_set_root(root);
    ay_x509_free(root);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    tpki_init(&pki, &pck_default, 0);
    return set_root(&pki);
}

static int teardown(void **state)
{
    (void)state;
    ay_dcap_test_set_root(NULL);
    tpki_free(&pki);
    return 0;
}

static void opts_default(struct tquote_opts *o, uint16_t version, uint16_t body_type)
{
    memset(o, 0, sizeof *o);
    o->version = version;
    o->body_type = body_type;
    uint8_t svn[16] = {5, 0, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
    memcpy(o->tee_tcb_svn, svn, 16);
    memcpy(o->tee_tcb_svn2, svn, 16);
    memset(o->report_data, 0xd1, 32);
    memset(o->mr_config_id, 0xc1, 48);
    o->qe_isvsvn = 4;
    o->qe_isvprodid = 2;
    memcpy(o->qe_mrsigner, qe_mrsigner, 32);
}

/* ---- collateral documents ---- */

/* ---- running the verifier ---- */

struct run {
    struct ay_endorsement e[8];
    size_t n;
    char *docs[2];
};

static void run_add(struct run *r, const char *name, const void *p, size_t n)
{
    r->e[r->n].name = name;
    r->e[r->n].bytes = ay_span_of(p, n);
    r->n++;
}

static void run_collateral(struct run *r, const struct tpki_coll_spec *s, bool tdx)
{
    r->docs[0] = tpki_tcb_doc(&pki, s);
    r->docs[1] = tpki_qe_doc(&pki, qe_mrsigner, s, tdx);
    run_add(r, "tcbinfo.json", r->docs[0], strlen(r->docs[0]));
    run_add(r, "qeidentity.json", r->docs[1], strlen(r->docs[1]));
    run_add(r, "tcb_chain.pem", pki.tcb_chain.p, pki.tcb_chain.n);
    run_add(r, "root_crl.der", pki.root_crl.p, pki.root_crl.n);
    run_add(r, "pck_crl.der", pki.pck_crl.p, pki.pck_crl.n);
}

static void run_free(struct run *r)
{
    free(r->docs[0]);
    free(r->docs[1]);
}

static char last_msg[AY_DIAG_MSG_MAX];

static ay_err verify_full(const char *tee, struct ay_span ev, const struct run *r, int64_t at,
                          const struct ay_span *report_data, const struct ay_span *init_data,
                          bool require, json_t **claims)
{
    struct ay_arena *a;
    struct ay_ctx ctx;
    ay_arena_new((size_t)16 << 20, &a);
    ay_ctx_init(&ctx, a);
    ctx.now = at;
    struct ay_tee_input in = {
        .evidence = ev,
        .report_data = report_data,
        .init_data = init_data,
        .endorsements = r != NULL ? r->e : NULL,
        .n_endorsements = r != NULL ? r->n : 0,
        .require_collateral = require,
    };
    json_t *c = NULL;
    ay_err e = ay_tee_find(tee)->verify(&ctx, &in, &c);
    (void)snprintf(last_msg, sizeof last_msg, "%s", ay_diag_message(&ctx.diag));
    if (e == AY_OK) {
        assert_non_null(c);
        last_msg[0] = '\0';
    }
    if (claims != NULL) {
        *claims = c;
    } else {
        json_decref(c);
    }
    ay_arena_free(a);
    return e;
}

static ay_err verify(const char *tee, const struct tw *q, const struct run *r, int64_t at)
{
    return verify_full(tee, ay_span_of(q->p, q->n), r, at, NULL, NULL, false, NULL);
}

static const char *status_of(const char *tee, const struct tw *q, const struct run *r)
{
    static char st[64];
    json_t *c = NULL;
    ay_err e = verify_full(tee, ay_span_of(q->p, q->n), r, TPKI_T0, NULL, NULL, true, &c);
    if (e != AY_OK) {
        (void)snprintf(st, sizeof st, "reject");
        if (getenv("V2_DEBUG") != NULL) {
            fprintf(stderr, "reject: %s\n", last_msg);
        }
        return st;
    }
    (void)snprintf(st, sizeof st, "%s", json_string_value(json_object_get(c, "tcb_status")));
    json_decref(c);
    return st;
}

static void expect_reject(ay_err e, const char *needle, const char *ctxmsg, size_t i)
{
    if (e == AY_OK) {
        fail_msg("%s: byte %zu: accepted", ctxmsg, i);
    }
    if (strstr(last_msg, needle) == NULL) {
        fail_msg("%s: byte %zu: message \"%s\" does not name \"%s\"", ctxmsg, i, last_msg, needle);
    }
}

/* ---- tests ---- */

static void test_valid_quotes(void **state)
{
    (void)state;
    static const uint16_t vt[][2] = {{4, 0}, {5, 2}, {5, 3}, {3, 0}};
    for (size_t k = 0; k < 4; k++) {
        struct tquote_opts o;
        struct tquote_layout lay;
        struct tw q;
        opts_default(&o, vt[k][0], vt[k][1]);
        o.trailing = k; /* trailing bytes after the signature data are allowed */
        tquote_build(&pki, &o, &q, &lay);
        const char *tee = vt[k][0] == 3 ? "sgx" : "tdx";
        json_t *c = NULL;
        assert_int_equal(
            verify_full(tee, ay_span_of(q.p, q.n), NULL, TPKI_T0, NULL, NULL, false, &c), AY_OK);
        assert_string_equal(json_string_value(json_object_get(c, "tcb_status")), "Unknown");
        assert_string_equal(json_string_value(json_object_get(c, "platform_instance_id")),
                            "22222222222222222222222222222222");
        if (vt[k][0] == 5) {
            assert_string_equal(
                json_string_value(json_object_get(json_object_get(c, "quote"), "type")),
                vt[k][1] == 2 ? "0200" : "0300");
        }
        json_decref(c);
        /* The service form: {"quote": base64}. */
        struct ay_buf b;
        ay_buf_init(&b, NULL, 1 << 20);
        ay_buf_puts(&b, "{\"quote\":\"");
        ay_b64_encode(AY_B64_STD, q.p, q.n, &b);
        ay_buf_puts(&b, "\",\"cc_eventlog\":null}");
        assert_int_equal(ay_buf_finish(&b), AY_OK);
        assert_int_equal(
            verify_full(tee, ay_span_of(b.ptr, b.len), NULL, TPKI_T0, NULL, NULL, false, NULL),
            AY_OK);
        /* Wrong verifier for the quote. */
        assert_int_not_equal(verify(vt[k][0] == 3 ? "tdx" : "sgx", &q, NULL, TPKI_T0), AY_OK);
        /* Collateral required but absent. */
        assert_int_equal(
            verify_full(tee, ay_span_of(q.p, q.n), NULL, TPKI_T0, NULL, NULL, true, NULL),
            AY_ERR_VERIFY);
        ay_buf_free(&b);
        free(q.p);
    }
}

static void flip_region(const char *tee, const struct tw *q, size_t from, size_t len,
                        const struct run *r, const char *needle, const char *what, size_t step)
{
    struct tw c = {0};
    tw_put(&c, q->p, q->n);
    for (size_t i = from; i < from + len; i += step) {
        c.p[i] ^= 0x01;
        expect_reject(verify(tee, &c, r, TPKI_T0), needle, what, i);
        c.p[i] ^= 0x01;
    }
    free(c.p);
}

static void test_one_byte_quote(void **state)
{
    (void)state;
    struct tquote_opts o;
    struct tquote_layout lay;
    struct tw q;
    opts_default(&o, 4, 0);
    tquote_build(&pki, &o, &q, &lay);
    assert_int_equal(verify("tdx", &q, NULL, TPKI_T0), AY_OK);
    /* Header and body: the quote signature (or the header checks) fail. */
    flip_region("tdx", &q, 0, lay.signed_end, NULL, "quote", "header/body", 1);
    flip_region("tdx", &q, lay.sig, 64, NULL, "quote signature", "quote signature", 1);
    flip_region("tdx", &q, lay.ak, 64, NULL, "QE report data does not bind", "attestation key", 1);
    flip_region("tdx", &q, lay.qe_report, 384, NULL, "QE report signature", "QE report", 1);
    flip_region("tdx", &q, lay.qe_sig, 64, NULL, "QE report signature", "QE report signature", 1);
    flip_region("tdx", &q, lay.auth, 32, NULL, "QE report data does not bind", "QE auth data", 1);
    free(q.p);
}

static void test_one_byte_chain(void **state)
{
    (void)state;
    struct tquote_opts o;
    struct tquote_layout lay;
    struct tw q;
    opts_default(&o, 4, 0);
    tquote_build(&pki, &o, &q, &lay);
    struct tw c = {0};
    tw_put(&c, q.p, q.n);
    size_t n = 0;
    for (size_t i = lay.chain; i < lay.chain + lay.chain_len; i += SWEEP) {
        uint8_t ch = c.p[i];
        /* Base64 payload characters only; the character before '=' may carry unused bits. */
        bool b64 = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        bool dash_line = false;
        for (size_t k = i; k > lay.chain && c.p[k - 1] != '\n'; k--) {
            dash_line = dash_line || c.p[k - 1] == '-';
        }
        if (!b64 || dash_line || c.p[i + 1] == '=' || c.p[i + 2] == '=') {
            continue;
        }
        c.p[i] = (uint8_t)(ch == 'A' ? 'B' : 'A');
        expect_reject(verify("tdx", &c, NULL, TPKI_T0), "PCK", "PCK chain", i);
        c.p[i] = ch;
        n++;
    }
    assert_true(n > 1000 / SWEEP);
    free(c.p);
    free(q.p);
}

static void test_one_byte_collateral_and_crls(void **state)
{
    (void)state;
    struct tquote_opts o;
    struct tquote_layout lay;
    struct tw q;
    struct tpki_coll_spec s = {"UpToDate", "UpToDate", TPKI_T0 + 29 * TPKI_DAY, "TDX"};
    struct run r = {0};
    opts_default(&o, 4, 0);
    tquote_build(&pki, &o, &q, &lay);
    run_collateral(&r, &s, true);
    assert_string_equal(status_of("tdx", &q, &r), "UpToDate");
    /* TCB info and QE identity: every byte of the signed value, and of the signature. */
    for (size_t d = 0; d < 2; d++) {
        char *doc = r.docs[d];
        size_t len = strlen(doc);
        char *sig = strstr(doc, ",\"signature\":\"");
        size_t body0 = (size_t)(strchr(doc, ':') - doc) + 1;
        /* Every byte of the small QE identity, every second byte of the larger TCB info
         * (time budget under ASan; each position class is still covered). */
        for (size_t i = body0; i < len - 2; i += d == 0 ? 2 * SWEEP : SWEEP) {
            if (doc + i == sig || (doc[i] == '"' && i > (size_t)(sig - doc))) {
                continue;
            }
            char ch = doc[i];
            doc[i] = (char)(ch == '0' ? '1' : ch == 'a' ? 'b' : (ch ^ 0x01));
            ay_err e = verify("tdx", &q, &r, TPKI_T0);
            doc[i] = ch;
            if (e == AY_OK) {
                fail_msg("collateral %zu byte %zu accepted", d, i);
            }
            if (strstr(last_msg, "collateral") == NULL && strstr(last_msg, "TCB info") == NULL &&
                strstr(last_msg, "QE identity") == NULL) {
                fail_msg("collateral %zu byte %zu: \"%s\"", d, i, last_msg);
            }
        }
    }
    /* CRLs: every byte. */
    for (size_t k = 3; k < 5; k++) {
        struct tw c = {0};
        tw_put(&c, r.e[k].bytes.ptr, r.e[k].bytes.len);
        struct run r2 = r;
        r2.e[k].bytes = ay_span_of(c.p, c.n);
        for (size_t i = 0; i < c.n; i += SWEEP) {
            c.p[i] ^= 0x01;
            ay_err e = verify("tdx", &q, &r2, TPKI_T0);
            c.p[i] ^= 0x01;
            if (e == AY_OK) {
                fail_msg("CRL %zu byte %zu accepted", k, i);
            }
            if (strstr(last_msg, "CRL") == NULL && strstr(last_msg, "chain") == NULL) {
                fail_msg("CRL %zu byte %zu: \"%s\"", k, i, last_msg);
            }
        }
        free(c.p);
    }
    /* TCB signing chain: a different signer key (a PCK cert as "signer"). */
    struct run r3 = r;
    r3.e[2].bytes = ay_span_of(pki.chain.p, pki.chain.n);
    assert_int_not_equal(verify("tdx", &q, &r3, TPKI_T0), AY_OK);
    assert_non_null(strstr(last_msg, "TCB Signing"));
    run_free(&r);
    free(q.p);
}

static void test_expiry_and_revocation(void **state)
{
    (void)state;
    struct tquote_opts o;
    struct tquote_layout lay;
    struct tw q;
    struct tpki_coll_spec s = {"UpToDate", "UpToDate", TPKI_T0 + 29 * TPKI_DAY, "TDX"};
    struct run r = {0};
    opts_default(&o, 4, 0);
    tquote_build(&pki, &o, &q, &lay);
    run_collateral(&r, &s, true);
    assert_int_equal(verify("tdx", &q, &r, TPKI_T0), AY_OK);
    /* PCK CRL expires at T0 + 20 days, collateral at T0 + 29 days, leaf at T0 + 1 year. */
    assert_int_equal(verify("tdx", &q, &r, TPKI_T0 + 21 * TPKI_DAY), AY_ERR_EXPIRED);
    assert_non_null(strstr(last_msg, "CRL"));
    assert_int_equal(verify("tdx", &q, NULL, TPKI_T0 + 400 * TPKI_DAY), AY_ERR_EXPIRED);
    assert_non_null(strstr(last_msg, "PCK chain"));
    assert_int_equal(verify("tdx", &q, NULL, TPKI_T0 - 400 * TPKI_DAY), AY_ERR_EXPIRED);
    run_free(&r);
    /* Collateral past nextUpdate (CRLs still valid). */
    struct tpki_coll_spec s2 = {"UpToDate", "UpToDate", TPKI_T0 - 3600, "TDX"};
    struct run r2 = {0};
    run_collateral(&r2, &s2, true);
    assert_int_equal(verify("tdx", &q, &r2, TPKI_T0), AY_ERR_EXPIRED);
    assert_non_null(strstr(last_msg, "TCB info"));
    run_free(&r2);
    /* A PCK CRL that revokes the leaf. */
    struct tpki rev;
    tpki_init(&rev, &pck_default, 77);
    struct run r3 = {0};
    run_collateral(&r3, &s, true);
    r3.e[4].bytes = ay_span_of(rev.pck_crl.p, rev.pck_crl.n);
    /* rev's CRL is signed by rev's CA: not ours, so the signature check fails. */
    assert_int_not_equal(verify("tdx", &q, &r3, TPKI_T0), AY_OK);
    struct tquote_layout lay2;
    struct tw q2;
    struct tpki save = pki;
    pki = rev;
    tquote_build(&pki, &o, &q2, &lay2);
    pki = save;
    assert_int_equal(set_root(&rev), 0);
    struct run r4 = {0};
    run_add(&r4, "root_crl.der", rev.root_crl.p, rev.root_crl.n);
    run_add(&r4, "pck_crl.der", rev.pck_crl.p, rev.pck_crl.n);
    assert_int_equal(verify("tdx", &q2, &r4, TPKI_T0), AY_ERR_REVOKED);
    /* The quote of the other PKI under our pinned root: the presented root is not the pin. */
    assert_int_equal(verify("tdx", &q2, NULL, TPKI_T0), AY_OK);
    assert_int_equal(set_root(&pki), 0);
    assert_int_equal(verify("tdx", &q2, NULL, TPKI_T0), AY_ERR_BAD_CHAIN);
    assert_non_null(strstr(last_msg, "pinned"));
    run_free(&r3);
    tpki_free(&rev);
    free(q2.p);
    free(q.p);
}

static void test_truncations(void **state)
{
    (void)state;
    static const uint16_t vt[][2] = {{4, 0}, {5, 3}, {3, 0}};
    for (size_t k = 0; k < 3; k++) {
        struct tquote_opts o;
        struct tquote_layout lay;
        struct tw q;
        struct ay_dcap_quote pq;
        struct ay_diag d;
        opts_default(&o, vt[k][0], vt[k][1]);
        tquote_build(&pki, &o, &q, &lay);
        for (size_t n = 0; n < lay.end; n++) {
            ay_diag_clear(&d);
            assert_int_not_equal(ay_dcap_quote_parse(&d, ay_span_of(q.p, n), &pq), AY_OK);
            assert_true(d.msg[0] != '\0');
        }
        ay_diag_clear(&d);
        assert_int_equal(ay_dcap_quote_parse(&d, ay_span_of(q.p, lay.end), &pq), AY_OK);
        /* A wrong signature-data length is rejected too. */
        size_t lenpos = lay.sig - 4;
        q.p[lenpos] ^= 0x04;
        ay_diag_clear(&d);
        assert_int_not_equal(ay_dcap_quote_parse(&d, ay_span_of(q.p, q.n), &pq), AY_OK);
        free(q.p);
    }
}

static void test_bindings(void **state)
{
    (void)state;
    struct tquote_opts o;
    struct tquote_layout lay;
    struct tw q;
    uint8_t want[64];
    static const uint16_t vt[][2] = {{4, 0}, {3, 0}};
    for (size_t k = 0; k < 2; k++) {
        const char *tee = vt[k][0] == 3 ? "sgx" : "tdx";
        opts_default(&o, vt[k][0], vt[k][1]);
        tquote_build(&pki, &o, &q, &lay);
        struct ay_span rd = ay_span_of(o.report_data, 32); /* zero-padded to 64 */
        struct ay_span id = ay_span_of(o.mr_config_id, 48);
        assert_int_equal(
            verify_full(tee, ay_span_of(q.p, q.n), NULL, TPKI_T0, &rd, &id, false, NULL), AY_OK);
        memcpy(want, o.report_data, 64);
        want[5] ^= 1;
        struct ay_span bad = ay_span_of(want, 64);
        assert_int_equal(
            verify_full(tee, ay_span_of(q.p, q.n), NULL, TPKI_T0, &bad, NULL, false, NULL),
            AY_ERR_BINDING);
        assert_non_null(strstr(last_msg, "REPORT"));
        uint8_t cfg[48];
        memcpy(cfg, o.mr_config_id, 48);
        cfg[47] ^= 1;
        struct ay_span badid = ay_span_of(cfg, 48);
        assert_int_equal(
            verify_full(tee, ay_span_of(q.p, q.n), NULL, TPKI_T0, NULL, &badid, false, NULL),
            AY_ERR_BINDING);
        free(q.p);
    }
}

static void test_tcb_status(void **state)
{
    (void)state;
    struct tquote_opts o;
    struct tquote_layout lay;
    struct tw q;
    struct tpki_coll_spec up = {"UpToDate", "UpToDate", TPKI_T0 + 29 * TPKI_DAY, "TDX"};
    struct run r = {0};
    run_collateral(&r, &up, true);

    opts_default(&o, 4, 0);
    tquote_build(&pki, &o, &q, &lay);
    assert_string_equal(status_of("tdx", &q, &r), "UpToDate");
    free(q.p);
    /* TEE_TCB_SVN below the top level: the second level, OutOfDate with its advisory. */
    opts_default(&o, 4, 0);
    o.tee_tcb_svn[0] = 3;
    o.tee_tcb_svn[2] = 3;
    tquote_build(&pki, &o, &q, &lay);
    json_t *c = NULL;
    assert_int_equal(verify_full("tdx", ay_span_of(q.p, q.n), &r, TPKI_T0, NULL, NULL, true, &c),
                     AY_OK);
    assert_string_equal(json_string_value(json_object_get(c, "tcb_status")), "OutOfDate");
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "advisory_ids"), 0)),
                        "INTEL-SA-00002");
    json_decref(c);
    free(q.p);
    /* Below every level: NotSupported is terminal. */
    opts_default(&o, 4, 0);
    memset(o.tee_tcb_svn, 1, 16);
    o.tee_tcb_svn[1] = 0;
    tquote_build(&pki, &o, &q, &lay);
    assert_string_equal(status_of("tdx", &q, &r), "reject");
    assert_non_null(strstr(last_msg, "NotSupported"));
    free(q.p);
    /* Third level is Revoked: terminal. */
    opts_default(&o, 4, 0);
    memset(o.tee_tcb_svn, 2, 16);
    o.tee_tcb_svn[1] = 0;
    tquote_build(&pki, &o, &q, &lay);
    assert_string_equal(status_of("tdx", &q, &r), "reject");
    assert_non_null(strstr(last_msg, "Revoked"));
    free(q.p);
    /* Module identity TDX_01: isvsvn 2 -> OutOfDate, converges UpToDate -> OutOfDate. */
    opts_default(&o, 4, 0);
    o.tee_tcb_svn[1] = 1;
    o.tee_tcb_svn[0] = 2;
    tquote_build(&pki, &o, &q, &lay);
    assert_int_equal(verify_full("tdx", ay_span_of(q.p, q.n), &r, TPKI_T0, NULL, NULL, true, &c),
                     AY_OK);
    assert_string_equal(json_string_value(json_object_get(c, "tcb_status")), "OutOfDate");
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "advisory_ids"), 0)),
                        "INTEL-SA-00001");
    json_decref(c);
    free(q.p);
    /* Module identity TDX_01 isvsvn 4: UpToDate. */
    opts_default(&o, 4, 0);
    o.tee_tcb_svn[1] = 1;
    o.tee_tcb_svn[0] = 4;
    tquote_build(&pki, &o, &q, &lay);
    assert_string_equal(status_of("tdx", &q, &r), "UpToDate");
    free(q.p);
    /* TDX_03 is not in the TCB info: module mismatch. */
    opts_default(&o, 4, 0);
    o.tee_tcb_svn[1] = 3;
    tquote_build(&pki, &o, &q, &lay);
    assert_string_equal(status_of("tdx", &q, &r), "reject");
    assert_non_null(strstr(last_msg, "TDX_03"));
    free(q.p);
    /* TD 1.5, module OutOfDate, SVN2 reaches the newest levels: TDRelaunchAdvised. */
    opts_default(&o, 5, 3);
    o.tee_tcb_svn[1] = 1;
    o.tee_tcb_svn[0] = 2;
    o.tee_tcb_svn2[1] = 1;
    o.tee_tcb_svn2[0] = 4;
    tquote_build(&pki, &o, &q, &lay);
    assert_string_equal(status_of("tdx", &q, &r), "TDRelaunchAdvised");
    free(q.p);
    /* QE ISVSVN 3: QE level OutOfDate converges UpToDate -> OutOfDate. */
    opts_default(&o, 4, 0);
    o.qe_isvsvn = 3;
    tquote_build(&pki, &o, &q, &lay);
    assert_string_equal(status_of("tdx", &q, &r), "OutOfDate");
    free(q.p);
    /* QE ISVSVN 0: no QE level -> NotSupported; QE ISVSVN 1: Revoked. */
    opts_default(&o, 4, 0);
    o.qe_isvsvn = 0;
    tquote_build(&pki, &o, &q, &lay);
    assert_string_equal(status_of("tdx", &q, &r), "reject");
    free(q.p);
    opts_default(&o, 4, 0);
    o.qe_isvsvn = 1;
    tquote_build(&pki, &o, &q, &lay);
    assert_string_equal(status_of("tdx", &q, &r), "reject");
    assert_non_null(strstr(last_msg, "Revoked"));
    free(q.p);
    /* QE identity mismatch (MRSIGNER). */
    opts_default(&o, 4, 0);
    o.qe_mrsigner[31] ^= 1;
    tquote_build(&pki, &o, &q, &lay);
    assert_string_equal(status_of("tdx", &q, &r), "reject");
    assert_non_null(strstr(last_msg, "MRSIGNER"));
    free(q.p);
    run_free(&r);

    /* ConfigurationNeeded + QE OutOfDate -> OutOfDateConfigurationNeeded. */
    struct tpki_coll_spec cfg = {"ConfigurationNeeded", "OutOfDate", TPKI_T0 + 29 * TPKI_DAY,
                                 "TDX"};
    struct run r2 = {0};
    run_collateral(&r2, &cfg, true);
    opts_default(&o, 4, 0);
    tquote_build(&pki, &o, &q, &lay);
    assert_string_equal(status_of("tdx", &q, &r2), "OutOfDateConfigurationNeeded");
    free(q.p);
    run_free(&r2);
    struct tpki_coll_spec sw = {"SWHardeningNeeded", "UpToDate", TPKI_T0 + 29 * TPKI_DAY, "TDX"};
    struct run r3 = {0};
    run_collateral(&r3, &sw, true);
    opts_default(&o, 4, 0);
    tquote_build(&pki, &o, &q, &lay);
    assert_string_equal(status_of("tdx", &q, &r3), "SWHardeningNeeded");
    free(q.p);
    run_free(&r3);

    /* SGX: TCB info id "SGX" and identity "QE". */
    struct tpki_coll_spec sgx = {"UpToDate", "UpToDate", TPKI_T0 + 29 * TPKI_DAY, "SGX"};
    struct run r4 = {0};
    run_collateral(&r4, &sgx, false);
    opts_default(&o, 3, 0);
    o.qe_isvprodid = 2;
    tquote_build(&pki, &o, &q, &lay);
    assert_string_equal(status_of("sgx", &q, &r4), "UpToDate");
    /* TDX collateral for an SGX quote: id mismatch. */
    struct run r5 = {0};
    run_collateral(&r5, &up, true);
    assert_string_equal(status_of("sgx", &q, &r5), "reject");
    run_free(&r5);
    free(q.p);
    run_free(&r4);
}

/* A fake collateral source (no network): hands out the files of a prepared run. */
static int fetch_calls;

static ay_err fake_fetch(void *arg, struct ay_ctx *ctx, const struct ay_dcap_coll_request *req,
                         struct ay_endorsement *out, size_t max, size_t *out_n)
{
    const struct run *r = arg;
    fetch_calls++;
    assert_true(req->tdx);
    assert_true(req->platform_ca);
    assert_memory_equal(req->fmspc, pck_default.fmspc, 6);
    assert_true(r->n <= max);
    for (size_t i = 0; i < r->n; i++) {
        void *p = NULL;
        TRY(ay_arena_memdup(ctx->arena, r->e[i].bytes.ptr, r->e[i].bytes.len, &p));
        out[i].name = r->e[i].name;
        out[i].bytes = ay_span_of(p, r->e[i].bytes.len);
    }
    *out_n = r->n;
    return AY_OK;
}

static void test_collateral_source(void **state)
{
    (void)state;
    struct tquote_opts o;
    struct tquote_layout lay;
    struct tw q;
    struct tpki_coll_spec up = {"UpToDate", "UpToDate", TPKI_T0 + 29 * TPKI_DAY, "TDX"};
    struct run r = {0};
    run_collateral(&r, &up, true);
    opts_default(&o, 4, 0);
    tquote_build(&pki, &o, &q, &lay);
    ay_dcap_set_collateral_source(fake_fetch, &r);
    fetch_calls = 0;
    assert_string_equal(status_of("tdx", &q, NULL), "UpToDate");
    assert_int_equal(fetch_calls, 1);
    /* Given collateral wins: the source is not asked. */
    assert_string_equal(status_of("tdx", &q, &r), "UpToDate");
    assert_int_equal(fetch_calls, 1);
    ay_dcap_set_collateral_source(NULL, NULL);
    assert_string_equal(status_of("tdx", &q, NULL), "reject");
    run_free(&r);
    free(q.p);
}

/* The reuse cache under concurrency: threads verifying quotes of one platform (hits) and
 * changing collateral (misses, evictions) at once. */
struct thread_arg {
    const struct tw *q;
    const struct run *r[2];
    int ok;
};

static void *thread_main(void *p)
{
    struct thread_arg *a = p;
    for (int i = 0; i < 60; i++) {
        struct ay_arena *ar;
        struct ay_ctx ctx;
        ay_arena_new((size_t)4 << 20, &ar);
        ay_ctx_init(&ctx, ar);
        ctx.now = TPKI_T0 + i;
        const struct run *r = a->r[i % 2];
        struct ay_tee_input in = {
            .evidence = ay_span_of(a->q->p, a->q->n), .endorsements = r->e, .n_endorsements = r->n};
        json_t *c = NULL;
        if (ay_tee_find("tdx")->verify(&ctx, &in, &c) == AY_OK &&
            strcmp(json_string_value(json_object_get(c, "tcb_status")),
                   i % 2 ? "SWHardeningNeeded" : "UpToDate") == 0) {
            a->ok++;
        }
        json_decref(c);
        ay_arena_free(ar);
        if (i % 20 == 0) {
            ay_dcap_cache_clear();
        }
    }
    return NULL;
}

static void test_cache_threads(void **state)
{
    (void)state;
    struct tquote_opts o;
    struct tquote_layout lay;
    struct tw q;
    struct tpki_coll_spec up = {"UpToDate", "UpToDate", TPKI_T0 + 29 * TPKI_DAY, "TDX"};
    struct tpki_coll_spec sw = {"SWHardeningNeeded", "UpToDate", TPKI_T0 + 29 * TPKI_DAY, "TDX"};
    struct run r1 = {0}, r2 = {0};
    run_collateral(&r1, &up, true);
    run_collateral(&r2, &sw, true);
    opts_default(&o, 4, 0);
    tquote_build(&pki, &o, &q, &lay);
    pthread_t th[4];
    struct thread_arg args[4];
    for (size_t i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){.q = &q, .r = {&r1, &r2}, .ok = 0};
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
    }
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(args[i].ok, 60);
    }
    run_free(&r1);
    run_free(&r2);
    free(q.p);
}

#ifndef AY_DCAP_TEST_FLIP_ONLY
int main(void)
{
    /* The one-byte chain / collateral / CRL sweeps run in test_tee_dcap_flip.c (time budget). */
    (void)test_one_byte_chain;
    (void)test_one_byte_collateral_and_crls;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_quotes),
        cmocka_unit_test(test_one_byte_quote),
        cmocka_unit_test(test_expiry_and_revocation),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_bindings),
        cmocka_unit_test(test_tcb_status),
        cmocka_unit_test(test_collateral_source),
        cmocka_unit_test(test_cache_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
#endif
