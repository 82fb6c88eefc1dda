/* SPDX-License-Identifier: Apache-2.0 */
/* Target function: strings.render_template (src/rego/rego_bi_template.c): the Go text/template
 * lexer and parser (actions, pipelines, literals, trim markers, comments, control structures,
 * nesting limit) and the executor (fields, variables, range, functions, step and output limits),
 * through ay_rego_bi_find. A second call goes through providers.aws.sign_req with the template
 * text as the request URL, to reach its Go url.Parse subset.
 * Input: the template text, then NUL, then the vars as JSON text (an object; anything that is
 * not a JSON object gives {"a": [1, "x", {"b": null}], "s": "str", "n": 0}).
 * Property: no crash, no sanitizer report; every call returns AY_OK with a string, or a recorded
 * error (the arena cap, an AY_ERR_LIMIT, is the one error with no message). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "rego/rego_builtin.h"
#include "rego/rego_value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void call(struct ay_arena *arena, const char *name, const struct ay_val *args, size_t n,
                 uint8_t want)
{
    struct ay_diag diag;
    ay_diag_clear(&diag);
    const struct ay_rego_bi *bi = ay_rego_bi_find(name, strlen(name), n);
    if (bi == NULL) {
        abort(); /* the builtin table lost the family */
    }
    struct ay_rego_bctx bc = {arena, &diag, 1700000000000000000, name, NULL};
    struct ay_val out = ay_val_undef();
    ay_err err = bi->fn(&bc, args, n, &out);
    if (err != AY_OK && err != AY_ERR_LIMIT && diag.code == AY_OK) {
        abort(); /* an error without a recorded message */
    }
    if (err == AY_OK && out.kind != want) {
        abort(); /* a result of the wrong kind */
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
    const char *d = nul != NULL ? nul + 1 : "";
    size_t dn = nul != NULL ? size - sn - 1 : 0;
    static const char fallback[] = "{\"a\": [1, \"x\", {\"b\": null}], \"s\": \"str\", \"n\": 0}";

    struct ay_arena *arena;
    ay_arena_new((size_t)64 * 1024 * 1024, &arena);
    struct ay_val args[3];
    if (ay_val_str(arena, s, sn, &args[0]) != AY_OK) {
        ay_arena_free(arena);
        return 0;
    }
    if (ay_val_parse_json(arena, d, dn, 0, NULL, &args[1]) != AY_OK || args[1].kind != AY_V_OBJ) {
        if (ay_val_parse_json(arena, fallback, sizeof fallback - 1, 0, NULL, &args[1]) != AY_OK) {
            abort();
        }
    }
    call(arena, "strings.render_template", args, 2, AY_V_STR);

    static const char cfg[] = "{\"aws_access_key\": \"a\", \"aws_secret_access_key\": \"s\", "
                              "\"aws_service\": \"s3\", \"aws_region\": \"r\"}";
    struct ay_kv req[3] = {
        {ay_val_str_static("method"), ay_val_str_static("GET")},
        {ay_val_str_static("url"), args[0]},
        {ay_val_str_static("body"), args[1]},
    };
    if (ay_val_object(arena, req, 3, false, &args[0]) == AY_OK &&
        ay_val_parse_json(arena, cfg, sizeof cfg - 1, 0, NULL, &args[1]) == AY_OK) {
        args[2] = ay_val_int(1451311705000000000);
        call(arena, "providers.aws.sign_req", args, 3, AY_V_OBJ);
    }
    ay_arena_free(arena);
    return 0;
}
