/* SPDX-License-Identifier: Apache-2.0 */
/* Test-only generated AMD-shaped PKI (OpenSSL, at test time) for the SNP VCEK-cache tests and
 * bench_snp's fallback: ARK -> ASK (RSA-PSS SHA-384, salt 48, as AMD's), two P-384 VCEKs for
 * one chip and TCB (KDS-like: serial 0, productName, TCB and hwID extensions), an expired VCEK,
 * CRLs by the ARK, and v3 Milan reports signed with either VCEK. Header-only (static) so each
 * executable includes it; aborts on any OpenSSL failure (it only ever mints good material). */
#ifndef AY_TESTS_CRYPTO_SNP_TESTPKI_H
#define AY_TESTS_CRYPTO_SNP_TESTPKI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/base_err.h"
#include "tee/tee_snp.h"

#define SNP_TPKI_T0  1735689600 /* 2025-01-01: inside every certificate but the expired one */
#define SNP_TPKI_DAY 86400
#define SNP_TPKI_OID "1.3.6.1.4.1.3704.1."
#define SNP_TPKI_TCB 0x7308000000000003ull /* Milan: bl 3, tee 0, snp 8, ucode 0x73 */

struct ay_snp_testpki {
    EVP_PKEY *ark_key, *ask_key, *vcek_key, *vcek2_key;
    X509 *ark, *ask, *vcek, *vcek2, *expired_vcek;
    uint8_t chip_id[64];
    struct ay_snp_trust trust;
    /* DER copies (malloc'd) */
    uint8_t *vcek_der, *vcek2_der, *expired_der, *ask_der, *ark_der;
    size_t vcek_len, vcek2_len, expired_len, ask_len, ark_len;
    uint8_t report[AY_SNP_REPORT_LEN]; /* signed by vcek, report_data[0] = 0 */
};

static inline void snp_tpki_ok(int ok, const char *what)
{
    if (ok <= 0) {
        fprintf(stderr, "snp test PKI: %s failed\n", what);
        abort();
    }
}

static X509_NAME *snp_tpki_name(const char *cn)
{
    X509_NAME *n = X509_NAME_new();
    snp_tpki_ok(n != NULL, "X509_NAME_new");
    const char *f[][2] = {
        {"OU", "Engineering"},           {"C", "US"}, {"L", "Santa Clara"}, {"ST", "CA"},
        {"O", "Advanced Micro Devices"}, {"CN", cn}};
    for (size_t i = 0; i < 6; i++) {
        snp_tpki_ok(X509_NAME_add_entry_by_txt(n, f[i][0], MBSTRING_ASC,
                                               (const unsigned char *)f[i][1], -1, -1, 0),
                    "name entry");
    }
    return n;
}

static inline void snp_tpki_ext_raw(X509 *x, const char *oid, const uint8_t *der, size_t len)
{
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();
    snp_tpki_ok(o != NULL && s != NULL && ASN1_OCTET_STRING_set(s, der, (int)len), "ext value");
    X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, s);
    snp_tpki_ok(e != NULL && X509_add_ext(x, e, -1), "add ext");
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(s);
    ASN1_OBJECT_free(o);
}

static inline void snp_tpki_ext_int(X509 *x, const char *oid, uint8_t v)
{
    uint8_t der[4] = {0x02, 0x01, v};
    size_t len = 3;
    if (v >= 0x80) {
        der[1] = 2;
        der[2] = 0;
        der[3] = v;
        len = 4;
    }
    snp_tpki_ext_raw(x, oid, der, len);
}

static inline void snp_tpki_ext_nid(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    snp_tpki_ok(e != NULL && X509_add_ext(x, e, -1), "v3 ext");
    X509_EXTENSION_free(e);
}

static inline void snp_tpki_pss_sign(X509 *x, EVP_PKEY *key)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    snp_tpki_ok(EVP_DigestSignInit(m, &pc, EVP_sha384(), NULL, key), "sign init");
    snp_tpki_ok(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING), "pss");
    snp_tpki_ok(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 48), "salt");
    snp_tpki_ok(EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha384()), "mgf1");
    snp_tpki_ok(X509_sign_ctx(x, m), "X509_sign_ctx");
    EVP_MD_CTX_free(m);
}

