/* SPDX-License-Identifier: Apache-2.0 */
/* Arm CCA tokens and Hygon CSV reports verified per second on one core, beside the same run's
 * OpenSSL rates of the algorithms they need (issue 6 "bench/"). Evidence is synthetic, minted
 * at start: CCA tokens (tag 399, ES384 platform by a P-384 CPAK and ES384 realm by a P-384
 * RAK, as Trustee's and TF-A's; and an ES256 CPAK variant as Veraison's cca-good) with a TA
 * store and an rv-store (appraisal included), and a CSV V1 and V2 report under a generated
 * HRK -> HSK -> CEK -> PEK chain, cold (chain cache cleared: 5 SM2) and hot (the verified
 * chain cached: the report signature only). The floor of a CCA token is two ECDSA verifies;
 * of a CSV report five SM2 verifies cold, one hot. OpenSSL's rates come from
 * ../shared/tools/crypto-floor, else `openssl speed`. Usage:
 *   bench_cca_csv [seconds-per-figure] [shared-dir]   (default 2 s, $ASSAY_SHARED or ../shared)
 * Seconds are CPU seconds of the benchmarking thread. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cbor.h>
#include <jansson.h>

#include "bench_floor.h"

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_mem.h"
#include "codec/codec_b64.h"
#include "crypto/crypto_cose.h"
#include "crypto/crypto_digest.h"
#include "crypto/crypto_sm2.h"
#include "tee/tee.h"
#include "tee/tee_cca.h"
#include "tee/tee_csv.h"

/* Thread CPU time, not wall time: rates are per busy core even on a shared machine, as
 * `openssl speed` reports them (it divides by user CPU time). */
static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void must(ay_err e, const struct ay_diag *d, const char *what)
{
    if (e != AY_OK) {
        fprintf(stderr, "bench_cca_csv: %s: %s (%s)\n", what, ay_err_name(e),
                d ? ay_diag_message(d) : "");
        exit(2);
    }
}

/* ---- CCA minting ---- */

static cbor_item_t *ikey(int64_t k)
{
    if (k < 0) {
        return cbor_build_negint8((uint8_t)(-1 - k));
    }
    if (k < 256) {
        return cbor_build_uint8((uint8_t)k);
    }
    if (k < 65536) {
        return cbor_build_uint16((uint16_t)k);
    }
    return cbor_build_uint32((uint32_t)k);
}

static void put(cbor_item_t *map, int64_t k, cbor_item_t *v)
{
    if (!cbor_map_add(map, (struct cbor_pair){.key = cbor_move(ikey(k)), .value = cbor_move(v)})) {
        exit(2);
    }
}

static uint8_t *encode(const cbor_item_t *it, size_t *len)
{
    unsigned char *buf = NULL;
    size_t cap = 0;
    *len = cbor_serialize_alloc(it, &buf, &cap);
    if (*len == 0) {
        exit(2);
    }
    return buf;
}

static uint8_t *sign1(struct ay_ec_priv *k, bool p256, const uint8_t *payload, size_t plen,
                      size_t *len)
{
    cbor_item_t *hdr = cbor_new_definite_map(1);
    put(hdr, 1, ikey(p256 ? AY_COSE_ES256 : AY_COSE_ES384));
    size_t hlen;
    uint8_t *prot = encode(hdr, &hlen);
    cbor_decref(&hdr);
    struct ay_arena *a = NULL;
    ay_arena_new(1 << 20, &a);
    struct ay_span tbs;
    struct ay_diag d;
    ay_diag_clear(&d);
    must(ay_cose_sig_structure(a, ay_span_of(prot, hlen), ay_span_of(payload, plen), &tbs), &d,
         "Sig_structure");
    uint8_t sig[132];
    size_t slen = 0;
    must(ay_ec_priv_sign_rs(&d, k, p256 ? AY_HASH_SHA256 : AY_HASH_SHA384, tbs, sig, sizeof sig,
                            &slen),
         &d, "sign");
    ay_arena_free(a);
    cbor_item_t *arr = cbor_new_definite_array(4);
    (void)cbor_array_push(arr, cbor_move(cbor_build_bytestring(prot, hlen)));
    (void)cbor_array_push(arr, cbor_move(cbor_new_definite_map(0)));
    (void)cbor_array_push(arr, cbor_move(cbor_build_bytestring(payload, plen)));
    (void)cbor_array_push(arr, cbor_move(cbor_build_bytestring(sig, slen)));
    cbor_item_t *tagged = cbor_build_tag(18, arr);
    cbor_decref(&arr);
    uint8_t *out = encode(tagged, len);
    cbor_decref(&tagged);
    free(prot);
    return out;
}

