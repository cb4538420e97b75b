/* test_gguf.c — GGUF through the public API: metadata of every type, tensors
 * of every plain and ggml type, alignment, byte-identical read-modify-write,
 * the streaming writer, and writes that fail leaving nothing behind. */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "../harness.h"
#include "io_util.h"

static char *dir;

static void fill(void *p, size_t n, unsigned long long seed)
{
    lqt_rng r = {seed | 1};
    for (size_t i = 0; i < n; i++)
        ((unsigned char *)p)[i] = (unsigned char)lqt_next(&r);
}

static void set_all_types(lq_gguf *g)
{
    CHECK_OK(lq_gguf_set_string(g, "general.architecture", "llama"));
    CHECK_OK(lq_gguf_set_u8(g, "t.u8", 250));
    CHECK_OK(lq_gguf_set_i8(g, "t.i8", -120));
    CHECK_OK(lq_gguf_set_u16(g, "t.u16", 65000));
    CHECK_OK(lq_gguf_set_i16(g, "t.i16", -32000));
    CHECK_OK(lq_gguf_set_u32(g, "t.u32", 4000000000u));
    CHECK_OK(lq_gguf_set_i32(g, "t.i32", -2000000000));
    CHECK_OK(lq_gguf_set_u64(g, "t.u64", 18000000000000000000ull));
    CHECK_OK(lq_gguf_set_i64(g, "t.i64", INT64_MIN));
    CHECK_OK(lq_gguf_set_f32(g, "t.f32", 1e-5f));
    CHECK_OK(lq_gguf_set_f64(g, "t.f64", -3.141592653589793));
    CHECK_OK(lq_gguf_set_bool(g, "t.bool", 7));
    CHECK_OK(lq_gguf_set_string(g, "t.string", "h\xc3\xa9llo \xe2\x96\x81 world"));
    CHECK_OK(lq_gguf_set_string(g, "t.empty", ""));
    const float fa[3] = {1.5f, -2.0f, 1e30f};
    const int32_t ia[4] = {-1, 0, 1, INT32_MAX};
    const uint8_t ba[3] = {1, 0, 1};
    const uint64_t ua[2] = {0, UINT64_MAX};
    const int16_t sa[1] = {-7};
    const double da[2] = {0.25, -1e300};
    CHECK_OK(lq_gguf_set_array(g, "a.f32", LQ_GGUF_TYPE_F32, fa, 3));
    CHECK_OK(lq_gguf_set_array(g, "a.i32", LQ_GGUF_TYPE_I32, ia, 4));
    CHECK_OK(lq_gguf_set_array(g, "a.bool", LQ_GGUF_TYPE_BOOL, ba, 3));
    CHECK_OK(lq_gguf_set_array(g, "a.u64", LQ_GGUF_TYPE_U64, ua, 2));
    CHECK_OK(lq_gguf_set_array(g, "a.i16", LQ_GGUF_TYPE_I16, sa, 1));
    CHECK_OK(lq_gguf_set_array(g, "a.f64", LQ_GGUF_TYPE_F64, da, 2));
    CHECK_OK(lq_gguf_set_array(g, "a.empty", LQ_GGUF_TYPE_U8, NULL, 0));
    const char *toks[4] = {"<s>", "", "\xe2\x96\x81the", "</s>"};
    CHECK_OK(lq_gguf_set_array_strings(g, "a.str", toks, 4));
}

