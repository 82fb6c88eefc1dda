/* SPDX-License-Identifier: Apache-2.0 */
/* `az-tdx-vtpm` against evidence forged at test time: a TD quote from the generated Intel-shaped
 * PKI (crypto_dcap_testpki.h, pinned through ay_dcap_test_set_root) whose REPORT_DATA binds the
 * HCL var_data, and a TPM quote by the var_data's HCLAkPub. Passing and failing cases for the
 * TD quote, the var_data binding, the nonce, the report type, and init data; v0 and v1/v2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/rsa.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_ctx.h"
#include "base/base_mem.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_digest.h"
#include "crypto/crypto_x509.h"
#include "crypto_dcap_testpki.h"
#include "tee/tee.h"
#include "tee/tee_azure.h"
#include "tee/tee_dcap.h"
#include "testlib.h"

static struct tpki pki;
static EVP_PKEY *ak;
static const struct tpck pck = {
    .comp = {5, 5, 5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0},
    .pcesvn = 11,
    .fmspc = {0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00},
    .pceid = {0, 0},
};

static int setup(void **state)
{
    (void)state;
    (void)&tpki_doc; /* helpers of the shared header this test does not need */
    tpki_init(&pki, &pck, 0);
    struct tw der = {0};
    struct ay_diag d;
    struct ay_x509 *root = NULL;
    ay_diag_clear(&d);
    tpki_root_der(&pki, &der);
    ay_err e = ay_x509_parse(&d, ay_span_of(der.p, der.n), &root);
    free(der.p);
    if (e != AY_OK) {
        return -1;
    }
    ay_dcap_test_set_root(root);
    ay_x509_free(root);
    ak = EVP_RSA_gen(2048);
    return ak != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ay_dcap_test_set_root(NULL);
    tpki_free(&pki);
    EVP_PKEY_free(ak);
    return 0;
}

static char *hexs(const uint8_t *p, size_t n)
{
    char *h = malloc(2 * n + 1);
    ay_hex_encode(p, n, h);
    return h;
}

struct opts {
    int version;
    uint32_t report_type;
    bool unbound;    /* TD quote REPORT_DATA not the var_data hash */
    bool flip_quote; /* TD quote signature broken */
    bool no_td_quote;
};

static const uint8_t nonce[] = "tdx-nonce";
#define NONCE_LEN 9

