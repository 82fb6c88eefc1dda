/* SPDX-License-Identifier: Apache-2.0 */
/* Intel DCAP ECDSA quotes (SGX v3, TDX v4/v5): parsing, the PCK certificate SGX extension, and
 * the verification shared by the SGX and TDX verifiers (FORMATS.md sections 2-3): PCK chain to
 * the pinned Intel SGX Root CA with CRLs, QE report signature and binding, quote signature, and
 * (when collateral is given) the TCB status of tee_collateral.h. */
#ifndef AY_TEE_TEE_DCAP_H
#define AY_TEE_TEE_DCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/base_cursor.h"
#include "base/base_err.h"

struct ay_ctx;
struct ay_endorsement;
struct ay_x509;

#define AY_DCAP_TEE_SGX 0x00u
#define AY_DCAP_TEE_TDX 0x81u
#define AY_DCAP_SIG_LEN 64
#define AY_DCAP_KEY_LEN 64
#define AY_DCAP_REPORT_LEN 384
#define AY_DCAP_TD10_LEN 584
#define AY_DCAP_TD15_LEN 648

/* SGX REPORT body (384 bytes), used for the v3 ISV enclave and for the QE report
 * (SGX SDK sgx_report_body_t; FORMATS.md 2.1 lists the verified offsets). */
struct ay_dcap_sgx_report {
    uint8_t cpu_svn[16];
    uint32_t misc_select;
    uint8_t reserved1[12];
    uint8_t isv_ext_prod_id[16];
    uint8_t attributes[16]; /* flags u64 LE then xfrm u64 LE */
    uint8_t mr_enclave[32];
    uint8_t reserved2[32];
    uint8_t mr_signer[32];
    uint8_t reserved3[32];
    uint8_t config_id[64];
    uint16_t isv_prod_id;
    uint16_t isv_svn;
    uint16_t config_svn;
    uint8_t reserved4[42];
    uint8_t isv_family_id[16];
    uint8_t report_data[64];
};

/* TD report body 1.0 (584 bytes) and 1.5 (648 bytes) (FORMATS.md 2.1). */
struct ay_dcap_td_report {
    uint8_t tee_tcb_svn[16];
    uint8_t mr_seam[48];
    uint8_t mrsigner_seam[48];
    uint8_t seam_attributes[8];
    uint8_t td_attributes[8];
    uint8_t xfam[8];
    uint8_t mr_td[48];
    uint8_t mr_config_id[48];
    uint8_t mr_owner[48];
    uint8_t mr_owner_config[48];
    uint8_t rtmr[4][48];
    uint8_t report_data[64];
    bool is_15; /* the two fields below are present */
    uint8_t tee_tcb_svn2[16];
    uint8_t mr_servicetd[48];
};

struct ay_dcap_quote {
    /* header (48 bytes) */
    uint16_t version;
    uint16_t att_key_type;
    uint32_t tee_type;
    uint8_t reserved[4]; /* v3: QE SVN u16, PCE SVN u16; TDX: reserved (FORMATS.md 0.5) */
    uint8_t qe_vendor_id[16];
    uint8_t user_data[20];
    /* v5 only */
    uint16_t body_type; /* 1 SGX, 2 TD 1.0, 3 TD 1.5; v3/v4: 0 */
    uint32_t body_size;
    /* body: sgx when tee_type == 0, td otherwise */
    struct ay_dcap_sgx_report sgx;
    struct ay_dcap_td_report td;
    struct ay_span signed_bytes; /* header..body: what the attestation key signs */
    /* signature data */
    uint8_t signature[AY_DCAP_SIG_LEN];
    uint8_t att_key[AY_DCAP_KEY_LEN];
    uint16_t outer_cert_type; /* 6 for v4/v5, 5 for v3 */
    struct ay_span qe_report_bytes; /* 384 bytes, what the PCK key signs */
    struct ay_dcap_sgx_report qe_report;
    uint8_t qe_report_sig[AY_DCAP_SIG_LEN];
    struct ay_span qe_auth_data;
    uint16_t cert_type; /* the inner certification data type; only 5 is verifiable */
    struct ay_span cert_data; /* PEM chain for type 5 */
    size_t trailing; /* bytes after the signature data (allowed, FORMATS.md 2.1) */
};

/* Parses a quote strictly (FORMATS.md 2.1/2.2 step 1). Spans borrow from in. */
AY_MUST_USE ay_err ay_dcap_quote_parse(struct ay_diag *d, struct ay_span in,
                                       struct ay_dcap_quote *out);

/* The PCK certificate SGX extension, OID 1.2.840.113741.1.13.1 (FORMATS.md 2.3). */
struct ay_dcap_pck_ext {
    uint8_t ppid[16];
    uint8_t comp_svn[16];
    uint16_t pce_svn;
    uint8_t cpu_svn[16];
    uint8_t pce_id[2];
    uint8_t fmspc[6];
    int sgx_type; /* 0 Standard, 1 Scalable, 2 Scalable with Integrity */
    bool has_platform_instance_id;
    uint8_t platform_instance_id[16];
    bool has_config;
    bool dynamic_platform;
    bool cached_keys;
    bool smt_enabled;
};

/* Parses the DER value of the extension (the extnValue content). */
AY_MUST_USE ay_err ay_dcap_pck_ext_parse(struct ay_diag *d, struct ay_span der,
                                         struct ay_dcap_pck_ext *out);

