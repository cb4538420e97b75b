/* budget_plan.c — a plan's types chosen under a size budget: which tensors
 * take part, what the budget leaves them, the solver's choice, and the keys
 * that record it. */
#include <stdio.h>
#include <string.h>

#include <lq/lq.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../core/ftype_list.h"
#include "../core/type_info.h"
#include "../io/gguf_internal.h"
#include "../io/gguf_size.h"
#include "budget.h"

typedef struct budget_run {
    const char *fn;
    const lq_gguf *in;
    const lq__budget *b;
    lq__plan *p;
    char target[96];          /* LQ__BUDGET_KEY_TARGET's value */
    const char *measure;      /* LQ__BUDGET_KEY_ERROR's value */
    uint32_t *ids;            /* per output tensor (file order): ggml type id */
    float *errs;              /* per output tensor: estimated error */
} budget_run;

static int64_t numel_of(const lq_gguf *g, int64_t i)
{
    int64_t n = 1;
    for (int d = 0; d < lq_gguf_tensor_ndim(g, i); d++)
        n *= lq_gguf_tensor_dim(g, i, d);
    return n;
}

/* Whether the budget chooses tensor i's type: a tensor the rules quantize,
 * stored as f32/f16/bf16 (an already quantized one keeps the rules' type),
 * whose type the user did not set. */
static bool takes_part(const lq_gguf *in, const lq__mixture *rules, int64_t i)
{
    const char *name = lq_gguf_tensor_name(in, i);
    int id = lq_gguf_tensor_ggml_type(in, i);
    bool plain = id == lq_type_ggml_id(LQ_TYPE_F32) || id == lq_type_ggml_id(LQ_TYPE_F16) ||
                 id == lq_type_ggml_id(LQ_TYPE_BF16);
    return plain && numel_of(in, i) > 0 &&
           lq__mixture_allows(rules, name, lq_gguf_tensor_ndim(in, i)) &&
           !lq__mixture_pinned(rules, name);
}

/* The bytes of tensor i in type t (t < 0: its own type, copied). */
static int64_t bytes_in(const lq_gguf *in, int64_t i, lq_type t)
{
    if (t < 0)
        return (int64_t)lq_gguf_tensor_nbytes(in, i);
    const lq__type_info *ti = lq__type(t);
    int64_t n = numel_of(in, i);
    if (ti->flags & LQ__T_GGML && ti->block_elems > 0)
        return n / ti->block_elems * ti->block_bytes;
    return n * ti->elem_bytes;
}

/* The budget's keys into g (with the current ids and errors). */
static lq_status set_keys(budget_run *r, lq_gguf *g)
{
    lq_status st = lq_gguf_set_string(g, LQ__BUDGET_KEY_TARGET, r->target);
    if (st == LQ_OK)
        st = lq_gguf_set_string(g, LQ__BUDGET_KEY_ERROR, r->measure);
    if (st == LQ_OK)
        st = lq_gguf_set_array(g, LQ__BUDGET_KEY_TYPES, LQ_GGUF_TYPE_U32, r->ids, (uint64_t)r->p->n);
    if (st == LQ_OK)
        st = lq_gguf_set_array(g, LQ__BUDGET_KEY_ERRORS, LQ_GGUF_TYPE_F32, r->errs, (uint64_t)r->p->n);
    return st;
}

/* The file's bytes besides its tensors' (the header with the budget's keys,
 * and its padding), measured on a copy of the metadata with the tensors
 * declared in their rules' types. */