static void le32(uint8_t *p, uint32_t v)
{
    for (size_t i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static char *forge(const struct opts *o)
{
    BIGNUM *n = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(ak, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    uint8_t mod[256];
    assert_int_equal(BN_bn2binpad(n, mod, 256), 256);
    BN_free(n);
    char var[1024];
    /* user-data: hex of the nonce, then more bytes (v2 checks the prefix) */
    char *nb2 = ay_test_b64(AY_B64_URL_NOPAD, mod, 256);
    char *ud = hexs(nonce, NONCE_LEN);
    int vl =
        snprintf(var, sizeof var,
                 "{\"keys\":[{\"kid\":\"HCLAkPub\",\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"%s\"}],"
                 "\"user-data\":\"%s00\"}",
                 nb2, ud);
    ay_free(nb2);
    free(ud);
    assert_true(vl > 0 && (size_t)vl < sizeof var);
    /* TD quote v4 with REPORT_DATA = SHA-256(var_data) || zeros */
    struct tquote_opts qo;
    memset(&qo, 0, sizeof qo);
    qo.version = 4;
    uint8_t svn[16] = {5, 0, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
    memcpy(qo.tee_tcb_svn, svn, 16);
    assert_int_equal(ay_hash(AY_HASH_SHA256, var, (size_t)vl, qo.report_data), AY_OK);
    if (o->unbound) {
        qo.report_data[0] ^= 1;
    }
    qo.qe_isvsvn = 4;
    qo.qe_isvprodid = 2;
    struct tw q;
    struct tquote_layout lay;
    tquote_build(&pki, &qo, &q, &lay);
    if (o->flip_quote) {
        q.p[lay.sig] ^= 1;
    }
    /* HCL report */
    static uint8_t hcl[0x4D4 + 1024];
    memset(hcl, 0, sizeof hcl);
    le32(hcl, AY_HCL_SIGNATURE);
    le32(hcl + 4, 2);
    le32(hcl + 8, (uint32_t)(0x4D4 + vl));
    le32(hcl + 12, 2);
    le32(hcl + 0x4C0, (uint32_t)(20 + vl));
    le32(hcl + 0x4C4, 1);
    le32(hcl + 0x4C8, o->report_type);
    le32(hcl + 0x4CC, 1);
    le32(hcl + 0x4D0, (uint32_t)vl);
    memcpy(hcl + 0x4D4, var, (size_t)vl);
    size_t hl = 0x4D4 + (size_t)vl;
    /* TPM quote */
    uint8_t pcr[24][32];
    memset(pcr, 0, sizeof pcr);
    uint8_t dg[32];
    assert_int_equal(ay_hash(AY_HASH_SHA256, pcr, sizeof pcr, dg), AY_OK);
    uint8_t att[256];
    static const uint8_t head[] = {0xff, 0x54, 0x43, 0x47, 0x80, 0x18, 0x00, 0x02, 0x00, 0x0b};
    size_t al = sizeof head;
    memcpy(att, head, al);
    att[al++] = 0;
    att[al++] = NONCE_LEN;
    memcpy(att + al, nonce, NONCE_LEN);
    al += NONCE_LEN;
    memset(att + al, 0, 25);
    al += 25;
    static const uint8_t sel[] = {0, 0, 0, 1, 0x00, 0x0b, 3, 0xff, 0xff, 0xff, 0x00, 0x20};
    memcpy(att + al, sel, sizeof sel);
    al += sizeof sel;
    memcpy(att + al, dg, 32);
    al += 32;
    uint8_t sig[256];
    size_t sl = sizeof sig;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, ak), 1);
    assert_int_equal(EVP_DigestSign(m, sig, &sl, att, al), 1);
    EVP_MD_CTX_free(m);
    json_t *j;
    if (o->version == 0) {
        json_t *pcrs = json_array();
        for (unsigned i = 0; i < 24; i++) {
            json_t *a = json_array();
            for (size_t b = 0; b < 32; b++) {
                json_array_append_new(a, json_integer(0));
            }
            json_array_append_new(pcrs, a);
        }
        json_t *sa = json_array();
        json_t *ma = json_array();
        json_t *ha = json_array();
        json_t *qa = json_array();
        for (size_t b = 0; b < sl; b++) {
            json_array_append_new(sa, json_integer(sig[b]));
        }
        for (size_t b = 0; b < al; b++) {
            json_array_append_new(ma, json_integer(att[b]));
        }
        for (size_t b = 0; b < hl; b++) {
            json_array_append_new(ha, json_integer(hcl[b]));
        }
        for (size_t b = 0; b < q.n; b++) {
            json_array_append_new(qa, json_integer(q.p[b]));
        }
        j = json_pack("{s:{s:o,s:o,s:o},s:o,s:o}", "tpm_quote", "signature", sa, "message", ma,
                      "pcrs", pcrs, "hcl_report", ha, "td_quote", qa);
    } else {
        json_t *pcrs = json_array();
        for (unsigned i = 0; i < 24; i++) {
            char *h = hexs(pcr[i], 32);
            json_array_append_new(pcrs, json_string(h));
            free(h);
        }
        char *sh = hexs(sig, sl);
        char *mh = hexs(att, al);
        char *hb = ay_test_b64(AY_B64_URL_NOPAD, hcl, hl);
        char *qb = ay_test_b64(AY_B64_URL_NOPAD, q.p, q.n);
        j = json_pack("{s:i,s:{s:s,s:s,s:o},s:s}", "version", o->version, "tpm_quote", "signature",
                      sh, "message", mh, "pcrs", pcrs, "hcl_report", hb);
        if (!o->no_td_quote) {
            json_object_set_new(j, "td_quote", json_string(qb));
        }
        free(sh);
        free(mh);
        ay_free(hb);
        ay_free(qb);
    }
    free(q.p);
    assert_non_null(j);
    char *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return out;
}

static ay_err run(const struct opts *o, const uint8_t *rd, size_t rdl, json_t **claims)
{
    char *ev = forge(o);
    struct ay_arena *arena = NULL;
    ay_arena_new(1 << 22, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    ctx.now = TPKI_T0;
    struct ay_span rds = ay_span_of(rd, rdl);
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(ev, strlen(ev));
    in.report_data = rd != NULL ? &rds : NULL;
    json_t *c = NULL;
    ay_err e = ay_tee_find("az-tdx-vtpm")->verify(&ctx, &in, &c);
    if (e != AY_OK) {
        print_message("az-tdx-vtpm: %s\n", ay_diag_message(&ctx.diag));
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

static struct opts good(int v)
{
    struct opts o;
    memset(&o, 0, sizeof o);
    o.version = v;
    o.report_type = AY_HCL_TYPE_TDX;
    return o;
}

static void test_accept(void **state)
{
    (void)state;
    for (int v = 0; v <= 2; v++) {
        struct opts o = good(v);
        json_t *c = NULL;
        assert_int_equal(run(&o, nonce, NONCE_LEN, &c), AY_OK);
        assert_string_equal(json_string_value(json_object_get(c, "report_data")),
                            "7464782d6e6f6e6365");
        assert_non_null(
            json_object_get(json_object_get(json_object_get(c, "quote"), "body"), "mr_td"));
        assert_string_equal(json_string_value(json_object_get(c, "tcb_status")), "Unknown");
        assert_non_null(json_object_get(json_object_get(c, "tpm"), "pcr08"));
        json_decref(c);
    }
}

static void test_reject(void **state)
{
    (void)state;
    struct opts o = good(1);
    o.unbound = true;
    assert_int_equal(run(&o, nonce, NONCE_LEN, NULL), AY_ERR_BINDING);
    o = good(1);
    o.flip_quote = true;
    assert_int_not_equal(run(&o, nonce, NONCE_LEN, NULL), AY_OK);
    o = good(1);
    o.no_td_quote = true;
    assert_int_equal(run(&o, nonce, NONCE_LEN, NULL), AY_ERR_MALFORMED);
    o = good(1);
    o.report_type = AY_HCL_TYPE_SNP;
    assert_int_equal(run(&o, nonce, NONCE_LEN, NULL), AY_ERR_VERIFY);
    o = good(2);
    assert_int_equal(run(&o, (const uint8_t *)"tdx-noncf", NONCE_LEN, NULL), AY_ERR_BINDING);
    assert_int_equal(run(&o, NULL, 0, NULL), AY_ERR_BINDING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_reject),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
