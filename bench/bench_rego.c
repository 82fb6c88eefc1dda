/* SPDX-License-Identifier: Apache-2.0 */
/* Rego engine benchmark (REGO.md §4.2): µs per evaluation of Trustee's default_cpu policy on
 * sample, SNP and TDX claims, warm (compiled once) and cold (parse + compile + evaluate per call,
 * which is what Trustee does per request); each Kata policy set; the ACI policy; and the
 * whole-process time of `assay policy eval` on the ACI case. Shared data: $ASSAY_SHARED or
 * ../shared. Numbers are for one core; compare with regorus's published 2.4 µs warm / 18 µs cold
 * (small policies) and 4.6 ms for its CLI on ACI. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <time.h>
#include <unistd.h>

#include "base/base_buf.h"
#include "base/base_err.h"
#include "base/base_mem.h"
#include "rego/rego.h"

#define BENCH_MIN_SECONDS 0.3
#define BENCH_MAX_ITERS 200000

static const char *g_shared;
static const char *g_only; /* argv[1]: run only the sections whose name contains it */

static bool wanted(const char *section)
{
    return g_only == NULL || strstr(section, g_only) != NULL;
}

/* execv takes char *const[]: the strings are not written to. */
static char *mut(const char *s)
{
    return (char *)(uintptr_t)s;
}

static double now_s(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    struct ay_buf b;
    ay_buf_init(&b, NULL, (size_t)64 << 20);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
        ay_buf_put(&b, tmp, n);
    }
    (void)fclose(f);
    if (ay_buf_finish(&b) != AY_OK) {
        ay_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.ptr != NULL ? b.ptr : ay_xstrdup("");
}

static char *shared_file(const char *rel, size_t *len)
{
    char path[4096];
    (void)snprintf(path, sizeof path, "%s/%s", g_shared, rel);
    return slurp(path, len);
}

/* ---- the RV host builtin: a fixed table, as a hash map would answer ---- */

/* 48 bytes of hex (a SHA-384 or a TDX measurement register) from one repeated byte. */
#define HEX96(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

struct rv_entry {
    const char *id;
    const char *json;
};

static const struct rv_entry g_rv[] = {
    {"\"launch_digest\"", "[\"abcde\"]"},
    {"\"svn\"", "[\"1\"]"},
    {"\"major_version\"", "1"},
    {"\"minimum_minor_version\"", "0"},
    {"\"snp_launch_measurement\"",
     "[\"5a8c6b6d3b9d2a0f1e4c7b8a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"
     "08192a\"]"},
    {"\"snp_bootloader\"", "[3]"},
    {"\"snp_microcode\"", "[209]"},
    {"\"snp_snp_svn\"", "[20]"},
    {"\"snp_tee_svn\"", "[0]"},
    {"\"snp_smt_enabled\"", "true"},
    {"\"snp_tsme_enabled\"", "false"},
    {"\"snp_guest_abi_major\"", "0"},
    {"\"snp_guest_abi_minor\"", "31"},
    {"\"snp_single_socket\"", "false"},
    {"\"snp_smt_allowed\"", "true"},
    {"\"rtmr_1\"", "[\"" HEX96("a1") "\"]"},
    {"\"rtmr_2\"", "[\"" HEX96("b2") "\"]"},
    {"\"mr_td\"", "[\"" HEX96("c3") "\"]"},
    {"\"xfam\"", "[\"e702060000000000\"]"},
    {"\"tdvfkernel\"", "\"" HEX96("d4") "\""},
    {"\"tdvfkernelparams\"", "\"" HEX96("e5") "\""},
};

static ay_err rv_fn(void *arg, const char *const *args_json, size_t nargs, struct ay_buf *out,
                    struct ay_diag *diag)
{
    (void)arg;
    (void)diag;
    if (nargs == 1) {
        for (size_t i = 0; i < sizeof g_rv / sizeof g_rv[0]; i++) {
            if (strcmp(args_json[0], g_rv[i].id) == 0) {
                ay_buf_puts(out, g_rv[i].json);
                return AY_OK;
            }
        }
    }
    ay_buf_puts(out, "null");
    return AY_OK;
}

/* ---- claims (shapes from TRUSTEE.md §7.1-7.3) ---- */

