/* SPDX-License-Identifier: Apache-2.0 */
/* The test-time AMD-like PKI and SNP report signer (see testlib_amd.h). */
#include "testlib_amd.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define OID_AMD "1.3.6.1.4.1.3704.1."
#define DAY     86400

static X509_NAME *name_cn(const char *cn)
{
    X509_NAME *n = X509_NAME_new();
    assert_non_null(n);
    assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                                                (const unsigned char *)"Advanced Micro Devices", -1,
                                                -1, 0),
                     1);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0), 1);
    return n;
}

static void ext_raw(X509 *x, const char *oid, const uint8_t *der, size_t len)
{
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();
    assert_int_equal(ASN1_OCTET_STRING_set(s, der, (int)len), 1);
    X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, s);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(s);
    ASN1_OBJECT_free(o);
}

static void ext_uint(X509 *x, const char *oid, uint8_t v)
{
    uint8_t der[4] = {0x02, 0x01, v, 0};
    if (v >= 0x80) {
        uint8_t d2[4] = {0x02, 0x02, 0x00, v};
        ext_raw(x, oid, d2, 4);
        return;
    }
    ext_raw(x, oid, der, 3);
}

static void ext_nid(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

static void sign_pss(X509 *x, EVP_PKEY *key)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    assert_int_equal(EVP_DigestSignInit(m, &pc, EVP_sha384(), NULL, key), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 48), 1);
    assert_true(X509_sign_ctx(x, m) > 0);
    EVP_MD_CTX_free(m);
}

static X509 *cert(const char *cn, EVP_PKEY *key, X509 *issuer, const char *issuer_cn, long serial,
                  int64_t nb, int64_t na, bool ca)
{
    X509 *x = X509_new();
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
    X509_NAME *s = name_cn(cn);
    X509_NAME *i = name_cn(issuer_cn);
    assert_int_equal(X509_set_subject_name(x, s), 1);
    assert_int_equal(X509_set_issuer_name(x, i), 1);
    X509_NAME_free(s);
    X509_NAME_free(i);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na));
    assert_int_equal(X509_set_pubkey(x, key), 1);
    if (ca) {
        ext_nid(x, issuer != NULL ? issuer : x, NID_basic_constraints, "critical,CA:TRUE");
        ext_nid(x, issuer != NULL ? issuer : x, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    return x;
}

static X509 *vcek(struct ay_test_amd *p, X509 *ask, EVP_PKEY *ask_key, int64_t nb)
{
    X509 *x = cert("SEV-VCEK", p->vcek_key, ask, "SEV-Milan", 0, nb, nb + 7 * 365 * DAY, false);
    static const uint8_t product[] = {0x16, 0x08, 'M', 'i', 'l', 'a', 'n', '-', 'B', '0'};
    ext_raw(x, OID_AMD "2", product, sizeof product);
    struct ay_snp_tcb t;
    ay_snp_tcb_decode(p->tcb, AY_SNP_PRODUCT_MILAN, &t);
    ext_uint(x, OID_AMD "1", 0);
    ext_uint(x, OID_AMD "3.1", t.bl);
    ext_uint(x, OID_AMD "3.2", t.tee);
    ext_uint(x, OID_AMD "3.3", t.snp);
    ext_uint(x, OID_AMD "3.8", t.ucode);
    ext_raw(x, OID_AMD "4", p->chip_id, 64);
    sign_pss(x, ask_key);
    return x;
}

void ay_test_amd_init(struct ay_test_amd *p, int64_t nb)
{
    memset(p, 0, sizeof *p);
    p->tcb = 0xdb18000000000004ull; /* ucode 0xdb, snp 0x18, bl 4 */
    for (size_t i = 0; i < 64; i++) {
        p->chip_id[i] = (uint8_t)(0x60 + i);
    }
    p->ark_key = EVP_RSA_gen(2048); /* AMD uses 4096; 2048 keeps tests fast */
    p->ask_key = EVP_RSA_gen(2048);
    p->evil_key = EVP_RSA_gen(2048);
    p->vcek_key = EVP_EC_gen("P-384");
    assert_non_null(p->ark_key);
    assert_non_null(p->ask_key);
    assert_non_null(p->evil_key);
    assert_non_null(p->vcek_key);
    int64_t na = nb + 20 * 365 * (int64_t)DAY;
    p->ark = cert("ARK-Milan", p->ark_key, NULL, "ARK-Milan", 0x10000, nb, na, true);
    sign_pss(p->ark, p->ark_key);
    p->ask = cert("SEV-Milan", p->ask_key, p->ark, "ARK-Milan", 0x10001, nb, na, true);
    sign_pss(p->ask, p->ark_key);
    p->vcek = vcek(p, p->ask, p->ask_key, nb);
    /* A foreign chain with the same names: ARK-Milan(evil) -> SEV-Milan(evil) -> VCEK. */
    X509 *fark = cert("ARK-Milan", p->evil_key, NULL, "ARK-Milan", 0x10000, nb, na, true);
    sign_pss(fark, p->evil_key);
    X509 *fask = cert("SEV-Milan", p->evil_key, fark, "ARK-Milan", 0x10001, nb, na, true);
    sign_pss(fask, p->evil_key);
    p->rogue_vcek = vcek(p, fask, p->evil_key, nb);
    X509_free(fask);
    X509_free(fark);
    size_t al = 0;
    size_t kl = 0;
    uint8_t *a = ay_test_amd_der(p->ark, &al);
    uint8_t *k = ay_test_amd_der(p->ask, &kl);
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_snp_trust_set(&d, &p->trust, AY_SNP_PRODUCT_MILAN, ay_span_of(a, al),
                                      ay_span_of(k, kl), ay_span_of(NULL, 0)),
                     AY_OK);
    free(a);
    free(k);
}

