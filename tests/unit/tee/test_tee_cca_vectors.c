/* SPDX-License-Identifier: Apache-2.0 */
/* The CCA items of the shared vectors (manifest ids CCA*): Trustee's example token with its
 * TA store and fresh evidence re-signed with its RAK (CCA-KBS.md section 1.7), and the
 * rust-ccatoken tokens and claim sets. Skips, saying so, when the shared folder is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <cmocka.h>
#include <jansson.h>

#include "base/base_arena.h"
#include "base/base_ctx.h"
#include "crypto/crypto_cose.h"
#include "crypto/crypto_digest.h"
#include "tee/tee.h"
#include "tee/tee_cca.h"
#include "testlib.h"

static uint8_t *load(const char *rel, size_t *n)
{
    char path[1024];
    if (ay_test_shared() == NULL || !ay_test_shared_path(rel, path, sizeof path)) {
        return NULL;
    }
    uint8_t *p = ay_test_read_file(path, n);
    if (p == NULL) {
        print_message("note: %s is missing\n", rel);
    }
    return p;
}

struct vrun {
    struct ay_span evidence;
    struct ay_span ta;
    struct ay_span rv; /* rv-store, len 0 = none */
    struct ay_cca_appraisal appraisal;
    const uint8_t *report_data;
    size_t report_data_len;
    json_t *claims;
    char msg[AY_DIAG_MSG_MAX];
};

static ay_err verify(struct vrun *r)
{
    struct ay_arena *a = NULL;
    ay_arena_new(8 << 20, &a);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, a);
    struct ay_span rd = ay_span_of(r->report_data, r->report_data_len);
    struct ay_endorsement e[2] = {{.name = "ta-store", .bytes = r->ta},
                                  {.name = "rv-store", .bytes = r->rv}};
    struct ay_tee_input in = {.evidence = r->evidence,
                              .report_data = r->report_data ? &rd : NULL,
                              .endorsements = e,
                              .n_endorsements = r->rv.len ? 2 : (r->ta.len ? 1 : 0)};
    r->claims = NULL;
    ay_err err = ay_tee_cca_verify_ex(&ctx, &in, &r->claims, &r->appraisal);
    snprintf(r->msg, sizeof r->msg, "%s", ay_diag_message(&ctx.diag));
    ay_arena_free(a);
    return err;
}

#define NEED(p)                                                 \
    do {                                                        \
        if ((p) == NULL) {                                      \
            print_message("SKIP: shared CCA vectors absent\n"); \
            skip();                                             \
        }                                                       \
    } while (0)

/* CCA1: platform ES384 by the CPAK of tastore.json, realm ES384 by the RAK, platform challenge
 * = SHA-256 of the 97-byte RAK; claims with Trustee's names. */
