/* SPDX-License-Identifier: Apache-2.0 */
/* GraphQL validation for the graphql.* builtins: building a schema from a type-system
 * document (GraphQL spec October 2021 section 3, with the checks and messages of the
 * reference validator OPA uses) and validating an executable document against it (spec
 * section 5). Internal to src/rego/. */
#ifndef AY_REGO_REGO_GRAPHQL_VALID_H
#define AY_REGO_REGO_GRAPHQL_VALID_H

#include "base/base_err.h"
#include "codec/codec_graphql.h"

struct ay_arena;
struct ay_gql_schema;

/* Merges the built-in definitions (scalars, @include/@skip/@deprecated/@specifiedBy, the
 * introspection types of section 4.5) with doc, applies extensions and validates the result.
 * doc is not modified; the schema borrows its nodes (doc must outlive *out). On failure
 * AY_ERR_MALFORMED with the message in diag and its position in *out_pos (line 0: none). */
AY_MUST_USE ay_err ay_gql_schema_build(struct ay_arena *a, const struct ay_gql_sdoc *doc,
                                       struct ay_diag *diag, struct ay_gql_pos *out_pos,
                                       struct ay_gql_schema **out);

/* Validates q against s (spec section 5): the first error wins, as in the reference (its
 * message without the trailing period in diag, its position in *out_pos). */
AY_MUST_USE ay_err ay_gql_query_validate(struct ay_arena *a, const struct ay_gql_schema *s,
                                         const struct ay_gql_query *q, struct ay_diag *diag,
                                         struct ay_gql_pos *out_pos);

#endif
