/* SPDX-License-Identifier: Apache-2.0 */
/* Encoding builtins (OPA topdown/encoding.go): base64 (RFC 4648 section 4, Go's StdEncoding:
 * padding required, CR/LF ignored), base64url (section 5; decode accepts padded or raw), hex,
 * json.marshal / marshal_with_options / unmarshal / is_valid (Go encoding/json output: HTML
 * characters and U+2028/9 escaped, sets as arrays), urlquery.* (Go net/url QueryEscape and
 * Values.Encode / ParseQuery). yaml.* lives in rego_bi_yaml.c. */
#include <string.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_str.h"
#include "codec/codec_b64.h"
#include "codec/codec_hex.h"
#include "rego/rego_bi_util.h"

/* ---- base64 with Go's decoding rules ---- */

/* Decodes s (Go base64.Encoding.DecodeString); on failure *bad is the input byte offset Go
 * reports ("illegal base64 data at input byte N"). */
bool ay_rego_bu_b64_decode(const char *s, size_t n, bool url, bool pad, struct ay_buf *out,
                           size_t *bad)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t q = 0; /* characters in the current quantum */
    size_t i = 0;
    for (; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c == '\r' || c == '\n') {
            continue;
        }
        if (c == '=') {
            break;
        }
        int v = ay_b64_value(c, url);
        if (v < 0) {
            *bad = i;
            return false;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        q = (q + 1) % 4;
        if (bits >= 8) {
            bits -= 8;
            ay_buf_putc(out, (char)((acc >> bits) & 0xFFu));
        }
    }
    if (q == 1) {
        *bad = i > 0 ? i - 1 : 0;
        return false;
    }
    if (i < n) {
        /* padding: exactly (4 - q) '=' (ignoring CR/LF), then nothing */
        if (!pad || q == 0) {
            *bad = i;
            return false;
        }
        size_t need = 4 - q;
        size_t got = 0;
        for (; i < n; i++) {
            if (s[i] == '\r' || s[i] == '\n') {
                continue;
            }
            if (s[i] != '=' || got == need) {
                *bad = i;
                return false;
            }
            got++;
        }
        if (got != need) {
            *bad = n;
            return false;
        }
    } else if (pad && q != 0) {
        *bad = n;
        return false;
    }
    return true;
}

static void b64_encode(const uint8_t *p, size_t n, bool url, bool pad, struct ay_buf *b)
{
    const char *al = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                         : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
        char q[4] = {al[v >> 18], al[(v >> 12) & 63u], al[(v >> 6) & 63u], al[v & 63u]};
        ay_buf_put(b, q, 4);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        ay_buf_putc(b, al[v >> 18]);
        ay_buf_putc(b, al[(v >> 12) & 63u]);
        if (pad) {
            ay_buf_puts(b, "==");
        }
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8);
        ay_buf_putc(b, al[v >> 18]);
        ay_buf_putc(b, al[(v >> 12) & 63u]);
        ay_buf_putc(b, al[(v >> 6) & 63u]);
        if (pad) {
            ay_buf_putc(b, '=');
        }
    }
}

static ay_err enc_common(struct ay_rego_bctx *bc, const struct ay_val *args, bool url, bool pad,
                         struct ay_val *out)
{
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    b64_encode((const uint8_t *)s, n, url, pad, &b);
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_b64_encode(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    return enc_common(bc, args, false, true, out);
}

static ay_err bi_b64url_encode(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)nargs;
    return enc_common(bc, args, true, true, out);
}

static ay_err bi_b64url_encode_no_pad(struct ay_rego_bctx *bc, const struct ay_val *args,
                                      size_t nargs, struct ay_val *out)
{
    (void)nargs;
    return enc_common(bc, args, true, false, out);
}

