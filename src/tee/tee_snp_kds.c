/* SPDX-License-Identifier: Apache-2.0 */
/* The AMD KDS fetcher (FORMATS.md 1.7) over libcurl: one HTTPS GET of a VCEK (DER), bounded in
 * size and time. Used only when a VCEK is in neither the evidence, the endorsements nor the
 * cache, and only when the configuration names a KDS URL; results are cached by the caller
 * (tee_snp.c) in the Trustee OfflineStore layout, so the hot path has no network I/O. */
#include <stdint.h>
#include <string.h>

#include <curl/curl.h>

#include "base/base_mem.h"
#include "tee/tee_snp.h"

struct sink {
    uint8_t *buf;
    size_t len;
    size_t max;
    bool over;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;
    size_t add = size * n;
    if (add > s->max - s->len) {
        s->over = true;
        return 0; /* aborts the transfer */
    }
    memcpy(s->buf + s->len, p, add);
    s->len += add;
    return add;
}

ay_err ay_snp_kds_fetch_curl(void *arg, struct ay_diag *d, const char *url, size_t max,
                             uint8_t **out, size_t *out_len)
{
    (void)arg;
    struct sink s = {ay_xmalloc(max == 0 ? 1 : max), 0, max, false};
    CURL *c = curl_easy_init();
    if (c == NULL) {
        ay_free(s.buf);
        return FAIL(d, AY_ERR_NETWORK, "snp: KDS: curl_easy_init failed");
    }
    bool set_ok = curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http") == CURLE_OK;
    CURLcode rc = set_ok ? curl_easy_perform(c) : CURLE_FAILED_INIT;
    curl_easy_cleanup(c);
    if (s.over) {
        ay_free(s.buf);
        return FAIL(d, AY_ERR_LIMIT, "snp: KDS answer for %s exceeds %zu bytes", url, max);
    }
    if (rc != CURLE_OK) {
        ay_free(s.buf);
        /* KDS throttles repeated requests (about one per 10 s per URL): say so. */
        return FAIL(d, AY_ERR_NETWORK, "snp: KDS fetch of %s failed: %s", url,
                    curl_easy_strerror(rc));
    }
    *out = s.buf;
    *out_len = s.len;
    return AY_OK;
}
