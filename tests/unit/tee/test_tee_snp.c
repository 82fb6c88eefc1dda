/* SPDX-License-Identifier: Apache-2.0 */
/* The `snp` verifier against an AMD-like PKI generated at test time (test ARK -> ASK -> VCEK
 * and ARK -> ASVK -> VLEK, RSA-PSS SHA-384 salt 48 for ARK/ASK/ASVK like AMD, P-384 leaves with
 * AMD's TCB/hwID/productName extensions) and reports forged and signed at test time. Each check
 * has a passing and a failing case. The test roots are pinned through ay_tee_snp_verify_with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_x509.h"
#include "tee/tee.h"
#include "tee/tee_snp.h"
#include "testlib.h"

#define T0  1735689600 /* 2025-01-01: inside every test certificate */
#define DAY 86400

/* ---- test PKI ---- */

struct pki {
    const char *product; /* "Milan", "Turin" */
    bool turin;
    EVP_PKEY *ark_key, *ask_key, *asvk_key, *vcek_key, *vlek_key, *evil_key;
    X509 *ark, *ask, *asvk, *vcek, *vlek;
    X509 *foreign_ark; /* same subject as ark, other key */
    X509 *rogue_ask;   /* SEV-<P> signed by the foreign ARK */
    X509 *rogue_vcek;  /* signed by rogue_ask */
    X509 *expired_vcek;
    uint8_t chip_id[64];
    uint64_t tcb; /* REPORTED_TCB in the product's layout */
    struct ay_snp_trust trust;
};

static struct pki milan;
static struct pki turin;

static EVP_PKEY *rsa_key(void)
{
    EVP_PKEY *k = EVP_RSA_gen(2048); /* AMD uses 4096; 2048 keeps the test fast */
    assert_non_null(k);
    return k;
}

static EVP_PKEY *p384_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-384");
    assert_non_null(k);
    return k;
}

static X509_NAME *amd_name(const char *cn)
{
    X509_NAME *n = X509_NAME_new();
    assert_non_null(n);
    const char *f[][2] = {
        {"OU", "Engineering"},           {"C", "US"}, {"L", "Santa Clara"}, {"ST", "CA"},
        {"O", "Advanced Micro Devices"}, {"CN", cn}};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(X509_NAME_add_entry_by_txt(n, f[i][0], MBSTRING_ASC,
                                                    (const unsigned char *)f[i][1], -1, -1, 0),
                         1);
    }
    return n;
}

static void add_ext_nid(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

static void add_ext_raw(X509 *x, const char *oid, const uint8_t *der, size_t len)
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

static void add_ext_int(X509 *x, const char *oid, uint8_t v)
{
    uint8_t der[4] = {0x02, 0x01, v};
    size_t len = 3;
    if (v >= 0x80) {
        der[1] = 2;
        der[2] = 0;
        der[3] = v;
        len = 4;
    }
    add_ext_raw(x, oid, der, len);
}

static void add_ext_ia5(X509 *x, const char *oid, const char *s)
{
    uint8_t der[128];
    size_t n = strlen(s);
    der[0] = 0x16;
    der[1] = (uint8_t)n;
    memcpy(der + 2, s, n);
    add_ext_raw(x, oid, der, n + 2);
}

static void pss_sign(X509 *x, EVP_PKEY *key)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    assert_int_equal(EVP_DigestSignInit(m, &pc, EVP_sha384(), NULL, key), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 48), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha384()), 1);
    assert_true(X509_sign_ctx(x, m) > 0);
    EVP_MD_CTX_free(m);
}

static X509 *make_cert(const char *cn, EVP_PKEY *subject_key, X509 *issuer, const char *issuer_cn,
                       EVP_PKEY *issuer_key, long serial, int64_t nb, int64_t na, bool ca)
{
    X509 *x = X509_new();
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
    X509_NAME *sn = amd_name(cn);
    X509_NAME *in = amd_name(issuer_cn);
    assert_int_equal(X509_set_subject_name(x, sn), 1);
    assert_int_equal(X509_set_issuer_name(x, in), 1);
    X509_NAME_free(sn);
    X509_NAME_free(in);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na));
    assert_int_equal(X509_set_pubkey(x, subject_key), 1);
    if (ca) {
        add_ext_nid(x, issuer != NULL ? issuer : x, NID_basic_constraints, "critical,CA:TRUE");
        add_ext_nid(x, issuer != NULL ? issuer : x, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_ext_nid(x, issuer != NULL ? issuer : x, NID_subject_key_identifier, "hash");
    }
    pss_sign(x, issuer_key);
    return x;
}

#define AMD "1.3.6.1.4.1.3704.1."

static void tcb_exts(X509 *x, const struct pki *p)
{
    struct ay_snp_tcb t;
    ay_snp_tcb_decode(p->tcb, p->turin ? AY_SNP_PRODUCT_TURIN : AY_SNP_PRODUCT_MILAN, &t);
    add_ext_int(x, AMD "1", p->turin ? 1 : 0);
    add_ext_int(x, AMD "3.1", t.bl);
    add_ext_int(x, AMD "3.2", t.tee);
    add_ext_int(x, AMD "3.3", t.snp);
    if (!p->turin) {
        add_ext_int(x, AMD "3.4", 0);
    }
    add_ext_int(x, AMD "3.5", 0);
    add_ext_int(x, AMD "3.6", 0);
    add_ext_int(x, AMD "3.7", 0);
    add_ext_int(x, AMD "3.8", t.ucode);
    if (p->turin) {
        add_ext_int(x, AMD "3.9", t.fmc);
    }
}

/* A VCEK like KDS's: serial 0, no AKI, P-384, AMD extensions. */
static X509 *make_vcek(struct pki *p, EVP_PKEY *key, X509 *ask, EVP_PKEY *ask_key, int64_t nb,
                       int64_t na, const uint8_t *hwid)
{
    char ask_cn[32];
    (void)snprintf(ask_cn, sizeof ask_cn, "SEV-%s", p->product);
    X509 *x = make_cert("SEV-VCEK", key, ask, ask_cn, ask_key, 0, nb, na, false);
    /* Extensions go in before signing: re-create the signature after adding them. */
    char name[32];
    (void)snprintf(name, sizeof name, p->turin ? "%s" : "%s-B0", p->product);
    add_ext_ia5(x, AMD "2", name);
    tcb_exts(x, p);
    add_ext_raw(x, AMD "4", hwid, p->turin ? 8 : 64);
    pss_sign(x, ask_key);
    return x;
}

/* Odd leaves for the extension checks. */
enum leaf_hwid { HWID_RAW, HWID_DER, HWID_NONE };

struct leaf_opts {
    const char *cn;        /* "SEV-VCEK" */
    X509 *issuer;          /* signer certificate */
    const char *issuer_cn; /* its CN */
    EVP_PKEY *issuer_key;
    enum leaf_hwid hwid;
    bool csp;
    bool no_ucode;
};

static X509 *make_leaf(struct pki *p, const struct leaf_opts *o)
{
    X509 *x = make_cert(o->cn, p->vcek_key, o->issuer, o->issuer_cn, o->issuer_key, 0, T0 - DAY,
                        T0 + 365 * DAY, false);
    add_ext_ia5(x, AMD "2", "Milan-B0");
    struct ay_snp_tcb t;
    ay_snp_tcb_decode(p->tcb, AY_SNP_PRODUCT_MILAN, &t);
    add_ext_int(x, AMD "1", 0);
    add_ext_int(x, AMD "3.1", t.bl);
    add_ext_int(x, AMD "3.2", t.tee);
    add_ext_int(x, AMD "3.3", t.snp);
    if (!o->no_ucode) {
        add_ext_int(x, AMD "3.8", t.ucode);
    }
    if (o->hwid == HWID_RAW) {
        add_ext_raw(x, AMD "4", p->chip_id, 64);
    } else if (o->hwid == HWID_DER) {
        uint8_t der[66] = {0x04, 0x40};
        memcpy(der + 2, p->chip_id, 64);
        add_ext_raw(x, AMD "4", der, sizeof der);
    }
    if (o->csp) {
        add_ext_ia5(x, AMD "5", "CN=csp.example.com");
    }
    pss_sign(x, o->issuer_key);
    return x;
}

static X509 *make_vlek(struct pki *p)
{
    char asvk_cn[32];
    (void)snprintf(asvk_cn, sizeof asvk_cn, "SEV-VLEK-%s", p->product);
    X509 *x = make_cert("SEV-VLEK", p->vlek_key, p->asvk, asvk_cn, p->asvk_key, 0, T0 - DAY,
                        T0 + 365 * DAY, false);
    add_ext_ia5(x, AMD "2", p->product);
    tcb_exts(x, p);
    add_ext_ia5(x, AMD "5", "CN=csp.example.com");
    pss_sign(x, p->asvk_key);
    return x;
}

static struct ay_span der_of(X509 *x, uint8_t **buf)
{
    int n = i2d_X509(x, NULL);
    assert_true(n > 0);
    *buf = malloc((size_t)n);
    uint8_t *p = *buf;
    assert_int_equal(i2d_X509(x, &p), n);
    return ay_span_of(*buf, (size_t)n);
}

