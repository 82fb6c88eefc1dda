/* SPDX-License-Identifier: Apache-2.0 */
/* Rego conformance runner (REGO.md §1): OPA's v1 suite, regorus's interpreter cases, the Kata
 * agent policies and the ACI policy, run through the embedding API of src/rego/rego.h only.
 * Each group of cases (a file, a Kata policy) runs in a forked child with a per-case alarm, so an
 * engine crash or hang costs that case, not the run. Prints a per-folder table and fails only when
 * a case listed in the must-pass file fails: CI catches regressions while the engine grows. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <yaml.h>

#include "base/base_buf.h"
#include "base/base_err.h"
#include "base/base_mem.h"
#include "rego/rego.h"
#include "rego_jv.h"

enum suite { S_OPA, S_REGORUS, S_KATA, S_ACI };
enum status { ST_PENDING, ST_PASS, ST_FAIL, ST_ERROR, ST_SKIP };

struct tcase {
    char *id;
    char *folder;
    size_t group;
    struct jv *spec;    /* OPA / regorus / ACI: the case mapping; Kata: [name, input] */
    struct jv *want;    /* Kata: expected output */
    struct jv *prints;  /* Kata: expected print lines */
    enum status st;
    char *reason;
    double secs; /* run time (a slow case stays out of the must-pass list: it could time out) */
    bool must;
};

struct group {
    char *path;  /* the YAML file, or the Kata policy */
    char *dir;   /* folder of path (ACI module files) */
    char *relname; /* path relative to the suite root (regorus syntax choice) */
    size_t first;
    size_t count;
};

struct run {
    enum suite suite;
    const char *root;
    bool lenient;
    bool verbose;
    bool fork;
    unsigned timeout;
    double budget;  /* seconds for the whole suite; cases after it are reported as not run */
    double t_start;
    uint64_t max_steps;
    const char *filter;
    struct tcase *cases;
    size_t ncases;
    struct group *groups;
    size_t ngroups;
};

static struct run R;

/* ---------------------------------------------------------------- small helpers */

static double mono_s(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *xprintf(const char *fmt, ...) AY_PRINTF(1, 2);
static char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = ay_xmalloc((size_t)(n < 0 ? 0 : n) + 1);
    va_start(ap, fmt);
    (void)vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
    va_end(ap);
    return s;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    struct ay_buf b;
    ay_buf_init(&b, NULL, (size_t)256 << 20);
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
    char *s = b.ptr != NULL ? b.ptr : ay_xstrdup("");
    return s;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int strp_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of a directory (no dot files). */
static char **list_dir(const char *path, size_t *n)
{
    *n = 0;
    DIR *d = opendir(path);
    if (d == NULL) {
        return NULL;
    }
    char **v = NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        v = ay_xrealloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = ay_xstrdup(e->d_name);
    }
    (void)closedir(d);
    if (*n > 1) {
        qsort(v, *n, sizeof *v, strp_cmp);
    }
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ay_free(v[i]);
    }
    ay_free(v);
}

/* ---------------------------------------------------------------- YAML to jv */

/* Plain-scalar resolution as go-yaml does for the values these suites use. */
static struct jv *yaml_scalar(const yaml_node_t *node)
{
    const char *s = (const char *)node->data.scalar.value;
    size_t n = node->data.scalar.length;
    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        return jv_str(s, n);
    }
    if (n == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
        strcmp(s, "NULL") == 0) {
        return jv_new(JV_NULL);
    }
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0) {
        struct jv *v = jv_new(JV_BOOL);
        v->b = true;
        return v;
    }
    if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0) {
        return jv_new(JV_BOOL);
    }
    /* A JSON-shaped number (optionally with a leading '+'). */
    const char *p = s;
    if (*p == '-' || *p == '+') {
        p++;
    }
    bool digits = false;
    bool ok = true;
    bool dot = false;
    bool exp = false;
    for (const char *q = p; *q != '\0'; q++) {
        if (*q >= '0' && *q <= '9') {
            digits = true;
        } else if (*q == '.' && !dot && !exp) {
            dot = true;
        } else if ((*q == 'e' || *q == 'E') && digits && !exp) {
            exp = true;
            if (q[1] == '+' || q[1] == '-') {
                q++;
            }
        } else {
            ok = false;
            break;
        }
    }
    if (ok && digits) {
        struct jv *v = jv_str(*s == '+' ? s + 1 : s, *s == '+' ? n - 1 : n);
        v->k = JV_NUM;
        return v;
    }
    return jv_str(s, n);
}

static struct jv *yaml_to_jv(yaml_document_t *doc, yaml_node_t *node, int depth)
{
    if (node == NULL || depth > 200) {
        return jv_new(JV_NULL);
    }
    switch (node->type) {
    case YAML_SCALAR_NODE: return yaml_scalar(node);
    case YAML_SEQUENCE_NODE: {
        struct jv *a = jv_new(JV_ARR);
        for (yaml_node_item_t *it = node->data.sequence.items.start;
             it < node->data.sequence.items.top; it++) {
            jv_push(a, yaml_to_jv(doc, yaml_document_get_node(doc, *it), depth + 1));
        }
        return a;
    }
    case YAML_MAPPING_NODE: {
        struct jv *o = jv_new(JV_OBJ);
        for (yaml_node_pair_t *pr = node->data.mapping.pairs.start;
             pr < node->data.mapping.pairs.top; pr++) {
            yaml_node_t *k = yaml_document_get_node(doc, pr->key);
            struct jv *key;
            if (k != NULL && k->type == YAML_SCALAR_NODE) {
                key = jv_str((const char *)k->data.scalar.value, k->data.scalar.length);
            } else {
                key = jv_str("?", 1);
            }
            jv_put(o, key, yaml_to_jv(doc, yaml_document_get_node(doc, pr->value), depth + 1));
        }
        return o;
    }
    case YAML_NO_NODE: break;
    }
    return jv_new(JV_NULL);
}

