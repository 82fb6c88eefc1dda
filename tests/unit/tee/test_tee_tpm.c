/* SPDX-License-Identifier: Apache-2.0 */
/* TPM quotes forged and signed at test time with generated AKs (RSA-2048 RSASSA and ECDSA
 * P-256): Trustee's `tpm` verifier (signature, PCR digest, nonce, init-data PCR8, claims) and
 * the go-tpm-tools Attestation protobuf (TPMT_PUBLIC AK with exponent 0, SHA-1 bank under a
 * SHA-256 signature, legacy event log replay). Each check has a passing and a failing case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_mem.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_digest.h"
#include "tee/tee.h"
#include "tee/tee_cocos.h"
#include "tee/tee_tpm.h"
#include "testlib.h"

/* ---- a tiny big-endian writer ---- */

struct w {
    uint8_t b[4096];
    size_t n;
};

static void put(struct w *w, const void *p, size_t n)
{
    assert_true(w->n + n <= sizeof w->b);
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void u8(struct w *w, uint8_t v)
{
    put(w, &v, 1);
}

static void u16(struct w *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(w, b, 2);
}

static void u32(struct w *w, uint32_t v)
{
    u16(w, (uint16_t)(v >> 16));
    u16(w, (uint16_t)v);
}

static void u64(struct w *w, uint64_t v)
{
    u32(w, (uint32_t)(v >> 32));
    u32(w, (uint32_t)v);
}

static void tpm2b(struct w *w, const void *p, size_t n)
{
    u16(w, (uint16_t)n);
    put(w, p, n);
}

/* ---- quote forging ---- */

struct forge {
    uint16_t bank;  /* TPM_ALG_ID */
    size_t pcr_len; /* bytes per PCR value */
    uint8_t pcr[24][48];
    uint8_t nonce[64];
    size_t nonce_len;
    uint32_t magic;
    uint16_t type;
    enum ay_hash dh; /* digest hash (= signature hash) */
};

static void forge_init(struct forge *f, uint16_t bank, size_t pcr_len)
{
    memset(f, 0, sizeof *f);
    f->bank = bank;
    f->pcr_len = pcr_len;
    for (unsigned i = 0; i < 24; i++) {
        memset(f->pcr[i], (int)i, pcr_len);
    }
    memcpy(f->nonce, "0123456789abcdef0123456789abcdef", 32);
    f->nonce_len = 32;
    f->magic = 0xFF544347u;
    f->type = 0x8018;
    f->dh = AY_HASH_SHA256;
}

static void attest_bytes(const struct forge *f, struct w *out)
{
    uint8_t cat[24 * 48];
    for (unsigned i = 0; i < 24; i++) {
        memcpy(cat + i * f->pcr_len, f->pcr[i], f->pcr_len);
    }
    uint8_t dg[64];
    assert_int_equal(ay_hash(f->dh, cat, 24 * f->pcr_len, dg), AY_OK);
    static const uint8_t name[34] = {0x00, 0x0b};
    memset(out, 0, sizeof *out);
    u32(out, f->magic);
    u16(out, f->type);
    tpm2b(out, name, sizeof name);
    tpm2b(out, f->nonce, f->nonce_len);
    u64(out, 12345); /* clock */
    u32(out, 1);
    u32(out, 0);
    u8(out, 1);
    u64(out, 0x2019102300163636ull);
    u32(out, 1); /* one selection */
    u16(out, f->bank);
    u8(out, 3);
    u8(out, 0xff);
    u8(out, 0xff);
    u8(out, 0xff);
    tpm2b(out, dg, ay_hash_len(f->dh));
}

static size_t sign(EVP_PKEY *k, const EVP_MD *md, const uint8_t *msg, size_t n, uint8_t *sig)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    size_t sl = 512;
    assert_int_equal(EVP_DigestSignInit(m, NULL, md, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(m, sig, &sl, msg, n), 1);
    EVP_MD_CTX_free(m);
    return sl;
}

/* TPMT_SIGNATURE for key k over msg. */
static void tpmt_signature(EVP_PKEY *k, const uint8_t *msg, size_t n, struct w *out)
{
    uint8_t sig[512];
    size_t sl = sign(k, EVP_sha256(), msg, n, sig);
    memset(out, 0, sizeof *out);
    if (EVP_PKEY_is_a(k, "RSA")) {
        u16(out, AY_TPM_ALG_RSASSA);
        u16(out, AY_TPM_ALG_SHA256);
        tpm2b(out, sig, sl);
        return;
    }
    /* DER ECDSA-Sig-Value -> r, s */
    const uint8_t *p = sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sl);
    assert_non_null(es);
    uint8_t r[32];
    uint8_t s[32];
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), r, 32), 32);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), s, 32), 32);
    ECDSA_SIG_free(es);
    u16(out, AY_TPM_ALG_ECDSA);
    u16(out, AY_TPM_ALG_SHA256);
    tpm2b(out, r, 32);
    tpm2b(out, s, 32);
}