static void test_cca1_trustee_token(void **state)
{
    (void)state;
    size_t tn = 0;
    size_t sn = 0;
    uint8_t *tok = load("vectors/cca/trustee/cca-example-token.cbor", &tn);
    uint8_t *ta = load("vectors/cca/trustee/tastore.json", &sn);
    NEED(tok);
    NEED(ta);
    struct vrun r = {.evidence = ay_span_of(tok, tn), .ta = ay_span_of(ta, sn)};
    ay_err e = verify(&r);
    if (e != AY_OK) {
        fail_msg("CCA1: %s", r.msg);
    }
    json_t *plat = json_object_get(r.claims, "platform");
    json_t *realm = json_object_get(r.claims, "realm");
    assert_string_equal(json_string_value(json_object_get(realm, "cca-realm-hash-algo-id")),
                        "sha-512");
    const char *ch = json_string_value(json_object_get(r.claims, "report_data"));
    assert_non_null(ch);
    assert_int_equal(strlen(ch), 128);
    assert_memory_equal(ch, "57e979ae", 8);
    /* RPV all zero (section 1.7). */
    const char *rpv = json_string_value(json_object_get(r.claims, "init_data"));
    for (size_t i = 0; i < 128; i++) {
        assert_int_equal(rpv[i], '0');
    }
    const char *rim = json_string_value(json_object_get(realm, "cca-realm-initial-measurement"));
    assert_non_null(rim);
    assert_int_equal(strlen(rim), 88); /* base64 of 64 bytes */
    /* instance-id 0107060504030201000f0e0d... in standard base64. */
    assert_string_equal(json_string_value(json_object_get(plat, "cca-platform-instance-id")),
                        "AQcGBQQDAgEADw4NDAsKCQgXFhUUExIREB8eHRwbGhkY");
    json_decref(r.claims);
    /* With rvstore.json: all 13 sw-components, the config and the RIM match (section 1.7);
     * the store lists the four all-zero REMs, so executables is 2. */
    size_t vn = 0;
    uint8_t *rv = load("vectors/cca/trustee/rvstore.json", &vn);
    NEED(rv);
    r.rv = ay_span_of(rv, vn);
    e = verify(&r);
    if (e != AY_OK) {
        fail_msg("CCA1 with rvstore.json: %s", r.msg);
    }
    /* The appraisal reaches the claims (cca.appraisal) as EAR submods a policy can use. */
    json_t *ap = json_object_get(json_object_get(r.claims, "appraisal"), "CCA_REALM");
    assert_string_equal(json_string_value(json_object_get(ap, "ear.status")), "affirming");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(ap, "ear.trustworthiness-vector"), "instance-identity")),
                     2);
    json_decref(r.claims);
    assert_true(r.appraisal.platform_matched);
    assert_true(r.appraisal.realm_matched);
    assert_int_equal(r.appraisal.platform.v[AY_TV_HARDWARE], 2);
    assert_int_equal(r.appraisal.platform.v[AY_TV_EXECUTABLES], 3);
    assert_int_equal(r.appraisal.realm.v[AY_TV_INSTANCE_IDENTITY], 2);
    print_message("note: CCA1 realm executables %d\n", r.appraisal.realm.v[AY_TV_EXECUTABLES]);
    /* rvstore.json of CCA2 (rust-ccatoken) does not know this platform: rejected. */
    size_t on = 0;
    uint8_t *other_rv = load("vectors/cca/rust-ccatoken/rv.json", &on);
    NEED(other_rv);
    r.rv = ay_span_of(other_rv, on);
    assert_int_equal(verify(&r), AY_ERR_VERIFY);
    assert_int_equal(r.appraisal.platform.v[AY_TV_HARDWARE], 97);
    free(other_rv);
    free(rv);
    r.rv = ay_span_of(NULL, 0);
    /* The fixed challenge cannot match a live nonce. */
    uint8_t nonce[64] = {1};
    r.report_data = nonce;
    r.report_data_len = 64;
    assert_int_equal(verify(&r), AY_ERR_BINDING);
    free(tok);
    free(ta);
}

/* Finds the realm challenge in the realm payload and replaces it, re-signing the realm
 * COSE_Sign1 with rak-priv.json, then splices it back (CCA-KBS.md section 1.7). */
static uint8_t *fresh_token(const uint8_t *tok, size_t tn, const json_t *rak_jwk,
                            const uint8_t challenge[64], size_t *out_n)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    cbor_item_t *coll_item = NULL;
    struct ay_cca_collection coll;
    assert_int_equal(ay_cca_collection_decode(&d, ay_span_of(tok, tn), &coll_item, &coll), AY_OK);
    cbor_item_t *rtok = NULL;
    struct ay_cose_sign1 rs;
    assert_int_equal(ay_cose_sign1_decode(&d, "realm", coll.realm, &rtok, &rs), AY_OK);
    cbor_item_t *rclaims = NULL;
    struct ay_cca_realm realm;
    assert_int_equal(ay_cca_realm_parse(&d, rs.payload, &rclaims, &realm), AY_OK);
    /* Same length, so the old challenge can be replaced in place in a copy of the token. */
    uint8_t *out = malloc(tn);
    memcpy(out, tok, tn);
    const uint8_t *old = realm.challenge.ptr;
    size_t pos = SIZE_MAX;
    for (size_t i = 0; i + 64 <= tn; i++) {
        if (memcmp(tok + i, old, 64) == 0) {
            pos = i;
            break;
        }
    }
    assert_true(pos != SIZE_MAX);
    memcpy(out + pos, challenge, 64);
    /* The new payload: the same bytes with the challenge replaced. */
    uint8_t *payload = malloc(rs.payload.len);
    memcpy(payload, rs.payload.ptr, rs.payload.len);
    size_t ppos = SIZE_MAX;
    for (size_t i = 0; i + 64 <= rs.payload.len; i++) {
        if (memcmp(payload + i, old, 64) == 0) {
            ppos = i;
            break;
        }
    }
    assert_true(ppos != SIZE_MAX);
    memcpy(payload + ppos, challenge, 64);
    struct ay_arena *a = NULL;
    ay_arena_new(1 << 20, &a);
    struct ay_span tbs;
    assert_int_equal(
        ay_cose_sig_structure(a, rs.protected_bytes, ay_span_of(payload, rs.payload.len), &tbs),
        AY_OK);
    struct ay_ec_priv *rak = NULL;
    assert_int_equal(ay_ec_priv_from_jwk(&d, rak_jwk, &rak), AY_OK);
    uint8_t sig[96];
    size_t slen = 0;
    assert_int_equal(ay_ec_priv_sign_rs(&d, rak, AY_HASH_SHA384, tbs, sig, sizeof sig, &slen),
                     AY_OK);
    assert_int_equal(slen, rs.signature.len);
    size_t spos = SIZE_MAX;
    for (size_t i = 0; i + slen <= tn; i++) {
        if (memcmp(tok + i, rs.signature.ptr, slen) == 0) {
            spos = i;
        }
    }
    assert_true(spos != SIZE_MAX);
    memcpy(out + spos, sig, slen);
    ay_ec_priv_free(rak);
    ay_arena_free(a);
    free(payload);
    cbor_decref(&rclaims);
    cbor_decref(&rtok);
    cbor_decref(&coll_item);
    *out_n = tn;
    return out;
}

