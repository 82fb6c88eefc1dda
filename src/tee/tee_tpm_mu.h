/* SPDX-License-Identifier: Apache-2.0 */
/* tpm2-tss libtss2-mu, loaded on first use (base_dl.h) instead of at program start: only TPM
 * evidence (tee_tpm.c) unmarshals TPM structures, while every CLI run paid for mapping the
 * library (issue 3). Types and constants still come from <tss2/tss2_mu.h> (header only); the
 * three unmarshal functions are reached through struct ay_tpm_mu, whose slots are typed after
 * the header's own declarations. */
#ifndef AY_TEE_TPM_MU_H
#define AY_TEE_TPM_MU_H

#include <tss2/tss2_mu.h>

#include "base/base_err.h"

#define AY_TPM_MU_SONAME  "libtss2-mu.so.0"
#define AY_TPM_MU_PACKAGE "libtss2-mu0"

/* The libtss2-mu entry points assay uses; all non-NULL once the table is handed out. */
struct ay_tpm_mu {
    __typeof__(Tss2_MU_TPMS_ATTEST_Unmarshal) *tpms_attest_unmarshal;
    __typeof__(Tss2_MU_TPMT_SIGNATURE_Unmarshal) *tpmt_signature_unmarshal;
    __typeof__(Tss2_MU_TPMT_PUBLIC_Unmarshal) *tpmt_public_unmarshal;
};

/* The table, loading libtss2-mu on the first call. AY_ERR_LIBRARY with "cannot load
 * libtss2-mu.so.0 (install libtss2-mu0): <loader message>" (or "libtss2-mu.so.0 has no
 * <symbol> (not libtss2-mu?)") when it cannot be had; later calls return the same outcome.
 * Thread-safe. */
AY_MUST_USE ay_err ay_tpm_mu_get(struct ay_diag *d, const struct ay_tpm_mu **out);

/* Tries another library name as ay_tpm_mu_get would, without keeping it or changing what the
 * table uses: for tests of the messages. */
AY_MUST_USE ay_err ay_tpm_mu_probe(const char *soname, struct ay_diag *d);

/* For tests of a machine without libtss2-mu: the name the first load will try instead of
 * AY_TPM_MU_SONAME (borrowed: a static string). Call before anything unmarshals; once the table
 * was asked for, it is AY_ERR_INTERNAL and changes nothing. Not thread-safe. */
AY_MUST_USE ay_err ay_tpm_mu_use_soname(const char *soname);

#endif
