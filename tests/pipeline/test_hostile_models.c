/* test_hostile_models.c — lq_gguf_quantize on legal but unusual files and on
 * files that lie: zero-element tensors, general.alignment = 2, a block_count
 * that contradicts the tensors, weights too large for a type's scales, NaN
 * and infinity among the weights, a full disk while writing. Each
 * case is a reproduction of a defect found by probing (run it under
 * UBSan too: the alignment case is about misaligned loads). */
#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lq/lq_io.h>
#include <lq/lq_pipeline.h>

#include "../harness.h"
#include "libquant/io/file.h"

#define COLS 256

static char dir[4096];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

static void remove_dir(void)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* "dir/name" in a temporary folder made on first use, removed at exit. */
static const char *path_in(const char *name)
{
    if (!dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/lqt-hostile-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    static char bufs[4][4200];
    static int k;
    char *b = bufs[k++ & 3];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

/* A llama-named GGUF with n_layer blocks of ffn_up / ffn_down f32 tensors of
 * `rows` x COLS, values from the rng times `scale`, plus the extra tensor
 * `extra` (if not NULL) of shape extra_shape (2-D). */
static lq_status write_model(const char *path, int n_layer, int block_count, int64_t rows,
                             float scale, uint32_t alignment, const char *extra,
                             const int64_t *extra_shape)
{
    lq_gguf *g = NULL;
    lq_status st = lq_gguf_create(&g);
    if (st != LQ_OK)
        return st;
    lq_gguf_set_string(g, "general.architecture", "llama");
    lq_gguf_set_u32(g, "llama.block_count", (uint32_t)block_count);
    if (alignment)
        lq_gguf_set_u32(g, "general.alignment", alignment);
    lqt_rng rng = {0x1234567u};
    float *d = malloc(sizeof(float) * (size_t)(rows * COLS + 1));
    for (int64_t i = 0; d && i < rows * COLS; i++)
        d[i] = scale * lqt_normal(&rng);
    if (extra) {
        /* a 3-element f16 tensor first, so that with alignment 2 the next
         * tensor's data start at an offset that is 2 mod 4 */
        int64_t odd = 3;
        uint16_t h[3] = {0x3c00, 0x3c00, 0x3c00};
        if (st == LQ_OK)
            st = lq_gguf_add_tensor_raw(g, "aaa_odd.weight", 1 /* f16 */, 1, &odd, h, sizeof h,
                                        LQ_COPY);
        if (st == LQ_OK)
            st = lq_gguf_add_tensor_raw(g, extra, 0 /* f32 */, 2, extra_shape, d,
                                        (uint64_t)(extra_shape[0] * extra_shape[1]) * 4, LQ_COPY);
    }
    for (int l = 0; st == LQ_OK && l < n_layer; l++) {
        static const char *const parts[] = {"ffn_up", "ffn_down"};
        for (int p = 0; st == LQ_OK && p < 2; p++) {
            char name[64];
            snprintf(name, sizeof name, "blk.%d.%s.weight", l, parts[p]);
            int64_t shape[2] = {rows, COLS};
            st = lq_gguf_add_tensor_raw(g, name, 0, 2, shape, d, (uint64_t)(rows * COLS) * 4,
                                        LQ_COPY);
        }
    }
    if (st == LQ_OK)
        st = lq_gguf_save(NULL, g, path);
    free(d);
    lq_gguf_free(g);
    return st;
}

static lq_status quantize(const char *in, const char *out, const char *ftype)
{
    lq_qopts *o = NULL;
    lq_status st = lq_qopts_create(ftype, &o);
    if (st == LQ_OK)
        st = lq_gguf_quantize(NULL, in, out, o);
    lq_qopts_free(o);
    return st;
}

/* Zero-element tensors are legal: quantize copies them through (as llama.cpp
 * does), and they read back, dequantize and compare as empty. */
static void zero_element_tensors(void)
{
    int64_t empty[2] = {0, COLS};
    CHECK_OK(write_model(path_in("z.gguf"), 1, 1, 4, 1.0f, 0, "zzz_empty.weight", empty));
    const char *types[] = {"Q4_0", "Q8_0", "Q4_K_M", "F16"};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        CHECK_OK(quantize(path_in("z.gguf"), path_in("zq.gguf"), types[i]));
        lq_gguf *g = NULL;
        CHECK_OK(lq_gguf_open(path_in("zq.gguf"), &g));
        int64_t k = g ? lq_gguf_find_tensor(g, "zzz_empty.weight") : -1;
        CHECK(k >= 0);
        if (k >= 0) {
            CHECK(lq_gguf_tensor_nbytes(g, k) == 0 && lq_gguf_tensor_dim(g, k, 0) == 0);
            CHECK(lq_gguf_tensor_ggml_type(g, k) == 0); /* f32 as it came */
            lq_tensor *t = NULL, *f = NULL;
            CHECK_OK(lq_gguf_get_tensor(g, k, &t));
            CHECK_OK(lq_dequantize(NULL, t, LQ_TYPE_F32, &f));
            CHECK(f && lq_tensor_numel(f) == 0);
            lq_tensor_free(f);
            f = NULL;
            CHECK_OK(lq_dequantize(NULL, t, LQ_TYPE_F16, &f));
            CHECK(f && lq_tensor_numel(f) == 0);
            lq_tensor_free(f);
            lq_tensor_free(t);
        }
        lq_gguf_free(g);
    }
}

/* general.alignment = 2 is legal; tensor data then start at any even offset,
 * and f32 rows must be read without assuming 4-byte alignment. */
static void alignment_two(void)
{
    int64_t shape[2] = {8, COLS};
    CHECK_OK(write_model(path_in("a2.gguf"), 1, 1, 8, 1.0f, 2, "blk.0.attn_q.weight", shape));
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_open(path_in("a2.gguf"), &g));
    int64_t k = g ? lq_gguf_find_tensor(g, "blk.0.attn_q.weight") : -1;
    CHECKF(k >= 0 && (lq_gguf_data_offset(g) + lq_gguf_tensor_offset(g, k)) % 4 == 2,
           "the test wants a tensor at an offset of 2 mod 4");
    lq_gguf_free(g);
    const char *types[] = {"Q4_0", "Q5_1", "Q8_0", "Q2_K", "Q4_K_M", "Q6_K", "IQ4_NL", "F16"};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        CHECKF(quantize(path_in("a2.gguf"), path_in("a2q.gguf"), types[i]) == LQ_OK, "%s: %s",
               types[i], lq_last_error());
}

