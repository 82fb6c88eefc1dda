/* SPDX-License-Identifier: Apache-2.0 */
/* Intel DCAP ECDSA quotes shared by the SGX and TDX verifiers: the strict quote parser, the PCK
 * SGX extension parser and the verification in QVL's order (FORMATS.md 2.1-2.3, 3). */
#include "tee/tee_dcap.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "base/base_ctx.h"
#include "base/base_mem.h"
#include "base/base_limits.h"
#include "base/base_log.h"
#include "base/base_time.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_dcap.h"
#include "crypto/crypto_digest.h"
#include "crypto/crypto_x509.h"
#include "tee/tee.h"
#include "tee/tee_collateral.h"

/* FORMATS.md 2.1: the Intel QE vendor id. */
static const uint8_t intel_qe_vendor[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                            0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

/* ---- quote parsing ---- */

static ay_err parse_sgx_report(struct ay_cur *c, struct ay_dcap_sgx_report *r)
{
    /* SGX SDK sgx_report_body_t, 384 bytes; FORMATS.md 2.1 "SGX enclave report". */
    size_t start = ay_cur_pos(c);
    TRY(ay_cur_copy(c, r->cpu_svn, 16));
    TRY(ay_cur_u32le(c, &r->misc_select));
    TRY(ay_cur_copy(c, r->reserved1, 12));
    TRY(ay_cur_copy(c, r->isv_ext_prod_id, 16));
    TRY(ay_cur_copy(c, r->attributes, 16));
    TRY(ay_cur_copy(c, r->mr_enclave, 32));
    TRY(ay_cur_copy(c, r->reserved2, 32));
    TRY(ay_cur_copy(c, r->mr_signer, 32));
    TRY(ay_cur_copy(c, r->reserved3, 32));
    TRY(ay_cur_copy(c, r->config_id, 64));
    TRY(ay_cur_u16le(c, &r->isv_prod_id));
    TRY(ay_cur_u16le(c, &r->isv_svn));
    TRY(ay_cur_u16le(c, &r->config_svn));
    TRY(ay_cur_copy(c, r->reserved4, 42));
    TRY(ay_cur_copy(c, r->isv_family_id, 16));
    TRY(ay_cur_copy(c, r->report_data, 64));
    return ay_cur_at(c, start + AY_DCAP_REPORT_LEN);
}

static ay_err parse_td_report(struct ay_cur *c, bool v15, struct ay_dcap_td_report *r)
{
    /* FORMATS.md 2.1 "TD report body". */
    size_t start = ay_cur_pos(c);
    TRY(ay_cur_copy(c, r->tee_tcb_svn, 16));
    TRY(ay_cur_copy(c, r->mr_seam, 48));
    TRY(ay_cur_copy(c, r->mrsigner_seam, 48));
    TRY(ay_cur_copy(c, r->seam_attributes, 8));
    TRY(ay_cur_copy(c, r->td_attributes, 8));
    TRY(ay_cur_copy(c, r->xfam, 8));
    TRY(ay_cur_copy(c, r->mr_td, 48));
    TRY(ay_cur_copy(c, r->mr_config_id, 48));
    TRY(ay_cur_copy(c, r->mr_owner, 48));
    TRY(ay_cur_copy(c, r->mr_owner_config, 48));
    for (size_t i = 0; i < 4; i++) {
        TRY(ay_cur_copy(c, r->rtmr[i], 48));
    }
    TRY(ay_cur_copy(c, r->report_data, 64));
    TRY(ay_cur_at(c, start + AY_DCAP_TD10_LEN));
    r->is_15 = v15;
    if (v15) {
        TRY(ay_cur_copy(c, r->tee_tcb_svn2, 16));
        TRY(ay_cur_copy(c, r->mr_servicetd, 48));
        TRY(ay_cur_at(c, start + AY_DCAP_TD15_LEN));
    }
    return AY_OK;
}

static ay_err parse_qe_cert_data(struct ay_diag *d, struct ay_cur *c, struct ay_dcap_quote *q)
{
    /* QE report certification data (type 6 content, and the tail of v3 signature data). */
    TRY(ay_cur_bytes(c, AY_DCAP_REPORT_LEN, &q->qe_report_bytes));
    struct ay_cur rc;
    ay_cur_init(&rc, q->qe_report_bytes);
    TRY(parse_sgx_report(&rc, &q->qe_report));
    TRY(ay_cur_copy(c, q->qe_report_sig, AY_DCAP_SIG_LEN));
    uint16_t auth_len;
    TRY(ay_cur_u16le(c, &auth_len));
    TRY(ay_cur_bytes(c, auth_len, &q->qe_auth_data));
    TRY(ay_cur_u16le(c, &q->cert_type));
    uint32_t cert_len;
    TRY(ay_cur_u32le(c, &cert_len));
    ENSURE(cert_len <= ay_cur_left(c),
           FAIL(d, AY_ERR_TRUNCATED, "quote: certification data size %u exceeds the quote",
                (unsigned)cert_len));
    TRY(ay_cur_bytes(c, cert_len, &q->cert_data));
    return AY_OK;
}

static ay_err quote_parse(struct ay_diag *d, struct ay_span in, struct ay_dcap_quote *q)
{
    struct ay_cur c;
    ay_cur_init(&c, in);
    memset(q, 0, sizeof *q);
    /* Header, FORMATS.md 2.1. */
    TRY(ay_cur_u16le(&c, &q->version));
    TRY(ay_cur_u16le(&c, &q->att_key_type));
    TRY(ay_cur_u32le(&c, &q->tee_type));
    TRY(ay_cur_copy(&c, q->reserved, 4));
    TRY(ay_cur_copy(&c, q->qe_vendor_id, 16));
    TRY(ay_cur_copy(&c, q->user_data, 20));
    TRY(ay_cur_at(&c, 48));
    ENSURE(q->version >= 3 && q->version <= 5,
           FAIL(d, AY_ERR_UNSUPPORTED, "quote: version %u is not 3, 4 or 5", q->version));
    /* QVL allows only ECDSA-256-with-P-256 attestation keys (FORMATS.md 2.1). */
    ENSURE(q->att_key_type == 2,
           FAIL(d, AY_ERR_UNSUPPORTED, "quote: attestation key type %u is not 2 (ECDSA P-256)",
                q->att_key_type));
    ENSURE(q->tee_type == AY_DCAP_TEE_SGX || q->tee_type == AY_DCAP_TEE_TDX,
           FAIL(d, AY_ERR_UNSUPPORTED, "quote: TEE type 0x%x is neither SGX nor TDX",
                (unsigned)q->tee_type));
    ENSURE(q->version != 3 || q->tee_type == AY_DCAP_TEE_SGX,
           FAIL(d, AY_ERR_MALFORMED, "quote: version 3 with TEE type 0x%x", (unsigned)q->tee_type));
    if (q->version == 5) {
        /* v5: body_type u16 and body_size u32 precede the body (FORMATS.md 2.1). */
        TRY(ay_cur_u16le(&c, &q->body_type));
        TRY(ay_cur_u32le(&c, &q->body_size));
        uint32_t want = q->body_type == 1   ? AY_DCAP_REPORT_LEN
                        : q->body_type == 2 ? AY_DCAP_TD10_LEN
                        : q->body_type == 3 ? AY_DCAP_TD15_LEN
                                            : 0;
        ENSURE(want != 0, FAIL(d, AY_ERR_UNSUPPORTED, "quote: v5 body type %u is unknown",
                               q->body_type));
        ENSURE(q->body_size == want,
               FAIL(d, AY_ERR_MALFORMED, "quote: v5 body type %u with size %u (expected %u)",
                    q->body_type, (unsigned)q->body_size, (unsigned)want));
        ENSURE((q->body_type == 1) == (q->tee_type == AY_DCAP_TEE_SGX),
               FAIL(d, AY_ERR_MALFORMED, "quote: v5 body type %u does not fit TEE type 0x%x",
                    q->body_type, (unsigned)q->tee_type));
    }
    ay_err e;
    if (q->tee_type == AY_DCAP_TEE_SGX) {
        e = parse_sgx_report(&c, &q->sgx);
    } else {
        e = parse_td_report(&c, q->body_type == 3, &q->td);
    }
    ENSURE(e == AY_OK, FAIL(d, e, "quote: body truncated"));
    q->signed_bytes = ay_span_of(in.ptr, ay_cur_pos(&c));

    uint32_t sig_len;
    ENSURE(ay_cur_u32le(&c, &sig_len) == AY_OK,
           FAIL(d, AY_ERR_TRUNCATED, "quote: no signature data length"));
    struct ay_cur s;
    ENSURE(ay_cur_sub(&c, sig_len, &s) == AY_OK,
           FAIL(d, AY_ERR_TRUNCATED, "quote: signature data length %u exceeds the quote (%zu left)",
                (unsigned)sig_len, ay_cur_left(&c)));
    q->trailing = ay_cur_left(&c);
    ENSURE(ay_cur_copy(&s, q->signature, AY_DCAP_SIG_LEN) == AY_OK &&
               ay_cur_copy(&s, q->att_key, AY_DCAP_KEY_LEN) == AY_OK,
           FAIL(d, AY_ERR_TRUNCATED, "quote: signature data truncated"));
    if (q->version == 3) {
        /* v3: QE report etc. directly, then cert data type 5 (FORMATS.md 2.1). */
        q->outer_cert_type = 0;
        e = parse_qe_cert_data(d, &s, q);
        ENSURE(e == AY_OK, FAIL(d, e, "quote: QE report certification data truncated"));
    } else {
        uint32_t outer_len;
        ENSURE(ay_cur_u16le(&s, &q->outer_cert_type) == AY_OK &&
                   ay_cur_u32le(&s, &outer_len) == AY_OK,
               FAIL(d, AY_ERR_TRUNCATED, "quote: certification data header truncated"));
        ENSURE(q->outer_cert_type == 6,
               FAIL(d, AY_ERR_UNSUPPORTED,
                    "quote: certification data type %u (expected 6, QE report certification data)",
                    q->outer_cert_type));
        struct ay_cur inner;
        ENSURE(ay_cur_sub(&s, outer_len, &inner) == AY_OK,
               FAIL(d, AY_ERR_TRUNCATED, "quote: certification data size %u exceeds the quote",
                    (unsigned)outer_len));
        e = parse_qe_cert_data(d, &inner, q);
        ENSURE(e == AY_OK, FAIL(d, e, "quote: QE report certification data truncated"));
        ENSURE(ay_cur_end(&inner) == AY_OK,
               FAIL(d, AY_ERR_MALFORMED, "quote: %zu stray bytes in the type 6 certification data",
                    ay_cur_left(&inner)));
    }
    ENSURE(ay_cur_end(&s) == AY_OK,
           FAIL(d, AY_ERR_MALFORMED, "quote: %zu stray bytes in the signature data",
                ay_cur_left(&s)));
    return AY_OK;
}

ay_err ay_dcap_quote_parse(struct ay_diag *d, struct ay_span in, struct ay_dcap_quote *out)
{
    struct ay_dcap_quote *q = out;
    ay_err e = quote_parse(d, in, q);
    if (e != AY_OK) {
        /* A cursor read failed without a message: say so. */
        (void)FAIL(d, e, "quote: truncated or malformed (%zu bytes)", in.len);
    }
    return e;
}

/* ---- PCK certificate SGX extension (FORMATS.md 2.3), DER through the cursor ---- */

#define DER_INT 0x02
#define DER_BOOL 0x01
#define DER_OCTETS 0x04
#define DER_OID 0x06
#define DER_ENUM 0x0a
#define DER_SEQ 0x30

/* 1.2.840.113741.1.13.1 */
static const uint8_t sgx_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

static ay_err der_tlv(struct ay_cur *c, uint8_t tag, struct ay_cur *content)
{
    uint8_t t, l0;
    TRY(ay_cur_u8(c, &t));
    ENSURE(t == tag, AY_ERR_MALFORMED);
    TRY(ay_cur_u8(c, &l0));
    size_t len = l0;
    if (l0 & 0x80u) {
        /* Long form, at most 3 length bytes here (DER: minimal, no indefinite form). */
        size_t nb = l0 & 0x7fu;
        ENSURE(nb >= 1 && nb <= 3, AY_ERR_MALFORMED);
        len = 0;
        for (size_t i = 0; i < nb; i++) {
            uint8_t b;
            TRY(ay_cur_u8(c, &b));
            ENSURE(i > 0 || b != 0, AY_ERR_MALFORMED);
            len = (len << 8) | b;
        }
        ENSURE(len >= 0x80, AY_ERR_MALFORMED);
    }
    return ay_cur_sub(c, len, content);
}

static ay_err der_uint(struct ay_cur *c, uint8_t tag, uint32_t max, uint32_t *out)
{
    struct ay_cur v;
    TRY(der_tlv(c, tag, &v));
    size_t n = ay_cur_left(&v);
    ENSURE(n >= 1 && n <= 4, AY_ERR_MALFORMED);
    uint32_t x = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b;
        TRY(ay_cur_u8(&v, &b));
        ENSURE(i > 0 || (b & 0x80u) == 0, AY_ERR_MALFORMED); /* non-negative */
        x = (x << 8) | b;
    }
    ENSURE(x <= max, AY_ERR_MALFORMED);
    *out = x;
    return AY_OK;
}

