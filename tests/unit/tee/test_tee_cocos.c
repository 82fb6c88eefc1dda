/* SPDX-License-Identifier: Apache-2.0 */
/* The Cocos policy JSON (FORMATS.md 6.1, 6.3) against reports built at test time: every field
 * with a passing and a failing case (the failure names the field and both values), protojson
 * spellings (camelCase / snake_case, base64 std / URL / unpadded, 64-bit numbers as strings,
 * enums by name or number, null = unset), malformed policies, and the protobuf wire reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/base_cursor.h"
#include "base/base_err.h"
#include "crypto/crypto_digest.h"
#include "tee/tee_cocos.h"
#include "tee/tee_dcap.h"
#include "testlib.h"

static struct ay_cocos_policy pol;
static struct ay_diag diag;

/* A report that satisfies every "passing" policy below. */
static void base_report(struct ay_snp_report *r)
{
    memset(r, 0, sizeof *r);
    r->version = 3;
    r->guest_svn = 5;
    r->policy = 0x30000; /* SMT + reserved bit, ABI 0.0 */
    r->vmpl = 2;
    r->current_tcb = r->reported_tcb = r->committed_tcb = r->launch_tcb = 0xd50e000000000003ull;
    r->platform_info = 0x25; /* SMT_EN, ECC_EN, ALIAS_CHECK_COMPLETE */
    r->current_major = 1;
    r->current_minor = 55;
    r->current_build = 8;
    r->committed_major = 1;
    r->committed_minor = 55;
    r->committed_build = 8;
    memset(r->report_id_ma, 0xff, 32);
    memset(r->measurement, 0xa0, 48);
    memset(r->chip_id, 0x1a, 64);
    memset(r->report_data, 0x42, 64);
    memset(r->id_key_digest, 0x1d, 48);
    memset(r->author_key_digest, 0xaa, 48);
}

static ay_err parse(const char *json)
{
    ay_diag_clear(&diag);
    return ay_cocos_policy_parse(&diag, ay_span_of(json, strlen(json)), &pol);
}

/* Parses json (must succeed) and checks r; on denial the message must name `field`. */
static ay_err check(const char *json, const struct ay_snp_report *r, const char *field)
{
    if (parse(json) != AY_OK) {
        fail_msg("policy %s: %s", json, ay_diag_message(&diag));
    }
    ay_diag_clear(&diag);
    ay_err e = ay_cocos_policy_check_snp(&diag, &pol, r, AY_SNP_PRODUCT_MILAN, NULL);
    if (e != AY_OK && field != NULL && strstr(ay_diag_message(&diag), field) == NULL) {
        fail_msg("message \"%s\" does not name %s", ay_diag_message(&diag), field);
    }
    return e;
}

#define PASS(json, r)        assert_int_equal(check(json, r, NULL), AY_OK)
#define DENY(json, r, field) assert_int_equal(check(json, r, field), AY_ERR_POLICY_DENIED)

static void test_guest_svn(void **state)
{
    (void)state;
    struct ay_snp_report r;
    base_report(&r);
    PASS("{\"policy\":{\"minimumGuestSvn\":5}}", &r);
    PASS("{\"policy\":{\"minimum_guest_svn\":\"4\"}}", &r);
    DENY("{\"policy\":{\"minimumGuestSvn\":6}}", &r,
         "minimum_guest_svn: report GUEST_SVN 5 vs "
         "policy 6");
}

static void test_guest_policy(void **state)
{
    (void)state;
    struct ay_snp_report r;
    base_report(&r);
    PASS("{\"policy\":{\"policy\":\"196608\"}}", &r);
    PASS("{\"policy\":{\"policy\":196608}}", &r);
    /* ABI: the report's must be >= the policy's. */
    DENY("{\"policy\":{\"policy\":\"196864\"}}", &r, "ABI 0.0 is below policy ABI 1.0");
    r.policy = 0x30102;
    PASS("{\"policy\":{\"policy\":\"196864\"}}", &r);
    /* Bits the report may set only when allowed. */
    base_report(&r);
    r.policy |= 1ull << 19;
    DENY("{\"policy\":{\"policy\":\"196608\"}}", &r, "DEBUG");
    PASS("{\"policy\":{\"policy\":\"720896\"}}", &r); /* 0xB0000 allows DEBUG */
    base_report(&r);
    DENY("{\"policy\":{\"policy\":\"131072\"}}", &r, "SMT"); /* 0x20000: SMT not allowed */
    r.policy |= 1ull << 18;
    DENY("{\"policy\":{\"policy\":\"196608\"}}", &r, "MIGRATE_MA");
    /* Bits the policy demands. */
    base_report(&r);
    DENY("{\"policy\":{\"policy\":\"1245184\"}}", &r, "SINGLE_SOCKET"); /* 0x130000 */
    r.policy |= 1ull << 20;
    PASS("{\"policy\":{\"policy\":\"1245184\"}}", &r);
    PASS("{\"policy\":{\"policy\":\"196608\"}}", &r); /* the report may add SINGLE_SOCKET */
    base_report(&r);
    DENY("{\"policy\":{\"policy\":\"4390912\"}}", &r, "MEM_AES_256_XTS"); /* 0x430000 */
    DENY("{\"policy\":{\"policy\":\"8585216\"}}", &r, "RAPL_DIS");        /* 0x830000 */
}

