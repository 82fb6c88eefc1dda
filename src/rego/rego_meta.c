/* SPDX-License-Identifier: Apache-2.0 */
/* METADATA annotations: the YAML of a `# METADATA` block becomes OPA's annotations object
 * (scope, title, description, entrypoint, organizations, related_resources, authors, schemas,
 * custom; other keys are ignored as yaml.Unmarshal into OPA's struct ignores them), checked
 * against the statement it is attached to; at compile time every rule gets the values of
 * rego.metadata.chain() (its rule annotation, then document, package and subpackages ones,
 * innermost first) and rego.metadata.rule(), as OPA computes them when it rewrites those calls
 * (compiler rewriteRegoMetadataCalls). */
#include "rego/rego_meta.h"

#include <stdint.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_limits.h"
#include "base/base_str.h"
#include "rego/rego_bi_util.h"
#include "rego/rego_builtin.h"
#include "rego/rego_int.h"
#include "rego/rego_value.h"

/* ---- one block ---- */

struct mp {
    struct ay_arena *a;
    const char *name;
    const struct ay_rego_meta_block *blk;
    struct ay_diag *diag;
};

static ay_err mfail_at(const struct mp *m, uint32_t line, uint32_t col, const char *what,
                       const char *arg)
{
    return FAIL(m->diag, AY_ERR_POLICY_COMPILE, "%s:%u:%u: rego_parse_error: %s%s", m->name, line,
                col, what, arg);
}

