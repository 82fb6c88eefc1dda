/* SPDX-License-Identifier: Apache-2.0 */
/* In-process benchmark of the attestation path (issue 2): µs per ay_as_attest on one sample
 * evidence request with the default policy (default_cpu) on the default SQLite store, the EAR
 * token signed with ES256, beside the µs of one bare ES256 signature (ay_sign) and of
 * `openssl speed`-style signing measured in the same run. The HTTP front end is left out, so
 * the figure is much less sensitive to the machine's load than bench/load.sh. One core. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "as/as.h"
#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_cursor.h"
#include "base/base_err.h"
#include "base/base_limits.h"
#include "base/base_log.h"
#include "codec/codec_b64.h"
#include "crypto/crypto_sign.h"

#define BENCH_SECONDS 1.0
#define BENCH_ROUNDS 3

static double now_s(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process, seconds: a loaded machine slows the wall clock, not this. */
static double cpu_s(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* The request of bench/load.sh: raw runtime data equal to the evidence's report_data. */
static void make_body(struct ay_buf *body)
{
    uint8_t rd[32];
    for (size_t i = 0; i < sizeof rd; i++) {
        rd[i] = (uint8_t)i;
    }
    struct ay_buf ev;
    ay_buf_init(&ev, NULL, 4096);
    ay_buf_puts(&ev, "{\"svn\": \"1\", \"report_data\": \"");
    ay_b64_encode(AY_B64_STD, rd, sizeof rd, &ev);
    ay_buf_puts(&ev, "\"}");
    ay_buf_puts(body, "{\"verification_requests\": [{\"tee\": \"sample\", \"evidence\": \"");
    ay_b64_encode(AY_B64_URL_NOPAD, (const uint8_t *)ev.ptr, ev.len, body);
    ay_buf_puts(body, "\", \"runtime_data\": {\"raw\": \"");
    ay_b64_encode(AY_B64_URL_NOPAD, rd, sizeof rd, body);
    ay_buf_puts(body, "\"}}], \"policy_ids\": []}");
    ay_buf_free(&ev);
}

struct attest_state {
    struct ay_as *as;
    struct ay_arena *arena;
    struct ay_span body;
    size_t token_len;
    ay_err err;
};

static void one_attest(struct attest_state *st)
{
    struct ay_ctx ctx;
    ay_arena_reset(st->arena);
    ay_ctx_init(&ctx, st->arena);
    struct ay_buf out;
    ay_buf_init(&out, st->arena, AY_LIMIT_RESPONSE);
    struct ay_as_attest_info info;
    ay_err e = ay_as_attest(st->as, &ctx, st->body, &out, &info);
    if (e == AY_OK && !info.accepted) {
        e = AY_ERR_INTERNAL;
    }
    if (e != AY_OK && st->err == AY_OK) {
        fprintf(stderr, "ay_as_attest: %s: %s\n", ay_err_code(e), ay_diag_message(&ctx.diag));
        st->err = e;
    }
    st->token_len = out.len;
}

struct sign_state {
    struct ay_sign_key *key;
    ay_err err;
};

static void one_sign(struct sign_state *st)
{
    /* About the size of an EAR's signing input. */
    static const char msg[1400] = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.payload";
    uint8_t sig[AY_SIGN_MAX];
    size_t sig_len = 0;
    struct ay_diag d;
    ay_diag_clear(&d);
    ay_err e = ay_sign(st->key, msg, sizeof msg, sig, &sig_len, &d);
    if (e != AY_OK && st->err == AY_OK) {
        st->err = e;
    }
}

/* Best of BENCH_ROUNDS rounds of at least BENCH_SECONDS each: CPU µs per call. */
#define MEASURE(fn, arg, out_us)                                                                  \
    do {                                                                                           \
        double best_ = 1e30;                                                                       \
        for (int r_ = 0; r_ < BENCH_ROUNDS; r_++) {                                                \
            double w0_ = now_s();                                                                  \
            double c0_ = cpu_s();                                                                  \
            unsigned long n_ = 0;                                                                  \
            while (now_s() - w0_ < BENCH_SECONDS) {                                                \
                for (int k_ = 0; k_ < 16; k_++) {                                                  \
                    fn(arg);                                                                       \
                }                                                                                  \
                n_ += 16;                                                                          \
            }                                                                                      \
            double us_ = (cpu_s() - c0_) * 1e6 / (double)n_;                                       \
            best_ = us_ < best_ ? us_ : best_;                                                     \
        }                                                                                          \
        (out_us) = best_;                                                                          \
    } while (0)

int main(void)
{
    char dir[] = "/tmp/assay-bench-attest.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    ay_log_set_level(AY_LOG_WARN);
    char cfg_text[256];
    (void)snprintf(cfg_text, sizeof cfg_text, "{\"work_dir\": \"%s\"}", dir);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_as_config *cfg = NULL;
    struct attest_state st;
    memset(&st, 0, sizeof st);
    struct sign_state ss = {NULL, AY_OK};
    struct ay_buf body;
    ay_buf_init(&body, NULL, AY_LIMIT_HTTP_BODY);
    int rc = 1;
    double attest_us = 0;
    double sign_us = 0;
    if (ay_as_config_parse(cfg_text, strlen(cfg_text), &d, &cfg) != AY_OK ||
        ay_as_new(cfg, &d, &st.as) != AY_OK) {
        fprintf(stderr, "bench_attest: service: %s\n", ay_diag_message(&d));
        goto out;
    }
    if (ay_sign_key_generate(AY_SIGN_ES256, &d, &ss.key) != AY_OK) {
        fprintf(stderr, "bench_attest: key: %s\n", ay_diag_message(&d));
        goto out;
    }
    make_body(&body);
    st.body = ay_span_of(body.ptr, body.len);
    ay_arena_new(AY_LIMIT_REQUEST_ARENA, &st.arena);
    one_attest(&st); /* warm: compiles default_cpu once */
    if (st.err != AY_OK) {
        goto out;
    }
    MEASURE(one_sign, &ss, sign_us);
    MEASURE(one_attest, &st, attest_us);
    if (st.err != AY_OK || ss.err != AY_OK) {
        goto out;
    }
    printf("ay_as_attest (sample, default_cpu, SQLite, EAR ES256): %.1f us/req CPU "
           "(token %zu bytes)\n",
           attest_us, st.token_len);
    printf("ES256 sign (ay_sign, same run):                         %.1f us (%.0f signs/s)\n",
           sign_us, 1e6 / sign_us);
    printf("attest / sign:                                          %.2f signs' worth per "
           "request; %.0f attest/s per core\n",
           attest_us / sign_us, 1e6 / attest_us);
    rc = 0;
out:
    ay_arena_free(st.arena);
    ay_buf_free(&body);
    ay_sign_key_free(ss.key);
    ay_as_free(st.as);
    ay_as_config_free(cfg);
    if (nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS) != 0) {
        fprintf(stderr, "bench_attest: could not remove %s\n", dir);
    }
    return rc;
}
