/* SPDX-License-Identifier: Apache-2.0 */
/* The embedded default policies (default_cpu, default_gpu, default_switch, default_ppcie). */
#ifndef AY_AS_AS_DEFAULTS_H
#define AY_AS_AS_DEFAULTS_H

#include <stddef.h>

struct as_default_policy {
    const char *id;
    const char *const *lines; /* NULL-terminated; each line without its newline */
};

/* Terminated by an entry with id NULL. */
extern const struct as_default_policy as_default_policies[];

#endif
