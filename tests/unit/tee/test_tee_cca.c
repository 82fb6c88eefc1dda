/* SPDX-License-Identifier: Apache-2.0 */
/* The CCA verifier on evidence minted at test time (CCA-KBS.md section 1.7 "Fresh evidence"):
 * a fresh CPAK and RAK, platform and realm tokens built with libcbor and signed here, in both
 * collection forms and both RAK encodings; the runtime-data and init-data bindings both ways;
 * negative cases (truncation, every byte flipped, wrong CPAK, wrong RAK hash, wrong challenge,
 * remote mode). Shared vectors are in test_tee_cca_vectors.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cbor.h>
#include <cmocka.h>
#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_limits.h"
#include "codec/codec_b64.h"
#include "crypto/crypto_cose.h"
#include "crypto/crypto_digest.h"
#include "tee/tee.h"
#include "tee/tee_cca.h"
#include "testlib.h"

struct mint {
    enum ay_curve cpak_curve;
    enum ay_curve rak_curve;
    struct ay_ec_priv *cpak;
    struct ay_ec_priv *rak;
    uint64_t tag;                    /* 399 or 907 */
    bool cose_key_rak;               /* realm profile present, RAK as COSE_Key */
    bool bad_rak_hash;               /* platform challenge = hash of something else */
    struct ay_ec_priv *realm_signer; /* signs the realm token instead of the RAK when set */
    size_t n_sw;                     /* sw-components, default 1 */
    uint8_t challenge[64];
    uint8_t rpv[64];
    uint8_t inst[33];
};

