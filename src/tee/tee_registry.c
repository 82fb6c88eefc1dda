/* SPDX-License-Identifier: Apache-2.0 */
/* The table of verifiers, generated from tee_list.h. */
#include "tee/tee.h"

#include <string.h>

#define AY_TEE(name, cls, fn) ay_tee_verify_fn fn;
#include "tee/tee_list.h"
#undef AY_TEE

#define AY_TEE(name, cls, fn) static const struct ay_tee tee_##fn = {name, cls, fn};
#include "tee/tee_list.h"
#undef AY_TEE

static const struct ay_tee *const all[] = {
#define AY_TEE(name, cls, fn) &tee_##fn,
#include "tee/tee_list.h"
#undef AY_TEE
    NULL,
};

const struct ay_tee *ay_tee_find(const char *name)
{
    for (size_t i = 0; all[i] != NULL; i++) {
        if (strcmp(all[i]->name, name) == 0) {
            return all[i];
        }
    }
    return NULL;
}

const struct ay_tee *const *ay_tee_all(void)
{
    return all;
}

/* Trustee's wire names (kbs-types `Tee`) with no verifier in assay. */
static const struct {
    const char *name;
    const char *what;
} unsupported[] = {
    {"se", "IBM Secure Execution"},
    {"hygondcu", "Hygon DCU"},
    {"nvidia", "NVIDIA GPU"},
    {"nvidia-dpu", "NVIDIA DPU"},
};

const char *ay_tee_unsupported(const char *name)
{
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        if (strcmp(unsupported[i].name, name) == 0) {
            return unsupported[i].what;
        }
    }
    return NULL;
}
