/* SPDX-License-Identifier: Apache-2.0 */
/* libcbor, loaded on first use (base_dl.h) instead of at program start: only CCA evidence
 * (tee_cca.c, crypto_cose.c through codec_cbor.c) needs CBOR, while every CLI run paid for
 * mapping the library (issue 3). Types, constants and struct layouts still come from <cbor.h>
 * (header only): the code is reached through struct ay_cbor_lib, whose slots are typed after
 * the header's own declarations so a prototype cannot drift. libcbor's soname carries its
 * minor version (0.8 here) because its ABI changes between minor releases. */
#ifndef AY_CODEC_CBOR_LIB_H
#define AY_CODEC_CBOR_LIB_H

#include <cbor.h>

#include "base/base_err.h"

#define AY_CBOR_SONAME  "libcbor.so.0.8"
#define AY_CBOR_PACKAGE "libcbor0.8"

/* The libcbor entry points assay uses, named without their cbor_ prefix. All are non-NULL once
 * the table is handed out. */
struct ay_cbor_lib {
    /* decoding */
    __typeof__(cbor_load) *load;
    __typeof__(cbor_stream_decode) *stream_decode;
    __typeof__(cbor_empty_callbacks) *empty_callbacks; /* data: the no-op callback set */
    /* reference counting */
    __typeof__(cbor_decref) *decref;
    __typeof__(cbor_move) *move;
    /* type tests */
    __typeof__(cbor_isa_uint) *isa_uint;
    __typeof__(cbor_isa_negint) *isa_negint;
    __typeof__(cbor_isa_bytestring) *isa_bytestring;
    __typeof__(cbor_isa_string) *isa_string;
    __typeof__(cbor_isa_array) *isa_array;
    __typeof__(cbor_isa_map) *isa_map;
    __typeof__(cbor_isa_tag) *isa_tag;
    /* accessors */
    __typeof__(cbor_get_int) *get_int;
    __typeof__(cbor_bytestring_is_definite) *bytestring_is_definite;
    __typeof__(cbor_bytestring_handle) *bytestring_handle;
    __typeof__(cbor_bytestring_length) *bytestring_length;
    __typeof__(cbor_string_is_definite) *string_is_definite;
    __typeof__(cbor_string_handle) *string_handle;
    __typeof__(cbor_string_length) *string_length;
    __typeof__(cbor_array_size) *array_size;
    __typeof__(cbor_array_handle) *array_handle;
    __typeof__(cbor_map_size) *map_size;
    __typeof__(cbor_map_handle) *map_handle;
    __typeof__(cbor_tag_item) *tag_item;
    __typeof__(cbor_tag_value) *tag_value;
    /* building and encoding */
    __typeof__(cbor_build_tag) *build_tag;
    __typeof__(cbor_build_string) *build_string;
    __typeof__(cbor_build_bytestring) *build_bytestring;
    __typeof__(cbor_new_definite_array) *new_definite_array;
    __typeof__(cbor_array_push) *array_push;
    __typeof__(cbor_serialize) *serialize;
};

/* The table, loading libcbor on the first call. AY_ERR_LIBRARY with "cannot load
 * libcbor.so.0.8 (install libcbor0.8): <loader message>" (or "libcbor.so.0.8 has no <symbol>
 * (not libcbor?)") when it cannot be had; later calls return the same outcome. Thread-safe. */
AY_MUST_USE ay_err ay_cbor_lib_get(struct ay_diag *d, const struct ay_cbor_lib **out);

/* The same for code without a diagnostic (accessors on items that exist, hence on a loaded
 * library): NULL when libcbor cannot be loaded. */
const struct ay_cbor_lib *ay_cbor_lib(void);

/* Tries another library name as ay_cbor_lib_get would, without keeping it or changing what the
 * table uses: for tests of the messages. */
AY_MUST_USE ay_err ay_cbor_lib_probe(const char *soname, struct ay_diag *d);

/* For tests of a machine without libcbor: the name the first load will try instead of
 * AY_CBOR_SONAME (borrowed: a static string). Call before anything uses CBOR; once the table was
 * asked for, it is AY_ERR_INTERNAL and changes nothing. Not thread-safe. */
AY_MUST_USE ay_err ay_cbor_lib_use_soname(const char *soname);

#endif
