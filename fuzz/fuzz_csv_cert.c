/* SPDX-License-Identifier: Apache-2.0 */
/* Target functions: ay_csv_ca_cert_parse, ay_csv_cert_parse, and the SM2 link checks on what
 * parses (a CA certificate checked as self-signed, a CSV certificate against the first CA of
 * the input). Property: no crash, no UB; synthetic certificates never verify. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tee/tee_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_csv_ca_cert ca;
    struct ay_csv_cert cert;
    bool has_ca = false;
    if (size >= AY_CSV_CA_CERT_LEN &&
        ay_csv_ca_cert_parse(&d, ay_span_of(data, AY_CSV_CA_CERT_LEN), &ca) == AY_OK) {
        has_ca = true;
        if (ay_csv_ca_verify(&d, &ca, &ca) == AY_OK && ca.usage == 0x13) {
            abort(); /* an HSK-usage seed is never self-signed */
        }
    }
    size_t off = size == AY_CSV_CA_CERT_LEN + AY_CSV_CERT_LEN ? AY_CSV_CA_CERT_LEN : 0;
    if (size - off >= AY_CSV_CERT_LEN &&
        ay_csv_cert_parse(&d, ay_span_of(data + off, AY_CSV_CERT_LEN), &cert) == AY_OK && has_ca &&
        ay_csv_cek_verify(&d, &cert, &ca) == AY_OK && ca.usage == 0x13) {
        abort(); /* the synthetic seeds carry zero signatures */
    }
    return 0;
}