static inline X509 *snp_tpki_cert(const char *cn, EVP_PKEY *key, X509 *issuer,
                                  const char *issuer_cn, EVP_PKEY *issuer_key, long serial,
                                  int64_t nb, int64_t na, bool ca)
{
    X509 *x = X509_new();
    snp_tpki_ok(x != NULL && X509_set_version(x, 2), "X509_new");
    snp_tpki_ok(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), "serial");
    X509_NAME *sn = snp_tpki_name(cn);
    X509_NAME *in = snp_tpki_name(issuer_cn);
    snp_tpki_ok(X509_set_subject_name(x, sn) && X509_set_issuer_name(x, in), "names");
    X509_NAME_free(sn);
    X509_NAME_free(in);
    snp_tpki_ok(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) != NULL, "notBefore");
    snp_tpki_ok(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na) != NULL, "notAfter");
    snp_tpki_ok(X509_set_pubkey(x, key), "pubkey");
    if (ca) {
        X509 *is = issuer != NULL ? issuer : x;
        snp_tpki_ext_nid(x, is, NID_basic_constraints, "critical,CA:TRUE");
        snp_tpki_ext_nid(x, is, NID_key_usage, "critical,keyCertSign,cRLSign");
        snp_tpki_ext_nid(x, is, NID_subject_key_identifier, "hash");
    }
    snp_tpki_pss_sign(x, issuer_key);
    return x;
}

/* A VCEK as KDS issues it for this chip and SNP_TPKI_TCB. */
static inline X509 *snp_tpki_vcek(struct ay_snp_testpki *p, EVP_PKEY *key, int64_t nb, int64_t na)
{
    X509 *x = snp_tpki_cert("SEV-VCEK", key, p->ask, "SEV-Milan", p->ask_key, 0, nb, na, false);
    static const uint8_t name[] = {0x16, 8, 'M', 'i', 'l', 'a', 'n', '-', 'B', '0'};
    snp_tpki_ext_raw(x, SNP_TPKI_OID "2", name, sizeof name);
    snp_tpki_ext_int(x, SNP_TPKI_OID "1", 0);
    snp_tpki_ext_int(x, SNP_TPKI_OID "3.1", (uint8_t)(SNP_TPKI_TCB & 0xff));
    snp_tpki_ext_int(x, SNP_TPKI_OID "3.2", (uint8_t)((SNP_TPKI_TCB >> 8) & 0xff));
    snp_tpki_ext_int(x, SNP_TPKI_OID "3.3", (uint8_t)((SNP_TPKI_TCB >> 48) & 0xff));
    snp_tpki_ext_int(x, SNP_TPKI_OID "3.8", (uint8_t)(SNP_TPKI_TCB >> 56));
    snp_tpki_ext_raw(x, SNP_TPKI_OID "4", p->chip_id, 64);
    snp_tpki_pss_sign(x, p->ask_key);
    return x;
}

static inline uint8_t *snp_tpki_der(X509 *x, size_t *len)
{
    int n = i2d_X509(x, NULL);
    snp_tpki_ok(n > 0, "i2d_X509");
    uint8_t *b = malloc((size_t)n);
    snp_tpki_ok(b != NULL, "malloc");
    uint8_t *w = b;
    snp_tpki_ok(i2d_X509(x, &w) == n, "i2d_X509");
    *len = (size_t)n;
    return b;
}

static inline void snp_tpki_put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* A v3 Milan report (VCEK-signed, this chip, SNP_TPKI_TCB) with REPORT_DATA[0] = tag, signed
 * by key: ECDSA P-384 SHA-384 over [0, 0x2A0), R and S little-endian in 72 bytes each. */
