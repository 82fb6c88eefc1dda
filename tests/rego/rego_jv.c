/* SPDX-License-Identifier: Apache-2.0 */
/* JSON value tree for the Rego conformance harness: parse, write, order, match. */
#include "rego_jv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_mem.h"

struct jv *jv_new(enum jv_kind k)
{
    struct jv *v = ay_xcalloc(1, sizeof *v);
    v->k = k;
    return v;
}

struct jv *jv_str(const char *s, size_t n)
{
    struct jv *v = jv_new(JV_STR);
    v->s = ay_xstrndup(s, n);
    v->len = n;
    return v;
}

void jv_push(struct jv *a, struct jv *v)
{
    a->kids = ay_xrealloc(a->kids, (a->n + 1) * sizeof *a->kids);
    a->kids[a->n++] = v;
}

void jv_put(struct jv *o, struct jv *key, struct jv *v)
{
    o->keys = ay_xrealloc(o->keys, (o->n + 1) * sizeof *o->keys);
    o->kids = ay_xrealloc(o->kids, (o->n + 1) * sizeof *o->kids);
    o->keys[o->n] = key;
    o->kids[o->n] = v;
    o->n++;
}

struct jv *jv_get(const struct jv *o, const char *key)
{
    if (o == NULL || o->k != JV_OBJ) {
        return NULL;
    }
    size_t kl = strlen(key);
    for (size_t i = 0; i < o->n; i++) {
        if (o->keys[i]->len == kl && memcmp(o->keys[i]->s, key, kl) == 0) {
            return o->kids[i];
        }
    }
    return NULL;
}

void jv_free(struct jv *v)
{
    if (v == NULL) {
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        jv_free(v->kids[i]);
        if (v->keys != NULL) {
            jv_free(v->keys[i]);
        }
    }
    ay_free(v->kids);
    ay_free(v->keys);
    ay_free(v->s);
    ay_free(v);
}

/* ---- parsing ---- */

struct jp {
    const char *p;
    const char *end;
    char *msg;
    size_t msglen;
    int depth;
};

static void jp_ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
        j->p++;
    }
}

static struct jv *jp_fail(struct jp *j, const char *what)
{
    if (j->msg[0] == '\0') {
        (void)snprintf(j->msg, j->msglen, "JSON: %s at offset %ld", what, (long)(j->end - j->p));
    }
    return NULL;
}

static bool jp_hex4(struct jp *j, unsigned long *out)
{
    if (j->end - j->p < 4) {
        return false;
    }
    char tmp[5];
    memcpy(tmp, j->p, 4);
    tmp[4] = '\0';
    char *e;
    *out = strtoul(tmp, &e, 16);
    if (e != tmp + 4) {
        return false;
    }
    j->p += 4;
    return true;
}

static struct jv *jp_string(struct jp *j)
{
    j->p++; /* opening quote */
    struct ay_buf b;
    ay_buf_init(&b, NULL, (size_t)64 << 20);
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if (c != '\\') {
            ay_buf_putc(&b, c);
            continue;
        }
        if (j->p >= j->end) {
            break;
        }
        c = *j->p++;
        switch (c) {
        case 'n': ay_buf_putc(&b, '\n'); break;
        case 't': ay_buf_putc(&b, '\t'); break;
        case 'r': ay_buf_putc(&b, '\r'); break;
        case 'b': ay_buf_putc(&b, '\b'); break;
        case 'f': ay_buf_putc(&b, '\f'); break;
        case 'u': {
            unsigned long cp;
            if (!jp_hex4(j, &cp)) {
                ay_buf_free(&b);
                return jp_fail(j, "bad \\u escape");
            }
            if (cp >= 0xD800 && cp < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' &&
                j->p[1] == 'u') {
                const char *at = j->p;
                j->p += 2;
                unsigned long lo;
                if (jp_hex4(j, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else {
                    j->p = at; /* read on its own */
                }
            }
            /* Any other surrogate becomes U+FFFD, as in the engine's reader (Go's rule). */
            ay_buf_put_utf8(&b, (uint32_t)cp);
            break;
        }
        default: ay_buf_putc(&b, c); break;
        }
    }
    if (j->p >= j->end) {
        ay_buf_free(&b);
        return jp_fail(j, "unterminated string");
    }
    j->p++;
    struct jv *v = jv_str(b.ptr != NULL ? b.ptr : "", b.len);
    ay_buf_free(&b);
    return v;
}

static struct jv *jp_value(struct jp *j);

static struct jv *jp_value_inner(struct jp *j)
{
    jp_ws(j);
    if (j->p >= j->end) {
        return jp_fail(j, "unexpected end");
    }
    char c = *j->p;
    if (c == '"') {
        return jp_string(j);
    }
    if (c == '[' || c == '{') {
        bool obj = c == '{';
        struct jv *v = jv_new(obj ? JV_OBJ : JV_ARR);
        j->p++;
        jp_ws(j);
        if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
            j->p++;
            return v;
        }
        for (;;) {
            struct jv *key = NULL;
            if (obj) {
                jp_ws(j);
                if (j->p >= j->end || *j->p != '"') {
                    jv_free(v);
                    return jp_fail(j, "expected key");
                }
                key = jp_string(j);
                jp_ws(j);
                if (key == NULL || j->p >= j->end || *j->p != ':') {
                    jv_free(key);
                    jv_free(v);
                    return jp_fail(j, "expected ':'");
                }
                j->p++;
            }
            struct jv *item = jp_value(j);
            if (item == NULL) {
                jv_free(key);
                jv_free(v);
                return NULL;
            }
            if (obj) {
                jv_put(v, key, item);
            } else {
                jv_push(v, item);
            }
            jp_ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
                j->p++;
                return v;
            }
            jv_free(v);
            return jp_fail(j, "expected ',' or close");
        }
    }
    if (j->end - j->p >= 4 && memcmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return jv_new(JV_NULL);
    }
    if (j->end - j->p >= 4 && memcmp(j->p, "true", 4) == 0) {
        j->p += 4;
        struct jv *v = jv_new(JV_BOOL);
        v->b = true;
        return v;
    }
    if (j->end - j->p >= 5 && memcmp(j->p, "false", 5) == 0) {
        j->p += 5;
        return jv_new(JV_BOOL);
    }
    const char *s = j->p;
    while (j->p < j->end && strchr("+-0123456789.eE", *j->p) != NULL) {
        j->p++;
    }
    if (j->p == s) {
        return jp_fail(j, "unexpected character");
    }
    struct jv *v = jv_str(s, (size_t)(j->p - s));
    v->k = JV_NUM;
    return v;
}

