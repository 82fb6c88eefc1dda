/* SPDX-License-Identifier: Apache-2.0 */
/* The shared X.509 layer against a PKI generated at test time: chain to the pinned root,
 * expiry at a later time, a foreign root, a presented foreign self-signed root, CRL revocation,
 * raw ECDSA r||s (big- and little-endian) and RSA-PSS signatures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto_x509.h"

#define T0 1700000000 /* 2023-11-14 */
#define DAY 86400

static EVP_PKEY *gen_ec(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-384");
    assert_non_null(k);
    return k;
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, long serial,
                       bool ca, int64_t nb, int64_t na)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &(time_t){(time_t)nb});
    X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &(time_t){(time_t)na});
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *bc = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
                                             ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    X509_add_ext(x, bc, -1);
    X509_EXTENSION_free(bc);
    if (ca) {
        X509_EXTENSION *ku =
            X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
        X509_add_ext(x, ku, -1);
        X509_EXTENSION_free(ku);
    }
    assert_true(X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha384()) > 0);
    return x;
}

static struct ay_x509 *wrap(X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_x509 *c = NULL;
    assert_int_equal(ay_x509_parse(&d, ay_span_of(der, (size_t)n), &c), AY_OK);
    OPENSSL_free(der);
    return c;
}

struct pki {
    EVP_PKEY *root_key, *int_key, *leaf_key, *other_key;
    X509 *root, *inter, *leaf, *other_root;
    struct ay_x509 *r, *i, *l, *o;
};

static struct pki P;

static int setup(void **state)
{
    (void)state;
    P.root_key = gen_ec();
    P.int_key = gen_ec();
    P.leaf_key = gen_ec();
    P.other_key = gen_ec();
    P.root = make_cert("Test Root", P.root_key, NULL, NULL, 1, true, T0 - DAY, T0 + 3650 * DAY);
    /* A foreign root with the SAME subject as the real one. */
    P.other_root = make_cert("Test Root", P.other_key, NULL, NULL, 1, true, T0 - DAY,
                             T0 + 3650 * DAY);
    P.inter = make_cert("Test Intermediate", P.int_key, P.root, P.root_key, 2, true, T0 - DAY,
                        T0 + 1000 * DAY);
    P.leaf = make_cert("Test Leaf", P.leaf_key, P.inter, P.int_key, 3, false, T0 - DAY,
                       T0 + 30 * DAY);
    P.r = wrap(P.root);
    P.i = wrap(P.inter);
    P.l = wrap(P.leaf);
    P.o = wrap(P.other_root);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ay_x509_free(P.r);
    ay_x509_free(P.i);
    ay_x509_free(P.l);
    ay_x509_free(P.o);
    X509_free(P.root);
    X509_free(P.inter);
    X509_free(P.leaf);
    X509_free(P.other_root);
    EVP_PKEY_free(P.root_key);
    EVP_PKEY_free(P.int_key);
    EVP_PKEY_free(P.leaf_key);
    EVP_PKEY_free(P.other_key);
    return 0;
}

static ay_err verify(const struct ay_x509 *const *inter, size_t n, const struct ay_x509 *root,
                     int64_t at, const struct ay_x509_crl *const *crls, size_t ncrl,
                     struct ay_diag *d)
{
    ay_diag_clear(d);
    struct ay_x509_chain_in in = {
        .leaf = P.l,
        .intermediates = inter,
        .n_intermediates = n,
        .root = root,
        .crls = crls,
        .n_crls = ncrl,
        .at = at,
        .what = "test chain",
    };
    return ay_x509_chain_verify(d, &in);
}

