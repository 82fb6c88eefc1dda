/* SPDX-License-Identifier: Apache-2.0 */
/* Rego abstract syntax (internal to src/rego/): tokens of the lexer, terms, expressions, rules and
 * modules produced by the parser in the policy arena, later annotated by the compiler (variable
 * slots, resolved data refs, builtins and functions). Grammar: OPA's Rego v1 (and v0 on request);
 * see https://www.openpolicyagent.org/docs/policy-reference/#grammar */
#ifndef AY_REGO_REGO_AST_H
#define AY_REGO_REGO_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"
#include "rego/rego_value.h"

struct ay_arena;
struct ay_rego_bi;
struct ay_rego_node;

/* ---- lexer ---- */
enum ay_rego_tok_kind {
    AY_TK_EOF = 0,
    AY_TK_IDENT,
    AY_TK_STRING, /* val holds the decoded string (also raw strings) */
    AY_TK_NUMBER, /* val holds the number */
    AY_TK_LBRACE,
    AY_TK_RBRACE,
    AY_TK_LBRACK,
    AY_TK_RBRACK,
    AY_TK_LPAREN,
    AY_TK_RPAREN,
    AY_TK_DOT,
    AY_TK_COMMA,
    AY_TK_SEMI,
    AY_TK_COLON,
    AY_TK_ASSIGN, /* := */
    AY_TK_UNIFY,  /* = */
    AY_TK_EQ,     /* == */
    AY_TK_NEQ,
    AY_TK_LT,
    AY_TK_LTE,
    AY_TK_GT,
    AY_TK_GTE,
    AY_TK_PLUS,
    AY_TK_MINUS,
    AY_TK_STAR,
    AY_TK_SLASH,
    AY_TK_PERCENT,
    AY_TK_AMP,
    AY_TK_BAR,
    /* Template strings $"..{e}.." / $`..{e}..`: BEGIN, then TEXT (val: decoded text) and
     * OPEN <expression tokens> CLOSE in source order, then END. */
    AY_TK_TPL_BEGIN,
    AY_TK_TPL_TEXT,
    AY_TK_TPL_OPEN,
    AY_TK_TPL_CLOSE,
    AY_TK_TPL_END,
};

/* The words the parser looks for, recognised once by the lexer (AY_KW_NONE for other names).
 * NOT..EVERY are the keywords (IF..EVERY only in v1 or with future.keywords). */
enum ay_rego_kw {
    AY_KW_NONE = 0,
    AY_KW_NOT,
    AY_KW_SOME,
    AY_KW_WITH,
    AY_KW_AS,
    AY_KW_ELSE,
    AY_KW_DEFAULT,
    AY_KW_IMPORT,
    AY_KW_PACKAGE,
    AY_KW_IF,
    AY_KW_CONTAINS,
    AY_KW_IN,
    AY_KW_EVERY,
    AY_KW_TRUE,
    AY_KW_FALSE,
    AY_KW_NULL,
    AY_KW_SET,
};

struct ay_rego_tok {
    uint8_t kind;
    uint8_t kw; /* enum ay_rego_kw, for AY_TK_IDENT */
    bool nl_before; /* a newline separates it from the previous token */
    bool sp_before; /* whitespace or comment separates it from the previous token */
    uint32_t line;
    uint32_t col;
    uint32_t len;     /* bytes of text (a source is at most AY_LIMIT_REGO_SOURCE bytes) */
    const char *text; /* into the source */
    struct ay_val val;
};

/* The lexer hands out tokens on demand: the parser asks for token i (absolute index from 0) and
 * lets go of the ones behind it at rule boundaries, so no array of all tokens is ever built.
 * Decoded string values go to a (the AST keeps them); tokens point into src. */
struct ay_rego_lexer;

