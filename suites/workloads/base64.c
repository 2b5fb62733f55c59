/* Base64 encode then decode n pseudo-random bytes in 48 KiB rounds, verifying each round trip. */
#include "common.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t encode(const unsigned char *in, size_t len, char *out) {
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = ALPHABET[v >> 18];
        out[o++] = ALPHABET[(v >> 12) & 63];
        out[o++] = ALPHABET[(v >> 6) & 63];
        out[o++] = ALPHABET[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = ALPHABET[v >> 18];
        out[o++] = ALPHABET[(v >> 12) & 63];
        out[o++] = i + 1 < len ? ALPHABET[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    return o;
}

/* Returns the decoded length, or (size_t)-1 on a character outside the alphabet. */
static size_t decode(const char *in, size_t len, unsigned char *out) {
    signed char rev[256];
    memset(rev, -1, sizeof rev);
    for (int k = 0; k < 64; k++) rev[(unsigned char)ALPHABET[k]] = (signed char)k;
    size_t o = 0;
    for (size_t i = 0; i + 3 < len; i += 4) {
        int pad = (in[i + 2] == '=') + (in[i + 3] == '=');
        uint32_t v = 0;
        for (int k = 0; k < 4 - pad; k++) {
            signed char d = rev[(unsigned char)in[i + k]];
            if (d < 0) return (size_t)-1;
            v |= (uint32_t)d << (18 - 6 * k);
        }
        out[o++] = (unsigned char)(v >> 16);
        if (pad < 2) out[o++] = (unsigned char)(v >> 8);
        if (pad < 1) out[o++] = (unsigned char)v;
    }
    return o;
}

#define CHUNK 49152 /* raw bytes per round: a multiple of 3, so only the tail pads */

int main(int argc, char **argv) {
    long n = size_arg(argc, argv);
    unsigned char *raw = malloc(CHUNK + 8), *back = malloc(CHUNK + 3);
    char *text = malloc(4 * (CHUNK / 3 + 1) + 1);
    if (!raw || !back || !text) return 1;
    rng_t r = {0xB64B64B64B64ULL};
    uint64_t text_hash = FNV_SEED, total_text = 0;
    /* n bytes in rounds of CHUNK fresh pseudo-random bytes; the last round is shorter. */
    for (long done = 0; done < n;) {
        size_t len = (size_t)(n - done) < CHUNK ? (size_t)(n - done) : CHUNK;
        for (size_t i = 0; i < len; i += 8) {
            uint64_t v = rng_next(&r);
            memcpy(raw + i, &v, 8);
        }
        size_t tlen = encode(raw, len, text);
        size_t blen = decode(text, tlen, back);
        if (blen != len || memcmp(raw, back, len) != 0) {
            printf("base64(%ld) round trip FAILED at byte %ld\n", n, done);
            return 1;
        }
        text_hash = fnv1a(text_hash, text, tlen);
        total_text += tlen;
        done += (long)len;
    }
    printf("base64(%ld) text %llu chars hash %016llx round trip ok\n", n,
           (unsigned long long)total_text, (unsigned long long)text_hash);
    free(raw); free(back); free(text);
    return 0;
}