static char *b64url(const uint8_t *p, size_t n)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1024);
    ay_b64_encode(AY_B64_URL_NOPAD, p, n, &b);
    char *s = ay_xmalloc(b.len + 1);
    memcpy(s, b.ptr, b.len);
    s[b.len] = '\0';
    ay_buf_free(&b);
    return s;
}

#define N_SW 13 /* as Trustee's example token */

struct cca_bench {
    uint8_t *token;
    size_t token_len;
    char *ta;
    char *rv;
};

/* A token, its TA store (the CPAK) and a matching rv-store. */
static void mint_cca(bool cpak_p256, struct cca_bench *out)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_ec_priv *cpak = NULL;
    struct ay_ec_priv *rak = NULL;
    must(ay_ec_priv_generate(&d, cpak_p256 ? AY_CURVE_P256 : AY_CURVE_P384, &cpak), &d, "CPAK");
    must(ay_ec_priv_generate(&d, AY_CURVE_P384, &rak), &d, "RAK");
    uint8_t xy[96];
    size_t n = 0;
    must(ay_ec_priv_public_xy(rak, xy, sizeof xy, &n), &d, "RAK point");
    uint8_t rakpt[97];
    rakpt[0] = 0x04;
    memcpy(rakpt + 1, xy, 96);
    static const uint8_t m32[32] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t zero64[64] = {0};
    uint8_t challenge[64];
    for (int i = 0; i < 64; i++) {
        challenge[i] = (uint8_t)(0xa0 + i);
    }
    cbor_item_t *realm = cbor_new_definite_map(8);
    put(realm, 10, cbor_build_bytestring(challenge, 64));
    put(realm, 44235, cbor_build_bytestring(zero64, 64));
    put(realm, 44238, cbor_build_bytestring(m32, 32));
    cbor_item_t *rems = cbor_new_definite_array(4);
    for (int i = 0; i < 4; i++) {
        (void)cbor_array_push(rems, cbor_move(cbor_build_bytestring(zero64, 32)));
    }
    put(realm, 44239, rems);
    put(realm, 44236, cbor_build_string("sha-256"));
    put(realm, 44237, cbor_build_bytestring(rakpt, 97));
    put(realm, 44240, cbor_build_string("sha-256"));
    size_t rplen;
    uint8_t *rpayload = encode(realm, &rplen);
    cbor_decref(&realm);
    uint8_t rak_hash[32];
    must(ay_hash(AY_HASH_SHA256, rakpt, 97, rak_hash), NULL, "hash");
    static const uint8_t impl[32] = {0x7f, 0x45, 0x4c, 0x46};
    static const uint8_t cfg[4] = {0xcf, 0xcf, 0xcf, 0xcf};
    uint8_t inst[33] = {0x01, 0x07, 0x06};
    cbor_item_t *plat = cbor_new_definite_map(9);
    put(plat, 265, cbor_build_string("http://arm.com/CCA-SSD/1.0.0"));
    put(plat, 10, cbor_build_bytestring(rak_hash, 32));
    put(plat, 2396, cbor_build_bytestring(impl, 32));
    put(plat, 256, cbor_build_bytestring(inst, 33));
    put(plat, 2401, cbor_build_bytestring(cfg, 4));
    put(plat, 2395, ikey(0x3003));
    cbor_item_t *sw = cbor_new_definite_array(N_SW);
    for (size_t i = 0; i < N_SW; i++) {
        cbor_item_t *c = cbor_new_definite_map(4);
        put(c, 1, cbor_build_string("RSE_BL1_2"));
        put(c, 2, cbor_build_bytestring(m32, 32));
        put(c, 4, cbor_build_string("1.0.0"));
        put(c, 5, cbor_build_bytestring(m32, 32));
        (void)cbor_array_push(sw, cbor_move(c));
    }
    put(plat, 2399, sw);
    put(plat, 2400,
        cbor_build_string("https://veraison.example/.well-known/veraison/verification"));
    put(plat, 2402, cbor_build_string("sha-256"));
    size_t pplen;
    uint8_t *ppayload = encode(plat, &pplen);
    cbor_decref(&plat);
    size_t pslen;
    size_t rslen;
    uint8_t *ps = sign1(cpak, cpak_p256, ppayload, pplen, &pslen);
    uint8_t *rs = sign1(rak, false, rpayload, rplen, &rslen);
    cbor_item_t *coll = cbor_new_definite_map(2);
    put(coll, 44234, cbor_build_bytestring(ps, pslen));
    put(coll, 44241, cbor_build_bytestring(rs, rslen));
    cbor_item_t *top = cbor_build_tag(399, coll);
    cbor_decref(&coll);
    out->token = encode(top, &out->token_len);
    cbor_decref(&top);
    must(ay_ec_priv_public_xy(cpak, xy, sizeof xy, &n), &d, "CPAK point");
    char *x = b64url(xy, n / 2);
    char *y = b64url(xy + n / 2, n / 2);
    char insthex[67];
    for (int i = 0; i < 33; i++) {
        (void)snprintf(insthex + 2 * i, 3, "%02x", inst[i]);
    }
    json_t *ta = json_pack("[{s:{s:s,s:s,s:s,s:s},s:s,s:s}]", "pkey", "kty", "EC", "crv",
                           cpak_p256 ? "P-256" : "P-384", "x", x, "y", y, "implementation-id",
                           "7f454c4600000000000000000000000000000000000000000000000000000000",
                           "instance-id", insthex);
    out->ta = json_dumps(ta, JSON_COMPACT);
    json_decref(ta);
    static const char m32hex[] = "0102030405060708000000000000000000000000000000000000000000000000";
    json_t *comps = json_array();
    for (size_t i = 0; i < N_SW; i++) {
        json_array_append_new(comps, json_pack("{s:s,s:s,s:s,s:s}", "component-type", "RSE_BL1_2",
                                               "measurement-value", m32hex, "signer-id", m32hex,
                                               "version", "1.0.0"));
    }
    json_t *rv = json_pack("{s:[{s:s,s:s,s:o}],s:[{s:s,s:s}]}", "platform", "implementation-id",
                           "7f454c4600000000000000000000000000000000000000000000000000000000",
                           "platform-configuration", "cfcfcfcf", "sw-components", comps, "realm",
                           "initial-measurement", m32hex, "rak-hash-algorithm", "sha-256");
    out->rv = json_dumps(rv, JSON_COMPACT);
    json_decref(rv);
    free(x);
    free(y);
    free(ps);
    free(rs);
    free(ppayload);
    free(rpayload);
    ay_ec_priv_free(cpak);
    ay_ec_priv_free(rak);
}

