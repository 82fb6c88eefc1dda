/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded CBOR decoding over libcbor 0.8 (CCA-KBS.md section 5). A streaming pre-pass with
 * libcbor's own callback decoder bounds nesting and element counts before cbor_load builds
 * the tree: cbor_load allocates every container up front from its declared size and
 * cbor_decref recurses, so both must be bounded by us. libcbor itself is reached through the
 * table of codec_cbor_lib.h (loaded on first use); every entry point gets it first. */
#include "codec/codec_cbor.h"

#include <string.h>

#include <cbor.h>

#include "base/base_arena.h"
#include "base/base_limits.h"
#include "codec/codec_cbor_lib.h"

/* The pre-pass state: a stack of "items still expected" per open container. */
struct scan {
    uint64_t left[AY_LIMIT_CBOR_DEPTH];
    size_t sp;
    size_t bytes_left; /* input bytes after the current head: bounds declared counts */
    bool done;         /* the top-level item is complete */
    ay_err err;
    const char *why;
};

static void bad(struct scan *s, ay_err e, const char *why)
{
    if (s->err == AY_OK) {
        s->err = e;
        s->why = why;
    }
}

/* One complete item: count it against the innermost open container, closing containers
 * whose last item this was (a closed container is itself an item of its parent). */
static void item_done(struct scan *s)
{
    for (;;) {
        if (s->sp == 0) {
            s->done = true;
            return;
        }
        if (--s->left[s->sp - 1] > 0) {
            return;
        }
        s->sp--;
    }
}

static void open_container(struct scan *s, uint64_t n)
{
    if (n == 0) {
        item_done(s);
        return;
    }
    /* Every element needs at least one byte: a larger count is a lie that would make
     * cbor_load allocate a huge container. */
    if (n > s->bytes_left) {
        bad(s, AY_ERR_TRUNCATED, "container count larger than the remaining input");
        return;
    }
    if (s->sp >= AY_LIMIT_CBOR_DEPTH) {
        bad(s, AY_ERR_LIMIT, "nesting deeper than the limit");
        return;
    }
    s->left[s->sp++] = n;
}

static void cb_u8(void *c, uint8_t v)
{
    (void)v;
    item_done(c);
}

static void cb_u16(void *c, uint16_t v)
{
    (void)v;
    item_done(c);
}

static void cb_u32(void *c, uint32_t v)
{
    (void)v;
    item_done(c);
}

static void cb_u64(void *c, uint64_t v)
{
    (void)v;
    item_done(c);
}

static void cb_str(void *c, cbor_data p, size_t n)
{
    (void)p;
    (void)n;
    item_done(c);
}

static void cb_indef(void *c)
{
    /* CCA-KBS.md section 1.1: only definite lengths are used; indefinite ones are refused
     * rather than half-supported. */
    bad(c, AY_ERR_MALFORMED, "indefinite-length item");
}

static void cb_array(void *c, size_t n)
{
    open_container(c, n);
}

static void cb_map(void *c, size_t n)
{
    struct scan *s = c;
    if (n > SIZE_MAX / 2) {
        bad(s, AY_ERR_TRUNCATED, "map count larger than the remaining input");
        return;
    }
    open_container(s, (uint64_t)n * 2);
}

static void cb_tag(void *c, uint64_t v)
{
    (void)v;
    open_container(c, 1);
}

static void cb_f(void *c, float v)
{
    (void)v;
    item_done(c);
}

static void cb_d(void *c, double v)
{
    (void)v;
    item_done(c);
}

static void cb_simple(void *c)
{
    item_done(c);
}

static void cb_bool(void *c, bool v)
{
    (void)v;
    item_done(c);
}