static inline void snp_tpki_sign_report(const struct ay_snp_testpki *p, EVP_PKEY *key, uint8_t tag,
                                        uint8_t b[AY_SNP_REPORT_LEN])
{
    memset(b, 0, AY_SNP_REPORT_LEN);
    snp_tpki_put_le(b + 0x000, 3, 4);       /* VERSION */
    snp_tpki_put_le(b + 0x004, 1, 4);       /* GUEST_SVN */
    snp_tpki_put_le(b + 0x008, 0x30000, 8); /* POLICY: bit 17 + SMT */
    snp_tpki_put_le(b + 0x034, 1, 4);       /* SIGNATURE_ALGO */
    snp_tpki_put_le(b + 0x038, SNP_TPKI_TCB, 8);
    snp_tpki_put_le(b + 0x040, 1, 8); /* PLATFORM_INFO */
    b[0x050] = tag;
    snp_tpki_put_le(b + 0x180, SNP_TPKI_TCB, 8); /* REPORTED_TCB */
    b[0x188] = 0x19;                             /* CPUID family: Milan */
    b[0x189] = 0x01;
    memcpy(b + 0x1A0, p->chip_id, 64);
    snp_tpki_put_le(b + 0x1E0, SNP_TPKI_TCB, 8); /* COMMITTED_TCB */
    snp_tpki_put_le(b + 0x1F0, SNP_TPKI_TCB, 8); /* LAUNCH_TCB */
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    snp_tpki_ok(EVP_DigestSignInit(m, NULL, EVP_sha384(), NULL, key), "report sign init");
    uint8_t der[128];
    size_t dl = sizeof der;
    snp_tpki_ok(EVP_DigestSign(m, der, &dl, b, AY_SNP_SIGNED_LEN), "report sign");
    EVP_MD_CTX_free(m);
    const uint8_t *rp = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &rp, (long)dl);
    snp_tpki_ok(sig != NULL, "ECDSA_SIG");
    snp_tpki_ok(BN_bn2lebinpad(ECDSA_SIG_get0_r(sig), b + 0x2A0, 72) == 72, "R");
    snp_tpki_ok(BN_bn2lebinpad(ECDSA_SIG_get0_s(sig), b + 0x2E8, 72) == 72, "S");
    ECDSA_SIG_free(sig);
}

/* An ARK-signed CRL (RSA-PSS, DER, malloc'd) valid [last, next], revoking `serial` if >= 0. */
static inline uint8_t *snp_tpki_crl(const struct ay_snp_testpki *p, long serial, int64_t last,
                                    int64_t next, size_t *len)
{
    X509_CRL *c = X509_CRL_new();
    snp_tpki_ok(c != NULL && X509_CRL_set_version(c, 1), "CRL");
    snp_tpki_ok(X509_CRL_set_issuer_name(c, X509_get_subject_name(p->ark)), "CRL issuer");
    ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)last);
    snp_tpki_ok(t != NULL && X509_CRL_set1_lastUpdate(c, t), "lastUpdate");
    snp_tpki_ok(ASN1_TIME_set(t, (time_t)next) != NULL && X509_CRL_set1_nextUpdate(c, t),
                "nextUpdate");
    if (serial >= 0) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *s = ASN1_INTEGER_new();
        snp_tpki_ok(r != NULL && s != NULL && ASN1_INTEGER_set(s, serial), "revoked");
        snp_tpki_ok(X509_REVOKED_set_serialNumber(r, s) && X509_REVOKED_set_revocationDate(r, t),
                    "revoked entry");
        snp_tpki_ok(X509_CRL_add0_revoked(c, r), "add revoked");
        ASN1_INTEGER_free(s);
    }
    ASN1_TIME_free(t);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    snp_tpki_ok(EVP_DigestSignInit(m, &pc, EVP_sha384(), NULL, p->ark_key), "CRL sign init");
    snp_tpki_ok(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING), "pss");
    snp_tpki_ok(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 48), "salt");
    snp_tpki_ok(X509_CRL_sign_ctx(c, m), "CRL sign");
    EVP_MD_CTX_free(m);
    int n = i2d_X509_CRL(c, NULL);
    snp_tpki_ok(n > 0, "i2d_X509_CRL");
    uint8_t *b = malloc((size_t)n);
    snp_tpki_ok(b != NULL, "malloc");
    uint8_t *w = b;
    snp_tpki_ok(i2d_X509_CRL(c, &w) == n, "i2d_X509_CRL");
    X509_CRL_free(c);
    *len = (size_t)n;
    return b;
}

#define SNP_TPKI_ASK_SERIAL 0x10001

