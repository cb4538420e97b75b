/* make_corpus.c — writes the seed corpus of the fuzz targets: a few tiny
 * valid files made with libquant's writers, and scheme strings.
 *   make_corpus OUTDIR   (OUTDIR/gguf, OUTDIR/safetensors, OUTDIR/scheme, OUTDIR/model,
 *                         OUTDIR/spm must exist)
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

/* A Llama small enough for the fuzzer's 4 KiB inputs: 8 tokens, width 4, one
 * head, one layer; and the reproductions of loader defects as variants. */
static int write_tiny_llama(const char *path, uint32_t block_count, uint32_t alignment)
{
    static const char *const toks[8] = {"<unk>", "<s>", "</s>", "\xe2\x96\x81" "a", "\xe2\x96\x81" "b",
                                        "a", "b", "\xe2\x96\x81"};
    float scores[8], w[32];
    for (int i = 0; i < 8; i++)
        scores[i] = -(float)i;
    for (int i = 0; i < 32; i++)
        w[i] = (float)((i * 7) % 11 - 5) / 8;
    lq_gguf *g = NULL;
    if (lq_gguf_create(&g) || lq_gguf_set_string(g, "general.architecture", "llama") ||
        (alignment && lq_gguf_set_u32(g, "general.alignment", alignment)) ||
        lq_gguf_set_u32(g, "llama.context_length", 16) ||
        lq_gguf_set_u32(g, "llama.embedding_length", 4) ||
        lq_gguf_set_u32(g, "llama.block_count", block_count) ||
        lq_gguf_set_u32(g, "llama.feed_forward_length", 8) ||
        lq_gguf_set_u32(g, "llama.attention.head_count", 1) ||
        lq_gguf_set_f32(g, "llama.attention.layer_norm_rms_epsilon", 1e-5f) ||
        lq_gguf_set_string(g, "tokenizer.ggml.model", "llama") ||
        lq_gguf_set_array_strings(g, "tokenizer.ggml.tokens", toks, 8) ||
        lq_gguf_set_array(g, "tokenizer.ggml.scores", LQ_GGUF_TYPE_F32, scores, 8))
        return fail("tiny llama metadata");
    static const struct { const char *name; int64_t rows, cols; } t[] = {
        {"token_embd.weight", 8, 4},        {"output_norm.weight", 0, 4},
        {"blk.0.attn_norm.weight", 0, 4},   {"blk.0.ffn_norm.weight", 0, 4},
        {"blk.0.attn_q.weight", 4, 4},      {"blk.0.attn_k.weight", 4, 4},
        {"blk.0.attn_v.weight", 4, 4},      {"blk.0.attn_output.weight", 4, 4},
        {"blk.0.ffn_gate.weight", 8, 4},    {"blk.0.ffn_up.weight", 8, 4},
        {"blk.0.ffn_down.weight", 4, 8},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        int64_t shape[2] = {t[i].rows, t[i].cols};
        int nd = t[i].rows ? 2 : 1;
        int64_t n = t[i].rows ? t[i].rows * t[i].cols : t[i].cols;
        if (lq_gguf_add_tensor_raw(g, t[i].name, 0, nd, nd == 2 ? shape : shape + 1, w,
                                   (uint64_t)n * 4, LQ_BORROW))
            return fail(t[i].name);
    }
    if (lq_gguf_save(NULL, g, path))
        return fail(path);
    lq_gguf_free(g);
    return 0;
}

static int model_seeds(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/model/tiny_llama.gguf", dir);
    if (write_tiny_llama(path, 1, 0))
        return 1;
    /* general.alignment 2 (legal): tensor data at offsets that are 2 mod 4 */
    snprintf(path, sizeof path, "%s/model/tiny_llama_align2.gguf", dir);
    if (write_tiny_llama(path, 1, 2))
        return 1;
    /* a block_count the tensors cannot back: once made the loader allocate
     * per-layer structures for 2^24 layers before looking for them */
    snprintf(path, sizeof path, "%s/model/regress-block-count-2e24.gguf", dir);
    return write_tiny_llama(path, 1u << 24, 0);
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

/* Protobuf bytes for the SentencePiece seeds (libquant writes no
 * tokenizer.model, so they are spelled here). */
typedef struct pbuf {
    unsigned char b[512];
    size_t n;
} pbuf;

static void pb_varint(pbuf *p, unsigned long long v)
{
    do {
        p->b[p->n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
}

static void pb_bytes(pbuf *p, int field, const void *d, size_t n)
{
    pb_varint(p, (unsigned long long)field << 3 | 2);
    pb_varint(p, n);
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

/* A piece {piece = 1, score = 2 (fixed32), type = 3}. */
static void pb_piece(pbuf *p, const char *text, unsigned score_bits, int type)
{
    pbuf m = {{0}, 0};
    pb_bytes(&m, 1, text, strlen(text));
    pb_varint(&m, 2 << 3 | 5);
    for (int i = 0; i < 4; i++)
        m.b[m.n++] = (unsigned char)(score_bits >> (8 * i));
    pb_varint(&m, 3 << 3);
    pb_varint(&m, (unsigned long long)type);
    pb_bytes(p, 1, m.b, m.n);
}

static int spm_seeds(const char *dir)
{
    pbuf p[2] = {{{0}, 0}, {{0}, 0}};
    /* the pieces of a byte-fallback BPE model, with a trainer_spec and a
     * normalizer_spec after them */
    pb_piece(&p[0], "<unk>", 0, 2);
    pb_piece(&p[0], "<s>", 0, 3);
    pb_piece(&p[0], "<0x0A>", 0, 6);
    pb_piece(&p[0], "\xe2\x96\x81the", 0xbf800000u, 1); /* score -1 */
    pb_piece(&p[0], "user", 0, 4);
    pb_piece(&p[0], "unused", 0, 5);
    static const unsigned char trainer[] = {0x08, 0x02, 0x1a, 0x03, 'a', 'b', 'c'};
    pb_bytes(&p[0], 2, trainer, sizeof trainer);
    static const unsigned char norm[] = {0x0a, 0x08, 'i', 'd', 'e', 'n', 't', 'i', 't', 'y'};
    pb_bytes(&p[0], 3, norm, sizeof norm);
    /* the least a model can be: one unknown piece */
    pb_piece(&p[1], "<unk>", 0, 2);
    for (int i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/spm/seed%02d", dir, i);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(p[i].b, 1, p[i].n, f) != p[i].n || fclose(f))
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
    return gguf_seeds(argv[1]) || safetensors_seeds(argv[1]) || scheme_seeds(argv[1]) ||
           model_seeds(argv[1]) || spm_seeds(argv[1]);
}
