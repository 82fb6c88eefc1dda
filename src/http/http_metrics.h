/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus counters of the front end: requests by route and status, attestation verdicts and
 * a latency histogram per TEE. Updates are lock-free (relaxed atomics); internal to src/http/. */
#ifndef AY_HTTP_METRICS_H
#define AY_HTTP_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http_router.h"

struct ay_buf;
struct ay_http_metrics;

void ay_http_metrics_new(struct ay_http_metrics **out);
void ay_http_metrics_free(struct ay_http_metrics *m);
void ay_http_metrics_request(struct ay_http_metrics *m, enum ay_http_route_id route,
                             unsigned status);
/* One POST /attestation that reached the service: tee from ay_as_attest_info. */
void ay_http_metrics_attest(struct ay_http_metrics *m, const char *tee, bool accepted,
                            uint64_t micros);
/* Prometheus text exposition format 0.0.4. */
void ay_http_metrics_render(struct ay_http_metrics *m, struct ay_buf *out);

#endif
