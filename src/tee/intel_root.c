/* SPDX-License-Identifier: Apache-2.0 */
/* The pinned Intel SGX Root CA (public vendor root; FORMATS.md section 8): subject CN "Intel SGX
 * Root CA", serial 22650CD65A9D3489F383B49552BF501B392706AC, 2018-05-21 to 2049-12-31,
 * SHA-256(DER) 44a0196b...b674d3. Every PCK chain and collateral issuer chain must end here. */
#include "tee/tee_dcap.h"

#include <pthread.h>
#include <string.h>

#include "base/base_ctx.h"
#include "crypto/crypto_digest.h"
#include "crypto/crypto_x509.h"

const char ay_dcap_intel_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw\n"
    "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
    "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
    "BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG\n"
    "A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0\n"
    "aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT\n"
    "AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7\n"
    "1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB\n"
    "uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ\n"
    "MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50\n"
    "ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV\n"
    "Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI\n"
    "KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg\n"
    "AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=\n"
    "-----END CERTIFICATE-----\n";

/* FORMATS.md section 8, "Intel SGX Root CA" row. */
const uint8_t ay_dcap_intel_root_sha256[32] = {
    0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89,
    0xb8, 0xe1, 0x49, 0xe9, 0x5b, 0x80, 0x7a, 0x35,
    0x0e, 0x74, 0x24, 0x96, 0x43, 0x99, 0xe8, 0x85,
    0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3,
};

static pthread_once_t root_once = PTHREAD_ONCE_INIT;
static struct ay_x509 *root_cert;
static struct ay_diag root_diag;
static struct ay_x509 *test_root;

static void root_init(void)
{
    struct ay_x509 *c = NULL;
    if (ay_x509_parse(&root_diag, ay_span_of(ay_dcap_intel_root_pem, strlen(ay_dcap_intel_root_pem)),
                      &c) != AY_OK) {
        return;
    }
    struct ay_span der = ay_x509_der(c);
    uint8_t h[32];
    if (ay_hash(AY_HASH_SHA256, der.ptr, der.len, h) != AY_OK ||
        memcmp(h, ay_dcap_intel_root_sha256, sizeof h) != 0) {
        (void)FAIL(&root_diag, AY_ERR_INTERNAL, "embedded Intel SGX Root CA fails its SHA-256 pin");
        ay_x509_free(c);
        return;
    }
    root_cert = c;
}

ay_err ay_dcap_intel_root(struct ay_diag *d, struct ay_x509 **out)
{
    if (test_root != NULL) {
        *out = ay_x509_ref(test_root);
        return AY_OK;
    }
    (void)pthread_once(&root_once, root_init);
    if (root_cert == NULL) {
        return FAIL(d, AY_ERR_INTERNAL, "Intel SGX Root CA: %s", ay_diag_message(&root_diag));
    }
    *out = ay_x509_ref(root_cert);
    return AY_OK;
}

void ay_dcap_test_set_root(struct ay_x509 *root)
{
    if (test_root != NULL) {
        ay_x509_free(test_root);
    }
    test_root = root != NULL ? ay_x509_ref(root) : NULL;
}
