/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_gql_parse_query and ay_gql_parse_schema (lexer, both parsers), then
 * ay_gql_schema_build over the parsed schema and ay_gql_query_validate of the parsed query
 * against a fixed schema and against the input's own schema. Properties: every failure carries
 * a message and, for a syntax error, a position inside the input; nothing crashes, recurses
 * without bound or leaks (everything is in one capped arena). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_arena.h"
#include "codec/codec_graphql.h"
#include "rego/rego_graphql_valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_sdl[] = "type Query { a(x: Int!, y: [String]): R b: Int e: E }\n"
                                "type R { id: ID! r: R u: U }\nunion U = R\nenum E { X Y }\n"
                                "interface I { id: ID! }\ntype Mutation { m(i: In): Int }\n"
                                "input In { f: Int g: [In!] }";

static void check_failure(ay_err e, const struct ay_diag *d, struct ay_gql_pos pos, size_t size)
{
    if (e == AY_OK) {
        return;
    }
    if (d->code == AY_OK) {
        abort(); /* every failure carries a message */
    }
    if (e == AY_ERR_MALFORMED && (pos.line < 1 || (size_t)pos.line > size + 1)) {
        abort(); /* a syntax error points into the input */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) {
        return 0;
    }
    struct ay_arena *a;
    ay_arena_new((size_t)64 * 1024 * 1024, &a);
    const char *src = (const char *)data;
    struct ay_diag d;
    struct ay_gql_pos pos = {0, 0};

    ay_diag_clear(&d);
    struct ay_gql_query *q = NULL;
    ay_err eq = ay_gql_parse_query(a, src, size, &d, &pos, &q);
    check_failure(eq, &d, pos, size);

    ay_diag_clear(&d);
    struct ay_gql_sdoc *sd = NULL;
    ay_err es = ay_gql_parse_schema(a, src, size, &d, &pos, &sd);
    check_failure(es, &d, pos, size);

    struct ay_gql_sdoc *fixed = NULL;
    ay_diag_clear(&d);
    if (ay_gql_parse_schema(a, fixed_sdl, sizeof fixed_sdl - 1, &d, &pos, &fixed) != AY_OK) {
        abort(); /* the fixed schema is valid */
    }
    struct ay_gql_schema *s = NULL;
    ay_diag_clear(&d);
    if (ay_gql_schema_build(a, fixed, &d, &pos, &s) != AY_OK) {
        abort();
    }
    if (eq == AY_OK) {
        ay_diag_clear(&d);
        ay_err ev = ay_gql_query_validate(a, s, q, &d, &pos);
        check_failure(ev, &d, pos, size);
    }
    if (es == AY_OK) {
        struct ay_gql_schema *own = NULL;
        ay_diag_clear(&d);
        ay_err eb = ay_gql_schema_build(a, sd, &d, &pos, &own);
        check_failure(eb, &d, pos, size);
        if (eb == AY_OK && eq == AY_OK) {
            ay_diag_clear(&d);
            check_failure(ay_gql_query_validate(a, own, q, &d, &pos), &d, pos, size);
        }
    }
    ay_arena_free(a);
    return 0;
}
