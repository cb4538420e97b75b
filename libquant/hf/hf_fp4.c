/* hf_fp4.c — the microscaling 4-bit float checkpoints (doc/hf-formats.md),
 * exchanged with ggml's MXFP4 and NVFP4 blocks. E2M1 codes mean the same in
 * all of them (bit 3 the sign, bits 0-2 index 0, 0.5, 1, 1.5, 2, 3, 4, 6);
 * only where each code sits and how the scales are stored differ.
 *
 * compressed-tensors "nvfp4-pack-quantized" (llm-compressor's NVFP4), per layer:
 *   weight_packed        U8 [out, in/2]      codes of columns 2k (low nibble) and 2k+1
 *   weight_scale         F8_E4M3 [out, in/16] one scale per 16 columns
 *   weight_global_scale  F32 [1]             divides every scale
 * W = bf16(code * (bf16(weight_scale) / weight_global_scale)), in float32 as
 * compressed-tensors' dequantize computes it. ggml's NVFP4 blocks (64 columns,
 * four UE4M3 scales) hold no global scale: libquant writes 1, and reads only
 * checkpoints whose global scale is 1 as a tensor (a converted GGUF keeps
 * another as a tensor of its own; lq_hf_dequantize decodes any).
 *
 * gpt-oss "mxfp4" (transformers' Mxfp4 integration), per weight:
 *   <prefix>_blocks  U8 [..., out, in/32, 16]  codes of columns 2k (low) and 2k+1
 *   <prefix>_scales  U8 [..., out, in/32]      E8M0 exponent e: scale 2^(e - 127)
 * W = bf16(code * 2^(e - 127)), as convert_moe_packed_tensors computes it
 * (before it transposes the experts' matrices for its batched products).
 * The exponent byte is ggml's MXFP4 block scale unchanged. */
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/half.h"
#include "../formats/fp8.h"
#include "../formats/ggml_blocks.h"
#include "hf.h"
#include "layouts.h"

#define NV_BLOCK 64  /* ggml's NVFP4 block */
#define NV_GROUP 16  /* one scale per 16 columns in both */
#define MX_BLOCK 32

/* The E2M1 value of a code (lq__fp4_levels holds them doubled). */
static float fp4_value(unsigned code) { return 0.5f * (float)lq__fp4_levels[code & 0xF]; }

/* Code of element j (0..15) of an NVFP4 sub-block's 8 bytes. */
static unsigned nv_code(const uint8_t *qs, int j) { return j < 8 ? qs[j] & 0xF : qs[j - 8] >> 4; }

/* The ggml blocks of a quantized tensor's rows. */
static lq_status blocks_of(const char *fn, const lq_tensor *q, lq_type type, int min_dim,
                           int max_dim)
{
    if (!q->scheme || q->type != type || q->ndim < min_dim || q->ndim > max_dim)
        return lq__fail(LQ_ERR_INVALID, "%s: this layout stores %s weights of %d to %d "
                        "dimensions; '%s' is %s with %d", fn, lq_type_name(type), min_dim,
                        max_dim, q->name, lq_type_name(q->type), q->ndim);
    return LQ_OK;
}

/* The imported blocks as a tensor "<prefix>.weight" of ggml type `scheme`
 * (copied; `blocks` is freed). */
static lq_status wrap_blocks(const char *scheme, int ndim, const int64_t *shape, void *blocks,
                             uint64_t nbytes, const char *prefix, lq_tensor **out)
{
    lq_scheme *sch = NULL;
    char name[LQ_MAX_NAME + 1];
    lq__hf_name(name, prefix, "weight");
    lq_status r = lq_scheme_parse(scheme, &sch);
    if (r == LQ_OK)
        r = lq_tensor_wrap_quantized(sch, ndim, shape, blocks, nbytes, LQ_COPY, name, out);
    lq_scheme_free(sch);
    lq__free(blocks);
    return r;
}