static ay_err mfail(const struct mp *m, const char *what, const char *arg)
{
    return mfail_at(m, m->blk->line, m->blk->col, what, arg);
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A copy of s[0..n) without leading and trailing whitespace (Go's strings.TrimSpace). */
static ay_err trimmed(const struct mp *m, const char *s, size_t n, struct ay_val *out)
{
    while (n > 0 && is_ws(s[0])) {
        s++;
        n--;
    }
    while (n > 0 && is_ws(s[n - 1])) {
        n--;
    }
    return ay_val_str(m->a, s, n, out);
}

/* s[0..n) for a message: at most 64 bytes, control bytes as '?' (YAML escapes can put any
 * byte in a string, and messages are not escaped downstream). */
static const char *shown(char buf[static 72], const char *s, size_t n)
{
    size_t k = n > 64 ? 64 : n;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
    }
    buf[k] = '\0';
    return buf;
}

static const struct ay_val *field(struct ay_val obj, const char *key)
{
    return ay_val_obj_get_str(obj, key, strlen(key));
}

static ay_err want_str(const struct mp *m, const struct ay_val *v, const char *key)
{
    if (v->kind != AY_V_STR) {
        return mfail(m, "METADATA: a string is expected for ", key);
    }
    return AY_OK;
}

/* "Jane Doe <jane@example.com>": the name is the words before a trailing <email> (OPA's
 * parseAuthorString). */
static ay_err author_string(const struct mp *m, struct ay_val s, struct ay_val *out)
{
    const char *p = s.u.s;
    size_t n = s.len;
    while (n > 0 && is_ws(p[n - 1])) {
        n--;
    }
    size_t email_at = n;
    struct ay_val email = ay_val_undef();
    size_t w = n;
    while (w > 0 && !is_ws(p[w - 1])) {
        w--;
    }
    if (n - w >= 2 && p[w] == '<' && p[n - 1] == '>') {
        TRY(ay_val_str(m->a, p + w + 1, n - w - 2, &email));
        email_at = w;
    }
    /* The name's words joined by one space (strings.Fields then Join). */
    char *name;
    TRY(ay_arena_alloc(m->a, email_at + 1, (void **)&name));
    size_t k = 0;
    for (size_t i = 0; i < email_at;) {
        while (i < email_at && is_ws(p[i])) {
            i++;
        }
        if (i == email_at) {
            break;
        }
        if (k > 0) {
            name[k++] = ' ';
        }
        while (i < email_at && !is_ws(p[i])) {
            name[k++] = p[i++];
        }
    }
    name[k] = '\0';
    if (k == 0 && (email.kind == AY_V_UNDEF || email.len == 0)) {
        return mfail(m, "invalid author definition: author is an empty string", "");
    }
    struct ay_kv kv[2];
    size_t nkv = 0;
    if (k > 0) {
        kv[nkv++] =
            (struct ay_kv){ay_val_str_static("name"), {AY_V_STR, 0, 0, (uint32_t)k, {.s = name}}};
    }
    if (email.kind == AY_V_STR && email.len > 0) {
        kv[nkv++] = (struct ay_kv){ay_val_str_static("email"), email};
    }
    return ay_val_object(m->a, kv, nkv, false, out);
}

/* A string or an object whose string fields are kept trimmed (OPA's getSafeString then
 * TrimSpace), at least one of them non-empty. */
static ay_err string_pair(const struct mp *m, struct ay_val obj, const char *k1, const char *k2,
                          bool k1_required, const char *what, struct ay_val *out)
{
    struct ay_kv kv[2];
    size_t nkv = 0;
    const char *keys[2] = {k1, k2};
    for (size_t i = 0; i < 2; i++) {
        const struct ay_val *v = field(obj, keys[i]);
        if (v == NULL || v->kind != AY_V_STR) {
            continue;
        }
        struct ay_val t;
        TRY(trimmed(m, v->u.s, v->len, &t));
        if (t.len > 0) {
            kv[nkv++] = (struct ay_kv){ay_val_str_static(keys[i]), t};
        }
    }
    if (nkv == 0 || (k1_required && !ay_val_equal(kv[0].k, ay_val_str_static(k1)))) {
        return mfail(m, what, "");
    }
    return ay_val_object(m->a, kv, nkv, false, out);
}

static ay_err authors(const struct mp *m, struct ay_val list, struct ay_val *out)
{
    if (list.kind != AY_V_ARR) {
        return mfail(m, "METADATA: a list is expected for ", "authors");
    }
    struct ay_val_vec v;
    ay_val_vec_init(&v, m->a);
    for (uint32_t i = 0; i < list.len; i++) {
        struct ay_val x = list.u.items[i];
        struct ay_val o;
        if (x.kind == AY_V_STR) {
            TRY(author_string(m, x, &o));
        } else if (x.kind == AY_V_OBJ) {
            TRY(string_pair(m, x, "name", "email", false,
                            "invalid author definition: 'name' and/or 'email' values required in "
                            "object",
                            &o));
        } else {
            return mfail(m, "invalid author definition: must be string or map", "");
        }
        TRY(ay_val_vec_push(&v, o));
    }
    *out = ay_val_vec_array(&v);
    return AY_OK;
}

static ay_err related(const struct mp *m, struct ay_val list, struct ay_val *out)
{
    if (list.kind != AY_V_ARR) {
        return mfail(m, "METADATA: a list is expected for ", "related_resources");
    }
    struct ay_val_vec v;
    ay_val_vec_init(&v, m->a);
    for (uint32_t i = 0; i < list.len; i++) {
        struct ay_val x = list.u.items[i];
        struct ay_val o;
        if (x.kind == AY_V_STR) {
            if (x.len == 0) {
                return mfail(m, "invalid related-resource definition: ref URL may not be empty",
                             "");
            }
            struct ay_kv kv = {ay_val_str_static("ref"), x};
            TRY(ay_val_object(m->a, &kv, 1, false, &o));
        } else if (x.kind == AY_V_OBJ) {
            TRY(string_pair(m, x, "ref", "description", true,
                            "invalid related-resource definition: 'ref' value required in object",
                            &o));
        } else {
            return mfail(m, "invalid related-resource definition: must be string or map", "");
        }
        TRY(ay_val_vec_push(&v, o));
    }
    *out = ay_val_vec_array(&v);
    return AY_OK;
}

/* A dotted reference ("input.x.y", "schema.foo") as the array of its parts (OPA's
 * Ref.toArray); first must be its first part when given. */
static ay_err dotted(const struct mp *m, const char *s, size_t n, const char *first,
                     struct ay_val *out)
{
    struct ay_val_vec v;
    ay_val_vec_init(&v, m->a);
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < n && s[j] != '.') {
            j++;
        }
        if (j == i || !ay_is_alpha((unsigned char)s[i])) {
            char buf[72];
            return mfail(m, "invalid schema reference: ", shown(buf, s, n));
        }
        struct ay_val part;
        TRY(ay_val_str(m->a, s + i, j - i, &part));
        TRY(ay_val_vec_push(&v, part));
        if (j == n) {
            break;
        }
        i = j + 1;
    }
    if (first != NULL && !ay_val_equal(v.items[0], ay_val_str_static(first))) {
        char buf[72];
        return mfail(m, "invalid schema reference: ", shown(buf, s, n));
    }
    *out = ay_val_vec_array(&v);
    return AY_OK;
}

