/* SPDX-License-Identifier: Apache-2.0 */
/* The real SEV-SNP vectors of shared/vectors/manifest.json (items S*): each snp item is verified
 * through the `snp` verifier with the pinned AMD roots at its verify_at, every other file of the
 * item given as an endorsement; the verdict and the `expected` facts are compared. Items of later
 * verifiers (Azure S9, Cocos S8 policy) are checked as far as the SNP part goes, or skipped with
 * a note. Skips when the shared folder is absent. */
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
#include "base/base_time.h"
#include "codec/codec_hex.h"
#include "crypto/crypto_x509.h"
#include "tee/tee.h"
#include "tee/tee_snp.h"
#include "testlib.h"

static json_t *manifest(void)
{
    char path[4096];
    if (!ay_test_shared_path("vectors/manifest.json", path, sizeof path)) {
        return NULL;
    }
    json_error_t e;
    json_t *m = json_load_file(path, 0, &e);
    assert_non_null(m);
    return m;
}

static uint8_t *read_rel(const char *rel, size_t *len)
{
    char path[4096];
    assert_true(ay_test_shared_path(rel, path, sizeof path));
    char full[4200];
    (void)snprintf(full, sizeof full, "%s/vectors/%s", ay_test_shared(), rel);
    uint8_t *b = ay_test_read_file(full, len);
    if (b == NULL) {
        fail_msg("cannot read %s", full);
    }
    return b;
}

static void expect_hex(const char *what, const uint8_t *p, size_t n, const json_t *exp,
                       const char *key)
{
    const json_t *v = json_object_get(exp, key);
    if (!json_is_string(v)) {
        return;
    }
    char hex[300];
    ay_hex_encode(p, n, hex);
    if (strcmp(hex, json_string_value(v)) != 0) {
        fail_msg("%s %s: got %s want %s", what, key, hex, json_string_value(v));
    }
}

static void expect_u64(const char *what, uint64_t got, const json_t *exp, const char *key)
{
    const json_t *v = json_object_get(exp, key);
    if (v == NULL) {
        return;
    }
    uint64_t want;
    if (json_is_string(v)) {
        want = strtoull(json_string_value(v), NULL, 0);
    } else {
        want = (uint64_t)json_integer_value(v);
    }
    if (got != want) {
        fail_msg("%s %s: got 0x%llx want 0x%llx", what, key, (unsigned long long)got,
                 (unsigned long long)want);
    }
}

static void check_report_facts(const char *id, const struct ay_snp_report *r, const json_t *exp)
{
    expect_u64(id, r->version, exp, "report_version");
    expect_u64(id, r->guest_svn, exp, "guest_svn");
    expect_u64(id, r->policy, exp, "policy");
    expect_u64(id, r->vmpl, exp, "vmpl");
    expect_u64(id, r->platform_info, exp, "platform_info");
    expect_u64(id, r->reported_tcb, exp, "reported_tcb");
    expect_u64(id, r->current_tcb, exp, "current_tcb");
    expect_u64(id, r->committed_tcb, exp, "committed_tcb");
    expect_u64(id, r->launch_tcb, exp, "launch_tcb");
    expect_hex(id, r->report_data, 64, exp, "report_data");
    expect_hex(id, r->measurement, 48, exp, "measurement");
    expect_hex(id, r->host_data, 32, exp, "host_data");
    expect_hex(id, r->chip_id, 64, exp, "chip_id");
    expect_hex(id, r->family_id, 16, exp, "family_id");
    expect_hex(id, r->image_id, 16, exp, "image_id");
    expect_hex(id, r->id_key_digest, 48, exp, "id_key_digest");
    char ver[32];
    (void)snprintf(ver, sizeof ver, "%u.%u.%u", r->current_major, r->current_minor,
                   r->current_build);
    const json_t *cv = json_object_get(exp, "current_version");
    if (json_is_string(cv)) {
        assert_string_equal(ver, json_string_value(cv));
    }
    (void)snprintf(ver, sizeof ver, "%u.%u.%u", r->committed_major, r->committed_minor,
                   r->committed_build);
    const json_t *cmv = json_object_get(exp, "committed_version");
    if (json_is_string(cmv)) {
        assert_string_equal(ver, json_string_value(cmv));
    }
    const json_t *sk = json_object_get(exp, "signing_key");
    if (json_is_string(sk)) {
        assert_string_equal(ay_snp_report_signing_key(r) == AY_SNP_KEY_VLEK ? "VLEK" : "VCEK",
                            json_string_value(sk));
    }
    const json_t *dbg = json_object_get(exp, "debug_allowed");
    if (json_is_boolean(dbg)) {
        assert_int_equal((r->policy & AY_SNP_POLICY_DEBUG) != 0, json_is_true(dbg));
    }
    const json_t *cpuid = json_object_get(exp, "cpuid");
    if (json_is_object(cpuid)) {
        assert_true(r->has_cpuid);
        expect_u64(id, r->cpuid_fam_id, cpuid, "family");
        expect_u64(id, r->cpuid_mod_id, cpuid, "model");
        expect_u64(id, r->cpuid_step, cpuid, "stepping");
    }
}

