/* SPDX-License-Identifier: Apache-2.0 */
/* Structured logs: one JSON object per line on stderr. Level from ASSAY_LOG, else RUST_LOG
 * (its syntax: "info", "debug", "assay=debug,other=warn"). Secrets never go to logs. */
#ifndef AY_BASE_LOG_H
#define AY_BASE_LOG_H

#include <stdbool.h>

#include "base/base_err.h"

enum ay_log_level {
    AY_LOG_ERROR = 1,
    AY_LOG_WARN = 2,
    AY_LOG_INFO = 3,
    AY_LOG_DEBUG = 4,
    AY_LOG_TRACE = 5,
};

/* Reads ASSAY_LOG / RUST_LOG. Called once at start; default level is info. */
void ay_log_init(void);
void ay_log_set_level(enum ay_log_level level);
bool ay_log_enabled(enum ay_log_level level);
/* Parses "error|warn|info|debug|trace|off" or RUST_LOG-style directives; false if unusable. */
bool ay_log_parse_level(const char *spec, enum ay_log_level *out);
/* The message is escaped into a JSON string. */
void ay_log(enum ay_log_level level, const char *fmt, ...) AY_PRINTF(2, 3);

#endif