static ay_err der_octets(struct ay_cur *c, void *dst, size_t n)
{
    struct ay_cur v;
    TRY(der_tlv(c, DER_OCTETS, &v));
    ENSURE(ay_cur_left(&v) == n, AY_ERR_MALFORMED);
    return ay_cur_copy(&v, dst, n);
}

static ay_err der_bool(struct ay_cur *c, bool *out)
{
    struct ay_cur v;
    uint8_t b;
    TRY(der_tlv(c, DER_BOOL, &v));
    TRY(ay_cur_u8(&v, &b));
    TRY(ay_cur_end(&v));
    *out = b != 0;
    return AY_OK;
}

/* Reads an OID below the SGX arc; *arc1 / *arc2 get the next arcs (arc2 = 0 if absent).
 * Arcs are single-byte in this extension. */
static ay_err sgx_oid_arcs(struct ay_cur *c, uint8_t *arc1, uint8_t *arc2, uint8_t *arc3)
{
    struct ay_cur v;
    struct ay_span p;
    TRY(der_tlv(c, DER_OID, &v));
    TRY(ay_cur_bytes(&v, sizeof sgx_oid, &p));
    ENSURE(memcmp(p.ptr, sgx_oid, sizeof sgx_oid) == 0, AY_ERR_MALFORMED);
    uint8_t a[3] = {0, 0, 0};
    size_t n = ay_cur_left(&v);
    ENSURE(n >= 1 && n <= 3, AY_ERR_MALFORMED);
    TRY(ay_cur_copy(&v, a, n));
    for (size_t i = 0; i < n; i++) {
        ENSURE(a[i] < 0x80 && a[i] > 0, AY_ERR_MALFORMED);
    }
    *arc1 = a[0];
    *arc2 = a[1];
    *arc3 = a[2];
    return AY_OK;
}