static struct jv *load_yaml(const char *path, char *msg, size_t msglen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        (void)snprintf(msg, msglen, "cannot open: %s", strerror(errno));
        return NULL;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    struct jv *v = NULL;
    if (yaml_parser_initialize(&parser) == 0) {
        (void)fclose(f);
        return NULL;
    }
    yaml_parser_set_input_file(&parser, f);
    if (yaml_parser_load(&parser, &doc) == 0) {
        (void)snprintf(msg, msglen, "YAML: %s (line %zu)",
                       parser.problem != NULL ? parser.problem : "error",
                       parser.problem_mark.line + 1);
    } else {
        v = yaml_to_jv(&doc, yaml_document_get_root_node(&doc), 0);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    (void)fclose(f);
    return v;
}

/* regorus markers: {"set!": [...]} is a set, {"object!": [{key, value}...]} an object with
 * non-string keys (written as the key's JSON text, which is how a JSON result can carry it). */
static struct jv *regorus_markers(struct jv *v)
{
    if (v->k == JV_ARR) {
        for (size_t i = 0; i < v->n; i++) {
            v->kids[i] = regorus_markers(v->kids[i]);
        }
        return v;
    }
    if (v->k != JV_OBJ) {
        return v;
    }
    struct jv *set = jv_get(v, "set!");
    if (set != NULL && v->n == 1 && set->k == JV_ARR) {
        struct jv *s = jv_new(JV_SET);
        for (size_t i = 0; i < set->n; i++) {
            jv_push(s, regorus_markers(set->kids[i]));
            set->kids[i] = NULL;
        }
        set->n = 0;
        jv_free(v);
        return s;
    }
    struct jv *obj = jv_get(v, "object!");
    if (obj != NULL && v->n == 1 && obj->k == JV_ARR) {
        struct jv *o = jv_new(JV_OBJ);
        for (size_t i = 0; i < obj->n; i++) {
            struct jv *k = jv_get(obj->kids[i], "key");
            struct jv *val = jv_get(obj->kids[i], "value");
            if (k == NULL || val == NULL) {
                continue;
            }
            struct jv *key;
            if (k->k == JV_STR) {
                key = jv_str(k->s, k->len);
            } else {
                struct ay_buf b;
                ay_buf_init(&b, NULL, 1 << 20);
                jv_write(k, &b);
                key = jv_str(b.ptr != NULL ? b.ptr : "", b.len);
                ay_buf_free(&b);
            }
            /* Steal the value from the marker tree. */
            for (size_t m = 0; m < obj->kids[i]->n; m++) {
                if (obj->kids[i]->kids[m] == val) {
                    obj->kids[i]->kids[m] = jv_new(JV_NULL);
                }
            }
            jv_put(o, key, regorus_markers(val));
        }
        jv_free(v);
        return o;
    }
    for (size_t i = 0; i < v->n; i++) {
        v->kids[i] = regorus_markers(v->kids[i]);
    }
    return v;
}

/* ---------------------------------------------------------------- case ids and loading */

static void add_group(const char *path, const char *dir, const char *relname)
{
    R.groups = ay_xrealloc(R.groups, (R.ngroups + 1) * sizeof *R.groups);
    struct group *g = &R.groups[R.ngroups++];
    memset(g, 0, sizeof *g);
    g->path = ay_xstrdup(path);
    g->dir = ay_xstrdup(dir);
    g->relname = ay_xstrdup(relname);
    g->first = R.ncases;
}

static struct tcase *add_case(const char *id, const char *folder)
{
    R.cases = ay_xrealloc(R.cases, (R.ncases + 1) * sizeof *R.cases);
    struct tcase *c = &R.cases[R.ncases++];
    memset(c, 0, sizeof *c);
    c->id = ay_xstrdup(id);
    c->folder = ay_xstrdup(folder);
    c->group = R.ngroups - 1;
    R.groups[R.ngroups - 1].count++;
    return c;
}

/* One YAML file of cases ("cases:" list). Duplicate notes get "@2", "@3"... */
static void load_case_file(const char *path, const char *dir, const char *rel, const char *folder)
{
    char msg[256];
    struct jv *doc = load_yaml(path, msg, sizeof msg);
    struct jv *list = jv_get(doc, "cases");
    add_group(path, dir, rel);
    if (list == NULL || list->k != JV_ARR) {
        char *id = xprintf("%s#<load>", rel);
        struct tcase *c = add_case(id, folder);
        ay_free(id);
        c->st = ST_ERROR;
        c->reason = xprintf("harness: %s", doc == NULL ? msg : "no cases list");
        jv_free(doc);
        return;
    }
    /* Ids first (the duplicate count looks back at earlier notes), then move the specs. */
    char **ids = ay_xcalloc(list->n + 1, sizeof *ids);
    for (size_t i = 0; i < list->n; i++) {
        struct jv *note = jv_get(list->kids[i], "note");
        const char *ns = note != NULL && note->k == JV_STR ? note->s : "?";
        size_t dup = 1;
        for (size_t k = 0; k < i; k++) {
            struct jv *o = jv_get(list->kids[k], "note");
            if (o != NULL && o->k == JV_STR && strcmp(o->s, ns) == 0) {
                dup++;
            }
        }
        ids[i] = dup > 1 ? xprintf("%s#%s@%zu", rel, ns, dup) : xprintf("%s#%s", rel, ns);
    }
    for (size_t i = 0; i < list->n; i++) {
        struct tcase *c = add_case(ids[i], folder);
        ay_free(ids[i]);
        c->spec = list->kids[i];
        list->kids[i] = NULL;
    }
    ay_free(ids);
    list->n = 0;
    jv_free(doc);
}

static void load_tree(const char *base, const char *rel, const char *folder, int depth)
{
    char *path = rel[0] != '\0' ? xprintf("%s/%s", base, rel) : ay_xstrdup(base);
    size_t n;
    char **ents = list_dir(path, &n);
    for (size_t i = 0; i < n; i++) {
        char *sub = rel[0] != '\0' ? xprintf("%s/%s", rel, ents[i]) : ay_xstrdup(ents[i]);
        char *full = xprintf("%s/%s", base, sub);
        if (is_dir(full)) {
            if (depth < 8) {
                load_tree(base, sub, folder[0] != '\0' ? folder : ents[i], depth + 1);
            }
        } else {
            size_t l = strlen(ents[i]);
            bool yaml = (l > 5 && strcmp(ents[i] + l - 5, ".yaml") == 0) ||
                        (l > 4 && strcmp(ents[i] + l - 4, ".yml") == 0);
            if (yaml) {
                load_case_file(full, path, sub, folder[0] != '\0' ? folder : ".");
            }
        }
        ay_free(full);
        ay_free(sub);
    }
    free_list(ents, n);
    ay_free(path);
}

/* Kata: each non-empty line of inputs.txt is `["ep":"<Rule>",{...}],` (REGO.md §1.3). */
static void load_kata(const char *root)
{
    size_t n;
    char **ents = list_dir(root, &n);
    for (size_t i = 0; i < n; i++) {
        char *dir = xprintf("%s/%s", root, ents[i]);
        char *pol = xprintf("%s/policy.rego", dir);
        char *inp = xprintf("%s/inputs.txt", dir);
        char *outp = xprintf("%s/outputs.json", dir);
        char *prp = xprintf("%s/prints.json", dir);
        size_t li;
        size_t lo;
        size_t lp;
        char *itext = is_dir(dir) ? read_file(inp, &li) : NULL;
        char *otext = itext != NULL ? read_file(outp, &lo) : NULL;
        char *ptext = itext != NULL ? read_file(prp, &lp) : NULL;
        if (itext != NULL) {
            char msg[256];
            struct jv *outs = otext != NULL ? jv_parse(otext, lo, msg, sizeof msg) : NULL;
            struct jv *prs = ptext != NULL ? jv_parse(ptext, lp, msg, sizeof msg) : NULL;
            add_group(pol, dir, ents[i]);
            size_t idx = 0;
            char *save = NULL;
            for (char *line = strtok_r(itext, "\n", &save); line != NULL;
                 line = strtok_r(NULL, "\n", &save)) {
                while (*line == ' ' || *line == '\t' || *line == '\r') {
                    line++;
                }
                size_t ll = strlen(line);
                while (ll > 0 && (line[ll - 1] == '\r' || line[ll - 1] == ' ')) {
                    line[--ll] = '\0';
                }
                if (ll == 0) {
                    continue;
                }
                if (line[ll - 1] == ',') {
                    line[--ll] = '\0';
                }
                char *ep = strstr(line, "\"ep\":");
                if (ep != NULL) {
                    memmove(ep, ep + 5, strlen(ep + 5) + 1);
                }
                char *id = xprintf("%s#%zu", ents[i], idx);
                struct tcase *c = add_case(id, ents[i]);
                ay_free(id);
                c->spec = jv_parse(line, strlen(line), msg, sizeof msg);
                if (c->spec == NULL || c->spec->k != JV_ARR || c->spec->n != 2 ||
                    c->spec->kids[0]->k != JV_STR) {
                    c->st = ST_ERROR;
                    c->reason = xprintf("harness: bad inputs.txt line %zu", idx);
                }
                if (outs != NULL && outs->k == JV_ARR && idx < outs->n) {
                    c->want = outs->kids[idx];
                    outs->kids[idx] = jv_new(JV_NULL);
                }
                if (prs != NULL && prs->k == JV_ARR && idx < prs->n) {
                    c->prints = prs->kids[idx];
                    prs->kids[idx] = jv_new(JV_NULL);
                }
                if (c->want == NULL && c->st == ST_PENDING) {
                    c->st = ST_ERROR;
                    c->reason = xprintf("harness: no outputs.json entry %zu", idx);
                }
                idx++;
            }
            jv_free(outs);
            jv_free(prs);
        }
        ay_free(itext);
        ay_free(otext);
        ay_free(ptext);
        ay_free(dir);
        ay_free(pol);
        ay_free(inp);
        ay_free(outp);
        ay_free(prp);
    }
    free_list(ents, n);
}

/* ---------------------------------------------------------------- evaluation helpers */

struct prints {
    char **line;
    size_t n;
};

static void on_print(void *arg, const char *text, size_t len)
{
    struct prints *p = arg;
    p->line = ay_xrealloc(p->line, (p->n + 1) * sizeof *p->line);
    p->line[p->n++] = ay_xstrndup(text, len);
}

static char *json_of(const struct jv *v)
{
    struct ay_buf b;
    ay_buf_init(&b, NULL, (size_t)256 << 20);
    jv_write(v, &b);
    char *s = ay_xstrdup(b.ptr != NULL ? b.ptr : "null");
    ay_buf_free(&b);
    return s;
}

static bool str_is(const struct jv *v)
{
    return v != NULL && v->k == JV_STR;
}

static bool truthy(const struct jv *v)
{
    return v != NULL && v->k == JV_BOOL && v->b;
}

struct outcome {
    enum status st;
    char *reason;
};

static void set_out(struct outcome *o, enum status st, const char *fmt, ...) AY_PRINTF(3, 4);
static void set_out(struct outcome *o, enum status st, const char *fmt, ...)
{
    o->st = st;
    ay_free(o->reason);
    o->reason = NULL;
    if (fmt != NULL) {
        char tmp[600];
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(tmp, sizeof tmp, fmt, ap);
        va_end(ap);
        for (char *q = tmp; *q != '\0'; q++) {
            if (*q == '\n' || *q == '\t' || *q == '\r') {
                *q = ' ';
            }
        }
        o->reason = ay_xstrdup(tmp);
    }
}

struct modset {
    struct ay_rego_module_src *m;
    char **names;
    char **texts;
    size_t n;
};

static void modset_add(struct modset *ms, char *name, char *text, size_t len)
{
    ms->m = ay_xrealloc(ms->m, (ms->n + 1) * sizeof *ms->m);
    ms->names = ay_xrealloc(ms->names, (ms->n + 1) * sizeof *ms->names);
    ms->texts = ay_xrealloc(ms->texts, (ms->n + 1) * sizeof *ms->texts);
    ms->names[ms->n] = name;
    ms->texts[ms->n] = text;
    ms->m[ms->n] = (struct ay_rego_module_src){.name = name, .text = text, .len = len};
    ms->n++;
}

static void modset_free(struct modset *ms)
{
    for (size_t i = 0; i < ms->n; i++) {
        ay_free(ms->names[i]);
        ay_free(ms->texts[i]);
    }
    ay_free(ms->m);
    ay_free(ms->names);
    ay_free(ms->texts);
    memset(ms, 0, sizeof *ms);
}

/* Does the error message meet OPA's strict expectation (code and message substring)? */
static bool error_matches(const struct jv *spec, const char *msg)
{
    if (R.lenient) {
        return true;
    }
    struct jv *code = jv_get(spec, "want_error_code");
    struct jv *want = jv_get(spec, "want_error");
    struct jv *rerr = jv_get(spec, "error");
    if (str_is(code) && strstr(msg, code->s) == NULL) {
        return false;
    }
    if (str_is(want) && strstr(msg, want->s) == NULL) {
        return false;
    }
    if (str_is(rerr) && strstr(msg, rerr->s) == NULL) {
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- OPA case */

static struct jv *bindings_of(const struct jv *result, bool sort)
{
    struct jv *b = jv_get(result, "bindings");
    struct jv *o = jv_new(JV_OBJ);
    if (b == NULL || b->k != JV_OBJ) {
        return o;
    }
    for (size_t i = 0; i < b->n; i++) {
        const char *k = b->keys[i]->s;
        /* Generated variables are not part of the expectation (OPA's harness drops them). */
        if (strncmp(k, "__", 2) == 0 || k[0] == '$') {
            continue;
        }
        struct jv *v = b->kids[i];
        b->kids[i] = jv_new(JV_NULL);
        if (sort) {
            jv_sort(v);
        }
        jv_put(o, jv_str(k, strlen(k)), v);
    }
    return o;
}

/* Compares an OPA-style result set with the case's want_result. */
static void compare_opa(const struct jv *spec, const struct ay_buf *rb, bool want_err, bool sortb,
                        struct outcome *out)
{
    bool aci = R.suite == S_ACI;
    if (want_err) {
        struct jv *code = jv_get(spec, "want_error_code");
        set_out(out, ST_FAIL, "expected error %s, got a result",
                str_is(code) ? code->s : "(any)");
        return;
    }
    char msg[256];
    struct jv *rs = jv_parse(rb->ptr != NULL ? rb->ptr : "", rb->len, msg, sizeof msg);
    if (rs == NULL || rs->k != JV_ARR) {
        set_out(out, ST_ERROR, "harness: result set is not a JSON array: %s", msg);
        jv_free(rs);
        return;
    }
    struct jv *want = jv_get(spec, "want_result");
    if (want == NULL && !aci) {
        /* No expectation beyond "evaluates without error" (OPA's harness). */
        set_out(out, ST_PASS, NULL);
        jv_free(rs);
        return;
    }
    struct jv *got = jv_new(JV_ARR);
    for (size_t i = 0; i < rs->n; i++) {
        jv_push(got, bindings_of(rs->kids[i], sortb));
    }
    bool ok;
    if (aci) {
        /* ACI: want_result is [{x: value}] for the query's value (regorus's aci harness). */
        struct jv *w = want != NULL && want->k == JV_ARR && want->n == 1 ? jv_get(want->kids[0], "x")
                                                                          : NULL;
        struct jv *e = rs->n > 0 ? jv_get(rs->kids[rs->n - 1], "expressions") : NULL;
        struct jv *v = e != NULL && e->k == JV_ARR && e->n > 0 ? jv_get(e->kids[e->n - 1], "value")
                                                                : NULL;
        ok = w != NULL && v != NULL && jv_match(w, v);
    } else {
        struct jv *w = jv_new(JV_ARR);
        for (size_t i = 0; want != NULL && want->k == JV_ARR && i < want->n; i++) {
            struct jv *e = want->kids[i];
            if (sortb && e->k == JV_OBJ) {
                for (size_t k = 0; k < e->n; k++) {
                    jv_sort(e->kids[k]);
                }
            }
            jv_push(w, e);
        }
        /* The result set is compared ignoring order. */
        struct jv tmpw = *w;
        tmpw.k = JV_SET;
        ok = jv_match(&tmpw, got);
        w->n = 0; /* borrowed items */
        jv_free(w);
    }
    if (ok) {
        set_out(out, ST_PASS, NULL);
    } else {
        char *wj = want != NULL ? json_of(want) : ay_xstrdup("(none)");
        char *gj = json_of(got);
        set_out(out, ST_FAIL, "wrong result: want %.200s got %.200s", wj, gj);
        ay_free(wj);
        ay_free(gj);
    }
    jv_free(got);
    jv_free(rs);
}

static void run_opa_case(const struct tcase *c, const struct group *g, struct outcome *out)
{
    const struct jv *spec = c->spec;
    bool aci = R.suite == S_ACI;
    bool want_err = jv_get(spec, "want_error_code") != NULL || jv_get(spec, "want_error") != NULL;
    bool sortb = truthy(jv_get(spec, "sort_bindings"));
    struct jv *mods = jv_get(spec, "modules");
    struct jv *query = jv_get(spec, "query");
    if (!str_is(query)) {
        set_out(out, ST_ERROR, "harness: no query");
        return;
    }
    struct modset ms = {0};
    for (size_t i = 0; mods != NULL && mods->k == JV_ARR && i < mods->n; i++) {
        if (!str_is(mods->kids[i])) {
            continue;
        }
        if (aci && strchr(mods->kids[i]->s, '\n') == NULL) {
            /* ACI cases name module files beside aci.yaml (or give the text inline) */
            char *p = xprintf("%s/%s", g->dir, mods->kids[i]->s);
            size_t len;
            char *text = read_file(p, &len);
            if (text == NULL) {
                set_out(out, ST_ERROR, "harness: cannot read %s", p);
                ay_free(p);
                modset_free(&ms);
                return;
            }
            modset_add(&ms, p, text, len);
        } else {
            modset_add(&ms, xprintf("test-%zu.rego", i),
                       ay_xstrndup(mods->kids[i]->s, mods->kids[i]->len), mods->kids[i]->len);
        }
    }
    /* OPA's v1 suite is v1; the ACI policy is v0 (future.keywords imports), as regorus runs it. */
    bool v1 = !aci;
    for (size_t i = 0; i < ms.n; i++) {
        v1 = v1 || strstr(ms.texts[i], "import rego.v1") != NULL;
    }
    struct ay_rego_compile_opts copts = {.syntax = v1 ? AY_REGO_V1 : AY_REGO_V0, .host = NULL};
    struct ay_rego_policy *pol = NULL;
    struct ay_diag diag;
    ay_diag_clear(&diag);
    ay_err err = ay_rego_compile(ms.m, ms.n, &copts, &diag, &pol);
    if (err != AY_OK) {
        const char *m = ay_diag_message(&diag);
        if (want_err && error_matches(spec, m)) {
            set_out(out, ST_PASS, NULL);
        } else if (want_err) {
            set_out(out, ST_FAIL, "wrong error: compile: %s", m);
        } else {
            set_out(out, ST_ERROR, "compile: %s", m);
        }
        modset_free(&ms);
        return;
    }
    char *q;
    struct jv *iterm = jv_get(spec, "input_term");
    if (str_is(iterm)) {
        /* input_term is a Rego term (sets, non-JSON values): evaluate it as the input expression.
         * The suite's input_term queries are single expressions, so `with` covers the query. */
        if (strchr(query->s, '\n') != NULL || strchr(query->s, ';') != NULL) {
            set_out(out, ST_ERROR, "harness: input_term with a multi-expression query");
            ay_rego_policy_release(pol);
            modset_free(&ms);
            return;
        }
        q = xprintf("%s with input as %s", query->s, iterm->s);
    } else {
        q = ay_xstrdup(query->s);
    }
    struct jv *data = jv_get(spec, "data");
    struct jv *input = jv_get(spec, "input");
    char *dj = data != NULL ? json_of(data) : NULL;
    char *ij = input != NULL && !str_is(iterm) ? json_of(input) : NULL;
    struct ay_rego_eval_opts eo = {
        .input_json = ij,
        .input_len = ij != NULL ? strlen(ij) : 0,
        .data_json = dj,
        .data_len = dj != NULL ? strlen(dj) : 0,
        .max_steps = R.max_steps,
        .strict_builtin_errors = truthy(jv_get(spec, "strict_error")),
    };
    struct ay_buf rb;
    ay_buf_init(&rb, NULL, (size_t)256 << 20);
    ay_diag_clear(&diag);
    err = ay_rego_eval_query(pol, q, &eo, &rb, &diag);
    if (err != AY_OK) {
        const char *m = ay_diag_message(&diag);
        if (want_err && error_matches(spec, m)) {
            set_out(out, ST_PASS, NULL);
        } else if (want_err) {
            set_out(out, ST_FAIL, "wrong error: %s", m);
        } else {
            set_out(out, ST_ERROR, "eval: %s", m);
        }
        goto done;
    }
    compare_opa(spec, &rb, want_err, sortb, out);
done:
    ay_buf_free(&rb);
    ay_free(q);
    ay_free(dj);
    ay_free(ij);
    ay_rego_policy_release(pol);
    modset_free(&ms);
}

/* ---------------------------------------------------------------- regorus case */

/* regorus's harness: the last result's bindings when not empty, else its last expression. */
static struct jv *regorus_value(struct jv *rs)
{
    if (rs->n == 0) {
        return NULL;
    }
    struct jv *r = rs->kids[rs->n - 1];
    struct jv *b = jv_get(r, "bindings");
    if (b != NULL && b->k == JV_OBJ && b->n > 0) {
        return b;
    }
    struct jv *e = jv_get(r, "expressions");
    if (e != NULL && e->k == JV_ARR && e->n > 0) {
        return jv_get(e->kids[e->n - 1], "value");
    }
    return NULL;
}

/* Compares print lines; on a mismatch writes which line differs into why. */
static bool prints_match(const struct jv *want, const struct prints *got, char *why, size_t whylen)
{
    if (want == NULL || want->k != JV_ARR) {
        return true;
    }
    for (size_t i = 0; i < want->n || i < got->n; i++) {
        const char *w = i < want->n && str_is(want->kids[i]) ? want->kids[i]->s : "(none)";
        const char *g = i < got->n ? got->line[i] : "(none)";
        if (strcmp(w, g) == 0) {
            continue;
        }
        /* Accept the line without its "file:line: " location prefix. */
        const char *p = strstr(w, ": ");
        if (p != NULL && strcmp(p + 2, g) == 0) {
            continue;
        }
        (void)snprintf(why, whylen, "line %zu of %zu: want '%.80s' got '%.80s'", i + 1, want->n,
                       w, g);
        return false;
    }
    return true;
}

static void prints_free(struct prints *p)
{
    for (size_t i = 0; i < p->n; i++) {
        ay_free(p->line[i]);
    }
    ay_free(p->line);
    memset(p, 0, sizeof *p);
}

static void run_regorus_case(const struct tcase *c, const struct group *g, struct outcome *out)
{
    const struct jv *spec = c->spec;
    static const char *const unsupported[] = {"execution_timer", "time_source",
                                              "want_inferred_resource_types", "target", "limits",
                                              "memory_limit"};
    if (truthy(jv_get(spec, "skip"))) {
        set_out(out, ST_SKIP, "skip: true");
        return;
    }
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        if (jv_get(spec, unsupported[i]) != NULL) {
            set_out(out, ST_SKIP, "regorus-specific key %s", unsupported[i]);
            return;
        }
    }
    struct jv *mods = jv_get(spec, "modules");
    struct jv *query = jv_get(spec, "query");
    if (!str_is(query)) {
        set_out(out, ST_ERROR, "harness: no query");
        return;
    }
    bool v1 = strstr(g->relname, "binding/bindings.yaml") != NULL;
    struct modset ms = {0};
    for (size_t i = 0; mods != NULL && mods->k == JV_ARR && i < mods->n; i++) {
        if (str_is(mods->kids[i])) {
            if (strstr(mods->kids[i]->s, "import rego.v1") != NULL) {
                v1 = true; /* regorus parses modules that import rego.v1 as v1 */
            }
            modset_add(&ms, xprintf("rego_%zu", i),
                       ay_xstrndup(mods->kids[i]->s, mods->kids[i]->len), mods->kids[i]->len);
        }
    }
    bool want_err = jv_get(spec, "error") != NULL;
    struct jv *strict = jv_get(spec, "strict");
    struct ay_rego_compile_opts copts = {.syntax = v1 ? AY_REGO_V1 : AY_REGO_V0, .host = NULL};
    struct ay_rego_policy *pol = NULL;
    struct ay_diag diag;
    ay_diag_clear(&diag);
    ay_err err = ay_rego_compile(ms.m, ms.n, &copts, &diag, &pol);
    if (err != AY_OK) {
        const char *m = ay_diag_message(&diag);
        if (want_err && error_matches(spec, m)) {
            set_out(out, ST_PASS, NULL);
        } else if (want_err) {
            set_out(out, ST_FAIL, "wrong error: compile: %s", m);
        } else {
            set_out(out, ST_ERROR, "compile: %s", m);
        }
        modset_free(&ms);
        return;
    }
    struct jv *data = jv_get(spec, "data");
    struct jv *input = jv_get(spec, "input");
    struct jv *many = jv_get(input, "many!");
    size_t ninputs = many != NULL && many->k == JV_ARR ? many->n : 1;
    char *dj = data != NULL ? json_of(data) : NULL;
    struct jv *got = jv_new(JV_ARR);
    struct prints pr = {0};
    struct jv *wr = jv_get(spec, "want_result");
    /* "#undefined" is regorus's spelling of "no result" in some files. */
    bool no_result = truthy(jv_get(spec, "no_result")) ||
                     (str_is(wr) && strcmp(wr->s, "#undefined") == 0);
    bool failed = false;
    for (size_t k = 0; k < ninputs && !failed; k++) {
        struct jv *in = many != NULL ? many->kids[k] : input;
        char *ij = in != NULL ? json_of(in) : NULL;
        struct ay_rego_eval_opts eo = {
            .input_json = ij,
            .input_len = ij != NULL ? strlen(ij) : 0,
            .data_json = dj,
            .data_len = dj != NULL ? strlen(dj) : 0,
            .max_steps = R.max_steps,
            .print = on_print,
            .print_arg = &pr,
            /* regorus's engine is strict by default */
            .strict_builtin_errors = strict == NULL || truthy(strict),
        };
        struct ay_buf rb;
        ay_buf_init(&rb, NULL, (size_t)256 << 20);
        ay_diag_clear(&diag);
        err = ay_rego_eval_query(pol, query->s, &eo, &rb, &diag);
        ay_free(ij);
        if (err != AY_OK) {
            const char *m = ay_diag_message(&diag);
            if (want_err && error_matches(spec, m)) {
                set_out(out, ST_PASS, NULL);
            } else if (want_err) {
                set_out(out, ST_FAIL, "wrong error: %s", m);
            } else {
                set_out(out, ST_ERROR, "eval: %s", m);
            }
            failed = true;
            ay_buf_free(&rb);
            break;
        }
        char msg[256];
        struct jv *rs = jv_parse(rb.ptr != NULL ? rb.ptr : "", rb.len, msg, sizeof msg);
        ay_buf_free(&rb);
        if (rs == NULL || rs->k != JV_ARR) {
            set_out(out, ST_ERROR, "harness: result set is not a JSON array: %s", msg);
            jv_free(rs);
            failed = true;
            break;
        }
        struct jv *v = regorus_value(rs);
        if (v == NULL) {
            jv_push(got, jv_new(JV_NULL));
            got->kids[got->n - 1]->k = JV_NULL;
            got->kids[got->n - 1]->b = true; /* marks "undefined" */
        } else {
            /* Move v out of rs. */
            struct jv *copy = NULL;
            char *t = json_of(v);
            copy = jv_parse(t, strlen(t), msg, sizeof msg);
            ay_free(t);
            jv_push(got, copy != NULL ? copy : jv_new(JV_NULL));
        }
        jv_free(rs);
    }
    if (!failed) {
        if (want_err) {
            set_out(out, ST_FAIL, "expected error '%s', got a result",
                    str_is(jv_get(spec, "error")) ? jv_get(spec, "error")->s : "");
        } else if (no_result) {
            bool undef = true;
            for (size_t i = 0; i < got->n; i++) {
                undef = undef && got->kids[i]->k == JV_NULL && got->kids[i]->b;
            }
            if (undef) {
                set_out(out, ST_PASS, NULL);
            } else {
                set_out(out, ST_FAIL, "wrong result: want no result");
            }
        } else {
            struct jv *want = jv_get(spec, "want_result");
            bool ok = false;
            if (want != NULL) {
                char *t = json_of(want);
                char msg[256];
                struct jv *wc = jv_parse(t, strlen(t), msg, sizeof msg);
                ay_free(t);
                wc = wc != NULL ? regorus_markers(wc) : NULL;
                struct jv *wm = wc != NULL ? jv_get(wc, "many!") : NULL;
                if (wc != NULL && many == NULL) {
                    ok = got->n == 1 && !(got->kids[0]->k == JV_NULL && got->kids[0]->b) &&
                         jv_match(wc, got->kids[0]);
                } else if (wm != NULL) {
                    ok = jv_match(wm, got);
                }
                if (!ok) {
                    char *wj = json_of(want);
                    char *gj = json_of(got);
                    set_out(out, ST_FAIL, "wrong result: want %.200s got %.200s", wj, gj);
                    ay_free(wj);
                    ay_free(gj);
                }
                jv_free(wc);
            } else {
                ok = true; /* nothing to compare but it evaluated */
            }
            char why[300];
            if (ok && !prints_match(jv_get(spec, "want_prints"), &pr, why, sizeof why)) {
                set_out(out, ST_FAIL, "wrong print output: %s", why);
            } else if (ok) {
                set_out(out, ST_PASS, NULL);
            }
        }
    }
    prints_free(&pr);
    jv_free(got);
    ay_free(dj);
    ay_rego_policy_release(pol);
    modset_free(&ms);
}

/* ---------------------------------------------------------------- Kata case */

struct kata_ctx {
    struct ay_rego_policy *pol;
    char *compile_err;
    char *name; /* module name and text outlive the policy (the contract does not say) */
    char *text;
    bool tried;
};

static void kata_ctx_free(struct kata_ctx *k)
{
    if (k->pol != NULL) {
        ay_rego_policy_release(k->pol);
    }
    ay_free(k->compile_err);
    ay_free(k->name);
    ay_free(k->text);
    memset(k, 0, sizeof *k);
}

static void run_kata_case(const struct tcase *c, const struct group *g, struct kata_ctx *k,
                          struct outcome *out)
{
    if (!k->tried) {
        k->tried = true;
        size_t len;
        char *text = read_file(g->path, &len);
        k->text = text;
        if (text == NULL) {
            k->compile_err = xprintf("harness: cannot read %s", g->path);
        } else {
            /* The name regorus's prints carry (tests/kata/data/<name>/policy.rego). */
            char *name = xprintf("tests/kata/data/%s/policy.rego", g->relname);
            k->name = name;
            struct ay_rego_module_src m = {.name = name, .text = text, .len = len};
            struct ay_rego_compile_opts copts = {.syntax = AY_REGO_V0, .host = NULL};
            struct ay_diag diag;
            ay_diag_clear(&diag);
            if (ay_rego_compile(&m, 1, &copts, &diag, &k->pol) != AY_OK) {
                k->compile_err = xprintf("compile: %s", ay_diag_message(&diag));
                k->pol = NULL;
            }
        }
    }
    if (k->pol == NULL) {
        set_out(out, ST_ERROR, "%s", k->compile_err != NULL ? k->compile_err : "compile failed");
        return;
    }
    const struct jv *spec = c->spec;
    char *path = xprintf("data.agent_policy.%s", spec->kids[0]->s);
    char *ij = json_of(spec->kids[1]);
    struct prints pr = {0};
    struct ay_rego_eval_opts eo = {
        .input_json = ij,
        .input_len = strlen(ij),
        .max_steps = R.max_steps,
        .print = on_print,
        .print_arg = &pr,
        .strict_builtin_errors = false,
    };
    struct ay_buf rb;
    ay_buf_init(&rb, NULL, (size_t)256 << 20);
    struct ay_diag diag;
    ay_diag_clear(&diag);
    bool defined = false;
    char why[300];
    ay_err err = ay_rego_eval_rule(k->pol, path, &eo, &rb, &defined, &diag);
    if (err != AY_OK) {
        set_out(out, ST_ERROR, "eval: %s", ay_diag_message(&diag));
    } else if (!defined) {
        set_out(out, ST_FAIL, "wrong result: %s undefined", path);
    } else {
        char msg[256];
        struct jv *v = jv_parse(rb.ptr != NULL ? rb.ptr : "", rb.len, msg, sizeof msg);
        if (v == NULL) {
            set_out(out, ST_ERROR, "harness: rule value is not JSON: %s", msg);
        } else if (!jv_match(c->want, v)) {
            char *gj = json_of(v);
            char *wj = json_of(c->want);
            set_out(out, ST_FAIL, "wrong result: want %.100s got %.100s", wj, gj);
            ay_free(gj);
            ay_free(wj);
        } else if (!prints_match(c->prints, &pr, why, sizeof why)) {
            set_out(out, ST_FAIL, "wrong print output: %s", why);
        } else {
            set_out(out, ST_PASS, NULL);
        }
        jv_free(v);
    }
    prints_free(&pr);
    ay_buf_free(&rb);
    ay_free(ij);
    ay_free(path);
}

/* ---------------------------------------------------------------- fork-isolated groups */

static void run_one(size_t ci, struct kata_ctx *kc, struct outcome *o)
{
    const struct tcase *c = &R.cases[ci];
    const struct group *g = &R.groups[c->group];
    switch (R.suite) {
    case S_OPA:
    case S_ACI: run_opa_case(c, g, o); break;
    case S_REGORUS: run_regorus_case(c, g, o); break;
    case S_KATA: run_kata_case(c, g, kc, o); break;
    }
}

static bool selected(const struct tcase *c)
{
    return R.filter == NULL || strstr(c->id, R.filter) != NULL;
}

/* Runs case i in this process; the Kata context follows the group (one compiled policy each). */
static void run_here(size_t i, struct kata_ctx *kc, size_t *kc_group, struct outcome *o)
{
    if (R.cases[i].group != *kc_group) {
        kata_ctx_free(kc);
        *kc_group = R.cases[i].group;
    }
    if (R.fork) { /* in process, a hang is the debugger's business */
        alarm(R.timeout);
    }
    run_one(i, kc, o);
    if (R.fork) {
        alarm(0);
    }
}

static bool runnable(size_t i)
{
    return R.cases[i].st == ST_PENDING && selected(&R.cases[i]);
}

/* The child: runs cases [from, end) and writes "index status reason\n" per case. */
static void child_main(size_t from, size_t end, int fd)
{
    if (!R.verbose) {
        int nul = open("/dev/null", O_WRONLY);
        if (nul >= 0) {
            (void)dup2(nul, STDERR_FILENO);
            (void)close(nul);
        }
    }
    FILE *w = fdopen(fd, "w");
    if (w == NULL) {
        _exit(3);
    }
    struct kata_ctx kc = {0};
    size_t kc_group = SIZE_MAX;
    for (size_t i = from; i < end; i++) {
        if (!runnable(i)) { /* pre-set harness errors keep their status */
            continue;
        }
        struct outcome o = {.st = ST_ERROR};
        double t0 = mono_s();
        run_here(i, &kc, &kc_group, &o);
        (void)fprintf(w, "%zu %d %.4f %s\n", i, (int)o.st, mono_s() - t0,
                      o.reason != NULL ? o.reason : "");
        (void)fflush(w);
        ay_free(o.reason);
    }
    (void)fclose(w);
    /* _exit: the engine's state is not torn down case by case in the child. */
    _exit(0);
}

/* Runs cases [from, end) in forked children (one per folder: fork is slow under ASan); a child
 * that dies is replaced, starting after the case it died on. */
static void run_range(size_t from, size_t end)
{
    if (!R.fork) {
        struct kata_ctx kc = {0};
        size_t kc_group = SIZE_MAX;
        for (size_t i = from; i < end; i++) {
            if (!runnable(i)) {
                continue;
            }
            struct outcome o = {.st = ST_ERROR};
            double t0 = mono_s();
            run_here(i, &kc, &kc_group, &o);
            R.cases[i].secs = mono_s() - t0;
            R.cases[i].st = o.st;
            R.cases[i].reason = o.reason;
        }
        kata_ctx_free(&kc);
        return;
    }
    while (from < end) {
        while (from < end && !runnable(from)) {
            from++;
        }
        if (from >= end) {
            return;
        }
        int p[2];
        if (pipe(p) != 0) {
            perror("pipe");
            exit(2);
        }
        (void)fflush(stdout);
        (void)fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            exit(2);
        }
        if (pid == 0) {
            (void)close(p[0]);
            child_main(from, end, p[1]);
        }
        (void)close(p[1]);
        FILE *r = fdopen(p[0], "r");
        char line[4096];
        while (r != NULL && fgets(line, sizeof line, r) != NULL) {
            char *e;
            size_t idx = (size_t)strtoull(line, &e, 10);
            int st = (int)strtol(e, &e, 10);
            double secs = strtod(e, &e);
            if (idx < from || idx >= end || R.cases[idx].st != ST_PENDING) {
                continue;
            }
            if (*e == ' ') {
                e++;
            }
            e[strcspn(e, "\n")] = '\0';
            R.cases[idx].st = (enum status)st;
            R.cases[idx].secs = secs;
            R.cases[idx].reason = st == ST_PASS ? NULL : ay_xstrdup(e);
        }
        if (r != NULL) {
            (void)fclose(r);
        }
        int ws = 0;
        (void)waitpid(pid, &ws, 0);
        /* The first case still pending is where the child died (or none: a clean exit). */
        size_t bad = from;
        while (bad < end && !runnable(bad)) {
            bad++;
        }
        if (bad >= end) {
            return;
        }
        R.cases[bad].st = ST_ERROR;
        if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGALRM) {
            R.cases[bad].reason = xprintf("timeout (%us)", R.timeout);
        } else if (WIFSIGNALED(ws)) {
            R.cases[bad].reason = xprintf("CRASH: signal %d", WTERMSIG(ws));
        } else {
            R.cases[bad].reason = xprintf("CRASH: exit %d (sanitizer?)",
                                          WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
        }
        (void)fprintf(stderr, "note: %s: %s\n", R.cases[bad].id, R.cases[bad].reason);
        from = bad + 1;
    }
}

/* ---------------------------------------------------------------- reporting */

struct reason_count {
    char *key;
    size_t n;
};

/* Groups messages: drop "file:line:col: " prefixes and cut at 70 characters. */
static char *reason_key(const char *r)
{
    const char *p = r;
    char head[32] = "";
    static const char *const kinds[] = {"compile: ", "eval: ", "wrong error: compile: ",
                                        "wrong error: "};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t l = strlen(kinds[i]);
        if (strncmp(p, kinds[i], l) == 0) {
            (void)snprintf(head, sizeof head, "%s", kinds[i]);
            p += l;
        }
    }
    for (;;) { /* strip location prefixes such as "test-0.rego:3:7: " */
        const char *sp = strchr(p, ' ');
        const char *colon = strchr(p, ':');
        if (colon == NULL || (sp != NULL && sp < colon)) {
            break;
        }
        const char *q = colon + 1;
        if (*q < '0' || *q > '9') {
            break;
        }
        while ((*q >= '0' && *q <= '9') || *q == ':') {
            q++;
        }
        if (*q != ' ') {
            break;
        }
        p = q + 1;
    }
    if (strncmp(r, "wrong print", 11) == 0) {
        return ay_xstrdup("wrong print output");
    }
    if (strncmp(r, "wrong result", 12) == 0) {
        return ay_xstrdup("wrong result");
    }
    if (strncmp(r, "expected error", 14) == 0) {
        return ay_xstrdup("expected an error, got a result");
    }
    return xprintf("%s%.70s", head, p);
}