/* The result of ay_dcap_verify: facts for the claims. */
struct ay_dcap_result {
    struct ay_dcap_pck_ext pck;
    bool platform_ca;           /* "Intel SGX PCK Platform CA" issued the PCK leaf */
    bool revocation_checked;    /* both CRLs were given and checked */
    bool collateral;            /* TCB info and QE identity were evaluated */
    const char *tcb_status;     /* "UpToDate" ... or "Unknown" without collateral */
    const char *qe_tcb_status;  /* QE identity status, or NULL */
    json_t *advisory_ids;       /* array (new reference; caller decrefs), never NULL */
    int64_t tcb_date;           /* matched level date, or 0 */
    int64_t earliest_issue_date, latest_issue_date, earliest_expiration_date;
    int64_t tcb_eval_num;
    int64_t pck_crl_num, root_ca_crl_num; /* cRLNumber of the checked CRLs, -1 if none */
    bool collateral_expired;
    uint8_t root_key_id[48];    /* QVL root_key_id: SHA-384 of the root CA public key */
};

/* Verifies the quote with the given endorsements at ctx->now (FORMATS.md 2.2, in QVL's order).
 * Without TCB info / QE identity the status is "Unknown", unless require_collateral (then
 * AY_ERR_VERIFY). On failure nothing is left in *out to free. Thread-safe: the outcome of the
 * PCK chain, CRL, collateral-signature and QE-report checks is reused for later quotes with
 * the same QE part and endorsement bytes while ctx->now stays inside the validity window of
 * everything involved; the quote signature and the TCB status are computed every time. */
AY_MUST_USE ay_err ay_dcap_verify(struct ay_ctx *ctx, const struct ay_dcap_quote *q,
                                  const struct ay_endorsement *e, size_t n_e,
                                  bool require_collateral, struct ay_dcap_result *out);
void ay_dcap_result_clear(struct ay_dcap_result *r);

/* Collateral source (FORMATS.md 2.4; issue 4 "Sources"): called by ay_dcap_verify when the
 * endorsements hold no TCB info / QE identity. It returns, as endorsement files allocated in
 * ctx->arena, the served TCB info and QE identity bodies, their issuer chain and both CRLs for
 * this FMSPC / PCK CA, from a cache (valid until nextUpdate), a local collateral directory or a
 * PCCS/PCS over libcurl (tee_dcap_source.c). Returned files go through the same checks as given
 * ones, and the verified outcome is reused (keyed by the given inputs) until the fetched
 * collateral's window ends: the source is not asked again on the hot path. None is set by
 * default: no network on the verification path unless configured (verifier_config.dcap_verifier,
 * docs/CONFIG.md). */
#define AY_DCAP_COLL_MAX_FILES 8
struct ay_dcap_coll_request {
    bool tdx;            /* TDX (tdx/certification/v4) or SGX endpoints */
    uint8_t fmspc[6];
    bool platform_ca;    /* PCK CRL ca=platform, else ca=processor */
    int64_t at;          /* the verification time: a cached item must be valid then */
};
typedef ay_err ay_dcap_coll_fetch_fn(void *arg, struct ay_ctx *ctx,
                                     const struct ay_dcap_coll_request *req,
                                     struct ay_endorsement *out, size_t max, size_t *out_n);
/* Installs the process-wide source (NULL: none) and drops the reused outcomes. Set at start-up
 * or on a configuration change (ay_dcap_source_use), not per request. */
void ay_dcap_set_collateral_source(ay_dcap_coll_fetch_fn *fn, void *arg);

/* The pinned Intel SGX Root CA (intel_root.c): PEM text and its SHA-256(DER). */
extern const char ay_dcap_intel_root_pem[];
extern const uint8_t ay_dcap_intel_root_sha256[32];
/* A new reference to the parsed pinned root (parsed once, checked against the SHA-256). */
AY_MUST_USE ay_err ay_dcap_intel_root(struct ay_diag *d, struct ay_x509 **out);

/* Drops every reused verification outcome (tests; a changed trust configuration). */
void ay_dcap_cache_clear(void);

/* For tests: verify against this anchor instead of the pinned Intel root (NULL restores the
 * pin). Not thread-safe; tests only. */
void ay_dcap_test_set_root(struct ay_x509 *root);

/* Shared evidence helpers of tee_tdx.c / tee_sgx.c: the quote bytes from Trustee's JSON
 * evidence ({"quote": base64}) or the raw quote itself (CLI). */
AY_MUST_USE ay_err ay_dcap_evidence_quote(struct ay_ctx *ctx, struct ay_span evidence,
                                          json_t **out_json, struct ay_span *out_quote);
/* Adds the supplemental claims of r (Trustee's QVL claim names, TRUSTEE.md 7.3). */
AY_MUST_USE ay_err ay_dcap_result_claims(struct ay_ctx *ctx, const struct ay_dcap_result *r,
                                         json_t *claims);
/* Trustee's regularize_data (TRUSTEE.md 3.5) compare: expected zero-padded/truncated to n. */
bool ay_dcap_regularized_eq(struct ay_span expected, const uint8_t *field, size_t n);
/* json helpers: hex string member. */
AY_MUST_USE ay_err ay_dcap_set_hex(struct ay_ctx *ctx, json_t *obj, const char *key,
                                   const uint8_t *p, size_t n);

#endif