static void test_chain_ok_and_time(void **state)
{
    (void)state;
    struct ay_diag d;
    const struct ay_x509 *inter[] = {P.i};
    assert_int_equal(verify(inter, 1, P.r, T0, NULL, 0, &d), AY_OK);
    /* The genuine root presented among the intermediates is fine. */
    const struct ay_x509 *inter2[] = {P.i, P.r};
    assert_int_equal(verify(inter2, 2, P.r, T0, NULL, 0, &d), AY_OK);
    /* Expired leaf later; not yet valid before. */
    assert_int_equal(verify(inter, 1, P.r, T0 + 31 * DAY, NULL, 0, &d), AY_ERR_EXPIRED);
    assert_non_null(strstr(d.msg, "test chain"));
    assert_int_equal(verify(inter, 1, P.r, T0 - 2 * DAY, NULL, 0, &d), AY_ERR_EXPIRED);
    /* Missing intermediate. */
    assert_int_equal(verify(NULL, 0, P.r, T0, NULL, 0, &d), AY_ERR_BAD_CHAIN);
}

static void test_foreign_roots(void **state)
{
    (void)state;
    struct ay_diag d;
    const struct ay_x509 *inter[] = {P.i};
    /* Pinned a different root with the same subject: the chain must not verify. */
    assert_int_equal(verify(inter, 1, P.o, T0, NULL, 0, &d), AY_ERR_BAD_CHAIN);
    /* A foreign self-signed root presented with the evidence is refused outright. */
    const struct ay_x509 *inter2[] = {P.i, P.o};
    assert_int_equal(verify(inter2, 2, P.r, T0, NULL, 0, &d), AY_ERR_BAD_CHAIN);
    assert_non_null(strstr(d.msg, "pinned root"));
}

static struct ay_x509_crl *make_crl(X509 *issuer, EVP_PKEY *key, long revoked_serial)
{
    X509_CRL *crl = X509_CRL_new();
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
    ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)(T0 - DAY));
    ASN1_TIME *nu = ASN1_TIME_set(NULL, (time_t)(T0 + 10 * DAY));
    X509_CRL_set1_lastUpdate(crl, t);
    X509_CRL_set1_nextUpdate(crl, nu);
    if (revoked_serial > 0) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *sn = ASN1_INTEGER_new();
        ASN1_INTEGER_set(sn, revoked_serial);
        X509_REVOKED_set_serialNumber(r, sn);
        X509_REVOKED_set_revocationDate(r, t);
        X509_CRL_add0_revoked(crl, r);
        ASN1_INTEGER_free(sn);
    }
    X509_CRL_sort(crl);
    assert_true(X509_CRL_sign(crl, key, EVP_sha384()) > 0);
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(crl, &der);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_x509_crl *out = NULL;
    assert_int_equal(ay_x509_crl_parse(&d, ay_span_of(der, (size_t)n), &out), AY_OK);
    OPENSSL_free(der);
    ASN1_TIME_free(t);
    ASN1_TIME_free(nu);
    X509_CRL_free(crl);
    return out;
}

static void test_crl(void **state)
{
    (void)state;
    struct ay_diag d;
    const struct ay_x509 *inter[] = {P.i};
    struct ay_x509_crl *root_crl = make_crl(P.root, P.root_key, 0);
    struct ay_x509_crl *good = make_crl(P.inter, P.int_key, 99);
    struct ay_x509_crl *bad = make_crl(P.inter, P.int_key, 3);
    const struct ay_x509_crl *ok_set[] = {root_crl, good};
    const struct ay_x509_crl *rev_set[] = {root_crl, bad};
    assert_int_equal(verify(inter, 1, P.r, T0, ok_set, 2, &d), AY_OK);
    assert_int_equal(verify(inter, 1, P.r, T0, rev_set, 2, &d), AY_ERR_REVOKED);
    /* CRL expired at a later time. */
    assert_int_equal(verify(inter, 1, P.r, T0 + 20 * DAY, ok_set, 2, &d), AY_ERR_EXPIRED);
    /* A CRL missing for one level is a failure with CRL_CHECK_ALL. */
    const struct ay_x509_crl *partial[] = {good};
    assert_int_equal(verify(inter, 1, P.r, T0, partial, 1, &d), AY_ERR_BAD_CHAIN);
    ay_x509_crl_free(root_crl);
    ay_x509_crl_free(good);
    ay_x509_crl_free(bad);
}

