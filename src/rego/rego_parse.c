/* SPDX-License-Identifier: Apache-2.0 */
/* Recursive-descent parser for Rego (OPA v1 syntax by default, v0 on request) producing the AST
 * of rego_ast.h in the policy arena. Operator precedence follows OPA's parser (lowest first):
 * `in`; == != < <= > >=; |; &; + -; * / %. Every recursive descent is counted against
 * AY_LIMIT_REGO_DEPTH. Errors are "name:line:col: message". */
#include "rego/rego_ast.h"

#include <stdio.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "rego/rego_meta.h"

struct ps {
    struct ay_arena *a;
    const char *name;
    struct ay_rego_lexer *lx;
    size_t i;                     /* the current token */
    const struct ay_rego_tok *tok; /* token i (seek keeps it so: the parser asks for it often) */
    struct ay_diag *diag;
    size_t depth;
    bool v0;
    bool kw; /* keywords if/contains/in/every enabled */
    uint32_t ntpl; /* template expressions so far (names of their generated variables) */
};

static const struct ay_rego_tok *cur(const struct ps *p)
{
    return p->tok;
}

/* Makes token i current (tokens stay where they are until the rule is done). */
static void seek(struct ps *p, size_t i)
{
    p->i = i;
    p->tok = ay_rego_lexer_at(p->lx, i);
}

/* Past the end: the EOF token. */
static const struct ay_rego_tok *peek_at(const struct ps *p, size_t k)
{
    return ay_rego_lexer_at(p->lx, p->i + k);
}

/* Never past the EOF token. */
static void adv(struct ps *p)
{
    if (cur(p)->kind != AY_TK_EOF) {
        seek(p, p->i + 1);
    }
}

static ay_err perr(const struct ps *p, const char *what)
{
    const struct ay_rego_tok *t = cur(p);
    if (t->kind == AY_TK_EOF) {
        return FAIL(p->diag, AY_ERR_POLICY_COMPILE, "%s:%u:%u: %s (found end of input)", p->name,
                    t->line, t->col, what);
    }
    int l = (int)(t->len > 20 ? 20 : t->len);
    return FAIL(p->diag, AY_ERR_POLICY_COMPILE, "%s:%u:%u: %s (found \"%.*s\")", p->name, t->line,
                t->col, what, l, t->text);
}

static bool is_ident(const struct ay_rego_tok *t, enum ay_rego_kw w)
{
    return t->kind == AY_TK_IDENT && t->kw == w;
}

/* if, contains, in and every are keywords in v1 and with future.keywords, names otherwise. */
static bool is_kw(const struct ps *p, const struct ay_rego_tok *t, enum ay_rego_kw w)
{
    if (!p->kw && w >= AY_KW_IF && w <= AY_KW_EVERY) {
        return false;
    }
    return is_ident(t, w);
}

static bool accept(struct ps *p, uint8_t kind)
{
    if (cur(p)->kind == kind) {
        adv(p);
        return true;
    }
    return false;
}

static ay_err expect(struct ps *p, uint8_t kind, const char *what)
{
    if (!accept(p, kind)) {
        return perr(p, what);
    }
    return AY_OK;
}

static ay_err enter(struct ps *p)
{
    if (++p->depth > AY_LIMIT_REGO_DEPTH) {
        const struct ay_rego_tok *t = cur(p);
        return FAIL(p->diag, AY_ERR_LIMIT, "%s:%u:%u: nesting deeper than %d", p->name, t->line,
                    t->col, AY_LIMIT_REGO_DEPTH);
    }
    return AY_OK;
}

static void leave(struct ps *p)
{
    p->depth--;
}

static ay_err new_term(struct ps *p, uint8_t kind, const struct ay_rego_tok *at,
                       struct ay_rego_term **out)
{
    struct ay_rego_term *t;
    TRY(ay_arena_alloc(p->a, sizeof *t, (void **)&t));
    t->kind = kind;
    t->line = at->line;
    t->col = at->col;
    t->slot = -1;
    t->host = -1;
    *out = t;
    return AY_OK;
}

/* A small growable pointer list in the arena. */
struct plist {
    void **v;
    size_t n;
    size_t cap;
};

static ay_err plist_push(struct ps *p, struct plist *l, void *x)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 4;
        void *np;
        TRY(ay_arena_grow(p->a, l->v, l->n * sizeof(void *), nc * sizeof(void *), &np));
        l->v = np;
        l->cap = nc;
    }
    l->v[l->n++] = x;
    return AY_OK;
}

/* The same for strings (paths). */
struct slist {
    const char **v;
    size_t n;
    size_t cap;
};

static ay_err slist_push(struct ps *p, struct slist *l, const char *x)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 4;
        void *np;
        TRY(ay_arena_grow(p->a, l->v, l->n * sizeof(char *), nc * sizeof(char *), &np));
        l->v = np;
        l->cap = nc;
    }
    l->v[l->n++] = x;
    return AY_OK;
}

static ay_err mk_call(struct ps *p, const char *fname, const struct ay_rego_tok *at,
                      struct ay_rego_term *x, struct ay_rego_term *y, struct ay_rego_term **out)
{
    struct ay_rego_term *t;
    TRY(new_term(p, AY_RT_CALL, at, &t));
    t->name = fname;
    t->name_len = (uint32_t)strlen(fname); /* an internal name */
    TRY(ay_arena_array(p->a, 2, sizeof *t->items, (void **)&t->items));
    t->items[0] = x;
    t->items[1] = y;
    t->n = 2;
    *out = t;
    return AY_OK;
}

static ay_err parse_in(struct ps *p, struct ay_rego_term **out);
static ay_err parse_in_ex(struct ps *p, bool with_key, struct ay_rego_term **out);
static ay_err parse_rel(struct ps *p, struct ay_rego_term **out);
static ay_err parse_and(struct ps *p, struct ay_rego_term **out);
static ay_err parse_body_until(struct ps *p, uint8_t close, struct ay_rego_body **out);
static ay_err parse_literal(struct ps *p, struct ay_rego_expr **out);
static ay_err elem_tail(struct ps *p, struct ay_rego_term **io);


static ay_err parse_terms_until(struct ps *p, uint8_t close, struct plist *l)
{
    while (cur(p)->kind != close) {
        struct ay_rego_term *x;
        TRY(parse_in(p, &x));
        TRY(plist_push(p, l, x));
        if (!accept(p, AY_TK_COMMA)) {
            break;
        }
    }
    return expect(p, close, close == AY_TK_RBRACK   ? "expected ']'"
                            : close == AY_TK_RPAREN ? "expected ')'"
                                                    : "expected '}'");
}

