/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_b64_decode_to, ay_b64_encode, ay_hex_decode_to.
 * Property: whatever decodes re-encodes to the same text (strict decoding is canonical). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_buf.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    uint8_t *out = malloc(size + 4);
    if (out == NULL) {
        abort();
    }
    for (int v = AY_B64_STD; v <= AY_B64_URL_NOPAD; v++) {
        size_t n;
        if (ay_b64_decode_to((enum ay_b64)v, (const char *)data, size, out, size + 4, &n) == AY_OK) {
            struct ay_buf b;
            ay_buf_init(&b, NULL, 1 << 20);
            ay_b64_encode((enum ay_b64)v, out, n, &b);
            if (ay_buf_finish(&b) != AY_OK || b.len != size ||
                (size > 0 && memcmp(b.ptr, data, size) != 0)) {
                abort();
            }
            ay_buf_free(&b);
        }
    }
    size_t n;
    if (ay_hex_decode_to((const char *)data, size, out, size + 4, &n) == AY_OK && n != size / 2) {
        abort();
    }
    free(out);
    return 0;
}