static cbor_item_t *ikey(int64_t k)
{
    if (k < 0) {
        uint64_t v = (uint64_t)(-1 - k);
        return v < 256 ? cbor_build_negint8((uint8_t)v) : cbor_build_negint16((uint16_t)v);
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
    assert_true(
        cbor_map_add(map, (struct cbor_pair){.key = cbor_move(ikey(k)), .value = cbor_move(v)}));
}

static cbor_item_t *bstr(const void *p, size_t n)
{
    return cbor_build_bytestring(p, n);
}

static uint8_t *encode(const cbor_item_t *it, size_t *len)
{
    unsigned char *buf = NULL;
    size_t cap = 0;
    *len = cbor_serialize_alloc(it, &buf, &cap);
    assert_true(*len > 0);
    return buf;
}

/* A COSE_Sign1 over payload, signed by k (ES256 or ES384 by curve), tag 18, encoded. */
static uint8_t *sign1(struct ay_ec_priv *k, enum ay_curve curve, const uint8_t *payload,
                      size_t plen, size_t *len)
{
    (void)curve;
    /* The algorithm follows the key size: ES256, ES384 or ES512 (P-521). */
    uint8_t xy[132];
    size_t xyn = 0;
    assert_int_equal(ay_ec_priv_public_xy(k, xy, sizeof xy, &xyn), AY_OK);
    int64_t alg = xyn == 64 ? AY_COSE_ES256 : xyn == 96 ? AY_COSE_ES384 : AY_COSE_ES512;
    enum ay_hash h = xyn == 64 ? AY_HASH_SHA256 : xyn == 96 ? AY_HASH_SHA384 : AY_HASH_SHA512;
    cbor_item_t *hdr = cbor_new_definite_map(1);
    put(hdr, 1, ikey(alg));
    size_t hlen;
    uint8_t *prot = encode(hdr, &hlen);
    cbor_decref(&hdr);
    struct ay_arena *a = NULL;
    ay_arena_new(1 << 20, &a);
    struct ay_span tbs;
    assert_int_equal(
        ay_cose_sig_structure(a, ay_span_of(prot, hlen), ay_span_of(payload, plen), &tbs), AY_OK);
    struct ay_diag d;
    ay_diag_clear(&d);
    uint8_t sig[132];
    size_t slen = 0;
    assert_int_equal(ay_ec_priv_sign_rs(&d, k, h, tbs, sig, sizeof sig, &slen), AY_OK);
    ay_arena_free(a);
    cbor_item_t *arr = cbor_new_definite_array(4);
    assert_true(cbor_array_push(arr, cbor_move(bstr(prot, hlen))));
    assert_true(cbor_array_push(arr, cbor_move(cbor_new_definite_map(0))));
    assert_true(cbor_array_push(arr, cbor_move(bstr(payload, plen))));
    assert_true(cbor_array_push(arr, cbor_move(bstr(sig, slen))));
    cbor_item_t *tagged = cbor_build_tag(18, arr);
    cbor_decref(&arr);
    uint8_t *out = encode(tagged, len);
    cbor_decref(&tagged);
    free(prot);
    return out;
}

/* The RAK as carried in claim 44237: raw 04||X||Y, or an encoded COSE_Key. */
static uint8_t *rak_bytes(const struct mint *m, size_t *len)
{
    uint8_t xy[132];
    size_t n = 0;
    assert_int_equal(ay_ec_priv_public_xy(m->rak, xy, sizeof xy, &n), AY_OK);
    if (!m->cose_key_rak) {
        uint8_t *out = malloc(n + 1);
        out[0] = 0x04;
        memcpy(out + 1, xy, n);
        *len = n + 1;
        return out;
    }
    cbor_item_t *k = cbor_new_definite_map(4);
    put(k, 1, ikey(2));
    put(k, -1, ikey(n == 64 ? 1 : n == 96 ? 2 : 3));
    put(k, -2, bstr(xy, n / 2));
    put(k, -3, bstr(xy + n / 2, n / 2));
    uint8_t *out = encode(k, len);
    cbor_decref(&k);
    return out;
}

static uint8_t *mint_token(const struct mint *m, size_t *len)
{
    static const uint8_t zero32[32] = {0};
    static const uint8_t m32[32] = {1, 2, 3, 4, 5, 6, 7, 8};
    size_t rlen;
    uint8_t *rak = rak_bytes(m, &rlen);
    /* Realm claims (CCA-KBS.md section 1.3). */
    cbor_item_t *realm = cbor_new_definite_map(m->cose_key_rak ? 9 : 8);
    put(realm, 10, bstr(m->challenge, 64));
    if (m->cose_key_rak) {
        put(realm, 265, cbor_build_string("tag:arm.com,2023:realm#1.0.0"));
    }
    put(realm, 44235, bstr(m->rpv, 64));
    put(realm, 44238, bstr(m32, 32));
    cbor_item_t *rems = cbor_new_definite_array(4);
    for (int i = 0; i < 4; i++) {
        assert_true(cbor_array_push(rems, cbor_move(bstr(zero32, 32))));
    }
    put(realm, 44239, rems);
    put(realm, 44236, cbor_build_string("sha-256"));
    put(realm, 44237, bstr(rak, rlen));
    put(realm, 44240, cbor_build_string("sha-256"));
    size_t rplen;
    uint8_t *rpayload = encode(realm, &rplen);
    cbor_decref(&realm);
    /* Platform claims (section 1.2); the challenge is the RAK hash (section 1.5 step 7). */
    uint8_t rak_hash[32];
    assert_int_equal(ay_hash(AY_HASH_SHA256, rak, rlen, rak_hash), AY_OK);
    if (m->bad_rak_hash) {
        rak_hash[7] ^= 0x40;
    }
    static const uint8_t impl[32] = {0x7f, 0x45, 0x4c, 0x46};
    static const uint8_t cfg[4] = {0xcf, 0xcf, 0xcf, 0xcf};
    cbor_item_t *plat = cbor_new_definite_map(9);
    put(plat, 265, cbor_build_string("http://arm.com/CCA-SSD/1.0.0"));
    put(plat, 10, bstr(rak_hash, 32));
    put(plat, 2396, bstr(impl, 32));
    put(plat, 256, bstr(m->inst, 33));
    put(plat, 2401, bstr(cfg, 4));
    put(plat, 2395, ikey(0x3003));
    size_t n_sw = m->n_sw ? m->n_sw : 1;
    cbor_item_t *sw = cbor_new_definite_array(n_sw);
    for (size_t i = 0; i < n_sw; i++) {
        cbor_item_t *c = cbor_new_definite_map(4);
        put(c, 1, cbor_build_string("RSE_BL1_2"));
        put(c, 2, bstr(m32, 32));
        put(c, 4, cbor_build_string("1.0.0"));
        put(c, 5, bstr(m32, 32));
        assert_true(cbor_array_push(sw, cbor_move(c)));
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
    uint8_t *ps = sign1(m->cpak, m->cpak_curve, ppayload, pplen, &pslen);
    uint8_t *rs =
        sign1(m->realm_signer ? m->realm_signer : m->rak, m->rak_curve, rpayload, rplen, &rslen);
    cbor_item_t *coll = cbor_new_definite_map(2);
    if (m->tag == AY_CCA_TAG_CMW) {
        cbor_item_t *pe = cbor_new_definite_array(2);
        cbor_item_t *re = cbor_new_definite_array(2);
        assert_true(cbor_array_push(pe, cbor_move(ikey(263))));
        assert_true(cbor_array_push(pe, cbor_move(bstr(ps, pslen))));
        assert_true(cbor_array_push(re, cbor_move(ikey(263))));
        assert_true(cbor_array_push(re, cbor_move(bstr(rs, rslen))));
        put(coll, 44234, pe);
        put(coll, 44241, re);
    } else {
        put(coll, 44234, bstr(ps, pslen));
        put(coll, 44241, bstr(rs, rslen));
    }
    cbor_item_t *top = cbor_build_tag(m->tag, coll);
    cbor_decref(&coll);
    uint8_t *out = encode(top, len);
    cbor_decref(&top);
    free(rak);
    free(rpayload);
    free(ppayload);
    free(ps);
    free(rs);
    return out;
}

static void mint_init(struct mint *m, enum ay_curve cpak_curve, enum ay_curve rak_curve)
{
    memset(m, 0, sizeof *m);
    struct ay_diag d;
    ay_diag_clear(&d);
    m->cpak_curve = cpak_curve;
    m->rak_curve = rak_curve;
    assert_int_equal(ay_ec_priv_generate(&d, cpak_curve, &m->cpak), AY_OK);
    assert_int_equal(ay_ec_priv_generate(&d, rak_curve, &m->rak), AY_OK);
    m->tag = AY_CCA_TAG_LEGACY;
    for (int i = 0; i < 64; i++) {
        m->challenge[i] = (uint8_t)(0xa0 + i);
        m->rpv[i] = (uint8_t)i;
    }
    m->inst[0] = 0x01;
    for (int i = 1; i < 33; i++) {
        m->inst[i] = (uint8_t)(0x40 + i);
    }
}

static void mint_free(struct mint *m)
{
    ay_ec_priv_free(m->cpak);
    ay_ec_priv_free(m->rak);
}

/* A ccatoken TA store holding key k for instance-id inst. */
static char *ta_store(const struct ay_ec_priv *k, const uint8_t inst[33])
{
    uint8_t xy[132];
    size_t n = 0;
    assert_int_equal(ay_ec_priv_public_xy(k, xy, sizeof xy, &n), AY_OK);
    char *x = ay_test_b64(AY_B64_URL_NOPAD, xy, n / 2);
    char *y = ay_test_b64(AY_B64_URL_NOPAD, xy + n / 2, n / 2);
    char insthex[67];
    for (int i = 0; i < 33; i++) {
        snprintf(insthex + 2 * i, 3, "%02x", inst[i]);
    }
    json_t *doc = json_pack("[{s:{s:s,s:s,s:s,s:s},s:s,s:s}]", "pkey", "kty", "EC", "crv",
                            n == 64   ? "P-256"
                            : n == 96 ? "P-384"
                                      : "P-521",
                            "x", x, "y", y, "implementation-id",
                            "7f454c4600000000000000000000000000000000000000000000000000000000",
                            "instance-id", insthex);
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    free(x);
    free(y);
    return s;
}

/* A ccatoken rv-store for the minted token (section 1.6), with variations. */
struct rvopt {
    bool rems;       /* list the 4 REMs */
    bool bad_rem;    /* ... with one wrong */
    bool bad_rim;    /* a RIM the token does not have */
    bool bad_meas;   /* a wrong sw-component measurement */
    bool bad_type;   /* a wrong component-type */
    bool bad_ver;    /* a wrong version */
    bool bad_config; /* a wrong platform configuration */
    bool short_list; /* one component fewer than the token (needs n_sw > 1) */
    bool bare;       /* no component-type / version in the RV */
    bool upper;      /* upper-case hex as rust-ccatoken's rv.json */
};

static char *rv_store_opt(const struct mint *m, const struct rvopt *o)
{
    static const char m32hex[] = "0102030405060708000000000000000000000000000000000000000000000000";
    static const char zero32hex[] =
        "0000000000000000000000000000000000000000000000000000000000000000";
    size_t n_sw = m->n_sw ? m->n_sw : 1;
    json_t *sw = json_array();
    for (size_t i = 0; i < n_sw - (o->short_list ? 1 : 0); i++) {
        json_t *c =
            json_pack("{s:s,s:s}", "measurement-value",
                      o->bad_meas && i == n_sw - 1 ? zero32hex : m32hex, "signer-id", m32hex);
        if (!o->bare) {
            json_object_set_new(c, "component-type",
                                json_string(o->bad_type ? "RSE_BL2" : "RSE_BL1_2"));
            json_object_set_new(c, "version", json_string(o->bad_ver ? "1.0.1" : "1.0.0"));
        }
        json_array_append_new(sw, c);
    }
    json_t *plat = json_pack("[{s:s,s:s,s:o}]", "implementation-id",
                             "7f454c4600000000000000000000000000000000000000000000000000000000",
                             "platform-configuration", o->bad_config ? "cfcfcfce" : "cfcfcfcf",
                             "sw-components", sw);
    json_t *realm = json_pack("{s:s,s:s}", "initial-measurement", o->bad_rim ? zero32hex : m32hex,
                              "rak-hash-algorithm", "sha-256");
    if (o->rems) {
        json_t *rems = json_array();
        for (int i = 0; i < 4; i++) {
            json_array_append_new(rems, json_string(o->bad_rem && i == 2 ? m32hex : zero32hex));
        }
        json_object_set_new(realm, "extensible-measurements", rems);
    }
    json_t *doc = json_pack("{s:o,s:[o]}", "platform", plat, "realm", realm);
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (o->upper) {
        char *q = strstr(s, "\"7f454c46");
        assert_non_null(q);
        memcpy(q + 1, "7F454C46", 8);
        q = strstr(s, "\"cfcfcfc");
        assert_non_null(q);
        memcpy(q + 1, "CFCFCFC", 7);
    }
    return s;
}

static char *rv_store(const struct mint *m, bool rems)
{
    struct rvopt o = {.rems = rems};
    return rv_store_opt(m, &o);
}

/* Trustee's evidence JSON {"token": [bytes]}. */
static char *evidence_json(const uint8_t *tok, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, json_integer(tok[i]));
    }
    json_t *doc = json_pack("{s:o}", "token", arr);
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return s;
}

struct run {
    const uint8_t *evidence;
    size_t evidence_len;
    const char *ta;
    const uint8_t *report_data;
    size_t report_data_len;
    const uint8_t *init_data;
    size_t init_data_len;
    const char *config; /* JSON text or NULL */
    const char *rv;     /* an rv-store endorsement, or NULL */
    json_t *claims;
    struct ay_cca_appraisal appraisal;
    char msg[AY_DIAG_MSG_MAX];
};

