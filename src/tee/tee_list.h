/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier registry: one line per verifier, AY_TEE(name_string, device_class, verify_fn).
 * Each verifier adds its own line when it is ready; no include guard on purpose. */
