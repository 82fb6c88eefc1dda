/* SPDX-License-Identifier: Apache-2.0 */
/* `az-snp-vtpm` against evidence forged at test time: a generated AMD-like PKI (tests/lib
 * testlib_amd) signs an SNP report whose REPORT_DATA binds the HCL var_data, whose HCLAkPub (a
 * generated RSA key) signs the TPM quote. Evidence v0, v1 and v2; each check (AK signature,
 * nonce, PCR digest, var_data binding, user-data prefix, VCEK chain to the pinned ARK, foreign
 * ARK, VMPL 0, report type, init-data PCR8) has a passing and a failing case. */
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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_mem.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_digest.h"
#include "tee/tee.h"
#include "tee/tee_azure.h"
#include "tee/tee_cocos.h"
#include "tee/tee_snp.h"
#include "tee/tee_tpm.h"
#include "testlib.h"
#include "testlib_amd.h"

#define T0 1735689600 /* 2025-01-01 */

static struct ay_test_amd amd;
static EVP_PKEY *ak;
static EVP_PKEY *other;

static int setup(void **state)
{
    (void)state;
    ay_test_amd_init(&amd, T0 - 86400);
    ak = EVP_RSA_gen(2048);
    other = EVP_RSA_gen(2048);
    return ak != NULL && other != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ay_test_amd_free(&amd);
    EVP_PKEY_free(ak);
    EVP_PKEY_free(other);
    return 0;
}

static char *hex(const uint8_t *p, size_t n)
{
    char *h = malloc(2 * n + 1);
    ay_hex_encode(p, n, h);
    return h;
}

/* What to break. */
struct opts {
    int version;          /* 0, 1, 2 */
    bool tamper_var;      /* var_data changed after the report was signed */
    bool user_data_other; /* v2: user-data not starting with the nonce */
    uint32_t vmpl;
    uint32_t report_type;
    bool quote_by_other; /* TPM quote signed by another key */
    bool pcr_mismatch;   /* a sent PCR differs from the signed digest */
    bool rogue_vcek;     /* VCEK chained to a foreign ARK */
    bool flip_report;    /* report byte changed after signing */
    const uint8_t *pcr8; /* PCR8 value (32 bytes) or NULL for zeros */
};

static const uint8_t nonce[] = "challenge-nonce";
#define NONCE_LEN 15

