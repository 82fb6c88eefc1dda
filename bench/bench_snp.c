/* SPDX-License-Identifier: Apache-2.0 */
/* AMD SEV-SNP reports and Azure SNP vTPM evidence verified per second on one core, through the
 * registered `snp` and `az-snp-vtpm` verifiers as the service calls them (issue 5 "bench/"),
 * beside the rates of the operations that bound them: the floor of an SNP report is one ECDSA
 * P-384 verify (the report signature: the ARK -> ASK -> VCEK chain, CRLs and certificate
 * parsing are done once per distinct VCEK and cached, tee_snp.h); the floor of Azure SNP vTPM
 * evidence is one P-384 verify plus one RSA-2048 verify (the TPM quote by HCLAkPub).
 * Evidence: the shared vectors S1 (report + endorsements, the extended report with its
 * certificate table, and Trustee's JSON form), S2 (Milan, pinned AMD roots) and S9 v0/v1
 * (Azure) at their verify_at 2025-06-01; without them, a report minted under a test-time
 * ARK -> ASK -> VCEK chain (no Azure figure). Each figure alternates slices of the verifier with
 * slices of its floor's operations through assay's crypto layer in this thread and reports the
 * medians (the machine is shared: rates taken seconds apart move with the neighbours' load);
 * OpenSSL's own rates, from ../shared/tools/crypto-floor (else `openssl speed`), measured once
 * in the same run, are printed beside. Usage:
 *   bench_snp [seconds-per-figure] [shared-dir] [only]
 * (default 2 s, $ASSAY_SHARED or ../shared; `only`: run just the figures whose name contains
 * it, for profiling). Seconds are CPU seconds of the benchmarking thread. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bench_floor.h"
#include "../tests/unit/tee/crypto_snp_testpki.h"
#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "base/base_mem.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_x509.h"
#include "tee/tee.h"
#include "tee/tee_azure.h"
#include "tee/tee_snp.h"

#define AT_2025_06_01 1748736000 /* the vectors' verify_at */

/* Thread CPU time, not wall time: rates are per busy core even on a shared machine, as
 * `openssl speed` reports them (it divides by user CPU time). */
static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void must(ay_err e, const struct ay_diag *d, const char *what)
{
    if (e != AY_OK) {
        fprintf(stderr, "bench_snp: %s: %s (%s)\n", what, ay_err_name(e),
                d ? ay_diag_message(d) : "");
        exit(2);
    }
}