static void pki_init(struct pki *p, const char *product, bool is_turin, uint64_t tcb)
{
    memset(p, 0, sizeof *p);
    p->product = product;
    p->turin = is_turin;
    p->tcb = tcb;
    for (size_t i = 0; i < 64; i++) {
        p->chip_id[i] = (is_turin && i >= 8) ? 0 : (uint8_t)(0xA0 + i);
    }
    p->ark_key = rsa_key();
    p->ask_key = rsa_key();
    p->asvk_key = rsa_key();
    p->evil_key = rsa_key();
    p->vcek_key = p384_key();
    p->vlek_key = p384_key();
    char ark_cn[32];
    char ask_cn[32];
    char asvk_cn[32];
    (void)snprintf(ark_cn, sizeof ark_cn, "ARK-%s", product);
    (void)snprintf(ask_cn, sizeof ask_cn, "SEV-%s", product);
    (void)snprintf(asvk_cn, sizeof asvk_cn, "SEV-VLEK-%s", product);
    int64_t nb = T0 - 365 * DAY;
    int64_t na = T0 + 20 * 365 * (int64_t)DAY;
    p->ark = make_cert(ark_cn, p->ark_key, NULL, ark_cn, p->ark_key, 0x10000, nb, na, true);
    p->ask = make_cert(ask_cn, p->ask_key, p->ark, ark_cn, p->ark_key, 0x10001, nb, na, true);
    p->asvk = make_cert(asvk_cn, p->asvk_key, p->ark, ark_cn, p->ark_key, 0x10101, nb, na, true);
    p->foreign_ark =
        make_cert(ark_cn, p->evil_key, NULL, ark_cn, p->evil_key, 0x10000, nb, na, true);
    p->rogue_ask =
        make_cert(ask_cn, p->evil_key, p->foreign_ark, ark_cn, p->evil_key, 0x10001, nb, na, true);
    p->vcek =
        make_vcek(p, p->vcek_key, p->ask, p->ask_key, T0 - DAY, T0 + 7 * 365 * DAY, p->chip_id);
    p->rogue_vcek = make_vcek(p, p->vcek_key, p->rogue_ask, p->evil_key, T0 - DAY,
                              T0 + 7 * 365 * DAY, p->chip_id);
    p->expired_vcek =
        make_vcek(p, p->vcek_key, p->ask, p->ask_key, T0 - 10 * DAY, T0 - DAY, p->chip_id);
    p->vlek = make_vlek(p);

    uint8_t *a;
    uint8_t *k;
    uint8_t *v;
    struct ay_span sa = der_of(p->ark, &a);
    struct ay_span sk = der_of(p->ask, &k);
    struct ay_span sv = der_of(p->asvk, &v);
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_snp_trust_set(&d, &p->trust,
                                      is_turin ? AY_SNP_PRODUCT_TURIN : AY_SNP_PRODUCT_MILAN, sa,
                                      sk, sv),
                     AY_OK);
    free(a);
    free(k);
    free(v);
}

static void pki_free(struct pki *p)
{
    ay_snp_trust_clear(&p->trust);
    EVP_PKEY *keys[] = {p->ark_key, p->ask_key, p->asvk_key, p->vcek_key, p->vlek_key, p->evil_key};
    for (size_t i = 0; i < 6; i++) {
        EVP_PKEY_free(keys[i]);
    }
    X509 *certs[] = {p->ark,         p->ask,       p->asvk,       p->vcek,        p->vlek,
                     p->foreign_ark, p->rogue_ask, p->rogue_vcek, p->expired_vcek};
    for (size_t i = 0; i < 9; i++) {
        X509_free(certs[i]);
    }
}

static int setup(void **state)
{
    (void)state;
    /* Milan TCB: bl 3, tee 0, snp 8, ucode 0x73 (S2's); Turin: fmc 1, bl 2, tee 3, snp 4,
     * ucode 0x45. */
    pki_init(&milan, "Milan", false, 0x7308000000000003ull);
    pki_init(&turin, "Turin", true, 0x4500000004030201ull);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pki_free(&milan);
    pki_free(&turin);
    return 0;
}

/* ---- forged reports ---- */

struct rep {
    uint32_t version;
    uint64_t policy;
    uint32_t key_info;
    uint8_t fam, mod;
    uint64_t tcb;
    uint8_t report_data[64];
    uint8_t host_data[32];
    uint8_t chip_id[64];
};

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void rep_default(struct rep *r, const struct pki *p)
{
    memset(r, 0, sizeof *r);
    r->version = 3;
    r->policy = 0x30000;
    r->key_info = 0; /* VCEK */
    r->fam = p->turin ? 0x1A : 0x19;
    r->mod = p->turin ? 0x02 : 0x01;
    r->tcb = p->tcb;
    for (size_t i = 0; i < 64; i++) {
        r->report_data[i] = (uint8_t)i;
    }
    for (size_t i = 0; i < 32; i++) {
        r->host_data[i] = (uint8_t)(0x80 | i);
    }
    memcpy(r->chip_id, p->chip_id, 64);
}

/* Writes the fields, then signs [0, 0x2A0) with key (R, S little-endian, 72 bytes). */
static void sign_report(uint8_t *b, EVP_PKEY *key)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha384(), NULL, key), 1);
    uint8_t der[128];
    size_t dl = sizeof der;
    assert_int_equal(EVP_DigestSign(m, der, &dl, b, AY_SNP_SIGNED_LEN), 1);
    EVP_MD_CTX_free(m);
    const uint8_t *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dl);
    assert_non_null(sig);
    memset(b + 0x2A0, 0, AY_SNP_REPORT_LEN - 0x2A0);
    assert_true(BN_bn2lebinpad(ECDSA_SIG_get0_r(sig), b + 0x2A0, 72) == 72);
    assert_true(BN_bn2lebinpad(ECDSA_SIG_get0_s(sig), b + 0x2E8, 72) == 72);
    ECDSA_SIG_free(sig);
}

static void forge(const struct rep *r, EVP_PKEY *key, uint8_t b[AY_SNP_REPORT_LEN])
{
    memset(b, 0, AY_SNP_REPORT_LEN);
    put_le(b + 0x000, r->version, 4);
    put_le(b + 0x004, 1, 4);
    put_le(b + 0x008, r->policy, 8);
    put_le(b + 0x034, 1, 4); /* SIGNATURE_ALGO */
    put_le(b + 0x038, r->tcb, 8);
    put_le(b + 0x040, 0x3, 8); /* SMT_EN, TSME_EN */
    put_le(b + 0x048, r->key_info, 4);
    memcpy(b + 0x050, r->report_data, 64);
    memset(b + 0x090, 0x11, 48);
    memcpy(b + 0x0C0, r->host_data, 32);
    put_le(b + 0x180, r->tcb, 8);
    if (r->version >= 3) {
        b[0x188] = r->fam;
        b[0x189] = r->mod;
        b[0x18A] = 1;
    }
    memcpy(b + 0x1A0, r->chip_id, 64);
    put_le(b + 0x1E0, r->tcb, 8);
    b[0x1E8] = 4;
    b[0x1E9] = 52;
    b[0x1EA] = 1;
    b[0x1EC] = 4;
    b[0x1ED] = 52;
    b[0x1EE] = 1;
    put_le(b + 0x1F0, r->tcb, 8);
    if (r->version >= 5) {
        put_le(b + 0x1F8, 0x5, 8);
        put_le(b + 0x200, 0x7, 8);
    }
    sign_report(b, key);
}

/* ---- running the verifier ---- */

struct run {
    struct ay_span evidence;
    X509 *certs[6];
    size_t n_certs;
    struct ay_span extra[2]; /* raw endorsement files (CRLs) */
    size_t n_extra;
    const struct ay_span *report_data;
    const struct ay_span *init_data;
    json_t *config;
    int64_t at;
    const struct ay_snp_trust *trust;
};

static ay_err verify(const struct run *r, json_t **claims, char *msg, size_t msglen)
{
    struct ay_arena *arena;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    ctx.now = r->at != 0 ? r->at : T0;
    struct ay_endorsement ends[8];
    uint8_t *bufs[8];
    size_t n = 0;
    for (size_t i = 0; i < r->n_certs; i++) {
        ends[n].name = "cert";
        ends[n].bytes = der_of(r->certs[i], &bufs[n]);
        n++;
    }
    for (size_t i = 0; i < r->n_extra; i++) {
        ends[n].name = "extra";
        ends[n].bytes = r->extra[i];
        bufs[n] = NULL;
        n++;
    }
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = r->evidence;
    in.endorsements = ends;
    in.n_endorsements = n;
    in.report_data = r->report_data;
    in.init_data = r->init_data;
    in.config = r->config;
    json_t *c = NULL;
    ay_err e = ay_tee_snp_verify_with(&ctx, &in, r->trust, &c);
    if (msg != NULL) {
        (void)snprintf(msg, msglen, "%s", ay_diag_message(&ctx.diag));
    }
    if (claims != NULL) {
        *claims = c;
    } else {
        json_decref(c);
    }
    for (size_t i = 0; i < n; i++) {
        free(bufs[i]);
    }
    ay_arena_free(arena);
    return e;
}

