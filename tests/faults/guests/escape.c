/* Tries every way out of its preopened directory and prints what happened to each attempt.
   Run with /sandbox preopened; the host puts a secret file next to (outside) that folder and a
   symlink inside it that points at the secret. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void try_read(const char *label, const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: denied (%s)\n", label, strerror(errno));
        return;
    }
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[strcspn(buf, "\n")] = 0; /* one report line per attempt */
    printf("%s: READ %zd bytes: %s\n", label, n, buf);
}

static void try_write(const char *label, const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("%s: denied (%s)\n", label, strerror(errno));
        return;
    }
    ssize_t n = write(fd, "pwned\n", 6);
    close(fd);
    printf("%s: WROTE %zd bytes\n", label, n);
}

int main(void) {
    try_read("inside", "/sandbox/inside.txt");
    try_read("dotdot", "/sandbox/../secret.txt");
    try_read("deep-dotdot", "/sandbox/sub/../../secret.txt");
    try_read("absolute", "/etc/passwd");
    try_read("relative-dotdot", "../secret.txt");
    try_read("symlink", "/sandbox/link-to-secret");
    try_read("dir-symlink", "/sandbox/link-to-parent/secret.txt");
    try_write("write-dotdot", "/sandbox/../planted.txt");
    try_write("write-symlink", "/sandbox/link-to-parent/planted.txt");
    try_write("write-absolute", "/tmp/planted.txt");
    try_write("write-inside", "/sandbox/new.txt");
    return 0;
}
