/* SPDX-License-Identifier: Apache-2.0 */
/* crypto.x509.parse_certificates / parse_and_verify_certificates / parse_certificate_request /
 * parse_keypair / parse_rsa_private_key and crypto.parse_private_keys (OPA folders
 * cryptox509*, cryptoparsersaprivatekeys). A root CA, a leaf with subjectAltNames, a CSR and the
 * keys are made with OpenSSL at test time; the expected fields follow Go's encoding/json of
 * x509.Certificate as OPA returns it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "codec/codec_b64.h"
#include "test_rego_bi_common.h"

static EVP_PKEY *root_key, *leaf_key, *rsa_key;
static char root_pem[4096], leaf_pem[4096], csr_pem[4096], rsa_pem[8192], ec_key_pem[1024];

static void bio_to(BIO *bio, char *out, size_t cap)
{
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    assert_true(n > 0 && (size_t)n < cap);
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    BIO_free(bio);
}

static void add_ext(X509 *issuer, X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(e);
    assert_int_equal(X509_add_ext(x, e, -1), 1);
    X509_EXTENSION_free(e);
}

static X509 *make_cert(const char *cn, const char *org, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key, long serial, bool ca, const char *san)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    /* 2020-01-01 .. 2099-01-01 */
    ASN1_TIME_set_string(X509_getm_notBefore(x), "20200101000000Z");
    ASN1_TIME_set_string(X509_getm_notAfter(x), "20990101000000Z");
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_ASC, (const unsigned char *)"GB", -1, -1, 0);
    X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : nm);
    X509_set_pubkey(x, key);
    add_ext(issuer != NULL ? issuer : x, x, NID_basic_constraints,
            ca ? "critical,CA:TRUE" : "CA:FALSE");
    add_ext(issuer != NULL ? issuer : x, x, NID_key_usage,
            ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    if (san != NULL) {
        add_ext(issuer != NULL ? issuer : x, x, NID_subject_alt_name, san);
    }
    assert_true(X509_sign(x, issuer_key, EVP_sha256()) > 0);
    return x;
}

static int setup(void **state)
{
    (void)state;
    ay_arena_new((size_t)256 * 1024 * 1024, &bt_arena);
    root_key = EVP_EC_gen("P-256");
    leaf_key = EVP_EC_gen("P-256");
    rsa_key = EVP_RSA_gen(2048);
    assert_non_null(root_key);
    assert_non_null(leaf_key);
    assert_non_null(rsa_key);
    X509 *root = make_cert("Test Root CA", "Assay", root_key, NULL, root_key, 1, true, NULL);
    X509 *leaf =
        make_cert("leaf.example", "Assay Leaf", leaf_key, root, root_key, 0x1234567890LL, false,
                  "DNS:leaf.example,DNS:alt.example,URI:spiffe://example.com/opa,"
                  "IP:10.0.0.1,email:a@example.com");
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, root);
    bio_to(bio, root_pem, sizeof root_pem);
    bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, leaf);
    bio_to(bio, leaf_pem, sizeof leaf_pem);

    X509_REQ *req = X509_REQ_new();
    X509_REQ_set_version(req, 0);
    X509_NAME *nm = X509_REQ_get_subject_name(req);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"example.com", -1, -1,
                               0);
    X509_REQ_set_pubkey(req, leaf_key);
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    sk_X509_EXTENSION_push(
        exts, X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, "DNS:csr.example"));
    X509_REQ_add_extensions(req, exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    assert_true(X509_REQ_sign(req, leaf_key, EVP_sha256()) > 0);
    bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509_REQ(bio, req);
    bio_to(bio, csr_pem, sizeof csr_pem);
    X509_REQ_free(req);

    bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, rsa_key, NULL, NULL, 0, NULL, NULL);
    bio_to(bio, rsa_pem, sizeof rsa_pem);
    bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, leaf_key, NULL, NULL, 0, NULL, NULL);
    bio_to(bio, ec_key_pem, sizeof ec_key_pem);
    X509_free(root);
    X509_free(leaf);
    return 0;
}

static int teardown(void **state)
{
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(rsa_key);
    return bt_teardown(state);
}

/* JSON-escapes s into a JSON string literal (with the quotes). */
static const char *jstr(const char *s)
{
    static char out[4][24576];
    static int slot;
    char *o = out[slot++ % 4];
    size_t k = 0;
    o[k++] = '"';
    for (; *s != '\0'; s++) {
        assert_true(k + 4 < sizeof out[0]);
        if (*s == '\n') {
            o[k++] = '\\';
            o[k++] = 'n';
        } else {
            o[k++] = *s;
        }
    }
    o[k++] = '"';
    o[k] = '\0';
    return o;
}

