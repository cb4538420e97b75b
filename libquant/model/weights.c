/* weights.c — a model's weights made on use: a model built from a handle
 * whose tensors a source makes (a Hugging Face folder, io/gguf_source.h)
 * holds its 2-D weights as views without bytes. Each is made into memory of
 * its own when a pass needs it and freed when the pass is done with it, so
 * that a layer-by-layer pass (calibration, quantization) holds about one
 * layer of the widened weights instead of the whole model; the forward pass
 * makes them all (lq_model_eval). The bytes are the model's own, never the
 * handle's: models built from one handle (a base and its quantized copy)
 * make and free theirs independently. Under a memory limit, the weights
 * lq_model_quantize makes go to an unlinked temporary file as they are
 * finished and are read back the same way (lq__model_spill). */
#include <string.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/scheme_names.h"
#include "../core/tensor.h"
#include "../io/ggml_types.h"
#include "../io/gguf_internal.h"
#include "../io/gguf_source.h"
#include "model.h"
#include "../core/tempfile.h"

bool lq__model_lazy_source(const lq_gguf *g)
{
    return g->src != NULL;
}

lq_status lq__model_lazy_view(const char *fn, const lq_gguf *g, int64_t i, lq_tensor **out)
{
    int64_t shape[LQ_MAX_DIMS];
    int nd = lq_gguf_tensor_ndim(g, i);
    for (int d = 0; d < nd && d < LQ_MAX_DIMS; d++)
        shape[d] = lq_gguf_tensor_dim(g, i, d);
    const char *name = lq_gguf_tensor_name(g, i);
    lq_type type = lq__lq_type_of_ggml(lq_gguf_tensor_ggml_type(g, i));
    if (type < 0)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: tensor '%s' is of a ggml type libquant cannot "
                        "decode", fn, name);
    struct lq_scheme scheme;
    lq_status st = lq_type_is_quantized(type) ? lq__scheme_default(type, &scheme) : LQ_OK;
    if (st == LQ_OK)
        st = lq__tensor_alloc(fn, type, nd, shape, name, 0,
                              lq_type_is_quantized(type) ? &scheme : NULL, out);
    if (st != LQ_OK)
        return st;
    (*out)->nbytes = (size_t)lq_gguf_tensor_nbytes(g, i);
    (*out)->owned = false; /* no bytes until made */
    return LQ_OK;
}

/* The index of t in m->tensors, or -1. */
static int64_t model_index(const lq_model *m, const lq_tensor *t)
{
    for (int64_t k = 0; k < m->n_tensors; k++)
        if (m->tensors[k] == t)
            return k;
    return -1;
}

/* Make tensor k's bytes if it is a weight without them. */
static lq_status fetch_at(const char *fn, lq_model *m, int64_t k)
{
    lq_tensor *w = m->tensors[k];
    if (!m->lazy[k] || w->data || !w->nbytes)
        return LQ_OK;
    uint8_t *bytes = lq__malloc(w->nbytes);
    if (!bytes)
        return lq__fail(LQ_ERR_NOMEM, "%s: tensor '%s': cannot hold its %zu bytes", fn, w->name,
                        w->nbytes);
    lq_status st = m->spill_at && m->spill_at[k] >= 0
                       ? lq__temp_io(fn, "the quantized weights", m->spill_fd, bytes, w->nbytes,
                                     (uint64_t)m->spill_at[k], false)
                       : lq__gguf_tensor_read(fn, m->src, lq_gguf_find_tensor(m->src, w->name),
                                              bytes);
    if (st != LQ_OK) {
        lq__free(bytes);
        return st;
    }
    w->data = bytes;
    w->owned = true;
    return LQ_OK;
}