/* '[' already current. */
static ay_err parse_array(struct ps *p, struct ay_rego_term **out)
{
    const struct ay_rego_tok *at = cur(p);
    adv(p);
    struct plist l = {0};
    if (cur(p)->kind != AY_TK_RBRACK) {
        struct ay_rego_term *first;
        TRY(parse_and(p, &first));
        if (accept(p, AY_TK_BAR)) {
            struct ay_rego_term *t;
            TRY(new_term(p, AY_RT_ACOMP, at, &t));
            t->head = first;
            TRY(parse_body_until(p, AY_TK_RBRACK, &t->body));
            *out = t;
            return AY_OK;
        }
        /* The first element was parsed without `|`; continue its infix chain. */
        while (cur(p)->kind == AY_TK_BAR) {
            const struct ay_rego_tok *op = cur(p);
            adv(p);
            struct ay_rego_term *r;
            TRY(parse_and(p, &r));
            TRY(mk_call(p, "or", op, first, r, &first));
        }
        TRY(elem_tail(p, &first));
        TRY(plist_push(p, &l, first));
        if (accept(p, AY_TK_COMMA)) {
            TRY(parse_terms_until(p, AY_TK_RBRACK, &l));
        } else {
            TRY(expect(p, AY_TK_RBRACK, "expected ']' or ','"));
        }
    } else {
        adv(p);
    }
    struct ay_rego_term *t;
    TRY(new_term(p, AY_RT_ARR, at, &t));
    t->items = (struct ay_rego_term **)l.v;
    t->n = (uint32_t)l.n;
    *out = t;
    return AY_OK;
}

/* '{' already current: object, set, or a comprehension. */
static ay_err parse_brace(struct ps *p, struct ay_rego_term **out)
{
    const struct ay_rego_tok *at = cur(p);
    adv(p);
    struct ay_rego_term *t;
    if (accept(p, AY_TK_RBRACE)) {
        TRY(new_term(p, AY_RT_OBJ, at, &t));
        *out = t;
        return AY_OK;
    }
    struct ay_rego_term *first;
    TRY(parse_and(p, &first));
    if (accept(p, AY_TK_COLON)) {
        struct ay_rego_term *v;
        TRY(parse_and(p, &v));
        TRY(elem_tail(p, &v));
        if (accept(p, AY_TK_BAR)) {
            TRY(new_term(p, AY_RT_OCOMP, at, &t));
            t->head = first;
            t->head2 = v;
            TRY(parse_body_until(p, AY_TK_RBRACE, &t->body));
            *out = t;
            return AY_OK;
        }
        struct plist l = {0};
        TRY(plist_push(p, &l, first));
        TRY(plist_push(p, &l, v));
        while (accept(p, AY_TK_COMMA)) {
            if (cur(p)->kind == AY_TK_RBRACE) {
                break;
            }
            struct ay_rego_term *k;
            TRY(parse_in(p, &k));
            TRY(expect(p, AY_TK_COLON, "expected ':' in object"));
            TRY(parse_in(p, &v));
            TRY(plist_push(p, &l, k));
            TRY(plist_push(p, &l, v));
        }
        TRY(expect(p, AY_TK_RBRACE, "expected '}' or ',' in object"));
        TRY(new_term(p, AY_RT_OBJ, at, &t));
        t->items = (struct ay_rego_term **)l.v;
        t->n = (uint32_t)l.n;
        *out = t;
        return AY_OK;
    }
    if (accept(p, AY_TK_BAR)) {
        TRY(new_term(p, AY_RT_SCOMP, at, &t));
        t->head = first;
        TRY(parse_body_until(p, AY_TK_RBRACE, &t->body));
        *out = t;
        return AY_OK;
    }
    struct plist l = {0};
    TRY(elem_tail(p, &first));
    TRY(plist_push(p, &l, first));
    if (accept(p, AY_TK_COMMA)) {
        TRY(parse_terms_until(p, AY_TK_RBRACE, &l));
    } else {
        TRY(expect(p, AY_TK_RBRACE, "expected '}' or ','"));
    }
    TRY(new_term(p, AY_RT_SET, at, &t));
    t->items = (struct ay_rego_term **)l.v;
    t->n = (uint32_t)l.n;
    *out = t;
    return AY_OK;
}

/* Dotted name of a var or a ref with only .name elements, for calls ("a.b.c"). */
static ay_err call_name(struct ps *p, struct ay_rego_term *base, const char **out,
                        uint32_t *out_n)
{
    if (base->kind == AY_RT_VAR) {
        *out = base->name;
        *out_n = base->name_len;
        return AY_OK;
    }
    if (base->kind != AY_RT_REF || base->items[0]->kind != AY_RT_VAR) {
        return perr(p, "invalid function call target");
    }
    size_t n = base->items[0]->name_len;
    for (size_t i = 1; i < base->n; i++) {
        struct ay_rego_term *e = base->items[i];
        if (e->kind != AY_RT_VAL || e->val.kind != AY_V_STR) {
            return perr(p, "invalid function call target");
        }
        n += 1 + e->val.len;
    }
    char *s;
    TRY(ay_arena_alloc(p->a, n + 1, (void **)&s));
    size_t w = 0;
    memcpy(s, base->items[0]->name, base->items[0]->name_len);
    w += base->items[0]->name_len;
    for (size_t i = 1; i < base->n; i++) {
        s[w++] = '.';
        memcpy(s + w, base->items[i]->val.u.s, base->items[i]->val.len);
        w += base->items[i]->val.len;
    }
    s[w] = '\0';
    *out = s;
    *out_n = (uint32_t)w; /* at most the source's length */
    return AY_OK;
}

static ay_err ref_append(struct ps *p, struct ay_rego_term **base, struct ay_rego_term *elem)
{
    struct ay_rego_term *b = *base;
    if (b->kind != AY_RT_REF) {
        struct ay_rego_term *r;
        TRY(new_term(p, AY_RT_REF, &(struct ay_rego_tok){.line = b->line, .col = b->col}, &r));
        TRY(ay_arena_array(p->a, 4, sizeof *r->items, (void **)&r->items));
        r->items[0] = b;
        r->n = 1;
        r->head2 = (struct ay_rego_term *)(uintptr_t)4; /* capacity, reset below */
        b = r;
    }
    size_t cap = (size_t)(uintptr_t)b->head2;
    if (b->n == cap) {
        void *np;
        TRY(ay_arena_grow(p->a, b->items, cap * sizeof *b->items, cap * 2 * sizeof *b->items,
                          &np));
        b->items = np;
        b->head2 = (struct ay_rego_term *)(uintptr_t)(cap * 2);
    }
    b->items[b->n++] = elem;
    *base = b;
    return AY_OK;
}

