/* test_safetensors.c — safetensors: single and sharded round trips, the
 * layout rules, byte-identical read-modify-write, hostile files and indexes,
 * and writes that fail leaving nothing behind. */
#include "../harness.h"
#include "io_util.h"

#include "libquant/core/error.h"
#include "libquant/io/safetensors_internal.h"

static char *dir;

static void fill(void *p, size_t n, unsigned long long seed)
{
    lqt_rng r = {seed | 1};
    for (size_t i = 0; i < n; i++)
        ((unsigned char *)p)[i] = (unsigned char)lqt_next(&r);
}

static unsigned char blob[1 << 16];

/* Tensors of every plain type, and raw ones of other dtypes and ranks. */
static lq_safetensors *make_set(void)
{
    static const lq_type plain[] = {LQ_TYPE_F32, LQ_TYPE_F16, LQ_TYPE_BF16, LQ_TYPE_F64, LQ_TYPE_I8,
                                    LQ_TYPE_U8,  LQ_TYPE_I16, LQ_TYPE_I32,  LQ_TYPE_I64};
    lq_safetensors *st = NULL;
    CHECK_OK(lq_safetensors_create(&st));
    fill(blob, sizeof blob, 5);
    for (int i = 0; i < 9; i++) {
        char name[32];
        snprintf(name, sizeof name, "model.layers.%d.weight", i);
        int64_t shape[2] = {3, 7 + i};
        lq_tensor *t = NULL;
        CHECK_OK(lq_tensor_create(plain[i], 2, shape, name, &t));
        memcpy(lq_tensor_data_mut(t), blob + 100 * i, lq_tensor_nbytes(t));
        CHECK_OK(lq_safetensors_add_tensor(st, t, LQ_COPY));
        lq_tensor_free(t);
    }
    int64_t s1[1] = {5}, s5[5] = {1, 2, 1, 3, 2}, s0[1] = {0};
    /* 1, 2, -1, 0, 448 in E4M3 */
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "fp8", "F8_E4M3", 1, s1, "\x38\x40\xb8\x00\x7e", 5,
                                    LQ_BORROW));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "fp8b", "F8_E5M2", 1, s1, blob + 5, 5, LQ_BORROW));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "mask", "BOOL", 1, s1, "\1\0\1\1\0", 5, LQ_BORROW));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "u16", "U16", 1, s1, blob, 10, LQ_BORROW));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "nibbles", "F4", 1, (int64_t[1]){6}, blob, 3, LQ_BORROW));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "scalar", "F32", 0, NULL, blob, 4, LQ_BORROW));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "five_d", "I32", 5, s5, blob, 48, LQ_BORROW));
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "empty", "F16", 1, s0, NULL, 0, LQ_BORROW));
    CHECK_OK(lq_safetensors_meta_set(st, "format", "pt"));
    CHECK_OK(lq_safetensors_meta_set(st, "note", "\"quoted\" \xc3\xa9"));
    return st;
}

/* Same names, dtypes, shapes and bytes. */
static void check_same(const lq_safetensors *a, const lq_safetensors *b)
{
    CHECK(lq_safetensors_tensor_count(a) == lq_safetensors_tensor_count(b));
    for (int64_t i = 0; i < lq_safetensors_tensor_count(a); i++) {
        const char *name = lq_safetensors_tensor_name(a, i);
        int64_t j = lq_safetensors_find_tensor(b, name);
        CHECKF(j >= 0, "'%s' is missing", name);
        if (j < 0)
            continue;
        CHECK(strcmp(lq_safetensors_tensor_dtype(a, i), lq_safetensors_tensor_dtype(b, j)) == 0);
        CHECK(lq_safetensors_tensor_ndim(a, i) == lq_safetensors_tensor_ndim(b, j));
        for (int d = 0; d < lq_safetensors_tensor_ndim(a, i); d++)
            CHECK(lq_safetensors_tensor_dim(a, i, d) == lq_safetensors_tensor_dim(b, j, d));
        const void *pa, *pb;
        uint64_t na, nb;
        CHECK_OK(lq_safetensors_tensor_raw(a, i, &pa, &na));
        CHECK_OK(lq_safetensors_tensor_raw(b, j, &pb, &nb));
        CHECK(na == nb && (na == 0 || memcmp(pa, pb, na) == 0));
    }
    CHECK(lq_safetensors_meta_count(a) == lq_safetensors_meta_count(b));
    for (int64_t i = 0; i < lq_safetensors_meta_count(a); i++) {
        const char *k = lq_safetensors_meta_key(a, i);
        const char *vb = lq_safetensors_meta_get(b, k);
        CHECK(vb && strcmp(vb, lq_safetensors_meta_get(a, k)) == 0);
    }
}