static EVP_PKEY *rsa_key;
static EVP_PKEY *ec_key;
static EVP_PKEY *other_key;

static int setup(void **state)
{
    (void)state;
    rsa_key = EVP_RSA_gen(2048);
    other_key = EVP_RSA_gen(2048);
    ec_key = EVP_EC_gen("P-256");
    return rsa_key != NULL && ec_key != NULL && other_key != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(rsa_key);
    EVP_PKEY_free(ec_key);
    EVP_PKEY_free(other_key);
    return 0;
}

/* Trustee `tpm` evidence JSON for forge f, signed by signer, AK claimed = ak. */
static char *tpm_evidence(const struct forge *f, EVP_PKEY *signer, EVP_PKEY *ak, bool flip_sig,
                          int drop_pcr)
{
    struct w att;
    struct w sig;
    attest_bytes(f, &att);
    tpmt_signature(signer, att.b, att.n, &sig);
    if (flip_sig) {
        sig.b[sig.n - 1] ^= 1;
    }
    uint8_t *spki = NULL;
    int sl = i2d_PUBKEY(ak, &spki);
    assert_true(sl > 0);
    json_t *pcrs = json_array();
    for (unsigned i = 0; i < 24; i++) {
        if ((int)i == drop_pcr) {
            continue;
        }
        char hex[97];
        ay_hex_encode(f->pcr[i], f->pcr_len, hex);
        json_array_append_new(pcrs, json_string(hex));
    }
    char *a = ay_test_b64(AY_B64_STD, spki, (size_t)sl);
    char *m = ay_test_b64(AY_B64_STD, att.b, att.n);
    char *s = ay_test_b64(AY_B64_STD, sig.b, sig.n);
    json_t *j = json_pack("{s:s,s:{s:s,s:s,s:o}}", "ak_public", a, "tpm_quote", "signature", s,
                          "message", m, "pcrs", pcrs);
    char *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    ay_free(a);
    ay_free(m);
    ay_free(s);
    OPENSSL_free(spki);
    return out;
}

static ay_err run_tpm(const char *ev, const uint8_t *rd, size_t rdl, const uint8_t *init,
                      json_t **claims)
{
    struct ay_arena *arena = NULL;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    struct ay_span rds = ay_span_of(rd, rdl);
    struct ay_span is = ay_span_of(init, 32);
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(ev, strlen(ev));
    in.report_data = rd != NULL ? &rds : NULL;
    in.init_data = init != NULL ? &is : NULL;
    *claims = NULL;
    ay_err e = ay_tee_find("tpm")->verify(&ctx, &in, claims);
    ay_arena_free(arena);
    return e;
}

