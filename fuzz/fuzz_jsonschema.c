/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: json.match_schema and json.verify_schema (src/rego/rego_bi_jsonschema.c):
 * the JSON Schema compiler (keywords of drafts 4/6/7, local $ref JSON pointers, regex patterns)
 * and the validator, through ay_rego_bi_find.
 * Input: a schema JSON text, then NUL, then a document JSON text (both go in as strings, so the
 * builtins parse them too).
 * Property: no crash, no sanitizer report; every call returns AY_OK or a recorded error (the
 * arena cap, an AY_ERR_LIMIT, is the one error with no message). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "rego/rego_builtin.h"
#include "rego/rego_value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void call(struct ay_arena *arena, const char *name, const struct ay_val *args, size_t n)
{
    struct ay_diag diag;
    ay_diag_clear(&diag);
    const struct ay_rego_bi *bi = ay_rego_bi_find(name, strlen(name), n);
    if (bi == NULL) {
        abort(); /* the builtin table lost json.*_schema */
    }
    struct ay_rego_bctx bc = {arena, &diag, 1700000000000000000, name, NULL};
    struct ay_val out = ay_val_undef();
    ay_err err = bi->fn(&bc, args, n, &out);
    if (err != AY_OK && err != AY_ERR_LIMIT && diag.code == AY_OK) {
        abort(); /* an error without a recorded message */
    }
    if (err == AY_OK && (out.kind != AY_V_ARR || out.len != 2)) {
        abort(); /* both builtins answer [ok, detail] */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192) {
        return 0;
    }
    const char *s = (const char *)data;
    const char *nul = memchr(s, 0, size);
    size_t sn = nul != NULL ? (size_t)(nul - s) : size;
    const char *d = nul != NULL ? nul + 1 : "{}";
    size_t dn = nul != NULL ? size - sn - 1 : 2;

    struct ay_arena *arena;
    ay_arena_new((size_t)64 * 1024 * 1024, &arena);
    struct ay_val args[2];
    if (ay_val_str(arena, d, dn, &args[0]) == AY_OK &&
        ay_val_str(arena, s, sn, &args[1]) == AY_OK) {
        call(arena, "json.verify_schema", &args[1], 1);
        call(arena, "json.match_schema", args, 2);
    }
    ay_arena_free(arena);
    return 0;
}