static char *forge(const struct opts *o)
{
    /* var_data with HCLAkPub = ak */
    BIGNUM *n = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(ak, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    uint8_t mod[256];
    assert_int_equal(BN_bn2binpad(n, mod, 256), 256);
    BN_free(n);
    static const uint8_t e[] = {1, 0, 1};
    char *nb = ay_test_b64(AY_B64_URL_NOPAD, mod, 256);
    char *eb = ay_test_b64(AY_B64_URL_NOPAD, e, 3);
    uint8_t ud[64];
    memset(ud, 0, sizeof ud);
    memcpy(ud, o->user_data_other ? (const uint8_t *)"other" : nonce,
           o->user_data_other ? 5 : NONCE_LEN);
    char *udh = hex(ud, 64);
    char var[2048];
    int vl = snprintf(var, sizeof var,
                      "{\"keys\":[{\"kid\":\"HCLAkPub\",\"key_ops\":[\"sign\"],\"kty\":\"RSA\","
                      "\"e\":\"%s\",\"n\":\"%s\"}],\"vm-configuration\":{\"secure-boot\":true},"
                      "\"user-data\":\"%s\"}",
                      eb, nb, udh);
    assert_true(vl > 0 && (size_t)vl < sizeof var);
    ay_free(nb);
    ay_free(eb);
    free(udh);
    /* the SNP report binds SHA-256(var_data) */
    uint8_t rd[64];
    memset(rd, 0, sizeof rd);
    assert_int_equal(ay_hash(AY_HASH_SHA256, var, (size_t)vl, rd), AY_OK);
    uint8_t rep[AY_SNP_REPORT_LEN];
    ay_test_amd_report(&amd, rd, rep);
    rep[0x30] = (uint8_t)o->vmpl;
    ay_test_amd_sign(amd.vcek_key, rep);
    if (o->flip_report) {
        rep[0x90] ^= 1;
    }
    if (o->tamper_var) {
        var[vl - 3] = var[vl - 3] == '0' ? '1' : '0';
    }
    /* HCL report */
    static uint8_t hcl[0x4D4 + 2048 + 64];
    memset(hcl, 0, sizeof hcl);
    uint32_t hdr[5] = {AY_HCL_SIGNATURE, 2, (uint32_t)(0x4D4 + vl), 2, 0};
    for (size_t i = 0; i < 5; i++) {
        for (size_t b = 0; b < 4; b++) {
            hcl[4 * i + b] = (uint8_t)(hdr[i] >> (8 * b));
        }
    }
    memcpy(hcl + 0x20, rep, AY_SNP_REPORT_LEN);
    uint32_t igvm[5] = {(uint32_t)(20 + vl), 1, o->report_type, 1, (uint32_t)vl};
    for (size_t i = 0; i < 5; i++) {
        for (size_t b = 0; b < 4; b++) {
            hcl[0x4C0 + 4 * i + b] = (uint8_t)(igvm[i] >> (8 * b));
        }
    }
    memcpy(hcl + 0x4D4, var, (size_t)vl);
    size_t hcl_len = 0x4D4 + (size_t)vl + 64; /* NV padding */
    /* TPM quote over SHA-256 PCRs 0..23, nonce = expected report data */
    uint8_t pcr[24][32];
    for (unsigned i = 0; i < 24; i++) {
        memset(pcr[i], (int)i, 32);
    }
    if (o->pcr8 != NULL) {
        memcpy(pcr[8], o->pcr8, 32);
    } else {
        memset(pcr[8], 0, 32);
    }
    uint8_t dg[32];
    assert_int_equal(ay_hash(AY_HASH_SHA256, pcr, sizeof pcr, dg), AY_OK);
    uint8_t att[256];
    size_t al = 0;
    static const uint8_t head[] = {0xff, 0x54, 0x43, 0x47, 0x80, 0x18, 0x00, 0x02, 0x00, 0x0b};
    memcpy(att, head, sizeof head);
    al = sizeof head;
    att[al++] = 0;
    att[al++] = NONCE_LEN;
    memcpy(att + al, nonce, NONCE_LEN);
    al += NONCE_LEN;
    memset(att + al, 0, 17 + 8); /* clockInfo + firmwareVersion */
    al += 25;
    static const uint8_t sel[] = {0, 0, 0, 1, 0x00, 0x0b, 3, 0xff, 0xff, 0xff, 0x00, 0x20};
    memcpy(att + al, sel, sizeof sel);
    al += sizeof sel;
    memcpy(att + al, dg, 32);
    al += 32;
    uint8_t sig[256];
    size_t sl = sizeof sig;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    assert_int_equal(
        EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, o->quote_by_other ? other : ak), 1);
    assert_int_equal(EVP_DigestSign(m, sig, &sl, att, al), 1);
    EVP_MD_CTX_free(m);
    if (o->pcr_mismatch) {
        pcr[3][0] ^= 1;
    }
    /* evidence JSON */
    size_t vcl = 0;
    uint8_t *vc = ay_test_amd_der(o->rogue_vcek ? amd.rogue_vcek : amd.vcek, &vcl);
    json_t *j;
    if (o->version == 0) {
        json_t *pcrs = json_array();
        for (unsigned i = 0; i < 24; i++) {
            json_t *a = json_array();
            for (size_t b = 0; b < 32; b++) {
                json_array_append_new(a, json_integer(pcr[i][b]));
            }
            json_array_append_new(pcrs, a);
        }
        json_t *sa = json_array();
        for (size_t b = 0; b < sl; b++) {
            json_array_append_new(sa, json_integer(sig[b]));
        }
        json_t *ma = json_array();
        for (size_t b = 0; b < al; b++) {
            json_array_append_new(ma, json_integer(att[b]));
        }
        json_t *ra = json_array();
        for (size_t b = 0; b < hcl_len; b++) {
            json_array_append_new(ra, json_integer(hcl[b]));
        }
        BIO *bio = BIO_new(BIO_s_mem());
        X509 *vx = o->rogue_vcek ? amd.rogue_vcek : amd.vcek;
        assert_int_equal(PEM_write_bio_X509(bio, vx), 1);
        char *pem = NULL;
        long pl = BIO_get_mem_data(bio, &pem);
        j = json_pack("{s:{s:o,s:o,s:o},s:o,s:s%}", "quote", "signature", sa, "message", ma, "pcrs",
                      pcrs, "report", ra, "vcek", pem, (size_t)pl);
        BIO_free(bio);
    } else {
        json_t *pcrs = json_array();
        for (unsigned i = 0; i < 24; i++) {
            char *h = hex(pcr[i], 32);
            json_array_append_new(pcrs, json_string(h));
            free(h);
        }
        char *sh = hex(sig, sl);
        char *mh = hex(att, al);
        char *hb = ay_test_b64(AY_B64_URL_NOPAD, hcl, hcl_len);
        char *vb = ay_test_b64(AY_B64_URL, vc, vcl); /* padding optional: use it here */
        j = json_pack("{s:i,s:{s:s,s:s,s:o},s:s,s:s}", "version", o->version, "tpm_quote",
                      "signature", sh, "message", mh, "pcrs", pcrs, "hcl_report", hb, "vcek", vb);
        free(sh);
        free(mh);
        ay_free(hb);
        ay_free(vb);
    }
    free(vc);
    assert_non_null(j);
    char *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return out;
}

