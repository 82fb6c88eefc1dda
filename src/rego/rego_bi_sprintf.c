/* SPDX-License-Identifier: Apache-2.0 */
/* sprintf: Go's fmt.Sprintf over OPA's argument conversion (topdown/strings.go builtinSprintf):
 * integers become Go int (or *big.Int beyond int64), other numbers float64, strings Go strings,
 * everything else its Rego term text (so %v of [1, "a"] prints `[1, "a"]`). Verbs, flags
 * (+ - # 0 space), width, precision and `*` follow the fmt package documentation, including its
 * error forms: %!d(string=x), %!d(MISSING), %!(EXTRA int=1), %!(NOVERB). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "rego/rego_bi_util.h"

enum arg_kind { A_INT, A_BIG, A_FLT, A_STR };

struct farg {
    enum arg_kind kind;
    int64_t i;
    double d;
    const char *s; /* string bytes, big decimal text, or term text */
    size_t n;
};

struct spec {
    bool plus, minus, sharp, space, zero;
    bool has_wid, has_prec;
    int wid, prec;
};

static const char *type_name(const struct farg *a)
{
    switch (a->kind) {
    case A_INT:
        return "int";
    case A_BIG:
        return "*big.Int";
    case A_FLT:
        return "float64";
    case A_STR:
        return "string";
    }
    return "?";
}

/* Pads body (already complete) to the width, counting runes. */
static void pad_put(struct ay_buf *b, const struct spec *sp, const char *s, size_t n, bool zeros)
{
    size_t runes = ay_rego_bu_rune_count(s, n);
    size_t padn = (sp->has_wid && (size_t)sp->wid > runes) ? (size_t)sp->wid - runes : 0;
    if (!sp->minus) {
        for (size_t k = 0; k < padn; k++) {
            ay_buf_putc(b, zeros ? '0' : ' ');
        }
    }
    ay_buf_put(b, s, n);
    if (sp->minus) {
        for (size_t k = 0; k < padn; k++) {
            ay_buf_putc(b, ' ');
        }
    }
}

/* Go fmtInteger: digits is the magnitude in the verb's base. */
static void put_integer(struct ay_buf *out, const struct spec *sp, bool neg, const char *digits,
                        char verb)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, AY_REGO_BI_OUT_MAX);
    size_t nd = strlen(digits);
    bool is_zero = (nd == 1 && digits[0] == '0');
    int prec = -1;
    if (sp->has_prec) {
        prec = sp->prec;
        if (prec == 0 && is_zero) {
            /* Go prints only padding for a zero value with precision 0. */
            struct spec s2 = *sp;
            pad_put(out, &s2, "", 0, false);
            ay_buf_free(&b);
            return;
        }
    } else if (sp->zero && sp->has_wid && !sp->minus) {
        prec = sp->wid;
        if (neg || sp->plus || sp->space) {
            prec--;
        }
    }
    if (neg) {
        ay_buf_putc(&b, '-');
    } else if (sp->plus) {
        ay_buf_putc(&b, '+');
    } else if (sp->space) {
        ay_buf_putc(&b, ' ');
    }
    if (sp->sharp) {
        if (verb == 'b') {
            ay_buf_puts(&b, "0b");
        } else if (verb == 'x') {
            ay_buf_puts(&b, "0x");
        } else if (verb == 'X') {
            ay_buf_puts(&b, "0X");
        } else if (verb == 'o' && !(prec > 0 && (size_t)prec > nd)) {
            ay_buf_putc(&b, '0');
        }
    }
    if (verb == 'O') {
        ay_buf_puts(&b, "0o");
    }
    for (int k = (int)nd; k < prec; k++) {
        ay_buf_putc(&b, '0');
    }
    if (!(sp->sharp && verb == 'o' && digits[0] == '0' && nd == 1 && !(prec > 1))) {
        ay_buf_put(&b, digits, nd);
    }
    struct spec s2 = *sp;
    pad_put(out, &s2, b.ptr != NULL ? b.ptr : "", b.len, false);
    ay_buf_free(&b);
}