static ay_err pck_tcb(struct ay_cur *c, struct ay_dcap_pck_ext *o)
{
    /* .2: SEQUENCE of 18 {OID .2.n, value} (FORMATS.md 2.3). */
    struct ay_cur seq;
    uint32_t seen = 0;
    TRY(der_tlv(c, DER_SEQ, &seq));
    while (ay_cur_left(&seq) > 0) {
        struct ay_cur item;
        uint8_t a1, a2, a3;
        TRY(der_tlv(&seq, DER_SEQ, &item));
        TRY(sgx_oid_arcs(&item, &a1, &a2, &a3));
        ENSURE(a1 == 2 && a2 >= 1 && a2 <= 18 && a3 == 0, AY_ERR_MALFORMED);
        ENSURE((seen & (1u << a2)) == 0, AY_ERR_MALFORMED);
        seen |= 1u << a2;
        uint32_t x;
        if (a2 <= 16) {
            TRY(der_uint(&item, DER_INT, 255, &x));
            o->comp_svn[a2 - 1] = (uint8_t)x;
        } else if (a2 == 17) {
            TRY(der_uint(&item, DER_INT, 65535, &x));
            o->pce_svn = (uint16_t)x;
        } else {
            TRY(der_octets(&item, o->cpu_svn, 16));
        }
        TRY(ay_cur_end(&item));
    }
    ENSURE(seen == 0x7fffeu, AY_ERR_MALFORMED); /* arcs 1..18 */
    return AY_OK;
}

static ay_err pck_config(struct ay_cur *c, struct ay_dcap_pck_ext *o)
{
    /* .7: SEQUENCE of {OID .7.n, BOOLEAN}: dynamicPlatform, cachedKeys, SMTEnabled. */
    struct ay_cur seq;
    TRY(der_tlv(c, DER_SEQ, &seq));
    o->has_config = true;
    while (ay_cur_left(&seq) > 0) {
        struct ay_cur item;
        uint8_t a1, a2, a3;
        bool b;
        TRY(der_tlv(&seq, DER_SEQ, &item));
        TRY(sgx_oid_arcs(&item, &a1, &a2, &a3));
        ENSURE(a1 == 7 && a3 == 0, AY_ERR_MALFORMED);
        TRY(der_bool(&item, &b));
        TRY(ay_cur_end(&item));
        if (a2 == 1) {
            o->dynamic_platform = b;
        } else if (a2 == 2) {
            o->cached_keys = b;
        } else if (a2 == 3) {
            o->smt_enabled = b;
        }
    }
    return AY_OK;
}

static ay_err pck_ext_parse(struct ay_span der, struct ay_dcap_pck_ext *o)
{
    struct ay_cur c, top;
    uint32_t seen = 0;
    ay_cur_init(&c, der);
    TRY(der_tlv(&c, DER_SEQ, &top));
    TRY(ay_cur_end(&c));
    while (ay_cur_left(&top) > 0) {
        struct ay_cur item;
        uint8_t a1, a2, a3;
        uint32_t x;
        TRY(der_tlv(&top, DER_SEQ, &item));
        TRY(sgx_oid_arcs(&item, &a1, &a2, &a3));
        ENSURE(a2 == 0 && a1 >= 1 && a1 <= 7, AY_ERR_MALFORMED);
        ENSURE((seen & (1u << a1)) == 0, AY_ERR_MALFORMED);
        seen |= 1u << a1;
        switch (a1) {
        case 1:
            TRY(der_octets(&item, o->ppid, 16));
            break;
        case 2:
            TRY(pck_tcb(&item, o));
            break;
        case 3:
            TRY(der_octets(&item, o->pce_id, 2));
            break;
        case 4:
            TRY(der_octets(&item, o->fmspc, 6));
            break;
        case 5:
            TRY(der_uint(&item, DER_ENUM, 2, &x));
            o->sgx_type = (int)x;
            break;
        case 6:
            TRY(der_octets(&item, o->platform_instance_id, 16));
            o->has_platform_instance_id = true;
            break;
        default:
            TRY(pck_config(&item, o));
            break;
        }
        TRY(ay_cur_end(&item));
    }
    /* PPID, TCB, PCE-ID, FMSPC and SGX type are mandatory. */
    ENSURE((seen & 0x3eu) == 0x3eu, AY_ERR_MALFORMED);
    return AY_OK;
}

ay_err ay_dcap_pck_ext_parse(struct ay_diag *d, struct ay_span der, struct ay_dcap_pck_ext *out)
{
    struct ay_dcap_pck_ext o;
    memset(&o, 0, sizeof o);
    ay_err e = pck_ext_parse(der, &o);
    if (e != AY_OK) {
        return FAIL(d, e == AY_ERR_TRUNCATED ? AY_ERR_MALFORMED : e,
                    "PCK certificate: malformed SGX extension (OID 1.2.840.113741.1.13.1)");
    }
    *out = o;
    return AY_OK;
}

/* ---- endorsements ---- */

struct endorse {
    struct ay_x509 **pck_certs; /* from the quote */
    size_t n_pck;
    struct ay_x509_crl *crls[4];
    struct ay_span crl_bytes[4]; /* for the reuse window */
    size_t n_crls;
    struct ay_x509 **signer; /* TCB signing chain (signer, root) */
    size_t n_signer;
    struct ay_coll_doc tcb, qe;
    bool have_tcb, have_qe;
};

