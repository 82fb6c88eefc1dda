/* SPDX-License-Identifier: Apache-2.0 */
/* CC event log parser / replay / claims on synthetic logs, and the collateral document parser:
 * truncation at every length, unknown types and algorithms, limits at N and N+1, the exact
 * served bytes of the signed value, duplicate keys. Runs without ../shared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/base_limits.h"
#include "crypto/crypto_digest.h"
#include "tee/tee_ccel.h"
#include "tee/tee_collateral.h"

struct w {
    uint8_t *p;
    size_t n, cap;
};

static void put(struct w *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 64;
        w->p = realloc(w->p, w->cap);
        assert_non_null(w->p);
    }
    memcpy(w->p + w->n, p, n);
    w->n += n;
}

static void u32(struct w *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(w, b, 4);
}

static void u16(struct w *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(w, b, 2);
}

static void header(struct w *w, uint16_t alg, uint16_t size)
{
    struct w spec = {0};
    put(&spec, "Spec ID Event03", 16);
    u32(&spec, 0);
    uint8_t v[4] = {0, 2, 0, 2};
    put(&spec, v, 4);
    u32(&spec, 1);
    u16(&spec, alg);
    u16(&spec, size);
    uint8_t zero = 0;
    put(&spec, &zero, 1);
    u32(w, 0);
    u32(w, 3);
    uint8_t d[20] = {0};
    put(w, d, 20);
    u32(w, (uint32_t)spec.n);
    put(w, spec.p, spec.n);
    free(spec.p);
}

static void event(struct w *w, uint32_t idx, uint32_t type, uint16_t alg, const char *data,
                  size_t n)
{
    uint8_t md[64];
    u32(w, idx);
    u32(w, type);
    u32(w, 1);
    u16(w, alg);
    assert_int_equal(ay_hash(AY_HASH_SHA384, data, n, md), AY_OK);
    put(w, md, 48);
    u32(w, (uint32_t)n);
    put(w, data, n);
}

static void test_parse_replay_claims(void **state)
{
    (void)state;
    struct w w = {0};
    header(&w, AY_TCG_ALG_SHA384, 48);
    size_t first = w.n;
    event(&w, 1, 0x80000007, AY_TCG_ALG_SHA384, "Exit Boot Services Invocation", 29);
    event(&w, 2, 0xd, AY_TCG_ALG_SHA384, "grub_cmd linux\0x", 16);
    static const char tag[] = "LEAA\x1a\0\0\0dom op {\"k\": [1, 2]}\0\0\0\0\0\0";
    event(&w, 4, 0x6, AY_TCG_ALG_SHA384, tag, 8 + 26);
    event(&w, 1, 0x3, AY_TCG_ALG_SHA384, "noaction", 8); /* not extended */
    size_t end = w.n;
    uint8_t pad[16] = {0};
    put(&w, pad, sizeof pad);

    struct ay_diag d;
    struct ay_ccel_log log;
    ay_diag_clear(&d);
    assert_true(ay_ccel_sniff(ay_span_of(w.p, w.n)));
    assert_int_equal(ay_ccel_parse(&d, ay_span_of(w.p, w.n), &log), AY_OK);
    assert_int_equal(log.n_events, 4);
    assert_int_equal(log.end_offset, end);

    /* Replay by hand: MR1 = H(H(0 || d1)), MR2 = H(0 || d2), MR3 = 0, MR4 = H(0 || d3). */
    uint8_t mr[4][AY_HASH_MAX], want[96], h[48];
    assert_int_equal(ay_ccel_replay(&d, &log, AY_HASH_SHA384, mr), AY_OK);
    memset(want, 0, 48);
    memcpy(want + 48, log.events[0].digests[0].value.ptr, 48);
    assert_int_equal(ay_hash(AY_HASH_SHA384, want, 96, h), AY_OK);
    assert_memory_equal(mr[0], h, 48);
    uint8_t zero[48] = {0};
    assert_memory_equal(mr[2], zero, 48);
    assert_memory_not_equal(mr[3], zero, 48);

    json_t *c = NULL;
    assert_int_equal(ay_ccel_claims(&d, &log, &c), AY_OK);
    assert_int_equal(json_array_size(c), 4);
    json_t *e0 = json_array_get(c, 0);
    assert_string_equal(json_string_value(json_object_get(e0, "type_name")), "EV_EFI_ACTION");
    assert_true(json_is_true(json_object_get(e0, "digest_matches_event")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(e0, "details"), "string")),
        "Exit Boot Services Invocation");
    json_t *e1 = json_array_get(c, 1);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(e1, "details"), "string")),
        "grub_cmd linux");
    json_t *det = json_object_get(json_array_get(c, 2), "details");
    assert_string_equal(json_string_value(json_object_get(det, "unicode_name")), "AAEL");
    json_t *data = json_object_get(det, "data");
    assert_string_equal(json_string_value(json_object_get(data, "domain")), "dom");
    assert_string_equal(json_string_value(json_object_get(data, "operation")), "op");
    assert_true(json_is_object(json_object_get(data, "content")));
    json_decref(c);
    ay_ccel_free(&log);

    /* Every truncation inside an event is an error with a message. */
    for (size_t n = 0; n < end; n++) {
        ay_diag_clear(&d);
        ay_err e = ay_ccel_parse(&d, ay_span_of(w.p, n), &log);
        if (e == AY_OK) {
            /* Stopping exactly between events (or before 8 bytes remain) is a valid end. */
            assert_true(n >= first);
            ay_ccel_free(&log);
        } else {
            assert_true(d.msg[0] != '\0');
        }
    }
    /* Unknown event type, unknown digest algorithm. */
    struct w b = {0};
    header(&b, AY_TCG_ALG_SHA384, 48);
    event(&b, 1, 0x99, AY_TCG_ALG_SHA384, "x", 1);
    put(&b, pad, 8);
    ay_diag_clear(&d);
    assert_int_equal(ay_ccel_parse(&d, ay_span_of(b.p, b.n), &log), AY_ERR_MALFORMED);
    assert_non_null(strstr(d.msg, "unknown event type"));
    b.n = 0;
    header(&b, AY_TCG_ALG_SHA384, 48);
    event(&b, 1, 0x4, AY_TCG_ALG_SHA256, "x", 1);
    put(&b, pad, 8);
    ay_diag_clear(&d);
    assert_int_equal(ay_ccel_parse(&d, ay_span_of(b.p, b.n), &log), AY_ERR_MALFORMED);
    assert_non_null(strstr(d.msg, "algorithm"));
    /* Not a Spec ID log. */
    b.p[32] = 'X';
    assert_false(ay_ccel_sniff(ay_span_of(b.p, b.n)));
    ay_diag_clear(&d);
    assert_int_not_equal(ay_ccel_parse(&d, ay_span_of(b.p, b.n), &log), AY_OK);
    free(b.p);
    free(w.p);
}

