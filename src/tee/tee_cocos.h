/* SPDX-License-Identifier: Apache-2.0 */
/* Cocos (ultravioletrs/cocos, JSON-policy era; FORMATS.md 6.3-6.5): the attestation-policy JSON
 * for SEV-SNP (go-sev-guest check.Config in protojson, plus "pcr_values") with go-sev-guest
 * validate semantics, and the go-tpm-tools attest.Attestation protobuf (vTPM quotes, event log)
 * read with a minimal bounded protobuf wire reader. */
#ifndef AY_TEE_COCOS_H
#define AY_TEE_COCOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/base_cursor.h"
#include "base/base_err.h"
#include "tee/tee_snp.h"
#include "tee/tee_tpm.h"

struct ay_ctx;

#define AY_COCOS_MAX_TRUSTED_KEYS 16
#define AY_COCOS_MAX_QUOTES       8

/* An optional byte field of the policy: exact match when set and non-empty. */
struct ay_cocos_bytes {
    bool is_set;
    size_t len;
    uint8_t v[64];
};

/* pcr_values for one bank: expected value per listed index. */
struct ay_cocos_pcr_bank {
    bool is_set[AY_TPM_N_PCRS];
    uint8_t v[AY_TPM_N_PCRS][48];
    size_t len; /* 20, 32 or 48 */
};

struct ay_cocos_policy {
    /* policy.* (go-sev-guest check.Policy) */
    bool has_minimum_guest_svn;
    uint32_t minimum_guest_svn;
    bool has_policy;
    uint64_t policy;
    struct ay_cocos_bytes family_id, image_id, report_id, report_id_ma, measurement, host_data,
        chip_id, report_data;
    bool has_vmpl;
    uint32_t vmpl;
    bool has_minimum_tcb;
    uint64_t minimum_tcb;
    bool has_minimum_launch_tcb;
    uint64_t minimum_launch_tcb;
    bool has_platform_info;
    uint64_t platform_info;
    bool require_author_key;
    bool require_id_block;
    size_t n_author_keys;
    uint8_t author_key_hashes[AY_COCOS_MAX_TRUSTED_KEYS][48];
    size_t n_id_keys;
    uint8_t id_key_hashes[AY_COCOS_MAX_TRUSTED_KEYS][48];
    bool has_minimum_build;
    uint32_t minimum_build;
    bool has_minimum_version;
    uint16_t minimum_version; /* major << 8 | minor */
    bool permit_provisional_firmware;
    enum ay_snp_product product; /* policy.product.name, UNKNOWN if absent */
    bool has_stepping;
    uint32_t stepping;
    /* rootOfTrust.* */
    enum ay_snp_product product_line;
    bool check_crl;
    bool disallow_network;
    /* pcr_values: index 0 sha1, 1 sha256, 2 sha384 */
    struct ay_cocos_pcr_bank pcr[3];
    size_t n_unknown_keys; /* ignored keys (logged as a warning) */
};

/* Parses the policy JSON (FORMATS.md 6.3): lowerCamelCase or snake_case keys, base64 bytes (std
 * or URL-safe, padding optional), 64-bit numbers as JSON string or number (above 2^63 only as a
 * string), enums as name or number, wrapper values bare, null = unset; unknown keys are ignored
 * with a warning. AY_ERR_MALFORMED naming the field. */
AY_MUST_USE ay_err ay_cocos_policy_parse(struct ay_diag *d, struct ay_span json,
                                         struct ay_cocos_policy *out);

/* go-sev-guest validate semantics (FORMATS.md 6.1) of every set field against a report. product
 * = the report's product if known (UNKNOWN skips the product checks). report_data, if not NULL,
 * replaces the policy's report_data (Cocos injects the expected nonce). AY_ERR_POLICY_DENIED with
 * "cocos policy: <field>: report <value> vs policy <value>". */