static struct cbor_callbacks scan_callbacks(const struct ay_cbor_lib *lib)
{
    struct cbor_callbacks cb = *lib->empty_callbacks;
    cb.uint8 = cb_u8;
    cb.uint16 = cb_u16;
    cb.uint32 = cb_u32;
    cb.uint64 = cb_u64;
    cb.negint8 = cb_u8;
    cb.negint16 = cb_u16;
    cb.negint32 = cb_u32;
    cb.negint64 = cb_u64;
    cb.byte_string = cb_str;
    cb.byte_string_start = cb_indef;
    cb.string = cb_str;
    cb.string_start = cb_indef;
    cb.array_start = cb_array;
    cb.indef_array_start = cb_indef;
    cb.map_start = cb_map;
    cb.indef_map_start = cb_indef;
    cb.tag = cb_tag;
    cb.float2 = cb_f;
    cb.float4 = cb_f;
    cb.float8 = cb_d;
    cb.undefined = cb_simple;
    cb.null = cb_simple;
    cb.boolean = cb_bool;
    cb.indef_break = cb_indef;
    return cb;
}

ay_err ay_cbor_check(struct ay_diag *d, const char *what, struct ay_span in)
{
    const struct ay_cbor_lib *lib = NULL;
    TRY(ay_cbor_lib_get(d, &lib));
    const struct cbor_callbacks cb = scan_callbacks(lib);
    struct scan s;
    memset(&s, 0, sizeof s);
    struct ay_cur c;
    ay_cur_init(&c, in);
    while (!s.done) {
        struct ay_span rest = ay_cur_rest(&c);
        if (rest.len == 0) {
            return FAIL(d, AY_ERR_TRUNCATED, "%s: CBOR item truncated at offset %zu", what,
                        ay_cur_pos(&c));
        }
        /* Counts declared by this head are bounded by the bytes after it. */
        s.bytes_left = rest.len - 1;
        struct cbor_decoder_result r = lib->stream_decode(rest.ptr, rest.len, &cb, &s);
        if (r.status == CBOR_DECODER_NEDATA) {
            return FAIL(d, AY_ERR_TRUNCATED, "%s: CBOR item truncated at offset %zu", what,
                        ay_cur_pos(&c));
        }
        if (r.status != CBOR_DECODER_FINISHED || r.read == 0) {
            return FAIL(d, AY_ERR_MALFORMED, "%s: malformed CBOR at offset %zu", what,
                        ay_cur_pos(&c));
        }
        if (s.err != AY_OK) {
            return FAIL(d, s.err, "%s: CBOR %s at offset %zu", what, s.why, ay_cur_pos(&c));
        }
        if (ay_cur_skip(&c, r.read) != AY_OK) {
            return FAIL(d, AY_ERR_INTERNAL, "%s: CBOR decoder overran its input", what);
        }
    }
    if (ay_cur_left(&c) != 0) {
        return FAIL(d, AY_ERR_MALFORMED, "%s: %zu trailing bytes after the CBOR item", what,
                    ay_cur_left(&c));
    }
    return AY_OK;
}

/* Loads an item already checked by ay_cbor_check. */
static ay_err load(const struct ay_cbor_lib *lib, struct ay_diag *d, const char *what,
                   struct ay_span in, cbor_item_t **out)
{
    struct cbor_load_result r;
    cbor_item_t *it = lib->load(in.ptr, in.len, &r);
    if (it == NULL || r.error.code != CBOR_ERR_NONE) {
        if (it != NULL) {
            lib->decref(&it);
        }
        return FAIL(d, r.error.code == CBOR_ERR_MEMERROR ? AY_ERR_LIMIT : AY_ERR_MALFORMED,
                    "%s: CBOR does not decode (libcbor error %d at offset %zu)", what,
                    (int)r.error.code, r.error.position);
    }
    if (r.read != in.len) {
        lib->decref(&it);
        return FAIL(d, AY_ERR_MALFORMED, "%s: trailing bytes after the CBOR item", what);
    }
    *out = it;
    return AY_OK;
}