static void test_event_limit(void **state)
{
    (void)state;
    struct w w = {0};
    header(&w, AY_TCG_ALG_SHA384, 48);
    for (size_t i = 0; i < AY_LIMIT_CCEL_EVENTS; i++) {
        event(&w, 1, 0x4, AY_TCG_ALG_SHA384, "\0\0\0\0", 4);
    }
    size_t at_limit = w.n;
    event(&w, 1, 0x4, AY_TCG_ALG_SHA384, "\0\0\0\0", 4);
    uint8_t pad[8] = {0};
    put(&w, pad, 8);
    struct ay_diag d;
    struct ay_ccel_log log;
    ay_diag_clear(&d);
    assert_int_equal(ay_ccel_parse(&d, ay_span_of(w.p, at_limit), &log), AY_OK);
    assert_int_equal(log.n_events, AY_LIMIT_CCEL_EVENTS);
    ay_ccel_free(&log);
    ay_diag_clear(&d);
    assert_int_equal(ay_ccel_parse(&d, ay_span_of(w.p, w.n), &log), AY_ERR_LIMIT);
    free(w.p);
}

/* ---- collateral documents ---- */

static char *qe_body(size_t levels, const char *space)
{
    size_t cap = 1024 + levels * 96;
    char *b = malloc(cap);
    assert_non_null(b);
    int n = snprintf(b, cap,
                     "{\"id\":\"QE\",%s\"version\":2,\"issueDate\":\"2023-06-08T07:24:59Z\","
                     "\"nextUpdate\":\"2023-07-08T07:24:59Z\",\"tcbEvaluationDataNumber\":15,"
                     "\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\",\"attributes\":"
                     "\"11000000000000000000000000000000\",\"attributesMask\":"
                     "\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":"
                     "\"8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff\","
                     "\"isvprodid\":1,\"tcbLevels\":[",
                     space);
    size_t k = (size_t)n;
    for (size_t i = 0; i < levels; i++) {
        n = snprintf(b + k, cap - k,
                     "%s{\"tcb\":{\"isvsvn\":%zu},\"tcbDate\":\"2023-02-15T00:00:00Z\","
                     "\"tcbStatus\":\"UpToDate\"}",
                     i ? "," : "", levels - i);
        k += (size_t)n;
    }
    (void)snprintf(b + k, cap - k, "]}");
    return b;
}