static void endorse_free(struct endorse *en)
{
    ay_x509_free_all(en->pck_certs, en->n_pck);
    for (size_t i = 0; i < en->n_crls; i++) {
        ay_x509_crl_free(en->crls[i]);
    }
    ay_x509_free_all(en->signer, en->n_signer);
    if (en->have_tcb) {
        ay_coll_doc_clear(&en->tcb);
    }
    if (en->have_qe) {
        ay_coll_doc_clear(&en->qe);
    }
}

static bool has_prefix(struct ay_span s, const char *p)
{
    size_t n = strlen(p);
    return s.len >= n && memcmp(s.ptr, p, n) == 0;
}

static bool subject_has(const struct ay_x509 *c, const char *needle)
{
    char subj[512];
    ay_x509_subject(c, subj, sizeof subj);
    return strstr(subj, needle) != NULL;
}

/* Recognises the endorsement files by content (tee.h): collateral JSON, CRLs, issuer chains. */
static ay_err classify(struct ay_ctx *ctx, const struct ay_endorsement *e, size_t n_e,
                       struct endorse *en)
{
    for (size_t i = 0; i < n_e; i++) {
        struct ay_span b = e[i].bytes;
        struct ay_diag scratch;
        bool is_identity = false;
        ay_diag_clear(&scratch);
        if (ay_coll_doc_sniff(b, &is_identity)) {
            struct ay_coll_doc *doc = is_identity ? &en->qe : &en->tcb;
            bool *have = is_identity ? &en->have_qe : &en->have_tcb;
            ENSURE(!*have, FAIL(&ctx->diag, AY_ERR_BAD_REQUEST, "%s: a second %s document",
                                e[i].name, is_identity ? "QE identity" : "TCB info"));
            ay_err err = ay_coll_doc_parse(&ctx->diag, b, doc);
            if (err != AY_OK) {
                ay_diag_prefix(&ctx->diag, "%s", e[i].name);
                return err;
            }
            *have = true;
            continue;
        }
        if (has_prefix(b, "-----BEGIN X509 CRL")) {
            struct ay_x509_crl *crl = NULL;
            ay_err err = ay_x509_crl_parse(&ctx->diag, b, &crl);
            if (err != AY_OK) {
                ay_diag_prefix(&ctx->diag, "%s", e[i].name);
                return err;
            }
            if (en->n_crls == 4) {
                ay_x509_crl_free(crl);
                return FAIL(&ctx->diag, AY_ERR_LIMIT, "%s: more than 4 CRLs", e[i].name);
            }
            en->crl_bytes[en->n_crls] = b;
            en->crls[en->n_crls++] = crl;
            continue;
        }
        struct ay_x509 **certs = NULL;
        size_t n = 0;
        if (ay_x509_parse_all(&scratch, b, AY_LIMIT_CERT_CHAIN, &certs, &n) == AY_OK) {
            if (n >= 1 && subject_has(certs[0], "TCB Signing") && en->signer == NULL) {
                en->signer = certs;
                en->n_signer = n;
            } else {
                /* Roots (compared with the pin in the chain check anyway), PCK CRL issuer
                 * chains (their CA is the quote's intermediate): nothing to keep. */
                ay_x509_free_all(certs, n);
            }
            continue;
        }
        struct ay_x509_crl *crl = NULL;
        ay_diag_clear(&scratch);
        if (b.len > 0 && b.ptr[0] == 0x30 && ay_x509_crl_parse(&scratch, b, &crl) == AY_OK) {
            if (en->n_crls == 4) {
                ay_x509_crl_free(crl);
                return FAIL(&ctx->diag, AY_ERR_LIMIT, "%s: more than 4 CRLs", e[i].name);
            }
            en->crl_bytes[en->n_crls] = b;
            en->crls[en->n_crls++] = crl;
            continue;
        }
        /* Not ours (another verifier's file): ignored, as tee.h says. */
    }
    return AY_OK;
}

/* ---- verification ---- */

/* FORMATS.md 2.2 step 2: the PCK chain of cert data type 5 (PEM leaf || intermediate || root)
 * and the leaf's SGX extension. Other types (PPID, encrypted PPID, PCK leaf only) need a PCS
 * lookup we do not do. */
static ay_err parse_pck_chain(struct ay_ctx *ctx, const struct ay_dcap_quote *q,
                              const struct ay_x509 *root, struct endorse *en,
                              struct ay_dcap_result *r)
{
    ENSURE(q->cert_type == 5,
           FAIL(&ctx->diag, AY_ERR_UNSUPPORTED,
                "quote: certification data type %u (only 5, PCK certificate chain, is supported)",
                q->cert_type));
    ay_err e = ay_x509_parse_all(&ctx->diag, q->cert_data, AY_LIMIT_CERT_CHAIN, &en->pck_certs,
                                 &en->n_pck);
    if (e != AY_OK) {
        ay_diag_prefix(&ctx->diag, "quote: PCK certificate chain");
        return e;
    }
    /* Trustee (TRUSTEE.md 7.3) requires exactly 3 certificates. */
    ENSURE(en->n_pck == 3, FAIL(&ctx->diag, AY_ERR_BAD_CHAIN,
                                "PCK chain: %zu certificates (expected leaf, CA and root)",
                                en->n_pck));
    const struct ay_x509 *leaf = en->pck_certs[0];
    const struct ay_x509 *ca = en->pck_certs[1];
    ENSURE(subject_has(leaf, "SGX PCK Certificate"),
           FAIL(&ctx->diag, AY_ERR_BAD_CHAIN, "PCK chain: leaf is not an SGX PCK Certificate"));
    if (subject_has(ca, "Intel SGX PCK Platform CA")) {
        r->platform_ca = true;
    } else {
        ENSURE(subject_has(ca, "Intel SGX PCK Processor CA"),
               FAIL(&ctx->diag, AY_ERR_BAD_CHAIN,
                    "PCK chain: intermediate is neither the PCK Platform CA nor the Processor CA"));
    }
    /* The root presented in the quote must be the pinned one, byte for byte (FORMATS.md 0.2). */
    ENSURE(ay_x509_equal(en->pck_certs[2], root),
           FAIL(&ctx->diag, AY_ERR_BAD_CHAIN,
                "PCK chain: the root in the quote is not the pinned Intel SGX Root CA"));
    struct ay_span ext;
    ENSURE(ay_x509_extension(leaf, "1.2.840.113741.1.13.1", &ext) == AY_OK,
           FAIL(&ctx->diag, AY_ERR_BAD_CHAIN, "PCK certificate: no SGX extension"));
    return ay_dcap_pck_ext_parse(&ctx->diag, ext, &r->pck);
}