static ay_err verify(struct run *r)
{
    struct ay_arena *a = NULL;
    ay_arena_new(8 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_span rd = ay_span_of(r->report_data, r->report_data_len);
    struct ay_span id = ay_span_of(r->init_data, r->init_data_len);
    struct ay_endorsement e[2] = {
        {.name = "tastore.json", .bytes = ay_span_of(r->ta, r->ta ? strlen(r->ta) : 0)},
        {.name = "rvstore.json", .bytes = ay_span_of(r->rv, r->rv ? strlen(r->rv) : 0)}};
    size_t ne = 0;
    if (r->ta != NULL) {
        ne++;
    }
    if (r->rv != NULL) {
        e[ne] = e[1];
        ne++;
    }
    json_t *cfg = r->config ? json_loads(r->config, 0, NULL) : NULL;
    struct ay_tee_input in = {
        .evidence = ay_span_of(r->evidence, r->evidence_len),
        .report_data = r->report_data ? &rd : NULL,
        .init_data = r->init_data ? &id : NULL,
        .endorsements = ne ? e : NULL,
        .n_endorsements = ne,
        .config = cfg,
    };
    r->claims = NULL;
    ay_err err = ay_tee_cca_verify_ex(&ctx, &in, &r->claims, &r->appraisal);
    snprintf(r->msg, sizeof r->msg, "%s", ay_diag_message(&ctx.diag));
    if (err != AY_OK) {
        assert_null(r->claims);
    }
    json_decref(cfg);
    ay_arena_free(a);
    return err;
}

static void check_claims(const json_t *claims, const struct mint *m)
{
    char hex[129];
    for (int i = 0; i < 64; i++) {
        snprintf(hex + 2 * i, 3, "%02x", m->challenge[i]);
    }
    assert_string_equal(json_string_value(json_object_get(claims, "report_data")), hex);
    for (int i = 0; i < 64; i++) {
        snprintf(hex + 2 * i, 3, "%02x", m->rpv[i]);
    }
    assert_string_equal(json_string_value(json_object_get(claims, "init_data")), hex);
    json_t *realm = json_object_get(claims, "realm");
    assert_string_equal(json_string_value(json_object_get(realm, "cca-realm-hash-algo-id")),
                        "sha-256");
    assert_int_equal(json_array_size(json_object_get(realm, "cca-realm-extensible-measurements")),
                     4);
    json_t *plat = json_object_get(claims, "platform");
    char *inst = NULL;
    struct ay_buf b;
    ay_buf_init(&b, NULL, 1024);
    ay_b64_encode(AY_B64_STD, m->inst, 33, &b);
    assert_int_equal(ay_buf_finish(&b), AY_OK);
    inst = strndup(b.ptr, b.len);
    ay_buf_free(&b);
    assert_string_equal(json_string_value(json_object_get(plat, "cca-platform-instance-id")), inst);
    free(inst);
    assert_non_null(json_object_get(realm, "cca-realm-challenge"));
    assert_non_null(json_object_get(realm, "cca-realm-personalization-value"));
    assert_non_null(json_object_get(realm, "cca-realm-initial-measurement"));
    assert_non_null(json_object_get(plat, "cca-platform-implementation-id"));
}

/* Mints, verifies with the right TA, report data and init data, in all four shapes. */
static void test_fresh_accept(void **state)
{
    (void)state;
    for (int shape = 0; shape < 4; shape++) {
        struct mint m;
        mint_init(&m, shape == 3 ? AY_CURVE_P256 : AY_CURVE_P384, AY_CURVE_P384);
        m.tag = (shape & 1) ? AY_CCA_TAG_CMW : AY_CCA_TAG_LEGACY;
        m.cose_key_rak = shape >= 2;
        size_t n;
        uint8_t *tok = mint_token(&m, &n);
        char *ta = ta_store(m.cpak, m.inst);
        char *ev = evidence_json(tok, n);
        struct run r = {.evidence = (const uint8_t *)ev,
                        .evidence_len = strlen(ev),
                        .ta = ta,
                        .report_data = m.challenge,
                        .report_data_len = 64,
                        .init_data = m.rpv,
                        .init_data_len = 64};
        assert_int_equal(verify(&r), AY_OK);
        check_claims(r.claims, &m);
        json_decref(r.claims);
        /* The CLI form: the raw CBOR token. */
        r.evidence = tok;
        r.evidence_len = n;
        assert_int_equal(verify(&r), AY_OK);
        json_decref(r.claims);
        /* No expected values: nothing to bind, still verified. */
        r.report_data = NULL;
        r.init_data = NULL;
        assert_int_equal(verify(&r), AY_OK);
        json_decref(r.claims);
        free(ev);
        free(ta);
        free(tok);
        mint_free(&m);
    }
}

/* Runtime data binds both ways: the challenge minted from X verifies with X only; a shorter
 * expected value is zero-padded (regularize_data), a longer one truncated to 64 bytes. */
static void test_report_data_binding(void **state)
{
    (void)state;
    struct mint m;
    mint_init(&m, AY_CURVE_P384, AY_CURVE_P384);
    memset(m.challenge, 0, 64);
    for (int i = 0; i < 48; i++) {
        m.challenge[i] = (uint8_t)(i * 7 + 1); /* a SHA-384 digest zero-padded to 64 */
    }
    size_t n;
    uint8_t *tok = mint_token(&m, &n);
    char *ta = ta_store(m.cpak, m.inst);
    uint8_t want[80];
    memcpy(want, m.challenge, 64);
    memset(want + 64, 0xee, 16);
    struct run r = {
        .evidence = tok, .evidence_len = n, .ta = ta, .report_data = want, .report_data_len = 48};
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    r.report_data_len = 80; /* truncated to 64 */
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    r.report_data_len = 64;
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    /* Other data: refused. */
    uint8_t other[48];
    memcpy(other, m.challenge, 48);
    other[47] ^= 1;
    r.report_data = other;
    r.report_data_len = 48;
    assert_int_equal(verify(&r), AY_ERR_BINDING);
    assert_non_null(strstr(r.msg, "realm challenge"));
    r.report_data_len = 47; /* a prefix pads with a zero where the challenge has data */
    assert_int_equal(verify(&r), AY_ERR_BINDING);
    /* Mint a second token from `other`: now it binds, and the first data does not. */
    memset(m.challenge, 0, 64);
    memcpy(m.challenge, other, 48);
    size_t n2;
    uint8_t *tok2 = mint_token(&m, &n2);
    r.evidence = tok2;
    r.evidence_len = n2;
    r.report_data_len = 48;
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    r.report_data = want;
    assert_int_equal(verify(&r), AY_ERR_BINDING);
    free(tok2);
    free(ta);
    free(tok);
    mint_free(&m);
}

/* Init data binds by EXACT equality with the 64-byte RPV (no padding). */
static void test_init_data_binding(void **state)
{
    (void)state;
    struct mint m;
    mint_init(&m, AY_CURVE_P384, AY_CURVE_P384);
    size_t n;
    uint8_t *tok = mint_token(&m, &n);
    char *ta = ta_store(m.cpak, m.inst);
    struct run r = {
        .evidence = tok, .evidence_len = n, .ta = ta, .init_data = m.rpv, .init_data_len = 64};
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    r.init_data_len = 32; /* a SHA-256 digest can never bind on CCA */
    assert_int_equal(verify(&r), AY_ERR_BINDING);
    uint8_t other[64];
    memcpy(other, m.rpv, 64);
    other[63] ^= 0x80;
    r.init_data = other;
    r.init_data_len = 64;
    assert_int_equal(verify(&r), AY_ERR_BINDING);
    assert_non_null(strstr(r.msg, "personalization"));
    free(ta);
    free(tok);
    mint_free(&m);
}

static void test_wrong_cpak(void **state)
{
    (void)state;
    struct mint m;
    mint_init(&m, AY_CURVE_P384, AY_CURVE_P384);
    size_t n;
    uint8_t *tok = mint_token(&m, &n);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_ec_priv *other = NULL;
    assert_int_equal(ay_ec_priv_generate(&d, AY_CURVE_P384, &other), AY_OK);
    /* Same instance-id, another key: the platform signature fails. */
    char *ta = ta_store(other, m.inst);
    struct run r = {.evidence = tok, .evidence_len = n, .ta = ta};
    assert_int_equal(verify(&r), AY_ERR_BAD_SIGNATURE);
    assert_non_null(strstr(r.msg, "platform"));
    free(ta);
    /* The right key under another instance-id: no trust anchor. */
    uint8_t inst[33];
    memcpy(inst, m.inst, 33);
    inst[32] ^= 1;
    ta = ta_store(m.cpak, inst);
    r.ta = ta;
    assert_int_equal(verify(&r), AY_ERR_VERIFY);
    assert_non_null(strstr(r.msg, "no trust anchor"));
    free(ta);
    /* No store at all. */
    r.ta = NULL;
    assert_int_equal(verify(&r), AY_ERR_VERIFY);
    /* A P-256 CPAK where the token is ES384: refused. */
    struct ay_ec_priv *p256 = NULL;
    assert_int_equal(ay_ec_priv_generate(&d, AY_CURVE_P256, &p256), AY_OK);
    ta = ta_store(p256, m.inst);
    r.ta = ta;
    assert_int_not_equal(verify(&r), AY_OK);
    free(ta);
    ay_ec_priv_free(p256);
    ay_ec_priv_free(other);
    free(tok);
    mint_free(&m);
}

static void test_wrong_rak_hash(void **state)
{
    (void)state;
    for (int cose = 0; cose < 2; cose++) {
        struct mint m;
        mint_init(&m, AY_CURVE_P384, AY_CURVE_P384);
        m.bad_rak_hash = true;
        m.cose_key_rak = cose == 1;
        size_t n;
        uint8_t *tok = mint_token(&m, &n);
        char *ta = ta_store(m.cpak, m.inst);
        struct run r = {.evidence = tok,
                        .evidence_len = n,
                        .ta = ta,
                        .report_data = m.challenge,
                        .report_data_len = 64};
        assert_int_equal(verify(&r), AY_ERR_VERIFY);
        assert_non_null(strstr(r.msg, "binding"));
        free(ta);
        free(tok);
        mint_free(&m);
    }
}

/* The realm token signed by a key other than the RAK it carries (the binding still holds). */
static void test_wrong_rak_signer(void **state)
{
    (void)state;
    struct mint m;
    mint_init(&m, AY_CURVE_P384, AY_CURVE_P384);
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_ec_priv_generate(&d, AY_CURVE_P384, &m.realm_signer), AY_OK);
    size_t n;
    uint8_t *tok = mint_token(&m, &n);
    char *ta = ta_store(m.cpak, m.inst);
    struct run r = {.evidence = tok, .evidence_len = n, .ta = ta};
    assert_int_equal(verify(&r), AY_ERR_BAD_SIGNATURE);
    assert_non_null(strstr(r.msg, "realm"));
    ay_ec_priv_free(m.realm_signer);
    free(ta);
    free(tok);
    mint_free(&m);
}