static void test_ecdsa_raw(void **state)
{
    (void)state;
    const uint8_t msg[] = "attestation report body";
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    size_t siglen = 0;
    assert_int_equal(EVP_DigestSignInit(mc, NULL, EVP_sha384(), NULL, P.leaf_key), 1);
    assert_int_equal(EVP_DigestSign(mc, NULL, &siglen, msg, sizeof msg), 1);
    unsigned char *der = OPENSSL_malloc(siglen);
    assert_int_equal(EVP_DigestSign(mc, der, &siglen, msg, sizeof msg), 1);
    EVP_MD_CTX_free(mc);
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
    uint8_t r[48], s[48], rle[72], sle[72];
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), r, 48), 48);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), s, 48), 48);
    assert_int_equal(BN_bn2lebinpad(ECDSA_SIG_get0_r(es), rle, 72), 72);
    assert_int_equal(BN_bn2lebinpad(ECDSA_SIG_get0_s(es), sle, 72), 72);
    ECDSA_SIG_free(es);

    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_pkey *k = NULL;
    assert_int_equal(ay_x509_pubkey(&d, P.l, &k), AY_OK);
    struct ay_span m = ay_span_of(msg, sizeof msg);
    assert_int_equal(ay_pkey_verify(&d, k, AY_HASH_SHA384, m, ay_span_of(der, siglen)), AY_OK);
    assert_int_equal(
        ay_pkey_verify_ecdsa_rs(&d, k, AY_HASH_SHA384, m, ay_span_of(r, 48), ay_span_of(s, 48)),
        AY_OK);
    assert_int_equal(ay_pkey_verify_ecdsa_rs_le(&d, k, AY_HASH_SHA384, m, ay_span_of(rle, 72),
                                                ay_span_of(sle, 72)),
                     AY_OK);
    r[5] ^= 1;
    assert_int_equal(
        ay_pkey_verify_ecdsa_rs(&d, k, AY_HASH_SHA384, m, ay_span_of(r, 48), ay_span_of(s, 48)),
        AY_ERR_BAD_SIGNATURE);
    /* Same key from raw X||Y. */
    uint8_t pub[97];
    size_t publen = 0;
    assert_int_equal(EVP_PKEY_get_octet_string_param(P.leaf_key, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                                     sizeof pub, &publen),
                     1);
    assert_int_equal(publen, 97);
    struct ay_pkey *k2 = NULL;
    assert_int_equal(ay_pkey_from_ec_xy(&d, AY_CURVE_P384, ay_span_of(pub + 1, 96), &k2), AY_OK);
    assert_int_equal(ay_pkey_verify(&d, k2, AY_HASH_SHA384, m, ay_span_of(der, siglen)), AY_OK);
    pub[10] ^= 1;
    struct ay_pkey *k3 = NULL;
    assert_int_equal(ay_pkey_from_ec_xy(&d, AY_CURVE_P384, ay_span_of(pub + 1, 96), &k3),
                     AY_ERR_MALFORMED);
    assert_null(k3);
    ay_pkey_free(k);
    ay_pkey_free(k2);
    OPENSSL_free(der);
}

