/* SPDX-License-Identifier: Apache-2.0 */
/* time.* builtins (OPA topdown/time.go) with Go's time package semantics: nanoseconds since the
 * epoch in int64 (outside that is "time outside of valid range"), Go reference layouts
 * ("2006-01-02T15:04:05Z07:00", named layouts RFC3339, RFC1123Z, ...), Go durations ("1h2m3.5s").
 * Time zones: "" and "UTC" are UTC, "Local" is UTC too (the service runs in UTC), other names
 * are read from /usr/share/zoneinfo (TZif, RFC 8536). Instants after a zone's last transition use
 * its last offset (the TZif footer rule is not evaluated; Debian's files list transitions to
 * 2037). Never touches the TZ environment (thread-safety). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_cursor.h"
#include "base/base_limits.h"
#include "base/base_str.h"
#include "base/base_time.h"
#include "rego/rego_bi_util.h"

#define NS_PER_SEC 1000000000LL

static const char *const month_names[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};
static const char *const day_names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};

/* ---- zones ---- */

struct zone {
    char name[64];
    bool utc;
    size_t n;     /* transitions */
    int64_t *at;  /* transition times (Unix seconds) */
    uint8_t *idx; /* local time type per transition */
    size_t ntypes;
    int32_t off[256];  /* UT offsets per type */
    char abbr[256][8]; /* abbreviations per type */
};

static bool zone_name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= 64 || s[0] == '/') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(ay_is_alnum((unsigned char)c) || c == '/' || c == '_' || c == '-' || c == '+')) {
            return false;
        }
        if (c == '.' || (c == '/' && i + 1 < n && s[i + 1] == '/')) {
            return false;
        }
    }
    return true;
}

/* Reads a TZif file (RFC 8536 section 3): the v2+ 64-bit block when present. */
static ay_err zone_load(struct ay_rego_bctx *bc, const char *name, size_t nn, struct zone *z)
{
    memset(z, 0, sizeof *z);
    if (nn == 0 || (nn == 3 && memcmp(name, "UTC", 3) == 0) ||
        (nn == 5 && memcmp(name, "Local", 5) == 0)) {
        z->utc = true;
        memcpy(z->name, "UTC", 4);
        return AY_OK;
    }
    if (!zone_name_ok(name, nn)) {
        return ay_rego_bi_fail(bc, "unknown time zone %.*s", (int)(nn > 64 ? 64 : nn), name);
    }
    memcpy(z->name, name, nn);
    char path[128];
    (void)snprintf(path, sizeof path, "/usr/share/zoneinfo/%.*s", (int)nn, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return ay_rego_bi_fail(bc, "unknown time zone %.*s", (int)nn, name);
    }
    void *mem;
    ay_err err = ay_arena_alloc(bc->arena, AY_LIMIT_REGO_TZIF, &mem);
    size_t len = err == AY_OK ? fread(mem, 1, AY_LIMIT_REGO_TZIF, f) : 0;
    (void)fclose(f);
    TRY(err);
    struct ay_cur c;
    ay_cur_init(&c, ay_span_of(mem, len));
    for (int pass = 0; pass < 2; pass++) {
        struct ay_span magic;
        uint8_t ver;
        uint32_t cnt[6]; /* isutcnt isstdcnt leapcnt timecnt typecnt charcnt */
        if (ay_cur_bytes(&c, 4, &magic) != AY_OK || memcmp(magic.ptr, "TZif", 4) != 0 ||
            ay_cur_u8(&c, &ver) != AY_OK || ay_cur_skip(&c, 15) != AY_OK) {
            return ay_rego_bi_fail(bc, "malformed time zone file for %s", z->name);
        }
        for (int k = 0; k < 6; k++) {
            if (ay_cur_u32be(&c, &cnt[k]) != AY_OK) {
                return ay_rego_bi_fail(bc, "malformed time zone file for %s", z->name);
            }
        }
        size_t tsz = pass == 0 ? 4 : 8;
        if (pass == 0 && ver >= '2') {
            /* skip the v1 data block; the v2 header and 64-bit block follow */
            size_t skip = cnt[3] * 5u + cnt[4] * 6u + cnt[5] + cnt[2] * 8u + cnt[1] + cnt[0];
            if (ay_cur_skip(&c, skip) != AY_OK) {
                return ay_rego_bi_fail(bc, "malformed time zone file for %s", z->name);
            }
            continue;
        }
        if (cnt[4] == 0 || cnt[4] > 256 || cnt[3] > 10000) {
            return ay_rego_bi_fail(bc, "malformed time zone file for %s", z->name);
        }
        z->n = cnt[3];
        z->ntypes = cnt[4];
        void *a1 = NULL;
        void *a2 = NULL;
        if (z->n > 0) {
            TRY(ay_arena_array(bc->arena, z->n, sizeof(int64_t), &a1));
            TRY(ay_arena_alloc(bc->arena, z->n, &a2));
        }
        z->at = a1;
        z->idx = a2;
        bool ok = true;
        for (size_t k = 0; k < z->n && ok; k++) {
            if (tsz == 8) {
                uint64_t v;
                ok = ay_cur_u64be(&c, &v) == AY_OK;
                z->at[k] = (int64_t)v;
            } else {
                uint32_t v;
                ok = ay_cur_u32be(&c, &v) == AY_OK;
                z->at[k] = (int32_t)v;
            }
        }
        for (size_t k = 0; k < z->n && ok; k++) {
            ok = ay_cur_u8(&c, &z->idx[k]) == AY_OK && z->idx[k] < z->ntypes;
        }
        uint8_t ai[256];
        for (size_t k = 0; k < z->ntypes && ok; k++) {
            uint32_t off;
            uint8_t dst;
            ok = ay_cur_u32be(&c, &off) == AY_OK && ay_cur_u8(&c, &dst) == AY_OK &&
                 ay_cur_u8(&c, &ai[k]) == AY_OK;
            z->off[k] = (int32_t)off;
        }
        struct ay_span chars;
        ok = ok && ay_cur_bytes(&c, cnt[5], &chars) == AY_OK;
        if (!ok) {
            return ay_rego_bi_fail(bc, "malformed time zone file for %s", z->name);
        }
        for (size_t k = 0; k < z->ntypes; k++) {
            size_t j = 0;
            while (ai[k] + j < chars.len && chars.ptr[ai[k] + j] != 0 && j < 7) {
                z->abbr[k][j] = (char)chars.ptr[ai[k] + j];
                j++;
            }
            z->abbr[k][j] = '\0';
        }
        break;
    }
    return AY_OK;
}