static void check_all_types(const lq_gguf *g)
{
    uint8_t u8; int8_t i8; uint16_t u16; int16_t i16; uint32_t u32; int32_t i32;
    uint64_t u64; int64_t i64; float f32; double f64; int b;
    const char *s; size_t len;
    CHECK_OK(lq_gguf_get_u8(g, "t.u8", &u8)); CHECK(u8 == 250);
    CHECK_OK(lq_gguf_get_i8(g, "t.i8", &i8)); CHECK(i8 == -120);
    CHECK_OK(lq_gguf_get_u16(g, "t.u16", &u16)); CHECK(u16 == 65000);
    CHECK_OK(lq_gguf_get_i16(g, "t.i16", &i16)); CHECK(i16 == -32000);
    CHECK_OK(lq_gguf_get_u32(g, "t.u32", &u32)); CHECK(u32 == 4000000000u);
    CHECK_OK(lq_gguf_get_i32(g, "t.i32", &i32)); CHECK(i32 == -2000000000);
    CHECK_OK(lq_gguf_get_u64(g, "t.u64", &u64)); CHECK(u64 == 18000000000000000000ull);
    CHECK_OK(lq_gguf_get_i64(g, "t.i64", &i64)); CHECK(i64 == INT64_MIN);
    CHECK_OK(lq_gguf_get_f32(g, "t.f32", &f32)); CHECK(f32 == 1e-5f);
    CHECK_OK(lq_gguf_get_f64(g, "t.f64", &f64)); CHECK(f64 == -3.141592653589793);
    CHECK_OK(lq_gguf_get_bool(g, "t.bool", &b)); CHECK(b == 1);
    CHECK_OK(lq_gguf_get_string(g, "t.string", &s, &len));
    CHECK(len == 16 && strcmp(s, "h\xc3\xa9llo \xe2\x96\x81 world") == 0);
    CHECK_OK(lq_gguf_get_string(g, "t.empty", &s, &len)); CHECK(len == 0 && *s == 0);
    /* any integer as int64 */
    CHECK_OK(lq_gguf_get_int(g, "t.u32", &i64)); CHECK(i64 == 4000000000ll);
    CHECK_OK(lq_gguf_get_int(g, "t.i8", &i64)); CHECK(i64 == -120);
    CHECK_STATUS(lq_gguf_get_int(g, "t.u64", &i64), LQ_ERR_FORMAT);
    CHECK_STATUS(lq_gguf_get_int(g, "t.f32", &i64), LQ_ERR_FORMAT);
    /* exact types only, absent keys */
    CHECK_STATUS(lq_gguf_get_u32(g, "t.i32", &u32), LQ_ERR_FORMAT);
    CHECK(strstr(lq_last_error(), "holds a i32") != NULL);
    CHECK_STATUS(lq_gguf_get_u32(g, "no.such.key", &u32), LQ_ERR_INVALID);
    CHECK(strstr(lq_last_error(), "no.such.key") != NULL);
    CHECK_STATUS(lq_gguf_get_u32(g, NULL, &u32), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_get_u32(g, "t.u32", NULL), LQ_ERR_INVALID);
    /* arrays */
    int et; uint64_t n; const void *d;
    CHECK_OK(lq_gguf_get_array(g, "a.f32", &et, &n)); CHECK(et == LQ_GGUF_TYPE_F32 && n == 3);
    CHECK_OK(lq_gguf_get_array_data(g, "a.f32", LQ_GGUF_TYPE_F32, &d, &n));
    CHECK(n == 3 && ((const float *)d)[2] == 1e30f && ((uintptr_t)d & 3) == 0);
    CHECK_OK(lq_gguf_get_array_data(g, "a.i32", LQ_GGUF_TYPE_I32, &d, &n));
    CHECK(n == 4 && ((const int32_t *)d)[3] == INT32_MAX);
    CHECK_OK(lq_gguf_get_array_data(g, "a.bool", LQ_GGUF_TYPE_BOOL, &d, &n));
    CHECK(n == 3 && ((const uint8_t *)d)[0] == 1 && ((const uint8_t *)d)[1] == 0);
    CHECK_OK(lq_gguf_get_array_data(g, "a.u64", LQ_GGUF_TYPE_U64, &d, &n));
    CHECK(n == 2 && ((const uint64_t *)d)[1] == UINT64_MAX);
    CHECK_OK(lq_gguf_get_array_data(g, "a.i16", LQ_GGUF_TYPE_I16, &d, &n));
    CHECK(n == 1 && ((const int16_t *)d)[0] == -7);
    CHECK_OK(lq_gguf_get_array_data(g, "a.f64", LQ_GGUF_TYPE_F64, &d, &n));
    CHECK(n == 2 && ((const double *)d)[1] == -1e300);
    CHECK_OK(lq_gguf_get_array_data(g, "a.empty", LQ_GGUF_TYPE_U8, &d, &n)); CHECK(n == 0);
    CHECK_STATUS(lq_gguf_get_array_data(g, "a.f32", LQ_GGUF_TYPE_I32, &d, &n), LQ_ERR_FORMAT);
    CHECK_STATUS(lq_gguf_get_array_data(g, "a.str", LQ_GGUF_TYPE_STRING, &d, &n), LQ_ERR_FORMAT);
    CHECK_STATUS(lq_gguf_get_array(g, "t.u8", &et, &n), LQ_ERR_FORMAT);
    CHECK_OK(lq_gguf_get_array(g, "a.str", &et, &n)); CHECK(et == LQ_GGUF_TYPE_STRING && n == 4);
    CHECK_OK(lq_gguf_get_array_string(g, "a.str", 2, &s, &len));
    CHECK(len == 6 && strcmp(s, "\xe2\x96\x81the") == 0);
    CHECK_OK(lq_gguf_get_array_string(g, "a.str", 1, &s, &len)); CHECK(len == 0);
    CHECK_OK(lq_gguf_get_array_string(g, "a.str", 3, &s, NULL)); CHECK(!strcmp(s, "</s>"));
    CHECK_STATUS(lq_gguf_get_array_string(g, "a.str", 4, &s, &len), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_get_array_string(g, "a.f32", 0, &s, &len), LQ_ERR_FORMAT);
}

