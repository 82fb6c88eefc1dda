/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus text format 0.0.4 ("Exposition formats", prometheus.io): counters
 * assay_http_requests_total{route,status}, assay_attestations_total{tee,verdict} and the
 * histogram assay_attestation_duration_seconds{tee}. Label sets are fixed tables so that every
 * update is one relaxed atomic add on a preallocated slot: no lock on the request path. */
#include "http/http_metrics.h"

#include <stdatomic.h>
#include <string.h>

#include "base/base_buf.h"
#include "base/base_mem.h"

static const unsigned statuses[] = {200, 204, 400, 403, 404, 405, 409,
                                    413, 415, 422, 500, 502, 503};
#define N_STATUS (sizeof statuses / sizeof statuses[0] + 1) /* + "other" */

/* TEE wire names (TRUSTEE.md section 3.1) + "unknown" for anything else. */
static const char *const tees[] = {"sample",      "sampledevice", "snp", "tdx",    "sgx",
                                   "az-snp-vtpm", "az-tdx-vtpm",  "cca", "csv",    "se",
                                   "hygondcu",    "nvidia",       "tpm", "unknown"};
#define N_TEE (sizeof tees / sizeof tees[0])

/* Upper bounds in microseconds. */
static const uint64_t bounds_us[] = {250,   500,    1000,   2500,   5000,    10000,   25000,
                                     50000, 100000, 250000, 500000, 1000000, 2500000, 10000000};
#define N_BUCKET (sizeof bounds_us / sizeof bounds_us[0] + 1) /* + +Inf */

struct ay_http_metrics {
    _Atomic uint64_t req[AY_ROUTE__COUNT][N_STATUS];
    _Atomic uint64_t verdict[N_TEE][2]; /* [0] rejected, [1] accepted */
    _Atomic uint64_t bucket[N_TEE][N_BUCKET];
    _Atomic uint64_t sum_us[N_TEE];
};

void ay_http_metrics_new(struct ay_http_metrics **out)
{
    struct ay_http_metrics *m = ay_xcalloc(1, sizeof *m);
    *out = m;
}

void ay_http_metrics_free(struct ay_http_metrics *m)
{
    ay_free(m);
}

static size_t status_idx(unsigned status)
{
    for (size_t i = 0; i + 1 < N_STATUS; i++) {
        if (statuses[i] == status) {
            return i;
        }
    }
    return N_STATUS - 1;
}

static size_t tee_idx(const char *tee)
{
    for (size_t i = 0; tee != NULL && i + 1 < N_TEE; i++) {
        if (strcmp(tees[i], tee) == 0) {
            return i;
        }
    }
    return N_TEE - 1;
}

void ay_http_metrics_request(struct ay_http_metrics *m, enum ay_http_route_id route,
                             unsigned status)
{
    if ((unsigned)route >= AY_ROUTE__COUNT) {
        route = AY_ROUTE_UNMATCHED;
    }
    atomic_fetch_add_explicit(&m->req[route][status_idx(status)], 1, memory_order_relaxed);
}

void ay_http_metrics_attest(struct ay_http_metrics *m, const char *tee, bool accepted,
                            uint64_t micros)
{
    size_t t = tee_idx(tee);
    size_t b = 0;
    while (b + 1 < N_BUCKET && micros > bounds_us[b]) {
        b++;
    }
    atomic_fetch_add_explicit(&m->verdict[t][accepted ? 1 : 0], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->bucket[t][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_us[t], micros, memory_order_relaxed);
}

static uint64_t ld(_Atomic uint64_t *p)
{
    return atomic_load_explicit(p, memory_order_relaxed);
}

static void put_seconds(struct ay_buf *out, uint64_t us)
{
    ay_buf_printf(out, "%llu.%06llu", (unsigned long long)(us / 1000000),
                  (unsigned long long)(us % 1000000));
}

void ay_http_metrics_render(struct ay_http_metrics *m, struct ay_buf *out)
{
    ay_buf_puts(out, "# HELP assay_http_requests_total HTTP requests by route and status.\n"
                     "# TYPE assay_http_requests_total counter\n");
    for (int r = 0; r < AY_ROUTE__COUNT; r++) {
        for (size_t s = 0; s < N_STATUS; s++) {
            uint64_t v = ld(&m->req[r][s]);
            if (v == 0) {
                continue;
            }
            ay_buf_printf(out, "assay_http_requests_total{route=\"%s\",status=\"",
                          ay_http_route_name((enum ay_http_route_id)r));
            if (s + 1 < N_STATUS) {
                ay_buf_printf(out, "%u", statuses[s]);
            } else {
                ay_buf_puts(out, "other");
            }
            ay_buf_printf(out, "\"} %llu\n", (unsigned long long)v);
        }
    }
    ay_buf_puts(out, "# HELP assay_attestations_total Attestation verdicts by TEE.\n"
                     "# TYPE assay_attestations_total counter\n");
    for (size_t t = 0; t < N_TEE; t++) {
        for (int a = 1; a >= 0; a--) {
            uint64_t v = ld(&m->verdict[t][a]);
            if (v == 0 && strcmp(tees[t], "sample") != 0) {
                continue; /* sample always shows, so the family is never empty */
            }
            ay_buf_printf(out, "assay_attestations_total{tee=\"%s\",verdict=\"%s\"} %llu\n",
                          tees[t], a ? "accepted" : "rejected", (unsigned long long)v);
        }
    }
    ay_buf_puts(out, "# HELP assay_attestation_duration_seconds Time to answer POST /attestation.\n"
                     "# TYPE assay_attestation_duration_seconds histogram\n");
    for (size_t t = 0; t < N_TEE; t++) {
        uint64_t count = 0;
        for (size_t b = 0; b < N_BUCKET; b++) {
            count += ld(&m->bucket[t][b]);
        }
        if (count == 0 && strcmp(tees[t], "sample") != 0) {
            continue;
        }
        uint64_t cum = 0;
        for (size_t b = 0; b < N_BUCKET; b++) {
            cum += ld(&m->bucket[t][b]);
            ay_buf_printf(out, "assay_attestation_duration_seconds_bucket{tee=\"%s\",le=\"",
                          tees[t]);
            if (b + 1 < N_BUCKET) {
                put_seconds(out, bounds_us[b]);
            } else {
                ay_buf_puts(out, "+Inf");
            }
            ay_buf_printf(out, "\"} %llu\n", (unsigned long long)cum);
        }
        ay_buf_printf(out, "assay_attestation_duration_seconds_sum{tee=\"%s\"} ", tees[t]);
        put_seconds(out, ld(&m->sum_us[t]));
        ay_buf_printf(out, "\nassay_attestation_duration_seconds_count{tee=\"%s\"} %llu\n", tees[t],
                      (unsigned long long)cum);
    }
}