static void single_file_round_trip(void)
{
    lq_safetensors *st = make_set(), *r = NULL;
    const char *p = iot_path(dir, "model.safetensors");
    CHECK_OK(lq_safetensors_save(NULL, st, p, 0));
    CHECK_OK(lq_safetensors_open(p, &r));
    check_same(st, r);
    /* layout: header length a multiple of 8, padded with spaces; every tensor
     * aligned to its element size */
    size_t n;
    unsigned char *f = iot_read(p, &n);
    uint64_t hlen;
    memcpy(&hlen, f, 8);
    CHECK(hlen % 8 == 0 && f[8] == '{' && 8 + hlen <= n);
    size_t end = 8 + (size_t)hlen;
    while (end > 8 && f[end - 1] == ' ')
        end--;
    CHECK(f[end - 1] == '}');
    for (int64_t i = 0; i < lq_safetensors_tensor_count(r); i++) {
        const void *d;
        uint64_t nb;
        CHECK_OK(lq_safetensors_tensor_raw(r, i, &d, &nb));
        const char *dt = lq_safetensors_tensor_dtype(r, i);
        size_t esize = strstr(dt, "64") ? 8 : strstr(dt, "32") ? 4 : strstr(dt, "16") ? 2 : 1;
        CHECKF(((const unsigned char *)d - f - 8 - hlen) % esize == 0 || nb == 0,
               "%s is not aligned", lq_safetensors_tensor_name(r, i));
    }
    free(f);
    /* tensors: plain dtypes as themselves, bool and fp8 as u8 */
    lq_tensor *t = NULL;
    CHECK_OK(lq_safetensors_get_tensor(r, lq_safetensors_find_tensor(r, "model.layers.2.weight"), &t));
    CHECK(lq_tensor_type(t) == LQ_TYPE_BF16 && lq_tensor_dim(t, 1) == 9);
    CHECK(memcmp(lq_tensor_data(t), blob + 200, lq_tensor_nbytes(t)) == 0);
    lq_tensor_free(t);
    CHECK_OK(lq_safetensors_get_tensor(r, lq_safetensors_find_tensor(r, "fp8"), &t));
    CHECK(lq_tensor_type(t) == LQ_TYPE_FP8_E4M3 && lq_tensor_numel(t) == 5);
    CHECK(lq_tensor_nbytes(t) == 9 && memcmp(lq_tensor_data(t), "\x38\x40\xb8\x00\x7e", 5) == 0);
    CHECK(strcmp(lq_scheme_string(lq_tensor_scheme(t)), "fp8_e4m3:tensor:scale=f32") == 0 ||
          strstr(lq_scheme_string(lq_tensor_scheme(t)), "fp8_e4m3") != NULL);
    float f8[5];
    lq_status ds = lq_dequantize_f32(NULL, t, f8, 5);
    if (ds == LQ_OK)
        CHECK(f8[0] == 1 && f8[1] == 2 && f8[2] == -1 && f8[3] == 0 && f8[4] == 448);
    else
        CHECKF(ds == LQ_ERR_UNSUPPORTED, "decoding fp8: %d %s", ds, lq_last_error());
    lq_tensor_free(t);
    CHECK_OK(lq_safetensors_get_tensor(r, lq_safetensors_find_tensor(r, "fp8b"), &t));
    CHECK(lq_tensor_type(t) == LQ_TYPE_FP8_E5M2 && lq_tensor_nbytes(t) == 9);
    CHECK_STATUS(lq_safetensors_add_tensor(r, t, LQ_BORROW), LQ_ERR_UNSUPPORTED);
    lq_tensor_free(t);
    CHECK(strcmp(lq_safetensors_tensor_dtype(r, lq_safetensors_find_tensor(r, "fp8")), "F8_E4M3") == 0);
    CHECK_OK(lq_safetensors_get_tensor(r, lq_safetensors_find_tensor(r, "mask"), &t));
    CHECK(lq_tensor_type(t) == LQ_TYPE_U8 && ((const uint8_t *)lq_tensor_data(t))[2] == 1);
    lq_tensor_free(t);
    CHECK_OK(lq_safetensors_get_tensor(r, lq_safetensors_find_tensor(r, "scalar"), &t));
    CHECK(lq_tensor_ndim(t) == 1 && lq_tensor_dim(t, 0) == 1);
    CHECK(lq_safetensors_tensor_ndim(r, lq_safetensors_find_tensor(r, "scalar")) == 0);
    lq_tensor_free(t);
    CHECK_OK(lq_safetensors_get_tensor(r, lq_safetensors_find_tensor(r, "empty"), &t));
    CHECK(lq_tensor_numel(t) == 0);
    lq_tensor_free(t);
    CHECK_STATUS(lq_safetensors_get_tensor(r, lq_safetensors_find_tensor(r, "u16"), &t), LQ_ERR_UNSUPPORTED);
    CHECK_STATUS(lq_safetensors_get_tensor(r, lq_safetensors_find_tensor(r, "five_d"), &t),
                 LQ_ERR_UNSUPPORTED);
    CHECK_STATUS(lq_safetensors_get_tensor(r, 99, &t), LQ_ERR_INVALID);
    CHECK(lq_safetensors_tensor_name(r, 99) == NULL && lq_safetensors_tensor_ndim(r, -1) == -1);
    CHECK(strcmp(lq_safetensors_meta_get(r, "note"), "\"quoted\" \xc3\xa9") == 0);
    CHECK(lq_safetensors_meta_get(r, "absent") == NULL);
    /* read-modify-write: unchanged is byte-identical; then a change */
    const char *q = iot_path(dir, "copy.safetensors");
    CHECK_OK(lq_safetensors_save(NULL, r, q, 0));
    size_t na, nb;
    unsigned char *fa = iot_read(p, &na), *fb = iot_read(q, &nb);
    CHECK(fa && fb && na == nb && memcmp(fa, fb, na) == 0);
    free(fa);
    free(fb);
    CHECK_OK(lq_safetensors_meta_set(r, "format", NULL));
    CHECK(lq_safetensors_meta_get(r, "format") == NULL && lq_safetensors_meta_count(r) == 1);
    lq_safetensors_free(r);
    lq_safetensors_free(st);
}

