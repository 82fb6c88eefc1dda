/* SPDX-License-Identifier: Apache-2.0 */
/* A small TOML reader for init data (TRUSTEE.md section 3.4). Init data documents are flat:
 * `version` and `algorithm` at the top and a [data] table of strings, usually multi-line
 * literal strings holding aa.toml, cdh.toml and policy.rego. Anything else is refused rather
 * than guessed at, except other tables, which are skipped. Untrusted text: cursor reads only. */
#include "as/as_initdata.h"

#include <string.h>

#include "base/base_buf.h"
#include "base/base_cursor.h"
#include "base/base_limits.h"
#include "base/base_str.h"
#include "codec/codec_hex.h"

struct tp {
    struct ay_cur c;
    struct ay_diag *diag;
    size_t line;
};

static ay_err bad(struct tp *t, const char *what)
{
    return FAIL(t->diag, AY_ERR_MALFORMED, "init_data_toml line %zu: %s", t->line, what);
}

static bool at(const struct tp *t, const char *s)
{
    struct ay_span r = ay_cur_rest(&t->c);
    size_t n = strlen(s);
    return r.len >= n && memcmp(r.ptr, s, n) == 0;
}

static void adv(struct tp *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b;
        if (ay_cur_u8(&t->c, &b) != AY_OK) {
            return;
        }
        if (b == '\n') {
            t->line++;
        }
    }
}

static void skip_ws(struct tp *t)
{
    while (ay_cur_peek(&t->c) == ' ' || ay_cur_peek(&t->c) == '\t') {
        adv(t, 1);
    }
}

/* Whitespace, comments and newlines. */
static void skip_blank(struct tp *t)
{
    for (;;) {
        int c = ay_cur_peek(&t->c);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            adv(t, 1);
        } else if (c == '#') {
            while (ay_cur_peek(&t->c) >= 0 && ay_cur_peek(&t->c) != '\n') {
                adv(t, 1);
            }
        } else {
            return;
        }
    }
}

static ay_err end_of_line(struct tp *t)
{
    skip_ws(t);
    if (ay_cur_peek(&t->c) == '#') {
        while (ay_cur_peek(&t->c) >= 0 && ay_cur_peek(&t->c) != '\n') {
            adv(t, 1);
        }
    }
    if (at(t, "\r\n")) {
        adv(t, 2);
        return AY_OK;
    }
    if (ay_cur_peek(&t->c) == '\n' || ay_cur_peek(&t->c) < 0) {
        adv(t, 1);
        return AY_OK;
    }
    return bad(t, "unexpected text after a value");
}

static ay_err escape(struct tp *t, struct ay_buf *out)
{
    uint8_t e;
    if (ay_cur_u8(&t->c, &e) != AY_OK) {
        return bad(t, "unterminated escape");
    }
    switch (e) {
    case 'b':
        ay_buf_putc(out, '\b');
        return AY_OK;
    case 't':
        ay_buf_putc(out, '\t');
        return AY_OK;
    case 'n':
        ay_buf_putc(out, '\n');
        return AY_OK;
    case 'f':
        ay_buf_putc(out, '\f');
        return AY_OK;
    case 'r':
        ay_buf_putc(out, '\r');
        return AY_OK;
    case '"':
        ay_buf_putc(out, '"');
        return AY_OK;
    case '\\':
        ay_buf_putc(out, '\\');
        return AY_OK;
    case 'u':
    case 'U': {
        size_t n = e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (size_t i = 0; i < n; i++) {
            uint8_t h;
            if (ay_cur_u8(&t->c, &h) != AY_OK || ay_hex_digit(h) < 0) {
                return bad(t, "bad \\u escape");
            }
            cp = cp * 16 + (uint32_t)ay_hex_digit(h);
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return bad(t, "escape is not a Unicode scalar value");
        }
        ay_buf_put_utf8(out, cp);
        return AY_OK;
    }
    default:
        return bad(t, "unknown escape");
    }
}