/* The file under <shared>/vectors, or NULL when absent. */
static uint8_t *slurp(const char *shared, const char *rel, size_t *n)
{
    char path[4096];
    (void)snprintf(path, sizeof path, "%s/vectors/%s", shared, rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    uint8_t *b = ay_xmalloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    b[*n] = '\0';
    return b;
}

/* ---- one verifier, many times ---- */

struct run {
    const char *what;
    ay_tee_verify_fn *verify;         /* the registered verifier, or NULL for snp_with */
    const struct ay_snp_trust *trust; /* test PKI (fallback): ay_tee_snp_verify_with */
    struct ay_span evidence;
    const struct ay_endorsement *endorsements;
    size_t n_endorsements;
    const struct ay_span *report_data;
    int64_t at;
};

static ay_err once(const struct run *r, struct ay_ctx *ctx)
{
    struct ay_tee_input in = {.evidence = r->evidence,
                              .report_data = r->report_data,
                              .endorsements = r->endorsements,
                              .n_endorsements = r->n_endorsements};
    json_t *c = NULL;
    ay_err e = r->verify != NULL ? r->verify(ctx, &in, &c)
                                 : ay_tee_snp_verify_with(ctx, &in, r->trust, &c);
    json_decref(c);
    return e;
}

static double rate(const struct run *r, double secs)
{
    struct ay_arena *a = NULL;
    ay_arena_new((size_t)16 << 20, &a);
    long n = 0;
    double t0 = now_s();
    double t = t0;
    do {
        for (int k = 0; k < 20; k++) {
            struct ay_ctx ctx;
            ay_arena_reset(a);
            ay_ctx_init(&ctx, a);
            ctx.now = r->at;
            must(once(r, &ctx), &ctx.diag, r->what);
            n++;
        }
        t = now_s();
    } while (t - t0 < secs);
    ay_arena_free(a);
    return (double)n / (t - t0);
}

/* The first verification of a run, cache cleared: the chain, CRL and certificate work. */
static double cold_ms(const struct run *r)
{
    struct ay_arena *a = NULL;
    ay_arena_new((size_t)16 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    ctx.now = r->at;
    ay_snp_vek_cache_clear();
    double t0 = now_s();
    must(once(r, &ctx), &ctx.diag, r->what);
    double t = now_s() - t0;
    ay_arena_free(a);
    return 1000.0 * t;
}

/* ---- the same primitives through assay's crypto layer ---- */

/* The floor's operations, measured in this thread between slices of the verifier (the machine
 * is shared: a ratio of rates taken seconds apart moves with the neighbours' load). */
struct prims {
    struct ay_pkey *p384; /* a VCEK key and a report it signed */
    struct ay_span report;
    struct ay_pkey *rsa; /* an HCLAkPub and a TPM quote it signed (NULL: no Azure) */
    struct ay_span msg;
    struct ay_span sig;
    struct ay_arena *arena;
};

static void prims_init(struct prims *p, struct ay_span report, struct ay_span vcek_der,
                       struct ay_span evidence_v1)
{
    memset(p, 0, sizeof *p);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_x509 *x = NULL;
    must(ay_x509_parse(&d, vcek_der, &x), &d, "VCEK");
    must(ay_x509_pubkey(&d, x, &p->p384), &d, "VCEK key");
    ay_x509_free(x);
    p->report = report;
    ay_arena_new((size_t)4 << 20, &p->arena);
    if (evidence_v1.len == 0) {
        return;
    }
    /* RSA-2048 PKCS#1 v1.5: S9 v1's TPM quote by its HCLAkPub. */
    json_t *j = json_loadb((const char *)evidence_v1.ptr, evidence_v1.len, 0, NULL);
    const json_t *q = json_object_get(j, "tpm_quote");
    const char *hcl64 = json_string_value(json_object_get(j, "hcl_report"));
    const char *sig = json_string_value(json_object_get(q, "signature"));
    const char *msg = json_string_value(json_object_get(q, "message"));
    if (hcl64 == NULL || sig == NULL || msg == NULL) {
        fprintf(stderr, "bench_snp: S9 v1 evidence lacks hcl_report / tpm_quote\n");
        exit(2);
    }
    struct ay_span hcl;
    must(ay_b64_decode(AY_B64_URL_ANYPAD, hcl64, strlen(hcl64), p->arena, &hcl), NULL,
         "hcl_report");
    must(ay_hex_decode(sig, strlen(sig), p->arena, &p->sig), NULL, "signature");
    must(ay_hex_decode(msg, strlen(msg), p->arena, &p->msg), NULL, "message");
    struct ay_hcl_report r;
    must(ay_hcl_report_parse(&d, hcl, &r), &d, "HCL report");
    must(ay_hcl_ak_pub(&d, r.var_data, &p->rsa), &d, "HCLAkPub");
    json_decref(j);
}

static void prims_free(struct prims *p)
{
    ay_pkey_free(p->p384);
    ay_pkey_free(p->rsa);
    ay_arena_free(p->arena);
}

static double rate_p384(const struct prims *p, double secs)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    long n = 0;
    double t0 = now_s();
    double t = t0;
    do {
        for (int i = 0; i < 10; i++) {
            must(ay_pkey_verify_ecdsa_rs_le(
                     &d, p->p384, AY_HASH_SHA384, ay_span_of(p->report.ptr, AY_SNP_SIGNED_LEN),
                     ay_span_of(p->report.ptr + 0x2A0, AY_SNP_SIG_COMPONENT),
                     ay_span_of(p->report.ptr + 0x2E8, AY_SNP_SIG_COMPONENT)),
                 &d, "P-384 verify");
            n++;
        }
        t = now_s();
    } while (t - t0 < secs);
    return (double)n / (t - t0);
}

static double rate_rsa(const struct prims *p, double secs)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    long n = 0;
    double t0 = now_s();
    double t = t0;
    do {
        for (int i = 0; i < 20; i++) {
            must(ay_pkey_verify(&d, p->rsa, AY_HASH_SHA256, p->msg, p->sig), &d, "RSA verify");
            n++;
        }
        t = now_s();
    } while (t - t0 < secs);
    return (double)n / (t - t0);
}