/* Offset (seconds east of UTC) and abbreviation in force at Unix second t. */
static int32_t zone_offset(const struct zone *z, int64_t t, const char **abbr)
{
    if (z->utc) {
        *abbr = "UTC";
        return 0;
    }
    size_t type = 0;
    if (z->n == 0 || t < z->at[0]) {
        /* RFC 8536 section 3.2: before the first transition, the first type is used */
        type = 0;
    } else {
        size_t lo = 0;
        size_t hi = z->n;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (z->at[mid] <= t) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        type = z->idx[lo];
    }
    *abbr = z->abbr[type];
    return z->off[type];
}

/* ---- broken-down time ---- */

struct tm_go {
    int64_t year;
    int month; /* 1..12 */
    int day;
    int hour, min, sec;
    int64_t nsec;
    int wday; /* 0 = Sunday */
    int yday; /* 1..366 */
    int32_t off;
    const char *abbr;
};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

static void breakdown(int64_t ns, const struct zone *z, struct tm_go *t)
{
    int64_t sec = ns / NS_PER_SEC;
    t->nsec = ns % NS_PER_SEC;
    if (t->nsec < 0) {
        t->nsec += NS_PER_SEC;
        sec--;
    }
    t->off = zone_offset(z, sec, &t->abbr);
    int64_t local = sec + t->off;
    int64_t days = floor_div(local, 86400);
    int64_t rem = local - days * 86400;
    int64_t y;
    unsigned m, d;
    ay_time_civil_from_days(days, &y, &m, &d);
    t->year = y;
    t->month = (int)m;
    t->day = (int)d;
    t->hour = (int)(rem / 3600);
    t->min = (int)(rem % 3600 / 60);
    t->sec = (int)(rem % 60);
    t->wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
    t->yday = (int)(days - ay_time_days_from_civil(y, 1, 1)) + 1;
}

/* secs * 1e9 + nsec as int64 ns; false outside Go's representable range. */
static bool ns_from(int64_t secs, int64_t nsec, int64_t *out)
{
    int64_t m;
    if (__builtin_mul_overflow(secs, NS_PER_SEC, &m)) {
        /* the lowest second's product overflows although the sum fits */
        if (secs == -9223372037LL && nsec >= 145224192) {
            *out = INT64_MIN + (nsec - 145224192);
            return true;
        }
        return false;
    }
    return !__builtin_add_overflow(m, nsec, out);
}

/* The instant x: a number of ns, or [ns, tz] / [ns, tz, layout]. */
struct when {
    int64_t ns;
    struct zone *z;
    const char *layout;
    size_t layout_n;
};

static ay_err ns_of(struct ay_rego_bctx *bc, struct ay_val v, int64_t *out)
{
    if (v.kind != AY_V_NUM) {
        return ay_rego_bi_type_error(bc, 0, "number", v);
    }
    if (ay_val_to_i64(v, out)) {
        return AY_OK;
    }
    double d = ay_val_to_double(v);
    if (v.sub == AY_NUM_DBL && d > -9.2e18 && d < 9.2e18) {
        *out = (int64_t)d;
        return AY_OK;
    }
    return ay_rego_bi_fail(bc, "timestamp too big");
}

static ay_err when_of(struct ay_rego_bctx *bc, const struct ay_val *args, size_t i, struct when *w)
{
    struct ay_val v = args[i];
    void *mem;
    TRY(ay_arena_alloc(bc->arena, sizeof(struct zone), &mem));
    w->z = mem;
    w->layout = NULL;
    w->layout_n = 0;
    if (v.kind == AY_V_NUM) {
        TRY(ns_of(bc, v, &w->ns));
        return zone_load(bc, "", 0, w->z);
    }
    if (v.kind != AY_V_ARR || v.len < 1 || v.len > 3) {
        return ay_rego_bi_type_error(bc, i, "one of {number, array}", v);
    }
    TRY(ns_of(bc, v.u.items[0], &w->ns));
    if (v.len >= 2) {
        if (v.u.items[1].kind != AY_V_STR) {
            return ay_rego_bi_type_error(bc, i, "array of [number, string]", v.u.items[1]);
        }
        TRY(zone_load(bc, v.u.items[1].u.s, v.u.items[1].len, w->z));
    } else {
        TRY(zone_load(bc, "", 0, w->z));
    }
    if (v.len == 3) {
        if (v.u.items[2].kind != AY_V_STR) {
            return ay_rego_bi_type_error(bc, i, "array of [number, string, string]", v.u.items[2]);
        }
        w->layout = v.u.items[2].u.s;
        w->layout_n = v.u.items[2].len;
    }
    return AY_OK;
}

