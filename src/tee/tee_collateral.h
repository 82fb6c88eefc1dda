/* SPDX-License-Identifier: Apache-2.0 */
/* Intel PCS collateral: TCB info v3 (SGX and TDX, incl. tdxModuleIdentities) and QE identity v2
 * (FORMATS.md 2.4), with the signature checked over the exact served bytes of the "tcbInfo" /
 * "enclaveIdentity" value, and the TCB status computed as Intel's QVL does (FORMATS.md 2.5). */
#ifndef AY_TEE_TEE_COLLATERAL_H
#define AY_TEE_TEE_COLLATERAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/base_cursor.h"
#include "base/base_err.h"
#include "base/base_limits.h"

struct ay_ctx;
struct ay_dcap_quote;
struct ay_dcap_pck_ext;
struct ay_x509;

#define AY_COLL_MAX_LEVELS AY_LIMIT_DCAP_TCB_LEVELS /* real lists have < 40 */
#define AY_COLL_MAX_MODULES 32 /* tdxModuleIdentities */
#define AY_COLL_MAX_DOC AY_LIMIT_DCAP_COLLATERAL

struct ay_coll_level {
    uint8_t sgx_svn[16];
    uint16_t pce_svn;
    uint8_t tdx_svn[16];
    bool has_tdx;
    uint16_t isv_svn;        /* QE identity and module identity levels */
    int64_t tcb_date;
    const char *status;      /* borrowed from the document's JSON */
    const json_t *advisory;  /* borrowed array, may be NULL */
};

struct ay_coll_module {
    char id[16];             /* "TDX_01" */
    uint8_t mrsigner[48];
    uint8_t attributes[8];
    uint8_t attributes_mask[8];
    struct ay_coll_level *levels;
    size_t n_levels;
};

/* A parsed "tcbInfo" (kind TCB) or "enclaveIdentity" (kind QE) document. */
struct ay_coll_doc {
    bool is_identity;
    json_t *body;            /* owned: the JSON of the signed value */
    struct ay_span signed_bytes; /* borrowed from the input document */
    uint8_t signature[64];
    char id[16];             /* "SGX" / "TDX" / "QE" / "TD_QE" */
    int64_t version;
    int64_t issue_date, next_update;
    int64_t tcb_eval_num;
    /* TCB info */
    uint8_t fmspc[6];
    uint8_t pce_id[2];
    bool has_tdx_module;
    struct ay_coll_module module; /* tdxModule (levels unused) */
    struct ay_coll_module *modules;
    size_t n_modules;
    /* QE identity */
    uint32_t miscselect, miscselect_mask;
    uint8_t attributes[16], attributes_mask[16];
    uint8_t mrsigner[32];
    uint16_t isvprodid;
    /* both */
    struct ay_coll_level *levels;
    size_t n_levels;
};

/* Parses a served document ({"tcbInfo":{...},"signature":"..."} or the enclaveIdentity form).
 * No signature check here. Free with ay_coll_doc_clear. */
AY_MUST_USE ay_err ay_coll_doc_parse(struct ay_diag *d, struct ay_span doc, struct ay_coll_doc *out);
void ay_coll_doc_clear(struct ay_coll_doc *doc);
/* true when the document is collateral of this kind (by its top-level member). */
bool ay_coll_doc_sniff(struct ay_span doc, bool *is_identity);

/* ECDSA-P256 over signed_bytes with the signing certificate's key, and validity at `at`. */
AY_MUST_USE ay_err ay_coll_doc_verify(struct ay_diag *d, const struct ay_coll_doc *doc,
                                      const struct ay_x509 *signer, int64_t at);

struct ay_coll_result {
    const char *tcb_status;  /* static string */
    const char *qe_status;
    const char *platform_status;
    const char *module_status;
    json_t *advisory_ids;    /* new array */
    int64_t tcb_date;
    int64_t qe_tcb_date;
};

/* The TCB status (FORMATS.md 2.5) for the quote and PCK values against verified documents.
 * Terminal results (NotSupported, Revoked, mismatches) are AY_ERR_TCB with the reason. */
AY_MUST_USE ay_err ay_coll_evaluate(struct ay_diag *d, const struct ay_dcap_quote *q,
                                    const struct ay_dcap_pck_ext *pck,
                                    const struct ay_coll_doc *tcb, const struct ay_coll_doc *qe,
                                    struct ay_coll_result *out);

#endif