/* The result of name(args) as a value, for field checks. */
static struct ay_val callv(const char *name, const char *args_json)
{
    struct ay_diag diag;
    ay_diag_clear(&diag);
    struct ay_val args;
    assert_int_equal(ay_val_parse_json(bt_arena, args_json, strlen(args_json), 0, &diag, &args),
                     AY_OK);
    const struct ay_rego_bi *bi = ay_rego_bi_find(name, strlen(name), args.len);
    assert_non_null(bi);
    struct ay_rego_bctx bc = {bt_arena, &diag, bt_now_ns, name, NULL};
    struct ay_val out = ay_val_undef();
    ay_err err = bi->fn(&bc, args.u.items, args.len, &out);
    if (err != AY_OK) {
        print_error("%s: %s\n", name, ay_diag_message(&diag));
    }
    assert_int_equal(err, AY_OK);
    return out;
}

static const char *field_text(struct ay_val v, const char *path)
{
    char key[64];
    while (*path != '\0') {
        const char *dot = strchr(path, '.');
        size_t n = dot != NULL ? (size_t)(dot - path) : strlen(path);
        memcpy(key, path, n);
        key[n] = '\0';
        const struct ay_val *f = ay_val_obj_get_str(v, key, n);
        assert_non_null(f);
        v = *f;
        path += n + (dot != NULL ? 1 : 0);
    }
    struct ay_buf b;
    ay_buf_init(&b, NULL, sizeof bt_out - 1);
    ay_val_write_term(&b, v);
    assert_int_equal(ay_buf_finish(&b), AY_OK);
    memcpy(bt_out, b.ptr, b.len + 1);
    ay_buf_free(&b);
    return bt_out;
}

static void test_parse_certificates(void **state)
{
    (void)state;
    char args[16384];
    (void)snprintf(args, sizeof args, "[%s]", jstr(leaf_pem));
    struct ay_val certs = callv("crypto.x509.parse_certificates", args);
    assert_int_equal(certs.kind, AY_V_ARR);
    assert_int_equal(certs.len, 1);
    struct ay_val c = certs.u.items[0];
    assert_string_equal(field_text(c, "Subject.CommonName"), "\"leaf.example\"");
    assert_string_equal(field_text(c, "Subject.Organization"), "[\"Assay Leaf\"]");
    assert_string_equal(field_text(c, "Subject.Country"), "[\"GB\"]");
    assert_string_equal(field_text(c, "Subject.Locality"), "null");
    assert_string_equal(field_text(c, "Issuer.CommonName"), "\"Test Root CA\"");
    assert_string_equal(field_text(c, "DNSNames"), "[\"leaf.example\", \"alt.example\"]");
    assert_string_equal(field_text(c, "URIStrings"), "[\"spiffe://example.com/opa\"]");
    assert_string_equal(field_text(c, "IPAddresses"), "[\"10.0.0.1\"]");
    assert_string_equal(field_text(c, "EmailAddresses"), "[\"a@example.com\"]");
    assert_string_equal(field_text(c, "SerialNumber"), "78187493520");
    assert_string_equal(field_text(c, "NotBefore"), "\"2020-01-01T00:00:00Z\"");
    assert_string_equal(field_text(c, "NotAfter"), "\"2099-01-01T00:00:00Z\"");
    assert_string_equal(field_text(c, "Version"), "3");
    assert_string_equal(field_text(c, "IsCA"), "false");
    assert_string_equal(field_text(c, "KeyUsage"), "1");
    assert_string_equal(field_text(c, "PublicKeyAlgorithm"), "3");

    /* a chain in one PEM string, and the same as base64 of the PEM */
    char both[8192];
    (void)snprintf(both, sizeof both, "%s%s", leaf_pem, root_pem);
    (void)snprintf(args, sizeof args, "[%s]", jstr(both));
    certs = callv("crypto.x509.parse_certificates", args);
    assert_int_equal(certs.len, 2);
    assert_string_equal(field_text(certs.u.items[1], "IsCA"), "true");
    assert_string_equal(field_text(certs.u.items[1], "URIStrings"), "null");
    assert_string_equal(field_text(certs.u.items[1], "KeyUsage"), "96");
    struct ay_buf b;
    ay_buf_init(&b, NULL, sizeof args);
    ay_buf_puts(&b, "[\"");
    ay_b64_encode(AY_B64_STD, (const uint8_t *)both, strlen(both), &b);
    ay_buf_puts(&b, "\"]");
    assert_int_equal(ay_buf_finish(&b), AY_OK);
    certs = callv("crypto.x509.parse_certificates", b.ptr);
    ay_buf_free(&b);
    assert_int_equal(certs.len, 2);

    static const struct bt_case c2[] = {
        {"crypto.x509.parse_certificates", "[\"foobar\"]", "error:illegal base64 data"},
        {"crypto.x509.parse_certificates", "[\"YmFkc3RyaW5n\"]",
         "error:x509: malformed certificate"},
        {"crypto.x509.parse_certificates",
         "[\"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n\"]",
         "error:x509: malformed certificate"},
        {"crypto.x509.parse_certificates", "[1]", "error:operand 1 must be string"},
    };
    bt_run(c2, sizeof c2 / sizeof c2[0]);
}