static ay_err verify_pck_chain(struct ay_ctx *ctx, const struct ay_x509 *root, struct endorse *en,
                               struct ay_dcap_result *r)
{
    const struct ay_x509 *inter[2] = {en->pck_certs[1], en->pck_certs[2]};
    const struct ay_x509_crl *crls[4];
    for (size_t i = 0; i < en->n_crls; i++) {
        crls[i] = en->crls[i];
    }
    struct ay_x509_chain_in in = {
        .leaf = en->pck_certs[0],
        .intermediates = inter,
        .n_intermediates = 2,
        .root = root,
        .crls = crls,
        .n_crls = en->n_crls,
        .at = ctx->now,
        .what = "PCK chain",
    };
    /* Step 3: PCK CRL and root CA CRL, when given (OpenSSL picks each by issuer). */
    TRY(ay_x509_chain_verify(&ctx->diag, &in));
    r->revocation_checked = en->n_crls >= 2;
    return AY_OK;
}

/* ---- the collateral source hook ---- */

static ay_dcap_coll_fetch_fn *coll_fetch;
static void *coll_fetch_arg;

void ay_dcap_set_collateral_source(ay_dcap_coll_fetch_fn *fn, void *arg)
{
    coll_fetch = fn;
    coll_fetch_arg = arg;
    /* Reused outcomes may hold collateral of the previous source. */
    ay_dcap_cache_clear();
}

static ay_err fetch_collateral(struct ay_ctx *ctx, const struct ay_dcap_quote *q,
                               const struct ay_dcap_result *r, struct endorse *en)
{
    struct ay_dcap_coll_request req = {
        .tdx = q->tee_type == AY_DCAP_TEE_TDX,
        .platform_ca = r->platform_ca,
        .at = ctx->now,
    };
    struct ay_endorsement got[AY_DCAP_COLL_MAX_FILES];
    size_t n = 0;
    memcpy(req.fmspc, r->pck.fmspc, 6);
    ay_err e = coll_fetch(coll_fetch_arg, ctx, &req, got, AY_DCAP_COLL_MAX_FILES, &n);
    if (e != AY_OK) {
        ay_diag_prefix(&ctx->diag, "collateral source");
        return e;
    }
    return classify(ctx, got, n < AY_DCAP_COLL_MAX_FILES ? n : AY_DCAP_COLL_MAX_FILES, en);
}

/* Steps 6 and 7: the QE report and its binding of the attestation key; *ak_out gets the key. */
static ay_err verify_qe(struct ay_ctx *ctx, const struct ay_dcap_quote *q,
                        const struct ay_pkey *pck, struct ay_pkey **ak_out)
{
    ay_err err;
    uint8_t h[32];
    struct ay_hash_ctx *hc = NULL;
    static const uint8_t zeros[32];
    struct ay_span sig = ay_span_of(q->qe_report_sig, AY_DCAP_SIG_LEN);
    /* Step 6: QE report signature by the PCK leaf key, ECDSA-P256/SHA-256. */
    err = ay_pkey_verify_ecdsa_rs(&ctx->diag, pck, AY_HASH_SHA256, q->qe_report_bytes,
                                  ay_span_of(sig.ptr, 32), ay_span_of(sig.ptr + 32, 32));
    if (err != AY_OK) {
        ay_diag_prefix(&ctx->diag, "QE report signature by the PCK key does not verify");
        return err;
    }
    /* Step 7: QE REPORTDATA = SHA-256(attestation key || QE auth data) || 32 zero bytes. */
    TRY(ay_hash_begin(AY_HASH_SHA256, &hc));
    if (ay_hash_update(hc, q->att_key, AY_DCAP_KEY_LEN) != AY_OK ||
        ay_hash_update(hc, q->qe_auth_data.ptr, q->qe_auth_data.len) != AY_OK) {
        ay_hash_ctx_free(hc);
        return FAIL(&ctx->diag, AY_ERR_CRYPTO, "SHA-256 failed");
    }
    TRY(ay_hash_end(hc, h));
    if (memcmp(h, q->qe_report.report_data, 32) != 0 ||
        memcmp(q->qe_report.report_data + 32, zeros, 32) != 0) {
        return FAIL(&ctx->diag, AY_ERR_BINDING,
                    "QE report data does not bind the attestation key (SHA-256(key || auth data))");
    }
    return ay_pkey_from_ec_xy(&ctx->diag, AY_CURVE_P256, ay_span_of(q->att_key, AY_DCAP_KEY_LEN),
                              ak_out);
}

/* Step 9: the quote signature over header..body by the attestation key. */
static ay_err verify_quote_sig(struct ay_ctx *ctx, const struct ay_dcap_quote *q,
                               const struct ay_pkey *ak)
{
    ay_err err = ay_pkey_verify_ecdsa_rs(&ctx->diag, ak, AY_HASH_SHA256, q->signed_bytes,
                                         ay_span_of(q->signature, 32),
                                         ay_span_of(q->signature + 32, 32));
    if (err != AY_OK) {
        ay_diag_prefix(&ctx->diag, "quote signature by the attestation key does not verify");
    }
    return err;
}

