/* SPDX-License-Identifier: Apache-2.0 */
/* Manifest item C1 (Hygon CSV, report V1): a reject because the HSK/CEK of chip
 * KPA64911240507 is not offline; its `checks` must still hold (HRK self-signature, report
 * signature by the PEK) and its `expected` facts are compared. Also the pinned HRK against
 * roots/hygon/hrk.cert. Skips, saying so, when the shared folder is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "crypto/crypto_digest.h"
#include "tee/tee.h"
#include "tee/tee_csv.h"
#include "testlib.h"

static uint8_t *load(const char *rel, size_t *n)
{
    char path[1024];
    if (ay_test_shared() == NULL || !ay_test_shared_path(rel, path, sizeof path)) {
        return NULL;
    }
    return ay_test_read_file(path, n);
}

#define NEED(p)                                                 \
    do {                                                        \
        if ((p) == NULL) {                                      \
            print_message("SKIP: shared CSV vectors absent\n"); \
            skip();                                             \
        }                                                       \
    } while (0)

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", p[i]);
    }
}

/* The embedded HRK is byte-identical to the vector root and has the documented digest. */
static void test_pinned_hrk(void **state)
{
    (void)state;
    uint8_t md[32];
    assert_int_equal(ay_hash(AY_HASH_SHA256, ay_hygon_hrk, AY_CSV_CA_CERT_LEN, md), AY_OK);
    char h[65];
    hex(md, 32, h);
    assert_string_equal(h, "296efa97580464aca0ab5eefe42199ee05862182508d1629f29cf4dc175b10cd");
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_csv_ca_cert hrk;
    assert_int_equal(ay_csv_ca_cert_parse(&d, ay_span_of(ay_hygon_hrk, AY_CSV_CA_CERT_LEN), &hrk),
                     AY_OK);
    hex(hrk.kid, 16, h);
    assert_string_equal(h, "3ae86a9701355cce333a589de21583d7");
    assert_int_equal(hrk.uid_size, 13);
    assert_memory_equal(hrk.user_id, "HYGON-SSD-HRK", 13);
    /* C1 check hrk_self_signature. */
    assert_int_equal(ay_csv_ca_verify(&d, &hrk, &hrk), AY_OK);
    size_t n = 0;
    uint8_t *root = load("vectors/roots/hygon/hrk.cert", &n);
    NEED(root);
    assert_int_equal(n, AY_CSV_CA_CERT_LEN);
    assert_memory_equal(root, ay_hygon_hrk, AY_CSV_CA_CERT_LEN);
    free(root);
}

static void test_c1(void **state)
{
    (void)state;
    size_t en = 0;
    size_t pn = 0;
    uint8_t *ev = load("vectors/csv/C1/csv_evidence.json", &en);
    uint8_t *pek_bin = load("vectors/csv/C1/pek.cert", &pn);
    NEED(ev);
    NEED(pek_bin);
    struct ay_diag d;
    ay_diag_clear(&d);
    json_t *root = json_loadb((const char *)ev, en, 0, NULL);
    assert_non_null(root);
    /* The JSON PEK re-serialises to the derived binary file. */
    uint8_t pek_bytes[AY_CSV_CERT_LEN];
    assert_int_equal(
        ay_csv_cert_from_json(&d, json_object_get(json_object_get(root, "cert_chain"), "pek"),
                              pek_bytes),
        AY_OK);
    assert_int_equal(pn, AY_CSV_CERT_LEN);
    assert_memory_equal(pek_bytes, pek_bin, AY_CSV_CERT_LEN);
    struct ay_csv_cert pek;
    assert_int_equal(ay_csv_cert_parse(&d, ay_span_of(pek_bytes, AY_CSV_CERT_LEN), &pek), AY_OK);
    assert_int_equal(pek.usage, 0x1002);
    assert_int_equal(pek.uid_size, 13);
    assert_memory_equal(pek.user_id, "HYGON-SSD-PEK", 13);
    assert_int_equal(pek.sig[0].usage, 0x1004);
    assert_int_equal(pek.sig[1].usage, 0x1001);
    /* The report facts. */
    json_t *rep = json_object_get(root, "attestation_report");
    json_t *data = json_object_get(rep, "data");
    uint8_t *bytes = malloc(AY_CSV_REPORT_DATA_LEN);
    uint8_t magic[16] = {0};
    for (size_t i = 0; i < AY_CSV_REPORT_DATA_LEN; i++) {
        bytes[i] = (uint8_t)json_integer_value(json_array_get(data, i));
    }
    struct ay_csv_report *r = malloc(sizeof *r);
    assert_int_equal(ay_csv_report_parse(&d, ay_span_of(magic, 16), 0,
                                         ay_span_of(bytes, AY_CSV_REPORT_DATA_LEN), r),
                     AY_OK);
    assert_int_equal(r->version, 1);
    assert_int_equal(r->anonce, 0x5dc7d726);
    assert_int_equal(r->sig_usage, 0x1002);
    assert_int_equal(r->sig_algo, 4);
    assert_int_equal(r->policy, 0x45);
    assert_int_equal(r->signed_part.len, 0xb4);
    char h[129];
    hex(r->mnonce, 16, h);
    assert_string_equal(h, "ad998a845c45cf30944d1c285629e768");
    hex(r->measure, 32, h);
    assert_string_equal(h, "ae2a2cf1f41a485fa37bf9ae92f678783c59fbc79de7b5d237743d58f5538034");
    for (size_t i = 0; i < 64; i++) {
        assert_int_equal(r->report_data[i], 0);
    }
    for (size_t i = 0; i < 16; i++) {
        assert_int_equal(r->vm_id[i] | r->vm_version[i], 0);
    }
    /* C1 check report_signature_by_pek. */
    assert_int_equal(ay_csv_report_verify(&d, r, &pek), AY_OK);
    /* One flipped signed byte breaks it. */
    bytes[100] ^= 1;
    struct ay_csv_report *r2 = malloc(sizeof *r2);
    assert_int_equal(ay_csv_report_parse(&d, ay_span_of(magic, 16), 0,
                                         ay_span_of(bytes, AY_CSV_REPORT_DATA_LEN), r2),
                     AY_OK);
    assert_int_equal(ay_csv_report_verify(&d, r2, &pek), AY_ERR_BAD_SIGNATURE);
    /* The signer block holds the same PEK and the chip serial, in clear. */
    assert_memory_equal(r->signer_pek, pek_bytes, AY_CSV_CERT_LEN);
    assert_memory_equal(r->serial, "KPA64911240507", 15);
    free(r2);
    free(r);
    free(bytes);
    /* The verdict: reject, no CEK offline; the message says why. */
    struct ay_arena *a = NULL;
    ay_arena_new(8 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_endorsement e = {.name = "pek.cert", .bytes = ay_span_of(pek_bin, pn)};
    struct ay_tee_input in = {
        .evidence = ay_span_of(ev, en), .endorsements = &e, .n_endorsements = 1};
    json_t *claims = NULL;
    assert_int_equal(ay_tee_csv_verify(&ctx, &in, &claims), AY_ERR_BAD_CHAIN);
    assert_null(claims);
    print_message("note: C1 rejected: %s\n", ay_diag_message(&ctx.diag));
    assert_non_null(strstr(ay_diag_message(&ctx.diag), "KPA64911240507"));
    ay_arena_free(a);
    json_decref(root);
    free(ev);
    free(pek_bin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pinned_hrk),
        cmocka_unit_test(test_c1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
