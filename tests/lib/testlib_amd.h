/* SPDX-License-Identifier: Apache-2.0 */
/* A test-time AMD-like PKI for SEV-SNP (ARK -> ASK -> VCEK, RSA-PSS SHA-384 above a P-384
 * VCEK with AMD's TCB / hwID / productName extensions) and a report signer, for the verifiers
 * that embed SNP reports (Azure vTPM, Cocos). Milan layout. Include after <cmocka.h>. */
#ifndef AY_TESTLIB_AMD_H
#define AY_TESTLIB_AMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tee/tee_snp.h"

struct ay_test_amd {
    EVP_PKEY *ark_key, *ask_key, *vcek_key, *evil_key;
    X509 *ark, *ask, *vcek;
    X509 *rogue_vcek; /* same subject and key, chained to a foreign ARK */
    uint8_t chip_id[64];
    uint64_t tcb;              /* REPORTED_TCB (Milan layout) */
    struct ay_snp_trust trust; /* the test ARK/ASK pinned */
};

/* Certificates valid from not_before for ~7 years (VCEK) / 20 years (ARK, ASK). */
void ay_test_amd_init(struct ay_test_amd *p, int64_t not_before);
void ay_test_amd_free(struct ay_test_amd *p);

/* A valid Milan v3 report (VMPL 0, policy 0x30000, TCBs = p->tcb, CHIP_ID) with report_data. */
void ay_test_amd_report(const struct ay_test_amd *p, const uint8_t report_data[64],
                        uint8_t out[AY_SNP_REPORT_LEN]);
/* Signs report[0:0x2A0] with key (ECDSA P-384 / SHA-384), R/S little-endian at 0x2A0/0x2E8. */
void ay_test_amd_sign(EVP_PKEY *key, uint8_t report[AY_SNP_REPORT_LEN]);
/* DER of x into a malloc'd buffer. */
uint8_t *ay_test_amd_der(X509 *x, size_t *len);

#endif