static ay_err bi_b64_decode(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    size_t bad;
    if (!ay_rego_bu_b64_decode(s, n, false, true, &b, &bad)) {
        return ay_rego_bi_fail(bc, "illegal base64 data at input byte %zu", bad);
    }
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_b64url_decode(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    size_t bad;
    /* OPA: padded input uses URLEncoding, unpadded RawURLEncoding */
    bool padded = n % 4 == 0 || (n > 0 && s[n - 1] == '=');
    if (!ay_rego_bu_b64_decode(s, n, true, padded, &b, &bad)) {
        return ay_rego_bi_fail(bc, "illegal base64 data at input byte %zu", bad);
    }
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_b64_is_valid(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                              struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    size_t bad;
    *out = ay_val_bool(ay_rego_bu_b64_decode(s, n, false, true, &b, &bad));
    return AY_OK;
}

static ay_err bi_hex_encode(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    ay_buf_hex(&b, (const uint8_t *)s, n);
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_hex_decode(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    /* Go hex.DecodeString: the first invalid byte is reported before an odd length */
    for (size_t i = 0; i < n; i++) {
        if (ay_hex_digit(s[i]) < 0) {
            uint8_t c = (uint8_t)s[i];
            if (c >= 0x20 && c < 0x7F) {
                return ay_rego_bi_fail(bc, "encoding/hex: invalid byte: U+%04X '%c'", c, c);
            }
            return ay_rego_bi_fail(bc, "encoding/hex: invalid byte: U+%04X", c);
        }
    }
    if (n % 2 != 0) {
        return ay_rego_bi_fail(bc, "encoding/hex: odd length hex string");
    }
    for (size_t i = 0; i < n; i += 2) {
        ay_buf_putc(&b, (char)((ay_hex_digit(s[i]) << 4) | ay_hex_digit(s[i + 1])));
    }
    return ay_rego_bu_buf_str(bc, &b, out);
}

/* ---- JSON ---- */

/* Go encoding/json string escaping (HTML-safe, as json.Marshal). */
static void go_json_str(struct ay_buf *b, const char *s, size_t n)
{
    ay_buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        size_t w;
        uint32_t r = ay_rego_bu_rune(s + i, n - i, &w);
        if (r == 0xFFFD && w == 1) {
            ay_buf_puts(b, "\\ufffd");
        } else if (r == '"' || r == '\\') {
            ay_buf_putc(b, '\\');
            ay_buf_putc(b, (char)r);
        } else if (r == '\n') {
            ay_buf_puts(b, "\\n");
        } else if (r == '\r') {
            ay_buf_puts(b, "\\r");
        } else if (r == '\t') {
            ay_buf_puts(b, "\\t");
        } else if (r == '\b') {
            ay_buf_puts(b, "\\b");
        } else if (r == '\f') {
            ay_buf_puts(b, "\\f");
        } else if (r < 0x20 || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029) {
            ay_buf_printf(b, "\\u%04x", (unsigned)r);
        } else {
            ay_buf_put(b, s + i, w);
        }
        i += w;
    }
    ay_buf_putc(b, '"');
}

struct jfmt {
    bool pretty;
    const char *prefix;
    size_t prefix_n;
    const char *indent;
    size_t indent_n;
};

static void newline(struct ay_buf *b, const struct jfmt *f, size_t depth)
{
    ay_buf_putc(b, '\n');
    ay_buf_put(b, f->prefix, f->prefix_n);
    for (size_t k = 0; k < depth; k++) {
        ay_buf_put(b, f->indent, f->indent_n);
    }
}

static ay_err write_json(struct ay_rego_bctx *bc, struct ay_buf *b, struct ay_val v,
                         const struct jfmt *f, size_t depth)
{
    if (depth > AY_LIMIT_JSON_DEPTH) {
        return ay_rego_bi_fail(bc, "value nested too deeply");
    }
    switch (v.kind) {
    case AY_V_NULL:
        ay_buf_puts(b, "null");
        return AY_OK;
    case AY_V_BOOL:
        ay_buf_puts(b, v.u.b ? "true" : "false");
        return AY_OK;
    case AY_V_NUM:
        ay_val_write_num(b, v);
        return AY_OK;
    case AY_V_STR:
        go_json_str(b, v.u.s, v.len);
        return AY_OK;
    case AY_V_ARR:
    case AY_V_SET:
        ay_buf_putc(b, '[');
        for (uint32_t k = 0; k < v.len; k++) {
            if (k > 0) {
                ay_buf_putc(b, ',');
            }
            if (f->pretty) {
                newline(b, f, depth + 1);
            }
            TRY(write_json(bc, b, v.u.items[k], f, depth + 1));
        }
        if (f->pretty && v.len > 0) {
            newline(b, f, depth);
        }
        ay_buf_putc(b, ']');
        return AY_OK;
    case AY_V_OBJ:
        ay_buf_putc(b, '{');
        for (uint32_t k = 0; k < v.len; k++) {
            if (k > 0) {
                ay_buf_putc(b, ',');
            }
            if (f->pretty) {
                newline(b, f, depth + 1);
            }
            struct ay_val key = v.u.pairs[k].k;
            if (key.kind == AY_V_STR) {
                go_json_str(b, key.u.s, key.len);
            } else {
                struct ay_buf kb;
                ay_rego_bu_buf(bc, &kb);
                TRY(write_json(bc, &kb, key, &(struct jfmt){0}, depth + 1));
                TRY(ay_buf_finish(&kb));
                go_json_str(b, kb.ptr != NULL ? kb.ptr : "", kb.len);
            }
            ay_buf_puts(b, f->pretty ? ": " : ":");
            TRY(write_json(bc, b, v.u.pairs[k].v, f, depth + 1));
        }
        if (f->pretty && v.len > 0) {
            newline(b, f, depth);
        }
        ay_buf_putc(b, '}');
        return AY_OK;
    default:
        return ay_rego_bi_fail(bc, "value not representable as JSON");
    }
}

static ay_err bi_json_marshal(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                              struct ay_val *out)
{
    (void)nargs;
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    struct jfmt f = {false, "", 0, "", 0};
    TRY(write_json(bc, &b, args[0], &f, 0));
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_json_marshal_opts(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                   struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 1, AY_V_OBJ));
    struct jfmt f = {true, "", 0, "\t", 1};
    bool pretty_set = false;
    bool pretty = false;
    bool other = false;
    struct ay_val o = args[1];
    for (uint32_t k = 0; k < o.len; k++) {
        struct ay_val key = o.u.pairs[k].k;
        struct ay_val val = o.u.pairs[k].v;
        if (key.kind != AY_V_STR) {
            return ay_rego_bi_type_error(bc, 1, "object with string keys", key);
        }
        if (strcmp(key.u.s, "pretty") == 0) {
            if (val.kind != AY_V_BOOL) {
                return ay_rego_bi_type_error(bc, 1, "boolean for key \"pretty\"", val);
            }
            pretty_set = true;
            pretty = val.u.b;
        } else if (strcmp(key.u.s, "indent") == 0 || strcmp(key.u.s, "prefix") == 0) {
            if (val.kind != AY_V_STR) {
                return ay_rego_bi_type_error(bc, 1, "string", val);
            }
            other = true;
            if (key.u.s[0] == 'i') {
                f.indent = val.u.s;
                f.indent_n = val.len;
            } else {
                f.prefix = val.u.s;
                f.prefix_n = val.len;
            }
        } else {
            return ay_rego_bu_type_fail(bc, "object contained unknown key \"%s\"", key.u.s);
        }
    }
    /* OPA: pretty defaults to true when indent or prefix is given; explicit false wins */
    f.pretty = pretty_set ? pretty : other;
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    if (f.pretty) {
        ay_buf_put(&b, f.prefix, f.prefix_n);
    }
    TRY(write_json(bc, &b, args[0], &f, 0));
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_json_unmarshal(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_val_parse_json(bc->arena, s, n, 0, &d, out) != AY_OK) {
        return ay_rego_bi_fail(bc, "%s", ay_diag_message(&d));
    }
    return AY_OK;
}

static ay_err bi_json_is_valid(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)nargs;
    if (args[0].kind != AY_V_STR) {
        *out = ay_val_bool(false);
        return AY_OK;
    }
    struct ay_val tmp;
    *out =
        ay_val_bool(ay_val_parse_json(bc->arena, args[0].u.s, args[0].len, 0, NULL, &tmp) == AY_OK);
    return AY_OK;
}

