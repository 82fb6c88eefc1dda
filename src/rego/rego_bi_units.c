/* SPDX-License-Identifier: Apache-2.0 */
/* units.parse / units.parse_bytes (OPA topdown/units.go) and semver.is_valid / semver.compare
 * (Semantic Versioning 2.0.0, semver.org section 2-11). Unit amounts are computed exactly with
 * GMP rationals, so "10Ei" is the integer 11529215046068469760 and "500m" is 0.5. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmp.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_str.h"
#include "rego/rego_bi_util.h"

/* Splits "<amount><unit>" the way OPA does: the amount is digits, '.', '+', '-', and an 'e'/'E'
 * only when a digit or sign follows it. */
static size_t amount_len(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (ay_is_digit((unsigned char)c) || c == '.' || c == '+' || c == '-') {
            continue;
        }
        if (c == 'e' || c == 'E') {
            if (i + 1 == n ||
                (!ay_is_digit((unsigned char)s[i + 1]) && s[i + 1] != '+' && s[i + 1] != '-')) {
                return i;
            }
            if (s[i + 1] == '+' || s[i + 1] == '-') {
                i++;
            }
            continue;
        }
        return i;
    }
    return n;
}

/* Decimal text [+-]digits[.digits][(e|E)[+-]digits] into q; false if malformed. */
static bool parse_decimal(const char *s, size_t n, mpq_t q)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    char digits[256];
    size_t nd = 0;
    long frac = 0;
    bool any = false;
    while (i < n && ay_is_digit((unsigned char)s[i])) {
        if (nd + 1 >= sizeof digits) {
            return false;
        }
        digits[nd++] = s[i++];
        any = true;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && ay_is_digit((unsigned char)s[i])) {
            if (nd + 1 >= sizeof digits) {
                return false;
            }
            digits[nd++] = s[i++];
            frac++;
            any = true;
        }
    }
    if (!any) {
        return false;
    }
    long exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        bool ed = false;
        while (i < n && ay_is_digit((unsigned char)s[i])) {
            exp = exp * 10 + (s[i] - '0');
            if (exp > AY_LIMIT_REGO_UNITS_EXP) {
                return false;
            }
            i++;
            ed = true;
        }
        if (!ed) {
            return false;
        }
        if (eneg) {
            exp = -exp;
        }
    }
    if (i != n) {
        return false;
    }
    digits[nd] = '\0';
    mpz_t num, p;
    mpz_init_set_str(num, digits, 10);
    mpz_init(p);
    long e = exp - frac;
    mpz_ui_pow_ui(p, 10, (unsigned long)(e < 0 ? -e : e));
    if (e >= 0) {
        mpz_mul(num, num, p);
        mpq_set_z(q, num);
    } else {
        mpq_set_num(q, num);
        mpq_set_den(q, p);
        mpq_canonicalize(q);
    }
    if (neg) {
        mpq_neg(q, q);
    }
    mpz_clear(num);
    mpz_clear(p);
    return true;
}

/* Unit multiplier; milli only for units.parse's exact "m". */
static bool unit_factor(const char *u, size_t n, bool bytes, mpq_t f)
{
    char l[4] = {0};
    if (bytes && n > 0 && (u[n - 1] == 'b' || u[n - 1] == 'B')) {
        n--;
    }
    if (n > 2) {
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        l[k] = (char)ay_to_lower((unsigned char)u[k]);
    }
    mpq_set_ui(f, 1, 1);
    if (n == 0) {
        return true;
    }
    if (!bytes && n == 1 && u[0] == 'm') {
        mpq_set_ui(f, 1, 1000);
        return true;
    }
    const char *order = "kmgtpe";
    const char *pos = strchr(order, l[0]);
    if (pos == NULL || l[0] == '\0' || (n == 2 && l[1] != 'i')) {
        return false;
    }
    unsigned long k = (unsigned long)(pos - order) + 1;
    mpz_t z;
    mpz_init(z);
    if (n == 2) {
        mpz_ui_pow_ui(z, 2, 10 * k);
    } else {
        mpz_ui_pow_ui(z, 10, 3 * k);
    }
    mpq_set_z(f, z);
    mpz_clear(z);
    return true;
}