static double rate_cca(const struct cca_bench *b, double secs)
{
    struct ay_arena *a;
    ay_arena_new((size_t)16 << 20, &a);
    struct ay_endorsement e[2] = {
        {.name = "tastore.json", .bytes = ay_span_of(b->ta, strlen(b->ta))},
        {.name = "rvstore.json", .bytes = ay_span_of(b->rv, strlen(b->rv))}};
    uint8_t rd[64];
    for (int i = 0; i < 64; i++) {
        rd[i] = (uint8_t)(0xa0 + i);
    }
    struct ay_span rds = ay_span_of(rd, 64);
    struct ay_tee_input in = {.evidence = ay_span_of(b->token, b->token_len),
                              .report_data = &rds,
                              .endorsements = e,
                              .n_endorsements = 2};
    long n = 0;
    double t0 = now_s();
    double t;
    do {
        for (int k = 0; k < 10; k++) {
            struct ay_ctx ctx;
            ay_arena_reset(a);
            ay_ctx_init(&ctx, a);
            json_t *claims = NULL;
            struct ay_cca_appraisal ap;
            must(ay_tee_cca_verify_ex(&ctx, &in, &claims, &ap), &ctx.diag, "CCA verify");
            if (!ap.platform_matched) {
                fprintf(stderr, "bench_cca_csv: rv-store did not match\n");
                exit(2);
            }
            json_decref(claims);
            n++;
        }
        t = now_s() - t0;
    } while (t < secs);
    ay_arena_free(a);
    return (double)n / t;
}

