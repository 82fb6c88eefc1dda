/* SPDX-License-Identifier: Apache-2.0 */
/* Recursive-descent parser for Rego (OPA v1 syntax by default, v0 on request) producing the AST
 * of rego_ast.h in the policy arena. Operator precedence follows OPA's parser (lowest first):
 * `in`; == != < <= > >=; |; &; + -; * / %. Every recursive descent is counted against
 * AY_LIMIT_REGO_DEPTH. Errors are "name:line:col: message".
 * Run cold once per CLI process (issue 3), so it keeps its own work small: binary operators by
 * precedence climbing (one table look-up after a term instead of a call per level), AST nodes
 * cut from blocks of the arena (one arena call per block), and lists collected on a scratch
 * stack then copied once at their exact size (no doubling copies left behind in the arena). */
#include "rego/rego_ast.h"

#include <stdio.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "rego/rego_meta.h"

/* Bytes of the arena blocks a module's AST nodes are cut from. A query's nodes (a handful, in
 * its evaluation's arena, whose budget a caller may set tight) are allocated one by one. */
#define AST_BLOCK_MODULE ((size_t)4096)
#define AST_BLOCK_QUERY ((size_t)0)
/* Entries of the scratch stack held in the parse function's frame before it moves to the heap. */
#define SCRATCH_INLINE 256

/* One entry of the scratch stack: a node pointer, or a path segment (const). */
union slot {
    void *p;
    const char *s;
};

_Static_assert(sizeof(union slot) == sizeof(void *), "a slot is one pointer");

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
    /* The block AST nodes are cut from: nodes from lo up (8-byte aligned), strings from hi
     * down (unaligned). Arena memory is zeroed, so nodes start zeroed as ay_arena_alloc's. */
    unsigned char *blk;
    size_t lo;
    size_t hi;
    size_t blk_size;
    /* Elements of the lists being parsed, innermost list on top: a list starts at the top and
     * is copied out when it ends, so nested lists never interleave. At most two entries per
     * token (a rule's path repeats the package's), so bounded by AY_LIMIT_REGO_SOURCE; lists
     * that grew by doubling in the arena took more of it. */
    union slot *stk;
    size_t top;
    size_t cap;
    bool stk_heap;
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

AY_NOINLINE static ay_err too_deep(const struct ps *p)
{
    const struct ay_rego_tok *t = cur(p);
    return FAIL(p->diag, AY_ERR_LIMIT, "%s:%u:%u: nesting deeper than %d", p->name, t->line,
                t->col, AY_LIMIT_REGO_DEPTH);
}

static inline ay_err enter(struct ps *p)
{
    if (++p->depth > AY_LIMIT_REGO_DEPTH) {
        return too_deep(p);
    }
    return AY_OK;
}

static void leave(struct ps *p)
{
    p->depth--;
}

/* ---- AST memory ---- */

/* need bytes (a multiple of 8 for nodes) that do not fit in the current block: a new block,
 * or memory of their own when large (the block is kept for what follows) or when there are no
 * blocks (blk_size 0). Near the arena's cap a block may not fit where need still does: then
 * need alone, as if there were no blocks. */
AY_NOINLINE static ay_err blk_refill(struct ps *p, size_t need, bool str,
                                     void **out)
{
    if (need > p->blk_size / 4) {
        return ay_arena_alloc(p->a, need, out);
    }
    void *b;
    ay_err e = ay_arena_alloc(p->a, p->blk_size, &b);
    if (e == AY_ERR_LIMIT) {
        return ay_arena_alloc(p->a, need, out);
    }
    TRY(e);
    p->blk = b;
    p->lo = 0;
    p->hi = p->blk_size;
    if (str) {
        p->hi -= need;
        *out = p->blk + p->hi;
    } else {
        *out = p->blk;
        p->lo = need;
    }
    return AY_OK;
}

/* n zeroed bytes for a node or an array of pointers (8-byte aligned: no AST type needs more). */
static inline ay_err ast_alloc(struct ps *p, size_t n, void **out)
{
    size_t need = n == 0 ? 8 : (n + 7) & ~(size_t)7;
    if (p->hi - p->lo < need) {
        return blk_refill(p, need, false, out);
    }
    *out = p->blk + p->lo;
    p->lo += need;
    return AY_OK;
}

/* n + 1 bytes for a string of n bytes and its NUL (zeroed). */
static ay_err ast_chars(struct ps *p, size_t n, char **out)
{
    ENSURE(n < SIZE_MAX, AY_ERR_LIMIT);
    void *d;
    if (p->hi - p->lo < n + 1) {
        TRY(blk_refill(p, n + 1, true, &d));
    } else {
        p->hi -= n + 1;
        d = p->blk + p->hi;
    }
    *out = d;
    return AY_OK;
}

/* A NUL-terminated copy of s[0..n). */
static ay_err ast_str(struct ps *p, const char *s, size_t n, char **out)
{
    char *d;
    TRY(ast_chars(p, n, &d));
    if (n > 0) {
        memcpy(d, s, n);
    }
    d[n] = '\0';
    *out = d;
    return AY_OK;
}

/* Writes *out (no local of the caller's has its address taken for it: the hot paths then need
 * no stack protector). */
static inline ay_err new_term_at(struct ps *p, uint8_t kind, uint32_t line, uint32_t col,
                                 struct ay_rego_term **out)
{
    TRY(ast_alloc(p, sizeof **out, (void **)out));
    struct ay_rego_term *t = *out;
    t->kind = kind;
    t->line = line;
    t->col = col;
    t->slot = -1;
    t->host = -1;
    return AY_OK;
}

static inline ay_err new_term(struct ps *p, uint8_t kind, const struct ay_rego_tok *at,
                              struct ay_rego_term **out)
{
    return new_term_at(p, kind, at->line, at->col, out);
}

/* A body of the one expression e. */
static ay_err body_of(struct ps *p, struct ay_rego_expr *e, struct ay_rego_body **out)
{
    struct ay_rego_body *b;
    TRY(ast_alloc(p, sizeof *b, (void **)&b));
    TRY(ast_alloc(p, sizeof *b->exprs, (void **)&b->exprs));
    b->exprs[0] = e;
    b->n = 1;
    *out = b;
    return AY_OK;
}

/* ---- lists (scratch stack) ---- */

