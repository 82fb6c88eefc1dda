/* SPDX-License-Identifier: Apache-2.0 */
/* libcbor loaded on first use (codec_cbor_lib.h): the table is complete, the messages when the
 * library or a symbol is missing, and the codec_cbor.h helpers that go through the table
 * (ay_cbor_free, ay_cbor_is_map, ay_cbor_array_len, ay_cbor_map_pairs). This file calls no
 * cbor_* function itself, so it also builds where libcbor is not linked at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/base_arena.h"
#include "codec/codec_cbor.h"
#include "codec/codec_cbor_lib.h"

static void test_table_complete(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    const struct ay_cbor_lib *lib = NULL;
    assert_int_equal(ay_cbor_lib_get(&d, &lib), AY_OK);
    assert_non_null(lib);
    /* Every slot is filled (each is pointer-sized: codec_cbor_lib.c asserts it). */
    void *slots[sizeof *lib / sizeof(void *)];
    memcpy(slots, lib, sizeof slots);
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        assert_non_null(slots[i]);
    }
    /* The same table each time, with or without a diagnostic. */
    assert_ptr_equal(ay_cbor_lib(), lib);
    const struct ay_cbor_lib *again = NULL;
    assert_int_equal(ay_cbor_lib_get(NULL, &again), AY_OK);
    assert_ptr_equal(again, lib);
    /* The data symbol is libcbor's no-op callback set, usable as such. */
    assert_non_null(lib->empty_callbacks->uint8);
}

static void test_probe_messages(void **state)
{
    (void)state;
    struct ay_diag d;
    ay_diag_clear(&d);
    assert_int_equal(ay_cbor_lib_probe("libassay-no-such-cbor.so.0.8", &d), AY_ERR_LIBRARY);
    assert_non_null(strstr(ay_diag_message(&d),
                           "cannot load libassay-no-such-cbor.so.0.8 (install libcbor0.8): "));
    /* A library that is not libcbor: the first symbol of the table is the one named. */
    ay_diag_clear(&d);
    assert_int_equal(ay_cbor_lib_probe("libc.so.6", &d), AY_ERR_LIBRARY);
    assert_string_equal(ay_diag_message(&d), "libc.so.6 has no cbor_load (not libcbor?)");
    ay_diag_clear(&d);
    assert_int_equal(ay_cbor_lib_probe(NULL, &d), AY_ERR_LIBRARY);
    assert_non_null(strstr(ay_diag_message(&d), "no library name"));
    ay_diag_clear(&d);
    assert_int_equal(ay_cbor_lib_probe(AY_CBOR_SONAME, &d), AY_OK);
    /* Probing changed nothing for the real table. */
    assert_non_null(ay_cbor_lib());
}

static cbor_item_t *dec(const uint8_t *p, size_t n)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    cbor_item_t *it = NULL;
    assert_int_equal(ay_cbor_decode(&d, "test", ay_span_of(p, n), &it), AY_OK);
    assert_non_null(it);
    return it;
}

static void test_helpers(void **state)
{
    (void)state;
    ay_cbor_free(NULL); /* a no-op */

    static const uint8_t empty_map[] = {0xa0};
    cbor_item_t *m = dec(empty_map, sizeof empty_map);
    const struct cbor_pair *p = NULL;
    size_t n = 7;
    assert_true(ay_cbor_is_map(m));
    assert_int_equal(ay_cbor_map_pairs(m, &p, &n), AY_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ay_cbor_array_len(m), 0); /* not an array */
    assert_int_equal(ay_cbor_map_unique_int_keys(m), AY_OK);
    ay_cbor_free(m);

    static const uint8_t map2[] = {0xa2, 0x01, 0x61, 'a',
                                   0x20, 0x42, 0x00, 0x01}; /* {1:"a",-1:h'0001'} */
    m = dec(map2, sizeof map2);
    assert_int_equal(ay_cbor_map_pairs(m, &p, &n), AY_OK);
    assert_int_equal(n, 2);
    int64_t k = 0;
    assert_int_equal(ay_cbor_int(p[1].key, &k), AY_OK);
    assert_int_equal(k, -1);
    struct ay_span s;
    assert_int_equal(ay_cbor_bstr(p[1].value, &s), AY_OK);
    assert_int_equal(s.len, 2);
    ay_cbor_free(m);

    static const uint8_t arr3[] = {0x83, 0x01, 0x80, 0xa0}; /* [1, [], {}] */
    cbor_item_t *a = dec(arr3, sizeof arr3);
    assert_false(ay_cbor_is_map(a));
    assert_int_equal(ay_cbor_array_len(a), 3);
    assert_int_equal(ay_cbor_array_len(ay_cbor_array_at(a, 1)), 0); /* an empty array */
    assert_true(ay_cbor_is_map(ay_cbor_array_at(a, 2)));
    assert_int_equal(ay_cbor_map_pairs(a, &p, &n), AY_ERR_MALFORMED);
    assert_int_equal(ay_cbor_map_unique_int_keys(a), AY_ERR_MALFORMED);
    /* NULL items are "not a map / not an array", never a crash. */
    assert_false(ay_cbor_is_map(NULL));
    assert_int_equal(ay_cbor_array_len(NULL), 0);
    assert_int_equal(ay_cbor_map_pairs(NULL, &p, &n), AY_ERR_MALFORMED);
    assert_null(ay_cbor_array_at(a, 3));

    /* Encoding goes through the table too: the array re-encodes to its bytes. */
    struct ay_arena *arena = NULL;
    ay_arena_new(4096, &arena);
    struct ay_span out;
    assert_int_equal(ay_cbor_encode(a, arena, 64, &out), AY_OK);
    assert_int_equal(out.len, sizeof arr3);
    assert_memory_equal(out.ptr, arr3, sizeof arr3);
    ay_arena_free(arena);
    ay_cbor_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_complete),
        cmocka_unit_test(test_probe_messages),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
