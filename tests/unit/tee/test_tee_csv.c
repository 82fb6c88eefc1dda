/* SPDX-License-Identifier: Apache-2.0 */
/* The CSV verifier end to end on a generated Hygon-like SM2 chain (HRK -> HSK -> CEK -> PEK ->
 * report) in the binary layouts of FORMATS.md section 5, for report versions V1 (obfuscated),
 * V2 and V3, with the evidence as Trustee JSON or the binary wrapper, and negative cases. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <microhttpd.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "crypto/crypto_sm2.h"
#include "tee/tee.h"
#include "tee/tee_csv.h"

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

/* A 32-byte big-endian value into a 72-byte little-endian field. */
static void le72(uint8_t *dst, const uint8_t *be)
{
    memset(dst, 0, 72);
    for (int i = 0; i < 32; i++) {
        dst[i] = be[31 - i];
    }
}

static void sign(const struct ay_sm2_key *k, const char *uid, const uint8_t *msg, size_t n,
                 uint8_t *r72, uint8_t *s72)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    uint8_t r[32];
    uint8_t s[32];
    assert_int_equal(ay_sm2_sign(&d, k, ay_span_of(uid, strlen(uid)), ay_span_of(msg, n), r, s),
                     AY_OK);
    le72(r72, r);
    le72(s72, s);
}

static void put_key(uint8_t *x72, const struct ay_sm2_key *k)
{
    uint8_t xy[64];
    assert_int_equal(ay_sm2_key_public_xy(k, xy), AY_OK);
    le72(x72, xy);
    le72(x72 + 72, xy + 32);
}

/* CA format (832 bytes). */
static void make_ca(uint8_t *o, const struct ay_sm2_key *k, uint8_t kid, uint8_t sid,
                    uint32_t usage, const char *uid, const struct ay_sm2_key *signer,
                    const char *signer_uid)
{
    memset(o, 0, AY_CSV_CA_CERT_LEN);
    le32(o, 1);
    memset(o + 4, kid, 16);
    memset(o + 20, sid, 16);
    le32(o + 36, usage);
    le32(o + 64, 3);
    put_key(o + 68, k);
    o[212] = (uint8_t)strlen(uid);
    memcpy(o + 214, uid, strlen(uid));
    sign(signer, signer_uid, o, AY_CSV_CA_BODY_LEN, o + 576, o + 648);
}

/* CSV format (2084 bytes) with one signature slot by `signer` of usage signer_usage, and an
 * empty or OCA slot. */
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
    sign(signer, signer_uid, o, AY_CSV_CERT_BODY_LEN, slot + 8, slot + 80);
    le32(slot + 520, 0x1000); /* empty */
}

struct chain {
    struct ay_sm2_key *hrk;
    struct ay_sm2_key *hsk;
    struct ay_sm2_key *cek;
    struct ay_sm2_key *pek;
    uint8_t hrk_cert[AY_CSV_CA_CERT_LEN];
    uint8_t hsk_cek[AY_CSV_CA_CERT_LEN + AY_CSV_CERT_LEN];
    uint8_t pek_cert[AY_CSV_CERT_LEN];
};

static void chain_init(struct chain *c)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_sm2_key_generate(&d, &c->hrk), AY_OK);
    assert_int_equal(ay_sm2_key_generate(&d, &c->hsk), AY_OK);
    assert_int_equal(ay_sm2_key_generate(&d, &c->cek), AY_OK);
    assert_int_equal(ay_sm2_key_generate(&d, &c->pek), AY_OK);
    make_ca(c->hrk_cert, c->hrk, 0x3a, 0x3a, 0x0000, UID_HRK, c->hrk, UID_HRK);
    make_ca(c->hsk_cek, c->hsk, 0x55, 0x3a, 0x0013, UID_HSK, c->hrk, UID_HRK);
    make_cert(c->hsk_cek + AY_CSV_CA_CERT_LEN, c->cek, 0x1004, UID_CEK, c->hsk, 0x0013, UID_HSK);
    make_cert(c->pek_cert, c->pek, 0x1002, UID_PEK, c->cek, 0x1004, UID_CEK);
}

static void chain_free(struct chain *c)
{
    ay_sm2_key_free(c->hrk);
    ay_sm2_key_free(c->hsk);
    ay_sm2_key_free(c->cek);
    ay_sm2_key_free(c->pek);
}