AY_MUST_USE ay_err ay_cocos_policy_check_snp(struct ay_diag *d, const struct ay_cocos_policy *p,
                                             const struct ay_snp_report *r,
                                             enum ay_snp_product product,
                                             const struct ay_span *report_data);

/* pcr_values against the PCRs of one quote: the bank's map (sha1/sha256/sha384; another bank
 * is an error), each listed index must be equal; an empty map checks nothing. */
AY_MUST_USE ay_err ay_cocos_policy_check_pcrs(struct ay_diag *d, const struct ay_cocos_policy *p,
                                              const struct ay_tpm_pcrs *pcrs);

/* The CLI hook for `assay verify --tee snp --evidence F --cocos-policy P.json`: after the `snp`
 * verifier accepted F, re-reads the report out of F (raw report [+ cert table], or Trustee's
 * JSON) and applies the policy file's checks. */
AY_MUST_USE ay_err ay_cocos_policy_check_evidence(struct ay_ctx *ctx, struct ay_span policy_json,
                                                  struct ay_span evidence,
                                                  const struct ay_span *report_data);
/* The same with the policy already parsed (ay_cocos_policy_parse). */
AY_MUST_USE ay_err ay_cocos_policy_check_evidence_parsed(struct ay_ctx *ctx,
                                                         const struct ay_cocos_policy *p,
                                                         struct ay_span evidence,
                                                         const struct ay_span *report_data);

/* The same on Azure `az-snp-vtpm` evidence that its verifier accepted: the checks of the SNP
 * report inside the HCL report, then pcr_values against the vTPM quote's PCRs. */
AY_MUST_USE ay_err ay_cocos_policy_check_az_snp_vtpm(struct ay_ctx *ctx,
                                                    const struct ay_cocos_policy *p,
                                                    struct ay_span evidence);

/* ---- TDX policy (go-tdx-guest checkconfig.Policy, FORMATS.md 6.2) ---- */

struct ay_dcap_quote;

#define AY_COCOS_MAX_ANY_MR_TD 16

struct ay_cocos_tdx_policy {
    /* policy.headerPolicy */
    bool has_minimum_qe_svn;
    uint32_t minimum_qe_svn;
    bool has_minimum_pce_svn;
    uint32_t minimum_pce_svn;
    struct ay_cocos_bytes qe_vendor_id;
    /* policy.tdQuoteBodyPolicy */
    struct ay_cocos_bytes minimum_tee_tcb_svn; /* up to 16 bytes, each a minimum */
    struct ay_cocos_bytes mr_seam, td_attributes, xfam, mr_td, mr_config_id, mr_owner,
        mr_owner_config, report_data;
    size_t n_rtmrs; /* 0 or 4; an empty entry is unchecked */
    struct ay_cocos_bytes rtmrs[4];
    size_t n_any_mr_td;
    uint8_t any_mr_td[AY_COCOS_MAX_ANY_MR_TD][48];
    bool enable_td_debug_check;
    /* rootOfTrust */
    bool check_crl;
    bool get_collateral;
    size_t n_unknown_keys;
};

/* Parses the TDX policy JSON with the same protojson rules as the SNP one; unknown keys (the
 * shipped file has tdQuoteBodyPolicy.policy and .eat_validation) are ignored with a warning,
 * unlike Cocos' strict loader (FORMATS.md 6.3 recommendation). */
AY_MUST_USE ay_err ay_cocos_tdx_policy_parse(struct ay_diag *d, struct ay_span json,
                                             struct ay_cocos_tdx_policy *out);

/* go-tdx-guest validate semantics against a parsed TD quote: every set field, then the
 * always-on XFAM / TD_ATTRIBUTES rules. AY_ERR_POLICY_DENIED naming every mismatching field
 * ("rtmrs[1]", ...) and the values of the first. */
AY_MUST_USE ay_err ay_cocos_tdx_policy_check(struct ay_diag *d, const struct ay_cocos_tdx_policy *p,
                                             const struct ay_dcap_quote *q);