/* ---- Go layouts ---- */

enum std {
    S_NONE,
    S_LONG_MONTH,
    S_MONTH,
    S_NUM_MONTH,
    S_ZERO_MONTH,
    S_LONG_WEEKDAY,
    S_WEEKDAY,
    S_DAY,
    S_UNDER_DAY,
    S_ZERO_DAY,
    S_UNDER_YDAY,
    S_ZERO_YDAY,
    S_HOUR,
    S_HOUR12,
    S_ZERO_HOUR12,
    S_MINUTE,
    S_ZERO_MINUTE,
    S_SECOND,
    S_ZERO_SECOND,
    S_LONG_YEAR,
    S_YEAR,
    S_PM,
    S_pm,
    S_TZ,
    S_ISO_SS,
    S_ISO_COLON_SS,
    S_ISO,
    S_ISO_SHORT,
    S_ISO_COLON,
    S_NUM_SS,
    S_NUM_COLON_SS,
    S_NUM,
    S_NUM_SHORT,
    S_NUM_COLON,
    S_FRAC0,
    S_FRAC9,
};

static const struct {
    const char *name;
    const char *layout;
} named_layouts[] = {
    {"ANSIC", "Mon Jan _2 15:04:05 2006"},
    {"UnixDate", "Mon Jan _2 15:04:05 MST 2006"},
    {"RubyDate", "Mon Jan 02 15:04:05 -0700 2006"},
    {"RFC822", "02 Jan 06 15:04 MST"},
    {"RFC822Z", "02 Jan 06 15:04 -0700"},
    {"RFC850", "Monday, 02-Jan-06 15:04:05 MST"},
    {"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
    {"RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"},
    {"RFC3339", "2006-01-02T15:04:05Z07:00"},
    {"RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"},
    {"Kitchen", "3:04PM"},
    {"Stamp", "Jan _2 15:04:05"},
    {"StampMilli", "Jan _2 15:04:05.000"},
    {"StampMicro", "Jan _2 15:04:05.000000"},
    {"StampNano", "Jan _2 15:04:05.000000000"},
    {"DateTime", "2006-01-02 15:04:05"},
    {"DateOnly", "2006-01-02"},
    {"TimeOnly", "15:04:05"},
};

static void resolve_layout(const char **l, size_t *n)
{
    for (size_t k = 0; k < sizeof named_layouts / sizeof named_layouts[0]; k++) {
        if (strlen(named_layouts[k].name) == *n && memcmp(named_layouts[k].name, *l, *n) == 0) {
            *l = named_layouts[k].layout;
            *n = strlen(*l);
            return;
        }
    }
}

static bool starts(const char *s, size_t n, size_t i, const char *p)
{
    size_t pn = strlen(p);
    return n - i >= pn && memcmp(s + i, p, pn) == 0;
}

/* Go time.nextStdChunk: the next token at or after *i; *lit_end is where literal text stops;
 * *tok_len its length; *frac_digits for fractions. S_NONE at the end. */
static enum std next_std(const char *l, size_t n, size_t from, size_t *at, size_t *tok_len,
                         int *frac_digits)
{
    static const struct {
        const char *p;
        enum std s;
    } tbl[] = {
        {"January", S_LONG_MONTH},
        {"Jan", S_MONTH},
        {"Monday", S_LONG_WEEKDAY},
        {"Mon", S_WEEKDAY},
        {"MST", S_TZ},
        {"01", S_ZERO_MONTH},
        {"02", S_ZERO_DAY},
        {"03", S_ZERO_HOUR12},
        {"04", S_ZERO_MINUTE},
        {"05", S_ZERO_SECOND},
        {"06", S_YEAR},
        {"002", S_ZERO_YDAY},
        {"15", S_HOUR},
        {"1", S_NUM_MONTH},
        {"2006", S_LONG_YEAR},
        {"2", S_DAY},
        {"__2", S_UNDER_YDAY},
        {"_2", S_UNDER_DAY},
        {"3", S_HOUR12},
        {"4", S_MINUTE},
        {"5", S_SECOND},
        {"PM", S_PM},
        {"pm", S_pm},
        {"-070000", S_NUM_SS},
        {"-07:00:00", S_NUM_COLON_SS},
        {"-0700", S_NUM},
        {"-07:00", S_NUM_COLON},
        {"-07", S_NUM_SHORT},
        {"Z070000", S_ISO_SS},
        {"Z07:00:00", S_ISO_COLON_SS},
        {"Z0700", S_ISO},
        {"Z07:00", S_ISO_COLON},
        {"Z07", S_ISO_SHORT},
    };

    for (size_t i = from; i < n; i++) {
        char c = l[i];
        if ((c == '.' || c == ',') && i + 1 < n && (l[i + 1] == '0' || l[i + 1] == '9')) {
            char ch = l[i + 1];
            size_t j = i + 1;
            while (j < n && l[j] == ch) {
                j++;
            }
            if (!(j < n && ay_is_digit((unsigned char)l[j]))) {
                *at = i;
                *tok_len = j - i;
                *frac_digits = (int)(j - i - 1);
                return ch == '0' ? S_FRAC0 : S_FRAC9;
            }
        }
        /* "_2006" is a literal '_' then the year; Go checks the longest forms first */
        if (c == '_' && starts(l, n, i, "_2006")) {
            continue;
        }
        for (size_t k = 0; k < sizeof tbl / sizeof tbl[0]; k++) {
            if (starts(l, n, i, tbl[k].p)) {
                enum std s = tbl[k].s;
                /* "Jan"/"Mon" followed by a lower-case letter is literal text in Go */
                if ((s == S_MONTH || s == S_WEEKDAY) && i + 3 < n && l[i + 3] >= 'a' &&
                    l[i + 3] <= 'z' && !starts(l, n, i, "January") && !starts(l, n, i, "Monday")) {
                    break;
                }
                if (s == S_ZERO_DAY && starts(l, n, i, "002")) {
                    continue;
                }
                *at = i;
                *tok_len = strlen(tbl[k].p);
                return s;
            }
        }
    }
    *at = n;
    *tok_len = 0;
    return S_NONE;
}

static void put_num(struct ay_buf *b, int64_t v, int width, char pad)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%lld", (long long)(v < 0 ? -v : v));
    if (v < 0) {
        ay_buf_putc(b, '-');
    }
    for (int k = len; k < width; k++) {
        ay_buf_putc(b, pad);
    }
    ay_buf_put(b, tmp, (size_t)len);
}