static void test_truncated(void **state)
{
    (void)state;
    struct mint m;
    mint_init(&m, AY_CURVE_P256, AY_CURVE_P256);
    size_t n;
    uint8_t *tok = mint_token(&m, &n);
    char *ta = ta_store(m.cpak, m.inst);
    for (size_t len = 0; len < n; len += (len < 64 || len > n - 64) ? 1 : 13) {
        struct run r = {.evidence = tok, .evidence_len = len, .ta = ta};
        ay_err e = verify(&r);
        assert_true(e == AY_ERR_TRUNCATED || e == AY_ERR_MALFORMED);
    }
    struct run r = {.evidence = tok, .evidence_len = n, .ta = ta};
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    /* A trailing byte after the collection. */
    uint8_t *longer = malloc(n + 1);
    memcpy(longer, tok, n);
    longer[n] = 0;
    r.evidence = longer;
    r.evidence_len = n + 1;
    assert_int_equal(verify(&r), AY_ERR_MALFORMED);
    free(longer);
    free(ta);
    free(tok);
    mint_free(&m);
}

/* Every single byte flipped (in the collection, both COSE structures, both payloads and both
 * signatures) makes verification fail. P-256 keys keep the loop fast. */
static void test_every_byte_flipped(void **state)
{
    (void)state;
    for (int form = 0; form < 2; form++) {
        struct mint m;
        mint_init(&m, AY_CURVE_P256, AY_CURVE_P256);
        m.tag = form ? AY_CCA_TAG_CMW : AY_CCA_TAG_LEGACY;
        m.cose_key_rak = form == 1;
        size_t n;
        uint8_t *tok = mint_token(&m, &n);
        char *ta = ta_store(m.cpak, m.inst);
        uint8_t *bad = malloc(n);
        for (size_t i = 0; i < n; i++) {
            memcpy(bad, tok, n);
            bad[i] ^= (i & 1) ? 0x01 : 0x80;
            struct run r = {.evidence = bad,
                            .evidence_len = n,
                            .ta = ta,
                            .report_data = m.challenge,
                            .report_data_len = 64,
                            .init_data = m.rpv,
                            .init_data_len = 64};
            ay_err e = verify(&r);
            if (e == AY_OK) {
                json_decref(r.claims);
                fail_msg("byte %zu of %zu flipped still verifies", i, n);
            }
        }
        free(bad);
        free(ta);
        free(tok);
        mint_free(&m);
    }
}

/* Remote mode parses its config; it needs the expected report data (the Veraison nonce) and
 * an address, both refused before any network I/O. The exchange itself is in
 * test_tee_cca_remote.c. */
static void test_remote_mode_config(void **state)
{
    (void)state;
    struct mint m;
    mint_init(&m, AY_CURVE_P256, AY_CURVE_P384);
    size_t n;
    uint8_t *tok = mint_token(&m, &n);
    char *ta = ta_store(m.cpak, m.inst);
    struct run r = {.evidence = tok,
                    .evidence_len = n,
                    .ta = ta,
                    .config = "{\"cca-verifier\":{\"type\":\"remote\",\"address\":"
                              "\"https://veraison.example:8443\"}}"};
    assert_int_equal(verify(&r), AY_ERR_BAD_REQUEST);
    assert_non_null(strstr(r.msg, "nonce"));
    r.config = "{\"cca-verifier\":{\"type\":\"remote\"}}";
    assert_int_equal(verify(&r), AY_ERR_CONFIG);
    assert_non_null(strstr(r.msg, "address"));
    r.config = "{\"cca-verifier\":{\"type\":\"bogus\"}}";
    assert_int_equal(verify(&r), AY_ERR_CONFIG);
    r.config = "{\"cca-verifier\":{\"type\":\"local\",\"ta-store\":\"/nonexistent/ta.json\"}}";
    assert_int_equal(verify(&r), AY_ERR_CONFIG);
    r.config = "{\"type\":\"local\"}"; /* the inner object alone, TA from endorsements */
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    free(ta);
    free(tok);
    mint_free(&m);
}

static void test_bad_evidence_json(void **state)
{
    (void)state;
    static const char *bad[] = {"{",
                                "{}",
                                "{\"token\":[]}",
                                "{\"token\":[256]}",
                                "{\"token\":[-1]}",
                                "{\"token\":\"2d9\"}",
                                "{\"token\":[1.5]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run r = {.evidence = (const uint8_t *)bad[i], .evidence_len = strlen(bad[i])};
        assert_int_equal(verify(&r), AY_ERR_MALFORMED);
    }
}

