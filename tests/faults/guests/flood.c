/* Prints 5 MiB: more than the harness keeps of a stream (1 MiB). */
#include <stdio.h>
#include <string.h>

int main(void) {
    char line[1024];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (int i = 0; i < 5 * 1024; i++) fwrite(line, 1, sizeof line, stdout);
    return 0;
}