/* The first member of struct ay_rego_lexer (so a lexer pointer points to it, C17 6.7.2.1p15):
 * the tokens base .. base + n - 1, lexed and held in one block, which ay_rego_lexer_at reads
 * inline. The parser asks for a token some 5 times on average (peeks and seeks), so the call
 * was a quarter of the lexing cost (issue 3). Only the lexer writes it. */
struct ay_rego_lexer_win {
    const struct ay_rego_tok *tok;
    size_t base;
    size_t n;
};

/* Checks the module's size (AY_ERR_LIMIT past AY_LIMIT_REGO_SOURCE) and that it is UTF-8
 * (AY_ERR_POLICY_COMPILE), with "name: ..." in diag. a, name and src must outlive the lexer. */
AY_MUST_USE ay_err ay_rego_lexer_new(struct ay_arena *a, const char *name, const char *src,
                                     size_t n, struct ay_diag *diag, struct ay_rego_lexer **out);
void ay_rego_lexer_free(struct ay_rego_lexer *lx);
/* ay_rego_lexer_at for a token outside the window: lexes up to it and moves the window. */
const struct ay_rego_tok *ay_rego_lexer_at_slow(struct ay_rego_lexer *lx, size_t i);

/* Token i, lexing up to it. Past the end, or once a lexing error stopped the lexer, the EOF
 * token (there: where lexing stopped). The pointer stays valid until ay_rego_lexer_release
 * passes it or the lexer is freed. */
static inline const struct ay_rego_tok *ay_rego_lexer_at(struct ay_rego_lexer *lx, size_t i)
{
    const struct ay_rego_lexer_win *w = (const struct ay_rego_lexer_win *)(const void *)lx;
    size_t k = i - w->base; /* wraps around (so is >= n) for i < base */
    return k < w->n ? &w->tok[k] : ay_rego_lexer_at_slow(lx, i);
}

/* Tokens before i are no longer needed (their memory is reused). */
void ay_rego_lexer_release(struct ay_rego_lexer *lx, size_t i);
/* After parsing: lexes whatever the parser did not reach, and if lexing failed anywhere writes
 * that error into diag (replacing what is there: a lexing error is what a module is rejected
 * for, as if it had been lexed before parsing) and returns it; AY_OK otherwise. Errors:
 * "name:line:col: message", AY_ERR_POLICY_COMPILE; AY_ERR_LIMIT (arena). */
AY_MUST_USE ay_err ay_rego_lexer_error(struct ay_rego_lexer *lx, struct ay_diag *diag);

/* A `# METADATA` comment block: the comment lines right below the marker line (each at column 1,
 * on consecutive lines) with the '#' and one space removed, joined by newlines: the YAML of an
 * annotation (OPA's parser: metadataParser). line/col: the marker comment. yaml is in the
 * lexer's arena. */
struct ay_rego_meta_block {
    uint32_t line;
    uint32_t col;
    const char *yaml;
    size_t len;
};

/* The oldest METADATA block lexed so far, if it starts on a line before `before`: removed from
 * the lexer and copied to *out (true); false otherwise. Modules without METADATA comments pay
 * nothing for it. */
bool ay_rego_lexer_meta(struct ay_rego_lexer *lx, uint32_t before, struct ay_rego_meta_block *out);

/* ---- terms ---- */
enum ay_rego_term_kind {
    AY_RT_VAL = 0, /* scalar literal: val */
    AY_RT_VAR,     /* name; slot >= 0 after compile (local), or glob set (input/data/rule ref) */
    AY_RT_REF,     /* items[0] head term, items[1..n) path terms */
    AY_RT_ARR,     /* items */
    AY_RT_SET,     /* items */
    AY_RT_OBJ,     /* items: key0, value0, key1, value1, ... (n = 2 * pairs) */
    AY_RT_CALL,    /* name (dotted function path), items = args */
    AY_RT_ACOMP,   /* [head | body] */
    AY_RT_SCOMP,   /* {head | body} */
    AY_RT_OCOMP,   /* {head: head2 | body} */
};

