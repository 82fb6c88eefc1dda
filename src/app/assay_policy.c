/* SPDX-License-Identifier: Apache-2.0 */
/* `assay policy eval|test|check`: the Rego engine from the command line, shaped like `opa eval`,
 * `opa test` and `opa check` so policies written for Trustee can be tried before upload. */
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app/assay_cli.h"
#include "base/base_buf.h"
#include "base/base_err.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "base/base_str.h"
#include "rego/rego.h"

#define POLICY_MAX_FILES 256

struct policy_args {
    const char *mods[POLICY_MAX_FILES];
    size_t nmods;
    const char *data_path;
    const char *input_path;
    const char *query;
    enum ay_rego_syntax syntax;
    bool strict;
    bool verbose;
};

/* On the heap, not in the commands' frames: every 4 KiB of stack a run reaches is a page
 * fault (issue 3). */
struct loaded {
    struct ay_rego_module_src *src;
    char **text;
    size_t n;
};

static void policy_usage(void)
{
    (void)fprintf(stderr,
                  "usage: assay policy eval -d FILE.rego... [-i input.json] [--data data.json]\n"
                  "                         [--v0] [--strict-builtin-errors] QUERY\n"
                  "       assay policy test [--v0] [-v] FILE.rego|data.json...\n"
                  "       assay policy check [--v0] FILE.rego...\n");
}

/* Whole file into a heap string, under a cap (a module or a JSON document). */
static bool slurp(const char *path, size_t cap, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        (void)fprintf(stderr, "assay policy: cannot open %s\n", path);
        return false;
    }
    /* A regular file is read at its size into one allocation (a growing buffer touches, and
     * page-faults, about twice the memory: issue 3 counts the pages of a CLI run). */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
        (uint64_t)st.st_size <= cap) {
        size_t size = (size_t)st.st_size;
        char *p = ay_xmalloc(size + 1);
        ay_populate(p, size + 1); /* one call instead of a page fault per page read into */
        size_t got = size > 0 ? fread(p, 1, size, f) : 0;
        bool grew = got == size && fgetc(f) != EOF;
        if (got == size && !grew && ferror(f) == 0) {
            (void)fclose(f);
            p[size] = '\0';
            *out = p;
            *len = size;
            return true;
        }
        ay_free(p); /* changed while read: read it as a stream */
        rewind(f);
    }
    struct ay_buf b;
    ay_buf_init(&b, NULL, cap);
    /* Not on the stack: a 16 KiB frame is probed page by page on every call. */
    char *tmp = ay_xmalloc(16384);
    size_t n;
    while ((n = fread(tmp, 1, 16384, f)) > 0) {
        ay_buf_put(&b, tmp, n);
    }
    ay_free(tmp);
    bool rd_err = ferror(f) != 0;
    (void)fclose(f);
    if (rd_err || ay_buf_finish(&b) != AY_OK) {
        (void)fprintf(stderr, "assay policy: cannot read %s (or larger than %zu bytes)\n", path,
                      cap);
        ay_buf_free(&b);
        return false;
    }
    *len = b.len;
    *out = b.ptr != NULL ? b.ptr : ay_xstrdup("");
    return true;
}

/* Maps the heap this run will take in one call, before it is used (issue 3). glibc grows its
 * heap with brk, and the first write to each new page is a page fault (~10 us on the CI machine's
 * VM: `policy eval` of the ACI policy took 15 of them); one populate call maps the same pages
 * for a fraction of that. The estimate: the files to read, plus 64 KiB for the lexer's token
 * blocks and the first chunk of the evaluation's arena (a large policy's own arena is a mapping
 * of its own, see base_arena.c). Files over 1 MiB are not counted: they get mappings of their
 * own from malloc too. */
