/* Six nested counted loops with a data-dependent body, so the compiler cannot fold them away. */
#include "common.h"

int main(int argc, char **argv) {
    uint32_t n = (uint32_t)size_arg(argc, argv);
    uint32_t x = 1;
    for (uint32_t a = 0; a < n; a++)
        for (uint32_t b = 0; b < n; b++)
            for (uint32_t c = 0; c < n; c++)
                for (uint32_t d = 0; d < n; d++)
                    for (uint32_t e = 0; e < n; e++)
                        for (uint32_t f = 0; f < n; f++)
                            x = (x ^ (a + b * 3 + c * 5 + d * 7 + e * 11 + f * 13)) * 0x01000193u;
    printf("nestedloop(%u) = %u\n", n, x);
    return 0;
}
