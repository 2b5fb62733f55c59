/* A real slowdown for a runtime binary: runs the program named by SLOWER_EXEC with this
 * process's arguments, then burns SLOWER_PERCENT percent of the CPU time the program used
 * (user + sys) in a busy loop of its own, and exits as the program did. The time it adds is
 * CPU work done in the measured process tree, so wall, user and CPU time all grow by it; it is
 * proportional to each case's own cost, so every case is slowed by the same fraction.
 * Used by benchmarks/verdicts_aa.py as the wasmtime CLI (WASMLAB_WASMTIME). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static double cpu_seconds(const struct rusage *usage) {
    return usage->ru_utime.tv_sec + usage->ru_utime.tv_usec / 1e6 +
           usage->ru_stime.tv_sec + usage->ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
    const char *real = getenv("SLOWER_EXEC");
    const char *percent_text = getenv("SLOWER_PERCENT");
    if (!real || !percent_text) {
        fprintf(stderr, "slower: set SLOWER_EXEC and SLOWER_PERCENT\n");
        return 125;
    }
    (void)argc;
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
    struct rusage used;
    if (wait4(child, &status, 0, &used) < 0) {
        perror("slower: wait4");
        return 125;
    }
    double extra = cpu_seconds(&used) * atof(percent_text) / 100.0;
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    double until = cpu_seconds(&self) + extra;
    volatile uint64_t x = 88172645463325252ULL;
    do {
        for (int i = 0; i < 10000; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        }
        getrusage(RUSAGE_SELF, &self);
    } while (cpu_seconds(&self) < until);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