static void adding_is_checked(void)
{
    lq_safetensors *st = NULL;
    CHECK_OK(lq_safetensors_create(&st));
    int64_t s1[1] = {4};
    CHECK_STATUS(lq_safetensors_add_tensor_raw(st, "a", "F33", 1, s1, blob, 16, LQ_BORROW), LQ_ERR_INVALID);
    CHECK_STATUS(lq_safetensors_add_tensor_raw(st, "a", "F32", 1, s1, blob, 15, LQ_BORROW), LQ_ERR_SHAPE);
    CHECK_STATUS(lq_safetensors_add_tensor_raw(st, "a", "F4", 1, (int64_t[1]){3}, blob, 2, LQ_BORROW),
                 LQ_ERR_INVALID);
    CHECK_STATUS(lq_safetensors_add_tensor_raw(st, "__metadata__", "F32", 1, s1, blob, 16, LQ_BORROW),
                 LQ_ERR_INVALID);
    CHECK_STATUS(lq_safetensors_add_tensor_raw(st, "", "F32", 1, s1, blob, 16, LQ_BORROW), LQ_ERR_INVALID);
    CHECK_STATUS(lq_safetensors_add_tensor_raw(st, "bad\xff", "F32", 1, s1, blob, 16, LQ_BORROW),
                 LQ_ERR_INVALID);
    CHECK_STATUS(lq_safetensors_meta_set(st, "k", "\xc3"), LQ_ERR_INVALID);
    CHECK_OK(lq_safetensors_add_tensor_raw(st, "a", "F32", 1, s1, blob, 16, LQ_BORROW));
    CHECK_STATUS(lq_safetensors_add_tensor_raw(st, "a", "F32", 1, s1, blob, 16, LQ_BORROW), LQ_ERR_INVALID);
    int64_t s9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK_STATUS(lq_safetensors_add_tensor_raw(st, "b", "F32", 9, s9, blob, 4, LQ_BORROW), LQ_ERR_INVALID);
    lq_tensor *q = NULL, *src = NULL;
    lq_scheme *s = NULL;
    int64_t sh[2] = {2, 64};
    CHECK_OK(lq_tensor_create(LQ_TYPE_F32, 2, sh, "q", &src));
    if (lq_scheme_parse("int8", &s) == LQ_OK && lq_quantize(NULL, src, s, NULL, NULL, &q) == LQ_OK)
        CHECK_STATUS(lq_safetensors_add_tensor(st, q, LQ_BORROW), LQ_ERR_UNSUPPORTED);
    lq_tensor_free(q);
    lq_tensor_free(src);
    lq_scheme_free(s);
    CHECK(lq_safetensors_tensor_count(st) == 1);
    lq_safetensors_free(st);
}