static void test_trustee_tpm_rsa(void **state)
{
    (void)state;
    struct forge f;
    forge_init(&f, AY_TPM_ALG_SHA256, 32);
    /* PCR8 = SHA-256(zeros32 || H) for an init data digest H */
    uint8_t h[32];
    uint8_t buf[64];
    memset(h, 0x77, 32);
    memset(buf, 0, 32);
    memcpy(buf + 32, h, 32);
    assert_int_equal(ay_hash(AY_HASH_SHA256, buf, 64, f.pcr[8]), AY_OK);
    char *ev = tpm_evidence(&f, rsa_key, rsa_key, false, -1);
    json_t *c = NULL;
    /* nonce: expected shorter than 32 is zero-padded; here exactly the 32 bytes */
    assert_int_equal(run_tpm(ev, f.nonce, 32, h, &c), AY_OK);
    char hex[65];
    ay_hex_encode(f.pcr[8], 32, hex);
    assert_string_equal(json_string_value(json_object_get(c, "init_data")), hex);
    ay_hex_encode(f.nonce, 32, hex);
    assert_string_equal(json_string_value(json_object_get(c, "report_data")), hex);
    assert_non_null(json_object_get(c, "pcr23"));
    json_decref(c);
    /* longer expected report data is truncated to 32 */
    uint8_t rd64[64];
    memcpy(rd64, f.nonce, 32);
    memset(rd64 + 32, 0xee, 32);
    assert_int_equal(run_tpm(ev, rd64, 64, NULL, &c), AY_OK);
    json_decref(c);
    /* wrong nonce, wrong init data */
    rd64[0] ^= 1;
    assert_int_equal(run_tpm(ev, rd64, 64, NULL, &c), AY_ERR_BINDING);
    h[0] ^= 1;
    assert_int_equal(run_tpm(ev, NULL, 0, h, &c), AY_ERR_BINDING);
    free(ev);
    /* zero-padded short expected value */
    forge_init(&f, AY_TPM_ALG_SHA256, 32);
    memset(f.nonce, 0, 32);
    memcpy(f.nonce, "abc", 3);
    ev = tpm_evidence(&f, rsa_key, rsa_key, false, -1);
    assert_int_equal(run_tpm(ev, (const uint8_t *)"abc", 3, NULL, &c), AY_OK);
    json_decref(c);
    free(ev);
}

static void test_trustee_tpm_negative(void **state)
{
    (void)state;
    struct forge f;
    json_t *c = NULL;
    forge_init(&f, AY_TPM_ALG_SHA256, 32);
    char *ev = tpm_evidence(&f, rsa_key, rsa_key, true, -1);
    assert_int_equal(run_tpm(ev, NULL, 0, NULL, &c), AY_ERR_BAD_SIGNATURE);
    free(ev);
    ev = tpm_evidence(&f, other_key, rsa_key, false, -1); /* signed by another key */
    assert_int_equal(run_tpm(ev, NULL, 0, NULL, &c), AY_ERR_BAD_SIGNATURE);
    free(ev);
    ev = tpm_evidence(&f, rsa_key, rsa_key, false, 5); /* 23 PCRs for 24 selected */
    assert_int_equal(run_tpm(ev, NULL, 0, NULL, &c), AY_ERR_MALFORMED);
    free(ev);
    /* supplied PCRs differ from the quoted digest: forge with one value, send another */
    struct w att;
    attest_bytes(&f, &att);
    f.pcr[3][0] ^= 1; /* the PCRs sent differ from those the signed digest covers */
    {
        struct w sig;
        tpmt_signature(rsa_key, att.b, att.n, &sig);
        uint8_t *spki = NULL;
        int sl = i2d_PUBKEY(rsa_key, &spki);
        json_t *pcrs = json_array();
        for (unsigned i = 0; i < 24; i++) {
            char hex[65];
            ay_hex_encode(f.pcr[i], 32, hex);
            json_array_append_new(pcrs, json_string(hex));
        }
        char *a = ay_test_b64(AY_B64_STD, spki, (size_t)sl);
        char *m = ay_test_b64(AY_B64_STD, att.b, att.n);
        char *s = ay_test_b64(AY_B64_STD, sig.b, sig.n);
        json_t *j = json_pack("{s:s,s:{s:s,s:s,s:o}}", "ak_public", a, "tpm_quote", "signature", s,
                              "message", m, "pcrs", pcrs);
        char *e2 = json_dumps(j, JSON_COMPACT);
        assert_int_equal(run_tpm(e2, NULL, 0, NULL, &c), AY_ERR_VERIFY);
        free(e2);
        json_decref(j);
        ay_free(a);
        ay_free(m);
        ay_free(s);
        OPENSSL_free(spki);
    }
    /* wrong magic, wrong type */
    forge_init(&f, AY_TPM_ALG_SHA256, 32);
    f.magic = 0xFF544348u;
    ev = tpm_evidence(&f, rsa_key, rsa_key, false, -1);
    assert_int_equal(run_tpm(ev, NULL, 0, NULL, &c), AY_ERR_MALFORMED);
    free(ev);
    forge_init(&f, AY_TPM_ALG_SHA256, 32);
    f.type = 0x8017; /* ATTEST_CERTIFY */
    ev = tpm_evidence(&f, rsa_key, rsa_key, false, -1);
    assert_int_not_equal(run_tpm(ev, NULL, 0, NULL, &c), AY_OK);
    free(ev);
    /* not JSON, missing fields */
    assert_int_equal(run_tpm("[1]", NULL, 0, NULL, &c), AY_ERR_MALFORMED);
    assert_int_equal(run_tpm("{\"ak_public\":\"AA==\"}", NULL, 0, NULL, &c), AY_ERR_MALFORMED);
}

