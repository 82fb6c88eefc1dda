/* SPDX-License-Identifier: Apache-2.0 */
/* The libcbor table of codec_cbor_lib.h, filled by name from libcbor.so.0.8 on first use. */
#include "codec/codec_cbor_lib.h"

#include "base/base_dl.h"

#define CBOR_SYM(field) AY_DL_SYM(struct ay_cbor_lib, field, "cbor_" #field)

static const struct ay_dl_sym CBOR_SYMS[] = {
    CBOR_SYM(load),
    CBOR_SYM(stream_decode),
    CBOR_SYM(empty_callbacks),
    CBOR_SYM(decref),
    CBOR_SYM(move),
    CBOR_SYM(isa_uint),
    CBOR_SYM(isa_negint),
    CBOR_SYM(isa_bytestring),
    CBOR_SYM(isa_string),
    CBOR_SYM(isa_array),
    CBOR_SYM(isa_map),
    CBOR_SYM(isa_tag),
    CBOR_SYM(get_int),
    CBOR_SYM(bytestring_is_definite),
    CBOR_SYM(bytestring_handle),
    CBOR_SYM(bytestring_length),
    CBOR_SYM(string_is_definite),
    CBOR_SYM(string_handle),
    CBOR_SYM(string_length),
    CBOR_SYM(array_size),
    CBOR_SYM(array_handle),
    CBOR_SYM(map_size),
    CBOR_SYM(map_handle),
    CBOR_SYM(tag_item),
    CBOR_SYM(tag_value),
    CBOR_SYM(build_tag),
    CBOR_SYM(build_string),
    CBOR_SYM(build_bytestring),
    CBOR_SYM(new_definite_array),
    CBOR_SYM(array_push),
    CBOR_SYM(serialize),
};

/* Every slot of the table is listed once: a field added without its symbol would stay NULL. */
_Static_assert(sizeof CBOR_SYMS / sizeof CBOR_SYMS[0] * sizeof(void *) ==
                   sizeof(struct ay_cbor_lib),
               "CBOR_SYMS must list every slot of struct ay_cbor_lib");

/* Not const only for ay_cbor_lib_use_soname; read under g_once's lock, at the first load. */
static struct ay_dl_spec g_spec = {
    .soname = AY_CBOR_SONAME,
    .package = AY_CBOR_PACKAGE,
    .kind = "libcbor",
    .code = AY_ERR_LIBRARY,
    .syms = CBOR_SYMS,
    .n_syms = sizeof CBOR_SYMS / sizeof CBOR_SYMS[0],
    .init = NULL,
};

static struct ay_cbor_lib g_lib;
static struct ay_dl_once g_once = AY_DL_ONCE_INIT;

ay_err ay_cbor_lib_get(struct ay_diag *d, const struct ay_cbor_lib **out)
{
    TRY(ay_dl_load(&g_once, &g_spec, &g_lib, d));
    *out = &g_lib;
    return AY_OK;
}

const struct ay_cbor_lib *ay_cbor_lib(void)
{
    const struct ay_cbor_lib *lib = NULL;
    return ay_cbor_lib_get(NULL, &lib) == AY_OK ? lib : NULL;
}

ay_err ay_cbor_lib_use_soname(const char *soname)
{
    ENSURE(!ay_dl_tried(&g_once) && soname != NULL, AY_ERR_INTERNAL);
    g_spec.soname = soname;
    return AY_OK;
}

ay_err ay_cbor_lib_probe(const char *soname, struct ay_diag *d)
{
    struct ay_dl_spec spec = g_spec;
    spec.soname = soname;
    struct ay_cbor_lib lib;
    void *h = NULL;
    TRY(ay_dl_open(&spec, &lib, &h, d));
    ay_dl_close(h);
    return AY_OK;
}