static void put_quoted_rune(struct ay_buf *b, uint32_t r, char q);

/* strconv.Quote-style escaping of one rune inside quote character q. */
static void put_quoted_rune(struct ay_buf *b, uint32_t r, char q)
{
    if (r == (uint32_t)q || r == '\\') {
        ay_buf_putc(b, '\\');
        ay_buf_putc(b, (char)r);
        return;
    }
    switch (r) {
    case '\a':
        ay_buf_puts(b, "\\a");
        return;
    case '\b':
        ay_buf_puts(b, "\\b");
        return;
    case '\f':
        ay_buf_puts(b, "\\f");
        return;
    case '\n':
        ay_buf_puts(b, "\\n");
        return;
    case '\r':
        ay_buf_puts(b, "\\r");
        return;
    case '\t':
        ay_buf_puts(b, "\\t");
        return;
    case '\v':
        ay_buf_puts(b, "\\v");
        return;
    default:
        break;
    }
    if (r < 0x20 || r == 0x7F) {
        ay_buf_printf(b, "\\x%02x", (unsigned)r);
    } else if (r >= 0x80 && r < 0xA0) {
        ay_buf_printf(b, "\\u%04x", (unsigned)r);
    } else {
        ay_buf_put_utf8(b, r);
    }
}

static void quote_string(struct ay_buf *b, const char *s, size_t n)
{
    ay_buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        size_t w;
        uint32_t r = ay_rego_bu_rune(s + i, n - i, &w);
        if (r == 0xFFFD && w == 1) {
            ay_buf_printf(b, "\\x%02x", (unsigned)(uint8_t)s[i]);
        } else {
            put_quoted_rune(b, r, '"');
        }
        i += w;
    }
    ay_buf_putc(b, '"');
}

/* Go's %v/%g shortest formatting of a float64: the fewest digits that read back exactly, %e
 * style when the exponent is < -4 or >= eprec (6 for shortest). */
static void shortest_digits(double v, char *digs, size_t cap, int *dp)
{
    char tmp[40];
    for (int p = 1; p <= 17; p++) {
        (void)snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v) {
            break;
        }
    }
    /* tmp = "d.ddde+XX" (v >= 0 here) */
    size_t k = 0;
    const char *q = tmp;
    while (*q != 'e' && *q != '\0') {
        if (*q >= '0' && *q <= '9' && k + 1 < cap) {
            digs[k++] = *q;
        }
        q++;
    }
    digs[k] = '\0';
    while (k > 1 && digs[k - 1] == '0') {
        digs[--k] = '\0';
    }
    *dp = (*q == 'e') ? atoi(q + 1) + 1 : 1;
}

static void format_g_shortest(struct ay_buf *b, double v, char verb)
{
    char digs[32];
    int dp;
    if (v == 0) {
        ay_buf_putc(b, '0');
        return;
    }
    shortest_digits(v, digs, sizeof digs, &dp);
    int nd = (int)strlen(digs);
    int exp = dp - 1;
    if (exp < -4 || exp >= 6) {
        ay_buf_putc(b, digs[0]);
        if (nd > 1) {
            ay_buf_putc(b, '.');
            ay_buf_put(b, digs + 1, (size_t)nd - 1);
        }
        ay_buf_printf(b, "%c%c%02d", verb == 'G' ? 'E' : 'e', exp < 0 ? '-' : '+',
                      exp < 0 ? -exp : exp);
        return;
    }
    if (dp <= 0) {
        ay_buf_puts(b, "0.");
        for (int k = 0; k < -dp; k++) {
            ay_buf_putc(b, '0');
        }
        ay_buf_put(b, digs, (size_t)nd);
    } else if (dp >= nd) {
        ay_buf_put(b, digs, (size_t)nd);
        for (int k = nd; k < dp; k++) {
            ay_buf_putc(b, '0');
        }
    } else {
        ay_buf_put(b, digs, (size_t)dp);
        ay_buf_putc(b, '.');
        ay_buf_put(b, digs + dp, (size_t)(nd - dp));
    }
}

