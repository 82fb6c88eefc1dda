/* SPDX-License-Identifier: Apache-2.0 */
/* Server-side TLS over OpenSSL for the HTTPS front end (the project's rule: OpenSSL does all
 * TLS). Protocols TLS 1.2 and 1.3 with the Mozilla "intermediate" (v5) TLS 1.2 cipher list, as
 * restful-as's mozilla_intermediate_v5 acceptor (TRUSTEE.md section 1.1). Blocking sockets: the
 * caller sets SO_RCVTIMEO/SO_SNDTIMEO so a stalled peer cannot hold a thread forever. */
#ifndef AY_CRYPTO_TLS_H
#define AY_CRYPTO_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/base_err.h"

struct ay_tls_ctx;
struct ay_tls_conn;

/* cert_path: PEM chain, leaf first; key_path: PEM private key matching the leaf. */
AY_MUST_USE ay_err ay_tls_ctx_new(const char *cert_path, const char *key_path, struct ay_diag *diag,
                                  struct ay_tls_ctx **out);
void ay_tls_ctx_free(struct ay_tls_ctx *c);

/* Server handshake on the connected socket fd (not closed by this module). */
AY_MUST_USE ay_err ay_tls_accept(struct ay_tls_ctx *c, int fd, struct ay_diag *diag,
                                 struct ay_tls_conn **out);
/* Up to cap bytes of plaintext; *out_n == 0 means the peer closed (or timed out). */
AY_MUST_USE ay_err ay_tls_read(struct ay_tls_conn *t, void *buf, size_t cap, size_t *out_n);
/* Writes all n bytes. */
AY_MUST_USE ay_err ay_tls_write(struct ay_tls_conn *t, const void *buf, size_t n);
/* Plaintext already decrypted and buffered (poll() on the socket would not show it). */
bool ay_tls_pending(const struct ay_tls_conn *t);
/* Sends close_notify (best effort) and frees the session; the fd stays open. NULL is a no-op. */
void ay_tls_conn_free(struct ay_tls_conn *t);

#endif