static int rc_cmp(const void *a, const void *b)
{
    const struct reason_count *x = a;
    const struct reason_count *y = b;
    if (x->n != y->n) {
        return x->n > y->n ? -1 : 1;
    }
    return strcmp(x->key, y->key);
}

static void print_reasons(size_t top)
{
    struct reason_count *rc = NULL;
    size_t nrc = 0;
    for (size_t i = 0; i < R.ncases; i++) {
        const struct tcase *c = &R.cases[i];
        if ((c->st != ST_FAIL && c->st != ST_ERROR) || c->reason == NULL) {
            continue;
        }
        char *k = reason_key(c->reason);
        size_t j = 0;
        for (; j < nrc; j++) {
            if (strcmp(rc[j].key, k) == 0) {
                break;
            }
        }
        if (j == nrc) {
            rc = ay_xrealloc(rc, (nrc + 1) * sizeof *rc);
            rc[nrc++] = (struct reason_count){.key = k, .n = 0};
        } else {
            ay_free(k);
        }
        rc[j].n++;
    }
    if (nrc > 1) {
        qsort(rc, nrc, sizeof *rc, rc_cmp);
    }
    if (nrc > 0) {
        printf("\nMost common failure reasons:\n");
    }
    for (size_t j = 0; j < nrc; j++) {
        if (j < top) {
            printf("  %5zu  %s\n", rc[j].n, rc[j].key);
        }
        ay_free(rc[j].key);
    }
    ay_free(rc);
}