/* CLI hook for `assay verify --tee tdx --cocos-policy P.json`, after the `tdx` verifier accepted
 * the evidence (raw quote or {"quote": base64}). */
AY_MUST_USE ay_err ay_cocos_tdx_policy_check_evidence(struct ay_ctx *ctx,
                                                      struct ay_span policy_json,
                                                      struct ay_span evidence);

/* ---- protobuf wire format (bounded reader over the cursor) ---- */

enum ay_pb_wire {
    AY_PB_VARINT = 0,
    AY_PB_I64 = 1,
    AY_PB_LEN = 2,
    AY_PB_I32 = 5,
};

struct ay_pb_field {
    uint32_t number;
    enum ay_pb_wire wire;
    uint64_t varint;     /* VARINT, I64, I32 */
    struct ay_span data; /* LEN (borrowed) */
};

/* Reads the next field; AY_ERR_MALFORMED on a bad tag / varint / wire type (groups refused). */
AY_MUST_USE ay_err ay_pb_next(struct ay_cur *c, struct ay_pb_field *out);

/* ---- go-tpm-tools attest.Attestation (FORMATS.md 6.5) ---- */

struct ay_gotpm_quote {
    struct ay_span quote;   /* TPMS_ATTEST */
    struct ay_span raw_sig; /* TPMT_SIGNATURE */
    uint32_t pcr_hash;      /* TPM_ALG_ID */
    struct ay_span pcr[AY_TPM_N_PCRS];
    bool has_pcr[AY_TPM_N_PCRS];
};

struct ay_gotpm_attestation {
    struct ay_span ak_pub; /* TPMT_PUBLIC */
    size_t n_quotes;
    struct ay_gotpm_quote quotes[AY_COCOS_MAX_QUOTES];
    struct ay_span event_log;
    struct ay_span sev_snp_attestation; /* sevsnp.Attestation protobuf (not decoded here) */
    struct ay_span tdx_attestation;
};

AY_MUST_USE ay_err ay_gotpm_attestation_parse(struct ay_diag *d, struct ay_span in,
                                              struct ay_gotpm_attestation *out);

/* The result of replaying a TCG event log against one quote's PCRs. */
struct ay_gotpm_replay {
    uint32_t matched;  /* bit i: replayed PCR i equals the quoted value */
    uint32_t replayed; /* bit i: the log has events for PCR i */
    size_t n_events;
};

struct ay_gotpm_verified {
    size_t n_quotes;
    struct ay_tpm_quote quote[AY_COCOS_MAX_QUOTES];
    struct ay_tpm_pcrs pcrs[AY_COCOS_MAX_QUOTES];
    bool has_replay;
    struct ay_gotpm_replay replay; /* of the SHA-1 quote, legacy log (when present) */
};

/* Verifies every quote: signature by ak_pub (trusted only by configuration or a TEE binding,
 * FORMATS.md 6.5), PCR digest (signature hash over the bank), extraData == nonce (also accepted:
 * nonce zero-padded to 32 bytes, as Cocos pads the vTPM nonce). When nonce is NULL the nonce is
 * not checked. Replays a legacy SHA-1 event log when one is present (result only; see
 * require_full_replay). */
AY_MUST_USE ay_err ay_gotpm_verify(struct ay_ctx *ctx, const struct ay_gotpm_attestation *a,
                                   const struct ay_span *nonce, bool require_full_replay,
                                   struct ay_gotpm_verified *out);

/* Replays a legacy TCG (TCG_PCClientPCREvent, SHA-1) event log: PCR = SHA-1(PCR || digest) per
 * event, EV_NO_ACTION skipped. out_pcrs[i] gets the replayed value of PCR i. */
AY_MUST_USE ay_err ay_tcg_legacy_replay(struct ay_diag *d, struct ay_span log,
                                        uint8_t out_pcrs[AY_TPM_N_PCRS][20], uint32_t *replayed,
                                        size_t *n_events);

#endif
