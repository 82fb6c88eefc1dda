/* SPDX-License-Identifier: Apache-2.0 */
/* X.509 certificates, CRLs, chain verification to a pinned root and raw signature checks on
 * OpenSSL 3 (EVP, X509, OSSL_PARAM only). FORMATS.md section 10: the store holds only the
 * pinned anchor; intermediates are untrusted; no X509_V_FLAG_X509_STRICT (AMD VCEKs lack an
 * AKI) and no PARTIAL_CHAIN; the time comes from the caller. */
#include "crypto/crypto_x509.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "base/base_limits.h"
#include "base/base_mem.h"
#include "crypto/crypto_ossl.h"

struct ay_x509 {
    X509 *x;
    unsigned char *der;
    size_t der_len;
};

struct ay_x509_crl {
    X509_CRL *crl;
};

struct ay_pkey {
    EVP_PKEY *k;
};

/* ---- helpers ---- */

static bool looks_pem(struct ay_span in)
{
    static const char tag[] = "-----BEGIN";
    for (size_t i = 0; i + sizeof tag - 1 <= in.len; i++) {
        if (memcmp(in.ptr + i, tag, sizeof tag - 1) == 0) {
            return true;
        }
        /* Only leading whitespace may precede the first PEM block. */
        uint8_t c = in.ptr[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            return false;
        }
    }
    return false;
}

static ay_err wrap_cert(struct ay_diag *d, X509 *x, struct ay_x509 **out)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    if (n <= 0) {
        X509_free(x);
        return ay_ossl_fail(d, AY_ERR_MALFORMED, "certificate: cannot re-encode");
    }
    struct ay_x509 *c = ay_xmalloc(sizeof *c);
    c->x = x;
    c->der = der;
    c->der_len = (size_t)n;
    *out = c;
    return AY_OK;
}

static ay_err parse_der_cert(struct ay_diag *d, struct ay_span in, struct ay_x509 **out)
{
    ENSURE(in.len > 0 && in.len <= (size_t)INT32_MAX,
           FAIL(d, AY_ERR_MALFORMED, "certificate: empty or oversized input"));
    const unsigned char *p = in.ptr;
    X509 *x = d2i_X509(NULL, &p, (long)in.len);
    if (x == NULL) {
        return ay_ossl_fail(d, AY_ERR_MALFORMED, "certificate: not a DER certificate");
    }
    if ((size_t)(p - in.ptr) != in.len) {
        X509_free(x);
        return FAIL(d, AY_ERR_MALFORMED, "certificate: %zu trailing bytes after the DER",
                    in.len - (size_t)(p - in.ptr));
    }
    return wrap_cert(d, x, out);
}

/* ---- certificates ---- */

ay_err ay_x509_parse(struct ay_diag *d, struct ay_span in, struct ay_x509 **out)
{
    if (!looks_pem(in)) {
        return parse_der_cert(d, in, out);
    }
    ENSURE(in.len <= (size_t)INT32_MAX, FAIL(d, AY_ERR_LIMIT, "certificate: input too large"));
    BIO *b = BIO_new_mem_buf(in.ptr, (int)in.len);
    if (b == NULL) {
        return ay_ossl_fail(d, AY_ERR_CRYPTO, "certificate: BIO_new_mem_buf");
    }
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    if (x == NULL) {
        return ay_ossl_fail(d, AY_ERR_MALFORMED, "certificate: bad PEM");
    }
    return wrap_cert(d, x, out);
}

