/* SPDX-License-Identifier: Apache-2.0 */
/* The AMD KDS fetcher (FORMATS.md 1.7) over net_fetch (libcurl loaded on first use): one HTTPS
 * GET of a VCEK (DER), bounded in size and time. Used only when a VCEK is in neither the
 * evidence, the endorsements nor the cache, and only when the configuration names a KDS URL;
 * results are cached by the caller (tee_snp.c) in the Trustee OfflineStore layout, so the hot
 * path has no network I/O. */
#include <stdint.h>

#include "net/net_fetch.h"
#include "tee/tee_snp.h"

ay_err ay_snp_kds_fetch_curl(void *arg, struct ay_diag *d, const char *url, size_t max,
                             uint8_t **out, size_t *out_len)
{
    (void)arg;
    struct ay_net_req q = {
        .url = url, .timeout_s = 30, .fail_on_http_error = true, .max_body = max == 0 ? 1 : max};
    struct ay_net_resp r;
    ay_err err = ay_net_fetch(&q, d, &r);
    if (err != AY_OK) {
        /* KDS throttles repeated requests (about one per 10 s per URL): the reason says so. */
        ay_diag_prefix(d, "snp: KDS");
        return err;
    }
    *out = r.body;
    *out_len = r.len;
    return AY_OK;
}