static void put_zone(struct ay_buf *b, enum std s, int32_t off)
{
    bool iso = s >= S_ISO_SS && s <= S_ISO_COLON;
    if (iso && off == 0) {
        ay_buf_putc(b, 'Z');
        return;
    }
    int32_t a = off < 0 ? -off : off;
    ay_buf_putc(b, off < 0 ? '-' : '+');
    put_num(b, a / 3600, 2, '0');
    bool colon = s == S_ISO_COLON || s == S_ISO_COLON_SS || s == S_NUM_COLON || s == S_NUM_COLON_SS;
    if (s != S_ISO_SHORT && s != S_NUM_SHORT) {
        if (colon) {
            ay_buf_putc(b, ':');
        }
        put_num(b, a / 60 % 60, 2, '0');
    }
    if (s == S_ISO_SS || s == S_ISO_COLON_SS || s == S_NUM_SS || s == S_NUM_COLON_SS) {
        if (colon) {
            ay_buf_putc(b, ':');
        }
        put_num(b, a % 60, 2, '0');
    }
}

static void format_go(struct ay_buf *b, const char *l, size_t n, const struct tm_go *t)
{
    size_t i = 0;
    while (i < n) {
        size_t at, tl;
        int fd = 0;
        enum std s = next_std(l, n, i, &at, &tl, &fd);
        ay_buf_put(b, l + i, at - i);
        if (s == S_NONE) {
            break;
        }
        i = at + tl;
        int h12 = t->hour % 12 == 0 ? 12 : t->hour % 12;
        switch (s) {
        case S_LONG_MONTH:
            ay_buf_puts(b, month_names[t->month - 1]);
            break;
        case S_MONTH:
            ay_buf_put(b, month_names[t->month - 1], 3);
            break;
        case S_NUM_MONTH:
            put_num(b, t->month, 0, '0');
            break;
        case S_ZERO_MONTH:
            put_num(b, t->month, 2, '0');
            break;
        case S_LONG_WEEKDAY:
            ay_buf_puts(b, day_names[t->wday]);
            break;
        case S_WEEKDAY:
            ay_buf_put(b, day_names[t->wday], 3);
            break;
        case S_DAY:
            put_num(b, t->day, 0, '0');
            break;
        case S_UNDER_DAY:
            put_num(b, t->day, 2, ' ');
            break;
        case S_ZERO_DAY:
            put_num(b, t->day, 2, '0');
            break;
        case S_UNDER_YDAY:
            put_num(b, t->yday, 3, ' ');
            break;
        case S_ZERO_YDAY:
            put_num(b, t->yday, 3, '0');
            break;
        case S_HOUR:
            put_num(b, t->hour, 2, '0');
            break;
        case S_HOUR12:
            put_num(b, h12, 0, '0');
            break;
        case S_ZERO_HOUR12:
            put_num(b, h12, 2, '0');
            break;
        case S_MINUTE:
            put_num(b, t->min, 0, '0');
            break;
        case S_ZERO_MINUTE:
            put_num(b, t->min, 2, '0');
            break;
        case S_SECOND:
            put_num(b, t->sec, 0, '0');
            break;
        case S_ZERO_SECOND:
            put_num(b, t->sec, 2, '0');
            break;
        case S_LONG_YEAR:
            put_num(b, t->year, 4, '0');
            break;
        case S_YEAR:
            put_num(b, ((t->year % 100) + 100) % 100, 2, '0');
            break;
        case S_PM:
            ay_buf_puts(b, t->hour >= 12 ? "PM" : "AM");
            break;
        case S_pm:
            ay_buf_puts(b, t->hour >= 12 ? "pm" : "am");
            break;
        case S_TZ:
            if (t->abbr != NULL && t->abbr[0] != '\0') {
                ay_buf_puts(b, t->abbr);
            } else {
                put_zone(b, S_NUM, t->off);
            }
            break;
        case S_FRAC0:
        case S_FRAC9: {
            char digs[10];
            (void)snprintf(digs, sizeof digs, "%09lld", (long long)t->nsec);
            int nd = fd > 9 ? 9 : fd;
            if (s == S_FRAC9) {
                while (nd > 0 && digs[nd - 1] == '0') {
                    nd--;
                }
                if (nd == 0) {
                    break;
                }
            }
            ay_buf_putc(b, l[at]);
            ay_buf_put(b, digs, (size_t)nd);
            break;
        }
        case S_NONE:
            break;
        default:
            put_zone(b, s, t->off);
            break;
        }
    }
}