static ay_err parse_suffixes(struct ps *p, struct ay_rego_term **io)
{
    for (;;) {
        const struct ay_rego_tok *t = cur(p);
        if (t->sp_before) {
            break;
        }
        if (t->kind == AY_TK_DOT) {
            adv(p);
            const struct ay_rego_tok *id = cur(p);
            if (id->kind != AY_TK_IDENT || id->sp_before) {
                return perr(p, "expected a name after '.'");
            }
            struct ay_rego_term *e;
            TRY(new_term(p, AY_RT_VAL, id, &e));
            TRY(ay_val_str(p->a, id->text, id->len, &e->val));
            adv(p);
            TRY(ref_append(p, io, e));
        } else if (t->kind == AY_TK_LBRACK) {
            adv(p);
            struct ay_rego_term *e;
            TRY(parse_in(p, &e));
            TRY(expect(p, AY_TK_RBRACK, "expected ']'"));
            TRY(ref_append(p, io, e));
        } else if (t->kind == AY_TK_LPAREN) {
            struct ay_rego_term *c;
            TRY(new_term(p, AY_RT_CALL, t, &c));
            TRY(call_name(p, *io, &c->name, &c->name_len));
            c->line = (*io)->line;
            c->col = (*io)->col;
            adv(p);
            struct plist l = {0};
            TRY(parse_terms_until(p, AY_TK_RPAREN, &l));
            c->items = (struct ay_rego_term **)l.v;
            c->n = (uint32_t)l.n;
            *io = c;
        } else {
            break;
        }
    }
    if ((*io)->kind == AY_RT_REF) {
        (*io)->head2 = NULL;
    }
    return AY_OK;
}

static bool is_reserved(const struct ps *p, const struct ay_rego_tok *t)
{
    return t->kind == AY_TK_IDENT && t->kw >= AY_KW_NOT && t->kw <= AY_KW_EVERY &&
           is_kw(p, t, (enum ay_rego_kw)t->kw);
}

/* A keyword directly followed by '(' '.' or '[' is a name: the builtin `contains(s, t)` and
 * keyword refs (`input.in`, `as.foo`; OPA 1.6 keywordrefs). */
/* A keyword directly followed by '.' is the first segment of a ref (`not.foo`, `if.bar`,
 * `true.f(x)`): OPA's parser takes it as a name there. */
static bool dot_next(const struct ps *p)
{
    const struct ay_rego_tok *n = peek_at(p, 1);
    return n->kind == AY_TK_DOT && !n->sp_before;
}

static bool kw_as_name(const struct ps *p)
{
    const struct ay_rego_tok *t = cur(p);
    const struct ay_rego_tok *n = peek_at(p, 1);
    if (n->sp_before) {
        return false;
    }
    if (is_ident(t, AY_KW_NOT) || is_ident(t, AY_KW_SOME) || is_ident(t, AY_KW_EVERY)) {
        return n->kind == AY_TK_DOT;
    }
    return n->kind == AY_TK_LPAREN || n->kind == AY_TK_DOT || n->kind == AY_TK_LBRACK;
}

/* A template string (current token AY_TK_TPL_BEGIN) becomes
 * internal.template_string([part, ...]): text parts are strings, each {expr} part is the
 * array comprehension [$N | $N = expr] (with the expression's `with` modifiers), so an undefined
 * expression gives [] ("<undefined>") and variables are captured as in any comprehension. The
 * generated variable names start with '$', which no Rego identifier can. */
static ay_err parse_template(struct ps *p, struct ay_rego_term **out)
{
    const struct ay_rego_tok *at = cur(p);
    adv(p);
    struct plist parts = {0};
    while (cur(p)->kind != AY_TK_TPL_END) {
        const struct ay_rego_tok *t = cur(p);
        if (t->kind == AY_TK_TPL_TEXT) {
            struct ay_rego_term *x;
            TRY(new_term(p, AY_RT_VAL, t, &x));
            x->val = t->val;
            TRY(plist_push(p, &parts, x));
            adv(p);
            continue;
        }
        if (t->kind != AY_TK_TPL_OPEN) {
            return perr(p, "expected template text or '{'");
        }
        adv(p);
        struct ay_rego_expr *e;
        TRY(parse_literal(p, &e));
        TRY(expect(p, AY_TK_TPL_CLOSE, "expected '}' closing the template expression"));
        if (e->kind != AY_RE_TERM) {
            return perr(p, "a template expression must be a term");
        }
        char nm[16];
        int nl = snprintf(nm, sizeof nm, "$%u", p->ntpl++);
        char *name;
        TRY(ay_arena_strndup(p->a, nm, (size_t)nl, &name));
        struct ay_rego_term *v1;
        struct ay_rego_term *v2;
        TRY(new_term(p, AY_RT_VAR, t, &v1));
        v1->name = name;
        v1->name_len = (uint32_t)nl;
        TRY(new_term(p, AY_RT_VAR, t, &v2));
        v2->name = name;
        v2->name_len = (uint32_t)nl;
        e->kind = AY_RE_UNIFY;
        e->b = e->a;
        e->a = v1;
        struct ay_rego_body *b;
        TRY(ay_arena_alloc(p->a, sizeof *b, (void **)&b));
        TRY(ay_arena_array(p->a, 1, sizeof *b->exprs, (void **)&b->exprs));
        b->exprs[0] = e;
        b->n = 1;
        struct ay_rego_term *comp;
        TRY(new_term(p, AY_RT_ACOMP, t, &comp));
        comp->head = v2;
        comp->body = b;
        TRY(plist_push(p, &parts, comp));
    }
    adv(p);
    struct ay_rego_term *arr;
    TRY(new_term(p, AY_RT_ARR, at, &arr));
    arr->items = (struct ay_rego_term **)parts.v;
    arr->n = (uint32_t)parts.n;
    struct ay_rego_term *call;
    TRY(new_term(p, AY_RT_CALL, at, &call));
    call->name = "internal.template_string";
    call->name_len = (uint32_t)strlen(call->name);
    TRY(ay_arena_array(p->a, 1, sizeof *call->items, (void **)&call->items));
    call->items[0] = arr;
    call->n = 1;
    *out = call;
    return AY_OK;
}

static ay_err parse_primary(struct ps *p, struct ay_rego_term **out)
{
    TRY(enter(p));
    const struct ay_rego_tok *t = cur(p);
    struct ay_rego_term *r = NULL;
    switch (t->kind) {
    case AY_TK_NUMBER:
    case AY_TK_STRING:
        TRY(new_term(p, AY_RT_VAL, t, &r));
        r->val = t->val;
        adv(p);
        break;
    case AY_TK_LBRACK:
        TRY(parse_array(p, &r));
        break;
    case AY_TK_TPL_BEGIN:
        TRY(parse_template(p, &r));
        break;
    case AY_TK_LBRACE:
        TRY(parse_brace(p, &r));
        break;
    case AY_TK_LPAREN:
        adv(p);
        TRY(parse_in_ex(p, true, &r));
        TRY(expect(p, AY_TK_RPAREN, "expected ')'"));
        break;
    case AY_TK_MINUS: {
        adv(p);
        struct ay_rego_term *x;
        TRY(parse_primary(p, &x));
        if (x->kind == AY_RT_VAL && x->val.kind == AY_V_NUM) {
            TRY(ay_val_num_neg(p->a, x->val, &x->val));
            r = x;
        } else {
            struct ay_rego_term *zero;
            TRY(new_term(p, AY_RT_VAL, t, &zero));
            zero->val = ay_val_int(0);
            TRY(mk_call(p, "minus", t, zero, x, &r));
        }
        leave(p);
        *out = r;
        return AY_OK;
    }
    case AY_TK_IDENT:
        if ((is_ident(t, AY_KW_TRUE) || is_ident(t, AY_KW_FALSE)) && !dot_next(p)) {
            TRY(new_term(p, AY_RT_VAL, t, &r));
            r->val = ay_val_bool(is_ident(t, AY_KW_TRUE));
            adv(p);
        } else if (is_ident(t, AY_KW_NULL) && !dot_next(p)) {
            TRY(new_term(p, AY_RT_VAL, t, &r));
            r->val = ay_val_null();
            adv(p);
        } else if (is_ident(t, AY_KW_SET) && peek_at(p, 1)->kind == AY_TK_LPAREN &&
                   peek_at(p, 2)->kind == AY_TK_RPAREN) {
            TRY(new_term(p, AY_RT_SET, t, &r));
            adv(p);
            adv(p);
            adv(p);
        } else if (is_reserved(p, t) && !kw_as_name(p)) {
            return perr(p, "unexpected keyword");
        } else {
            TRY(new_term(p, AY_RT_VAR, t, &r));
            r->name = t->text;
            r->name_len = t->len;
            r->wildcard = t->len == 1 && t->text[0] == '_';
            adv(p);
        }
        break;
    default:
        return perr(p, "expected a term");
    }
    TRY(parse_suffixes(p, &r));
    leave(p);
    *out = r;
    return AY_OK;
}