static struct jv *jp_value(struct jp *j)
{
    if (++j->depth > 1000) {
        return jp_fail(j, "too deep");
    }
    struct jv *v = jp_value_inner(j);
    j->depth--;
    return v;
}

struct jv *jv_parse(const char *text, size_t len, char *msg, size_t msglen)
{
    struct jp j = {.p = text, .end = text + len, .msg = msg, .msglen = msglen};
    msg[0] = '\0';
    struct jv *v = jp_value(&j);
    if (v == NULL) {
        return NULL;
    }
    jp_ws(&j);
    if (j.p != j.end) {
        jv_free(v);
        return jp_fail(&j, "trailing bytes");
    }
    return v;
}

void jv_write(const struct jv *v, struct ay_buf *out)
{
    switch (v->k) {
    case JV_NULL: ay_buf_puts(out, "null"); break;
    case JV_BOOL: ay_buf_puts(out, v->b ? "true" : "false"); break;
    case JV_NUM: ay_buf_put(out, v->s, v->len); break;
    case JV_STR: ay_buf_json_str(out, v->s, v->len); break;
    case JV_ARR:
    case JV_SET:
        ay_buf_putc(out, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i > 0) {
                ay_buf_putc(out, ',');
            }
            jv_write(v->kids[i], out);
        }
        ay_buf_putc(out, ']');
        break;
    case JV_OBJ:
        ay_buf_putc(out, '{');
        for (size_t i = 0; i < v->n; i++) {
            if (i > 0) {
                ay_buf_putc(out, ',');
            }
            jv_write(v->keys[i], out);
            ay_buf_putc(out, ':');
            jv_write(v->kids[i], out);
        }
        ay_buf_putc(out, '}');
        break;
    }
}

/* ---- numbers: exact decimal comparison ---- */

struct dec {
    bool neg;
    char dig[512]; /* significant digits, no leading/trailing zeros; "" = zero */
    long exp;      /* value = 0.dig * 10^exp */
    bool ok;
};

static void dec_parse(const char *s, struct dec *d)
{
    memset(d, 0, sizeof *d);
    size_t nd = 0;
    long point = -1;
    long lead = 0; /* digits before the point (after leading zeros are dropped) */
    bool seen_nz = false;
    long zeros_after_point = 0;
    if (*s == '-' || *s == '+') {
        d->neg = *s == '-';
        s++;
    }
    long pos = 0;
    for (; *s != '\0' && *s != 'e' && *s != 'E'; s++) {
        if (*s == '.') {
            point = pos;
            continue;
        }
        if (*s < '0' || *s > '9') {
            return;
        }
        if (!seen_nz && *s == '0') {
            if (point >= 0) {
                zeros_after_point++;
            }
            pos++;
            continue;
        }
        seen_nz = true;
        if (nd + 1 < sizeof d->dig) {
            d->dig[nd++] = *s;
        }
        if (point < 0) {
            lead++;
        }
        pos++;
    }
    long e = 0;
    if (*s == 'e' || *s == 'E') {
        e = strtol(s + 1, NULL, 10);
    }
    while (nd > 0 && d->dig[nd - 1] == '0') {
        nd--;
    }
    d->dig[nd] = '\0';
    d->exp = (point < 0 || lead > 0) ? lead + e : -zeros_after_point + e;
    if (nd == 0) {
        d->neg = false;
        d->exp = 0;
    }
    d->ok = true;
}