static void metadata_round_trip(void)
{
    lq_gguf *g = NULL, *r = NULL;
    CHECK_OK(lq_gguf_create(&g));
    set_all_types(g);
    check_all_types(g);
    const char *arch;
    CHECK_OK(lq_gguf_get_string(g, "general.architecture", &arch, NULL));
    CHECK(strcmp(arch, "llama") == 0);
    int64_t n = lq_gguf_kv_count(g);
    CHECK(n == 22);
    /* replacing keeps the position; the type may change */
    int64_t pos = lq_gguf_find_key(g, "t.u16");
    CHECK_OK(lq_gguf_set_string(g, "t.u16", "now a string"));
    CHECK(lq_gguf_find_key(g, "t.u16") == pos && lq_gguf_kv_count(g) == n);
    CHECK(lq_gguf_kv_type(g, pos) == LQ_GGUF_TYPE_STRING);
    CHECK_OK(lq_gguf_set_u16(g, "t.u16", 65000));
    CHECK(lq_gguf_kv_type(g, pos) == LQ_GGUF_TYPE_U16);
    /* remove and re-add moves to the end */
    CHECK_OK(lq_gguf_remove_key(g, "t.i8"));
    CHECK_OK(lq_gguf_remove_key(g, "t.i8")); /* absent: fine */
    CHECK(lq_gguf_find_key(g, "t.i8") == -1 && lq_gguf_kv_count(g) == n - 1);
    CHECK(lq_gguf_find_key(g, "t.u16") == pos - 1); /* the index was rebuilt */
    CHECK_OK(lq_gguf_set_i8(g, "t.i8", -120));
    CHECK(lq_gguf_find_key(g, "t.i8") == n - 1);
    CHECK(strcmp(lq_gguf_kv_key(g, n - 1), "t.i8") == 0);
    CHECK(lq_gguf_kv_key(g, n) == NULL && lq_gguf_kv_type(g, -1) == -1);
    /* bad arguments */
    CHECK_STATUS(lq_gguf_set_u8(g, "", 1), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_set_string(g, "k", NULL), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_set_array(g, "k", LQ_GGUF_TYPE_STRING, "x", 1), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_set_array(g, "k", 13, "x", 1), LQ_ERR_INVALID);
    const uint8_t bad_bool = 2;
    CHECK_STATUS(lq_gguf_set_array(g, "k", LQ_GGUF_TYPE_BOOL, &bad_bool, 1), LQ_ERR_INVALID);
    CHECK(lq_gguf_find_key(g, "k") == -1);

    CHECK_OK(lq_gguf_save(NULL, g, iot_path(dir, "meta.gguf")));
    CHECK_OK(lq_gguf_open(iot_path(dir, "meta.gguf"), &r));
    CHECK(lq_gguf_kv_count(r) == lq_gguf_kv_count(g));
    for (int64_t i = 0; i < lq_gguf_kv_count(g); i++)
        CHECK(strcmp(lq_gguf_kv_key(r, i), lq_gguf_kv_key(g, i)) == 0 &&
              lq_gguf_kv_type(r, i) == lq_gguf_kv_type(g, i));
    check_all_types(r);
    CHECK(lq_gguf_tensor_count(r) == 0);

    /* copy every entry into a new handle: same file */
    lq_gguf *c = NULL;
    CHECK_OK(lq_gguf_create(&c));
    for (int64_t i = 0; i < lq_gguf_kv_count(r); i++)
        CHECK_OK(lq_gguf_copy_kv(c, r, lq_gguf_kv_key(r, i)));
    CHECK_STATUS(lq_gguf_copy_kv(c, r, "absent"), LQ_ERR_INVALID);
    check_all_types(c);
    CHECK_OK(lq_gguf_save(NULL, c, iot_path(dir, "meta2.gguf")));
    size_t na, nb;
    unsigned char *a = iot_read(iot_path(dir, "meta.gguf"), &na);
    unsigned char *b2 = iot_read(iot_path(dir, "meta2.gguf"), &nb);
    CHECK(a && b2 && na == nb && memcmp(a, b2, na) == 0);
    free(a);
    free(b2);
    lq_gguf_free(c);
    lq_gguf_free(r);
    lq_gguf_free(g);
}

/* Every ggml type id GGUF defines, and (for the first plain ones) the
 * lq_type it maps to. */
static const int ggml_ids[] = {0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
                               20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 34, 35, 39, 40, 41, 42};
static const int block_elems[] = {1, 1, 32, 32, 32, 32, 32, 32, 256, 256, 256, 256, 256, 256,
                                  256, 256, 256, 256, 32, 256, 256, 256, 1, 1, 1, 1, 1, 256,
                                  1, 256, 256, 32, 64, 128, 64};
static const int block_bytes[] = {4, 2, 18, 20, 22, 24, 34, 36, 84, 110, 144, 176, 210, 292,
                                  66, 74, 98, 50, 18, 110, 82, 136, 1, 2, 4, 8, 8, 56, 2, 54,
                                  66, 17, 36, 18, 18};
#define N_IDS (int)(sizeof ggml_ids / sizeof *ggml_ids)

static lq_type lq_type_of_ggml(int id)
{
    for (lq_type t = 0; t < LQ_TYPE_COUNT_; t++)
        if (lq_type_name(t) && lq_type_ggml_id(t) == id)
            return t;
    return -1;
}