ay_err ay_x509_parse_all(struct ay_diag *d, struct ay_span in, size_t max, struct ay_x509 ***out,
                         size_t *out_n)
{
    if (!looks_pem(in)) {
        struct ay_x509 *one;
        TRY(parse_der_cert(d, in, &one));
        struct ay_x509 **arr = ay_xmalloc(sizeof *arr);
        arr[0] = one;
        *out = arr;
        *out_n = 1;
        return AY_OK;
    }
    ENSURE(in.len <= (size_t)INT32_MAX, FAIL(d, AY_ERR_LIMIT, "certificates: input too large"));
    BIO *b = BIO_new_mem_buf(in.ptr, (int)in.len);
    if (b == NULL) {
        return ay_ossl_fail(d, AY_ERR_CRYPTO, "certificates: BIO_new_mem_buf");
    }
    struct ay_x509 **arr = NULL;
    size_t n = 0;
    ay_err err = AY_OK;
    for (;;) {
        X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        if (x == NULL) {
            unsigned long e = ERR_peek_last_error();
            if (n > 0 && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
                ay_ossl_clear(); /* the normal end of the bundle */
                break;
            }
            err = ay_ossl_fail(d, AY_ERR_MALFORMED, "certificates: bad PEM");
            goto out;
        }
        if (n == max) {
            X509_free(x);
            err = FAIL(d, AY_ERR_LIMIT, "certificates: more than %zu in one bundle", max);
            goto out;
        }
        struct ay_x509 *c;
        err = wrap_cert(d, x, &c);
        if (err != AY_OK) {
            goto out;
        }
        arr = ay_xrealloc(arr, (n + 1) * sizeof *arr);
        arr[n++] = c;
    }
out:
    BIO_free(b);
    if (err != AY_OK) {
        ay_x509_free_all(arr, n);
        return err;
    }
    *out = arr;
    *out_n = n;
    return AY_OK;
}

void ay_x509_free(struct ay_x509 *c)
{
    if (c == NULL) {
        return;
    }
    X509_free(c->x);
    OPENSSL_free(c->der);
    ay_free(c);
}

void ay_x509_free_all(struct ay_x509 **certs, size_t n)
{
    if (certs == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        ay_x509_free(certs[i]);
    }
    ay_free(certs);
}

struct ay_x509 *ay_x509_ref(struct ay_x509 *c)
{
    struct ay_x509 *r = ay_xmalloc(sizeof *r);
    if (X509_up_ref(c->x) != 1) {
        abort();
    }
    r->x = c->x;
    r->der = OPENSSL_memdup(c->der, c->der_len);
    if (r->der == NULL) {
        abort();
    }
    r->der_len = c->der_len;
    return r;
}

struct ay_span ay_x509_der(const struct ay_x509 *c)
{
    return ay_span_of(c->der, c->der_len);
}

bool ay_x509_equal(const struct ay_x509 *a, const struct ay_x509 *b)
{
    return a->der_len == b->der_len && memcmp(a->der, b->der, a->der_len) == 0;
}

static ay_err asn1_time_to_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    ENSURE(t != NULL && ASN1_TIME_to_tm(t, &tm) == 1, AY_ERR_MALFORMED);
    /* Convert a UTC broken-down time without timegm's dependence on the locale. */
    int64_t y = (int64_t)tm.tm_year + 1900;
    unsigned m = (unsigned)tm.tm_mon + 1;
    unsigned dd = (unsigned)tm.tm_mday;
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + dd - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + (int64_t)doe - 719468;
    *out = days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    return AY_OK;
}

ay_err ay_x509_validity(const struct ay_x509 *c, int64_t *not_before, int64_t *not_after)
{
    int64_t nb, na;
    TRY(asn1_time_to_unix(X509_get0_notBefore(c->x), &nb));
    TRY(asn1_time_to_unix(X509_get0_notAfter(c->x), &na));
    *not_before = nb;
    *not_after = na;
    return AY_OK;
}

static void name_line(const X509_NAME *n, char *out, size_t outlen)
{
    if (outlen == 0) {
        return;
    }
    out[0] = '\0';
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL) {
        ay_ossl_clear();
        return;
    }
    if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0) {
        int len = BIO_read(b, out, (int)(outlen > INT32_MAX ? INT32_MAX : outlen - 1));
        out[len > 0 ? (size_t)len : 0] = '\0';
    }
    BIO_free(b);
    ay_ossl_clear();
}

void ay_x509_subject(const struct ay_x509 *c, char *out, size_t outlen)
{
    name_line(X509_get_subject_name(c->x), out, outlen);
}

void ay_x509_issuer(const struct ay_x509 *c, char *out, size_t outlen)
{
    name_line(X509_get_issuer_name(c->x), out, outlen);
}