static void put_float(struct ay_buf *out, const struct spec *sp, double v, char verb)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, AY_REGO_BI_OUT_MAX);
    bool neg = signbit(v) != 0;
    double a = fabs(v);
    if (neg) {
        ay_buf_putc(&b, '-');
    } else if (sp->plus) {
        ay_buf_putc(&b, '+');
    } else if (sp->space) {
        ay_buf_putc(&b, ' ');
    }
    size_t sign_len = b.len;
    char tmp[800];
    if ((verb == 'g' || verb == 'G' || verb == 'v') && !sp->has_prec) {
        format_g_shortest(&b, a, verb == 'G' ? 'G' : 'g');
    } else {
        int prec = sp->has_prec ? sp->prec : 6;
        if (prec > 400) {
            prec = 400;
        }
        switch (verb) {
        case 'e':
            (void)(sp->sharp ? snprintf(tmp, sizeof tmp, "%#.*e", prec, a)
                             : snprintf(tmp, sizeof tmp, "%.*e", prec, a));
            break;
        case 'E':
            (void)(sp->sharp ? snprintf(tmp, sizeof tmp, "%#.*E", prec, a)
                             : snprintf(tmp, sizeof tmp, "%.*E", prec, a));
            break;
        case 'g':
        case 'v':
            (void)(sp->sharp ? snprintf(tmp, sizeof tmp, "%#.*g", prec, a)
                             : snprintf(tmp, sizeof tmp, "%.*g", prec, a));
            break;
        case 'G':
            (void)(sp->sharp ? snprintf(tmp, sizeof tmp, "%#.*G", prec, a)
                             : snprintf(tmp, sizeof tmp, "%.*G", prec, a));
            break;
        default:
            (void)(sp->sharp ? snprintf(tmp, sizeof tmp, "%#.*f", prec, a)
                             : snprintf(tmp, sizeof tmp, "%.*f", prec, a));
            break;
        }
        ay_buf_puts(&b, tmp);
    }
    const char *s = b.ptr != NULL ? b.ptr : "";
    if (sp->zero && sp->has_wid && !sp->minus && (size_t)sp->wid > b.len) {
        /* Zero padding goes between the sign and the digits. */
        ay_buf_put(out, s, sign_len);
        for (size_t k = b.len; k < (size_t)sp->wid; k++) {
            ay_buf_putc(out, '0');
        }
        ay_buf_put(out, s + sign_len, b.len - sign_len);
    } else {
        pad_put(out, sp, s, b.len, false);
    }
    ay_buf_free(&b);
}

/* The value as %v prints it, for the %!verb(type=value) error form. */
static void put_plain(struct ay_buf *b, const struct farg *a)
{
    struct spec none = {0};
    switch (a->kind) {
    case A_INT:
        ay_buf_printf(b, "%lld", (long long)a->i);
        break;
    case A_FLT:
        put_float(b, &none, a->d, 'g');
        break;
    case A_BIG:
    case A_STR:
        ay_buf_put(b, a->s, a->n);
        break;
    }
}

static void bad_verb(struct ay_buf *b, char verb, const struct farg *a)
{
    ay_buf_printf(b, "%%!%c(", verb);
    ay_buf_puts(b, a->kind == A_BIG ? "big.Int" : type_name(a));
    ay_buf_putc(b, '=');
    put_plain(b, a);
    ay_buf_putc(b, ')');
}

