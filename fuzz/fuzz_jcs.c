/* SPDX-License-Identifier: Apache-2.0 */
/* Target: ay_jcs_write over any JSON jansson parses. Properties: canonicalization is
 * idempotent (JCS(parse(JCS(x))) == JCS(x)) and the output is valid JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/base_buf.h"
#include "codec/codec_jcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    json_error_t je;
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
    if (v == NULL) {
        return 0;
    }
    struct ay_buf a;
    ay_buf_init(&a, NULL, 1 << 22);
    if (ay_jcs_write(v, &a) == AY_OK) {
        /* Whole doubles below 1e21 print as digits that jansson would read as an overflowing
         * integer: re-read numbers as reals, which is what JCS says numbers are. */
        json_t *w = json_loadb(a.ptr, a.len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &je);
        if (w == NULL) {
            abort(); /* JCS output must be JSON */
        }
        struct ay_buf b;
        ay_buf_init(&b, NULL, 1 << 22);
        if (ay_jcs_write(w, &b) != AY_OK || b.len != a.len || memcmp(a.ptr, b.ptr, a.len) != 0) {
            abort(); /* not idempotent */
        }
        ay_buf_free(&b);
        json_decref(w);
    }
    ay_buf_free(&a);
    json_decref(v);
    return 0;
}