static lq_status header_size(budget_run *r, uint64_t *out)
{
    lq_gguf *g = NULL;
    lq_status st = lq_gguf_create(&g);
    for (int64_t k = 0; st == LQ_OK && k < lq_gguf_kv_count(r->p->out); k++)
        st = lq_gguf_copy_kv(g, r->p->out, lq_gguf_kv_key(r->p->out, k));
    if (st == LQ_OK)
        st = set_keys(r, g);
    uint64_t align = st == LQ_OK ? lq__gguf_alignment(g) : 1, tensors = 0;
    for (int64_t k = 0; st == LQ_OK && k < r->p->n; k++) {
        int64_t i = r->p->order[k];
        int ndim = lq_gguf_tensor_ndim(r->in, i);
        int64_t shape[4];
        for (int d = 0; d < ndim; d++)
            shape[d] = lq_gguf_tensor_dim(r->in, i, d);
        lq_type t = r->p->target[i];
        int id = t >= 0 ? lq_type_ggml_id(t) : lq_gguf_tensor_ggml_type(r->in, i);
        st = lq_gguf_declare_tensor(g, lq_gguf_tensor_name(r->in, i), id, ndim, shape);
        tensors += ((uint64_t)bytes_in(r->in, i, t) + align - 1) / align * align;
    }
    uint64_t total = 0;
    if (st == LQ_OK)
        st = lq__gguf_file_size(r->fn, g, &total);
    lq_gguf_free(g);
    *out = total - tensors;
    return st;
}

/* How much more a tensor's relative error counts when it is the output
 * head (or the token embedding that doubles as one): its noise reaches the
 * logits as it is, while a block's output is one of the 2 * layers + 1
 * contributions (the embedding's included) the residual stream sums, so
 * the same relative noise in it is diluted among them. */
static double head_weight(const lq_gguf *in, int64_t i)
{
    const char *name = lq_gguf_tensor_name(in, i);
    bool head = strcmp(name, "output.weight") == 0 ||
                (strcmp(name, "token_embd.weight") == 0 && lq_gguf_find_tensor(in, "output.weight") < 0);
    if (!head)
        return 1;
    int64_t layers = 0;
    for (int64_t k = 0; k < lq_gguf_tensor_count(in); k++) {
        const char *t = lq_gguf_tensor_name(in, k);
        long l;
        if (sscanf(t, "blk.%ld.", &l) == 1 && l + 1 > layers)
            layers = l + 1;
    }
    return (double)(2 * layers + 1);
}

/* Measure the tensors that take part, solve, and set their types. */
static lq_status choose(budget_run *r, const lq__mixture *rules, int64_t limit_total, uint64_t align)
{
    lq__plan *p = r->p;
    lq__budget_item *items = lq__calloc((size_t)p->n + 1, sizeof *items);
    lq_type (*types)[16] = lq__calloc((size_t)p->n + 1, sizeof *types);
    int64_t *which = lq__calloc((size_t)p->n + 1, sizeof *which); /* item -> output position k */
    if (!items || !types || !which) {
        lq__free(items);
        lq__free(types);
        lq__free(which);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", r->fn);
    }
    lq_status st = LQ_OK;
    int64_t n = 0, limit = limit_total;
    for (int64_t k = 0; st == LQ_OK && k < p->n; k++) {
        int64_t i = p->order[k];
        if (takes_part(r->in, rules, i)) {
            which[n] = k;
            st = lq__budget_measure(r->fn, r->in, i, r->b, align, &items[n], types[n]);
            double weight = head_weight(r->in, i);
            for (int c = 0; c < items[n].n; c++)
                items[n].err[c] *= weight;
            n++;
        } else {
            uint64_t bytes = (uint64_t)bytes_in(r->in, i, p->target[i]);
            limit -= (int64_t)((bytes + align - 1) / align * align);
        }
    }
    if (st == LQ_OK)
        st = lq__budget_solve(r->fn, items, n, limit);
    for (int64_t j = 0; st == LQ_OK && j < n; j++) {
        int64_t k = which[j];
        p->target[p->order[k]] = types[j][items[j].choice];
        r->errs[k] = (float)items[j].err[items[j].choice];
    }
    lq__free(items);
    lq__free(types);
    lq__free(which);
    return st;
}

/* general.file_type: the file type whose default type holds the most of
 * the chosen tensors' bytes (llama.cpp only prints it). */
