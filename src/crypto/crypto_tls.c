/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL TLS server sessions for the HTTPS front end (see crypto_tls.h). The context is built
 * once at start and shared read-only by the connection threads (SSL_CTX is thread-safe for
 * SSL_new after configuration). */
#include "crypto/crypto_tls.h"

#include <limits.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base/base_mem.h"
#include "crypto/crypto_ossl.h"

/* Mozilla server-side TLS guidelines v5.x, "Intermediate" configuration, TLS 1.2 suites (TLS 1.3
 * suites are OpenSSL's defaults, which match the guideline). */
static const char intermediate_v5[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                                      "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

struct ay_tls_ctx {
    SSL_CTX *ctx;
};

struct ay_tls_conn {
    SSL *ssl;
};

ay_err ay_tls_ctx_new(const char *cert_path, const char *key_path, struct ay_diag *diag,
                      struct ay_tls_ctx **out)
{
    ay_err err = AY_OK;
    struct ay_tls_ctx *c = NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "tls: SSL_CTX_new");
    }
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, intermediate_v5) != 1) {
        err = ay_ossl_fail(diag, AY_ERR_CRYPTO, "tls: protocol setup");
        goto out;
    }
    /* Renegotiation is a DoS lever and HTTP/1.1 does not need it. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
        err = ay_ossl_fail(diag, AY_ERR_CONFIG, "tls: cannot load the certificate chain");
        ay_diag_prefix(diag, "%s", cert_path);
        goto out;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
        err = ay_ossl_fail(diag, AY_ERR_CONFIG, "tls: cannot load the private key");
        ay_diag_prefix(diag, "%s", key_path);
        goto out;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        err = ay_ossl_fail(diag, AY_ERR_CONFIG,
                           "tls: the private key does not match the certificate");
        goto out;
    }
    c = ay_xcalloc(1, sizeof *c);
    c->ctx = ctx;
    *out = c;
    return AY_OK;
out:
    SSL_CTX_free(ctx);
    return err;
}

void ay_tls_ctx_free(struct ay_tls_ctx *c)
{
    if (c != NULL) {
        SSL_CTX_free(c->ctx);
        ay_free(c);
    }
}

ay_err ay_tls_accept(struct ay_tls_ctx *c, int fd, struct ay_diag *diag, struct ay_tls_conn **out)
{
    SSL *ssl = SSL_new(c->ctx);
    if (ssl == NULL) {
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "tls: SSL_new");
    }
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return ay_ossl_fail(diag, AY_ERR_CRYPTO, "tls: SSL_set_fd");
    }
    int r = SSL_accept(ssl);
    if (r != 1) {
        SSL_free(ssl);
        return ay_ossl_fail(diag, AY_ERR_IO, "tls: handshake failed");
    }
    struct ay_tls_conn *t = ay_xcalloc(1, sizeof *t);
    t->ssl = ssl;
    *out = t;
    return AY_OK;
}

ay_err ay_tls_read(struct ay_tls_conn *t, void *buf, size_t cap, size_t *out_n)
{
    size_t n = 0;
    int r = SSL_read_ex(t->ssl, buf, cap, &n);
    if (r == 1) {
        *out_n = n;
        return AY_OK;
    }
    int e = SSL_get_error(t->ssl, r);
    ay_ossl_clear();
    if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL || e == SSL_ERROR_WANT_READ ||
        e == SSL_ERROR_WANT_WRITE) {
        *out_n = 0; /* close_notify, EOF, reset or receive timeout: the session is over */
        return AY_OK;
    }
    return AY_ERR_IO;
}

ay_err ay_tls_write(struct ay_tls_conn *t, const void *buf, size_t n)
{
    size_t done = 0;
    if (n == 0) {
        return AY_OK;
    }
    if (SSL_write_ex(t->ssl, buf, n, &done) != 1 || done != n) {
        ay_ossl_clear();
        return AY_ERR_IO;
    }
    return AY_OK;
}

bool ay_tls_pending(const struct ay_tls_conn *t)
{
    return SSL_pending(t->ssl) > 0;
}

void ay_tls_conn_free(struct ay_tls_conn *t)
{
    if (t == NULL) {
        return;
    }
    (void)SSL_shutdown(t->ssl);
    ay_ossl_clear();
    SSL_free(t->ssl);
    ay_free(t);
}
