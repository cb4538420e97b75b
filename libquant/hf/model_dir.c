/* model_dir.c — a Hugging Face model folder: config.json as the converter
 * reads it, the weights (one file or shards with an index), and the order in
 * which the converter visits the tensors. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../io/file.h"
#include "model.h"

#define CONFIG_DEPTH 32 /* config.json nests a few objects (rope_scaling, quantization_config) */

static lq_status read_json(const char *fn, const char *dir, const char *base, bool *absent,
                           lq__json_doc **out)
{
    *out = NULL;
    char *path = lq__path_join(dir, base);
    if (!path)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    lq_status st = LQ_OK;
    if (absent && access(path, F_OK) != 0)
        *absent = true;
    else {
        lq__map map;
        st = lq__map_open(fn, path, &map);
        if (st == LQ_OK) {
            st = lq__json_parse(fn, base, (const char *)map.data, map.size, CONFIG_DEPTH, out);
            lq__map_close(&map);
        }
    }
    lq__free(path);
    return st;
}

/* An integer member; *present false when absent or null. */
static lq_status get_int(const char *fn, const lq__json *cfg, const char *key, bool required,
                         int64_t *v, bool *present)
{
    const lq__json *j = lq__json_get(cfg, key);
    if (present)
        *present = j && j->kind != LQ__JSON_NULL;
    if (!j || j->kind == LQ__JSON_NULL)
        return required ? lq__fail(LQ_ERR_FORMAT, "%s: config.json has no '%s'", fn, key) : LQ_OK;
    /* at most INT32_MAX, so that products of two sizes cannot overflow */
    if (j->kind != LQ__JSON_INT || j->integer < 1 || j->integer > INT32_MAX)
        return lq__fail(LQ_ERR_FORMAT, "%s: config.json: '%s' is not an integer in 1..%d", fn,
                        key, INT32_MAX);
    *v = j->integer;
    return LQ_OK;
}

static lq_status get_real(const char *fn, const lq__json *obj, const char *key, double dflt,
                          double *v, bool *present)
{
    const lq__json *j = lq__json_get(obj, key);
    if (present)
        *present = j && j->kind != LQ__JSON_NULL;
    if (!j || j->kind == LQ__JSON_NULL) {
        *v = dflt;
        return LQ_OK;
    }
    if (j->kind != LQ__JSON_INT && j->kind != LQ__JSON_REAL)
        return lq__fail(LQ_ERR_FORMAT, "%s: config.json: '%s' is not a number", fn, key);
    *v = j->real;
    return LQ_OK;
}

/* rope_scaling: none, or llama3's (its defaults are the converter's). */
static lq_status read_rope_scaling(const char *fn, const lq__json *cfg, lq__hf_cfg *c)
{
    const lq__json *rs = lq__json_get(cfg, "rope_scaling");
    if (!rs || rs->kind == LQ__JSON_NULL)
        return LQ_OK;
    const lq__json *type = lq__json_get(rs, "rope_type");
    if (!type)
        type = lq__json_get(rs, "type");
    if (!type || type->kind == LQ__JSON_NULL)
        return LQ_OK;
    if (!lq__json_is_str(type, "llama3") && !lq__json_is_str(type, "default"))
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: config.json: rope_scaling type '%.64s' is not "
                        "supported (llama3 and none are)", fn,
                        type->kind == LQ__JSON_STRING ? type->str : "?");
    if (!lq__json_is_str(type, "llama3"))
        return LQ_OK;
    c->llama3_rope = true;
    lq_status st = get_real(fn, rs, "factor", 8.0, &c->rope_factor, NULL);
    if (st == LQ_OK)
        st = get_real(fn, rs, "low_freq_factor", 1.0, &c->rope_low, NULL);
    if (st == LQ_OK)
        st = get_real(fn, rs, "high_freq_factor", 4.0, &c->rope_high, NULL);
    if (st == LQ_OK)
        st = get_real(fn, rs, "original_max_position_embeddings", 8192.0, &c->rope_orig, NULL);
    return st;
}