/* schemas: a list of one-key maps, `- input.x: schema.y` or `- input.x: {<definition>}`. */
static ay_err schemas(const struct mp *m, struct ay_val list, struct ay_val *out)
{
    if (list.kind != AY_V_ARR) {
        return mfail(m, "METADATA: a list is expected for ", "schemas");
    }
    struct ay_val_vec v;
    ay_val_vec_init(&v, m->a);
    for (uint32_t i = 0; i < list.len; i++) {
        struct ay_val x = list.u.items[i];
        if (x.kind != AY_V_OBJ || x.len != 1) {
            return mfail(m, "invalid schema declaration: a map of one path is expected", "");
        }
        struct ay_val path = x.u.pairs[0].k;
        struct ay_val val = x.u.pairs[0].v;
        struct ay_kv kv[2];
        kv[0].k = ay_val_str_static("path");
        TRY(dotted(m, path.u.s, path.len, NULL, &kv[0].v));
        if (val.kind == AY_V_STR) {
            kv[1].k = ay_val_str_static("schema");
            TRY(dotted(m, val.u.s, val.len, "schema", &kv[1].v));
        } else if (val.kind == AY_V_OBJ) {
            kv[1].k = ay_val_str_static("definition");
            kv[1].v = val;
        } else {
            char buf[72];
            return mfail(m, "invalid schema declaration for path ", shown(buf, path.u.s, path.len));
        }
        struct ay_val o;
        TRY(ay_val_object(m->a, kv, 2, false, &o));
        TRY(ay_val_vec_push(&v, o));
    }
    *out = ay_val_vec_array(&v);
    return AY_OK;
}

static ay_err string_list(const struct mp *m, struct ay_val list, const char *key)
{
    if (list.kind != AY_V_ARR) {
        return mfail(m, "METADATA: a list is expected for ", key);
    }
    for (uint32_t i = 0; i < list.len; i++) {
        TRY(want_str(m, &list.u.items[i], key));
    }
    return AY_OK;
}

static const char *const scope_names[] = {"rule", "document", "package", "subpackages"};

/* The scope: as written, else from the statement (OPA attachAnnotationsNodes), then checked
 * against it (validateAnnotationScopeAttachment). */
static ay_err scope_of(const struct mp *m, const struct ay_val *given, bool entrypoint,
                       enum ay_rego_meta_target target, uint8_t *out)
{
    static const char *const have[] = {" (have package)", " (have import)", " (have rule)", ""};
    const char *s;
    size_t n;
    if (given != NULL) {
        TRY(want_str(m, given, "scope"));
        s = given->u.s;
        n = given->len;
    } else if (target == AY_RM_RULE) {
        s = entrypoint ? "document" : "rule";
        n = strlen(s);
    } else if (target == AY_RM_PACKAGE) {
        s = "package";
        n = strlen(s);
    } else {
        s = target == AY_RM_IMPORT ? "import" : "";
        n = strlen(s);
    }
    for (uint8_t i = 0; i < 4; i++) {
        if (strlen(scope_names[i]) != n || memcmp(scope_names[i], s, n) != 0) {
            continue;
        }
        bool on_rule = i == AY_RS_RULE || i == AY_RS_DOCUMENT;
        if (on_rule != (target == AY_RM_RULE) || (!on_rule && target != AY_RM_PACKAGE)) {
            return FAIL(m->diag, AY_ERR_POLICY_COMPILE,
                        "%s:%u:%u: rego_parse_error: annotation scope '%s' must be applied to "
                        "%s%s",
                        m->name, m->blk->line, m->blk->col, scope_names[i],
                        on_rule ? "rule" : "package", have[target]);
        }
        *out = i;
        return AY_OK;
    }
    char buf[72];
    return FAIL(m->diag, AY_ERR_POLICY_COMPILE,
                "%s:%u:%u: rego_parse_error: invalid annotation scope '%s'. Use one of 'rule', "
                "'document', 'package', or 'subpackages'",
                m->name, m->blk->line, m->blk->col, shown(buf, s, n));
}

