/* SPDX-License-Identifier: Apache-2.0 */
/* Test-only generated Intel-shaped PKI (OpenSSL, at test time): a test root -> PCK Platform CA
 * -> PCK leaf with the SGX extension, a TCB Signing cert, both CRLs, an attestation key, and
 * DCAP quotes (v3 SGX, v4 TDX, v5 TDX 1.5) assembled and signed with the QE report binding,
 * plus signed collateral documents. Header-only (static) so each test executable includes it. */
#ifndef AY_TESTS_CRYPTO_DCAP_TESTPKI_H
#define AY_TESTS_CRYPTO_DCAP_TESTPKI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/base_time.h"

/* ---- a tiny byte writer ---- */

struct tw {
    uint8_t *p;
    size_t n, cap;
};

static void tw_put(struct tw *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 64;
        w->p = realloc(w->p, w->cap);
        if (w->p == NULL) {
            abort();
        }
    }
    if (n > 0) {
        memcpy(w->p + w->n, p, n);
    }
    w->n += n;
}

static void tw_u8(struct tw *w, uint8_t v)
{
    tw_put(w, &v, 1);
}

static void tw_u16(struct tw *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    tw_put(w, b, 2);
}

static void tw_u32(struct tw *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    tw_put(w, b, 4);
}

static void tw_fill(struct tw *w, uint8_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tw_u8(w, v);
    }
}

/* DER TLV with the content of another writer. */
static void der(struct tw *w, uint8_t tag, const struct tw *content)
{
    tw_u8(w, tag);
    size_t n = content->n;
    if (n < 0x80) {
        tw_u8(w, (uint8_t)n);
    } else if (n < 0x100) {
        tw_u8(w, 0x81);
        tw_u8(w, (uint8_t)n);
    } else {
        tw_u8(w, 0x82);
        tw_u8(w, (uint8_t)(n >> 8));
        tw_u8(w, (uint8_t)n);
    }
    tw_put(w, content->p, content->n);
}

static void der_raw(struct tw *w, uint8_t tag, const void *p, size_t n)
{
    struct tw c = {0};
    tw_put(&c, p, n);
    der(w, tag, &c);
    free(c.p);
}

static void der_sgx_oid(struct tw *w, uint8_t a1, uint8_t a2)
{
    uint8_t oid[11] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, a1, a2};
    der_raw(w, 0x06, oid, a2 != 0 ? 11 : 10);
}

struct tpck {
    uint8_t comp[16];
    uint16_t pcesvn;
    uint8_t fmspc[6];
    uint8_t pceid[2];
};

/* The PCK SGX extension (FORMATS.md 2.3) as DER. */
static void tpki_sgx_ext(const struct tpck *v, struct tw *out)
{
    struct tw top = {0}, it = {0}, tcb = {0};
    uint8_t ppid[16], cpusvn[16], piid[16];
    memset(ppid, 0x11, 16);
    memcpy(cpusvn, v->comp, 16);
    memset(piid, 0x22, 16);
    der_sgx_oid(&it, 1, 0);
    der_raw(&it, 0x04, ppid, 16);
    der(&top, 0x30, &it);
    it.n = 0;
    for (uint8_t i = 1; i <= 18; i++) {
        struct tw e = {0};
        der_sgx_oid(&e, 2, i);
        if (i <= 16) {
            uint8_t x[2] = {0, v->comp[i - 1]};
            if (x[1] & 0x80) {
                der_raw(&e, 0x02, x, 2);
            } else {
                der_raw(&e, 0x02, x + 1, 1);
            }
        } else if (i == 17) {
            uint8_t x[3] = {0, (uint8_t)(v->pcesvn >> 8), (uint8_t)v->pcesvn};
            size_t k = v->pcesvn >= 0x8000 ? 3 : v->pcesvn >= 0x80 ? 2 : 1;
            der_raw(&e, 0x02, x + 3 - k, k);
        } else {
            der_raw(&e, 0x04, cpusvn, 16);
        }
        der(&tcb, 0x30, &e);
        free(e.p);
    }
    der_sgx_oid(&it, 2, 0);
    der(&it, 0x30, &tcb);
    der(&top, 0x30, &it);
    it.n = 0;
    der_sgx_oid(&it, 3, 0);
    der_raw(&it, 0x04, v->pceid, 2);
    der(&top, 0x30, &it);
    it.n = 0;
    der_sgx_oid(&it, 4, 0);
    der_raw(&it, 0x04, v->fmspc, 6);
    der(&top, 0x30, &it);
    it.n = 0;
    der_sgx_oid(&it, 5, 0);
    uint8_t one = 1;
    der_raw(&it, 0x0a, &one, 1);
    der(&top, 0x30, &it);
    it.n = 0;
    der_sgx_oid(&it, 6, 0);
    der_raw(&it, 0x04, piid, 16);
    der(&top, 0x30, &it);
    der(out, 0x30, &top);
    free(top.p);
    free(it.p);
    free(tcb.p);
}

