/* SPDX-License-Identifier: Apache-2.0 */
/* Rego compiler: builds the rule tree by package path, resolves names (local variables to frame
 * slots, rule names to data refs, imports, builtin and function calls), checks safety and
 * reorders body expressions so every variable is bound before it is read (as OPA's compiler
 * does: "var x is unsafe"), and precomputes ground literals. */
#include "rego/rego_int.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/base_arena.h"
#include "base/base_limits.h"
#include "base/base_mem.h"
#include "base/base_str.h"
#include "rego/rego_builtin.h"
#include "rego/rego_meta.h"

/* Compile-time memory that does not outlive the compile is kept out of the policy's arena (a
 * CLI run pays for every page it touches, issue 3): the scope symbols, the per-slot facts and
 * the name table are heap vectors reused from rule to rule, and the safety pass's arrays come
 * from a stack of heap blocks that each body rewinds on exit. All of it is freed when the
 * compile ends. */
#define SCR_BLOCK ((size_t)4096)

struct scr_blk {
    struct scr_blk *next; /* the block used after this one (kept for reuse after a rewind) */
    size_t size;
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

struct scr_mark {
    struct scr_blk *blk;
    size_t used;
};

/* A name seen by the compile: the innermost variable of that name, and what the name means in
 * the current module if no variable has it (import, rule of the package), looked up once. */
struct nent {
    const char *name; /* borrowed from the AST (outlives the compile) */
    uint32_t len;
    uint32_t hash;
    int32_t top;  /* index in cc.syms of the innermost visible variable, -1 if none */
    uint32_t gen; /* module the cached im/rk are for (cc.gen), 0: not looked up yet */
    const struct ay_rego_import *im;
    const struct ay_rego_node *rk; /* the package's child of that name */
    const struct ay_rego_bi *bi;   /* builtin found for a call of this name with bi_arity args */
    size_t bi_arity;
    bool has_bi; /* bi/bi_arity hold an answer (NULL included: the table is static) */
};

/* ent_get's cache: the entry of a name at this address. */
#define PCACHE 256

struct pce {
    const char *name;
    size_t len;
    uint32_t ent;
};

struct sym {
    uint32_t ent;
    int32_t prev; /* the variable of the same name this one shadows (index in cc.syms), or -1 */
    int32_t slot;
    bool assigned; /* declared by := (a second := is an error) */
};

struct scope {
    struct scope *up;
    size_t base; /* its variables are cc.syms[base..nsyms) */
    uint32_t depth;
};

struct slotinfo {
    const char *name; /* borrowed from the AST, or "_" */
    uint32_t len;
    uint32_t sdepth; /* scope depth of the slot's declaration */
};

struct cc {
    const struct ay_rego_policy *p;
    struct ay_arena *a;
    struct ay_diag *diag;
    const char *modname;
    const struct ay_rego_module *mod; /* NULL for queries */
    struct ay_rego_node *pkg;         /* package node, NULL for queries */
    uint32_t gen;                     /* module number, from 1 (struct nent.gen) */
    struct scope *sc;
    size_t depth;
    /* Slots of the rule being compiled. */
    uint32_t nslots;
    uint32_t slcap;
    struct slotinfo *sl;
    /* Visible variables, innermost last (scopes are a stack). */
    struct sym *syms;
    size_t nsyms;
    size_t symcap;
    /* Names: ents in order of first sight, idx an open-addressed index of ents (i + 1). */
    struct nent *ents;
    uint32_t nents;
    uint32_t entcap;
    uint32_t *idx;
    uint32_t idxcap; /* a power of two */
    struct pce *pcache;
    /* Stack memory of the safety pass: the current block, the first, bytes of all blocks. */
    struct scr_blk *scr;
    struct scr_blk *scr_first;
    size_t scr_taken;
};

static ay_err cfail(const struct cc *c, uint32_t line, uint32_t col, const char *fmt,
                    const char *arg, size_t arglen)
{
    /* fmt holds one "%.*s", replaced by arg (kept non-variadic: formats are constants). */
    const char *at = strstr(fmt, "%.*s");
    int pre = at != NULL ? (int)(at - fmt) : (int)strlen(fmt);
    const char *post = at != NULL ? at + 4 : "";
    char msg[256];
    snprintf(msg, sizeof msg, "%.*s%.*s%s", pre, fmt, (int)arglen, arg, post);
    return FAIL(c->diag, AY_ERR_POLICY_COMPILE, "%s:%u:%u: %s", c->modname, line, col, msg);
}

/* Names are compared with memcmp and hashed with ay_hash_bytes (every variable occurrence is
 * looked up). */
static uint32_t name_hash(const char *s, size_t n)
{
    return (uint32_t)ay_hash_bytes(s, n);
}

static bool name_eq(const char *a, const char *b, size_t n)
{
    return memcmp(a, b, n) == 0;
}

/* Packages hold many rules (ACI's framework: ~150), and the compiler looks names up in them for
 * every variable it sees: past KIDX_MIN kids a node gets a hash index. */
#define KIDX_MIN 8

static struct ay_rego_node *kid_find(const struct ay_rego_node *n, const char *name, size_t len,
                                     size_t hash)
{
    if (n->kidx_cap > 0) {
        size_t mask = n->kidx_cap - 1;
        for (size_t i = hash & mask;; i = (i + 1) & mask) {
            struct ay_rego_node *k = n->kidx[i];
            if (k == NULL) {
                return NULL;
            }
            if (k->name_len == len && name_eq(k->name, name, len)) {
                return k;
            }
        }
    }
    /* Hot in evaluation (every data path step): compare lengths first. */
    for (size_t i = 0; i < n->nkids; i++) {
        const struct ay_rego_node *k = n->kids[i];
        if (k->name_len == len && memcmp(k->name, name, len) == 0) {
            return n->kids[i];
        }
    }
    return NULL;
}

struct ay_rego_node *ay_rego_node_kid(const struct ay_rego_node *n, const char *name, size_t len)
{
    if (n == NULL) {
        return NULL;
    }
    return kid_find(n, name, len, n->kidx_cap > 0 ? name_hash(name, len) : 0);
}

/* (Re)builds n's index at twice to four times its kids (load at most one half). */
static ay_err kidx_build(struct ay_rego_policy *p, struct ay_rego_node *n)
{
    size_t cap = 16;
    while (cap < n->nkids * 2) {
        cap *= 2;
    }
    struct ay_rego_node **idx;
    TRY(ay_arena_array(p->arena, cap, sizeof *idx, (void **)&idx));
    for (size_t k = 0; k < n->nkids; k++) {
        struct ay_rego_node *kid = n->kids[k];
        size_t i = name_hash(kid->name, kid->name_len) & (cap - 1);
        while (idx[i] != NULL) {
            i = (i + 1) & (cap - 1);
        }
        idx[i] = kid;
    }
    n->kidx = idx;
    n->kidx_cap = cap;
    return AY_OK;
}

static ay_err node_kid_make(struct ay_rego_policy *p, struct ay_rego_node *n, const char *name,
                            struct ay_rego_node **out)
{
    size_t len = strlen(name);
    size_t hash = name_hash(name, len);
    struct ay_rego_node *k = kid_find(n, name, len, hash);
    if (k != NULL) {
        *out = k;
        return AY_OK;
    }
    TRY(ay_arena_alloc(p->arena, sizeof *k, (void **)&k));
    k->name = name;
    k->name_len = len;
    k->parent = n;
    k->memo_idx = p->nnodes++;
    if (n->nkids == n->kcap) {
        size_t nc = n->kcap ? n->kcap * 2 : 4;
        void *np;
        TRY(ay_arena_grow(p->arena, n->kids, n->nkids * sizeof *n->kids, nc * sizeof *n->kids,
                          &np));
        n->kids = np;
        n->kcap = nc;
    }
    n->kids[n->nkids++] = k;
    if (n->nkids >= KIDX_MIN && n->nkids * 2 > n->kidx_cap) {
        TRY(kidx_build(p, n));
    } else if (n->kidx_cap > 0) {
        size_t i = hash & (n->kidx_cap - 1);
        while (n->kidx[i] != NULL) {
            i = (i + 1) & (n->kidx_cap - 1);
        }
        n->kidx[i] = k;
    }
    *out = k;
    return AY_OK;
}

static ay_err tree_insert(struct ay_rego_policy *p, struct ay_rego_rule *r, struct ay_diag *diag)
{
    struct ay_rego_node *n = p->root;
    for (size_t i = 0; i < r->npath; i++) {
        TRY(node_kid_make(p, n, r->path[i], &n));
        if (i >= r->mod->npkg) {
            n->in_rule_path = true;
        }
    }
    const char *mname = r->mod->name;
    if (n->has_rules && n->kind != r->kind) {
        return FAIL(diag, AY_ERR_POLICY_COMPILE, "%s:%u:%u: conflicting rule types for %s",
                    mname, r->line, r->col, n->name);
    }
    if (n->has_rules && r->kind == AY_RR_FUNC && n->arity != r->nargs) {
        return FAIL(diag, AY_ERR_POLICY_COMPILE,
                    "%s:%u:%u: function %s has definitions of different arity", mname, r->line,
                    r->col, n->name);
    }
    n->has_rules = true;
    n->kind = r->kind;
    n->arity = r->nargs;
    if (r->is_default) {
        if (n->dflt != NULL) {
            return FAIL(diag, AY_ERR_POLICY_COMPILE, "%s:%u:%u: multiple default rules %s found",
                        mname, r->line, r->col, n->name);
        }
        n->dflt = r;
        return AY_OK;
    }
    if (n->nrules == n->rcap) {
        size_t nc = n->rcap ? n->rcap * 2 : 4;
        void *np;
        TRY(ay_arena_grow(p->arena, n->rules, n->nrules * sizeof *n->rules,
                          nc * sizeof *n->rules, &np));
        n->rules = np;
        n->rcap = nc;
    }
    n->rules[n->nrules++] = r;
    return AY_OK;
}

/* ---- scratch stack ---- */

static struct scr_blk *scr_blk_new(size_t size, struct scr_blk *next)
{
    struct scr_blk *b = ay_xmalloc(sizeof *b + size);
    b->size = size;
    b->used = 0;
    b->next = next;
    return b;
}

static struct scr_mark scr_mark(const struct cc *c)
{
    struct scr_mark m = {c->scr, c->scr->used};
    return m;
}

/* Frees (for reuse) everything scr_alloc returned since m was taken. */
static void scr_rewind(struct cc *c, struct scr_mark m)
{
    m.blk->used = m.used;
    c->scr = m.blk;
}

/* n zeroed bytes aligned for any type, valid until a mark taken before is rewound. The blocks
 * taken in all are capped as an arena is (AY_ERR_LIMIT). */
static ay_err scr_alloc(struct cc *c, size_t n, void **out)
{
    ENSURE(n <= AY_LIMIT_REQUEST_ARENA, AY_ERR_LIMIT);
    size_t need = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    struct scr_blk *b = c->scr;
    if (b->size - b->used < need) {
        /* The next block (left over from a rewind) if it is large enough, else a new one. */
        if (b->next == NULL || b->next->size < need) {
            size_t size = need > SCR_BLOCK ? need : SCR_BLOCK;
            ENSURE(size <= AY_LIMIT_REQUEST_ARENA - c->scr_taken, AY_ERR_LIMIT);
            c->scr_taken += size;
            b->next = scr_blk_new(size, b->next);
        }
        b = b->next;
        b->used = 0;
        c->scr = b;
    }
    void *r = b->data + b->used;
    b->used += need;
    memset(r, 0, n);
    *out = r;
    return AY_OK;
}

static void cc_init(struct cc *c, const struct ay_rego_policy *p, struct ay_arena *a,
                    struct ay_diag *diag)
{
    memset(c, 0, sizeof *c);
    c->p = p;
    c->a = a;
    c->diag = diag;
    c->scr_first = scr_blk_new(SCR_BLOCK, NULL);
    c->scr = c->scr_first;
    c->scr_taken = SCR_BLOCK;
    c->idxcap = 128;
    c->idx = ay_xcalloc(c->idxcap, sizeof *c->idx);
    c->pcache = ay_xcalloc(PCACHE, sizeof *c->pcache);
}

static void cc_free(struct cc *c)
{
    ay_free(c->sl);
    ay_free(c->syms);
    ay_free(c->ents);
    ay_free(c->idx);
    ay_free(c->pcache);
    for (struct scr_blk *b = c->scr_first; b != NULL;) {
        struct scr_blk *nx = b->next;
        ay_free(b);
        b = nx;
    }
}

/* ---- names ---- */

static void idx_put(uint32_t *idx, uint32_t cap, uint32_t hash, uint32_t v)
{
    uint32_t i = hash & (cap - 1);
    while (idx[i] != 0) {
        i = (i + 1) & (cap - 1);
    }
    idx[i] = v;
}

static AY_NOINLINE struct nent *ent_new(struct cc *c, const char *name, size_t len,
                                        uint32_t h)
{
    if (c->nents == c->entcap) {
        c->entcap = c->entcap ? c->entcap * 2 : 64;
        c->ents = ay_xrealloc(c->ents, c->entcap * sizeof *c->ents);
    }
    if ((c->nents + 1) * 2 > c->idxcap) {
        /* Load at most one half. */
        uint32_t cap = c->idxcap * 2;
        ay_free(c->idx);
        c->idx = ay_xcalloc(cap, sizeof *c->idx);
        c->idxcap = cap;
        for (uint32_t k = 0; k < c->nents; k++) {
            idx_put(c->idx, cap, c->ents[k].hash, k + 1);
        }
    }
    struct nent *e = &c->ents[c->nents++];
    memset(e, 0, sizeof *e);
    e->name = name;
    e->len = (uint32_t)len; /* a name from a source (at most AY_LIMIT_REGO_SOURCE bytes) */
    e->hash = h;
    e->top = -1;
    idx_put(c->idx, c->idxcap, h, c->nents);
    return e;
}

static struct nent *ent_find(struct cc *c, const char *name, size_t len, struct pce *pc)
{
    uint32_t h = name_hash(name, len);
    struct nent *e = NULL;
    for (uint32_t i = h & (c->idxcap - 1);; i = (i + 1) & (c->idxcap - 1)) {
        uint32_t v = c->idx[i];
        if (v == 0) {
            e = ent_new(c, name, len, h);
            break;
        }
        e = &c->ents[v - 1];
        if (e->hash == h && e->len == len && name_eq(e->name, name, len)) {
            break;
        }
    }
    pc->name = name;
    pc->len = len;
    pc->ent = (uint32_t)(e - c->ents);
    return e;
}

/* The entry of a name, made on first sight. Most names are looked up twice at the same place in
 * the AST (declared, then resolved), so the entry last found for an address comes first. */
static inline __attribute__((always_inline)) struct nent *ent_get(struct cc *c, const char *name,
                                                                  size_t len)
{
    uintptr_t a = (uintptr_t)name;
    struct pce *pc = &c->pcache[(a ^ (a >> 7)) & (PCACHE - 1)];
    if (pc->name == name && pc->len == len) {
        return &c->ents[pc->ent];
    }
    return ent_find(c, name, len, pc);
}

static bool name_is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static const struct ay_rego_import *find_import(const struct cc *c, const char *name, size_t len)
{
    if (c->mod == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < c->mod->nimports; i++) {
        const char *al = c->mod->imports[i].alias;
        if (strlen(al) == len && memcmp(al, name, len) == 0) {
            return &c->mod->imports[i];
        }
    }
    return NULL;
}

/* Sets e's meaning in the current module (its import, its rule of the package) once. */
static void ent_glob(const struct cc *c, struct nent *e)
{
    if (e->gen != c->gen) {
        e->gen = c->gen;
        e->im = find_import(c, e->name, e->len);
        e->rk = ay_rego_node_kid(c->pkg, e->name, e->len);
    }
}

/* ---- scopes ---- */

static ay_err scope_push(struct cc *c, struct scope *s)
{
    s->up = c->sc;
    s->base = c->nsyms;
    s->depth = c->sc ? c->sc->depth + 1 : 0;
    c->sc = s;
    if (++c->depth > AY_LIMIT_REGO_DEPTH) {
        return FAIL(c->diag, AY_ERR_LIMIT, "%s: nesting deeper than %d", c->modname,
                    AY_LIMIT_REGO_DEPTH);
    }
    return AY_OK;
}

static void scope_pop(struct cc *c)
{
    /* Its variables go out of sight: their names see the ones they shadowed again. */
    while (c->nsyms > c->sc->base) {
        const struct sym *y = &c->syms[--c->nsyms];
        c->ents[y->ent].top = y->prev;
    }
    c->sc = c->sc->up;
    c->depth--;
}

/* The innermost visible variable named as e. */
static struct sym *lookup(const struct cc *c, const struct nent *e)
{
    return e->top >= 0 ? &c->syms[e->top] : NULL;
}

/* e's variable in the current scope. */
static struct sym *lookup_here(const struct cc *c, const struct nent *e)
{
    return e->top >= 0 && (size_t)e->top >= c->sc->base ? &c->syms[e->top] : NULL;
}

static ay_err new_slot(struct cc *c, const char *name, size_t len, int32_t *out)
{
    if (c->nslots == c->slcap) {
        c->slcap = c->slcap ? c->slcap * 2 : 64;
        c->sl = ay_xrealloc(c->sl, c->slcap * sizeof *c->sl);
    }
    struct slotinfo *si = &c->sl[c->nslots];
    si->name = name;
    si->len = (uint32_t)len; /* a name from a source (at most AY_LIMIT_REGO_SOURCE bytes) */
    si->sdepth = c->sc ? c->sc->depth : 0;
    *out = (int32_t)c->nslots++;
    ENSURE(c->nslots < 65536, AY_ERR_LIMIT);
    return AY_OK;
}

static bool slot_is_wildcard(const struct cc *c, uint32_t s)
{
    return c->sl[s].len == 1 && c->sl[s].name[0] == '_';
}

static ay_err declare(struct cc *c, struct nent *e, bool assigned)
{
    if (c->nsyms == c->symcap) {
        c->symcap = c->symcap ? c->symcap * 2 : 64;
        c->syms = ay_xrealloc(c->syms, c->symcap * sizeof *c->syms);
    }
    uint32_t ei = (uint32_t)(e - c->ents);
    struct sym *y = &c->syms[c->nsyms];
    y->ent = ei;
    y->prev = e->top;
    y->assigned = assigned;
    y->slot = -1;
    e->top = (int32_t)c->nsyms++;
    return new_slot(c, e->name, e->len, &y->slot);
}

/* Would this bare name resolve to something global (not a new local)? */
static bool is_global_name(const struct cc *c, struct nent *e)
{
    ent_glob(c, e);
    return name_is(e->name, e->len, "input") || name_is(e->name, e->len, "data") || e->im != NULL ||
           (e->rk != NULL && e->rk->in_rule_path);
}

/* ---- pre-declaration: names used at this body level become locals of this scope ---- */

static ay_err predeclare_term(struct cc *c, struct ay_rego_term *t)
{
    if (t == NULL) {
        return AY_OK;
    }
    switch ((enum ay_rego_term_kind)t->kind) {
    case AY_RT_VAL:
    case AY_RT_ACOMP:
    case AY_RT_SCOMP:
    case AY_RT_OCOMP:
        return AY_OK;
    case AY_RT_VAR: {
        if (t->wildcard || t->slot >= 0) {
            return AY_OK;
        }
        struct nent *e = ent_get(c, t->name, t->name_len);
        if (lookup(c, e) != NULL || is_global_name(c, e)) {
            return AY_OK;
        }
        return declare(c, e, false);
    }
    case AY_RT_REF:
    case AY_RT_ARR:
    case AY_RT_SET:
    case AY_RT_OBJ:
    case AY_RT_CALL:
        for (size_t i = 0; i < t->n; i++) {
            if (t->items[i] != NULL && t->items[i]->kind != AY_RT_VAL) {
                TRY(predeclare_term(c, t->items[i]));
            }
        }
        return AY_OK;
    }
    return AY_OK;
}

/* Declares the variables of a := / some-in pattern in this scope (shadowing outer names). */
static ay_err declare_pattern(struct cc *c, struct ay_rego_term *t, bool assigned)
{
    if (t == NULL) {
        return AY_OK;
    }
    if (t->kind == AY_RT_VAR) {
        if (t->wildcard) {
            return AY_OK;
        }
        struct nent *e = ent_get(c, t->name, t->name_len);
        struct sym *y = lookup_here(c, e);
        if (y != NULL && assigned && y->assigned) {
            return cfail(c, t->line, t->col, "rego_compile_error: var %.*s assigned above",
                         t->name, t->name_len);
        }
        if (y != NULL) {
            y->assigned = y->assigned || assigned;
            return AY_OK;
        }
        return declare(c, e, assigned);
    }
    if (t->kind == AY_RT_ARR) {
        for (size_t i = 0; i < t->n; i++) {
            TRY(declare_pattern(c, t->items[i], assigned));
        }
    } else if (t->kind == AY_RT_OBJ) {
        for (size_t i = 1; i < t->n; i += 2) {
            TRY(declare_pattern(c, t->items[i], assigned));
        }
    }
    return AY_OK;
}

static ay_err predeclare_expr(struct cc *c, struct ay_rego_expr *e)
{
    /* Variables declared by := and some are declared where they appear (resolve_expr), so a
     * comprehension before the declaration has its own variable of that name (as OPA). */
    switch ((enum ay_rego_expr_kind)e->kind) {
    case AY_RE_TERM:
        TRY(predeclare_term(c, e->a));
        break;
    case AY_RE_UNIFY:
        TRY(predeclare_term(c, e->a));
        TRY(predeclare_term(c, e->b));
        break;
    case AY_RE_ASSIGN:
        TRY(predeclare_term(c, e->b));
        break;
    case AY_RE_SOME:
        break;
    case AY_RE_SOME_IN:
        TRY(predeclare_term(c, e->c));
        break;
    case AY_RE_EVERY:
        TRY(predeclare_term(c, e->c));
        break;
    case AY_RE_NOT:
        TRY(predeclare_expr(c, e->sub));
        break;
    }
    for (size_t i = 0; i < e->nwith; i++) {
        /* A bare name as a with value may name a function (a mock), not a new variable. */
        uint8_t k = e->with[i].value->kind;
        if (k != AY_RT_VAR && k != AY_RT_REF) {
            TRY(predeclare_term(c, e->with[i].value));
        }
    }
    return AY_OK;
}

/* ---- resolution ---- */

/* Turns VAR t into REF(root, segs..., [rest...]) in place (segs borrowed: they must outlive the
 * policy). The new terms and their array are one allocation. */
static ay_err make_ref(struct cc *c, struct ay_rego_term *t, uint8_t glob, const char *const *segs,
                       size_t nsegs)
{
    if (nsegs == 0) {
        t->kind = AY_RT_VAR;
        t->glob = glob;
        t->slot = -1;
        t->name = glob == AY_RG_INPUT ? "input" : "data";
        t->name_len = glob == AY_RG_INPUT ? 5 : 4;
        return AY_OK;
    }
    size_t nt = nsegs + 1;
    struct ay_rego_term *ts; /* head, a string term per segment, then the items array */
    TRY(ay_arena_alloc(c->a, nt * (sizeof *ts + sizeof(struct ay_rego_term *)), (void **)&ts));
    struct ay_rego_term **items = (struct ay_rego_term **)(void *)(ts + nt);
    struct ay_rego_term *head = &ts[0];
    *head = *t;
    head->kind = AY_RT_VAR;
    head->glob = glob;
    head->slot = -1;
    head->name = glob == AY_RG_INPUT ? "input" : "data";
    head->name_len = glob == AY_RG_INPUT ? 5 : 4;
    items[0] = head;
    for (size_t i = 0; i < nsegs; i++) {
        struct ay_rego_term *v = &ts[i + 1];
        v->kind = AY_RT_VAL;
        v->line = t->line;
        v->col = t->col;
        v->slot = -1;
        v->host = -1;
        v->ground = true;
        v->val = ay_val_str_static(segs[i]);
        items[i + 1] = v;
    }
    t->kind = AY_RT_REF;
    t->items = items;
    t->n = (uint32_t)nt; /* path segments of a name (bounded by the source) */
    return AY_OK;
}

static ay_err resolve_var(struct cc *c, struct ay_rego_term *t)
{
    if (t->slot >= 0 || t->glob != AY_RG_NONE) {
        return AY_OK;
    }
    if (t->wildcard) {
        return new_slot(c, "_", 1, &t->slot);
    }
    struct nent *e = ent_get(c, t->name, t->name_len);
    const struct sym *y = lookup(c, e);
    if (y != NULL) {
        t->slot = y->slot;
        return AY_OK;
    }
    if (name_is(t->name, t->name_len, "input")) {
        t->glob = AY_RG_INPUT;
        return AY_OK;
    }
    if (name_is(t->name, t->name_len, "data")) {
        t->glob = AY_RG_DATA;
        return AY_OK;
    }
    ent_glob(c, e);
    const struct ay_rego_import *im = e->im;
    if (im != NULL) {
        uint8_t g = strcmp(im->path[0], "input") == 0 ? AY_RG_INPUT : AY_RG_DATA;
        return make_ref(c, t, g, im->path + 1, im->npath - 1);
    }
    const struct ay_rego_node *rk = e->rk;
    if (rk != NULL && rk->in_rule_path) {
        const char *segs[AY_LIMIT_REGO_DEPTH + 1];
        size_t n = 0;
        for (size_t i = 0; i < c->mod->npkg && n < AY_LIMIT_REGO_DEPTH; i++) {
            segs[n++] = c->mod->pkg[i];
        }
        segs[n++] = rk->name; /* the rule's name, NUL-terminated in the policy's arena */
        return make_ref(c, t, AY_RG_DATA, segs, n);
    }
    return declare(c, e, false);
}

static ay_err resolve_term(struct cc *c, struct ay_rego_term *t);
static ay_err resolve_body(struct cc *c, struct ay_rego_body *b, struct ay_rego_term *h1,
                           struct ay_rego_term *h2);

/* ay_rego_bi_find scans the whole builtin table, and a compile asks for the same few names over
 * and over (every comparison, every `in`): the last answer for each name is kept, misses
 * included (the table is static). */
static const struct ay_rego_bi *bi_find(struct cc *c, const char *nm, size_t nl, size_t arity)
{
    struct nent *e = ent_get(c, nm, nl);
    if (!e->has_bi || e->bi_arity != arity) {
        e->bi = ay_rego_bi_find(nm, nl, arity);
        e->bi_arity = arity;
        e->has_bi = true;
    }
    return e->bi;
}

static ay_err resolve_call(struct cc *c, struct ay_rego_term *t)
{
    const char *nm = t->name;
    size_t nl = t->name_len;
    size_t first = 0;
    while (first < nl && nm[first] != '.') {
        first++;
    }
    /* Candidate data path of a user function. */
    const struct ay_rego_node *n = NULL;
    struct nent *fe = ent_get(c, nm, first);
    ent_glob(c, fe);
    const struct ay_rego_import *im = fe->im;
    const struct ay_rego_node *pk = fe->rk; /* the package's child named as the first part */
    const char *rest = nm + first;
    size_t restn = nl - first;
    if (im != NULL && strcmp(im->path[0], "data") == 0) {
        n = c->p->root;
        for (size_t i = 1; i < im->npath && n != NULL; i++) {
            n = ay_rego_node_kid(n, im->path[i], strlen(im->path[i]));
        }
    } else if (name_is(nm, first, "data")) {
        n = c->p->root;
    } else if (pk != NULL) {
        n = pk;
        rest = nm + first;
        restn = nl - first;
    } else {
        rest = NULL;
    }
    if (rest != NULL) {
        while (n != NULL && restn > 0) {
            rest++;
            restn--;
            size_t k = 0;
            while (k < restn && rest[k] != '.') {
                k++;
            }
            n = ay_rego_node_kid(n, rest, k);
            rest += k;
            restn -= k;
        }
        if (n != NULL && n->has_rules && n->kind == AY_RR_FUNC) {
            if (n->arity == t->n || n->arity + 1 == t->n) {
                t->fn = (struct ay_rego_node *)(uintptr_t)n;
                t->out_arg = n->arity + 1 == t->n;
                return AY_OK;
            }
            return cfail(c, t->line, t->col, "rego_type_error: %.*s: wrong number of arguments",
                         nm, nl);
        }
    }
    const struct ay_rego_bi *bi = bi_find(c, nm, nl, t->n);
    if (bi != NULL) {
        t->bi = bi;
        return AY_OK;
    }
    if (t->n > 0) {
        bi = bi_find(c, nm, nl, t->n - 1);
        if (bi != NULL && (bi->flags & AY_REGO_BI_VARIADIC) == 0) {
            t->bi = bi;
            t->out_arg = true;
            return AY_OK;
        }
    }
    if (c->p->host != NULL) {
        for (size_t i = 0; i < c->p->host->n; i++) {
            const struct ay_rego_host *h = &c->p->host->v[i];
            if (strlen(h->name) == nl && memcmp(h->name, nm, nl) == 0) {
                if (h->arity == t->n || h->arity + 1 == t->n) {
                    t->host = (int32_t)i;
                    t->out_arg = h->arity + 1 == t->n;
                    return AY_OK;
                }
            }
        }
    }
    if (ay_rego_bi_known(nm, nl)) {
        return cfail(c, t->line, t->col,
                     "rego_type_error: %.*s: wrong number of arguments", nm, nl);
    }
    return cfail(c, t->line, t->col, "rego_type_error: undefined function %.*s", nm, nl);
}

/* "a.b.c" of a VAR or a REF of .names (with targets and mock values); NULL otherwise. */
static ay_err dotted(struct cc *c, const struct ay_rego_term *t, const char **out, size_t *out_n)
{
    *out = NULL;
    *out_n = 0;
    if (t->kind == AY_RT_VAR) {
        *out = t->name;
        *out_n = t->name_len;
        return AY_OK;
    }
    if (t->kind != AY_RT_REF || t->items[0]->kind != AY_RT_VAR) {
        return AY_OK;
    }
    size_t n = t->items[0]->name_len;
    for (size_t i = 1; i < t->n; i++) {
        if (t->items[i]->kind != AY_RT_VAL || t->items[i]->val.kind != AY_V_STR) {
            return AY_OK;
        }
        n += 1 + t->items[i]->val.len;
    }
    char *s;
    TRY(ay_arena_alloc(c->a, n + 1, (void **)&s));
    size_t w = t->items[0]->name_len;
    memcpy(s, t->items[0]->name, w);
    for (size_t i = 1; i < t->n; i++) {
        s[w++] = '.';
        memcpy(s + w, t->items[i]->val.u.s, t->items[i]->val.len);
        w += t->items[i]->val.len;
    }
    s[w] = '\0';
    *out = s;
    *out_n = w;
    return AY_OK;
}

/* Resolves a function name without a call: user function, builtin (any arity) or host. */
static bool find_fn_any(struct cc *c, const char *nm, size_t nl, const struct ay_rego_node **fn,
                        const struct ay_rego_bi **bi, int32_t *host)
{
    *fn = NULL;
    *bi = NULL;
    *host = -1;
    if (nl == 0) {
        return false;
    }
    size_t first = 0;
    while (first < nl && nm[first] != '.') {
        first++;
    }
    if (lookup(c, ent_get(c, nm, first)) != NULL) {
        return false; /* a local variable */
    }
    struct ay_rego_term probe;
    memset(&probe, 0, sizeof probe);
    probe.kind = AY_RT_CALL;
    probe.name = nm;
    probe.name_len = (uint32_t)nl; /* a name from a source (at most AY_LIMIT_REGO_SOURCE) */
    probe.host = -1;
    for (size_t ar = 0; ar <= 8; ar++) {
        probe.n = (uint32_t)ar;
        struct ay_diag scratch;
        ay_diag_clear(&scratch);
        struct ay_diag *saved = c->diag;
        c->diag = &scratch;
        ay_err e = resolve_call(c, &probe);
        c->diag = saved;
        if (e == AY_OK && !probe.out_arg) {
            *fn = probe.fn;
            *bi = probe.bi;
            *host = probe.host;
            return true;
        }
    }
    return false;
}

/* The value of a ground array, set or object literal (its items are ground), computed once. The
 * vectors are filled at their final size (one allocation, no regrowth). */
static AY_NOINLINE ay_err precompute(struct cc *c, struct ay_rego_term *t)
{
    if (t->kind == AY_RT_OBJ) {
        struct ay_kv_vec kv;
        ay_kv_vec_init(&kv, c->a);
        kv.cap = t->n / 2;
        if (kv.cap > 0) {
            TRY(ay_arena_array(c->a, kv.cap, sizeof *kv.pairs, (void **)&kv.pairs));
        }
        for (size_t i = 0; i + 1 < t->n; i += 2) {
            kv.pairs[kv.n].k = t->items[i]->val;
            kv.pairs[kv.n].v = t->items[i + 1]->val;
            kv.n++;
        }
        if (ay_kv_vec_object(&kv, true, &t->val) != AY_OK) {
            return cfail(c, t->line, t->col, "rego_type_error: duplicate key in object%.*s", "", 0);
        }
    } else {
        struct ay_val_vec v;
        ay_val_vec_init(&v, c->a);
        v.cap = t->n;
        if (v.cap > 0) {
            TRY(ay_arena_array(c->a, v.cap, sizeof *v.items, (void **)&v.items));
        }
        for (size_t i = 0; i < t->n; i++) {
            v.items[v.n++] = t->items[i]->val;
        }
        t->val = t->kind == AY_RT_ARR ? ay_val_vec_array(&v) : ay_val_vec_set(&v);
    }
    t->ground = true;
    return AY_OK;
}

/* resolve_term of item i of t: a literal (most items) is done here, without a call (as
 * resolve_term would: ground, unless past its depth limit). */
static ay_err resolve_item(struct cc *c, struct ay_rego_term *t, size_t i)
{
    struct ay_rego_term *k = t->items[i];
    if (k != NULL && k->kind == AY_RT_VAL && c->depth < (size_t)AY_LIMIT_REGO_DEPTH * 2) {
        k->ground = true;
        return AY_OK;
    }
    return resolve_term(c, k);
}

static ay_err resolve_term(struct cc *c, struct ay_rego_term *t)
{
    if (t == NULL) {
        return AY_OK;
    }
    if (++c->depth > AY_LIMIT_REGO_DEPTH * 2) {
        return FAIL(c->diag, AY_ERR_LIMIT, "%s: nesting too deep", c->modname);
    }
    switch ((enum ay_rego_term_kind)t->kind) {
    case AY_RT_VAL:
        t->ground = true;
        break;
    case AY_RT_VAR:
        TRY(resolve_var(c, t));
        break;
    case AY_RT_REF: {
        for (size_t i = 0; i < t->n; i++) {
            TRY(resolve_item(c, t, i));
        }
        struct ay_rego_term *h = t->items[0];
        if (h->kind == AY_RT_REF) {
            /* Flatten an import/rule head expanded into a ref. */
            struct ay_rego_term **items;
            TRY(ay_arena_array(c->a, h->n + t->n - 1, sizeof *items, (void **)&items));
            memcpy(items, h->items, h->n * sizeof *items);
            memcpy(items + h->n, t->items + 1, (t->n - 1) * sizeof *items);
            t->items = items;
            t->n = h->n + t->n - 1;
        }
        break;
    }
    case AY_RT_ARR:
    case AY_RT_SET:
    case AY_RT_OBJ: {
        bool ground = true;
        for (size_t i = 0; i < t->n; i++) {
            TRY(resolve_item(c, t, i));
            ground = ground && t->items[i]->ground;
        }
        if (ground) {
            TRY(precompute(c, t));
        }
        break;
    }
    case AY_RT_CALL:
        for (size_t i = 0; i < t->n; i++) {
            TRY(resolve_item(c, t, i));
        }
        TRY(resolve_call(c, t));
        break;
    case AY_RT_ACOMP:
    case AY_RT_SCOMP:
    case AY_RT_OCOMP: {
        struct scope s;
        TRY(scope_push(c, &s));
        t->sdepth = s.depth;
        TRY(resolve_body(c, t->body, t->head, t->head2));
        scope_pop(c);
        break;
    }
    }
    c->depth--;
    return AY_OK;
}

static ay_err resolve_expr(struct cc *c, struct ay_rego_expr *e)
{
    switch ((enum ay_rego_expr_kind)e->kind) {
    case AY_RE_TERM:
        TRY(resolve_term(c, e->a));
        break;
    case AY_RE_UNIFY:
        TRY(resolve_term(c, e->a));
        TRY(resolve_term(c, e->b));
        break;
    case AY_RE_ASSIGN:
        TRY(resolve_term(c, e->b));
        TRY(declare_pattern(c, e->a, true));
        TRY(resolve_term(c, e->a));
        break;
    case AY_RE_SOME:
        for (size_t i = 0; i < e->n; i++) {
            TRY(declare_pattern(c, e->items[i], true));
            TRY(resolve_term(c, e->items[i]));
        }
        break;
    case AY_RE_SOME_IN:
        TRY(resolve_term(c, e->c));
        TRY(declare_pattern(c, e->a, false));
        TRY(declare_pattern(c, e->b, false));
        TRY(resolve_term(c, e->a));
        TRY(resolve_term(c, e->b));
        break;
    case AY_RE_EVERY: {
        TRY(resolve_term(c, e->c));
        struct scope s;
        TRY(scope_push(c, &s));
        e->sdepth = s.depth;
        TRY(declare_pattern(c, e->a, false));
        TRY(declare_pattern(c, e->b, false));
        TRY(resolve_term(c, e->a));
        TRY(resolve_term(c, e->b));
        TRY(resolve_body(c, e->body, NULL, NULL));
        scope_pop(c);
        break;
    }
    case AY_RE_NOT:
        TRY(resolve_expr(c, e->sub));
        break;
    }
    for (size_t i = 0; i < e->nwith; i++) {
        struct ay_rego_term *tg = e->with[i].target;
        /* Targets are paths (input..., data..., function names): not variables. */
        if (tg->kind == AY_RT_VAR || tg->kind == AY_RT_REF) {
            struct ay_rego_term *h = tg->kind == AY_RT_VAR ? tg : tg->items[0];
            if (h->kind != AY_RT_VAR) {
                return cfail(c, tg->line, tg->col, "rego_compile_error: invalid with target%.*s",
                             "", 0);
            }
            const char *tn;
            size_t tl;
            TRY(dotted(c, tg, &tn, &tl));
            struct ay_rego_with *w = &e->with[i];
            w->thost = -1;
            w->rhost = -1;
            if (name_is(h->name, h->name_len, "input")) {
                h->glob = AY_RG_INPUT;
            } else if (name_is(h->name, h->name_len, "data") &&
                       !(find_fn_any(c, tn, tl, &w->tfn, &w->tbi, &w->thost) && w->tfn != NULL)) {
                h->glob = AY_RG_DATA;
            } else if (tn != NULL && find_fn_any(c, tn, tl, &w->tfn, &w->tbi, &w->thost)) {
                w->is_mock = true;
                const char *vn;
                size_t vl;
                TRY(dotted(c, w->value, &vn, &vl));
                if (vn != NULL && find_fn_any(c, vn, vl, &w->rfn, &w->rbi, &w->rhost)) {
                    continue; /* replaced by another function: no value to resolve */
                }
            } else {
                return cfail(c, tg->line, tg->col,
                             "rego_compile_error: with target %.*s must be input, data or a "
                             "function",
                             tn ? tn : "?", tn ? tl : 1);
            }
        } else {
            return cfail(c, tg->line, tg->col, "rego_compile_error: invalid with target%.*s", "",
                         0);
        }
        TRY(resolve_term(c, e->with[i].value));
    }
    return AY_OK;
}

/* Resolves a body (in the current, fresh scope) and then the head terms h1/h2 in that scope. */
static ay_err resolve_body(struct cc *c, struct ay_rego_body *b, struct ay_rego_term *h1,
                           struct ay_rego_term *h2)
{
    if (b != NULL) {
        for (size_t i = 0; i < b->n; i++) {
            TRY(predeclare_expr(c, b->exprs[i]));
        }
    }
    if (b != NULL) {
        for (size_t i = 0; i < b->n; i++) {
            TRY(resolve_expr(c, b->exprs[i]));
        }
    }
    /* Head variables not seen in the body become locals (and are then reported unsafe). */
    TRY(predeclare_term(c, h1));
    TRY(predeclare_term(c, h2));
    TRY(resolve_term(c, h1));
    TRY(resolve_term(c, h2));
    return AY_OK;
}

/* ---- safety and reordering ---- */

static void bind_term(const struct ay_rego_term *t, uint8_t *bound, bool out);

/* true if a ref among the call's arguments binds slot s by iteration (`x == input.xs[x]`:
 * OPA's safety check counts ref outputs of a call's arguments as bound). */
static bool bound_by_ref_arg(const struct cc *c, const struct ay_rego_term *call, int32_t s,
                             const uint8_t *bound)
{
    uint8_t tmp[1024];
    if (c->nslots > sizeof tmp) {
        return false;
    }
    memcpy(tmp, bound, c->nslots);
    for (size_t i = 0; i < call->n; i++) {
        if (call->items[i]->kind == AY_RT_REF) {
            bind_term(call->items[i], tmp, false);
        }
    }
    return tmp[s] != 0;
}

static int32_t need_closure_term(const struct cc *c, const struct ay_rego_term *t,
                                 const uint8_t *bound, uint32_t depth);

/* What need_term met besides the slots it needs: the first variable a comprehension captures
 * unbound (or -1), and whether it met a comprehension at all. */
struct need_acc {
    int32_t cap;
    bool nested;
};

static bool is_ground(const struct ay_rego_term *t)
{
    return t == NULL || t->ground;
}

/* Returns the first slot read by t (in input positions) that is not bound, or -1 (or -2).
 * out: t is in a pattern position (a bare var there is written, not read).
 * acc (may be NULL): records the comprehensions met on the way. When the answer is < 0 every
 * item was visited but ground ones and the vars of refs (which hold no comprehension), so
 * acc->cap is then what need_full's walk of the items used to find. */
static int32_t need_term(const struct cc *c, const struct ay_rego_term *t, const uint8_t *bound,
                         bool out, struct need_acc *acc)
{
    if (t == NULL || t->ground) {
        return -1;
    }
    int32_t r = -1;
    switch ((enum ay_rego_term_kind)t->kind) {
    case AY_RT_VAL:
        return -1;
    case AY_RT_VAR:
        if (t->slot < 0 || out || bound[t->slot]) {
            return -1;
        }
        return t->slot;
    case AY_RT_REF:
        r = need_term(c, t->items[0], bound, false, acc);
        for (size_t i = 1; i < t->n && r < 0; i++) {
            const struct ay_rego_term *e = t->items[i];
            if (e->ground) {
                continue;
            }
            /* Vars and array/object patterns in a ref are bound by iteration. */
            r = e->kind == AY_RT_VAR
                    ? -1
                    : need_term(c, e, bound, e->kind == AY_RT_ARR || e->kind == AY_RT_OBJ, acc);
        }
        return r;
    /* Ground items (literals: most of them) need nothing, and are not visited. */
    case AY_RT_ARR:
        for (size_t i = 0; i < t->n && r < 0; i++) {
            if (!is_ground(t->items[i])) {
                r = need_term(c, t->items[i], bound, out, acc);
            }
        }
        return r;
    case AY_RT_SET:
        for (size_t i = 0; i < t->n && r < 0; i++) {
            if (!is_ground(t->items[i])) {
                r = need_term(c, t->items[i], bound, false, acc);
            }
        }
        return r;
    case AY_RT_OBJ:
        for (size_t i = 0; i < t->n && r < 0; i++) {
            if (!is_ground(t->items[i])) {
                r = need_term(c, t->items[i], bound, (i % 2 == 1) && out, acc);
            }
        }
        return r;
    case AY_RT_CALL:
        for (size_t i = 0; i < t->n && r < 0; i++) {
            if (is_ground(t->items[i])) {
                continue;
            }
            bool o = t->out_arg && i + 1 == t->n;
            r = need_term(c, t->items[i], bound, o, acc);
            if (r >= 0 && t->items[i]->kind == AY_RT_VAR && bound_by_ref_arg(c, t, r, bound)) {
                r = -1; /* read after the ref binds it (the evaluator defers such args) */
            }
        }
        return r;
    case AY_RT_ACOMP:
    case AY_RT_SCOMP:
    case AY_RT_OCOMP:
        /* Captured variables: declared outside the comprehension and used inside. */
        if (acc != NULL) {
            acc->nested = true;
            if (acc->cap < 0) {
                acc->cap = need_closure_term(c, t, bound, t->sdepth);
            }
        }
        return -2;
    }
    return r;
}

static int32_t need_closure_body(const struct cc *c, const struct ay_rego_body *b,
                                 const uint8_t *bound, uint32_t depth);

static int32_t need_closure_expr(const struct cc *c, const struct ay_rego_expr *e,
                                 const uint8_t *bound, uint32_t depth)
{
    int32_t r = -1;
    const struct ay_rego_term *ts[3] = {e->a, e->b, e->c};
    for (size_t i = 0; i < 3 && r < 0; i++) {
        r = need_closure_term(c, ts[i], bound, depth);
    }
    for (size_t i = 0; i < e->n && r < 0; i++) {
        r = need_closure_term(c, e->items[i], bound, depth);
    }
    if (r < 0 && e->body != NULL) {
        r = need_closure_body(c, e->body, bound, depth);
    }
    if (r < 0 && e->sub != NULL) {
        r = need_closure_expr(c, e->sub, bound, depth);
    }
    for (size_t i = 0; i < e->nwith && r < 0; i++) {
        r = need_closure_term(c, e->with[i].value, bound, depth);
    }
    return r;
}

static int32_t need_closure_body(const struct cc *c, const struct ay_rego_body *b,
                                 const uint8_t *bound, uint32_t depth)
{
    int32_t r = -1;
    for (size_t i = 0; b != NULL && i < b->n && r < 0; i++) {
        r = need_closure_expr(c, b->exprs[i], bound, depth);
    }
    return r;
}

/* Any variable used inside t that was declared at scope depth < depth and is unbound. */
static int32_t need_closure_term(const struct cc *c, const struct ay_rego_term *t,
                                 const uint8_t *bound, uint32_t depth)
{
    if (t == NULL || t->ground) {
        return -1;
    }
    if (t->kind == AY_RT_VAR) {
        if (t->slot >= 0 && c->sl[t->slot].sdepth < depth && !bound[t->slot]) {
            return t->slot;
        }
        return -1;
    }
    int32_t r = -1;
    for (size_t i = 0; i < t->n && r < 0; i++) {
        r = need_closure_term(c, t->items[i], bound, depth);
    }
    if (!ay_rego_term_is_comp(t)) {
        return r;
    }
    if (r < 0) {
        r = need_closure_term(c, t->head, bound, depth);
    }
    if (r < 0) {
        r = need_closure_term(c, t->head2, bound, depth);
    }
    if (r < 0 && t->body != NULL) {
        r = need_closure_body(c, t->body, bound, depth);
    }
    return r;
}

/* need_term plus captured variables of nested comprehensions: first what need_term finds, else
 * the first capture in the order of the items (one walk for both). *nested is set if t holds
 * a comprehension that was met. */
static int32_t need_full(const struct cc *c, const struct ay_rego_term *t, const uint8_t *bound,
                         bool out, bool *nested)
{
    if (t == NULL || t->ground) {
        return -1;
    }
    struct need_acc acc = {-1, false};
    int32_t r;
    if (ay_rego_term_is_comp(t)) {
        acc.nested = true;
        r = need_closure_term(c, t, bound, t->sdepth);
    } else {
        r = need_term(c, t, bound, out, &acc);
        r = r >= 0 ? r : acc.cap;
    }
    *nested = *nested || acc.nested;
    return r;
}

/* Marks variables written by t (pattern positions, ref iteration vars, output args). */
static void bind_term(const struct ay_rego_term *t, uint8_t *bound, bool out)
{
    if (t == NULL || t->ground) {
        return;
    }
    switch ((enum ay_rego_term_kind)t->kind) {
    case AY_RT_VAL:
    case AY_RT_ACOMP:
    case AY_RT_SCOMP:
    case AY_RT_OCOMP:
        return;
    case AY_RT_VAR:
        if (out && t->slot >= 0) {
            bound[t->slot] = 1;
        }
        return;
    case AY_RT_REF:
        for (size_t i = 1; i < t->n; i++) {
            uint8_t k = t->items[i]->kind;
            bind_term(t->items[i], bound, k == AY_RT_VAR || k == AY_RT_ARR || k == AY_RT_OBJ);
        }
        return;
    case AY_RT_ARR:
        for (size_t i = 0; i < t->n; i++) {
            bind_term(t->items[i], bound, out);
        }
        return;
    case AY_RT_SET:
        return;
    case AY_RT_OBJ:
        for (size_t i = 1; i < t->n; i += 2) {
            bind_term(t->items[i], bound, out);
        }
        return;
    case AY_RT_CALL:
        for (size_t i = 0; i < t->n; i++) {
            bind_term(t->items[i], bound, t->out_arg && i + 1 == t->n);
        }
        return;
    }
}

/* true if t has no unbound variable in a pattern position (it can be evaluated). */
static bool evaluable(const struct ay_rego_term *t, const uint8_t *bound)
{
    if (t->ground) {
        return true;
    }
    switch ((enum ay_rego_term_kind)t->kind) {
    case AY_RT_VAR:
        return t->slot < 0 || bound[t->slot];
    case AY_RT_ARR:
        for (size_t i = 0; i < t->n; i++) {
            if (!evaluable(t->items[i], bound)) {
                return false;
            }
        }
        return true;
    case AY_RT_OBJ:
        for (size_t i = 1; i < t->n; i += 2) {
            if (!evaluable(t->items[i], bound)) {
                return false;
            }
        }
        return true;
    case AY_RT_VAL:
    case AY_RT_REF:
    case AY_RT_SET:
    case AY_RT_CALL:
    case AY_RT_ACOMP:
    case AY_RT_SCOMP:
    case AY_RT_OCOMP:
        return true;
    }
    return true;
}

static bool unifiable(const struct ay_rego_term *a, const struct ay_rego_term *b,
                      const uint8_t *bound)
{
    if (evaluable(a, bound) || evaluable(b, bound)) {
        return true;
    }
    if (a->kind == AY_RT_ARR && b->kind == AY_RT_ARR && a->n == b->n) {
        for (size_t i = 0; i < a->n; i++) {
            if (!unifiable(a->items[i], b->items[i], bound)) {
                return false;
            }
        }
        return true;
    }
    if (a->kind == AY_RT_OBJ && b->kind == AY_RT_OBJ && a->n == b->n) {
        /* Pairwise by ground keys. */
        for (size_t i = 0; i < a->n; i += 2) {
            const struct ay_rego_term *m = NULL;
            for (size_t j = 0; j < b->n && m == NULL; j += 2) {
                if (a->items[i]->ground && b->items[j]->ground &&
                    ay_val_equal(a->items[i]->val, b->items[j]->val)) {
                    m = b->items[j + 1];
                }
            }
            if (m == NULL || !unifiable(a->items[i + 1], m, bound)) {
                return false;
            }
        }
        return true;
    }
    return false;
}

static int32_t first_unbound_pattern(const struct ay_rego_term *t, const uint8_t *bound)
{
    if (t->kind == AY_RT_VAR) {
        return (t->slot >= 0 && !bound[t->slot]) ? t->slot : -1;
    }
    for (size_t i = 0; i < t->n; i++) {
        int32_t r = first_unbound_pattern(t->items[i], bound);
        if (r >= 0) {
            return r;
        }
    }
    return -1;
}

static void bind_expr(const struct ay_rego_expr *e, uint8_t *bound)
{
    switch ((enum ay_rego_expr_kind)e->kind) {
    case AY_RE_TERM:
        bind_term(e->a, bound, false);
        break;
    case AY_RE_UNIFY:
    case AY_RE_ASSIGN:
        bind_term(e->a, bound, true);
        bind_term(e->b, bound, true);
        break;
    case AY_RE_SOME_IN:
        bind_term(e->a, bound, true);
        bind_term(e->b, bound, true);
        bind_term(e->c, bound, false);
        break;
    case AY_RE_SOME:
    case AY_RE_EVERY:
    case AY_RE_NOT:
        break;
    }
}

/* The first slot e needs that is unbound (-1: schedulable now). *nested is set if the terms it
 * walked hold a comprehension or e is (or negates) an every. */
static int32_t expr_need(const struct cc *c, const struct ay_rego_expr *e, const uint8_t *bound,
                         bool *nested)
{
    int32_t r = -1;
    switch ((enum ay_rego_expr_kind)e->kind) {
    case AY_RE_TERM:
        r = need_full(c, e->a, bound, false, nested);
        break;
    case AY_RE_UNIFY:
    case AY_RE_ASSIGN:
        r = need_full(c, e->a, bound, true, nested);
        if (r < 0) {
            /* The right side of := is always evaluated, never a pattern. */
            r = need_full(c, e->b, bound, e->kind == AY_RE_UNIFY, nested);
        }
        if (r < 0 && !unifiable(e->a, e->b, bound)) {
            r = first_unbound_pattern(e->a, bound);
            if (r < 0) {
                r = first_unbound_pattern(e->b, bound);
            }
        }
        break;
    case AY_RE_SOME:
        break;
    case AY_RE_SOME_IN:
        r = need_full(c, e->c, bound, false, nested);
        if (r < 0 && e->a != NULL) {
            r = need_full(c, e->a, bound, true, nested);
        }
        if (r < 0) {
            r = need_full(c, e->b, bound, true, nested);
        }
        break;
    case AY_RE_EVERY:
        *nested = true;
        r = need_full(c, e->c, bound, false, nested);
        if (r < 0) {
            /* Only variables captured from outside the every scope matter. */
            r = need_closure_body(c, e->body, bound, e->sdepth);
        }
        break;
    case AY_RE_NOT: {
        /* A negation binds nothing: every variable it would bind must already be bound
         * (wildcards excepted), as OPA's safety check. */
        r = expr_need(c, e->sub, bound, nested);
        uint8_t tmp[1024];
        if (r < 0 && c->nslots <= sizeof tmp) {
            memcpy(tmp, bound, c->nslots);
            bind_expr(e->sub, tmp);
            for (uint32_t s = 0; s < c->nslots && r < 0; s++) {
                if (tmp[s] && !bound[s] && !slot_is_wildcard(c, s)) {
                    r = (int32_t)s;
                }
            }
        }
        break;
    }
    }
    for (size_t i = 0; i < e->nwith && r < 0; i++) {
        r = need_full(c, e->with[i].value, bound, false, nested);
    }
    return r;
}

static ay_err unsafe(const struct cc *c, uint32_t line, uint32_t col, int32_t slot)
{
    const char *nm = slot >= 0 ? c->sl[slot].name : "?";
    size_t len = slot >= 0 ? c->sl[slot].len : 1;
    return cfail(c, line, col, "rego_unsafe_var_error: var %.*s is unsafe", nm, len);
}

/* A copy of bound in the scratch stack (for a nested body). */
static ay_err bound_dup(struct cc *c, const uint8_t *bound, uint8_t **out)
{
    TRY(scr_alloc(c, (size_t)c->nslots + 1, (void **)out));
    memcpy(*out, bound, c->nslots);
    return AY_OK;
}

static ay_err reorder_body(struct cc *c, struct ay_rego_body *b, uint8_t *bound);

/* true if expr_need, answering -1 (e can be placed), walked every term of e that
 * reorder_nested_expr walks, so that its `nested` answer tells whether e holds a body to order.
 * (It walks all their items but ground ones and the vars of refs, which hold none.) */
static bool need_covers(const struct ay_rego_expr *e)
{
    switch ((enum ay_rego_expr_kind)e->kind) {
    case AY_RE_TERM:
        return e->b == NULL && e->c == NULL && e->sub == NULL;
    case AY_RE_UNIFY:
    case AY_RE_ASSIGN:
        return e->c == NULL && e->sub == NULL;
    case AY_RE_SOME_IN:
        return e->sub == NULL;
    case AY_RE_SOME:
        return e->a == NULL && e->b == NULL && e->c == NULL && e->sub == NULL;
    case AY_RE_EVERY:
        return false;
    case AY_RE_NOT:
        return e->a == NULL && e->b == NULL && e->c == NULL && e->sub != NULL &&
               need_covers(e->sub);
    }
    return false;
}

static ay_err reorder_nested_term(struct cc *c, struct ay_rego_term *t, const uint8_t *bound)
{
    if (t == NULL || t->ground) {
        return AY_OK;
    }
    for (size_t i = 0; i < t->n; i++) {
        const struct ay_rego_term *k = t->items[i];
        /* Only comprehensions have bodies to order: leaves (most items) need no call. */
        if (k != NULL && (k->n > 0 || ay_rego_term_is_comp(k))) {
            TRY(reorder_nested_term(c, t->items[i], bound));
        }
    }
    if (ay_rego_term_is_comp(t) && t->body != NULL) {
        struct scr_mark m = scr_mark(c);
        uint8_t *nb;
        TRY(bound_dup(c, bound, &nb));
        TRY(reorder_body(c, t->body, nb));
        int32_t r = need_term(c, t->head, nb, false, NULL);
        if (r < 0 && t->head2 != NULL) {
            r = need_term(c, t->head2, nb, false, NULL);
        }
        scr_rewind(c, m);
        if (r >= 0) {
            return unsafe(c, t->line, t->col, r);
        }
    }
    return AY_OK;
}

static ay_err reorder_nested_expr(struct cc *c, struct ay_rego_expr *e, const uint8_t *bound)
{
    TRY(reorder_nested_term(c, e->a, bound));
    TRY(reorder_nested_term(c, e->b, bound));
    TRY(reorder_nested_term(c, e->c, bound));
    if (e->sub != NULL) {
        TRY(reorder_nested_expr(c, e->sub, bound));
    }
    for (size_t i = 0; i < e->nwith; i++) {
        TRY(reorder_nested_term(c, e->with[i].value, bound));
    }
    if (e->kind == AY_RE_EVERY) {
        struct scr_mark m = scr_mark(c);
        uint8_t *nb;
        TRY(bound_dup(c, bound, &nb));
        bind_term(e->a, nb, true);
        bind_term(e->b, nb, true);
        TRY(reorder_body(c, e->body, nb));
        scr_rewind(c, m);
    }
    return AY_OK;
}

/* Orders b's expressions so each comes after those binding what it reads: repeatedly the first
 * expression (in source order) that can run now, as OPA's compiler does. */
static ay_err reorder_body(struct cc *c, struct ay_rego_body *b, uint8_t *bound)
{
    size_t n = b->n;
    struct scr_mark m = scr_mark(c);
    struct ay_rego_expr **out;
    uint8_t *done;
    TRY(scr_alloc(c, n * sizeof *out, (void **)&out));
    TRY(scr_alloc(c, n, (void **)&done));
    for (size_t k = 0; k < n; k++) {
        size_t pick = n;
        int32_t missing = -1;
        bool nested = false;
        for (size_t i = 0; i < n; i++) {
            if (done[i]) {
                continue;
            }
            nested = false;
            int32_t r = expr_need(c, b->exprs[i], bound, &nested);
            if (r < 0) {
                pick = i;
                break;
            }
            if (missing < 0) {
                missing = r;
            }
        }
        if (pick == n) {
            const struct ay_rego_expr *e = NULL;
            for (size_t i = 0; i < n && e == NULL; i++) {
                if (!done[i]) {
                    e = b->exprs[i];
                }
            }
            return unsafe(c, e->line, e->col, missing);
        }
        struct ay_rego_expr *e = b->exprs[pick];
        done[pick] = 1;
        out[k] = e;
        /* Most expressions hold no comprehension nor every: expr_need saw that. */
        if (nested || !need_covers(e)) {
            TRY(reorder_nested_expr(c, e, bound));
        }
        bind_expr(e, bound);
    }
    memcpy(b->exprs, out, n * sizeof *out);
    scr_rewind(c, m);
    return AY_OK;
}

/* ---- rules ---- */

static ay_err compile_rule_elem(struct cc *c, struct ay_rego_rule *r, struct ay_rego_term **args,
                                size_t nargs)
{
    struct scope s;
    TRY(scope_push(c, &s));
    TRY(resolve_body(c, r->body, r->key, r->value));
    scope_pop(c);
    struct scr_mark mk = scr_mark(c);
    uint8_t *bound;
    TRY(scr_alloc(c, (size_t)c->nslots + 1, (void **)&bound));
    for (size_t i = 0; i < nargs; i++) {
        bind_term(args[i], bound, true);
    }
    if (r->body != NULL) {
        TRY(reorder_body(c, r->body, bound));
    }
    const struct ay_rego_term *hs[2] = {r->key, r->value};
    for (size_t i = 0; i < 2; i++) {
        bool nested = false;
        int32_t m = need_full(c, hs[i], bound, false, &nested);
        if (m >= 0) {
            return unsafe(c, hs[i]->line, hs[i]->col, m);
        }
        if (hs[i] != NULL) {
            TRY(reorder_nested_term(c, (struct ay_rego_term *)(uintptr_t)hs[i], bound));
        }
    }
    scr_rewind(c, mk);
    return AY_OK;
}

static ay_err compile_rule(struct cc *c, struct ay_rego_rule *r)
{
    c->nslots = 0;
    c->sc = NULL;
    c->depth = 0;
    struct scope s;
    TRY(scope_push(c, &s));
    for (size_t i = 0; i < r->nargs; i++) {
        TRY(declare_pattern(c, r->args[i], false));
        TRY(resolve_term(c, r->args[i]));
    }
    for (struct ay_rego_rule *e = r; e != NULL; e = e->els) {
        TRY(compile_rule_elem(c, e, r->args, r->nargs));
    }
    scope_pop(c);
    for (struct ay_rego_rule *e = r; e != NULL; e = e->els) {
        e->nslots = c->nslots;
    }
    return AY_OK;
}

static struct ay_rego_node *pkg_node(const struct ay_rego_policy *p, const struct ay_rego_module *m)
{
    struct ay_rego_node *n = p->root;
    for (size_t i = 0; i < m->npkg && n != NULL; i++) {
        n = ay_rego_node_kid(n, m->pkg[i], strlen(m->pkg[i]));
    }
    return n;
}

static ay_err compile_all(struct cc *c, struct ay_rego_module **mods, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        c->mod = mods[i];
        c->modname = mods[i]->name;
        c->pkg = pkg_node(c->p, mods[i]);
        c->gen = (uint32_t)i + 1; /* modules: bounded by the policy's size */
        for (size_t j = 0; j < mods[i]->nrules; j++) {
            TRY(compile_rule(c, mods[i]->rules[j]));
        }
    }
    return AY_OK;
}

