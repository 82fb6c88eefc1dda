/* SPDX-License-Identifier: Apache-2.0 */
/* graph.reachable (OPA topdown/reachable.go): breadth-first walk of an adjacency object
 * {node: array|set of neighbours} from the initial nodes; a node is reached when it is a key
 * of the graph. graph.reachable_paths is not implemented. */
#include "rego/rego_bi_util.h"

static ay_err bi_reachable(struct ay_rego_bctx *bc, const struct ay_val *args, size_t nargs,
                           struct ay_val *out)
{
    (void)nargs;
    TRY(ay_rego_bu_kind(bc, args, 0, AY_V_OBJ));
    if (!ay_rego_bu_is_coll(args[1])) {
        return ay_rego_bi_type_error(bc, 1, "one of {array, set}", args[1]);
    }
    struct ay_val g = args[0];
    for (uint32_t k = 0; k < g.len; k++) {
        struct ay_val e = g.u.pairs[k].v;
        if (!ay_rego_bu_is_coll(e) && e.kind != AY_V_NULL) {
            return ay_rego_bi_type_error(bc, 0, "object containing array or set values", e);
        }
    }
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

const struct ay_rego_bi ay_rego_bi_graph[] = {
    {"graph.reachable", 2, bi_reachable, 0},
    {NULL, 0, NULL, 0},
};
