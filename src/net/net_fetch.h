/* SPDX-License-Identifier: Apache-2.0 */
/* One HTTP(S) client for the few places that fetch (AMD and Hygon KDS, Intel PCS/PCCS, Veraison,
 * JWKS): a GET or POST with headers, a timeout, TLS verification on or off, a cap on the answer
 * and a callback per response header line. libcurl does the work, but it is loaded with dlopen
 * on the first fetch instead of at program start: linked directly it pulls some 25 libraries
 * (ldap, krb5, gnutls, ssh2, ...) into every run of the CLI, which costs more than a whole policy
 * evaluation, while most runs never fetch anything. */
#ifndef AY_NET_NET_FETCH_H
#define AY_NET_NET_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base_err.h"

/* The library loaded on first use (Debian's libcurl4 and libcurl3-gnutls both work). */
#define AY_NET_CURL_SONAME "libcurl.so.4"

/* Called once per response header line as the server sent it (the status line first, then
 * "Name: value\r\n" lines, then "\r\n"); line is not NUL-terminated. Borrowed for the call. */
typedef void ay_net_header_fn(void *arg, const char *line, size_t len);

struct ay_net_req {
    const char *method;         /* "GET" (also when NULL) or "POST" */
    const char *url;            /* http:// or https:// only; other schemes are refused */
    const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
    const uint8_t *body;        /* POST body (may be NULL when body_len is 0) */
    size_t body_len;
    long timeout_s;          /* whole transfer; <= 0 means 30 s */
    bool insecure;           /* TLS: do not verify the peer certificate nor the host name */
    const char *ca_file;     /* TLS: CA bundle (PEM) instead of the system store; may be NULL */
    bool follow_redirects;   /* up to 3 redirects; off by default (answers are verified, but
                                a redirect to another host is still not wanted by most) */
    bool fail_on_http_error; /* an HTTP status >= 400 is AY_ERR_NETWORK */
    size_t max_body;         /* answers longer than this are AY_ERR_LIMIT; 0 means 1 MiB */
    ay_net_header_fn *on_header;
    void *header_arg;
};

struct ay_net_resp {
    uint8_t *body; /* owned (ay_free via ay_net_resp_free); one NUL byte follows the len bytes */
    size_t len;
    long status; /* HTTP status, 0 if none was received */
};

/* Performs the request. On AY_OK *out holds the answer whatever its status (unless
 * fail_on_http_error). Errors: AY_ERR_NETWORK (libcurl cannot be loaded, connection, TLS,
 * timeout, HTTP >= 400 when asked), AY_ERR_LIMIT (answer over max_body), AY_ERR_BAD_REQUEST (no
 * URL, a scheme other than http/https, an unknown method); the message in d reads
 * "GET <url> failed: <reason>" and callers prefix where they are. Thread-safe. */
AY_MUST_USE ay_err ay_net_fetch(const struct ay_net_req *q, struct ay_diag *d,
                                struct ay_net_resp *out);
void ay_net_resp_free(struct ay_net_resp *r);

/* Loads libcurl now (the first fetch does it anyway): AY_ERR_NETWORK with the loader's message
 * when it is missing. Later calls return the first outcome. */
AY_MUST_USE ay_err ay_net_init(struct ay_diag *d);

/* Tries to load another library name as the loader would, without keeping it or changing what
 * ay_net_fetch uses: for tests of the "cannot be loaded" message. */
AY_MUST_USE ay_err ay_net_probe_library(const char *soname, struct ay_diag *d);

/* Percent-decodes s[0..n) ("%2F" -> "/"; '+' stays '+', as in URL paths and the PCS issuer-chain
 * headers). *out is owned (ay_free) and NUL-terminated. AY_ERR_MALFORMED on a '%' not followed
 * by two hex digits. */
AY_MUST_USE ay_err ay_net_url_decode(const char *s, size_t n, char **out, size_t *out_len);

#endif