/* The 4116-byte wrapper {magic, flags, data} of a report signed by the PEK. */
static void make_report(uint8_t *w, int version, const uint8_t report_data[64],
                        const struct ay_sm2_key *pek, const uint8_t pek_cert[AY_CSV_CERT_LEN])
{
    memset(w, 0, 16 + 4 + AY_CSV_REPORT_DATA_LEN);
    uint8_t *data = w + 20;
    if (version > 1) {
        memcpy(w, "ATTESTATION_EXT", 16);
        le32(w + 16, version == 2 ? 1 : 3);
    }
    memset(data + 32, 0x11, 16); /* vm_id */
    memset(data + 48, 0x22, 16); /* vm_version */
    memcpy(data + 64, report_data, 64);
    memset(data + 128, 0x33, 16); /* mnonce */
    memset(data + 144, 0x44, 32); /* measure */
    le32(data + 176, 0x45);       /* policy */
    le32(data + 180, 0x1002);
    le32(data + 184, 4);
    if (version == 1) {
        uint32_t anonce = 0x5dc7d726;
        le32(data + 188, anonce);
        memcpy(data + 0x150, pek_cert, AY_CSV_CERT_LEN);
        /* Obfuscate everything but anonce and the signature (FORMATS.md section 5.1). */
        for (size_t i = 0; i < 188; i++) {
            data[i] ^= (uint8_t)(anonce >> (8 * (i % 4)));
        }
        sign(pek, UID_PEK, data, 0xb4, data + 192, data + 264);
    } else {
        le32(data + 188, 1234); /* build */
        data[192] = 1;          /* rtmr_version */
        memset(data + 208, 0x55, 160);
        if (version == 3) {
            memset(data + 960, 0x66, 64); /* host_data */
        }
        sign(pek, UID_PEK, data, 0x400, data + 0x400, data + 0x448);
        memcpy(data + 0x490, pek_cert, AY_CSV_CERT_LEN);
    }
}

struct run {
    const uint8_t *evidence;
    size_t evidence_len;
    const uint8_t *root;
    const uint8_t *report_data;
    size_t report_data_len;
    struct ay_endorsement e[3];
    size_t n_e;
    json_t *claims;
    char msg[AY_DIAG_MSG_MAX];
};