AY_NOINLINE static void lst_grow(struct ps *p)
{
    size_t nc = p->cap * 2;
    if (p->stk_heap) {
        p->stk = ay_xrealloc(p->stk, nc * sizeof *p->stk);
    } else {
        union slot *n = ay_xmalloc(nc * sizeof *n);
        memcpy(n, p->stk, p->top * sizeof *n);
        p->stk = n;
        p->stk_heap = true;
    }
    p->cap = nc;
}

static void lst_push(struct ps *p, void *x)
{
    if (p->top == p->cap) {
        lst_grow(p);
    }
    p->stk[p->top++].p = x;
}

static void lst_push_str(struct ps *p, const char *s)
{
    if (p->top == p->cap) {
        lst_grow(p);
    }
    p->stk[p->top++].s = s;
}

/* The entries of the list that started at base, copied into an array of their exact number
 * (NULL when none) and popped. */
static ay_err lst_end(struct ps *p, size_t base, void **out, size_t *out_n)
{
    size_t n = p->top - base;
    void *v = NULL;
    if (n > 0) {
        TRY(ast_alloc(p, n * sizeof *p->stk, &v));
        memcpy(v, p->stk + base, n * sizeof *p->stk);
    }
    p->top = base;
    *out = v;
    *out_n = n;
    return AY_OK;
}

/* The same for a path. */
static ay_err lst_end_path(struct ps *p, size_t base, const char *const **out, size_t *out_n)
{
    void *v;
    TRY(lst_end(p, base, &v, out_n));
    *out = v;
    return AY_OK;
}

/* The same into a term's items. */
static ay_err lst_end_items(struct ps *p, size_t base, struct ay_rego_term *t)
{
    size_t n;
    TRY(lst_end(p, base, (void **)&t->items, &n));
    t->n = (uint32_t)n; /* bounded by the tokens of a source of at most AY_LIMIT_REGO_SOURCE */
    return AY_OK;
}

/* *io becomes the call fname(*io, y): the right operand y is parsed next, into items[1] (so the
 * hot operator loops keep no operand in a local of their own). */
static ay_err infix_call(struct ps *p, const char *fname, uint32_t fname_len,
                         const struct ay_rego_tok *at, struct ay_rego_term **io)
{
    struct ay_rego_term *x = *io;
    TRY(new_term(p, AY_RT_CALL, at, io));
    struct ay_rego_term *t = *io;
    t->name = fname;
    t->name_len = fname_len;
    TRY(ast_alloc(p, 2 * sizeof *t->items, (void **)&t->items));
    t->items[0] = x;
    t->n = 2;
    return AY_OK;
}

static ay_err parse_in(struct ps *p, struct ay_rego_term **out);
static ay_err parse_in_ex(struct ps *p, bool with_key, struct ay_rego_term **out);
static ay_err parse_bin(struct ps *p, unsigned minp, struct ay_rego_term **out);
static ay_err parse_body_until(struct ps *p, uint8_t close, struct ay_rego_body **out);
static ay_err parse_literal(struct ps *p, struct ay_rego_expr **out);
static ay_err elem_tail(struct ps *p, struct ay_rego_term **io);

/* Binding power of the infix operators (OPA's parser, loosest first) by token kind; 0 for the
 * tokens that do not continue an expression. */
enum {
    PREC_REL = 1, /* == != < <= > >= */
    PREC_OR,      /* | */
    PREC_AND,     /* & */
    PREC_ADD,     /* + - */
    PREC_MUL,     /* * / % */
};

static const uint8_t op_prec[AY_TK_TPL_END + 1] = {
    [AY_TK_EQ] = PREC_REL,    [AY_TK_NEQ] = PREC_REL,  [AY_TK_LT] = PREC_REL,
    [AY_TK_LTE] = PREC_REL,   [AY_TK_GT] = PREC_REL,   [AY_TK_GTE] = PREC_REL,
    [AY_TK_BAR] = PREC_OR,    [AY_TK_AMP] = PREC_AND,  [AY_TK_PLUS] = PREC_ADD,
    [AY_TK_MINUS] = PREC_ADD, [AY_TK_STAR] = PREC_MUL, [AY_TK_SLASH] = PREC_MUL,
    [AY_TK_PERCENT] = PREC_MUL,
};

/* The builtin each operator calls. */
#define OP(k, s) [k] = {s, sizeof s - 1}
static const struct {
    const char *name;
    uint32_t len;
} op_fn[AY_TK_TPL_END + 1] = {
    OP(AY_TK_EQ, "equal"), OP(AY_TK_NEQ, "neq"),    OP(AY_TK_LT, "lt"),      OP(AY_TK_LTE, "lte"),
    OP(AY_TK_GT, "gt"),    OP(AY_TK_GTE, "gte"),    OP(AY_TK_BAR, "or"),     OP(AY_TK_AMP, "and"),
    OP(AY_TK_PLUS, "plus"), OP(AY_TK_MINUS, "minus"), OP(AY_TK_STAR, "mul"), OP(AY_TK_SLASH, "div"),
    OP(AY_TK_PERCENT, "rem"),
};
#undef OP

/* *io becomes the operator op's call on *io and the operand parsed next into items[1]. */
static ay_err op_call(struct ps *p, const struct ay_rego_tok *op, struct ay_rego_term **io)
{
    return infix_call(p, op_fn[op->kind].name, op_fn[op->kind].len, op, io);
}

/* The binding power of t as an infix operator: an operator continues the expression only on the
 * same line. */
static unsigned infix_prec(const struct ay_rego_tok *t)
{
    if (t->nl_before || t->kind > AY_TK_TPL_END) {
        return 0;
    }
    return op_prec[t->kind];
}

/* Terms (parse_in) up to close, comma separated, pushed on the scratch stack; close consumed. */
static ay_err parse_terms_until(struct ps *p, uint8_t close)
{
    while (cur(p)->kind != close) {
        struct ay_rego_term *x;
        TRY(parse_in(p, &x));
        lst_push(p, x);
        if (!accept(p, AY_TK_COMMA)) {
            break;
        }
    }
    return expect(p, close, close == AY_TK_RBRACK   ? "expected ']'"
                            : close == AY_TK_RPAREN ? "expected ')'"
                                                    : "expected '}'");
}