static void tensors_of_every_type(void)
{
    lq_gguf *g = NULL, *r = NULL;
    CHECK_OK(lq_gguf_create(&g));
    CHECK_OK(lq_gguf_set_string(g, "general.architecture", "test"));
    unsigned char *bytes[N_IDS];
    size_t sizes[N_IDS];
    char name[32];
    for (int i = 0; i < N_IDS; i++) {
        int64_t shape[3] = {2, 3, 2 * block_elems[i]};
        sizes[i] = (size_t)(2 * 3 * 2) * (size_t)block_bytes[i];
        bytes[i] = malloc(sizes[i]);
        fill(bytes[i], sizes[i], (unsigned long long)i + 5);
        snprintf(name, sizeof name, "blk.%d.weight", ggml_ids[i]);
        CHECK_OK(lq_gguf_add_tensor_raw(g, name, ggml_ids[i], 3, shape, bytes[i], sizes[i],
                                        LQ_BORROW));
        /* a wrong size or a row that is not whole blocks */
        CHECK_STATUS(lq_gguf_add_tensor_raw(g, "x", ggml_ids[i], 3, shape, bytes[i], sizes[i] - 1,
                                            LQ_BORROW), LQ_ERR_SHAPE);
        if (block_elems[i] > 1) {
            int64_t odd[2] = {2, block_elems[i] + 1};
            CHECK_STATUS(lq_gguf_add_tensor_raw(g, "x", ggml_ids[i], 2, odd, bytes[i], sizes[i],
                                                LQ_BORROW), LQ_ERR_SHAPE);
        }
    }
    CHECK(lq_gguf_find_tensor(g, "x") == -1 && lq_gguf_tensor_count(g) == N_IDS);
    int64_t s1[1] = {1};
    CHECK_STATUS(lq_gguf_add_tensor_raw(g, "removed", 4, 1, s1, "x", 1, LQ_BORROW), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_add_tensor_raw(g, "future", 43, 1, s1, "x", 1, LQ_BORROW), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_add_tensor_raw(g, "blk.0.weight", 0, 1, s1, "xxxx", 4, LQ_BORROW),
                 LQ_ERR_INVALID); /* duplicate */
    CHECK_STATUS(lq_gguf_add_tensor_raw(g, "a234567890123456789012345678901234567890123456789012345678901234",
                                        0, 1, s1, "xxxx", 4, LQ_BORROW), LQ_ERR_INVALID);
    CHECK_OK(lq_gguf_save(NULL, g, iot_path(dir, "types.gguf")));
    CHECK_OK(lq_gguf_open(iot_path(dir, "types.gguf"), &r));
    CHECK(lq_gguf_tensor_count(r) == N_IDS);
    int decoded = 0;
    for (int i = 0; i < N_IDS; i++) {
        snprintf(name, sizeof name, "blk.%d.weight", ggml_ids[i]);
        int64_t k = lq_gguf_find_tensor(r, name);
        CHECK(k == i);
        CHECK(lq_gguf_tensor_ggml_type(r, k) == ggml_ids[i] && lq_gguf_tensor_ndim(r, k) == 3);
        CHECK(lq_gguf_tensor_dim(r, k, 0) == 2 && lq_gguf_tensor_dim(r, k, 1) == 3 &&
              lq_gguf_tensor_dim(r, k, 2) == 2 * block_elems[i] && lq_gguf_tensor_dim(r, k, 3) == 0);
        CHECK(lq_gguf_tensor_nbytes(r, k) == sizes[i]);
        CHECK(lq_gguf_tensor_offset(r, k) % 32 == 0);
        const void *raw;
        uint64_t n;
        CHECK_OK(lq_gguf_tensor_raw(r, k, &raw, &n));
        CHECK(n == sizes[i] && memcmp(raw, bytes[i], n) == 0);
        lq_tensor *t = NULL;
        lq_status st = lq_gguf_get_tensor(r, k, &t);
        lq_type want = lq_type_of_ggml(ggml_ids[i]);
        if (want < 0) {
            CHECKF(st == LQ_ERR_UNSUPPORTED, "ggml type %d: status %d", ggml_ids[i], st);
        } else if (st == LQ_OK) {
            decoded++;
            CHECK(lq_tensor_type(t) == want && lq_tensor_data(t) == raw);
            CHECK(lq_tensor_ndim(t) == 3 && lq_tensor_dim(t, 2) == 2 * block_elems[i]);
            CHECK(lq_tensor_nbytes(t) == sizes[i] && !strcmp(lq_tensor_name(t), name));
            CHECK((lq_tensor_scheme(t) != NULL) == (lq_type_is_quantized(want) != 0));
        } else {
            /* a known type whose codec this build does not have yet */
            CHECKF(st == LQ_ERR_UNSUPPORTED && lq_type_is_quantized(want),
                   "ggml type %d: status %d: %s", ggml_ids[i], st, lq_last_error());
        }
        lq_tensor_free(t);
    }
    printf("# %d of %d ggml types come as lq_tensors in this build, the rest raw only\n",
           decoded, N_IDS);
    lq_gguf_free(r);
    lq_gguf_free(g);
    for (int i = 0; i < N_IDS; i++)
        free(bytes[i]);
}