static void heap_warm(const struct policy_args *a)
{
    const size_t file_max = (size_t)1 << 20;
    size_t bytes = (size_t)64 * 1024;
    for (size_t i = 0; i < a->nmods + 2; i++) {
        const char *path = i < a->nmods ? a->mods[i] : i == a->nmods ? a->input_path : a->data_path;
        struct stat st;
        if (path != NULL && stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
            (uint64_t)st.st_size < file_max) {
            bytes += (size_t)st.st_size + 64; /* + malloc's header and alignment */
        }
    }
    bytes = bytes < 4 * file_max ? bytes : 4 * file_max;
    /* Served from the brk heap (not a mapping of its own) and kept there when freed; never
     * below glibc's default thresholds (128 KiB). */
    size_t mmap_min = bytes + 4096 > file_max / 8 ? bytes + 4096 : file_max / 8;
    if (mallopt(M_MMAP_THRESHOLD, (int)mmap_min) != 1 ||
        mallopt(M_TRIM_THRESHOLD, (int)(2 * mmap_min)) != 1) {
        return;
    }
    void *p = ay_xmalloc(bytes);
    ay_populate(p, bytes);
    ay_free(p);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s);
    size_t b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool load_modules(const struct policy_args *a, struct loaded *l)
{
    memset(l, 0, sizeof *l);
    l->src = ay_xcalloc(a->nmods, sizeof *l->src);
    l->text = ay_xcalloc(a->nmods, sizeof *l->text);
    for (size_t i = 0; i < a->nmods; i++) {
        size_t len;
        if (!slurp(a->mods[i], AY_LIMIT_REGO_SOURCE, &l->text[l->n], &len)) {
            return false;
        }
        l->src[l->n] = (struct ay_rego_module_src){.name = a->mods[i], .text = l->text[l->n],
                                                   .len = len};
        l->n++;
    }
    return true;
}

static void free_modules(struct loaded *l)
{
    for (size_t i = 0; i < l->n; i++) {
        ay_free(l->text[i]);
    }
    ay_free(l->text);
    ay_free(l->src);
    memset(l, 0, sizeof *l);
}

static int compile_all(const struct policy_args *a, struct loaded *l, struct ay_rego_policy **out)
{
    if (!load_modules(a, l)) {
        return 2;
    }
    /* The texts are freed only after the policy (free_modules runs last everywhere). */
    struct ay_rego_compile_opts o = {.syntax = a->syntax, .host = NULL, .borrow_text = true};
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_rego_compile(l->src, l->n, &o, &d, out) != AY_OK) {
        /* diag already reads "file:line:col: message" */
        (void)fprintf(stderr, "%s\n", ay_diag_message(&d));
        return 1;
    }
    return 0;
}

/* Parses the shared options; leftover positionals go to mods (test/check) or query (eval). */
static int parse_args(int argc, char **argv, bool eval, struct policy_args *a)
{
    memset(a, 0, sizeof *a);
    a->syntax = AY_REGO_V1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if ((strcmp(s, "-d") == 0 || strcmp(s, "--data") == 0) && next != NULL) {
            i++;
            if (ends_with(next, ".json")) {
                if (a->data_path != NULL) {
                    (void)fprintf(stderr, "assay policy: only one data document\n");
                    return 2;
                }
                a->data_path = next;
            } else if (a->nmods < POLICY_MAX_FILES) {
                a->mods[a->nmods++] = next;
            } else {
                (void)fprintf(stderr, "assay policy: too many modules\n");
                return 2;
            }
        } else if ((strcmp(s, "-i") == 0 || strcmp(s, "--input") == 0) && next != NULL) {
            a->input_path = argv[++i];
        } else if (strcmp(s, "--v0") == 0) {
            a->syntax = AY_REGO_V0;
        } else if (strcmp(s, "--v1") == 0) {
            a->syntax = AY_REGO_V1;
        } else if (strcmp(s, "--strict-builtin-errors") == 0) {
            a->strict = true;
        } else if (strcmp(s, "-v") == 0 || strcmp(s, "--verbose") == 0) {
            a->verbose = true;
        } else if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            policy_usage();
            return 2;
        } else if (s[0] == '-' && s[1] != '\0') {
            (void)fprintf(stderr, "assay policy: unknown option %s\n", s);
            policy_usage();
            return 2;
        } else if (eval && !ends_with(s, ".rego")) {
            if (a->query != NULL) {
                (void)fprintf(stderr, "assay policy eval: one query only\n");
                return 2;
            }
            a->query = s;
        } else if (ends_with(s, ".json")) {
            if (a->data_path != NULL) {
                (void)fprintf(stderr, "assay policy: only one data document\n");
                return 2;
            }
            a->data_path = s;
        } else if (a->nmods < POLICY_MAX_FILES) {
            a->mods[a->nmods++] = s;
        } else {
            (void)fprintf(stderr, "assay policy: too many modules\n");
            return 2;
        }
    }
    return 0;
}