/* CCA1 fresh evidence: the realm token re-signed with a new challenge verifies with exactly
 * that expected report data (both ways). */
static void test_cca1_fresh_evidence(void **state)
{
    (void)state;
    size_t tn = 0;
    size_t sn = 0;
    size_t kn = 0;
    uint8_t *tok = load("vectors/cca/trustee/cca-example-token.cbor", &tn);
    uint8_t *ta = load("vectors/cca/trustee/tastore.json", &sn);
    uint8_t *rakf = load("vectors/cca/trustee/rak-priv.json", &kn);
    NEED(tok);
    NEED(ta);
    NEED(rakf);
    json_t *jwk = json_loadb((const char *)rakf, kn, 0, NULL);
    assert_non_null(jwk);
    /* The KBS value: SHA-384(JCS(runtime data)) zero-padded to 64 (CCA-KBS.md section 3.3). */
    uint8_t digest[48];
    static const char jcs[] =
        "{\"additional-evidence\":\"\",\"nonce\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\","
        "\"tee-pubkey\":{\"alg\":\"ECDH-ES+A256KW\",\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":"
        "\"usWxHK2PmfnHKwXPS54m0kTcGJ90UiglWiGahtagnv8\",\"y\":\"IBOL-C3BttVivg-lSreASjpkttcsz-"
        "1rb7btKLv8EX4\"}}";
    assert_int_equal(ay_hash(AY_HASH_SHA384, jcs, strlen(jcs), digest), AY_OK);
    assert_int_equal(digest[0], 0xf3);
    assert_int_equal(digest[47], 0x12);
    uint8_t challenge[64] = {0};
    memcpy(challenge, digest, 48);
    size_t fn = 0;
    uint8_t *fresh = fresh_token(tok, tn, jwk, challenge, &fn);
    struct vrun r = {.evidence = ay_span_of(fresh, fn),
                     .ta = ay_span_of(ta, sn),
                     .report_data = digest,
                     .report_data_len = 48};
    ay_err e = verify(&r);
    if (e != AY_OK) {
        fail_msg("CCA1 fresh: %s", r.msg);
    }
    json_decref(r.claims);
    /* The original token does not bind to this nonce, and the fresh one not to another. */
    r.evidence = ay_span_of(tok, tn);
    assert_int_equal(verify(&r), AY_ERR_BINDING);
    uint8_t other[48];
    memcpy(other, digest, 48);
    other[0] ^= 1;
    r.evidence = ay_span_of(fresh, fn);
    r.report_data = other;
    assert_int_equal(verify(&r), AY_ERR_BINDING);
    /* A realm token changed without re-signing fails its signature. */
    uint8_t *forged = malloc(tn);
    memcpy(forged, tok, tn);
    for (size_t i = 0; i + 64 <= tn; i++) {
        if (memcmp(forged + i, fresh + i, 64) != 0 && memcmp(tok + i, fresh + i, 1) != 0) {
            memcpy(forged + i, fresh + i, 64); /* copy the new challenge only */
            break;
        }
    }
    r.evidence = ay_span_of(forged, tn);
    r.report_data = digest;
    assert_int_equal(verify(&r), AY_ERR_BAD_SIGNATURE);
    free(forged);
    free(fresh);
    json_decref(jwk);
    free(tok);
    free(ta);
    free(rakf);
}