/* An infix operator continues the expression only on the same line. */
static bool infix(const struct ps *p, uint8_t kind)
{
    return cur(p)->kind == kind && !cur(p)->nl_before;
}

static ay_err parse_factor(struct ps *p, struct ay_rego_term **out)
{
    struct ay_rego_term *l;
    TRY(parse_primary(p, &l));
    for (;;) {
        const struct ay_rego_tok *op = cur(p);
        const char *fn = infix(p, AY_TK_STAR)      ? "mul"
                         : infix(p, AY_TK_SLASH)   ? "div"
                         : infix(p, AY_TK_PERCENT) ? "rem"
                                                   : NULL;
        if (fn == NULL) {
            break;
        }
        adv(p);
        struct ay_rego_term *r;
        TRY(parse_primary(p, &r));
        TRY(mk_call(p, fn, op, l, r, &l));
    }
    *out = l;
    return AY_OK;
}

static ay_err parse_arith(struct ps *p, struct ay_rego_term **out)
{
    struct ay_rego_term *l;
    TRY(parse_factor(p, &l));
    for (;;) {
        const struct ay_rego_tok *op = cur(p);
        const char *fn = infix(p, AY_TK_PLUS) ? "plus" : infix(p, AY_TK_MINUS) ? "minus" : NULL;
        if (fn == NULL) {
            break;
        }
        adv(p);
        struct ay_rego_term *r;
        TRY(parse_factor(p, &r));
        TRY(mk_call(p, fn, op, l, r, &l));
    }
    *out = l;
    return AY_OK;
}

static ay_err parse_and(struct ps *p, struct ay_rego_term **out)
{
    struct ay_rego_term *l;
    TRY(parse_arith(p, &l));
    while (infix(p, AY_TK_AMP)) {
        const struct ay_rego_tok *op = cur(p);
        adv(p);
        struct ay_rego_term *r;
        TRY(parse_arith(p, &r));
        TRY(mk_call(p, "and", op, l, r, &l));
    }
    *out = l;
    return AY_OK;
}

static ay_err parse_or(struct ps *p, struct ay_rego_term **out)
{
    struct ay_rego_term *l;
    TRY(parse_and(p, &l));
    while (infix(p, AY_TK_BAR)) {
        const struct ay_rego_tok *op = cur(p);
        adv(p);
        struct ay_rego_term *r;
        TRY(parse_and(p, &r));
        TRY(mk_call(p, "or", op, l, r, &l));
    }
    *out = l;
    return AY_OK;
}

/* The comparison operators after a parsed left operand l (also used where a collection
 * element was parsed at a tighter level to look for `|` or `:` first). */
static ay_err rel_tail(struct ps *p, struct ay_rego_term **io)
{
    struct ay_rego_term *l = *io;
    for (;;) {
        const struct ay_rego_tok *op = cur(p);
        const char *fn = infix(p, AY_TK_EQ)    ? "equal"
                         : infix(p, AY_TK_NEQ) ? "neq"
                         : infix(p, AY_TK_LT)  ? "lt"
                         : infix(p, AY_TK_LTE) ? "lte"
                         : infix(p, AY_TK_GT)  ? "gt"
                         : infix(p, AY_TK_GTE) ? "gte"
                                               : NULL;
        if (fn == NULL) {
            break;
        }
        adv(p);
        struct ay_rego_term *r;
        TRY(parse_or(p, &r));
        TRY(mk_call(p, fn, op, l, r, &l));
    }
    *io = l;
    return AY_OK;
}

static ay_err parse_rel(struct ps *p, struct ay_rego_term **out)
{
    TRY(parse_or(p, out));
    return rel_tail(p, out);
}

/* Comparisons and `x in xs` after an element parsed with parse_and (arrays, sets, objects). */
static ay_err elem_tail(struct ps *p, struct ay_rego_term **io)
{
    TRY(rel_tail(p, io));
    while (is_kw(p, cur(p), AY_KW_IN) && !cur(p)->nl_before) {
        const struct ay_rego_tok *op = cur(p);
        adv(p);
        struct ay_rego_term *r;
        TRY(parse_rel(p, &r));
        TRY(mk_call(p, "internal.member_2", op, *io, r, io));
    }
    return AY_OK;
}

/* `in` level; with_key: `k, v in xs` is allowed here (literals and parentheses). */
static ay_err parse_in_ex(struct ps *p, bool with_key, struct ay_rego_term **out)
{
    TRY(enter(p));
    struct ay_rego_term *l;
    TRY(parse_rel(p, &l));
    if (with_key && cur(p)->kind == AY_TK_COMMA) {
        /* Backtrack unless the comma starts `, v in xs`. */
        size_t save = p->i;
        adv(p);
        struct ay_rego_term *v = NULL;
        if (parse_rel(p, &v) == AY_OK && is_kw(p, cur(p), AY_KW_IN) && !cur(p)->nl_before) {
            const struct ay_rego_tok *op = cur(p);
            adv(p);
            struct ay_rego_term *c;
            TRY(parse_rel(p, &c));
            struct ay_rego_term *call;
            TRY(mk_call(p, "internal.member_3", op, l, v, &call));
            struct ay_rego_term **it;
            TRY(ay_arena_array(p->a, 3, sizeof *it, (void **)&it));
            it[0] = l;
            it[1] = v;
            it[2] = c;
            call->items = it;
            call->n = 3;
            l = call;
        } else {
            seek(p, save);
            ay_diag_clear(p->diag);
        }
    }
    while (is_kw(p, cur(p), AY_KW_IN) && !cur(p)->nl_before) {
        const struct ay_rego_tok *op = cur(p);
        adv(p);
        struct ay_rego_term *r;
        TRY(parse_rel(p, &r));
        TRY(mk_call(p, "internal.member_2", op, l, r, &l));
    }
    leave(p);
    *out = l;
    return AY_OK;
}

