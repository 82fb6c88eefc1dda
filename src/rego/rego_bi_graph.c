/* SPDX-License-Identifier: Apache-2.0 */
/* graph.reachable (OPA topdown/reachable.go): breadth-first walk of an adjacency object
 * {node: array|set of neighbours} from the initial nodes; a node is reached when it is a key
 * of the graph. graph.reachable_paths: the paths of a depth-first walk from each initial node,
 * as OPA builds them: neighbours outside the graph are dropped, a node without neighbours in
 * the graph ends a path, and a neighbour already expanded from the same initial node ends the
 * path before it (so cycles end); the result is the sorted set of paths. */
#include "base/base_arena.h"
#include "base/base_limits.h"
#include "rego/rego_bi_util.h"

/* The operands of graph.reachable and graph.reachable_paths: an object whose values are arrays,
 * sets or null (the edges), and an array or set of start nodes. */
static ay_err graph_args(struct ay_rego_bctx *bc, const struct ay_val *args)
{
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_OBJ));
    if (!ay_rego_bu_is_coll(args[1])) {
        return ay_rego_bi_type_error(bc, 1, "one of {array, set}", args[1]);
    }
    const struct ay_val g = args[0];
    for (uint32_t k = 0; k < g.len; k++) {
        struct ay_val e = g.u.pairs[k].v;
        if (!ay_rego_bu_is_coll(e) && e.kind != AY_V_NULL) {
            return ay_rego_bi_type_error(bc, 0, "object containing array or set values", e);
        }
    }
    return AY_OK;
}

static ay_err bi_reachable(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                           struct ay_val *out)
{
    (void)nargs;
    TRY(graph_args(bc, args));
    struct ay_val g = args[0];
    struct ay_val_vec queue;
    struct ay_val_vec reached;
    ay_val_vec_init(&queue, bc->arena);
    ay_val_vec_init(&reached, bc->arena);
    for (uint32_t k = 0; k < args[1].len; k++) {
        TRY(ay_val_vec_push(&queue, args[1].u.items[k]));
    }
    /* reached stays small for policy graphs; a linear membership test keeps this simple */
    for (size_t head = 0; head < queue.n; head++) {
        struct ay_val node = queue.items[head];
        const struct ay_val *edges = ay_val_obj_get(g, node);
        if (edges == NULL) {
            continue;
        }
        bool seen = false;
        for (size_t r = 0; r < reached.n && !seen; r++) {
            seen = ay_val_equal(reached.items[r], node);
        }
        if (seen) {
            continue;
        }
        TRY(ay_val_vec_push(&reached, node));
        if (ay_rego_bu_is_coll(*edges)) {
            for (uint32_t j = 0; j < edges->len; j++) {
                TRY(ay_val_vec_push(&queue, edges->u.items[j]));
            }
        }
    }
    *out = ay_val_vec_set(&reached);
    return AY_OK;
}

struct paths_walk {
    struct ay_rego_bctx *bc;
    struct ay_val g;
    struct ay_val *path; /* the current path, AY_LIMIT_REGO_DEPTH entries */
    size_t len;
    struct ay_val_vec reached; /* nodes expanded from the current initial node */
    struct ay_val_vec out;     /* paths found (arrays) */
};

static bool walk_reached(const struct paths_walk *w, struct ay_val node)
{
    for (size_t i = 0; i < w->reached.n; i++) {
        if (ay_val_equal(w->reached.items[i], node)) {
            return true;
        }
    }
    return false;
}

static ay_err walk_emit(struct paths_walk *w)
{
    struct ay_val arr;
    TRY(ay_val_array(w->bc->arena, w->path, w->len, &arr));
    return ay_val_vec_push(&w->out, arr);
}

static ay_err walk(struct paths_walk *w, struct ay_val node)
{
    if (w->len >= AY_LIMIT_REGO_DEPTH) {
        return ay_rego_bi_fail(w->bc, "graph path longer than %d nodes", AY_LIMIT_REGO_DEPTH);
    }
    w->path[w->len++] = node;
    const struct ay_val *edges = ay_val_obj_get(w->g, node);
    size_t in_graph = 0;
    if (edges != NULL && ay_rego_bu_is_coll(*edges)) {
        for (uint32_t j = 0; j < edges->len; j++) {
            in_graph += ay_val_obj_get(w->g, edges->u.items[j]) != NULL;
        }
    }
    if (in_graph == 0) {
        TRY(walk_emit(w));
    } else {
        TRY(ay_val_vec_push(&w->reached, node));
        for (uint32_t j = 0; j < edges->len; j++) {
            struct ay_val next = edges->u.items[j];
            if (ay_val_obj_get(w->g, next) == NULL) {
                continue;
            }
            if (walk_reached(w, next)) {
                TRY(walk_emit(w));
            } else {
                TRY(walk(w, next));
            }
        }
    }
    w->len--;
    return AY_OK;
}

static ay_err bi_reachable_paths(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                                 struct ay_val *out)
{
    (void)nargs;
    TRY(graph_args(bc, args));
    struct ay_val g = args[0];
    struct paths_walk w = {.bc = bc, .g = g};
    TRY(ay_arena_array(bc->arena, AY_LIMIT_REGO_DEPTH, sizeof *w.path, (void **)&w.path));
    ay_val_vec_init(&w.out, bc->arena);
    for (uint32_t k = 0; k < args[1].len; k++) {
        struct ay_val start = args[1].u.items[k];
        if (ay_val_obj_get(g, start) == NULL) {
            continue;
        }
        ay_val_vec_init(&w.reached, bc->arena);
        w.len = 0;
        TRY(walk(&w, start));
    }
    struct ay_val set = ay_val_vec_set(&w.out);
    return ay_val_array(bc->arena, set.u.items, set.len, out);
}

const struct ay_rego_bi ay_rego_bi_graph[] = {
    {"graph.reachable", 2, bi_reachable, 0},
    {"graph.reachable_paths", 2, bi_reachable_paths, 0},
    {NULL, 0, NULL, 0},
};