/* ---- CSV minting (FORMATS.md section 5) ---- */

static const char UID_HRK[] = "HYGON-SSD-HRK";
static const char UID_HSK[] = "HYGON-SSD-HSK";
static const char UID_CEK[] = "HYGON-SSD-CEK";
static const char UID_PEK[] = "HYGON-SSD-PEK";

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void le72(uint8_t *dst, const uint8_t *be)
{
    memset(dst, 0, 72);
    for (int i = 0; i < 32; i++) {
        dst[i] = be[31 - i];
    }
}

static void sm2sign(const struct ay_sm2_key *k, const char *uid, const uint8_t *msg, size_t n,
                    uint8_t *r72, uint8_t *s72)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    uint8_t r[32];
    uint8_t s[32];
    must(ay_sm2_sign(&d, k, ay_span_of(uid, strlen(uid)), ay_span_of(msg, n), r, s), &d, "SM2");
    le72(r72, r);
    le72(s72, s);
}

static void put_key(uint8_t *x72, const struct ay_sm2_key *k)
{
    uint8_t xy[64];
    must(ay_sm2_key_public_xy(k, xy), NULL, "SM2 point");
    le72(x72, xy);
    le72(x72 + 72, xy + 32);
}

static void make_ca(uint8_t *o, const struct ay_sm2_key *k, uint8_t kid, uint32_t usage,
                    const char *uid, const struct ay_sm2_key *signer, const char *signer_uid)
{
    memset(o, 0, AY_CSV_CA_CERT_LEN);
    le32(o, 1);
    memset(o + 4, kid, 16);
    memset(o + 20, 0x3a, 16);
    le32(o + 36, usage);
    le32(o + 64, 3);
    put_key(o + 68, k);
    o[212] = (uint8_t)strlen(uid);
    memcpy(o + 214, uid, strlen(uid));
    sm2sign(signer, signer_uid, o, AY_CSV_CA_BODY_LEN, o + 576, o + 648);
}

static void make_cert(uint8_t *o, const struct ay_sm2_key *k, uint32_t usage, const char *uid,
                      const struct ay_sm2_key *signer, uint32_t signer_usage,
                      const char *signer_uid)
{
    memset(o, 0, AY_CSV_CERT_LEN);
    le32(o, 1);
    o[4] = 1;
    o[5] = 3;
    le32(o + 8, usage);
    le32(o + 12, 4);
    le32(o + 16, 3);
    put_key(o + 20, k);
    o[164] = (uint8_t)strlen(uid);
    memcpy(o + 166, uid, strlen(uid));
    uint8_t *slot = o + AY_CSV_CERT_BODY_LEN;
    le32(slot, signer_usage);
    le32(slot + 4, 4);
    sm2sign(signer, signer_uid, o, AY_CSV_CERT_BODY_LEN, slot + 8, slot + 80);
    le32(slot + 520, 0x1000);
}

#define WRAP_LEN (16 + 4 + AY_CSV_REPORT_DATA_LEN)

struct csv_bench {
    uint8_t hrk[AY_CSV_CA_CERT_LEN];
    uint8_t hsk_cek[AY_CSV_CA_CERT_LEN + AY_CSV_CERT_LEN];
    uint8_t pek[AY_CSV_CERT_LEN];
    uint8_t wrap[2][WRAP_LEN]; /* V1, V2 */
    uint8_t rd[64];
};