/* Parse helpers: Go's getnum (1 or 2 digits; fixed 2 when zero-padded). */
static bool get_num(const char *v, size_t n, size_t *i, int min_d, int max_d, int64_t *out)
{
    int64_t x = 0;
    int d = 0;
    while (*i < n && d < max_d && ay_is_digit((unsigned char)v[*i])) {
        x = x * 10 + (v[*i] - '0');
        (*i)++;
        d++;
    }
    *out = x;
    return d >= min_d;
}

static bool get_name(const char *v, size_t n, size_t *i, const char *const *names, size_t cnt,
                     size_t len, int *out)
{
    for (size_t k = 0; k < cnt; k++) {
        size_t nl = len > 0 ? len : strlen(names[k]);
        if (n - *i >= nl) {
            bool eq = true;
            for (size_t j = 0; j < nl && eq; j++) {
                eq = ay_to_lower((unsigned char)v[*i + j]) ==
                     ay_to_lower((unsigned char)names[k][j]);
            }
            if (eq) {
                *i += nl;
                *out = (int)k;
                return true;
            }
        }
    }
    return false;
}

static bool parse_zone(const char *v, size_t n, size_t *i, enum std s, int32_t *off)
{
    bool iso = s >= S_ISO_SS && s <= S_ISO_COLON;
    if (iso && *i < n && v[*i] == 'Z') {
        (*i)++;
        *off = 0;
        return true;
    }
    if (*i >= n || (v[*i] != '+' && v[*i] != '-')) {
        return false;
    }
    int sign = v[*i] == '-' ? -1 : 1;
    (*i)++;
    int64_t hh, mm = 0, ss = 0;
    bool colon = s == S_ISO_COLON || s == S_ISO_COLON_SS || s == S_NUM_COLON || s == S_NUM_COLON_SS;
    if (!get_num(v, n, i, 2, 2, &hh)) {
        return false;
    }
    if (s != S_ISO_SHORT && s != S_NUM_SHORT) {
        if (colon) {
            if (*i >= n || v[*i] != ':') {
                return false;
            }
            (*i)++;
        }
        if (!get_num(v, n, i, 2, 2, &mm)) {
            return false;
        }
    }
    if (s == S_ISO_SS || s == S_ISO_COLON_SS || s == S_NUM_SS || s == S_NUM_COLON_SS) {
        if (colon) {
            if (*i >= n || v[*i] != ':') {
                return false;
            }
            (*i)++;
        }
        if (!get_num(v, n, i, 2, 2, &ss)) {
            return false;
        }
    }
    if (hh > 24 || mm > 59 || ss > 59) {
        return false;
    }
    *off = (int32_t)(sign * (hh * 3600 + mm * 60 + ss));
    return true;
}

static bool parse_frac(const char *v, size_t n, size_t *i, int64_t *nsec)
{
    /* a '.' or ',' then digits; more than 9 digits are truncated */
    if (*i >= n || (v[*i] != '.' && v[*i] != ',')) {
        return false;
    }
    size_t j = *i + 1;
    int64_t x = 0;
    int d = 0;
    while (j < n && ay_is_digit((unsigned char)v[j])) {
        if (d < 9) {
            x = x * 10 + (v[j] - '0');
            d++;
        }
        j++;
    }
    if (j == *i + 1) {
        return false;
    }
    while (d < 9) {
        x *= 10;
        d++;
    }
    *nsec = x;
    *i = j;
    return true;
}