ay_err ay_x509_extension(const struct ay_x509 *c, const char *oid, struct ay_span *out)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    if (obj == NULL) {
        ay_ossl_clear();
        return AY_ERR_INTERNAL;
    }
    int idx = X509_get_ext_by_OBJ(c->x, obj, -1);
    ASN1_OBJECT_free(obj);
    ENSURE(idx >= 0, AY_ERR_NOT_FOUND);
    X509_EXTENSION *ext = X509_get_ext(c->x, idx);
    ASN1_OCTET_STRING *v = ext == NULL ? NULL : X509_EXTENSION_get_data(ext);
    ENSURE(v != NULL, AY_ERR_MALFORMED);
    out->ptr = ASN1_STRING_get0_data(v);
    out->len = (size_t)ASN1_STRING_length(v);
    return AY_OK;
}

ay_err ay_x509_pubkey(struct ay_diag *d, const struct ay_x509 *c, struct ay_pkey **out)
{
    EVP_PKEY *k = X509_get_pubkey(c->x);
    if (k == NULL) {
        return ay_ossl_fail(d, AY_ERR_MALFORMED, "certificate: unusable public key");
    }
    struct ay_pkey *p = ay_xmalloc(sizeof *p);
    p->k = k;
    *out = p;
    return AY_OK;
}

/* ---- CRLs ---- */

ay_err ay_x509_crl_parse(struct ay_diag *d, struct ay_span in, struct ay_x509_crl **out)
{
    ENSURE(in.len > 0 && in.len <= (size_t)INT32_MAX,
           FAIL(d, AY_ERR_MALFORMED, "CRL: empty or oversized input"));
    X509_CRL *crl = NULL;
    if (looks_pem(in)) {
        BIO *b = BIO_new_mem_buf(in.ptr, (int)in.len);
        if (b == NULL) {
            return ay_ossl_fail(d, AY_ERR_CRYPTO, "CRL: BIO_new_mem_buf");
        }
        crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
        BIO_free(b);
    } else {
        const unsigned char *p = in.ptr;
        crl = d2i_X509_CRL(NULL, &p, (long)in.len);
        if (crl != NULL && (size_t)(p - in.ptr) != in.len) {
            X509_CRL_free(crl);
            return FAIL(d, AY_ERR_MALFORMED, "CRL: trailing bytes after the DER");
        }
    }
    if (crl == NULL) {
        return ay_ossl_fail(d, AY_ERR_MALFORMED, "CRL: not a CRL");
    }
    struct ay_x509_crl *r = ay_xmalloc(sizeof *r);
    r->crl = crl;
    *out = r;
    return AY_OK;
}

void ay_x509_crl_free(struct ay_x509_crl *crl)
{
    if (crl == NULL) {
        return;
    }
    X509_CRL_free(crl->crl);
    ay_free(crl);
}

/* ---- chains ---- */

static ay_err map_verify_error(int code)
{
    switch (code) {
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_CRL_HAS_EXPIRED:
        return AY_ERR_EXPIRED;
    case X509_V_ERR_CERT_REVOKED:
        return AY_ERR_REVOKED;
    default:
        return AY_ERR_BAD_CHAIN;
    }
}