static int64_t rfc3339(const char *s)
{
    int64_t t;
    assert_int_equal(ay_time_parse_rfc3339(s, strlen(s), &t), AY_OK);
    return t;
}

/* Verifies one snp item; returns true if it ran. */
static void run_snp_item(const json_t *item, int *n_run)
{
    const char *id = json_string_value(json_object_get(item, "id"));
    json_t *files = json_object_get(item, "files");
    const json_t *exp = json_object_get(item, "expected");
    bool accept = strcmp(json_string_value(json_object_get(item, "expect")), "accept") == 0;

    size_t ev_len = 0;
    uint8_t *ev = NULL;
    struct ay_endorsement ends[8];
    uint8_t *bufs[8];
    size_t n_end = 0;
    const char *role;
    json_t *path;
    json_object_foreach(files, role, path)
    {
        if (strcmp(role, "report") == 0) {
            ev = read_rel(json_string_value(path), &ev_len);
        } else if (strcmp(role, "report_hex") == 0) {
            continue;
        } else {
            assert_true(n_end < 8);
            size_t len;
            bufs[n_end] = read_rel(json_string_value(path), &len);
            ends[n_end].name = json_string_value(path);
            ends[n_end].bytes = ay_span_of(bufs[n_end], len);
            n_end++;
        }
    }
    assert_non_null(ev);

    struct ay_arena *arena;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    ctx.now = rfc3339(json_string_value(json_object_get(item, "verify_at")));

    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(ev, ev_len);
    in.endorsements = ends;
    in.n_endorsements = n_end;
    json_t *claims = NULL;
    ay_err e = ay_tee_snp_verify(&ctx, &in, &claims);
    if (accept) {
        if (e != AY_OK) {
            fail_msg("%s: expected accept, got %s: %s", id, ay_err_name(e),
                     ay_diag_message(&ctx.diag));
        }
        /* The facts through the claims (Trustee names) ... */
        const char *meas = json_string_value(json_object_get(claims, "measurement"));
        assert_string_equal(meas, json_string_value(json_object_get(exp, "measurement")));
        assert_string_equal(json_string_value(json_object_get(claims, "report_data")),
                            json_string_value(json_object_get(exp, "report_data")));
        assert_string_equal(json_string_value(json_object_get(claims, "init_data")),
                            json_string_value(json_object_get(exp, "host_data")));
        assert_string_equal(json_string_value(json_object_get(claims, "chip_id")),
                            json_string_value(json_object_get(exp, "chip_id")));
        const json_t *parts = json_object_get(exp, "reported_tcb_parts");
        assert_int_equal(json_integer_value(json_object_get(claims, "reported_tcb_bootloader")),
                         json_integer_value(json_object_get(parts, "bl")));
        assert_int_equal(json_integer_value(json_object_get(claims, "reported_tcb_tee")),
                         json_integer_value(json_object_get(parts, "tee")));
        assert_int_equal(json_integer_value(json_object_get(claims, "reported_tcb_snp")),
                         json_integer_value(json_object_get(parts, "snp")));
        assert_int_equal(json_integer_value(json_object_get(claims, "reported_tcb_microcode")),
                         json_integer_value(json_object_get(parts, "ucode")));
        assert_int_equal(json_is_true(json_object_get(claims, "policy_debug_allowed")),
                         json_is_true(json_object_get(exp, "debug_allowed")));
        json_decref(claims);

        /* ... and through ay_snp_verify for the key facts. */
        const struct ay_snp_trust *trust;
        assert_int_equal(ay_snp_trust_pinned(&ctx.diag, &trust), AY_OK);
        struct ay_x509 *certs[16];
        size_t n_certs = 0;
        for (size_t i = 0; i < n_end; i++) {
            struct ay_x509 **arr;
            size_t n;
            assert_int_equal(ay_x509_parse_all(&ctx.diag, ends[i].bytes, 8, &arr, &n), AY_OK);
            for (size_t k = 0; k < n; k++) {
                certs[n_certs++] = arr[k];
            }
            free(arr);
        }
        struct ay_snp_verify_in vi;
        memset(&vi, 0, sizeof vi);
        vi.report = ay_span_of(ev, ev_len);
        vi.trust = trust;
        vi.certs = certs;
        vi.n_certs = n_certs;
        struct ay_snp_verified v;
        assert_int_equal(ay_snp_verify(&ctx, &vi, &v), AY_OK);
        check_report_facts(id, &v.report, exp);
        assert_string_equal(ay_snp_product_name(v.product),
                            json_string_value(json_object_get(exp, "product")));
        const json_t *ek = json_object_get(exp, "endorsement_key");
        assert_string_equal(v.vek.type == AY_SNP_KEY_VLEK ? "VLEK" : "VCEK",
                            json_string_value(json_object_get(ek, "type")));
        assert_string_equal(v.vek.product_name,
                            json_string_value(json_object_get(ek, "product_name")));
        assert_int_equal(v.vek.struct_version,
                         json_integer_value(json_object_get(ek, "struct_version")));
        assert_int_equal(v.vek.not_before,
                         rfc3339(json_string_value(json_object_get(ek, "not_before"))));
        assert_int_equal(v.vek.not_after,
                         rfc3339(json_string_value(json_object_get(ek, "not_after"))));
        const json_t *csp = json_object_get(ek, "csp_id");
        if (json_is_string(csp)) {
            assert_string_equal(v.vek.csp_id, json_string_value(csp));
        }
        for (size_t i = 0; i < n_certs; i++) {
            ay_x509_free(certs[i]);
        }
    } else {
        if (e == AY_OK) {
            json_decref(claims);
            fail_msg("%s: expected reject, got accept", id);
        }
        const char *failure = json_string_value(json_object_get(exp, "failure"));
        if (failure != NULL && strcmp(failure, "endorsement_key_expired") == 0) {
            assert_int_equal(e, AY_ERR_EXPIRED);
        }
        print_message("%s: rejected as expected (%s: %s)\n", id, ay_err_name(e),
                      ay_diag_message(&ctx.diag));
    }
    ay_arena_free(arena);
    free(ev);
    for (size_t i = 0; i < n_end; i++) {
        free(bufs[i]);
    }
    (*n_run)++;
}

