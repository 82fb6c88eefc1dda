/* SPDX-License-Identifier: Apache-2.0 */
/* JSON-lines logger. One write(2) per line so lines from threads do not interleave. */
#include "base/base_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/base_buf.h"

static _Atomic int current = AY_LOG_INFO;

static const char *const level_names[] = {"off", "error", "warn", "info", "debug", "trace"};

static bool word_level(const char *s, size_t n, int *out)
{
    for (int i = 0; i <= AY_LOG_TRACE; i++) {
        if (strlen(level_names[i]) == n && strncmp(s, level_names[i], n) == 0) {
            *out = i;
            return true;
        }
    }
    if (n == 7 && strncmp(s, "warning", 7) == 0) {
        *out = AY_LOG_WARN;
        return true;
    }
    return false;
}

bool ay_log_parse_level(const char *spec, enum ay_log_level *out)
{
    /* Directives separated by ','; "level" or "target=level". A target "assay"/"assayd"
     * wins over a bare level. */
    int bare = -1;
    int mine = -1;
    const char *p = spec;
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t n = e == NULL ? strlen(p) : (size_t)(e - p);
        const char *eq = memchr(p, '=', n);
        int lv;
        if (eq == NULL) {
            if (word_level(p, n, &lv)) {
                bare = lv;
            }
        } else {
            size_t tn = (size_t)(eq - p);
            if (word_level(eq + 1, n - tn - 1, &lv) &&
                ((tn == 5 && strncmp(p, "assay", 5) == 0) ||
                 (tn == 6 && strncmp(p, "assayd", 6) == 0))) {
                mine = lv;
            }
        }
        p += n;
        if (*p == ',') {
            p++;
        }
    }
    int lv = mine >= 0 ? mine : bare;
    if (lv < 0) {
        return false;
    }
    *out = (enum ay_log_level)lv;
    return true;
}

void ay_log_init(void)
{
    const char *s = getenv("ASSAY_LOG");
    if (s == NULL || *s == '\0') {
        s = getenv("RUST_LOG");
    }
    enum ay_log_level lv;
    if (s != NULL && ay_log_parse_level(s, &lv)) {
        current = (int)lv;
    }
}

void ay_log_set_level(enum ay_log_level level)
{
    current = (int)level;
}

bool ay_log_enabled(enum ay_log_level level)
{
    return (int)level <= current;
}

void ay_log(enum ay_log_level level, const char *fmt, ...)
{
    if (!ay_log_enabled(level)) {
        return;
    }
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    size_t mlen = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    (void)gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    (void)strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    struct ay_buf b;
    ay_buf_init(&b, NULL, 8192);
    ay_buf_printf(&b, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":", when,
                  ts.tv_nsec / 1000000L, level_names[level]);
    ay_buf_json_str(&b, msg, mlen);
    ay_buf_puts(&b, "}\n");
    if (ay_buf_finish(&b) == AY_OK) {
        ssize_t w = write(STDERR_FILENO, b.ptr, b.len);
        (void)w;
    }
    ay_buf_free(&b);
}
