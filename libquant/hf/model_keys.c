/* model_keys.c — the metadata convert_hf_to_gguf.py writes for a model
 * folder, in its order: general.*, the architecture's keys, the file type,
 * then the tokenizer's keys (tokenizer_keys.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "../core/ftype_list.h"
#include "model.h"
#include "tokenizer_keys.h"

/* llama.cpp's file type of a file whose weights are all `type` (the row of
 * ftype_list.h named after the type itself). */
static uint32_t file_type_of(lq_type type)
{
#define LQ__PURE(N, n, id, t) if (strcmp(#N, #t) == 0 && type == LQ_TYPE_##t) return id;
    LQ__FTYPES(LQ__PURE)
#undef LQ__PURE
    return 0;
}

/* Is w a version or starts with a digit (gguf-py's id_to_title leaves those)? */
static bool version_like(const char *w, size_t n)
{
    if (n && isdigit((unsigned char)w[0]))
        return true;
    if (n < 2 || w[0] != 'v')
        return false;
    size_t i = 1;
    for (;;) {
        size_t d = i;
        while (i < n && isdigit((unsigned char)w[i]))
            i++;
        if (i == d)
            return false;
        if (i == n)
            return true;
        if (w[i++] != '.')
            return false;
    }
}

/* general.name from the folder name as gguf-py's Metadata.id_to_title makes
 * it: '-' to spaces, words split on whitespace and joined by one space, an
 * all-lowercase word that is no version put in title case ("llama2-tied" ->
 * "Llama2 Tied"). ASCII letters only are cased here. */
static void title_of(const char *dir, char *out, size_t size)
{
    size_t end = strlen(dir);
    while (end > 1 && dir[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    size_t o = 0;
    for (size_t i = start; i < end && o + 1 < size;) {
        while (i < end && (isspace((unsigned char)dir[i]) || dir[i] == '-'))
            i++;
        size_t w = i;
        while (i < end && !isspace((unsigned char)dir[i]) && dir[i] != '-')
            i++;
        if (i == w)
            break;
        bool upper = false, lower = false;
        for (size_t k = w; k < i; k++) {
            upper |= isupper((unsigned char)dir[k]) != 0;
            lower |= islower((unsigned char)dir[k]) != 0;
        }
        bool titled = lower && !upper && !version_like(dir + w, i - w);
        if (o && o + 1 < size)
            out[o++] = ' ';
        bool prev_letter = false;
        for (size_t k = w; k < i && o + 1 < size; k++) {
            char c = dir[k];
            bool letter = isalpha((unsigned char)c) != 0;
            if (titled && letter && !prev_letter)
                c = (char)toupper((unsigned char)c);
            out[o++] = c;
            prev_letter = letter;
        }
    }
    out[o] = 0;
}

/* gguf-py's size_label: the parameter count with a K/M/B/T suffix and at
 * least two significant digits before the decimals run out ("1.7M"). */
static void size_label(int64_t params, char *out, size_t size)
{
    double n = (double)params, x;
    const char *suffix;
    if (n > 1e12)
        x = n * 1e-12, suffix = "T";
    else if (n > 1e9)
        x = n * 1e-9, suffix = "B";
    else if (n > 1e6)
        x = n * 1e-6, suffix = "M";
    else
        x = n * 1e-3, suffix = "K";
    /* digits of Python's round(x) (half to even, as nearbyint) without leading zeros */
    char digits[32];
    double r = nearbyint(x);
    int len = r == 0 ? 0 : snprintf(digits, sizeof digits, "%.0f", r);
    int fix = 2 - len > 0 ? 2 - len : 0;
    snprintf(out, size, "%.*f%s", fix, x, suffix);
}

static lq_status key(lq_status st, lq_gguf *g, const char *arch, const char *k, uint32_t v)
{
    char name[128];
    snprintf(name, sizeof name, "%s.%s", arch, k);
    return st == LQ_OK ? lq_gguf_set_u32(g, name, v) : st;
}

static lq_status key_f32(lq_status st, lq_gguf *g, const char *arch, const char *k, double v)
{
    char name[128];
    snprintf(name, sizeof name, "%s.%s", arch, k);
    return st == LQ_OK ? lq_gguf_set_f32(g, name, (float)v) : st;
}

lq_status lq__hf_model_keys(const char *fn, const lq__hf_model *m, lq_gguf *g)
{
    const lq__hf_cfg *c = &m->cfg;
    const char *a = m->arch->gguf_arch;
    char name[256], label[64];
    int64_t params = 0;
    for (int64_t i = 0; i < m->n_out; i++)
        params += m->out[i].rows * m->out[i].cols;
    title_of(m->dir, name, sizeof name);
    size_label(params, label, sizeof label);

    lq_status st = lq_gguf_set_string(g, "general.architecture", a);
    if (st == LQ_OK)
        st = lq_gguf_set_string(g, "general.type", "model");
    if (st == LQ_OK)
        st = lq_gguf_set_string(g, "general.name", name);
    if (st == LQ_OK && params > 0)
        st = lq_gguf_set_string(g, "general.size_label", label);
    st = key(st, g, a, "block_count", (uint32_t)c->n_layer);
    if (c->has_ctx)
        st = key(st, g, a, "context_length", (uint32_t)c->n_ctx);
    st = key(st, g, a, "embedding_length", (uint32_t)c->n_embd);
    st = key(st, g, a, "feed_forward_length", (uint32_t)c->n_ff);
    st = key(st, g, a, "attention.head_count", (uint32_t)c->n_head);
    if (c->has_head_kv)
        st = key(st, g, a, "attention.head_count_kv", (uint32_t)c->n_head_kv);
    if (c->has_theta)
        st = key_f32(st, g, a, "rope.freq_base", c->rope_theta);
    if (c->has_eps)
        st = key_f32(st, g, a, "attention.layer_norm_rms_epsilon", c->rms_eps);
    if (c->has_head_dim) {
        st = key(st, g, a, "attention.key_length", (uint32_t)c->head_dim);
        st = key(st, g, a, "attention.value_length", (uint32_t)c->head_dim);
    }
    if (st == LQ_OK)
        st = lq_gguf_set_u32(g, "general.file_type", file_type_of(m->outtype));
    if (m->arch->llama) {
        st = key(st, g, a, "vocab_size", (uint32_t)c->n_vocab);
        st = key(st, g, a, "rope.dimension_count", (uint32_t)c->head_dim);
    }
    if (st == LQ_OK)
        st = lq_gguf_set_u32(g, "general.quantization_version", 2);
    if (st == LQ_OK)
        st = lq__hf_tokenizer_keys(m->dir, a, c->n_vocab, g);
    if (st != LQ_OK && lq_last_error()[0] && strncmp(lq_last_error(), fn, strlen(fn)) != 0)
        lq__error_prefix(fn);
    return st;
}