/* Nearest double of q: 40 significant decimal digits through strtod (mpq_get_d truncates). */
static double q_to_double(const mpq_t q)
{
    mpz_t num, p;
    mpz_init(num);
    mpz_init(p);
    mpz_abs(num, mpq_numref(q));
    long k = 40 - (long)mpz_sizeinbase(num, 10) + (long)mpz_sizeinbase(mpq_denref(q), 10);
    if (k < 0) {
        k = 0;
    }
    mpz_ui_pow_ui(p, 10, (unsigned long)k);
    mpz_mul(num, num, p);
    mpz_tdiv_q(num, num, mpq_denref(q));
    char buf[128];
    size_t len = mpz_sizeinbase(num, 10);
    double d = 0;
    if (len + 16 < sizeof buf) {
        (void)mpz_get_str(buf, 10, num);
        len = strlen(buf);
        (void)snprintf(buf + len, sizeof buf - len, "e-%ld", k);
        d = strtod(buf, NULL);
    }
    mpz_clear(num);
    mpz_clear(p);
    return mpq_sgn(q) < 0 ? -d : d;
}

static ay_err units_common(struct ay_rego_bctx *bc, const struct ay_val *args, bool bytes,
                           struct ay_val *out)
{
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s++;
        n -= 2;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ') {
            return ay_rego_bi_fail(bc, "spaces not allowed in resource strings");
        }
    }
    size_t an = amount_len(s, n);
    if (an == 0) {
        return ay_rego_bi_fail(bc, bytes ? "no byte amount provided" : "no amount provided");
    }
    mpq_t q, f;
    mpq_init(q);
    mpq_init(f);
    ay_err err = AY_OK;
    if (!parse_decimal(s, an, q)) {
        err = ay_rego_bi_fail(bc, bytes ? "could not parse byte amount to a number"
                                        : "could not parse amount to a number");
    } else if (!unit_factor(s + an, n - an, bytes, f)) {
        err = ay_rego_bi_fail(bc,
                              bytes ? "byte unit %.*s not recognized" : "unit %.*s not recognized",
                              (int)(n - an > 16 ? 16 : n - an), s + an);
    } else {
        mpq_mul(q, q, f);
        mpz_t z;
        mpz_init(z);
        bool integral = mpz_cmp_ui(mpq_denref(q), 1) == 0;
        if (bytes || integral) {
            mpz_tdiv_q(z, mpq_numref(q), mpq_denref(q));
            size_t cap = mpz_sizeinbase(z, 10) + 2;
            void *mem;
            err = ay_arena_alloc(bc->arena, cap, &mem);
            if (err == AY_OK) {
                char *txt = mem;
                (void)mpz_get_str(txt, 10, z);
                err = ay_val_num_text(bc->arena, txt, strlen(txt), out);
            }
        } else {
            *out = ay_val_double(q_to_double(q));
        }
        mpz_clear(z);
    }
    mpq_clear(q);
    mpq_clear(f);
    return err;
}

static ay_err bi_units_parse(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                             struct ay_val *out)
{
    (void)nargs;
    return units_common(bc, args, false, out);
}

static ay_err bi_units_parse_bytes(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                   struct ay_val *out)
{
    (void)nargs;
    return units_common(bc, args, true, out);
}

/* ---- semver ---- */

struct semver {
    const char *num[3];
    size_t num_n[3];
    const char *pre; /* prerelease without '-', NULL if none */
    size_t pre_n;
};

static bool numeric_ident(const char *s, size_t n)
{
    if (n == 0 || (n > 1 && s[0] == '0')) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!ay_is_digit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* Dot-separated identifiers of [0-9A-Za-z-]; numeric ones without leading zeros if strict. */
static bool idents_ok(const char *s, size_t n, bool strict_numeric)
{
    size_t st = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (i == st) {
                return false;
            }
            bool all_digits = true;
            for (size_t k = st; k < i; k++) {
                all_digits = all_digits && ay_is_digit((unsigned char)s[k]);
            }
            if (strict_numeric && all_digits && !numeric_ident(s + st, i - st)) {
                return false;
            }
            st = i + 1;
        } else if (!(ay_is_alnum((unsigned char)s[i]) || s[i] == '-')) {
            return false;
        }
    }
    return true;
}

