/* Naive doubly recursive Fibonacci: call overhead and the return path. */
#include "common.h"

static uint32_t fib(uint32_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv) {
    uint32_t n = (uint32_t)size_arg(argc, argv);
    printf("fib(%u) = %u\n", n, fib(n));
    return 0;
}
