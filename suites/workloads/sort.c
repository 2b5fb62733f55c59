/* Sorts pseudo-random integers with quicksort (median of three, insertion sort for small
   ranges) and heapsort, checks both agree and are ordered, and prints a digest. */
#include "common.h"

static void insertion_sort(uint32_t *a, long lo, long hi) {
    for (long i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        long j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap(uint32_t *a, long i, long j) {
    uint32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void quicksort(uint32_t *a, long lo, long hi) {
    while (hi - lo > 16) {
        long mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) swap(a, mid, lo);
        if (a[hi] < a[lo]) swap(a, hi, lo);
        if (a[hi] < a[mid]) swap(a, hi, mid);
        uint32_t pivot = a[mid];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) swap(a, i++, j--);
        }
        /* Recurse into the smaller half so the stack stays logarithmic. */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
    insertion_sort(a, lo, hi);
}

static void sift_down(uint32_t *a, long root, long end) {
    while (2 * root + 1 < end) {
        long child = 2 * root + 1;
        if (child + 1 < end && a[child] < a[child + 1]) child++;
        if (a[root] >= a[child]) return;
        swap(a, root, child);
        root = child;
    }
}

static void heapsort(uint32_t *a, long n) {
    for (long i = n / 2 - 1; i >= 0; i--) sift_down(a, i, n);
    for (long end = n - 1; end > 0; end--) {
        swap(a, 0, end);
        sift_down(a, 0, end);
    }
}

int main(int argc, char **argv) {
    long n = size_arg(argc, argv);
    uint32_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    if (!a || !b) return 1;
    rng_t r = {0x1234567887654321ULL};
    for (long i = 0; i < n; i++) a[i] = b[i] = (uint32_t)(rng_next(&r) >> 32);
    if (n > 0) {
        quicksort(a, 0, n - 1);
        heapsort(b, n);
    }
    for (long i = 0; i < n; i++)
        if (a[i] != b[i] || (i > 0 && a[i - 1] > a[i])) {
            printf("sort(%ld) FAILED at %ld\n", n, i);
            return 1;
        }
    printf("sort(%ld) min %u max %u digest %016llx\n", n, n ? a[0] : 0, n ? a[n - 1] : 0,
           (unsigned long long)fnv1a(FNV_SEED, a, n * sizeof *a));
    free(a); free(b);
    return 0;
}