ay_err ay_rego_compile_modules(struct ay_rego_policy *p, struct ay_rego_module **mods, size_t n,
                               struct ay_diag *diag)
{
    TRY(ay_rego_meta_link(p->arena, mods, n, diag)); /* METADATA: rego.metadata.* values */
    TRY(ay_arena_alloc(p->arena, sizeof *p->root, (void **)&p->root));
    p->root->name = "data";
    p->root->name_len = 4;
    p->root->memo_idx = p->nnodes++;
    for (size_t i = 0; i < n; i++) {
        /* A package exists (as an object) even when it has no rules. */
        struct ay_rego_node *pn = p->root;
        for (size_t j = 0; j < mods[i]->npkg; j++) {
            TRY(node_kid_make(p, pn, mods[i]->pkg[j], &pn));
        }
        for (size_t j = 0; j < mods[i]->nrules; j++) {
            TRY(tree_insert(p, mods[i]->rules[j], diag));
        }
    }
    struct cc c;
    cc_init(&c, p, p->arena, diag);
    ay_err err = compile_all(&c, mods, n);
    cc_free(&c);
    return err;
}

static ay_err compile_query(struct cc *c, struct ay_rego_body *body, uint32_t *out_nslots,
                            const char ***out_names)
{
    c->modname = "query";
    c->gen = 1;
    struct scope s;
    TRY(scope_push(c, &s));
    TRY(resolve_body(c, body, NULL, NULL));
    uint8_t *bound;
    TRY(scr_alloc(c, (size_t)c->nslots + 1, (void **)&bound));
    TRY(reorder_body(c, body, bound));
    scope_pop(c);
    /* Only the query's own named variables are reported as bindings. */
    const char **names;
    TRY(ay_arena_array(c->a, (size_t)c->nslots + 1, sizeof *names, (void **)&names));
    for (uint32_t i = 0; i < c->nslots; i++) {
        if (c->sl[i].sdepth == 0 && !slot_is_wildcard(c, i)) {
            char *nm;
            TRY(ay_arena_strndup(c->a, c->sl[i].name, c->sl[i].len, &nm));
            names[i] = nm;
        }
    }
    *out_nslots = c->nslots;
    *out_names = names;
    return AY_OK;
}

ay_err ay_rego_compile_query(const struct ay_rego_policy *p, struct ay_arena *arena,
                             struct ay_rego_body *body, uint32_t *out_nslots,
                             const char ***out_names, struct ay_diag *diag)
{
    struct cc c;
    cc_init(&c, p, arena, diag);
    ay_err err = compile_query(&c, body, out_nslots, out_names);
    cc_free(&c);
    return err;
}