static ay_err parse_in(struct ps *p, struct ay_rego_term **out)
{
    return parse_in_ex(p, false, out);
}

static bool at_literal_end(const struct ps *p, uint8_t close)
{
    const struct ay_rego_tok *t = cur(p);
    return t->kind == AY_TK_SEMI || t->kind == close || t->kind == AY_TK_EOF || t->nl_before;
}

static ay_err new_expr(struct ps *p, uint8_t kind, const struct ay_rego_tok *at,
                       struct ay_rego_expr **out)
{
    struct ay_rego_expr *e;
    TRY(ay_arena_alloc(p->a, sizeof *e, (void **)&e));
    e->kind = kind;
    e->line = at->line;
    e->col = at->col;
    e->qslot = -1;
    *out = e;
    return AY_OK;
}

/* `some x, y`, `some x in xs`, `some k, v in xs`. */
static ay_err parse_some(struct ps *p, struct ay_rego_expr **out)
{
    const struct ay_rego_tok *at = cur(p);
    adv(p);
    struct plist l = {0};
    for (;;) {
        struct ay_rego_term *x;
        TRY(parse_rel(p, &x));
        TRY(plist_push(p, &l, x));
        if (cur(p)->kind != AY_TK_COMMA) {
            break;
        }
        adv(p);
    }
    struct ay_rego_expr *e;
    if (is_kw(p, cur(p), AY_KW_IN)) {
        adv(p);
        if (l.n > 2) {
            return perr(p, "some: at most key and value before 'in'");
        }
        TRY(new_expr(p, AY_RE_SOME_IN, at, &e));
        if (l.n == 2) {
            e->a = l.v[0];
            e->b = l.v[1];
        } else {
            e->b = l.v[0];
        }
        TRY(parse_rel(p, &e->c));
        *out = e;
        return AY_OK;
    }
    for (size_t i = 0; i < l.n; i++) {
        struct ay_rego_term *x = l.v[i];
        if (x->kind != AY_RT_VAR) {
            seek(p, p->i - 1);
            return perr(p, "expected variables after 'some'");
        }
    }
    TRY(new_expr(p, AY_RE_SOME, at, &e));
    e->items = (struct ay_rego_term **)l.v;
    e->n = l.n;
    *out = e;
    return AY_OK;
}

static ay_err parse_every(struct ps *p, struct ay_rego_expr **out)
{
    const struct ay_rego_tok *at = cur(p);
    adv(p);
    struct ay_rego_expr *e;
    TRY(new_expr(p, AY_RE_EVERY, at, &e));
    struct ay_rego_term *x;
    TRY(parse_rel(p, &x));
    if (accept(p, AY_TK_COMMA)) {
        e->a = x;
        TRY(parse_rel(p, &e->b));
    } else {
        e->b = x;
    }
    if (!is_kw(p, cur(p), AY_KW_IN)) {
        return perr(p, "expected 'in' after every variables");
    }
    adv(p);
    TRY(parse_rel(p, &e->c));
    TRY(expect(p, AY_TK_LBRACE, "expected '{' after every domain"));
    TRY(parse_body_until(p, AY_TK_RBRACE, &e->body));
    *out = e;
    return AY_OK;
}

static ay_err parse_expr(struct ps *p, struct ay_rego_expr **out)
{
    const struct ay_rego_tok *at = cur(p);
    struct ay_rego_term *a;
    TRY(parse_in_ex(p, true, &a));
    struct ay_rego_expr *e;
    if (cur(p)->kind == AY_TK_UNIFY || cur(p)->kind == AY_TK_ASSIGN) {
        TRY(new_expr(p, cur(p)->kind == AY_TK_UNIFY ? AY_RE_UNIFY : AY_RE_ASSIGN, at, &e));
        adv(p);
        e->a = a;
        TRY(parse_in(p, &e->b));
    } else {
        TRY(new_expr(p, AY_RE_TERM, at, &e));
        e->a = a;
    }
    *out = e;
    return AY_OK;
}

static ay_err parse_literal(struct ps *p, struct ay_rego_expr **out)
{
    TRY(enter(p));
    const struct ay_rego_tok *at = cur(p);
    struct ay_rego_expr *e;
    if (is_ident(at, AY_KW_SOME) && !dot_next(p)) {
        TRY(parse_some(p, &e));
    } else if (is_kw(p, at, AY_KW_EVERY) && !dot_next(p)) {
        TRY(parse_every(p, &e));
    } else if (is_ident(at, AY_KW_NOT) && !dot_next(p)) {
        adv(p);
        TRY(new_expr(p, AY_RE_NOT, at, &e));
        TRY(parse_expr(p, &e->sub));
    } else {
        TRY(parse_expr(p, &e));
    }
    struct plist w = {0};
    while (is_ident(cur(p), AY_KW_WITH) && !dot_next(p)) {
        adv(p);
        struct ay_rego_with *wi;
        TRY(ay_arena_alloc(p->a, sizeof *wi, (void **)&wi));
        TRY(parse_rel(p, &wi->target));
        if (!is_ident(cur(p), AY_KW_AS)) {
            return perr(p, "expected 'as' after with target");
        }
        adv(p);
        TRY(parse_rel(p, &wi->value));
        TRY(plist_push(p, &w, wi));
    }
    if (w.n > 0) {
        struct ay_rego_with *arr;
        TRY(ay_arena_array(p->a, w.n, sizeof *arr, (void **)&arr));
        for (size_t i = 0; i < w.n; i++) {
            arr[i] = *(struct ay_rego_with *)w.v[i];
        }
        e->with = arr;
        e->nwith = w.n;
    }
    const struct ay_rego_tok *last = p->i > 0 ? ay_rego_lexer_at(p->lx, p->i - 1) : at;
    e->text = at->text;
    e->text_len = last->text >= at->text ? (size_t)(last->text - at->text) + last->len : 0;
    leave(p);
    *out = e;
    return AY_OK;
}

/* Literals up to (and consuming) close; separated by ';' or newlines. */
static ay_err parse_body_until(struct ps *p, uint8_t close, struct ay_rego_body **out)
{
    TRY(enter(p));
    struct plist l = {0};
    for (;;) {
        while (accept(p, AY_TK_SEMI)) {
        }
        if (cur(p)->kind == close) {
            break;
        }
        struct ay_rego_expr *e;
        TRY(parse_literal(p, &e));
        TRY(plist_push(p, &l, e));
        if (!at_literal_end(p, close)) {
            return perr(p, "expected end of expression (newline, ';' or closing bracket)");
        }
    }
    if (close != AY_TK_EOF) {
        adv(p);
    }
    if (l.n == 0) {
        return perr(p, "empty body");
    }
    struct ay_rego_body *b;
    TRY(ay_arena_alloc(p->a, sizeof *b, (void **)&b));
    b->exprs = (struct ay_rego_expr **)l.v;
    b->n = l.n;
    leave(p);
    *out = b;
    return AY_OK;
}