static ay_err verify_report(struct pki *p, const uint8_t *b, size_t len, X509 *vek, X509 *ca,
                            char *msg)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.evidence = ay_span_of(b, len);
    r.certs[r.n_certs++] = vek;
    if (ca != NULL) {
        r.certs[r.n_certs++] = ca;
    }
    r.trust = &p->trust;
    return verify(&r, NULL, msg, 512);
}

#define EXPECT(e, want, msg)                                                      \
    do {                                                                          \
        ay_err got_ = (e);                                                        \
        if (got_ != (want)) {                                                     \
            fail_msg("line %d: got %s want %s (%s)", __LINE__, ay_err_name(got_), \
                     ay_err_name(want), msg);                                     \
        }                                                                         \
    } while (0)

/* ---- tests ---- */

static void test_accept_milan_v3_and_claims(void **state)
{
    (void)state;
    struct rep r;
    rep_default(&r, &milan);
    uint8_t b[AY_SNP_REPORT_LEN];
    forge(&r, milan.vcek_key, b);
    struct run run;
    memset(&run, 0, sizeof run);
    run.evidence = ay_span_of(b, sizeof b);
    run.certs[run.n_certs++] = milan.vcek;
    run.trust = &milan.trust;
    json_t *claims = NULL;
    char msg[512];
    EXPECT(verify(&run, &claims, msg, sizeof msg), AY_OK, msg);
    /* TRUSTEE.md 7.2 claim names and values. */
    assert_int_equal(json_integer_value(json_object_get(claims, "reported_tcb_bootloader")), 3);
    assert_int_equal(json_integer_value(json_object_get(claims, "reported_tcb_tee")), 0);
    assert_int_equal(json_integer_value(json_object_get(claims, "reported_tcb_snp")), 8);
    assert_int_equal(json_integer_value(json_object_get(claims, "reported_tcb_microcode")), 0x73);
    assert_int_equal(json_integer_value(json_object_get(claims, "policy_abi_major")), 0);
    assert_int_equal(json_integer_value(json_object_get(claims, "policy_abi_minor")), 0);
    assert_true(json_is_true(json_object_get(claims, "policy_smt_allowed")));
    assert_true(json_is_false(json_object_get(claims, "policy_debug_allowed")));
    assert_true(json_is_false(json_object_get(claims, "policy_migrate_ma")));
    assert_true(json_is_false(json_object_get(claims, "policy_single_socket")));
    assert_true(json_is_true(json_object_get(claims, "platform_smt_enabled")));
    assert_true(json_is_true(json_object_get(claims, "platform_tsme_enabled")));
    char hex[129];
    ay_hex_encode(r.report_data, 64, hex);
    assert_string_equal(json_string_value(json_object_get(claims, "report_data")), hex);
    ay_hex_encode(r.host_data, 32, hex);
    assert_string_equal(json_string_value(json_object_get(claims, "init_data")), hex);
    ay_hex_encode(milan.chip_id, 64, hex);
    assert_string_equal(json_string_value(json_object_get(claims, "chip_id")), hex);
    assert_non_null(json_object_get(claims, "measurement"));
    assert_null(json_object_get(claims, "reported_tcb_fmc"));
    json_decref(claims);
}

static void test_versions(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    /* Passing: 2 (product from the VCEK productName), 3, 4, 5. */
    for (uint32_t v = 2; v <= 5; v++) {
        rep_default(&r, &milan);
        r.version = v;
        forge(&r, milan.vcek_key, b);
        EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_OK, msg);
    }
    /* Failing: 0, 1, 6, 0xffffffff (signed, so only the version check can fail). */
    uint32_t bad[] = {0, 1, 6, 0xffffffffu};
    for (size_t i = 0; i < 4; i++) {
        rep_default(&r, &milan);
        r.version = bad[i];
        forge(&r, milan.vcek_key, b);
        EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_ERR_UNSUPPORTED, msg);
    }
    /* v5 mitigation vectors parse; in v3 the same bytes are reserved. */
    rep_default(&r, &milan);
    r.version = 5;
    forge(&r, milan.vcek_key, b);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_snp_report rep;
    assert_int_equal(ay_snp_report_parse(&d, ay_span_of(b, sizeof b), &rep), AY_OK);
    assert_true(rep.has_mit_vectors);
    assert_int_equal(rep.launch_mit_vector, 5);
    assert_int_equal(rep.current_mit_vector, 7);
    b[0] = 3;
    sign_report(b, milan.vcek_key);
    EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_ERR_MALFORMED, msg);
}

static void test_truncated_and_long(void **state)
{
    (void)state;
    struct rep r;
    rep_default(&r, &milan);
    uint8_t b[AY_SNP_REPORT_LEN + 8];
    forge(&r, milan.vcek_key, b);
    char msg[512];
    for (size_t len = 0; len < AY_SNP_REPORT_LEN; len += (len < 64 ? 1 : 37)) {
        EXPECT(verify_report(&milan, b, len, milan.vcek, NULL, msg), AY_ERR_TRUNCATED, msg);
    }
    EXPECT(verify_report(&milan, b, AY_SNP_REPORT_LEN - 1, milan.vcek, NULL, msg), AY_ERR_TRUNCATED,
           msg);
    /* Trailing bytes are read as a certificate table and must be one. */
    memset(b + AY_SNP_REPORT_LEN, 0x55, 8);
    assert_int_not_equal(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_OK);
    /* The parser alone: exactly 1184 bytes. */
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_snp_report rep;
    assert_int_equal(ay_snp_report_parse(&d, ay_span_of(b, sizeof b), &rep), AY_ERR_MALFORMED);
    ay_diag_clear(&d);
    assert_int_equal(ay_snp_report_parse(&d, ay_span_of(b, AY_SNP_REPORT_LEN - 1), &rep),
                     AY_ERR_TRUNCATED);
}

/* One byte flipped in every region of the report: each must fail, none may pass. */
static void test_flip_each_region(void **state)
{
    (void)state;
    struct rep r;
    rep_default(&r, &milan);
    uint8_t good[AY_SNP_REPORT_LEN];
    forge(&r, milan.vcek_key, good);
    static const size_t regions[] = {
        0x000, 0x004, 0x008, 0x00A, 0x010, 0x020, 0x030, 0x034, 0x038, 0x040, 0x048, 0x04C,
        0x050, 0x08F, 0x090, 0x0C0, 0x0E0, 0x110, 0x140, 0x160, 0x180, 0x186, 0x188, 0x189,
        0x18A, 0x18B, 0x19F, 0x1A0, 0x1DF, 0x1E0, 0x1E8, 0x1E9, 0x1EA, 0x1EB, 0x1EC, 0x1EF,
        0x1F0, 0x1F8, 0x200, 0x208, 0x29F, 0x2A0, 0x2C0, 0x2E8, 0x310, 0x32F, 0x330, 0x49F};
    char msg[512];
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
        uint8_t b[AY_SNP_REPORT_LEN];
        memcpy(b, good, sizeof b);
        b[regions[i]] ^= 0x01;
        ay_err e = verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg);
        if (e == AY_OK) {
            fail_msg("flip at 0x%03zx was accepted", regions[i]);
        }
    }
    /* And a sweep over every 13th byte of the whole report. */
    for (size_t off = 0; off < AY_SNP_REPORT_LEN; off += 13) {
        uint8_t b[AY_SNP_REPORT_LEN];
        memcpy(b, good, sizeof b);
        b[off] ^= 0x80;
        if (verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg) == AY_OK) {
            fail_msg("flip at 0x%03zx was accepted", off);
        }
    }
    EXPECT(verify_report(&milan, good, sizeof good, milan.vcek, NULL, msg), AY_OK, msg);
}

/* Reserved fields and policy / signer-info rules, each re-signed so that only the rule fails. */
static void test_reserved_and_policy_bits(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    static const size_t mbz[] = {0x04C, 0x04F, 0x18B, 0x19F, 0x1EB,
                                 0x1EF, 0x1F8, 0x208, 0x250, 0x29F};
    for (size_t i = 0; i < sizeof mbz / sizeof mbz[0]; i++) {
        rep_default(&r, &milan);
        forge(&r, milan.vcek_key, b);
        b[mbz[i]] = 1;
        sign_report(b, milan.vcek_key);
        EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_ERR_MALFORMED, msg);
        assert_non_null(strstr(msg, "reserved"));
    }
    /* v2: the CPUID bytes are reserved. */
    rep_default(&r, &milan);
    r.version = 2;
    forge(&r, milan.vcek_key, b);
    b[0x188] = 0x19;
    sign_report(b, milan.vcek_key);
    EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_ERR_MALFORMED, msg);
    /* Signature tail. */
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);
    b[0x400] = 1;
    EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_ERR_MALFORMED, msg);

    struct {
        uint64_t policy;
        uint32_t key_info;
        ay_err want;
    } cases[] = {
        {0x30000, 0, AY_OK},
        {0x3001f | (1ull << 19) | (1ull << 25), 0x3, AY_OK}, /* debug, page swap, author key */
        {0x10000, 0, AY_ERR_MALFORMED},                      /* bit 17 clear */
        {0x30000 | (1ull << 26), 0, AY_ERR_MALFORMED},       /* bit 26 */
        {0x30000 | (1ull << 63), 0, AY_ERR_MALFORMED},       /* bit 63 */
        {0x30000, 7u << 2, AY_ERR_VERIFY},                   /* SIGNING_KEY none */
        {0x30000, 2u << 2, AY_ERR_MALFORMED},                /* reserved SIGNING_KEY */
        {0x30000, 1u << 5, AY_ERR_MALFORMED},                /* signer info bit 5 */
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rep_default(&r, &milan);
        r.policy = cases[i].policy;
        r.key_info = cases[i].key_info;
        forge(&r, milan.vcek_key, b);
        EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), cases[i].want, msg);
    }
    /* SIGNATURE_ALGO other than 1. */
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);
    b[0x034] = 2;
    sign_report(b, milan.vcek_key);
    EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_ERR_UNSUPPORTED, msg);
}