static int num_cmp(const char *a, const char *b)
{
    struct dec x;
    struct dec y;
    dec_parse(a, &x);
    dec_parse(b, &y);
    if (!x.ok || !y.ok) {
        double da = strtod(a, NULL);
        double db = strtod(b, NULL);
        return da < db ? -1 : da > db;
    }
    bool xz = x.dig[0] == '\0';
    bool yz = y.dig[0] == '\0';
    int sx = xz ? 0 : (x.neg ? -1 : 1);
    int sy = yz ? 0 : (y.neg ? -1 : 1);
    if (sx != sy) {
        return sx < sy ? -1 : 1;
    }
    if (sx == 0) {
        return 0;
    }
    int mag;
    if (x.exp != y.exp) {
        mag = x.exp < y.exp ? -1 : 1;
    } else {
        mag = strcmp(x.dig, y.dig);
        mag = mag < 0 ? -1 : mag > 0;
    }
    return sx > 0 ? mag : -mag;
}

static size_t sig_digits(const char *s)
{
    struct dec d;
    dec_parse(s, &d);
    return strlen(d.dig);
}

static int kind_rank(enum jv_kind k)
{
    switch (k) {
    case JV_NULL: return 0;
    case JV_BOOL: return 1;
    case JV_NUM: return 2;
    case JV_STR: return 3;
    case JV_ARR: return 6;
    case JV_OBJ: return 7;
    case JV_SET: return 8;
    }
    return 9;
}

int jv_cmp(const struct jv *a, const struct jv *b)
{
    int ra = kind_rank(a->k);
    int rb = kind_rank(b->k);
    if (ra != rb) {
        return ra < rb ? -1 : 1;
    }
    switch (a->k) {
    case JV_NULL: return 0;
    case JV_BOOL: return (int)a->b - (int)b->b;
    case JV_NUM: return num_cmp(a->s, b->s);
    case JV_STR: {
        size_t m = a->len < b->len ? a->len : b->len;
        int c = memcmp(a->s, b->s, m);
        if (c != 0) {
            return c < 0 ? -1 : 1;
        }
        return a->len < b->len ? -1 : a->len > b->len;
    }
    case JV_ARR:
    case JV_SET:
    case JV_OBJ:
        for (size_t i = 0; i < a->n && i < b->n; i++) {
            if (a->k == JV_OBJ) {
                int c = jv_cmp(a->keys[i], b->keys[i]);
                if (c != 0) {
                    return c;
                }
            }
            int c = jv_cmp(a->kids[i], b->kids[i]);
            if (c != 0) {
                return c;
            }
        }
        return a->n < b->n ? -1 : a->n > b->n;
    }
    return 0;
}

static int jv_qcmp(const void *x, const void *y)
{
    return jv_cmp(*(struct jv *const *)x, *(struct jv *const *)y);
}

void jv_sort(struct jv *arr)
{
    if ((arr->k == JV_ARR || arr->k == JV_SET) && arr->n > 1) {
        qsort(arr->kids, arr->n, sizeof *arr->kids, jv_qcmp);
    }
}

static bool match_unordered(const struct jv *want, const struct jv *got)
{
    if (want->n != got->n) {
        return false;
    }
    bool *used = ay_xcalloc(got->n + 1, sizeof *used);
    bool ok = true;
    for (size_t i = 0; i < want->n && ok; i++) {
        bool found = false;
        for (size_t k = 0; k < got->n; k++) {
            if (!used[k] && jv_match(want->kids[i], got->kids[k])) {
                used[k] = true;
                found = true;
                break;
            }
        }
        ok = found;
    }
    ay_free(used);
    return ok;
}

bool jv_match(const struct jv *want, const struct jv *got)
{
    if (want->k == JV_SET) {
        return (got->k == JV_ARR || got->k == JV_SET) && match_unordered(want, got);
    }
    if (want->k != got->k) {
        return false;
    }
    switch (want->k) {
    case JV_NULL: return true;
    case JV_BOOL: return want->b == got->b;
    case JV_NUM:
        /* OPA's loader reads expected numbers as float64 (REGO.md §1.1). */
        if (sig_digits(want->s) > 15) {
            double a = strtod(want->s, NULL);
            double b = strtod(got->s, NULL);
            return a == b || (isnan(a) && isnan(b));
        }
        return num_cmp(want->s, got->s) == 0;
    case JV_STR: return want->len == got->len && memcmp(want->s, got->s, want->len) == 0;
    case JV_ARR:
    case JV_SET:
        if (want->n != got->n) {
            return false;
        }
        for (size_t i = 0; i < want->n; i++) {
            if (!jv_match(want->kids[i], got->kids[i])) {
                return false;
            }
        }
        return true;
    case JV_OBJ:
        if (want->n != got->n) {
            return false;
        }
        for (size_t i = 0; i < want->n; i++) {
            const struct jv *g = NULL;
            for (size_t k = 0; k < got->n; k++) {
                if (jv_cmp(want->keys[i], got->keys[k]) == 0) {
                    g = got->kids[k];
                    break;
                }
            }
            if (g == NULL || !jv_match(want->kids[i], g)) {
                return false;
            }
        }
        return true;
    }
    return false;
}
