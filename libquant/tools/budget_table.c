/* budget_table.c — the table lq quantize prints after a size budget chose
 * the types: read back from the file's quantize.budget.* keys, so it shows
 * what was written. */
#include "budget_table.h"

#include <stdio.h>

#include "tool.h"

static const char *ggml_type_name(int id)
{
    for (lq_type t = 0; t < LQ_TYPE_COUNT_; t++)
        if (lq_type_name(t) && lq_type_ggml_id(t) == id)
            return lq_type_name(t);
    return "?";
}

void budget_table_print(const char *path)
{
    lq_gguf *g = NULL;
    const char *target = NULL, *measure = NULL;
    const void *ids = NULL, *errs = NULL;
    uint64_t n_ids = 0, n_errs = 0;
    if (lq_gguf_open(path, &g) != LQ_OK)
        return;
    if (lq_gguf_get_string(g, "quantize.budget.target", &target, NULL) != LQ_OK ||
        lq_gguf_get_string(g, "quantize.budget.error", &measure, NULL) != LQ_OK ||
        lq_gguf_get_array_data(g, "quantize.budget.types", LQ_GGUF_TYPE_U32, &ids, &n_ids) != LQ_OK ||
        lq_gguf_get_array_data(g, "quantize.budget.errors", LQ_GGUF_TYPE_F32, &errs, &n_errs) != LQ_OK ||
        n_ids != (uint64_t)lq_gguf_tensor_count(g) || n_errs != n_ids) {
        lq_gguf_free(g);
        return;
    }
    printf("size budget %s; error measure: %s\n", target, measure);
    printf("%-36s %-8s %12s %12s\n", "tensor", "type", "bytes", "est. error");
    double per_type[64] = {0};
    for (uint64_t k = 0; k < n_ids; k++) {
        const uint32_t id = ((const uint32_t *)ids)[k];
        const float e = ((const float *)errs)[k];
        if (e < 0)
            continue; /* not chosen by the budget (norms, pinned types) */
        printf("%-36s %-8s %12llu %12.4g\n", lq_gguf_tensor_name(g, (int64_t)k),
               ggml_type_name((int)id), (unsigned long long)lq_gguf_tensor_nbytes(g, (int64_t)k), e);
        if (id < 64)
            per_type[id] += (double)lq_gguf_tensor_nbytes(g, (int64_t)k);
    }
    for (int id = 0; id < 64; id++) {
        char b[32];
        if (per_type[id] > 0)
            printf("  %-8s %s\n", ggml_type_name(id), lq_tool_bytes(per_type[id], b, sizeof b));
    }
    lq_gguf_free(g);
}