static void test_chain(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);
    /* Passing: VCEK alone (pinned ASK), VCEK + presented ASK, + the pinned ARK itself. */
    EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_OK, msg);
    EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, milan.ask, msg), AY_OK, msg);
    struct run run;
    memset(&run, 0, sizeof run);
    run.evidence = ay_span_of(b, sizeof b);
    run.trust = &milan.trust;
    run.certs[run.n_certs++] = milan.vcek;
    run.certs[run.n_certs++] = milan.ask;
    run.certs[run.n_certs++] = milan.ark;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    /* Failing: a foreign ARK with the same subject is presented. */
    run.certs[2] = milan.foreign_ark;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_BAD_CHAIN, msg);
    assert_non_null(strstr(msg, "not the pinned"));
    /* Failing: VCEK under a rogue ASK under the foreign ARK (full rogue chain presented). */
    run.certs[0] = milan.rogue_vcek;
    run.certs[1] = milan.rogue_ask;
    run.n_certs = 2;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_BAD_CHAIN, msg);
    run.certs[2] = milan.foreign_ark;
    run.n_certs = 3;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_BAD_CHAIN, msg);
    /* Failing: the Milan chain checked against the Turin trust (wrong product root). */
    EXPECT(verify_report(&turin, b, sizeof b, milan.vcek, NULL, msg), AY_ERR_BAD_CHAIN, msg);
    /* Failing: no V[CL]EK at all. */
    memset(&run, 0, sizeof run);
    run.evidence = ay_span_of(b, sizeof b);
    run.trust = &milan.trust;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_VERIFY, msg);
    assert_non_null(strstr(msg, "no VCEK"));
    /* Failing: the report signed by another P-384 key than the VCEK's. */
    forge(&r, milan.vlek_key, b);
    EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_ERR_BAD_SIGNATURE, msg);
}

static void test_validity_time(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);
    struct run run;
    memset(&run, 0, sizeof run);
    run.evidence = ay_span_of(b, sizeof b);
    run.trust = &milan.trust;
    run.certs[run.n_certs++] = milan.vcek;
    run.at = T0 + 7 * 365 * DAY - 60; /* just inside */
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    run.at = T0 + 7 * 365 * DAY + 60; /* VCEK expired (--at later) */
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_EXPIRED, msg);
    run.at = T0 - 2 * DAY; /* before the VCEK's notBefore */
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_EXPIRED, msg);
    run.at = T0;
    run.certs[0] = milan.expired_vcek;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_EXPIRED, msg);
    run.at = T0 + 30 * 365 * (int64_t)DAY; /* ARK and ASK expired too */
    run.certs[0] = milan.vcek;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_EXPIRED, msg);
}

static void test_product(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    struct run run;
    /* Passing: configured product agrees with CPUID. */
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);
    memset(&run, 0, sizeof run);
    run.evidence = ay_span_of(b, sizeof b);
    run.trust = &milan.trust;
    run.certs[run.n_certs++] = milan.vcek;
    run.config = json_pack("{s:{s:s}}", "snp_verifier", "product", "Milan");
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    json_decref(run.config);
    /* Failing: configured Genoa vs CPUID Milan. */
    run.config = json_pack("{s:s}", "product", "Genoa");
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_VERIFY, msg);
    json_decref(run.config);
    run.config = json_pack("{s:s}", "product", "Naples");
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_CONFIG, msg);
    json_decref(run.config);
    run.config = NULL;
    /* Failing: CPUID says Genoa (model 0x11): no Genoa root in this trust. */
    rep_default(&r, &milan);
    r.mod = 0x11;
    forge(&r, milan.vcek_key, b);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_BAD_CHAIN, msg);
    /* Failing: unknown CPU family. */
    r.fam = 0x17;
    forge(&r, milan.vcek_key, b);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_UNSUPPORTED, msg);
    /* v2 with configured product: passing. */
    rep_default(&r, &milan);
    r.version = 2;
    forge(&r, milan.vcek_key, b);
    run.config = json_pack("{s:s}", "product", "milan");
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    json_decref(run.config);
    run.config = NULL;
    /* Product mapping table (FORMATS.md 1.4). */
    assert_int_equal(ay_snp_product_from_cpuid(0x19, 0x01), AY_SNP_PRODUCT_MILAN);
    assert_int_equal(ay_snp_product_from_cpuid(0x19, 0x0F), AY_SNP_PRODUCT_MILAN);
    assert_int_equal(ay_snp_product_from_cpuid(0x19, 0x11), AY_SNP_PRODUCT_GENOA);
    assert_int_equal(ay_snp_product_from_cpuid(0x19, 0xA0), AY_SNP_PRODUCT_GENOA);
    assert_int_equal(ay_snp_product_from_cpuid(0x19, 0x20), AY_SNP_PRODUCT_UNKNOWN);
    assert_int_equal(ay_snp_product_from_cpuid(0x1A, 0x02), AY_SNP_PRODUCT_TURIN);
    assert_int_equal(ay_snp_product_from_cpuid(0x1A, 0x12), AY_SNP_PRODUCT_UNKNOWN);
    assert_int_equal(ay_snp_product_parse("Milan-B0"), AY_SNP_PRODUCT_MILAN);
    assert_int_equal(ay_snp_product_parse("GENOA"), AY_SNP_PRODUCT_GENOA);
    assert_int_equal(ay_snp_product_parse("Turing"), AY_SNP_PRODUCT_UNKNOWN);
}

static void test_turin(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    rep_default(&r, &turin);
    forge(&r, turin.vcek_key, b);
    struct run run;
    memset(&run, 0, sizeof run);
    run.evidence = ay_span_of(b, sizeof b);
    run.trust = &turin.trust;
    run.certs[run.n_certs++] = turin.vcek;
    json_t *claims = NULL;
    EXPECT(verify(&run, &claims, msg, sizeof msg), AY_OK, msg);
    /* Turin layout: fmc byte 0, bl 1, tee 2, snp 3, ucode 7. */
    assert_int_equal(json_integer_value(json_object_get(claims, "reported_tcb_fmc")), 1);
    assert_int_equal(json_integer_value(json_object_get(claims, "reported_tcb_bootloader")), 2);
    assert_int_equal(json_integer_value(json_object_get(claims, "reported_tcb_tee")), 3);
    assert_int_equal(json_integer_value(json_object_get(claims, "reported_tcb_snp")), 4);
    assert_int_equal(json_integer_value(json_object_get(claims, "reported_tcb_microcode")), 0x45);
    json_decref(claims);
    /* Failing: fmc differs from the VCEK's fmcSPL. */
    r.tcb ^= 0x01;
    forge(&r, turin.vcek_key, b);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_TCB, msg);
    assert_non_null(strstr(msg, "fmcSPL"));
    /* Failing: the 8-byte hwID differs from CHIP_ID[0..8]. */
    rep_default(&r, &turin);
    r.chip_id[3] ^= 1;
    forge(&r, turin.vcek_key, b);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_VERIFY, msg);
    /* KDS URL with fmcSPL and the 8-byte hwID. */
    rep_default(&r, &turin);
    forge(&r, turin.vcek_key, b);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_snp_report rep;
    assert_int_equal(ay_snp_report_parse(&d, ay_span_of(b, sizeof b), &rep), AY_OK);
    char url[512];
    assert_int_equal(ay_snp_kds_vcek_url(&d, NULL, &rep, AY_SNP_PRODUCT_TURIN, url, sizeof url),
                     AY_OK);
    assert_string_equal(url, "https://kdsintf.amd.com/vcek/v1/Turin/a0a1a2a3a4a5a6a7"
                             "?fmcSPL=01&blSPL=02&teeSPL=03&snpSPL=04&ucodeSPL=69");
    assert_int_equal(ay_snp_kds_vcek_url(&d, NULL, &rep, AY_SNP_PRODUCT_TURIN, url, 20),
                     AY_ERR_LIMIT);
}