/* One string value of any of the four TOML forms, into out. */
static ay_err string_value(struct tp *t, struct ay_buf *out)
{
    if (at(t, "\"\"\"") || at(t, "'''")) {
        bool basic = at(t, "\"\"\"");
        const char *close = basic ? "\"\"\"" : "'''";
        adv(t, 3);
        /* A newline right after the opening delimiter is trimmed (TOML 1.0). */
        if (at(t, "\r\n")) {
            adv(t, 2);
        } else if (at(t, "\n")) {
            adv(t, 1);
        }
        for (;;) {
            if (at(t, close)) {
                adv(t, 3);
                /* Up to two quotes may sit right before the closing delimiter. */
                for (int i = 0; i < 2 && ay_cur_peek(&t->c) == close[0]; i++) {
                    ay_buf_putc(out, close[0]);
                    adv(t, 1);
                }
                return AY_OK;
            }
            int c = ay_cur_peek(&t->c);
            if (c < 0) {
                return bad(t, "unterminated multi-line string");
            }
            if (basic && c == '\\') {
                adv(t, 1);
                /* Line-ending backslash: trim the newline and following whitespace. */
                size_t save_pos = ay_cur_pos(&t->c);
                skip_ws(t);
                if (at(t, "\n") || at(t, "\r\n")) {
                    while (ay_cur_peek(&t->c) == ' ' || ay_cur_peek(&t->c) == '\t' ||
                           ay_cur_peek(&t->c) == '\n' || ay_cur_peek(&t->c) == '\r') {
                        adv(t, 1);
                    }
                    continue;
                }
                if (ay_cur_pos(&t->c) != save_pos) {
                    return bad(t, "unknown escape");
                }
                TRY(escape(t, out));
                continue;
            }
            ay_buf_putc(out, (char)c);
            adv(t, 1);
        }
    }
    int q = ay_cur_peek(&t->c);
    if (q != '"' && q != '\'') {
        return bad(t, "value must be a string");
    }
    adv(t, 1);
    for (;;) {
        int c = ay_cur_peek(&t->c);
        if (c < 0 || c == '\n') {
            return bad(t, "unterminated string");
        }
        adv(t, 1);
        if (c == q) {
            return AY_OK;
        }
        if (q == '"' && c == '\\') {
            TRY(escape(t, out));
            continue;
        }
        ay_buf_putc(out, (char)c);
    }
}

static ay_err key(struct tp *t, struct ay_buf *out)
{
    int c = ay_cur_peek(&t->c);
    if (c == '"' || c == '\'') {
        if (at(t, "\"\"\"") || at(t, "'''")) {
            return bad(t, "a key cannot be a multi-line string");
        }
        return string_value(t, out);
    }
    size_t n = 0;
    while (ay_is_alnum(ay_cur_peek(&t->c)) || ay_cur_peek(&t->c) == '_' ||
           ay_cur_peek(&t->c) == '-') {
        ay_buf_putc(out, (char)ay_cur_peek(&t->c));
        adv(t, 1);
        n++;
    }
    if (n == 0) {
        return bad(t, "expected a key");
    }
    if (ay_cur_peek(&t->c) == '.') {
        return bad(t, "dotted keys are not supported in init data");
    }
    return AY_OK;
}

/* Skips a non-string value of a table we do not read (numbers, booleans, arrays, inline
 * tables on one line). */
static void skip_value_line(struct tp *t)
{
    while (ay_cur_peek(&t->c) >= 0 && ay_cur_peek(&t->c) != '\n') {
        adv(t, 1);
    }
}

/* TRUSTEE.md section 3.4: a policy.rego holding `policy_data := {` gives agent_policy_claims,
 * the JSON object from that brace to the end of the text, when it parses. */
static void transform(json_t *data)
{
    json_t *pr = json_object_get(data, "policy.rego");
    const char *s = json_string_value(pr);
    if (s == NULL) {
        return;
    }
    const char *m = strstr(s, "policy_data := {");
    if (m == NULL) {
        return;
    }
    const char *brace = m + strlen("policy_data := ");
    json_error_t je;
    json_t *obj = json_loads(brace, 0, &je);
    if (obj == NULL) {
        return;
    }
    json_object_set_new(data, "agent_policy_claims", obj);
    json_object_del(data, "policy.rego");
}

