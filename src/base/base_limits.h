/* SPDX-License-Identifier: Apache-2.0 */
/* Every limit on untrusted input, in one place (STYLE.md B.8; one line each in docs/LIMITS.md).
 * Each has a test at the limit and one past it. Subsystems add their limits here. */
#ifndef AY_BASE_LIMITS_H
#define AY_BASE_LIMITS_H

/* HTTP */
#define AY_LIMIT_HTTP_BODY ((size_t)8 * 1024 * 1024)   /* bytes of one request body */
#define AY_LIMIT_REQUEST_ARENA ((size_t)64 * 1024 * 1024) /* heap bytes of one request */
#define AY_LIMIT_RESPONSE ((size_t)16 * 1024 * 1024)   /* bytes of one response body */

/* JSON / CBOR / DER */
#define AY_LIMIT_JSON_DEPTH 128  /* nesting of JSON input */
#define AY_LIMIT_CBOR_DEPTH 32   /* nesting of CBOR input */
#define AY_LIMIT_CERT_CHAIN 8    /* certificates in one chain */
#define AY_LIMIT_EVIDENCE ((size_t)4 * 1024 * 1024) /* decoded evidence bytes */

/* Rego */
#define AY_LIMIT_REGO_SOURCE ((size_t)4 * 1024 * 1024) /* bytes of one policy module */
#define AY_LIMIT_REGO_DEPTH 256                       /* parser and evaluator nesting */
#define AY_LIMIT_REGO_STEPS 10000000                  /* evaluation steps */

/* Tokens */
#define AY_LIMIT_JWT ((size_t)1024 * 1024) /* bytes of one JWT */

#endif