/* Finite weights too large for a type's scales: refused with
 * LQ_ERR_NONFINITE, naming the tensor and the row, for every file type
 * (llama.cpp writes infinities there). 1e30 overflows every f16 scale and F16
 * itself; 1e5 already overflows Q5_1 (its min times 31 passes the f16 range). */
static void nonfinite_results(void)
{
    CHECK_OK(write_model(path_in("big.gguf"), 1, 1, 4, 1e30f, 0, NULL, NULL));
    /* not Q6_K and IQ4_XS: their scale search squares the values, gets
     * infinities, and settles on zero scales, which are finite */
    const char *types[] = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K_M", "Q4_K_M",
                           "Q5_K_M", "IQ4_NL", "F16", "BF16"};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        lq_status st = quantize(path_in("big.gguf"), path_in("bigq.gguf"), types[i]);
        if (strcmp(types[i], "BF16") == 0) { /* bf16 has f32's range: 1e30 fits */
            CHECKF(st == LQ_OK, "BF16: %s", lq_last_error());
            continue;
        }
        CHECKF(st == LQ_ERR_NONFINITE, "%s: status %d: %s", types[i], st, lq_last_error());
        CHECKF(strstr(lq_last_error(), "tensor 'blk.0.ffn_") && strstr(lq_last_error(), "row 0"),
               "%s: %s", types[i], lq_last_error());
        CHECK(access(path_in("bigq.gguf"), F_OK) != 0);
    }
    CHECK_OK(write_model(path_in("1e5.gguf"), 1, 1, 4, 3e4f, 0, NULL, NULL));
    CHECK_STATUS(quantize(path_in("1e5.gguf"), path_in("q51.gguf"), "Q5_1"), LQ_ERR_NONFINITE);
    /* and the same weights fit the types whose scales have the room */
    CHECK_OK(quantize(path_in("1e5.gguf"), path_in("q8.gguf"), "Q8_0"));
}