static inline struct ay_snp_testpki *snp_tpki_new(void)
{
    struct ay_snp_testpki *p = calloc(1, sizeof *p);
    snp_tpki_ok(p != NULL, "calloc");
    for (size_t i = 0; i < 64; i++) {
        p->chip_id[i] = (uint8_t)(0xA0 + i);
    }
    /* AMD's ARK/ASK are RSA-4096; 2048 keeps start-up fast and the path identical. */
    p->ark_key = EVP_RSA_gen(2048);
    p->ask_key = EVP_RSA_gen(2048);
    p->vcek_key = EVP_EC_gen("P-384");
    p->vcek2_key = EVP_EC_gen("P-384");
    snp_tpki_ok(p->ark_key && p->ask_key && p->vcek_key && p->vcek2_key, "keys");
    int64_t nb = SNP_TPKI_T0 - 365 * SNP_TPKI_DAY;
    int64_t na = SNP_TPKI_T0 + 20 * 365 * (int64_t)SNP_TPKI_DAY;
    p->ark = snp_tpki_cert("ARK-Milan", p->ark_key, NULL, "ARK-Milan", p->ark_key, 0x10000, nb, na,
                           true);
    p->ask = snp_tpki_cert("SEV-Milan", p->ask_key, p->ark, "ARK-Milan", p->ark_key,
                           SNP_TPKI_ASK_SERIAL, nb, na, true);
    /* The VCEK is valid for 7 years from a day before T0 (KDS issues 7-year VCEKs). */
    int64_t vnb = SNP_TPKI_T0 - SNP_TPKI_DAY;
    int64_t vna = SNP_TPKI_T0 + 7 * 365 * (int64_t)SNP_TPKI_DAY;
    p->vcek = snp_tpki_vcek(p, p->vcek_key, vnb, vna);
    p->vcek2 = snp_tpki_vcek(p, p->vcek2_key, vnb, vna);
    p->expired_vcek =
        snp_tpki_vcek(p, p->vcek_key, SNP_TPKI_T0 - 10 * SNP_TPKI_DAY, SNP_TPKI_T0 - SNP_TPKI_DAY);
    p->vcek_der = snp_tpki_der(p->vcek, &p->vcek_len);
    p->vcek2_der = snp_tpki_der(p->vcek2, &p->vcek2_len);
    p->expired_der = snp_tpki_der(p->expired_vcek, &p->expired_len);
    p->ask_der = snp_tpki_der(p->ask, &p->ask_len);
    p->ark_der = snp_tpki_der(p->ark, &p->ark_len);
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_snp_trust_set(&d, &p->trust, AY_SNP_PRODUCT_MILAN, ay_span_of(p->ark_der, p->ark_len),
                         ay_span_of(p->ask_der, p->ask_len), ay_span_of(NULL, 0)) != AY_OK) {
        fprintf(stderr, "snp test PKI: trust: %s\n", ay_diag_message(&d));
        abort();
    }
    snp_tpki_sign_report(p, p->vcek_key, 0, p->report);
    return p;
}

static inline void snp_tpki_free(struct ay_snp_testpki *p)
{
    if (p == NULL) {
        return;
    }
    ay_snp_trust_clear(&p->trust);
    EVP_PKEY_free(p->ark_key);
    EVP_PKEY_free(p->ask_key);
    EVP_PKEY_free(p->vcek_key);
    EVP_PKEY_free(p->vcek2_key);
    X509_free(p->ark);
    X509_free(p->ask);
    X509_free(p->vcek);
    X509_free(p->vcek2);
    X509_free(p->expired_vcek);
    free(p->vcek_der);
    free(p->vcek2_der);
    free(p->expired_der);
    free(p->ask_der);
    free(p->ark_der);
    free(p);
}

/* ---- Trustee's JSON evidence (the service's form, TRUSTEE.md 7.2) ---- */

static inline json_t *snp_tpki_bytes_json(const uint8_t *p, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_integer(p[i]));
    }
    return a;
}

