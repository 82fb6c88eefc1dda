/* SPDX-License-Identifier: Apache-2.0 */
/* Target: ay_initdata_toml_parse (the init-data TOML reader) on any bytes. Property: no
 * crash; on success the algorithm is one of sha256/384/512 and the claims an object. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "as/as_initdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ay_diag d;
    ay_diag_clear(&d);
    enum ay_hash alg;
    json_t *claims = NULL;
    if (ay_initdata_toml_parse((const char *)data, size, &d, &alg, &claims) == AY_OK) {
        if (!json_is_object(claims) ||
            (alg != AY_HASH_SHA256 && alg != AY_HASH_SHA384 && alg != AY_HASH_SHA512)) {
            abort();
        }
        json_decref(claims);
    }
    return 0;
}