/* ---- keys, certificates, CRLs ---- */

static EVP_PKEY *tpki_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    if (k == NULL) {
        abort();
    }
    return k;
}

static void tpki_name(X509_NAME *n, const char *cn)
{
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Test Corporation", -1,
                               -1, 0);
}

static void tpki_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v;
    X509V3_set_ctx(&v, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v, nid, value);
    if (e == NULL) {
        abort();
    }
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
}

static X509 *tpki_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       long serial, int64_t nb, int64_t na, bool ca, const struct tw *sgx_ext)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    tpki_name(X509_get_subject_name(x), cn);
    X509_set_issuer_name(x,
                         issuer != NULL ? X509_get_subject_name(issuer) : X509_get_subject_name(x));
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
    X509_set_pubkey(x, key);
    tpki_ext(x, issuer != NULL ? issuer : x, NID_subject_key_identifier, "hash");
    if (issuer != NULL) {
        tpki_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
    }
    tpki_ext(x, x, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    tpki_ext(x, x, NID_key_usage,
             ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    if (sgx_ext != NULL) {
        ASN1_OBJECT *o = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
        ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();
        ASN1_OCTET_STRING_set(s, sgx_ext->p, (int)sgx_ext->n);
        X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, s);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        ASN1_OCTET_STRING_free(s);
        ASN1_OBJECT_free(o);
    }
    if (X509_sign(x, issuer_key, EVP_sha256()) == 0) {
        abort();
    }
    return x;
}

static X509_CRL *tpki_crl(X509 *issuer, EVP_PKEY *key, int64_t last, int64_t next,
                          long revoked_serial)
{
    X509_CRL *c = X509_CRL_new();
    X509_CRL_set_version(c, 1);
    X509_CRL_set_issuer_name(c, X509_get_subject_name(issuer));
    ASN1_TIME *t = ASN1_TIME_new();
    ASN1_TIME_set(t, (time_t)last);
    X509_CRL_set1_lastUpdate(c, t);
    ASN1_TIME_set(t, (time_t)next);
    X509_CRL_set1_nextUpdate(c, t);
    if (revoked_serial > 0) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *s = ASN1_INTEGER_new();
        ASN1_INTEGER_set(s, revoked_serial);
        X509_REVOKED_set_serialNumber(r, s);
        ASN1_TIME_set(t, (time_t)last);
        X509_REVOKED_set_revocationDate(r, t);
        X509_CRL_add0_revoked(c, r);
        ASN1_INTEGER_free(s);
    }
    ASN1_TIME_free(t);
    X509_CRL_sort(c);
    if (X509_CRL_sign(c, key, EVP_sha256()) == 0) {
        abort();
    }
    return c;
}

static void tpki_pem(X509 *x, struct tw *out)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    tw_put(out, p, (size_t)n);
    BIO_free(b);
}

static void tpki_crl_der(X509_CRL *c, struct tw *out)
{
    unsigned char *p = NULL;
    int n = i2d_X509_CRL(c, &p);
    tw_put(out, p, (size_t)n);
    OPENSSL_free(p);
}