static const char CLAIMS_SAMPLE[] =
    "{\"sample\":{\"svn\":\"1\",\"launch_digest\":\"abcde\",\"platform_version\":{\"major\":1,"
    "\"minor\":4},\"debug\":false},\"report_data\":\"" "0000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000\",\"init_data\":\"\"}";

static const char CLAIMS_SNP[] =
    "{\"snp\":{\"measurement\":\"5a8c6b6d3b9d2a0f1e4c7b8a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a"
    "3b4c5d6e7f8091a2b3c4d5e6f708192a\",\"chip_id\":\"" "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c"
    "5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0\","
    "\"policy_abi_major\":0,\"policy_abi_minor\":31,\"policy_smt_allowed\":true,"
    "\"policy_migrate_ma\":false,\"policy_debug_allowed\":false,\"policy_single_socket\":false,"
    "\"reported_tcb_bootloader\":3,\"reported_tcb_tee\":0,\"reported_tcb_snp\":20,"
    "\"reported_tcb_microcode\":209,\"platform_tsme_enabled\":false,\"platform_smt_enabled\":true},"
    "\"report_data\":\"" "7c2f3a9b1e0d4c5b6a7988776655443322110ffeeddccbbaa99887766554433221100"
    "ffeeddccbbaa99887766554433221100ffeeddccbbaa9988776655443322\",\"init_data\":\"" "00000000"
    "00000000000000000000000000000000000000000000000000000000\"}";

static const char CLAIMS_TDX[] =
    "{\"tdx\":{\"quote\":{\"header\":{\"version\":\"0400\",\"att_key_type\":\"0200\","
    "\"tee_type\":\"81000000\",\"reserved\":\"00000000\",\"vendor_id\":"
    "\"939a7233f79c4ca9940a0db3957f0607\",\"user_data\":\"d099bfec0a477aa85a605dceabf2b10800000000\"},"
    "\"body\":{\"tcb_svn\":\"03000500000000000000000000000000\",\"mr_seam\":\"" HEX96("5b")
    "\",\"mrsigner_seam\":\"" HEX96("00") "\",\"seam_attributes\":\"0000000000000000\","
    "\"td_attributes\":\"0000001000000000\",\"xfam\":\"e702060000000000\",\"mr_td\":\"" HEX96("c3")
    "\",\"mr_config_id\":\"" HEX96("00") "\",\"mr_owner\":\"" HEX96("00") "\",\"mr_owner_config\":\""
    HEX96("00") "\",\"rtmr_0\":\"" HEX96("9f") "\",\"rtmr_1\":\"" HEX96("a1") "\",\"rtmr_2\":\""
    HEX96("b2") "\",\"rtmr_3\":\"" HEX96("00") "\",\"report_data\":\"" HEX96("7c") HEX96("7c")
    "\"}},\"td_attributes\":{\"debug\":false,\"septve_disable\":true,\"protection_keys\":false,"
    "\"key_locker\":false,\"perfmon\":false},\"tcb_status\":\"UpToDate\","
    "\"collateral_expiration_status\":\"0\",\"advisory_ids\":[],\"tcb_date\":"
    "\"2024-03-13T00:00:00Z\",\"sgx_type\":\"Scalable\",\"uefi_event_logs\":["
    "{\"type_name\":\"EV_EFI_BOOT_SERVICES_APPLICATION\",\"details\":{\"device_paths\":"
    "[\"PciRoot(0x0)/Pci(0x1,0x0)\",\"File(kernel)\"]},\"digests\":[{\"alg\":\"SHA-384\","
    "\"digest\":\"" HEX96("d4") "\"}]},"
    "{\"type_name\":\"EV_EVENT_TAG\",\"details\":{\"string\":\"LOADED_IMAGE::LoadOptions\"},"
    "\"digests\":[{\"alg\":\"SHA-384\",\"digest\":\"" HEX96("e5") "\"}]},"
    "{\"type_name\":\"EV_SEPARATOR\",\"details\":{},\"digests\":[{\"alg\":\"SHA-384\",\"digest\":\""
    HEX96("11") "\"}]}]},\"report_data\":\"" HEX96("7c") "\",\"init_data\":\"" HEX96("00") "\"}";

/* ---- default_cpu ---- */

struct cpu_bench {
    const char *text;
    size_t len;
    struct ay_rego_builtins *bi;
};

