/* mixture_plan.c — what lq_gguf_quantize will write: the output's metadata
 * and every tensor's type, from the model's tensor list and the rules of
 * mixture.c. */
#include "mixture_plan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lq/lq.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../io/ggml_types.h"

#define GGML_QNT_VERSION 2 /* what llama.cpp writes as general.quantization_version */

static int64_t meta_int(const lq_gguf *g, const char *arch, const char *suffix)
{
    char key[128];
    int64_t v = 0;
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    return lq_gguf_get_int(g, key, &v) == LQ_OK ? v : 0;
}

/* The model facts the rules need, from the input's metadata; returns
 * {arch}.block_count (0 when absent). */
static int64_t read_model_facts(const lq_gguf *in, lq__mixture *rules)
{
    const char *arch = NULL;
    uint64_t len = 0;
    char a[64] = "";
    if (lq_gguf_get_string(in, "general.architecture", &arch, &len) == LQ_OK && len < sizeof a) {
        memcpy(a, arch, len);
        a[len] = 0;
    }
    int64_t heads = meta_int(in, a, "attention.head_count");
    int64_t kv_heads = meta_int(in, a, "attention.head_count_kv");
    if (kv_heads == 0)
        kv_heads = heads; /* llama.cpp's default when the key is absent */
    int64_t block_count = meta_int(in, a, "block_count");
    rules->n_layer = block_count > 0 && block_count <= INT_MAX ? (int)block_count : 0;
    rules->n_expert = (int)meta_int(in, a, "expert_count");
    rules->n_gqa = kv_heads > 0 ? (int)(heads / kv_heads) : 0;
    rules->falcon = strcmp(a, "falcon") == 0;
    rules->bailingmoe3 = strcmp(a, "bailingmoe3") == 0;
    rules->is_70b = strcmp(a, "llama") == 0 && rules->n_layer == 80 && heads != kv_heads;
    return block_count;
}

/* The rules give some layers more bits by their place among block_count
 * layers, so a count that contradicts the tensors would pick another mixture
 * (and a huge one overflowed their arithmetic). llama.cpp refuses such a
 * file too: the count must be one more than the highest "blk.N." layer. */
static lq_status check_block_count(const char *fn, const lq_gguf *in, int64_t block_count)
{
    int64_t top = -1;
    for (int64_t i = 0; i < lq_gguf_tensor_count(in); i++) {
        const char *name = lq_gguf_tensor_name(in, i);
        if (strncmp(name, "blk.", 4) != 0 || name[4] < '0' || name[4] > '9')
            continue;
        char *end;
        errno = 0;
        long long l = strtoll(name + 4, &end, 10);
        if (errno == 0 && *end == '.' && l > top)
            top = l;
    }
    if (top >= 0 && block_count != top + 1)
        return lq__fail(LQ_ERR_FORMAT, "%s: the file's block_count is %lld, but its tensors have "
                        "layers 0..%lld", fn, (long long)block_count, (long long)top);
    return LQ_OK;
}

/* The input's keys in their order, less the split keys, then the two keys
 * quantizing sets. llama.cpp's gguf_set_val_* removes a key it sets and
 * appends it, so general.quantization_version and general.file_type end the
 * list in that order even when the input had them (a converter's F16 file
 * has general.file_type among its general.* keys): removing them first makes
 * lq_gguf_set_u32, which replaces in place, append them too. */
static lq_status copy_metadata(const lq_gguf *in, lq_gguf *out, int ftype)
{
    static const char *const dropped[] = {"split.no", "split.count", "split.tensors.count",
                                          "general.quantization_version", "general.file_type"};
    lq_status st = LQ_OK;
    for (int64_t k = 0; st == LQ_OK && k < lq_gguf_kv_count(in); k++)
        st = lq_gguf_copy_kv(out, in, lq_gguf_kv_key(in, k));
    for (size_t k = 0; st == LQ_OK && k < sizeof dropped / sizeof *dropped; k++)
        st = lq_gguf_remove_key(out, dropped[k]);
    if (st == LQ_OK)
        st = lq_gguf_set_u32(out, "general.quantization_version", GGML_QNT_VERSION);
    if (st == LQ_OK)
        st = lq_gguf_set_u32(out, "general.file_type", (uint32_t)ftype);
    return st;
}

/* Choose every tensor's type, in processing order (the rules' layer
 * counters advance in it). */
