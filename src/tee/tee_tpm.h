/* SPDX-License-Identifier: Apache-2.0 */
/* TPM 2.0 quotes (FORMATS.md 4.2): TPMS_ATTEST, TPMT_SIGNATURE and TPMT_PUBLIC unmarshalled with
 * tpm2-tss libtss2-mu, the quote signature, the PCR digest, the init-data PCR8 rule (TRUSTEE.md
 * 3.6), and Trustee's `tpm` verifier (TRUSTEE.md 7.11). Reused by az-snp-vtpm and Cocos. */
#ifndef AY_TEE_TPM_H
#define AY_TEE_TPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/base_cursor.h"
#include "base/base_err.h"
#include "crypto/crypto_digest.h"
#include "tee/tee.h"

struct ay_ctx;
struct ay_pkey;

#define AY_TPM_N_PCRS     24 /* PCRs 0..23 (the only ones a PC-client TPM has) */
#define AY_TPM_MAX_BANKS  4  /* selections in one TPML_PCR_SELECTION we accept */
#define AY_TPM_ALG_SHA1   0x0004u
#define AY_TPM_ALG_SHA256 0x000Bu
#define AY_TPM_ALG_SHA384 0x000Cu
#define AY_TPM_ALG_SHA512 0x000Du
#define AY_TPM_ALG_RSASSA 0x0014u
#define AY_TPM_ALG_RSAPSS 0x0016u
#define AY_TPM_ALG_ECDSA  0x0018u

struct ay_tpm_pcr_select {
    uint16_t hash;   /* TPM_ALG_ID of the bank */
    uint32_t bitmap; /* bit i = PCR i (0..23) */
};

/* A TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE. raw borrows the input; the rest is copied. */
struct ay_tpm_quote {
    struct ay_span raw;     /* the signed bytes */
    uint8_t extra_data[64]; /* the nonce */
    size_t extra_data_len;
    uint64_t clock;
    uint32_t reset_count;
    uint32_t restart_count;
    bool safe;
    uint64_t firmware_version;
    size_t n_select;
    struct ay_tpm_pcr_select select[AY_TPM_MAX_BANKS];
    uint8_t pcr_digest[AY_HASH_MAX];
    size_t pcr_digest_len;
};

/* The hash of a TPM_ALG_ID, false for other algorithms. */
bool ay_tpm_hash_of_alg(uint16_t alg, enum ay_hash *out);

/* Parses a TPMS_ATTEST (magic TPM_GENERATED_VALUE, type TPM_ST_ATTEST_QUOTE, no trailing bytes,
 * PCR indices < 24). AY_ERR_MALFORMED / AY_ERR_UNSUPPORTED with a message. */
AY_MUST_USE ay_err ay_tpm_quote_parse(struct ay_diag *d, struct ay_span in,
                                      struct ay_tpm_quote *out);

/* A parsed TPMT_SIGNATURE (RSASSA, RSAPSS or ECDSA), copied out of the input. */
struct ay_tpm_sig {
    uint16_t sig_alg;
    uint16_t hash_alg;
    uint8_t rsa[512]; /* RSA signature */
    size_t rsa_len;
    uint8_t r[66]; /* ECDSA, big-endian */
    size_t r_len;
    uint8_t s[66];
    size_t s_len;
};

AY_MUST_USE ay_err ay_tpm_sig_parse(struct ay_diag *d, struct ay_span in, struct ay_tpm_sig *out);

/* Verifies sig over quote->raw with key. AY_ERR_BAD_SIGNATURE when it does not verify. */
AY_MUST_USE ay_err ay_tpm_quote_verify_sig(struct ay_diag *d, const struct ay_pkey *key,
                                           const struct ay_tpm_quote *quote,
                                           const struct ay_tpm_sig *sig);

/* The public key of a TPMT_PUBLIC (RSA, exponent 0 = 65537; ECC NIST P-256/P-384). *out is new. */
AY_MUST_USE ay_err ay_tpm_public_parse(struct ay_diag *d, struct ay_span in, struct ay_pkey **out);

/* PCR values of one bank by index; present[i] says whether PCR i was supplied. */
struct ay_tpm_pcrs {
    uint16_t hash; /* TPM_ALG_ID of the bank */
    bool present[AY_TPM_N_PCRS];
    uint8_t value[AY_TPM_N_PCRS][AY_HASH_MAX];
    size_t len; /* bytes per value */
};

/* FORMATS.md 4.2: digest = H(PCR[i0] || PCR[i1] || ...) in ascending index order over the
 * quote's selection for pcrs->hash (exactly one selection must name that bank), H = digest_hash
 * (the signature's hash algorithm). Every selected PCR must be supplied. AY_ERR_VERIFY on
 * mismatch. */
AY_MUST_USE ay_err ay_tpm_pcr_digest_check(struct ay_diag *d, const struct ay_tpm_quote *quote,
                                           const struct ay_tpm_pcrs *pcrs,
                                           enum ay_hash digest_hash);

/* The PCR values vals[0..n) are, in ascending index order, the PCRs the quote selects (one
 * bank, a bank with a known hash, each value of that hash's length). AY_ERR_MALFORMED. */
AY_MUST_USE ay_err ay_tpm_pcrs_from_selection(struct ay_diag *d, const struct ay_tpm_quote *q,
                                              const struct ay_span *vals, size_t n,
                                              struct ay_tpm_pcrs *out);

/* TRUSTEE.md 3.6: PCR8 == SHA-256(32 zero bytes || init_data); init_data must be exactly 32
 * bytes (Trustee panics otherwise; we refuse). AY_ERR_BINDING. */
AY_MUST_USE ay_err ay_tpm_init_data_check(struct ay_diag *d, struct ay_span init_data,
                                          struct ay_span pcr8);

/* Adds "pcr00".."pcr23" (hex) of the supplied PCRs to obj. */
AY_MUST_USE ay_err ay_tpm_pcr_claims_add(struct ay_diag *d, const struct ay_tpm_pcrs *pcrs,
                                         json_t *obj);

/* The registered `tpm` verifier (Trustee's): evidence {"ak_public": b64 SPKI, "tpm_quote":
 * {"signature": b64 TPMT_SIGNATURE, "message": b64 TPMS_ATTEST, "pcrs": [hex...]}}. The AK is
 * not trusted here (policy checks it); report_data zero-padded or truncated to 32 bytes must
 * equal extraData; init_data by the PCR8 rule. Non-JSON evidence (CLI) is read as a go-tpm-tools
 * attest.Attestation (tee_cocos.h): report_data must equal extraData exactly or zero-padded to
 * 32 bytes (Cocos' vTPM nonce). */
ay_tee_verify_fn ay_tee_tpm_verify;

#endif