static bool cpu_compile(const struct cpu_bench *b, struct ay_rego_policy **out)
{
    struct ay_rego_module_src m = {.name = "default_cpu.rego", .text = b->text, .len = b->len};
    struct ay_rego_compile_opts o = {.syntax = AY_REGO_V1, .host = b->bi};
    struct ay_diag d;
    ay_diag_clear(&d);
    if (ay_rego_compile(&m, 1, &o, &d, out) != AY_OK) {
        printf("  compile failed: %s\n", ay_diag_message(&d));
        return false;
    }
    return true;
}

/* Both rules in one evaluation, as the EAR broker asks (REGO.md §4.2 step 6) and assayd
 * does. */
static bool cpu_eval(const struct ay_rego_policy *p, const char *claims, struct ay_buf *out,
                     bool show)
{
    struct ay_rego_eval_opts eo = {.input_json = claims, .input_len = strlen(claims)};
    struct ay_buf ext;
    ay_buf_init(&ext, NULL, 1 << 20);
    ay_buf_reset(out);
    struct ay_rego_rule_result r[2] = {{.path = "data.policy.trust_claims", .out = out},
                                       {.path = "data.policy.extensions", .out = &ext}};
    struct ay_diag d;
    ay_diag_clear(&d);
    bool ok = ay_rego_eval_rules(p, r, 2, &eo, &d) == AY_OK;
    if (!ok) {
        printf("  eval failed: %s\n", ay_diag_message(&d));
    }
    for (size_t i = 0; i < 2 && ok && show; i++) {
        printf("  %s = %s\n", r[i].path,
               r[i].defined && r[i].out->ptr != NULL ? r[i].out->ptr : "undefined");
    }
    ay_buf_free(&ext);
    return ok;
}

static void bench_cpu(const char *label, struct cpu_bench *b, const char *claims)
{
    struct ay_rego_policy *p = NULL;
    struct ay_buf out;
    ay_buf_init(&out, NULL, 1 << 20);
    printf("default_cpu %s (%zu bytes of claims)\n", label, strlen(claims));
    if (!cpu_compile(b, &p) || !cpu_eval(p, claims, &out, true)) {
        if (p != NULL) {
            ay_rego_policy_release(p);
        }
        ay_buf_free(&out);
        return;
    }
    size_t n = 0;
    double t0 = now_s();
    double el;
    do {
        (void)cpu_eval(p, claims, &out, false);
        n++;
        el = now_s() - t0;
    } while (el < BENCH_MIN_SECONDS && n < BENCH_MAX_ITERS);
    printf("  warm: %9.2f µs per evaluation (trust_claims + extensions, %zu runs)\n",
           el * 1e6 / (double)n, n);
    ay_rego_policy_release(p);
    n = 0;
    t0 = now_s();
    do {
        struct ay_rego_policy *q = NULL;
        if (cpu_compile(b, &q)) {
            (void)cpu_eval(q, claims, &out, false);
            ay_rego_policy_release(q);
        }
        n++;
        el = now_s() - t0;
    } while (el < BENCH_MIN_SECONDS && n < BENCH_MAX_ITERS);
    printf("  cold: %9.2f µs per evaluation (parse + compile + evaluate, %zu runs)\n",
           el * 1e6 / (double)n, n);
    ay_buf_free(&out);
}

/* ---- Kata ---- */

struct kata_req {
    char *rule;
    char *input;
};

/* `["ep":"<Rule>",{...}],` -> rule path and input JSON (REGO.md §1.3). */
static bool kata_line(char *line, struct kata_req *r)
{
    char *q1 = strchr(line, '"');
    if (q1 == NULL || strncmp(q1, "\"ep\":", 5) != 0) {
        return false;
    }
    char *name = strchr(q1 + 5, '"');
    char *nend = name != NULL ? strchr(name + 1, '"') : NULL;
    char *comma = nend != NULL ? strchr(nend, ',') : NULL;
    char *close = strrchr(line, ']');
    if (comma == NULL || close == NULL || close < comma) {
        return false;
    }
    size_t nl = (size_t)(nend - name - 1);
    r->rule = ay_xmalloc(nl + 32);
    (void)snprintf(r->rule, nl + 32, "data.agent_policy.%.*s", (int)nl, name + 1);
    r->input = ay_xstrndup(comma + 1, (size_t)(close - comma - 1));
    return true;
}

