/* SPDX-License-Identifier: Apache-2.0 */
/* A small JSON value tree for the conformance harness (not part of libassay): built from YAML
 * nodes (libyaml) or parsed from the engine's JSON output, then compared by OPA's rules (numbers
 * by exact decimal value, sets as unordered arrays). Numbers keep their source text. */
#ifndef AY_TESTS_REGO_JV_H
#define AY_TESTS_REGO_JV_H

#include <stdbool.h>
#include <stddef.h>

#include "base/base_buf.h"

enum jv_kind { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ, JV_SET };

struct jv {
    enum jv_kind k;
    bool b;
    char *s;         /* number text or string bytes (NUL-terminated) */
    size_t len;
    size_t n;        /* items (ARR/SET) or members (OBJ) */
    struct jv **kids;
    struct jv **keys; /* OBJ only: string keys */
};

struct jv *jv_new(enum jv_kind k);
struct jv *jv_str(const char *s, size_t n);
void jv_push(struct jv *a, struct jv *v);
void jv_put(struct jv *o, struct jv *key, struct jv *v);
struct jv *jv_get(const struct jv *o, const char *key);
void jv_free(struct jv *v);
/* NULL on a syntax error (msg says where). */
struct jv *jv_parse(const char *text, size_t len, char *msg, size_t msglen);
void jv_write(const struct jv *v, struct ay_buf *out);
/* Total order (OPA's: null < bool < number < string < array < object < set). */
int jv_cmp(const struct jv *a, const struct jv *b);
/* Equality of a result (got) against an expectation (want): a SET in want matches an array or
 * set with the same elements in any order; numbers compare by value (by double when want has
 * more than 15 significant digits). */
bool jv_match(const struct jv *want, const struct jv *got);
void jv_sort(struct jv *arr);

#endif
