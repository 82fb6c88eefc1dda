/* SPDX-License-Identifier: Apache-2.0 */
/* yaml.marshal / yaml.unmarshal / yaml.is_valid (OPA topdown/encoding.go over
 * sigs.k8s.io/yaml, i.e. go-yaml v2 then JSON). libyaml gives events; scalar resolution is ours
 * and follows go-yaml v2 (YAML 1.1 flavour): ~/null/empty are null; y/yes/on/true and
 * n/no/off/false (three case forms each) are booleans; decimal, 0x, 0o/0 octal and 0b integers
 * (underscores allowed); floats including .inf; mapping keys become strings (JSON objects).
 * Quoted or !!str-tagged scalars are strings. Aliases are expanded with a budget (billion-laughs
 * defence). marshal drives libyaml's emitter, quoting strings that would resolve otherwise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "base/base_arena.h"
#include "base/base_buf.h"
#include "base/base_limits.h"
#include "base/base_str.h"
#include "rego/rego_bi_util.h"

__extension__ typedef unsigned __int128 u128;

struct yp {
    struct ay_rego_bctx *bc;
    yaml_parser_t parser;
    size_t nodes;
    size_t nanchors;
    char *anchor_names[AY_LIMIT_REGO_YAML_ANCHORS];
    struct ay_val anchor_vals[AY_LIMIT_REGO_YAML_ANCHORS];
    char err[256];
};

static bool word_in(const char *s, size_t n, const char *const *list)
{
    for (size_t k = 0; list[k] != NULL; k++) {
        if (strlen(list[k]) == n && memcmp(list[k], s, n) == 0) {
            return true;
        }
    }
    return false;
}

/* Integer text in base with optional '_' separators into a value (exact, via text). */
static bool yaml_int(struct ay_rego_bctx *bc, const char *s, size_t n, struct ay_val *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    int base = 10;
    if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        base = 16;
        i += 2;
    } else if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B')) {
        base = 2;
        i += 2;
    } else if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O')) {
        base = 8;
        i += 2;
    } else if (n - i > 1 && s[i] == '0') {
        base = 8;
        i += 1;
    }
    if (i >= n) {
        return false;
    }
    u128 v = 0; /* go-yaml keeps int64/uint64; larger is a float */
    bool any = false;
    for (; i < n; i++) {
        if (s[i] == '_') {
            continue;
        }
        int d;
        char c = (char)ay_to_lower((unsigned char)s[i]);
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            d = c - 'a' + 10;
        } else {
            return false;
        }
        if (d >= base) {
            return false;
        }
        v = v * (unsigned)base + (unsigned)d;
        if (v > ((u128)1 << 64)) {
            return false;
        }
        any = true;
    }
    if (!any) {
        return false;
    }
    char txt[32];
    char rev[32];
    size_t k = 0;
    do {
        rev[k++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v != 0 && k < sizeof rev);
    size_t j = 0;
    if (neg) {
        txt[j++] = '-';
    }
    while (k > 0) {
        txt[j++] = rev[--k];
    }
    return ay_val_num_text(bc->arena, txt, j, out) == AY_OK;
}

static bool yaml_float(const char *s, size_t n, double *out)
{
    static const char *const pinf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
    static const char *const ninf[] = {"-.inf", "-.Inf", "-.INF", NULL};
    static const char *const nan[] = {".nan", ".NaN", ".NAN", NULL};
    if (word_in(s, n, pinf)) {
        *out = HUGE_VAL;
        return true;
    }
    if (word_in(s, n, ninf)) {
        *out = -HUGE_VAL;
        return true;
    }
    if (word_in(s, n, nan)) {
        *out = (double)NAN;
        return true;
    }
    char buf[128];
    size_t j = 0;
    bool digit = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '_') {
            continue;
        }
        if (!(ay_is_digit((unsigned char)c) || c == '.' || c == 'e' || c == 'E' || c == '+' ||
              c == '-') ||
            j + 1 >= sizeof buf) {
            return false;
        }
        digit = digit || ay_is_digit((unsigned char)c);
        buf[j++] = c;
    }
    if (!digit) {
        return false;
    }
    buf[j] = '\0';
    char *end = NULL;
    *out = strtod(buf, &end);
    return end != NULL && *end == '\0' && end != buf;
}