static void test_tcb_and_hwid(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    /* REPORTED_TCB one microcode step off: the VCEK is not for this TCB. */
    rep_default(&r, &milan);
    r.tcb = milan.tcb + (1ull << 56);
    forge(&r, milan.vcek_key, b);
    EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_ERR_TCB, msg);
    assert_non_null(strstr(msg, "ucodeSPL"));
    rep_default(&r, &milan);
    r.tcb = milan.tcb + (1ull << 48);
    forge(&r, milan.vcek_key, b);
    EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_ERR_TCB, msg);
    /* CHIP_ID differs from hwID. */
    rep_default(&r, &milan);
    r.chip_id[63] ^= 1;
    forge(&r, milan.vcek_key, b);
    EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_ERR_VERIFY, msg);
    assert_non_null(strstr(msg, "hwID"));
    /* Masked CHIP_ID (all zero): the hwID check does not apply. */
    rep_default(&r, &milan);
    memset(r.chip_id, 0, 64);
    forge(&r, milan.vcek_key, b);
    EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_OK, msg);
    /* TCB decode: Milan layout. */
    struct ay_snp_tcb t;
    ay_snp_tcb_decode(0xd50e000000000003ull, AY_SNP_PRODUCT_MILAN, &t);
    assert_int_equal(t.bl, 3);
    assert_int_equal(t.tee, 0);
    assert_int_equal(t.snp, 14);
    assert_int_equal(t.ucode, 213);
    assert_false(t.has_fmc);
}

static void test_vlek(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    rep_default(&r, &milan);
    r.key_info = 1u << 2;
    memset(r.chip_id, 0, 64);
    forge(&r, milan.vlek_key, b);
    /* Passing: VLEK with the pinned ASVK, and with the ASVK presented. */
    EXPECT(verify_report(&milan, b, sizeof b, milan.vlek, NULL, msg), AY_OK, msg);
    EXPECT(verify_report(&milan, b, sizeof b, milan.vlek, milan.asvk, msg), AY_OK, msg);
    /* Failing: only a VCEK presented for a VLEK-signed report. */
    EXPECT(verify_report(&milan, b, sizeof b, milan.vcek, NULL, msg), AY_ERR_VERIFY, msg);
    assert_non_null(strstr(msg, "no VLEK"));
    /* Failing: a VCEK-signed report with only the VLEK. */
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);
    EXPECT(verify_report(&milan, b, sizeof b, milan.vlek, NULL, msg), AY_ERR_VERIFY, msg);
    /* The snp layer reports the VLEK facts. */
    rep_default(&r, &milan);
    r.key_info = 1u << 2;
    forge(&r, milan.vlek_key, b);
    struct ay_arena *arena;
    ay_arena_new(1 << 16, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    ctx.now = T0;
    uint8_t *der;
    struct ay_span s = der_of(milan.vlek, &der);
    struct ay_x509 *x;
    assert_int_equal(ay_x509_parse(&ctx.diag, s, &x), AY_OK);
    struct ay_snp_verify_in vi;
    memset(&vi, 0, sizeof vi);
    vi.report = ay_span_of(b, sizeof b);
    vi.trust = &milan.trust;
    vi.certs = &x;
    vi.n_certs = 1;
    struct ay_snp_verified v;
    assert_int_equal(ay_snp_verify(&ctx, &vi, &v), AY_OK);
    assert_int_equal(v.vek.type, AY_SNP_KEY_VLEK);
    assert_string_equal(v.vek.csp_id, "CN=csp.example.com");
    assert_string_equal(v.vek.product_name, "Milan");
    assert_int_equal(v.vek.struct_version, 0);
    ay_x509_free(x);
    free(der);
    ay_arena_free(arena);
}

static void test_bindings(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    rep_default(&r, &milan);
    memset(r.report_data + 20, 0, 44);
    memset(r.host_data + 16, 0, 16);
    forge(&r, milan.vcek_key, b);
    struct run run;
    memset(&run, 0, sizeof run);
    run.evidence = ay_span_of(b, sizeof b);
    run.trust = &milan.trust;
    run.certs[run.n_certs++] = milan.vcek;
    /* Passing: exact, shorter (zero-padded) and longer (truncated) expected values. */
    uint8_t exp[80];
    memset(exp, 0, sizeof exp);
    memcpy(exp, r.report_data, 64);
    struct ay_span rd = ay_span_of(exp, 64);
    run.report_data = &rd;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    rd.len = 20;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    rd.len = 80;
    exp[70] = 0xEE; /* past 64: truncated away */
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    uint8_t hd[32];
    memcpy(hd, r.host_data, 32);
    struct ay_span hs = ay_span_of(hd, 16);
    run.init_data = &hs;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    /* Failing: one byte off in each. */
    hd[5] ^= 1;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_BINDING, msg);
    assert_non_null(strstr(msg, "HOST_DATA"));
    hd[5] ^= 1;
    exp[3] ^= 1;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_BINDING, msg);
    assert_non_null(strstr(msg, "REPORT_DATA"));
    exp[3] ^= 1;
    /* Failing: a shorter expected value whose zero padding does not match. */
    rd.len = 19;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_BINDING, msg);
    struct ay_span empty = {NULL, 0};
    run.report_data = &empty;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_BINDING, msg);
}

/* An ARK-issued CRL: passing when the ASK is not listed, failing when it is or when expired. */
static struct ay_span make_crl(struct pki *p, X509 *revoked, int64_t last, int64_t next,
                               EVP_PKEY *signer, uint8_t **buf)
{
    X509_CRL *crl = X509_CRL_new();
    assert_int_equal(X509_CRL_set_version(crl, 1), 1);
    assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(p->ark)), 1);
    ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)last);
    ASN1_TIME *t2 = ASN1_TIME_set(NULL, (time_t)next);
    assert_int_equal(X509_CRL_set1_lastUpdate(crl, t1), 1);
    assert_int_equal(X509_CRL_set1_nextUpdate(crl, t2), 1);
    if (revoked != NULL) {
        X509_REVOKED *rv = X509_REVOKED_new();
        assert_int_equal(X509_REVOKED_set_serialNumber(rv, X509_get_serialNumber(revoked)), 1);
        assert_int_equal(X509_REVOKED_set_revocationDate(rv, t1), 1);
        assert_int_equal(X509_CRL_add0_revoked(crl, rv), 1);
    }
    ASN1_TIME_free(t1);
    ASN1_TIME_free(t2);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    assert_int_equal(EVP_DigestSignInit(m, &pc, EVP_sha384(), NULL, signer), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 48), 1);
    assert_true(X509_CRL_sign_ctx(crl, m) > 0);
    EVP_MD_CTX_free(m);
    int n = i2d_X509_CRL(crl, NULL);
    *buf = malloc((size_t)n);
    uint8_t *q = *buf;
    assert_int_equal(i2d_X509_CRL(crl, &q), n);
    X509_CRL_free(crl);
    return ay_span_of(*buf, (size_t)n);
}

static void test_crl(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);
    struct run run;
    memset(&run, 0, sizeof run);
    run.evidence = ay_span_of(b, sizeof b);
    run.trust = &milan.trust;
    run.certs[run.n_certs++] = milan.vcek;
    uint8_t *c1;
    uint8_t *c2;
    uint8_t *c3;
    uint8_t *c4;
    run.extra[0] = make_crl(&milan, NULL, T0 - DAY, T0 + DAY, milan.ark_key, &c1);
    run.n_extra = 1;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    run.extra[0] = make_crl(&milan, milan.ask, T0 - DAY, T0 + DAY, milan.ark_key, &c2);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_REVOKED, msg);
    run.extra[0] = make_crl(&milan, NULL, T0 - 3 * DAY, T0 - DAY, milan.ark_key, &c3);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_EXPIRED, msg);
    /* A CRL with the ARK's name but signed by another key. */
    run.extra[0] = make_crl(&milan, NULL, T0 - DAY, T0 + DAY, milan.evil_key, &c4);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_BAD_SIGNATURE, msg);
    free(c1);
    free(c2);
    free(c3);
    free(c4);
}

/* Trustee's JSON evidence: the report as the sev crate serialises it, cert_chain byte arrays. */
static json_t *bytes_json(const uint8_t *p, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_integer(p[i]));
    }
    return a;
}

static bool json_turin; /* report_json writes the Turin TCB layout (with fmc) */

static json_t *tcb_json(uint64_t raw)
{
    struct ay_snp_tcb t;
    ay_snp_tcb_decode(raw, json_turin ? AY_SNP_PRODUCT_TURIN : AY_SNP_PRODUCT_MILAN, &t);
    if (json_turin) {
        return json_pack("{s:i,s:i,s:i,s:i,s:i}", "fmc", t.fmc, "bootloader", t.bl, "tee", t.tee,
                         "snp", t.snp, "microcode", t.ucode);
    }
    return json_pack("{s:n,s:i,s:i,s:i,s:i}", "fmc", "bootloader", t.bl, "tee", t.tee, "snp", t.snp,
                     "microcode", t.ucode);
}