struct row {
    const char *folder;
    size_t cases, pass, fail, err, skip;
};

static void table(const char *title, const char *const *only, size_t nonly)
{
    struct row *rows = NULL;
    size_t nrows = 0;
    struct row tot = {.folder = "TOTAL"};
    for (size_t i = 0; i < R.ncases; i++) {
        const struct tcase *c = &R.cases[i];
        if (!selected(c)) {
            continue;
        }
        if (only != NULL) {
            bool in = false;
            for (size_t k = 0; k < nonly && !in; k++) {
                in = strcmp(only[k], c->folder) == 0;
            }
            if (!in) {
                continue;
            }
        }
        size_t j = 0;
        for (; j < nrows; j++) {
            if (strcmp(rows[j].folder, c->folder) == 0) {
                break;
            }
        }
        if (j == nrows) {
            rows = ay_xrealloc(rows, (nrows + 1) * sizeof *rows);
            rows[nrows++] = (struct row){.folder = c->folder};
        }
        struct row *rw[2] = {&rows[j], &tot};
        for (size_t k = 0; k < 2; k++) {
            rw[k]->cases++;
            rw[k]->pass += c->st == ST_PASS;
            rw[k]->fail += c->st == ST_FAIL;
            rw[k]->err += c->st == ST_ERROR;
            rw[k]->skip += c->st == ST_SKIP;
        }
    }
    if (only == NULL) {
        printf("%-34s %6s %6s %6s %7s %7s\n", title, "cases", "passed", "failed", "errored",
               "skipped");
        for (size_t j = 0; j < nrows; j++) {
            printf("%-34s %6zu %6zu %6zu %7zu %7zu\n", rows[j].folder, rows[j].cases, rows[j].pass,
                   rows[j].fail, rows[j].err, rows[j].skip);
        }
        printf("%-34s %6zu %6zu %6zu %7zu %7zu\n", "TOTAL", tot.cases, tot.pass, tot.fail, tot.err,
               tot.skip);
    } else {
        printf("%s: %zu folders, %zu cases, %zu passed, %zu failed, %zu errored\n", title, nrows,
               tot.cases, tot.pass, tot.fail, tot.err);
    }
    ay_free(rows);
}