static void int_digits(struct ay_buf *out, const struct spec *sp, bool neg, uint64_t mag, char verb)
{
    char d[80];
    switch (verb) {
    case 'b': {
        size_t k = 0;
        char rev[70];
        do {
            rev[k++] = (char)('0' + (mag & 1u));
            mag >>= 1;
        } while (mag != 0);
        for (size_t j = 0; j < k; j++) {
            d[j] = rev[k - 1 - j];
        }
        d[k] = '\0';
        break;
    }
    case 'o':
    case 'O':
        (void)snprintf(d, sizeof d, "%llo", (unsigned long long)mag);
        break;
    case 'x':
        (void)snprintf(d, sizeof d, "%llx", (unsigned long long)mag);
        break;
    case 'X':
        (void)snprintf(d, sizeof d, "%llX", (unsigned long long)mag);
        break;
    default:
        (void)snprintf(d, sizeof d, "%llu", (unsigned long long)mag);
        break;
    }
    put_integer(out, sp, neg, d, verb);
}

static void put_big(struct ay_buf *out, const struct spec *sp, const struct farg *a, char verb)
{
    int base;
    switch (verb) {
    case 'd':
    case 's':
    case 'v':
        base = 10;
        break;
    case 'b':
        base = 2;
        break;
    case 'o':
    case 'O':
        base = 8;
        break;
    case 'x':
        base = 16;
        break;
    case 'X':
        base = -16;
        break;
    default:
        bad_verb(out, verb, a);
        return;
    }
    bool neg = a->n > 0 && a->s[0] == '-';
    if (base == 10) {
        put_integer(out, sp, neg, a->s + (neg ? 1 : 0), verb == 'O' ? 'O' : 'd');
        return;
    }
    mpz_t z;
    mpz_init(z);
    if (mpz_set_str(z, a->s + (neg ? 1 : 0), 10) != 0) {
        mpz_clear(z);
        bad_verb(out, verb, a);
        return;
    }
    size_t cap = mpz_sizeinbase(z, base < 0 ? -base : base) + 2;
    void *mem = NULL;
    if (out->arena == NULL || ay_arena_alloc(out->arena, cap, &mem) != AY_OK) {
        mpz_clear(z);
        bad_verb(out, verb, a);
        return;
    }
    char *digits = mem;
    (void)mpz_get_str(digits, base, z);
    mpz_clear(z);
    put_integer(out, sp, neg, digits, verb);
}

static void format_one(struct ay_buf *b, const struct spec *sp, char verb, const struct farg *a)
{
    switch (a->kind) {
    case A_INT: {
        bool neg = a->i < 0;
        uint64_t mag = neg ? (uint64_t)0 - (uint64_t)a->i : (uint64_t)a->i;
        switch (verb) {
        case 'v':
        case 'd':
            int_digits(b, sp, neg, mag, 'd');
            return;
        case 'b':
        case 'o':
        case 'O':
        case 'x':
        case 'X':
            int_digits(b, sp, neg, mag, verb);
            return;
        case 'c': {
            struct ay_buf t;
            ay_buf_init(&t, NULL, AY_REGO_BI_OUT_MAX);
            ay_buf_put_utf8(&t, (a->i < 0 || a->i > 0x10FFFF) ? 0xFFFD : (uint32_t)a->i);
            pad_put(b, sp, t.ptr != NULL ? t.ptr : "", t.len, false);
            ay_buf_free(&t);
            return;
        }
        case 'q': {
            struct ay_buf t;
            ay_buf_init(&t, NULL, AY_REGO_BI_OUT_MAX);
            ay_buf_putc(&t, '\'');
            put_quoted_rune(&t, (a->i < 0 || a->i > 0x10FFFF) ? 0xFFFD : (uint32_t)a->i, '\'');
            ay_buf_putc(&t, '\'');
            pad_put(b, sp, t.ptr != NULL ? t.ptr : "", t.len, false);
            ay_buf_free(&t);
            return;
        }
        case 'U': {
            char t[40];
            int n = snprintf(t, sizeof t, "U+%04llX", (unsigned long long)mag);
            pad_put(b, sp, t, (size_t)n, false);
            return;
        }
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
        default:
            bad_verb(b, verb, a);
            return;
        }
    }
    case A_BIG:
        put_big(b, sp, a, verb);
        return;
    case A_FLT:
        switch (verb) {
        case 'v':
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
            put_float(b, sp, a->d, verb);
            return;
        default:
            bad_verb(b, verb, a);
            return;
        }
    case A_STR: {
        size_t n = a->n;
        if (sp->has_prec) {
            /* precision truncates to that many runes */
            size_t i = 0;
            int r = 0;
            while (i < n && r < sp->prec) {
                size_t w;
                (void)ay_rego_bu_rune(a->s + i, n - i, &w);
                i += w;
                r++;
            }
            n = i;
        }
        switch (verb) {
        case 'v':
        case 's':
            pad_put(b, sp, a->s, n, sp->zero && !sp->minus);
            return;
        case 'q': {
            struct ay_buf t;
            ay_buf_init(&t, NULL, AY_REGO_BI_OUT_MAX);
            quote_string(&t, a->s, n);
            pad_put(b, sp, t.ptr != NULL ? t.ptr : "", t.len, false);
            ay_buf_free(&t);
            return;
        }
        case 'x':
        case 'X': {
            struct ay_buf t;
            ay_buf_init(&t, NULL, AY_REGO_BI_OUT_MAX);
            for (size_t k = 0; k < n; k++) {
                if (k > 0 && sp->space) {
                    ay_buf_putc(&t, ' ');
                }
                if (sp->sharp && (k == 0 || sp->space)) {
                    ay_buf_puts(&t, verb == 'x' ? "0x" : "0X");
                }
                ay_buf_printf(&t, verb == 'x' ? "%02x" : "%02X", (unsigned)(uint8_t)a->s[k]);
            }
            pad_put(b, sp, t.ptr != NULL ? t.ptr : "", t.len, false);
            ay_buf_free(&t);
            return;
        }
        default:
            bad_verb(b, verb, a);
            return;
        }
    }
    }
}