static json_t *report_json(const uint8_t *b)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_snp_report r;
    assert_int_equal(ay_snp_report_parse(&d, ay_span_of(b, AY_SNP_REPORT_LEN), &r), AY_OK);
    json_t *j = json_object();
    json_object_set_new(j, "version", json_integer(r.version));
    json_object_set_new(j, "guest_svn", json_integer(r.guest_svn));
    json_object_set_new(j, "policy", json_integer((json_int_t)r.policy));
    json_object_set_new(j, "family_id", bytes_json(r.family_id, 16));
    json_object_set_new(j, "image_id", bytes_json(r.image_id, 16));
    json_object_set_new(j, "vmpl", json_integer(r.vmpl));
    json_object_set_new(j, "sig_algo", json_integer(r.sig_algo));
    json_object_set_new(j, "current_tcb", tcb_json(r.current_tcb));
    json_object_set_new(j, "plat_info", json_integer((json_int_t)r.platform_info));
    json_object_set_new(j, "key_info", json_integer(r.key_info));
    json_object_set_new(j, "report_data", bytes_json(r.report_data, 64));
    json_object_set_new(j, "measurement", bytes_json(r.measurement, 48));
    json_object_set_new(j, "host_data", bytes_json(r.host_data, 32));
    json_object_set_new(j, "id_key_digest", bytes_json(r.id_key_digest, 48));
    json_object_set_new(j, "author_key_digest", bytes_json(r.author_key_digest, 48));
    json_object_set_new(j, "report_id", bytes_json(r.report_id, 32));
    json_object_set_new(j, "report_id_ma", bytes_json(r.report_id_ma, 32));
    json_object_set_new(j, "reported_tcb", tcb_json(r.reported_tcb));
    json_object_set_new(j, "cpuid_fam_id", json_integer(r.cpuid_fam_id));
    json_object_set_new(j, "cpuid_mod_id", json_integer(r.cpuid_mod_id));
    json_object_set_new(j, "cpuid_step", json_integer(r.cpuid_step));
    json_object_set_new(j, "chip_id", bytes_json(r.chip_id, 64));
    json_object_set_new(j, "committed_tcb", tcb_json(r.committed_tcb));
    json_object_set_new(j, "current",
                        json_pack("{s:i,s:i,s:i}", "major", r.current_major, "minor",
                                  r.current_minor, "build", r.current_build));
    json_object_set_new(j, "committed",
                        json_pack("{s:i,s:i,s:i}", "major", r.committed_major, "minor",
                                  r.committed_minor, "build", r.committed_build));
    json_object_set_new(j, "launch_tcb", tcb_json(r.launch_tcb));
    json_object_set_new(
        j, "signature",
        json_pack("{s:o,s:o}", "r", bytes_json(r.sig_r, 72), "s", bytes_json(r.sig_s, 72)));
    return j;
}

static json_t *chain_entry(const char *type, X509 *x)
{
    uint8_t *der;
    struct ay_span s = der_of(x, &der);
    json_t *e = json_pack("{s:s,s:o}", "cert_type", type, "data", bytes_json(s.ptr, s.len));
    free(der);
    return e;
}

static ay_err verify_json_with(json_t *ev, const struct ay_snp_trust *trust, char *msg)
{
    char *text = json_dumps(ev, JSON_COMPACT);
    struct run run;
    memset(&run, 0, sizeof run);
    run.evidence = ay_span_of(text, strlen(text));
    run.trust = trust;
    ay_err e = verify(&run, NULL, msg, 512);
    free(text);
    return e;
}

static ay_err verify_json(json_t *ev, char *msg)
{
    return verify_json_with(ev, &milan.trust, msg);
}

/* Turin in the JSON form: TCB objects carry fmc; v3 (CPUID) and v5 (mitigation vectors). */
static void test_trustee_json_turin(void **state)
{
    (void)state;
    char msg[512];
    for (uint32_t v = 3; v <= 5; v += 2) {
        uint8_t b[AY_SNP_REPORT_LEN];
        struct rep r;
        rep_default(&r, &turin);
        r.version = v;
        forge(&r, turin.vcek_key, b);
        json_turin = true;
        json_t *rj = report_json(b);
        json_turin = false;
        if (v == 5) {
            json_object_set_new(rj, "launch_mit_vector", json_integer(5));
            json_object_set_new(rj, "current_mit_vector", json_integer(7));
        }
        uint8_t back[AY_SNP_REPORT_LEN];
        struct ay_diag d;
        ay_diag_clear(&d);
        assert_int_equal(ay_snp_report_from_json(&d, rj, back), AY_OK);
        assert_memory_equal(back, b, sizeof b);
        json_t *ev = json_pack("{s:o,s:[o]}", "attestation_report", rj, "cert_chain",
                               chain_entry("VCEK", turin.vcek));
        EXPECT(verify_json_with(ev, &turin.trust, msg), AY_OK, msg);
        /* Failing: the same evidence against the Milan trust. */
        EXPECT(verify_json_with(ev, &milan.trust, msg), AY_ERR_BAD_CHAIN, msg);
        json_decref(ev);
    }
}

static void test_trustee_json_evidence(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);
    /* The JSON form re-serialises to the same bytes. */
    json_t *rj = report_json(b);
    uint8_t back[AY_SNP_REPORT_LEN];
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_snp_report_from_json(&d, rj, back), AY_OK);
    assert_memory_equal(back, b, sizeof b);

    json_t *ev = json_pack("{s:O,s:[o,o,o]}", "attestation_report", rj, "cert_chain",
                           chain_entry("VCEK", milan.vcek), chain_entry("ASK", milan.ask),
                           chain_entry("ARK", milan.ark));
    EXPECT(verify_json(ev, msg), AY_OK, msg);
    json_decref(ev);
    /* Failing: a foreign ARK in cert_chain. */
    ev = json_pack("{s:O,s:[o,o]}", "attestation_report", rj, "cert_chain",
                   chain_entry("VCEK", milan.vcek), chain_entry("ARK", milan.foreign_ark));
    EXPECT(verify_json(ev, msg), AY_ERR_BAD_CHAIN, msg);
    json_decref(ev);
    /* Failing: no cert_chain (null) and no endorsements. */
    ev = json_pack("{s:O,s:n}", "attestation_report", rj, "cert_chain");
    EXPECT(verify_json(ev, msg), AY_ERR_VERIFY, msg);
    json_decref(ev);
    /* Failing: a changed measurement byte in the JSON. */
    json_array_set_new(json_object_get(rj, "measurement"), 0, json_integer(0x12));
    ev = json_pack("{s:O,s:[o]}", "attestation_report", rj, "cert_chain",
                   chain_entry("VCEK", milan.vcek));
    EXPECT(verify_json(ev, msg), AY_ERR_BAD_SIGNATURE, msg);
    json_decref(ev);
    /* Failing: malformed shapes. */
    json_object_set_new(rj, "measurement", json_string("00"));
    ev = json_pack("{s:O}", "attestation_report", rj);
    EXPECT(verify_json(ev, msg), AY_ERR_MALFORMED, msg);
    json_decref(ev);
    json_object_del(rj, "measurement");
    ev = json_pack("{s:O}", "attestation_report", rj);
    EXPECT(verify_json(ev, msg), AY_ERR_MALFORMED, msg);
    json_decref(ev);
    ev = json_pack("{s:i}", "attestation_report", 3);
    EXPECT(verify_json(ev, msg), AY_ERR_MALFORMED, msg);
    json_decref(ev);
    json_decref(rj);
    struct run run;
    memset(&run, 0, sizeof run);
    run.evidence = ay_span_of("{not json", 9);
    run.trust = &milan.trust;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_MALFORMED, msg);
}

/* report || certificate table (SNP_GET_EXT_REPORT). */
static size_t build_ext(uint8_t *out, const uint8_t *report, X509 *const *certs,
                        const uint8_t *guids, size_t n)
{
    memcpy(out, report, AY_SNP_REPORT_LEN);
    uint8_t *t = out + AY_SNP_REPORT_LEN;
    size_t hdr = (n + 1) * 24;
    memset(t, 0, hdr);
    size_t off = hdr;
    for (size_t i = 0; i < n; i++) {
        uint8_t *q = t + off;
        int len = i2d_X509(certs[i], &q);
        assert_true(len > 0);
        memcpy(t + i * 24, guids + 16 * i, 16);
        put_le(t + i * 24 + 16, off, 4);
        put_le(t + i * 24 + 20, (uint64_t)len, 4);
        off += (size_t)len;
    }
    return AY_SNP_REPORT_LEN + off;
}

static const uint8_t guid_vcek[16] = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
                                      0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};
static const uint8_t guid_ask[16] = {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
                                     0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82};
static const uint8_t guid_ark[16] = {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
                                     0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae};