ay_err ay_cbor_decode(struct ay_diag *d, const char *what, struct ay_span in, cbor_item_t **out)
{
    const struct ay_cbor_lib *lib = NULL;
    TRY(ay_cbor_lib_get(d, &lib));
    struct ay_cur c;
    ay_cur_init(&c, in);
    int head = ay_cur_peek(&c);
    /* libcbor 0.8 rejects one-byte tag heads 0xC6..0xD4 (tags 6..20; PJK/libcbor#307). Strip
     * a leading one and rebuild the tag around the decoded content. */
    if (head >= 0xC6 && head <= 0xD4) {
        TRY(ay_cur_skip(&c, 1));
        struct ay_span inner = ay_cur_rest(&c);
        TRY(ay_cbor_check(d, what, inner));
        cbor_item_t *content = NULL;
        TRY(load(lib, d, what, inner, &content));
        cbor_item_t *tagged = lib->build_tag((uint64_t)(head - 0xC0), content);
        lib->decref(&content);
        if (tagged == NULL) {
            return FAIL(d, AY_ERR_INTERNAL, "%s: cannot build a CBOR tag", what);
        }
        *out = tagged;
        return AY_OK;
    }
    TRY(ay_cbor_check(d, what, in));
    return load(lib, d, what, in, out);
}

void ay_cbor_free(cbor_item_t *it)
{
    if (it == NULL) {
        return; /* without loading libcbor: cleanup paths free items never decoded */
    }
    /* An item exists only if libcbor was loaded (lib is then never NULL). */
    const struct ay_cbor_lib *lib = ay_cbor_lib();
    if (lib != NULL) {
        lib->decref(&it);
    }
}

/* The accessors below run on items that exist, so libcbor is loaded; they still check rather
 * than ever call through a NULL table. */
ay_err ay_cbor_uint(const cbor_item_t *it, uint64_t *out)
{
    const struct ay_cbor_lib *lib = ay_cbor_lib();
    ENSURE(lib != NULL, AY_ERR_LIBRARY);
    ENSURE(it != NULL && lib->isa_uint(it), AY_ERR_MALFORMED);
    *out = lib->get_int(it);
    return AY_OK;
}

ay_err ay_cbor_int(const cbor_item_t *it, int64_t *out)
{
    const struct ay_cbor_lib *lib = ay_cbor_lib();
    ENSURE(lib != NULL, AY_ERR_LIBRARY);
    ENSURE(it != NULL, AY_ERR_MALFORMED);
    uint64_t v;
    if (lib->isa_uint(it)) {
        v = lib->get_int(it);
        ENSURE(v <= (uint64_t)INT64_MAX, AY_ERR_MALFORMED);
        *out = (int64_t)v;
        return AY_OK;
    }
    ENSURE(lib->isa_negint(it), AY_ERR_MALFORMED);
    /* A negative integer encodes -1 - v (RFC 8949 section 3.1, major type 1). */
    v = lib->get_int(it);
    ENSURE(v <= (uint64_t)INT64_MAX, AY_ERR_MALFORMED);
    *out = -1 - (int64_t)v;
    return AY_OK;
}

ay_err ay_cbor_bstr(const cbor_item_t *it, struct ay_span *out)
{
    const struct ay_cbor_lib *lib = ay_cbor_lib();
    ENSURE(lib != NULL, AY_ERR_LIBRARY);
    ENSURE(it != NULL && lib->isa_bytestring(it) && lib->bytestring_is_definite(it),
           AY_ERR_MALFORMED);
    *out = ay_span_of(lib->bytestring_handle(it), lib->bytestring_length(it));
    return AY_OK;
}

ay_err ay_cbor_tstr(const cbor_item_t *it, struct ay_span *out)
{
    const struct ay_cbor_lib *lib = ay_cbor_lib();
    ENSURE(lib != NULL, AY_ERR_LIBRARY);
    ENSURE(it != NULL && lib->isa_string(it) && lib->string_is_definite(it), AY_ERR_MALFORMED);
    *out = ay_span_of(lib->string_handle(it), lib->string_length(it));
    return AY_OK;
}