static void tensors_from_lq_tensors(void)
{
    static const lq_type plain[] = {LQ_TYPE_F32, LQ_TYPE_F16, LQ_TYPE_BF16, LQ_TYPE_F64,
                                    LQ_TYPE_I8,  LQ_TYPE_I16, LQ_TYPE_I32,  LQ_TYPE_I64};
    lq_gguf *g = NULL, *r = NULL;
    lq_tensor *ts[8];
    CHECK_OK(lq_gguf_create(&g));
    for (int i = 0; i < 8; i++) {
        int64_t shape[2] = {3, 5 + i};
        char name[16];
        snprintf(name, sizeof name, "w%d", i);
        CHECK_OK(lq_tensor_create(plain[i], 2, shape, name, &ts[i]));
        fill(lq_tensor_data_mut(ts[i]), lq_tensor_nbytes(ts[i]), 100 + (unsigned)i);
        CHECK_OK(lq_gguf_add_tensor(g, ts[i], i % 2 ? LQ_COPY : LQ_BORROW));
    }
    lq_tensor *u8 = NULL;
    int64_t s2[2] = {2, 2};
    CHECK_OK(lq_tensor_create(LQ_TYPE_U8, 2, s2, "u8", &u8));
    CHECK_STATUS(lq_gguf_add_tensor(g, u8, LQ_BORROW), LQ_ERR_UNSUPPORTED);
    CHECK(strstr(lq_last_error(), "u8") != NULL);
    lq_tensor_free(u8);
    CHECK_STATUS(lq_gguf_add_tensor(g, ts[0], 9), LQ_ERR_INVALID);
    CHECK_OK(lq_gguf_save(NULL, g, iot_path(dir, "plain.gguf")));
    /* LQ_COPY tensors do not need their source any more */
    CHECK_OK(lq_gguf_open(iot_path(dir, "plain.gguf"), &r));
    for (int i = 0; i < 8; i++) {
        lq_tensor *t = NULL;
        CHECK_OK(lq_gguf_get_tensor(r, i, &t));
        CHECK(lq_tensor_type(t) == plain[i] && lq_tensor_ndim(t) == 2);
        CHECK(lq_tensor_dim(t, 0) == 3 && lq_tensor_dim(t, 1) == 5 + i);
        CHECK(lq_tensor_nbytes(t) == lq_tensor_nbytes(ts[i]));
        CHECK(memcmp(lq_tensor_data(t), lq_tensor_data(ts[i]), lq_tensor_nbytes(t)) == 0);
        lq_tensor_free(t);
    }
    lq_tensor *t = (lq_tensor *)1;
    CHECK_STATUS(lq_gguf_get_tensor(r, 8, &t), LQ_ERR_INVALID);
    CHECK(t == NULL);
    CHECK(lq_gguf_tensor_name(r, 8) == NULL && lq_gguf_tensor_ggml_type(r, -1) == -1);
    /* quantized non-ggml types are refused with a clear message */
    lq_scheme *s = NULL;
    lq_tensor *q = NULL;
    int64_t s3[2] = {4, 128};
    lq_tensor *src = NULL;
    CHECK_OK(lq_tensor_create(LQ_TYPE_F32, 2, s3, "q", &src));
    if (lq_scheme_parse("int4:g128", &s) == LQ_OK && lq_quantize(NULL, src, s, NULL, NULL, &q) == LQ_OK) {
        CHECK_STATUS(lq_gguf_add_tensor(g, q, LQ_BORROW), LQ_ERR_UNSUPPORTED);
        CHECK(strstr(lq_last_error(), "int4") != NULL);
    }
    lq_tensor_free(q);
    lq_tensor_free(src);
    lq_scheme_free(s);
    lq_gguf_free(r);
    lq_gguf_free(g);
    for (int i = 0; i < 8; i++)
        lq_tensor_free(ts[i]);
}

/* Check the layout of a saved file from its bytes: the data section and
 * every tensor start at a multiple of `align`, and padding is zeros. */
static void check_layout(const char *path, uint64_t align)
{
    lq_gguf *r = NULL;
    CHECK_OK(lq_gguf_open(path, &r));
    size_t n;
    unsigned char *bytes = iot_read(path, &n);
    uint64_t data = lq_gguf_data_offset(r);
    CHECK(data % align == 0 && data <= n);
    uint64_t end = data;
    for (int64_t i = 0; i < lq_gguf_tensor_count(r); i++) {
        uint64_t off = lq_gguf_tensor_offset(r, i);
        CHECKF(off % align == 0, "tensor %lld offset %llu, alignment %llu", (long long)i,
               (unsigned long long)off, (unsigned long long)align);
        for (uint64_t p = end; p < data + off; p++)
            CHECK(bytes[p] == 0);
        end = data + off + lq_gguf_tensor_nbytes(r, i);
    }
    /* the last tensor is padded too */
    CHECK(n == (end - data + align - 1) / align * align + data || lq_gguf_tensor_count(r) == 0);
    for (uint64_t p = end; p < n; p++)
        CHECK(bytes[p] == 0);
    free(bytes);
    lq_gguf_free(r);
}

