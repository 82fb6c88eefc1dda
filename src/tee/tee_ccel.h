/* SPDX-License-Identifier: Apache-2.0 */
/* CC event log (ACPI CCEL, TCG2 crypto-agile format) parsing, MR replay and Trustee's event
 * claims (TRUSTEE.md 7.14). */
#ifndef AY_TEE_TEE_CCEL_H
#define AY_TEE_TEE_CCEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/base_cursor.h"
#include "base/base_err.h"
#include "base/base_limits.h"
#include "crypto/crypto_digest.h"

#define AY_CCEL_MAX_EVENTS AY_LIMIT_CCEL_EVENTS
#define AY_CCEL_MAX_ALGS 8        /* digest algorithms in the Spec ID event */
#define AY_CCEL_MAX_EVENT_DATA ((size_t)16 * 1024 * 1024)

#define AY_TCG_ALG_SHA1 0x0004u
#define AY_TCG_ALG_SHA256 0x000bu
#define AY_TCG_ALG_SHA384 0x000cu
#define AY_TCG_ALG_SHA512 0x000du
#define AY_TCG_ALG_SM3 0x0012u

struct ay_ccel_digest {
    uint16_t alg;
    struct ay_span value; /* borrowed from the log */
};

struct ay_ccel_event {
    uint32_t index;
    uint32_t type;
    size_t n_digests;
    struct ay_ccel_digest digests[AY_CCEL_MAX_ALGS];
    struct ay_span data; /* borrowed */
};

struct ay_ccel_log {
    struct ay_ccel_event *events; /* heap, excluding the Spec ID header event */
    size_t n_events;
    uint16_t alg_ids[AY_CCEL_MAX_ALGS];
    uint16_t alg_sizes[AY_CCEL_MAX_ALGS];
    size_t n_algs;
    size_t end_offset; /* bytes of log before the end marker / padding */
};

/* true when the bytes start with a TCG2 Spec ID header event ("Spec ID Event03"). */
bool ay_ccel_sniff(struct ay_span in);
/* Parses the log (spans borrow from in). Free with ay_ccel_free. */
AY_MUST_USE ay_err ay_ccel_parse(struct ay_diag *d, struct ay_span in, struct ay_ccel_log *out);
void ay_ccel_free(struct ay_ccel_log *log);
/* Replays MR indices 1..4 (out[i] = MR index i+1) with hash h, from zeros: MR = H(MR || digest)
 * for every event of that index carrying a digest of h (TRUSTEE.md 7.14). */
AY_MUST_USE ay_err ay_ccel_replay(struct ay_diag *d, const struct ay_ccel_log *log, enum ay_hash h,
                                  uint8_t out[4][AY_HASH_MAX]);
/* Trustee's event claims: a new array of {details, digest_matches_event, digests, event, index,
 * type_name}. */
AY_MUST_USE ay_err ay_ccel_claims(struct ay_diag *d, const struct ay_ccel_log *log, json_t **out);

#endif
