/* test_gguf_hostile.c — the GGUF reader against broken and hostile files:
 * every truncation of a valid file, one defect in each header field, and
 * random corruption. Every case must fail with LQ_ERR_FORMAT and a message
 * naming the field, without reading a byte out of bounds (run it under
 * AddressSanitizer). Parses from memory through the reader's internal entry
 * point, with buffers of exactly the file's size. */
#include "../harness.h"
#include "io_util.h"

#include "libquant/io/gguf_internal.h"

typedef struct gb {
    unsigned char p[4096];
    size_t n;
} gb;

static void put(gb *b, const void *d, size_t n) { memcpy(b->p + b->n, d, n); b->n += n; }
static void u32(gb *b, uint32_t v) { put(b, &v, 4); }
static void u64(gb *b, uint64_t v) { put(b, &v, 8); }
static void str(gb *b, const char *s) { u64(b, strlen(s)); put(b, s, strlen(s)); }
static void pad(gb *b, size_t a) { while (b->n % a) b->p[b->n++] = 0; }
static void hdr(gb *b, uint32_t version, uint64_t n_t, uint64_t n_kv)
{
    b->n = 0;
    put(b, "GGUF", 4);
    u32(b, version);
    u64(b, n_t);
    u64(b, n_kv);
}
static void kv_u32(gb *b, const char *k, uint32_t v) { str(b, k); u32(b, 4); u32(b, v); }
static void tinfo(gb *b, const char *name, uint32_t ndim, const int64_t *ne, uint32_t type,
                  uint64_t off)
{
    str(b, name);
    u32(b, ndim);
    for (uint32_t i = 0; i < ndim; i++)
        u64(b, (uint64_t)ne[i]);
    u32(b, type);
    u64(b, off);
}

static lq_status parse_exact(const unsigned char *d, size_t n)
{
    unsigned char *copy = malloc(n ? n : 1); /* exactly n bytes: ASan sees any overread */
    memcpy(copy, d, n);
    lq_gguf *g = NULL;
    lq_status st = lq__gguf_parse("parse", "t.gguf", n ? copy : NULL, n, &g);
    if (st == LQ_OK) {
        /* touch everything the handle offers */
        for (int64_t i = 0; i < lq_gguf_kv_count(g); i++) {
            const char *k = lq_gguf_kv_key(g, i);
            int t = lq_gguf_kv_type(g, i);
            const char *s;
            int et;
            uint64_t cnt;
            const void *data;
            if (t == LQ_GGUF_TYPE_STRING)
                CHECK_OK(lq_gguf_get_string(g, k, &s, NULL));
            if (t == LQ_GGUF_TYPE_ARRAY) {
                CHECK_OK(lq_gguf_get_array(g, k, &et, &cnt));
                if (et == LQ_GGUF_TYPE_STRING && cnt)
                    CHECK_OK(lq_gguf_get_array_string(g, k, cnt - 1, &s, NULL));
                else if (et != LQ_GGUF_TYPE_ARRAY)
                    CHECK_OK(lq_gguf_get_array_data(g, k, et, &data, &cnt));
            }
        }
        for (int64_t i = 0; i < lq_gguf_tensor_count(g); i++) {
            const void *raw;
            uint64_t nb;
            CHECK_OK(lq_gguf_tensor_raw(g, i, &raw, &nb));
            volatile unsigned char sum = 0;
            for (uint64_t k = 0; k < nb; k++)
                sum ^= ((const unsigned char *)raw)[k];
            (void)sum; /* only read: every byte must be in bounds */
            lq_tensor *t = NULL;
            lq_status gs = lq_gguf_get_tensor(g, i, &t);
            CHECK(gs == LQ_OK || gs == LQ_ERR_UNSUPPORTED);
            lq_tensor_free(t);
        }
        lq_gguf_free(g);
    } else {
        CHECK(g == NULL);
    }
    free(copy);
    return st;
}

/* Must fail as malformed, with `what` in the message. */
#define BAD(b, what)                                                                     \
    do {                                                                                 \
        lq_status st_ = parse_exact((b)->p, (b)->n);                                     \
        CHECKF(st_ == LQ_ERR_FORMAT && strstr(lq_last_error(), what) &&                  \
                   strstr(lq_last_error(), "at offset"),                                 \
               "wanted a format error about '%s', got %d: %s", what, st_, lq_last_error()); \
    } while (0)

/* A small valid file of every kind of field: its last tensor ends exactly at
 * the end of the file, so every shorter prefix is broken. */
