/* SPDX-License-Identifier: Apache-2.0 */
/* Target function: ay_net_url_decode (the URL-encoded PEM chain headers of Intel PCS answers).
 * Properties: it decodes or says AY_ERR_MALFORMED; the output is never longer than the input
 * and is NUL-terminated; text without '%' comes back unchanged; and re-encoding every byte as
 * %XX decodes back to the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_mem.h"
#include "net/net_fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    const char *s = (const char *)data;
    char *out = NULL;
    size_t n = 0;
    ay_err e = ay_net_url_decode(s, size, &out, &n);
    if (e != AY_OK) {
        if (e != AY_ERR_MALFORMED || memchr(s, '%', size) == NULL) {
            abort();
        }
        return 0;
    }
    if (n > size || out[n] != '\0' || (memchr(s, '%', size) == NULL && memcmp(out, s, size) != 0)) {
        abort();
    }
    /* Round trip through %XX. */
    char *enc = malloc(n * 3 + 1);
    if (enc == NULL) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        (void)snprintf(enc + i * 3, 4, "%%%02X", (unsigned char)out[i]);
    }
    char *back = NULL;
    size_t bn = 0;
    if (ay_net_url_decode(enc, n * 3, &back, &bn) != AY_OK || bn != n ||
        (n > 0 && memcmp(back, out, n) != 0)) {
        abort();
    }
    ay_free(back);
    free(enc);
    ay_free(out);
    return 0;
}