static ay_err verify_collateral(struct ay_ctx *ctx, const struct ay_x509 *root,
                                struct endorse *en)
{
    ENSURE(en->signer != NULL,
           FAIL(&ctx->diag, AY_ERR_VERIFY,
                "collateral: no TCB Signing issuer chain among the endorsements"));
    /* FORMATS.md 2.4: the signing cert chains to the pinned root and is not revoked by the
     * root CA CRL; it comes from the issuer chain, never pinned (the 2018 cert expired). */
    const struct ay_x509 *inter[AY_LIMIT_CERT_CHAIN];
    size_t n_inter = 0;
    for (size_t i = 1; i < en->n_signer; i++) {
        inter[n_inter++] = en->signer[i];
    }
    const struct ay_x509_crl *crls[4];
    for (size_t i = 0; i < en->n_crls; i++) {
        crls[i] = en->crls[i];
    }
    struct ay_x509_chain_in in = {
        .leaf = en->signer[0],
        .intermediates = inter,
        .n_intermediates = n_inter,
        .root = root,
        .crls = crls,
        .n_crls = en->n_crls,
        .at = ctx->now,
        .what = "TCB Signing chain",
    };
    TRY(ay_x509_chain_verify(&ctx->diag, &in));
    /* Step 4: signatures over the served bytes, validity windows. */
    ay_err e = ay_coll_doc_verify(&ctx->diag, &en->tcb, en->signer[0], ctx->now);
    if (e != AY_OK) {
        ay_diag_prefix(&ctx->diag, "TCB info");
        return e;
    }
    e = ay_coll_doc_verify(&ctx->diag, &en->qe, en->signer[0], ctx->now);
    if (e != AY_OK) {
        ay_diag_prefix(&ctx->diag, "QE identity");
        return e;
    }
    return AY_OK;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static ay_err evaluate(struct ay_ctx *ctx, const struct ay_dcap_quote *q,
                       const struct ay_coll_doc *tcb, const struct ay_coll_doc *qe,
                       struct ay_dcap_result *r)
{
    struct ay_coll_result cr;
    TRY(ay_coll_evaluate(&ctx->diag, q, &r->pck, tcb, qe, &cr));
    r->collateral = true;
    r->tcb_status = cr.tcb_status;
    r->qe_tcb_status = cr.qe_status;
    json_decref(r->advisory_ids);
    r->advisory_ids = cr.advisory_ids;
    r->tcb_date = cr.tcb_date;
    r->tcb_eval_num = min64(tcb->tcb_eval_num, qe->tcb_eval_num);
    r->earliest_issue_date = min64(tcb->issue_date, qe->issue_date);
    r->latest_issue_date = max64(tcb->issue_date, qe->issue_date);
    r->earliest_expiration_date = min64(tcb->next_update, qe->next_update);
    r->collateral_expired = r->earliest_expiration_date < ctx->now;
    return AY_OK;
}

/* ---- reuse of verified chains and collateral ----
 * The PCK chain with its CRLs and the signed collateral do not change between quotes of one
 * platform: once verified, the outcome holds for every time inside the intersection of their
 * validity windows (certificates, CRL this/nextUpdate, issueDate/nextUpdate). The key is the
 * SHA-256 of the pinned root, the quote's certification data and every endorsement byte, so
 * any change of input is a miss. Per quote we still check the QE report signature, the
 * binding, the quote signature and evaluate the TCB status (issue 4: collateral cached, no
 * network, two P-256 verifies per quote). */

#define CACHE_SLOTS 16

struct verified {
    uint8_t key[32];
    int64_t lo, hi;
    int refs;
    bool live;
    struct ay_pkey *pck_key;
    struct ay_pkey *ak_key; /* attestation key, bound by the verified QE report */
    struct ay_dcap_pck_ext pck;
    bool platform_ca, revocation_checked;
    int64_t pck_crl_num, root_ca_crl_num;
    bool have_coll;
    struct ay_coll_doc tcb, qe;
    uint8_t root_key_id[48];
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct verified *cache[CACHE_SLOTS];
static size_t cache_next;

static void verified_free(struct verified *v)
{
    ay_pkey_free(v->pck_key);
    ay_pkey_free(v->ak_key);
    if (v->have_coll) {
        ay_coll_doc_clear(&v->tcb);
        ay_coll_doc_clear(&v->qe);
    }
    ay_free(v);
}

static void verified_release(struct verified *v)
{
    if (v == NULL) {
        return;
    }
    (void)pthread_mutex_lock(&cache_mu);
    bool gone = --v->refs == 0 && !v->live;
    (void)pthread_mutex_unlock(&cache_mu);
    if (gone) {
        verified_free(v);
    }
}

static struct verified *cache_get(const uint8_t key[32], int64_t at)
{
    struct verified *hit = NULL;
    (void)pthread_mutex_lock(&cache_mu);
    for (size_t i = 0; i < CACHE_SLOTS && hit == NULL; i++) {
        struct verified *v = cache[i];
        if (v != NULL && memcmp(v->key, key, 32) == 0 && v->lo <= at && at <= v->hi) {
            v->refs++;
            hit = v;
        }
    }
    (void)pthread_mutex_unlock(&cache_mu);
    return hit;
}

/* Inserts v (the caller keeps its own reference). */
static void cache_put(struct verified *v)
{
    struct verified *old;
    (void)pthread_mutex_lock(&cache_mu);
    v->refs++;
    v->live = true;
    old = cache[cache_next];
    cache[cache_next] = v;
    cache_next = (cache_next + 1) % CACHE_SLOTS;
    bool gone = false;
    if (old != NULL) {
        old->live = false;
        gone = --old->refs == 0;
    }
    (void)pthread_mutex_unlock(&cache_mu);
    if (gone) {
        verified_free(old);
    }
}

void ay_dcap_cache_clear(void)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        struct verified *old;
        (void)pthread_mutex_lock(&cache_mu);
        old = cache[i];
        cache[i] = NULL;
        bool gone = false;
        if (old != NULL) {
            old->live = false;
            gone = --old->refs == 0;
        }
        (void)pthread_mutex_unlock(&cache_mu);
        if (gone) {
            verified_free(old);
        }
    }
}

static ay_err cache_key(struct ay_ctx *ctx, const struct ay_x509 *root,
                        const struct ay_dcap_quote *q, const struct ay_endorsement *e, size_t n_e,
                        uint8_t key[32])
{
    struct ay_hash_ctx *h = NULL;
    struct ay_span rd = ay_x509_der(root);
    ay_err err = ay_hash_begin(AY_HASH_SHA256, &h);
    ENSURE(err == AY_OK, FAIL(&ctx->diag, err, "SHA-256 failed"));
    err = ay_hash_update(h, rd.ptr, rd.len);
    /* The QE part of the quote (same for every quote of one attestation key) and the files. */
    struct ay_span qe[5] = {
        ay_span_of(q->att_key, AY_DCAP_KEY_LEN),
        q->qe_report_bytes,
        ay_span_of(q->qe_report_sig, AY_DCAP_SIG_LEN),
        q->qe_auth_data,
        q->cert_data,
    };
    for (size_t i = 0; i < 5 + n_e && err == AY_OK; i++) {
        struct ay_span b = i < 5 ? qe[i] : e[i - 5].bytes;
        uint8_t len[8];
        for (size_t k = 0; k < 8; k++) {
            len[k] = (uint8_t)((uint64_t)b.len >> (8 * k));
        }
        err = ay_hash_update(h, len, 8);
        if (err == AY_OK) {
            err = ay_hash_update(h, b.ptr, b.len);
        }
    }
    if (err != AY_OK) {
        ay_hash_ctx_free(h);
        return FAIL(&ctx->diag, err, "SHA-256 failed");
    }
    err = ay_hash_end(h, key);
    ENSURE(err == AY_OK, FAIL(&ctx->diag, err, "SHA-256 failed"));
    return AY_OK;
}

static ay_err cert_window(struct ay_ctx *ctx, const struct ay_x509 *c, int64_t *lo, int64_t *hi)
{
    int64_t nb, na;
    TRY(ay_x509_validity(c, &nb, &na));
    *lo = max64(*lo, nb);
    *hi = min64(*hi, na);
    (void)ctx;
    return AY_OK;
}

/* QVL's root_key_id ("ID of the collateral's root signer", SHA-384 of the Root CA public key):
 * taken over the encoded EC point (0x04 || x || y), the BIT STRING content of the SPKI. */