static unsigned char *valid_file(size_t *n)
{
    char *dir = iot_mkdtemp();
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_create(&g));
    CHECK_OK(lq_gguf_set_string(g, "general.architecture", "llama"));
    CHECK_OK(lq_gguf_set_u32(g, "general.alignment", 16));
    CHECK_OK(lq_gguf_set_bool(g, "b", 1));
    CHECK_OK(lq_gguf_set_f64(g, "f", 0.5));
    const char *toks[3] = {"a", "", "ccc"};
    CHECK_OK(lq_gguf_set_array_strings(g, "toks", toks, 3));
    const int16_t arr[3] = {1, -2, 3};
    CHECK_OK(lq_gguf_set_array(g, "arr", LQ_GGUF_TYPE_I16, arr, 3));
    unsigned char data[64];
    for (int i = 0; i < 64; i++)
        data[i] = (unsigned char)i;
    int64_t s1[2] = {1, 32}, s2[1] = {16};
    CHECK_OK(lq_gguf_add_tensor_raw(g, "q", 8 /* q8_0 */, 2, s1, data, 34, LQ_BORROW));
    CHECK_OK(lq_gguf_add_tensor_raw(g, "w", 0, 1, s2, data, 64, LQ_BORROW));
    CHECK_OK(lq_gguf_save(NULL, g, iot_path(dir, "v.gguf")));
    lq_gguf_free(g);
    unsigned char *d = iot_read(iot_path(dir, "v.gguf"), n);
    iot_rmdir(dir);
    return d;
}

static void every_prefix_fails(void)
{
    size_t n;
    unsigned char *d = valid_file(&n);
    CHECK(d != NULL && n > 100);
    CHECK_OK(parse_exact(d, n));
    int failures = 0;
    for (size_t len = 0; len < n; len++) {
        lq_status st = parse_exact(d, len);
        if (st != LQ_ERR_FORMAT) {
            failures++;
            CHECKF(0, "prefix of %zu bytes: status %d", len, st);
        }
    }
    printf("# %zu prefixes of a %zu-byte file rejected\n", n, n);
    CHECK(failures == 0);
    free(d);
}

static void random_corruption_is_caught_or_harmless(void)
{
    size_t n;
    unsigned char *d = valid_file(&n);
    unsigned char *m = malloc(n);
    lqt_rng r = {12345};
    int ok = 0, bad = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(m, d, n);
        int flips = 1 + (int)(lqt_next(&r) % 4);
        for (int f = 0; f < flips; f++) {
            size_t at = (size_t)(lqt_next(&r) % n);
            if (lqt_next(&r) & 1)
                m[at] ^= (unsigned char)(1u << (lqt_next(&r) % 8));
            else
                m[at] = (unsigned char)lqt_next(&r);
        }
        lq_status st = parse_exact(m, n);
        CHECKF(st == LQ_OK || st == LQ_ERR_FORMAT, "iteration %d: status %d", iter, st);
        if (st == LQ_OK)
            ok++;
        else
            bad++;
    }
    printf("# 20000 corrupted copies: %d still valid (data bytes), %d rejected\n", ok, bad);
    free(m);
    free(d);
}

static void header_fields(void)
{
    gb b;
    b.n = 0;
    BAD(&b, "magic");
    put(&b, "GGUX", 4);
    u32(&b, 3);
    BAD(&b, "magic");
    hdr(&b, 1, 0, 0);
    BAD(&b, "version 1 is not supported");
    hdr(&b, 2, 0, 0);
    BAD(&b, "version 2 is not supported");
    hdr(&b, 4, 0, 0);
    BAD(&b, "version 4");
    hdr(&b, 0x03000000u, 0, 0);
    BAD(&b, "big-endian");
    hdr(&b, 3, 0, 0);
    b.n -= 4;
    BAD(&b, "metadata count: the file ends");
    hdr(&b, 3, 0, 1ull << 62);
    BAD(&b, "metadata count");
    hdr(&b, 3, 1ull << 62, 0);
    BAD(&b, "tensor count");
    hdr(&b, 3, 0, 0);
    CHECK_OK(parse_exact(b.p, b.n)); /* an empty file is valid */
}