lq_status lq__hf_nvfp4_export(const char *fn, const lq_tensor *q, const char *prefix,
                              lq_safetensors *st)
{
    lq_status r = blocks_of(fn, q, LQ_TYPE_NVFP4, 2, 2);
    if (r != LQ_OK)
        return r;
    const int64_t rows = q->shape[0], cols = q->shape[1], groups = cols / NV_GROUP;
    uint8_t *packed = lq__malloc((size_t)(rows * cols / 2));
    uint8_t *scales = lq__malloc((size_t)(rows * groups));
    if (!packed || !scales)
        r = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    const lq__blk_nvfp4 *b = (const lq__blk_nvfp4 *)q->data;
    for (int64_t g = 0; r == LQ_OK && g < rows * groups; g++) {
        const lq__blk_nvfp4 *blk = &b[g / 4];
        const uint8_t *qs = blk->qs + 8 * (g % 4);
        /* ggml reads a UE4M3 byte without its sign bit, and 0x7F as 0 */
        uint8_t d = blk->d[g % 4] & 0x7F;
        scales[g] = d == 0x7F ? 0 : d;
        for (int j = 0; j < NV_GROUP; j += 2)
            packed[g * 8 + j / 2] = (uint8_t)(nv_code(qs, j) | nv_code(qs, j + 1) << 4);
    }
    int64_t pshape[2] = {rows, cols / 2}, sshape[2] = {rows, groups}, one = 1;
    const float global = 1.0f;
    if (r == LQ_OK)
        r = lq__hf_add(st, prefix, "weight_packed", "U8", 2, pshape, packed,
                       (uint64_t)(rows * cols / 2));
    if (r == LQ_OK)
        r = lq__hf_add(st, prefix, "weight_scale", "F8_E4M3", 2, sshape, scales,
                       (uint64_t)(rows * groups));
    if (r == LQ_OK)
        r = lq__hf_add(st, prefix, "weight_global_scale", "F32", 1, &one, &global, 4);
    lq__free(packed);
    lq__free(scales);
    return r;
}

/* The three tensors of an NVFP4 layer, their shapes checked against each other. */
static lq_status nv_find(const char *fn, const lq_safetensors *st, const char *prefix,
                         lq__hf_part *w, lq__hf_part *s, float *global)
{
    lq__hf_part g;
    lq_status r = lq__hf_find(st, prefix, "weight_packed", "U8", 2, w);
    if (r == LQ_OK)
        r = lq__hf_find(st, prefix, "weight_scale", "F8_E4M3", 2, s);
    if (r == LQ_OK)
        r = lq__hf_find(st, prefix, "weight_global_scale", "F32", -1, &g);
    if (r != LQ_OK) {
        lq__error_prefix(fn);
        return r;
    }
    int64_t cols = 2 * w->shape[1];
    if (g.nbytes != 4)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s.weight_global_scale' has %llu bytes, not one "
                        "float", fn, prefix, (unsigned long long)g.nbytes);
    if (s->shape[0] != w->shape[0] || cols % NV_GROUP || s->shape[1] != cols / NV_GROUP)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': scales [%lld, %lld] do not fit packed codes "
                        "[%lld, %lld] (one scale per 16 columns)", fn, prefix,
                        (long long)s->shape[0], (long long)s->shape[1], (long long)w->shape[0],
                        (long long)w->shape[1]);
    *global = lq__hf_float(&g, 0);
    return LQ_OK;
}

lq_status lq__hf_nvfp4_blocks(const char *fn, const lq_safetensors *st, const char *prefix,
                              int64_t rows, int64_t cols, void *dst, float *global)
{
    lq__hf_part w, s;
    lq_status r = nv_find(fn, st, prefix, &w, &s, global);
    if (r != LQ_OK)
        return r;
    const int64_t groups = cols / NV_GROUP;
    if (w.shape[0] != rows || 2 * w.shape[1] != cols)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s' is [%lld, %lld], not [%lld, %lld]", fn, prefix,
                        (long long)w.shape[0], (long long)(2 * w.shape[1]), (long long)rows,
                        (long long)cols);
    if (cols % NV_BLOCK)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: '%s' has %lld columns; ggml's NVFP4 blocks "
                        "take multiples of 64", fn, prefix, (long long)cols);
    for (int64_t g = 0; g < rows * groups; g++)
        if (s.data[g] & 0x80 || s.data[g] == 0x7F)
            return lq__fail(LQ_ERR_FORMAT, "%s: '%s.weight_scale' holds 0x%02x (negative or "
                            "NaN) at %lld", fn, prefix, s.data[g], (long long)g);
    lq__blk_nvfp4 *b = dst;
    memset(b, 0, (size_t)(rows * cols / NV_BLOCK) * sizeof *b);
    for (int64_t g = 0; g < rows * groups; g++) {
        uint8_t *qs = b[g / 4].qs + 8 * (g % 4);
        b[g / 4].d[g % 4] = s.data[g];
        for (int j = 0; j < NV_GROUP; j++) {
            unsigned code = w.data[g * 8 + j / 2] >> (4 * (j & 1)) & 0xF;
            qs[j & 7] |= (uint8_t)(j < 8 ? code : code << 4);
        }
    }
    return LQ_OK;
}