static void mint_csv(struct csv_bench *b)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_sm2_key *hrk = NULL;
    struct ay_sm2_key *hsk = NULL;
    struct ay_sm2_key *cek = NULL;
    struct ay_sm2_key *pek = NULL;
    must(ay_sm2_key_generate(&d, &hrk), &d, "HRK");
    must(ay_sm2_key_generate(&d, &hsk), &d, "HSK");
    must(ay_sm2_key_generate(&d, &cek), &d, "CEK");
    must(ay_sm2_key_generate(&d, &pek), &d, "PEK");
    make_ca(b->hrk, hrk, 0x3a, 0x0000, UID_HRK, hrk, UID_HRK);
    make_ca(b->hsk_cek, hsk, 0x55, 0x0013, UID_HSK, hrk, UID_HRK);
    make_cert(b->hsk_cek + AY_CSV_CA_CERT_LEN, cek, 0x1004, UID_CEK, hsk, 0x0013, UID_HSK);
    make_cert(b->pek, pek, 0x1002, UID_PEK, cek, 0x1004, UID_CEK);
    for (int i = 0; i < 64; i++) {
        b->rd[i] = (uint8_t)(i * 3);
    }
    for (int v = 1; v <= 2; v++) {
        uint8_t *w = b->wrap[v - 1];
        memset(w, 0, WRAP_LEN);
        uint8_t *data = w + 20;
        if (v > 1) {
            memcpy(w, "ATTESTATION_EXT", 16);
            le32(w + 16, 1);
        }
        memcpy(data + 64, b->rd, 64);
        memset(data + 144, 0x44, 32);
        le32(data + 176, 0x45);
        le32(data + 180, 0x1002);
        le32(data + 184, 4);
        if (v == 1) {
            uint32_t anonce = 0x5dc7d726;
            le32(data + 188, anonce);
            memcpy(data + 0x150, b->pek, AY_CSV_CERT_LEN);
            for (size_t i = 0; i < 188; i++) {
                data[i] ^= (uint8_t)(anonce >> (8 * (i % 4)));
            }
            sm2sign(pek, UID_PEK, data, 0xb4, data + 192, data + 264);
        } else {
            le32(data + 188, 1234);
            data[192] = 1;
            sm2sign(pek, UID_PEK, data, 0x400, data + 0x400, data + 0x448);
            memcpy(data + 0x490, b->pek, AY_CSV_CERT_LEN);
        }
    }
    ay_sm2_key_free(hrk);
    ay_sm2_key_free(hsk);
    ay_sm2_key_free(cek);
    ay_sm2_key_free(pek);
}

static double rate_csv(const struct csv_bench *b, int version, bool cold, double secs)
{
    struct ay_arena *a;
    ay_arena_new((size_t)16 << 20, &a);
    struct ay_endorsement e[2] = {
        {.name = "hsk_cek.cert", .bytes = ay_span_of(b->hsk_cek, sizeof b->hsk_cek)},
        {.name = "pek.cert", .bytes = ay_span_of(b->pek, sizeof b->pek)}};
    struct ay_span rds = ay_span_of(b->rd, 64);
    struct ay_tee_input in = {.evidence = ay_span_of(b->wrap[version - 1], WRAP_LEN),
                              .report_data = &rds,
                              .endorsements = e,
                              .n_endorsements = 2};
    long n = 0;
    double t0 = now_s();
    double t;
    do {
        for (int k = 0; k < 10; k++) {
            struct ay_ctx ctx;
            ay_arena_reset(a);
            ay_ctx_init(&ctx, a);
            if (cold) {
                ay_csv_chain_cache_clear();
            }
            json_t *claims = NULL;
            must(ay_csv_verify_ex(&ctx, &in, ay_span_of(b->hrk, sizeof b->hrk), NULL, &claims),
                 &ctx.diag, "CSV verify");
            json_decref(claims);
            n++;
        }
        t = now_s() - t0;
    } while (t < secs);
    ay_arena_free(a);
    return (double)n / t;
}

/* ---- the same primitives through our layer (where the time goes) ---- */

struct prim {
    double p256_verify; /* pre-imported key */
    double p384_verify; /* pre-imported key */
    double p384_import; /* ay_ec_pkey_from_point of a known point (its key cache) */
    double sm2_verify;  /* pre-imported key */
};