ay_err ay_x509_chain_verify(struct ay_diag *d, const struct ay_x509_chain_in *in)
{
    const char *what = in->what != NULL ? in->what : "certificate chain";
    ENSURE(in->leaf != NULL && in->root != NULL,
           FAIL(d, AY_ERR_BAD_CHAIN, "%s: no leaf or no pinned root", what));
    ENSURE(in->n_intermediates <= AY_LIMIT_CERT_CHAIN,
           FAIL(d, AY_ERR_LIMIT, "%s: more than %d intermediates", what, AY_LIMIT_CERT_CHAIN));
    /* A self-signed certificate presented with the evidence is a root: it must be ours. */
    for (size_t i = 0; i < in->n_intermediates; i++) {
        const struct ay_x509 *c = in->intermediates[i];
        if (X509_check_issued(c->x, c->x) == X509_V_OK && !ay_x509_equal(c, in->root)) {
            return FAIL(d, AY_ERR_BAD_CHAIN,
                        "%s: the presented root certificate is not the pinned root", what);
        }
    }
    if (X509_check_issued(in->leaf->x, in->leaf->x) == X509_V_OK &&
        !ay_x509_equal(in->leaf, in->root)) {
        return FAIL(d, AY_ERR_BAD_CHAIN, "%s: self-signed leaf is not the pinned root", what);
    }

    ay_err err = AY_OK;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *sctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_VERIFY_PARAM *param = NULL;
    unsigned long flags = X509_V_FLAG_USE_CHECK_TIME;
    STACK_OF(X509) *chain = NULL;
    int n = 0;
    if (store == NULL || sctx == NULL || untrusted == NULL) {
        err = ay_ossl_fail(d, AY_ERR_CRYPTO, "chain: allocation");
        goto out;
    }
    if (X509_STORE_add_cert(store, in->root->x) != 1) {
        err = ay_ossl_fail(d, AY_ERR_CRYPTO, "chain: cannot add the pinned root");
        goto out;
    }
    for (size_t i = 0; i < in->n_intermediates; i++) {
        if (sk_X509_push(untrusted, in->intermediates[i]->x) <= 0) {
            err = ay_ossl_fail(d, AY_ERR_CRYPTO, "chain: stack push");
            goto out;
        }
    }
    for (size_t i = 0; i < in->n_crls; i++) {
        if (X509_STORE_add_crl(store, in->crls[i]->crl) != 1) {
            err = ay_ossl_fail(d, AY_ERR_CRYPTO, "chain: cannot add a CRL");
            goto out;
        }
    }
    if (X509_STORE_CTX_init(sctx, store, in->leaf->x, untrusted) != 1) {
        err = ay_ossl_fail(d, AY_ERR_CRYPTO, "chain: context init");
        goto out;
    }
    param = X509_STORE_CTX_get0_param(sctx);
    X509_VERIFY_PARAM_set_time(param, (time_t)in->at);
    if (in->n_crls > 0) {
        flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
    }
    X509_VERIFY_PARAM_set_flags(param, flags);
    if (X509_verify_cert(sctx) != 1) {
        int code = X509_STORE_CTX_get_error(sctx);
        int depth = X509_STORE_CTX_get_error_depth(sctx);
        X509 *bad = X509_STORE_CTX_get_current_cert(sctx);
        char subj[256] = "";
        if (bad != NULL) {
            name_line(X509_get_subject_name(bad), subj, sizeof subj);
        }
        ay_ossl_clear();
        err = FAIL(d, map_verify_error(code), "%s: %s at depth %d (%s)", what,
                   X509_verify_cert_error_string(code), depth, subj);
        goto out;
    }
    /* The anchor OpenSSL used must be the pinned root itself (it is the only trusted cert,
     * but a byte compare states the rule explicitly). */
    chain = X509_STORE_CTX_get0_chain(sctx);
    n = chain == NULL ? 0 : sk_X509_num(chain);
    if (n < 1 || X509_cmp(sk_X509_value(chain, n - 1), in->root->x) != 0) {
        err = FAIL(d, AY_ERR_BAD_CHAIN, "%s: chain does not end at the pinned root", what);
        goto out;
    }
out:
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(sctx);
    X509_STORE_free(store);
    ay_ossl_clear();
    return err;
}

/* ---- public keys ---- */

static ay_err wrap_pkey(EVP_PKEY *k, struct ay_pkey **out)
{
    struct ay_pkey *p = ay_xmalloc(sizeof *p);
    p->k = k;
    *out = p;
    return AY_OK;
}