/* CCA2: cca-token-01 with rv.json and ta.json, as the manifest pairs them. The pairing is
 * wrong for full verification, and this test records why:
 *  - the token's platform instance-id is 0107060504030201000f0e0d...1918 and its platform
 *    token is signed ES384 (protected header a1013822), while ta.json holds one P-256 key for
 *    instance-id 01aaaa...; no P-256 key can verify an ES384 signature, so ta.json can never
 *    authenticate this token: the CPAK lookup fails (instance identity 97) and we reject;
 *  - ta-tfa.json holds the TF-A development P-384 CPAK for instance-id 0107...1918 (the same
 *    key as Trustee's tastore.json, CCA-KBS.md section 1.4), and with it the token verifies.
 * The manifest's "accept" facts (decode ok, platform and realm reference values match rv.json)
 * hold, and are checked here with ta-tfa.json standing in for ta.json. */
static void test_cca2_token01(void **state)
{
    (void)state;
    size_t tn = 0;
    size_t sn = 0;
    size_t fn = 0;
    size_t vn = 0;
    uint8_t *tok = load("vectors/cca/rust-ccatoken/cca-token-01.cbor", &tn);
    uint8_t *ta = load("vectors/cca/rust-ccatoken/ta.json", &sn);
    uint8_t *tfa = load("vectors/cca/rust-ccatoken/ta-tfa.json", &fn);
    uint8_t *rv = load("vectors/cca/rust-ccatoken/rv.json", &vn);
    NEED(tok);
    NEED(ta);
    NEED(tfa);
    NEED(rv);
    struct ay_diag d;
    ay_diag_clear(&d);
    cbor_item_t *ci = NULL;
    struct ay_cca_collection coll;
    assert_int_equal(ay_cca_collection_decode(&d, ay_span_of(tok, tn), &ci, &coll), AY_OK);
    assert_int_equal(coll.tag, AY_CCA_TAG_LEGACY);
    cbor_decref(&ci);
    struct vrun r = {
        .evidence = ay_span_of(tok, tn), .ta = ay_span_of(ta, sn), .rv = ay_span_of(rv, vn)};
    assert_int_equal(verify(&r), AY_ERR_VERIFY);
    assert_non_null(strstr(r.msg, "no trust anchor"));
    assert_non_null(strstr(r.msg, "0107060504030201000f0e0d"));
    r.ta = ay_span_of(tfa, fn);
    ay_err e = verify(&r);
    if (e != AY_OK) {
        fail_msg("CCA2 with ta-tfa.json and rv.json: %s", r.msg);
    }
    json_decref(r.claims);
    /* rv.json's second platform entry (upper-case hex) and its realm entry (RIM and REMs all
     * zero, the "quick brown fox" personalization value) match. */
    assert_true(r.appraisal.platform_matched);
    assert_true(r.appraisal.realm_matched);
    assert_int_equal(r.appraisal.realm.v[AY_TV_EXECUTABLES], 2);
    assert_string_equal(ay_cca_tv_status(&r.appraisal.realm), "affirming");
    uint8_t ab[64];
    memset(ab, 0xab, sizeof ab);
    r.report_data = ab;
    r.report_data_len = 64;
    assert_int_equal(verify(&r), AY_OK);
    json_decref(r.claims);
    free(tok);
    free(ta);
    free(tfa);
    free(rv);
}

/* CCA3: cca-token-02 (ES256 P-256 CPAK) verifies with ta-02-ok; CCA3.bad-ta does not. */
static void test_cca3_token02(void **state)
{
    (void)state;
    size_t tn = 0;
    size_t on = 0;
    size_t bn = 0;
    uint8_t *tok = load("vectors/cca/rust-ccatoken/cca-token-02.cbor", &tn);
    uint8_t *ok = load("vectors/cca/rust-ccatoken/ta-02-ok.json", &on);
    uint8_t *bad = load("vectors/cca/rust-ccatoken/ta-02-bad.json", &bn);
    NEED(tok);
    NEED(ok);
    NEED(bad);
    struct vrun r = {.evidence = ay_span_of(tok, tn), .ta = ay_span_of(ok, on)};
    ay_err e = verify(&r);
    if (e != AY_OK) {
        fail_msg("CCA3: %s", r.msg);
    }
    json_decref(r.claims);
    r.ta = ay_span_of(bad, bn);
    e = verify(&r);
    assert_int_equal(e, AY_ERR_VERIFY);
    print_message("note: CCA3.bad-ta rejected: %s\n", r.msg);
    free(tok);
    free(ok);
    free(bad);
}