static void kv_fields(void)
{
    gb b;
    /* (files are made long enough for their counts, so that the check of
     * the field itself is reached) */
    hdr(&b, 3, 0, 1);
    u64(&b, 1ull << 63);
    u64(&b, 0);
    BAD(&b, "kv 0: key: length");
    hdr(&b, 3, 0, 1);
    str(&b, "");
    u32(&b, 0);
    u32(&b, 0);
    BAD(&b, "key length 0");
    hdr(&b, 3, 0, 1);
    u64(&b, 3);
    put(&b, "a\0b", 3);
    u32(&b, 0);
    b.p[b.n++] = 0;
    BAD(&b, "NUL");
    hdr(&b, 3, 0, 2);
    kv_u32(&b, "k", 1);
    kv_u32(&b, "k", 2);
    BAD(&b, "kv 1 'k': the key appears twice");
    hdr(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 13);
    u32(&b, 0);
    BAD(&b, "value type 13");
    hdr(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 8);
    u64(&b, 1000);
    put(&b, "abc", 3);
    BAD(&b, "string value: length 1000");
    hdr(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 7);
    b.p[b.n++] = 2;
    BAD(&b, "bool value 2");
    hdr(&b, 3, 0, 1);
    str(&b, "kkkkkk");
    u32(&b, 4);
    BAD(&b, "u32 value: the file ends");
    hdr(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 9);
    u32(&b, 99);
    u64(&b, 0);
    BAD(&b, "array element type 99");
    hdr(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 9);
    u32(&b, 4);
    u64(&b, (1ull << 62) + 1); /* times 4 wraps to 4 bytes */
    u32(&b, 0);
    BAD(&b, "elements of u32 run past");
    hdr(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 9);
    u32(&b, 8);
    u64(&b, 1ull << 61);
    BAD(&b, "strings run past");
    hdr(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 9);
    u32(&b, 8);
    u64(&b, 2);
    str(&b, "x");
    u64(&b, 50);
    BAD(&b, "string element: length 50");
    hdr(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 9);
    u32(&b, 7);
    u64(&b, 2);
    b.p[b.n++] = 1;
    b.p[b.n++] = 3;
    BAD(&b, "bool value 3");
    /* arrays nested 9 deep */
    hdr(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 9);
    for (int i = 0; i < 8; i++) {
        u32(&b, 9);
        u64(&b, 1);
    }
    u32(&b, 0);
    u64(&b, 0);
    BAD(&b, "nested more than 8 deep");
    /* 8 deep is fine */
    hdr(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 9);
    for (int i = 0; i < 7; i++) {
        u32(&b, 9);
        u64(&b, 1);
    }
    u32(&b, 0);
    u64(&b, 0);
    CHECK_OK(parse_exact(b.p, b.n));
    hdr(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 9);
    u32(&b, 9);
    u64(&b, 1);
    u32(&b, 77);
    u64(&b, 0);
    BAD(&b, "nested array element type 77");
    /* alignment */
    hdr(&b, 3, 0, 1);
    str(&b, "general.alignment");
    u32(&b, 10);
    u64(&b, 32);
    BAD(&b, "'general.alignment' is a u64, not a u32");
    hdr(&b, 3, 0, 1);
    kv_u32(&b, "general.alignment", 48);
    BAD(&b, "48, not a power of two");
    hdr(&b, 3, 0, 1);
    kv_u32(&b, "general.alignment", 0);
    BAD(&b, "0, not a power of two");
}