ay_err ay_pkey_from_ec_xy(struct ay_diag *d, enum ay_curve curve, struct ay_span xy,
                          struct ay_pkey **out)
{
    const char *group = NULL;
    size_t field = 0;
    switch (curve) {
    case AY_CURVE_P256:
        group = "P-256";
        field = 32;
        break;
    case AY_CURVE_P384:
        group = "P-384";
        field = 48;
        break;
    }
    ENSURE(group != NULL, AY_ERR_INTERNAL);
    ENSURE(xy.len == 2 * field,
           FAIL(d, AY_ERR_MALFORMED, "EC key: %zu bytes, want %zu", xy.len, 2 * field));
    unsigned char pt[1 + 2 * 48];
    pt[0] = 0x04; /* uncompressed point */
    memcpy(pt + 1, xy.ptr, xy.len);
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)(uintptr_t)group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + xy.len);
    params[2] = OSSL_PARAM_construct_end();
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *k = NULL;
    if (pc == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
        EVP_PKEY_fromdata(pc, &k, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        EVP_PKEY_CTX_free(pc);
        return ay_ossl_fail(d, AY_ERR_MALFORMED, "EC key: not a point on the curve");
    }
    EVP_PKEY_CTX_free(pc);
    /* fromdata does not always check the point: do it explicitly. */
    EVP_PKEY_CTX *cc = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
    int valid = cc == NULL ? 0 : EVP_PKEY_public_check(cc);
    EVP_PKEY_CTX_free(cc);
    if (valid != 1) {
        EVP_PKEY_free(k);
        return ay_ossl_fail(d, AY_ERR_MALFORMED, "EC key: not a point on the curve");
    }
    return wrap_pkey(k, out);
}

ay_err ay_pkey_from_rsa(struct ay_diag *d, struct ay_span n, struct ay_span e,
                        struct ay_pkey **out)
{
    ENSURE(n.len > 0 && n.len <= 1024 && e.len > 0 && e.len <= 8,
           FAIL(d, AY_ERR_MALFORMED, "RSA key: bad modulus or exponent size"));
    ay_err err = AY_OK;
    BIGNUM *bn_n = BN_bin2bn(n.ptr, (int)n.len, NULL);
    BIGNUM *bn_e = BN_bin2bn(e.ptr, (int)e.len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    EVP_PKEY *k = NULL;
    if (bn_n == NULL || bn_e == NULL || bld == NULL ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) != 1 ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(pc) != 1 ||
        EVP_PKEY_fromdata(pc, &k, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        err = ay_ossl_fail(d, AY_ERR_MALFORMED, "RSA key: cannot build");
    }
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    if (err != AY_OK) {
        EVP_PKEY_free(k);
        return err;
    }
    return wrap_pkey(k, out);
}

ay_err ay_pkey_parse_spki(struct ay_diag *d, struct ay_span in, struct ay_pkey **out)
{
    ENSURE(in.len > 0 && in.len <= (size_t)INT32_MAX,
           FAIL(d, AY_ERR_MALFORMED, "public key: empty or oversized input"));
    EVP_PKEY *k = NULL;
    if (looks_pem(in)) {
        BIO *b = BIO_new_mem_buf(in.ptr, (int)in.len);
        if (b == NULL) {
            return ay_ossl_fail(d, AY_ERR_CRYPTO, "public key: BIO_new_mem_buf");
        }
        k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
        BIO_free(b);
    } else {
        const unsigned char *p = in.ptr;
        k = d2i_PUBKEY(NULL, &p, (long)in.len);
        if (k != NULL && (size_t)(p - in.ptr) != in.len) {
            EVP_PKEY_free(k);
            return FAIL(d, AY_ERR_MALFORMED, "public key: trailing bytes after the DER");
        }
    }
    if (k == NULL) {
        return ay_ossl_fail(d, AY_ERR_MALFORMED, "public key: not a SubjectPublicKeyInfo");
    }
    return wrap_pkey(k, out);
}

void ay_pkey_free(struct ay_pkey *k)
{
    if (k == NULL) {
        return;
    }
    EVP_PKEY_free(k->k);
    ay_free(k);
}

struct ay_pkey *ay_pkey_ref(struct ay_pkey *k)
{
    if (EVP_PKEY_up_ref(k->k) != 1) {
        abort();
    }
    struct ay_pkey *r = ay_xmalloc(sizeof *r);
    r->k = k->k;
    return r;
}

ay_err ay_pkey_spki_der(struct ay_diag *d, const struct ay_pkey *k, uint8_t **out,
                        size_t *out_len)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k->k, &der);
    if (n <= 0) {
        return ay_ossl_fail(d, AY_ERR_CRYPTO, "public key: cannot encode");
    }
    uint8_t *copy = ay_xmalloc((size_t)n);
    memcpy(copy, der, (size_t)n);
    OPENSSL_free(der);
    *out = copy;
    *out_len = (size_t)n;
    return AY_OK;
}

