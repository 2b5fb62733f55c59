/* About half a second of work per run: long enough to be interrupted mid-sample. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    volatile unsigned long acc = 0;
    unsigned long n = argc > 1 ? strtoul(argv[1], 0, 10) : 300000000UL;
    for (unsigned long i = 0; i < n; i++) acc += i ^ (acc >> 3);
    printf("done\n");
    return 0;
}