/* NaN or infinity among the weights: refused with LQ_ERR_NONFINITE, naming
 * the tensor, row and column, for f16 and f32 inputs and every kind of
 * quantizer (the one-pass path hands such rows back to lq_quantize, whose
 * message this is). */
static void nonfinite_inputs(void)
{
    enum { ROWS = 6 };
    uint16_t *h = calloc(ROWS * COLS, sizeof *h);
    float *f = calloc(ROWS * COLS, sizeof *f);
    for (int i = 0; h && f && i < ROWS * COLS; i++) {
        h[i] = (uint16_t)(0x3000 + i % 512); /* finite f16 values of either sign */
        f[i] = (float)(i % 7) - 3;
    }
    const struct { const char *tensor, *what; int row, col; } cases[] = {
        {"blk.0.ffn_up.weight", "NaN", 5, 7}, {"blk.0.ffn_down.weight", "infinity", 2, 0},
    };
    const char *types[] = {"Q8_0", "Q4_0", "Q4_K_M", "Q6_K", "IQ4_NL"};
    for (size_t c = 0; h && f && c < sizeof cases / sizeof *cases; c++) {
        lq_gguf *g = NULL;
        CHECK_OK(lq_gguf_create(&g));
        lq_gguf_set_string(g, "general.architecture", "llama");
        lq_gguf_set_u32(g, "llama.block_count", 1);
        int64_t shape[2] = {ROWS, COLS};
        uint16_t keep_h = h[5 * COLS + 7];
        float keep_f = f[2 * COLS];
        if (c == 0)
            h[5 * COLS + 7] = 0x7e00; /* f16 NaN */
        else
            f[2 * COLS] = -INFINITY;
        CHECK_OK(lq_gguf_add_tensor_raw(g, "blk.0.ffn_up.weight", 1 /* f16 */, 2, shape, h,
                                        ROWS * COLS * 2, LQ_COPY));
        CHECK_OK(lq_gguf_add_tensor_raw(g, "blk.0.ffn_down.weight", 0 /* f32 */, 2, shape, f,
                                        ROWS * COLS * 4, LQ_COPY));
        h[5 * COLS + 7] = keep_h;
        f[2 * COLS] = keep_f;
        CHECK_OK(lq_gguf_save(NULL, g, path_in("nf.gguf")));
        lq_gguf_free(g);
        char want[128];
        snprintf(want, sizeof want, "tensor '%s': %s at row %d, column %d", cases[c].tensor,
                 cases[c].what, cases[c].row, cases[c].col);
        for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
            CHECK_STATUS(quantize(path_in("nf.gguf"), path_in("nfq.gguf"), types[i]),
                         LQ_ERR_NONFINITE);
            CHECKF(strstr(lq_last_error(), want), "%s: '%s' wanted in: %s", types[i], want,
                   lq_last_error());
            CHECK(access(path_in("nfq.gguf"), F_OK) != 0);
        }
    }
    free(h);
    free(f);
}

/* Files in the test's folder whose name starts with `prefix`. */
static int files_starting(const char *prefix)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d)
        closedir(d);
    return n;
}

/* A full disk at the n-th write, for every n until the file gets through:
 * the writes of quantized slices happen on a thread of their own while the
 * next slice is computed, and each failure still comes back as the
 * quantization's I/O error and leaves neither the output nor a temporary.
 * Two tensors of 1.25 slices each, so that writes overlap computing. */
