/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 3339 (section 5.6) date-time parsing with Howard Hinnant's civil-date algorithms. */
#include "base/base_time.h"

#include <stdio.h>

#include "base/base_str.h"

int64_t ay_time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void ay_time_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int digits(const char *s, size_t n, size_t at, size_t count, unsigned *out)
{
    if (at + count > n) {
        return 0;
    }
    unsigned v = 0;
    for (size_t i = 0; i < count; i++) {
        if (!ay_is_digit(s[at + i])) {
            return 0;
        }
        v = v * 10 + (unsigned)(s[at + i] - '0');
    }
    *out = v;
    return 1;
}

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : md[m - 1];
}

/* Parses into seconds and a nanosecond fraction. */
static ay_err parse(const char *s, size_t n, int64_t *sec, int64_t *frac_ns)
{
    unsigned y, mo, d, h, mi, se;
    ENSURE(digits(s, n, 0, 4, &y) && n > 4 && s[4] == '-', AY_ERR_MALFORMED);
    ENSURE(digits(s, n, 5, 2, &mo) && n > 7 && s[7] == '-', AY_ERR_MALFORMED);
    ENSURE(digits(s, n, 8, 2, &d) && n > 10, AY_ERR_MALFORMED);
    ENSURE(s[10] == 'T' || s[10] == 't', AY_ERR_MALFORMED);
    ENSURE(digits(s, n, 11, 2, &h) && n > 13 && s[13] == ':', AY_ERR_MALFORMED);
    ENSURE(digits(s, n, 14, 2, &mi) && n > 16 && s[16] == ':', AY_ERR_MALFORMED);
    ENSURE(digits(s, n, 17, 2, &se), AY_ERR_MALFORMED);
    ENSURE(mo >= 1 && mo <= 12 && d >= 1 && d <= month_days(y, mo), AY_ERR_MALFORMED);
    ENSURE(h <= 23 && mi <= 59 && se <= 60, AY_ERR_MALFORMED);
    size_t i = 19;
    int64_t frac = 0;
    if (i < n && s[i] == '.') {
        i++;
        size_t start = i;
        int64_t scale = 100000000;
        while (i < n && ay_is_digit(s[i])) {
            frac += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        ENSURE(i > start, AY_ERR_MALFORMED);
    }
    ENSURE(i < n, AY_ERR_MALFORMED);
    int64_t off = 0;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else {
        ENSURE(s[i] == '+' || s[i] == '-', AY_ERR_MALFORMED);
        int sign = s[i] == '-' ? -1 : 1;
        unsigned oh, om;
        ENSURE(digits(s, n, i + 1, 2, &oh) && i + 3 < n && s[i + 3] == ':', AY_ERR_MALFORMED);
        ENSURE(digits(s, n, i + 4, 2, &om), AY_ERR_MALFORMED);
        ENSURE(oh <= 23 && om <= 59, AY_ERR_MALFORMED);
        off = sign * (int64_t)(oh * 3600 + om * 60);
        i += 6;
    }
    ENSURE(i == n, AY_ERR_MALFORMED);
    int64_t days = ay_time_days_from_civil((int64_t)y, mo, d);
    *sec = days * 86400 + (int64_t)(h * 3600 + mi * 60 + se) - off;
    *frac_ns = frac;
    return AY_OK;
}

ay_err ay_time_parse_rfc3339(const char *s, size_t n, int64_t *out_sec)
{
    int64_t sec, frac;
    TRY(parse(s, n, &sec, &frac));
    *out_sec = sec;
    return AY_OK;
}

ay_err ay_time_parse_rfc3339_ns(const char *s, size_t n, int64_t *out_ns)
{
    int64_t sec, frac;
    TRY(parse(s, n, &sec, &frac));
    ENSURE(sec <= INT64_MAX / 1000000000 && sec >= INT64_MIN / 1000000000, AY_ERR_LIMIT);
    int64_t ns = sec * 1000000000;
    ENSURE(ns <= INT64_MAX - frac, AY_ERR_LIMIT);
    *out_ns = ns + frac;
    return AY_OK;
}

void ay_time_format_rfc3339(int64_t sec, char *out, size_t outlen)
{
    int64_t days = sec / 86400;
    int64_t rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    ay_time_civil_from_days(days, &y, &m, &d);
    (void)snprintf(out, outlen, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
                   (unsigned)(rem / 3600), (unsigned)(rem % 3600 / 60), (unsigned)(rem % 60));
}
