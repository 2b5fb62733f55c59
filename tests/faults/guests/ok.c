/* A well-behaved guest: its cells must finish whatever its neighbours do. */
#include <stdio.h>

int main(void) {
    printf("ok\n");
    return 0;
}
