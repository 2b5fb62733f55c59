/* Dense n x n double matrix multiply (i-k-j loop order), twice, checksummed by result bits. */
#include "common.h"

static void matmul(long n, const double *a, const double *b, double *c) {
    memset(c, 0, (size_t)n * n * sizeof *c);
    for (long i = 0; i < n; i++)
        for (long k = 0; k < n; k++) {
            double aik = a[i * n + k];
            for (long j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
        }
}

int main(int argc, char **argv) {
    long n = size_arg(argc, argv);
    size_t cells = (size_t)n * n;
    double *a = malloc(cells * sizeof *a), *b = malloc(cells * sizeof *b);
    double *c = malloc(cells * sizeof *c), *d = malloc(cells * sizeof *d);
    if (!a || !b || !c || !d) return 1;
    rng_t r = {0x3A7813ULL};
    /* Entries are small dyadic rationals so sums stay exact and order-independent. */
    for (size_t i = 0; i < cells; i++) {
        a[i] = (double)((int)(rng_next(&r) % 17) - 8) / 4.0;
        b[i] = (double)((int)(rng_next(&r) % 17) - 8) / 8.0;
    }
    matmul(n, a, b, c);
    matmul(n, c, a, d);
    uint64_t hash = FNV_SEED;
    double trace = 0.0;
    for (size_t i = 0; i < cells; i++) {
        uint64_t bits = double_bits(d[i]);
        hash = fnv1a(hash, &bits, sizeof bits);
    }
    for (long i = 0; i < n; i++) trace += d[i * n + i];
    printf("matmul(%ld) trace %.6f hash %016llx\n", n, trace, (unsigned long long)hash);
    free(a); free(b); free(c); free(d);
    return 0;
}