/* Forged evidence for o, and a context at T0 over a new arena (both freed by the caller). */
static char *forge_ctx(const struct opts *o, struct ay_arena **arena, struct ay_ctx *ctx)
{
    ay_arena_new(1 << 22, arena);
    ay_ctx_init(ctx, *arena);
    ctx->now = T0;
    return forge(o);
}

static ay_err run(const struct opts *o, const uint8_t *rd, size_t rdl, const uint8_t *init,
                  json_t **claims)
{
    struct ay_arena *arena = NULL;
    struct ay_ctx ctx;
    char *ev = forge_ctx(o, &arena, &ctx);
    struct ay_span rds = ay_span_of(rd, rdl);
    struct ay_span is = ay_span_of(init, 32);
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(ev, strlen(ev));
    in.report_data = rd != NULL ? &rds : NULL;
    in.init_data = init != NULL ? &is : NULL;
    json_t *c = NULL;
    ay_err e = ay_tee_az_snp_vtpm_verify_with(&ctx, &in, &amd.trust, &c);
    if (e != AY_OK) {
        print_message("az-snp-vtpm: %s\n", ay_diag_message(&ctx.diag));
    }
    if (claims != NULL) {
        *claims = c;
    } else {
        json_decref(c);
    }
    ay_arena_free(arena);
    free(ev);
    return e;
}

static struct opts good(int version)
{
    struct opts o;
    memset(&o, 0, sizeof o);
    o.version = version;
    o.report_type = AY_HCL_TYPE_SNP;
    return o;
}