#define SLICES 8

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

struct figure {
    double rate;    /* median of the verifier slices */
    double floor;   /* median of the in-process floor slices */
    double ratio;   /* median of the per-slice ratios */
    double cold_ms; /* the first verification, cache cleared */
};

/* SLICES alternating slices of the verifier and of its floor (one P-384 verify, plus one
 * RSA-2048 verify with_rsa), each pair giving a ratio; medians of all three. */
static void measure(const struct run *r, const struct prims *p, bool with_rsa, double secs,
                    struct figure *out)
{
    double v[SLICES];
    double f[SLICES];
    double q[SLICES];
    out->cold_ms = cold_ms(r);
    double slice = secs / (2.0 * SLICES);
    for (size_t k = 0; k < SLICES; k++) {
        v[k] = rate(r, slice);
        double p384 = rate_p384(p, with_rsa ? slice / 2.0 : slice);
        f[k] = with_rsa ? 1.0 / (1.0 / p384 + 1.0 / rate_rsa(p, slice / 2.0)) : p384;
        q[k] = v[k] / f[k];
    }
    qsort(v, SLICES, sizeof v[0], cmp_double);
    qsort(f, SLICES, sizeof f[0], cmp_double);
    qsort(q, SLICES, sizeof q[0], cmp_double);
    out->rate = (v[SLICES / 2 - 1] + v[SLICES / 2]) / 2.0;
    out->floor = (f[SLICES / 2 - 1] + f[SLICES / 2]) / 2.0;
    out->ratio = (q[SLICES / 2 - 1] + q[SLICES / 2]) / 2.0;
}


static void ratio_line(const char *what, const struct figure *g, double openssl_floor,
                       const char *floor_what)
{
    printf("  %-46s %6.0f /s  first (cache cleared) %.2f ms\n", what, g->rate, g->cold_ms);
    printf("  %-46s in-process floor %6.0f /s (%s) ratio %.2f", "", g->floor, floor_what, g->ratio);
    if (openssl_floor > 0) {
        printf(" | OpenSSL floor %6.0f /s ratio %.2f", openssl_floor, g->rate / openssl_floor);
    }
    printf("\n");
}

/* report || SNP_GET_EXT_REPORT certificate table {VCEK, ASK, ARK} (FORMATS.md 1.2), as
 * go-sev-guest saves an extended report: the VCEK from the cert table. */
static uint8_t *ext_report(struct ay_span report, struct ay_span vcek, struct ay_span ask,
                           struct ay_span ark, size_t *out_len)
{
    static const uint8_t guids[3][16] = {
        {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac,
         0xcd},
        {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7,
         0x82},
        {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0,
         0xae},
    };
    const struct ay_span blobs[3] = {vcek, ask, ark};
    size_t hdr = 24 * 4;
    size_t len = report.len + hdr + vcek.len + ask.len + ark.len;
    uint8_t *b = ay_xcalloc(1, len);
    memcpy(b, report.ptr, report.len);
    uint8_t *t = b + report.len;
    size_t off = hdr;
    for (size_t i = 0; i < 3; i++) {
        memcpy(t + 24 * i, guids[i], 16);
        for (size_t k = 0; k < 4; k++) {
            t[24 * i + 16 + k] = (uint8_t)(off >> (8 * k));
            t[24 * i + 20 + k] = (uint8_t)(blobs[i].len >> (8 * k));
        }
        memcpy(t + off, blobs[i].ptr, blobs[i].len);
        off += blobs[i].len;
    }
    *out_len = len;
    return b;
}