static void sharded_round_trip(void)
{
    lq_safetensors *st = make_set(), *r = NULL;
    char *sub = strdup(iot_path(dir, "sharded"));
    mkdir(sub, 0755);
    const char *p = iot_path(sub, "model.safetensors");
    CHECK_OK(lq_safetensors_save(NULL, st, p, 200));
    CHECK(!iot_exists(p));
    int files = iot_count_entries(sub);
    printf("# %lld tensors in %d files (shards of at most 200 bytes, and the index)\n",
           (long long)lq_safetensors_tensor_count(st), files);
    CHECK(files >= 4);
    char first[64];
    snprintf(first, sizeof first, "model-00001-of-%05d.safetensors", files - 1);
    CHECK(iot_exists(iot_path(sub, first)));
    /* each shard holds at most 200 bytes of data unless one tensor is bigger */
    CHECK_OK(lq_safetensors_open(iot_path(sub, "model.safetensors.index.json"), &r));
    check_same(st, r);
    lq_safetensors_free(r);
    CHECK_OK(lq_safetensors_open(sub, &r)); /* the folder */
    check_same(st, r);
    /* the index is what Hugging Face writes */
    size_t n;
    char *idx = (char *)iot_read(iot_path(sub, "model.safetensors.index.json"), &n);
    CHECK(idx && strstr(idx, "\"total_size\": ") && strstr(idx, "\"weight_map\": {"));
    CHECK(strstr(idx, "\"fp8\": \"model-0000") != NULL);
    free(idx);
    /* a shard opened on its own is a valid file */
    lq_safetensors *one = NULL;
    CHECK_OK(lq_safetensors_open(iot_path(sub, first), &one));
    CHECK(lq_safetensors_tensor_count(one) >= 1 && lq_safetensors_tensor_count(one) < lq_safetensors_tensor_count(st));
    lq_safetensors_free(one);
    /* everything fits in one shard: a single file */
    char *sub2 = strdup(iot_path(dir, "fits"));
    mkdir(sub2, 0755);
    CHECK_OK(lq_safetensors_save(NULL, r, iot_path(sub2, "model.safetensors"), 1 << 20));
    CHECK(iot_count_entries(sub2) == 1);
    lq_safetensors_free(r);
    CHECK_OK(lq_safetensors_open(sub2, &r));
    check_same(st, r);
    lq_safetensors_free(r);
    CHECK_STATUS(lq_safetensors_save(NULL, st, iot_path(sub2, "weights.bin"), 100), LQ_ERR_INVALID);
    free(sub2);
    free(sub);
    lq_safetensors_free(st);
}

