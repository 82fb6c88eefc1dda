/* SPDX-License-Identifier: Apache-2.0 */
/* Error codes, the diagnostic record and the four error macros (STYLE.md B.5).
 * Every fallible function returns ay_err; detail goes into the caller's struct ay_diag. */
#ifndef AY_BASE_ERR_H
#define AY_BASE_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define AY_MUST_USE __attribute__((warn_unused_result))
#define AY_PRINTF(a, b) __attribute__((format(printf, a, b)))
/* For the rare paths of a hot function (errors, unusual tokens): kept out of line so they do not
 * crowd its registers and its instruction cache. */
#define AY_NOINLINE __attribute__((noinline))

typedef enum ay_err {
#define AY_ERR(name, http, text) AY_ERR_##name,
#include "base/base_err_list.h"
#undef AY_ERR
    AY_ERR__COUNT
} ay_err;

#define AY_OK AY_ERR_OK

/* Static name ("MALFORMED"), lower-case code for JSON bodies ("malformed"), text and HTTP status. */
const char *ay_err_name(ay_err e);
const char *ay_err_code(ay_err e);
const char *ay_err_text(ay_err e);
int ay_err_http(ay_err e);

#define AY_DIAG_MSG_MAX 512

/* The first failure recorded wins; later ay_diag_set calls are ignored until ay_diag_clear. */
struct ay_diag {
    ay_err code;
    char msg[AY_DIAG_MSG_MAX];
    const char *file;
    int line;
};

void ay_diag_clear(struct ay_diag *d);
/* Records (if none recorded yet) and returns code. */
ay_err ay_diag_set(struct ay_diag *d, ay_err code, const char *file, int line, const char *fmt, ...)
    AY_PRINTF(5, 6);
ay_err ay_diag_vset(struct ay_diag *d, ay_err code, const char *file, int line, const char *fmt,
                    va_list ap) AY_PRINTF(5, 0);
/* Prepends "prefix: " to a recorded message (outer layers add where they are). */
void ay_diag_prefix(struct ay_diag *d, const char *fmt, ...) AY_PRINTF(2, 3);
/* The message, or the code's text when nothing was recorded. */
const char *ay_diag_message(const struct ay_diag *d);

/* TRY(expr): return the error of expr. */
#define TRY(expr)                                                                                  \
    do {                                                                                           \
        ay_err ay_try_err_ = (expr);                                                               \
        if (ay_try_err_ != AY_OK) {                                                                \
            return ay_try_err_;                                                                    \
        }                                                                                          \
    } while (0)

/* ENSURE(cond, code): return code when cond does not hold. */
#define ENSURE(cond, code)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            return (code);                                                                         \
        }                                                                                          \
    } while (0)

/* CHECK(expr): err = expr; goto out on failure. The function declares `ay_err err` and `out:`. */
#define CHECK(expr)                                                                                \
    do {                                                                                           \
        err = (expr);                                                                              \
        if (err != AY_OK) {                                                                        \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

/* FAIL(diag, code, fmt, ...): an expression that records the message in diag (a struct ay_diag *)
 * and evaluates to code: `return FAIL(&ctx->diag, AY_ERR_BAD_CHAIN, "...", ...);` */
#define FAIL(diag, code, ...) ay_diag_set((diag), (code), __FILE__, __LINE__, __VA_ARGS__)

/* Defensive checks for "cannot happen" conditions: test in every build. */
#define AY_ALWAYS(x) (x)
#define AY_NEVER(x) (x)

#endif