static void bench_kata_dir(const char *name)
{
    char rel[1024];
    (void)snprintf(rel, sizeof rel, "rego-conformance/regorus/kata/data/%s/policy.rego", name);
    size_t plen;
    char *pol = shared_file(rel, &plen);
    (void)snprintf(rel, sizeof rel, "rego-conformance/regorus/kata/data/%s/inputs.txt", name);
    size_t ilen;
    char *inputs = pol != NULL ? shared_file(rel, &ilen) : NULL;
    if (inputs == NULL) {
        ay_free(pol);
        return;
    }
    struct kata_req *reqs = NULL;
    size_t nreq = 0;
    char *save = NULL;
    for (char *l = strtok_r(inputs, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
        struct kata_req r;
        if (kata_line(l, &r)) {
            reqs = ay_xrealloc(reqs, (nreq + 1) * sizeof *reqs);
            reqs[nreq++] = r;
        }
    }
    struct ay_rego_module_src m = {.name = "policy.rego", .text = pol, .len = plen};
    struct ay_rego_compile_opts o = {.syntax = AY_REGO_V0};
    struct ay_diag d;
    ay_diag_clear(&d);
    struct ay_rego_policy *p = NULL;
    double t0 = now_s();
    ay_err e = ay_rego_compile(&m, 1, &o, &d, &p);
    double ct = now_s() - t0;
    if (e != AY_OK) {
        printf("kata %-22s compile failed: %s\n", name, ay_diag_message(&d));
    } else {
        struct ay_buf out;
        ay_buf_init(&out, NULL, 1 << 24);
        size_t n = 0;
        size_t errs = 0;
        double el;
        t0 = now_s();
        do {
            for (size_t i = 0; i < nreq; i++) {
                struct ay_rego_eval_opts eo = {.input_json = reqs[i].input,
                                               .input_len = strlen(reqs[i].input)};
                bool defined = false;
                ay_diag_clear(&d);
                ay_buf_reset(&out);
                if (ay_rego_eval_rule(p, reqs[i].rule, &eo, &out, &defined, &d) != AY_OK) {
                    errs++;
                }
                n++;
            }
            el = now_s() - t0;
        } while (el < BENCH_MIN_SECONDS && n < BENCH_MAX_ITERS && nreq > 0);
        size_t lines = 0;
        for (size_t i = 0; i < plen; i++) {
            lines += pol[i] == '\n';
        }
        printf("kata %-22s %5zu lines, compile %8.2f ms, %9.2f µs per request (%zu runs%s)\n",
               name, lines, ct * 1e3, n > 0 ? el * 1e6 / (double)n : 0.0, n,
               errs > 0 ? ", with errors" : "");
        ay_buf_free(&out);
        ay_rego_policy_release(p);
    }
    for (size_t i = 0; i < nreq; i++) {
        ay_free(reqs[i].rule);
        ay_free(reqs[i].input);
    }
    ay_free(reqs);
    ay_free(inputs);
    ay_free(pol);
}

static void bench_kata(void)
{
    char path[4096];
    (void)snprintf(path, sizeof path, "%s/rego-conformance/regorus/kata/data", g_shared);
    DIR *dir = opendir(path);
    if (dir == NULL) {
        printf("kata: %s not found\n", path);
        return;
    }
    char *names[64];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL && n < 64) {
        if (e->d_name[0] != '.' && strchr(e->d_name, '.') == NULL) {
            names[n++] = ay_xstrdup(e->d_name);
        }
    }
    (void)closedir(dir);
    for (size_t i = 0; i + 1 < n; i++) { /* sorted output */
        for (size_t k = i + 1; k < n; k++) {
            if (strcmp(names[k], names[i]) < 0) {
                char *t = names[i];
                names[i] = names[k];
                names[k] = t;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        bench_kata_dir(names[i]);
        ay_free(names[i]);
    }
}

/* ---- whole processes ---- */

struct proc_stats {
    double mean_ms;
    double min_ms;
    size_t runs;
    size_t fails;
};

extern char **environ;

/* Runs path argv with stdout and stderr on /dev/null, again and again for about secs seconds
 * (at most max_runs), as regorus's README measures its CLI with hyperfine. posix_spawn (vfork
 * semantics, as hyperfine's process spawning) so that this benchmark's own memory is not
 * copied into every child. */
static struct proc_stats proc_time(const char *path, char *const argv[], double secs,
                                   size_t max_runs)
{
    struct proc_stats st = {0.0, 1e9, 0, 0};
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0 ||
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0) != 0 ||
        posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO) != 0) {
        st.fails = 1;
        return st;
    }
    double t0 = now_s();
    double el;
    do {
        double r0 = now_s();
        pid_t pid;
        int ws = 0;
        if (posix_spawn(&pid, path, &fa, NULL, argv, environ) != 0 ||
            waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
            st.fails++;
        }
        double one = (now_s() - r0) * 1e3;
        st.min_ms = one < st.min_ms ? one : st.min_ms;
        st.runs++;
        el = now_s() - t0;
    } while (el < secs && st.runs < max_runs);
    posix_spawn_file_actions_destroy(&fa);
    st.mean_ms = el * 1e3 / (double)st.runs;
    return st;
}

