/* A small LZ77 compressor and decompressor: hash-chained match finding, byte-wise copies.
   Compresses n bytes of generated text-like data in 64 KiB blocks, decompresses each block and
   verifies the round trip.

   Token format: a control byte c. c < 0x80: a literal run of c+1 bytes follows.
   c >= 0x80: a match of length (c & 0x7f) + MIN_MATCH at a 16-bit little-endian distance. */
#include "common.h"

#define MIN_MATCH 4
#define MAX_MATCH (0x7f + MIN_MATCH)
#define MAX_LITERALS 128
#define MAX_DISTANCE 65535
#define HASH_BITS 14

static uint32_t hash4(const unsigned char *p) {
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static size_t flush_literals(const unsigned char *lit, size_t count, unsigned char *out) {
    size_t o = 0;
    while (count > 0) {
        size_t run = count < MAX_LITERALS ? count : MAX_LITERALS;
        out[o++] = (unsigned char)(run - 1);
        memcpy(out + o, lit, run);
        o += run; lit += run; count -= run;
    }
    return o;
}

static size_t compress(const unsigned char *in, size_t len, unsigned char *out) {
    static long head[1 << HASH_BITS];
    for (size_t i = 0; i < (1u << HASH_BITS); i++) head[i] = -1;
    size_t o = 0, pos = 0, lit_start = 0;
    while (pos + MIN_MATCH <= len) {
        uint32_t h = hash4(in + pos);
        long cand = head[h];
        head[h] = (long)pos;
        if (cand >= 0 && pos - (size_t)cand <= MAX_DISTANCE && memcmp(in + cand, in + pos, MIN_MATCH) == 0) {
            size_t m = MIN_MATCH;
            while (m < MAX_MATCH && pos + m < len && in[cand + m] == in[pos + m]) m++;
            o += flush_literals(in + lit_start, pos - lit_start, out + o);
            size_t dist = pos - (size_t)cand;
            out[o++] = (unsigned char)(0x80 | (m - MIN_MATCH));
            out[o++] = (unsigned char)(dist & 0xff);
            out[o++] = (unsigned char)(dist >> 8);
            /* Index the positions inside the match too, so later repeats find it. */
            for (size_t k = 1; k < m && pos + k + MIN_MATCH <= len; k++) head[hash4(in + pos + k)] = (long)(pos + k);
            pos += m;
            lit_start = pos;
        } else {
            pos++;
        }
    }
    o += flush_literals(in + lit_start, len - lit_start, out + o);
    return o;
}

/* Returns the decompressed length, or (size_t)-1 on malformed input. */
static size_t decompress(const unsigned char *in, size_t len, unsigned char *out, size_t cap) {
    size_t i = 0, o = 0;
    while (i < len) {
        unsigned char c = in[i++];
        if (c < 0x80) {
            size_t run = (size_t)c + 1;
            if (i + run > len || o + run > cap) return (size_t)-1;
            memcpy(out + o, in + i, run);
            i += run; o += run;
        } else {
            if (i + 2 > len) return (size_t)-1;
            size_t m = (size_t)(c & 0x7f) + MIN_MATCH;
            size_t dist = (size_t)in[i] | (size_t)in[i + 1] << 8;
            i += 2;
            if (dist == 0 || dist > o || o + m > cap) return (size_t)-1;
            for (size_t k = 0; k < m; k++, o++) out[o] = out[o - dist]; /* may overlap */
        }
    }
    return o;
}

/* Appends text-like bytes (words, spaces, digits, newlines) continuing the generator state. */
static void make_text(rng_t *r, unsigned char *buf, size_t n) {
    static const char *words[] = {"the", "quick", "wasm", "module", "imports", "memory", "and",
                                  "exports", "a", "function", "table", "of", "runtime", "bytes",
                                  "stack", "value", "branch", "loop", "block", "call"};
    size_t o = 0;
    while (o < n) {
        uint64_t x = rng_next(r);
        const char *w = words[(x >> 8) % 20];
        while (*w && o < n) buf[o++] = (unsigned char)*w++;
        if (o < n) buf[o++] = (x & 15) == 0 ? '\n' : (x & 15) == 1 ? (unsigned char)('0' + (x >> 40) % 10) : ' ';
    }
}

#define BLOCK 65536 /* independent blocks, as block-based compressors do */

int main(int argc, char **argv) {
    long n = size_arg(argc, argv);
    size_t cap = BLOCK + BLOCK / MAX_LITERALS + 16;
    unsigned char *raw = malloc(BLOCK), *packed = malloc(cap), *back = malloc(BLOCK);
    if (!raw || !packed || !back) return 1;
    rng_t r = {0x5EED5EED5EEDULL};
    uint64_t hash = FNV_SEED, total_packed = 0;
    for (long done = 0; done < n;) {
        size_t len = (size_t)(n - done) < BLOCK ? (size_t)(n - done) : BLOCK;
        make_text(&r, raw, len);
        size_t plen = compress(raw, len, packed);
        size_t blen = decompress(packed, plen, back, len);
        if (blen != len || memcmp(raw, back, len) != 0) {
            printf("lz(%ld) round trip FAILED at byte %ld\n", n, done);
            return 1;
        }
        hash = fnv1a(hash, packed, plen);
        total_packed += plen;
        done += (long)len;
    }
    printf("lz(%ld) compressed to %llu bytes hash %016llx round trip ok\n", n,
           (unsigned long long)total_packed, (unsigned long long)hash);
    free(raw); free(packed); free(back);
    return 0;
}
