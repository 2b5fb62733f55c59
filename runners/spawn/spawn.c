/* wasmlab-spawn: start one program and report its resource usage.
 *
 * Why this exists: Linux carries a process's peak RSS across fork and exec, so a child forked
 * straight from the (large) Python harness reports the harness's own footprint as its peak RSS.
 * This tiny static program is exec'd first; the measured program is forked from it, so its
 * peak RSS is its own.
 *
 * usage: wasmlab-spawn REPORT_PATH MEMORY_LIMIT_BYTES PROGRAM [ARGS...]
 * Writes "wall_ns user_us sys_us maxrss_kib status" to REPORT_PATH after the program ends, and
 * exits 0; exits 127 when the program cannot be started (errno text on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: wasmlab-spawn REPORT MEMORY_LIMIT PROGRAM [ARGS...]\n");
        return 2;
    }
    const char *report = argv[1];
    unsigned long long limit = strtoull(argv[2], NULL, 10);
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) { perror("wasmlab-spawn: pipe"); return 127; }

    long long start = now_ns();
    pid_t pid = fork();
    if (pid < 0) { perror("wasmlab-spawn: fork"); return 127; }
    if (pid == 0) {
        close(ready[0]);
        if (limit) {
            struct rlimit rl = { limit, limit };
            setrlimit(RLIMIT_DATA, &rl);  /* not RLIMIT_AS: engines reserve big PROT_NONE guards */
        }
        execvp(argv[3], argv + 3);
        int err = errno;  /* tell the parent why exec failed */
        if (write(ready[1], &err, sizeof err) < 0) { /* nothing more to do */ }
        _exit(127);
    }
    close(ready[1]);
    int exec_errno = 0;
    ssize_t got = read(ready[0], &exec_errno, sizeof exec_errno);
    close(ready[0]);

    int status = 0;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) { perror("wasmlab-spawn: wait4"); return 127; }
    }
    long long wall = now_ns() - start;
    if (got == (ssize_t)sizeof exec_errno) {
        fprintf(stderr, "wasmlab-spawn: cannot execute %s: %s\n", argv[3], strerror(exec_errno));
        return 127;
    }
    FILE *out = fopen(report, "w");
    if (!out) { perror("wasmlab-spawn: report"); return 127; }
    fprintf(out, "%lld %lld %lld %ld %d\n", wall,
            (long long)usage.ru_utime.tv_sec * 1000000LL + usage.ru_utime.tv_usec,
            (long long)usage.ru_stime.tv_sec * 1000000LL + usage.ru_stime.tv_usec,
            usage.ru_maxrss, status);
    fclose(out);
    return 0;
}
