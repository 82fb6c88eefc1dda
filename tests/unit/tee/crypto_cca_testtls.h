/* SPDX-License-Identifier: Apache-2.0 */
/* Test-only TLS material (OpenSSL, at test time): a self-signed P-256 server certificate for
 * IP 127.0.0.1 and its key, as PEM text, for the loopback Veraison stand-in of
 * test_tee_cca_remote.c (remote mode "ca-cert"). Header-only (static). */
#ifndef AY_TESTS_CRYPTO_CCA_TESTTLS_H
#define AY_TESTS_CRYPTO_CCA_TESTTLS_H

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* NUL-terminated PEM of a BIO's content (malloc'd). */
static char *testtls_bio_text(BIO *b)
{
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    char *s = malloc((size_t)n + 1);
    memcpy(s, p, (size_t)n);
    s[n] = '\0';
    return s;
}

/* *cert_pem and *key_pem are malloc'd; returns 0 on success. */
static int testtls_make(char **cert_pem, char **key_pem)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    if (k == NULL || x == NULL) {
        return -1;
    }
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1,
                               0);
    X509_set_issuer_name(x, n);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
    X509_EXTENSION *bc = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
    if (san == NULL || bc == NULL || X509_add_ext(x, san, -1) != 1 ||
        X509_add_ext(x, bc, -1) != 1 || X509_sign(x, k, EVP_sha256()) == 0) {
        return -1;
    }
    X509_EXTENSION_free(san);
    X509_EXTENSION_free(bc);
    BIO *cb = BIO_new(BIO_s_mem());
    BIO *kb = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(cb, x);
    PEM_write_bio_PrivateKey(kb, k, NULL, NULL, 0, NULL, NULL);
    *cert_pem = testtls_bio_text(cb);
    *key_pem = testtls_bio_text(kb);
    BIO_free(cb);
    BIO_free(kb);
    X509_free(x);
    EVP_PKEY_free(k);
    return 0;
}

#endif
