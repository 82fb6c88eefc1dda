/* SPDX-License-Identifier: Apache-2.0 */
/* The SEV-SNP certificate caches (tee_snp.h: parsed certificates, facts, V[CL]EK key and chain
 * verdict) never let a changed chain, CRL or time pass: after a report verified and filled the
 * cache, the same verifier is asked about another VCEK (good, forged, expired), times outside
 * and at the edges of the verified window, an ARK-signed CRL revoking the ASK (and a stale or
 * foreign CRL), another ARK, and a corrupted copy of cached certificate bytes; and several
 * threads verify at once. The PKI is generated at test time (crypto_snp_testpki.h). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "crypto/crypto_x509.h"
#include "crypto_snp_testpki.h"
#include "tee/tee.h"
#include "tee/tee_snp.h"
#include "testlib.h"

#define T0  SNP_TPKI_T0
#define DAY SNP_TPKI_DAY

static struct ay_snp_testpki *pki;
static struct ay_snp_testpki *other;       /* another ARK/ASK/VCEK set, same names */
static uint8_t report2[AY_SNP_REPORT_LEN]; /* signed by pki's second VCEK */

static int setup(void **state)
{
    (void)state;
    pki = snp_tpki_new();
    other = snp_tpki_new();
    snp_tpki_sign_report(pki, pki->vcek2_key, 2, report2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ay_snp_vek_cache_clear();
    snp_tpki_free(pki);
    snp_tpki_free(other);
    return 0;
}

struct call {
    const uint8_t *report;
    struct ay_span files[4]; /* endorsement files: certificates, bundles, CRLs */
    size_t n_files;
    int64_t at;
    const struct ay_snp_trust *trust;
};

static ay_err run(const struct call *c, char *msg, size_t msglen)
{
    struct ay_arena *arena = NULL;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    ctx.now = c->at != 0 ? c->at : T0;
    struct ay_endorsement ends[4];
    for (size_t i = 0; i < c->n_files; i++) {
        ends[i].name = "endorsement";
        ends[i].bytes = c->files[i];
    }
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(c->report, AY_SNP_REPORT_LEN);
    in.endorsements = ends;
    in.n_endorsements = c->n_files;
    json_t *claims = NULL;
    ay_err e =
        ay_tee_snp_verify_with(&ctx, &in, c->trust != NULL ? c->trust : &pki->trust, &claims);
    if (msg != NULL) {
        (void)snprintf(msg, msglen, "%s", ay_diag_message(&ctx.diag));
    }
    json_decref(claims);
    ay_arena_free(arena);
    return e;
}

#define EXPECT(call, want)                                                        \
    do {                                                                          \
        char msg_[512];                                                           \
        ay_err got_ = run(call, msg_, sizeof msg_);                               \
        if (got_ != (want)) {                                                     \
            fail_msg("line %d: got %s want %s (%s)", __LINE__, ay_err_name(got_), \
                     ay_err_name(want), msg_);                                    \
        }                                                                         \
    } while (0)

static struct ay_span vcek(void)
{
    return ay_span_of(pki->vcek_der, pki->vcek_len);
}

static struct ay_span vcek2(void)
{
    return ay_span_of(pki->vcek2_der, pki->vcek2_len);
}

/* Verified twice (the second from the cache), the answer is the same. */
static void test_hit_is_same_answer(void **state)
{
    (void)state;
    ay_snp_vek_cache_clear();
    struct call c = {pki->report, {vcek()}, 1, 0, NULL};
    EXPECT(&c, AY_OK);
    EXPECT(&c, AY_OK);
    c.at = T0 + 100 * DAY;
    EXPECT(&c, AY_OK);
    /* A flipped signature byte still fails with everything cached. */
    uint8_t bad[AY_SNP_REPORT_LEN];
    memcpy(bad, pki->report, sizeof bad);
    bad[0x2A0] ^= 1;
    c.report = bad;
    EXPECT(&c, AY_ERR_BAD_SIGNATURE);
    /* ... and a flipped signed byte. */
    memcpy(bad, pki->report, sizeof bad);
    bad[0x090] ^= 1;
    EXPECT(&c, AY_ERR_BAD_SIGNATURE);
}

/* A second VCEK of the same chip and TCB: its own chain, its own key. */
static void test_second_vcek(void **state)
{
    (void)state;
    ay_snp_vek_cache_clear();
    struct call c = {pki->report, {vcek()}, 1, 0, NULL};
    EXPECT(&c, AY_OK);
    struct call c2 = {report2, {vcek2()}, 1, 0, NULL};
    EXPECT(&c2, AY_OK);
    /* Each report only verifies under its own key, whichever is cached. */
    struct call x1 = {pki->report, {vcek2()}, 1, 0, NULL};
    EXPECT(&x1, AY_ERR_BAD_SIGNATURE);
    struct call x2 = {report2, {vcek()}, 1, 0, NULL};
    EXPECT(&x2, AY_ERR_BAD_SIGNATURE);
    EXPECT(&c, AY_OK);
    EXPECT(&c2, AY_OK);
}

/* The same key and names in a certificate the ASK never signed (signed by another PKI's
 * ASK): the cached verdict of the genuine VCEK must not carry over. */
static void test_forged_vcek_same_key(void **state)
{
    (void)state;
    ay_snp_vek_cache_clear();
    struct call c = {pki->report, {vcek()}, 1, 0, NULL};
    EXPECT(&c, AY_OK);
    /* pki's VCEK key and chip in a certificate issued by other's ASK (same "SEV-Milan"
     * issuer name, same extensions). */
    uint8_t saved_chip[64];
    memcpy(saved_chip, other->chip_id, 64);
    memcpy(other->chip_id, pki->chip_id, 64);
    X509 *forged = snp_tpki_vcek(other, pki->vcek_key, T0 - DAY, T0 + 365 * DAY);
    memcpy(other->chip_id, saved_chip, 64);
    size_t flen = 0;
    uint8_t *fder = snp_tpki_der(forged, &flen);
    struct call f = {pki->report, {ay_span_of(fder, flen)}, 1, 0, NULL};
    EXPECT(&f, AY_ERR_BAD_CHAIN);
    EXPECT(&f, AY_ERR_BAD_CHAIN);
    /* ... also when other's ASK is presented with it: it does not chain to pki's ARK. */
    struct call f2 = {pki->report,
                      {ay_span_of(fder, flen), ay_span_of(other->ask_der, other->ask_len)},
                      2,
                      0,
                      NULL};
    EXPECT(&f2, AY_ERR_BAD_CHAIN);
    EXPECT(&c, AY_OK);
    free(fder);
    X509_free(forged);
}

/* Times outside the window verified first, and at its edges. */
static void test_time_window(void **state)
{
    (void)state;
    ay_snp_vek_cache_clear();
    int64_t vnb = T0 - DAY;                    /* VCEK notBefore */
    int64_t vna = T0 + 7 * 365 * (int64_t)DAY; /* VCEK notAfter */
    struct call c = {pki->report, {vcek()}, 1, 0, NULL};
    EXPECT(&c, AY_OK);
    c.at = vna + 1;
    EXPECT(&c, AY_ERR_EXPIRED);
    c.at = vnb - 1;
    EXPECT(&c, AY_ERR_EXPIRED);
    c.at = vna + 365 * DAY;
    EXPECT(&c, AY_ERR_EXPIRED);
    /* The edges themselves are re-verified, never answered from the cache: OpenSSL's valid
     * interval is notBefore <= t < notAfter. */
    c.at = vna;
    EXPECT(&c, AY_ERR_EXPIRED);
    c.at = vna - 1;
    EXPECT(&c, AY_OK);
    c.at = vna;
    EXPECT(&c, AY_ERR_EXPIRED);
    c.at = vnb;
    EXPECT(&c, AY_OK);
    c.at = vnb - 1;
    EXPECT(&c, AY_ERR_EXPIRED);
    c.at = T0;
    EXPECT(&c, AY_OK);
    /* An expired certificate for the same key, chip and TCB: its own entry, never a hit. */
    struct call e = {pki->report, {ay_span_of(pki->expired_der, pki->expired_len)}, 1, 0, NULL};
    EXPECT(&e, AY_ERR_EXPIRED);
    EXPECT(&c, AY_OK);
    /* A time outside the window once the window came from a cached verdict. */
    c.at = vna + 1;
    EXPECT(&c, AY_ERR_EXPIRED);
}

/* An ARK-signed CRL revoking the ASK after the chain was cached without CRLs. */
static void test_revoked_ask(void **state)
{
    (void)state;
    ay_snp_vek_cache_clear();
    size_t rl = 0;
    size_t gl = 0;
    size_t fl = 0;
    uint8_t *revoking = snp_tpki_crl(pki, SNP_TPKI_ASK_SERIAL, T0 - 10 * DAY, T0 + 30 * DAY, &rl);
    uint8_t *good = snp_tpki_crl(pki, 0x4242, T0 - 10 * DAY, T0 + 30 * DAY, &gl);
    uint8_t *foreign = snp_tpki_crl(other, SNP_TPKI_ASK_SERIAL, T0 - 10 * DAY, T0 + 30 * DAY, &fl);
    struct call c = {pki->report, {vcek()}, 1, 0, NULL};
    EXPECT(&c, AY_OK);
    EXPECT(&c, AY_OK);
    struct call r = {pki->report, {vcek(), ay_span_of(revoking, rl)}, 2, 0, NULL};
    EXPECT(&r, AY_ERR_REVOKED);
    EXPECT(&r, AY_ERR_REVOKED);
    /* A CRL listing another serial passes, and its window bounds the cached verdict. */
    struct call g = {pki->report, {vcek(), ay_span_of(good, gl)}, 2, 0, NULL};
    EXPECT(&g, AY_OK);
    EXPECT(&g, AY_OK);
    g.at = T0 + 31 * DAY; /* after nextUpdate */
    EXPECT(&g, AY_ERR_EXPIRED);
    g.at = T0 - 11 * DAY; /* before thisUpdate */
    EXPECT(&g, AY_ERR_EXPIRED);
    g.at = T0;
    EXPECT(&g, AY_OK);
    /* The revoking CRL together with the good one. */
    struct call both = {
        pki->report, {vcek(), ay_span_of(good, gl), ay_span_of(revoking, rl)}, 3, 0, NULL};
    EXPECT(&both, AY_ERR_REVOKED);
    /* A CRL of another ARK (same issuer name, other key) does not verify. */
    struct call f = {pki->report, {vcek(), ay_span_of(foreign, fl)}, 2, 0, NULL};
    EXPECT(&f, AY_ERR_BAD_SIGNATURE);
    /* Without CRLs, the verdict cached earlier still answers. */
    EXPECT(&c, AY_OK);
    free(revoking);
    free(good);
    free(foreign);
}

/* Another pinned ARK for the same certificates: the chain is re-verified and fails. */
static void test_other_trust(void **state)
{
    (void)state;
    ay_snp_vek_cache_clear();
    struct call c = {pki->report, {vcek()}, 1, 0, NULL};
    EXPECT(&c, AY_OK);
    struct call o = {pki->report, {vcek()}, 1, 0, &other->trust};
    EXPECT(&o, AY_ERR_BAD_CHAIN);
    /* The presented ASK/ARK of pki against other's pinned ARK: refused as a foreign ARK. */
    struct call o2 = {
        pki->report,
        {vcek(), ay_span_of(pki->ask_der, pki->ask_len), ay_span_of(pki->ark_der, pki->ark_len)},
        3,
        0,
        &other->trust};
    EXPECT(&o2, AY_ERR_BAD_CHAIN);
    EXPECT(&c, AY_OK);
    /* other's own material verifies under other's trust. */
    struct call mine = {
        other->report, {ay_span_of(other->vcek_der, other->vcek_len)}, 1, 0, &other->trust};
    EXPECT(&mine, AY_OK);
    struct call cross = {other->report, {ay_span_of(other->vcek_der, other->vcek_len)}, 1, 0, NULL};
    EXPECT(&cross, AY_ERR_BAD_CHAIN);
}

/* The parsed-certificate cache: a repeat of the same bytes gives the same certificate, a
 * changed byte never a cached one. */
static void test_parse_cache(void **state)
{
    (void)state;
    ay_snp_vek_cache_clear();
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_x509 **a = NULL;
    struct ay_x509 **b = NULL;
    size_t na = 0;
    size_t nb = 0;
    assert_int_equal(ay_snp_certs_parse(&d, vcek(), true, AY_LIMIT_CERT_CHAIN, &a, &na), AY_OK);
    assert_int_equal(ay_snp_certs_parse(&d, vcek(), true, AY_LIMIT_CERT_CHAIN, &b, &nb), AY_OK);
    assert_int_equal(na, 1);
    assert_int_equal(nb, 1);
    assert_true(ay_x509_equal(a[0], b[0]));
    ay_x509_free_all(b, nb);
    /* Single mode of the same bytes. */
    assert_int_equal(ay_snp_certs_parse(&d, vcek(), false, 1, &b, &nb), AY_OK);
    assert_int_equal(nb, 1);
    assert_true(ay_x509_equal(a[0], b[0]));
    ay_x509_free_all(b, nb);
    /* One byte of the signature changed: a different certificate (or none), never a[0]. */
    uint8_t *copy = ay_xmalloc(pki->vcek_len);
    memcpy(copy, pki->vcek_der, pki->vcek_len);
    copy[pki->vcek_len - 1] ^= 0x01;
    ay_err e =
        ay_snp_certs_parse(&d, ay_span_of(copy, pki->vcek_len), true, AY_LIMIT_CERT_CHAIN, &b, &nb);
    if (e == AY_OK) {
        assert_false(ay_x509_equal(a[0], b[0]));
        /* ... and it does not verify. */
        struct call c = {pki->report, {ay_span_of(copy, pki->vcek_len)}, 1, 0, NULL};
        EXPECT(&c, AY_ERR_BAD_CHAIN);
        ay_x509_free_all(b, nb);
    }
    /* Truncated bytes fail every time (failures are not cached). */
    for (int i = 0; i < 2; i++) {
        ay_diag_clear(&d);
        assert_int_not_equal(ay_snp_certs_parse(&d, ay_span_of(pki->vcek_der, 100), true,
                                                AY_LIMIT_CERT_CHAIN, &b, &nb),
                             AY_OK);
    }
    /* Clearing the cache does not invalidate references handed out. */
    ay_snp_vek_cache_clear();
    assert_true(ay_x509_der(a[0]).len == pki->vcek_len);
    ay_x509_free_all(a, na);
    ay_free(copy);
}

/* More distinct certificates than the cache holds: entries are replaced, answers unchanged. */
static void test_eviction(void **state)
{
    (void)state;
    ay_snp_vek_cache_clear();
    struct call c = {pki->report, {vcek()}, 1, 0, NULL};
    EXPECT(&c, AY_OK);
    /* More distinct parse-cache keys than entries: the same VCEK bytes under another parse
     * limit is another key. */
    struct ay_diag d;
    ay_diag_clear(&d);
    for (size_t i = 0; i < (size_t)AY_LIMIT_SNP_CERT_CACHE + 8; i++) {
        struct ay_x509 **a = NULL;
        size_t n = 0;
        assert_int_equal(ay_snp_certs_parse(&d, vcek(), true, 1 + i, &a, &n), AY_OK);
        ay_x509_free_all(a, n);
    }
    EXPECT(&c, AY_OK);
    struct call x = {report2, {vcek()}, 1, 0, NULL};
    EXPECT(&x, AY_ERR_BAD_SIGNATURE);
    c.at = T0 + 8 * 365 * (int64_t)DAY;
    EXPECT(&c, AY_ERR_EXPIRED);
}

/* More distinct presented certificates than the facts cache holds (every presented certificate
 * gets an entry): the VCEK's entry (facts, key, verdict) is replaced on the way and rebuilt; the
 * answers stay right. */
static void test_eviction_facts(void **state)
{
    (void)state;
    ay_snp_vek_cache_clear();
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_x509 *good = NULL;
    assert_int_equal(ay_x509_parse(&d, vcek(), &good), AY_OK);
    long serial = 1;
    size_t rounds = (size_t)AY_LIMIT_SNP_CERT_CACHE / 39 + 2;
    for (size_t r = 0; r < rounds; r++) {
        struct ay_x509 *certs[40];
        certs[0] = good;
        for (size_t i = 1; i < 40; i++) {
            X509 *x = X509_new();
            assert_non_null(x);
            assert_int_equal(X509_set_version(x, 2), 1);
            assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
            X509_NAME *n = snp_tpki_name("junk");
            assert_int_equal(X509_set_subject_name(x, n), 1);
            assert_int_equal(X509_set_issuer_name(x, n), 1);
            X509_NAME_free(n);
            assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(T0 - DAY)));
            assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(T0 + DAY)));
            assert_int_equal(X509_set_pubkey(x, k), 1);
            assert_true(X509_sign(x, k, EVP_sha256()) > 0);
            size_t len = 0;
            uint8_t *der = snp_tpki_der(x, &len);
            assert_int_equal(ay_x509_parse(&d, ay_span_of(der, len), &certs[i]), AY_OK);
            free(der);
            X509_free(x);
        }
        for (int pass = 0; pass < 2; pass++) {
            struct ay_arena *arena = NULL;
            ay_arena_new(1 << 20, &arena);
            struct ay_ctx ctx;
            ay_ctx_init(&ctx, arena);
            ctx.now = pass == 0 ? T0 : T0 + 8 * 365 * (int64_t)DAY;
            struct ay_snp_verify_in in;
            memset(&in, 0, sizeof in);
            in.report = ay_span_of(pki->report, AY_SNP_REPORT_LEN);
            in.trust = &pki->trust;
            in.certs = certs;
            in.n_certs = 40;
            struct ay_snp_verified v;
            ay_err e = ay_snp_verify(&ctx, &in, &v);
            if (e != (pass == 0 ? AY_OK : AY_ERR_EXPIRED)) {
                fail_msg("round %zu pass %d: %s (%s)", r, pass, ay_err_name(e),
                         ay_diag_message(&ctx.diag));
            }
            ay_arena_free(arena);
        }
        for (size_t i = 1; i < 40; i++) {
            ay_x509_free(certs[i]);
        }
    }
    ay_x509_free(good);
    EVP_PKEY_free(k);
    /* The other report, under the other VCEK, after all that. */
    struct call c2 = {report2, {vcek2()}, 1, 0, NULL};
    EXPECT(&c2, AY_OK);
    struct call x = {report2, {vcek()}, 1, 0, NULL};
    EXPECT(&x, AY_ERR_BAD_SIGNATURE);
}

