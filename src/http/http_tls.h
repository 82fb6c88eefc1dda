/* SPDX-License-Identifier: Apache-2.0 */
/* HTTPS in front of libmicrohttpd with OpenSSL as the TLS stack (the project's rule: OpenSSL
 * does all TLS). The acceptor takes TCP connections on the listening socket, runs the TLS
 * handshake (crypto_tls.c) and hands MHD one end of a socketpair with MHD_add_connection while
 * a pump thread copies bytes between the TLS session and the other end. Internal to src/http/. */
#ifndef AY_HTTP_TLS_H
#define AY_HTTP_TLS_H

#include "base/base_err.h"

struct MHD_Daemon;
struct ay_http_tls;

/* Takes ownership of listen_fd (closed on failure too). */
AY_MUST_USE ay_err ay_http_tls_start(struct MHD_Daemon *d, int listen_fd, const char *cert_path,
                                     const char *key_path, struct ay_diag *diag,
                                     struct ay_http_tls **out);
/* Stops accepting, closes live sessions, joins threads. NULL is a no-op. */
void ay_http_tls_stop(struct ay_http_tls *t);

#endif