static void test_trustee_tpm_ecdsa(void **state)
{
    (void)state;
    struct forge f;
    json_t *c = NULL;
    forge_init(&f, AY_TPM_ALG_SHA256, 32);
    char *ev = tpm_evidence(&f, ec_key, ec_key, false, -1);
    assert_int_equal(run_tpm(ev, NULL, 0, NULL, &c), AY_OK);
    json_decref(c);
    free(ev);
    ev = tpm_evidence(&f, ec_key, ec_key, true, -1);
    assert_int_equal(run_tpm(ev, NULL, 0, NULL, &c), AY_ERR_BAD_SIGNATURE);
    free(ev);
}

/* ---- go-tpm-tools protobuf ---- */

static void pb_varint(struct w *w, uint64_t v)
{
    while (v >= 0x80) {
        u8(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    u8(w, (uint8_t)v);
}

static void pb_len(struct w *w, uint32_t field, const uint8_t *p, size_t n)
{
    pb_varint(w, (uint64_t)field << 3 | 2);
    pb_varint(w, n);
    put(w, p, n);
}

/* TPMT_PUBLIC of an RSA key with exponent field 0 (= 65537). */
static void tpmt_public_rsa(EVP_PKEY *k, struct w *out)
{
    BIGNUM *n = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    uint8_t mod[256];
    assert_int_equal(BN_bn2binpad(n, mod, 256), 256);
    BN_free(n);
    memset(out, 0, sizeof *out);
    u16(out, 0x0001); /* TPM_ALG_RSA */
    u16(out, AY_TPM_ALG_SHA256);
    u32(out, 0x00050072);
    u16(out, 0);      /* authPolicy */
    u16(out, 0x0010); /* symmetric: null */
    u16(out, AY_TPM_ALG_RSASSA);
    u16(out, AY_TPM_ALG_SHA256);
    u16(out, 2048);
    u32(out, 0);
    tpm2b(out, mod, 256);
}

struct legacy_log {
    struct w w;
};

static void log_event(struct w *log, uint32_t pcr, uint32_t type, const uint8_t digest[20])
{
    uint8_t le[4];
    le[0] = (uint8_t)pcr;
    le[1] = le[2] = le[3] = 0;
    put(log, le, 4);
    le[0] = (uint8_t)type;
    le[1] = (uint8_t)(type >> 8);
    le[2] = (uint8_t)(type >> 16);
    le[3] = (uint8_t)(type >> 24);
    put(log, le, 4);
    put(log, digest, 20);
    static const uint8_t zero[4] = {0, 0, 0, 0};
    put(log, zero, 4);
}

static struct w gotpm_bytes;

/* An Attestation over SHA-1 PCRs whose values are the replay of a two-event log. */
static void build_gotpm(bool with_log, bool bad_log)
{
    struct forge f;
    forge_init(&f, AY_TPM_ALG_SHA1, 20);
    memset(f.nonce, 0, 32);
    memcpy(f.nonce, "nonce-16-bytes!!", 16); /* Cocos zero-pads the vTPM nonce */
    uint8_t d1[20];
    uint8_t d2[20];
    memset(d1, 0x11, 20);
    memset(d2, 0x22, 20);
    /* PCR0 = SHA1(SHA1(0 || d1) || d2); others as forged (not in the log) */
    uint8_t b[40];
    memset(b, 0, 20);
    memcpy(b + 20, d1, 20);
    assert_int_equal(ay_hash(AY_HASH_SHA1, b, 40, f.pcr[0]), AY_OK);
    memcpy(b, f.pcr[0], 20);
    memcpy(b + 20, d2, 20);
    assert_int_equal(ay_hash(AY_HASH_SHA1, b, 40, f.pcr[0]), AY_OK);
    struct w att;
    struct w sig;
    struct w pub;
    attest_bytes(&f, &att);
    tpmt_signature(rsa_key, att.b, att.n, &sig);
    tpmt_public_rsa(rsa_key, &pub);
    static struct w pcrs;
    static struct w quote;
    static struct w ent;
    memset(&pcrs, 0, sizeof pcrs);
    memset(&quote, 0, sizeof quote);
    pb_varint(&pcrs, 1 << 3 | 0);
    pb_varint(&pcrs, AY_TPM_ALG_SHA1);
    for (unsigned i = 0; i < 24; i++) {
        memset(&ent, 0, sizeof ent);
        pb_varint(&ent, 1 << 3 | 0);
        pb_varint(&ent, i);
        pb_len(&ent, 2, f.pcr[i], 20);
        pb_len(&pcrs, 2, ent.b, ent.n);
    }
    pb_len(&quote, 1, att.b, att.n);
    pb_len(&quote, 2, sig.b, sig.n);
    pb_len(&quote, 3, pcrs.b, pcrs.n);
    memset(&gotpm_bytes, 0, sizeof gotpm_bytes);
    pb_len(&gotpm_bytes, 1, pub.b, pub.n);
    pb_len(&gotpm_bytes, 2, quote.b, quote.n);
    if (with_log) {
        static struct w log;
        memset(&log, 0, sizeof log);
        uint8_t z[20];
        memset(z, 0, 20);
        log_event(&log, 0, 3, z); /* EV_NO_ACTION: not extended */
        log_event(&log, 0, 8, d1);
        log_event(&log, 0, bad_log ? 0x80000008u : 8, bad_log ? d1 : d2);
        pb_len(&gotpm_bytes, 3, log.b, log.n);
    }
}

static ay_err run_gotpm(const uint8_t *nonce, size_t nl, bool full, struct ay_gotpm_verified *v)
{
    struct ay_arena *arena = NULL;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    struct ay_gotpm_attestation a;
    ay_err e = ay_gotpm_attestation_parse(&ctx.diag, ay_span_of(gotpm_bytes.b, gotpm_bytes.n), &a);
    if (e == AY_OK) {
        struct ay_span ns = ay_span_of(nonce, nl);
        e = ay_gotpm_verify(&ctx, &a, nonce != NULL ? &ns : NULL, full, v);
    }
    ay_arena_free(arena);
    return e;
}

static void test_gotpm(void **state)
{
    (void)state;
    struct ay_gotpm_verified *v = malloc(sizeof *v);
    build_gotpm(true, false);
    assert_int_equal(run_gotpm((const uint8_t *)"nonce-16-bytes!!", 16, true, v), AY_OK);
    assert_true(v->has_replay);
    assert_int_equal(v->replay.replayed, 1);
    assert_true((v->replay.matched & 1) != 0);
    assert_int_equal(v->replay.n_events, 3);
    assert_int_equal(run_gotpm((const uint8_t *)"nonce-16-bytes!?", 16, false, v), AY_ERR_BINDING);
    assert_int_equal(run_gotpm(NULL, 0, false, v), AY_OK);
    /* a log that does not reproduce PCR0 */
    build_gotpm(true, true);
    assert_int_equal(run_gotpm(NULL, 0, false, v), AY_OK);
    assert_true((v->replay.matched & 1) == 0);
    assert_int_equal(run_gotpm(NULL, 0, true, v), AY_ERR_VERIFY);
    /* no log: fine unless a full replay is required */
    build_gotpm(false, false);
    assert_int_equal(run_gotpm(NULL, 0, false, v), AY_OK);
    assert_false(v->has_replay);
    assert_int_equal(run_gotpm(NULL, 0, true, v), AY_ERR_VERIFY);
    /* a flipped signature byte inside the protobuf */
    build_gotpm(false, false);
    gotpm_bytes.b[gotpm_bytes.n - 24 * 26 - 40] ^= 1;
    assert_int_not_equal(run_gotpm(NULL, 0, false, v), AY_OK);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trustee_tpm_rsa),
        cmocka_unit_test(test_trustee_tpm_negative),
        cmocka_unit_test(test_trustee_tpm_ecdsa),
        cmocka_unit_test(test_gotpm),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