/* Go time.Parse: true and UTC ns on success; *range_err when out of int64 ns. */
static bool parse_go(const char *l, size_t ln, const char *v, size_t n, const struct zone *z,
                     int64_t *out, bool *range_err)
{
    int64_t year = 1, month = 1, day = 1, hour = 0, min = 0, sec = 0, nsec = 0, yday = -1;
    int pm = -1;
    bool have_off = false;
    int32_t off = 0;
    size_t i = 0;
    size_t li = 0;
    *range_err = false;
    while (li <= ln) {
        size_t at, tl;
        int fd = 0;
        enum std s = next_std(l, ln, li, &at, &tl, &fd);
        /* literal text must match exactly */
        if (n - i < at - li || memcmp(v + i, l + li, at - li) != 0) {
            return false;
        }
        i += at - li;
        if (s == S_NONE) {
            break;
        }
        li = at + tl;
        int k;
        bool ok = true;
        switch (s) {
        case S_LONG_MONTH:
            ok = get_name(v, n, &i, month_names, 12, 0, &k);
            month = k + 1;
            break;
        case S_MONTH:
            ok = get_name(v, n, &i, month_names, 12, 3, &k);
            month = k + 1;
            break;
        case S_LONG_WEEKDAY:
            ok = get_name(v, n, &i, day_names, 7, 0, &k);
            break;
        case S_WEEKDAY:
            ok = get_name(v, n, &i, day_names, 7, 3, &k);
            break;
        case S_NUM_MONTH:
        case S_ZERO_MONTH:
            ok = get_num(v, n, &i, s == S_ZERO_MONTH ? 2 : 1, 2, &month) && month >= 1 &&
                 month <= 12;
            break;
        case S_DAY:
        case S_ZERO_DAY:
        case S_UNDER_DAY:
            if (s == S_UNDER_DAY && i < n && v[i] == ' ') {
                i++;
            }
            ok = get_num(v, n, &i, s == S_ZERO_DAY ? 2 : 1, 2, &day);
            break;
        case S_UNDER_YDAY:
        case S_ZERO_YDAY:
            while (s == S_UNDER_YDAY && i < n && v[i] == ' ') {
                i++;
            }
            ok = get_num(v, n, &i, s == S_ZERO_YDAY ? 3 : 1, 3, &yday) && yday >= 1 && yday <= 366;
            break;
        case S_HOUR:
            ok = get_num(v, n, &i, 2, 2, &hour) && hour < 24;
            break;
        case S_HOUR12:
        case S_ZERO_HOUR12:
            ok = get_num(v, n, &i, s == S_ZERO_HOUR12 ? 2 : 1, 2, &hour) && hour <= 12;
            break;
        case S_MINUTE:
        case S_ZERO_MINUTE:
            ok = get_num(v, n, &i, s == S_ZERO_MINUTE ? 2 : 1, 2, &min) && min < 60;
            break;
        case S_SECOND:
        case S_ZERO_SECOND:
            ok = get_num(v, n, &i, s == S_ZERO_SECOND ? 2 : 1, 2, &sec) && sec < 60;
            /* Go accepts a fraction after seconds even when the layout has none */
            if (ok && i + 1 < n && v[i] == '.' && ay_is_digit((unsigned char)v[i + 1])) {
                size_t an, tl2;
                int fd2;
                enum std nx = next_std(l, ln, li, &an, &tl2, &fd2);
                if (!((nx == S_FRAC0 || nx == S_FRAC9) && an == li)) {
                    (void)parse_frac(v, n, &i, &nsec);
                }
            }
            break;
        case S_LONG_YEAR:
            ok = get_num(v, n, &i, 4, 4, &year);
            break;
        case S_YEAR:
            ok = get_num(v, n, &i, 2, 2, &year);
            year += year >= 69 ? 1900 : 2000;
            break;
        case S_PM:
        case S_pm:
            if (n - i >= 2) {
                char a = (char)ay_to_lower((unsigned char)v[i]);
                char m = (char)ay_to_lower((unsigned char)v[i + 1]);
                ok = (a == 'a' || a == 'p') && m == 'm';
                pm = a == 'p';
                i += 2;
            } else {
                ok = false;
            }
            break;
        case S_TZ: {
            if (n - i >= 3 && memcmp(v + i, "UTC", 3) == 0) {
                i += 3;
                have_off = true;
                off = 0;
                break;
            }
            size_t st = i;
            while (i < n && v[i] >= 'A' && v[i] <= 'Z') {
                i++;
            }
            ok = i - st >= 3 && i - st <= 5;
            /* an unknown abbreviation is taken as UTC, as Go does */
            break;
        }
        case S_FRAC0:
            ok = parse_frac(v, n, &i, &nsec);
            break;
        case S_FRAC9:
            if (i < n && (v[i] == '.' || v[i] == ',')) {
                ok = parse_frac(v, n, &i, &nsec);
            }
            break;
        case S_NONE:
            break;
        default:
            ok = parse_zone(v, n, &i, s, &off);
            have_off = true;
            break;
        }
        if (!ok) {
            return false;
        }
    }
    if (i != n) {
        return false; /* extra text */
    }
    if (pm == 1 && hour < 12) {
        hour += 12;
    } else if (pm == 0 && hour == 12) {
        hour = 0;
    }
    int64_t days;
    if (yday >= 0) {
        days = ay_time_days_from_civil(year, 1, 1) + yday - 1;
    } else {
        static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        if (day < 1 || day > mdays[month - 1] || (month == 2 && day == 29 && !leap)) {
            return false; /* Go: "day out of range" */
        }
        days = ay_time_days_from_civil(year, (unsigned)month, (unsigned)day);
    }
    int64_t local = days * 86400 + hour * 3600 + min * 60 + sec;
    int64_t utc;
    if (have_off) {
        utc = local - off;
    } else {
        const char *ab;
        utc = local - zone_offset(z, local, &ab);
    }
    /* int64 ns: -9223372036.854775808 s .. 9223372036.854775807 s */
    if (utc < -9223372037LL || utc > 9223372036LL) {
        *range_err = true;
        return false;
    }
    int64_t total;
    if (!ns_from(utc, nsec, &total)) {
        *range_err = true;
        return false;
    }
    *out = total;
    return true;
}

/* ---- builtins ---- */

static ay_err bi_now_ns(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                        struct ay_val *out)
{
    (void)args;
    (void)nargs;
    *out = ay_val_int(ay_rego_bctx_now_ns(bc));
    return AY_OK;
}

