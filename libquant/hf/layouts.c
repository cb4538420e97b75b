/* layouts.c — the table of Hugging Face layouts, indexed by LQ_HF_*, and
 * the adapters that give each family's functions the rows' signatures. */
#include <stddef.h>

#include "layouts.h"

static lq_status gptq_export(const char *fn, const lq__hf_layout *l, const lq_tensor *q,
                             const int32_t *perm, const lq_calib *calib, const char *prefix,
                             lq_safetensors *st)
{
    (void)calib;
    return lq__hf_gptq_export(fn, q, perm, l->variant, prefix, st);
}

static lq_status gptq_read(const char *fn, const lq__hf_layout *l, const lq_safetensors *st,
                           const char *prefix, lq__hf_int *h)
{
    return lq__hf_gptq_read(fn, st, l->variant, prefix, h);
}

static lq_status awq_export(const char *fn, const lq__hf_layout *l, const lq_tensor *q,
                            const int32_t *perm, const lq_calib *calib, const char *prefix,
                            lq_safetensors *st)
{
    (void)l, (void)perm, (void)calib;
    return lq__hf_awq_export(fn, q, prefix, st);
}

static lq_status awq_read(const char *fn, const lq__hf_layout *l, const lq_safetensors *st,
                          const char *prefix, lq__hf_int *h)
{
    (void)l;
    return lq__hf_awq_read(fn, st, prefix, h);
}

static lq_status bnb4_export(const char *fn, const lq__hf_layout *l, const lq_tensor *q,
                             const int32_t *perm, const lq_calib *calib, const char *prefix,
                             lq_safetensors *st)
{
    (void)l, (void)perm, (void)calib;
    return lq__hf_bnb4_export(fn, q, prefix, st);
}

static lq_status int8_export(const char *fn, const lq__hf_layout *l, const lq_tensor *q,
                             const int32_t *perm, const lq_calib *calib, const char *prefix,
                             lq_safetensors *st)
{
    (void)l, (void)perm, (void)calib;
    return lq__hf_int8_export(fn, q, prefix, st);
}

static lq_status fp8_export(const char *fn, const lq__hf_layout *l, const lq_tensor *q,
                            const int32_t *perm, const lq_calib *calib, const char *prefix,
                            lq_safetensors *st)
{
    (void)l, (void)perm;
    return lq__hf_fp8_export(fn, q, calib, prefix, st);
}

static lq_status nvfp4_export(const char *fn, const lq__hf_layout *l, const lq_tensor *q,
                              const int32_t *perm, const lq_calib *calib, const char *prefix,
                              lq_safetensors *st)
{
    (void)l, (void)perm, (void)calib;
    return lq__hf_nvfp4_export(fn, q, prefix, st);
}

static lq_status mxfp4_export(const char *fn, const lq__hf_layout *l, const lq_tensor *q,
                              const int32_t *perm, const lq_calib *calib, const char *prefix,
                              lq_safetensors *st)
{
    (void)l, (void)perm, (void)calib;
    return lq__hf_mxfp4_export(fn, q, prefix, st);
}

/* name, export, read_int, import, decode, config, stores_perm, uses_calib, variant */
static const lq__hf_layout table[] = {
    [LQ_HF_GPTQ] = {"gptq", gptq_export, gptq_read, NULL, NULL, lq__hf_gptq_config, true, false,
                    false},
    [LQ_HF_GPTQ_V2] = {"gptq_v2", gptq_export, gptq_read, NULL, NULL, lq__hf_gptq_config, true,
                       false, true},
    [LQ_HF_AWQ] = {"awq", awq_export, awq_read, NULL, NULL, lq__hf_awq_config, false, false,
                   false},
    /* bitsandbytes rounds its decoded values to the quant state's dtype */
    [LQ_HF_BNB4] = {"bnb4", bnb4_export, NULL, lq__hf_bnb4_import, lq__hf_bnb4_decode,
                    lq__hf_bnb_config, false, false, true},
    [LQ_HF_FP8] = {"fp8", fp8_export, NULL, lq__hf_fp8_import, NULL, lq__hf_fp8_config, false,
                   false, false},
    /* bitsandbytes' own order of operations decodes int8 */
    [LQ_HF_INT8] = {"int8", int8_export, NULL, lq__hf_int8_import, lq__hf_int8_decode,
                    lq__hf_bnb_config, false, false, false},
    [LQ_HF_FP8_STATIC] = {"fp8_static", fp8_export, NULL, lq__hf_fp8_import, NULL,
                          lq__hf_fp8_config, false, true, true},
    /* both decode as their loaders do, in float32 rounded to bf16 */
    [LQ_HF_NVFP4] = {"nvfp4", nvfp4_export, NULL, lq__hf_nvfp4_import, lq__hf_nvfp4_decode,
                     lq__hf_nvfp4_config, false, false, false},
    [LQ_HF_MXFP4] = {"mxfp4", mxfp4_export, NULL, lq__hf_mxfp4_import, lq__hf_mxfp4_decode,
                     lq__hf_mxfp4_config, false, false, false},
};

const lq__hf_layout *lq__hf_layout_of(int format)
{
    if (format < 0 || (size_t)format >= sizeof table / sizeof *table || !table[format].name)
        return NULL;
    return &table[format];
}
