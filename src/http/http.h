/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP(S) front end of assayd (restful-as compatible, TRUSTEE.md section 1.1): a
 * libmicrohttpd thread pool in front of the attestation service core (src/as/as.h). */
#ifndef AY_HTTP_HTTP_H
#define AY_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

struct ay_as;
struct ay_http_server;

struct ay_http_opts {
    const char *socket;         /* "IP:port" or "[IPv6]:port"; port 0 = any free port */
    const char *cert_path;      /* PEM chain; HTTPS when both cert_path and key_path are set */
    const char *key_path;       /* PEM private key */
    const char *const *origins; /* CORS allowed origins (borrowed, copied at start) */
    size_t n_origins;
    unsigned threads; /* 0 = number of online cores */
};

/* Parses "IP:port" / "[IPv6]:port" (numeric host only). */
AY_MUST_USE ay_err ay_http_parse_socket(const char *s, struct ay_diag *diag, char *host,
                                        size_t hostlen, uint16_t *out_port);

/* Starts serving; as is borrowed and must outlive the server. */
AY_MUST_USE ay_err ay_http_start(struct ay_as *as, const struct ay_http_opts *o,
                                 struct ay_diag *diag, struct ay_http_server **out);
/* The bound port (useful with port 0). */
uint16_t ay_http_port(const struct ay_http_server *s);
/* Stops accepting, finishes in-flight requests, frees everything. NULL is a no-op. */
void ay_http_stop(struct ay_http_server *s);

#endif