/* '[' already current. */
AY_NOINLINE static ay_err parse_array(struct ps *p, struct ay_rego_term **out)
{
    const struct ay_rego_tok *at = cur(p);
    adv(p);
    size_t base = p->top;
    if (cur(p)->kind != AY_TK_RBRACK) {
        struct ay_rego_term *first;
        TRY(parse_bin(p, PREC_AND, &first));
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
            TRY(op_call(p, op, &first));
            TRY(parse_bin(p, PREC_AND, &first->items[1]));
        }
        TRY(elem_tail(p, &first));
        lst_push(p, first);
        if (accept(p, AY_TK_COMMA)) {
            TRY(parse_terms_until(p, AY_TK_RBRACK));
        } else {
            TRY(expect(p, AY_TK_RBRACK, "expected ']' or ','"));
        }
    } else {
        adv(p);
    }
    struct ay_rego_term *t;
    TRY(new_term(p, AY_RT_ARR, at, &t));
    TRY(lst_end_items(p, base, t));
    *out = t;
    return AY_OK;
}

/* '{' already current: object, set, or a comprehension. */
AY_NOINLINE static ay_err parse_brace(struct ps *p, struct ay_rego_term **out)
{
    const struct ay_rego_tok *at = cur(p);
    adv(p);
    struct ay_rego_term *t;
    if (accept(p, AY_TK_RBRACE)) {
        TRY(new_term(p, AY_RT_OBJ, at, &t));
        *out = t;
        return AY_OK;
    }
    size_t base = p->top;
    struct ay_rego_term *first;
    TRY(parse_bin(p, PREC_AND, &first));
    if (accept(p, AY_TK_COLON)) {
        struct ay_rego_term *v;
        TRY(parse_bin(p, PREC_AND, &v));
        TRY(elem_tail(p, &v));
        if (accept(p, AY_TK_BAR)) {
            TRY(new_term(p, AY_RT_OCOMP, at, &t));
            t->head = first;
            t->head2 = v;
            TRY(parse_body_until(p, AY_TK_RBRACE, &t->body));
            *out = t;
            return AY_OK;
        }
        lst_push(p, first);
        lst_push(p, v);
        while (accept(p, AY_TK_COMMA)) {
            if (cur(p)->kind == AY_TK_RBRACE) {
                break;
            }
            struct ay_rego_term *k;
            TRY(parse_in(p, &k));
            TRY(expect(p, AY_TK_COLON, "expected ':' in object"));
            TRY(parse_in(p, &v));
            lst_push(p, k);
            lst_push(p, v);
        }
        TRY(expect(p, AY_TK_RBRACE, "expected '}' or ',' in object"));
        TRY(new_term(p, AY_RT_OBJ, at, &t));
        TRY(lst_end_items(p, base, t));
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
    TRY(elem_tail(p, &first));
    lst_push(p, first);
    if (accept(p, AY_TK_COMMA)) {
        TRY(parse_terms_until(p, AY_TK_RBRACE));
    } else {
        TRY(expect(p, AY_TK_RBRACE, "expected '}' or ','"));
    }
    TRY(new_term(p, AY_RT_SET, at, &t));
    TRY(lst_end_items(p, base, t));
    *out = t;
    return AY_OK;
}

/* A ref being built by parse_suffixes: its head term (a ref itself when parenthesised, whose
 * items come first) and the elements after it on the scratch stack from base. */
struct refb {
    struct ay_rego_term *head;
    size_t base;
};

static bool refb_is_ref(const struct ps *p, const struct refb *rb)
{
    return p->top > rb->base || rb->head->kind == AY_RT_REF;
}

static size_t refb_len(const struct ps *p, const struct refb *rb)
{
    size_t n = p->top - rb->base;
    return rb->head->kind == AY_RT_REF ? rb->head->n + n : 1 + n;
}

/* Item i of the ref being built. */
static struct ay_rego_term *refb_at(const struct ps *p, const struct refb *rb, size_t i)
{
    if (rb->head->kind != AY_RT_REF) {
        return i == 0 ? rb->head : p->stk[rb->base + i - 1].p;
    }
    size_t h = rb->head->n;
    return i < h ? rb->head->items[i] : p->stk[rb->base + i - h].p;
}

/* The ref itself: the head with the elements appended (a parenthesised ref is extended:
 * `(a.b).c` is `a.b.c`); pops the elements. */
static ay_err refb_end(struct ps *p, const struct refb *rb, struct ay_rego_term **out)
{
    if (p->top == rb->base) {
        *out = rb->head;
        return AY_OK;
    }
    struct ay_rego_term *r = rb->head;
    if (r->kind != AY_RT_REF) {
        TRY(new_term_at(p, AY_RT_REF, r->line, r->col, &r));
    }
    size_t h = rb->head->kind == AY_RT_REF ? rb->head->n : 1;
    size_t n = h + (p->top - rb->base);
    struct ay_rego_term **it;
    TRY(ast_alloc(p, n * sizeof *it, (void **)&it));
    if (rb->head->kind == AY_RT_REF) {
        memcpy(it, rb->head->items, h * sizeof *it);
    } else {
        it[0] = rb->head;
    }
    for (size_t i = h; i < n; i++) {
        it[i] = p->stk[rb->base + i - h].p;
    }
    r->items = it;
    r->n = (uint32_t)n; /* bounded by the tokens of the source */
    p->top = rb->base;
    *out = r;
    return AY_OK;
}

/* Dotted name of a var or a ref with only .name elements, for calls ("a.b.c"). */
static ay_err call_name(struct ps *p, const struct refb *rb, const char **out, uint32_t *out_n)
{
    const struct ay_rego_term *h = refb_at(p, rb, 0);
    if (!refb_is_ref(p, rb)) {
        if (h->kind != AY_RT_VAR) {
            return perr(p, "invalid function call target");
        }
        *out = h->name;
        *out_n = h->name_len;
        return AY_OK;
    }
    if (h->kind != AY_RT_VAR) {
        return perr(p, "invalid function call target");
    }
    size_t nit = refb_len(p, rb);
    size_t n = h->name_len;
    for (size_t i = 1; i < nit; i++) {
        const struct ay_rego_term *e = refb_at(p, rb, i);
        if (e->kind != AY_RT_VAL || e->val.kind != AY_V_STR) {
            return perr(p, "invalid function call target");
        }
        n += 1 + e->val.len;
    }
    char *s;
    TRY(ast_chars(p, n, &s));
    memcpy(s, h->name, h->name_len);
    size_t w = h->name_len;
    for (size_t i = 1; i < nit; i++) {
        const struct ay_rego_term *e = refb_at(p, rb, i);
        s[w++] = '.';
        memcpy(s + w, e->val.u.s, e->val.len);
        w += e->val.len;
    }
    s[w] = '\0';
    *out = s;
    *out_n = (uint32_t)w; /* at most the source's length */
    return AY_OK;
}

/* `.name`, `[term]` and `(args)` directly after a term (no space before them). */
AY_NOINLINE static ay_err parse_suffixes(struct ps *p, struct ay_rego_term **io)
{
    struct refb rb = {*io, p->top};
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
            char *s;
            TRY(ast_str(p, id->text, id->len, &s));
            e->val = (struct ay_val){.kind = AY_V_STR, .len = id->len, .u.s = s};
            adv(p);
            lst_push(p, e);
        } else if (t->kind == AY_TK_LBRACK) {
            adv(p);
            struct ay_rego_term *e;
            TRY(parse_in(p, &e));
            TRY(expect(p, AY_TK_RBRACK, "expected ']'"));
            lst_push(p, e);
        } else if (t->kind == AY_TK_LPAREN) {
            struct ay_rego_term *c;
            TRY(new_term(p, AY_RT_CALL, t, &c));
            TRY(call_name(p, &rb, &c->name, &c->name_len));
            c->line = rb.head->line;
            c->col = rb.head->col;
            adv(p);
            p->top = rb.base; /* the ref's elements are in the name */
            size_t base = p->top;
            TRY(parse_terms_until(p, AY_TK_RPAREN));
            TRY(lst_end_items(p, base, c));
            rb.head = c;
        } else {
            break;
        }
    }
    return refb_end(p, &rb, io);
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

