/* File I/O through WASI: reads a text file, then PASSES times rewrites a transformed copy
   (numbered lines, letters rotated by the pass number) to an output file and reads it back.
   Usage: fileio PASSES INPUT OUTPUT. Prints a checksum of what was read back. */
#include <ctype.h>
#include "common.h"

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, got;
    unsigned char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Writes one transformed line at a time with fwrite, as a line-oriented tool would. */
static int write_pass(const char *path, const unsigned char *text, size_t len, long pass) {
    /* A fresh file rather than truncating the old one: ext4 flushes a truncated-and-rewritten
       file to disk on close, which would turn this into a disk benchmark. */
    remove(path);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    char line_buf[512];
    long line = 0;
    size_t i = 0;
    while (i < len) {
        int used = snprintf(line_buf, sizeof line_buf, "%06ld| ", ++line);
        while (i < len && used < (int)sizeof line_buf - 1) {
            int c = text[i++];
            if (isalpha(c)) {
                int base = isupper(c) ? 'A' : 'a';
                c = base + (c - base + (int)(pass % 26)) % 26;
            }
            line_buf[used++] = (char)c;
            if (c == '\n') break;
        }
        fwrite(line_buf, 1, (size_t)used, f);
    }
    return fclose(f);
}

int main(int argc, char **argv) {
    long passes = size_arg(argc, argv);
    if (argc != 4) {
        fprintf(stderr, "usage: %s PASSES INPUT OUTPUT\n", argv[0]);
        return 2;
    }
    size_t in_len = 0;
    unsigned char *input = read_file(argv[2], &in_len);
    if (!input) {
        fprintf(stderr, "cannot read %s\n", argv[2]);
        return 1;
    }
    uint64_t hash = FNV_SEED, total = 0;
    for (long p = 1; p <= passes; p++) {
        if (write_pass(argv[3], input, in_len, p) != 0) {
            fprintf(stderr, "cannot write %s\n", argv[3]);
            return 1;
        }
        size_t out_len = 0;
        unsigned char *back = read_file(argv[3], &out_len);
        if (!back) {
            fprintf(stderr, "cannot read back %s\n", argv[3]);
            return 1;
        }
        hash = fnv1a(hash, back, out_len);
        total += out_len;
        free(back);
    }
    printf("fileio(%ld) input %zu bytes, read back %llu bytes, hash %016llx\n", passes, in_len,
           (unsigned long long)total, (unsigned long long)hash);
    free(input);
    return 0;
}
