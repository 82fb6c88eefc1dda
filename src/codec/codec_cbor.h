/* SPDX-License-Identifier: Apache-2.0 */
/* Thin helpers over libcbor 0.8 (CCA-KBS.md section 5): bounded decoding of untrusted CBOR
 * (nesting depth, element counts, definite lengths only, no trailing bytes), the workaround for
 * one-byte tag heads 6..20 that libcbor 0.8 cannot decode (COSE_Sign1 is tag 18 = 0xD2), typed
 * accessors that return ay_err, and encoding of small structures (the COSE Sig_structure). */
#ifndef AY_CODEC_CBOR_H
#define AY_CODEC_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

#include "base/base_cursor.h"
#include "base/base_err.h"

struct ay_arena;

/* Decodes exactly one CBOR data item spanning all of `in` (trailing bytes are AY_ERR_MALFORMED).
 * Limits: nesting at most AY_LIMIT_CBOR_DEPTH (tags count as a level), no indefinite lengths,
 * no element count larger than the bytes left. A leading one-byte tag head 0xC6..0xD4 is
 * stripped and re-applied with cbor_build_tag, so callers see an ordinary tagged item (tags
 * nested deeper in that range are refused by libcbor and reported as AY_ERR_MALFORMED).
 * *out is owned by the caller: release with ay_cbor_free. Errors: AY_ERR_MALFORMED,
 * AY_ERR_TRUNCATED, AY_ERR_LIMIT, each with a message in d prefixed by `what`, and
 * AY_ERR_LIBRARY when libcbor cannot be loaded (codec_cbor_lib.h; so for every function here
 * that takes a diagnostic). */
AY_MUST_USE ay_err ay_cbor_decode(struct ay_diag *d, const char *what, struct ay_span in,
                                  cbor_item_t **out);

/* Checks only (the pre-pass of ay_cbor_decode): one well-formed bounded item covers `in`. */
AY_MUST_USE ay_err ay_cbor_check(struct ay_diag *d, const char *what, struct ay_span in);

/* Drops one reference to it (cbor_decref through the loaded libcbor); NULL is a no-op. */
void ay_cbor_free(cbor_item_t *it);

/* Typed accessors. They return AY_ERR_MALFORMED (no message) on a type mismatch. Spans are
 * borrowed from the item and live as long as it. (An item exists only once libcbor is loaded;
 * should it not be, they fail as on a mismatch: AY_ERR_LIBRARY, false, 0 or NULL.) */
AY_MUST_USE ay_err ay_cbor_int(const cbor_item_t *it, int64_t *out);
AY_MUST_USE ay_err ay_cbor_uint(const cbor_item_t *it, uint64_t *out);
AY_MUST_USE ay_err ay_cbor_bstr(const cbor_item_t *it, struct ay_span *out);
AY_MUST_USE ay_err ay_cbor_tstr(const cbor_item_t *it, struct ay_span *out);

/* The tag number and the tagged item (borrowed; no reference taken) of a tag item. */
AY_MUST_USE ay_err ay_cbor_untag(const cbor_item_t *it, uint64_t *out_tag,
                                 const cbor_item_t **out_item);

/* True for a map. */
bool ay_cbor_is_map(const cbor_item_t *it);

/* The number of elements of an array; 0 for an empty array and for anything not an array. */
size_t ay_cbor_array_len(const cbor_item_t *it);

/* The pairs of a map (borrowed; *out may be NULL when *out_n is 0). AY_ERR_MALFORMED if not a
 * map. */
AY_MUST_USE ay_err ay_cbor_map_pairs(const cbor_item_t *map, const struct cbor_pair **out,
                                     size_t *out_n);

/* Array element i (borrowed), NULL if out of range or not an array. */
const cbor_item_t *ay_cbor_array_at(const cbor_item_t *arr, size_t i);

/* The value under the integer key (borrowed), or NULL when absent or not a map. Keys that are
 * not integers (text keys) are skipped. */
const cbor_item_t *ay_cbor_map_get_int(const cbor_item_t *map, int64_t key);

/* AY_ERR_MALFORMED if the map has two equal integer keys (the CCA claim maps forbid
 * duplicates, CCA-KBS.md section 1.2). */
AY_MUST_USE ay_err ay_cbor_map_unique_int_keys(const cbor_item_t *map);

/* Serializes `it` into a new arena block of at most max bytes. */
AY_MUST_USE ay_err ay_cbor_encode(const cbor_item_t *it, struct ay_arena *a, size_t max,
                                  struct ay_span *out);

#endif
