/* CRC-32 (IEEE, reflected, table driven) streamed over n pseudo-random bytes from a reused
   buffer of at most 64 KiB. Self-checks the standard "123456789" check value first. */
#include "common.h"

static uint32_t table[256];

static void make_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

/* Running form: start with 0xFFFFFFFF, finish by inverting. */
static uint32_t crc32_update(uint32_t c, const unsigned char *p, size_t len) {
    for (size_t i = 0; i < len; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c;
}

int main(int argc, char **argv) {
    long n = size_arg(argc, argv);
    make_table();
    if (~crc32_update(0xFFFFFFFFu, (const unsigned char *)"123456789", 9) != 0xCBF43926u) {
        printf("crc32 self-test FAILED\n");
        return 1;
    }
    size_t buf_len = n < 65536 ? (size_t)n : 65536;
    unsigned char *buf = malloc(buf_len + 8);
    if (!buf) return 1;
    rng_t r = {0x0DDBA11CAFEF00DULL};
    for (size_t i = 0; i < buf_len; i += 8) {
        uint64_t v = rng_next(&r);
        memcpy(buf + i, &v, 8);
    }
    /* One CRC over the whole stream, plus one per round to catch a wrong partial-length path. */
    uint32_t stream = 0xFFFFFFFFu, rounds_digest = 0;
    for (long done = 0, round = 0; done < n; round++) {
        size_t take = (size_t)(n - done) < buf_len ? (size_t)(n - done) : buf_len;
        size_t odd = take - (size_t)(round % 7);
        stream = crc32_update(stream, buf, take);
        rounds_digest = rounds_digest * 31 + ~crc32_update(0xFFFFFFFFu, buf, take > 7 ? odd : take);
        done += (long)take;
        buf[done % buf_len] ^= 0xA5; /* vary the data between rounds */
    }
    printf("crc32(%ld bytes) stream %08x rounds %08x\n", n, ~stream, rounds_digest);
    free(buf);
    return 0;
}