static char *wrap(const char *body, const char *sep)
{
    size_t n = strlen(body) + 256;
    char *d = malloc(n);
    assert_non_null(d);
    (void)snprintf(d, n, "{\"enclaveIdentity\"%s:%s%s,\"signature\":\"%0128d\"}\n", sep, sep,
                   body, 0);
    return d;
}

static void test_collateral_doc(void **state)
{
    (void)state;
    struct ay_diag d;
    struct ay_coll_doc doc;
    bool ident = false;
    /* The signed span is the exact value bytes, whitespace inside kept. */
    char *body = qe_body(2, " \n ");
    char *text = wrap(body, " \t");
    ay_diag_clear(&d);
    assert_true(ay_coll_doc_sniff(ay_span_of(text, strlen(text)), &ident));
    assert_true(ident);
    assert_int_equal(ay_coll_doc_parse(&d, ay_span_of(text, strlen(text)), &doc), AY_OK);
    assert_int_equal(doc.signed_bytes.len, strlen(body));
    assert_memory_equal(doc.signed_bytes.ptr, body, strlen(body));
    assert_int_equal(doc.n_levels, 2);
    assert_int_equal(doc.isvprodid, 1);
    ay_coll_doc_clear(&doc);
    free(text);
    free(body);
    /* Limit: N levels parse, N + 1 is AY_ERR_LIMIT. */
    body = qe_body(AY_LIMIT_DCAP_TCB_LEVELS, "");
    text = wrap(body, "");
    ay_diag_clear(&d);
    assert_int_equal(ay_coll_doc_parse(&d, ay_span_of(text, strlen(text)), &doc), AY_OK);
    ay_coll_doc_clear(&doc);
    free(text);
    free(body);
    body = qe_body(AY_LIMIT_DCAP_TCB_LEVELS + 1, "");
    text = wrap(body, "");
    ay_diag_clear(&d);
    assert_int_equal(ay_coll_doc_parse(&d, ay_span_of(text, strlen(text)), &doc), AY_ERR_LIMIT);
    free(text);
    free(body);
    /* Document size: a valid document padded with spaces to the limit parses; one more byte
     * is AY_ERR_LIMIT. */
    body = qe_body(1, "");
    text = wrap(body, "");
    char *big = malloc(AY_LIMIT_DCAP_COLLATERAL + 1);
    assert_non_null(big);
    memset(big, ' ', AY_LIMIT_DCAP_COLLATERAL + 1);
    memcpy(big, text, strlen(text));
    ay_diag_clear(&d);
    assert_int_equal(ay_coll_doc_parse(&d, ay_span_of(big, AY_LIMIT_DCAP_COLLATERAL), &doc), AY_OK);
    ay_coll_doc_clear(&doc);
    ay_diag_clear(&d);
    assert_int_equal(ay_coll_doc_parse(&d, ay_span_of(big, AY_LIMIT_DCAP_COLLATERAL + 1), &doc),
                     AY_ERR_LIMIT);
    free(big);
    free(text);
    free(body);
    /* Duplicate keys, missing signature, wrong version, bad JSON, truncations. */
    static const char *const bad[] = {
        "{\"enclaveIdentity\":{},\"enclaveIdentity\":{},\"signature\":\"00\"}",
        "{\"enclaveIdentity\":{\"id\":\"QE\"}}",
        "{\"tcbInfo\":{\"id\":\"TDX\",\"version\":2},\"signature\":\"" /* cut */,
        "{\"tcbInfo\":[],\"signature\":\"00\"}",
        "[]",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ay_diag_clear(&d);
        assert_int_not_equal(ay_coll_doc_parse(&d, ay_span_of(bad[i], strlen(bad[i])), &doc),
                             AY_OK);
        assert_true(d.msg[0] != '\0');
    }
    body = qe_body(3, "");
    text = wrap(body, "");
    size_t len = strlen(text);
    for (size_t n = 0; n + 2 < len; n++) {
        ay_diag_clear(&d);
        assert_int_not_equal(ay_coll_doc_parse(&d, ay_span_of(text, n), &doc), AY_OK);
    }
    free(text);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_replay_claims),
        cmocka_unit_test(test_event_limit),
        cmocka_unit_test(test_collateral_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