/* ---- ACI ---- */

#define ACI_DIR "rego-conformance/regorus/aci"
#define ACI_QUERY "data.framework.mount_overlay = x"

static void bench_aci(const char *cli)
{
    static const char *const files[] = {"api.rego", "framework.rego", "policy.rego"};
    struct ay_rego_module_src m[3];
    char *texts[3] = {NULL, NULL, NULL};
    size_t ilen = 0;
    size_t dlen = 0;
    char *input = shared_file(ACI_DIR "/input.json", &ilen);
    char *data = shared_file(ACI_DIR "/data.json", &dlen);
    bool ok = input != NULL && data != NULL;
    for (size_t i = 0; i < 3 && ok; i++) {
        char rel[256];
        (void)snprintf(rel, sizeof rel, ACI_DIR "/%s", files[i]);
        size_t len;
        texts[i] = shared_file(rel, &len);
        ok = texts[i] != NULL;
        m[i] = (struct ay_rego_module_src){.name = files[i], .text = texts[i], .len = len};
    }
    if (ok) {
        struct ay_rego_compile_opts o = {.syntax = AY_REGO_V0};
        struct ay_diag d;
        ay_diag_clear(&d);
        struct ay_rego_policy *p = NULL;
        double t0 = now_s();
        if (ay_rego_compile(m, 3, &o, &d, &p) != AY_OK) {
            printf("aci: compile failed: %s\n", ay_diag_message(&d));
        } else {
            double first = now_s() - t0;
            /* Then compiled again and again, as a service would (the first compile above also
             * pays for the process's first touch of its memory). */
            size_t nc = 0;
            double ce;
            t0 = now_s();
            do {
                struct ay_rego_policy *again = NULL;
                if (ay_rego_compile(m, 3, &o, &d, &again) == AY_OK) {
                    ay_rego_policy_release(again);
                }
                nc++;
                ce = now_s() - t0;
            } while (ce < BENCH_MIN_SECONDS && nc < BENCH_MAX_ITERS);
            struct ay_buf out;
            ay_buf_init(&out, NULL, 1 << 24);
            struct ay_rego_eval_opts eo = {
                .input_json = input, .input_len = ilen, .data_json = data, .data_len = dlen};
            size_t n = 0;
            size_t errs = 0;
            double el;
            t0 = now_s();
            do {
                ay_diag_clear(&d);
                ay_buf_reset(&out);
                errs += ay_rego_eval_query(p, ACI_QUERY, &eo, &out, &d) != AY_OK;
                n++;
                el = now_s() - t0;
            } while (el < BENCH_MIN_SECONDS && n < BENCH_MAX_ITERS);
            printf("aci %s: compile %.2f ms (first %.2f ms, %zu runs), %.2f µs per evaluation "
                   "(%zu runs%s)\n",
                   ACI_QUERY, ce * 1e3 / (double)nc, first * 1e3, nc, el * 1e6 / (double)n, n,
                   errs > 0 ? ", with errors" : "");
            if (errs > 0) {
                printf("  last error: %s\n", ay_diag_message(&d));
            }
            ay_buf_free(&out);
            ay_rego_policy_release(p);
        }
    } else {
        printf("aci: files not found under %s/%s\n", g_shared, ACI_DIR);
    }
    /* The whole CLI process, as regorus's README measures it with hyperfine. */
    struct stat st;
    if (cli == NULL || stat(cli, &st) != 0) {
        printf("assay policy eval (aci, whole process): CLI binary not found (set ASSAY_CLI)\n");
    } else if (ok) {
        char paths[5][4096];
        (void)snprintf(paths[0], sizeof paths[0], "%s/" ACI_DIR "/api.rego", g_shared);
        (void)snprintf(paths[1], sizeof paths[1], "%s/" ACI_DIR "/framework.rego", g_shared);
        (void)snprintf(paths[2], sizeof paths[2], "%s/" ACI_DIR "/policy.rego", g_shared);
        (void)snprintf(paths[3], sizeof paths[3], "%s/" ACI_DIR "/input.json", g_shared);
        (void)snprintf(paths[4], sizeof paths[4], "%s/" ACI_DIR "/data.json", g_shared);
        char *argv[] = {mut(cli), mut("policy"), mut("eval"), mut("--v0"), mut("-d"), paths[0],
                        mut("-d"), paths[1], mut("-d"), paths[2], mut("-i"), paths[3],
                        mut("--data"), paths[4], mut(ACI_QUERY), NULL};
        /* Floors on this machine, to read the figure by: any process (fork + exec + exit of
         * /bin/true, which links only libc), and the CLI doing nothing (its libraries loaded). */
        char *true_argv[] = {mut("/bin/true"), NULL};
        char *ver_argv[] = {mut(cli), mut("--version"), NULL};
        struct proc_stats t = proc_time("/bin/true", true_argv, 1.0, 200);
        struct proc_stats v = proc_time(cli, ver_argv, 1.0, 200);
        struct proc_stats r = proc_time(cli, argv, 2.0, 200);
        printf("process floor: /bin/true %.2f ms (min %.2f); assay --version %.2f ms (min %.2f)\n",
               t.mean_ms, t.min_ms, v.mean_ms, v.min_ms);
        printf("assay policy eval (aci, whole process): %.2f ms per run (min %.2f, %zu runs%s)\n",
               r.mean_ms, r.min_ms, r.runs, r.fails > 0 ? ", some exited non-zero" : "");
    }
    for (size_t i = 0; i < 3; i++) {
        ay_free(texts[i]);
    }
    ay_free(input);
    ay_free(data);
}

