/* Generates JSON documents holding n records in all, parses each into a tree with a
   recursive-descent parser (strings with escapes, integers, nested arrays and objects), then
   walks and frees the tree. */
#include "common.h"

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } kind_t;

typedef struct value {
    kind_t kind;
    long long num;          /* J_NUM, J_BOOL */
    char *str;              /* J_STR */
    char *key;              /* members of a J_OBJ */
    struct value *child;    /* first element / member */
    struct value *next;     /* next sibling */
} value_t;

typedef struct { const char *p; int ok; } parser_t;

/* ---- generator ---- */
typedef struct { char *buf; size_t len, cap; } sbuf_t;

static void put(sbuf_t *s, const char *text) {
    size_t n = strlen(text);
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->buf = realloc(s->buf, s->cap);
        if (!s->buf) exit(1);
    }
    memcpy(s->buf + s->len, text, n + 1);
    s->len += n;
}

static void generate(sbuf_t *s, rng_t *r, long first_id, long n) {
    char tmp[96];
    put(s, "{\"records\": [\n");
    for (long i = 0; i < n; i++) {
        uint64_t x = rng_next(r);
        snprintf(tmp, sizeof tmp, "  {\"id\": %ld, \"score\": %lld, \"name\": \"item\\t%llu\\\"q\\\"\", ",
                 first_id + i, (long long)(x % 200001) - 100000, (unsigned long long)(x >> 44));
        put(s, tmp);
        put(s, (x >> 3) & 1 ? "\"active\": true, " : "\"active\": false, ");
        put(s, "\"tags\": [");
        for (int t = 0; t < (int)((x >> 8) % 4); t++) {
            snprintf(tmp, sizeof tmp, "%s\"t%d\\u0041\"", t ? ", " : "", t);
            put(s, tmp);
        }
        put(s, "], \"extra\": null}");
        put(s, i + 1 < n ? ",\n" : "\n");
    }
    put(s, "]}\n");
}

/* ---- parser ---- */
static void skip_ws(parser_t *ps) {
    while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r') ps->p++;
}

static value_t *new_value(kind_t kind) {
    value_t *v = calloc(1, sizeof *v);
    if (!v) exit(1);
    v->kind = kind;
    return v;
}

static char *parse_string(parser_t *ps) {
    if (*ps->p != '"') { ps->ok = 0; return NULL; }
    ps->p++;
    size_t cap = 16, len = 0;
    char *out = malloc(cap);
    if (!out) exit(1);
    while (*ps->p && *ps->p != '"') {
        char c = *ps->p++;
        if (c == '\\') {
            char e = *ps->p++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            case 'u': {
                unsigned code = 0;
                for (int k = 0; k < 4; k++) {
                    char h = *ps->p++;
                    code = code * 16 + (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
                }
                c = code < 0x80 ? (char)code : '?'; /* ASCII only: enough for this document */
                break;
            }
            default: ps->ok = 0; free(out); return NULL;
            }
        }
        if (len + 2 > cap) {
            cap *= 2;
            out = realloc(out, cap);
            if (!out) exit(1);
        }
        out[len++] = c;
    }
    if (*ps->p != '"') { ps->ok = 0; free(out); return NULL; }
    ps->p++;
    out[len] = '\0';
    return out;
}

static value_t *parse_value(parser_t *ps);

static value_t *parse_list(parser_t *ps, kind_t kind, char close) {
    value_t *v = new_value(kind), **tail = &v->child;
    ps->p++;
    skip_ws(ps);
    if (*ps->p == close) { ps->p++; return v; }
    while (ps->ok) {
        char *key = NULL;
        skip_ws(ps);
        if (kind == J_OBJ) {
            key = parse_string(ps);
            skip_ws(ps);
            if (*ps->p++ != ':') ps->ok = 0;
        }
        value_t *item = ps->ok ? parse_value(ps) : NULL;
        if (!item) { free(key); ps->ok = 0; break; }
        item->key = key;
        *tail = item;
        tail = &item->next;
        skip_ws(ps);
        if (*ps->p == ',') { ps->p++; continue; }
        if (*ps->p == close) { ps->p++; break; }
        ps->ok = 0;
    }
    return v;
}

static value_t *parse_value(parser_t *ps) {
    skip_ws(ps);
    char c = *ps->p;
    if (c == '{') return parse_list(ps, J_OBJ, '}');
    if (c == '[') return parse_list(ps, J_ARR, ']');
    if (c == '"') {
        value_t *v = new_value(J_STR);
        v->str = parse_string(ps);
        return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        value_t *v = new_value(J_NUM);
        int neg = c == '-';
        if (neg) ps->p++;
        while (*ps->p >= '0' && *ps->p <= '9') v->num = v->num * 10 + (*ps->p++ - '0');
        if (neg) v->num = -v->num;
        return v;
    }
    if (strncmp(ps->p, "true", 4) == 0) { ps->p += 4; value_t *v = new_value(J_BOOL); v->num = 1; return v; }
    if (strncmp(ps->p, "false", 5) == 0) { ps->p += 5; return new_value(J_BOOL); }
    if (strncmp(ps->p, "null", 4) == 0) { ps->p += 4; return new_value(J_NULL); }
    ps->ok = 0;
    return NULL;
}

/* ---- walk ---- */
typedef struct { long values, strings, trues; long long num_sum; uint64_t str_hash; } stats_t;

static void walk(const value_t *v, stats_t *st) {
    for (; v; v = v->next) {
        st->values++;
        if (v->key) st->str_hash = fnv1a(st->str_hash, v->key, strlen(v->key));
        if (v->kind == J_NUM) st->num_sum += v->num;
        if (v->kind == J_BOOL) st->trues += v->num;
        if (v->kind == J_STR) {
            st->strings++;
            st->str_hash = fnv1a(st->str_hash, v->str, strlen(v->str));
        }
        walk(v->child, st);
    }
}

static void release(value_t *v) {
    while (v) {
        value_t *next = v->next;
        release(v->child);
        free(v->str);
        free(v->key);
        free(v);
        v = next;
    }
}

#define RECORDS_PER_DOC 500 /* n records are split into documents of this size */

int main(int argc, char **argv) {
    long n = size_arg(argc, argv);
    rng_t r = {0x15AAC0DEULL};
    stats_t st = {0, 0, 0, 0, FNV_SEED};
    uint64_t total_bytes = 0;
    sbuf_t doc = {0};
    long done = 0;
    do { /* at least one (possibly empty) document */
        long records = n - done < RECORDS_PER_DOC ? n - done : RECORDS_PER_DOC;
        doc.len = 0;
        generate(&doc, &r, done, records);
        parser_t ps = {doc.buf, 1};
        value_t *root = parse_value(&ps);
        if (ps.ok) skip_ws(&ps);
        if (!ps.ok || !root || *ps.p != '\0') {
            printf("json(%ld) parse FAILED at offset %ld of document %ld\n", n,
                   (long)(ps.p - doc.buf), done / RECORDS_PER_DOC);
            return 1;
        }
        walk(root, &st);
        release(root);
        total_bytes += doc.len;
        done += records;
    } while (done < n);
    printf("json(%ld) %llu bytes, %ld values, %ld strings, %ld true, sum %lld, hash %016llx\n", n,
           (unsigned long long)total_bytes, st.values, st.strings, st.trues, st.num_sum,
           (unsigned long long)st.str_hash);
    free(doc.buf);
    return 0;
}