static void print_to_stderr(void *arg, const char *text, size_t len)
{
    (void)arg;
    (void)fprintf(stderr, "%.*s\n", (int)len, text);
}

/* Evaluates the query and prints it the way `opa eval` does: {"result": [...]}, or {} when the
 * query is undefined. */
static int eval_and_print(const struct ay_rego_policy *pol, const struct policy_args *a,
                          const char *input, size_t ilen, const char *data, size_t dlen,
                          struct ay_buf *out)
{
    struct ay_rego_eval_opts eo = {
        .input_json = input,
        .input_len = ilen,
        .data_json = data,
        .data_len = dlen,
        .print = print_to_stderr,
        .strict_builtin_errors = a->strict,
    };
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_rego_eval_query(pol, a->query, &eo, out, &d) != AY_OK) {
        (void)fprintf(stderr, "%s\n", ay_diag_message(&d));
        return 1;
    }
    const char *rs = out->ptr != NULL ? out->ptr : "[]";
    size_t i = strspn(rs, " \t\r\n");
    bool empty = rs[i] == '[' && rs[i + 1 + strspn(rs + i + 1, " \t\r\n")] == ']';
    if (empty) {
        (void)printf("{}\n");
    } else {
        (void)printf("{\"result\":%s}\n", rs);
    }
    return 0;
}

static int cmd_eval(int argc, char **argv)
{
    struct policy_args a;
    int rc = parse_args(argc, argv, true, &a);
    if (rc != 0) {
        return rc;
    }
    if (a.query == NULL) {
        policy_usage();
        return 2;
    }
    char *input = NULL;
    char *data = NULL;
    size_t ilen = 0;
    size_t dlen = 0;
    struct loaded l = {0};
    struct ay_rego_policy *pol = NULL;
    struct ay_buf out;
    ay_buf_init(&out, NULL, (size_t)1 << 30);
    heap_warm(&a);
    if ((a.input_path != NULL && !slurp(a.input_path, (size_t)1 << 30, &input, &ilen)) ||
        (a.data_path != NULL && !slurp(a.data_path, (size_t)1 << 30, &data, &dlen))) {
        rc = 2;
        goto out;
    }
    rc = compile_all(&a, &l, &pol);
    if (rc == 0) {
        rc = eval_and_print(pol, &a, input, ilen, data, dlen, &out);
    }
out:
    if (pol != NULL) {
        ay_rego_policy_release(pol);
    }
    free_modules(&l);
    ay_buf_free(&out);
    ay_free(input);
    ay_free(data);
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    struct policy_args a;
    int rc = parse_args(argc, argv, false, &a);
    if (rc != 0) {
        return rc;
    }
    if (a.nmods == 0) {
        policy_usage();
        return 2;
    }
    struct loaded l;
    struct ay_rego_policy *pol = NULL;
    rc = compile_all(&a, &l, &pol);
    if (pol != NULL) {
        ay_rego_policy_release(pol);
    }
    free_modules(&l);
    return rc;
}

/* ---- test: rules named test_* in every package, like `opa test` ---- */

struct test_rule {
    char path[600];
};

/* Skips a token of identifier characters; returns its end. */
static const char *ident_end(const char *p)
{
    while (ay_is_alnum((unsigned char)*p) || *p == '_') {
        p++;
    }
    return p;
}

/* Finds `package a.b` and the top-level rule heads named test_* in one module's text. A line
 * scan is enough: rule heads start at column 0 in every formatted module. */
