/* SPDX-License-Identifier: Apache-2.0 */
#include "crypto/crypto_ossl.h"

#include <openssl/err.h>

ay_err ay_ossl_fail_at(struct ay_diag *diag, ay_err code, const char *file, int line,
                       const char *what)
{
    unsigned long e = ERR_peek_last_error();
    char reason[256];
    if (e != 0) {
        ERR_error_string_n(e, reason, sizeof reason);
    } else {
        reason[0] = '\0';
    }
    ERR_clear_error();
    if (reason[0] != '\0') {
        return ay_diag_set(diag, code, file, line, "%s: %s", what, reason);
    }
    return ay_diag_set(diag, code, file, line, "%s", what);
}

void ay_ossl_clear(void)
{
    ERR_clear_error();
}

const EVP_MD *ay_ossl_md(enum ay_hash h)
{
    switch (h) {
    case AY_HASH_SHA1:
        return EVP_sha1();
    case AY_HASH_SHA256:
        return EVP_sha256();
    case AY_HASH_SHA384:
        return EVP_sha384();
    case AY_HASH_SHA512:
        return EVP_sha512();
    case AY_HASH_SM3:
        return EVP_sm3();
    }
    return NULL;
}

