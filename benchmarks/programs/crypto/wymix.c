/* 64-bit mixers as hash tables and PRNGs use them: wyhash's 64x64->128 multiply-and-fold
 * (unsigned __int128), splitmix64 and xorshift64*, over argv[1] thousand rounds (default 4000). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t wymix(uint64_t a, uint64_t b) {
    unsigned __int128 r = (unsigned __int128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t xorshift64star(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

int main(int argc, char **argv) {
    long rounds = (argc > 1 ? atol(argv[1]) : 4000) * 1000L;
    uint64_t seed = 0x123456789abcdefULL, xs = 88172645463325252ULL, h = 0;
    for (long i = 0; i < rounds; i++) {
        uint64_t k = splitmix64(&seed);
        h = wymix(h ^ 0xa0761d6478bd642fULL, k ^ 0xe7037ed1a0b428dbULL);
        h += xorshift64star(&xs);
        h = (h << 17 | h >> 47) ^ (uint64_t)(int64_t)(int32_t)(uint32_t)k;  /* rotate, extend/wrap */
    }
    printf("%016llx\n", (unsigned long long)h);
    return 0;
}
