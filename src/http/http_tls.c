/* SPDX-License-Identifier: Apache-2.0 */
/* HTTPS in front of libmicrohttpd with OpenSSL (crypto_tls.c) as the TLS stack; Debian's
 * libmicrohttpd would otherwise bring GnuTLS. An acceptor thread takes TCP connections; each
 * connection gets a thread that runs the handshake, hands MHD one end of a socketpair with
 * MHD_add_connection() and pumps bytes between the TLS session and the other end until either
 * side closes. Stop: wake the acceptor, shut every live socket down, wait for the threads. */
#include "http/http_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

#include "base/base_limits.h"
#include "base/base_log.h"
#include "base/base_mem.h"
#include "crypto/crypto_tls.h"

struct sess {
    struct ay_http_tls *t;
    int fd;
    struct sockaddr_storage addr;
    socklen_t alen;
    struct sess *prev;
    struct sess *next;
};

struct ay_http_tls {
    struct MHD_Daemon *d;
    struct ay_tls_ctx *ctx;
    int lfd;
    int wake[2];
    pthread_t acceptor;
    bool acceptor_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t live;
    struct sess *head;
    bool stopping;
};

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Copies bytes both ways until one side closes. */
static void pump(struct ay_tls_conn *tc, int fd, int plain)
{
    uint8_t buf[16384];
    for (;;) {
        struct pollfd p[2] = {{fd, POLLIN, 0}, {plain, POLLIN, 0}};
        bool tls_ready = ay_tls_pending(tc);
        if (!tls_ready && poll(p, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        if (tls_ready || (p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            size_t n = 0;
            if (ay_tls_read(tc, buf, sizeof buf, &n) != AY_OK || n == 0 ||
                !write_all(plain, buf, n)) {
                return;
            }
        }
        if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
            ssize_t n = recv(plain, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0 || ay_tls_write(tc, buf, (size_t)n) != AY_OK) {
                return;
            }
        }
    }
}

static void *conn_main(void *arg)
{
    struct sess *s = arg;
    struct ay_http_tls *t = s->t;
    struct ay_tls_conn *tc = NULL;
    int sp[2] = {-1, -1};
    struct ay_diag diag;
    ay_diag_clear(&diag);
    /* MHD is told the truth (an AF_UNIX socket), so it skips TCP_NODELAY/TCP_CORK on it. */
    struct sockaddr_un unix_addr;
    memset(&unix_addr, 0, sizeof unix_addr);
    unix_addr.sun_family = AF_UNIX;
    /* A peer that stalls mid-record or mid-handshake cannot hold this thread forever. */
    struct timeval tv = {AY_LIMIT_HTTP_TIMEOUT_S, 0};
    (void)setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    (void)setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (ay_tls_accept(t->ctx, s->fd, &diag, &tc) != AY_OK) {
        ay_log(AY_LOG_DEBUG, "https: %s", ay_diag_message(&diag));
    } else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
        ay_log(AY_LOG_ERROR, "https: socketpair: %s", strerror(errno));
    } else if (MHD_add_connection(t->d, sp[1], (const struct sockaddr *)&unix_addr,
                                  sizeof unix_addr) != MHD_YES) {
        sp[1] = -1; /* MHD closes it in any case */
        ay_log(AY_LOG_WARN, "https: the HTTP server refused the connection");
    } else {
        sp[1] = -1; /* MHD owns it now */
        pump(tc, s->fd, sp[0]);
    }
    ay_tls_conn_free(tc);
    if (sp[0] >= 0) {
        close(sp[0]);
    }
    if (sp[1] >= 0) {
        close(sp[1]);
    }
    pthread_mutex_lock(&t->mu);
    close(s->fd);
    if (s->prev != NULL) {
        s->prev->next = s->next;
    } else {
        t->head = s->next;
    }
    if (s->next != NULL) {
        s->next->prev = s->prev;
    }
    t->live--;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    ay_free(s);
    return NULL;
}

static void start_session(struct ay_http_tls *t, int fd, const struct sockaddr_storage *addr,
                          socklen_t alen)
{
    pthread_mutex_lock(&t->mu);
    if (t->stopping || t->live >= AY_LIMIT_HTTP_CONNECTIONS) {
        pthread_mutex_unlock(&t->mu);
        close(fd);
        return;
    }
    struct sess *s = ay_xcalloc(1, sizeof *s);
    s->t = t;
    s->fd = fd;
    s->addr = *addr;
    s->alen = alen;
    s->next = t->head;
    if (t->head != NULL) {
        t->head->prev = s;
    }
    t->head = s;
    t->live++;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_t th;
    int rc = pthread_create(&th, &at, conn_main, s);
    pthread_attr_destroy(&at);
    if (rc != 0) {
        t->head = s->next;
        if (s->next != NULL) {
            s->next->prev = NULL;
        }
        t->live--;
        close(fd);
        ay_free(s);
        ay_log(AY_LOG_ERROR, "https: cannot start a connection thread: %s", strerror(rc));
    }
    pthread_mutex_unlock(&t->mu);
}

static void *acceptor_main(void *arg)
{
    struct ay_http_tls *t = arg;
    for (;;) {
        struct pollfd p[2] = {{t->lfd, POLLIN, 0}, {t->wake[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            ay_log(AY_LOG_ERROR, "https: poll: %s", strerror(errno));
            return NULL;
        }
        if (p[1].revents != 0) {
            return NULL;
        }
        struct sockaddr_storage addr;
        socklen_t alen = sizeof addr;
        /* accept() (not accept4, a GNU extension); the accepted socket is blocking on Linux
         * whatever the listening socket is, as conn_main expects. */
        int fd = accept(t->lfd, (struct sockaddr *)&addr, &alen);
        if (fd < 0) {
            if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
                ay_log(AY_LOG_WARN, "https: accept: %s", strerror(errno));
                /* EMFILE and friends: back off instead of spinning. */
                (void)poll(NULL, 0, 100);
            }
            continue;
        }
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        start_session(t, fd, &addr, alen);
    }
}

ay_err ay_http_tls_start(struct MHD_Daemon *d, int listen_fd, const char *cert_path,
                         const char *key_path, struct ay_diag *diag, struct ay_http_tls **out)
{
    struct ay_http_tls *t = ay_xcalloc(1, sizeof *t);
    t->d = d;
    t->lfd = listen_fd;
    t->wake[0] = t->wake[1] = -1;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    /* Non-blocking, so a connection aborted between poll() and accept() cannot block the
     * acceptor (and with it ay_http_tls_stop). */
    int fl = fcntl(listen_fd, F_GETFL);
    (void)fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK);
    ay_err err = ay_tls_ctx_new(cert_path, key_path, diag, &t->ctx);
    if (err == AY_OK && pipe(t->wake) != 0) {
        err = FAIL(diag, AY_ERR_IO, "https: pipe: %s", strerror(errno));
    }
    if (err == AY_OK) {
        int rc = pthread_create(&t->acceptor, NULL, acceptor_main, t);
        if (rc != 0) {
            err = FAIL(diag, AY_ERR_IO, "https: cannot start the acceptor: %s", strerror(rc));
        } else {
            t->acceptor_started = true;
        }
    }
    if (err != AY_OK) {
        ay_http_tls_stop(t);
        return err;
    }
    *out = t;
    return AY_OK;
}

void ay_http_tls_stop(struct ay_http_tls *t)
{
    if (t == NULL) {
        return;
    }
    if (t->acceptor_started) {
        static const char one = 1;
        if (write(t->wake[1], &one, 1) != 1) {
            ay_log(AY_LOG_ERROR, "https: cannot wake the acceptor");
        }
        pthread_join(t->acceptor, NULL);
    }
    pthread_mutex_lock(&t->mu);
    t->stopping = true;
    for (struct sess *s = t->head; s != NULL; s = s->next) {
        (void)shutdown(s->fd, SHUT_RDWR); /* wakes the pump's poll() */
    }
    while (t->live > 0) {
        pthread_cond_wait(&t->cv, &t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    if (t->lfd >= 0) {
        close(t->lfd);
    }
    for (int i = 0; i < 2; i++) {
        if (t->wake[i] >= 0) {
            close(t->wake[i]);
        }
    }
    ay_tls_ctx_free(t->ctx);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    ay_free(t);
}