static void test_cert_table_evidence(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);
    static uint8_t ext[AY_SNP_REPORT_LEN + 16384];
    uint8_t guids[3][16];
    memcpy(guids[0], guid_vcek, 16);
    memcpy(guids[1], guid_ask, 16);
    memcpy(guids[2], guid_ark, 16);
    X509 *certs[3] = {milan.vcek, milan.ask, milan.ark};
    size_t len = build_ext(ext, b, certs, &guids[0][0], 3);
    struct run run;
    memset(&run, 0, sizeof run);
    run.evidence = ay_span_of(ext, len);
    run.trust = &milan.trust;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    /* Failing: foreign ARK in the table. */
    certs[2] = milan.foreign_ark;
    len = build_ext(ext, b, certs, &guids[0][0], 3);
    run.evidence = ay_span_of(ext, len);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_BAD_CHAIN, msg);
    /* Failing: the table cut short (no terminator / blob outside). */
    certs[2] = milan.ark;
    len = build_ext(ext, b, certs, &guids[0][0], 3);
    run.evidence = ay_span_of(ext, AY_SNP_REPORT_LEN + 30);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_TRUNCATED, msg);
    run.evidence = ay_span_of(ext, len - 1);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_MALFORMED, msg);

    /* The table parser: offsets must point past the entries, inside the table. */
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_snp_cert_entry ents[4];
    size_t n;
    uint8_t t[72];
    memset(t, 0, sizeof t);
    memcpy(t, guid_vcek, 16);
    put_le(t + 16, 48, 4);
    put_le(t + 20, 24, 4);
    assert_int_equal(ay_snp_cert_table_parse(&d, ay_span_of(t, 72), ents, 4, &n), AY_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ents[0].kind, AY_SNP_CERT_VCEK);
    put_le(t + 16, 8, 4); /* inside the header */
    assert_int_equal(ay_snp_cert_table_parse(&d, ay_span_of(t, 72), ents, 4, &n), AY_ERR_MALFORMED);
    put_le(t + 16, 48, 4);
    put_le(t + 20, 25, 4); /* one past the end */
    assert_int_equal(ay_snp_cert_table_parse(&d, ay_span_of(t, 72), ents, 4, &n), AY_ERR_MALFORMED);
    put_le(t + 20, 0xffffffffu, 4);
    assert_int_equal(ay_snp_cert_table_parse(&d, ay_span_of(t, 72), ents, 4, &n), AY_ERR_MALFORMED);
    put_le(t + 20, 24, 4);
    assert_int_equal(ay_snp_cert_table_parse(&d, ay_span_of(t, 72), ents, 0, &n), AY_ERR_LIMIT);
    assert_int_equal(ay_snp_cert_table_parse(&d, ay_span_of(t, 47), ents, 4, &n), AY_ERR_TRUNCATED);
}

static void test_offline_store(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);
    char dir[] = "/tmp/ay_snp_storeXXXXXX";
    assert_non_null(mkdtemp(dir));
    char hw[129];
    ay_hex_encode(milan.chip_id, 64, hw);
    char p1[512];
    char p2[700];
    char p3[800];
    (void)snprintf(p1, sizeof p1, "%s/vcek", dir);
    (void)snprintf(p2, sizeof p2, "%s/%s", p1, hw);
    assert_int_equal(mkdir(p1, 0700), 0);
    assert_int_equal(mkdir(p2, 0700), 0);
    (void)snprintf(p3, sizeof p3, "%s/bl03_tee00_snp08_ucode115_vcek.der", p2);
    uint8_t *der;
    struct ay_span s = der_of(milan.vcek, &der);
    FILE *f = fopen(p3, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(s.ptr, 1, s.len, f), s.len);
    assert_int_equal(fclose(f), 0);
    free(der);

    struct run run;
    memset(&run, 0, sizeof run);
    run.evidence = ay_span_of(b, sizeof b);
    run.trust = &milan.trust;
    run.config = json_pack("{s:{s:[{s:s,s:s}]}}", "snp_verifier", "vcek_sources", "type",
                           "OfflineStore", "path", dir);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    /* Failing: another TCB has no file in the store. */
    rep_default(&r, &milan);
    r.tcb = milan.tcb + 1;
    forge(&r, milan.vcek_key, b);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_VERIFY, msg);
    json_decref(run.config);
    assert_int_equal(unlink(p3), 0);
    assert_int_equal(rmdir(p2), 0);
    assert_int_equal(rmdir(p1), 0);
    assert_int_equal(rmdir(dir), 0);

    /* KDS URL for Milan (the fetch itself is not built in). */
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_snp_report rep;
    assert_int_equal(ay_snp_report_parse(&d, ay_span_of(b, sizeof b), &rep), AY_OK);
    char url[512];
    assert_int_equal(
        ay_snp_kds_vcek_url(&d, "https://kds.test", &rep, AY_SNP_PRODUCT_MILAN, url, sizeof url),
        AY_OK);
    char want[512];
    (void)snprintf(want, sizeof want,
                   "https://kds.test/vcek/v1/Milan/%s?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115",
                   hw);
    assert_string_equal(url, want);
}

static void test_vek_extensions(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);

    struct {
        struct leaf_opts o;
        ay_err want;
        const char *msg_has;
    } cases[] = {
        /* Passing: hwID raw, and wrapped in a DER OCTET STRING (Trustee accepts both). */
        {{"SEV-VCEK", milan.ask, "SEV-Milan", milan.ask_key, HWID_RAW, false, false}, AY_OK, ""},
        {{"SEV-VCEK", milan.ask, "SEV-Milan", milan.ask_key, HWID_DER, false, false}, AY_OK, ""},
        /* Failing: VCEK without hwID, with a cspId, without ucodeSPL. */
        {{"SEV-VCEK", milan.ask, "SEV-Milan", milan.ask_key, HWID_NONE, false, false},
         AY_ERR_BAD_CHAIN,
         "hwID"},
        {{"SEV-VCEK", milan.ask, "SEV-Milan", milan.ask_key, HWID_RAW, true, false},
         AY_ERR_BAD_CHAIN,
         "cspId"},
        {{"SEV-VCEK", milan.ask, "SEV-Milan", milan.ask_key, HWID_RAW, false, true},
         AY_ERR_BAD_CHAIN,
         "ucodeSPL"},
        /* Failing: a VCEK signed by the ARK itself, or by the ASVK. */
        {{"SEV-VCEK", milan.ark, "ARK-Milan", milan.ark_key, HWID_RAW, false, false},
         AY_ERR_BAD_CHAIN,
         "not an ASK"},
        {{"SEV-VCEK", milan.asvk, "SEV-VLEK-Milan", milan.asvk_key, HWID_RAW, false, false},
         AY_ERR_BAD_CHAIN,
         "not an ASK"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        X509 *x = make_leaf(&milan, &cases[i].o);
        ay_err e = verify_report(&milan, b, sizeof b, x, NULL, msg);
        X509_free(x);
        if (e != cases[i].want || strstr(msg, cases[i].msg_has) == NULL) {
            fail_msg("case %zu: got %s (%s), want %s", i, ay_err_name(e), msg,
                     ay_err_name(cases[i].want));
        }
    }
    /* VLEK signed by the ASK (not the ASVK). */
    rep_default(&r, &milan);
    r.key_info = 1u << 2;
    forge(&r, milan.vcek_key, b);
    struct leaf_opts o = {"SEV-VLEK", milan.ask, "SEV-Milan", milan.ask_key,
                          HWID_NONE,  true,      false};
    X509 *x = make_leaf(&milan, &o);
    EXPECT(verify_report(&milan, b, sizeof b, x, NULL, msg), AY_ERR_BAD_CHAIN, msg);
    X509_free(x);
    /* VLEK with a hwID. */
    o.issuer = milan.asvk;
    o.issuer_cn = "SEV-VLEK-Milan";
    o.issuer_key = milan.asvk_key;
    o.hwid = HWID_RAW;
    x = make_leaf(&milan, &o);
    EXPECT(verify_report(&milan, b, sizeof b, x, NULL, msg), AY_ERR_BAD_CHAIN, msg);
    X509_free(x);
    o.hwid = HWID_NONE;
    x = make_leaf(&milan, &o);
    EXPECT(verify_report(&milan, b, sizeof b, x, NULL, msg), AY_OK, msg);
    X509_free(x);
}

