/* Dies at once: a segfault natively, a trap (unreachable) as wasm. */
#include <stdio.h>
#ifndef __wasm__
#include <signal.h>
#endif

int main(void) {
    printf("about to crash\n");
    fflush(stdout);
#ifdef __wasm__
    __builtin_trap();
#else
    raise(SIGSEGV);
#endif
    return 0;
}
