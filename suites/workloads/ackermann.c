/* Ackermann A(2, j) for j = 0..n plus A(3, j mod 4): deep non-tail recursion, tiny frames.
   m stays at most 3 so the stack depth stays modest (about 2n) while calls grow as n^3. */
#include "common.h"

static uint32_t ack(uint32_t m, uint32_t n) {
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

int main(int argc, char **argv) {
    uint32_t n = (uint32_t)size_arg(argc, argv);
    uint64_t sum = 0;
    for (uint32_t j = 0; j <= n; j++) sum += ack(2, j) + ack(3, j & 3);
    printf("ackermann(%u) sum = %llu\n", n, (unsigned long long)sum);
    return 0;
}