/* ---- module level ---- */

static ay_err ident_str(struct ps *p, const struct ay_rego_tok *t, const char **out)
{
    char *s;
    TRY(ay_arena_strndup(p->a, t->text, t->len, &s));
    *out = s;
    return AY_OK;
}

/* A dotted path of names and ["strings"]: package and import paths. */
static ay_err parse_path(struct ps *p, struct slist *l)
{
    if (cur(p)->kind != AY_TK_IDENT) {
        return perr(p, "expected a name");
    }
    const char *s;
    TRY(ident_str(p, cur(p), &s));
    TRY(slist_push(p, l, s));
    adv(p);
    for (;;) {
        if (cur(p)->kind == AY_TK_DOT && !cur(p)->sp_before) {
            adv(p);
            if (cur(p)->kind != AY_TK_IDENT) {
                return perr(p, "expected a name after '.'");
            }
            TRY(ident_str(p, cur(p), &s));
            adv(p);
        } else if (cur(p)->kind == AY_TK_LBRACK && !cur(p)->sp_before) {
            adv(p);
            if (cur(p)->kind != AY_TK_STRING) {
                return perr(p, "expected a string in path");
            }
            s = cur(p)->val.u.s;
            adv(p);
            TRY(expect(p, AY_TK_RBRACK, "expected ']'"));
        } else {
            break;
        }
        TRY(slist_push(p, l, s));
    }
    return AY_OK;
}

static ay_err parse_rule_body(struct ps *p, struct ay_rego_body **out)
{
    if (is_kw(p, cur(p), AY_KW_IF) && !dot_next(p)) {
        adv(p);
        if (cur(p)->kind == AY_TK_LBRACE) {
            /* `if {` starts a body, not an object or set literal; unless it cannot be one
             * (`if {k: v | ...}`): then, as OPA, the braces are a term (backtrack). */
            size_t save = p->i;
            size_t save_depth = p->depth;
            adv(p);
            ay_err e = parse_body_until(p, AY_TK_RBRACE, out);
            if (e != AY_ERR_POLICY_COMPILE) {
                return e;
            }
            struct ay_diag first = *p->diag;
            seek(p, save);
            p->depth = save_depth;
            ay_diag_clear(p->diag);
            struct ay_rego_expr *x;
            if (parse_literal(p, &x) != AY_OK) {
                *p->diag = first; /* report the body's error */
                return AY_ERR_POLICY_COMPILE;
            }
            struct ay_rego_body *b;
            TRY(ay_arena_alloc(p->a, sizeof *b, (void **)&b));
            TRY(ay_arena_array(p->a, 1, sizeof *b->exprs, (void **)&b->exprs));
            b->exprs[0] = x;
            b->n = 1;
            *out = b;
            return AY_OK;
        }
        struct ay_rego_expr *e;
        TRY(parse_literal(p, &e));
        struct ay_rego_body *b;
        TRY(ay_arena_alloc(p->a, sizeof *b, (void **)&b));
        TRY(ay_arena_array(p->a, 1, sizeof *b->exprs, (void **)&b->exprs));
        b->exprs[0] = e;
        b->n = 1;
        *out = b;
        return AY_OK;
    }
    if (cur(p)->kind == AY_TK_LBRACE && !cur(p)->nl_before) {
        if (!p->v0) {
            return perr(p, "`if` keyword is required before rule body");
        }
        adv(p);
        return parse_body_until(p, AY_TK_RBRACE, out);
    }
    *out = NULL;
    return AY_OK;
}

/* Calls in a function parameter (a template string, f(x + 1)) are replaced by a generated
 * variable and evaluated after the body, which may bind their variables: OPA's compiler appends
 * them to the body (rewriteExprTermsInHead), so `f($"{x}") := 1 if { x := "a" }` matches
 * f("a"). Collections are searched; a comprehension keeps its calls. */
struct lift {
    struct plist support; /* the `$N = call` expressions */
    struct plist names;   /* the generated names, in the order of the calls */
    size_t k;             /* reuse: the next name to take */
    bool reuse; /* names are the head's (an else clause shares the head's parameters, but its
                   body needs its own copy of their calls, under the same names) */
};

static ay_err lift_calls(struct ps *p, struct ay_rego_term **slot, struct lift *lf)
{
    struct ay_rego_term *t = *slot;
    if (t->kind == AY_RT_ARR || t->kind == AY_RT_SET || t->kind == AY_RT_OBJ) {
        for (size_t i = 0; i < t->n; i++) {
            TRY(lift_calls(p, &t->items[i], lf));
        }
        return AY_OK;
    }
    if (t->kind != AY_RT_CALL) {
        return AY_OK;
    }
    char *name;
    if (lf->reuse) {
        if (lf->k >= lf->names.n) {
            return perr(p, "internal: function parameters parsed differently");
        }
        name = lf->names.v[lf->k++];
    } else {
        char nm[16];
        int nl = snprintf(nm, sizeof nm, "$%u", p->ntpl++);
        TRY(ay_arena_strndup(p->a, nm, (size_t)nl, &name));
        TRY(plist_push(p, &lf->names, name));
    }
    struct ay_rego_term *v[2];
    for (size_t i = 0; i < 2; i++) {
        TRY(ay_arena_alloc(p->a, sizeof *v[i], (void **)&v[i]));
        v[i]->kind = AY_RT_VAR;
        v[i]->line = t->line;
        v[i]->col = t->col;
        v[i]->slot = -1;
        v[i]->host = -1;
        v[i]->name = name;
        v[i]->name_len = (uint32_t)strlen(name);
    }
    struct ay_rego_expr *e;
    TRY(ay_arena_alloc(p->a, sizeof *e, (void **)&e));
    e->kind = AY_RE_UNIFY;
    e->line = t->line;
    e->col = t->col;
    e->qslot = -1;
    e->a = v[1];
    e->b = t;
    *slot = v[0];
    return plist_push(p, &lf->support, e);
}

/* Appends lf's support expressions to r's body. */
static ay_err append_support(struct ps *p, struct ay_rego_rule *r, const struct lift *lf)
{
    struct ay_rego_body *b = r->body;
    size_t n0 = b != NULL ? b->n : 0;
    struct ay_rego_body *nb;
    TRY(ay_arena_alloc(p->a, sizeof *nb, (void **)&nb));
    TRY(ay_arena_array(p->a, n0 + lf->support.n, sizeof *nb->exprs, (void **)&nb->exprs));
    for (size_t i = 0; i < n0; i++) {
        nb->exprs[i] = b->exprs[i];
    }
    for (size_t i = 0; i < lf->support.n; i++) {
        nb->exprs[n0 + i] = lf->support.v[i];
    }
    nb->n = n0 + lf->support.n;
    r->body = nb;
    return AY_OK;
}

/* The head's parameters: their calls move to the head's body (names collected in lf). */
static ay_err lift_head_args(struct ps *p, struct ay_rego_rule *r, struct lift *lf)
{
    for (size_t i = 0; i < r->nargs; i++) {
        TRY(lift_calls(p, &r->args[i], lf));
    }
    return lf->support.n > 0 ? append_support(p, r, lf) : AY_OK;
}