/* ECDSA-P256/SHA-256 as raw big-endian r || s. */
static void tpki_sign_rs(EVP_PKEY *k, const uint8_t *msg, size_t n, uint8_t out[64])
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    unsigned char sig[128];
    size_t sl = sizeof sig;
    if (EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, k) != 1 ||
        EVP_DigestSign(m, sig, &sl, msg, n) != 1) {
        abort();
    }
    EVP_MD_CTX_free(m);
    const unsigned char *p = sig;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)sl);
    BN_bn2binpad(ECDSA_SIG_get0_r(s), out, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(s), out + 32, 32);
    ECDSA_SIG_free(s);
}

static void tpki_xy(EVP_PKEY *k, uint8_t out[64])
{
    uint8_t b[65];
    size_t n = 0;
    if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, b, sizeof b, &n) != 1 ||
        n != 65) {
        abort();
    }
    memcpy(out, b + 1, 64);
}

/* ---- the PKI ---- */

#define TPKI_T0  ((int64_t)1700000000) /* 2023-11-14, "now" of the tests */
#define TPKI_DAY ((int64_t)86400)

struct tpki {
    EVP_PKEY *root_k, *ca_k, *leaf_k, *tcb_k, *ak;
    X509 *root, *ca, *leaf, *tcb;
    struct tw chain;     /* PEM leaf || CA || root (quote cert data type 5) */
    struct tw tcb_chain; /* PEM TCB Signing || root */
    struct tw root_crl, pck_crl;
    struct tpck pck;
};

static void tpki_init(struct tpki *t, const struct tpck *pck, long revoke_leaf)
{
    memset(t, 0, sizeof *t);
    t->pck = *pck;
    t->root_k = tpki_key();
    t->ca_k = tpki_key();
    t->leaf_k = tpki_key();
    t->tcb_k = tpki_key();
    t->ak = tpki_key();
    int64_t y = 365 * TPKI_DAY;
    t->root = tpki_cert("Test SGX Root CA", t->root_k, NULL, t->root_k, 1, TPKI_T0 - 5 * y,
                        TPKI_T0 + 20 * y, true, NULL);
    t->ca = tpki_cert("Intel SGX PCK Platform CA", t->ca_k, t->root, t->root_k, 2, TPKI_T0 - 4 * y,
                      TPKI_T0 + 10 * y, true, NULL);
    struct tw ext = {0};
    tpki_sgx_ext(pck, &ext);
    t->leaf = tpki_cert("Intel SGX PCK Certificate", t->leaf_k, t->ca, t->ca_k, 77, TPKI_T0 - y,
                        TPKI_T0 + y, false, &ext);
    free(ext.p);
    t->tcb = tpki_cert("Intel SGX TCB Signing", t->tcb_k, t->root, t->root_k, 3, TPKI_T0 - y,
                       TPKI_T0 + 2 * y, false, NULL);
    tpki_pem(t->leaf, &t->chain);
    tpki_pem(t->ca, &t->chain);
    tpki_pem(t->root, &t->chain);
    tpki_pem(t->tcb, &t->tcb_chain);
    tpki_pem(t->root, &t->tcb_chain);
    X509_CRL *rc =
        tpki_crl(t->root, t->root_k, TPKI_T0 - 10 * TPKI_DAY, TPKI_T0 + 300 * TPKI_DAY, 0);
    X509_CRL *pc =
        tpki_crl(t->ca, t->ca_k, TPKI_T0 - 2 * TPKI_DAY, TPKI_T0 + 20 * TPKI_DAY, revoke_leaf);
    tpki_crl_der(rc, &t->root_crl);
    tpki_crl_der(pc, &t->pck_crl);
    X509_CRL_free(rc);
    X509_CRL_free(pc);
}

static void tpki_free(struct tpki *t)
{
    EVP_PKEY_free(t->root_k);
    EVP_PKEY_free(t->ca_k);
    EVP_PKEY_free(t->leaf_k);
    EVP_PKEY_free(t->tcb_k);
    EVP_PKEY_free(t->ak);
    X509_free(t->root);
    X509_free(t->ca);
    X509_free(t->leaf);
    X509_free(t->tcb);
    free(t->chain.p);
    free(t->tcb_chain.p);
    free(t->root_crl.p);
    free(t->pck_crl.p);
}