static void full_disk_while_quantizing(void)
{
    CHECK_OK(write_model(path_in("fd.gguf"), 1, 1, 20480, 1.0f, 0, NULL, NULL));
    int64_t n = 1;
    for (;; n++) {
        lq__out_fail_write_at(n);
        lq_status st = quantize(path_in("fd.gguf"), path_in("fdq.gguf"), "Q8_0");
        lq__out_fail_write_at(0);
        if (st == LQ_OK)
            break;
        CHECKF(st == LQ_ERR_IO && strstr(lq_last_error(), "No space left"), "write %lld: %d %s",
               (long long)n, st, lq_last_error());
        CHECKF(files_starting("fdq") == 0, "write %lld left a file", (long long)n);
        if (n > 100)
            break; /* the hook is not firing: the checks above have failed */
    }
    CHECKF(n > 4, "the file took %lld writes; the test wants several", (long long)n);
    CHECK(files_starting("fdq") == 1);
}

/* A block_count that contradicts the tensors' layers is refused: it would
 * choose another mixture, and 306783379 or more overflowed 7 * n (UBSan). */
static void block_count_contradicts_tensors(void)
{
    const int counts[] = {1, 3, 306783379, 2000000000};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        CHECK_OK(write_model(path_in("bc.gguf"), 2, counts[i], 4, 1.0f, 0, NULL, NULL));
        CHECK_STATUS(quantize(path_in("bc.gguf"), path_in("bcq.gguf"), "Q4_K_M"), LQ_ERR_FORMAT);
        CHECKF(strstr(lq_last_error(), "block_count") && strstr(lq_last_error(), "layers 0..1"),
               "%s", lq_last_error());
    }
    CHECK_OK(write_model(path_in("bc.gguf"), 2, 2, 4, 1.0f, 0, NULL, NULL));
    CHECK_OK(quantize(path_in("bc.gguf"), path_in("bcq.gguf"), "Q4_K_M"));
}

/* Zero-element tensors of every kind of type dequantize to empty tensors
 * (once a memcpy from NULL, which UBSan reports). */
static void zero_element_dequantize(void)
{
    static const struct { int ggml; const char *name; } types[] = {
        {0, "f32"}, {1, "f16"}, {30, "bf16"}, {8, "q8_0"}, {2, "q4_0"}, {12, "q4_k"}, {14, "q6_k"},
    };
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_create(&g));
    for (size_t i = 0; g && i < sizeof types / sizeof *types; i++) {
        int64_t shape[2] = {0, COLS};
        CHECK_OK(lq_gguf_add_tensor_raw(g, types[i].name, types[i].ggml, 2, shape, NULL, 0,
                                        LQ_COPY));
    }
    CHECK_OK(lq_gguf_save(NULL, g, path_in("ze.gguf")));
    lq_gguf_free(g);
    g = NULL;
    CHECK_OK(lq_gguf_open(path_in("ze.gguf"), &g));
    for (int64_t i = 0; g && i < lq_gguf_tensor_count(g); i++) {
        lq_tensor *t = NULL, *f = NULL;
        CHECK_OK(lq_gguf_get_tensor(g, i, &t));
        lq_type outs[3] = {LQ_TYPE_F32, LQ_TYPE_F16, LQ_TYPE_BF16};
        for (int k = 0; t && k < 3; k++) {
            CHECKF(lq_dequantize(NULL, t, outs[k], &f) == LQ_OK, "%s: %s",
                   lq_gguf_tensor_name(g, i), lq_last_error());
            CHECK(f && lq_tensor_numel(f) == 0);
            lq_tensor_free(f);
            f = NULL;
        }
        CHECK_OK(lq_dequantize_f32(NULL, t, NULL, 0));
        lq_tensor_free(t);
    }
    lq_gguf_free(g);
}

LQT_MAIN(zero_element_tensors, zero_element_dequantize, alignment_two, nonfinite_results,
         nonfinite_inputs, full_disk_while_quantizing, block_count_contradicts_tensors)
