/* hf_config.c — quantization_config of each family of Hugging Face layouts
 * (algorithms.md 1.8, 2.6, 3.4, 6.3): the fields inside the object that
 * lq_hf_config opens and closes. */
#include <string.h>

#include "../formats/linear.h"
#include "layouts.h"

static void key_int(lq__jw *w, const char *k, int64_t v)
{
    lq__jw_key(w, k, strlen(k));
    lq__jw_int(w, v);
}

static void key_bool(lq__jw *w, const char *k, bool v)
{
    lq__jw_key(w, k, strlen(k));
    lq__jw_bool(w, v);
}

static void key_str(lq__jw *w, const char *k, const char *v)
{
    lq__jw_key(w, k, strlen(k));
    if (v)
        lq__jw_string(w, v, strlen(v));
    else
        lq__jw_null(w);
}

static void key_real(lq__jw *w, const char *k, double v)
{
    lq__jw_key(w, k, strlen(k));
    lq__jw_real(w, v);
}

/* The group size the configs store: -1 for a row or tensor scale. */
static int64_t group_of(const lq__qparams *qp) { return qp->group > 0 ? qp->group : -1; }

const char *lq__hf_gptq_config(lq__jw *w, const lq__hf_layout *l, const lq_scheme *s)
{
    const lq__qparams *qp = &s->qp;
    int bits = lq__linear_bits(qp->type);
    if (!bits)
        return "gptq stores int8/int4/int3/int2";
    key_str(w, "quant_method", "gptq");
    key_int(w, "bits", bits);
    key_int(w, "group_size", group_of(qp));
    key_real(w, "damp_percent", s->method == LQ_METHOD_GPTQ ? s->damp : 0.01);
    key_bool(w, "desc_act", s->act_order != 0);
    key_bool(w, "static_groups", s->static_groups != 0);
    key_bool(w, "sym", qp->sym != 0);
    key_bool(w, "true_sequential", true);
    key_str(w, "model_name_or_path", NULL);
    key_str(w, "model_file_base_name", NULL);
    key_str(w, "checkpoint_format", l->name);
    return NULL;
}

const char *lq__hf_awq_config(lq__jw *w, const lq__hf_layout *l, const lq_scheme *s)
{
    (void)l;
    const lq__qparams *qp = &s->qp;
    if (qp->type != LQ_TYPE_INT4 || group_of(qp) < 0)
        return "awq stores int4 with a group size";
    key_str(w, "quant_method", "awq");
    key_bool(w, "zero_point", !qp->sym);
    key_int(w, "group_size", group_of(qp));
    key_int(w, "bits", 4);
    key_str(w, "version", "gemm");
    key_str(w, "modules_to_not_convert", NULL);
    return NULL;
}

/* bnb4 (the variant) and int8 */
const char *lq__hf_bnb_config(lq__jw *w, const lq__hf_layout *l, const lq_scheme *s)
{
    const lq__qparams *qp = &s->qp;
    int four = l->variant;
    if (four && qp->type != LQ_TYPE_NF4 && qp->type != LQ_TYPE_FP4)
        return "bnb4 stores nf4 or fp4";
    if (!four && (qp->type != LQ_TYPE_INT8 || qp->group != LQ_GROUP_CHANNEL || !qp->sym))
        return "int8 stores int8:channel:sym";
    key_str(w, "quant_method", "bitsandbytes");
    key_bool(w, "load_in_4bit", four);
    key_bool(w, "load_in_8bit", !four);
    key_str(w, "bnb_4bit_quant_type", qp->type == LQ_TYPE_FP4 ? "fp4" : "nf4");
    key_bool(w, "bnb_4bit_use_double_quant", four && qp->double_quant);
    key_str(w, "bnb_4bit_compute_dtype", "bfloat16");
    key_str(w, "bnb_4bit_quant_storage", "uint8");
    key_real(w, "llm_int8_threshold", s->method == LQ_METHOD_LLM_INT8 ? s->threshold : 6.0);
    key_str(w, "llm_int8_skip_modules", NULL);
    key_bool(w, "llm_int8_enable_fp32_cpu_offload", false);
    key_bool(w, "llm_int8_has_fp16_weight", false);
    return NULL;
}

/* fp8 and fp8_static (the variant) */
/* A compressed-tensors quantization_config with one group of Linear
 * layers: ct_open writes up to the group's "targets", the caller the
 * group's arguments, ct_close the rest. */
static void ct_open(lq__jw *w, const char *format)
{
    key_str(w, "quant_method", "compressed-tensors");
    key_str(w, "format", format);
    lq__jw_key(w, "config_groups", 13);
    lq__jw_object(w);
    lq__jw_key(w, "group_0", 7);
    lq__jw_object(w);
    lq__jw_key(w, "targets", 7);
    lq__jw_array(w);
    lq__jw_string(w, "Linear", 6);
    lq__jw_end(w);
}

static void ct_close(lq__jw *w)
{
    lq__jw_end(w);
    lq__jw_end(w);
    lq__jw_key(w, "ignore", 6);
    lq__jw_array(w);
    lq__jw_string(w, "lm_head", 7);
    lq__jw_end(w);
    /* the weights are stored quantized: without this compressed-tensors
     * takes them for float weights still to be quantized on every forward */
    key_str(w, "quantization_status", "compressed");
}

/* One group's "weights" or "input_activations" arguments. */
static void ct_args(lq__jw *w, const char *part, int bits, const char *strategy, int64_t group,
                    bool dynamic)
{
    lq__jw_key(w, part, strlen(part));
    lq__jw_object(w);
    key_int(w, "num_bits", bits);
    key_str(w, "type", "float");
    key_str(w, "strategy", strategy);
    if (group > 0)
        key_int(w, "group_size", group);
    key_bool(w, "symmetric", true);
    key_bool(w, "dynamic", dynamic);
    lq__jw_end(w);
}

const char *lq__hf_fp8_config(lq__jw *w, const lq__hf_layout *l, const lq_scheme *s)
{
    const lq__qparams *qp = &s->qp;
    int stat = l->variant;
    if (qp->type != LQ_TYPE_FP8_E4M3)
        return "fp8 checkpoints store fp8_e4m3";
    if (qp->group == LQ_GROUP_TENSOR) { /* vLLM's own fp8 config */
        key_str(w, "quant_method", "fp8");
        key_str(w, "activation_scheme", stat ? "static" : "dynamic");
        return NULL;
    }
    /* per channel: compressed-tensors' FP8_DYNAMIC preset, or with a static
     * per-tensor activation scale */
    ct_open(w, "float-quantized");
    ct_args(w, "weights", 8, "channel", 0, false);
    ct_args(w, "input_activations", 8, stat ? "tensor" : "token", 0, !stat);
    ct_close(w);
    return NULL;
}

const char *lq__hf_nvfp4_config(lq__jw *w, const lq__hf_layout *l, const lq_scheme *s)
{
    (void)l;
    if (s->qp.type != LQ_TYPE_NVFP4)
        return "nvfp4 checkpoints store nvfp4";
    /* llm-compressor's NVFP4A16 preset: weights only */
    ct_open(w, "nvfp4-pack-quantized");
    ct_args(w, "weights", 4, "tensor_group", 16, false);
    ct_close(w);
    return NULL;
}

const char *lq__hf_mxfp4_config(lq__jw *w, const lq__hf_layout *l, const lq_scheme *s)
{
    (void)l;
    if (s->qp.type != LQ_TYPE_MXFP4)
        return "mxfp4 checkpoints store mxfp4";
    key_str(w, "quant_method", "mxfp4"); /* transformers' Mxfp4Config */
    return NULL;
}