/* The root as DER, for ay_x509_parse. */
static void tpki_root_der(const struct tpki *t, struct tw *out)
{
    unsigned char *p = NULL;
    int n = i2d_X509(t->root, &p);
    tw_put(out, p, (size_t)n);
    OPENSSL_free(p);
}

/* Offsets of the regions of a built quote, for the one-byte-at-a-time tests. */
struct tquote_layout {
    size_t signed_end; /* header..body */
    size_t sig, ak, qe_report, qe_sig, auth, chain, chain_len, end;
};

struct tquote_opts {
    uint16_t version;   /* 3, 4, 5 */
    uint16_t body_type; /* v5: 1, 2, 3 */
    uint8_t tee_tcb_svn[16];
    uint8_t tee_tcb_svn2[16];
    uint8_t report_data[64];
    uint8_t mr_config_id[48];
    uint8_t rtmr[4][48];
    uint16_t qe_isvsvn;
    uint16_t qe_isvprodid;
    uint8_t qe_mrsigner[32];
    size_t trailing;
};

static void tquote_build(const struct tpki *t, const struct tquote_opts *o, struct tw *q,
                         struct tquote_layout *lay)
{
    static const uint8_t intel[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                      0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};
    bool sgx = o->version == 3 || (o->version == 5 && o->body_type == 1);
    memset(q, 0, sizeof *q);
    tw_u16(q, o->version);
    tw_u16(q, 2);
    tw_u32(q, sgx ? 0 : 0x81);
    tw_u16(q, sgx ? 8 : 0);
    tw_u16(q, sgx ? 13 : 0);
    tw_put(q, intel, 16);
    tw_fill(q, 0xab, 20);
    if (o->version == 5) {
        tw_u16(q, o->body_type);
        tw_u32(q, o->body_type == 1 ? 384 : o->body_type == 2 ? 584 : 648);
    }
    if (sgx) {
        /* ISV enclave report. */
        tw_fill(q, 0x01, 16);
        tw_u32(q, 0);
        tw_fill(q, 0, 28);
        uint8_t attr[16] = {0x05};
        tw_put(q, attr, 16);
        tw_fill(q, 0x5e, 32); /* MRENCLAVE */
        tw_fill(q, 0, 32);
        tw_fill(q, 0x5a, 32); /* MRSIGNER */
        tw_fill(q, 0, 32);
        tw_put(q, o->mr_config_id, 48); /* CONFIGID: first 48 of 64 */
        tw_fill(q, 0, 16);
        tw_u16(q, 1);
        tw_u16(q, 2);
        tw_u16(q, 0);
        tw_fill(q, 0, 42);
        tw_fill(q, 0, 16);
        tw_put(q, o->report_data, 64);
    } else {
        tw_put(q, o->tee_tcb_svn, 16);
        tw_fill(q, 0x33, 48); /* MRSEAM */
        tw_fill(q, 0, 48);    /* MRSIGNERSEAM */
        tw_fill(q, 0, 8);     /* SEAM_ATTRIBUTES */
        uint8_t tda[8] = {0, 0, 0, 0x10, 0, 0, 0, 0};
        tw_put(q, tda, 8);
        tw_fill(q, 0xe7, 8);
        tw_fill(q, 0x44, 48); /* MRTD */
        tw_put(q, o->mr_config_id, 48);
        tw_fill(q, 0, 96);
        for (size_t i = 0; i < 4; i++) {
            tw_put(q, o->rtmr[i], 48);
        }
        tw_put(q, o->report_data, 64);
        if (o->version == 5 && o->body_type == 3) {
            tw_put(q, o->tee_tcb_svn2, 16);
            tw_fill(q, 0, 48);
        }
    }
    lay->signed_end = q->n;
    /* QE report with the binding; auth data 32 bytes. */
    uint8_t ak[64], auth[32], qe[384], h[32];
    tpki_xy(t->ak, ak);
    memset(auth, 0x7a, sizeof auth);
    uint8_t akauth[96];
    memcpy(akauth, ak, 64);
    memcpy(akauth + 64, auth, 32);
    EVP_Digest(akauth, sizeof akauth, h, NULL, EVP_sha256(), NULL);
    memset(qe, 0, sizeof qe);
    memset(qe, 0x02, 16);
    qe[48] = 0x15;
    memset(qe + 64, 0x4e, 32);
    memcpy(qe + 128, o->qe_mrsigner, 32);
    qe[256] = (uint8_t)o->qe_isvprodid;
    qe[258] = (uint8_t)o->qe_isvsvn;
    memcpy(qe + 320, h, 32);
    uint8_t qsig[64], sig[64];
    tpki_sign_rs(t->leaf_k, qe, sizeof qe, qsig);
    tpki_sign_rs(t->ak, q->p, q->n, sig);
    size_t inner = 384 + 64 + 2 + 32 + 2 + 4 + t->chain.n;
    size_t sigdata = 64 + 64 + (o->version == 3 ? inner : 6 + inner);
    tw_u32(q, (uint32_t)sigdata);
    lay->sig = q->n;
    tw_put(q, sig, 64);
    lay->ak = q->n;
    tw_put(q, ak, 64);
    if (o->version != 3) {
        tw_u16(q, 6);
        tw_u32(q, (uint32_t)inner);
    }
    lay->qe_report = q->n;
    tw_put(q, qe, 384);
    lay->qe_sig = q->n;
    tw_put(q, qsig, 64);
    tw_u16(q, 32);
    lay->auth = q->n;
    tw_put(q, auth, 32);
    tw_u16(q, 5);
    tw_u32(q, (uint32_t)t->chain.n);
    lay->chain = q->n;
    lay->chain_len = t->chain.n;
    tw_put(q, t->chain.p, t->chain.n);
    lay->end = q->n;
    tw_fill(q, 0, o->trailing);
}

