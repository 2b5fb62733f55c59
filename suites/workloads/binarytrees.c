/* Binary trees: builds and frees many short-lived trees plus one long-lived tree (malloc/free). */
#include "common.h"

typedef struct node { struct node *left, *right; } node_t;

static node_t *make(int depth) {
    node_t *n = malloc(sizeof *n);
    if (!n) exit(1);
    if (depth > 0) {
        n->left = make(depth - 1);
        n->right = make(depth - 1);
    } else {
        n->left = n->right = NULL;
    }
    return n;
}

static long check(const node_t *n) {
    return 1 + (n->left ? check(n->left) + check(n->right) : 0);
}

static void release(node_t *n) {
    if (n->left) {
        release(n->left);
        release(n->right);
    }
    free(n);
}

int main(int argc, char **argv) {
    int max_depth = (int)size_arg(argc, argv);
    /* The classic shape (min depth 4) from depth 6 up; smaller sizes shrink it for slow engines. */
    int min_depth = max_depth >= 6 ? 4 : max_depth >= 2 ? max_depth - 2 : 0;
    if (max_depth < 2) max_depth = 2;

    node_t *stretch = make(max_depth + 1);
    printf("stretch tree of depth %d check: %ld\n", max_depth + 1, check(stretch));
    release(stretch);

    node_t *long_lived = make(max_depth);
    for (int depth = min_depth; depth <= max_depth; depth += 2) {
        long iterations = 1L << (max_depth - depth + min_depth);
        long total = 0;
        for (long i = 0; i < iterations; i++) {
            node_t *t = make(depth);
            total += check(t);
            release(t);
        }
        printf("%ld trees of depth %d check: %ld\n", iterations, depth, total);
    }
    printf("long lived tree of depth %d check: %ld\n", max_depth, check(long_lived));
    release(long_lived);
    return 0;
}
