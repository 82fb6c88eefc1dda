/* SPDX-License-Identifier: Apache-2.0 */
/* The byte-array fast path of the SNP / Azure vTPM evidence JSON (ay_snp_json_load,
 * ay_snp_json_bytes; tee_snp.h): which arrays become placeholders, that the verdict on a text
 * is jansson's (arrays in key position, top level, escaped U+0001, deep nesting, malformed
 * numbers), and the `snp` verifier on Trustee JSON evidence through both paths (test PKI). */
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
#include "crypto_snp_testpki.h"
#include "tee/tee.h"
#include "tee/tee_snp.h"
#include "testlib.h"

struct loaded {
    struct ay_arena *arena;
    struct ay_ctx ctx;
    struct ay_snp_json js;
};

static void load(struct loaded *l, const char *text, size_t flags)
{
    ay_arena_new(1 << 20, &l->arena);
    ay_ctx_init(&l->ctx, l->arena);
    json_error_t jerr;
    assert_int_equal(
        ay_snp_json_load(&l->ctx, ay_span_of(text, strlen(text)), flags, &l->js, &jerr), AY_OK);
    /* The verdict is jansson's on the text itself. */
    json_t *plain = json_loadb(text, strlen(text), flags, &jerr);
    assert_int_equal(plain == NULL, l->js.root == NULL);
    json_decref(plain);
}

static void unload(struct loaded *l)
{
    ay_snp_json_free(&l->js);
    ay_arena_free(l->arena);
}

static struct ay_span bytes_of(struct loaded *l, const char *key)
{
    struct ay_span b = {NULL, 0};
    assert_true(ay_snp_json_bytes(&l->ctx, &l->js, json_object_get(l->js.root, key), &b));
    return b;
}

static void test_placeholders(void **state)
{
    (void)state;
    struct loaded l;
    load(&l,
         "{\"a\":[1,2,3,4,5,6,7,8],\"b\":[0, 255 ,10,\n99,100,1,2,3,4],\"c\":[1,2,3,4,5,6,7],"
         "\"d\":[],\"e\":[1,2,3,4,5,6,7,8,1.5],\"n\":[[1,2,3,4,5,6,7,8]]}",
         0);
    assert_true(l.js.fast);
    /* a, b and the inner array of n are placeholders; c (7), d (empty), e (a fraction) are not */
    assert_int_equal(l.js.n, 3);
    assert_true(json_is_string(json_object_get(l.js.root, "a")));
    assert_true(json_is_array(json_object_get(l.js.root, "c")));
    assert_true(json_is_array(json_object_get(l.js.root, "e")));
    struct ay_span a = bytes_of(&l, "a");
    assert_int_equal(a.len, 8);
    assert_int_equal(a.ptr[7], 8);
    struct ay_span b = bytes_of(&l, "b");
    assert_int_equal(b.len, 9);
    assert_int_equal(b.ptr[1], 255);
    assert_int_equal(b.ptr[3], 99);
    /* Plain arrays read back too; an array that is not bytes does not. */
    struct ay_span c = bytes_of(&l, "c");
    assert_int_equal(c.len, 7);
    struct ay_span d = bytes_of(&l, "d");
    assert_int_equal(d.len, 0);
    struct ay_span e;
    assert_false(ay_snp_json_bytes(&l.ctx, &l.js, json_object_get(l.js.root, "e"), &e));
    const json_t *n = json_object_get(l.js.root, "n");
    assert_true(json_is_array(n));
    assert_true(ay_snp_json_bytes(&l.ctx, &l.js, json_array_get(n, 0), &e));
    assert_int_equal(e.len, 8);
    /* A placeholder is not bytes without its document. */
    assert_false(ay_snp_json_bytes(&l.ctx, NULL, json_object_get(l.js.root, "a"), &e));
    unload(&l);
}