static void alignment(void)
{
    static const uint32_t aligns[] = {32, 1, 8, 64, 4096};
    for (int a = 0; a < 5; a++) {
        lq_gguf *g = NULL;
        CHECK_OK(lq_gguf_create(&g));
        if (a > 0)
            CHECK_OK(lq_gguf_set_u32(g, "general.alignment", aligns[a]));
        unsigned char data[100];
        fill(data, sizeof data, 9);
        for (int i = 0; i < 4; i++) {
            int64_t shape[1] = {13 + 7 * i};
            char name[8];
            snprintf(name, sizeof name, "t%d", i);
            CHECK_OK(lq_gguf_add_tensor_raw(g, name, 24 /* i8 */, 1, shape, data,
                                            (uint64_t)shape[0], LQ_BORROW));
            CHECK(lq_gguf_tensor_offset(g, i) % aligns[a] == 0);
        }
        const char *p = iot_path(dir, "align.gguf");
        CHECK_OK(lq_gguf_save(NULL, g, p));
        check_layout(p, aligns[a]);
        lq_gguf_free(g);
    }
    /* changing the alignment after adding tensors moves them */
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_create(&g));
    int64_t shape[1] = {10};
    CHECK_OK(lq_gguf_add_tensor_raw(g, "a", 24, 1, shape, "0123456789", 10, LQ_BORROW));
    CHECK_OK(lq_gguf_add_tensor_raw(g, "b", 24, 1, shape, "0123456789", 10, LQ_BORROW));
    CHECK(lq_gguf_tensor_offset(g, 1) == 32);
    CHECK_OK(lq_gguf_set_u32(g, "general.alignment", 16));
    CHECK(lq_gguf_tensor_offset(g, 1) == 16);
    CHECK_OK(lq_gguf_remove_key(g, "general.alignment"));
    CHECK(lq_gguf_tensor_offset(g, 1) == 32);
    CHECK_STATUS(lq_gguf_set_u32(g, "general.alignment", 48), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_set_u32(g, "general.alignment", 0), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_set_u64(g, "general.alignment", 64), LQ_ERR_INVALID);
    CHECK(lq_gguf_find_key(g, "general.alignment") == -1);
    lq_gguf_free(g);
}

/* A file is saved back byte for byte, nested arrays included; then a change
 * shows up and the rest stays. */
static void read_modify_write(void)
{
    lq_gguf *g = NULL, *r = NULL, *r2 = NULL;
    CHECK_OK(lq_gguf_create(&g));
    set_all_types(g);
    CHECK_OK(lq_gguf_set_u32(g, "general.alignment", 64));
    unsigned char data[3000];
    fill(data, sizeof data, 77);
    int64_t sh1[2] = {4, 64}, sh2[1] = {33}, sh3[2] = {2, 256};
    CHECK_OK(lq_gguf_add_tensor_raw(g, "token_embd.weight", 8, 2, sh1, data, 4 * 2 * 34, LQ_COPY));
    CHECK_OK(lq_gguf_add_tensor_raw(g, "output_norm.weight", 0, 1, sh2, data, 33 * 4, LQ_COPY));
    CHECK_OK(lq_gguf_add_tensor_raw(g, "blk.0.ffn_up.weight", 12, 2, sh3, data, 2 * 144, LQ_COPY));
    const char *a = iot_path(dir, "rmw_a.gguf"), *b = iot_path(dir, "rmw_b.gguf");
    CHECK_OK(lq_gguf_save(NULL, g, a));
    lq_gguf_free(g);
    CHECK_OK(lq_gguf_open(a, &r));
    CHECK_OK(lq_gguf_save(NULL, r, b));
    size_t na, nb;
    unsigned char *fa = iot_read(a, &na), *fb = iot_read(b, &nb);
    CHECK(fa && fb && na == nb && memcmp(fa, fb, na) == 0);
    free(fb);
    /* modify: one key changes, one is added, a tensor is added */
    CHECK_OK(lq_gguf_set_string(r, "general.architecture", "qwen2"));
    CHECK_OK(lq_gguf_set_u32(r, "general.quantization_version", 2));
    CHECK_OK(lq_gguf_add_tensor_raw(r, "extra", 1, 1, sh2, data, 66, LQ_BORROW));
    CHECK_OK(lq_gguf_save(NULL, r, b));
    CHECK_OK(lq_gguf_open(b, &r2));
    const char *s;
    uint32_t v;
    CHECK_OK(lq_gguf_get_string(r2, "general.architecture", &s, NULL));
    CHECK(strcmp(s, "qwen2") == 0);
    CHECK_OK(lq_gguf_get_u32(r2, "general.quantization_version", &v)); CHECK(v == 2);
    check_all_types(r2);
    CHECK(lq_gguf_tensor_count(r2) == 4);
    const void *p1, *p2;
    uint64_t n1, n2;
    for (int i = 0; i < 3; i++) {
        CHECK_OK(lq_gguf_tensor_raw(r, i, &p1, &n1));
        CHECK_OK(lq_gguf_tensor_raw(r2, i, &p2, &n2));
        CHECK(n1 == n2 && memcmp(p1, p2, n1) == 0);
    }
    check_layout(b, 64);
    lq_gguf_free(r2);
    lq_gguf_free(r);

    /* a hand-made file with an array of arrays of strings and u16 */
    unsigned char f[256];
    size_t k = 0;
#define PUT(p, n) (memcpy(f + k, p, n), k += (n))
#define U32(v) do { uint32_t x_ = (v); PUT(&x_, 4); } while (0)
#define U64(v) do { uint64_t x_ = (v); PUT(&x_, 8); } while (0)
    PUT("GGUF", 4); U32(3); U64(0); U64(1);
    U64(6); PUT("nested", 6); U32(9);          /* key, type array */
    U32(9); U64(2);                             /* of 2 arrays */
    U32(8); U64(2); U64(1); PUT("a", 1); U64(0); /* ["a", ""] */
    U32(2); U64(3); U32(0x00020001); uint16_t last = 3; PUT(&last, 2); /* u16 [1, 2, 3] */
    CHECK(iot_write(a, f, k) == 0);
    CHECK_OK(lq_gguf_open(a, &r));
    int et;
    uint64_t cnt;
    CHECK_OK(lq_gguf_get_array(r, "nested", &et, &cnt));
    CHECK(et == LQ_GGUF_TYPE_ARRAY && cnt == 2);
    const void *d;
    CHECK_STATUS(lq_gguf_get_array_data(r, "nested", LQ_GGUF_TYPE_ARRAY, &d, &cnt), LQ_ERR_FORMAT);
    CHECK_OK(lq_gguf_save(NULL, r, b));
    lq_gguf *c = NULL;
    CHECK_OK(lq_gguf_create(&c));
    CHECK_OK(lq_gguf_copy_kv(c, r, "nested"));
    lq_gguf_free(r);
    fb = iot_read(b, &nb);
    CHECK(fb && nb == k && memcmp(fb, f, k) == 0);
    free(fb);
    CHECK_OK(lq_gguf_save(NULL, c, b));
    fb = iot_read(b, &nb);
    CHECK(fb && nb == k && memcmp(fb, f, k) == 0);
    free(fb);
    lq_gguf_free(c);
    free(fa);
#undef PUT
#undef U32
#undef U64
}

