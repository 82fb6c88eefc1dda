/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 8785 JSON Canonicalization Scheme (JCS) writer over jansson values: object members sorted
 * by UTF-16 code units, ECMAScript number formatting, minimal escaping, no whitespace. Used for
 * structured runtime data (TRUSTEE.md section 3.3): expected report data = H(JCS(value)). */
#ifndef AY_CODEC_JCS_H
#define AY_CODEC_JCS_H

#include <jansson.h>

#include "base/base_err.h"

struct ay_buf;

/* Appends the canonical form of v to out. AY_ERR_LIMIT past AY_LIMIT_JSON_DEPTH nesting,
 * AY_ERR_MALFORMED for values JCS cannot represent (non-finite numbers, invalid UTF-8).
 * Output errors are left in out (sticky, see ay_buf_finish). */
AY_MUST_USE ay_err ay_jcs_write(const json_t *v, struct ay_buf *out);

/* Appends jansson's own serialization of v (flags as json_dumps, e.g. JSON_COMPACT) to out,
 * without a heap copy: for JSON that is not hashed (tokens, records, policy input). */
AY_MUST_USE ay_err ay_json_dump(const json_t *v, size_t flags, struct ay_buf *out);

#endif
