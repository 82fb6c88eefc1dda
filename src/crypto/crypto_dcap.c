/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL helpers of the DCAP verifier (FORMATS.md 10): facts of a CRL. */
#include "crypto/crypto_dcap.h"

#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/crypto_ossl.h"

static ay_err unix_time(struct ay_diag *d, const ASN1_TIME *t, int64_t *out)
{
    int days = 0, secs = 0;
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    if (epoch == NULL || ASN1_TIME_diff(&days, &secs, epoch, t) != 1) {
        ASN1_TIME_free(epoch);
        return ay_ossl_fail(d, AY_ERR_MALFORMED, "CRL: bad time");
    }
    ASN1_TIME_free(epoch);
    *out = (int64_t)days * 86400 + secs;
    return AY_OK;
}

ay_err ay_dcap_crl_info(struct ay_diag *d, struct ay_span in, struct ay_dcap_crl_info *out)
{
    ENSURE(in.len > 0 && in.len < INT_MAX, FAIL(d, AY_ERR_MALFORMED, "CRL: empty"));
    X509_CRL *crl = NULL;
    static const char pem[] = "-----BEGIN";
    if (in.len >= sizeof pem - 1 && memcmp(in.ptr, pem, sizeof pem - 1) == 0) {
        BIO *b = BIO_new_mem_buf(in.ptr, (int)in.len);
        if (b != NULL) {
            crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
            BIO_free(b);
        }
    } else {
        const unsigned char *p = in.ptr;
        crl = d2i_X509_CRL(NULL, &p, (long)in.len);
    }
    if (crl == NULL) {
        return ay_ossl_fail(d, AY_ERR_MALFORMED, "CRL: not a CRL");
    }
    struct ay_dcap_crl_info o = {.next_update = INT64_MAX, .number = -1};
    ay_err e = unix_time(d, X509_CRL_get0_lastUpdate(crl), &o.this_update);
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    if (e == AY_OK && next != NULL) {
        e = unix_time(d, next, &o.next_update);
    }
    ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    if (num != NULL) {
        long v = ASN1_INTEGER_get(num);
        o.number = v >= 0 ? (int64_t)v : -1;
        ASN1_INTEGER_free(num);
    }
    char cn[256] = "";
    int n = X509_NAME_get_text_by_NID(X509_CRL_get_issuer(crl), NID_commonName, cn, sizeof cn);
    static const char root[] = "Root CA";
    o.root_issuer = n >= (int)sizeof root - 1 &&
                    strcmp(cn + (size_t)n - (sizeof root - 1), root) == 0;
    X509_CRL_free(crl);
    ay_ossl_clear();
    if (e == AY_OK) {
        *out = o;
    }
    return e;
}