/* semver.org section 2, 9, 10: MAJOR.MINOR.PATCH[-pre][+build]. */
static bool semver_parse(const char *s, size_t n, struct semver *v)
{
    memset(v, 0, sizeof *v);
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        size_t st = i;
        while (i < n && ay_is_digit((unsigned char)s[i])) {
            i++;
        }
        if (!numeric_ident(s + st, i - st)) {
            return false;
        }
        v->num[k] = s + st;
        v->num_n[k] = i - st;
        if (k < 2) {
            if (i >= n || s[i] != '.') {
                return false;
            }
            i++;
        }
    }
    if (i < n && s[i] == '-') {
        size_t st = ++i;
        while (i < n && s[i] != '+') {
            i++;
        }
        if (!idents_ok(s + st, i - st, true)) {
            return false;
        }
        v->pre = s + st;
        v->pre_n = i - st;
    }
    if (i < n && s[i] == '+') {
        i++;
        if (!idents_ok(s + i, n - i, false)) {
            return false;
        }
        i = n;
    }
    return i == n;
}

static int cmp_numeric(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn) {
        return an < bn ? -1 : 1;
    }
    int c = memcmp(a, b, an);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

/* semver.org section 11. */
static int semver_cmp(const struct semver *a, const struct semver *b)
{
    for (int k = 0; k < 3; k++) {
        int c = cmp_numeric(a->num[k], a->num_n[k], b->num[k], b->num_n[k]);
        if (c != 0) {
            return c;
        }
    }
    if (a->pre == NULL || b->pre == NULL) {
        return a->pre == NULL ? (b->pre == NULL ? 0 : 1) : -1;
    }
    size_t i = 0;
    size_t j = 0;
    for (;;) {
        if (i >= a->pre_n || j >= b->pre_n) {
            if (i >= a->pre_n && j >= b->pre_n) {
                return 0;
            }
            return i >= a->pre_n ? -1 : 1;
        }
        size_t ie = i;
        size_t je = j;
        while (ie < a->pre_n && a->pre[ie] != '.') {
            ie++;
        }
        while (je < b->pre_n && b->pre[je] != '.') {
            je++;
        }
        bool an = numeric_ident(a->pre + i, ie - i);
        bool bnum = numeric_ident(b->pre + j, je - j);
        int c;
        if (an && bnum) {
            c = cmp_numeric(a->pre + i, ie - i, b->pre + j, je - j);
        } else if (an != bnum) {
            c = an ? -1 : 1;
        } else {
            size_t m = ie - i < je - j ? ie - i : je - j;
            c = memcmp(a->pre + i, b->pre + j, m);
            if (c == 0 && ie - i != je - j) {
                c = ie - i < je - j ? -1 : 1;
            }
            c = c < 0 ? -1 : (c > 0 ? 1 : 0);
        }
        if (c != 0) {
            return c;
        }
        i = ie + 1;
        j = je + 1;
        if (ie >= a->pre_n) {
            i = a->pre_n;
        }
        if (je >= b->pre_n) {
            j = b->pre_n;
        }
    }
}

static ay_err bi_semver_is_valid(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                 struct ay_val *out)
{
    (void)bc;
    (void)nargs;
    struct semver v;
    *out = ay_val_bool(args[0].kind == AY_V_STR && semver_parse(args[0].u.s, args[0].len, &v));
    return AY_OK;
}

static ay_err bi_semver_compare(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                struct ay_val *out)
{
    (void)nargs;
    struct semver v[2];
    for (size_t k = 0; k < 2; k++) {
        const char *s;
        size_t n;
        TRY(ay_rego_bu_str(bc, args, k, &s, &n));
        if (!semver_parse(s, n, &v[k])) {
            return ay_rego_bi_fail(bc, "operand %zu: string \"%.*s\" is not a valid SemVer", k + 1,
                                   (int)(n > 100 ? 100 : n), s);
        }
    }
    *out = ay_val_int(semver_cmp(&v[0], &v[1]));
    return AY_OK;
}

const struct ay_rego_bi ay_rego_bi_units[] = {
    {"units.parse", 1, bi_units_parse, 0},
    {"units.parse_bytes", 1, bi_units_parse_bytes, 0},
    {"semver.is_valid", 1, bi_semver_is_valid, 0},
    {"semver.compare", 2, bi_semver_compare, 0},
    {NULL, 0, NULL, 0},
};