lq_status lq__hf_nvfp4_import(const char *fn, const lq_safetensors *st, const char *prefix,
                              lq_tensor **out)
{
    lq__hf_part w, s;
    float global;
    lq_status r = nv_find(fn, st, prefix, &w, &s, &global);
    if (r != LQ_OK)
        return r;
    const int64_t rows = w.shape[0], cols = 2 * w.shape[1];
    if (global != 1.0f)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: '%s': a global scale of %g has no place in "
                        "ggml's NVFP4 blocks; lq_hf_dequantize decodes the layer, and a model "
                        "folder is read with it as the tensor '<name>.scale'", fn, prefix,
                        (double)global);
    lq__blk_nvfp4 *b = cols % NV_BLOCK ? NULL
                                       : lq__malloc((size_t)(rows * cols / NV_BLOCK) * sizeof *b);
    if (!b && cols % NV_BLOCK == 0)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    r = lq__hf_nvfp4_blocks(fn, st, prefix, rows, cols, b, &global);
    if (r != LQ_OK) {
        lq__free(b);
        return r;
    }
    int64_t shape[2] = {rows, cols};
    return wrap_blocks("nvfp4", 2, shape, b, (uint64_t)(rows * cols / NV_BLOCK) * sizeof *b,
                       prefix, out);
}

lq_status lq__hf_nvfp4_decode(const char *fn, const lq_safetensors *st, const char *prefix,
                              float *out, int64_t count)
{
    lq__hf_part w, s;
    float global;
    lq_status r = nv_find(fn, st, prefix, &w, &s, &global);
    if (r != LQ_OK)
        return r;
    const int64_t n = w.shape[0] * 2 * w.shape[1];
    if (count != n)
        return lq__fail(LQ_ERR_SHAPE, "%s: '%s' has %lld weights, the buffer %lld", fn, prefix,
                        (long long)n, (long long)count);
    for (int64_t i = 0; i < n; i++) {
        float scale = lq__e4m3_to_f32(s.data[i / NV_GROUP]) / global;
        float v = fp4_value(w.data[i / 2] >> (4 * (i & 1))) * scale;
        out[i] = lq__bf16_to_f32(lq__f32_to_bf16(v));
    }
    return LQ_OK;
}

/* ---- gpt-oss MXFP4 ---- */

lq_status lq__hf_mxfp4_export(const char *fn, const lq_tensor *q, const char *prefix,
                              lq_safetensors *st)
{
    lq_status r = blocks_of(fn, q, LQ_TYPE_MXFP4, 2, 3);
    if (r != LQ_OK)
        return r;
    const int64_t nblocks = lq_tensor_numel(q) / MX_BLOCK;
    uint8_t *codes = lq__malloc((size_t)(nblocks * 16));
    uint8_t *exps = lq__malloc((size_t)nblocks);
    if (!codes || !exps)
        r = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    const lq__blk_mxfp4 *b = (const lq__blk_mxfp4 *)q->data;
    for (int64_t i = 0; r == LQ_OK && i < nblocks; i++) {
        exps[i] = b[i].e;
        for (int k = 0; k < 16; k++) { /* ggml: j low, j + 16 high; gpt-oss: 2k low, 2k + 1 high */
            int j0 = 2 * k, j1 = 2 * k + 1;
            unsigned c0 = j0 < 16 ? b[i].qs[j0] & 0xF : b[i].qs[j0 - 16] >> 4;
            unsigned c1 = j1 < 16 ? b[i].qs[j1] & 0xF : b[i].qs[j1 - 16] >> 4;
            codes[i * 16 + k] = (uint8_t)(c0 | c1 << 4);
        }
    }
    int64_t shape[4];
    for (int d = 0; d < q->ndim - 1; d++)
        shape[d] = q->shape[d];
    shape[q->ndim - 1] = q->shape[q->ndim - 1] / MX_BLOCK;
    shape[q->ndim] = 16;
    if (r == LQ_OK)
        r = lq__hf_add(st, prefix, "_blocks", "U8", q->ndim + 1, shape, codes,
                       (uint64_t)(nblocks * 16));
    if (r == LQ_OK)
        r = lq__hf_add(st, prefix, "_scales", "U8", q->ndim, shape, exps, (uint64_t)nblocks);
    lq__free(codes);
    lq__free(exps);
    return r;
}

