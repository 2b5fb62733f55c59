/* memcpy, memmove (overlapping, both directions), memset and memcmp over a 8 KiB arena at
   varied sizes and misaligned offsets: exercises libc memory routines and bulk-memory ops. */
#include "common.h"

#define ARENA (8 * 1024)
#define MAX_LEN 1024

int main(int argc, char **argv) {
    long rounds = size_arg(argc, argv);
    unsigned char *arena = malloc(ARENA), *mirror = calloc(ARENA, 1);
    if (!arena || !mirror) return 1;
    rng_t r = {0x3E3C0FFEEULL};
    for (size_t i = 0; i < ARENA; i += 8) {
        uint64_t v = rng_next(&r);
        memcpy(arena + i, &v, 8);
    }
    uint64_t moved = 0;
    for (long i = 0; i < rounds; i++) {
        uint64_t x = rng_next(&r);
        /* 64-bit arithmetic before narrowing: size_t is 32 bits on wasm32. */
        size_t len = (size_t)(x % MAX_LEN) + 1;
        size_t src = (size_t)((x >> 16) % (ARENA - len));
        size_t dst = (size_t)((x >> 40) % (ARENA - len));
        switch ((x >> 60) & 3) {
        case 0: memmove(arena + dst, arena + src, len); break;            /* may overlap */
        case 1:
            memcpy(mirror + dst, arena + src, len);
            if (memcmp(mirror + dst, arena + src, len) != 0) {
                printf("memops(%ld) memcpy FAILED in round %ld\n", rounds, i);
                return 1;
            }
            break;
        case 2: memmove(arena + src + (len >> 3), arena + src, len - (len >> 3)); break;
        default: memset(arena + dst, (int)(x & 0xff), len >> 2); break;
        }
        moved += len;
    }
    uint64_t hash = fnv1a(fnv1a(FNV_SEED, arena, ARENA), mirror, ARENA);
    printf("memops(%ld) moved %llu bytes hash %016llx\n", rounds, (unsigned long long)moved,
           (unsigned long long)hash);
    free(arena); free(mirror);
    return 0;
}