static ay_err verify(struct run *r)
{
    struct ay_arena *a = NULL;
    ay_arena_new(8 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_span rd = ay_span_of(r->report_data, r->report_data_len);
    struct ay_tee_input in = {.evidence = ay_span_of(r->evidence, r->evidence_len),
                              .report_data = r->report_data ? &rd : NULL,
                              .endorsements = r->e,
                              .n_endorsements = r->n_e};
    r->claims = NULL;
    ay_err err =
        ay_csv_verify_with_root(&ctx, &in, ay_span_of(r->root, AY_CSV_CA_CERT_LEN), &r->claims);
    snprintf(r->msg, sizeof r->msg, "%s", ay_diag_message(&ctx.diag));
    if (err != AY_OK) {
        assert_null(r->claims);
    }
    ay_arena_free(a);
    return err;
}

#define WRAP_LEN (16 + 4 + AY_CSV_REPORT_DATA_LEN)

static void std_run(struct run *r, const struct chain *c, const uint8_t *wrap, const uint8_t *rd)
{
    memset(r, 0, sizeof *r);
    r->evidence = wrap;
    r->evidence_len = WRAP_LEN;
    r->root = c->hrk_cert;
    r->report_data = rd;
    r->report_data_len = 64;
    r->e[0] = (struct ay_endorsement){.name = "hsk_cek.cert",
                                      .bytes = ay_span_of(c->hsk_cek, sizeof c->hsk_cek)};
    r->e[1] = (struct ay_endorsement){.name = "pek.cert",
                                      .bytes = ay_span_of(c->pek_cert, AY_CSV_CERT_LEN)};
    r->n_e = 2;
}

static void test_versions_accept(void **state)
{
    (void)state;
    struct chain c;
    chain_init(&c);
    uint8_t rd[64];
    for (int i = 0; i < 64; i++) {
        rd[i] = (uint8_t)(i + 1);
    }
    uint8_t *wrap = malloc(WRAP_LEN);
    for (int v = 1; v <= 3; v++) {
        make_report(wrap, v, rd, c.pek, c.pek_cert);
        struct run r;
        std_run(&r, &c, wrap, rd);
        ay_err e = verify(&r);
        if (e != AY_OK) {
            fail_msg("V%d: %s", v, r.msg);
        }
        assert_int_equal(json_integer_value(json_object_get(r.claims, "version")), v);
        const char *got = json_string_value(json_object_get(r.claims, "report_data"));
        assert_memory_equal(got, "0102030405", 10);
        assert_string_equal(json_string_value(json_object_get(r.claims, "mnonce")),
                            "33333333333333333333333333333333");
        /* TRUSTEE.md section 7.8: `policy` is XOR-decoded with anonce for V1. */
        assert_int_equal(json_integer_value(json_object_get(r.claims, "policy")), 0x45);
        assert_string_equal(json_string_value(json_object_get(r.claims, "measure")),
                            "4444444444444444444444444444444444444444444444444444444444444444");
        assert_string_equal(json_string_value(json_object_get(r.claims, "vm_id")),
                            "11111111111111111111111111111111");
        assert_true(json_is_true(json_object_get(r.claims, "policy_nodbg")));
        assert_true(json_is_true(json_object_get(r.claims, "policy_csv3")));
        assert_true(json_is_false(json_object_get(r.claims, "policy_noks")));
        assert_int_equal(json_object_get(r.claims, "host_data") != NULL, v == 3);
        assert_int_equal(json_object_get(r.claims, "rtmr0") != NULL, v >= 2);
        json_decref(r.claims);
        /* Shorter expected data is zero-padded: a 32-byte prefix does not match. */
        r.report_data_len = 32;
        assert_int_equal(verify(&r), AY_ERR_BINDING);
        /* Other report data. */
        uint8_t other[64];
        memcpy(other, rd, 64);
        other[63] ^= 1;
        r.report_data = other;
        r.report_data_len = 64;
        assert_int_equal(verify(&r), AY_ERR_BINDING);
        /* No expected data: not checked. */
        r.report_data = NULL;
        assert_int_equal(verify(&r), AY_OK);
        json_decref(r.claims);
    }
    free(wrap);
    chain_free(&c);
}

/* Every byte of the signed part flipped fails (V1 and V2). */
static void test_flipped_report(void **state)
{
    (void)state;
    struct chain c;
    chain_init(&c);
    uint8_t rd[64] = {9};
    uint8_t *wrap = malloc(WRAP_LEN);
    for (int v = 1; v <= 2; v++) {
        make_report(wrap, v, rd, c.pek, c.pek_cert);
        size_t signed_len = v == 1 ? 0xb4 : 0x400;
        size_t sig_at = v == 1 ? 192 : 0x400;
        for (size_t i = 0; i < signed_len + 2 * 72; i += (i < signed_len ? 7 : 1)) {
            size_t at = i < signed_len ? i : sig_at + (i - signed_len);
            if (i >= signed_len && (i - signed_len) % 72 >= 32) {
                continue; /* the padding of r and s is not part of the value */
            }
            wrap[20 + at] ^= 0x04;
            struct run r;
            std_run(&r, &c, wrap, NULL);
            ay_err e = verify(&r);
            wrap[20 + at] ^= 0x04;
            if (e == AY_OK) {
                json_decref(r.claims);
                fail_msg("V%d byte %zu flipped still verifies", v, at);
            }
        }
    }
    free(wrap);
    chain_free(&c);
}

static void test_chain_negative(void **state)
{
    (void)state;
    struct chain c;
    chain_init(&c);
    struct ay_diag d;
    ay_diag_clear(&d);
    uint8_t rd[64] = {1};
    uint8_t *wrap = malloc(WRAP_LEN);
    make_report(wrap, 2, rd, c.pek, c.pek_cert);
    struct run r;
    /* No HSK/CEK: reject, as C1. */
    std_run(&r, &c, wrap, rd);
    r.e[0] = r.e[1];
    r.n_e = 1;
    assert_int_equal(verify(&r), AY_ERR_BAD_CHAIN);
    assert_non_null(strstr(r.msg, "HSK/CEK"));
    /* Separate HSK and CEK files work too. */
    std_run(&r, &c, wrap, rd);
    r.e[0] =
        (struct ay_endorsement){.name = "hsk", .bytes = ay_span_of(c.hsk_cek, AY_CSV_CA_CERT_LEN)};
    r.e[2] = (struct ay_endorsement){
        .name = "cek", .bytes = ay_span_of(c.hsk_cek + AY_CSV_CA_CERT_LEN, AY_CSV_CERT_LEN)};
    r.n_e = 3;
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    /* Another root (the pinned one, say): the HSK does not chain. */
    std_run(&r, &c, wrap, rd);
    r.root = ay_hygon_hrk;
    assert_int_not_equal(verify(&r), AY_OK);
    /* No PEK endorsement: the PEK of the report's signer block is used (and chained). */
    std_run(&r, &c, wrap, rd);
    r.n_e = 1;
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    /* No PEK anywhere. */
    uint8_t saved[AY_CSV_CERT_LEN];
    memcpy(saved, wrap + 20 + 0x490, AY_CSV_CERT_LEN);
    memset(wrap + 20 + 0x490, 0, AY_CSV_CERT_LEN);
    assert_int_equal(verify(&r), AY_ERR_BAD_CHAIN);
    memcpy(wrap + 20 + 0x490, saved, AY_CSV_CERT_LEN);
    /* A PEK signed by another CEK-usage key. */
    struct ay_sm2_key *rogue = NULL;
    assert_int_equal(ay_sm2_key_generate(&d, &rogue), AY_OK);
    uint8_t bad_pek[AY_CSV_CERT_LEN];
    make_cert(bad_pek, c.pek, 0x1002, UID_PEK, rogue, 0x1004, UID_CEK);
    std_run(&r, &c, wrap, rd);
    r.e[1].bytes = ay_span_of(bad_pek, AY_CSV_CERT_LEN);
    assert_int_equal(verify(&r), AY_ERR_BAD_SIGNATURE);
    assert_non_null(strstr(r.msg, "PEK signature by the CEK"));
    /* The PEK signed with the wrong distinguishing ID. */
    make_cert(bad_pek, c.pek, 0x1002, UID_PEK, c.cek, 0x1004, UID_HSK);
    r.e[1].bytes = ay_span_of(bad_pek, AY_CSV_CERT_LEN);
    assert_int_equal(verify(&r), AY_ERR_BAD_SIGNATURE);
    /* A CEK signed by a rogue HSK-usage key. */
    uint8_t bad_hc[sizeof c.hsk_cek];
    memcpy(bad_hc, c.hsk_cek, sizeof bad_hc);
    make_cert(bad_hc + AY_CSV_CA_CERT_LEN, c.cek, 0x1004, UID_CEK, rogue, 0x0013, UID_HSK);
    std_run(&r, &c, wrap, rd);
    r.e[0].bytes = ay_span_of(bad_hc, sizeof bad_hc);
    assert_int_equal(verify(&r), AY_ERR_BAD_SIGNATURE);
    assert_non_null(strstr(r.msg, "CEK signature by the HSK"));
    /* An HSK signed by a rogue root. */
    memcpy(bad_hc, c.hsk_cek, sizeof bad_hc);
    make_ca(bad_hc, c.hsk, 0x55, 0x3a, 0x0013, UID_HSK, rogue, UID_HRK);
    r.e[0].bytes = ay_span_of(bad_hc, sizeof bad_hc);
    assert_int_equal(verify(&r), AY_ERR_BAD_SIGNATURE);
    assert_non_null(strstr(r.msg, "HSK signature by the HRK"));
    /* An HSK naming another issuer kid. */
    make_ca(bad_hc, c.hsk, 0x55, 0x3b, 0x0013, UID_HSK, c.hrk, UID_HRK);
    assert_int_equal(verify(&r), AY_ERR_BAD_CHAIN);
    /* A report signed by another key than the PEK. */
    make_report(wrap, 2, rd, rogue, c.pek_cert);
    std_run(&r, &c, wrap, rd);
    assert_int_equal(verify(&r), AY_ERR_BAD_SIGNATURE);
    assert_non_null(strstr(r.msg, "report signature"));
    ay_sm2_key_free(rogue);
    free(wrap);
    chain_free(&c);
}

/* The Trustee evidence JSON form with the PEK as JSON (csv-rs field names). */
static json_t *bytes_json(const uint8_t *p, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_integer(p[i]));
    }
    return a;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static json_t *pek_json(const uint8_t *o)
{
    json_t *sigs = json_array();
    for (size_t i = 0; i < 2; i++) {
        const uint8_t *s = o + AY_CSV_CERT_BODY_LEN + 520 * i;
        json_array_append_new(
            sigs, json_pack("{s:I,s:I,s:{s:o,s:o},s:o}", "usage", (json_int_t)rd32(s), "algo",
                            (json_int_t)rd32(s + 4), "signature", "r", bytes_json(s + 8, 72), "s",
                            bytes_json(s + 80, 72), "_reserved", bytes_json(s + 152, 368)));
    }
    return json_pack(
        "{s:{s:I,s:{s:{s:i,s:i},s:i,s:{s:I,s:I,s:{s:I,s:o,s:o}},s:i,s:o,s:o,s:o}},s:o}", "body",
        "ver", (json_int_t)rd32(o), "data", "firmware", "major", o[4], "minor", o[5], "reserved1",
        o[6] | o[7] << 8, "pubkey", "usage", (json_int_t)rd32(o + 8), "algo",
        (json_int_t)rd32(o + 12), "key", "g", (json_int_t)rd32(o + 16), "x", bytes_json(o + 20, 72),
        "y", bytes_json(o + 92, 72), "uid_size", o[164] | o[165] << 8, "user_id",
        bytes_json(o + 166, 254), "sid", bytes_json(o + 420, 16), "reserved2",
        bytes_json(o + 436, 608), "sigs", sigs);
}

