/* gguf_tool.c — helper for the interop test (gguf_interop.mjs):
 *   gguf_tool write OUT      write a fixed GGUF with libquant
 *   gguf_tool dump IN        print its metadata and tensor infos, one per line
 *   gguf_tool rewrite IN OUT open IN and save it unchanged as OUT
 * Exits non-zero with libquant's message on any failure. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <lq/lq.h>

static int fail(const char *what)
{
    fprintf(stderr, "gguf_tool: %s: %s\n", what, lq_last_error());
    return 1;
}

/* The file the interop test expects: every scalar type, arrays, tensors of
 * plain, block and unknown-to-libquant types, alignment 64. */
static int write_fixed(const char *path)
{
    lq_gguf *g = NULL;
    if (lq_gguf_create(&g))
        return fail("create");
    const char *toks[3] = {"<s>", "\xe2\x96\x81hello", ""};
    const float scores[3] = {0.0f, -1.5f, 2.25f};
    const int32_t types[3] = {3, 1, 1};
    const uint8_t flags[2] = {1, 0};
    int bad = lq_gguf_set_string(g, "general.architecture", "llama") ||
              lq_gguf_set_string(g, "general.name", "interop \"test\"") ||
              lq_gguf_set_u32(g, "general.alignment", 64) ||
              lq_gguf_set_u32(g, "general.quantization_version", 2) ||
              lq_gguf_set_u32(g, "llama.block_count", 2) ||
              lq_gguf_set_u8(g, "t.u8", 200) || lq_gguf_set_i8(g, "t.i8", -100) ||
              lq_gguf_set_u16(g, "t.u16", 60000) || lq_gguf_set_i16(g, "t.i16", -30000) ||
              lq_gguf_set_i32(g, "t.i32", -123456) || lq_gguf_set_u64(g, "t.u64", 1ull << 40) ||
              lq_gguf_set_i64(g, "t.i64", -(1ll << 40)) || lq_gguf_set_f32(g, "t.f32", 0.5f) ||
              lq_gguf_set_f64(g, "t.f64", 0.125) || lq_gguf_set_bool(g, "t.bool", 1) ||
              lq_gguf_set_array_strings(g, "tokenizer.ggml.tokens", toks, 3) ||
              lq_gguf_set_array(g, "tokenizer.ggml.scores", LQ_GGUF_TYPE_F32, scores, 3) ||
              lq_gguf_set_array(g, "tokenizer.ggml.token_type", LQ_GGUF_TYPE_I32, types, 3) ||
              lq_gguf_set_array(g, "t.bools", LQ_GGUF_TYPE_BOOL, flags, 2);
    if (bad)
        return fail("metadata");
    static unsigned char data[4096];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7);
    int64_t emb[2] = {3, 64}, q[2] = {2, 64}, k[2] = {1, 256}, iq[2] = {1, 256}, v[1] = {5};
    bad = lq_gguf_add_tensor_raw(g, "token_embd.weight", 0, 2, emb, data, 3 * 64 * 4, LQ_BORROW) ||
          lq_gguf_add_tensor_raw(g, "blk.0.attn_q.weight", 2, 2, q, data, 2 * 2 * 18, LQ_BORROW) ||
          lq_gguf_add_tensor_raw(g, "blk.0.ffn_up.weight", 12, 2, k, data, 144, LQ_BORROW) ||
          lq_gguf_add_tensor_raw(g, "blk.1.ffn_down.weight", 16, 2, iq, data, 66, LQ_BORROW) ||
          lq_gguf_add_tensor_raw(g, "ids", 26, 1, v, data, 20, LQ_BORROW);
    if (bad)
        return fail("tensors");
    int st = lq_gguf_save(NULL, g, path);
    lq_gguf_free(g);
    return st ? fail("save") : 0;
}

static void print_scalar(int type, const void *p)
{
    switch (type) {
    case LQ_GGUF_TYPE_U8: printf("%u", *(const uint8_t *)p); break;
    case LQ_GGUF_TYPE_I8: printf("%d", *(const int8_t *)p); break;
    case LQ_GGUF_TYPE_U16: printf("%u", *(const uint16_t *)p); break;
    case LQ_GGUF_TYPE_I16: printf("%d", *(const int16_t *)p); break;
    case LQ_GGUF_TYPE_U32: printf("%" PRIu32, *(const uint32_t *)p); break;
    case LQ_GGUF_TYPE_I32: printf("%" PRId32, *(const int32_t *)p); break;
    case LQ_GGUF_TYPE_U64: printf("%" PRIu64, *(const uint64_t *)p); break;
    case LQ_GGUF_TYPE_I64: printf("%" PRId64, *(const int64_t *)p); break;
    case LQ_GGUF_TYPE_F32: printf("%.9g", *(const float *)p); break;
    case LQ_GGUF_TYPE_F64: printf("%.17g", *(const double *)p); break;
    case LQ_GGUF_TYPE_BOOL: printf("%s", *(const uint8_t *)p ? "true" : "false"); break;
    }
}