static size_t find_tests(const char *text, struct test_rule *out, size_t max, size_t n)
{
    char pkg[256] = "";
    const char *p = text;
    bool in_raw = false; /* inside a `raw string` spanning lines */
    while (*p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t linelen = eol != NULL ? (size_t)(eol - p) : strlen(p);
        if (!in_raw) {
            if (strncmp(p, "package", 7) == 0 && ay_is_space((unsigned char)p[7])) {
                const char *q = p + 7;
                while (*q == ' ' || *q == '\t') {
                    q++;
                }
                size_t k = 0;
                while (q < p + linelen && (ay_is_alnum((unsigned char)*q) || *q == '_' ||
                                           *q == '.') && k + 1 < sizeof pkg) {
                    pkg[k++] = *q++;
                }
                pkg[k] = '\0';
            } else if (strncmp(p, "test_", 5) == 0 && pkg[0] != '\0') {
                const char *e = ident_end(p);
                char name[256];
                size_t nl = (size_t)(e - p) < sizeof name - 1 ? (size_t)(e - p) : sizeof name - 1;
                memcpy(name, p, nl);
                name[nl] = '\0';
                char path[600];
                (void)snprintf(path, sizeof path, "data.%s.%s", pkg, name);
                bool dup = false;
                for (size_t i = 0; i < n && !dup; i++) {
                    dup = strcmp(out[i].path, path) == 0;
                }
                if (!dup && n < max) {
                    (void)snprintf(out[n].path, sizeof out[n].path, "%s", path);
                    n++;
                }
            }
        }
        for (size_t i = 0; i < linelen; i++) {
            if (p[i] == '`') {
                in_raw = !in_raw;
            } else if (p[i] == '#' && !in_raw) {
                break;
            }
        }
        p = eol != NULL ? eol + 1 : p + linelen;
    }
    return n;
}

static double now_us(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmd_test(int argc, char **argv)
{
    struct policy_args a;
    int rc = parse_args(argc, argv, false, &a);
    if (rc != 0) {
        return rc;
    }
    if (a.nmods == 0) {
        policy_usage();
        return 2;
    }
    char *data = NULL;
    size_t dlen = 0;
    if (a.data_path != NULL && !slurp(a.data_path, (size_t)1 << 30, &data, &dlen)) {
        return 2;
    }
    struct loaded l;
    struct ay_rego_policy *pol = NULL;
    rc = compile_all(&a, &l, &pol);
    if (rc != 0) {
        free_modules(&l);
        ay_free(data);
        return rc;
    }
    enum { MAX_TESTS = 4096 };
    struct test_rule *tests = ay_xcalloc(MAX_TESTS, sizeof *tests);
    size_t nt = 0;
    for (size_t i = 0; i < l.n; i++) {
        nt = find_tests(l.text[i], tests, MAX_TESTS, nt);
    }
    size_t pass = 0;
    size_t fail = 0;
    size_t err = 0;
    struct ay_buf out;
    ay_buf_init(&out, NULL, (size_t)1 << 28);
    for (size_t i = 0; i < nt; i++) {
        struct ay_rego_eval_opts eo = {
            .data_json = data,
            .data_len = dlen,
            .print = a.verbose ? print_to_stderr : NULL,
            .strict_builtin_errors = a.strict,
        };
        struct ay_diag d;
        ay_diag_clear(&d);
        ay_buf_reset(&out);
        bool defined = false;
        double t0 = now_us();
        ay_err e = ay_rego_eval_rule(pol, tests[i].path, &eo, &out, &defined, &d);
        double dt = now_us() - t0;
        if (e != AY_OK) {
            (void)printf("%s: ERROR (%.1fµs)\n  %s\n", tests[i].path, dt, ay_diag_message(&d));
            err++;
        } else if (defined && out.ptr != NULL && strcmp(out.ptr, "true") == 0) {
            (void)printf("%s: PASS (%.1fµs)\n", tests[i].path, dt);
            pass++;
        } else {
            (void)printf("%s: FAIL (%.1fµs)\n", tests[i].path, dt);
            fail++;
        }
    }
    (void)printf("%s\n", "--------------------------------------------------------------------------------");
    if (pass > 0) {
        (void)printf("PASS: %zu/%zu\n", pass, nt);
    }
    if (fail > 0) {
        (void)printf("FAIL: %zu/%zu\n", fail, nt);
    }
    if (err > 0) {
        (void)printf("ERROR: %zu/%zu\n", err, nt);
    }
    if (nt == 0) {
        (void)printf("no test_* rules found\n");
    }
    ay_buf_free(&out);
    ay_free(tests);
    ay_rego_policy_release(pol);
    free_modules(&l);
    ay_free(data);
    return fail + err > 0 ? 1 : 0;
}

int ay_cli_policy(int argc, char **argv)
{
    if (argc < 2) {
        policy_usage();
        return 2;
    }
    if (strcmp(argv[1], "eval") == 0) {
        return cmd_eval(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "test") == 0) {
        return cmd_test(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "check") == 0) {
        return cmd_check(argc - 1, argv + 1);
    }
    policy_usage();
    return 2;
}
