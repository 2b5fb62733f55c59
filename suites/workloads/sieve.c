/* Segmented sieve of Eratosthenes counting primes up to n: strided byte stores in a 32 KiB
   window, so memory stays small however large n is. */
#include "common.h"

#define SEGMENT 32768

int main(int argc, char **argv) {
    uint64_t n = (uint64_t)size_arg(argc, argv);
    uint32_t root = 1;
    while ((uint64_t)(root + 1) * (root + 1) <= n) root++;

    /* Base primes up to sqrt(n) with a plain sieve. */
    unsigned char *small = calloc(root + 1, 1);
    uint32_t *primes = malloc((root + 1) * sizeof *primes);
    uint64_t *next = malloc((root + 1) * sizeof *next);
    unsigned char *window = malloc(SEGMENT);
    if (!small || !primes || !next || !window) return 1;
    uint32_t nprimes = 0;
    for (uint32_t i = 2; i <= root; i++) {
        if (small[i]) continue;
        primes[nprimes] = i;
        next[nprimes++] = (uint64_t)i * i;
        for (uint32_t j = i * i; j <= root; j += i) small[j] = 1;
    }

    uint64_t count = 0, last = 0, digest = 0;
    for (uint64_t low = 2; low <= n; low += SEGMENT) {
        uint64_t high = low + SEGMENT - 1 < n ? low + SEGMENT - 1 : n;
        size_t span = (size_t)(high - low + 1);
        memset(window, 0, span);
        for (uint32_t k = 0; k < nprimes; k++) {
            uint64_t j = next[k];
            for (; j <= high; j += primes[k]) window[j - low] = 1;
            next[k] = j;
        }
        for (size_t i = 0; i < span; i++)
            if (!window[i]) {
                count++;
                last = low + i;
                digest = digest * 31 + last;
            }
    }
    printf("primes <= %llu: %llu, largest %llu, digest %016llx\n", (unsigned long long)n,
           (unsigned long long)count, (unsigned long long)last, (unsigned long long)digest);
    free(small); free(primes); free(next); free(window);
    return 0;
}
