/* SPDX-License-Identifier: Apache-2.0 */
/* GraphQL documents (GraphQL spec, October 2021): a cursor-driven lexer (section 2.1) and two
 * recursive-descent parsers, one for executable documents (queries, section 2.2-2.12) and one
 * for type-system documents (schemas, section 3). The AST lives in the caller's arena and
 * borrows nothing from the source (names and strings are copied), so it may outlive the text.
 * Error wording and positions follow the reference parser OPA embeds (gqlparser), because the
 * graphql.* Rego builtins return those texts verbatim: "Expected Name, found <EOF>" at
 * line:column, the column counted in runes from 1. */
#ifndef AY_CODEC_CODEC_GRAPHQL_H
#define AY_CODEC_CODEC_GRAPHQL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/base_err.h"
#include "base/base_str.h"

struct ay_arena;

/* A source position: line and column (in runes) from 1. Nodes built from a Rego value have
 * none (line 0). */
struct ay_gql_pos {
    int line;
    int col;
};

/* Value kinds, numbered as the reference AST numbers them (they appear in Rego outputs). */
enum ay_gql_vkind {
    AY_GQL_V_VARIABLE = 0,
    AY_GQL_V_INT = 1,
    AY_GQL_V_FLOAT = 2,
    AY_GQL_V_STRING = 3,
    AY_GQL_V_BLOCK = 4,
    AY_GQL_V_BOOLEAN = 5,
    AY_GQL_V_NULL = 6,
    AY_GQL_V_ENUM = 7,
    AY_GQL_V_LIST = 8,
    AY_GQL_V_OBJECT = 9,
};

struct ay_gql_value;

/* An element of a list value (name empty) or a field of an object value. */
struct ay_gql_child {
    struct ay_str name;
    struct ay_gql_value *value;
    struct ay_gql_pos pos;
    struct ay_gql_child *next;
};

struct ay_gql_value {
    int kind;          /* enum ay_gql_vkind (an int: values read from Rego may carry any number) */
    struct ay_str raw; /* the literal (strings decoded), variable name without '$' */
    struct ay_gql_child *children;
    size_t n_children;
    bool expected_type_has_default;
    struct ay_gql_pos pos;
};

/* A type reference: a named type, or a list of elem; either may be non-null. */
struct ay_gql_type {
    struct ay_str named; /* empty for a list */
    struct ay_gql_type *elem;
    bool non_null;
    struct ay_gql_pos pos;
};

struct ay_gql_arg {
    struct ay_str name;
    struct ay_gql_value *value;
    struct ay_gql_pos pos;
    struct ay_gql_arg *next;
};

struct ay_gql_dir {
    struct ay_str name;
    struct ay_gql_arg *args;
    struct ay_str location; /* always empty after parsing (set by validation in the reference) */
    struct ay_gql_pos pos;
    struct ay_gql_dir *next;
};

/* A list of names (implemented interfaces, union members, directive locations). */
struct ay_gql_name {
    struct ay_str s;
    struct ay_gql_name *next;
};

enum ay_gql_sel_kind {
    AY_GQL_SEL_FIELD,
    AY_GQL_SEL_SPREAD, /* ...Name */
    AY_GQL_SEL_INLINE, /* ... on Type { } */
};

struct ay_gql_sel {
    enum ay_gql_sel_kind kind;
    struct ay_str alias;     /* field: the response key (the name when there is no alias) */
    struct ay_str name;      /* field name; fragment spread name */
    struct ay_str type_cond; /* inline fragment (may be empty) */
    struct ay_gql_arg *args;
    struct ay_gql_dir *dirs;
    struct ay_gql_sel *sels; /* sub-selections */
    struct ay_gql_pos pos;
    struct ay_gql_sel *next;
};

struct ay_gql_vardef {
    struct ay_str name; /* without '$' */
    struct ay_gql_type *type;
    struct ay_gql_value *defval; /* NULL when absent */
    struct ay_gql_dir *dirs;
    bool used;
    struct ay_gql_pos pos;
    struct ay_gql_vardef *next;
};