/* A TCB_VERSION in the sev crate's serde form, Milan/Genoa layout. */
static inline json_t *snp_tpki_tcb_json(uint64_t raw)
{
    struct ay_snp_tcb t;
    ay_snp_tcb_decode(raw, AY_SNP_PRODUCT_MILAN, &t);
    return json_pack("{s:n,s:i,s:i,s:i,s:i}", "fmc", "bootloader", t.bl, "tee", t.tee, "snp", t.snp,
                     "microcode", t.ucode);
}

/* {"attestation_report": <sev crate serde>, "cert_chain": [VCEK, ASK, ARK][:n]} as Trustee's
 * snp attester sends it, for a Milan report (malloc'd text). */
static inline char *snp_tpki_trustee_json(struct ay_span report, const struct ay_span *ders,
                                          size_t n)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_snp_report r;
    snp_tpki_ok(ay_snp_report_parse(&d, report, &r) == AY_OK, "report parse");
    json_t *j = json_object();
    json_object_set_new(j, "version", json_integer(r.version));
    json_object_set_new(j, "guest_svn", json_integer(r.guest_svn));
    json_object_set_new(j, "policy", json_integer((json_int_t)r.policy));
    json_object_set_new(j, "family_id", snp_tpki_bytes_json(r.family_id, 16));
    json_object_set_new(j, "image_id", snp_tpki_bytes_json(r.image_id, 16));
    json_object_set_new(j, "vmpl", json_integer(r.vmpl));
    json_object_set_new(j, "sig_algo", json_integer(r.sig_algo));
    json_object_set_new(j, "current_tcb", snp_tpki_tcb_json(r.current_tcb));
    json_object_set_new(j, "plat_info", json_integer((json_int_t)r.platform_info));
    json_object_set_new(j, "key_info", json_integer(r.key_info));
    json_object_set_new(j, "report_data", snp_tpki_bytes_json(r.report_data, 64));
    json_object_set_new(j, "measurement", snp_tpki_bytes_json(r.measurement, 48));
    json_object_set_new(j, "host_data", snp_tpki_bytes_json(r.host_data, 32));
    json_object_set_new(j, "id_key_digest", snp_tpki_bytes_json(r.id_key_digest, 48));
    json_object_set_new(j, "author_key_digest", snp_tpki_bytes_json(r.author_key_digest, 48));
    json_object_set_new(j, "report_id", snp_tpki_bytes_json(r.report_id, 32));
    json_object_set_new(j, "report_id_ma", snp_tpki_bytes_json(r.report_id_ma, 32));
    json_object_set_new(j, "reported_tcb", snp_tpki_tcb_json(r.reported_tcb));
    json_object_set_new(j, "cpuid_fam_id", json_integer(r.cpuid_fam_id));
    json_object_set_new(j, "cpuid_mod_id", json_integer(r.cpuid_mod_id));
    json_object_set_new(j, "cpuid_step", json_integer(r.cpuid_step));
    json_object_set_new(j, "chip_id", snp_tpki_bytes_json(r.chip_id, 64));
    json_object_set_new(j, "committed_tcb", snp_tpki_tcb_json(r.committed_tcb));
    json_object_set_new(j, "current",
                        json_pack("{s:i,s:i,s:i}", "major", r.current_major, "minor",
                                  r.current_minor, "build", r.current_build));
    json_object_set_new(j, "committed",
                        json_pack("{s:i,s:i,s:i}", "major", r.committed_major, "minor",
                                  r.committed_minor, "build", r.committed_build));
    json_object_set_new(j, "launch_tcb", snp_tpki_tcb_json(r.launch_tcb));
    json_object_set_new(j, "signature",
                        json_pack("{s:o,s:o}", "r", snp_tpki_bytes_json(r.sig_r, 72), "s",
                                  snp_tpki_bytes_json(r.sig_s, 72)));
    static const char *const types[3] = {"VCEK", "ASK", "ARK"};
    json_t *chain = json_array();
    for (size_t i = 0; i < n && i < 3; i++) {
        json_array_append_new(chain, json_pack("{s:s,s:o}", "cert_type", types[i], "data",
                                               snp_tpki_bytes_json(ders[i].ptr, ders[i].len)));
    }
    json_t *ev = json_pack("{s:o,s:o}", "attestation_report", j, "cert_chain", chain);
    char *text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return text;
}

#endif