/* go-yaml v2 resolve() of a plain scalar. */
static ay_err resolve(struct yp *p, const char *s, size_t n, struct ay_val *out)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                        "True", "TRUE", "on",  "On",  "ON",  NULL};
    static const char *const falses[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                         "False", "FALSE", "off", "Off", "OFF", NULL};
    if (word_in(s, n, nulls)) {
        *out = ay_val_null();
        return AY_OK;
    }
    if (word_in(s, n, trues) || word_in(s, n, falses)) {
        *out = ay_val_bool(word_in(s, n, trues));
        return AY_OK;
    }
    if (n > 0 && (ay_is_digit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '.')) {
        if (yaml_int(p->bc, s, n, out)) {
            return AY_OK;
        }
        double d;
        if (yaml_float(s, n, &d)) {
            if (!isfinite(d)) {
                return ay_rego_bi_fail(p->bc, "yaml: infinity and NaN are not JSON numbers");
            }
            *out = ay_val_double(d);
            return AY_OK;
        }
    }
    return ay_rego_bu_mkstr(p->bc, s, n, out);
}

static ay_err parse_node(struct yp *p, yaml_event_t *ev, size_t depth, struct ay_val *out);

static ay_err next_event(struct yp *p, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&p->parser, ev)) {
        /* go-yaml's wording: "yaml: line N: <problem>", N from the problem mark (one more for
         * scanner errors), else the context mark; no line when both are 0 */
        size_t line = p->parser.problem_mark.line;
        if (line != 0) {
            if (p->parser.error == YAML_SCANNER_ERROR) {
                line++;
            }
        } else {
            line = p->parser.context_mark.line;
        }
        const char *msg = p->parser.problem != NULL ? p->parser.problem : "syntax error";
        if (line == 0) {
            return ay_rego_bi_fail(p->bc, "yaml: %s", msg);
        }
        return ay_rego_bi_fail(p->bc, "yaml: line %zu: %s", line, msg);
    }
    return AY_OK;
}

static ay_err remember(struct yp *p, const yaml_char_t *anchor, struct ay_val v)
{
    if (anchor == NULL) {
        return AY_OK;
    }
    if (p->nanchors >= AY_LIMIT_REGO_YAML_ANCHORS) {
        return ay_rego_bi_fail(p->bc, "yaml: too many anchors");
    }
    char *name;
    TRY(ay_arena_strndup(p->bc->arena, (const char *)anchor, strlen((const char *)anchor), &name));
    p->anchor_names[p->nanchors] = name;
    p->anchor_vals[p->nanchors] = v;
    p->nanchors++;
    return AY_OK;
}

/* The key of a mapping as a JSON object key: strings stay, other scalars become their text. */
static ay_err key_string(struct yp *p, struct ay_val k, struct ay_val *out)
{
    if (k.kind == AY_V_STR) {
        *out = k;
        return AY_OK;
    }
    if (k.kind == AY_V_ARR || k.kind == AY_V_OBJ) {
        return ay_rego_bi_fail(p->bc, "yaml: invalid map key: a collection");
    }
    struct ay_buf b;
    ay_rego_bu_buf(p->bc, &b);
    ay_val_write_term(&b, k);
    return ay_rego_bu_buf_str(p->bc, &b, out);
}