static void test_byte_fields(void **state)
{
    (void)state;
    struct ay_snp_report r;
    base_report(&r);
    /* family_id / image_id: zeros in the report */
    PASS("{\"policy\":{\"familyId\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}}", &r);
    DENY("{\"policy\":{\"familyId\":\"AQAAAAAAAAAAAAAAAAAAAA==\"}}", &r,
         "family_id: report 00000000000000000000000000000000 vs policy 0100");
    PASS("{\"policy\":{\"image_id\":\"AAAAAAAAAAAAAAAAAAAAAA\"}}", &r); /* unpadded */
    DENY("{\"policy\":{\"imageId\":\"AQAAAAAAAAAAAAAAAAAAAA==\"}}", &r, "image_id");
    /* report_id_ma all-FF (no migration agent), in URL-safe base64 */
    PASS("{\"policy\":{\"reportIdMa\":\"__________________________________________8\"}}", &r);
    DENY("{\"policy\":{\"reportIdMa\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}}", &r,
         "report_id_ma");
    PASS("{\"policy\":{\"reportId\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}}", &r);
    DENY("{\"policy\":{\"report_id\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}}", &r,
         "report_id");
    /* measurement: 48 x 0xa0 */
    PASS("{\"policy\":{\"measurement\":"
         "\"oKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCg"
         "oKCg\"}}",
         &r);
    DENY("{\"policy\":{\"measurement\":"
         "\"oKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCg"
         "oKCh\"}}",
         &r, "measurement");
    /* host_data zeros */
    PASS("{\"policy\":{\"hostData\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}}", &r);
    DENY("{\"policy\":{\"host_data\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}}", &r,
         "host_data");
    /* chip_id 64 x 0x1a */
    PASS("{\"policy\":{\"chipId\":\"GhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoa"
         "GhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGg==\"}}",
         &r);
    DENY("{\"policy\":{\"chipId\":\"GxoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoa"
         "GhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGg==\"}}",
         &r, "chip_id");
    /* report_data 64 x 0x42 */
    PASS("{\"policy\":{\"reportData\":\"QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC"
         "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQg==\"}}",
         &r);
    DENY("{\"policy\":{\"reportData\":\"Q0JCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC"
         "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQg==\"}}",
         &r, "report_data");
    /* null and empty = unset */
    PASS("{\"policy\":{\"measurement\":null,\"hostData\":\"\"}}", &r);
    /* the injected report data replaces the policy's */
    assert_int_equal(parse("{\"policy\":{\"reportData\":\"Q0JCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC"
                           "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQg==\"}}"),
                     AY_OK);
    uint8_t rd[64];
    memset(rd, 0x42, sizeof rd);
    struct ay_span rds = ay_span_of(rd, 64);
    assert_int_equal(ay_cocos_policy_check_snp(&diag, &pol, &r, AY_SNP_PRODUCT_MILAN, &rds), AY_OK);
    rd[63] = 0;
    assert_int_equal(ay_cocos_policy_check_snp(&diag, &pol, &r, AY_SNP_PRODUCT_MILAN, &rds),
                     AY_ERR_POLICY_DENIED);
}

static void test_vmpl(void **state)
{
    (void)state;
    struct ay_snp_report r;
    base_report(&r);
    PASS("{\"policy\":{\"vmpl\":2}}", &r);
    DENY("{\"policy\":{\"vmpl\":0}}", &r, "vmpl: report 2 vs policy 0");
}