/* An else clause of a head whose parameters had calls: the parameters are parsed again from
 * their tokens (args_at) for fresh copies of the calls, appended to the clause's body under the
 * head's generated names; the clause keeps the head's (shared) parameters. */
static ay_err lift_else_args(struct ps *p, struct ay_rego_rule *e, size_t args_at,
                             const struct lift *head)
{
    size_t resume = p->i;
    seek(p, args_at);
    struct plist args = {0};
    TRY(parse_terms_until(p, AY_TK_RPAREN, &args));
    seek(p, resume);
    struct lift lf = {.names = head->names, .reuse = true};
    for (size_t i = 0; i < args.n; i++) {
        TRY(lift_calls(p, (struct ay_rego_term **)&args.v[i], &lf));
    }
    return append_support(p, e, &lf);
}

/* A rule, with the METADATA annotations that preceded it. */
static ay_err parse_rule(struct ps *p, struct ay_rego_module *m, struct ay_rego_annot *annots,
                         struct ay_rego_rule **out)
{
    const struct ay_rego_tok *at = cur(p);
    struct ay_rego_rule *r;
    TRY(ay_arena_alloc(p->a, sizeof *r, (void **)&r));
    r->annots = annots;
    r->line = at->line;
    r->col = at->col;
    r->mod = m;
    if (is_ident(at, AY_KW_DEFAULT) && !dot_next(p)) {
        r->is_default = true;
        adv(p);
    }
    /* Head reference: name(.name | [term])* */
    struct slist path = {0};
    for (size_t i = 0; i < m->npkg; i++) {
        TRY(slist_push(p, &path, m->pkg[i]));
    }
    if (cur(p)->kind != AY_TK_IDENT || (is_reserved(p, cur(p)) && !kw_as_name(p))) {
        return perr(p, "expected a rule name");
    }
    const char *s;
    TRY(ident_str(p, cur(p), &s));
    TRY(slist_push(p, &path, s));
    adv(p);
    /* After the first non-string key every element is dynamic (general ref head). */
    struct plist dyn = {0};
    for (;;) {
        if (cur(p)->kind == AY_TK_DOT && !cur(p)->sp_before) {
            adv(p);
            if (cur(p)->kind != AY_TK_IDENT) {
                return perr(p, "expected a name after '.'");
            }
            TRY(ident_str(p, cur(p), &s));
            if (dyn.n > 0) {
                struct ay_rego_term *k;
                TRY(new_term(p, AY_RT_VAL, cur(p), &k));
                k->val = ay_val_str_static(s);
                TRY(plist_push(p, &dyn, k));
            } else {
                TRY(slist_push(p, &path, s));
            }
            adv(p);
        } else if (cur(p)->kind == AY_TK_LBRACK && !cur(p)->sp_before) {
            adv(p);
            struct ay_rego_term *k;
            TRY(parse_in(p, &k));
            TRY(expect(p, AY_TK_RBRACK, "expected ']'"));
            if (dyn.n == 0 && k->kind == AY_RT_VAL && k->val.kind == AY_V_STR &&
                !(p->v0 && cur(p)->kind == AY_TK_LBRACE)) {
                TRY(slist_push(p, &path, k->val.u.s));
            } else {
                TRY(plist_push(p, &dyn, k));
            }
        } else {
            break;
        }
    }
    bool general = dyn.n > 1;
    if (dyn.n == 1) {
        r->key = dyn.v[0];
    } else if (general) {
        TRY(new_term(p, AY_RT_ARR, at, &r->key));
        r->key->items = (struct ay_rego_term **)dyn.v;
        r->key->n = (uint32_t)dyn.n;
    }
    r->path = path.v;
    r->npath = path.n;
    size_t args_at = 0; /* token of the first function parameter */
    if (cur(p)->kind == AY_TK_LPAREN && !cur(p)->sp_before && r->key == NULL) {
        adv(p);
        args_at = p->i;
        struct plist args = {0};
        TRY(parse_terms_until(p, AY_TK_RPAREN, &args));
        r->kind = AY_RR_FUNC;
        r->args = (struct ay_rego_term **)args.v;
        r->nargs = args.n;
    } else if (general) {
        r->kind = AY_RR_GEN;
    } else if (r->key != NULL) {
        r->kind = AY_RR_OBJ;
    }
    if (is_kw(p, cur(p), AY_KW_CONTAINS) && r->key != NULL && r->kind != AY_RR_FUNC) {
        /* p[x] contains v, p.a[x].b contains v: a set at a dynamic path. */
        adv(p);
        if (r->kind == AY_RR_OBJ) {
            struct ay_rego_term *arr;
            TRY(new_term(p, AY_RT_ARR, at, &arr));
            TRY(ay_arena_array(p->a, 1, sizeof *arr->items, (void **)&arr->items));
            arr->items[0] = r->key;
            arr->n = 1;
            r->key = arr;
        }
        r->kind = AY_RR_GEN;
        r->set_leaf = true;
        TRY(parse_in(p, &r->value));
    } else if (is_kw(p, cur(p), AY_KW_CONTAINS)) {
        if (r->key != NULL || r->kind == AY_RR_FUNC) {
            return perr(p, "unsupported rule head: contains after a key");
        }
        adv(p);
        r->kind = AY_RR_SET;
        TRY(parse_in(p, &r->key));
    } else if (cur(p)->kind == AY_TK_ASSIGN || cur(p)->kind == AY_TK_UNIFY) {
        adv(p);
        TRY(parse_in(p, &r->value));
    } else if (r->kind == AY_RR_OBJ && p->v0) {
        r->kind = AY_RR_SET; /* v0 `p[x] { ... }` is a partial set */
    } else if (r->kind == AY_RR_GEN && p->v0) {
        return perr(p, "general ref heads need Rego v1");
    }
    if (r->is_default) {
        if (r->value == NULL || r->kind == AY_RR_SET || r->kind == AY_RR_OBJ ||
            r->kind == AY_RR_GEN) {
            return perr(p, "default rules must have a value: default p := v");
        }
        *out = r;
        return AY_OK;
    }
    TRY(parse_rule_body(p, &r->body));
    struct lift lf = {0};
    if (r->kind == AY_RR_FUNC) {
        TRY(lift_head_args(p, r, &lf));
    }
    /* else chain */
    struct ay_rego_rule *last = r;
    while (is_ident(cur(p), AY_KW_ELSE) && !dot_next(p)) {
        if (r->kind != AY_RR_COMPLETE && r->kind != AY_RR_FUNC) {
            return perr(p, "else is only allowed on complete rules and functions");
        }
        const struct ay_rego_tok *et = cur(p);
        adv(p);
        struct ay_rego_rule *e;
        TRY(ay_arena_alloc(p->a, sizeof *e, (void **)&e));
        *e = *r;
        e->els = NULL;
        e->line = et->line;
        e->col = et->col;
        e->value = NULL;
        e->body = NULL;
        if (cur(p)->kind == AY_TK_ASSIGN || cur(p)->kind == AY_TK_UNIFY) {
            adv(p);
            TRY(parse_in(p, &e->value));
        }
        TRY(parse_rule_body(p, &e->body));
        if (lf.names.n > 0) {
            TRY(lift_else_args(p, e, args_at, &lf));
        }
        last->els = e;
        last = e;
    }
    *out = r;
    return AY_OK;
}