static lq_status choose_types(const char *fn, const lq_gguf *in, lq__mixture *rules, lq__plan *p)
{
    const char **names = lq__calloc((size_t)p->n + 1, sizeof *names);
    p->order = lq__calloc((size_t)p->n + 1, sizeof *p->order);
    p->target = lq__calloc((size_t)p->n + 1, sizeof *p->target);
    if (!names || !p->order || !p->target) {
        lq__free(names);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    for (int64_t i = 0; i < p->n; i++)
        names[i] = lq_gguf_tensor_name(in, i);
    lq__mixture_scan(rules, names, p->n);
    lq_status st = lq__mixture_order(fn, names, p->n, p->order);
    lq__free(names);
    for (int64_t k = 0; st == LQ_OK && k < p->n; k++) {
        int64_t i = p->order[k];
        const char *name = lq_gguf_tensor_name(in, i);
        int ndim = lq_gguf_tensor_ndim(in, i);
        int64_t shape[4];
        for (int d = 0; d < ndim; d++)
            shape[d] = lq_gguf_tensor_dim(in, i, d);
        lq_type cur = lq__lq_type_of_ggml(lq_gguf_tensor_ggml_type(in, i));
        lq_type t = cur;
        int64_t numel = 1;
        for (int d = 0; d < ndim; d++)
            numel *= shape[d];
        if (numel == 0)
            ; /* a zero-element tensor is copied through: no bytes to convert */
        else if (cur >= 0)
            st = lq__mixture_pick(rules, name, ndim, shape[ndim - 1],
                                  ndim >= 3 ? shape[ndim - 3] : 1, cur, &t);
        else if (lq__mixture_allows(rules, name, ndim))
            st = lq__fail(LQ_ERR_UNSUPPORTED, "tensor '%s' has ggml type %d, which libquant cannot "
                          "convert", name, lq_gguf_tensor_ggml_type(in, i));
        if (st != LQ_OK)
            break;
        if (t != cur && p->needs_imatrix < 0 && !rules->has_imatrix &&
            lq__mixture_needs_imatrix(rules, name, t))
            p->needs_imatrix = i;
        p->target[i] = t;
    }
    return st;
}

/* Declare the output's tensors, in processing order, with their types. */
static lq_status declare_tensors(const lq_gguf *in, lq__plan *p)
{
    lq_status st = LQ_OK;
    for (int64_t k = 0; st == LQ_OK && k < p->n; k++) {
        int64_t i = p->order[k];
        int ndim = lq_gguf_tensor_ndim(in, i);
        int64_t shape[4];
        for (int d = 0; d < ndim; d++)
            shape[d] = lq_gguf_tensor_dim(in, i, d);
        lq_type t = p->target[i];
        int id = t >= 0 ? lq_type_ggml_id(t) : lq_gguf_tensor_ggml_type(in, i);
        st = lq_gguf_declare_tensor(p->out, lq_gguf_tensor_name(in, i), id, ndim, shape);
    }
    return st;
}

lq_status lq__plan_make(const char *fn, const lq_gguf *in, const lq__mixture *rules,
                        const lq__budget *budget, lq__plan *p)
{
    memset(p, 0, sizeof *p);
    p->needs_imatrix = -1;
    p->n = lq_gguf_tensor_count(in);
    lq__mixture r = *rules; /* the options; the model facts are this file's */
    int64_t block_count = read_model_facts(in, &r);
    lq_status st = lq_gguf_create(&p->out);
    if (st == LQ_OK)
        st = copy_metadata(in, p->out, r.ftype);
    if (st == LQ_OK)
        st = check_block_count(fn, in, block_count);
    if (st == LQ_OK)
        st = choose_types(fn, in, &r, p);
    if (st == LQ_OK && budget && budget->kind != LQ__BUDGET_NONE)
        st = lq__budget_plan(fn, in, rules, budget, p);
    if (st == LQ_OK)
        st = declare_tensors(in, p);
    if (st != LQ_OK) {
        if (strncmp(lq_last_error(), fn, strlen(fn)) != 0)
            lq__error_prefix(fn);
        lq__plan_free(p);
    }
    return st;
}

void lq__plan_free(lq__plan *p)
{
    lq_gguf_free(p->out);
    lq__free(p->order);
    lq__free(p->target);
    memset(p, 0, sizeof *p);
}