/* Long base64 / hex strings in value position are kept as spans of the text. */
static void test_strings(void **state)
{
    (void)state;
    char text[1024];
    char b64[80];
    memset(b64, 'A', sizeof b64);
    b64[0] = '-';
    b64[1] = '_';
    b64[78] = '=';
    b64[79] = '\0';
    char short_s[64];
    memset(short_s, 'f', 63);
    short_s[63] = '\0';
    (void)snprintf(text, sizeof text,
                   "{\"long\":\"%s\",\"short\":\"%s\",\"esc\":\"%s\\n\",\"%s\":1,"
                   "\"l\":[\"%s\"]}",
                   b64, short_s, b64, b64, b64);
    struct loaded l;
    load(&l, text, 0);
    assert_true(l.js.fast);
    assert_int_equal(l.js.n_strs, 2); /* "long" and the array element; not the key */
    struct ay_span t;
    assert_true(ay_snp_json_str(&l.js, json_object_get(l.js.root, "long"), &t));
    assert_int_equal(t.len, 79);
    assert_memory_equal(t.ptr, b64, 79);
    assert_true(ay_snp_json_str(&l.js, json_array_get(json_object_get(l.js.root, "l"), 0), &t));
    assert_int_equal(t.len, 79);
    /* 63 characters, and one with an escape, stay strings */
    assert_true(ay_snp_json_str(&l.js, json_object_get(l.js.root, "short"), &t));
    assert_int_equal(t.len, 63);
    assert_true(ay_snp_json_str(&l.js, json_object_get(l.js.root, "esc"), &t));
    assert_int_equal(t.len, 80);
    assert_int_equal(t.ptr[79], '\n');
    /* the long key is a key */
    assert_non_null(json_object_get(l.js.root, b64));
    /* a string placeholder is not bytes, a byte placeholder not a string */
    struct ay_span b;
    assert_false(ay_snp_json_bytes(&l.ctx, &l.js, json_object_get(l.js.root, "long"), &b));
    assert_false(ay_snp_json_str(NULL, json_object_get(l.js.root, "long"), &t) && t.len == 79);
    unload(&l);
    /* An escaped U+0002 anywhere: parsed as it is. */
    (void)snprintf(text, sizeof text, "{\"long\":\"%s\",\"x\":\"\\u0002\"}", b64);
    load(&l, text, 0);
    assert_false(l.js.fast);
    assert_true(ay_snp_json_str(&l.js, json_object_get(l.js.root, "long"), &t));
    assert_int_equal(t.len, 79);
    unload(&l);
}

/* Texts jansson refuses stay refused; texts it accepts keep their meaning. */
static void test_verdict_is_janssons(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "{[1,2,3,4,5,6,7,8,9]:1}",            /* an array as a key */
        "{\"a\":1,[1,2,3,4,5,6,7,8,9]}",      /* an array where a key belongs */
        "{\"a\":[01,2,3,4,5,6,7,8,9]}",       /* leading zero */
        "{\"a\":[1,2,3,4,5,6,7,8,9]",         /* unterminated */
        "{\"a\":[1,2,3,4,5,6,7,8,9]]}",       /* extra bracket */
        "{\"a\" [1,2,3,4,5,6,7,8,9]}",        /* no colon */
        "{\"a\":[1,2,3,4,5,6,7,8,9] [1,2]}",  /* two values */
        "{\"a\":[1,2,3,4,5,6,7,8,9],}",       /* trailing comma */
        "{\"a\":[1,2,3,4,5,6,7,8,],\"b\":1}", /* trailing comma inside */
        "{\"a\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"",
        "{\"a\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "{\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct loaded l;
        load(&l, refused[i], 0);
        if (l.js.root != NULL) {
            fail_msg("accepted: %s", refused[i]);
        }
        unload(&l);
    }
    /* A top-level byte array: the copy is a bare string, so the text is parsed as it is. */
    struct loaded t;
    load(&t, "[1,2,3,4,5,6,7,8,9]", 0);
    assert_non_null(t.js.root);
    assert_true(json_is_array(t.js.root));
    unload(&t);
    /* Duplicate keys: refused with JSON_REJECT_DUPLICATES, as jansson does. */
    struct loaded dup;
    load(&dup, "{\"a\":[1,2,3,4,5,6,7,8],\"a\":[1,2,3,4,5,6,7,8]}", JSON_REJECT_DUPLICATES);
    assert_null(dup.js.root);
    unload(&dup);
    /* Brackets inside strings are text. */
    struct loaded s;
    load(&s, "{\"s\":\"x\\\"[1,2,3,4,5,6,7,8]\",\"a\":[1,2,3,4,5,6,7,8]}", 0);
    assert_string_equal(json_string_value(json_object_get(s.js.root, "s")), "x\"[1,2,3,4,5,6,7,8]");
    assert_int_equal(s.js.n, 1);
    unload(&s);
}

