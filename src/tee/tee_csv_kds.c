/* SPDX-License-Identifier: Apache-2.0 */
/* The Hygon KDS fetcher (FORMATS.md section 5.4, TRUSTEE.md section 7.8 step 2) over libcurl:
 * one HTTPS GET of hsk_cek?snumber=<chip>, bounded in size and time. The verifier
 * (tee_csv.c) calls it only when the HSK and CEK are in neither the evidence, the
 * endorsements nor the cache directory, and stores what verified in the cache, so the hot
 * path has no network I/O. Tests inject their own fetcher (struct ay_csv_sources). */
#include <stdint.h>
#include <string.h>

#include <curl/curl.h>

#include "base/base_mem.h"
#include "tee/tee_csv.h"

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

ay_err ay_csv_kds_fetch_curl(void *arg, struct ay_diag *d, const char *url, size_t max,
                             uint8_t **out, size_t *out_len)
{
    const long *timeout = arg;
    struct sink s = {ay_xmalloc(max == 0 ? 1 : max), 0, max, false};
    CURL *c = curl_easy_init();
    if (c == NULL) {
        ay_free(s.buf);
        return FAIL(d, AY_ERR_NETWORK, "csv: KDS: curl_easy_init failed");
    }
    bool set_ok = curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_TIMEOUT,
                                   timeout != NULL && *timeout > 0 ? *timeout : 30L) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
                  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http") == CURLE_OK;
    CURLcode rc = set_ok ? curl_easy_perform(c) : CURLE_FAILED_INIT;
    curl_easy_cleanup(c);
    if (s.over) {
        ay_free(s.buf);
        return FAIL(d, AY_ERR_LIMIT, "csv: KDS answer for %s exceeds %zu bytes", url, max);
    }
    if (rc != CURLE_OK) {
        ay_free(s.buf);
        return FAIL(d, AY_ERR_NETWORK, "csv: KDS fetch of %s failed: %s", url,
                    curl_easy_strerror(rc));
    }
    *out = s.buf;
    *out_len = s.len;
    return AY_OK;
}