static void test_accept_all_versions(void **state)
{
    (void)state;
    for (int v = 0; v <= 2; v++) {
        struct opts o = good(v);
        json_t *c = NULL;
        assert_int_equal(run(&o, nonce, NONCE_LEN, NULL, &c), AY_OK);
        char *h = hex(nonce, NONCE_LEN);
        assert_string_equal(json_string_value(json_object_get(c, "report_data")), h);
        free(h);
        assert_string_equal(json_string_value(json_object_get(c, "reported_tcb_snp")), "24");
        assert_string_equal(json_string_value(json_object_get(c, "policy_smt_allowed")), "true");
        assert_null(json_object_get(c, "chip_id"));
        assert_non_null(json_object_get(json_object_get(c, "tpm"), "pcr23"));
        json_decref(c);
    }
}

static void test_bindings(void **state)
{
    (void)state;
    struct opts o = good(1);
    /* nonce: exact, not padded */
    assert_int_equal(run(&o, nonce, NONCE_LEN - 1, NULL, NULL), AY_ERR_BINDING);
    assert_int_equal(run(&o, (const uint8_t *)"challenge-noncf", NONCE_LEN, NULL, NULL),
                     AY_ERR_BINDING);
    assert_int_equal(run(&o, NULL, 0, NULL, NULL), AY_ERR_BINDING); /* required */
    /* var_data hash in REPORT_DATA */
    o.tamper_var = true;
    assert_int_equal(run(&o, nonce, NONCE_LEN, NULL, NULL), AY_ERR_BINDING);
    /* v2 user-data prefix: v1 ignores it, v2 refuses */
    o = good(1);
    o.user_data_other = true;
    assert_int_equal(run(&o, nonce, NONCE_LEN, NULL, NULL), AY_OK);
    o.version = 2;
    assert_int_equal(run(&o, nonce, NONCE_LEN, NULL, NULL), AY_ERR_BINDING);
    /* init data: PCR8 == SHA-256(zeros32 || H) */
    uint8_t h[32];
    uint8_t buf[64];
    uint8_t pcr8[32];
    memset(h, 0x5c, 32);
    memset(buf, 0, 32);
    memcpy(buf + 32, h, 32);
    assert_int_equal(ay_hash(AY_HASH_SHA256, buf, 64, pcr8), AY_OK);
    o = good(2);
    o.pcr8 = pcr8;
    json_t *c = NULL;
    assert_int_equal(run(&o, nonce, NONCE_LEN, h, &c), AY_OK);
    char *ph = hex(pcr8, 32);
    assert_string_equal(json_string_value(json_object_get(c, "init_data")), ph);
    free(ph);
    json_decref(c);
    h[0] ^= 1;
    assert_int_equal(run(&o, nonce, NONCE_LEN, h, NULL), AY_ERR_BINDING);
}

static void test_signatures_and_chain(void **state)
{
    (void)state;
    struct opts o = good(1);
    o.quote_by_other = true;
    assert_int_equal(run(&o, nonce, NONCE_LEN, NULL, NULL), AY_ERR_BAD_SIGNATURE);
    o = good(1);
    o.pcr_mismatch = true;
    assert_int_equal(run(&o, nonce, NONCE_LEN, NULL, NULL), AY_ERR_VERIFY);
    o = good(1);
    o.flip_report = true;
    assert_int_equal(run(&o, nonce, NONCE_LEN, NULL, NULL), AY_ERR_BAD_SIGNATURE);
    o = good(0);
    o.rogue_vcek = true; /* VCEK under a foreign ARK of the same name */
    assert_int_equal(run(&o, nonce, NONCE_LEN, NULL, NULL), AY_ERR_BAD_CHAIN);
    o = good(1);
    o.vmpl = 1;
    assert_int_equal(run(&o, nonce, NONCE_LEN, NULL, NULL), AY_ERR_VERIFY);
    o = good(1);
    o.report_type = AY_HCL_TYPE_TDX;
    assert_int_equal(run(&o, nonce, NONCE_LEN, NULL, NULL), AY_ERR_VERIFY);
}

