/* The Spin app's handler (WAGI): CGI-style headers, a blank line, then the same line the startup
 * case prints, so the harness checks a Spin response against the startup suite's expected output. */
#include <stdio.h>

int main(void) {
    fputs("Content-Type: text/plain\n\nhello from wasmlab\n", stdout);
    return 0;
}