/* AY_LIMIT_CCA_SW_COMPONENTS at the limit and one past it. */
static void test_limit_sw_components(void **state)
{
    (void)state;
    struct mint m;
    mint_init(&m, AY_CURVE_P256, AY_CURVE_P256);
    char *ta = ta_store(m.cpak, m.inst);
    for (size_t extra = 0; extra < 2; extra++) {
        m.n_sw = AY_LIMIT_CCA_SW_COMPONENTS + extra;
        size_t n;
        uint8_t *tok = mint_token(&m, &n);
        struct run r = {.evidence = tok, .evidence_len = n, .ta = ta};
        ay_err e = verify(&r);
        if (extra == 0) {
            assert_int_equal(e, AY_OK);
            json_decref(r.claims);
        } else {
            assert_int_equal(e, AY_ERR_LIMIT);
        }
        free(tok);
    }
    free(ta);
    mint_free(&m);
}

/* AY_LIMIT_CCA_TRUST_ANCHORS entries in a store (the right one last), then one more. */
static void test_limit_trust_anchors(void **state)
{
    (void)state;
    struct mint m;
    mint_init(&m, AY_CURVE_P256, AY_CURVE_P256);
    size_t n;
    uint8_t *tok = mint_token(&m, &n);
    char *one = ta_store(m.cpak, m.inst);
    json_t *one_doc = json_loads(one, 0, NULL);
    json_t *right = json_array_get(one_doc, 0);
    for (size_t extra = 0; extra < 2; extra++) {
        json_t *doc = json_array();
        for (size_t i = 0; i + 1 < AY_LIMIT_CCA_TRUST_ANCHORS + extra; i++) {
            json_t *e = json_deep_copy(right);
            char inst[67];
            snprintf(inst, sizeof inst, "02%064zx", i);
            json_object_set_new(e, "instance-id", json_string(inst));
            json_array_append_new(doc, e);
        }
        json_array_append(doc, right);
        char *ta = json_dumps(doc, JSON_COMPACT);
        struct run r = {.evidence = tok, .evidence_len = n, .ta = ta};
        ay_err e = verify(&r);
        if (extra == 0) {
            assert_int_equal(e, AY_OK);
            json_decref(r.claims);
        } else {
            assert_int_equal(e, AY_ERR_LIMIT);
        }
        free(ta);
        json_decref(doc);
    }
    json_decref(one_doc);
    free(one);
    free(tok);
    mint_free(&m);
}

/* A platform claims map with one claim replaced (drop when v is NULL). */
static uint8_t *platform_with(int64_t key, cbor_item_t *v, size_t *len)
{
    static const uint8_t b32[32] = {1};
    static const uint8_t inst[33] = {1};
    cbor_item_t *m = cbor_new_definite_map(10);

    struct {
        int64_t k;
        cbor_item_t *v;
    } f[] = {
        {265, cbor_build_string("tag:arm.com,2023:cca_platform#1.0.0")},
        {10, bstr(b32, 32)},
        {2396, bstr(b32, 32)},
        {256, bstr(inst, 33)},
        {2401, bstr(b32, 4)},
        {2395, ikey(0x3000)},
        {2399, NULL},
        {2402, cbor_build_string("sha-256")},
    };

    cbor_item_t *sw = cbor_new_definite_array(1);
    cbor_item_t *c = cbor_new_definite_map(2);
    put(c, 2, bstr(b32, 32));
    put(c, 5, bstr(b32, 32));
    assert_true(cbor_array_push(sw, cbor_move(c)));
    f[6].v = sw;
    bool replaced = false;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (f[i].k == key) {
            cbor_decref(&f[i].v);
            replaced = true;
            if (v != NULL) {
                put(m, key, v);
            }
        } else {
            put(m, f[i].k, f[i].v);
        }
    }
    if (!replaced && v != NULL) {
        put(m, key, v);
    }
    uint8_t *out = encode(m, len);
    cbor_decref(&m);
    return out;
}

static ay_err parse_platform(const uint8_t *p, size_t n)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_cca_platform *pl = malloc(sizeof *pl);
    cbor_item_t *it = NULL;
    ay_err e = ay_cca_platform_parse(&d, ay_span_of(p, n), &it, pl);
    if (e == AY_OK) {
        cbor_decref(&it);
    } else {
        assert_true(strncmp(ay_diag_message(&d), "cca:", 4) == 0);
    }
    free(pl);
    return e;
}

/* CCA-KBS.md section 1.2: mandatory claims, sizes, ranges, profiles, sw-component keys. */
static void test_platform_claim_rules(void **state)
{
    (void)state;
    static const uint8_t b31[31] = {0};
    static const uint8_t b32[32] = {0};
    static const uint8_t b33[33] = {1};
    size_t n;
    uint8_t *p = platform_with(9999, cbor_build_string("unknown keys are ignored"), &n);
    assert_int_equal(parse_platform(p, n), AY_OK);
    free(p);
    static const int64_t mandatory[] = {265, 10, 2396, 256, 2401, 2395, 2399, 2402};
    for (size_t i = 0; i < sizeof mandatory / sizeof mandatory[0]; i++) {
        p = platform_with(mandatory[i], NULL, &n);
        assert_int_not_equal(parse_platform(p, n), AY_OK);
        free(p);
    }

    struct {
        int64_t k;
        cbor_item_t *v;
        ay_err want;
    } cases[] = {
        {265, cbor_build_string("tag:arm.com,2024:cca_platform#2.0.0"), AY_ERR_UNSUPPORTED},
        {265, bstr(b32, 3), AY_ERR_MALFORMED},
        {10, bstr(b31, 31), AY_ERR_MALFORMED},
        {2396, bstr(b33, 33), AY_ERR_MALFORMED},
        {256, bstr(b32, 32), AY_ERR_MALFORMED},
        {2395, ikey(0x3100), AY_ERR_MALFORMED},
        {2395, ikey(0x7000), AY_ERR_MALFORMED},
        {2395, ikey(0x60ff), AY_OK},
        {2395, ikey(-1), AY_ERR_MALFORMED},
        {2399, cbor_new_definite_array(0), AY_ERR_MALFORMED},
        {2400, ikey(1), AY_ERR_MALFORMED},
        {2402, bstr(b32, 7), AY_ERR_MALFORMED},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        p = platform_with(cases[i].k, cases[i].v, &n);
        ay_err e = parse_platform(p, n);
        if (e != cases[i].want) {
            fail_msg("case %zu (key %lld): got %s", i, (long long)cases[i].k, ay_err_name(e));
        }
        free(p);
    }
    /* sw-components: an unknown key, a short measurement, a missing signer-id. */
    for (int v = 0; v < 3; v++) {
        cbor_item_t *sw = cbor_new_definite_array(1);
        cbor_item_t *c = cbor_new_definite_map(3);
        put(c, 2, bstr(b32, v == 1 ? 31 : 32));
        if (v != 2) {
            put(c, 5, bstr(b32, 32));
        }
        if (v == 0) {
            put(c, 3, cbor_build_string("psa description"));
        }
        assert_true(cbor_array_push(sw, cbor_move(c)));
        p = platform_with(2399, sw, &n);
        assert_int_equal(parse_platform(p, n), AY_ERR_MALFORMED);
        free(p);
    }
    /* Duplicate keys. */
    static const uint8_t dup[] = {0xa2, 0x0a, 0x40, 0x0a, 0x40};
    assert_int_equal(parse_platform(dup, sizeof dup), AY_ERR_MALFORMED);
}