static lq_status parse_exact(const void *d, size_t n)
{
    unsigned char *copy = malloc(n ? n : 1);
    memcpy(copy, d, n);
    lq_safetensors *st = NULL;
    CHECK_OK(lq_safetensors_create(&st));
    lq_status s = lq__safetensors_parse("parse", "t.safetensors", copy, n, 0, st);
    for (int64_t i = 0; s == LQ_OK && i < lq_safetensors_tensor_count(st); i++) {
        const void *raw;
        uint64_t nb;
        CHECK_OK(lq_safetensors_tensor_raw(st, i, &raw, &nb));
        volatile unsigned char x = 0;
        for (uint64_t k = 0; k < nb; k++)
            x ^= ((const unsigned char *)raw)[k];
        (void)x; /* only read: every byte must be in bounds */
    }
    lq_safetensors_free(st);
    free(copy);
    return s;
}

/* A file from a header text and `data` bytes of data. */
static size_t build(unsigned char *out, const char *header, size_t data)
{
    uint64_t n = strlen(header);
    memcpy(out, &n, 8);
    memcpy(out + 8, header, n);
    memset(out + 8 + n, 0xAB, data);
    return 8 + n + data;
}

#define BAD(header, data, what)                                                           \
    do {                                                                                  \
        static unsigned char f_[4096];                                                    \
        size_t n_ = build(f_, header, data);                                              \
        lq_status st_ = parse_exact(f_, n_);                                              \
        CHECKF(st_ == LQ_ERR_FORMAT && strstr(lq_last_error(), what),                     \
               "wanted a format error about '%s', got %d: %s", what, st_, lq_last_error()); \
    } while (0)

static void hostile_files(void)
{
    static unsigned char f[4096];
    size_t n = build(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    CHECK_OK(parse_exact(f, n));
    for (size_t len = 0; len < n; len++)
        CHECKF(parse_exact(f, len) == LQ_ERR_FORMAT, "prefix %zu", len);
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 9, "at the end belong to no tensor");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "[0, 4) belong to no tensor");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlaps");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "hold 8 bytes, but F32 of that shape needs 12");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "are not inside");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, "are not inside");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, "two integers");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,-8]}}", 8, "two integers");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "dimension 0 is not");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, "dimension 0 is not");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, "at most 8");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "overflows");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[3037000500,3037000500],\"data_offsets\":[0,8]}}", 8, "overflows");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[0,4294967296,4294967296],\"data_offsets\":[0,0]}}", 0, "overflows");
    BAD("{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype");
    BAD("{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype");
    BAD("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "lacks 'dtype'");
    BAD("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "lacks 'shape'");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8, "unknown field 'x'");
    BAD("{\"a\":[]}", 0, "is an array, not an object");
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, "twice");
    BAD("{\"\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "empty");
    BAD("{\"__metadata__\":{\"k\":1}}", 0, "not a string");
    BAD("{\"__metadata__\":[]}", 0, "not an object");
    BAD("{\"__metadata__\":{\"k\":\"a\\u0000b\"}}", 0, "NUL");
    BAD("[]", 0, "does not start with '{'");
    BAD(" {}", 0, "does not start with '{'");
    BAD("{\"a\":}", 0, "JSON");
    BAD("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,1]}}", 1, "whole number of bytes");
    /* fine: trailing spaces, empty tensors at the edges, no tensors at all */
    build(f, "{}      ", 0);
    CHECK_OK(parse_exact(f, 16));
    n = build(f, "{\"e\":{\"dtype\":\"F16\",\"shape\":[0,3],\"data_offsets\":[0,0]},"
                 "\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                 "\"z\":{\"dtype\":\"BOOL\",\"shape\":[0],\"data_offsets\":[2,2]}}", 2);
    CHECK_OK(parse_exact(f, n));
    /* header length: over the limit, past the end */
    uint64_t big = 100000001;
    memcpy(f, &big, 8);
    CHECK_STATUS(parse_exact(f, 64), LQ_ERR_FORMAT);
    CHECK(strstr(lq_last_error(), "over the 100000000-byte limit") != NULL);
    big = 57;
    memcpy(f, &big, 8);
    CHECK_STATUS(parse_exact(f, 64), LQ_ERR_FORMAT);
    CHECK(strstr(lq_last_error(), "runs past the end") != NULL);
    big = UINT64_MAX;
    memcpy(f, &big, 8);
    CHECK_STATUS(parse_exact(f, 64), LQ_ERR_FORMAT);
    /* random corruption of a valid file */
    n = build(f, "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                 "\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I8\",\"shape\":[3,1],\"data_offsets\":[8,11]}}", 11);
    lqt_rng rng = {99};
    static unsigned char m[4096];
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(m, f, n);
        size_t at = (size_t)(lqt_next(&rng) % n);
        m[at] = (unsigned char)lqt_next(&rng);
        lq_status s = parse_exact(m, n);
        CHECK(s == LQ_OK || s == LQ_ERR_FORMAT);
    }
}