lq_status lq__model_fetch_rows(const char *fn, const lq_model *m, const lq_tensor *t, int64_t r0,
                               int64_t r1, uint8_t *dst)
{
    size_t row_bytes = t->nbytes / (size_t)t->shape[0], off = (size_t)r0 * row_bytes;
    size_t len = (size_t)(r1 - r0) * row_bytes;
    if (t->data) {
        memcpy(dst, t->data + off, len);
        return LQ_OK;
    }
    int64_t k = model_index(m, t);
    if (k >= 0 && m->spill_at && m->spill_at[k] >= 0)
        return lq__temp_io(fn, "the quantized weights", m->spill_fd, dst, len,
                           (uint64_t)m->spill_at[k] + off, false);
    return lq__gguf_tensor_read_rows(fn, m->src, lq_gguf_find_tensor(m->src, t->name), r0, r1,
                                     dst);
}

lq_status lq__model_fetch(const char *fn, lq_model *m, const lq_tensor *t)
{
    int64_t k = m->lazy && t ? model_index(m, t) : -1;
    return k < 0 ? LQ_OK : fetch_at(fn, m, k);
}

void lq__model_drop(lq_model *m, const lq_tensor *t)
{
    int64_t k = m->lazy && t ? model_index(m, t) : -1;
    if (k < 0 || !m->lazy[k])
        return;
    lq_tensor *w = m->tensors[k];
    if (w->owned)
        lq__free(w->data);
    w->data = NULL;
    w->owned = false;
}

void lq__model_keep(lq_model *m, const lq_tensor *t)
{
    int64_t k = m->lazy && t ? model_index(m, t) : -1;
    if (k >= 0)
        m->lazy[k] = false;
}

/* The seven linear weights of layer il. */
static void layer_weights(const lq_model *m, int64_t il, const lq_tensor **w)
{
    lq__linear *l[LQ__LAYER_WEIGHTS];
    lq__layer_linears(&m->layers[il], l);
    for (int p = 0; p < LQ__LAYER_WEIGHTS; p++)
        w[p] = l[p]->t;
}

lq_status lq__model_fetch_layer(const char *fn, lq_model *m, int64_t il)
{
    const lq_tensor *w[LQ__LAYER_WEIGHTS];
    layer_weights(m, il, w);
    lq_status st = LQ_OK;
    for (int p = 0; st == LQ_OK && p < LQ__LAYER_WEIGHTS; p++)
        st = lq__model_fetch(fn, m, w[p]);
    return st;
}

void lq__model_drop_layer(lq_model *m, int64_t il)
{
    const lq_tensor *w[LQ__LAYER_WEIGHTS];
    layer_weights(m, il, w);
    for (int p = 0; p < LQ__LAYER_WEIGHTS; p++)
        lq__model_drop(m, w[p]);
}

lq_status lq__model_fetch_all(const char *fn, lq_model *m)
{
    lq_status st = LQ_OK;
    for (int64_t k = 0; st == LQ_OK && m->lazy && k < m->n_tensors; k++)
        st = fetch_at(fn, m, k);
    return st;
}

lq_status lq__model_spill_start(const char *fn, lq_model *m)
{
    size_t n = m->n_tensors > 0 ? (size_t)m->n_tensors : 1;
    if (!m->lazy && !(m->lazy = lq__calloc(n, sizeof *m->lazy)))
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (!(m->spill_at = lq__malloc(n * sizeof *m->spill_at)))
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    for (size_t k = 0; k < n; k++)
        m->spill_at[k] = -1;
    return lq__temp_file(fn, "the quantized weights", &m->spill_fd);
}

lq_status lq__model_spill(const char *fn, lq_model *m, const lq_tensor *t)
{
    int64_t k = m->spill_fd >= 0 && t ? model_index(m, t) : -1;
    if (k < 0 || !t->nbytes)
        return LQ_OK;
    lq_tensor *w = m->tensors[k];
    lq_status st = lq__temp_io(fn, "the quantized weights", m->spill_fd, w->data, w->nbytes,
                               m->spill_end, true);
    if (st != LQ_OK)
        return st;
    m->spill_at[k] = (int64_t)m->spill_end;
    m->spill_end += w->nbytes;
    m->lazy[k] = true;
    return LQ_OK;
}
