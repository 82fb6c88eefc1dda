/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL's verify rates on this machine, the floor every benchmark ratio is taken against:
 * from ../shared/tools/crypto-floor (JSON), else `openssl speed` for the rates still missing.
 * Header-only: each bench program includes it. */
#ifndef AY_BENCH_FLOOR_H
#define AY_BENCH_FLOOR_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Verifies per second, one core; 0 when unknown. */
struct ay_bench_floor {
    double p256;
    double p384;
    double rsa2048;
    double sm2;
    char version[32];
    const char *source; /* "crypto-floor" or "openssl speed" */
};

enum {
    AY_BENCH_P256 = 1,
    AY_BENCH_P384 = 2,
    AY_BENCH_RSA2048 = 4,
    AY_BENCH_SM2 = 8,
};

static double ay_bench_jnum(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : 0.0;
}

/* The verify column (the last one) of the `openssl speed` line holding needle. */
static double ay_bench_speed_col(const char *cmd, const char *needle)
{
    FILE *p = popen(cmd, "r"); /* banned-ok: fixed bench command */
    if (p == NULL) {
        return 0.0;
    }
    char line[512];
    double v = 0.0;
    while (fgets(line, sizeof line, p) != NULL) {
        if (strstr(line, needle) != NULL) {
            char *last = strrchr(line, ' ');
            if (last != NULL) {
                v = strtod(last + 1, NULL);
            }
        }
    }
    (void)pclose(p);
    return v;
}

/* Fills f with the rates `need` (AY_BENCH_* bits) asks for, measured for about secs seconds. */
static void ay_bench_floor_read(const char *shared, int secs, unsigned need,
                                struct ay_bench_floor *f)
{
    memset(f, 0, sizeof *f);
    char cmd[4200];
    (void)snprintf(cmd, sizeof cmd, "'%s/tools/crypto-floor' %d 2>/dev/null", shared, secs);
    FILE *p = popen(cmd, "r"); /* banned-ok: fixed bench command */
    char buf[2048] = {0};
    size_t n = 0;
    if (p != NULL) {
        n = fread(buf, 1, sizeof buf - 1, p);
        (void)pclose(p);
    }
    json_error_t jerr;
    json_t *j = n > 0 ? json_loadb(buf, n, 0, &jerr) : NULL;
    if (json_is_object(j)) {
        f->p256 = ay_bench_jnum(j, "p256_verify_per_s");
        f->p384 = ay_bench_jnum(j, "p384_verify_per_s");
        f->rsa2048 = ay_bench_jnum(j, "rsa2048_verify_per_s");
        f->sm2 = ay_bench_jnum(j, "sm2_verify_per_s");
        const char *v = json_string_value(json_object_get(j, "openssl"));
        (void)snprintf(f->version, sizeof f->version, "%s", v ? v : "?");
        f->source = "crypto-floor";
    }
    json_decref(j);
    static const struct {
        unsigned bit;
        const char *alg;
        const char *needle;
        size_t off;
    } algs[] = {
        {AY_BENCH_P256, "ecdsap256", "nistp256", offsetof(struct ay_bench_floor, p256)},
        {AY_BENCH_P384, "ecdsap384", "nistp384", offsetof(struct ay_bench_floor, p384)},
        {AY_BENCH_RSA2048, "rsa2048", "rsa 2048", offsetof(struct ay_bench_floor, rsa2048)},
        {AY_BENCH_SM2, "sm2", "SM2", offsetof(struct ay_bench_floor, sm2)},
    };
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        double *rate = (double *)(void *)((char *)f + algs[i].off);
        if ((need & algs[i].bit) == 0 || *rate > 0) {
            continue;
        }
        (void)snprintf(cmd, sizeof cmd, "openssl speed -seconds %d %s 2>/dev/null", secs,
                       algs[i].alg);
        *rate = ay_bench_speed_col(cmd, algs[i].needle);
        (void)snprintf(f->version, sizeof f->version, "?");
        f->source = "openssl speed";
    }
}

#endif