static double rate_ecdsa(double secs, enum ay_curve curve)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_ec_priv *k = NULL;
    must(ay_ec_priv_generate(&d, curve, &k), &d, "key");
    uint8_t xy[96];
    size_t n = 0;
    must(ay_ec_priv_public_xy(k, xy, sizeof xy, &n), &d, "xy");
    enum ay_hash h = curve == AY_CURVE_P256 ? AY_HASH_SHA256 : AY_HASH_SHA384;
    static const char msg[] = "bench message";
    uint8_t sig[96];
    size_t slen = 0;
    must(ay_ec_priv_sign_rs(&d, k, h, ay_span_of(msg, sizeof msg), sig, sizeof sig, &slen), &d,
         "sign");
    struct ay_pkey *pk = NULL;
    must(ay_ec_pkey_from_point(&d, curve == AY_CURVE_P256 ? "P-256" : "P-384", ay_span_of(xy, n),
                               &pk),
         &d, "import");
    long cnt = 0;
    double t0 = now_s();
    double t;
    do {
        must(ay_pkey_verify_ecdsa_rs(&d, pk, h, ay_span_of(msg, sizeof msg),
                                     ay_span_of(sig, slen / 2),
                                     ay_span_of(sig + slen / 2, slen / 2)),
             &d, "verify");
        cnt++;
        t = now_s() - t0;
    } while (t < secs);
    ay_pkey_free(pk);
    ay_ec_priv_free(k);
    return (double)cnt / t;
}

static void rate_prims(double secs, struct prim *out)
{
    out->p256_verify = rate_ecdsa(secs / 2, AY_CURVE_P256);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_ec_priv *k = NULL;
    must(ay_ec_priv_generate(&d, AY_CURVE_P384, &k), &d, "key");
    uint8_t xy[96];
    size_t n = 0;
    must(ay_ec_priv_public_xy(k, xy, sizeof xy, &n), &d, "xy");
    static const char msg[] = "bench message";
    uint8_t sig[96];
    size_t slen = 0;
    must(ay_ec_priv_sign_rs(&d, k, AY_HASH_SHA384, ay_span_of(msg, sizeof msg), sig, sizeof sig,
                            &slen),
         &d, "sign");
    struct ay_pkey *pk = NULL;
    must(ay_ec_pkey_from_point(&d, "P-384", ay_span_of(xy, 96), &pk), &d, "import");
    long cnt = 0;
    double t0 = now_s();
    double t;
    do {
        must(ay_pkey_verify_ecdsa_rs(&d, pk, AY_HASH_SHA384, ay_span_of(msg, sizeof msg),
                                     ay_span_of(sig, 48), ay_span_of(sig + 48, 48)),
             &d, "verify");
        cnt++;
        t = now_s() - t0;
    } while (t < secs / 2);
    out->p384_verify = (double)cnt / t;
    cnt = 0;
    t0 = now_s();
    do {
        struct ay_pkey *tmp = NULL;
        must(ay_ec_pkey_from_point(&d, "P-384", ay_span_of(xy, 96), &tmp), &d, "import");
        ay_pkey_free(tmp);
        cnt++;
        t = now_s() - t0;
    } while (t < secs / 4);
    out->p384_import = (double)cnt / t;
    ay_pkey_free(pk);
    ay_ec_priv_free(k);
    struct ay_sm2_key *sk = NULL;
    must(ay_sm2_key_generate(&d, &sk), &d, "SM2 key");
    uint8_t r[32];
    uint8_t sv[32];
    struct ay_span id = ay_span_of("HYGON-SSD-PEK", 13);
    must(ay_sm2_sign(&d, sk, id, ay_span_of(msg, sizeof msg), r, sv), &d, "SM2 sign");
    cnt = 0;
    t0 = now_s();
    do {
        must(ay_sm2_verify(&d, sk, id, ay_span_of(msg, sizeof msg), r, sv), &d, "SM2 verify");
        cnt++;
        t = now_s() - t0;
    } while (t < secs / 2);
    out->sm2_verify = (double)cnt / t;
    ay_sm2_key_free(sk);
}