static void test_json_evidence(void **state)
{
    (void)state;
    struct chain c;
    chain_init(&c);
    uint8_t rd[64] = {7, 7, 7};
    uint8_t *wrap = malloc(WRAP_LEN);
    make_report(wrap, 1, rd, c.pek, c.pek_cert);
    uint8_t sn[64] = "TESTCHIP0001";
    json_t *ev =
        json_pack("{s:{s:o,s:I,s:o},s:{s:o},s:o,s:s}", "attestation_report", "magic",
                  bytes_json(wrap, 16), "flags", (json_int_t)rd32(wrap + 16), "data",
                  bytes_json(wrap + 20, AY_CSV_REPORT_DATA_LEN), "cert_chain", "pek",
                  pek_json(c.pek_cert), "serial_number", bytes_json(sn, 64), "cc_eventlog", "");
    char *text = json_dumps(ev, JSON_COMPACT);
    struct run r;
    std_run(&r, &c, wrap, rd);
    r.evidence = (const uint8_t *)text;
    r.evidence_len = strlen(text);
    r.n_e = 1; /* hsk_cek only: the PEK comes from the JSON */
    ay_err e = verify(&r);
    if (e != AY_OK) {
        fail_msg("JSON evidence: %s", r.msg);
    }
    assert_string_equal(json_string_value(json_object_get(r.claims, "serial_number")),
                        "TESTCHIP0001");
    json_decref(r.claims);
    free(text);
    /* hsk_cek inside the evidence: explicit "not supported yet". */
    json_object_set_new(json_object_get(ev, "cert_chain"), "hsk_cek", json_object());
    text = json_dumps(ev, JSON_COMPACT);
    r.evidence = (const uint8_t *)text;
    r.evidence_len = strlen(text);
    assert_int_equal(verify(&r), AY_ERR_UNSUPPORTED);
    free(text);
    /* A damaged PEK JSON. */
    json_object_del(json_object_get(ev, "cert_chain"), "hsk_cek");
    json_object_del(json_object_get(json_object_get(ev, "cert_chain"), "pek"), "sigs");
    text = json_dumps(ev, JSON_COMPACT);
    r.evidence = (const uint8_t *)text;
    r.evidence_len = strlen(text);
    assert_int_equal(verify(&r), AY_ERR_MALFORMED);
    free(text);
    json_decref(ev);
    static const char *bad[] = {"{", "{}", "{\"attestation_report\":{\"magic\":[],\"flags\":0}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r.evidence = (const uint8_t *)bad[i];
        r.evidence_len = strlen(bad[i]);
        assert_int_equal(verify(&r), AY_ERR_MALFORMED);
    }
    /* Truncated binary wrapper; unknown magic/flags. */
    r.evidence = wrap;
    r.evidence_len = WRAP_LEN - 1;
    assert_int_equal(verify(&r), AY_ERR_MALFORMED);
    memcpy(wrap, "ATTESTATION_EXT", 16);
    le32(wrap + 16, 2);
    r.evidence_len = WRAP_LEN;
    assert_int_equal(verify(&r), AY_ERR_UNSUPPORTED);
    free(wrap);
    chain_free(&c);
}