/* A YAML error "METADATA: yaml: line N: ..." reported at the source line of YAML line N (the
 * block's YAML starts on the line after the marker). */
static ay_err yaml_fail(const struct mp *m, const struct ay_diag *yd)
{
    const char *msg = yd->msg;
    static const char prefix[] = "METADATA: ";
    if (strncmp(msg, prefix, sizeof prefix - 1) == 0) {
        msg += sizeof prefix - 1;
    }
    uint32_t line = m->blk->line;
    uint32_t col = m->blk->col;
    static const char lp[] = "yaml: line ";
    if (strncmp(msg, lp, sizeof lp - 1) == 0) {
        uint64_t n = 0;
        for (const char *d = msg + sizeof lp - 1; ay_is_digit((unsigned char)*d) && n < UINT32_MAX;
             d++) {
            n = n * 10 + (uint64_t)(*d - '0');
        }
        size_t nlines = 0;
        for (size_t i = 0; i < m->blk->len; i++) {
            nlines += m->blk->yaml[i] == '\n';
        }
        if (n >= 1 && n <= nlines) {
            line = m->blk->line + (uint32_t)n;
            col = 1;
        }
    }
    return mfail_at(m, line, col, msg, "");
}

/* A deep copy of v into a, at most *budget values (aliases in the YAML may have made a small
 * tree share large parts: the copy expands them). */
static ay_err copy_val(struct ay_arena *a, struct ay_val v, size_t *budget, struct ay_val *out)
{
    if (*budget == 0) {
        return AY_ERR_LIMIT;
    }
    (*budget)--;
    struct ay_val c = v;
    switch ((enum ay_val_kind)v.kind) {
    case AY_V_UNDEF:
    case AY_V_NULL:
    case AY_V_BOOL:
        break;
    case AY_V_NUM:
        if (v.sub == AY_NUM_BIG) {
            char *s;
            TRY(ay_arena_strndup(a, v.u.s, v.len, &s));
            c.u.s = s;
        }
        break;
    case AY_V_STR: {
        char *s;
        TRY(ay_arena_strndup(a, v.u.s, v.len, &s));
        c.u.s = s;
        break;
    }
    case AY_V_ARR:
    case AY_V_SET: {
        if (v.len == 0) {
            break;
        }
        struct ay_val *items;
        TRY(ay_arena_array(a, v.len, sizeof *items, (void **)&items));
        for (uint32_t i = 0; i < v.len; i++) {
            TRY(copy_val(a, v.u.items[i], budget, &items[i]));
        }
        c.u.items = items;
        break;
    }
    case AY_V_OBJ: {
        if (v.len == 0) {
            break;
        }
        struct ay_kv *pairs;
        TRY(ay_arena_array(a, v.len, sizeof *pairs, (void **)&pairs));
        for (uint32_t i = 0; i < v.len; i++) {
            TRY(copy_val(a, v.u.pairs[i].k, budget, &pairs[i].k));
            TRY(copy_val(a, v.u.pairs[i].v, budget, &pairs[i].v));
        }
        c.u.pairs = pairs;
        break;
    }
    }
    *out = c;
    return AY_OK;
}

static ay_err parse_block(const struct mp *mm, enum ay_rego_meta_target target, struct ay_val *obj,
                          uint8_t *out_scope);

/* The YAML is read in an arena of its own (libyaml's reader state and the anchor tables are
 * large next to an annotation), and only the annotation is copied into the policy's. */
