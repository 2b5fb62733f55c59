/* Test guest: opens an input by a path relative to its working directory, as many real programs
 * do (`./default.input`), and prints it; for a suite whose data_mount is ".". */
#include <stdio.h>

int main(void) {
    FILE *file = fopen("./default.input", "r");
    if (!file) {
        printf("cannot open ./default.input\n");
        return 3;
    }
    char line[256];
    while (fgets(line, sizeof line, file)) fputs(line, stdout);
    fclose(file);
    return 0;
}