ay_err ay_cbor_untag(const cbor_item_t *it, uint64_t *out_tag, const cbor_item_t **out_item)
{
    const struct ay_cbor_lib *lib = ay_cbor_lib();
    ENSURE(lib != NULL, AY_ERR_LIBRARY);
    ENSURE(it != NULL && lib->isa_tag(it), AY_ERR_MALFORMED);
    /* cbor_tag_item takes a reference; the tag keeps its own, so dropping ours leaves a
     * borrowed pointer valid as long as `it`. */
    cbor_item_t *inner = lib->tag_item(it);
    ENSURE(inner != NULL, AY_ERR_MALFORMED);
    const cbor_item_t *borrowed = inner;
    lib->decref(&inner);
    *out_tag = lib->tag_value(it);
    *out_item = borrowed;
    return AY_OK;
}

bool ay_cbor_is_map(const cbor_item_t *it)
{
    const struct ay_cbor_lib *lib = ay_cbor_lib();
    if (lib == NULL) {
        return false;
    }
    return it != NULL && lib->isa_map(it);
}

size_t ay_cbor_array_len(const cbor_item_t *it)
{
    const struct ay_cbor_lib *lib = ay_cbor_lib();
    if (lib == NULL) {
        return 0;
    }
    return it != NULL && lib->isa_array(it) ? lib->array_size(it) : 0;
}

ay_err ay_cbor_map_pairs(const cbor_item_t *map, const struct cbor_pair **out, size_t *out_n)
{
    const struct ay_cbor_lib *lib = ay_cbor_lib();
    ENSURE(lib != NULL, AY_ERR_LIBRARY);
    ENSURE(map != NULL && lib->isa_map(map), AY_ERR_MALFORMED);
    *out = lib->map_handle(map);
    *out_n = lib->map_size(map);
    return AY_OK;
}

const cbor_item_t *ay_cbor_array_at(const cbor_item_t *arr, size_t i)
{
    const struct ay_cbor_lib *lib = ay_cbor_lib();
    if (lib == NULL) {
        return NULL;
    }
    if (arr == NULL || !lib->isa_array(arr) || i >= lib->array_size(arr)) {
        return NULL;
    }
    return lib->array_handle(arr)[i];
}

const cbor_item_t *ay_cbor_map_get_int(const cbor_item_t *map, int64_t key)
{
    const struct cbor_pair *p = NULL;
    size_t n = 0;
    if (ay_cbor_map_pairs(map, &p, &n) != AY_OK) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t k;
        if (ay_cbor_int(p[i].key, &k) == AY_OK && k == key) {
            return p[i].value;
        }
    }
    return NULL;
}

ay_err ay_cbor_map_unique_int_keys(const cbor_item_t *map)
{
    const struct cbor_pair *p = NULL;
    size_t n = 0;
    TRY(ay_cbor_map_pairs(map, &p, &n));
    /* Claim maps hold a few dozen keys: the quadratic scan is cheaper than sorting. */
    for (size_t i = 0; i < n; i++) {
        int64_t a;
        if (ay_cbor_int(p[i].key, &a) != AY_OK) {
            continue;
        }
        for (size_t j = i + 1; j < n; j++) {
            int64_t b;
            if (ay_cbor_int(p[j].key, &b) == AY_OK && a == b) {
                return AY_ERR_MALFORMED;
            }
        }
    }
    return AY_OK;
}

ay_err ay_cbor_encode(const cbor_item_t *it, struct ay_arena *a, size_t max, struct ay_span *out)
{
    const struct ay_cbor_lib *lib = ay_cbor_lib();
    ENSURE(lib != NULL, AY_ERR_LIBRARY);
    void *buf = NULL;
    TRY(ay_arena_alloc(a, max, &buf));
    size_t n = lib->serialize(it, buf, max);
    ENSURE(n > 0, AY_ERR_LIMIT);
    *out = ay_span_of(buf, n);
    return AY_OK;
}