/* Several threads verify good and bad reports against a shared cache. */
struct worker {
    int id;
    int failures;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 12; i++) {
        int k = (w->id + i) % 4;
        struct call c = {pki->report, {vcek()}, 1, 0, NULL};
        ay_err want = AY_OK;
        if (k == 1) {
            c.report = report2;
            c.files[0] = vcek2();
        } else if (k == 2) {
            c.files[0] = vcek2(); /* wrong key for this report */
            want = AY_ERR_BAD_SIGNATURE;
        } else if (k == 3) {
            c.at = T0 + 8 * 365 * (int64_t)DAY;
            want = AY_ERR_EXPIRED;
        }
        if (run(&c, NULL, 0) != want) {
            w->failures++;
        }
        if ((i % 5) == 4 && w->id == 0) {
            ay_snp_vek_cache_clear();
        }
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    ay_snp_vek_cache_clear();
    pthread_t t[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i].id = i;
        w[i].failures = 0;
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_is_same_answer),   cmocka_unit_test(test_second_vcek),
        cmocka_unit_test(test_forged_vcek_same_key), cmocka_unit_test(test_time_window),
        cmocka_unit_test(test_revoked_ask),          cmocka_unit_test(test_other_trust),
        cmocka_unit_test(test_parse_cache),          cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_eviction_facts),       cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
