/* SPDX-License-Identifier: Apache-2.0 */
/* Target: ay_json_dump(JSON_COMPACT), which has its own writer, differentially against
 * jansson's json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) over any JSON jansson parses (NUL in
 * strings allowed): the bytes must be identical. */
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
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (v == NULL) {
        return 0;
    }
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1 << 22);
    ay_err e = ay_json_dump(v, JSON_COMPACT, &b);
    if ((want == NULL) != (e != AY_OK)) {
        abort(); /* one refused what the other wrote */
    }
    if (want != NULL && (b.len != strlen(want) || memcmp(b.ptr, want, b.len) != 0)) {
        abort(); /* different bytes */
    }
    free(want);
    ay_buf_free(&b);
    json_decref(v);
    return 0;
}