static void test_hcl_parser(void **state)
{
    (void)state;
    uint8_t h[0x4D4 + 16];
    memset(h, 0, sizeof h);
    struct ay_diag d;
    struct ay_hcl_report r;
    ay_diag_clear(&d);
    /* signature, version, type, hash type, data_size and var_data bounds */
    assert_int_equal(ay_hcl_report_parse(&d, ay_span_of(h, sizeof h), &r), AY_ERR_MALFORMED);
    h[0] = 'H';
    h[1] = 'C';
    h[2] = 'L';
    h[3] = 'A';
    h[4] = 1;
    h[0x4C8] = 2;
    h[0x4CC] = 1;
    h[0x4C0] = 20 + 16;
    h[0x4D0] = 16;
    memcpy(h + 0x4D4, "{\"keys\":[]}     ", 16);
    assert_int_equal(ay_hcl_report_parse(&d, ay_span_of(h, sizeof h), &r), AY_OK);
    assert_int_equal(r.var_data.len, 16);
    assert_int_equal(ay_hcl_report_parse(&d, ay_span_of(h, sizeof h - 1), &r), AY_ERR_TRUNCATED);
    assert_int_equal(ay_hcl_report_parse(&d, ay_span_of(h, 0x4D0), &r), AY_ERR_TRUNCATED);
    h[0x4C0] = 20 + 15;
    assert_int_equal(ay_hcl_report_parse(&d, ay_span_of(h, sizeof h), &r), AY_ERR_MALFORMED);
    h[0x4C0] = 20 + 16;
    h[0x4CC] = 2; /* SHA-384 var_data hash: never seen, refused */
    assert_int_equal(ay_hcl_report_parse(&d, ay_span_of(h, sizeof h), &r), AY_ERR_UNSUPPORTED);
    h[0x4CC] = 1;
    h[0x4C8] = 3;
    assert_int_equal(ay_hcl_report_parse(&d, ay_span_of(h, sizeof h), &r), AY_ERR_UNSUPPORTED);
    h[0x4C8] = 2;
    h[4] = 3;
    assert_int_equal(ay_hcl_report_parse(&d, ay_span_of(h, sizeof h), &r), AY_ERR_UNSUPPORTED);
    h[4] = 1;
    struct ay_pkey *k = NULL;
    assert_int_equal(ay_hcl_report_parse(&d, ay_span_of(h, sizeof h), &r), AY_OK);
    assert_int_equal(ay_hcl_ak_pub(&d, r.var_data, &k), AY_ERR_MALFORMED); /* no HCLAkPub */
    assert_null(k);
}

/* A Cocos SNP policy (FORMATS.md 6.3) over accepted az-snp-vtpm evidence: the SNP report's
 * fields and pcr_values against the quoted PCRs (forge: PCR i is 32 bytes of value i, PCR8
 * zeros). */
static ay_err cocos(const struct opts *o, const char *policy, char *msg, size_t msglen)
{
    struct ay_arena *arena = NULL;
    struct ay_ctx ctx;
    char *ev = forge_ctx(o, &arena, &ctx);
    struct ay_cocos_policy *p = NULL;
    assert_int_equal(ay_arena_alloc(arena, sizeof *p, (void **)&p), AY_OK);
    if (ay_cocos_policy_parse(&ctx.diag, ay_span_of(policy, strlen(policy)), p) != AY_OK) {
        fail_msg("policy %s: %s", policy, ay_diag_message(&ctx.diag));
    }
    ay_err e = ay_cocos_policy_check_az_snp_vtpm(&ctx, p, ay_span_of(ev, strlen(ev)));
    (void)snprintf(msg, msglen, "%s", e == AY_OK ? "" : ay_diag_message(&ctx.diag));
    ay_arena_free(arena);
    free(ev);
    return e;
}

