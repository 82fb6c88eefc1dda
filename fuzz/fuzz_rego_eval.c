/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_rego_compile, ay_rego_eval_query, ay_rego_eval_rule under small limits.
 * Input: a policy, a line "----", then the input JSON (the dbsqlfuzz-style split of STYLE.md
 * B.16). Evaluates the query "data" and the rule data.fuzz.p with a small step and memory
 * budget. Property: no crash, no leak; every failure carries a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_buf.h"
#include "rego/rego.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    const char *s = (const char *)data;
    size_t plen = size;
    const char *in = NULL;
    size_t inlen = 0;
    for (size_t i = 0; i + 5 <= size; i++) {
        if (memcmp(s + i, "\n----", 5) == 0) {
            plen = i + 1;
            size_t j = i + 5;
            while (j < size && s[j] != '\n') {
                j++;
            }
            in = j < size ? s + j + 1 : s + size;
            inlen = j < size ? size - j - 1 : 0;
            break;
        }
    }
    struct ay_rego_module_src m = {"fuzz.rego", s, plen};
    struct ay_rego_compile_opts co = {.syntax = AY_REGO_V1, .host = NULL};
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_rego_policy *p = NULL;
    if (ay_rego_compile(&m, 1, &co, &d, &p) != AY_OK) {
        return 0;
    }
    struct ay_rego_eval_opts o = {0};
    o.input_json = in;
    o.input_len = inlen;
    o.now_ns = 1700000000000000000;
    o.max_steps = 20000;
    o.max_memory = (size_t)8 << 20;
    struct ay_buf b;
    ay_buf_init(&b, NULL, (size_t)4 << 20);
    ay_diag_clear(&d);
    ay_err e = ay_rego_eval_query(p, "data", &o, &b, &d);
    if (e != AY_OK && d.code == AY_OK) {
        abort();
    }
    ay_buf_reset(&b);
    ay_diag_clear(&d);
    bool def = false;
    e = ay_rego_eval_rule(p, "data.fuzz.p", &o, &b, &def, &d);
    if (e != AY_OK && d.code == AY_OK) {
        abort();
    }
    ay_buf_free(&b);
    ay_rego_policy_release(p);
    return 0;
}
