/* SPDX-License-Identifier: Apache-2.0 */
/* The libtss2-mu table of tee_tpm_mu.h, filled by name from libtss2-mu.so.0 on first use. */
#include "tee/tee_tpm_mu.h"

#include "base/base_dl.h"

static const struct ay_dl_sym MU_SYMS[] = {
    AY_DL_SYM(struct ay_tpm_mu, tpms_attest_unmarshal, "Tss2_MU_TPMS_ATTEST_Unmarshal"),
    AY_DL_SYM(struct ay_tpm_mu, tpmt_signature_unmarshal, "Tss2_MU_TPMT_SIGNATURE_Unmarshal"),
    AY_DL_SYM(struct ay_tpm_mu, tpmt_public_unmarshal, "Tss2_MU_TPMT_PUBLIC_Unmarshal"),
};

/* Every slot of the table is listed once: a field added without its symbol would stay NULL. */
_Static_assert(sizeof MU_SYMS / sizeof MU_SYMS[0] * sizeof(void *) == sizeof(struct ay_tpm_mu),
               "MU_SYMS must list every slot of struct ay_tpm_mu");

/* Not const only for ay_tpm_mu_use_soname; read under g_once's lock, at the first load. */
static struct ay_dl_spec g_spec = {
    .soname = AY_TPM_MU_SONAME,
    .package = AY_TPM_MU_PACKAGE,
    .kind = "libtss2-mu",
    .code = AY_ERR_LIBRARY,
    .syms = MU_SYMS,
    .n_syms = sizeof MU_SYMS / sizeof MU_SYMS[0],
    .init = NULL,
};

static struct ay_tpm_mu g_mu;
static struct ay_dl_once g_once = AY_DL_ONCE_INIT;

ay_err ay_tpm_mu_get(struct ay_diag *d, const struct ay_tpm_mu **out)
{
    TRY(ay_dl_load(&g_once, &g_spec, &g_mu, d));
    *out = &g_mu;
    return AY_OK;
}

ay_err ay_tpm_mu_use_soname(const char *soname)
{
    ENSURE(!ay_dl_tried(&g_once) && soname != NULL, AY_ERR_INTERNAL);
    g_spec.soname = soname;
    return AY_OK;
}

ay_err ay_tpm_mu_probe(const char *soname, struct ay_diag *d)
{
    struct ay_dl_spec spec = g_spec;
    spec.soname = soname;
    struct ay_tpm_mu mu;
    void *h = NULL;
    TRY(ay_dl_open(&spec, &mu, &h, d));
    ay_dl_close(h);
    return AY_OK;
}