static ay_err parse_node(struct yp *p, yaml_event_t *ev, size_t depth, struct ay_val *out)
{
    if (depth > AY_LIMIT_JSON_DEPTH) {
        return ay_rego_bi_fail(p->bc, "yaml: nesting too deep");
    }
    if (++p->nodes > AY_LIMIT_REGO_YAML_NODES) {
        return ay_rego_bi_fail(p->bc, "yaml: document too large");
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT: {
        const char *a = (const char *)ev->data.alias.anchor;
        for (size_t k = p->nanchors; k > 0; k--) {
            if (strcmp(p->anchor_names[k - 1], a) == 0) {
                *out = p->anchor_vals[k - 1];
                /* an alias to a large value counts as that many values */
                p->nodes += out->len;
                if (p->nodes > AY_LIMIT_REGO_YAML_NODES) {
                    return ay_rego_bi_fail(p->bc, "yaml: document too large");
                }
                return AY_OK;
            }
        }
        return ay_rego_bi_fail(p->bc, "yaml: unknown anchor '%s' referenced", a);
    }
    case YAML_SCALAR_EVENT: {
        const char *s = (const char *)ev->data.scalar.value;
        size_t n = ev->data.scalar.length;
        const char *tag = (const char *)ev->data.scalar.tag;
        if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
            (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0)) {
            TRY(ay_rego_bu_mkstr(p->bc, s, n, out));
        } else {
            TRY(resolve(p, s, n, out));
        }
        return remember(p, ev->data.scalar.anchor, *out);
    }
    case YAML_SEQUENCE_START_EVENT: {
        const yaml_char_t *anchor = ev->data.sequence_start.anchor;
        char *aname = NULL;
        if (anchor != NULL) {
            TRY(ay_arena_strndup(p->bc->arena, (const char *)anchor, strlen((const char *)anchor),
                                 &aname));
        }
        struct ay_val_vec v;
        ay_val_vec_init(&v, p->bc->arena);
        for (;;) {
            yaml_event_t e;
            TRY(next_event(p, &e));
            if (e.type == YAML_SEQUENCE_END_EVENT) {
                yaml_event_delete(&e);
                break;
            }
            struct ay_val item;
            ay_err err = parse_node(p, &e, depth + 1, &item);
            yaml_event_delete(&e);
            TRY(err);
            TRY(ay_val_vec_push(&v, item));
        }
        *out = ay_val_vec_array(&v);
        return remember(p, (const yaml_char_t *)aname, *out);
    }
    case YAML_MAPPING_START_EVENT: {
        const yaml_char_t *anchor = ev->data.mapping_start.anchor;
        char *aname = NULL;
        if (anchor != NULL) {
            TRY(ay_arena_strndup(p->bc->arena, (const char *)anchor, strlen((const char *)anchor),
                                 &aname));
        }
        struct ay_kv_vec kv;
        ay_kv_vec_init(&kv, p->bc->arena);
        for (;;) {
            yaml_event_t e;
            TRY(next_event(p, &e));
            if (e.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&e);
                break;
            }
            struct ay_val k, v;
            ay_err err = parse_node(p, &e, depth + 1, &k);
            yaml_event_delete(&e);
            TRY(err);
            TRY(next_event(p, &e));
            err = parse_node(p, &e, depth + 1, &v);
            yaml_event_delete(&e);
            TRY(err);
            /* "<<" merge keys are kept as ordinary keys (go-yaml v2 merges; rare in policy) */
            TRY(key_string(p, k, &k));
            TRY(ay_kv_vec_push(&kv, k, v));
        }
        TRY(ay_kv_vec_object(&kv, false, out));
        return remember(p, (const yaml_char_t *)aname, *out);
    }
    default:
        return ay_rego_bi_fail(p->bc, "yaml: unexpected event");
    }
}

/* Parses one document (an empty stream is null). */
ay_err ay_rego_bu_yaml_load(struct ay_rego_bctx *bc, const char *s, size_t n, struct ay_val *out)
{
    void *mem;
    TRY(ay_arena_alloc(bc->arena, sizeof(struct yp), &mem));
    struct yp *p = mem;
    p->bc = bc;
    if (!yaml_parser_initialize(&p->parser)) {
        return ay_rego_bi_fail(bc, "yaml: parser initialisation failed");
    }
    yaml_parser_set_input_string(&p->parser, (const unsigned char *)s, n);
    ay_err err = AY_OK;
    bool have = false;
    *out = ay_val_null();
    for (;;) {
        yaml_event_t ev;
        err = next_event(p, &ev);
        if (err != AY_OK) {
            break;
        }
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT ||
            t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT) {
            if (!have) {
                err = parse_node(p, &ev, 0, out);
                have = true;
            }
            /* later documents are ignored, as yaml.Unmarshal reads the first */
        }
        yaml_event_delete(&ev);
        if (err != AY_OK || (have && t == YAML_DOCUMENT_END_EVENT)) {
            break;
        }
    }
    yaml_parser_delete(&p->parser);
    return err;
}

static ay_err bi_yaml_unmarshal(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                struct ay_val *out)
{
    (void)nargs;
    const char *s;
    size_t n;
    TRY(ay_rego_bu_str(bc, args, 0, &s, &n));
    return ay_rego_bu_yaml_load(bc, s, n, out);
}

static ay_err bi_yaml_is_valid(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                               struct ay_val *out)
{
    (void)nargs;
    if (args[0].kind != AY_V_STR) {
        *out = ay_val_bool(false);
        return AY_OK;
    }
    struct ay_diag scratch;
    ay_diag_clear(&scratch);
    struct ay_rego_bctx quiet = *bc;
    quiet.diag = &scratch;
    struct ay_val v;
    *out = ay_val_bool(ay_rego_bu_yaml_load(&quiet, args[0].u.s, args[0].len, &v) == AY_OK);
    return AY_OK;
}

/* ---- marshal ---- */

static int emit_write(void *data, unsigned char *buffer, size_t size)
{
    ay_buf_put(data, buffer, size);
    return 1;
}

static ay_err emit_value(struct ay_rego_bctx *bc, yaml_emitter_t *em, struct ay_val v,
                         size_t depth);

