/* SPDX-License-Identifier: Apache-2.0 */
/* The Hygon KDS fetcher (FORMATS.md section 5.4, TRUSTEE.md section 7.8 step 2) over
 * net_fetch (libcurl loaded on first use): one HTTPS GET of hsk_cek?snumber=<chip>, bounded in
 * size and time. The verifier (tee_csv.c) calls it only when the HSK and CEK are in neither the
 * evidence, the endorsements nor the cache directory, and stores what verified in the cache, so
 * the hot path has no network I/O. Tests inject their own fetcher (struct ay_csv_sources). */
#include <stdint.h>

#include "net/net_fetch.h"
#include "tee/tee_csv.h"

ay_err ay_csv_kds_fetch_curl(void *arg, struct ay_diag *d, const char *url, size_t max,
                             uint8_t **out, size_t *out_len)
{
    const long *timeout = arg;
    struct ay_net_req q = {.url = url,
                           .timeout_s = timeout != NULL && *timeout > 0 ? *timeout : 30L,
                           .fail_on_http_error = true,
                           .max_body = max == 0 ? 1 : max};
    struct ay_net_resp r;
    ay_err err = ay_net_fetch(&q, d, &r);
    if (err != AY_OK) {
        ay_diag_prefix(d, "csv: KDS");
        return err;
    }
    *out = r.body;
    *out_len = r.len;
    return AY_OK;
}