static void test_tcb(void **state)
{
    (void)state;
    struct ay_snp_report r;
    base_report(&r);
    /* 0xd50e000000000003 = 15352208179752599555 (above 2^63: only as a string) */
    PASS("{\"policy\":{\"minimumTcb\":\"15352208179752599555\"}}", &r);
    PASS("{\"policy\":{\"minimum_tcb\":3}}", &r);
    /* snp SVN 0x0f > 0x0e */
    DENY("{\"policy\":{\"minimumTcb\":\"15352489654729310211\"}}", &r,
         "minimum_tcb: report 0xd50e000000000003 is below policy 0xd50f000000000003");
    /* component-wise: a higher microcode does not make up for a lower bootloader */
    DENY("{\"policy\":{\"minimumTcb\":\"4\"}}", &r, "minimum_tcb");
    PASS("{\"policy\":{\"minimumLaunchTcb\":\"15352208179752599555\"}}", &r);
    r.launch_tcb = 0xd50e000000000002ull;
    DENY("{\"policy\":{\"minimumLaunchTcb\":\"15352208179752599555\"}}", &r, "minimum_launch_tcb");
    /* always on: REPORTED_TCB <= CURRENT_TCB */
    base_report(&r);
    r.reported_tcb = 0xd50f000000000003ull;
    DENY("{}", &r, "REPORTED_TCB");
}

static void test_platform_info(void **state)
{
    (void)state;
    struct ay_snp_report r;
    base_report(&r);
    PASS("{\"policy\":{\"platformInfo\":\"37\"}}", &r); /* 0x25 */
    PASS("{\"policy\":{\"platform_info\":37}}", &r);
    DENY("{\"policy\":{\"platformInfo\":\"36\"}}", &r, "SMT_EN"); /* SMT not allowed */
    r.platform_info |= 2;                                         /* TSME */
    DENY("{\"policy\":{\"platformInfo\":\"37\"}}", &r, "TSME_EN");
    base_report(&r);
    DENY("{\"policy\":{\"platformInfo\":\"45\"}}", &r, "RAPL_DIS"); /* 0x2d requires RAPL_DIS */
}

static void test_keys(void **state)
{
    (void)state;
    struct ay_snp_report r;
    base_report(&r);
    /* 48 x 0xaa and 48 x 0x1d, base64 */
    const char *aa = "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq";
    const char *id = "HR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0d";
    char js[512];
    (void)snprintf(js, sizeof js,
                   "{\"policy\":{\"requireAuthorKey\":true,\"trustedAuthorKeyHashes\":[\"%s\"]}}",
                   aa);
    DENY(js, &r, "require_author_key"); /* AUTHOR_KEY_EN = 0 */
    r.key_info = 1;
    PASS(js, &r);
    r.author_key_digest[0] = 0;
    DENY(js, &r, "require_author_key");
    base_report(&r);
    (void)snprintf(js, sizeof js,
                   "{\"policy\":{\"require_id_block\":true,\"trusted_id_key_hashes\":[\"%s\"]}}",
                   id);
    PASS(js, &r);
    r.id_key_digest[47] = 0;
    DENY(js, &r, "require_id_block");
    /* a trusted author key also satisfies require_id_block */
    r.key_info = 1;
    (void)snprintf(js, sizeof js,
                   "{\"policy\":{\"requireIdBlock\":true,\"trustedAuthorKeyHashes\":[\"%s\"]}}",
                   aa);
    PASS(js, &r);
    /* a hash of the wrong length is malformed */
    assert_int_equal(parse("{\"policy\":{\"trustedIdKeyHashes\":[\"AAAA\"]}}"), AY_ERR_MALFORMED);
}

static void test_firmware(void **state)
{
    (void)state;
    struct ay_snp_report r;
    base_report(&r);
    PASS("{\"policy\":{\"minimumBuild\":8}}", &r);
    DENY("{\"policy\":{\"minimumBuild\":9}}", &r,
         "minimum_build: report CURRENT_BUILD 8 vs "
         "policy 9");
    PASS("{\"policy\":{\"minimumVersion\":\"1.55\"}}", &r);
    PASS("{\"policy\":{\"minimum_version\":\"0.255\"}}", &r);
    DENY("{\"policy\":{\"minimumVersion\":\"1.56\"}}", &r,
         "minimum_version: report 1.55 vs "
         "policy 1.56");
    /* committed 1.55.7 < current 1.55.8 (as in S8) */
    r.committed_build = 7;
    DENY("{\"policy\":{}}", &r, "permit_provisional_firmware");
    PASS("{\"policy\":{\"permitProvisionalFirmware\":true}}", &r);
    r.committed_build = 9; /* committed above current: never */
    DENY("{\"policy\":{\"permitProvisionalFirmware\":true}}", &r, "committed 1.55.9 above");
    base_report(&r);
    r.committed_tcb = 0xd50d000000000003ull;
    DENY("{\"policy\":{\"permit_provisional_firmware\":false}}", &r, "COMMITTED_TCB");
    PASS("{\"policy\":{\"permit_provisional_firmware\":true}}", &r);
    r.committed_tcb = 0xd50f000000000003ull;
    DENY("{\"policy\":{\"permit_provisional_firmware\":true}}", &r, "COMMITTED_TCB");
}

