/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_val_parse_json, ay_val_write_json, ay_val_compare.
 * Property: whatever parses re-serialises to JSON that parses to an equal value, and the
 * canonical writer is a fixed point. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "rego/rego_value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    struct ay_arena *a;
    ay_arena_new((size_t)64 << 20, &a);
    struct ay_val v;
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_val_parse_json(a, (const char *)data, size, 0, &d, &v) == AY_OK) {
        struct ay_buf b;
        ay_buf_init(&b, a, (size_t)32 << 20);
        ay_val_write_json(&b, v);
        if (ay_buf_finish(&b) == AY_OK) {
            struct ay_val w;
            if (ay_val_parse_json(a, b.ptr, b.len, 0, NULL, &w) != AY_OK) {
                abort();
            }
            if (ay_val_compare(v, w) != 0 || !ay_val_equal(v, w)) {
                abort();
            }
            struct ay_buf c;
            ay_buf_init(&c, a, (size_t)32 << 20);
            ay_val_write_json(&c, w);
            if (ay_buf_finish(&c) != AY_OK || c.len != b.len || memcmp(c.ptr, b.ptr, b.len) != 0) {
                abort();
            }
        }
        struct ay_buf t;
        ay_buf_init(&t, a, (size_t)32 << 20);
        ay_val_write_term(&t, v);
        if (ay_buf_finish(&t) != AY_OK && t.err != AY_ERR_LIMIT) {
            abort();
        }
    }
    ay_arena_free(a);
    return 0;
}