/* The generated variable of a template expression or a lifted call: "$N". */
static ay_err gen_name(struct ps *p, char **out, uint32_t *out_n)
{
    char nm[16];
    int nl = snprintf(nm, sizeof nm, "$%u", p->ntpl++);
    TRY(ast_str(p, nm, (size_t)nl, out));
    *out_n = (uint32_t)nl;
    return AY_OK;
}

/* A template string (current token AY_TK_TPL_BEGIN) becomes
 * internal.template_string([part, ...]): text parts are strings, each {expr} part is the
 * array comprehension [$N | $N = expr] (with the expression's `with` modifiers), so an undefined
 * expression gives [] ("<undefined>") and variables are captured as in any comprehension. The
 * generated variable names start with '$', which no Rego identifier can. */
AY_NOINLINE static ay_err parse_template(struct ps *p, struct ay_rego_term **out)
{
    const struct ay_rego_tok *at = cur(p);
    adv(p);
    size_t base = p->top;
    while (cur(p)->kind != AY_TK_TPL_END) {
        const struct ay_rego_tok *t = cur(p);
        if (t->kind == AY_TK_TPL_TEXT) {
            struct ay_rego_term *x;
            TRY(new_term(p, AY_RT_VAL, t, &x));
            x->val = t->val;
            lst_push(p, x);
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
        char *name;
        uint32_t nl;
        TRY(gen_name(p, &name, &nl));
        struct ay_rego_term *v1;
        struct ay_rego_term *v2;
        TRY(new_term(p, AY_RT_VAR, t, &v1));
        v1->name = name;
        v1->name_len = nl;
        TRY(new_term(p, AY_RT_VAR, t, &v2));
        v2->name = name;
        v2->name_len = nl;
        e->kind = AY_RE_UNIFY;
        e->b = e->a;
        e->a = v1;
        struct ay_rego_term *comp;
        TRY(new_term(p, AY_RT_ACOMP, t, &comp));
        comp->head = v2;
        TRY(body_of(p, e, &comp->body));
        lst_push(p, comp);
    }
    adv(p);
    struct ay_rego_term *arr;
    TRY(new_term(p, AY_RT_ARR, at, &arr));
    TRY(lst_end_items(p, base, arr));
    struct ay_rego_term *call;
    TRY(new_term(p, AY_RT_CALL, at, &call));
    call->name = "internal.template_string";
    call->name_len = (uint32_t)strlen(call->name);
    TRY(ast_alloc(p, sizeof *call->items, (void **)&call->items));
    call->items[0] = arr;
    call->n = 1;
    *out = call;
    return AY_OK;
}

/* A keyword as a term: a constant (true, false, null, set()) or, where it is a name, a
 * variable. */
AY_NOINLINE static ay_err parse_kw_name(struct ps *p, struct ay_rego_term **out)
{
    const struct ay_rego_tok *t = cur(p);
    switch (t->kw) {
    case AY_KW_TRUE:
    case AY_KW_FALSE:
        if (!dot_next(p)) {
            TRY(new_term(p, AY_RT_VAL, t, out));
            (*out)->val = ay_val_bool(t->kw == AY_KW_TRUE);
            adv(p);
            return AY_OK;
        }
        break;
    case AY_KW_NULL:
        if (!dot_next(p)) {
            TRY(new_term(p, AY_RT_VAL, t, out));
            (*out)->val = ay_val_null();
            adv(p);
            return AY_OK;
        }
        break;
    case AY_KW_SET:
        if (peek_at(p, 1)->kind == AY_TK_LPAREN && peek_at(p, 2)->kind == AY_TK_RPAREN) {
            TRY(new_term(p, AY_RT_SET, t, out));
            adv(p);
            adv(p);
            adv(p);
            return AY_OK;
        }
        break;
    default:
        if (is_reserved(p, t) && !kw_as_name(p)) {
            return perr(p, "unexpected keyword");
        }
        break;
    }
    TRY(new_term(p, AY_RT_VAR, t, out));
    (*out)->name = t->text;
    (*out)->name_len = t->len;
    adv(p);
    return AY_OK;
}

static bool in_next(const struct ps *p)
{
    return is_kw(p, cur(p), AY_KW_IN) && !cur(p)->nl_before;
}

static ay_err parse_neg(struct ps *p, struct ay_rego_term **out);

/* The operators after a term: none (an operand of `-`), those binding at least
 * PREC_REL..PREC_MUL (PREC_REL: a whole comparison, OPA's parser's relation), ... */
#define PREC_NONE (PREC_MUL + 1)

/* An expression level above the operators: `in` (OPA's parser: termIn), with `k, v in xs`. */
enum {
    X_IN = 1,  /* `x in xs` after the comparison; counted as a level of nesting */
    X_KEY = 2, /* `k, v in xs` too (literals and parentheses) */
};

static ay_err climb(struct ps *p, unsigned minp, struct ay_rego_term **io);
static ay_err in_tail(struct ps *p, struct ay_rego_term **io);
static ay_err key_in(struct ps *p, struct ay_rego_term **io);

/* A term (scalar, name, collection, comprehension, template or parenthesised expression, with
 * its suffixes), then the infix operators binding at least minp, then what flags ask for. One
 * function for all the levels: it is the parser's innermost loop (one call per term, where a
 * function per level cost a call per level). Writes *out as it goes (a failed parse is dropped
 * whole), so that no local needs its address taken (nor a stack protector). */
static ay_err parse_x(struct ps *p, unsigned minp, unsigned flags, struct ay_rego_term **out)
{
    if (flags & X_IN) {
        TRY(enter(p));
    }
    TRY(enter(p));
    const struct ay_rego_tok *t = cur(p);
    switch (t->kind) {
    case AY_TK_IDENT:
        if (t->kw != AY_KW_NONE) {
            TRY(parse_kw_name(p, out));
            break;
        }
        TRY(new_term(p, AY_RT_VAR, t, out));
        (*out)->name = t->text;
        (*out)->name_len = t->len;
        (*out)->wildcard = t->len == 1 && t->text[0] == '_';
        adv(p);
        break;
    case AY_TK_NUMBER:
    case AY_TK_STRING:
        TRY(new_term(p, AY_RT_VAL, t, out));
        (*out)->val = t->val;
        adv(p);
        break;
    case AY_TK_LBRACK:
        TRY(parse_array(p, out));
        break;
    case AY_TK_TPL_BEGIN:
        TRY(parse_template(p, out));
        break;
    case AY_TK_LBRACE:
        TRY(parse_brace(p, out));
        break;
    case AY_TK_LPAREN:
        adv(p);
        TRY(parse_x(p, PREC_REL, X_IN | X_KEY, out));
        TRY(expect(p, AY_TK_RPAREN, "expected ')'"));
        break;
    case AY_TK_MINUS:
        TRY(parse_neg(p, out)); /* no suffixes after it: -x.y is -(x.y) */
        break;
    default:
        return perr(p, "expected a term");
    }
    /* Most terms have no suffix: look before calling. */
    const struct ay_rego_tok *n = cur(p);
    if (!n->sp_before && t->kind != AY_TK_MINUS &&
        (n->kind == AY_TK_DOT || n->kind == AY_TK_LBRACK || n->kind == AY_TK_LPAREN)) {
        TRY(parse_suffixes(p, out));
    }
    leave(p);
    if (infix_prec(cur(p)) >= minp) {
        TRY(climb(p, minp, out));
    }
    if (flags & X_IN) {
        if ((flags & X_KEY) && cur(p)->kind == AY_TK_COMMA) {
            TRY(key_in(p, out));
        }
        if (in_next(p)) {
            TRY(in_tail(p, out));
        }
        leave(p);
    }
    return AY_OK;
}

/* `-x`: a negative number, or minus(0, x). */
AY_NOINLINE static ay_err parse_neg(struct ps *p, struct ay_rego_term **out)
{
    const struct ay_rego_tok *t = cur(p);
    adv(p);
    struct ay_rego_term *x;
    TRY(parse_x(p, PREC_NONE, 0, &x));
    if (x->kind == AY_RT_VAL && x->val.kind == AY_V_NUM) {
        TRY(ay_val_num_neg(p->a, x->val, &x->val));
        *out = x;
        return AY_OK;
    }
    struct ay_rego_term *r;
    TRY(new_term(p, AY_RT_VAL, t, &r));
    r->val = ay_val_int(0);
    TRY(infix_call(p, "minus", sizeof "minus" - 1, t, &r)); /* minus(0, x) */
    r->items[1] = x;
    *out = r;
    return AY_OK;
}

/* A term and the operators binding at least minp. */
static ay_err parse_bin(struct ps *p, unsigned minp, struct ay_rego_term **out)
{
    return parse_x(p, minp, 0, out);
}

/* The infix operators binding at least minp after the left operand *io (precedence climbing:
 * each right operand takes the operators that bind tighter than its own; all are
 * left-associative). */
static ay_err climb(struct ps *p, unsigned minp, struct ay_rego_term **io)
{
    for (;;) {
        const struct ay_rego_tok *op = cur(p);
        unsigned pr = infix_prec(op);
        if (pr < minp) { /* minp >= PREC_REL: 0 stops too */
            return AY_OK;
        }
        adv(p);
        TRY(op_call(p, op, io));
        TRY(parse_x(p, pr + 1, 0, &(*io)->items[1]));
    }
}

/* The comparison operators after a parsed left operand (where a collection element was parsed
 * at a tighter level to look for `|` or `:` first). */
static ay_err rel_tail(struct ps *p, struct ay_rego_term **io)
{
    for (;;) {
        const struct ay_rego_tok *op = cur(p);
        if (infix_prec(op) != PREC_REL) {
            return AY_OK;
        }
        adv(p);
        TRY(op_call(p, op, io));
        TRY(parse_bin(p, PREC_OR, &(*io)->items[1]));
    }
}

static ay_err parse_rel(struct ps *p, struct ay_rego_term **out)
{
    return parse_bin(p, PREC_REL, out);
}

/* `x in xs` (any number of times) after the left operand *io. */
static ay_err in_tail(struct ps *p, struct ay_rego_term **io)
{
    while (in_next(p)) {
        const struct ay_rego_tok *op = cur(p);
        adv(p);
        TRY(infix_call(p, "internal.member_2", sizeof "internal.member_2" - 1, op, io));
        TRY(parse_rel(p, &(*io)->items[1]));
    }
    return AY_OK;
}

/* Comparisons and `x in xs` after an element parsed at PREC_AND (arrays, sets, objects). */
static ay_err elem_tail(struct ps *p, struct ay_rego_term **io)
{
    TRY(rel_tail(p, io));
    return in_tail(p, io);
}

/* At a comma after the left operand *io where `k, v in xs` is allowed: that, or nothing
 * (backtrack to the comma). */
AY_NOINLINE static ay_err key_in(struct ps *p, struct ay_rego_term **io)
{
    size_t save = p->i;
    size_t save_top = p->top;
    adv(p);
    struct ay_rego_term *v = NULL;
    if (parse_rel(p, &v) != AY_OK || !in_next(p)) {
        seek(p, save);
        p->top = save_top;
        ay_diag_clear(p->diag);
        return AY_OK;
    }
    const struct ay_rego_tok *op = cur(p);
    adv(p);
    struct ay_rego_term *c;
    TRY(parse_rel(p, &c));
    struct ay_rego_term *call;
    TRY(new_term(p, AY_RT_CALL, op, &call));
    call->name = "internal.member_3";
    call->name_len = sizeof "internal.member_3" - 1;
    TRY(ast_alloc(p, 3 * sizeof *call->items, (void **)&call->items));
    call->items[0] = *io;
    call->items[1] = v;
    call->items[2] = c;
    call->n = 3;
    *io = call;
    return AY_OK;
}

/* `in` level; with_key: `k, v in xs` is allowed here (literals and parentheses). */
static ay_err parse_in_ex(struct ps *p, bool with_key, struct ay_rego_term **out)
{
    return parse_x(p, PREC_REL, with_key ? X_IN | X_KEY : X_IN, out);
}

static ay_err parse_in(struct ps *p, struct ay_rego_term **out)
{
    return parse_x(p, PREC_REL, X_IN, out);
}

static bool at_literal_end(const struct ps *p, uint8_t close)
{
    const struct ay_rego_tok *t = cur(p);
    return t->kind == AY_TK_SEMI || t->kind == close || t->kind == AY_TK_EOF || t->nl_before;
}

/* Writes *out (as new_term). */
static inline ay_err new_expr(struct ps *p, uint8_t kind, const struct ay_rego_tok *at,
                              struct ay_rego_expr **out)
{
    TRY(ast_alloc(p, sizeof **out, (void **)out));
    struct ay_rego_expr *e = *out;
    e->kind = kind;
    e->line = at->line;
    e->col = at->col;
    e->qslot = -1;
    return AY_OK;
}

/* `some x, y`, `some x in xs`, `some k, v in xs`. */
static ay_err parse_some(struct ps *p, struct ay_rego_expr **out)
{
    const struct ay_rego_tok *at = cur(p);
    adv(p);
    size_t base = p->top;
    for (;;) {
        struct ay_rego_term *x;
        TRY(parse_rel(p, &x));
        lst_push(p, x);
        if (cur(p)->kind != AY_TK_COMMA) {
            break;
        }
        adv(p);
    }
    size_t n = p->top - base;
    struct ay_rego_expr *e;
    if (is_kw(p, cur(p), AY_KW_IN)) {
        adv(p);
        if (n > 2) {
            return perr(p, "some: at most key and value before 'in'");
        }
        TRY(new_expr(p, AY_RE_SOME_IN, at, &e));
        if (n == 2) {
            e->a = p->stk[base].p;
            e->b = p->stk[base + 1].p;
        } else {
            e->b = p->stk[base].p;
        }
        p->top = base;
        TRY(parse_rel(p, &e->c));
        *out = e;
        return AY_OK;
    }
    for (size_t i = 0; i < n; i++) {
        const struct ay_rego_term *x = p->stk[base + i].p;
        if (x->kind != AY_RT_VAR) {
            seek(p, p->i - 1);
            return perr(p, "expected variables after 'some'");
        }
    }
    TRY(new_expr(p, AY_RE_SOME, at, &e));
    TRY(lst_end(p, base, (void **)&e->items, &e->n));
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

/* A term, or a unification or assignment; writes *out as it goes (as parse_x). */
static ay_err parse_expr(struct ps *p, struct ay_rego_expr **out)
{
    TRY(new_expr(p, AY_RE_TERM, cur(p), out));
    struct ay_rego_expr *e = *out;
    TRY(parse_in_ex(p, true, &e->a));
    if (cur(p)->kind == AY_TK_UNIFY || cur(p)->kind == AY_TK_ASSIGN) {
        e->kind = cur(p)->kind == AY_TK_UNIFY ? AY_RE_UNIFY : AY_RE_ASSIGN;
        adv(p);
        TRY(parse_in(p, &e->b));
    }
    return AY_OK;
}

/* `with target as value` modifiers after a literal. */
static ay_err parse_withs(struct ps *p, struct ay_rego_expr *e)
{
    size_t base = p->top;
    while (is_ident(cur(p), AY_KW_WITH) && !dot_next(p)) {
        adv(p);
        struct ay_rego_with *wi;
        TRY(ast_alloc(p, sizeof *wi, (void **)&wi));
        TRY(parse_rel(p, &wi->target));
        if (!is_ident(cur(p), AY_KW_AS)) {
            return perr(p, "expected 'as' after with target");
        }
        adv(p);
        TRY(parse_rel(p, &wi->value));
        lst_push(p, wi);
    }
    size_t n = p->top - base;
    if (n > 0) {
        struct ay_rego_with *arr;
        TRY(ast_alloc(p, n * sizeof *arr, (void **)&arr));
        for (size_t i = 0; i < n; i++) {
            arr[i] = *(const struct ay_rego_with *)p->stk[base + i].p;
        }
        e->with = arr;
        e->nwith = n;
        p->top = base;
    }
    return AY_OK;
}

/* A literal with its `with` modifiers; writes *out as it goes (as parse_x). */
static ay_err parse_literal(struct ps *p, struct ay_rego_expr **out)
{
    TRY(enter(p));
    const struct ay_rego_tok *at = cur(p);
    if (at->kind != AY_TK_IDENT || at->kw == AY_KW_NONE) {
        TRY(parse_expr(p, out)); /* most literals: no keyword to look for */
    } else if (is_ident(at, AY_KW_SOME) && !dot_next(p)) {
        TRY(parse_some(p, out));
    } else if (is_kw(p, at, AY_KW_EVERY) && !dot_next(p)) {
        TRY(parse_every(p, out));
    } else if (is_ident(at, AY_KW_NOT) && !dot_next(p)) {
        adv(p);
        TRY(new_expr(p, AY_RE_NOT, at, out));
        TRY(parse_expr(p, &(*out)->sub));
    } else {
        TRY(parse_expr(p, out));
    }
    struct ay_rego_expr *e = *out;
    if (is_ident(cur(p), AY_KW_WITH)) {
        TRY(parse_withs(p, e));
    }
    const struct ay_rego_tok *last = p->i > 0 ? ay_rego_lexer_at(p->lx, p->i - 1) : at;
    e->text = at->text;
    e->text_len = last->text >= at->text ? (size_t)(last->text - at->text) + last->len : 0;
    leave(p);
    return AY_OK;
}

/* Literals up to (and consuming) close; separated by ';' or newlines. */
static ay_err parse_body_until(struct ps *p, uint8_t close, struct ay_rego_body **out)
{
    TRY(enter(p));
    size_t base = p->top;
    for (;;) {
        while (accept(p, AY_TK_SEMI)) {
        }
        if (cur(p)->kind == close) {
            break;
        }
        struct ay_rego_expr *e;
        TRY(parse_literal(p, &e));
        lst_push(p, e);
        if (!at_literal_end(p, close)) {
            return perr(p, "expected end of expression (newline, ';' or closing bracket)");
        }
    }
    if (close != AY_TK_EOF) {
        adv(p);
    }
    if (p->top == base) {
        return perr(p, "empty body");
    }
    struct ay_rego_body *b;
    TRY(ast_alloc(p, sizeof *b, (void **)&b));
    TRY(lst_end(p, base, (void **)&b->exprs, &b->n));
    leave(p);
    *out = b;
    return AY_OK;
}

/* ---- module level ---- */

static ay_err ident_str(struct ps *p, const struct ay_rego_tok *t, const char **out)
{
    char *s;
    TRY(ast_str(p, t->text, t->len, &s));
    *out = s;
    return AY_OK;
}

/* A dotted path of names and ["strings"] pushed on the scratch stack: package and import
 * paths. */
static ay_err parse_path(struct ps *p)
{
    if (cur(p)->kind != AY_TK_IDENT) {
        return perr(p, "expected a name");
    }
    const char *s;
    TRY(ident_str(p, cur(p), &s));
    lst_push_str(p, s);
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
        lst_push_str(p, s);
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
            size_t save_top = p->top;
            adv(p);
            ay_err e = parse_body_until(p, AY_TK_RBRACE, out);
            if (e != AY_ERR_POLICY_COMPILE) {
                return e;
            }
            struct ay_diag first = *p->diag;
            seek(p, save);
            p->depth = save_depth;
            p->top = save_top;
            ay_diag_clear(p->diag);
            struct ay_rego_expr *x;
            if (parse_literal(p, &x) != AY_OK) {
                *p->diag = first; /* report the body's error */
                return AY_ERR_POLICY_COMPILE;
            }
            return body_of(p, x, out);
        }
        struct ay_rego_expr *e;
        TRY(parse_literal(p, &e));
        return body_of(p, e, out);
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

/* A small growable pointer list in the arena, for the generated names and expressions of
 * lifted calls (rare, and filled by turns, so not on the scratch stack). */
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
        uint32_t nl;
        TRY(gen_name(p, &name, &nl));
        TRY(plist_push(p, &lf->names, name));
    }
    struct ay_rego_term *v[2];
    for (size_t i = 0; i < 2; i++) {
        TRY(new_term_at(p, AY_RT_VAR, t->line, t->col, &v[i]));
        v[i]->name = name;
        v[i]->name_len = (uint32_t)strlen(name);
    }
    struct ay_rego_expr *e;
    TRY(ast_alloc(p, sizeof *e, (void **)&e));
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
    TRY(ast_alloc(p, sizeof *nb, (void **)&nb));
    TRY(ast_alloc(p, (n0 + lf->support.n) * sizeof *nb->exprs, (void **)&nb->exprs));
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
    size_t base = p->top;
    TRY(parse_terms_until(p, AY_TK_RPAREN));
    struct ay_rego_term **args;
    size_t nargs;
    TRY(lst_end(p, base, (void **)&args, &nargs));
    seek(p, resume);
    struct lift lf = {.names = head->names, .reuse = true};
    for (size_t i = 0; i < nargs; i++) {
        TRY(lift_calls(p, &args[i], &lf));
    }
    return append_support(p, e, &lf);
}