static void write_file(const char *path, const char *header, size_t data)
{
    static unsigned char f[4096];
    size_t n = build(f, header, data);
    CHECK(iot_write(path, f, n) == 0);
}

static void hostile_indexes(void)
{
    char *sub = strdup(iot_path(dir, "idx"));
    mkdir(sub, 0755);
    write_file(iot_path(sub, "s1.safetensors"),
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"a2\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12);
    write_file(iot_path(sub, "s2.safetensors"),
               "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    write_file(iot_path(dir, "outside.safetensors"),
               "{\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    const char *ip = iot_path(sub, "model.safetensors.index.json");
#define ALL "\"a\":\"s1.safetensors\",\"a2\":\"s1.safetensors\",\"b\":\"s2.safetensors\""
    static const struct {
        const char *json;
        lq_status want;
        const char *what;
    } cases[] = {
        {"{\"weight_map\":{" ALL "}}", LQ_OK, ""},
        {"{\"metadata\":{\"total_size\":16},\"weight_map\":{\"b\":\"s2.safetensors\","
         "\"a2\":\"s1.safetensors\",\"a\":\"s1.safetensors\"}}", LQ_OK, ""},
        {"{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}", LQ_ERR_FORMAT,
         "tensor 'a2' of shard s1.safetensors is missing from weight_map"},
        {"{\"weight_map\":{" ALL ",\"x\":\"s1.safetensors\"}}", LQ_ERR_FORMAT,
         "'x' is in s1.safetensors, but it is in no shard"},
        {"{\"weight_map\":{\"a\":\"s2.safetensors\",\"a2\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}",
         LQ_ERR_FORMAT, "'a' is in s2.safetensors, but it is elsewhere"},
        {"{\"weight_map\":{\"a\":\"s1.safetensors\",\"a2\":\"s1.safetensors\",\"b\":\"s1.safetensors\"}}",
         LQ_ERR_FORMAT, "'b' is in s1.safetensors, but it is in no shard"},
        {"{\"weight_map\":{" ALL ",\"c\":\"../outside.safetensors\"}}", LQ_ERR_FORMAT,
         "does not name a file in the same folder"},
        {"{\"weight_map\":{\"a\":\"/etc/passwd\"}}", LQ_ERR_FORMAT, "same folder"},
        {"{\"weight_map\":{\"a\":\"..\"}}", LQ_ERR_FORMAT, "same folder"},
        {"{\"weight_map\":{\"a\":\"missing.safetensors\"}}", LQ_ERR_IO, "missing.safetensors"},
        {"{\"weight_map\":[]}", LQ_ERR_FORMAT, "not an object"},
        {"{\"other\":{}}", LQ_ERR_FORMAT, "no 'weight_map'"},
        {"{\"weight_map\":{\"a\":1}}", LQ_ERR_FORMAT, "same folder"},
        {"{\"weight_map\":{\"a\":\"s1.safetensors\",", LQ_ERR_FORMAT, "JSON"},
        {"{\"weight_map\":{}}", LQ_OK, ""},
    };
#undef ALL
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        CHECK(iot_write(ip, cases[i].json, strlen(cases[i].json)) == 0);
        lq_safetensors *st = NULL;
        lq_status s = lq_safetensors_open(ip, &st);
        CHECKF(s == cases[i].want && strstr(lq_last_error(), cases[i].what),
               "case %zu: got %d (%s), wanted %d about '%s'", i, s, lq_last_error(),
               cases[i].want, cases[i].what);
        if (s == LQ_OK && i < 2)
            CHECK(lq_safetensors_tensor_count(st) == 3 && lq_safetensors_find_tensor(st, "b") >= 0);
        lq_safetensors_free(st);
    }
    /* the same tensor in two shards */
    write_file(iot_path(sub, "s3.safetensors"),
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    const char *two = "{\"weight_map\":{\"a\":\"s1.safetensors\",\"a2\":\"s1.safetensors\",\"x\":\"s3.safetensors\"}}";
    CHECK(iot_write(ip, two, strlen(two)) == 0);
    lq_safetensors *st = NULL;
    CHECK_STATUS(lq_safetensors_open(ip, &st), LQ_ERR_FORMAT);
    CHECK(strstr(lq_last_error(), "s3.safetensors: tensor 'a' appears twice") != NULL);
    /* a folder with neither file */
    mkdir(iot_path(dir, "emptydir"), 0755);
    CHECK_STATUS(lq_safetensors_open(iot_path(dir, "emptydir"), &st), LQ_ERR_IO);
    CHECK(strstr(lq_last_error(), "neither") != NULL);
    free(sub);
}

static int cancel_late(void *user, const char *stage, double f)
{
    (void)user;
    (void)stage;
    return f > 0.9;
}

static void failed_writes_leave_nothing(void)
{
    lq_safetensors *st = make_set();
    CHECK_STATUS(lq_safetensors_save(NULL, st, iot_path(dir, "nope/x.safetensors"), 0), LQ_ERR_IO);
    char *sub = strdup(iot_path(dir, "cancelled"));
    mkdir(sub, 0755);
    lq_ctx *ctx = NULL;
    CHECK_OK(lq_ctx_create(&ctx));
    CHECK_OK(lq_ctx_set_progress(ctx, cancel_late, NULL));
    /* cancelled while writing the last shard: the earlier, complete shards
     * must not appear either */
    CHECK_STATUS(lq_safetensors_save(ctx, st, iot_path(sub, "model.safetensors"), 200),
                 LQ_ERR_CANCELLED);
    CHECK(iot_count_entries(sub) == 0);
    CHECK_STATUS(lq_safetensors_save(ctx, st, iot_path(sub, "model.safetensors"), 0),
                 LQ_ERR_CANCELLED);
    CHECK(iot_count_entries(sub) == 0);
    /* the index name is taken by a folder: every shard was renamed before the
     * rename of the index failed, and they are taken back */
    mkdir(iot_path(sub, "model.safetensors.index.json"), 0755);
    CHECK_STATUS(lq_safetensors_save(NULL, st, iot_path(sub, "model.safetensors"), 200), LQ_ERR_IO);
    CHECK(iot_count_entries(sub) == 1);
    lq_ctx_free(ctx);
    free(sub);
    lq_safetensors_free(st);
}

/* Deferred tensors: their bytes come from make() when the writer reaches
 * them, one at a time, sharded or not; a failing make() leaves no file. */
typedef struct {
    const lq_safetensors *from; /* the bytes to hand out */
    int calls, fail_at;
} maker;

static lq_status make_from(void *user, int64_t arg, const char *name, uint64_t nbytes,
                           const uint8_t **data)
{
    maker *m = user;
    const void *p;
    uint64_t n;
    m->calls++;
    if (m->calls == m->fail_at)
        return lq__fail(LQ_ERR_NOMEM, "make: out of memory (on purpose)");
    CHECK(lq_safetensors_find_tensor(m->from, name) == arg);
    CHECK_OK(lq_safetensors_tensor_raw(m->from, arg, &p, &n));
    CHECK(n == nbytes);
    *data = p;
    return LQ_OK;
}

static void deferred_tensors(void)
{
    lq_safetensors *st = make_set(), *d = NULL, *r = NULL;
    maker m = {st, 0, 0};
    CHECK_OK(lq_safetensors_create(&d));
    for (int64_t k = 0; k < lq_safetensors_meta_count(st); k++) {
        const char *key = lq_safetensors_meta_key(st, k);
        CHECK_OK(lq_safetensors_meta_set(d, key, lq_safetensors_meta_get(st, key)));
    }
    int64_t n = lq_safetensors_tensor_count(st);
    for (int64_t i = 0; i < n; i++) {
        int64_t dims[LQ_SAFETENSORS_MAX_DIMS];
        int nd = lq_safetensors_tensor_ndim(st, i);
        for (int k = 0; k < nd; k++)
            dims[k] = lq_safetensors_tensor_dim(st, i, k);
        CHECK_OK(lq__safetensors_add_deferred(d, lq_safetensors_tensor_name(st, i),
                                              lq_safetensors_tensor_dtype(st, i), nd, dims,
                                              lq_safetensors_tensor_nbytes(st, i), make_from, &m,
                                              i));
    }
    /* checked as any added tensor */
    int64_t one = 1;
    CHECK_STATUS(lq__safetensors_add_deferred(d, lq_safetensors_tensor_name(st, 0), "F32", 1,
                                              &one, 4, make_from, &m, 0), LQ_ERR_INVALID);
    CHECK_STATUS(lq__safetensors_add_deferred(d, "x", "F32", 1, &one, 8, make_from, &m, 0),
                 LQ_ERR_SHAPE);
    CHECK_STATUS(lq__safetensors_add_deferred(d, "x", "F32", 1, &one, 4, NULL, &m, 0),
                 LQ_ERR_INVALID);
    /* no bytes before they are written */
    const void *p;
    uint64_t nb;
    CHECK_STATUS(lq_safetensors_tensor_raw(d, 0, &p, &nb), LQ_ERR_UNSUPPORTED);
    const char *subs[3] = {"deferred-sharded", "deferred-one", "deferred-failed"};
    for (int k = 0; k < 3; k++)
        mkdir(iot_path(dir, subs[k]), 0755);
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", iot_path(dir, subs[0]));
    CHECK_OK(lq_safetensors_save(NULL, d, path, 200));
    CHECK(m.calls == n);
    CHECK_OK(lq_safetensors_open(iot_path(dir, subs[0]), &r));
    check_same(st, r);
    lq_safetensors_free(r);
    snprintf(path, sizeof path, "%s/model.safetensors", iot_path(dir, subs[1]));
    CHECK_OK(lq_safetensors_save(NULL, d, path, 0));
    CHECK_OK(lq_safetensors_open(path, &r));
    check_same(st, r);
    lq_safetensors_free(r);
    m.calls = 0;
    m.fail_at = (int)n; /* the last tensor: earlier shards were complete */
    snprintf(path, sizeof path, "%s/model.safetensors", iot_path(dir, subs[2]));
    CHECK_STATUS(lq_safetensors_save(NULL, d, path, 200), LQ_ERR_NOMEM);
    CHECK(strstr(lq_last_error(), "on purpose") != NULL);
    CHECK(iot_count_entries(iot_path(dir, subs[2])) == 0);
    lq_safetensors_free(d);
    lq_safetensors_free(st);
}

static void setup(void) { CHECK((dir = iot_mkdtemp()) != NULL); }
static void teardown(void) { iot_rmdir(dir); }

LQT_MAIN(setup, single_file_round_trip, adding_is_checked, sharded_round_trip, hostile_files,
         hostile_indexes, failed_writes_leave_nothing, deferred_tensors, teardown)
