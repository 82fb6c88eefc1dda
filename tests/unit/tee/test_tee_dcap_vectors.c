/* SPDX-License-Identifier: Apache-2.0 */
/* Every T*, G* and EL.* item of the shared vectors' manifest.json at its verify_at: verdict,
 * reported facts, Trustee's golden claims (T4) and golden event logs (EL.*). Skips when the
 * shared folder is absent. */
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
#include "tee/tee.h"
#include "tee/tee_ccel.h"
#include "tee/tee_dcap.h"
#include "testlib.h"

struct files {
    struct ay_endorsement e[16];
    uint8_t *bufs[16];
    size_t n;
    uint8_t *quote;
    size_t quote_len;
};

static uint8_t *read_rel(const char *rel, size_t *len)
{
    char path[4096];
    assert_true(ay_test_shared_path(rel, path, sizeof path));
    char full[4200];
    (void)snprintf(full, sizeof full, "%s", path);
    uint8_t *b = ay_test_read_file(full, len);
    if (b == NULL) {
        /* ay_test_shared_path gives the shared root joined with rel; vectors live below. */
        fail_msg("cannot read %s", full);
    }
    return b;
}

static void load_files(const json_t *files, struct files *f)
{
    const char *role;
    const json_t *v;
    memset(f, 0, sizeof *f);
    json_object_foreach((json_t *)(uintptr_t)files, role, v)
    {
        char rel[1024];
        (void)snprintf(rel, sizeof rel, "vectors/%s", json_string_value(v));
        if (strcmp(role, "expected_claims") == 0 || strcmp(role, "expected_json") == 0) {
            continue;
        }
        size_t len = 0;
        uint8_t *b = read_rel(rel, &len);
        if (strcmp(role, "quote") == 0) {
            f->quote = b;
            f->quote_len = len;
            continue;
        }
        assert_true(f->n < 16);
        f->bufs[f->n] = b;
        f->e[f->n].name = json_string_value(v);
        f->e[f->n].bytes = ay_span_of(b, len);
        f->n++;
    }
}

static void free_files(struct files *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->bufs[i]);
    }
    free(f->quote);
}

static int64_t at_of(const json_t *item)
{
    const json_t *t = json_object_get(item, "verify_at");
    int64_t at = 0;
    assert_int_equal(ay_time_parse_rfc3339(json_string_value(t), json_string_length(t), &at), AY_OK);
    return at;
}

static void hex_eq(const char *want, const uint8_t *p, size_t n, const char *what)
{
    char got[1024];
    ay_hex_encode(p, n, got);
    if (strcmp(want, got) != 0) {
        fail_msg("%s: got %s want %s", what, got, want);
    }
}