static void test_rsa_pss_and_parse_errors(void **state)
{
    (void)state;
    EVP_PKEY *rk = EVP_RSA_gen(2048);
    assert_non_null(rk);
    const uint8_t msg[] = "pss message";
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    assert_int_equal(EVP_DigestSignInit(mc, &pc, EVP_sha384(), NULL, rk), 1);
    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST);
    size_t siglen = 0;
    assert_int_equal(EVP_DigestSign(mc, NULL, &siglen, msg, sizeof msg), 1);
    unsigned char *sig = OPENSSL_malloc(siglen);
    assert_int_equal(EVP_DigestSign(mc, sig, &siglen, msg, sizeof msg), 1);
    EVP_MD_CTX_free(mc);
    BIGNUM *n = NULL, *e = NULL;
    EVP_PKEY_get_bn_param(rk, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(rk, OSSL_PKEY_PARAM_RSA_E, &e);
    uint8_t nb[256], eb[8];
    int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_pkey *k = NULL;
    assert_int_equal(
        ay_pkey_from_rsa(&d, ay_span_of(nb, (size_t)nl), ay_span_of(eb, (size_t)el), &k), AY_OK);
    struct ay_span m = ay_span_of(msg, sizeof msg);
    assert_int_equal(ay_pkey_verify_pss(&d, k, AY_HASH_SHA384, m, ay_span_of(sig, siglen)), AY_OK);
    sig[0] ^= 0x40;
    assert_int_equal(ay_pkey_verify_pss(&d, k, AY_HASH_SHA384, m, ay_span_of(sig, siglen)),
                     AY_ERR_BAD_SIGNATURE);
    ay_pkey_free(k);
    BN_free(n);
    BN_free(e);
    OPENSSL_free(sig);
    EVP_PKEY_free(rk);

    /* Parse errors: truncated DER, trailing bytes, garbage PEM, empty. */
    struct ay_span der = ay_x509_der(P.l);
    struct ay_x509 *c = NULL;
    ay_diag_clear(&d);
    assert_int_equal(ay_x509_parse(&d, ay_span_of(der.ptr, der.len - 1), &c), AY_ERR_MALFORMED);
    uint8_t *longer = malloc(der.len + 1);
    memcpy(longer, der.ptr, der.len);
    longer[der.len] = 0;
    ay_diag_clear(&d);
    assert_int_equal(ay_x509_parse(&d, ay_span_of(longer, der.len + 1), &c), AY_ERR_MALFORMED);
    free(longer);
    const char *bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    ay_diag_clear(&d);
    assert_int_equal(ay_x509_parse(&d, ay_span_of(bad, strlen(bad)), &c), AY_ERR_MALFORMED);
    ay_diag_clear(&d);
    assert_int_equal(ay_x509_parse(&d, ay_span_of("", 0), &c), AY_ERR_MALFORMED);
    assert_null(c);
}

static void test_pem_bundle_and_accessors(void **state)
{
    (void)state;
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, P.inter);
    PEM_write_bio_X509(b, P.root);
    char *pem = NULL;
    long len = BIO_get_mem_data(b, &pem);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_x509 **certs = NULL;
    size_t n = 0;
    assert_int_equal(ay_x509_parse_all(&d, ay_span_of(pem, (size_t)len), 8, &certs, &n), AY_OK);
    assert_int_equal(n, 2);
    assert_true(ay_x509_equal(certs[0], P.i));
    assert_true(ay_x509_equal(certs[1], P.r));
    assert_false(ay_x509_equal(certs[1], P.o));
    ay_x509_free_all(certs, n);
    assert_int_equal(ay_x509_parse_all(&d, ay_span_of(pem, (size_t)len), 1, &certs, &n),
                     AY_ERR_LIMIT);
    BIO_free(b);

    int64_t nb, na;
    assert_int_equal(ay_x509_validity(P.l, &nb, &na), AY_OK);
    assert_true(nb == T0 - DAY);
    assert_true(na == T0 + 30 * DAY);
    char subj[128];
    ay_x509_subject(P.l, subj, sizeof subj);
    assert_string_equal(subj, "CN=Test Leaf");
    struct ay_span ext;
    assert_int_equal(ay_x509_extension(P.i, "2.5.29.19", &ext), AY_OK);
    assert_true(ext.len > 0);
    assert_int_equal(ay_x509_extension(P.i, "1.2.840.113741.1.13.1", &ext), AY_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_ok_and_time),
        cmocka_unit_test(test_foreign_roots),
        cmocka_unit_test(test_crl),
        cmocka_unit_test(test_ecdsa_raw),
        cmocka_unit_test(test_rsa_pss_and_parse_errors),
        cmocka_unit_test(test_pem_bundle_and_accessors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