/* VAR globals (after compile). */
enum ay_rego_glob {
    AY_RG_NONE = 0,
    AY_RG_INPUT,
    AY_RG_DATA,
};

struct ay_rego_body;

/* 64 bytes: a 54 KB policy has some 5,000 terms, and each page of them costs a CLI run several
 * microseconds (issue 3). The kinds use disjoint fields, so they share storage: `val` (VAL, and
 * ARR/SET/OBJ once precomputed: `ground` says it is set), `name` (VAR, CALL) with `bi`/`fn`
 * (CALL), `head`/`head2`/`body` (comprehensions, ay_rego_term_is_comp); `name_len` (VAR, CALL)
 * with `sdepth` (comprehensions). Read a field only for the kinds it belongs to. */
struct ay_rego_term {
    uint8_t kind;
    uint8_t glob;     /* VAR: enum ay_rego_glob */
    bool wildcard;    /* VAR `_` */
    bool ground;      /* after compile: no variables at all; val holds the value */
    bool out_arg;     /* CALL: the last argument is the legacy output argument */
    uint32_t line;
    uint32_t col;
    int32_t slot;     /* VAR: local slot, -1 if global */
    int32_t host;     /* CALL: index into the host table, or -1 */
    union {
        uint32_t name_len; /* VAR, CALL (names come from sources of at most
                              AY_LIMIT_REGO_SOURCE bytes) */
        uint32_t sdepth;   /* comprehensions: scope depth of their body (compile) */
    };
    uint32_t n; /* items (bounded by the source's size) */
    struct ay_rego_term **items;
    union {
        struct ay_val val; /* VAL; ARR/SET/OBJ when ground (precomputed by the compiler) */
        struct {
            const char *name; /* VAR, CALL */
            /* CALL resolution (compile): a builtin or a user function node */
            const struct ay_rego_bi *bi;
            struct ay_rego_node *fn;
        };
        struct { /* ACOMP, SCOMP, OCOMP */
            struct ay_rego_term *head;
            struct ay_rego_term *head2;
            struct ay_rego_body *body;
        };
    };
};

_Static_assert(sizeof(struct ay_rego_term) == 64, "ay_rego_term grew past 64 bytes");

static inline bool ay_rego_term_is_comp(const struct ay_rego_term *t)
{
    return t->kind == AY_RT_ACOMP || t->kind == AY_RT_SCOMP || t->kind == AY_RT_OCOMP;
}

/* ---- expressions ---- */
enum ay_rego_expr_kind {
    AY_RE_TERM = 0, /* a: defined and not false */
    AY_RE_UNIFY,    /* a = b */
    AY_RE_ASSIGN,   /* a := b (declares the vars of a) */
    AY_RE_SOME,     /* some x, y (declaration only): items */
    AY_RE_SOME_IN,  /* some [a,] b in c */
    AY_RE_EVERY,    /* every [a,] b in c { body } */
    AY_RE_NOT,      /* not <sub> */
};

struct ay_rego_with {
    struct ay_rego_term *target; /* input..., data..., or a function/builtin name (VAR/REF) */
    struct ay_rego_term *value;
    /* Function mocks (compile): the replaced function, and a replacement function if the value
     * names one (else the value term is the constant result). */
    bool is_mock;
    const struct ay_rego_node *tfn;
    const struct ay_rego_bi *tbi;
    int32_t thost;
    const struct ay_rego_node *rfn;
    const struct ay_rego_bi *rbi;
    int32_t rhost;
};

struct ay_rego_expr {
    uint8_t kind;
    uint32_t line;
    uint32_t col;
    struct ay_rego_term *a;
    struct ay_rego_term *b;
    struct ay_rego_term *c;
    struct ay_rego_term **items; /* SOME vars */
    size_t n;
    struct ay_rego_body *body;   /* EVERY body */
    struct ay_rego_expr *sub;    /* NOT */
    struct ay_rego_with *with;
    size_t nwith;
    const char *text; /* source text of the literal (query results) */
    size_t text_len;
    int32_t qslot;    /* query expressions: index of the reported value, else -1 */
    uint32_t sdepth;  /* EVERY: scope depth of its body (compile) */
};