struct ay_gql_op {
    struct ay_str operation; /* "query", "mutation", "subscription" */
    struct ay_str name;
    struct ay_gql_vardef *vars;
    struct ay_gql_dir *dirs;
    struct ay_gql_sel *sels;
    struct ay_gql_pos pos;
    struct ay_gql_op *next;
};

struct ay_gql_frag {
    struct ay_str name;
    struct ay_gql_vardef *vars; /* experimental fragment variables */
    struct ay_str type_cond;
    struct ay_gql_dir *dirs;
    struct ay_gql_sel *sels;
    struct ay_gql_pos pos;
    struct ay_gql_frag *next;
};

/* An executable document. */
struct ay_gql_query {
    struct ay_gql_op *ops;
    struct ay_gql_frag *frags;
};

/* A field definition, an argument definition or an input field (the three share one shape:
 * arguments are only ever present on object and interface fields). */
struct ay_gql_fielddef {
    struct ay_str desc;
    struct ay_str name;
    struct ay_gql_fielddef *args;
    struct ay_gql_value *defval;
    struct ay_gql_type *type;
    struct ay_gql_dir *dirs;
    struct ay_gql_pos pos;
    struct ay_gql_fielddef *next;
};

struct ay_gql_enumval {
    struct ay_str desc;
    struct ay_str name;
    struct ay_gql_dir *dirs;
    struct ay_gql_pos pos;
    struct ay_gql_enumval *next;
};

/* A type definition or extension. kind: "SCALAR", "OBJECT", "INTERFACE", "UNION", "ENUM",
 * "INPUT_OBJECT". */
struct ay_gql_def {
    struct ay_str kind;
    struct ay_str desc;
    struct ay_str name;
    struct ay_gql_dir *dirs;
    struct ay_gql_name *ifaces;
    struct ay_gql_fielddef *fields;
    struct ay_gql_name *types;
    struct ay_gql_enumval *enumvals;
    bool builtin;
    struct ay_gql_pos pos;
    struct ay_gql_def *next;
};

struct ay_gql_dirdef {
    struct ay_str desc;
    struct ay_str name;
    struct ay_gql_fielddef *args;
    struct ay_gql_name *locs;
    bool repeatable;
    struct ay_gql_pos pos;
    struct ay_gql_dirdef *next;
};

struct ay_gql_optype {
    struct ay_str operation;
    struct ay_str type;
    struct ay_gql_pos pos;
    struct ay_gql_optype *next;
};

struct ay_gql_schemadef {
    struct ay_str desc;
    struct ay_gql_dir *dirs;
    struct ay_gql_optype *optypes;
    struct ay_gql_pos pos;
    struct ay_gql_schemadef *next;
};

/* A type-system document. */
struct ay_gql_sdoc {
    struct ay_gql_schemadef *schema;
    struct ay_gql_schemadef *schema_ext;
    struct ay_gql_dirdef *dirdefs;
    struct ay_gql_def *defs;
    struct ay_gql_def *exts;
};

/* Parses an executable document / a type-system document of n bytes into arena a.
 * On a syntax error: AY_ERR_MALFORMED, the reference parser's message in diag (e.g.
 * `Expected Name, found <EOF>`) and its position in *out_pos. Over a limit (AY_LIMIT_GQL_*:
 * source bytes, tokens, nesting depth): AY_ERR_LIMIT, likewise with a message and position.
 * Arena exhaustion: AY_ERR_LIMIT. *out is written only on success. */
AY_MUST_USE ay_err ay_gql_parse_query(struct ay_arena *a, const char *src, size_t n,
                                      struct ay_diag *diag, struct ay_gql_pos *out_pos,
                                      struct ay_gql_query **out);
AY_MUST_USE ay_err ay_gql_parse_schema(struct ay_arena *a, const char *src, size_t n,
                                       struct ay_diag *diag, struct ay_gql_pos *out_pos,
                                       struct ay_gql_sdoc **out);

/* The spec's BlockStringValue (section 2.9.4) of raw block-string text: common indentation
 * removed, leading and trailing blank lines dropped. Written into the arena. */
AY_MUST_USE ay_err ay_gql_block_string(struct ay_arena *a, const char *raw, size_t n,
                                       struct ay_str *out);

#endif