/* The two tensors of an MXFP4 weight, their shapes checked against each other. */
static lq_status mx_find(const char *fn, const lq_safetensors *st, const char *prefix,
                         lq__hf_part *blocks, lq__hf_part *scales)
{
    lq_status r = lq__hf_find(st, prefix, "_blocks", "U8", -1, blocks);
    if (r == LQ_OK)
        r = lq__hf_find(st, prefix, "_scales", "U8", blocks->ndim - 1, scales);
    if (r != LQ_OK) {
        lq__error_prefix(fn);
        return r;
    }
    bool fits = blocks->ndim >= 3 && blocks->ndim <= LQ_MAX_DIMS + 1 &&
                blocks->shape[blocks->ndim - 1] == 16;
    for (int d = 0; fits && d < scales->ndim; d++)
        fits = scales->shape[d] == blocks->shape[d];
    if (!fits)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': blocks of %d dimensions and scales of %d do "
                        "not make [..., out, in/32, 16] and [..., out, in/32]", fn, prefix,
                        blocks->ndim, scales->ndim);
    return LQ_OK;
}

/* The code of element j (0..31) of a gpt-oss block's 16 bytes. */
static unsigned mx_code(const uint8_t *codes, int j) { return codes[j / 2] >> (4 * (j & 1)) & 0xF; }

lq_status lq__hf_mxfp4_import(const char *fn, const lq_safetensors *st, const char *prefix,
                              lq_tensor **out)
{
    lq__hf_part bl, sc;
    lq_status r = mx_find(fn, st, prefix, &bl, &sc);
    if (r != LQ_OK)
        return r;
    int ndim = bl.ndim - 2 + 1;
    int64_t shape[LQ_MAX_DIMS], nblocks = (int64_t)sc.nbytes;
    for (int d = 0; d < ndim - 1; d++)
        shape[d] = bl.shape[d];
    shape[ndim - 1] = bl.shape[ndim - 1] * MX_BLOCK;
    lq__blk_mxfp4 *b = lq__calloc((size_t)nblocks, sizeof *b);
    if (!b)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    for (int64_t i = 0; i < nblocks; i++) {
        b[i].e = sc.data[i];
        for (int j = 0; j < MX_BLOCK; j++) {
            unsigned c = mx_code(bl.data + 16 * i, j);
            b[i].qs[j & 15] |= (uint8_t)(j < 16 ? c : c << 4);
        }
    }
    return wrap_blocks("mxfp4", ndim, shape, b, (uint64_t)nblocks * sizeof *b, prefix, out);
}

lq_status lq__hf_mxfp4_decode(const char *fn, const lq_safetensors *st, const char *prefix,
                              float *out, int64_t count)
{
    lq__hf_part bl, sc;
    lq_status r = mx_find(fn, st, prefix, &bl, &sc);
    if (r != LQ_OK)
        return r;
    const int64_t nblocks = (int64_t)sc.nbytes;
    if (count != nblocks * MX_BLOCK)
        return lq__fail(LQ_ERR_SHAPE, "%s: '%s' has %lld weights, the buffer %lld", fn, prefix,
                        (long long)(nblocks * MX_BLOCK), (long long)count);
    for (int64_t i = 0; i < nblocks; i++) {
        /* torch.ldexp multiplies by 2.0^(e - 127) in float32: 2^128 is infinite */
        float scale = sc.data[i] == 255 ? INFINITY : ldexpf(1.0f, (int)sc.data[i] - 127);
        for (int j = 0; j < MX_BLOCK; j++) {
            float v = fp4_value(mx_code(bl.data + 16 * i, j)) * scale;
            out[i * MX_BLOCK + j] = lq__bf16_to_f32(lq__f32_to_bf16(v));
        }
    }
    return LQ_OK;
}
