/* Mandelbrot set membership on an n x n grid: branchy double loops; output is a bitmap hash. */
#include "common.h"

int main(int argc, char **argv) {
    long n = size_arg(argc, argv);
    const int max_iter = 50;
    uint64_t hash = FNV_SEED;
    long inside = 0;
    unsigned char row_bits[1024];
    for (long y = 0; y < n; y++) {
        double ci = 2.0 * (double)y / (double)n - 1.0;
        size_t nbytes = 0;
        unsigned char acc = 0;
        for (long x = 0; x < n; x++) {
            double cr = 2.0 * (double)x / (double)n - 1.5;
            double zr = 0.0, zi = 0.0, tr = 0.0, ti = 0.0;
            int i = 0;
            for (; i < max_iter && tr + ti <= 4.0; i++) {
                zi = 2.0 * zr * zi + ci;
                zr = tr - ti + cr;
                tr = zr * zr;
                ti = zi * zi;
            }
            int member = i == max_iter;
            inside += member;
            acc = (unsigned char)((acc << 1) | member);
            if ((x & 7) == 7 || x == n - 1) {
                if (nbytes < sizeof row_bits) row_bits[nbytes++] = acc;
                acc = 0;
            }
        }
        hash = fnv1a(hash, row_bits, nbytes);
    }
    printf("mandelbrot(%ld) inside %ld hash %016llx\n", n, inside, (unsigned long long)hash);
    return 0;
}