static ay_err decode_collection(cbor_item_t *top)
{
    size_t n;
    uint8_t *b = encode(top, &n);
    cbor_decref(&top);
    struct ay_diag d;
    ay_diag_clear(&d);
    cbor_item_t *it = NULL;
    struct ay_cca_collection c;
    ay_err e = ay_cca_collection_decode(&d, ay_span_of(b, n), &it, &c);
    if (e == AY_OK) {
        cbor_decref(&it);
    }
    free(b);
    return e;
}

static cbor_item_t *cmw_entry(uint64_t cf)
{
    static const uint8_t x[4] = {0xd2, 0x80};
    cbor_item_t *a = cbor_new_definite_array(2);
    assert_true(cbor_array_push(a, cbor_move(ikey((int64_t)cf))));
    assert_true(cbor_array_push(a, cbor_move(bstr(x, 2))));
    return a;
}

/* CCA-KBS.md section 1.5 step 1: both forms, mandatory entries, content-formats, extras. */
static void test_collection_rules(void **state)
{
    (void)state;
    static const uint8_t x[2] = {0xd2, 0x80};
    cbor_item_t *m = cbor_new_definite_map(3);
    put(m, 44234, cmw_entry(263));
    put(m, 44241, cmw_entry(263));
    put(m, 44258, cmw_entry(601)); /* device claims: tolerated in the 907 form */
    assert_int_equal(decode_collection(cbor_build_tag(907, cbor_move(m))), AY_OK);
    m = cbor_new_definite_map(2);
    put(m, 44234, cmw_entry(263));
    put(m, 44241, cmw_entry(264));
    assert_int_equal(decode_collection(cbor_build_tag(907, cbor_move(m))), AY_ERR_UNSUPPORTED);
    m = cbor_new_definite_map(2);
    put(m, 44234, bstr(x, 2));
    put(m, 44241, bstr(x, 2));
    assert_int_equal(decode_collection(cbor_build_tag(907, cbor_move(m))), AY_ERR_MALFORMED);
    m = cbor_new_definite_map(1);
    put(m, 44234, bstr(x, 2));
    assert_int_equal(decode_collection(cbor_build_tag(399, cbor_move(m))), AY_ERR_MALFORMED);
    m = cbor_new_definite_map(3);
    put(m, 44234, bstr(x, 2));
    put(m, 44241, bstr(x, 2));
    put(m, 44258, bstr(x, 2));
    assert_int_equal(decode_collection(cbor_build_tag(399, cbor_move(m))), AY_ERR_UNSUPPORTED);
    m = cbor_new_definite_map(2);
    put(m, 44234, bstr(x, 2));
    put(m, 44241, bstr(x, 2));
    assert_int_equal(decode_collection(cbor_build_tag(400, cbor_move(m))), AY_ERR_MALFORMED);
    m = cbor_new_definite_map(2);
    put(m, 44234, bstr(x, 2));
    put(m, 44241, bstr(x, 2));
    assert_int_equal(decode_collection(m), AY_ERR_MALFORMED); /* untagged */
}

/* COSE_Sign1 shapes and algorithms (RFC 9052 section 4.2). */
static void test_cose_rules(void **state)
{
    (void)state;
    struct ay_diag d;

    struct {
        const char *hex;
        ay_err want;
    } cases[] = {
        {"d28443a10126a04040", AY_OK},
        {"d18443a10126a04040", AY_ERR_MALFORMED},   /* tag 17 */
        {"8443a10126a04040", AY_ERR_MALFORMED},     /* untagged */
        {"d28343a10126a040", AY_ERR_MALFORMED},     /* 3 elements */
        {"d28440a04040", AY_ERR_UNSUPPORTED},       /* empty protected header */
        {"d28443a10226a04040", AY_ERR_UNSUPPORTED}, /* no alg (label 2 only) */
        {"d28443a10126a0f640", AY_ERR_MALFORMED},   /* detached payload (nil) */
        {"d28443a10126f64040", AY_ERR_MALFORMED},   /* unprotected not a map */
        {"d28444a1012600a04040", AY_ERR_MALFORMED}, /* protected: trailing byte */
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].hex) / 2;
        uint8_t b[64];
        for (size_t j = 0; j < n; j++) {
            unsigned v = 0;
            sscanf(cases[i].hex + 2 * j, "%2x", &v);
            b[j] = (uint8_t)v;
        }
        ay_diag_clear(&d);
        cbor_item_t *it = NULL;
        struct ay_cose_sign1 s;
        ay_err e = ay_cose_sign1_decode(&d, "cose", ay_span_of(b, n), &it, &s);
        if (e != cases[i].want) {
            fail_msg("case %zu: got %s (%s)", i, ay_err_name(e), ay_diag_message(&d));
        }
        if (e == AY_OK) {
            assert_int_equal(s.alg, AY_COSE_ES256);
            /* EdDSA (-8) and any unknown alg are refused by the verifier. */
            s.alg = -8;
            struct ay_arena *a = NULL;
            ay_arena_new(4096, &a);
            struct ay_ec_priv *k = NULL;
            assert_int_equal(ay_ec_priv_generate(&d, AY_CURVE_P256, &k), AY_OK);
            uint8_t xy[64];
            size_t xn = 0;
            assert_int_equal(ay_ec_priv_public_xy(k, xy, sizeof xy, &xn), AY_OK);
            struct ay_pkey *pk = NULL;
            assert_int_equal(ay_pkey_from_ec_xy(&d, AY_CURVE_P256, ay_span_of(xy, xn), &pk), AY_OK);
            assert_int_equal(ay_cose_sign1_verify(&d, "cose", &s, pk, a), AY_ERR_UNSUPPORTED);
            s.alg = AY_COSE_ES256; /* empty signature: wrong length */
            assert_int_equal(ay_cose_sign1_verify(&d, "cose", &s, pk, a), AY_ERR_BAD_SIGNATURE);
            ay_pkey_free(pk);
            ay_ec_priv_free(k);
            ay_arena_free(a);
            cbor_decref(&it);
        }
    }
}

static char *temp_file(const char *content)
{
    char *path = strdup("/tmp/assay-cca-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fputs(content, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Trustee's CCA_CONFIG_FILE (local mode with ta-store and rv-store paths; remote mode without
 * report data refused before any I/O). */
static void test_config_file(void **state)
{
    (void)state;
    struct mint m;
    mint_init(&m, AY_CURVE_P256, AY_CURVE_P384);
    size_t n;
    uint8_t *tok = mint_token(&m, &n);
    char *ta = ta_store(m.cpak, m.inst);
    char *ta_path = temp_file(ta);
    char *rv = rv_store(&m, false);
    char *rv_path = temp_file(rv);
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{\"cca-verifier\":{\"type\":\"local\",\"ta-store\":\"%s\",\"rv-store\":\"%s\"}}",
             ta_path, rv_path);
    char *cfg_path = temp_file(cfg);
    char *remote_path =
        temp_file("{\"cca-verifier\":{\"type\":\"remote\",\"address\":\"https://v\"}}");
    char *bad_path = temp_file("[]");
    struct run r = {.evidence = tok, .evidence_len = n};
    assert_int_equal(setenv("CCA_CONFIG_FILE", cfg_path, 1), 0);
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    /* The same config given directly wins over the environment. */
    r.config = cfg;
    assert_int_equal(setenv("CCA_CONFIG_FILE", remote_path, 1), 0);
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    r.config = NULL;
    assert_int_equal(verify(&r), AY_ERR_BAD_REQUEST);
    /* A missing rv-store file is a configuration error. */
    snprintf(cfg, sizeof cfg,
             "{\"cca-verifier\":{\"type\":\"local\",\"ta-store\":\"%s\",\"rv-store\":\"/x/rv\"}}",
             ta_path);
    r.config = cfg;
    assert_int_equal(verify(&r), AY_ERR_CONFIG);
    r.config = NULL;
    assert_int_equal(setenv("CCA_CONFIG_FILE", bad_path, 1), 0);
    assert_int_equal(verify(&r), AY_ERR_CONFIG);
    assert_int_equal(setenv("CCA_CONFIG_FILE", "/nonexistent/cca.json", 1), 0);
    assert_int_equal(verify(&r), AY_ERR_CONFIG);
    assert_int_equal(unsetenv("CCA_CONFIG_FILE"), 0);
    assert_int_equal(verify(&r), AY_ERR_VERIFY); /* no trust anchor at all */
    free(rv);
    char *paths[] = {ta_path, cfg_path, remote_path, bad_path, rv_path};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(unlink(paths[i]), 0);
        free(paths[i]);
    }
    free(ta);
    free(tok);
    mint_free(&m);
}