static ay_err parse_import(struct ps *p, struct ay_rego_module *m, struct plist *imps)
{
    const struct ay_rego_tok *at = cur(p);
    adv(p);
    struct slist path = {0};
    TRY(parse_path(p, &path));
    const char *first = path.v[0];
    if (strcmp(first, "rego") == 0 && path.n == 2 && strcmp(path.v[1], "v1") == 0) {
        p->kw = true;
        m->v0 = false;
        p->v0 = false;
        return AY_OK;
    }
    if (strcmp(first, "future") == 0) {
        if (path.n < 2 || strcmp(path.v[1], "keywords") != 0) {
            return FAIL(p->diag, AY_ERR_POLICY_COMPILE, "%s:%u:%u: invalid import of future",
                        p->name, at->line, at->col);
        }
        p->kw = true;
        return AY_OK;
    }
    if (strcmp(first, "data") != 0 && strcmp(first, "input") != 0) {
        return FAIL(p->diag, AY_ERR_POLICY_COMPILE,
                    "%s:%u:%u: invalid import path: must begin with input or data", p->name,
                    at->line, at->col);
    }
    struct ay_rego_import *im;
    TRY(ay_arena_alloc(p->a, sizeof *im, (void **)&im));
    im->path = path.v;
    im->npath = path.n;
    im->alias = path.v[path.n - 1];
    im->line = at->line;
    im->col = at->col;
    if (is_ident(cur(p), AY_KW_AS)) {
        adv(p);
        if (cur(p)->kind != AY_TK_IDENT) {
            return perr(p, "expected a name after 'as'");
        }
        TRY(ident_str(p, cur(p), &im->alias));
        adv(p);
    }
    return plist_push(p, imps, im);
}

/* The METADATA blocks before the statement at the current token (all that are left when
 * target is AY_RM_NONE, at the end of the module), parsed for that statement, in source order
 * (OPA attaches a block to the first statement below it). */
static ay_err take_annots(struct ps *p, struct ay_rego_module *m, enum ay_rego_meta_target target,
                          struct ay_rego_annot **out)
{
    uint32_t before = target == AY_RM_NONE ? UINT32_MAX : cur(p)->line;
    struct ay_rego_meta_block blk;
    while (ay_rego_lexer_meta(p->lx, before, &blk)) {
        struct ay_rego_annot *an;
        TRY(ay_rego_meta_parse(p->a, p->name, &blk, target, p->diag, &an));
        m->has_annots = true;
        *out = an;
        out = &an->next;
    }
    return AY_OK;
}

static ay_err parse_module_toks(struct ps *pp, struct ay_rego_module **out)
{
    struct ps p = *pp;
    struct ay_arena *a = p.a;
    const char *name = p.name;
    bool v0 = p.v0;
    struct ay_rego_module *m;
    TRY(ay_arena_alloc(a, sizeof *m, (void **)&m));
    m->name = name;
    m->v0 = v0;
    if (!is_ident(cur(&p), AY_KW_PACKAGE)) {
        return perr(&p, "expected package declaration");
    }
    TRY(take_annots(&p, m, AY_RM_PACKAGE, &m->annots));
    adv(&p);
    struct slist pkg = {0};
    TRY(parse_path(&p, &pkg));
    m->pkg = pkg.v;
    m->npkg = pkg.n;
    struct plist imps = {0};
    while (is_ident(cur(&p), AY_KW_IMPORT) && !dot_next(&p)) {
        struct ay_rego_annot *none = NULL;
        TRY(take_annots(&p, m, AY_RM_IMPORT, &none));
        TRY(parse_import(&p, m, &imps));
    }
    struct plist rules = {0};
    while (cur(&p)->kind != AY_TK_EOF) {
        if (is_ident(cur(&p), AY_KW_IMPORT) && !dot_next(&p)) {
            return perr(&p, "imports must come before rules");
        }
        /* No token of an earlier rule is looked at again. */
        ay_rego_lexer_release(p.lx, p.i > 0 ? p.i - 1 : 0);
        struct ay_rego_annot *annots = NULL;
        TRY(take_annots(&p, m, AY_RM_RULE, &annots));
        struct ay_rego_rule *r = NULL;
        TRY(parse_rule(&p, m, annots, &r));
        TRY(plist_push(&p, &rules, r));
        if (cur(&p)->kind != AY_TK_EOF && !cur(&p)->nl_before && cur(&p)->kind != AY_TK_SEMI) {
            return perr(&p, "unexpected token after rule");
        }
        while (accept(&p, AY_TK_SEMI)) {
        }
    }
    struct ay_rego_annot *none = NULL;
    TRY(take_annots(&p, m, AY_RM_NONE, &none));
    m->imports = (struct ay_rego_import *)NULL;
    if (imps.n > 0) {
        TRY(ay_arena_array(a, imps.n, sizeof *m->imports, (void **)&m->imports));
        for (size_t i = 0; i < imps.n; i++) {
            m->imports[i] = *(struct ay_rego_import *)imps.v[i];
        }
    }
    m->nimports = imps.n;
    m->rules = (struct ay_rego_rule **)rules.v;
    m->nrules = rules.n;
    *out = m;
    return AY_OK;
}

/* The tokens are lexer scratch dropped as parsing goes: the AST keeps only what it points to
 * (source text, decoded strings in a), so the policy holds no token array. */
ay_err ay_rego_parse_module(struct ay_arena *a, const char *name, const char *src, size_t n,
                            bool v0, struct ay_diag *diag, struct ay_rego_module **out)
{
    struct ps p = {.a = a, .name = name, .diag = diag, .v0 = v0, .kw = !v0};
    TRY(ay_rego_lexer_new(a, name, src, n, diag, &p.lx));
    seek(&p, 0);
    ay_err e = parse_module_toks(&p, out);
    ay_err le = ay_rego_lexer_error(p.lx, diag);
    ay_rego_lexer_free(p.lx);
    return le != AY_OK ? le : e;
}

ay_err ay_rego_parse_query(struct ay_arena *a, const char *src, size_t n, struct ay_diag *diag,
                           struct ay_rego_body **out)
{
    struct ps p = {.a = a, .name = "query", .diag = diag, .kw = true};
    TRY(ay_rego_lexer_new(a, "query", src, n, diag, &p.lx));
    seek(&p, 0);
    ay_err e = parse_body_until(&p, AY_TK_EOF, out);
    ay_err le = ay_rego_lexer_error(p.lx, diag);
    ay_rego_lexer_free(p.lx);
    return le != AY_OK ? le : e;
}