ay_err ay_rego_meta_parse(struct ay_arena *a, const char *name,
                          const struct ay_rego_meta_block *blk, enum ay_rego_meta_target target,
                          struct ay_diag *diag, struct ay_rego_annot **out)
{
    struct ay_arena *tmp = NULL;
    ay_arena_new(AY_LIMIT_REQUEST_ARENA, &tmp);
    struct mp m = {tmp, name, blk, diag};
    struct ay_val obj;
    uint8_t scope = AY_RS_RULE;
    ay_err e = parse_block(&m, target, &obj, &scope);
    struct ay_rego_annot *an = NULL;
    if (e == AY_OK) {
        e = ay_arena_alloc(a, sizeof *an, (void **)&an);
    }
    if (e == AY_OK) {
        size_t budget = AY_LIMIT_REGO_YAML_NODES;
        e = copy_val(a, obj, &budget, &an->obj);
        if (e != AY_OK) {
            e = FAIL(diag, e, "%s:%u:%u: METADATA block: %s", name, blk->line, blk->col,
                     budget == 0 ? "too many values" : "out of memory");
        }
    }
    ay_arena_free(tmp);
    TRY(e);
    an->scope = scope;
    an->line = blk->line;
    an->col = blk->col;
    *out = an;
    return AY_OK;
}

static ay_err parse_block(const struct mp *mm, enum ay_rego_meta_target target, struct ay_val *obj,
                          uint8_t *out_scope)
{
    const struct mp m = *mm;
    struct ay_arena *a = m.a;
    const struct ay_rego_meta_block *blk = m.blk;
    struct ay_diag *diag = m.diag;
    const char *name = m.name;
    size_t i = 0;
    while (i < blk->len && is_ws(blk->yaml[i])) {
        i++;
    }
    if (i == blk->len) {
        return mfail(&m, "expected METADATA block, found whitespace", "");
    }
    struct ay_diag yd;
    ay_diag_clear(&yd);
    struct ay_rego_bctx bc = {a, &yd, 0, "METADATA", NULL};
    struct ay_val y;
    ay_err e = ay_rego_bu_yaml_load(&bc, blk->yaml, blk->len, &y);
    if (e == AY_ERR_POLICY_EVAL) {
        return yaml_fail(&m, &yd);
    }
    if (e != AY_OK) {
        return FAIL(diag, e, "%s:%u:%u: METADATA block: %s", name, blk->line, blk->col,
                    yd.msg[0] != '\0' ? yd.msg : ay_err_text(e));
    }
    if (y.kind == AY_V_NULL) {
        y = ay_val_empty(AY_V_OBJ);
    }
    if (y.kind != AY_V_OBJ) {
        return mfail(&m, "METADATA: the block must be a YAML mapping, not a ", ay_val_type_name(y));
    }
    struct ay_kv_vec kv;
    ay_kv_vec_init(&kv, a);
    static const char *const text_keys[] = {"title", "description"};
    for (size_t k = 0; k < 2; k++) {
        const struct ay_val *v = field(y, text_keys[k]);
        if (v != NULL && v->kind != AY_V_NULL) {
            TRY(want_str(&m, v, text_keys[k]));
            if (v->len > 0) {
                TRY(ay_kv_vec_push(&kv, ay_val_str_static(text_keys[k]), *v));
            }
        }
    }
    bool entrypoint = false;
    const struct ay_val *v = field(y, "entrypoint");
    if (v != NULL && v->kind != AY_V_NULL) {
        if (v->kind != AY_V_BOOL) {
            return mfail(&m, "METADATA: a boolean is expected for ", "entrypoint");
        }
        entrypoint = v->u.b;
        if (entrypoint) {
            TRY(ay_kv_vec_push(&kv, ay_val_str_static("entrypoint"), *v));
        }
    }
    v = field(y, "organizations");
    if (v != NULL && v->kind != AY_V_NULL) {
        TRY(string_list(&m, *v, "organizations"));
        if (v->len > 0) {
            TRY(ay_kv_vec_push(&kv, ay_val_str_static("organizations"), *v));
        }
    }

    struct {
        const char *key;
        ay_err (*conv)(const struct mp *, struct ay_val, struct ay_val *);
    } lists[] = {{"authors", authors}, {"related_resources", related}, {"schemas", schemas}};

    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        v = field(y, lists[k].key);
        if (v != NULL && v->kind != AY_V_NULL) {
            struct ay_val conv;
            TRY(lists[k].conv(&m, *v, &conv));
            if (conv.len > 0) {
                TRY(ay_kv_vec_push(&kv, ay_val_str_static(lists[k].key), conv));
            }
        }
    }
    v = field(y, "custom");
    if (v != NULL && v->kind != AY_V_NULL) {
        if (v->kind != AY_V_OBJ) {
            return mfail(&m, "METADATA: a mapping is expected for ", "custom");
        }
        if (v->len > 0) {
            TRY(ay_kv_vec_push(&kv, ay_val_str_static("custom"), *v));
        }
    }
    uint8_t scope = AY_RS_RULE;
    TRY(scope_of(&m, field(y, "scope"), entrypoint, target, &scope));
    if (entrypoint && scope != AY_RS_DOCUMENT && scope != AY_RS_PACKAGE) {
        /* OPA validateAnnotationEntrypointAttachment */
        return mfail(&m, "annotation entrypoint applied to non-document or package scope ",
                     scope == AY_RS_RULE ? "'rule'" : "'subpackages'");
    }
    TRY(ay_kv_vec_push(&kv, ay_val_str_static("scope"), ay_val_str_static(scope_names[scope])));
    TRY(ay_kv_vec_object(&kv, false, obj));
    *out_scope = scope;
    return AY_OK;
}