static ay_err emit(struct ay_rego_bctx *bc, yaml_emitter_t *em, yaml_event_t *ev)
{
    if (!yaml_emitter_emit(em, ev)) {
        return ay_rego_bi_fail(bc, "yaml: %s", em->problem != NULL ? em->problem : "emit error");
    }
    return AY_OK;
}

static ay_err emit_scalar(struct ay_rego_bctx *bc, yaml_emitter_t *em, const char *s, size_t n,
                          bool quote)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(
            &ev, NULL, NULL, (yaml_char_t *)(uintptr_t)s, (int)n, !quote, 1,
            quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE)) {
        return ay_rego_bi_fail(bc, "yaml: out of memory");
    }
    return emit(bc, em, &ev);
}

static ay_err emit_value(struct ay_rego_bctx *bc, yaml_emitter_t *em, struct ay_val v, size_t depth)
{
    if (depth > AY_LIMIT_JSON_DEPTH) {
        return ay_rego_bi_fail(bc, "yaml: nesting too deep");
    }
    yaml_event_t ev;
    struct ay_buf b;
    switch (v.kind) {
    case AY_V_NULL:
        return emit_scalar(bc, em, "null", 4, false);
    case AY_V_BOOL:
        return emit_scalar(bc, em, v.u.b ? "true" : "false", v.u.b ? 4 : 5, false);
    case AY_V_NUM: {
        ay_rego_bu_buf(bc, &b);
        ay_val_write_num(&b, v);
        TRY(ay_buf_finish(&b));
        return emit_scalar(bc, em, b.ptr, b.len, false);
    }
    case AY_V_STR: {
        /* a string that would read back as another type is quoted (go-yaml does the same) */
        struct yp probe;
        memset(&probe, 0, sizeof probe);
        probe.bc = bc;
        struct ay_val r;
        struct ay_diag scratch;
        ay_diag_clear(&scratch);
        struct ay_rego_bctx quiet = *bc;
        quiet.diag = &scratch;
        probe.bc = &quiet;
        bool quote = resolve(&probe, v.u.s, v.len, &r) != AY_OK || r.kind != AY_V_STR;
        return emit_scalar(bc, em, v.u.s, v.len, quote);
    }
    case AY_V_ARR:
    case AY_V_SET:
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        TRY(emit(bc, em, &ev));
        for (uint32_t k = 0; k < v.len; k++) {
            TRY(emit_value(bc, em, v.u.items[k], depth + 1));
        }
        yaml_sequence_end_event_initialize(&ev);
        return emit(bc, em, &ev);
    case AY_V_OBJ:
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        TRY(emit(bc, em, &ev));
        for (uint32_t k = 0; k < v.len; k++) {
            TRY(emit_value(bc, em, v.u.pairs[k].k, depth + 1));
            TRY(emit_value(bc, em, v.u.pairs[k].v, depth + 1));
        }
        yaml_mapping_end_event_initialize(&ev);
        return emit(bc, em, &ev);
    default:
        return ay_rego_bi_fail(bc, "yaml: value not representable");
    }
}

static ay_err bi_yaml_marshal(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                              struct ay_val *out)
{
    (void)nargs;
    struct ay_buf b;
    ay_rego_bu_buf(bc, &b);
    yaml_emitter_t em;
    if (!yaml_emitter_initialize(&em)) {
        return ay_rego_bi_fail(bc, "yaml: emitter initialisation failed");
    }
    yaml_emitter_set_output(&em, emit_write, &b);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, -1);
    yaml_event_t ev;
    ay_err err = AY_OK;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    err = emit(bc, &em, &ev);
    if (err == AY_OK) {
        yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
        err = emit(bc, &em, &ev);
    }
    if (err == AY_OK) {
        err = emit_value(bc, &em, args[0], 0);
    }
    if (err == AY_OK) {
        yaml_document_end_event_initialize(&ev, 1);
        err = emit(bc, &em, &ev);
    }
    if (err == AY_OK) {
        yaml_stream_end_event_initialize(&ev);
        err = emit(bc, &em, &ev);
    }
    yaml_emitter_delete(&em);
    TRY(err);
    return ay_rego_bu_buf_str(bc, &b, out);
}

const struct ay_rego_bi ay_rego_bi_yaml[] = {
    {"yaml.marshal", 1, bi_yaml_marshal, 0},
    {"yaml.unmarshal", 1, bi_yaml_unmarshal, 0},
    {"yaml.is_valid", 1, bi_yaml_is_valid, 0},
    {NULL, 0, NULL, 0},
};
