/* SPDX-License-Identifier: Apache-2.0 */
/* Error tables generated from base_err_list.h and the diagnostic record. */
#include "base/base_err.h"

#include <stdio.h>
#include <string.h>

static const char *const names[] = {
#define AY_ERR(name, http, text) #name,
#include "base/base_err_list.h"
#undef AY_ERR
};

static const char *const texts[] = {
#define AY_ERR(name, http, text) text,
#include "base/base_err_list.h"
#undef AY_ERR
};

static const int https[] = {
#define AY_ERR(name, http, text) http,
#include "base/base_err_list.h"
#undef AY_ERR
};

/* Lower-case names for JSON error bodies, built once from the upper-case names. */
static const char *const codes[] = {
#define AY_ERR(name, http, text) #name,
#include "base/base_err_list.h"
#undef AY_ERR
};

static char lower[AY_ERR__COUNT][32];

const char *ay_err_name(ay_err e)
{
    if ((unsigned)e >= AY_ERR__COUNT) {
        return "UNKNOWN";
    }
    return names[e];
}

const char *ay_err_code(ay_err e)
{
    if ((unsigned)e >= AY_ERR__COUNT) {
        return "unknown";
    }
    char *l = lower[e];
    if (l[0] == '\0') {
        /* Benign race: every thread writes the same bytes. */
        size_t i = 0;
        for (; codes[e][i] != '\0' && i + 1 < sizeof lower[e]; i++) {
            char c = codes[e][i];
            l[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        l[i] = '\0';
    }
    return l;
}

const char *ay_err_text(ay_err e)
{
    if ((unsigned)e >= AY_ERR__COUNT) {
        return "unknown error";
    }
    return texts[e];
}

int ay_err_http(ay_err e)
{
    if ((unsigned)e >= AY_ERR__COUNT) {
        return 500;
    }
    return https[e];
}

void ay_diag_clear(struct ay_diag *d)
{
    d->code = AY_OK;
    d->msg[0] = '\0';
    d->file = NULL;
    d->line = 0;
}

ay_err ay_diag_vset(struct ay_diag *d, ay_err code, const char *file, int line, const char *fmt,
                    va_list ap)
{
    if (d == NULL || d->code != AY_OK) {
        return code;
    }
    d->code = code;
    d->file = file;
    d->line = line;
    (void)vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    return code;
}

ay_err ay_diag_set(struct ay_diag *d, ay_err code, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ay_err r = ay_diag_vset(d, code, file, line, fmt, ap);
    va_end(ap);
    return r;
}

void ay_diag_prefix(struct ay_diag *d, const char *fmt, ...)
{
    if (d == NULL || d->code == AY_OK) {
        return;
    }
    char pre[128];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    size_t pl = strlen(pre);
    size_t ml = strlen(d->msg);
    if (pl + 2 >= sizeof d->msg) {
        return;
    }
    if (pl + 2 + ml >= sizeof d->msg) {
        ml = sizeof d->msg - pl - 3;
    }
    memmove(d->msg + pl + 2, d->msg, ml);
    d->msg[pl + 2 + ml] = '\0';
    memcpy(d->msg, pre, pl);
    d->msg[pl] = ':';
    d->msg[pl + 1] = ' ';
}

const char *ay_diag_message(const struct ay_diag *d)
{
    if (d->msg[0] != '\0') {
        return d->msg;
    }
    return ay_err_text(d->code);
}