static void test_limits_and_config(void **state)
{
    (void)state;
    char msg[512];
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);
    struct run run;
    memset(&run, 0, sizeof run);
    run.trust = &milan.trust;
    /* Evidence at the limit is parsed (and fails as JSON); one byte more is AY_ERR_LIMIT. */
    uint8_t *big = malloc(AY_LIMIT_EVIDENCE + 1);
    memset(big, ' ', AY_LIMIT_EVIDENCE + 1);
    big[0] = '{';
    run.evidence = ay_span_of(big, AY_LIMIT_EVIDENCE + 1);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_LIMIT, msg);
    run.evidence = ay_span_of(big, AY_LIMIT_EVIDENCE);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_MALFORMED, msg);
    free(big);
    /* An endorsement PEM bundle of AY_LIMIT_CERT_CHAIN certificates passes, one more fails. */
    run.evidence = ay_span_of(b, sizeof b);
    BIO *bio = BIO_new(BIO_s_mem());
    for (int i = 0; i < AY_LIMIT_CERT_CHAIN; i++) {
        assert_int_equal(PEM_write_bio_X509(bio, i == 0 ? milan.vcek : milan.ask), 1);
    }
    char *pem;
    long pem_len = BIO_get_mem_data(bio, &pem);
    run.extra[0] = ay_span_of(pem, (size_t)pem_len);
    run.n_extra = 1;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    assert_int_equal(PEM_write_bio_X509(bio, milan.ask), 1);
    pem_len = BIO_get_mem_data(bio, &pem);
    run.extra[0] = ay_span_of(pem, (size_t)pem_len);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_LIMIT, msg);
    /* Files that are neither certificates nor CRLs are another verifier's: ignored. */
    static const char other[] = "{\"tcbInfo\": {}}";
    run.extra[0] = ay_span_of(other, sizeof other - 1);
    run.certs[run.n_certs++] = milan.vcek;
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    BIO_free(bio);
    /* Config errors. */
    run.config = json_pack("{s:[{s:s}]}", "vcek_sources", "type", "Carrier-Pigeon");
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_CONFIG, msg);
    json_decref(run.config);
    run.config = json_pack("{s:[{s:i}]}", "vcek_sources", "type", 1);
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_ERR_CONFIG, msg);
    json_decref(run.config);
    /* The "snp" sub-object form and a configured cache that lacks the key: still fine. */
    run.config = json_pack("{s:{s:s,s:s}}", "snp", "product", "Milan", "cache_dir", "/nonexistent");
    EXPECT(verify(&run, NULL, msg, sizeof msg), AY_OK, msg);
    json_decref(run.config);
}

struct fake_kds {
    int calls;
    char last_url[512];
    struct ay_span answer; /* {NULL, 0}: fail with AY_ERR_NETWORK */
};

static ay_err fake_fetch(void *arg, struct ay_diag *d, const char *url, size_t max, uint8_t **out,
                         size_t *out_len)
{
    struct fake_kds *k = arg;
    k->calls++;
    (void)snprintf(k->last_url, sizeof k->last_url, "%s", url);
    if (k->answer.ptr == NULL) {
        return FAIL(d, AY_ERR_NETWORK, "fake KDS: offline");
    }
    assert_true(k->answer.len <= max);
    *out = malloc(k->answer.len);
    memcpy(*out, k->answer.ptr, k->answer.len);
    *out_len = k->answer.len;
    return AY_OK;
}

static ay_err kds_verify(const uint8_t *b, const char *dir, struct fake_kds *k)
{
    struct ay_arena *arena;
    ay_arena_new(1 << 16, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    ctx.now = T0;
    struct ay_snp_verify_in vi;
    memset(&vi, 0, sizeof vi);
    vi.report = ay_span_of(b, AY_SNP_REPORT_LEN);
    vi.trust = &milan.trust;
    vi.offline_store = dir;
    vi.kds_url = "https://kds.test";
    vi.fetch = fake_fetch;
    vi.fetch_arg = k;
    struct ay_snp_verified v;
    ay_err e = ay_snp_verify(&ctx, &vi, &v);
    ay_arena_free(arena);
    return e;
}

/* The KDS hook with a fake fetcher (no network): fetch once, cache, then serve from the cache. */
static void test_kds_hook_and_cache(void **state)
{
    (void)state;
    uint8_t b[AY_SNP_REPORT_LEN];
    struct rep r;
    rep_default(&r, &milan);
    forge(&r, milan.vcek_key, b);
    char dir[] = "/tmp/ay_snp_kdsXXXXXX";
    assert_non_null(mkdtemp(dir));
    uint8_t *der;
    uint8_t *der2;
    struct fake_kds k;
    memset(&k, 0, sizeof k);
    k.answer = der_of(milan.vcek, &der);
    assert_int_equal(kds_verify(b, dir, &k), AY_OK);
    assert_int_equal(k.calls, 1);
    char hw[129];
    ay_hex_encode(milan.chip_id, 64, hw);
    char want[512];
    (void)snprintf(want, sizeof want,
                   "https://kds.test/vcek/v1/Milan/%s?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115",
                   hw);
    assert_string_equal(k.last_url, want);
    /* KDS now unreachable: the cached copy serves, no new request. */
    k.answer = ay_span_of(NULL, 0);
    assert_int_equal(kds_verify(b, dir, &k), AY_OK);
    assert_int_equal(k.calls, 1);
    /* Failing: another TCB, KDS unreachable. */
    struct rep r2 = r;
    r2.tcb = milan.tcb + 1;
    uint8_t b2[AY_SNP_REPORT_LEN];
    forge(&r2, milan.vcek_key, b2);
    assert_int_equal(kds_verify(b2, dir, &k), AY_ERR_NETWORK);
    /* Failing: KDS answers garbage. */
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
    k.answer = ay_span_of(junk, sizeof junk);
    assert_int_equal(kds_verify(b2, dir, &k), AY_ERR_MALFORMED);
    /* Failing: KDS answers a VCEK for another TCB (the TCB check refuses it). */
    k.answer = der_of(milan.vcek, &der2);
    assert_int_equal(kds_verify(b2, dir, &k), AY_ERR_TCB);
    char path[1024];
    (void)snprintf(path, sizeof path, "%s/vcek/%s/bl04_tee00_snp08_ucode115_vcek.der", dir, hw);
    assert_int_not_equal(access(path, F_OK), 0); /* a key for another TCB is not cached */
    free(der);
    free(der2);
    (void)snprintf(path, sizeof path, "%s/vcek/%s/bl03_tee00_snp08_ucode115_vcek.der", dir, hw);
    assert_int_equal(unlink(path), 0);
    (void)snprintf(path, sizeof path, "%s/vcek/%s", dir, hw);
    assert_int_equal(rmdir(path), 0);
    (void)snprintf(path, sizeof path, "%s/vcek", dir);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void test_cert_table_limit(void **state)
{
    (void)state;
    /* AY_LIMIT_SNP_CERT_TABLE entries pass; one more is AY_ERR_LIMIT. */
    size_t n = AY_LIMIT_SNP_CERT_TABLE + 1;
    size_t len = (n + 1) * 24;
    uint8_t *t = calloc(1, len);
    for (size_t i = 0; i < n; i++) {
        t[i * 24] = (uint8_t)(i + 1); /* an OTHER GUID with an empty blob at the end */
        put_le(t + i * 24 + 16, len, 4);
    }
    struct ay_snp_cert_entry ents[AY_LIMIT_SNP_CERT_TABLE];
    size_t got;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(
        ay_snp_cert_table_parse(&d, ay_span_of(t, len), ents, AY_LIMIT_SNP_CERT_TABLE, &got),
        AY_ERR_LIMIT);
    /* Drop one entry: make entry n-1 the terminator. */
    memset(t + (n - 1) * 24, 0, 24);
    for (size_t i = 0; i + 1 < n; i++) {
        put_le(t + i * 24 + 16, n * 24, 4);
    }
    assert_int_equal(
        ay_snp_cert_table_parse(&d, ay_span_of(t, n * 24), ents, AY_LIMIT_SNP_CERT_TABLE, &got),
        AY_OK);
    assert_int_equal(got, AY_LIMIT_SNP_CERT_TABLE);
    assert_int_equal(ents[0].kind, AY_SNP_CERT_OTHER);
    assert_int_equal(ents[0].data.len, 0);
    free(t);
}

static void test_registry(void **state)
{
    (void)state;
    const struct ay_tee *t = ay_tee_find("snp");
    assert_non_null(t);
    assert_string_equal(t->device_class, "cpu");
    /* The pinned verifier refuses the test PKI: its ARK is not AMD's. */
    struct rep r;
    rep_default(&r, &milan);
    uint8_t b[AY_SNP_REPORT_LEN];
    forge(&r, milan.vcek_key, b);
    struct ay_arena *arena;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    ctx.now = T0;
    uint8_t *der;
    struct ay_endorsement e = {"vcek", der_of(milan.vcek, &der)};
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(b, sizeof b);
    in.endorsements = &e;
    in.n_endorsements = 1;
    json_t *claims = NULL;
    assert_int_equal(t->verify(&ctx, &in, &claims), AY_ERR_BAD_CHAIN);
    assert_null(claims);
    free(der);
    ay_arena_free(arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_milan_v3_and_claims),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_truncated_and_long),
        cmocka_unit_test(test_flip_each_region),
        cmocka_unit_test(test_reserved_and_policy_bits),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_validity_time),
        cmocka_unit_test(test_product),
        cmocka_unit_test(test_turin),
        cmocka_unit_test(test_tcb_and_hwid),
        cmocka_unit_test(test_vlek),
        cmocka_unit_test(test_bindings),
        cmocka_unit_test(test_crl),
        cmocka_unit_test(test_trustee_json_evidence),
        cmocka_unit_test(test_trustee_json_turin),
        cmocka_unit_test(test_cert_table_evidence),
        cmocka_unit_test(test_offline_store),
        cmocka_unit_test(test_vek_extensions),
        cmocka_unit_test(test_limits_and_config),
        cmocka_unit_test(test_kds_hook_and_cache),
        cmocka_unit_test(test_cert_table_limit),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