void ay_test_amd_free(struct ay_test_amd *p)
{
    ay_snp_trust_clear(&p->trust);
    EVP_PKEY_free(p->ark_key);
    EVP_PKEY_free(p->ask_key);
    EVP_PKEY_free(p->evil_key);
    EVP_PKEY_free(p->vcek_key);
    X509_free(p->ark);
    X509_free(p->ask);
    X509_free(p->vcek);
    X509_free(p->rogue_vcek);
}

static void le32(uint8_t *p, uint32_t v)
{
    for (size_t i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void le64(uint8_t *p, uint64_t v)
{
    for (size_t i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

void ay_test_amd_report(const struct ay_test_amd *p, const uint8_t report_data[64],
                        uint8_t out[AY_SNP_REPORT_LEN])
{
    memset(out, 0, AY_SNP_REPORT_LEN);
    le32(out + 0x000, 3);       /* VERSION */
    le32(out + 0x004, 1);       /* GUEST_SVN */
    le64(out + 0x008, 0x30000); /* POLICY */
    le32(out + 0x034, 1);       /* SIGNATURE_ALGO */
    le64(out + 0x038, p->tcb);  /* CURRENT_TCB */
    le64(out + 0x040, 0x25);    /* PLATFORM_INFO */
    memcpy(out + 0x050, report_data, 64);
    memset(out + 0x090, 0x6a, 48); /* MEASUREMENT */
    memset(out + 0x160, 0xff, 32); /* REPORT_ID_MA */
    le64(out + 0x180, p->tcb);     /* REPORTED_TCB */
    out[0x188] = 0x19;             /* CPUID family: Milan */
    out[0x189] = 0x01;
    out[0x18A] = 0x01;
    memcpy(out + 0x1A0, p->chip_id, 64);
    le64(out + 0x1E0, p->tcb); /* COMMITTED_TCB */
    out[0x1E8] = 29;           /* current build / minor / major */
    out[0x1E9] = 55;
    out[0x1EA] = 1;
    out[0x1EC] = 29;
    out[0x1ED] = 55;
    out[0x1EE] = 1;
    le64(out + 0x1F0, p->tcb); /* LAUNCH_TCB */
}

void ay_test_amd_sign(EVP_PKEY *key, uint8_t report[AY_SNP_REPORT_LEN])
{
    uint8_t der[128];
    size_t dl = sizeof der;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha384(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(m, der, &dl, report, AY_SNP_SIGNED_LEN), 1);
    EVP_MD_CTX_free(m);
    const uint8_t *q = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &q, (long)dl);
    assert_non_null(s);
    memset(report + 0x2A0, 0, 2 * AY_SNP_SIG_COMPONENT);
    assert_int_equal(BN_bn2lebinpad(ECDSA_SIG_get0_r(s), report + 0x2A0, 72), 72);
    assert_int_equal(BN_bn2lebinpad(ECDSA_SIG_get0_s(s), report + 0x2E8, 72), 72);
    ECDSA_SIG_free(s);
}

uint8_t *ay_test_amd_der(X509 *x, size_t *len)
{
    int n = i2d_X509(x, NULL);
    assert_true(n > 0);
    uint8_t *b = malloc((size_t)n);
    assert_non_null(b);
    uint8_t *p = b;
    assert_int_equal(i2d_X509(x, &p), n);
    *len = (size_t)n;
    return b;
}
