/* Helpers shared by the workloads: problem size from argv, a portable PRNG and a checksum.
   Everything here is integer arithmetic so every target prints the same bytes. */
#ifndef WASMLAB_COMMON_H
#define WASMLAB_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* argv[1] is the problem size; a missing or bad value is a usage error, not a default. */
static long size_arg(int argc, char **argv) {
    char *end = NULL;
    long n = argc > 1 ? strtol(argv[1], &end, 10) : -1;
    if (argc < 2 || *end != '\0' || n < 0) {
        fprintf(stderr, "usage: %s SIZE\n", argc > 0 ? argv[0] : "workload");
        exit(2);
    }
    return n;
}

/* xorshift64*: fast, fully specified, identical on every target. */
typedef struct { uint64_t s; } rng_t;

static inline uint64_t rng_next(rng_t *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1DULL;
}

/* FNV-1a 64-bit over a byte buffer; chaining via the seed. */
static inline uint64_t fnv1a(uint64_t h, const void *data, size_t len) {
    const unsigned char *p = (const unsigned char *)data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001B3ULL;
    }
    return h;
}

#define FNV_SEED 0xCBF29CE484222325ULL

/* Doubles are checksummed by their bit patterns, never by printf rounding alone. */
static inline uint64_t double_bits(double x) {
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

#endif
