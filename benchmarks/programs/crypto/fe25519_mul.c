/* Curve25519 field arithmetic with five 51-bit limbs: products of u64 limbs through
 * unsigned __int128, as ed25519 and x25519 implementations do. Raises a field element to
 * the power 2^255-21 (an inversion by Fermat's little theorem) argv[1] times (default 200). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef unsigned __int128 u128;
typedef struct { uint64_t v[5]; } fe;
static const uint64_t MASK51 = (1ULL << 51) - 1;

static void fe_mul(fe *r, const fe *a, const fe *b) {
    const uint64_t *f = a->v, *g = b->v;
    uint64_t g1_19 = g[1] * 19, g2_19 = g[2] * 19, g3_19 = g[3] * 19, g4_19 = g[4] * 19;
    u128 h0 = (u128)f[0] * g[0] + (u128)f[1] * g4_19 + (u128)f[2] * g3_19 + (u128)f[3] * g2_19 + (u128)f[4] * g1_19;
    u128 h1 = (u128)f[0] * g[1] + (u128)f[1] * g[0] + (u128)f[2] * g4_19 + (u128)f[3] * g3_19 + (u128)f[4] * g2_19;
    u128 h2 = (u128)f[0] * g[2] + (u128)f[1] * g[1] + (u128)f[2] * g[0] + (u128)f[3] * g4_19 + (u128)f[4] * g3_19;
    u128 h3 = (u128)f[0] * g[3] + (u128)f[1] * g[2] + (u128)f[2] * g[1] + (u128)f[3] * g[0] + (u128)f[4] * g4_19;
    u128 h4 = (u128)f[0] * g[4] + (u128)f[1] * g[3] + (u128)f[2] * g[2] + (u128)f[3] * g[1] + (u128)f[4] * g[0];
    uint64_t c;
    c = (uint64_t)(h0 >> 51); h1 += c; uint64_t r0 = (uint64_t)h0 & MASK51;
    c = (uint64_t)(h1 >> 51); h2 += c; uint64_t r1 = (uint64_t)h1 & MASK51;
    c = (uint64_t)(h2 >> 51); h3 += c; uint64_t r2 = (uint64_t)h2 & MASK51;
    c = (uint64_t)(h3 >> 51); h4 += c; uint64_t r3 = (uint64_t)h3 & MASK51;
    c = (uint64_t)(h4 >> 51); uint64_t r4 = (uint64_t)h4 & MASK51;
    r0 += c * 19; r1 += r0 >> 51; r0 &= MASK51;
    r->v[0] = r0; r->v[1] = r1; r->v[2] = r2; r->v[3] = r3; r->v[4] = r4;
}

/* r = a^(2^255 - 21) = a^(p - 2) by square-and-multiply over the exponent's bits. */
static void fe_invert(fe *r, const fe *a) {
    fe acc = {{1, 0, 0, 0, 0}}, base = *a;
    for (int bit = 0; bit < 255; bit++) {
        /* p - 2 = 0x7fff...ffeb: every bit of 0..254 except bits 2 and 4 */
        if (bit != 2 && bit != 4) fe_mul(&acc, &acc, &base);
        fe_mul(&base, &base, &base);
    }
    *r = acc;
}

/* Full reduction to the canonical value below p, for printing. */
static void fe_freeze(uint64_t out[5], const fe *a) {
    uint64_t t[5];
    for (int i = 0; i < 5; i++) t[i] = a->v[i];
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 4; i++) { t[i + 1] += t[i] >> 51; t[i] &= MASK51; }
        t[0] += 19 * (t[4] >> 51); t[4] &= MASK51;
    }
    /* subtract p if t >= p */
    uint64_t q = (t[0] + 19) >> 51;
    for (int i = 1; i < 5; i++) q = (t[i] + q) >> 51;
    t[0] += 19 * q;
    for (int i = 0; i < 4; i++) { t[i + 1] += t[i] >> 51; t[i] &= MASK51; }
    t[4] &= MASK51;
    for (int i = 0; i < 5; i++) out[i] = t[i];
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 200;
    fe x = {{0x3bf6f8a1c2d4eULL, 0x1234567890abcULL, 0x7ffffffffffffULL, 0x5a5a5a5a5a5a5ULL, 9}};
    for (long r = 0; r < rounds; r++) {
        fe inv, check;
        fe_invert(&inv, &x);
        fe_mul(&check, &inv, &x);   /* should be 1 */
        uint64_t one[5];
        fe_freeze(one, &check);
        if (one[0] != 1 || one[1] | one[2] | one[3] | one[4]) { printf("bad inverse\n"); return 1; }
        x.v[0] ^= inv.v[r % 5] & MASK51;  /* the next input depends on this result */
        x.v[1] += 1;
    }
    uint64_t out[5];
    fe_freeze(out, &x);
    for (int i = 4; i >= 0; i--) printf("%013llx", (unsigned long long)out[i]);
    printf("\n");
    return 0;
}