static void streaming_writer(void)
{
    lq_gguf *g = NULL, *r = NULL;
    lq_gguf_writer *w = NULL;
    CHECK_OK(lq_gguf_create(&g));
    CHECK_OK(lq_gguf_set_string(g, "general.architecture", "llama"));
    int64_t sh_a[2] = {3, 64}, sh_b[1] = {5}, sh_e[2] = {0, 32};
    CHECK_OK(lq_gguf_declare_tensor(g, "a", 2 /* q4_0 */, 2, sh_a));
    CHECK_OK(lq_gguf_declare_tensor(g, "empty", 0, 2, sh_e));
    CHECK_OK(lq_gguf_declare_tensor(g, "b", 0, 1, sh_b));
    CHECK(lq_gguf_tensor_nbytes(g, 0) == 3 * 2 * 18);
    const void *raw;
    uint64_t n;
    CHECK_STATUS(lq_gguf_tensor_raw(g, 0, &raw, &n), LQ_ERR_STATE);
    CHECK_STATUS(lq_gguf_save(NULL, g, iot_path(dir, "x.gguf")), LQ_ERR_STATE);
    CHECK(!iot_exists(iot_path(dir, "x.gguf")));
    unsigned char qa[108];
    fill(qa, sizeof qa, 3);
    float fb[5] = {1, 2, 3, 4, 5};
    const char *p = iot_path(dir, "stream.gguf");
    CHECK_OK(lq_gguf_writer_create(g, p, &w));
    CHECK(!iot_exists(p));
    CHECK_OK(lq_gguf_writer_write(w, qa, 50)); /* in pieces */
    CHECK_OK(lq_gguf_writer_write(w, qa + 50, 58));
    lq_tensor *tb = NULL;
    CHECK_OK(lq_tensor_wrap(LQ_TYPE_F32, 1, sh_b, fb, sizeof fb, LQ_BORROW, "b", &tb));
    CHECK_OK(lq_gguf_writer_write_tensor(w, tb)); /* "empty" needed no bytes */
    CHECK_STATUS(lq_gguf_writer_write(w, fb, 1), LQ_ERR_STATE);
    CHECK_OK(lq_gguf_writer_finish(w));
    CHECK_STATUS(lq_gguf_writer_finish(w), LQ_ERR_STATE);
    lq_gguf_writer_free(w);
    CHECK_OK(lq_gguf_open(p, &r));
    CHECK(lq_gguf_tensor_count(r) == 3);
    CHECK_OK(lq_gguf_tensor_raw(r, 0, &raw, &n));
    CHECK(n == 108 && memcmp(raw, qa, 108) == 0);
    CHECK_OK(lq_gguf_tensor_raw(r, 2, &raw, &n));
    CHECK(n == 20 && memcmp(raw, fb, 20) == 0);
    CHECK(lq_gguf_tensor_nbytes(r, 1) == 0 && lq_gguf_tensor_dim(r, 1, 0) == 0);
    check_layout(p, 32);
    lq_gguf_free(r);

    /* misuse abandons the file */
    const char *q = iot_path(dir, "bad.gguf");
    CHECK_OK(lq_gguf_writer_create(g, q, &w));
    CHECK_STATUS(lq_gguf_writer_write(w, qa, 109), LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_writer_write(w, qa, 1), LQ_ERR_STATE);
    CHECK_STATUS(lq_gguf_writer_finish(w), LQ_ERR_STATE);
    lq_gguf_writer_free(w);
    CHECK(!iot_exists(q));
    CHECK_OK(lq_gguf_writer_create(g, q, &w));
    CHECK_STATUS(lq_gguf_writer_write_tensor(w, tb), LQ_ERR_INVALID); /* 'a' comes first */
    CHECK(strstr(lq_last_error(), "'a'") != NULL);
    lq_gguf_writer_free(w);
    CHECK_OK(lq_gguf_writer_create(g, q, &w));
    CHECK_OK(lq_gguf_writer_write(w, qa, 108));
    CHECK_STATUS(lq_gguf_writer_finish(w), LQ_ERR_STATE); /* 'b' is missing */
    CHECK(strstr(lq_last_error(), "'b'") != NULL);
    lq_gguf_writer_free(w);
    CHECK(!iot_exists(q));
    /* abandoned midway: nothing under the final name, no temporary left */
    CHECK_OK(lq_gguf_writer_create(g, q, &w));
    CHECK_OK(lq_gguf_writer_write(w, qa, 108));
    lq_gguf_writer_free(w);
    CHECK(!iot_exists(q));
    lq_tensor_free(tb);
    lq_gguf_free(g);
}