/* ---- urlquery (Go net/url) ---- */

static bool unreserved(uint8_t c)
{
    return ay_is_alnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static void query_escape(struct ay_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (unreserved(c)) {
            ay_buf_putc(b, (char)c);
        } else if (c == ' ') {
            ay_buf_putc(b, '+');
        } else {
            ay_buf_printf(b, "%%%02X", c);
        }
    }
}

/* url.QueryUnescape; false with the bad escape in *bad_at. */
static bool query_unescape(struct ay_buf *b, const char *s, size_t n, size_t *bad_at)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) {
                *bad_at = i;
                return false;
            }
            int h = ay_hex_digit(s[i + 1]);
            int l = ay_hex_digit(s[i + 2]);
            if (h < 0 || l < 0) {
                *bad_at = i;
                return false;
            }
            ay_buf_putc(b, (char)((h << 4) | l));
            i += 2;
        } else if (s[i] == '+') {
            ay_buf_putc(b, ' ');
        } else {
            ay_buf_putc(b, s[i]);
        }
    }
    return true;
}

static ay_err bad_escape(struct ay_rego_bctx *bc, const char *s, size_t n, size_t at)
{
    size_t m = n - at < 3 ? n - at : 3;
    return ay_rego_bi_fail(bc, "invalid URL escape \"%.*s\"", (int)m, s + at);
}