static lq_status read_config(const char *fn, const lq__json *cfg, lq__hf_model *m)
{
    if (cfg->kind != LQ__JSON_OBJECT)
        return lq__fail(LQ_ERR_FORMAT, "%s: config.json is not an object", fn);
    const lq__json *archs = lq__json_get(cfg, "architectures");
    if (!archs || archs->kind != LQ__JSON_ARRAY || archs->count < 1 ||
        archs->items[0].kind != LQ__JSON_STRING)
        return lq__fail(LQ_ERR_FORMAT, "%s: config.json has no 'architectures' list of names",
                        fn);
    if (!(m->arch = lq__hf_arch_find(archs->items[0].str))) {
        char list[256];
        lq__hf_arch_list(list, sizeof list);
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: architecture '%.100s' is not supported; the "
                        "supported ones are %s", fn, archs->items[0].str, list);
    }
    lq__hf_cfg *c = &m->cfg;
    lq_status st = get_int(fn, cfg, "num_hidden_layers", true, &c->n_layer, NULL);
    if (st == LQ_OK)
        st = get_int(fn, cfg, "max_position_embeddings", false, &c->n_ctx, &c->has_ctx);
    if (st == LQ_OK)
        st = get_int(fn, cfg, "hidden_size", true, &c->n_embd, NULL);
    if (st == LQ_OK)
        st = get_int(fn, cfg, "intermediate_size", true, &c->n_ff, NULL);
    if (st == LQ_OK)
        st = get_int(fn, cfg, "num_attention_heads", true, &c->n_head, NULL);
    /* the converter's Q/K permutation needs the KV head count */
    if (st == LQ_OK)
        st = get_int(fn, cfg, "num_key_value_heads", m->arch->llama, &c->n_head_kv,
                     &c->has_head_kv);
    if (st == LQ_OK && !c->has_head_kv)
        c->n_head_kv = c->n_head;
    if (st == LQ_OK)
        st = get_int(fn, cfg, "vocab_size", true, &c->n_vocab, NULL);
    if (st == LQ_OK)
        st = get_int(fn, cfg, "head_dim", false, &c->head_dim, &c->has_head_dim);
    if (st == LQ_OK)
        st = get_real(fn, cfg, "rope_theta", 10000.0, &c->rope_theta, &c->has_theta);
    if (st == LQ_OK)
        st = get_real(fn, cfg, "rms_norm_eps", 0.0, &c->rms_eps, &c->has_eps);
    if (st == LQ_OK)
        st = read_rope_scaling(fn, cfg, c);
    if (st != LQ_OK)
        return st;
    if (!c->has_head_dim)
        c->head_dim = c->n_embd / c->n_head;
    if (c->head_dim < 1)
        return lq__fail(LQ_ERR_FORMAT, "%s: config.json: hidden_size %lld is smaller than "
                        "num_attention_heads %lld and there is no head_dim", fn,
                        (long long)c->n_embd, (long long)c->n_head);
    /* the Llama class reorders Q/K rows in pairs within each KV head */
    if (m->arch->llama && (c->n_head % c->n_head_kv || c->head_dim % 2))
        return lq__fail(LQ_ERR_FORMAT, "%s: config.json: %lld attention heads, %lld KV heads "
                        "and head size %lld do not fit together", fn, (long long)c->n_head,
                        (long long)c->n_head_kv, (long long)c->head_dim);
    return LQ_OK;
}

typedef struct ranked {
    const char *file; /* the shard holding the tensor */
    const char *name;
    int64_t index;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    return c ? c : strcmp(x->name, y->name);
}

/* The converter reads the shards named by the index sorted by file name,
 * each in the order of its tensor names (gguf-py's SafetensorsLocal sorts
 * them, as the safetensors library's keys() does; the header's own order,
 * which the reader keeps, differs in a file of mixed dtypes). Names are
 * unique, so the order is total; strcmp's byte order is Python's code-point
 * order on UTF-8. */
static lq_status converter_order(const char *fn, lq__hf_model *m)
{
    lq__json_doc *index = NULL;
    bool single = false;
    lq_status st = read_json(fn, m->dir, "model.safetensors.index.json", &single, &index);
    const lq__json *map = index ? lq__json_get(lq__json_root(index), "weight_map") : NULL;
    int64_t n = lq_safetensors_tensor_count(m->st);
    ranked *r = n ? lq__calloc((size_t)n, sizeof *r) : NULL;
    if (st == LQ_OK && n && !r)
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    for (int64_t i = 0; st == LQ_OK && i < n; i++) {
        const lq__json *f = map ? lq__json_get(map, lq_safetensors_tensor_name(m->st, i)) : NULL;
        r[i].file = f && f->kind == LQ__JSON_STRING ? f->str : ""; /* the reader checked the index */
        r[i].name = lq_safetensors_tensor_name(m->st, i);
        r[i].index = i;
    }
    if (st == LQ_OK && n) {
        qsort(r, (size_t)n, sizeof *r, cmp_ranked);
        if (!(m->order = lq__malloc((size_t)n * sizeof *m->order)))
            st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    for (int64_t i = 0; st == LQ_OK && i < n; i++)
        m->order[i] = r[i].index;
    m->n_order = st == LQ_OK ? n : 0;
    lq__free(r);
    lq__json_free(index);
    return st;
}

lq_status lq__hf_model_load(const char *fn, const char *dir, lq__hf_model *m)
{
    memset(m, 0, sizeof *m);
    if (!lq__is_dir(dir))
        return lq__fail(LQ_ERR_IO, "%s: %s is not a folder", fn, dir);
    if (!(m->dir = lq__strdup(dir)))
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    bool absent = false;
    lq_status st = read_json(fn, dir, "config.json", &absent, &m->cfg_doc);
    if (st == LQ_OK && absent)
        st = lq__fail(LQ_ERR_IO, "%s: %s has no config.json (not a Hugging Face model folder)",
                      fn, dir);
    if (st == LQ_OK)
        st = read_config(fn, lq__json_root(m->cfg_doc), m);
    /* optional, and ignored when it is not JSON, as the converter does */
    bool no_gen = false;
    if (st == LQ_OK &&
        (st = read_json(fn, dir, "generation_config.json", &no_gen, &m->gen_doc)) == LQ_ERR_FORMAT)
        st = LQ_OK;
    if (st == LQ_OK && (st = lq_safetensors_open(dir, &m->st)) != LQ_OK)
        lq__error_prefix(fn);
    if (st == LQ_OK)
        st = converter_order(fn, m);
    return st;
}

void lq__hf_model_clear(lq__hf_model *m)
{
    lq__free(m->dir);
    lq__json_free(m->cfg_doc);
    lq__json_free(m->gen_doc);
    lq_safetensors_free(m->st);
    lq__free(m->order);
    lq__free(m->out);
    memset(m, 0, sizeof *m);
}