static void test_product(void **state)
{
    (void)state;
    struct ay_snp_report r;
    base_report(&r);
    PASS("{\"policy\":{\"product\":{\"name\":\"SEV_PRODUCT_MILAN\"}}}", &r);
    PASS("{\"policy\":{\"product\":{\"name\":1}}}", &r);
    DENY("{\"policy\":{\"product\":{\"name\":\"SEV_PRODUCT_GENOA\"}}}", &r,
         "product.name: report Milan vs policy Genoa");
    PASS("{\"rootOfTrust\":{\"productLine\":\"Milan\"}}", &r);
    DENY("{\"root_of_trust\":{\"product_line\":\"Turin\"}}", &r, "product_line");
    DENY("{\"rootOfTrust\":{\"product\":\"Genoa\"}}", &r, "product_line");
    r.has_cpuid = true;
    r.cpuid_step = 1;
    PASS("{\"policy\":{\"product\":{\"name\":1,\"machineStepping\":1}}}", &r);
    DENY("{\"policy\":{\"product\":{\"name\":1,\"machine_stepping\":0}}}", &r, "machine_stepping");
    /* product unknown (v2 report without CPUID): not checked */
    assert_int_equal(parse("{\"policy\":{\"product\":{\"name\":\"SEV_PRODUCT_GENOA\"}}}"), AY_OK);
    assert_int_equal(ay_cocos_policy_check_snp(&diag, &pol, &r, AY_SNP_PRODUCT_UNKNOWN, NULL),
                     AY_OK);
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "not json",
        "[]",
        "{\"policy\":[]}",
        "{\"policy\":{\"measurement\":\"AAAA\"}}",            /* 3 bytes, want 48 */
        "{\"policy\":{\"measurement\":\"!!\"}}",              /* not base64 */
        "{\"policy\":{\"policy\":\"65536\"}}",                /* bit 17 clear */
        "{\"policy\":{\"policy\":\"18446744073709551615\"}}", /* bits 63:26 set */
        "{\"policy\":{\"vmpl\":4}}",
        "{\"policy\":{\"vmpl\":\"x\"}}",
        "{\"policy\":{\"minimumTcb\":-1}}",
        "{\"policy\":{\"minimumTcb\":\"0x10\"}}",
        "{\"policy\":{\"minimumTcb\":\"18446744073709551616\"}}",
        "{\"policy\":{\"minimumBuild\":256}}",
        "{\"policy\":{\"minimumVersion\":\"1\"}}",
        "{\"policy\":{\"minimumVersion\":\"1.256\"}}",
        "{\"policy\":{\"permitProvisionalFirmware\":1}}",
        "{\"policy\":{\"product\":{\"name\":\"SEV_PRODUCT_ROME\"}}}",
        "{\"policy\":{\"product\":{\"name\":9}}}",
        "{\"rootOfTrust\":{\"checkCrl\":true,\"disallowNetwork\":true}}",
        "{\"pcr_values\":{\"sha256\":{\"24\":\"00\"}}}",
        "{\"pcr_values\":{\"sha256\":{\"0\":\"00\"}}}",
        "{\"pcr_values\":{\"sha1\":[]}}",
        "{\"policy\":{\"vmpl\":1,\"vmpl\":2}}", /* duplicate key */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ay_err e = parse(bad[i]);
        if (e == AY_OK) {
            fail_msg("accepted: %s", bad[i]);
        }
    }
    /* unknown keys are ignored and counted */
    assert_int_equal(parse("{\"policy\":{\"vmpl\":1,\"eat\":{}},\"extra\":1}"), AY_OK);
    assert_int_equal(pol.n_unknown_keys, 2);
    assert_true(pol.has_vmpl);
}