/* Parsers refuse wrong sizes and bad fields. */
static void test_parsers(void **state)
{
    (void)state;
    struct chain c;
    chain_init(&c);
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_csv_ca_cert ca;
    struct ay_csv_cert cert;
    assert_int_equal(ay_csv_ca_cert_parse(&d, ay_span_of(c.hrk_cert, 831), &ca), AY_ERR_MALFORMED);
    assert_int_equal(ay_csv_cert_parse(&d, ay_span_of(c.pek_cert, 2083), &cert), AY_ERR_MALFORMED);
    uint8_t tmp[AY_CSV_CERT_LEN];
    memcpy(tmp, c.pek_cert, sizeof tmp);
    tmp[164] = 255; /* uid_size over 254 */
    assert_int_equal(ay_csv_cert_parse(&d, ay_span_of(tmp, sizeof tmp), &cert), AY_ERR_MALFORMED);
    memcpy(tmp, c.pek_cert, sizeof tmp);
    le32(tmp + 16, 2); /* not SM2 */
    assert_int_equal(ay_csv_cert_parse(&d, ay_span_of(tmp, sizeof tmp), &cert), AY_ERR_MALFORMED);
    assert_int_equal(ay_csv_ca_cert_parse(&d, ay_span_of(c.hrk_cert, AY_CSV_CA_CERT_LEN), &ca),
                     AY_OK);
    assert_int_equal(ay_csv_ca_verify(&d, &ca, &ca), AY_OK);
    chain_free(&c);
}

/* ---- HSK/CEK sources: cache directory and KDS (an injected fetcher, then the curl fetcher
 * against a loopback server) ---- */