/* EVP_DigestVerify is tri-state: 1 good, 0 bad signature, < 0 error (STYLE.md B.5). */
static ay_err digest_verify(struct ay_diag *d, const struct ay_pkey *k, enum ay_hash h,
                            struct ay_span msg, const unsigned char *sig, size_t sig_len, bool pss)
{
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    if (mc == NULL || EVP_DigestVerifyInit_ex(mc, &pc, EVP_MD_get0_name(ay_ossl_md(h)), NULL, NULL,
                                              k->k, NULL) != 1) {
        EVP_MD_CTX_free(mc);
        return ay_ossl_fail(d, AY_ERR_CRYPTO, "signature: verify init");
    }
    if (pss && (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1 ||
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) != 1 ||
                EVP_PKEY_CTX_set_rsa_mgf1_md(pc, ay_ossl_md(h)) != 1)) {
        EVP_MD_CTX_free(mc);
        return ay_ossl_fail(d, AY_ERR_CRYPTO, "signature: PSS parameters");
    }
    int r = EVP_DigestVerify(mc, sig, sig_len, msg.ptr, msg.len);
    EVP_MD_CTX_free(mc);
    ay_ossl_clear();
    if (r == 1) {
        return AY_OK;
    }
    return FAIL(d, AY_ERR_BAD_SIGNATURE, "signature does not verify");
}

ay_err ay_pkey_verify(struct ay_diag *d, const struct ay_pkey *k, enum ay_hash h,
                      struct ay_span msg, struct ay_span sig)
{
    return digest_verify(d, k, h, msg, sig.ptr, sig.len, false);
}

ay_err ay_pkey_verify_pss(struct ay_diag *d, const struct ay_pkey *k, enum ay_hash h,
                          struct ay_span msg, struct ay_span sig)
{
    return digest_verify(d, k, h, msg, sig.ptr, sig.len, true);
}

static ay_err verify_rs_bn(struct ay_diag *d, const struct ay_pkey *k, enum ay_hash h,
                           struct ay_span msg, BIGNUM *r, BIGNUM *s)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return ay_ossl_fail(d, AY_ERR_CRYPTO, "ECDSA: cannot build the signature");
    }
    unsigned char *der = NULL;
    int n = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (n <= 0) {
        return ay_ossl_fail(d, AY_ERR_CRYPTO, "ECDSA: cannot encode the signature");
    }
    ay_err err = digest_verify(d, k, h, msg, der, (size_t)n, false);
    OPENSSL_free(der);
    return err;
}

ay_err ay_pkey_verify_ecdsa_rs(struct ay_diag *d, const struct ay_pkey *k, enum ay_hash h,
                               struct ay_span msg, struct ay_span r, struct ay_span s)
{
    ENSURE(r.len > 0 && r.len <= 132 && s.len > 0 && s.len <= 132,
           FAIL(d, AY_ERR_MALFORMED, "ECDSA: bad r/s length"));
    return verify_rs_bn(d, k, h, msg, BN_bin2bn(r.ptr, (int)r.len, NULL),
                        BN_bin2bn(s.ptr, (int)s.len, NULL));
}

ay_err ay_pkey_verify_ecdsa_rs_le(struct ay_diag *d, const struct ay_pkey *k, enum ay_hash h,
                                  struct ay_span msg, struct ay_span r_le, struct ay_span s_le)
{
    ENSURE(r_le.len > 0 && r_le.len <= 132 && s_le.len > 0 && s_le.len <= 132,
           FAIL(d, AY_ERR_MALFORMED, "ECDSA: bad r/s length"));
    return verify_rs_bn(d, k, h, msg, BN_lebin2bn(r_le.ptr, (int)r_le.len, NULL),
                        BN_lebin2bn(s_le.ptr, (int)s_le.len, NULL));
}