static void test_parse_and_verify(void **state)
{
    (void)state;
    char both[8192], args[16384];
    /* OPA: the first certificate is the root, the last the leaf; the chain comes back leaf
     * first */
    (void)snprintf(both, sizeof both, "%s%s", root_pem, leaf_pem);
    (void)snprintf(args, sizeof args, "[%s]", jstr(both));
    struct ay_val r = callv("crypto.x509.parse_and_verify_certificates", args);
    assert_int_equal(r.kind, AY_V_ARR);
    assert_string_equal(field_text(r.u.items[0], ""), "true");
    assert_int_equal(r.u.items[1].len, 2);
    assert_string_equal(field_text(r.u.items[1].u.items[0], "Subject.CommonName"),
                        "\"leaf.example\"");
    assert_string_equal(field_text(r.u.items[1].u.items[1], "Subject.CommonName"),
                        "\"Test Root CA\"");
    /* wrong order, a single certificate, garbage: [false, []] */
    (void)snprintf(both, sizeof both, "%s%s", leaf_pem, root_pem);
    (void)snprintf(args, sizeof args, "[%s]", jstr(both));
    assert_string_equal(bt_call("crypto.x509.parse_and_verify_certificates", args), "[false, []]");
    (void)snprintf(args, sizeof args, "[%s]", jstr(root_pem));
    assert_string_equal(bt_call("crypto.x509.parse_and_verify_certificates", args), "[false, []]");
    assert_string_equal(bt_call("crypto.x509.parse_and_verify_certificates", "[\"foobar\"]"),
                        "[false, []]");
}

static void test_csr_and_keys(void **state)
{
    (void)state;
    char args[16384];
    (void)snprintf(args, sizeof args, "[%s]", jstr(csr_pem));
    struct ay_val r = callv("crypto.x509.parse_certificate_request", args);
    assert_string_equal(field_text(r, "Subject.CommonName"), "\"example.com\"");
    assert_string_equal(field_text(r, "DNSNames"), "[\"csr.example\"]");
    static const struct bt_case c[] = {
        {"crypto.x509.parse_certificate_request", "[\"foobar\"]", "error:illegal base64"},
        {"crypto.x509.parse_certificate_request", "[\"YmFkc3RyaW5n\"]",
         "error:asn1: structure error"},
        {"crypto.x509.parse_rsa_private_key", "[\"invalid\"]", "error:illegal base64"},
        {"crypto.x509.parse_rsa_private_key", "[\"-----BEGIN X-----\\nAA==\\n-----END X-----\"]",
         "error:failed to parse PEM data"},
        {"crypto.parse_private_keys", "[\"\"]", "null"},
        {"crypto.parse_private_keys", "[\"nope\"]", "[]"},
    };
    bt_run(c, sizeof c / sizeof c[0]);

    (void)snprintf(args, sizeof args, "[%s]", jstr(rsa_pem));
    r = callv("crypto.x509.parse_rsa_private_key", args);
    assert_string_equal(field_text(r, "kty"), "\"RSA\"");
    assert_string_equal(field_text(r, "e"), "\"AQAB\"");
    assert_int_equal(r.len, 9);
    r = callv("crypto.parse_private_keys", args);
    assert_int_equal(r.len, 1);
    assert_string_equal(field_text(r.u.items[0], "E"), "65537");

    /* keypair: the leaf and its key match; the root's certificate does not */
    (void)snprintf(args, sizeof args, "[%s, %s]", jstr(leaf_pem), jstr(ec_key_pem));
    r = callv("crypto.x509.parse_keypair", args);
    assert_int_equal(ay_val_obj_get_str(r, "Certificate", 11)->len, 1);
    (void)snprintf(args, sizeof args, "[%s, %s]", jstr(root_pem), jstr(ec_key_pem));
    assert_non_null(strstr(bt_call("crypto.x509.parse_keypair", args),
                           "private key does not match public key"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_certificates),
        cmocka_unit_test(test_parse_and_verify),
        cmocka_unit_test(test_csr_and_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