/* CCA4.bug33: the platform signature is valid, the realm binding is broken. */
static void test_cca4_bug33(void **state)
{
    (void)state;
    size_t tn = 0;
    size_t sn = 0;
    uint8_t *tok = load("vectors/cca/rust-ccatoken/bug-33-repro.cbor", &tn);
    uint8_t *ta = load("vectors/cca/rust-ccatoken/ta-tfa.json", &sn);
    NEED(tok);
    NEED(ta);
    struct vrun r = {.evidence = ay_span_of(tok, tn), .ta = ay_span_of(ta, sn)};
    ay_err e = verify(&r);
    assert_int_not_equal(e, AY_OK);
    print_message("note: CCA4.bug33 rejected: %s\n", r.msg);
    assert_null(strstr(r.msg, "platform token (CPAK)"));
    /* The platform signature alone verifies with the TF-A CPAK. */
    struct ay_diag d;
    ay_diag_clear(&d);
    cbor_item_t *ci = NULL;
    struct ay_cca_collection coll;
    assert_int_equal(ay_cca_collection_decode(&d, ay_span_of(tok, tn), &ci, &coll), AY_OK);
    cbor_item_t *pi = NULL;
    struct ay_cose_sign1 ps;
    assert_int_equal(ay_cose_sign1_decode(&d, "platform", coll.platform, &pi, &ps), AY_OK);
    json_t *doc = json_loadb((const char *)ta, sn, 0, NULL);
    struct ay_pkey *cpak = NULL;
    assert_int_equal(
        ay_cose_jwk_ec_pkey(&d, json_object_get(json_array_get(doc, 0), "pkey"), &cpak), AY_OK);
    struct ay_arena *a = NULL;
    ay_arena_new(1 << 20, &a);
    assert_int_equal(ay_cose_sign1_verify(&d, "platform", &ps, cpak, a), AY_OK);
    ay_arena_free(a);
    ay_pkey_free(cpak);
    json_decref(doc);
    cbor_decref(&pi);
    cbor_decref(&ci);
    free(tok);
    free(ta);
}

/* CCA5: realm claims without the mandatory challenge are refused; the good sets parse, and a
 * spurious text key is ignored (CCA-KBS.md section 1.2 "Other rules"). */
static void test_cca5_claim_sets(void **state)
{
    (void)state;

    static const struct {
        const char *file;
        bool realm;
        ay_err want;
    } cases[] = {
        {"vectors/cca/rust-ccatoken/realm-claims-missing-challenge.cbor", true, AY_ERR_MALFORMED},
        {"vectors/cca/rust-ccatoken/realm-claims.cbor", true, AY_OK},
        {"vectors/cca/rust-ccatoken/realm-claims+spurious-text-key.cbor", true, AY_OK},
        {"vectors/cca/rust-ccatoken/platform-claims.cbor", false, AY_OK},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = 0;
        uint8_t *p = load(cases[i].file, &n);
        NEED(p);
        struct ay_diag d;
        ay_diag_clear(&d);
        cbor_item_t *it = NULL;
        ay_err e;
        if (cases[i].realm) {
            struct ay_cca_realm r;
            e = ay_cca_realm_parse(&d, ay_span_of(p, n), &it, &r);
        } else {
            struct ay_cca_platform *pl = malloc(sizeof *pl);
            e = ay_cca_platform_parse(&d, ay_span_of(p, n), &it, pl);
            free(pl);
        }
        if (e != cases[i].want) {
            fail_msg("%s: got %s (%s)", cases[i].file, ay_err_name(e), ay_diag_message(&d));
        }
        if (e == AY_OK) {
            cbor_decref(&it);
        } else {
            assert_non_null(strstr(ay_diag_message(&d), "challenge"));
        }
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cca1_trustee_token), cmocka_unit_test(test_cca1_fresh_evidence),
        cmocka_unit_test(test_cca2_token01),       cmocka_unit_test(test_cca3_token02),
        cmocka_unit_test(test_cca4_bug33),         cmocka_unit_test(test_cca5_claim_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