static lq_status set_file_type(budget_run *r)
{
    static const int ftypes[] = {
#define FTYPE_ID(N, n, id, t) id,
        LQ__FTYPES(FTYPE_ID)
#undef FTYPE_ID
    };
    int64_t bytes[LQ_TYPE_COUNT_] = {0};
    for (int64_t i = 0; i < r->p->n; i++)
        if (r->p->target[i] >= 0 && lq_type_is_quantized(r->p->target[i]))
            bytes[r->p->target[i]] += bytes_in(r->in, i, r->p->target[i]);
    int best = -1;
    int64_t most = -1;
    for (size_t f = 0; f < sizeof ftypes / sizeof *ftypes; f++) {
        lq_type t;
        if (lq__ftype_info(ftypes[f], &t, NULL) && bytes[t] > most) {
            most = bytes[t];
            best = ftypes[f];
        }
    }
    return best < 0 ? LQ_OK : lq_gguf_set_u32(r->p->out, "general.file_type", (uint32_t)best);
}

lq_status lq__budget_plan(const char *fn, const lq_gguf *in, const lq__mixture *rules,
                          const lq__budget *b, lq__plan *p)
{
    budget_run r = {.fn = fn, .in = in, .b = b, .p = p};
    r.measure = b->imatrix ? "relative imatrix-weighted squared error"
                           : "relative squared error (no importance matrix)";
    r.ids = lq__calloc((size_t)p->n + 1, sizeof *r.ids);
    r.errs = lq__calloc((size_t)p->n + 1, sizeof *r.errs);
    lq_status st = r.ids && r.errs ? LQ_OK : lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    for (int64_t k = 0; st == LQ_OK && k < p->n; k++)
        r.errs[k] = -1; /* not chosen by the budget */
    uint64_t file_budget = 0;
    if (st == LQ_OK && b->kind == LQ__BUDGET_FTYPE) {
        const char *name = "?";
        lq__ftype_info(b->ftype, NULL, &name);
        file_budget = (uint64_t)b->value;
        snprintf(r.target, sizeof r.target, "%s: %llu bytes", name, (unsigned long long)file_budget);
    } else if (st == LQ_OK && b->kind == LQ__BUDGET_BYTES) {
        file_budget = (uint64_t)b->value;
        snprintf(r.target, sizeof r.target, "%llu bytes", (unsigned long long)file_budget);
    } else if (st == LQ_OK) {
        snprintf(r.target, sizeof r.target, "%.4g bpw", b->value);
    }
    uint64_t header = 0;
    if (st == LQ_OK)
        st = header_size(&r, &header);
    if (st == LQ_OK && b->kind == LQ__BUDGET_BPW) {
        /* bits per weight count the tensors' bytes, unpadded */
        double elements = 0;
        for (int64_t i = 0; i < p->n; i++)
            elements += (double)numel_of(in, i);
        st = choose(&r, rules, (int64_t)(b->value * elements / 8), 1);
    } else if (st == LQ_OK) {
        if (file_budget < header)
            st = lq__fail(LQ_ERR_INVALID, "%s: the budget of %llu bytes is smaller than the file's "
                          "header alone (%llu bytes)", fn, (unsigned long long)file_budget,
                          (unsigned long long)header);
        else
            st = choose(&r, rules, (int64_t)(file_budget - header), lq__gguf_alignment(p->out));
    }
    for (int64_t k = 0; st == LQ_OK && k < p->n; k++) {
        lq_type t = p->target[p->order[k]];
        r.ids[k] = (uint32_t)(t >= 0 ? lq_type_ggml_id(t)
                                     : lq_gguf_tensor_ggml_type(in, p->order[k]));
    }
    if (st == LQ_OK)
        st = set_keys(&r, p->out);
    if (st == LQ_OK)
        st = set_file_type(&r);
    if (st == LQ_OK)
        p->needs_imatrix = -1; /* no candidate type needs one */
    lq__free(r.ids);
    lq__free(r.errs);
    return st;
}