static void test_cocos_policy(void **state)
{
    (void)state;
    char msg[512];
    char pass[512];
    char fail[512];
    uint8_t three[32];
    memset(three, 3, sizeof three);
    char *p3 = hex(three, sizeof three);
    (void)snprintf(pass, sizeof pass,
                   "{\"policy\":{\"vmpl\":0},\"pcr_values\":{\"sha256\":{\"3\":\"%s\"}}}", p3);
    p3[63] = '4';
    (void)snprintf(fail, sizeof fail, "{\"pcr_values\":{\"sha256\":{\"3\":\"%s\"}}}", p3);
    free(p3);
    for (int v = 0; v <= 2; v++) {
        struct opts o = good(v);
        assert_int_equal(run(&o, nonce, NONCE_LEN, NULL, NULL), AY_OK);
        assert_int_equal(cocos(&o, pass, msg, sizeof msg), AY_OK);
        assert_int_equal(cocos(&o, fail, msg, sizeof msg), AY_ERR_POLICY_DENIED);
        assert_non_null(strstr(msg, "pcr_values.sha256[3]"));
        assert_int_equal(cocos(&o, "{\"policy\":{\"vmpl\":2}}", msg, sizeof msg),
                         AY_ERR_POLICY_DENIED);
        assert_non_null(strstr(msg, "vmpl"));
        /* a map for another bank than the quote's (SHA-256) checks nothing */
        assert_int_equal(cocos(&o,
                               "{\"pcr_values\":{\"sha1\":{\"3\":"
                               "\"0000000000000000000000000000000000000000\"}}}",
                               msg, sizeof msg),
                         AY_OK);
    }
    /* Evidence the verifier would refuse is not read either: a PCR value that does not match
     * the quoted digest, a TDX HCL report. */
    struct opts o = good(1);
    o.pcr_mismatch = true;
    assert_int_not_equal(cocos(&o, pass, msg, sizeof msg), AY_OK);
    o = good(1);
    o.report_type = AY_HCL_TYPE_TDX;
    assert_int_equal(cocos(&o, pass, msg, sizeof msg), AY_ERR_VERIFY);
    assert_non_null(strstr(msg, "is not SNP"));
    /* not JSON at all */
    struct ay_arena *arena = NULL;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    struct ay_cocos_policy *p = NULL;
    assert_int_equal(ay_arena_alloc(arena, sizeof *p, (void **)&p), AY_OK);
    assert_int_equal(ay_cocos_policy_parse(&ctx.diag, ay_span_of("{}", 2), p), AY_OK);
    assert_int_equal(ay_cocos_policy_check_az_snp_vtpm(&ctx, p, ay_span_of("[1,", 3)),
                     AY_ERR_MALFORMED);
    ay_arena_free(arena);
}

/* AY_HCL_MAX_VAR_DATA at the limit and one past it. */
static void test_hcl_var_data_limit(void **state)
{
    (void)state;
    size_t n = 0x4D4 + AY_HCL_MAX_VAR_DATA + 1;
    uint8_t *h = calloc(1, n);
    assert_non_null(h);
    memcpy(h, "HCLA", 4);
    h[4] = 2;
    h[0x4C8] = 2;
    h[0x4CC] = 1;
    for (size_t extra = 0; extra <= 1; extra++) {
        uint32_t vl = (uint32_t)(AY_HCL_MAX_VAR_DATA + extra);
        for (size_t b = 0; b < 4; b++) {
            h[0x4C0 + b] = (uint8_t)((vl + 20) >> (8 * b));
            h[0x4D0 + b] = (uint8_t)(vl >> (8 * b));
        }
        struct ay_diag d;
        ay_diag_clear(&d);
        struct ay_hcl_report r;
        assert_int_equal(ay_hcl_report_parse(&d, ay_span_of(h, n), &r),
                         extra == 0 ? AY_OK : AY_ERR_LIMIT);
    }
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_all_versions),  cmocka_unit_test(test_bindings),
        cmocka_unit_test(test_signatures_and_chain), cmocka_unit_test(test_hcl_parser),
        cmocka_unit_test(test_hcl_var_data_limit),  cmocka_unit_test(test_cocos_policy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