/* OPA's conversion of one Rego value to a Go fmt argument. */
static ay_err to_farg(struct ay_rego_bctx *bc, struct ay_val v, struct farg *a)
{
    memset(a, 0, sizeof *a);
    if (v.kind == AY_V_NUM) {
        if (v.sub == AY_NUM_INT) {
            a->kind = A_INT;
            a->i = v.u.i;
            return AY_OK;
        }
        if (v.sub == AY_NUM_BIG && (v.flags & AY_VAL_F_NUM_EXP) != 0) {
            /* beyond float64: OPA formats the number's literal text ("2e308") */
            struct ay_buf t;
            ay_rego_bu_buf(bc, &t);
            ay_val_write_num(&t, v);
            a->kind = A_STR;
            a->s = t.ptr != NULL ? t.ptr : "";
            a->n = t.len;
            return ay_buf_finish(&t);
        }
        if (v.sub == AY_NUM_BIG) {
            a->kind = A_BIG;
            a->s = v.u.s;
            a->n = v.len;
            return AY_OK;
        }
        a->kind = A_FLT;
        a->d = v.u.d;
        return AY_OK;
    }
    if (v.kind == AY_V_STR) {
        a->kind = A_STR;
        a->s = v.u.s;
        a->n = v.len;
        return AY_OK;
    }
    struct ay_buf t;
    ay_rego_bu_buf(bc, &t);
    ay_val_write_term(&t, v);
    if (ay_buf_finish(&t) != AY_OK) {
        return ay_rego_bi_fail(bc, "result too large");
    }
    a->kind = A_STR;
    a->s = t.ptr != NULL ? t.ptr : "";
    a->n = t.len;
    return AY_OK;
}

static bool parse_num(const char *f, size_t n, size_t *i, int *out)
{
    bool any = false;
    long v = 0;
    while (*i < n && f[*i] >= '0' && f[*i] <= '9') {
        v = v * 10 + (f[*i] - '0');
        if (v > 1000000) {
            v = 1000000; /* Go reports BADWIDTH for absurd widths; cap instead of overflow */
        }
        (*i)++;
        any = true;
    }
    *out = (int)v;
    return any;
}

