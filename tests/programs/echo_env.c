/* Test guest: prints an environment variable, the contents of a file named on the command line,
 * and exits with the code given as the second argument. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    const char *value = getenv("WASMLAB_GREETING");
    printf("env=%s\n", value ? value : "(unset)");
    if (argc > 1) {
        FILE *file = fopen(argv[1], "r");
        if (!file) {
            printf("cannot open %s\n", argv[1]);
            return 3;
        }
        char line[256];
        while (fgets(line, sizeof line, file)) fputs(line, stdout);
        fclose(file);
    }
    return argc > 2 ? atoi(argv[2]) : 0;
}