/* ---- linking: the chain of every rule ---- */

/* An annotation with the path it applies to and where it was written. */
struct pa {
    const char *const *path;
    size_t npath;
    const struct ay_rego_annot *an;
    const char *file;
};

struct pa_vec {
    struct pa *v;
    size_t n;
    size_t cap;
};

static ay_err pa_push(struct ay_arena *a, struct pa_vec *l, struct pa x)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        void *np;
        TRY(ay_arena_grow(a, l->v, l->n * sizeof *l->v, nc * sizeof *l->v, &np));
        l->v = np;
        l->cap = nc;
    }
    l->v[l->n++] = x;
    return AY_OK;
}

static bool path_eq(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    if (na != nb) {
        return false;
    }
    for (size_t i = 0; i < na; i++) {
        if (strcmp(a[i], b[i]) != 0) {
            return false;
        }
    }
    return true;
}

static const struct pa *pa_find(const struct pa_vec *l, const char *const *path, size_t n,
                                int scope)
{
    for (size_t i = 0; i < l->n; i++) {
        if ((scope < 0 || l->v[i].an->scope == scope) &&
            path_eq(l->v[i].path, l->v[i].npath, path, n)) {
            return &l->v[i];
        }
    }
    return NULL;
}

/* Adds x unless its path already has one (OPA's AnnotationSet.add: document and subpackages
 * annotations share one map by path, package annotations have their own). */
static ay_err pa_add(struct ay_arena *a, struct pa_vec *l, struct pa x, struct ay_diag *diag)
{
    const struct pa *old = pa_find(l, x.path, x.npath, -1);
    if (old != NULL) {
        return FAIL(diag, AY_ERR_POLICY_COMPILE,
                    "%s:%u:%u: rego_type_error: %s annotation redeclared: %s:%u", x.file,
                    x.an->line, x.an->col, scope_names[x.an->scope], old->file, old->an->line);
    }
    return pa_push(a, l, x);
}

static ay_err path_val(struct ay_arena *a, const char *const *path, size_t n, struct ay_val *out)
{
    struct ay_val *items;
    TRY(ay_arena_array(a, n > 0 ? n : 1, sizeof *items, (void **)&items));
    for (size_t i = 0; i < n; i++) {
        items[i] = ay_val_str_static(path[i]);
    }
    struct ay_val v = {AY_V_ARR, 0, 0, (uint32_t)n, {.items = items}};
    *out = v;
    return AY_OK;
}

/* One link of a chain: {"path": [...], "annotations": {...}} (no annotations: NULL an). */
static ay_err link_val(struct ay_arena *a, const char *const *path, size_t n,
                       const struct ay_rego_annot *an, struct ay_val *out)
{
    struct ay_kv kv[2];
    kv[0].k = ay_val_str_static("path");
    TRY(path_val(a, path, n, &kv[0].v));
    if (an != NULL) {
        kv[1].k = ay_val_str_static("annotations");
        kv[1].v = an->obj;
    }
    return ay_val_object(a, kv, an != NULL ? 2 : 1, false, out);
}

static const struct ay_rego_annot *rule_annot(const struct ay_rego_rule *r)
{
    for (const struct ay_rego_annot *an = r->annots; an != NULL; an = an->next) {
        if (an->scope == AY_RS_RULE) {
            return an;
        }
    }
    return NULL;
}

