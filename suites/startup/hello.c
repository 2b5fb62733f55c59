/* The smallest useful WASI command: startup cost is everything this program measures. */
#include <stdio.h>

int main(void) {
    puts("hello from wasmlab");
    return 0;
}