static void test_pcrs(void **state)
{
    (void)state;
    assert_int_equal(parse("{\"pcr_values\":{\"sha1\":{\"7\":\"0707070707070707070707070707070707"
                           "070707\"},\"sha384\":null}}"),
                     AY_OK);
    struct ay_tpm_pcrs p;
    memset(&p, 0, sizeof p);
    p.hash = AY_TPM_ALG_SHA1;
    p.len = 20;
    p.present[7] = true;
    memset(p.value[7], 7, 20);
    assert_int_equal(ay_cocos_policy_check_pcrs(&diag, &pol, &p), AY_OK);
    p.value[7][19] = 8;
    assert_int_equal(ay_cocos_policy_check_pcrs(&diag, &pol, &p), AY_ERR_POLICY_DENIED);
    assert_non_null(strstr(ay_diag_message(&diag), "pcr_values.sha1[7]: report "));
    p.present[7] = false;
    ay_diag_clear(&diag);
    assert_int_equal(ay_cocos_policy_check_pcrs(&diag, &pol, &p), AY_ERR_POLICY_DENIED);
    /* a bank without entries checks nothing */
    p.hash = AY_TPM_ALG_SHA384;
    p.len = 48;
    assert_int_equal(ay_cocos_policy_check_pcrs(&diag, &pol, &p), AY_OK);
}

static void test_protobuf_reader(void **state)
{
    (void)state;
    struct ay_cur c;
    struct ay_pb_field f;
    /* field 1 varint 300, field 2 LEN "hi", field 3 fixed32, field 4 fixed64 */
    static const uint8_t ok[] = {0x08, 0xac, 0x02, 0x12, 0x02, 'h', 'i', 0x1d, 1, 0, 0,
                                 0,    0x21, 2,    0,    0,    0,   0,   0,    0, 0};
    ay_cur_init(&c, ay_span_of(ok, sizeof ok));
    assert_int_equal(ay_pb_next(&c, &f), AY_OK);
    assert_int_equal(f.number, 1);
    assert_int_equal(f.varint, 300);
    assert_int_equal(ay_pb_next(&c, &f), AY_OK);
    assert_int_equal(f.wire, AY_PB_LEN);
    assert_int_equal(f.data.len, 2);
    assert_int_equal(ay_pb_next(&c, &f), AY_OK);
    assert_int_equal(f.varint, 1);
    assert_int_equal(ay_pb_next(&c, &f), AY_OK);
    assert_int_equal(f.varint, 2);
    assert_int_equal(ay_cur_left(&c), 0);
    /* failures leave the cursor unchanged */
    static const uint8_t past[] = {0x12, 0x05, 'a'};
    ay_cur_init(&c, ay_span_of(past, sizeof past));
    assert_int_equal(ay_pb_next(&c, &f), AY_ERR_TRUNCATED);
    assert_int_equal(ay_cur_pos(&c), 0);
    static const uint8_t group[] = {0x0b};
    ay_cur_init(&c, ay_span_of(group, sizeof group));
    assert_int_equal(ay_pb_next(&c, &f), AY_ERR_MALFORMED);
    static const uint8_t field0[] = {0x00, 0x01};
    ay_cur_init(&c, ay_span_of(field0, sizeof field0));
    assert_int_equal(ay_pb_next(&c, &f), AY_ERR_MALFORMED);
    static const uint8_t longv[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0x02};
    ay_cur_init(&c, ay_span_of(longv, sizeof longv));
    assert_int_equal(ay_pb_next(&c, &f), AY_ERR_MALFORMED);
    assert_int_equal(ay_cur_pos(&c), 0);
    static const uint8_t maxv[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0x01};
    ay_cur_init(&c, ay_span_of(maxv, sizeof maxv));
    assert_int_equal(ay_pb_next(&c, &f), AY_OK);
    assert_int_equal(f.varint, UINT64_MAX);
    /* an Attestation without quotes is refused */
    struct ay_gotpm_attestation *a = malloc(sizeof *a);
    static const uint8_t akonly[] = {0x0a, 0x01, 0x00};
    assert_int_equal(ay_gotpm_attestation_parse(&diag, ay_span_of(akonly, sizeof akonly), a),
                     AY_ERR_MALFORMED);
    free(a);
}

/* trusted_author_keys / trusted_id_keys given as DER certificates: the key hash is SHA-384 of the
 * AMD public-key format (FORMATS.md 6.1), computed here independently with OpenSSL. */