static void tv_expect(const struct ay_cca_tv *tv, const int8_t want[AY_TV_COUNT], uint8_t set)
{
    assert_int_equal(tv->set, set);
    for (int i = 0; i < AY_TV_COUNT; i++) {
        if ((set & (1u << i)) != 0 && tv->v[i] != want[i]) {
            fail_msg("trust claim %d: got %d, want %d", i, tv->v[i], want[i]);
        }
    }
}

#define TVB(c) (1u << (c))

/* Appraisal against an rv-store (CCA-KBS.md section 1.5 steps 10-11): a match gives
 * rust-ccatoken's vectors; RIM/REM outcomes lower only the realm executables claim. */
static void test_appraisal_match(void **state)
{
    (void)state;
    struct mint m;
    mint_init(&m, AY_CURVE_P256, AY_CURVE_P384);
    m.n_sw = 3;
    size_t n;
    uint8_t *tok = mint_token(&m, &n);
    char *ta = ta_store(m.cpak, m.inst);
    static const int8_t plat[AY_TV_COUNT] = {[AY_TV_INSTANCE_IDENTITY] = 2,
                                             [AY_TV_CONFIGURATION] = 2,
                                             [AY_TV_EXECUTABLES] = 3,
                                             [AY_TV_HARDWARE] = 2,
                                             [AY_TV_RUNTIME_OPAQUE] = 32};
    uint8_t plat_set = TVB(AY_TV_INSTANCE_IDENTITY) | TVB(AY_TV_CONFIGURATION) |
                       TVB(AY_TV_EXECUTABLES) | TVB(AY_TV_HARDWARE) | TVB(AY_TV_RUNTIME_OPAQUE);
    uint8_t realm_set = TVB(AY_TV_INSTANCE_IDENTITY) | TVB(AY_TV_EXECUTABLES);

    static const struct {
        struct rvopt o;
        int8_t exec;
        const char *realm_status;
        bool realm_matched;
    } cases[] = {
        {{.rems = true}, 2, "affirming", true},
        {{.rems = false}, 3, "affirming", true},
        {{.rems = true, .bad_rem = true}, 96, "contraindicated", true},
        {{.rems = true, .bad_rim = true}, -97, "contraindicated", false},
        {{.rems = true, .bare = true}, 2, "affirming", true},
        {{.rems = true, .upper = true}, 2, "affirming", true},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *rv = rv_store_opt(&m, &cases[i].o);
        struct run r = {.evidence = tok, .evidence_len = n, .ta = ta, .rv = rv};
        ay_err e = verify(&r);
        if (e != AY_OK) {
            fail_msg("case %zu: %s", i, r.msg);
        }
        check_claims(r.claims, &m);
        json_decref(r.claims);
        assert_true(r.appraisal.appraised);
        assert_true(r.appraisal.platform_matched);
        assert_int_equal(r.appraisal.realm_matched, cases[i].realm_matched);
        tv_expect(&r.appraisal.platform, plat, plat_set);
        int8_t realm[AY_TV_COUNT] = {
            [AY_TV_INSTANCE_IDENTITY] = 2, [AY_TV_EXECUTABLES] = cases[i].exec};
        tv_expect(&r.appraisal.realm, realm, realm_set);
        /* runtime-opaque 32 is a warning-tier value (section 2.3 tiers). */
        assert_string_equal(ay_cca_tv_status(&r.appraisal.platform), "warning");
        assert_string_equal(ay_cca_tv_status(&r.appraisal.realm), cases[i].realm_status);
        json_t *ear = ay_cca_appraisal_json(&r.appraisal);
        json_t *rs = json_object_get(ear, "CCA_REALM");
        assert_string_equal(json_string_value(json_object_get(rs, "ear.status")),
                            cases[i].realm_status);
        json_t *rtv = json_object_get(rs, "ear.trustworthiness-vector");
        assert_int_equal(json_object_size(rtv), 2);
        assert_int_equal(json_integer_value(json_object_get(rtv, "executables")), cases[i].exec);
        json_t *ptv =
            json_object_get(json_object_get(ear, "CCA_SSD_PLATFORM"), "ear.trustworthiness-vector");
        assert_int_equal(json_object_size(ptv), 5);
        assert_int_equal(json_integer_value(json_object_get(ptv, "hardware")), 2);
        json_decref(ear);
        free(rv);
    }
    /* Without any rv-store the platform is not appraised (CLI use); the realm identity holds. */
    struct run r = {.evidence = tok, .evidence_len = n, .ta = ta};
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    assert_false(r.appraisal.appraised);
    assert_int_equal(r.appraisal.platform.set, 0);
    assert_int_equal(r.appraisal.realm.v[AY_TV_INSTANCE_IDENTITY], 2);
    free(ta);
    free(tok);
    mint_free(&m);
}

/* Platform mismatches (rust-ccatoken: same length and order, every measurement and signer,
 * type/version when listed, the configuration): hardware 97, the realm vector reset, and
 * Trustee rejects because the realm instance identity is no longer affirming. */
static void test_appraisal_platform_mismatch(void **state)
{
    (void)state;
    struct mint m;
    mint_init(&m, AY_CURVE_P384, AY_CURVE_P384);
    m.n_sw = 2;
    size_t n;
    uint8_t *tok = mint_token(&m, &n);
    char *ta = ta_store(m.cpak, m.inst);
    static const struct rvopt bad[] = {
        {.bad_meas = true},   {.bad_type = true},   {.bad_ver = true},
        {.bad_config = true}, {.short_list = true},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *rv = rv_store_opt(&m, &bad[i]);
        struct run r = {.evidence = tok, .evidence_len = n, .ta = ta, .rv = rv};
        ay_err e = verify(&r);
        if (e != AY_ERR_VERIFY) {
            fail_msg("case %zu: got %s (%s)", i, ay_err_name(e), r.msg);
        }
        assert_non_null(strstr(r.msg, "reference values"));
        assert_true(r.appraisal.appraised);
        assert_false(r.appraisal.platform_matched);
        assert_int_equal(r.appraisal.platform.set, TVB(AY_TV_HARDWARE));
        assert_int_equal(r.appraisal.platform.v[AY_TV_HARDWARE], 97);
        assert_int_equal(r.appraisal.realm.set, 0);
        assert_string_equal(ay_cca_tv_status(&r.appraisal.platform), "contraindicated");
        free(rv);
    }
    /* Two stores: the second matches. */
    struct rvopt o1 = {.bad_meas = true};
    struct rvopt o2 = {.rems = true};
    char *rv1 = rv_store_opt(&m, &o1);
    char *rv2 = rv_store_opt(&m, &o2);
    json_t *d1 = json_loads(rv1, 0, NULL);
    json_t *d2 = json_loads(rv2, 0, NULL);
    const json_t *docs[2] = {d1, d2};
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_cca_appraisal ap;
    struct ay_cca_platform *pl = calloc(1, sizeof *pl);
    struct ay_cca_realm rl;
    cbor_item_t *ci = NULL;
    struct ay_cca_collection coll;
    assert_int_equal(ay_cca_collection_decode(&d, ay_span_of(tok, n), &ci, &coll), AY_OK);
    cbor_item_t *pi = NULL;
    cbor_item_t *ri = NULL;
    cbor_item_t *pc = NULL;
    cbor_item_t *rc = NULL;
    struct ay_cose_sign1 ps;
    struct ay_cose_sign1 rs;
    assert_int_equal(ay_cose_sign1_decode(&d, "p", coll.platform, &pi, &ps), AY_OK);
    assert_int_equal(ay_cose_sign1_decode(&d, "r", coll.realm, &ri, &rs), AY_OK);
    assert_int_equal(ay_cca_platform_parse(&d, ps.payload, &pc, pl), AY_OK);
    assert_int_equal(ay_cca_realm_parse(&d, rs.payload, &rc, &rl), AY_OK);
    assert_int_equal(ay_cca_appraise(&d, docs, 2, pl, &rl, &ap), AY_OK);
    assert_true(ap.platform_matched);
    /* The first store lists the RIM without REMs: the first RIM match decides (3). */
    assert_int_equal(ap.realm.v[AY_TV_EXECUTABLES], 3);
    assert_int_equal(ay_cca_appraise(&d, docs, 1, pl, &rl, &ap), AY_OK);
    assert_false(ap.platform_matched);
    assert_int_equal(ay_cca_appraise(&d, docs, 0, pl, &rl, &ap), AY_OK);
    assert_false(ap.appraised);
    cbor_decref(&pc);
    cbor_decref(&rc);
    cbor_decref(&pi);
    cbor_decref(&ri);
    cbor_decref(&ci);
    free(pl);
    json_decref(d1);
    json_decref(d2);
    free(rv1);
    free(rv2);
    free(ta);
    free(tok);
    mint_free(&m);
}