ay_err ay_initdata_toml_parse(const char *text, size_t len, struct ay_diag *diag,
                              enum ay_hash *out_alg, json_t **out_claims)
{
    if (len > AY_LIMIT_INIT_DATA_TOML) {
        return FAIL(diag, AY_ERR_LIMIT, "init_data_toml over %zu bytes", AY_LIMIT_INIT_DATA_TOML);
    }
    if (!ay_utf8_valid(text, len)) {
        return FAIL(diag, AY_ERR_MALFORMED, "init_data_toml is not UTF-8");
    }
    struct tp t;
    ay_cur_init(&t.c, ay_span_of(text, len));
    t.diag = diag;
    t.line = 1;
    json_t *top = json_object();
    json_t *data = NULL;
    json_t *cur = top; /* the table keys go to; NULL = a table we skip */
    ay_err err = AY_OK;
    struct ay_buf k;
    struct ay_buf v;
    ay_buf_init(&k, NULL, AY_LIMIT_INIT_DATA_TOML);
    ay_buf_init(&v, NULL, AY_LIMIT_INIT_DATA_TOML);
    for (;;) {
        skip_blank(&t);
        if (ay_cur_left(&t.c) == 0) {
            break;
        }
        if (ay_cur_peek(&t.c) == '[') {
            if (at(&t, "[[")) {
                err = bad(&t, "arrays of tables are not supported in init data");
                break;
            }
            adv(&t, 1);
            skip_ws(&t);
            ay_buf_reset(&k);
            if ((err = key(&t, &k)) != AY_OK) {
                break;
            }
            skip_ws(&t);
            if (ay_cur_peek(&t.c) != ']') {
                err = bad(&t, "expected ]");
                break;
            }
            adv(&t, 1);
            if ((err = end_of_line(&t)) != AY_OK) {
                break;
            }
            if (k.len == 4 && k.ptr != NULL && memcmp(k.ptr, "data", 4) == 0) {
                if (data != NULL) {
                    err = bad(&t, "table [data] defined twice");
                    break;
                }
                data = json_object();
                cur = data;
            } else {
                cur = NULL;
            }
            continue;
        }
        ay_buf_reset(&k);
        if ((err = key(&t, &k)) != AY_OK) {
            break;
        }
        skip_ws(&t);
        if (ay_cur_peek(&t.c) != '=') {
            err = bad(&t, "expected =");
            break;
        }
        adv(&t, 1);
        skip_ws(&t);
        int c = ay_cur_peek(&t.c);
        if (cur == NULL && c != '"' && c != '\'') {
            skip_value_line(&t);
            continue;
        }
        ay_buf_reset(&v);
        if ((err = string_value(&t, &v)) != AY_OK || (err = end_of_line(&t)) != AY_OK) {
            break;
        }
        if ((err = ay_buf_finish(&k)) != AY_OK || (err = ay_buf_finish(&v)) != AY_OK) {
            break;
        }
        if (cur != NULL) {
            const char *kt = k.ptr != NULL ? k.ptr : "";
            if (json_object_get(cur, kt) != NULL) {
                err = bad(&t, "duplicate key");
                break;
            }
            json_object_set_new(cur, kt, json_stringn(v.ptr != NULL ? v.ptr : "", v.len));
        }
    }
    ay_buf_free(&k);
    ay_buf_free(&v);
    const char *alg = json_string_value(json_object_get(top, "algorithm"));
    if (err == AY_OK && (json_object_get(top, "version") == NULL || alg == NULL || data == NULL)) {
        err = FAIL(diag, AY_ERR_MALFORMED,
                   "init_data_toml needs string keys `version` and `algorithm` and a [data] "
                   "table");
    }
    /* The exact lower-case serde name (TRUSTEE.md section 3.4). */
    if (err == AY_OK && (!ay_hash_from_name(alg, out_alg) ||
                         (*out_alg != AY_HASH_SHA256 && *out_alg != AY_HASH_SHA384 &&
                          *out_alg != AY_HASH_SHA512))) {
        err = FAIL(diag, AY_ERR_UNSUPPORTED,
                   "init_data_toml algorithm must be sha256, sha384 or sha512");
    }
    json_decref(top);
    if (err != AY_OK) {
        json_decref(data);
        return err;
    }
    transform(data);
    *out_claims = data;
    return AY_OK;
}
