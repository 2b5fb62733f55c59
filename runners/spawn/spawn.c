/* wasmlab-spawn: start one program and report its resource usage.
 *
 * Why this exists: Linux carries a process's peak RSS across fork and exec, so a child forked
 * straight from the (large) Python harness reports the harness's own footprint as its peak RSS.
 * This tiny static program is exec'd first; the measured program is forked from it, so its
 * peak RSS is its own.
 *
 * Why ptrace: since Linux 6.2 a process's RSS counters are per-CPU, and the peak that wait4
 * reports (ru_maxrss) is read from their global part only, so a small program can read as 0 KiB
 * and any reading may be a few hundred KiB low. The program is therefore seized with
 * PTRACE_O_TRACEEXIT only: it stops once, as it exits and while its memory still exists, and
 * /proc/PID/status then gives VmHWM, whose current-RSS part the kernel sums exactly. No system
 * call is traced; signals pass straight through. Where ptrace is refused (a seccomp profile, Yama
 * scope 3) the program runs untraced and the report says so.
 *
 * Why SIGTERM is ours: the harness stops a program that overruns its time limit by sending
 * SIGTERM to this launcher, which kills the program (SIGKILL) and still reaps and reports it. A
 * timed-out sample thus keeps the CPU time and memory the program had used when it was stopped,
 * which the harness's own wait4 on a killed launcher could never see.
 *
 * usage: wasmlab-spawn REPORT_PATH MEMORY_LIMIT_BYTES PROGRAM [ARGS...]
 * Writes "wall_ns user_us sys_us maxrss_kib status traced" to REPORT_PATH after the program
 * ends, and exits 0; exits 127 when the program cannot be started (errno text on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t program = 0;  /* 0 until forked, and in the child itself */

static void kill_program(int signo) {
    (void)signo;
    if (program > 0) kill(program, SIGKILL);  /* async-signal-safe; the wait4 loop reaps it */
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* VmHWM of a process stopped at exit, in KiB; -1 when it cannot be read. */
static long peak_rss_kib(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *status = fopen(path, "r");
    if (!status) return -1;
    long kib = -1;
    while (fgets(line, sizeof line, status)) {
        if (strncmp(line, "VmHWM:", 6) == 0) { kib = strtol(line + 6, NULL, 10); break; }
    }
    fclose(status);
    return kib;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: wasmlab-spawn REPORT MEMORY_LIMIT PROGRAM [ARGS...]\n");
        return 2;
    }
    const char *report = argv[1];
    unsigned long long limit = strtoull(argv[2], NULL, 10);
    int ready[2], go[2];  /* ready: exec's errno back to us; go: seized, the child may exec */
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) { perror("wasmlab-spawn: pipe"); return 127; }

    /* Installed before fork so no SIGTERM can slip in between; exec resets it in the child. No
     * SA_RESTART: wait4 returns EINTR and the loop below waits again. */
    struct sigaction on_term = { 0 };
    on_term.sa_handler = kill_program;
    sigemptyset(&on_term.sa_mask);
    sigaction(SIGTERM, &on_term, NULL);

    long long start = now_ns();
    pid_t pid = fork();
    if (pid < 0) { perror("wasmlab-spawn: fork"); return 127; }
    program = pid;
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        char token;
        if (read(go[0], &token, 1) < 0) { /* the parent is gone: exec anyway, it changes nothing */ }
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
    close(go[0]);
    /* EXITKILL: if we die (killed with the harness's process group), the program dies too. */
    int traced = ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL) == 0;
    if (write(go[1], "g", 1) < 0) { /* the child died already; wait4 tells */ }
    close(go[1]);
    int exec_errno = 0;
    ssize_t got = read(ready[0], &exec_errno, sizeof exec_errno);
    close(ready[0]);

    int status = 0;
    struct rusage usage;
    long exit_peak_kib = -1;
    long long stopped_ns = 0;  /* time the program spent held by us, taken off its wall time */
    for (;;) {
        if (wait4(pid, &status, 0, &usage) < 0) {
            if (errno == EINTR) continue;
            perror("wasmlab-spawn: wait4");
            return 127;
        }
        if (!WIFSTOPPED(status)) break;
        int event = status >> 16;
        if (event == PTRACE_EVENT_EXIT) {
            long long held = now_ns();
            exit_peak_kib = peak_rss_kib(pid);
            ptrace(PTRACE_CONT, pid, 0, 0);
            stopped_ns += now_ns() - held;
        } else if (event == PTRACE_EVENT_STOP) {
            /* A group stop (SIGSTOP and kin) stays stopped as it would untraced; any other such
             * stop (the wake-up that SIGCONT brings) goes on. */
            int sig = WSTOPSIG(status);
            int group_stop = sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
            ptrace(group_stop ? PTRACE_LISTEN : PTRACE_CONT, pid, 0, 0);
        } else {
            ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(status));  /* deliver the signal unchanged */
        }
    }
    long long wall = now_ns() - start - stopped_ns;
    if (got == (ssize_t)sizeof exec_errno) {
        fprintf(stderr, "wasmlab-spawn: cannot execute %s: %s\n", argv[3], strerror(exec_errno));
        return 127;
    }
    long peak = usage.ru_maxrss > exit_peak_kib ? usage.ru_maxrss : exit_peak_kib;
    FILE *out = fopen(report, "w");
    if (!out) { perror("wasmlab-spawn: report"); return 127; }
    fprintf(out, "%lld %lld %lld %ld %d %d\n", wall,
            (long long)usage.ru_utime.tv_sec * 1000000LL + usage.ru_utime.tv_usec,
            (long long)usage.ru_stime.tv_sec * 1000000LL + usage.ru_stime.tv_usec,
            peak, status, traced && exit_peak_kib >= 0);
    fclose(out);
    return 0;
}