/* {"<key>":<body>,"signature":"<hex r||s over body>"} signed by the TCB Signing key. */
static char *tpki_doc(const struct tpki *t, const char *key, const char *body)
{
    uint8_t sig[64];
    char hex[129];
    tpki_sign_rs(t->tcb_k, (const uint8_t *)body, strlen(body), sig);
    for (size_t i = 0; i < 64; i++) {
        (void)snprintf(hex + 2 * i, 3, "%02x", sig[i]);
    }
    size_t n = strlen(body) + strlen(key) + 200;
    char *doc = malloc(n);
    if (doc == NULL) {
        abort();
    }
    (void)snprintf(doc, n, "{\"%s\":%s,\"signature\":\"%s\"}", key, body, hex);
    return doc;
}

static inline void tw_puts(struct tw *w, const char *s)
{
    tw_put(w, s, strlen(s));
}

/* Collateral documents of the test platform (FMSPC 00906ed50000): a TCB info with three
 * platform levels (the top one with status s->top_status) and a QE identity with three. */
static inline void tpki_level_json(struct tw *w, int sgx, int pce, int tdx, const char *status,
                                   const char *adv)
{
    char b[256];
    tw_puts(w, "{\"tcb\":{\"sgxtcbcomponents\":[");
    for (int i = 0; i < 16; i++) {
        int n = snprintf(b, sizeof b, "%s{\"svn\":%d}", i ? "," : "", i < 8 ? sgx : 0);
        tw_put(w, b, (size_t)n);
    }
    int n = snprintf(b, sizeof b, "],\"pcesvn\":%d,\"tdxtcbcomponents\":[", pce);
    tw_put(w, b, (size_t)n);
    for (int i = 0; i < 16; i++) {
        n = snprintf(b, sizeof b, "%s{\"svn\":%d}", i ? "," : "", i == 1 ? 0 : tdx);
        tw_put(w, b, (size_t)n);
    }
    n = snprintf(b, sizeof b, "]},\"tcbDate\":\"2023-02-15T00:00:00Z\",\"tcbStatus\":\"%s\"%s%s%s}",
                 status, adv ? ",\"advisoryIDs\":[\"" : "", adv ? adv : "", adv ? "\"]" : "");
    tw_put(w, b, (size_t)n);
}