struct ay_rego_body {
    struct ay_rego_expr **exprs;
    size_t n;
};

/* ---- METADATA annotations (rego_meta.c) ---- */
enum ay_rego_scope {
    AY_RS_RULE = 0,
    AY_RS_DOCUMENT,
    AY_RS_PACKAGE,
    AY_RS_SUBPACKAGES,
};

/* One annotation (a METADATA block) attached to the package or rule that follows it. */
struct ay_rego_annot {
    uint8_t scope; /* enum ay_rego_scope */
    uint32_t line; /* of the METADATA comment */
    uint32_t col;
    struct ay_val obj;          /* OPA's annotations object: scope, title, authors, custom, ... */
    struct ay_rego_annot *next; /* the next one on the same rule or package, in source order */
};

/* What rego.metadata.chain() and rego.metadata.rule() return inside a rule (set at compile when
 * some module has annotations). */
struct ay_rego_meta {
    struct ay_val chain;
    struct ay_val rule;
};

/* ---- rules ---- */
enum ay_rego_rule_kind {
    AY_RR_COMPLETE = 0, /* p := v if {...}, p if {...}, default p := v */
    AY_RR_SET,          /* p contains x if {...}, v0 p[x] {...} */
    AY_RR_OBJ,          /* p[k] := v if {...} */
    AY_RR_FUNC,         /* f(a, b) := v if {...} */
    AY_RR_GEN,          /* general ref head p[x].q[y] := v / contains v: key is the ARR of
                           the head terms after the static prefix; set_leaf for contains */
};

struct ay_rego_rule {
    uint8_t kind;
    bool is_default;
    bool set_leaf; /* GEN: `contains` (the leaf is a set of values) */
    uint32_t line;
    uint32_t col;
    const char *const *path; /* full rule path below data (package + head ref) */
    size_t npath;
    struct ay_rego_term *key;   /* SET element / OBJ key */
    struct ay_rego_term *value; /* COMPLETE/OBJ/FUNC value; NULL = true */
    struct ay_rego_term **args; /* FUNC parameters */
    size_t nargs;
    struct ay_rego_body *body;  /* NULL = always true */
    struct ay_rego_rule *els;   /* else chain: value + body */
    uint32_t nslots;            /* local variable slots (compile) */
    const struct ay_rego_module *mod;
    struct ay_rego_annot *annots;    /* rule and document scope annotations (head rule only) */
    const struct ay_rego_meta *meta; /* NULL when no module of the policy has annotations */
};

struct ay_rego_import {
    const char *const *path; /* "input", "x", ... or "data", "a", "b" */
    size_t npath;
    const char *alias; /* name used in the module */
    uint32_t line;
    uint32_t col;
};

struct ay_rego_module {
    const char *name;
    const char *const *pkg; /* package path without "data" */
    size_t npkg;
    struct ay_rego_import *imports;
    size_t nimports;
    struct ay_rego_rule **rules;
    size_t nrules;
    bool v0;
    bool has_annots; /* some annotation in the module (package or rule) */
    struct ay_rego_annot *annots; /* package and subpackages scope annotations */
};

/* Parses one module. v0: Rego v0 syntax unless the module imports rego.v1. */
AY_MUST_USE ay_err ay_rego_parse_module(struct ay_arena *a, const char *name, const char *src,
                                        size_t n, bool v0, struct ay_diag *diag,
                                        struct ay_rego_module **out);
/* Parses a query (a body) for ay_rego_eval_query. */
AY_MUST_USE ay_err ay_rego_parse_query(struct ay_arena *a, const char *src, size_t n,
                                       struct ay_diag *diag, struct ay_rego_body **out);

#endif