static int cancel_at_half(void *user, const char *stage, double f)
{
    (void)user;
    CHECK(strcmp(stage, "save") == 0);
    return f >= 0.5;
}

static void failed_writes_leave_nothing(void)
{
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_create(&g));
    CHECK_OK(lq_gguf_set_string(g, "general.architecture", "llama"));
    enum { N = 1 << 20 };
    unsigned char *big = calloc(N, 1);
    int64_t shape[1] = {N};
    CHECK_OK(lq_gguf_add_tensor_raw(g, "big", 24, 1, shape, big, N, LQ_BORROW));
    CHECK_OK(lq_gguf_add_tensor_raw(g, "big2", 24, 1, shape, big, N, LQ_BORROW));
    CHECK_STATUS(lq_gguf_save(NULL, g, iot_path(dir, "no/such/folder/m.gguf")), LQ_ERR_IO);
    CHECK(strstr(lq_last_error(), "no/such/folder") != NULL);
    /* a folder that is a file */
    CHECK(iot_write(iot_path(dir, "plainfile"), "x", 1) == 0);
    CHECK_STATUS(lq_gguf_save(NULL, g, iot_path(dir, "plainfile/m.gguf")), LQ_ERR_IO);
    /* the final name is a folder: the rename fails at the end */
    mkdir(iot_path(dir, "isdir.gguf"), 0755);
    CHECK_STATUS(lq_gguf_save(NULL, g, iot_path(dir, "isdir.gguf")), LQ_ERR_IO);
    rmdir(iot_path(dir, "isdir.gguf"));
    /* cancelled */
    lq_ctx *ctx = NULL;
    CHECK_OK(lq_ctx_create(&ctx));
    CHECK_OK(lq_ctx_set_progress(ctx, cancel_at_half, NULL));
    CHECK_STATUS(lq_gguf_save(ctx, g, iot_path(dir, "cancel.gguf")), LQ_ERR_CANCELLED);
    CHECK(!iot_exists(iot_path(dir, "cancel.gguf")));
    lq_ctx_free(ctx);
    /* the disk fills up (a file size limit stands in for ENOSPC), in a child
     * so that the limit does not outlive the check */
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {N / 2, N / 2};
        setrlimit(RLIMIT_FSIZE, &rl);
        lq_status st = lq_gguf_save(NULL, g, iot_path(dir, "full.gguf"));
        _exit(st == LQ_ERR_IO && strstr(lq_last_error(), "write failed") ? 0 : 1);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(!iot_exists(iot_path(dir, "full.gguf")));
    free(big);
    lq_gguf_free(g);
}

static void no_temporaries_left(void)
{
    /* every file in the folder is one a test meant to leave */
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        CHECKF(strstr(e->d_name, "lqtmp") == NULL, "left behind: %s", e->d_name);
    if (d)
        closedir(d);
}

static void setup(void) { CHECK((dir = iot_mkdtemp()) != NULL); }
static void teardown(void) { iot_rmdir(dir); }

LQT_MAIN(setup, metadata_round_trip, tensors_of_every_type, tensors_from_lq_tensors, alignment,
         read_modify_write, streaming_writer, failed_writes_leave_nothing, no_temporaries_left,
         teardown)
