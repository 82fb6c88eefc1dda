/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier registry: one line per verifier, AY_TEE(name_string, device_class, verify_fn).
 * Each verifier adds its own line when it is ready; no include guard on purpose. */
AY_TEE("sample", "cpu", ay_tee_sample_verify)
AY_TEE("sampledevice", "gpu", ay_tee_sampledevice_verify)
AY_TEE("snp", "cpu", ay_tee_snp_verify)
AY_TEE("tdx", "cpu", ay_tee_tdx_verify)
AY_TEE("sgx", "cpu", ay_tee_sgx_verify)
AY_TEE("cca", "cpu", ay_tee_cca_verify)
AY_TEE("csv", "cpu", ay_tee_csv_verify)
AY_TEE("az-snp-vtpm", "cpu", ay_tee_az_snp_vtpm_verify)
AY_TEE("az-tdx-vtpm", "cpu", ay_tee_az_tdx_vtpm_verify)
AY_TEE("tpm", "cpu", ay_tee_tpm_verify)
