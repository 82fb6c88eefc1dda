/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 3339 parsing and formatting in UTC, without the TZ environment (thread-safe). */
#ifndef AY_BASE_TIME_H
#define AY_BASE_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

/* "2006-01-02T15:04:05[.fraction](Z|+hh:mm|-hh:mm)", 't'/'z' accepted. Nanoseconds since the
 * epoch; AY_ERR_MALFORMED on bad text, AY_ERR_LIMIT outside int64 nanoseconds. */
AY_MUST_USE ay_err ay_time_parse_rfc3339_ns(const char *s, size_t n, int64_t *out_ns);
/* Same, whole seconds (fraction truncated toward minus infinity); wider range than _ns. */
AY_MUST_USE ay_err ay_time_parse_rfc3339(const char *s, size_t n, int64_t *out_sec);
/* Days since 1970-01-01 of a proleptic Gregorian date (civil calendar). */
int64_t ay_time_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Inverse of the above. */
void ay_time_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* "YYYY-MM-DDTHH:MM:SSZ" into out (at least 32 bytes). */
void ay_time_format_rfc3339(int64_t sec, char *out, size_t outlen);

#endif