static ay_err bi_urlquery_encode(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                 struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    query_escape(&b, s, n);
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_urlquery_decode(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                 struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    size_t at;
    if (!query_unescape(&b, s, n, &at)) {
        return bad_escape(bc, s, n, at);
    }
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_urlquery_encode_object(struct ay_rego_bctx *bc, const struct ay_val *args,
                                        size_t nargs, struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_OBJ));
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    bool first = true;
    /* objects are sorted by key, which is Values.Encode's order */
    for (uint32_t k = 0; k < args[0].len; k++) {
        struct ay_val key = args[0].u.pairs[k].k;
        struct ay_val v = args[0].u.pairs[k].v;
        if (key.kind != AY_V_STR) {
            return ay_rego_bu_type_fail(bc, "operand 1 must be object[string: string | "
                                            "array[string] | set[string]]");
        }
        const struct ay_val *items = &args[0].u.pairs[k].v;
        size_t cnt = 1;
        if (ay_rego_bu_is_coll(v)) {
            items = v.u.items;
            cnt = v.len;
        }
        for (size_t j = 0; j < cnt; j++) {
            if (items[j].kind != AY_V_STR) {
                return ay_rego_bu_type_fail(bc, "operand 1 must be object[string: string | "
                                                "array[string] | set[string]]");
            }
            if (!first) {
                ay_buf_putc(&b, '&');
            }
            first = false;
            query_escape(&b, key.u.s, key.len);
            ay_buf_putc(&b, '=');
            query_escape(&b, items[j].u.s, items[j].len);
        }
    }
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_urlquery_decode_object(struct ay_rego_bctx *bc, const struct ay_val *args,
                                        size_t nargs, struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    /* url.ParseQuery: '&'-separated; a ';' is an error since Go 1.17 */
    struct ay_kv_vec kv;
    ay_kv_vec_init(&kv, bc->arena);
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && s[e] != '&') {
            e++;
        }
        if (e > i) {
            const char *part = s + i;
            size_t pn = e - i;
            if (memchr(part, ';', pn) != NULL) {
                return ay_rego_bi_fail(bc, "invalid semicolon separator in query");
            }
            const char *eq = memchr(part, '=', pn);
            size_t kn = eq != NULL ? (size_t)(eq - part) : pn;
            struct ay_buf kb;
            struct ay_buf vb;
            ay_rego_bu_buf(bc, &kb);
            ay_rego_bu_buf(bc, &vb);
            size_t at;
            if (!query_unescape(&kb, part, kn, &at)) {
                return bad_escape(bc, part, kn, at);
            }
            if (eq != NULL && !query_unescape(&vb, eq + 1, pn - kn - 1, &at)) {
                return bad_escape(bc, eq + 1, pn - kn - 1, at);
            }
            struct ay_val kval, vval;
            TRY(ay_rego_bu_buf_str(bc, &kb, &kval));
            TRY(ay_rego_bu_buf_str(bc, &vb, &vval));
            TRY(ay_kv_vec_push(&kv, kval, vval));
        }
        i = e + 1;
    }
    /* group values per key in order of appearance */
    struct ay_kv_vec grouped;
    ay_kv_vec_init(&grouped, bc->arena);
    for (size_t a = 0; a < kv.n; a++) {
        bool seen = false;
        for (size_t c = 0; c < a && !seen; c++) {
            seen = ay_val_equal(kv.pairs[c].k, kv.pairs[a].k);
        }
        if (seen) {
            continue;
        }
        struct ay_val_vec vals;
        ay_val_vec_init(&vals, bc->arena);
        for (size_t c = a; c < kv.n; c++) {
            if (ay_val_equal(kv.pairs[c].k, kv.pairs[a].k)) {
                TRY(ay_val_vec_push(&vals, kv.pairs[c].v));
            }
        }
        TRY(ay_kv_vec_push(&grouped, kv.pairs[a].k, ay_val_vec_array(&vals)));
    }
    return ay_kv_vec_object(&grouped, false, out);
}

const struct ay_rego_bi ay_rego_bi_encoding[] = {
    {"base64.encode", 1, bi_b64_encode, 0},
    {"base64.decode", 1, bi_b64_decode, 0},
    {"base64.is_valid", 1, bi_b64_is_valid, 0},
    {"base64url.encode", 1, bi_b64url_encode, 0},
    {"base64url.encode_no_pad", 1, bi_b64url_encode_no_pad, 0},
    {"base64url.decode", 1, bi_b64url_decode, 0},
    {"hex.encode", 1, bi_hex_encode, 0},
    {"hex.decode", 1, bi_hex_decode, 0},
    {"json.marshal", 1, bi_json_marshal, 0},
    {"json.marshal_with_options", 2, bi_json_marshal_opts, 0},
    {"json.unmarshal", 1, bi_json_unmarshal, 0},
    {"json.is_valid", 1, bi_json_is_valid, 0},
    {"urlquery.encode", 1, bi_urlquery_encode, 0},
    {"urlquery.decode", 1, bi_urlquery_decode, 0},
    {"urlquery.encode_object", 1, bi_urlquery_encode_object, 0},
    {"urlquery.decode_object", 1, bi_urlquery_decode_object, 0},
    {NULL, 0, NULL, 0},
};
