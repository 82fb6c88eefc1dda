/* SPDX-License-Identifier: Apache-2.0 */
/* TDX and SGX quote verifications per second on one core (shared vectors T4 + T-C1 collateral,
 * G1 + CRLs, at 2023-07-01; no network), beside the same run's ECDSA P-256 verify rate: the
 * floor of a DCAP verification is two P-256 verifies (issue 4 "bench/"); with the verified
 * chain / collateral / QE report reused (tee_dcap.c) a repeat quote costs one. Usage:
 *   bench_dcap [shared-dir] [seconds-per-figure]   (default $ASSAY_SHARED or ../shared, 2 s) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "base/base_mem.h"
#include "base/base_time.h"
#include "crypto/crypto_x509.h"
#include "tee/tee.h"
#include "tee/tee_dcap.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint8_t *slurp(const char *dir, const char *rel, size_t *n)
{
    char path[4096];
    (void)snprintf(path, sizeof path, "%s/vectors/%s", dir, rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "bench_dcap: cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = ay_xmalloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static double rate_verify(const char *tee, struct ay_span q, const struct ay_endorsement *e,
                          size_t n_e, const json_t *config, double secs, char *st, size_t st_len)
{
    struct ay_arena *a;
    ay_arena_new((size_t)16 << 20, &a);
    long n = 0;
    double t0 = now_s(), t;
    do {
        for (int k = 0; k < 20; k++) {
            struct ay_ctx ctx;
            ay_arena_reset(a);
            ay_ctx_init(&ctx, a);
            ctx.now = 1688169600; /* 2023-07-01T00:00:00Z */
            struct ay_tee_input in = {.evidence = q, .endorsements = e, .n_endorsements = n_e,
                                      .config = config, .require_collateral = config != NULL};
            json_t *c = NULL;
            if (ay_tee_find(tee)->verify(&ctx, &in, &c) != AY_OK) {
                fprintf(stderr, "bench_dcap: %s: %s\n", tee, ay_diag_message(&ctx.diag));
                exit(1);
            }
            (void)snprintf(st, st_len, "%s",
                           json_string_value(json_object_get(c, "tcb_status")));
            json_decref(c);
            n++;
        }
        t = now_s();
    } while (t - t0 < secs);
    ay_arena_free(a);
    return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : getenv("ASSAY_SHARED");
    double secs = argc > 2 ? atof(argv[2]) : 2.0;
    if (dir == NULL) {
        dir = "../shared";
    }
    static const char *const coll[] = {
        "tdx/collateral/T-C1/tcbinfo_response.json", "tdx/collateral/T-C1/qe_identity_response.json",
        "tdx/collateral/T-C1/pck_crl_platform.der",  "tdx/collateral/T-C1/root_ca_crl.der",
        "tdx/collateral/T-C1/tcbinfo_issuer_chain.pem",
    };
    struct ay_endorsement e[5];
    uint8_t *bufs[5];
    for (size_t i = 0; i < 5; i++) {
        bufs[i] = slurp(dir, coll[i], &e[i].bytes.len);
        e[i].bytes.ptr = bufs[i];
        e[i].name = coll[i];
    }
    size_t tn, gn;
    uint8_t *t4 = slurp(dir, "tdx/T4/tdx_quote_4.dat", &tn);
    uint8_t *g1 = slurp(dir, "sgx/G1/occlum_quote.dat", &gn);

    /* The floor: P-256 verifies of T4's quote signature with its attestation key. */
    struct ay_diag d;
    struct ay_dcap_quote q;
    struct ay_pkey *ak = NULL;
    ay_diag_clear(&d);
    if (ay_dcap_quote_parse(&d, ay_span_of(t4, tn), &q) != AY_OK ||
        ay_pkey_from_ec_xy(&d, AY_CURVE_P256, ay_span_of(q.att_key, 64), &ak) != AY_OK) {
        fprintf(stderr, "bench_dcap: %s\n", ay_diag_message(&d));
        return 1;
    }
    long n = 0;
    double t0 = now_s(), t;
    do {
        for (int k = 0; k < 100; k++) {
            if (ay_pkey_verify_ecdsa_rs(&d, ak, AY_HASH_SHA256, q.signed_bytes,
                                        ay_span_of(q.signature, 32),
                                        ay_span_of(q.signature + 32, 32)) != AY_OK) {
                return 1;
            }
            n++;
        }
        t = now_s();
    } while (t - t0 < secs);
    double p256 = (double)n / (t - t0);
    ay_pkey_free(ak);

    char st_t[64], st_g[64];
    double tdx = rate_verify("tdx", ay_span_of(t4, tn), e, 5, NULL, secs, st_t, sizeof st_t);
    double sgx = rate_verify("sgx", ay_span_of(g1, gn), e + 2, 2, NULL, secs, st_g, sizeof st_g);
    /* The service's way: no endorsements, collateral from the configured source (the T-C1
     * directory as collateral_dir); the first quote reads the directory, later ones reuse. */
    char cfgs[1024], st_s[64];
    (void)snprintf(cfgs, sizeof cfgs,
                   "{\"dcap_verifier\":{\"collateral_dir\":\"%s/vectors/tdx/collateral/T-C1\"}}",
                   dir);
    json_t *cfg = json_loads(cfgs, 0, NULL);
    ay_dcap_cache_clear();
    double t1 = now_s();
    (void)rate_verify("tdx", ay_span_of(t4, tn), NULL, 0, cfg, 0.0, st_s, sizeof st_s);
    double cold = now_s() - t1;
    double src = rate_verify("tdx", ay_span_of(t4, tn), NULL, 0, cfg, secs, st_s, sizeof st_s);
    json_decref(cfg);
    double floor2 = p256 / 2.0;
    printf("P-256 verify: %.0f /s (floor of one DCAP quote = two verifies: %.0f quotes/s)\n", p256,
           floor2);
    printf("TDX T4 + T-C1 collateral (%s): %.0f quotes/s = %.0f%% of the floor\n", st_t, tdx,
           100.0 * tdx / floor2);
    printf("SGX G1 + CRLs (%s): %.0f quotes/s = %.0f%% of the floor\n", st_g, sgx,
           100.0 * sgx / floor2);
    printf("TDX T4, collateral from collateral_dir (%s): first 20 quotes %.1f ms, then %.0f "
           "quotes/s = %.0f%% of the floor\n",
           st_s, 1000.0 * cold, src, 100.0 * src / floor2);
    for (size_t i = 0; i < 5; i++) {
        ay_free(bufs[i]);
    }
    ay_free(t4);
    ay_free(g1);
    return 0;
}