static ay_err root_key_id(struct ay_ctx *ctx, const struct ay_x509 *root, uint8_t out[48])
{
    struct ay_pkey *k = NULL;
    uint8_t *der = NULL;
    size_t n = 0;
    TRY(ay_x509_pubkey(&ctx->diag, root, &k));
    ay_err e = ay_pkey_spki_der(&ctx->diag, k, &der, &n);
    ay_pkey_free(k);
    TRY(e);
    /* P-256 SPKI: 26 bytes of header, then the 65-byte point. */
    if (n == 91 && der[26] == 0x04) {
        e = ay_hash(AY_HASH_SHA384, der + 26, 65, out);
    } else {
        e = FAIL(&ctx->diag, AY_ERR_BAD_CHAIN, "root CA key is not an uncompressed P-256 point");
    }
    ay_free(der);
    return e;
}

/* The full path: chain, CRLs and collateral signatures; on success a new entry (refs = 1). */
static ay_err verify_slow(struct ay_ctx *ctx, const struct ay_dcap_quote *q,
                          const struct ay_x509 *root, const struct ay_endorsement *e, size_t n_e,
                          bool *cacheable, struct verified **out)
{
    ay_err err;
    struct endorse en;
    struct ay_dcap_result r;
    struct verified *v = NULL;
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    memset(&en, 0, sizeof en);
    memset(&r, 0, sizeof r);
    *cacheable = true;
    CHECK(classify(ctx, e, n_e, &en));
    CHECK(parse_pck_chain(ctx, q, root, &en, &r));
    if (!en.have_tcb && !en.have_qe && coll_fetch != NULL) {
        /* Nothing given: ask the configured source (cache, directory, PCCS/PCS). The outcome
         * is reused under the key of the given inputs: its window ends at the fetched
         * collateral's nextUpdate, until which the source would answer the same (no network
         * on the hot path), and a new source clears the reuse cache. */
        CHECK(fetch_collateral(ctx, q, &r, &en));
    }
    CHECK(verify_pck_chain(ctx, root, &en, &r));
    if (en.have_tcb || en.have_qe) {
        if (!en.have_tcb || !en.have_qe) {
            err = FAIL(&ctx->diag, AY_ERR_VERIFY,
                       "collateral: TCB info and QE identity must be given together");
            goto out;
        }
        /* QVL checks revocation whenever it evaluates collateral. */
        if (!r.revocation_checked) {
            err = FAIL(&ctx->diag, AY_ERR_VERIFY,
                       "collateral: the PCK CRL and the root CA CRL are required with TCB info");
            goto out;
        }
        CHECK(verify_collateral(ctx, root, &en));
    }
    /* The window in which this outcome holds. */
    for (size_t i = 0; i < en.n_pck; i++) {
        CHECK(cert_window(ctx, en.pck_certs[i], &lo, &hi));
    }
    if (en.have_tcb) {
        for (size_t i = 0; i < en.n_signer; i++) {
            CHECK(cert_window(ctx, en.signer[i], &lo, &hi));
        }
        lo = max64(lo, max64(en.tcb.issue_date, en.qe.issue_date));
        hi = min64(hi, min64(en.tcb.next_update, en.qe.next_update));
    }
    v = ay_xcalloc(1, sizeof *v);
    v->pck_crl_num = v->root_ca_crl_num = -1;
    for (size_t i = 0; i < en.n_crls; i++) {
        struct ay_dcap_crl_info ci;
        CHECK(ay_dcap_crl_info(&ctx->diag, en.crl_bytes[i], &ci));
        lo = max64(lo, ci.this_update);
        hi = min64(hi, ci.next_update);
        *(ci.root_issuer ? &v->root_ca_crl_num : &v->pck_crl_num) = ci.number;
    }
    CHECK(ay_x509_pubkey(&ctx->diag, en.pck_certs[0], &v->pck_key));
    CHECK(verify_qe(ctx, q, v->pck_key, &v->ak_key));
    CHECK(root_key_id(ctx, root, v->root_key_id));
    v->lo = lo;
    v->hi = hi;
    v->refs = 1;
    v->pck = r.pck;
    v->platform_ca = r.platform_ca;
    v->revocation_checked = r.revocation_checked;
    if (en.have_tcb) {
        /* The entry takes the parsed documents. */
        v->have_coll = true;
        v->tcb = en.tcb;
        v->qe = en.qe;
        en.have_tcb = en.have_qe = false;
    }
    *out = v;
    v = NULL;
    err = AY_OK;
out:
    if (v != NULL) {
        verified_free(v);
    }
    endorse_free(&en);
    return err;
}

void ay_dcap_result_clear(struct ay_dcap_result *r)
{
    json_decref(r->advisory_ids);
    memset(r, 0, sizeof *r);
}

ay_err ay_dcap_verify(struct ay_ctx *ctx, const struct ay_dcap_quote *q,
                      const struct ay_endorsement *e, size_t n_e, bool require_collateral,
                      struct ay_dcap_result *out)
{
    ay_err err;
    struct ay_x509 *root = NULL;
    struct verified *v = NULL;
    struct ay_dcap_result r;
    uint8_t key[32];
    bool cacheable = false;
    memset(&r, 0, sizeof r);
    r.advisory_ids = json_array();
    r.tcb_status = "Unknown";
    ENSURE(r.advisory_ids != NULL, FAIL(&ctx->diag, AY_ERR_INTERNAL, "out of memory"));

    /* Step 1 (rest): the QE vendor is Intel's. */
    if (memcmp(q->qe_vendor_id, intel_qe_vendor, 16) != 0) {
        err = FAIL(&ctx->diag, AY_ERR_UNSUPPORTED, "quote: QE vendor id is not Intel's");
        goto out;
    }
    CHECK(ay_dcap_intel_root(&ctx->diag, &root));
    CHECK(cache_key(ctx, root, q, e, n_e, key));
    v = cache_get(key, ctx->now);
    if (v != NULL && !v->have_coll && coll_fetch != NULL) {
        /* An outcome without collateral while a source is configured: go fetch. */
        verified_release(v);
        v = NULL;
    }
    if (v == NULL) {
        CHECK(verify_slow(ctx, q, root, e, n_e, &cacheable, &v));
        memcpy(v->key, key, 32);
        if (cacheable) {
            cache_put(v);
        }
    }
    r.pck = v->pck;
    r.platform_ca = v->platform_ca;
    r.revocation_checked = v->revocation_checked;
    r.pck_crl_num = v->pck_crl_num;
    r.root_ca_crl_num = v->root_ca_crl_num;
    memcpy(r.root_key_id, v->root_key_id, 48);
    if (!v->have_coll && require_collateral) {
        err = FAIL(&ctx->diag, AY_ERR_VERIFY,
                   "collateral required: no TCB info / QE identity among the endorsements");
        goto out;
    }
    CHECK(verify_quote_sig(ctx, q, v->ak_key));
    if (v->have_coll) {
        CHECK(evaluate(ctx, q, &v->tcb, &v->qe, &r));
        /* QVL: the earliest expiration of all the collateral, CRLs and certificates included
         * (the end of the verified window). */
        r.earliest_expiration_date = min64(r.earliest_expiration_date, v->hi);
        r.collateral_expired = r.earliest_expiration_date < ctx->now;
    }
    *out = r;
    r.advisory_ids = NULL;
    err = AY_OK;
out:
    verified_release(v);
    json_decref(r.advisory_ids);
    ay_x509_free(root);
    return err;
}