static void test_keys_as_certs(void **state)
{
    (void)state;
    EVP_PKEY *k = EVP_EC_gen("P-384");
    assert_non_null(k);
    X509 *x = X509_new();
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(X509_set_pubkey(x, k), 1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), 0));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), 2000000000));
    X509_NAME *n = X509_NAME_new();
    assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"author", -1, -1, 0),
                     1);
    assert_int_equal(X509_set_subject_name(x, n), 1);
    assert_int_equal(X509_set_issuer_name(x, n), 1);
    X509_NAME_free(n);
    assert_true(X509_sign(x, k, EVP_sha384()) > 0);
    uint8_t *der = NULL;
    int dl = i2d_X509(x, &der);
    assert_true(dl > 0);
    /* expected: {curve u32 LE = 2, Qx 72 LE, Qy 72 LE, zeros} to 0x404 bytes */
    BIGNUM *qx = NULL;
    BIGNUM *qy = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &qx), 1);
    assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &qy), 1);
    uint8_t amd[0x404];
    memset(amd, 0, sizeof amd);
    amd[0] = 2;
    assert_int_equal(BN_bn2lebinpad(qx, amd + 4, 72), 72);
    assert_int_equal(BN_bn2lebinpad(qy, amd + 4 + 72, 72), 72);
    BN_free(qx);
    BN_free(qy);
    struct ay_snp_report r;
    base_report(&r);
    assert_int_equal(ay_hash(AY_HASH_SHA384, amd, sizeof amd, r.author_key_digest), AY_OK);
    r.key_info = 1;
    char *b = malloc(4 * ((size_t)dl + 2) / 3 + 4);
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < (size_t)dl; i += 3) {
        uint32_t v = (uint32_t)der[i] << 16 | (i + 1 < (size_t)dl ? (uint32_t)der[i + 1] << 8 : 0) |
                     (i + 2 < (size_t)dl ? der[i + 2] : 0);
        b[o++] = a[(v >> 18) & 63];
        b[o++] = a[(v >> 12) & 63];
        b[o++] = i + 1 < (size_t)dl ? a[(v >> 6) & 63] : '=';
        b[o++] = i + 2 < (size_t)dl ? a[v & 63] : '=';
    }
    b[o] = '\0';
    char js[4096];
    (void)snprintf(js, sizeof js,
                   "{\"policy\":{\"requireAuthorKey\":true,\"trustedAuthorKeys\":[\"%s\"]}}", b);
    PASS(js, &r);
    r.author_key_digest[10] ^= 1;
    DENY(js, &r, "require_author_key");
    /* as a trusted ID key */
    base_report(&r);
    assert_int_equal(ay_hash(AY_HASH_SHA384, amd, sizeof amd, r.id_key_digest), AY_OK);
    (void)snprintf(js, sizeof js,
                   "{\"policy\":{\"require_id_block\":true,\"trusted_id_keys\":[\"%s\"]}}", b);
    PASS(js, &r);
    r.id_key_digest[0] ^= 1;
    DENY(js, &r, "require_id_block");
    /* a certificate that is not P-384 is refused when the policy is parsed */
    free(b);
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(k);
    assert_int_equal(parse("{\"policy\":{\"trustedIdKeys\":[\"MAA=\"]}}"), AY_ERR_MALFORMED);
}

/* ---- TDX policy ---- */

static struct ay_cocos_tdx_policy tpol;

static void base_quote(struct ay_dcap_quote *q)
{
    memset(q, 0, sizeof *q);
    q->version = 4;
    q->tee_type = AY_DCAP_TEE_TDX;
    memset(q->qe_vendor_id, 0x93, 16);
    static const uint8_t svn[16] = {6, 1, 3};
    memcpy(q->td.tee_tcb_svn, svn, 16);
    memset(q->td.mr_seam, 0x5b, 48);
    q->td.td_attributes[3] = 0x10; /* SEPT_VE_DISABLE (bit 28) */
    q->td.xfam[0] = 0xe7;          /* 0x602e7 */
    q->td.xfam[1] = 0x02;
    q->td.xfam[2] = 0x06;
    memset(q->td.mr_td, 0x91, 48);
    memset(q->td.mr_config_id, 0xc1, 48);
    memset(q->td.mr_owner, 0x0a, 48);
    memset(q->td.mr_owner_config, 0x0b, 48);
    for (size_t i = 0; i < 4; i++) {
        memset(q->td.rtmr[i], (int)(0x40 + i), 48);
    }
    memset(q->td.report_data, 0x42, 64);
}

