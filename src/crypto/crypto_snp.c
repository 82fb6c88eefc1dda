/* SPDX-License-Identifier: Apache-2.0 */
/* The AMD ARK CRL check (FORMATS.md 1.5 step 5; KDS https://kdsintf.amd.com/vcek/v1/<P>/crl,
 * DER, signed RSASSA-PSS SHA-384 by the ARK). Certificates come in as struct ay_x509 and are
 * re-read from their DER, so crypto_x509.c keeps its structs private. */
#include "crypto/crypto_snp.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/crypto_ossl.h"
#include "crypto/crypto_x509.h"

static X509 *der_cert(const struct ay_x509 *c)
{
    struct ay_span der = ay_x509_der(c);
    const unsigned char *p = der.ptr;
    return d2i_X509(NULL, &p, (long)der.len);
}

static X509_CRL *load_crl(struct ay_span in)
{
    if (in.len > 0x7fffffff) {
        return NULL;
    }
    const unsigned char *p = in.ptr;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)in.len);
    if (crl != NULL) {
        return crl;
    }
    ay_ossl_clear();
    BIO *b = BIO_new_mem_buf(in.ptr, (int)in.len);
    if (b == NULL) {
        return NULL;
    }
    crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
    BIO_free(b);
    return crl;
}

/* -1 before, 0 inside, 1 after; 2 on error. */
static int cmp_time(const ASN1_TIME *t, int64_t at)
{
    ASN1_TIME *ref = ASN1_TIME_adj(NULL, (time_t)at, 0, 0);
    if (ref == NULL) {
        return 2;
    }
    int r = ASN1_TIME_compare(t, ref);
    ASN1_TIME_free(ref);
    return r;
}

/* Unix seconds of an ASN1_TIME; false if it cannot be read. */
static bool unix_of(const ASN1_TIME *t, int64_t *out)
{
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    int days = 0;
    int secs = 0;
    bool ok = epoch != NULL && ASN1_TIME_diff(&days, &secs, epoch, t) == 1;
    ASN1_TIME_free(epoch);
    if (ok) {
        *out = (int64_t)days * 86400 + secs;
    }
    return ok;
}

ay_err ay_snp_crl_check(struct ay_diag *d, struct ay_span crl_in, const struct ay_x509 *ark,
                        const struct ay_x509 *const *certs, size_t n_certs, int64_t at)
{
    int64_t lo = INT64_MIN;
    int64_t hi = INT64_MAX;
    return ay_snp_crl_check_window(d, crl_in, ark, certs, n_certs, at, &lo, &hi);
}

ay_err ay_snp_crl_check_window(struct ay_diag *d, struct ay_span crl_in, const struct ay_x509 *ark,
                               const struct ay_x509 *const *certs, size_t n_certs, int64_t at,
                               int64_t *lo, int64_t *hi)
{
    ay_err err = AY_OK;
    X509_CRL *crl = NULL;
    X509 *ark_x = NULL;
    X509 *c = NULL;
    EVP_PKEY *key = NULL;
    const ASN1_TIME *this_upd = NULL;
    const ASN1_TIME *next_upd = NULL;
    int64_t t_this = 0;
    int64_t t_next = INT64_MAX;

    crl = load_crl(crl_in);
    if (crl == NULL) {
        err = ay_ossl_fail(d, AY_ERR_MALFORMED, "snp: CRL does not parse");
        goto out;
    }
    ark_x = der_cert(ark);
    if (ark_x == NULL) {
        err = ay_ossl_fail(d, AY_ERR_INTERNAL, "snp: pinned ARK does not re-parse");
        goto out;
    }
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ark_x)) != 0) {
        err = AY_ERR_NOT_FOUND; /* another issuer's CRL: not for this chain */
        goto out;
    }
    key = X509_get_pubkey(ark_x);
    if (key == NULL) {
        err = ay_ossl_fail(d, AY_ERR_CRYPTO, "snp: ARK public key");
        goto out;
    }
    /* RFC 5280 6.3.3 (f): the CRL signature must verify under the issuer's key. */
    if (X509_CRL_verify(crl, key) != 1) {
        ay_ossl_clear();
        err = FAIL(d, AY_ERR_BAD_SIGNATURE, "snp: CRL signature does not verify under the ARK");
        goto out;
    }
    this_upd = X509_CRL_get0_lastUpdate(crl);
    next_upd = X509_CRL_get0_nextUpdate(crl);
    if (this_upd == NULL || cmp_time(this_upd, at) > 0) {
        err = FAIL(d, AY_ERR_EXPIRED, "snp: CRL thisUpdate is after the verification time");
        goto out;
    }
    if (next_upd != NULL && cmp_time(next_upd, at) < 0) {
        err = FAIL(d, AY_ERR_EXPIRED, "snp: CRL nextUpdate is before the verification time");
        goto out;
    }
    for (size_t i = 0; i < n_certs; i++) {
        c = der_cert(certs[i]);
        if (c == NULL) {
            err = ay_ossl_fail(d, AY_ERR_INTERNAL, "snp: certificate does not re-parse");
            goto out;
        }
        X509_REVOKED *rev = NULL;
        if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(c)) == 1) {
            char subj[256];
            ay_x509_subject(certs[i], subj, sizeof subj);
            err = FAIL(d, AY_ERR_REVOKED, "snp: %s is revoked by the ARK CRL", subj);
            goto out;
        }
        X509_free(c);
        c = NULL;
    }
    /* The verdict holds while the CRL is current; an unreadable time leaves no window. */
    if (!unix_of(this_upd, &t_this) || (next_upd != NULL && !unix_of(next_upd, &t_next))) {
        t_this = INT64_MAX;
        t_next = INT64_MIN;
    }
    *lo = t_this > *lo ? t_this : *lo;
    *hi = t_next < *hi ? t_next : *hi;
out:
    X509_free(c);
    EVP_PKEY_free(key);
    X509_free(ark_x);
    X509_CRL_free(crl);
    ay_ossl_clear();
    return err;
}