/* Malformed stores are configuration errors, never a silent mismatch. */
static void test_appraisal_bad_store(void **state)
{
    (void)state;
    struct mint m;
    mint_init(&m, AY_CURVE_P256, AY_CURVE_P256);
    size_t n;
    uint8_t *tok = mint_token(&m, &n);
    char *ta = ta_store(m.cpak, m.inst);
    static const char *bad[] = {
        "{\"platform\":[{\"implementation-id\":\"zz\",\"platform-configuration\":\"00\","
        "\"sw-components\":[]}]}",
        "{\"platform\":[{\"implementation-id\":\"00\",\"platform-configuration\":\"0\","
        "\"sw-components\":[]}]}",
        "{\"platform\":[{\"implementation-id\":\"00\",\"platform-configuration\":\"00\"}]}",
        "{\"platform\":[{\"implementation-id\":\"00\",\"platform-configuration\":\"00\","
        "\"sw-components\":[{\"measurement-value\":\"00\"}]}]}",
        "{\"platform\":[{\"implementation-id\":\"00\",\"platform-configuration\":\"00\","
        "\"sw-components\":[{\"measurement-value\":\"00\",\"signer-id\":\"00\",\"version\":1}]}]}",
        "{\"realm\":[{\"initial-measurement\":7}]}",
        "{\"realm\":[{\"initial-measurement\":\"00\",\"extensible-measurements\":[\"00\"]}]}",
        "{\"realm\":[{\"initial-measurement\":\"00\",\"extensible-measurements\":"
        "[\"00\",\"00\",\"00\",\"xx\"]}]}",
        "{\"realm\":[{\"initial-measurement\":\"00\",\"personalization-value\":\"0g\"}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct run r = {.evidence = tok, .evidence_len = n, .ta = ta, .rv = bad[i]};
        ay_err e = verify(&r);
        if (e != AY_ERR_CONFIG) {
            fail_msg("case %zu: got %s (%s)", i, ay_err_name(e), r.msg);
        }
        assert_non_null(strstr(r.msg, "rv-store"));
    }
    free(ta);
    free(tok);
    mint_free(&m);
}

/* P-521: an ES512 platform token by a P-521 CPAK (JWK crv P-521), and a P-521 RAK both raw
 * (133-byte point) and as a COSE_Key (crv 3), in both collection forms. */
static void test_p521(void **state)
{
    (void)state;
    for (int shape = 0; shape < 4; shape++) {
        struct mint m;
        mint_init(&m, AY_CURVE_P384, AY_CURVE_P384);
        struct ay_diag d;
        ay_diag_clear(&d);
        ay_ec_priv_free(m.cpak);
        assert_int_equal(ay_ec_priv_generate_named(&d, "P-521", &m.cpak), AY_OK);
        if (shape >= 2) {
            ay_ec_priv_free(m.rak);
            assert_int_equal(ay_ec_priv_generate_named(&d, "P-521", &m.rak), AY_OK);
        }
        m.cose_key_rak = shape == 3;
        m.tag = shape % 2 ? AY_CCA_TAG_CMW : AY_CCA_TAG_LEGACY;
        size_t n;
        uint8_t *tok = mint_token(&m, &n);
        char *ta = ta_store(m.cpak, m.inst);
        assert_non_null(strstr(ta, "P-521"));
        struct run r = {.evidence = tok,
                        .evidence_len = n,
                        .ta = ta,
                        .report_data = m.challenge,
                        .report_data_len = 64};
        ay_err e = verify(&r);
        if (e != AY_OK) {
            fail_msg("P-521 shape %d: %s", shape, r.msg);
        }
        check_claims(r.claims, &m);
        json_decref(r.claims);
        /* Another P-521 key in the TA store: the ES512 signature fails. */
        struct ay_ec_priv *other = NULL;
        assert_int_equal(ay_ec_priv_generate_named(&d, "P-521", &other), AY_OK);
        char *bad = ta_store(other, m.inst);
        r.ta = bad;
        assert_int_equal(verify(&r), AY_ERR_BAD_SIGNATURE);
        ay_ec_priv_free(other);
        free(bad);
        free(ta);
        free(tok);
        mint_free(&m);
    }
    /* Curves outside the three are refused by name. */
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_ec_priv *k = NULL;
    assert_int_equal(ay_ec_priv_generate_named(&d, "P-224", &k), AY_ERR_UNSUPPORTED);
    json_t *jwk =
        json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "secp256k1", "x", "AA", "y", "AA");
    struct ay_pkey *pk = NULL;
    assert_int_equal(ay_cose_jwk_ec_pkey(&d, jwk, &pk), AY_ERR_UNSUPPORTED);
    json_decref(jwk);
    /* A P-521 point off the curve is malformed. */
    uint8_t xy[132] = {0};
    xy[65] = 1;
    xy[131] = 1;
    assert_int_equal(ay_ec_pkey_from_point(&d, "P-521", ay_span_of(xy, 132), &pk),
                     AY_ERR_MALFORMED);
    assert_int_equal(ay_ec_pkey_from_point(&d, "P-521", ay_span_of(xy, 131), &pk),
                     AY_ERR_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_accept),
        cmocka_unit_test(test_report_data_binding),
        cmocka_unit_test(test_init_data_binding),
        cmocka_unit_test(test_wrong_cpak),
        cmocka_unit_test(test_wrong_rak_hash),
        cmocka_unit_test(test_wrong_rak_signer),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_every_byte_flipped),
        cmocka_unit_test(test_remote_mode_config),
        cmocka_unit_test(test_bad_evidence_json),
        cmocka_unit_test(test_limit_sw_components),
        cmocka_unit_test(test_limit_trust_anchors),
        cmocka_unit_test(test_platform_claim_rules),
        cmocka_unit_test(test_collection_rules),
        cmocka_unit_test(test_cose_rules),
        cmocka_unit_test(test_config_file),
        cmocka_unit_test(test_appraisal_match),
        cmocka_unit_test(test_appraisal_platform_mismatch),
        cmocka_unit_test(test_appraisal_bad_store),
        cmocka_unit_test(test_p521),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
