/* SPDX-License-Identifier: Apache-2.0 */
/* Small OpenSSL helpers for the DCAP verifier beyond crypto_x509.h: the validity window, number and
 * issuer kind of a CRL (reuse window of a verified chain; QVL claims pck_crl_num / root_ca_crl_num). */
#ifndef AY_CRYPTO_CRYPTO_DCAP_H
#define AY_CRYPTO_CRYPTO_DCAP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base_cursor.h"
#include "base/base_err.h"

struct ay_dcap_crl_info {
    int64_t this_update;
    int64_t next_update; /* INT64_MAX when absent */
    int64_t number;      /* the cRLNumber extension, -1 when absent or too large */
    bool root_issuer;    /* issued by a CA whose CN ends in "Root CA" (Intel SGX Root CA) */
};

/* Facts of a CRL given as DER or PEM (times as Unix seconds). AY_ERR_MALFORMED when it is not a
 * CRL. */
AY_MUST_USE ay_err ay_dcap_crl_info(struct ay_diag *d, struct ay_span in,
                                    struct ay_dcap_crl_info *out);

#endif
