/* SPDX-License-Identifier: Apache-2.0 */
/* AMD SEV-SNP specifics that need OpenSSL beyond crypto_x509.h: the ARK-issued CRL check of
 * FORMATS.md 1.5 step 5 (AMD revokes AS[V]Ks, not VCEKs, so only the intermediate is checked,
 * as go-sev-guest does; a CRL_CHECK_ALL chain would demand a CRL for the VCEK too). */
#ifndef AY_CRYPTO_SNP_H
#define AY_CRYPTO_SNP_H

#include <stddef.h>
#include <stdint.h>

#include "base/base_cursor.h"
#include "base/base_err.h"

struct ay_x509;

/* crl (DER or PEM) must be issued by ark (name and RSA-PSS signature), be current at `at`
 * (thisUpdate <= at <= nextUpdate) and list none of the serials of certs. Errors:
 * AY_ERR_MALFORMED (not a CRL), AY_ERR_NOT_FOUND (issued by someone else: not for this chain),
 * AY_ERR_BAD_SIGNATURE, AY_ERR_EXPIRED, AY_ERR_REVOKED (message names the subject). */
AY_MUST_USE ay_err ay_snp_crl_check(struct ay_diag *d, struct ay_span crl,
                                    const struct ay_x509 *ark, const struct ay_x509 *const *certs,
                                    size_t n_certs, int64_t at);

/* The same, and on AY_OK narrows [*lo, *hi] to the CRL's [thisUpdate, nextUpdate] (nextUpdate
 * absent: no upper bound), so a caller caching the verdict knows when it must re-check. */
AY_MUST_USE ay_err ay_snp_crl_check_window(struct ay_diag *d, struct ay_span crl,
                                           const struct ay_x509 *ark,
                                           const struct ay_x509 *const *certs, size_t n_certs,
                                           int64_t at, int64_t *lo, int64_t *hi);

#endif