static ay_err rule_meta(struct ay_arena *a, struct ay_rego_rule *r, const struct pa_vec *pkgs,
                        const struct pa_vec *bypath)
{
    const struct ay_rego_module *m = r->mod;
    struct ay_val_vec chain;
    ay_val_vec_init(&chain, a);
    const struct ay_rego_annot *own = rule_annot(r);
    struct ay_val x;
    TRY(link_val(a, r->path, r->npath, own, &x));
    TRY(ay_val_vec_push(&chain, x));
    const struct pa *f = pa_find(bypath, r->path, r->npath, AY_RS_DOCUMENT);
    if (f != NULL) {
        TRY(link_val(a, f->path, f->npath, f->an, &x));
        TRY(ay_val_vec_push(&chain, x));
    }
    f = pa_find(pkgs, m->pkg, m->npkg, AY_RS_PACKAGE);
    if (f != NULL) {
        TRY(link_val(a, f->path, f->npath, f->an, &x));
        TRY(ay_val_vec_push(&chain, x));
    }
    for (size_t n = m->npkg; n > 0; n--) {
        f = pa_find(bypath, m->pkg, n, AY_RS_SUBPACKAGES);
        if (f != NULL) {
            TRY(link_val(a, f->path, f->npath, f->an, &x));
            TRY(ay_val_vec_push(&chain, x));
        }
    }
    struct ay_rego_meta *meta;
    TRY(ay_arena_alloc(a, sizeof *meta, (void **)&meta));
    meta->chain = ay_val_vec_array(&chain);
    meta->rule = own != NULL ? own->obj : ay_val_empty(AY_V_OBJ);
    r->meta = meta;
    return AY_OK;
}

ay_err ay_rego_meta_link(struct ay_arena *a, struct ay_rego_module **mods, size_t n,
                         struct ay_diag *diag)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        any = any || mods[i]->has_annots;
    }
    if (!any) {
        return AY_OK;
    }
    struct pa_vec pkgs = {0};
    struct pa_vec bypath = {0};
    for (size_t i = 0; i < n; i++) {
        const struct ay_rego_module *m = mods[i];
        for (const struct ay_rego_annot *an = m->annots; an != NULL; an = an->next) {
            struct pa x = {m->pkg, m->npkg, an, m->name};
            TRY(pa_add(a, an->scope == AY_RS_PACKAGE ? &pkgs : &bypath, x, diag));
        }
        for (size_t j = 0; j < m->nrules; j++) {
            const struct ay_rego_rule *r = m->rules[j];
            for (const struct ay_rego_annot *an = r->annots; an != NULL; an = an->next) {
                if (an->scope == AY_RS_DOCUMENT) {
                    struct pa x = {r->path, r->npath, an, m->name};
                    TRY(pa_add(a, &bypath, x, diag));
                }
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < mods[i]->nrules; j++) {
            TRY(rule_meta(a, mods[i]->rules[j], &pkgs, &bypath));
        }
    }
    return AY_OK;
}

/* ---- the builtins ---- */

/* Outside a rule (a query) there is no chain: [] and {}. A rule of a policy without any
 * annotation: [{"path": <rule path>}] and {}. */
static ay_err bi_chain(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                       struct ay_val *out)
{
    (void)args;
    (void)nargs;
    const struct ay_rego_rule *r = ay_rego_eval_current_rule(bc->eval);
    if (r == NULL) {
        *out = ay_val_empty(AY_V_ARR);
        return AY_OK;
    }
    if (r->meta != NULL) {
        *out = r->meta->chain;
        return AY_OK;
    }
    struct ay_val link;
    TRY(link_val(bc->arena, r->path, r->npath, NULL, &link));
    return ay_val_array(bc->arena, &link, 1, out);
}

static ay_err bi_rule(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                      struct ay_val *out)
{
    (void)args;
    (void)nargs;
    const struct ay_rego_rule *r = ay_rego_eval_current_rule(bc->eval);
    *out = r != NULL && r->meta != NULL ? r->meta->rule : ay_val_empty(AY_V_OBJ);
    return AY_OK;
}

const struct ay_rego_bi ay_rego_bi_meta[] = {
    {"rego.metadata.chain", 0, bi_chain, 0},
    {"rego.metadata.rule", 0, bi_rule, 0},
    {NULL, 0, NULL, 0},
};