/* The rate beside OpenSSL's floor and beside the floor from the same primitives measured in
 * this thread (steadier on a shared machine). */
static void ratio_line(const char *what, double rate, double floor_rate, double own_floor,
                       const char *floor_what)
{
    if (floor_rate > 0) {
        printf("  %-42s %7.0f /s | OpenSSL floor %6.0f /s (%s) ratio %.2f | in-process floor "
               "%6.0f ratio %.2f\n",
               what, rate, floor_rate, floor_what, rate / floor_rate, own_floor, rate / own_floor);
    } else {
        printf("  %-42s %7.0f /s | OpenSSL floor unavailable | in-process floor %6.0f ratio "
               "%.2f\n",
               what, rate, own_floor, rate / own_floor);
    }
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? strtod(argv[1], NULL) : 2.0;
    if (secs <= 0) {
        secs = 2.0;
    }
    const char *shared = argc > 2 ? argv[2] : getenv("ASSAY_SHARED");
    if (shared == NULL) {
        shared = "../shared";
    }
    printf("bench_cca_csv: one thread, rates per CPU-second of it (per core), %.1f s per figure; "
           "minting evidence...\n",
           secs);
    struct cca_bench c384;
    struct cca_bench c256;
    mint_cca(false, &c384);
    mint_cca(true, &c256);
    struct csv_bench *csv = ay_xcalloc(1, sizeof *csv);
    mint_csv(csv);
    double r384 = rate_cca(&c384, secs);
    double r256 = rate_cca(&c256, secs);
    double v1 = rate_csv(csv, 1, true, secs);
    double v2 = rate_csv(csv, 2, true, secs);
    double h1 = rate_csv(csv, 1, false, secs);
    double h2 = rate_csv(csv, 2, false, secs);
    struct prim pr;
    rate_prims(secs, &pr);
    struct ay_bench_floor f;
    ay_bench_floor_read(shared, secs < 1 ? 1 : (int)secs, AY_BENCH_P256 | AY_BENCH_P384 | AY_BENCH_SM2, &f);
    printf("OpenSSL %s (%s), verify per second, one core: P-256 %.0f, P-384 %.0f, SM2 %.0f\n",
           f.version, f.source ? f.source : "-", f.p256, f.p384, f.sm2);
    printf("Same primitives through assay's crypto layer, this thread: P-256 verify %.0f /s, "
           "P-384 verify %.0f /s, P-384 key import (a known point) %.0f /s, SM2 verify %.0f /s\n",
           pr.p256_verify, pr.p384_verify, pr.p384_import, pr.sm2_verify);
    printf("CCA (parse, CPAK lookup, 2 ECDSA, RAK binding, rv-store appraisal of %d "
           "components, claims):\n",
           N_SW);
    ratio_line("token ES384 CPAK + ES384 RAK (Trustee/TF-A)", r384, f.p384 / 2.0,
               pr.p384_verify / 2.0, "2x P-384");
    ratio_line("token ES256 CPAK + ES384 RAK (Veraison)", r256,
               f.p256 > 0 && f.p384 > 0 ? 1.0 / (1.0 / f.p256 + 1.0 / f.p384) : 0.0,
               1.0 / (1.0 / pr.p256_verify + 1.0 / pr.p384_verify), "P-256 + P-384");
    printf("CSV cold (chain cache cleared: HRK self, HSK, CEK, PEK, report):\n");
    ratio_line("report V1 (XOR-obfuscated)", v1, f.sm2 / 5.0, pr.sm2_verify / 5.0, "5x SM2");
    ratio_line("report V2", v2, f.sm2 / 5.0, pr.sm2_verify / 5.0, "5x SM2");
    printf("CSV hot (verified chain cached: the report signature only):\n");
    ratio_line("report V1 (XOR-obfuscated)", h1, f.sm2, pr.sm2_verify, "1x SM2");
    ratio_line("report V2", h2, f.sm2, pr.sm2_verify, "1x SM2");
    free(c384.token);
    free(c256.token);
    free(c384.ta);
    free(c256.ta);
    free(c384.rv);
    free(c256.rv);
    ay_free(csv);
    return 0;
}