/* ---- helpers shared by tee_tdx.c and tee_sgx.c ---- */

ay_err ay_dcap_evidence_quote(struct ay_ctx *ctx, struct ay_span evidence, json_t **out_json,
                              struct ay_span *out_quote)
{
    *out_json = NULL;
    ENSURE(evidence.len <= AY_LIMIT_EVIDENCE,
           FAIL(&ctx->diag, AY_ERR_LIMIT, "evidence larger than %zu bytes", AY_LIMIT_EVIDENCE));
    /* A raw quote starts with version 3..5 (little-endian u16); JSON starts with '{'. */
    size_t i = 0;
    while (i < evidence.len && (evidence.ptr[i] == ' ' || evidence.ptr[i] == '\n' ||
                                evidence.ptr[i] == '\r' || evidence.ptr[i] == '\t')) {
        i++;
    }
    if (i == evidence.len || evidence.ptr[i] != '{') {
        *out_quote = evidence;
        return AY_OK;
    }
    json_error_t jerr;
    json_t *j = json_loadb((const char *)evidence.ptr, evidence.len,
                           JSON_REJECT_DUPLICATES, &jerr);
    ENSURE(j != NULL, FAIL(&ctx->diag, AY_ERR_MALFORMED, "evidence: not JSON: %s", jerr.text));
    json_t *qv = json_object_get(j, "quote");
    if (!json_is_string(qv)) {
        json_decref(j);
        return FAIL(&ctx->diag, AY_ERR_MALFORMED, "evidence: no \"quote\" string");
    }
    /* Trustee: base64 standard alphabet (TRUSTEE.md 7.3). */
    ay_err e = ay_b64_decode(AY_B64_STD, json_string_value(qv), json_string_length(qv), ctx->arena,
                             out_quote);
    if (e != AY_OK) {
        json_decref(j);
        return FAIL(&ctx->diag, e, "evidence: \"quote\" is not base64");
    }
    *out_json = j;
    return AY_OK;
}

ay_err ay_dcap_set_hex(struct ay_ctx *ctx, json_t *obj, const char *key, const uint8_t *p,
                       size_t n)
{
    char buf[2 * 1024 + 1];
    ENSURE(n <= 1024, FAIL(&ctx->diag, AY_ERR_INTERNAL, "claim %s too long", key));
    ay_hex_encode(p, n, buf);
    ENSURE(json_object_set_new(obj, key, json_string(buf)) == 0,
           FAIL(&ctx->diag, AY_ERR_INTERNAL, "claim %s: out of memory", key));
    return AY_OK;
}

static ay_err set_time(struct ay_ctx *ctx, json_t *obj, const char *key, int64_t t)
{
    char buf[40];
    ay_time_format_rfc3339(t, buf, sizeof buf);
    ENSURE(json_object_set_new(obj, key, json_string(buf)) == 0,
           FAIL(&ctx->diag, AY_ERR_INTERNAL, "claim %s: out of memory", key));
    return AY_OK;
}

ay_err ay_dcap_result_claims(struct ay_ctx *ctx, const struct ay_dcap_result *r, json_t *claims)
{
    /* TRUSTEE.md 7.3: the QVL supplemental claims. Without collateral only what the PCK gives. */
    static const char *const sgx_types[] = {"Standard", "Scalable", "Scalable with Integrity"};
    if (r->pck.has_platform_instance_id) {
        /* Trustee prints the 16 bytes reversed (its golden T4 claims); we match it. */
        uint8_t rev[16];
        for (size_t i = 0; i < 16; i++) {
            rev[i] = r->pck.platform_instance_id[15 - i];
        }
        TRY(ay_dcap_set_hex(ctx, claims, "platform_instance_id", rev, 16));
    }
    json_object_set_new(claims, "sgx_type", json_string(sgx_types[r->pck.sgx_type % 3]));
    if (r->pck.sgx_type > 0 && r->pck.has_config) {
        json_object_set_new(claims, "is_dynamic_platform", json_boolean(r->pck.dynamic_platform));
        json_object_set_new(claims, "is_cached_keys", json_boolean(r->pck.cached_keys));
        json_object_set_new(claims, "is_smt_enabled", json_boolean(r->pck.smt_enabled));
    }
    TRY(ay_dcap_set_hex(ctx, claims, "fmspc", r->pck.fmspc, 6));
    /* QVL supplemental root_key_id and pck_ppid (Trustee's platform_provider_id). */
    TRY(ay_dcap_set_hex(ctx, claims, "root_key_id", r->root_key_id, 48));
    TRY(ay_dcap_set_hex(ctx, claims, "platform_provider_id", r->pck.ppid, 16));
    json_object_set_new(claims, "tcb_status", json_string(r->tcb_status));
    json_object_set(claims, "advisory_ids", r->advisory_ids);
    if (r->revocation_checked) {
        json_object_set_new(claims, "pck_crl_num", json_integer(r->pck_crl_num));
        json_object_set_new(claims, "root_ca_crl_num", json_integer(r->root_ca_crl_num));
    }
    if (r->collateral) {
        json_object_set_new(claims, "collateral_expiration_status",
                            json_string(r->collateral_expired ? "1" : "0"));
        TRY(set_time(ctx, claims, "tcb_date", r->tcb_date));
        TRY(set_time(ctx, claims, "earliest_issue_date", r->earliest_issue_date));
        TRY(set_time(ctx, claims, "latest_issue_date", r->latest_issue_date));
        TRY(set_time(ctx, claims, "earliest_expiration_date", r->earliest_expiration_date));
        json_object_set_new(claims, "tcb_eval_num", json_integer(r->tcb_eval_num));
        if (r->qe_tcb_status != NULL) {
            json_object_set_new(claims, "qe_tcb_status", json_string(r->qe_tcb_status));
        }
    }
    return AY_OK;
}

bool ay_dcap_regularized_eq(struct ay_span expected, const uint8_t *field, size_t n)
{
    /* TRUSTEE.md 3.5: zero-pad or truncate the expected value to n bytes. */
    for (size_t i = 0; i < n; i++) {
        uint8_t want = i < expected.len ? expected.ptr[i] : 0;
        if (field[i] != want) {
            return false;
        }
    }
    return true;
}