static ay_err parse_common(struct ay_rego_bctx *bc, const char *l, size_t ln, const char *v,
                           size_t n, struct ay_val *out)
{
    struct zone z;
    TRY(zone_load(bc, "", 0, &z));
    int64_t ns;
    bool range_err;
    if (!parse_go(l, ln, v, n, &z, &ns, &range_err)) {
        if (range_err) {
            return ay_rego_bi_fail(bc, "time outside of valid range");
        }
        return ay_rego_bi_fail(bc, "parsing time \"%.*s\" as \"%.*s\": cannot parse",
                               (int)(n > 100 ? 100 : n), v, (int)(ln > 100 ? 100 : ln), l);
    }
    *out = ay_val_int(ns);
    return AY_OK;
}

static ay_err bi_parse_rfc3339_ns(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                  struct ay_val *out)
{
    (void)nargs;
    const char *v;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &v, &n));
    static const char l[] = "2006-01-02T15:04:05Z07:00";
    return parse_common(bc, l, sizeof l - 1, v, n, out);
}

static ay_err bi_parse_ns(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                          struct ay_val *out)
{
    (void)nargs;
    const char *l, *v;
    size_t ln, n;
    TRY(ay_rego_bu_str(bc, args, 0, &l, &ln));
    TRY(ay_rego_bu_str(bc, args, 1, &v, &n));
    resolve_layout(&l, &ln);
    return parse_common(bc, l, ln, v, n, out);
}

/* Go time.ParseDuration. */
static ay_err bi_parse_duration_ns(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                   struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    if (n - i == 1 && s[i] == '0') {
        *out = ay_val_int(0);
        return AY_OK;
    }
    if (i == n) {
        return ay_rego_bi_fail(bc, "time: invalid duration \"%.*s\"", (int)n, s);
    }
    double total = 0;
    while (i < n) {
        size_t st = i;
        double v = 0;
        while (i < n && ay_is_digit((unsigned char)s[i])) {
            v = v * 10 + (s[i] - '0');
            i++;
        }
        bool pre = i > st;
        bool post = false;
        if (i < n && s[i] == '.') {
            i++;
            double scale = 0.1;
            while (i < n && ay_is_digit((unsigned char)s[i])) {
                v += (s[i] - '0') * scale;
                scale /= 10;
                i++;
                post = true;
            }
        }
        if (!pre && !post) {
            return ay_rego_bi_fail(bc, "time: invalid duration \"%.*s\"", (int)n, s);
        }
        size_t us = i;
        while (i < n && s[i] != '.' && !ay_is_digit((unsigned char)s[i])) {
            i++;
        }
        size_t ul = i - us;
        const char *u = s + us;
        double mult;
        if (ul == 2 && memcmp(u, "ns", 2) == 0) {
            mult = 1;
        } else if ((ul == 2 && memcmp(u, "us", 2) == 0) ||
                   (ul == 3 &&
                    (memcmp(u, "\xc2\xb5s", 3) == 0 || memcmp(u, "\xce\xbcs", 3) == 0))) {
            mult = 1e3;
        } else if (ul == 2 && memcmp(u, "ms", 2) == 0) {
            mult = 1e6;
        } else if (ul == 1 && u[0] == 's') {
            mult = 1e9;
        } else if (ul == 1 && u[0] == 'm') {
            mult = 60e9;
        } else if (ul == 1 && u[0] == 'h') {
            mult = 3600e9;
        } else if (ul == 0) {
            return ay_rego_bi_fail(bc, "time: missing unit in duration \"%.*s\"", (int)n, s);
        } else {
            return ay_rego_bi_fail(bc, "time: unknown unit \"%.*s\" in duration \"%.*s\"", (int)ul,
                                   u, (int)n, s);
        }
        total += v * mult;
    }
    if (total > 9.223372036854775807e18) {
        return ay_rego_bi_fail(bc, "time: invalid duration \"%.*s\"", (int)n, s);
    }
    *out = ay_val_int((int64_t)llround(neg ? -total : total));
    return AY_OK;
}

static ay_err bi_date(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                      struct ay_val *out)
{
    (void)nargs;
    struct when w;
    TRY(when_of(bc, args, 0, &w));
    struct tm_go t;
    breakdown(w.ns, w.z, &t);
    struct ay_val v[3] = {ay_val_int(t.year), ay_val_int(t.month), ay_val_int(t.day)};
    return ay_val_array(bc->arena, v, 3, out);
}

static ay_err bi_clock(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                       struct ay_val *out)
{
    (void)nargs;
    struct when w;
    TRY(when_of(bc, args, 0, &w));
    struct tm_go t;
    breakdown(w.ns, w.z, &t);
    struct ay_val v[3] = {ay_val_int(t.hour), ay_val_int(t.min), ay_val_int(t.sec)};
    return ay_val_array(bc->arena, v, 3, out);
}

static ay_err bi_weekday(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                         struct ay_val *out)
{
    (void)nargs;
    struct when w;
    TRY(when_of(bc, args, 0, &w));
    struct tm_go t;
    breakdown(w.ns, w.z, &t);
    *out = ay_val_str_static(day_names[t.wday]);
    return AY_OK;
}

static ay_err bi_format(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                        struct ay_val *out)
{
    (void)nargs;
    struct when w;
    TRY(when_of(bc, args, 0, &w));
    const char *l = "2006-01-02T15:04:05.999999999Z07:00";
    size_t ln = strlen(l);
    if (w.layout != NULL) {
        l = w.layout;
        ln = w.layout_n;
        resolve_layout(&l, &ln);
    }
    struct tm_go t;
    breakdown(w.ns, w.z, &t);
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    format_go(&b, l, ln, &t);
    return ay_rego_bu_buf_str(bc, &b, out);
}

