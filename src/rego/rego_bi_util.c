/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the builtin families: operand checks worded as OPA's type errors, results in
 * the evaluation arena, and UTF-8 rune handling with Go's rules (an invalid byte decodes as one
 * rune U+FFFD), since OPA's string builtins are Go string functions. */
#include "rego/rego_bi_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/base_buf.h"

ay_err ay_rego_bu_str(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i,
                      const char **out_s, size_t *out_n)
{
    if (args[i].kind != AY_V_STR) {
        return ay_rego_bi_type_error(bc, i, "string", args[i]);
    }
    *out_s = args[i].u.s;
    *out_n = args[i].len;
    return AY_OK;
}

ay_err ay_rego_bu_kind(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i,
                       enum ay_val_kind kind)
{
    static const char *const names[] = {"undefined", "null",  "boolean", "number",
                                        "string",    "array", "object",  "set"};
    if (args[i].kind != (uint8_t)kind) {
        return ay_rego_bi_type_error(bc, i, names[kind], args[i]);
    }
    return AY_OK;
}

ay_err ay_rego_bu_type_fail(struct ay_rego_bctx *bc, const char *fmt, ...)
{
    /* the engine's type-error variant: eval_type_error under strict builtin errors */
    char msg[AY_DIAG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ay_rego_bi_type_fail(bc, "%s", msg);
}

ay_err ay_rego_bu_int(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i, int64_t *out)
{
    if (args[i].kind != AY_V_NUM) {
        return ay_rego_bi_type_error(bc, i, "number", args[i]);
    }
    if (!ay_val_to_i64(args[i], out)) {
        if (!ay_val_num_is_int(args[i])) {
            return ay_rego_bu_type_fail(
                bc, "operand %zu must be integer number but got floating-point number", i + 1);
        }
        return ay_rego_bi_fail(bc, "operand %zu: integer too large", i + 1);
    }
    return AY_OK;
}

ay_err ay_rego_bu_mkstr(struct ay_rego_bctx *bc, const char *s, size_t n, struct ay_val *out)
{
    if (n > UINT32_MAX) {
        return ay_rego_bi_fail(bc, "string too long");
    }
    return ay_val_str(bc->arena, s, n, out);
}

void ay_rego_bu_buf(struct ay_rego_bctx *bc, struct ay_buf *b)
{
    ay_buf_init(b, bc->arena, AY_REGO_BI_OUT_MAX);
}

ay_err ay_rego_bu_buf_str(struct ay_rego_bctx *bc, const struct ay_buf *b, struct ay_val *out)
{
    ay_err err = ay_buf_finish(b);
    if (err != AY_OK) {
        return ay_rego_bi_fail(bc, "result too large");
    }
    if (b->ptr == NULL) {
        *out = ay_val_str_static("");
        return AY_OK;
    }
    struct ay_val v = {AY_V_STR, 0, 0, (uint32_t)b->len, {.s = b->ptr}};
    *out = v;
    return AY_OK;
}

uint32_t ay_rego_bu_rune(const char *s, size_t n, size_t *w)
{
    const uint8_t *p = (const uint8_t *)s;
    uint8_t c = p[0];
    *w = 1;
    if (c < 0x80) {
        return c;
    }
    size_t need;
    uint32_t r;
    uint32_t min;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        r = c & 0x1Fu;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        r = c & 0x0Fu;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        r = c & 0x07u;
        min = 0x10000;
    } else {
        return 0xFFFD;
    }
    if (n < need + 1) {
        return 0xFFFD;
    }
    for (size_t k = 1; k <= need; k++) {
        if ((p[k] & 0xC0u) != 0x80u) {
            return 0xFFFD;
        }
        r = (r << 6) | (p[k] & 0x3Fu);
    }
    if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
        return 0xFFFD;
    }
    *w = need + 1;
    return r;
}

size_t ay_rego_bu_rune_count(const char *s, size_t n)
{
    size_t count = 0;
    size_t i = 0;
    while (i < n) {
        size_t w;
        (void)ay_rego_bu_rune(s + i, n - i, &w);
        i += w;
        count++;
    }
    return count;
}

/* Case pairs by block. Unicode 15 UnicodeData simple mappings for Latin-1, Latin Extended-A,
 * Greek and Cyrillic; other scripts map to themselves. */
uint32_t ay_rego_bu_lower(uint32_t r)
{
    if (r >= 'A' && r <= 'Z') {
        return r + 32;
    }
    if (r < 0x80) {
        return r;
    }
    if ((r >= 0xC0 && r <= 0xDE && r != 0xD7) || (r >= 0x391 && r <= 0x3AB && r != 0x3A2) ||
        (r >= 0x410 && r <= 0x42F)) {
        return r + 32;
    }
    if (r >= 0x400 && r <= 0x40F) {
        return r + 80;
    }
    if (r >= 0x100 && r <= 0x17F && r != 0x130 && r != 0x131 && r != 0x138 && r != 0x149 &&
        r != 0x17F) {
        bool even_upper = (r < 0x139) || (r > 0x148 && r < 0x179);
        if (r == 0x178) {
            return 0xFF;
        }
        if (even_upper ? (r % 2 == 0) : (r % 2 == 1)) {
            return r + 1;
        }
        return r;
    }
    if ((r >= 0x460 && r <= 0x481) || (r >= 0x48A && r <= 0x4BF)) {
        return (r % 2 == 0) ? r + 1 : r;
    }
    return r;
}

uint32_t ay_rego_bu_upper(uint32_t r)
{
    if (r >= 'a' && r <= 'z') {
        return r - 32;
    }
    if (r < 0x80) {
        return r;
    }
    if (r == 0xB5) {
        return 0x39C;
    }
    if (r == 0xFF) {
        return 0x178;
    }
    if ((r >= 0xE0 && r <= 0xFE && r != 0xF7) || (r >= 0x3B1 && r <= 0x3CB && r != 0x3C2) ||
        (r >= 0x430 && r <= 0x44F)) {
        return r - 32;
    }
    if (r == 0x3C2) {
        return 0x3A3;
    }
    if (r >= 0x450 && r <= 0x45F) {
        return r - 80;
    }
    if (r >= 0x100 && r <= 0x17F && r != 0x130 && r != 0x131 && r != 0x138 && r != 0x149 &&
        r != 0x178) {
        if (r == 0x17F) {
            return 'S';
        }
        bool even_upper = (r < 0x139) || (r > 0x148 && r < 0x179);
        if (even_upper ? (r % 2 == 1) : (r % 2 == 0)) {
            return r - 1;
        }
        return r;
    }
    if ((r >= 0x460 && r <= 0x481) || (r >= 0x48A && r <= 0x4BF)) {
        return (r % 2 == 1) ? r - 1 : r;
    }
    return r;
}

bool ay_rego_bu_is_space(uint32_t r)
{
    switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return true;
    default:
        return r >= 0x2000 && r <= 0x200A;
    }
}