/* A rule, with the METADATA annotations that preceded it. */
static ay_err parse_rule(struct ps *p, struct ay_rego_module *m, struct ay_rego_annot *annots,
                         struct ay_rego_rule **out)
{
    const struct ay_rego_tok *at = cur(p);
    struct ay_rego_rule *r;
    TRY(ast_alloc(p, sizeof *r, (void **)&r));
    r->annots = annots;
    r->line = at->line;
    r->col = at->col;
    r->mod = m;
    if (is_ident(at, AY_KW_DEFAULT) && !dot_next(p)) {
        r->is_default = true;
        adv(p);
    }
    /* Head reference: name(.name | [term])*. The path (package, then the head's leading
     * strings) is on the scratch stack from path_base; after the first non-string key every
     * element is dynamic (general ref head), on the stack above the path. */
    size_t path_base = p->top;
    for (size_t i = 0; i < m->npkg; i++) {
        lst_push_str(p, m->pkg[i]);
    }
    if (cur(p)->kind != AY_TK_IDENT || (is_reserved(p, cur(p)) && !kw_as_name(p))) {
        return perr(p, "expected a rule name");
    }
    const char *s;
    TRY(ident_str(p, cur(p), &s));
    lst_push_str(p, s);
    adv(p);
    size_t dyn_base = p->top; /* fixed once the first dynamic element is pushed */
    for (;;) {
        if (cur(p)->kind == AY_TK_DOT && !cur(p)->sp_before) {
            adv(p);
            if (cur(p)->kind != AY_TK_IDENT) {
                return perr(p, "expected a name after '.'");
            }
            TRY(ident_str(p, cur(p), &s));
            if (p->top > dyn_base) {
                struct ay_rego_term *k;
                TRY(new_term(p, AY_RT_VAL, cur(p), &k));
                k->val = ay_val_str_static(s);
                lst_push(p, k);
            } else {
                lst_push_str(p, s);
                dyn_base = p->top;
            }
            adv(p);
        } else if (cur(p)->kind == AY_TK_LBRACK && !cur(p)->sp_before) {
            adv(p);
            struct ay_rego_term *k;
            TRY(parse_in(p, &k));
            TRY(expect(p, AY_TK_RBRACK, "expected ']'"));
            if (p->top == dyn_base && k->kind == AY_RT_VAL && k->val.kind == AY_V_STR &&
                !(p->v0 && cur(p)->kind == AY_TK_LBRACE)) {
                lst_push_str(p, k->val.u.s);
                dyn_base = p->top;
            } else {
                lst_push(p, k);
            }
        } else {
            break;
        }
    }
    size_t ndyn = p->top - dyn_base;
    bool general = ndyn > 1;
    if (ndyn == 1) {
        r->key = p->stk[dyn_base].p;
        p->top = dyn_base;
    } else if (general) {
        TRY(new_term(p, AY_RT_ARR, at, &r->key));
        TRY(lst_end_items(p, dyn_base, r->key));
    }
    TRY(lst_end_path(p, path_base, &r->path, &r->npath));
    size_t args_at = 0; /* token of the first function parameter */
    if (cur(p)->kind == AY_TK_LPAREN && !cur(p)->sp_before && r->key == NULL) {
        adv(p);
        args_at = p->i;
        size_t base = p->top;
        TRY(parse_terms_until(p, AY_TK_RPAREN));
        r->kind = AY_RR_FUNC;
        TRY(lst_end(p, base, (void **)&r->args, &r->nargs));
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
            TRY(ast_alloc(p, sizeof *arr->items, (void **)&arr->items));
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
        TRY(ast_alloc(p, sizeof *e, (void **)&e));
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

static ay_err parse_import(struct ps *p, struct ay_rego_module *m)
{
    const struct ay_rego_tok *at = cur(p);
    adv(p);
    size_t base = p->top;
    TRY(parse_path(p));
    size_t n = p->top - base;
    const char *first = p->stk[base].s;
    if (strcmp(first, "rego") == 0 && n == 2 && strcmp(p->stk[base + 1].s, "v1") == 0) {
        p->top = base;
        p->kw = true;
        m->v0 = false;
        p->v0 = false;
        return AY_OK;
    }
    if (strcmp(first, "future") == 0) {
        if (n < 2 || strcmp(p->stk[base + 1].s, "keywords") != 0) {
            return FAIL(p->diag, AY_ERR_POLICY_COMPILE, "%s:%u:%u: invalid import of future",
                        p->name, at->line, at->col);
        }
        p->top = base;
        p->kw = true;
        return AY_OK;
    }
    if (strcmp(first, "data") != 0 && strcmp(first, "input") != 0) {
        return FAIL(p->diag, AY_ERR_POLICY_COMPILE,
                    "%s:%u:%u: invalid import path: must begin with input or data", p->name,
                    at->line, at->col);
    }
    struct ay_rego_import *im;
    TRY(ast_alloc(p, sizeof *im, (void **)&im));
    TRY(lst_end_path(p, base, &im->path, &im->npath));
    im->alias = im->path[im->npath - 1];
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
    lst_push(p, im);
    return AY_OK;
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

static ay_err parse_module_toks(struct ps *p, struct ay_rego_module **out)
{
    struct ay_rego_module *m;
    TRY(ast_alloc(p, sizeof *m, (void **)&m));
    m->name = p->name;
    m->v0 = p->v0;
    if (!is_ident(cur(p), AY_KW_PACKAGE)) {
        return perr(p, "expected package declaration");
    }
    TRY(take_annots(p, m, AY_RM_PACKAGE, &m->annots));
    adv(p);
    size_t base = p->top;
    TRY(parse_path(p));
    TRY(lst_end_path(p, base, &m->pkg, &m->npkg));
    size_t imps = p->top; /* the imports, then the rules, stay at the bottom of the stack */
    while (is_ident(cur(p), AY_KW_IMPORT) && !dot_next(p)) {
        struct ay_rego_annot *none = NULL;
        TRY(take_annots(p, m, AY_RM_IMPORT, &none));
        TRY(parse_import(p, m));
    }
    m->nimports = p->top - imps;
    if (m->nimports > 0) {
        TRY(ast_alloc(p, m->nimports * sizeof *m->imports, (void **)&m->imports));
        for (size_t i = 0; i < m->nimports; i++) {
            m->imports[i] = *(const struct ay_rego_import *)p->stk[imps + i].p;
        }
        p->top = imps;
    }
    size_t rules = p->top;
    while (cur(p)->kind != AY_TK_EOF) {
        if (is_ident(cur(p), AY_KW_IMPORT) && !dot_next(p)) {
            return perr(p, "imports must come before rules");
        }
        /* No token of an earlier rule is looked at again. */
        ay_rego_lexer_release(p->lx, p->i > 0 ? p->i - 1 : 0);
        struct ay_rego_annot *annots = NULL;
        TRY(take_annots(p, m, AY_RM_RULE, &annots));
        struct ay_rego_rule *r = NULL;
        TRY(parse_rule(p, m, annots, &r));
        lst_push(p, r);
        if (cur(p)->kind != AY_TK_EOF && !cur(p)->nl_before && cur(p)->kind != AY_TK_SEMI) {
            return perr(p, "unexpected token after rule");
        }
        while (accept(p, AY_TK_SEMI)) {
        }
    }
    struct ay_rego_annot *none = NULL;
    TRY(take_annots(p, m, AY_RM_NONE, &none));
    TRY(lst_end(p, rules, (void **)&m->rules, &m->nrules));
    *out = m;
    return AY_OK;
}

/* The tokens are lexer scratch dropped as parsing goes: the AST keeps only what it points to
 * (source text, decoded strings in a), so the policy holds no token array. */
ay_err ay_rego_parse_module(struct ay_arena *a, const char *name, const char *src, size_t n,
                            bool v0, struct ay_diag *diag, struct ay_rego_module **out)
{
    union slot stk[SCRATCH_INLINE];
    struct ps p = {.a = a,
                   .name = name,
                   .diag = diag,
                   .v0 = v0,
                   .kw = !v0,
                   .blk_size = AST_BLOCK_MODULE,
                   .stk = stk,
                   .cap = SCRATCH_INLINE};
    TRY(ay_rego_lexer_new(a, name, src, n, diag, &p.lx));
    seek(&p, 0);
    ay_err e = parse_module_toks(&p, out);
    ay_err le = ay_rego_lexer_error(p.lx, diag);
    ay_rego_lexer_free(p.lx);
    if (p.stk_heap) {
        ay_free(p.stk);
    }
    return le != AY_OK ? le : e;
}

ay_err ay_rego_parse_query(struct ay_arena *a, const char *src, size_t n, struct ay_diag *diag,
                           struct ay_rego_body **out)
{
    union slot stk[SCRATCH_INLINE];
    struct ps p = {.a = a,
                   .name = "query",
                   .diag = diag,
                   .kw = true,
                   .blk_size = AST_BLOCK_QUERY,
                   .stk = stk,
                   .cap = SCRATCH_INLINE};
    TRY(ay_rego_lexer_new(a, "query", src, n, diag, &p.lx));
    seek(&p, 0);
    ay_err e = parse_body_until(&p, AY_TK_EOF, out);
    ay_err le = ay_rego_lexer_error(p.lx, diag);
    ay_rego_lexer_free(p.lx);
    if (p.stk_heap) {
        ay_free(p.stk);
    }
    return le != AY_OK ? le : e;
}