struct kds {
    const uint8_t *answer;
    size_t len;
    ay_err fail; /* AY_OK = answer */
    char url[512];
    int calls;
};

static ay_err fake_fetch(void *arg, struct ay_diag *d, const char *url, size_t max, uint8_t **out,
                         size_t *out_len)
{
    struct kds *k = arg;
    k->calls++;
    snprintf(k->url, sizeof k->url, "%s", url);
    if (k->fail != AY_OK) {
        return FAIL(d, k->fail, "fake KDS: connection refused");
    }
    assert_true(k->len <= max);
    *out = malloc(k->len ? k->len : 1);
    memcpy(*out, k->answer, k->len);
    *out_len = k->len;
    return AY_OK;
}

/* JSON evidence with only the PEK, for chip `chip` (serial_number bytes as given). */
static char *evidence_pek_only(const struct chain *c, const uint8_t *wrap, const char *chip)
{
    uint8_t sn[64] = {0};
    memcpy(sn, chip, strlen(chip));
    json_t *ev = json_pack("{s:{s:o,s:I,s:o},s:{s:o},s:o}", "attestation_report", "magic",
                           bytes_json(wrap, 16), "flags", (json_int_t)rd32(wrap + 16), "data",
                           bytes_json(wrap + 20, AY_CSV_REPORT_DATA_LEN), "cert_chain", "pek",
                           pek_json(c->pek_cert), "serial_number", bytes_json(sn, 64));
    char *text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return text;
}

