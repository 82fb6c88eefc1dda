/* SPDX-License-Identifier: Apache-2.0 */
/* DCAP collateral sources behind ay_dcap_set_collateral_source (issue 4 "Sources", FORMATS.md
 * 2.4): a local collateral directory (offline), an in-memory and on-disk cache valid until the
 * earliest nextUpdate, and a PCCS / Intel PCS v4 over libcurl. Configured from
 * verifier_config.dcap_verifier (Trustee's keys plus assay's, docs/CONFIG.md "DCAP collateral"). */
#ifndef AY_TEE_TEE_DCAP_SOURCE_H
#define AY_TEE_TEE_DCAP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/base_err.h"

struct ay_dcap_source_config {
    char *local_dir;  /* offline collateral directory, or NULL */
    char *base_url;   /* PCCS / PCS as scheme://host[:port], or NULL: no network */
    bool secure_cert; /* verify the server's TLS certificate (QCNL use_secure_cert) */
    bool early;       /* tcb_update_type "early" (Trustee's default) or "standard" */
    char *cache_dir;  /* on-disk cache, or NULL: memory only */
    long timeout_s;   /* per HTTP request */
};

/* Reads verifier_config (the whole object; its "dcap_verifier" member is used). *present is
 * false when there is no "dcap_verifier" object (then nothing is configured). A "qcnl_conf" key
 * names an sgx_default_qcnl.conf JSON whose pccs_url / collateral_service / use_secure_cert are
 * read (keys given in dcap_verifier win). Free with ay_dcap_source_config_clear. */
AY_MUST_USE ay_err ay_dcap_source_config_parse(struct ay_diag *d, const json_t *verifier_config,
                                               struct ay_dcap_source_config *out, bool *present);
void ay_dcap_source_config_clear(struct ay_dcap_source_config *c);

/* Parses the text of an sgx_default_qcnl.conf (JSON; whole-line // comments allowed). */
AY_MUST_USE ay_err ay_dcap_source_qcnl_parse(struct ay_diag *d, const uint8_t *text, size_t n,
                                             json_t **out);

/* Installs the source for this verifier_config when it holds a "dcap_verifier" object, and
 * replaces it when the object changed since the last call; removes a source it installed when
 * the object is gone. Cheap when nothing changed (called per verification by tee_tdx/tee_sgx). */
AY_MUST_USE ay_err ay_dcap_source_use(struct ay_diag *d, const json_t *verifier_config);

/* Counters since the last reset (tests, metrics). */
struct ay_dcap_source_stats {
    uint64_t memory_hits;   /* answered from the in-memory cache */
    uint64_t dir_hits;      /* answered from the local collateral directory */
    uint64_t disk_hits;     /* answered from the on-disk cache */
    uint64_t fetches;       /* answered from the network */
    uint64_t http_requests; /* HTTP requests made (each fetch makes four) */
};

void ay_dcap_source_stats(struct ay_dcap_source_stats *out);

/* Uninstalls the source and drops the in-memory cache and the counters (tests). */
void ay_dcap_source_reset(void);

#endif