struct tpki_coll_spec {
    const char *top_status;    /* status of the highest platform level */
    const char *qe_top_status; /* status of the QE level isvsvn 4 */
    int64_t next_update;
    const char *tcb_id; /* "TDX" / "SGX" */
};

static inline char *tpki_tcb_doc(const struct tpki *pki, const struct tpki_coll_spec *s)
{
    struct tw w = {0};
    char b[1024], iss[40], nxt[40];
    ay_time_format_rfc3339(TPKI_T0 - TPKI_DAY, iss, sizeof iss);
    ay_time_format_rfc3339(s->next_update, nxt, sizeof nxt);
    bool tdx = strcmp(s->tcb_id, "TDX") == 0;
    int n = snprintf(b, sizeof b,
                     "{\"id\":\"%s\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
                     "\"fmspc\":\"00906ed50000\",\"pceId\":\"0000\",\"tcbType\":0,"
                     "\"tcbEvaluationDataNumber\":17,",
                     s->tcb_id, iss, nxt);
    tw_put(&w, b, (size_t)n);
    if (tdx) {
        static const char z96[] = "000000000000000000000000000000000000000000000000"
                                  "000000000000000000000000000000000000000000000000";
        n = snprintf(b, sizeof b,
                     "\"tdxModule\":{\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\","
                     "\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},\"tdxModuleIdentities\":[{\"id\":"
                     "\"TDX_01\",\"mrsigner\":\"%s\",\"attributes\":\"0000000000000000\","
                     "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":[{\"tcb\":{\"isvsvn\":"
                     "4},\"tcbDate\":\"2023-02-15T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},{\"tcb\""
                     ":{\"isvsvn\":2},\"tcbDate\":\"2022-01-01T00:00:00Z\",\"tcbStatus\":"
                     "\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-00001\"]}]}],",
                     z96, z96);
        tw_put(&w, b, (size_t)n);
    }
    tw_puts(&w, "\"tcbLevels\":[");
    tpki_level_json(&w, 5, 11, 5, s->top_status, NULL);
    tw_u8(&w, ',');
    tpki_level_json(&w, 3, 11, 3, "OutOfDate", "INTEL-SA-00002");
    tw_u8(&w, ',');
    tpki_level_json(&w, 2, 10, 2, "Revoked", "INTEL-SA-00009");
    tw_put(&w, "]}", 3); /* includes the NUL */
    char *doc = tpki_doc(pki, "tcbInfo", (const char *)w.p);
    free(w.p);
    return doc;
}

static inline char *tpki_qe_doc(const struct tpki *pki, const uint8_t qe_mrsigner[32],
                                const struct tpki_coll_spec *s, bool tdx)
{
    char b[2048], iss[40], nxt[40], mrs[65];
    ay_time_format_rfc3339(TPKI_T0 - TPKI_DAY, iss, sizeof iss);
    ay_time_format_rfc3339(s->next_update, nxt, sizeof nxt);
    for (size_t i = 0; i < 32; i++) {
        (void)snprintf(mrs + 2 * i, 3, "%02x", qe_mrsigner[i]);
    }
    (void)snprintf(b, sizeof b,
                   "{\"id\":\"%s\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
                   "\"tcbEvaluationDataNumber\":17,\"miscselect\":\"00000000\",\"miscselectMask\":"
                   "\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\","
                   "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"%s\","
                   "\"isvprodid\":2,\"tcbLevels\":[{\"tcb\":{\"isvsvn\":4},\"tcbDate\":"
                   "\"2023-02-15T00:00:00Z\",\"tcbStatus\":\"%s\"},{\"tcb\":{\"isvsvn\":2},"
                   "\"tcbDate\":\"2021-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\","
                   "\"advisoryIDs\":[\"INTEL-SA-00003\"]},{\"tcb\":{\"isvsvn\":1},\"tcbDate\":"
                   "\"2020-01-01T00:00:00Z\",\"tcbStatus\":\"Revoked\"}]}",
                   tdx ? "TD_QE" : "QE", iss, nxt, mrs, s->qe_top_status);
    return tpki_doc(pki, "enclaveIdentity", b);
}

#endif
