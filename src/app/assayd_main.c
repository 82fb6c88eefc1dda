/* SPDX-License-Identifier: Apache-2.0 */
/* assayd: the attestation service daemon. Flags as restful-as (TRUSTEE.md section 1.1) with
 * two deliberate differences: the socket defaults to 127.0.0.1:8080 (so `make run` works on the
 * embedded defaults) and only one of -t/-k is refused instead of silently serving HTTP. Start:
 * ay_as_config_load, ay_as_new, the HTTP server; SIGINT/SIGTERM stop it cleanly. Every start-up
 * error names what is wrong and exits with status 2. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as/as.h"
#include "base/base_err.h"
#include "base/base_log.h"
#include "base/base_mem.h"
#include "http/http.h"

#define EXIT_USAGE  2
#define MAX_ORIGINS 64

static void usage(FILE *f)
{
    fprintf(f, "Usage: assayd [OPTIONS]\n"
               "Remote-attestation verification service (Trustee restful-as compatible).\n"
               "\n"
               "  -s, --socket IP:PORT             listen address (default 127.0.0.1:8080)\n"
               "  -c, --config-file PATH           config.json (default: embedded defaults)\n"
               "  -t, --https-pubkey-cert PATH     HTTPS certificate chain (PEM), with -k\n"
               "  -k, --https-prikey PATH          HTTPS private key (PEM), with -t\n"
               "  -r, --allowed_origin ORIGIN      CORS origin (http://... or https://); comma\n"
               "                                   separated or repeated\n"
               "  -V, --version                    print the version and exit\n"
               "  -h, --help                       print this help and exit\n"
               "\n"
               "Logs: one JSON object per line on stderr; level from ASSAY_LOG or RUST_LOG.\n");
}

struct args {
    const char *socket;
    const char *config;
    const char *cert;
    const char *key;
    char *origins[MAX_ORIGINS];
    size_t n_origins;
};

/* Splits a -r value on commas; each entry must be an http(s) origin. */
static int add_origins(struct args *a, const char *v)
{
    const char *p = v;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        while (n > 0 && *p == ' ') {
            p++;
            n--;
        }
        while (n > 0 && p[n - 1] == ' ') {
            n--;
        }
        if (n > 0) {
            if (!((n > 7 && strncmp(p, "http://", 7) == 0) ||
                  (n > 8 && strncmp(p, "https://", 8) == 0))) {
                fprintf(stderr,
                        "assayd: --allowed_origin '%.*s' must start with http:// or "
                        "https://\n",
                        (int)n, p);
                return -1;
            }
            if (a->n_origins == MAX_ORIGINS) {
                fprintf(stderr, "assayd: more than %d --allowed_origin entries\n", MAX_ORIGINS);
                return -1;
            }
            a->origins[a->n_origins++] = ay_xstrndup(p, n);
        }
        if (comma == NULL) {
            return 0;
        }
        p = comma + 1;
    }
}

static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, 's'},
        {"config-file", required_argument, NULL, 'c'},
        {"https-pubkey-cert", required_argument, NULL, 't'},
        {"https-prikey", required_argument, NULL, 'k'},
        {"allowed_origin", required_argument, NULL, 'r'},
        {"allowed-origin", required_argument, NULL, 'r'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:c:t:k:r:Vh", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            a->socket = optarg;
            break;
        case 'c':
            a->config = optarg;
            break;
        case 't':
            a->cert = optarg;
            break;
        case 'k':
            a->key = optarg;
            break;
        case 'r':
            if (add_origins(a, optarg) != 0) {
                return EXIT_USAGE;
            }
            break;
        case 'V':
            printf("assayd %s\n", AY_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            fprintf(stderr, "assayd: option '%s' needs a value\n", argv[optind - 1]);
            usage(stderr);
            return EXIT_USAGE;
        default:
            fprintf(stderr, "assayd: unknown option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "assayd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    /* restful-as silently falls back to HTTP here (TRUSTEE.md section 10.3 item 11); a server
     * that was asked for TLS and serves plaintext is worse than one that does not start. */
    if ((a->cert == NULL) != (a->key == NULL)) {
        fprintf(stderr,
                "assayd: HTTPS needs both --https-pubkey-cert (-t) and --https-prikey "
                "(-k); only %s was given\n",
                a->cert != NULL ? "-t" : "-k");
        return EXIT_USAGE;
    }
    return -1; /* continue */
}

static int run(const struct args *a)
{
    struct ay_diag diag;
    ay_diag_clear(&diag);
    struct ay_as_config *cfg = NULL;
    struct ay_as *as = NULL;
    struct ay_http_server *srv = NULL;
    int rc = EXIT_USAGE;
    int sig = 0;
    struct ay_http_opts o = {
        .socket = a->socket != NULL ? a->socket : "127.0.0.1:8080",
        .cert_path = a->cert,
        .key_path = a->key,
        .origins = (const char *const *)a->origins,
        .n_origins = a->n_origins,
    };

    /* Signals are taken synchronously by the main thread: block them before any thread starts
     * so that the server threads inherit the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (ay_as_config_load(a->config, &diag, &cfg) != AY_OK) {
        fprintf(stderr, "assayd: config %s: %s\n", a->config != NULL ? a->config : "(defaults)",
                ay_diag_message(&diag));
        ay_log(AY_LOG_ERROR, "config: %s", ay_diag_message(&diag));
        goto out;
    }
    if (ay_as_new(cfg, &diag, &as) != AY_OK) {
        fprintf(stderr, "assayd: cannot start the attestation service: %s\n",
                ay_diag_message(&diag));
        ay_log(AY_LOG_ERROR, "start: %s", ay_diag_message(&diag));
        goto out;
    }
    if (ay_http_start(as, &o, &diag, &srv) != AY_OK) {
        fprintf(stderr, "assayd: %s\n", ay_diag_message(&diag));
        ay_log(AY_LOG_ERROR, "http: %s", ay_diag_message(&diag));
        goto out;
    }
    while (sigwait(&set, &sig) != 0) {
    }
    ay_log(AY_LOG_INFO, "signal %d: shutting down", sig);
    rc = 0;
out:
    ay_http_stop(srv);
    ay_as_free(as);
    ay_as_config_free(cfg);
    return rc;
}

int main(int argc, char **argv)
{
    ay_log_init();
    struct args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc < 0) {
        rc = run(&a);
    }
    for (size_t i = 0; i < a.n_origins; i++) {
        ay_free(a.origins[i]);
    }
    return rc;
}