int main(int argc, char **argv)
{
    g_only = argc > 1 ? argv[1] : NULL;
    g_shared = getenv("ASSAY_SHARED");
    if (g_shared == NULL || *g_shared == '\0') {
        g_shared = "../shared";
    }
    struct stat st;
    if (stat(g_shared, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("bench_rego: shared folder %s not found (set ASSAY_SHARED); nothing to measure\n",
               g_shared);
        return 0;
    }
    /* The CLI: $ASSAY_CLI, else `assay` beside this program's build directory. */
    const char *cli = getenv("ASSAY_CLI");
    char clibuf[4096];
    if (cli == NULL) {
        const char *slash = strrchr(argv[0], '/');
        int dl = slash != NULL ? (int)(slash - argv[0]) : 1;
        (void)snprintf(clibuf, sizeof clibuf, "%.*s/../assay", dl, slash != NULL ? argv[0] : ".");
        cli = clibuf;
    }
    printf("bench_rego: shared %s; µs per evaluation on one core\n\n", g_shared);
    struct cpu_bench cb = {0};
    cb.text = shared_file("rego-conformance/trustee/"
                          "attestation-service_src_ear_token_ear_default_policy_cpu.rego",
                          &cb.len);
    if (cb.text == NULL) {
        printf("default_cpu policy not found\n");
    } else {
        ay_rego_builtins_new(&cb.bi);
        if (ay_rego_builtins_add(cb.bi, "query_reference_value", 1, rv_fn, NULL) != AY_OK) {
            printf("cannot register query_reference_value\n");
        } else {
            static const struct {
                const char *name;
                const char *claims;
            } sets[] = {{"sample", CLAIMS_SAMPLE}, {"snp", CLAIMS_SNP}, {"tdx", CLAIMS_TDX}};
            for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
                if (wanted(sets[i].name)) {
                    bench_cpu(sets[i].name, &cb, sets[i].claims);
                }
            }
        }
        ay_rego_builtins_free(cb.bi);
        ay_free(mut(cb.text));
    }
    if (wanted("kata")) {
        printf("\n");
        bench_kata();
    }
    if (wanted("aci")) {
        printf("\n");
        bench_aci(cli);
    }
    return 0;
}
