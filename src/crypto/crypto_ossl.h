/* SPDX-License-Identifier: Apache-2.0 */
/* The one place that reads OpenSSL's error queue (STYLE.md B.10). Every OpenSSL failure goes
 * through ay_ossl_fail, which drains the thread's queue into the diagnostic and clears it. */
#ifndef AY_CRYPTO_OSSL_H
#define AY_CRYPTO_OSSL_H

#include <openssl/evp.h>

#include "base/base_err.h"
#include "crypto/crypto_digest.h"

/* Records "what: <openssl reason>" in diag (if nothing recorded yet), clears the queue,
 * returns code. */
ay_err ay_ossl_fail_at(struct ay_diag *diag, ay_err code, const char *file, int line,
                       const char *what);
#define ay_ossl_fail(diag, code, what) ay_ossl_fail_at((diag), (code), __FILE__, __LINE__, (what))
/* Discards anything left on the queue. */
void ay_ossl_clear(void);
/* The OpenSSL digest of a hash (for the other files of src/crypto/ only). */
const EVP_MD *ay_ossl_md(enum ay_hash h);

#endif