static const char *jstr(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Quote facts (expected.*) checked on the parsed quote and the verification result. */
static void check_quote_facts(const json_t *exp, const struct ay_dcap_quote *q,
                              const struct ay_dcap_result *r)
{
    const json_t *v = json_object_get(exp, "quote_version");
    if (v != NULL) {
        assert_int_equal(q->version, json_integer_value(v));
    }
    if (jstr(exp, "qe_vendor_id") != NULL) {
        hex_eq(jstr(exp, "qe_vendor_id"), q->qe_vendor_id, 16, "qe_vendor_id");
    }
    if (q->tee_type == AY_DCAP_TEE_TDX) {
        hex_eq(jstr(exp, "tee_tcb_svn"), q->td.tee_tcb_svn, 16, "tee_tcb_svn");
        hex_eq(jstr(exp, "mrseam"), q->td.mr_seam, 48, "mrseam");
        hex_eq(jstr(exp, "mrtd"), q->td.mr_td, 48, "mrtd");
        hex_eq(jstr(exp, "td_attributes"), q->td.td_attributes, 8, "td_attributes");
        hex_eq(jstr(exp, "xfam"), q->td.xfam, 8, "xfam");
        hex_eq(jstr(exp, "report_data"), q->td.report_data, 64, "report_data");
        const json_t *rt = json_object_get(exp, "rtmrs");
        for (size_t i = 0; i < 4; i++) {
            hex_eq(json_string_value(json_array_get(rt, i)), q->td.rtmr[i], 48, "rtmr");
        }
    } else {
        hex_eq(jstr(exp, "mrenclave"), q->sgx.mr_enclave, 32, "mrenclave");
        hex_eq(jstr(exp, "mrsigner"), q->sgx.mr_signer, 32, "mrsigner");
        hex_eq(jstr(exp, "report_data"), q->sgx.report_data, 64, "report_data");
        hex_eq(jstr(exp, "attributes"), q->sgx.attributes, 16, "attributes");
        assert_int_equal(q->sgx.misc_select, json_integer_value(json_object_get(exp, "miscselect")));
        assert_int_equal(q->reserved[0] | q->reserved[1] << 8,
                         json_integer_value(json_object_get(exp, "qe_svn")));
        assert_int_equal(q->reserved[2] | q->reserved[3] << 8,
                         json_integer_value(json_object_get(exp, "pce_svn")));
    }
    const json_t *qe = json_object_get(exp, "qe_report");
    hex_eq(jstr(qe, "mrsigner"), q->qe_report.mr_signer, 32, "qe mrsigner");
    assert_int_equal(q->qe_report.isv_svn, json_integer_value(json_object_get(qe, "isvsvn")));
    assert_int_equal(q->qe_auth_data.len,
                     json_integer_value(json_object_get(exp, "qe_auth_data_len")));
    assert_int_equal(q->cert_type,
                     json_integer_value(json_object_get(exp, "certification_data_type")));
    assert_int_equal(q->trailing, json_integer_value(json_object_get(
                                      exp, "trailing_bytes_after_signature_data")));
    const json_t *pck = json_object_get(exp, "pck");
    hex_eq(jstr(pck, "fmspc"), r->pck.fmspc, 6, "fmspc");
    hex_eq(jstr(pck, "pce_id"), r->pck.pce_id, 2, "pce_id");
    hex_eq(jstr(pck, "cpusvn"), r->pck.cpu_svn, 16, "pck cpusvn");
    assert_int_equal(r->pck.pce_svn, json_integer_value(json_object_get(pck, "pcesvn")));
    assert_int_equal(r->pck.sgx_type, json_integer_value(json_object_get(pck, "sgx_type")));
    const json_t *comps = json_object_get(pck, "sgx_tcb_components");
    for (size_t i = 0; i < 16; i++) {
        assert_int_equal(r->pck.comp_svn[i], json_integer_value(json_array_get(comps, i)));
    }
    assert_int_equal(r->platform_ca,
                     strcmp(jstr(pck, "issuer_ca"), "Intel SGX PCK Platform CA") == 0);
}

/* The quote part of Trustee's golden claims (TRUSTEE.md 7.3). */
static void check_golden_claims(const char *rel, const json_t *claims)
{
    char path[4096];
    json_error_t jerr;
    assert_true(ay_test_shared_path(rel, path, sizeof path));
    json_t *g = json_load_file(path, 0, &jerr);
    assert_non_null(g);
    static const char *const keys[] = {"quote", "report_data", "init_data", "td_attributes",
                                       "platform_instance_id"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const json_t *want = json_object_get(g, keys[i]);
        const json_t *got = json_object_get(claims, keys[i]);
        if (!json_equal(want, got)) {
            char *w = json_dumps(want, JSON_SORT_KEYS | JSON_ENCODE_ANY);
            char *h = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
            fail_msg("golden claim %s differs:\n got  %s\n want %s", keys[i], h, w);
        }
    }
    json_decref(g);
}

static int run_dcap_item(const json_t *item)
{
    const char *id = jstr(item, "id");
    const char *tee = jstr(item, "tee");
    bool accept = strcmp(jstr(item, "expect"), "accept") == 0;
    const json_t *exp = json_object_get(item, "expected");
    struct files f;
    struct ay_arena *arena;
    struct ay_ctx ctx;
    json_t *claims = NULL;
    load_files(json_object_get(item, "files"), &f);
    ay_arena_new((size_t)64 << 20, &arena);
    ay_ctx_init(&ctx, arena);
    ctx.now = at_of(item);
    struct ay_tee_input in = {
        .evidence = ay_span_of(f.quote, f.quote_len),
        .endorsements = f.e,
        .n_endorsements = f.n,
        .require_collateral = false,
    };
    const struct ay_tee *t = ay_tee_find(tee);
    assert_non_null(t);
    ay_err e = t->verify(&ctx, &in, &claims);
    printf("  %-18s %s: %s%s%s\n", id, accept ? "accept" : "reject",
           e == AY_OK ? "accepted" : "rejected", e == AY_OK ? "" : ": ",
           e == AY_OK ? "" : ay_diag_message(&ctx.diag));
    if (accept != (e == AY_OK)) {
        fail_msg("%s: expected %s, got %s (%s)", id, accept ? "accept" : "reject",
                 e == AY_OK ? "accept" : "reject", ay_diag_message(&ctx.diag));
    }
    if (accept) {
        /* Facts: parse again and look at the verification result. */
        struct ay_dcap_quote q;
        struct ay_dcap_result r;
        ay_diag_clear(&ctx.diag);
        assert_int_equal(ay_dcap_quote_parse(&ctx.diag, in.evidence, &q), AY_OK);
        assert_int_equal(ay_dcap_verify(&ctx, &q, f.e, f.n, false, &r), AY_OK);
        if (json_object_get(exp, "quote_version") != NULL) {
            check_quote_facts(exp, &q, &r);
        }
        const char *st = jstr(exp, "tcb_status");
        assert_string_equal(jstr(claims, "tcb_status"), st != NULL ? st : "Unknown");
        if (st != NULL) {
            assert_string_equal(r.qe_tcb_status, jstr(exp, "qe_tcb_status"));
            assert_true(json_equal(r.advisory_ids, json_object_get(exp, "advisory_ids")));
            char d[40];
            ay_time_format_rfc3339(r.tcb_date, d, sizeof d);
            assert_string_equal(d, jstr(exp, "tcb_date"));
            assert_int_equal(r.tcb_eval_num,
                             json_integer_value(json_object_get(exp, "tcb_evaluation_data_number")));
        }
        const json_t *golden = json_object_get(json_object_get(item, "files"), "expected_claims");
        if (golden != NULL) {
            char rel[1024];
            (void)snprintf(rel, sizeof rel, "vectors/%s", json_string_value(golden));
            check_golden_claims(rel, claims);
        }
        ay_dcap_result_clear(&r);
    } else if (jstr(exp, "tcb_status") != NULL) {
        /* The reason must name the status (e.g. NotSupported). */
        assert_non_null(strstr(ay_diag_message(&ctx.diag), jstr(exp, "tcb_status")));
    }
    json_decref(claims);
    ay_arena_free(arena);
    free_files(&f);
    return 1;
}

static int run_eventlog_item(const json_t *item)
{
    const char *id = jstr(item, "id");
    const json_t *exp = json_object_get(item, "expected");
    const json_t *files = json_object_get(item, "files");
    char rel[1024];
    size_t len;
    struct ay_diag d;
    struct ay_ccel_log log;
    ay_diag_clear(&d);
    (void)snprintf(rel, sizeof rel, "vectors/%s", jstr(files, "eventlog"));
    uint8_t *b = read_rel(rel, &len);
    assert_true(ay_ccel_sniff(ay_span_of(b, len)));
    if (ay_ccel_parse(&d, ay_span_of(b, len), &log) != AY_OK) {
        fail_msg("%s: %s", id, ay_diag_message(&d));
    }
    assert_int_equal(log.n_events,
                     json_integer_value(json_object_get(exp, "event_count_excluding_header")));
    assert_int_equal(log.end_offset, json_integer_value(json_object_get(exp, "log_end_offset")));
    enum ay_hash h = strcmp(jstr(exp, "replay_hash"), "sm3") == 0 ? AY_HASH_SM3 : AY_HASH_SHA384;
    uint8_t mr[4][AY_HASH_MAX];
    assert_int_equal(ay_ccel_replay(&d, &log, h, mr), AY_OK);
    const json_t *want = json_object_get(exp, "replayed_by_mr_index");
    for (size_t i = 0; i < 4; i++) {
        char k[4];
        (void)snprintf(k, sizeof k, "%zu", i + 1);
        hex_eq(jstr(want, k), mr[i], ay_hash_len(h), "replayed MR");
    }
    json_t *claims = NULL;
    assert_int_equal(ay_ccel_claims(&d, &log, &claims), AY_OK);
    const char *golden = jstr(files, "expected_json");
    size_t bad = 0;
    if (golden != NULL) {
        char path[4096];
        (void)snprintf(rel, sizeof rel, "vectors/%s", golden);
        assert_true(ay_test_shared_path(rel, path, sizeof path));
        json_t *g = json_load_file(path, 0, NULL);
        const json_t *ge = json_object_get(g, "uefi_event_logs");
        assert_int_equal(json_array_size(ge), json_array_size(claims));
        for (size_t i = 0; i < json_array_size(ge); i++) {
            if (!json_equal(json_array_get(ge, i), json_array_get(claims, i))) {
                if (bad++ < 3) {
                    char *w = json_dumps(json_array_get(ge, i), JSON_SORT_KEYS);
                    char *x = json_dumps(json_array_get(claims, i), JSON_SORT_KEYS);
                    printf("    event %zu differs:\n     got  %.600s\n     want %.600s\n", i, x, w);
                    free(w);
                    free(x);
                }
            }
        }
        json_decref(g);
    }
    printf("  %-28s accept: %zu events, replay ok%s, %zu golden mismatches\n", id, log.n_events,
           golden != NULL ? ", golden compared" : "", bad);
    assert_int_equal(bad, 0);
    json_decref(claims);
    ay_ccel_free(&log);
    free(b);
    return 1;
}

static void test_manifest(void **state)
{
    (void)state;
    char path[4096];
    if (!ay_test_shared_path("vectors/manifest.json", path, sizeof path)) {
        skip();
    }
    json_error_t jerr;
    json_t *m = json_load_file(path, 0, &jerr);
    assert_non_null(m);
    size_t i, n = 0;
    const json_t *item;
    json_array_foreach(m, i, item)
    {
        const char *id = jstr(item, "id");
        const char *tee = jstr(item, "tee");
        if (strcmp(tee, "eventlog") == 0 && strncmp(id, "EL.", 3) == 0) {
            n += (size_t)run_eventlog_item(item);
        } else if ((id[0] == 'T' || id[0] == 'G') &&
                   (strcmp(tee, "tdx") == 0 || strcmp(tee, "sgx") == 0)) {
            n += (size_t)run_dcap_item(item);
        }
    }
    printf("  %zu manifest items checked\n", n);
    assert_true(n >= 13);
    json_decref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
