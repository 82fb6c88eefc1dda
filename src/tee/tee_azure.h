/* SPDX-License-Identifier: Apache-2.0 */
/* Azure confidential VMs with a vTPM (FORMATS.md 4; TRUSTEE.md 7.5, 7.6): the HCL report (hardware
 * report + IGVM request data + var_data JSON carrying the TPM attestation key), and the
 * `az-snp-vtpm` verifier: TPM quote by HCLAkPub, nonce, PCR digest, SHA-256(var_data) bound into
 * the SNP REPORT_DATA, full SNP verification with the presented VCEK, VMPL 0, user-data prefix
 * (evidence v2) and the init-data PCR8 rule. */
#ifndef AY_TEE_AZURE_H
#define AY_TEE_AZURE_H

#include <stdint.h>

#include <jansson.h>

#include "base/base_cursor.h"
#include "base/base_err.h"
#include "tee/tee.h"

struct ay_ctx;
struct ay_pkey;
struct ay_snp_trust;
struct ay_snp_report;
struct ay_tpm_pcrs;

#define AY_HCL_SIGNATURE     0x414C4348u /* "HCLA" little-endian */
#define AY_HCL_HW_REPORT_LEN 1184u
#define AY_HCL_VAR_DATA_OFF  0x4D4u
#define AY_HCL_TYPE_SNP      2u
#define AY_HCL_TYPE_TDX      4u
#define AY_HCL_HASH_SHA256   1u
#define AY_HCL_MAX_VAR_DATA  ((size_t)64 * 1024)

/* A parsed HCL report. Spans borrow the input. */
struct ay_hcl_report {
    uint32_t version;
    uint32_t report_size;
    uint32_t request_type;
    uint32_t status;
    struct ay_span hw_report; /* 1184 bytes: SNP report, or TDREPORT in the first 1024 */
    uint32_t data_size;
    uint32_t data_version;
    uint32_t report_type; /* AY_HCL_TYPE_SNP / _TDX */
    uint32_t hash_type;   /* AY_HCL_HASH_SHA256 */
    struct ay_span var_data;
};

/* Parses an HCL report (FORMATS.md 4.1). Bytes after the var_data are NV padding and ignored.
 * AY_ERR_TRUNCATED / AY_ERR_MALFORMED / AY_ERR_UNSUPPORTED with a message. */
AY_MUST_USE ay_err ay_hcl_report_parse(struct ay_diag *d, struct ay_span in,
                                       struct ay_hcl_report *out);

/* The attestation key (kid "HCLAkPub", RSA JWK) from the var_data JSON. *out is new. */
AY_MUST_USE ay_err ay_hcl_ak_pub(struct ay_diag *d, struct ay_span var_data, struct ay_pkey **out);

/* The registered `az-snp-vtpm` verifier: pinned AMD roots. Evidence: Trustee's v0, v1 or v2
 * JSON (TRUSTEE.md 7.5). report_data is required (exact match with the TPM nonce). */
ay_tee_verify_fn ay_tee_az_snp_vtpm_verify;

/* The same with explicit AMD trust anchors (tests pin a generated PKI). */
AY_MUST_USE ay_err ay_tee_az_snp_vtpm_verify_with(struct ay_ctx *ctx, const struct ay_tee_input *in,
                                                  const struct ay_snp_trust *trust,
                                                  json_t **out_claims);

/* Evidence that ay_tee_az_snp_vtpm_verify accepted, read again for a policy over it (the Cocos
 * policy, FORMATS.md 6.3): the SNP report inside the HCL report, and the quoted PCRs (checked
 * against the quote's PCR digest). No signature is checked here. */
AY_MUST_USE ay_err ay_az_snp_vtpm_read(struct ay_ctx *ctx, struct ay_span evidence,
                                       struct ay_snp_report *report, struct ay_tpm_pcrs *pcrs);

/* The registered `az-tdx-vtpm` verifier (TRUSTEE.md 7.6): the same vTPM checks, the TD quote
 * through DCAP (tee_dcap.h) with the given endorsements, SHA-256(var_data) == the TD quote's
 * REPORT_DATA[0:32]. Evidence v0 (byte arrays) or v1/v2 ("td_quote": base64url). */
ay_tee_verify_fn ay_tee_az_tdx_vtpm_verify;

#endif
