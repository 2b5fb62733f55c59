/* A deterministic CPU-bound loop whose length is set by argv[1] (iterations in millions);
 * used to check wasmlab's timing against hyperfine on one ~100 ms native command. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long millions = argc > 1 ? atol(argv[1]) : 100;
    uint64_t x = 88172645463325252ULL, sum = 0;
    for (long i = 0; i < millions * 1000000L; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;  /* xorshift64: no shortcut for the compiler */
        sum += x & 0xff;
    }
    printf("%llu\n", (unsigned long long)sum);
    return 0;
}