/* Texts the copy cannot stand for are parsed as they are. */
static void test_fallbacks(void **state)
{
    (void)state;
    /* A string holding an escaped U+0001 could pass for a placeholder. */
    struct loaded l;
    load(&l, "{\"s\":\"\\u00010\",\"a\":[9,2,3,4,5,6,7,8]}", 0);
    assert_false(l.js.fast);
    assert_int_equal(l.js.n, 0);
    struct ay_span b;
    /* "\u00010" is not bytes; the array is read as an array */
    assert_false(ay_snp_json_bytes(&l.ctx, &l.js, json_object_get(l.js.root, "s"), &b));
    b = bytes_of(&l, "a");
    assert_int_equal(b.ptr[0], 9);
    unload(&l);
    /* Deeper than 32. */
    char deep[256];
    int k = snprintf(deep, sizeof deep, "{\"x\":");
    for (int i = 0; i < 40; i++) {
        deep[k++] = '[';
    }
    k += snprintf(deep + k, sizeof deep - (size_t)k, "[1,2,3,4,5,6,7,8]");
    for (int i = 0; i < 40; i++) {
        deep[k++] = ']';
    }
    deep[k++] = '}';
    deep[k] = '\0';
    load(&l, deep, 0);
    assert_false(l.js.fast);
    assert_non_null(l.js.root);
    unload(&l);
    /* An escaped backslash before "u0001" is not an escape of U+0001. */
    load(&l, "{\"s\":\"\\\\u0001\",\"a\":[9,2,3,4,5,6,7,8]}", 0);
    assert_true(l.js.fast);
    assert_int_equal(l.js.n, 1);
    unload(&l);
}

/* The `snp` verifier on Trustee JSON evidence: the fast path, the fallback path, and damage. */
static void test_verifier_json(void **state)
{
    (void)state;
    struct ay_snp_testpki *pki = snp_tpki_new();
    const struct ay_span ders[3] = {ay_span_of(pki->vcek_der, pki->vcek_len),
                                    ay_span_of(pki->ask_der, pki->ask_len),
                                    ay_span_of(pki->ark_der, pki->ark_len)};
    char *text = snp_tpki_trustee_json(ay_span_of(pki->report, AY_SNP_REPORT_LEN), ders, 3);
    json_t *ev = json_loads(text, 0, NULL);
    assert_non_null(ev);
    for (int variant = 0; variant < 7; variant++) {
        json_t *v = json_deep_copy(ev);
        ay_err want = AY_OK;
        if (variant == 1) {
            /* an extra member with an escaped U+0001: the fallback path */
            json_object_set_new(v, "note",
                                json_string("\x01"
                                            "0"));
        } else if (variant == 2) {
            /* one byte of the measurement changed: the signature fails */
            json_t *m = json_object_get(json_object_get(v, "attestation_report"), "measurement");
            json_array_set_new(m, 0, json_integer(json_integer_value(json_array_get(m, 0)) ^ 1));
            want = AY_ERR_BAD_SIGNATURE;
        } else if (variant == 3) {
            /* the VCEK data one byte short: not a certificate */
            json_t *data =
                json_object_get(json_array_get(json_object_get(v, "cert_chain"), 0), "data");
            json_array_remove(data, json_array_size(data) - 1);
            want = AY_ERR_MALFORMED;
        } else if (variant == 4) {
            /* 256 in the measurement: not a byte array (stays JSON, refused element-wise) */
            json_t *m = json_object_get(json_object_get(v, "attestation_report"), "measurement");
            json_array_set_new(m, 5, json_integer(256));
            want = AY_ERR_MALFORMED;
        } else if (variant == 5) {
            /* 47 bytes of measurement: the wrong length */
            json_t *m = json_object_get(json_object_get(v, "attestation_report"), "measurement");
            json_array_remove(m, 0);
            want = AY_ERR_MALFORMED;
        } else if (variant == 6) {
            /* the measurement as a string: not a byte array */
            json_object_set_new(
                json_object_get(v, "attestation_report"), "measurement",
                json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
            want = AY_ERR_MALFORMED;
        }
        char *t = json_dumps(v, JSON_COMPACT);
        json_decref(v);
        struct ay_arena *arena = NULL;
        ay_arena_new(1 << 20, &arena);
        struct ay_ctx ctx;
        ay_ctx_init(&ctx, arena);
        ctx.now = SNP_TPKI_T0;
        struct ay_tee_input in;
        memset(&in, 0, sizeof in);
        in.evidence = ay_span_of(t, strlen(t));
        json_t *claims = NULL;
        ay_err e = ay_tee_snp_verify_with(&ctx, &in, &pki->trust, &claims);
        if (e != want) {
            fail_msg("variant %d: %s (%s)", variant, ay_err_name(e), ay_diag_message(&ctx.diag));
        }
        json_decref(claims);
        ay_arena_free(arena);
        free(t);
    }
    json_decref(ev);
    free(text);
    snp_tpki_free(pki);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placeholders),        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_verdict_is_janssons), cmocka_unit_test(test_fallbacks),
        cmocka_unit_test(test_verifier_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
