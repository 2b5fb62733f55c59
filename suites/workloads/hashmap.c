/* Open-addressing hash map from string keys to counters that grows by rehashing:
   hashing, probing, string compares and reallocation. */
#include "common.h"

typedef struct { char *key; uint32_t hash; uint32_t value; } slot_t;
typedef struct { slot_t *slots; size_t cap, len; } map_t;

static uint32_t hash_str(const char *s) {
    return (uint32_t)fnv1a(FNV_SEED, s, strlen(s));
}

static slot_t *find_slot(slot_t *slots, size_t cap, const char *key, uint32_t h) {
    size_t i = h & (cap - 1);
    while (slots[i].key && (slots[i].hash != h || strcmp(slots[i].key, key) != 0))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static void grow(map_t *m) {
    size_t cap = m->cap ? m->cap * 2 : 16;
    slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots) exit(1);
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key) *find_slot(slots, cap, m->slots[i].key, m->slots[i].hash) = m->slots[i];
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
}

static void add(map_t *m, const char *key, uint32_t delta) {
    if ((m->len + 1) * 4 > m->cap * 3) grow(m);
    uint32_t h = hash_str(key);
    slot_t *s = find_slot(m->slots, m->cap, key, h);
    if (!s->key) {
        size_t n = strlen(key) + 1;
        s->key = malloc(n);
        if (!s->key) exit(1);
        memcpy(s->key, key, n);
        s->hash = h;
        m->len++;
    }
    s->value += delta;
}

/* "key-<decimal>" without snprintf, which would dominate the profile on wasm. */
static void format_key(char *out, uint64_t k) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + k % 10);
        k /= 10;
    } while (k);
    memcpy(out, "key-", 4);
    for (int i = 0; i < n; i++) out[4 + i] = digits[n - 1 - i];
    out[4 + n] = '\0';
}

static uint32_t get(map_t *m, const char *key) {
    slot_t *s = find_slot(m->slots, m->cap, key, hash_str(key));
    return s->key ? s->value : 0;
}

int main(int argc, char **argv) {
    long n = size_arg(argc, argv);
    map_t m = {0};
    rng_t r = {0x9E3779B97F4A7C15ULL};
    char key[32];
    /* Keys repeat (range n/2, capped so memory stays bounded) so inserts and updates mix. */
    uint64_t key_range = n / 2 + 1 < (1 << 18) ? (uint64_t)(n / 2 + 1) : (1 << 18);
    for (long i = 0; i < n; i++) {
        uint64_t k = rng_next(&r) % key_range;
        format_key(key, k);
        add(&m, key, (uint32_t)(i & 0xff));
    }
    uint64_t found = 0;
    for (long i = 0; i < n; i++) {
        format_key(key, (uint64_t)i);
        found += get(&m, key);
    }
    uint64_t digest = 0;
    for (size_t i = 0; i < m.cap; i++)
        if (m.slots[i].key) {
            /* Order-independent digest: sum of per-entry hashes. */
            digest += fnv1a(m.slots[i].hash, &m.slots[i].value, sizeof m.slots[i].value);
            free(m.slots[i].key);
        }
    free(m.slots);
    printf("hashmap(%ld) entries %zu lookups %llu digest %016llx\n", n, m.len,
           (unsigned long long)found, (unsigned long long)digest);
    return 0;
}