static ay_err verify_src(struct run *r, const struct ay_csv_sources *src)
{
    struct ay_arena *a = NULL;
    ay_arena_new(8 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_span rd = ay_span_of(r->report_data, r->report_data_len);
    struct ay_tee_input in = {.evidence = ay_span_of(r->evidence, r->evidence_len),
                              .report_data = r->report_data ? &rd : NULL,
                              .endorsements = r->e,
                              .n_endorsements = r->n_e};
    r->claims = NULL;
    ay_err err =
        ay_csv_verify_ex(&ctx, &in, ay_span_of(r->root, AY_CSV_CA_CERT_LEN), src, &r->claims);
    snprintf(r->msg, sizeof r->msg, "%s", ay_diag_message(&ctx.diag));
    json_decref(r->claims);
    r->claims = NULL;
    ay_arena_free(a);
    return err;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void rm_cache(const char *dir, const char *chip)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s/hsk_cek.cert", dir, chip);
    (void)remove(p);
    snprintf(p, sizeof p, "%s/%s", dir, chip);
    (void)rmdir(p);
}

static void test_sources(void **state)
{
    (void)state;
    struct chain c;
    chain_init(&c);
    uint8_t rd[64] = {5, 4, 3};
    uint8_t *wrap = malloc(WRAP_LEN);
    make_report(wrap, 2, rd, c.pek, c.pek_cert);
    char *text = evidence_pek_only(&c, wrap, "TESTCHIP0001");
    struct run r;
    std_run(&r, &c, wrap, rd);
    r.evidence = (const uint8_t *)text;
    r.evidence_len = strlen(text);
    r.n_e = 0; /* HSK/CEK only from the sources */
    char dir[] = "/tmp/assay-csv-cache-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct kds k = {.answer = c.hsk_cek, .len = sizeof c.hsk_cek};
    struct ay_csv_sources src = {.cache_dir = dir, .kds_url = NULL};

    /* Nothing anywhere: a chain failure naming the cache path and the missing KDS. */
    assert_int_equal(verify_src(&r, &src), AY_ERR_BAD_CHAIN);
    assert_non_null(strstr(r.msg, "TESTCHIP0001/hsk_cek.cert"));
    assert_non_null(strstr(r.msg, "KDS is not configured"));
    assert_int_equal(verify_src(&r, NULL), AY_ERR_BAD_CHAIN);

    /* KDS through the injected fetcher: the Trustee URL, the answer verified, then cached. */
    src.kds_url = "https://kds.test";
    src.fetch = fake_fetch;
    src.fetch_arg = &k;
    src.cache_downloads = true;
    ay_err e = verify_src(&r, &src);
    if (e != AY_OK) {
        fail_msg("KDS: %s", r.msg);
    }
    assert_string_equal(k.url, "https://kds.test/hsk_cek?snumber=TESTCHIP0001");
    assert_int_equal(k.calls, 1);
    /* The cache now answers without the KDS. */
    k.fail = AY_ERR_NETWORK;
    assert_int_equal(verify_src(&r, &src), AY_OK);
    assert_int_equal(k.calls, 1);
    struct ay_csv_sources cache_only = {.cache_dir = dir};
    assert_int_equal(verify_src(&r, &cache_only), AY_OK);
    rm_cache(dir, "TESTCHIP0001");

    /* KDS down: a chain failure that keeps the transport reason; nothing cached. */
    assert_int_equal(verify_src(&r, &src), AY_ERR_BAD_CHAIN);
    assert_non_null(strstr(r.msg, "connection refused"));
    assert_int_equal(verify_src(&r, &cache_only), AY_ERR_BAD_CHAIN);

    /* A KDS answer of the wrong size, or one that does not chain to the HRK, is refused
     * and never cached. */
    k.fail = AY_OK;
    k.len = sizeof c.hsk_cek - 1;
    assert_int_equal(verify_src(&r, &src), AY_ERR_MALFORMED);
    struct chain other;
    chain_init(&other);
    k.answer = other.hsk_cek;
    k.len = sizeof other.hsk_cek;
    e = verify_src(&r, &src);
    assert_true(e == AY_ERR_BAD_SIGNATURE || e == AY_ERR_BAD_CHAIN);
    assert_int_equal(verify_src(&r, &cache_only), AY_ERR_BAD_CHAIN);
    /* With cache_downloads off a good answer verifies but is not stored. */
    k.answer = c.hsk_cek;
    src.cache_downloads = false;
    assert_int_equal(verify_src(&r, &src), AY_OK);
    assert_int_equal(verify_src(&r, &cache_only), AY_ERR_BAD_CHAIN);

    /* A damaged cache file. */
    char p[600];
    snprintf(p, sizeof p, "%s/TESTCHIP0001", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/TESTCHIP0001/hsk_cek.cert", dir);
    write_file(p, c.hsk_cek, 100);
    assert_int_equal(verify_src(&r, &cache_only), AY_ERR_MALFORMED);
    uint8_t longer[sizeof c.hsk_cek + 1];
    memcpy(longer, c.hsk_cek, sizeof c.hsk_cek);
    longer[sizeof c.hsk_cek] = 0;
    write_file(p, longer, sizeof longer);
    assert_int_equal(verify_src(&r, &cache_only), AY_ERR_MALFORMED);
    write_file(p, c.hsk_cek, sizeof c.hsk_cek);
    assert_int_equal(verify_src(&r, &cache_only), AY_OK);
    rm_cache(dir, "TESTCHIP0001");

    /* A hostile serial cannot leave the directory or the query: '/' and '.' become '_'. */
    free(text);
    text = evidence_pek_only(&c, wrap, "../x?y=1");
    r.evidence = (const uint8_t *)text;
    r.evidence_len = strlen(text);
    src.cache_downloads = true;
    k.calls = 0;
    assert_int_equal(verify_src(&r, &src), AY_OK);
    assert_string_equal(k.url, "https://kds.test/hsk_cek?snumber=___x_y_1");
    snprintf(p, sizeof p, "%s/___x_y_1/hsk_cek.cert", dir);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fclose(f);
    rm_cache(dir, "___x_y_1");
    assert_int_equal(rmdir(dir), 0);
    free(text);
    free(wrap);
    chain_free(&other);
    chain_free(&c);
}

/* The config object and the defaults (Trustee: the cache, then the KDS in the service). */
static void test_sources_config(void **state)
{
    (void)state;
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    struct ay_csv_sources s;
    long t = -1;
    ay_csv_sources_from_config(&in, &s, &t);
    assert_string_equal(s.cache_dir, AY_CSV_CACHE_DIR);
    assert_null(s.kds_url); /* the CLI never fetches by default */
    assert_int_equal(t, 0);
    in.require_collateral = true;
    ay_csv_sources_from_config(&in, &s, &t);
    assert_string_equal(s.kds_url, AY_CSV_KDS_URL);
    assert_true(s.cache_downloads);
    json_t *cfg = json_loads("{\"csv_verifier\":{\"hsk_cek_dir\":\"/srv/hygon\",\"kds_url\":null,"
                             "\"cache_downloads\":false,\"timeout\":7}}",
                             0, NULL);
    in.config = cfg;
    ay_csv_sources_from_config(&in, &s, &t);
    assert_string_equal(s.cache_dir, "/srv/hygon");
    assert_null(s.kds_url);
    assert_false(s.cache_downloads);
    assert_int_equal(t, 7);
    json_decref(cfg);
    cfg = json_loads("{\"csv_verifier\":{\"hsk_cek_dir\":null,\"kds_url\":\"http://127.0.0.1:1\","
                     "\"timeout\":100000}}",
                     0, NULL);
    in.config = cfg;
    ay_csv_sources_from_config(&in, &s, &t);
    assert_null(s.cache_dir);
    assert_string_equal(s.kds_url, "http://127.0.0.1:1");
    assert_int_equal(t, 0);
    json_decref(cfg);
}

/* The curl fetcher against a loopback server serving hsk_cek.cert (no outside network). */
struct kds_server {
    const uint8_t *body;
    size_t len;
    char query[128];
};

static enum MHD_Result kds_handler(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *data,
                                   size_t *data_size, void **con_cls)
{
    (void)method;
    (void)version;
    (void)data;
    (void)data_size;
    (void)con_cls;
    struct kds_server *s = cls;
    const char *sn = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "snumber");
    snprintf(s->query, sizeof s->query, "%s", sn ? sn : "");
    bool ok = strcmp(url, "/hsk_cek") == 0 && sn != NULL;
    struct MHD_Response *r = MHD_create_response_from_buffer(
        ok ? s->len : 0, ok ? (void *)(uintptr_t)s->body : NULL, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, ok ? 200 : 404, r);
    MHD_destroy_response(r);
    return ret;
}

static void test_kds_curl(void **state)
{
    (void)state;
    struct chain c;
    chain_init(&c);
    struct kds_server ks = {.body = c.hsk_cek, .len = sizeof c.hsk_cek};
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, kds_handler, &ks, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    assert_non_null(d);
    unsigned port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u", port);
    uint8_t rd[64] = {1};
    uint8_t *wrap = malloc(WRAP_LEN);
    make_report(wrap, 3, rd, c.pek, c.pek_cert);
    char *text = evidence_pek_only(&c, wrap, "KPA64911240507");
    struct run r;
    std_run(&r, &c, wrap, rd);
    r.evidence = (const uint8_t *)text;
    r.evidence_len = strlen(text);
    r.n_e = 0;
    long timeout = 10;
    struct ay_csv_sources src = {.kds_url = base, .fetch_arg = &timeout};
    ay_err e = verify_src(&r, &src);
    if (e != AY_OK) {
        fail_msg("curl KDS: %s", r.msg);
    }
    assert_string_equal(ks.query, "KPA64911240507");
    /* A 404 and an oversized answer. */
    char bad[80];
    snprintf(bad, sizeof bad, "%s/nothing", base);
    src.kds_url = bad;
    assert_int_equal(verify_src(&r, &src), AY_ERR_BAD_CHAIN);
    assert_non_null(strstr(r.msg, "KDS"));
    uint8_t *big = calloc(1, 8192);
    ks.body = big;
    ks.len = 8192;
    src.kds_url = base;
    assert_int_equal(verify_src(&r, &src), AY_ERR_BAD_CHAIN);
    assert_non_null(strstr(r.msg, "exceeds"));
    MHD_stop_daemon(d);
    free(big);
    free(text);
    free(wrap);
    chain_free(&c);
}

/* The verified-chain cache: a repeat verification still checks the report signature and the
 * binding; a chain with any byte changed is verified again (and fails). */
static void test_chain_cache(void **state)
{
    (void)state;
    struct chain c;
    chain_init(&c);
    uint8_t rd[64] = {0x42};
    uint8_t *wrap = malloc(WRAP_LEN);
    make_report(wrap, 2, rd, c.pek, c.pek_cert);
    ay_csv_chain_cache_clear();
    for (int round = 0; round < 3; round++) {
        struct run r;
        std_run(&r, &c, wrap, rd);
        assert_int_equal(verify(&r), AY_OK);
        json_decref(r.claims);
        /* Cached chain, other report data: the binding is still checked. */
        uint8_t other[64] = {0x43};
        r.report_data = other;
        assert_int_equal(verify(&r), AY_ERR_BINDING);
        /* Cached chain, report signature damaged: still checked. */
        wrap[20 + 0x400 + 3] ^= 1;
        r.report_data = rd;
        assert_int_equal(verify(&r), AY_ERR_BAD_SIGNATURE);
        wrap[20 + 0x400 + 3] ^= 1;
        /* A CEK signature byte changed: a new chain, verified, refused. */
        uint8_t hc[sizeof c.hsk_cek];
        memcpy(hc, c.hsk_cek, sizeof hc);
        hc[AY_CSV_CA_CERT_LEN + AY_CSV_CERT_BODY_LEN + 8 + 5] ^= 1;
        r.e[0].bytes = ay_span_of(hc, sizeof hc);
        assert_int_not_equal(verify(&r), AY_OK);
        if (round == 1) {
            ay_csv_chain_cache_clear();
        }
    }
    free(wrap);
    chain_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_accept), cmocka_unit_test(test_flipped_report),
        cmocka_unit_test(test_chain_negative),  cmocka_unit_test(test_json_evidence),
        cmocka_unit_test(test_parsers),         cmocka_unit_test(test_sources),
        cmocka_unit_test(test_sources_config),  cmocka_unit_test(test_kds_curl),
        cmocka_unit_test(test_chain_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
