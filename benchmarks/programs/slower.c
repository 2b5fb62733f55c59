/* A real slowdown for a runtime binary: does SLOWER_ITERATIONS rounds of a busy loop, then runs
 * the program named by SLOWER_EXEC with this process's arguments as its child, and exits as it
 * did (a child, not an exec in place: valgrind counts a process's last program only). The added work is a fixed number of instructions and a fixed
 * amount of CPU time in the measured process, so every metric sees it: wall, user and CPU time
 * and the instruction count. Used by benchmarks/verdicts_aa.py as the wasmtime CLI
 * (WASMLAB_WASMTIME), calibrated to about 10% of the CLI's cost on the small workloads. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

volatile uint64_t sink;

int main(int argc, char **argv) {
    const char *real = getenv("SLOWER_EXEC");
    const char *iterations_text = getenv("SLOWER_ITERATIONS");
    if (!real || !iterations_text) {
        fprintf(stderr, "slower: set SLOWER_EXEC and SLOWER_ITERATIONS\n");
        return 125;
    }
    (void)argc;
    long long iterations = atoll(iterations_text);
    /* xorshift64 in a register (a dependency chain, no shortcut for the compiler), its result
     * stored where the compiler must keep it; about as many instructions per cycle as a runtime */
    uint64_t x = 88172645463325252ULL;
    for (long long i = 0; i < iterations; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    }
    sink = x;
    pid_t child = fork();
    if (child < 0) {
        perror("slower: fork");
        return 125;
    }
    if (child == 0) {
        argv[0] = (char *)real;
        execv(real, argv);
        perror("slower: exec");
        _exit(127);
    }
    int status = 0;
    if (waitpid(child, &status, 0) < 0) {
        perror("slower: waitpid");
        return 125;
    }
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
