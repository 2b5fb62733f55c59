/* A user module for tests/test_user_suite.py: prints $GREETING, then the size of every file named
 * in its arguments, opened by relative path (through the "." preopen the user suite gives it). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    const char *greeting = getenv("GREETING");
    printf("%s", greeting ? greeting : "(no greeting)");
    for (int i = 1; i < argc; i++) {
        FILE *file = fopen(argv[i], "rb");
        if (!file) {
            fprintf(stderr, "cannot open %s\n", argv[i]);
            return 1;
        }
        long bytes = 0;
        while (fgetc(file) != EOF)
            bytes++;
        fclose(file);
        printf(" %s:%ld", argv[i], bytes);
    }
    printf("\n");
    return 0;
}