static ay_err bi_sprintf(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                         struct ay_val *out)
{
    (void)nargs;
    const char *f;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &f, &n));
    TRY(ay_rego_bu_kind(bc, args, 1, AY_V_ARR));
    size_t na = args[1].len;
    struct farg *fa = NULL;
    if (na > 0) {
        void *mem;
        TRY(ay_arena_array(bc->arena, na, sizeof *fa, &mem));
        fa = mem;
        for (size_t k = 0; k < na; k++) {
            TRY(to_farg(bc, args[1].u.items[k], &fa[k]));
        }
    }
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    size_t argi = 0;
    size_t i = 0;
    while (i < n) {
        if (f[i] != '%') {
            size_t j = i;
            while (j < n && f[j] != '%') {
                j++;
            }
            ay_buf_put(&b, f + i, j - i);
            i = j;
            continue;
        }
        i++;
        struct spec sp = {0};
        for (; i < n; i++) {
            char c = f[i];
            if (c == '+') {
                sp.plus = true;
            } else if (c == '-') {
                sp.minus = true;
                sp.zero = false;
            } else if (c == '#') {
                sp.sharp = true;
            } else if (c == ' ') {
                sp.space = true;
            } else if (c == '0') {
                sp.zero = !sp.minus;
            } else {
                break;
            }
        }
        if (i < n && f[i] == '*') {
            i++;
            if (argi < na && fa[argi].kind == A_INT && fa[argi].i > -1000000 &&
                fa[argi].i < 1000000) {
                sp.has_wid = true;
                sp.wid = (int)fa[argi].i;
                if (sp.wid < 0) {
                    sp.minus = true;
                    sp.zero = false;
                    sp.wid = -sp.wid;
                }
            } else {
                ay_buf_puts(&b, "%!(BADWIDTH)");
            }
            argi++;
        } else {
            sp.has_wid = parse_num(f, n, &i, &sp.wid);
        }
        if (i < n && f[i] == '.') {
            i++;
            if (i < n && f[i] == '*') {
                i++;
                if (argi < na && fa[argi].kind == A_INT && fa[argi].i >= 0 &&
                    fa[argi].i < 1000000) {
                    sp.has_prec = true;
                    sp.prec = (int)fa[argi].i;
                } else {
                    ay_buf_puts(&b, "%!(BADPREC)");
                }
                argi++;
            } else {
                (void)parse_num(f, n, &i, &sp.prec);
                sp.has_prec = true;
            }
        }
        if (i >= n) {
            ay_buf_puts(&b, "%!(NOVERB)");
            break;
        }
        size_t w;
        uint32_t verb = ay_rego_bu_rune(f + i, n - i, &w);
        i += w;
        if (verb == '%') {
            ay_buf_putc(&b, '%');
            continue;
        }
        if (argi >= na) {
            ay_buf_puts(&b, "%!");
            ay_buf_put_utf8(&b, verb);
            ay_buf_puts(&b, "(MISSING)");
            continue;
        }
        if (verb >= 0x80) {
            ay_buf_puts(&b, "%!");
            ay_buf_put_utf8(&b, verb);
            ay_buf_putc(&b, '(');
            ay_buf_puts(&b, type_name(&fa[argi]));
            ay_buf_putc(&b, '=');
            put_plain(&b, &fa[argi]);
            ay_buf_putc(&b, ')');
        } else {
            format_one(&b, &sp, (char)verb, &fa[argi]);
        }
        argi++;
    }
    if (argi < na) {
        ay_buf_puts(&b, "%!(EXTRA ");
        for (size_t k = argi; k < na; k++) {
            if (k > argi) {
                ay_buf_puts(&b, ", ");
            }
            ay_buf_puts(&b, type_name(&fa[k]));
            ay_buf_putc(&b, '=');
            put_plain(&b, &fa[k]);
        }
        ay_buf_putc(&b, ')');
    }
    return ay_rego_bu_buf_str(bc, &b, out);
}

const struct ay_rego_bi ay_rego_bi_sprintf[] = {
    {"sprintf", 2, bi_sprintf, 0},
    {NULL, 0, NULL, 0},
};