static void get_scalar(const lq_gguf *g, const char *key, int type, void *v)
{
    int b;
    switch (type) {
    case LQ_GGUF_TYPE_U8: lq_gguf_get_u8(g, key, v); break;
    case LQ_GGUF_TYPE_I8: lq_gguf_get_i8(g, key, v); break;
    case LQ_GGUF_TYPE_U16: lq_gguf_get_u16(g, key, v); break;
    case LQ_GGUF_TYPE_I16: lq_gguf_get_i16(g, key, v); break;
    case LQ_GGUF_TYPE_U32: lq_gguf_get_u32(g, key, v); break;
    case LQ_GGUF_TYPE_I32: lq_gguf_get_i32(g, key, v); break;
    case LQ_GGUF_TYPE_U64: lq_gguf_get_u64(g, key, v); break;
    case LQ_GGUF_TYPE_I64: lq_gguf_get_i64(g, key, v); break;
    case LQ_GGUF_TYPE_F32: lq_gguf_get_f32(g, key, v); break;
    case LQ_GGUF_TYPE_F64: lq_gguf_get_f64(g, key, v); break;
    case LQ_GGUF_TYPE_BOOL: lq_gguf_get_bool(g, key, &b); *(uint8_t *)v = (uint8_t)b; break;
    }
}

/* Strings are printed as their length and bytes in hex, so that any byte
 * survives the trip through the test script. */
static void print_string(const char *s, size_t len)
{
    printf("%zu:", len);
    for (size_t i = 0; i < len; i++)
        printf("%02x", (unsigned char)s[i]);
}

static int dump(const char *path)
{
    lq_gguf *g = NULL;
    if (lq_gguf_open(path, &g))
        return fail("open");
    printf("kv_count %" PRId64 "\ntensor_count %" PRId64 "\ndata_offset %" PRIu64 "\n",
           lq_gguf_kv_count(g), lq_gguf_tensor_count(g), lq_gguf_data_offset(g));
    for (int64_t i = 0; i < lq_gguf_kv_count(g); i++) {
        const char *key = lq_gguf_kv_key(g, i);
        int type = lq_gguf_kv_type(g, i);
        printf("kv %s %d ", key, type);
        if (type == LQ_GGUF_TYPE_STRING) {
            const char *s;
            size_t len;
            lq_gguf_get_string(g, key, &s, &len);
            print_string(s, len);
        } else if (type == LQ_GGUF_TYPE_ARRAY) {
            int et;
            uint64_t n;
            lq_gguf_get_array(g, key, &et, &n);
            printf("%d %" PRIu64, et, n);
            for (uint64_t k = 0; k < n && et != LQ_GGUF_TYPE_ARRAY; k++) {
                putchar(' ');
                if (et == LQ_GGUF_TYPE_STRING) {
                    const char *s;
                    size_t len;
                    lq_gguf_get_array_string(g, key, k, &s, &len);
                    print_string(s, len);
                } else {
                    const void *d;
                    uint64_t cnt;
                    static const int size[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
                    lq_gguf_get_array_data(g, key, et, &d, &cnt);
                    print_scalar(et, (const char *)d + k * (uint64_t)size[et]);
                }
            }
        } else {
            uint64_t v = 0; /* room for any scalar; read with the getter of its type */
            get_scalar(g, key, type, &v);
            print_scalar(type, &v);
        }
        putchar('\n');
    }
    for (int64_t i = 0; i < lq_gguf_tensor_count(g); i++) {
        printf("tensor %s %d %d", lq_gguf_tensor_name(g, i), lq_gguf_tensor_ggml_type(g, i),
               lq_gguf_tensor_ndim(g, i));
        for (int d = 0; d < lq_gguf_tensor_ndim(g, i); d++)
            printf(" %" PRId64, lq_gguf_tensor_dim(g, i, d));
        printf(" bytes %" PRIu64 " offset %" PRIu64 "\n", lq_gguf_tensor_nbytes(g, i),
               lq_gguf_tensor_offset(g, i));
    }
    lq_gguf_free(g);
    return 0;
}

static int rewrite(const char *in, const char *out)
{
    lq_gguf *g = NULL;
    if (lq_gguf_open(in, &g))
        return fail("open");
    int st = lq_gguf_save(NULL, g, out);
    lq_gguf_free(g);
    return st ? fail("save") : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "write") == 0)
        return write_fixed(argv[2]);
    if (argc == 3 && strcmp(argv[1], "dump") == 0)
        return dump(argv[2]);
    if (argc == 4 && strcmp(argv[1], "rewrite") == 0)
        return rewrite(argv[2], argv[3]);
    fprintf(stderr, "usage: gguf_tool write OUT | dump IN | rewrite IN OUT\n");
    return 2;
}