/* The regorus-parity subset (REGO.md §1): OPA v1 folders listed in regorus/opa.passing. */
static void parity(void)
{
    char *p = xprintf("%s/../../regorus/opa.passing", R.root);
    size_t len;
    char *t = read_file(p, &len);
    ay_free(p);
    if (t == NULL) {
        return;
    }
    const char **names = NULL;
    size_t n = 0;
    char *save = NULL;
    for (char *l = strtok_r(t, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
        l[strcspn(l, "\r ")] = '\0';
        if (strncmp(l, "v1/", 3) == 0) {
            names = ay_xrealloc(names, (n + 1) * sizeof *names);
            names[n++] = l + 3;
        }
    }
    printf("\n");
    table("regorus-parity subset (opa.passing v1 folders)", names, n);
    ay_free(names);
    ay_free(t);
}

/* ---------------------------------------------------------------- must-pass */

static char **read_lines(const char *path, size_t *n, bool *exists)
{
    *n = 0;
    size_t len;
    char *t = read_file(path, &len);
    *exists = t != NULL;
    if (t == NULL) {
        return NULL;
    }
    char **v = NULL;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || t[i] == '\n') {
            size_t e = i;
            while (e > start && (t[e - 1] == '\r' || t[e - 1] == ' ')) {
                e--;
            }
            if (e > start && t[start] != '#') {
                v = ay_xrealloc(v, (*n + 1) * sizeof *v);
                v[(*n)++] = ay_xstrndup(t + start, e - start);
            }
            start = i + 1;
        }
    }
    ay_free(t);
    return v;
}