static char *b64s(const uint8_t *p, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        out[o++] = a[(v >> 18) & 63];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? a[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static ay_err tdx_check(const char *json, const struct ay_dcap_quote *q, const char *field)
{
    ay_diag_clear(&diag);
    if (ay_cocos_tdx_policy_parse(&diag, ay_span_of(json, strlen(json)), &tpol) != AY_OK) {
        fail_msg("tdx policy %s: %s", json, ay_diag_message(&diag));
    }
    ay_err e = ay_cocos_tdx_policy_check(&diag, &tpol, q);
    if (e != AY_OK && field != NULL && strstr(ay_diag_message(&diag), field) == NULL) {
        fail_msg("message \"%s\" does not name %s", ay_diag_message(&diag), field);
    }
    return e;
}

/* One byte field of the body: passes with the quote's value, fails with one bit changed. */
static void tdx_field(const char *key, const char *field, const uint8_t *val, size_t n)
{
    struct ay_dcap_quote q;
    base_quote(&q);
    char b[128];
    char js[512];
    uint8_t other[64];
    (void)snprintf(js, sizeof js, "{\"policy\":{\"tdQuoteBodyPolicy\":{\"%s\":\"%s\"}}}", key,
                   b64s(val, n, b));
    assert_int_equal(tdx_check(js, &q, NULL), AY_OK);
    memcpy(other, val, n);
    other[n - 1] ^= 1;
    (void)snprintf(js, sizeof js, "{\"policy\":{\"tdQuoteBodyPolicy\":{\"%s\":\"%s\"}}}", key,
                   b64s(other, n, b));
    assert_int_equal(tdx_check(js, &q, field), AY_ERR_POLICY_DENIED);
}

static void test_tdx_policy_fields(void **state)
{
    (void)state;
    struct ay_dcap_quote q;
    base_quote(&q);
    tdx_field("mrSeam", "mr_seam", q.td.mr_seam, 48);
    tdx_field("tdAttributes", "td_attributes", q.td.td_attributes, 8);
    tdx_field("mrTd", "mr_td", q.td.mr_td, 48);
    tdx_field("mr_config_id", "mr_config_id", q.td.mr_config_id, 48);
    tdx_field("mrOwner", "mr_owner", q.td.mr_owner, 48);
    tdx_field("mrOwnerConfig", "mr_owner_config", q.td.mr_owner_config, 48);
    tdx_field("reportData", "report_data", q.td.report_data, 64);
    /* xfam: flipping bit 56 also breaks the always-on rule; the field is named either way */
    tdx_field("xfam", "xfam", q.td.xfam, 8);
    /* header: qe_vendor_id exact; SVN minimums against the (zero) reserved bytes */
    char b[64];
    char js[512];
    (void)snprintf(js, sizeof js, "{\"policy\":{\"headerPolicy\":{\"qeVendorId\":\"%s\"}}}",
                   b64s(q.qe_vendor_id, 16, b));
    assert_int_equal(tdx_check(js, &q, NULL), AY_OK);
    q.qe_vendor_id[0] = 0;
    assert_int_equal(tdx_check(js, &q, "qe_vendor_id"), AY_ERR_POLICY_DENIED);
    base_quote(&q);
    assert_int_equal(tdx_check("{\"policy\":{\"headerPolicy\":{\"minimumQeSvn\":0}}}", &q, NULL),
                     AY_OK);
    assert_int_equal(
        tdx_check("{\"policy\":{\"headerPolicy\":{\"minimumQeSvn\":1}}}", &q, "minimum_qe_svn"),
        AY_ERR_POLICY_DENIED);
    assert_int_equal(tdx_check("{\"policy\":{\"header_policy\":{\"minimum_pce_svn\":1}}}", &q,
                               "minimum_pce_svn"),
                     AY_ERR_POLICY_DENIED);
    /* minimum_tee_tcb_svn: byte-wise minimum */
    assert_int_equal(tdx_check("{\"policy\":{\"tdQuoteBodyPolicy\":{\"minimumTeeTcbSvn\":"
                               "\"BgEDAAAAAAAAAAAAAAAAAA==\"}}}",
                               &q, NULL),
                     AY_OK);
    assert_int_equal(tdx_check("{\"policy\":{\"tdQuoteBodyPolicy\":{\"minimumTeeTcbSvn\":"
                               "\"BgIA\"}}}",
                               &q, "minimum_tee_tcb_svn"),
                     AY_ERR_POLICY_DENIED);
    /* rtmrs: 4 entries, empty = unchecked */
    char r1[80];
    (void)snprintf(js, sizeof js,
                   "{\"policy\":{\"tdQuoteBodyPolicy\":{\"rtmrs\":[\"\",\"%s\",\"\",\"\"]}}}",
                   b64s(q.td.rtmr[1], 48, r1));
    assert_int_equal(tdx_check(js, &q, NULL), AY_OK);
    q.td.rtmr[1][0] ^= 1;
    assert_int_equal(tdx_check(js, &q, "rtmrs[1]"), AY_ERR_POLICY_DENIED);
    base_quote(&q);
    /* any_mr_td */
    uint8_t other[48];
    memset(other, 0x11, 48);
    char o1[80];
    (void)snprintf(js, sizeof js,
                   "{\"policy\":{\"tdQuoteBodyPolicy\":{\"anyMrTd\":[\"%s\",\"%s\"]}}}",
                   b64s(other, 48, o1), b64s(q.td.mr_td, 48, r1));
    assert_int_equal(tdx_check(js, &q, NULL), AY_OK);
    q.td.mr_td[0] ^= 1;
    assert_int_equal(tdx_check(js, &q, "any_mr_td"), AY_ERR_POLICY_DENIED);
    base_quote(&q);
    /* always-on rules and the debug check */
    q.td.td_attributes[0] = 1; /* DEBUG: allowed by the always-on rule */
    assert_int_equal(tdx_check("{}", &q, NULL), AY_OK);
    assert_int_equal(tdx_check("{\"policy\":{\"tdQuoteBodyPolicy\":{\"enableTdDebugCheck\":true}}}",
                               &q, "enable_td_debug_check"),
                     AY_ERR_POLICY_DENIED);
    q.td.td_attributes[0] = 2; /* bit 1: not allowed */
    assert_int_equal(tdx_check("{}", &q, "td_attributes"), AY_ERR_POLICY_DENIED);
    base_quote(&q);
    q.td.xfam[0] = 0xe4; /* bits 0-1 clear */
    assert_int_equal(tdx_check("{}", &q, "xfam"), AY_ERR_POLICY_DENIED);
    /* malformed: rtmrs must have 4 entries */
    static const char bad_rtmrs[] = "{\"policy\":{\"tdQuoteBodyPolicy\":{\"rtmrs\":[\"\"]}}}";
    ay_diag_clear(&diag);
    assert_int_equal(
        ay_cocos_tdx_policy_parse(&diag, ay_span_of(bad_rtmrs, strlen(bad_rtmrs)), &tpol),
        AY_ERR_MALFORMED);
    base_quote(&q);
    assert_int_equal(
        tdx_check("{\"policy\":{\"tdQuoteBodyPolicy\":{\"eat\":1}},\"x\":2}", &q, NULL), AY_OK);
    assert_int_equal(tpol.n_unknown_keys, 2);
}

/* AY_COCOS_MAX_QUOTES quotes are read; one more is AY_ERR_LIMIT. */
static void test_gotpm_quote_limit(void **state)
{
    (void)state;
    uint8_t buf[3 + 2 * (AY_COCOS_MAX_QUOTES + 1)];
    struct ay_gotpm_attestation *a = malloc(sizeof *a);
    for (size_t extra = 0; extra <= 1; extra++) {
        size_t n = 0;
        buf[n++] = 0x0a; /* 1: ak_pub, 1 byte */
        buf[n++] = 0x01;
        buf[n++] = 0x00;
        for (size_t i = 0; i < AY_COCOS_MAX_QUOTES + extra; i++) {
            buf[n++] = 0x12; /* 2: an empty Quote */
            buf[n++] = 0x00;
        }
        ay_diag_clear(&diag);
        assert_int_equal(ay_gotpm_attestation_parse(&diag, ay_span_of(buf, n), a),
                         extra == 0 ? AY_OK : AY_ERR_LIMIT);
        if (extra == 0) {
            assert_int_equal(a->n_quotes, AY_COCOS_MAX_QUOTES);
        }
    }
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guest_svn),
        cmocka_unit_test(test_guest_policy),
        cmocka_unit_test(test_byte_fields),
        cmocka_unit_test(test_vmpl),
        cmocka_unit_test(test_tcb),
        cmocka_unit_test(test_platform_info),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_firmware),
        cmocka_unit_test(test_product),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_pcrs),
        cmocka_unit_test(test_protobuf_reader),
        cmocka_unit_test(test_tdx_policy_fields),
        cmocka_unit_test(test_keys_as_certs),
        cmocka_unit_test(test_gotpm_quote_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