static ay_err bi_add_date(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                          struct ay_val *out)
{
    (void)nargs;
    int64_t ns, y, m, d;
    TRY(ns_of(bc, args[0], &ns));
    TRY(ay_rego_bu_int(bc, args, 1, &y));
    TRY(ay_rego_bu_int(bc, args, 2, &m));
    TRY(ay_rego_bu_int(bc, args, 3, &d));
    if (y > 1000000 || y < -1000000 || m > 12000000 || m < -12000000 || d > 400000000 ||
        d < -400000000) {
        return ay_rego_bi_fail(bc, "time outside of valid range");
    }
    struct zone z;
    TRY(zone_load(bc, "", 0, &z));
    struct tm_go t;
    breakdown(ns, &z, &t);
    /* Go AddDate: normalise month overflow into years, day overflow through the day count */
    int64_t mm = (int64_t)t.month - 1 + m;
    int64_t yy = t.year + y + floor_div(mm, 12);
    mm = mm - floor_div(mm, 12) * 12;
    int64_t days = ay_time_days_from_civil(yy, (unsigned)(mm + 1), 1) + t.day - 1 + d;
    int64_t secs = days * 86400 + t.hour * 3600 + t.min * 60 + t.sec;
    if (secs < -9223372037LL || secs > 9223372036LL) {
        return ay_rego_bi_fail(bc, "time outside of valid range");
    }
    int64_t total;
    if (!ns_from(secs, t.nsec, &total)) {
        return ay_rego_bi_fail(bc, "time outside of valid range");
    }
    *out = ay_val_int(total);
    return AY_OK;
}

static ay_err bi_diff(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                      struct ay_val *out)
{
    (void)nargs;
    struct when a, b;
    TRY(when_of(bc, args, 0, &a));
    TRY(when_of(bc, args, 1, &b));
    /* OPA: b is taken in a's zone; the earlier instant first */
    int64_t n1 = a.ns;
    int64_t n2 = b.ns;
    if (n1 > n2) {
        int64_t tmp = n1;
        n1 = n2;
        n2 = tmp;
    }
    struct tm_go t1, t2;
    breakdown(n1, a.z, &t1);
    breakdown(n2, a.z, &t2);
    int64_t year = t2.year - t1.year;
    int64_t month = t2.month - t1.month;
    int64_t day = t2.day - t1.day;
    int64_t hour = t2.hour - t1.hour;
    int64_t min = t2.min - t1.min;
    int64_t sec = t2.sec - t1.sec;
    if (sec < 0) {
        sec += 60;
        min--;
    }
    if (min < 0) {
        min += 60;
        hour--;
    }
    if (hour < 0) {
        hour += 24;
        day--;
    }
    if (day < 0) {
        /* days in t1's month: Go's time.Date(y1, M1, 32) normalisation */
        int64_t first = ay_time_days_from_civil(t1.year, (unsigned)t1.month, 1);
        int64_t y2;
        unsigned m2, d2;
        ay_time_civil_from_days(first + 31, &y2, &m2, &d2);
        day += 32 - d2;
        month--;
    }
    if (month < 0) {
        month += 12;
        year--;
    }
    struct ay_val v[6] = {ay_val_int(year), ay_val_int(month), ay_val_int(day),
                          ay_val_int(hour), ay_val_int(min),   ay_val_int(sec)};
    return ay_val_array(bc->arena, v, 6, out);
}

/* test.sleep(duration) (OPA's test builtin): sleeps, capped at AY_LIMIT_REGO_SLEEP_MS so a policy
 * cannot hold an evaluation thread; time.now_ns stays the one value of the evaluation. */
static ay_err bi_test_sleep(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                            struct ay_val *out)
{
    struct ay_val ns;
    TRY(bi_parse_duration_ns(bc, args, nargs, &ns));
    int64_t d = 0;
    if (!ay_val_to_i64(ns, &d) || d > (int64_t)AY_LIMIT_REGO_SLEEP_MS * 1000000) {
        d = (int64_t)AY_LIMIT_REGO_SLEEP_MS * 1000000;
    }
    if (d > 0) {
        struct timespec ts = {(time_t)(d / NS_PER_SEC), (long)(d % NS_PER_SEC)};
        while (nanosleep(&ts, &ts) != 0) {
            /* EINTR: sleep the rest */
        }
    }
    *out = ay_val_null();
    return AY_OK;
}

const struct ay_rego_bi ay_rego_bi_time[] = {
    {"time.now_ns", 0, bi_now_ns, 0},
    {"time.parse_rfc3339_ns", 1, bi_parse_rfc3339_ns, 0},
    {"time.parse_ns", 2, bi_parse_ns, 0},
    {"time.parse_duration_ns", 1, bi_parse_duration_ns, 0},
    {"test.sleep", 1, bi_test_sleep, 0},
    {"time.date", 1, bi_date, 0},
    {"time.clock", 1, bi_clock, 0},
    {"time.weekday", 1, bi_weekday, 0},
    {"time.format", 1, bi_format, 0},
    {"time.add_date", 4, bi_add_date, 0},
    {"time.diff", 2, bi_diff, 0},
    {NULL, 0, NULL, 0},
};