static int find_case(const char *id)
{
    for (size_t i = 0; i < R.ncases; i++) {
        if (strcmp(R.cases[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: rego_conformance --suite opa|regorus|kata|aci [--root DIR]\n"
            "         [--must-pass FILE] [--write-must-pass FILE [--intersect FILE]]\n"
            "         [--lenient] [--filter SUBSTR] [--no-fork] [--timeout SEC]\n"
            "         [--max-steps N] [--budget SEC] [--verbose] [--list-failures]\n"
            "         [--reasons N]\n"
            "The shared folder is $ASSAY_SHARED (skips with a note when absent).\n");
}

int main(int argc, char **argv)
{
    const char *suite = NULL;
    const char *root = NULL;
    const char *must = NULL;
    const char *write_must = NULL;
    const char *intersect = NULL;
    bool list_fail = false;
    size_t top = 25;
    R.fork = true;
    R.timeout = 10;
    R.budget = 400;
    R.max_steps = 0; /* the engine's AY_LIMIT_REGO_STEPS */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--suite") == 0 && next != NULL) {
            suite = argv[++i];
        } else if (strcmp(a, "--root") == 0 && next != NULL) {
            root = argv[++i];
        } else if (strcmp(a, "--must-pass") == 0 && next != NULL) {
            must = argv[++i];
        } else if (strcmp(a, "--write-must-pass") == 0 && next != NULL) {
            write_must = argv[++i];
        } else if (strcmp(a, "--intersect") == 0 && next != NULL) {
            intersect = argv[++i];
        } else if (strcmp(a, "--filter") == 0 && next != NULL) {
            R.filter = argv[++i];
        } else if (strcmp(a, "--timeout") == 0 && next != NULL) {
            R.timeout = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(a, "--budget") == 0 && next != NULL) {
            R.budget = strtod(argv[++i], NULL);
        } else if (strcmp(a, "--max-steps") == 0 && next != NULL) {
            R.max_steps = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(a, "--reasons") == 0 && next != NULL) {
            top = (size_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(a, "--lenient") == 0) {
            R.lenient = true;
        } else if (strcmp(a, "--no-fork") == 0) {
            R.fork = false;
        } else if (strcmp(a, "--verbose") == 0) {
            R.verbose = true;
        } else if (strcmp(a, "--list-failures") == 0) {
            list_fail = true;
        } else {
            usage();
            return 2;
        }
    }
    if (suite == NULL) {
        usage();
        return 2;
    }
    static const char *const names[] = {"opa", "regorus", "kata", "aci"};
    static const char *const subs[] = {"rego-conformance/opa-v1/v1",
                                       "rego-conformance/regorus/interpreter/cases",
                                       "rego-conformance/regorus/kata/data",
                                       "rego-conformance/regorus/aci"};
    size_t si = 0;
    while (si < 4 && strcmp(names[si], suite) != 0) {
        si++;
    }
    if (si == 4) {
        usage();
        return 2;
    }
    R.suite = (enum suite)si;
    char *rootbuf = NULL;
    if (root == NULL) {
        const char *sh = getenv("ASSAY_SHARED");
        if (sh == NULL || *sh == '\0' || !is_dir(sh)) {
            printf("SKIP: shared folder not found (set ASSAY_SHARED); rego %s suite not run\n",
                   suite);
            return 0;
        }
        rootbuf = xprintf("%s/%s", sh, subs[si]);
        root = rootbuf;
    }
    if (!is_dir(root)) {
        printf("SKIP: %s not found; rego %s suite not run\n", root, suite);
        ay_free(rootbuf);
        return 0;
    }
    R.root = root;
    /* A hung case is killed by its alarm; the child's SIGALRM must stay fatal. */
    (void)signal(SIGALRM, SIG_DFL);
    switch (R.suite) {
    case S_OPA: load_tree(root, "", "", 0); break;
    case S_REGORUS: load_tree(root, "", "", 0); break;
    case S_KATA: load_kata(root); break;
    case S_ACI: {
        char *p = xprintf("%s/aci.yaml", root);
        load_case_file(p, root, "aci.yaml", "aci");
        ay_free(p);
        break;
    }
    }
    /* A case id seen twice would make the must-pass list ambiguous. */
    {
        char **ids = ay_xcalloc(R.ncases + 1, sizeof *ids);
        for (size_t i = 0; i < R.ncases; i++) {
            ids[i] = R.cases[i].id;
        }
        if (R.ncases > 1) {
            qsort(ids, R.ncases, sizeof *ids, strp_cmp);
        }
        for (size_t i = 1; i < R.ncases; i++) {
            if (strcmp(ids[i - 1], ids[i]) == 0) {
                printf("note: duplicate case id %s\n", ids[i]);
            }
        }
        ay_free(ids);
    }
    bool exists = false;
    size_t nmust = 0;
    char **mustv = must != NULL ? read_lines(must, &nmust, &exists) : NULL;
    if (must != NULL && !exists) {
        printf("note: must-pass list %s not found; nothing is required\n", must);
    }
    for (size_t i = 0; i < nmust; i++) {
        int ci = find_case(mustv[i]);
        if (ci >= 0) {
            R.cases[ci].must = true;
        }
    }
    R.t_start = mono_s();
    for (size_t i = 0; i < R.ncases;) {
        size_t end = i + 1;
        while (end < R.ncases && strcmp(R.cases[end].folder, R.cases[i].folder) == 0) {
            end++;
        }
        if (mono_s() - R.t_start > R.budget) {
            /* Keep CI bounded when the engine is slow or hangs a lot. */
            for (size_t k = i; k < end; k++) {
                if (runnable(k)) {
                    R.cases[k].st = ST_ERROR;
                    R.cases[k].reason =
                        xprintf("not run: suite time budget (%.0fs) spent", R.budget);
                }
            }
        } else {
            run_range(i, end);
        }
        i = end;
    }
    for (size_t i = 0; i < R.ncases; i++) {
        if (R.cases[i].st == ST_PENDING && selected(&R.cases[i])) {
            R.cases[i].st = ST_ERROR;
            R.cases[i].reason = ay_xstrdup("harness: no result reported");
        }
    }
    printf("rego %s suite (%s)%s\n\n", suite, root, R.lenient ? " [lenient errors]" : "");
    table("folder", NULL, 0);
    if (R.suite == S_OPA) {
        parity();
    }
    print_reasons(top);
    size_t must_failed = 0;
    size_t must_missing = 0;
    for (size_t i = 0; i < nmust; i++) {
        int ci = find_case(mustv[i]);
        if (ci < 0) {
            must_missing++;
            printf("note: must-pass case not in the suite: %s\n", mustv[i]);
        } else if (R.cases[ci].st != ST_PASS && (R.filter == NULL || selected(&R.cases[ci]))) {
            must_failed++;
            printf("REGRESSION: %s: %s\n", mustv[i],
                   R.cases[ci].reason != NULL ? R.cases[ci].reason : "(not run)");
        }
    }
    if (list_fail) {
        printf("\nFailures:\n");
        for (size_t i = 0; i < R.ncases; i++) {
            const struct tcase *c = &R.cases[i];
            if ((c->st == ST_FAIL || c->st == ST_ERROR) && selected(c)) {
                printf("  %s: %s\n", c->id, c->reason != NULL ? c->reason : "");
            }
        }
    }
    if (write_must != NULL) {
        size_t nk = 0;
        bool kex = false;
        char **keep = intersect != NULL ? read_lines(intersect, &nk, &kex) : NULL;
        FILE *f = fopen(write_must, "w");
        if (f == NULL) {
            perror(write_must);
            return 2;
        }
        size_t written = 0;
        size_t slow = 0;
        for (size_t i = 0; i < R.ncases; i++) {
            if (R.cases[i].st != ST_PASS) {
                continue;
            }
            if (R.cases[i].secs > (double)R.timeout / 5) {
                slow++;
                printf("note: %s passes but took %.2fs: left out of the must-pass list\n",
                       R.cases[i].id, R.cases[i].secs);
                continue;
            }
            bool ok = intersect == NULL;
            for (size_t k = 0; k < nk && !ok; k++) {
                ok = strcmp(keep[k], R.cases[i].id) == 0;
            }
            if (ok) {
                (void)fprintf(f, "%s\n", R.cases[i].id);
                written++;
            }
        }
        (void)fclose(f);
        printf("wrote %zu must-pass ids to %s (%zu slow cases left out)\n", written, write_must,
               slow);
        free_list(keep, nk);
    }
    size_t passed = 0;
    size_t failed = 0;
    for (size_t i = 0; i < R.ncases; i++) {
        passed += R.cases[i].st == ST_PASS && selected(&R.cases[i]);
        failed += (R.cases[i].st == ST_FAIL || R.cases[i].st == ST_ERROR) && selected(&R.cases[i]);
    }
    printf("\nmust-pass: %zu listed, %zu regressed, %zu missing\n", nmust, must_failed,
           must_missing);
    /* Not the "N passed, N failed" shape: only must-pass cases decide this test. */
    printf("totals: %zu cases pass, %zu do not (only must-pass cases are enforced)\n", passed,
           failed);
    free_list(mustv, nmust);
    for (size_t i = 0; i < R.ncases; i++) {
        ay_free(R.cases[i].id);
        ay_free(R.cases[i].folder);
        ay_free(R.cases[i].reason);
        jv_free(R.cases[i].spec);
        jv_free(R.cases[i].want);
        jv_free(R.cases[i].prints);
    }
    ay_free(R.cases);
    for (size_t g = 0; g < R.ngroups; g++) {
        ay_free(R.groups[g].path);
        ay_free(R.groups[g].dir);
        ay_free(R.groups[g].relname);
    }
    ay_free(R.groups);
    ay_free(rootbuf);
    return must_failed > 0 ? 1 : 0;
}
