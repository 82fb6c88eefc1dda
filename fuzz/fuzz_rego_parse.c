/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_rego_compile (lexer, parser, compiler), v1 then v0 syntax.
 * Property: any input compiles or fails with a diagnostic; nothing crashes or leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rego/rego.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    struct ay_rego_module_src m = {"fuzz.rego", (const char *)data, size};
    for (int syn = AY_REGO_V1; syn <= AY_REGO_V0; syn++) {
        struct ay_rego_compile_opts o = {.syntax = (enum ay_rego_syntax)syn, .host = NULL};
        struct ay_diag d;
        ay_diag_clear(&d);
        struct ay_rego_policy *p = NULL;
        ay_err e = ay_rego_compile(&m, 1, &o, &d, &p);
        if (e != AY_OK && d.code == AY_OK) {
            abort(); /* every failure carries a message */
        }
        ay_rego_policy_release(p);
    }
    return 0;
}