/* The ASK and ARK DER out of a PEM bundle (ask_ark_milan.pem), for the cert table. */
static void split_chain(struct ay_span pem, struct ay_x509 ***certs, size_t *n)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    must(ay_x509_parse_all(&d, pem, 8, certs, n), &d, "ASK/ARK bundle");
    if (*n != 2) {
        fprintf(stderr, "bench_snp: the ASK/ARK bundle holds %zu certificates\n", *n);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? strtod(argv[1], NULL) : 2.0;
    if (secs <= 0) {
        secs = 2.0;
    }
    const char *shared = argc > 2 ? argv[2] : getenv("ASSAY_SHARED");
    if (shared == NULL) {
        shared = "../shared";
    }
    printf("bench_snp: one thread, rates per CPU-second of it (per core), %.1f s per figure\n",
           secs);
    size_t n1 = 0, nv1 = 0, nc1 = 0, n2 = 0, nv2 = 0, na0 = 0, na1 = 0;
    uint8_t *s1 = slurp(shared, "snp/S1/attestation.bin", &n1);
    uint8_t *s1v = slurp(shared, "snp/S1/vcek.der", &nv1);
    uint8_t *s1c = slurp(shared, "snp/S1/ask_ark_milan.pem", &nc1);
    uint8_t *s2 = slurp(shared, "snp/S2/test-report.bin", &n2);
    uint8_t *s2v = slurp(shared, "snp/S2/test-vcek.der", &nv2);
    uint8_t *az0 = slurp(shared, "azure/S9/evidence-v0.json", &na0);
    uint8_t *az1 = slurp(shared, "azure/S9/evidence-v1.json", &na1);
    bool have_vectors = s1 && s1v && s1c && s2 && s2v && az0 && az1;

    struct ay_bench_floor f;
    ay_bench_floor_read(shared, secs < 1 ? 1 : (int)secs, AY_BENCH_P384 | AY_BENCH_RSA2048, &f);
    printf("OpenSSL %s (%s), verify per second, one core: P-384 %.0f, RSA-2048 %.0f\n", f.version,
           f.source ? f.source : "-", f.p384, f.rsa2048);

    if (!have_vectors) {
        printf("shared vectors absent under %s/vectors: a report minted under a test-time "
               "ARK -> ASK -> VCEK chain (no Azure figure)\n",
               shared);
        struct ay_snp_testpki *pki = snp_tpki_new();
        struct ay_span rep = ay_span_of(pki->report, AY_SNP_REPORT_LEN);
        struct ay_endorsement e[1] = {{"vcek.der", ay_span_of(pki->vcek_der, pki->vcek_len)}};
        struct run r = {
            "snp test-PKI report + VCEK", NULL, &pki->trust, rep, e, 1, NULL, SNP_TPKI_T0};
        struct prims pr;
        prims_init(&pr, rep, e[0].bytes, ay_span_of(NULL, 0));
        struct figure g;
        measure(&r, &pr, false, secs, &g);
        printf("SNP (parse, cached VCEK chain + extensions, 1 P-384, claims):\n");
        ratio_line(r.what, &g, f.p384, "1x P-384");
        prims_free(&pr);
        snp_tpki_free(pki);
        return 0;
    }

    struct ay_endorsement e1[2] = {{"vcek.der", ay_span_of(s1v, nv1)},
                                   {"ask_ark_milan.pem", ay_span_of(s1c, nc1)}};
    struct ay_endorsement e2[1] = {{"test-vcek.der", ay_span_of(s2v, nv2)}};
    struct ay_x509 **chain = NULL;
    size_t n_chain = 0;
    split_chain(ay_span_of(s1c, nc1), &chain, &n_chain);
    size_t next = 0;
    uint8_t *ext = ext_report(ay_span_of(s1, n1), ay_span_of(s1v, nv1), ay_x509_der(chain[0]),
                              ay_x509_der(chain[1]), &next);
    const struct ay_span ders[3] = {ay_span_of(s1v, nv1), ay_x509_der(chain[0]),
                                    ay_x509_der(chain[1])};
    char *tj = snp_tpki_trustee_json(ay_span_of(s1, n1), ders, 3);
    static const uint8_t nonce[] = "challenge";
    struct ay_span nonce_span = ay_span_of(nonce, sizeof nonce - 1);

    const struct ay_tee *snp = ay_tee_find("snp");
    const struct ay_tee *az = ay_tee_find("az-snp-vtpm");
    struct run runs[] = {
        {"S1 report + VCEK, ASK/ARK endorsements", snp->verify, NULL, ay_span_of(s1, n1), e1, 2,
         NULL, AT_2025_06_01},
        {"S1 extended report (VCEK, ASK, ARK in table)", snp->verify, NULL, ay_span_of(ext, next),
         NULL, 0, NULL, AT_2025_06_01},
        {"S2 report + VCEK endorsement", snp->verify, NULL, ay_span_of(s2, n2), e2, 1, NULL,
         AT_2025_06_01},
        {"S1 as Trustee's JSON (byte arrays, cert_chain)", snp->verify, NULL,
         ay_span_of(tj, strlen(tj)), NULL, 0, NULL, AT_2025_06_01},
        {"S9 v0 (byte arrays, VCEK PEM)", az->verify, NULL, ay_span_of(az0, na0), NULL, 0,
         &nonce_span, AT_2025_06_01},
        {"S9 v1 (hex quote, base64url HCL, VCEK DER)", az->verify, NULL, ay_span_of(az1, na1), NULL,
         0, &nonce_span, AT_2025_06_01},
    };
    size_t n_runs = sizeof runs / sizeof runs[0];
    struct figure g[6];
    memset(g, 0, sizeof g);
    const char *only = argc > 3 ? argv[3] : NULL;
    struct prims pr;
    prims_init(&pr, ay_span_of(s1, n1), ay_span_of(s1v, nv1), ay_span_of(az1, na1));
    for (size_t i = 0; i < n_runs; i++) {
        if (only == NULL || strstr(runs[i].what, only) != NULL) {
            measure(&runs[i], &pr, i >= 4, secs, &g[i]);
        }
    }
    printf("Each figure: %d alternating slices of the verifier and of its floor's operations "
           "through assay's crypto layer in this thread; medians.\n",
           SLICES);
    printf("SNP `snp` verifier (parse, VCEK chain + CRL + extensions once per VCEK, 1 P-384, "
           "claims); floor = 1 P-384 verify:\n");
    for (size_t i = 0; i < 4; i++) {
        if (g[i].rate > 0) {
            ratio_line(runs[i].what, &g[i], f.p384, "1x P-384");
        }
    }
    printf("Azure `az-snp-vtpm` (JSON, HCL, TPM quote RSA-2048, PCRs, SNP as above, claims); "
           "floor = 1 P-384 + 1 RSA-2048 verify:\n");
    double az_floor = f.p384 > 0 && f.rsa2048 > 0 ? 1.0 / (1.0 / f.p384 + 1.0 / f.rsa2048) : 0.0;
    for (size_t i = 4; i < n_runs; i++) {
        if (g[i].rate > 0) {
            ratio_line(runs[i].what, &g[i], az_floor, "P-384 + RSA-2048");
        }
    }
    prims_free(&pr);
    ay_x509_free_all(chain, n_chain);
    free(tj);
    ay_free(ext);
    ay_free(s1);
    ay_free(s1v);
    ay_free(s1c);
    ay_free(s2);
    ay_free(s2v);
    ay_free(az0);
    ay_free(az1);
    return 0;
}