/* S8: a Cocos attestation.bin (report || certificate table without a VCEK). The snp verifier
 * must reject it (no VCEK offline) while the report facts and the table parse as expected. */
static void run_cocos_item(const json_t *item, int *n_run)
{
    const json_t *exp = json_object_get(item, "expected");
    size_t len;
    uint8_t *att = read_rel(
        json_string_value(json_object_get(json_object_get(item, "files"), "attestation")), &len);
    assert_int_equal(len, json_integer_value(json_object_get(exp, "attestation_length")));
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_snp_report r;
    assert_int_equal(ay_snp_report_parse(&d, ay_span_of(att, AY_SNP_REPORT_LEN), &r), AY_OK);
    check_report_facts("S8", &r, exp);
    struct ay_snp_cert_entry ents[4];
    size_t n;
    assert_int_equal(
        ay_snp_cert_table_parse(&d, ay_span_of(att + AY_SNP_REPORT_LEN, len - AY_SNP_REPORT_LEN),
                                ents, 4, &n),
        AY_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ents[0].kind, AY_SNP_CERT_EXTRA_PLATFORM_INFO);
    assert_int_equal(ents[0].data.len, 8);

    struct ay_arena *arena;
    ay_arena_new(1 << 20, &arena);
    struct ay_ctx ctx;
    ay_ctx_init(&ctx, arena);
    ctx.now = rfc3339(json_string_value(json_object_get(item, "verify_at")));
    struct ay_tee_input in;
    memset(&in, 0, sizeof in);
    in.evidence = ay_span_of(att, len);
    json_t *claims = NULL;
    ay_err e = ay_tee_snp_verify(&ctx, &in, &claims);
    assert_int_not_equal(e, AY_OK);
    print_message("S8 (snp part): rejected as expected (%s: %s)\n", ay_err_name(e),
                  ay_diag_message(&ctx.diag));
    ay_arena_free(arena);
    free(att);
    (*n_run)++;
}