static void tensor_fields(void)
{
    gb b;
    int64_t ne1[1] = {8}, ne2[2] = {32, 2};
    hdr(&b, 3, 1, 0);
    tinfo(&b, "a234567890123456789012345678901234567890123456789012345678901234", 1, ne1, 0, 0);
    BAD(&b, "tensor 0: name length 64");
    hdr(&b, 3, 1, 0);
    tinfo(&b, "", 1, ne1, 0, 0);
    u32(&b, 0);
    BAD(&b, "name length 0");
    hdr(&b, 3, 2, 0);
    tinfo(&b, "t", 1, ne1, 0, 0);
    tinfo(&b, "t", 1, ne1, 0, 32);
    BAD(&b, "tensor 1 't': the name appears twice");
    hdr(&b, 3, 1, 0);
    tinfo(&b, "t", 0, ne1, 0, 0);
    u64(&b, 0);
    BAD(&b, "dimension count 0");
    hdr(&b, 3, 1, 0);
    int64_t ne5[5] = {1, 1, 1, 1, 1};
    tinfo(&b, "t", 5, ne5, 0, 0);
    BAD(&b, "dimension count 5");
    hdr(&b, 3, 1, 0);
    int64_t neg[2] = {4, -3};
    tinfo(&b, "t", 2, neg, 0, 0);
    BAD(&b, "dimension 1 is negative");
    hdr(&b, 3, 1, 0);
    tinfo(&b, "t", 1, ne1, 4, 0);
    BAD(&b, "ggml type 4 is unknown");
    hdr(&b, 3, 1, 0);
    tinfo(&b, "t", 1, ne1, 0xFFFFFFFFu, 0);
    BAD(&b, "ggml type 4294967295 is unknown");
    hdr(&b, 3, 1, 0);
    int64_t odd[2] = {33, 2};
    tinfo(&b, "t", 2, odd, 2, 0);
    BAD(&b, "not a multiple of the type's block");
    hdr(&b, 3, 1, 0);
    int64_t huge[3] = {1ll << 40, 1ll << 40, 1};
    tinfo(&b, "t", 3, huge, 0, 0);
    BAD(&b, "overflows 64 bits");
    hdr(&b, 3, 1, 0);
    int64_t empty_but_huge[3] = {0, 1ll << 40, 1ll << 40}; /* found by fuzz_gguf */
    tinfo(&b, "t", 3, empty_but_huge, 0, 0);
    BAD(&b, "element count overflows");
    hdr(&b, 3, 1, 0);
    int64_t big_bytes[2] = {1ll << 32, 1ll << 30}; /* 2^62 f32 elements: bytes overflow */
    tinfo(&b, "t", 2, big_bytes, 0, 0);
    BAD(&b, "byte size overflows");
    hdr(&b, 3, 1, 0);
    tinfo(&b, "t", 1, ne1, 0, 16);
    BAD(&b, "data offset 16 is not a multiple of the alignment 32");
    hdr(&b, 3, 1, 0);
    tinfo(&b, "t", 1, ne1, 0, 0);
    pad(&b, 32);
    b.n += 31; /* 8 f32 need 32 bytes */
    BAD(&b, "tensor 0 't': 32 bytes at offset 0 of the data section run past its end (it "
            "holds 31 bytes)");
    hdr(&b, 3, 1, 0);
    tinfo(&b, "t", 1, ne1, 0, 1ull << 63);
    pad(&b, 32);
    b.n += 32;
    BAD(&b, "run past its end");
    /* an offset of 2^64 - 32: the message gives it as stored, not a wrapped sum */
    hdr(&b, 3, 1, 0);
    tinfo(&b, "t", 1, ne1, 0, 0ull - 32);
    pad(&b, 32);
    b.n += 32;
    BAD(&b, "32 bytes at offset 18446744073709551584 of the data section");
    hdr(&b, 3, 2, 0);
    tinfo(&b, "t", 2, ne2, 8 /* q8_0: 2 blocks, 68 bytes */, 0);
    tinfo(&b, "u", 1, ne1, 0, 64);
    pad(&b, 32);
    memset(b.p + b.n, 0, 128);
    b.n += 128;
    BAD(&b, "tensors 't' [0, 68) and 'u' [64, 96) overlap");
    hdr(&b, 3, 1, 0);
    int64_t empty[1] = {0};
    tinfo(&b, "t", 1, empty, 0, 0);
    if (b.n % 32 == 0)
        b.n -= 1;
    BAD(&b, "data section would start");
    /* tensors in any order and with gaps are fine when they do not overlap */
    hdr(&b, 3, 2, 0);
    tinfo(&b, "t", 1, ne1, 0, 64);
    tinfo(&b, "u", 1, ne1, 0, 0);
    pad(&b, 32);
    memset(b.p + b.n, 0, 96);
    b.n += 96;
    CHECK_OK(parse_exact(b.p, b.n));
}

static void open_reports_the_file(void)
{
    char *dir = iot_mkdtemp();
    lq_gguf *g = (lq_gguf *)1;
    CHECK_STATUS(lq_gguf_open(iot_path(dir, "missing.gguf"), &g), LQ_ERR_IO);
    CHECK(g == NULL && strstr(lq_last_error(), "missing.gguf"));
    CHECK_STATUS(lq_gguf_open(dir, &g), LQ_ERR_IO);
    CHECK(strstr(lq_last_error(), "not a regular file") != NULL);
    CHECK(iot_write(iot_path(dir, "v2.gguf"), "GGUF\2\0\0\0", 8) == 0);
    CHECK_STATUS(lq_gguf_open(iot_path(dir, "v2.gguf"), &g), LQ_ERR_FORMAT);
    CHECK(strstr(lq_last_error(), "lq_gguf_open: v2.gguf: GGUF version 2") != NULL);
    CHECK(iot_write(iot_path(dir, "empty.gguf"), "", 0) == 0);
    CHECK_STATUS(lq_gguf_open(iot_path(dir, "empty.gguf"), &g), LQ_ERR_FORMAT);
    CHECK_STATUS(lq_gguf_open(NULL, &g), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_open("x", NULL), LQ_ERR_INVALID);
    iot_rmdir(dir);
}

LQT_MAIN(every_prefix_fails, random_corruption_is_caught_or_harmless, header_fields, kv_fields,
         tensor_fields, open_reports_the_file)
