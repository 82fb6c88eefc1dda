/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the builtin families (rego_bi_*.c): typed operand access with OPA's type
 * error wording, result construction in the evaluation arena, and UTF-8 rune stepping with Go's
 * rules (an invalid byte is one rune, U+FFFD). Internal to src/rego/. */
#ifndef AY_REGO_REGO_BI_UTIL_H
#define AY_REGO_REGO_BI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"
#include "base/base_limits.h"
#include "rego/rego_builtin.h"
#include "rego/rego_value.h"

struct ay_buf;

/* The most bytes one builtin result may take (strings built by sprintf, json.marshal, ...). */
#define AY_REGO_BI_OUT_MAX AY_LIMIT_REGO_BI_OUT

/* Operand i must be a string / number / array / object / set: else OPA's type error. */
AY_MUST_USE ay_err ay_rego_bu_str(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i,
                                  const char **out_s, size_t *out_n);
AY_MUST_USE ay_err ay_rego_bu_kind(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i,
                                   enum ay_val_kind kind);
/* A number that is an int64 (2.0 counts): else "operand i must be integer number ..." errors. */
AY_MUST_USE ay_err ay_rego_bu_int(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i,
                                  int64_t *out);

/* A type error with a free-form message after "<name>: " (OPA words some type errors
 * differently from "must be X but got Y"). */
ay_err ay_rego_bu_type_fail(struct ay_rego_bctx *bc, const char *fmt, ...) AY_PRINTF(2, 3);

/* A string value of n bytes copied into the arena. */
AY_MUST_USE ay_err ay_rego_bu_mkstr(struct ay_rego_bctx *bc, const char *s, size_t n,
                                    struct ay_val *out);
/* An output buffer in the evaluation arena, capped at AY_REGO_BI_OUT_MAX. */
void ay_rego_bu_buf(struct ay_rego_bctx *bc, struct ay_buf *b);
/* The buffer's content as a string value (no copy; the buffer lives in the arena). */
AY_MUST_USE ay_err ay_rego_bu_buf_str(struct ay_rego_bctx *bc, const struct ay_buf *b,
                                      struct ay_val *out);

/* Decodes the rune at s[0..n): width in *w (1 for an invalid byte, which gives U+FFFD). n > 0. */
uint32_t ay_rego_bu_rune(const char *s, size_t n, size_t *w);
/* The number of runes of s (Go's utf8.RuneCountInString). */
size_t ay_rego_bu_rune_count(const char *s, size_t n);

/* Simple Unicode case mapping for the scripts policies meet (Latin, Greek, Cyrillic). */
uint32_t ay_rego_bu_lower(uint32_t r);
uint32_t ay_rego_bu_upper(uint32_t r);
/* Go's unicode.IsSpace. */
bool ay_rego_bu_is_space(uint32_t r);

/* Go base64 decoding (StdEncoding / URLEncoding, or the Raw variants when pad is false):
 * CR/LF ignored; false with *bad = the input offset Go reports ("illegal base64 data at input
 * byte N"). Defined in rego_bi_encoding.c. */
bool ay_rego_bu_b64_decode(const char *s, size_t n, bool url, bool pad, struct ay_buf *out,
                           size_t *bad);

/* YAML text (its first document; an empty stream is null) as yaml.unmarshal reads it; errors
 * "<bc->name>: yaml: line N: ..." raised with ay_rego_bi_fail. Defined in rego_bi_yaml.c, also
 * used for METADATA blocks (rego_meta.c). */
AY_MUST_USE ay_err ay_rego_bu_yaml_load(struct ay_rego_bctx *bc, const char *s, size_t n,
                                        struct ay_val *out);

/* Collections as item lists: arrays and sets give their items. */
static inline bool ay_rego_bu_is_coll(struct ay_val v)
{
    return v.kind == AY_V_ARR || v.kind == AY_V_SET;
}

#endif