static void test_manifest_snp_items(void **state)
{
    (void)state;
    json_t *m = manifest();
    if (m == NULL) {
        skip();
    }
    int n_run = 0;
    size_t i;
    const json_t *item;
    json_array_foreach(m, i, item)
    {
        const char *id = json_string_value(json_object_get(item, "id"));
        const char *tee = json_string_value(json_object_get(item, "tee"));
        if (id == NULL || id[0] != 'S') {
            continue;
        }
        if (strcmp(tee, "snp") == 0) {
            run_snp_item(item, &n_run);
        } else if (strcmp(id, "S8") == 0) {
            run_cocos_item(item, &n_run);
        } else {
            print_message("%s (%s): not the snp verifier's; left to its own verifier\n", id, tee);
        }
    }
    print_message("%d S* items checked\n", n_run);
    assert_true(n_run >= 6);
    json_decref(m);
}

/* S6 also ships the upstream hex text: it decodes to the same report. */
static void test_s6_hex_equals_bin(void **state)
{
    (void)state;
    if (ay_test_shared() == NULL) {
        skip();
    }
    size_t hl;
    size_t bl;
    uint8_t *hex = read_rel("snp/S6/report_milan.hex", &hl);
    uint8_t *bin = read_rel("snp/S6/report_milan.bin", &bl);
    size_t n = hl;
    while (n > 0 && (hex[n - 1] == '\n' || hex[n - 1] == '\r')) {
        n--;
    }
    uint8_t dec[AY_SNP_REPORT_LEN];
    size_t dl;
    assert_int_equal(ay_hex_decode_to((const char *)hex, n, dec, sizeof dec, &dl), AY_OK);
    assert_int_equal(dl, bl);
    assert_memory_equal(dec, bin, bl);
    free(hex);
    free(bin);
}

/* The pinned roots match the shared copies byte for byte. */
static void test_pinned_equal_shared_roots(void **state)
{
    (void)state;
    if (ay_test_shared() == NULL) {
        skip();
    }
    static const char *const prod[] = {"milan", "genoa", "turin"};
    static const char *const kind[] = {"ark", "ask", "asvk"};
    struct ay_diag d;
    ay_diag_clear(&d);
    const struct ay_snp_trust *t;
    assert_int_equal(ay_snp_trust_pinned(&d, &t), AY_OK);
    for (size_t p = 0; p < 3; p++) {
        for (size_t k = 0; k < 3; k++) {
            char rel[128];
            (void)snprintf(rel, sizeof rel, "roots/amd/%s/%s.pem", prod[p], kind[k]);
            size_t len;
            uint8_t *pem = read_rel(rel, &len);
            struct ay_x509 *c;
            assert_int_equal(ay_x509_parse(&d, ay_span_of(pem, len), &c), AY_OK);
            const struct ay_x509 *pinned = k == 0 ? t->ark[p] : k == 1 ? t->ask[p] : t->asvk[p];
            assert_true(ay_x509_equal(c, pinned));
            ay_x509_free(c);
            free(pem);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_snp_items),
        cmocka_unit_test(test_s6_hex_equals_bin),
        cmocka_unit_test(test_pinned_equal_shared_roots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
