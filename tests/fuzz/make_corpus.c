/* make_corpus.c — writes the seed corpus of the fuzz targets: a few tiny
 * valid files made with libquant's writers, and scheme strings.
 *   make_corpus OUTDIR   (OUTDIR/gguf, OUTDIR/safetensors, OUTDIR/scheme must exist)
 * The output is committed under tests/fuzz/corpus/; run this again only when
 * the formats gain something worth seeding. */
#include <stdio.h>
#include <string.h>

#include <lq/lq.h>

static int fail(const char *what)
{
    fprintf(stderr, "make_corpus: %s: %s\n", what, lq_last_error());
    return 1;
}

static int gguf_seeds(const char *dir)
{
    char path[4096];
    lq_gguf *g = NULL;
    const char *toks[3] = {"<s>", "", "\xe2\x96\x81x"};
    const int32_t ids[2] = {-1, 7};
    const uint8_t flags[2] = {1, 0};
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)(i * 37);
    int64_t q[2] = {1, 32}, f[1] = {3}, k[1] = {256};
    /* every value type; tensors of a plain, a block and an iq type */
    if (lq_gguf_create(&g) || lq_gguf_set_string(g, "general.architecture", "llama") ||
        lq_gguf_set_u32(g, "general.alignment", 16) || lq_gguf_set_u8(g, "a", 1) ||
        lq_gguf_set_i8(g, "b", -1) || lq_gguf_set_u16(g, "c", 2) || lq_gguf_set_i16(g, "d", -2) ||
        lq_gguf_set_i32(g, "e", -3) || lq_gguf_set_f32(g, "f", 0.5f) ||
        lq_gguf_set_bool(g, "g", 1) || lq_gguf_set_u64(g, "h", 4) || lq_gguf_set_i64(g, "i", -4) ||
        lq_gguf_set_f64(g, "j", 0.25) || lq_gguf_set_array_strings(g, "k", toks, 3) ||
        lq_gguf_set_array(g, "l", LQ_GGUF_TYPE_I32, ids, 2) ||
        lq_gguf_set_array(g, "m", LQ_GGUF_TYPE_BOOL, flags, 2) ||
        lq_gguf_add_tensor_raw(g, "q", 8, 2, q, bytes, 34, LQ_BORROW) ||
        lq_gguf_add_tensor_raw(g, "w", 0, 1, f, bytes, 12, LQ_BORROW) ||
        lq_gguf_add_tensor_raw(g, "x", 23, 1, k, bytes, 136, LQ_BORROW))
        return fail("all types");
    snprintf(path, sizeof path, "%s/gguf/all_types.gguf", dir);
    if (lq_gguf_save(NULL, g, path))
        return fail(path);
    lq_gguf_free(g);
    /* metadata only */
    if (lq_gguf_create(&g) || lq_gguf_set_string(g, "general.architecture", "gpt2") ||
        lq_gguf_set_array_strings(g, "tokenizer.ggml.tokens", toks, 3))
        return fail("metadata");
    snprintf(path, sizeof path, "%s/gguf/vocab_only.gguf", dir);
    if (lq_gguf_save(NULL, g, path))
        return fail(path);
    lq_gguf_free(g);
    /* empty tensors and a k-quant */
    int64_t e[2] = {0, 32};
    if (lq_gguf_create(&g) || lq_gguf_add_tensor_raw(g, "empty", 2, 2, e, bytes, 0, LQ_BORROW))
        return fail("empty");
    snprintf(path, sizeof path, "%s/gguf/empty_tensor.gguf", dir);
    if (lq_gguf_save(NULL, g, path))
        return fail(path);
    lq_gguf_free(g);
    return 0;
}

static int safetensors_seeds(const char *dir)
{
    char path[4096];
    lq_safetensors *st = NULL;
    unsigned char bytes[64] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t a[2] = {2, 2}, b[1] = {3}, z[2] = {0, 4};
    if (lq_safetensors_create(&st) || lq_safetensors_meta_set(st, "format", "pt") ||
        lq_safetensors_add_tensor_raw(st, "w", "F32", 2, a, bytes, 16, LQ_BORROW) ||
        lq_safetensors_add_tensor_raw(st, "b", "BF16", 1, b, bytes, 6, LQ_BORROW) ||
        lq_safetensors_add_tensor_raw(st, "s", "I64", 0, NULL, bytes, 8, LQ_BORROW) ||
        lq_safetensors_add_tensor_raw(st, "z", "F8_E4M3", 2, z, bytes, 0, LQ_BORROW))
        return fail("safetensors");
    snprintf(path, sizeof path, "%s/safetensors/small.safetensors", dir);
    if (lq_safetensors_save(NULL, st, path, 0))
        return fail(path);
    lq_safetensors_free(st);
    if (lq_safetensors_create(&st))
        return fail("empty");
    snprintf(path, sizeof path, "%s/safetensors/empty.safetensors", dir);
    if (lq_safetensors_save(NULL, st, path, 0))
        return fail(path);
    lq_safetensors_free(st);
    return 0;
}

static int scheme_seeds(const char *dir)
{
    static const char *const seeds[] = {
        "int4:g128", "int8:channel", "int3:g64:asym", "int2:tensor", "q4_k", "q4_k_m", "q8_0",
        "iq4_xs", "nf4:b64:dq", "fp4:b128", "fp8_e4m3", "fp8_e5m2:channel", "gptq:int4:g128:act_order:damp=0.02",
        "gptq:int4:g128:static_groups", "awq:int4:g128", "hqq:int3:g64:iters=10",
        "smoothquant:int8:channel:sym:alpha=0.5", "llm_int8:int8:channel:threshold=6", "bf16",
        "int4:g128:scale=f32",
    };
    for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/scheme/seed%02zu", dir, i);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(seeds[i], 1, strlen(seeds[i]), f) != strlen(seeds[i]) || fclose(f))
            return fprintf(stderr, "make_corpus: cannot write %s\n", path), 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus OUTDIR\n");
        return 2;
    }
    return gguf_seeds(argv[1]) || safetensors_seeds(argv[1]) || scheme_seeds(argv[1]);
}
