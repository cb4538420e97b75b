/* cmd_inspect.c — lq inspect: what a model file holds — metadata, tensors,
 * types, shapes, bytes, bits per weight, totals. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "model_file.h"
#include "tool.h"

static const char usage_text[] =
    "usage: lq inspect FILE [--no-metadata] [--no-tensors]\n\n"
    "Lists a GGUF or safetensors file (a .safetensors file, a sharded model's\n"
    "index, or a folder): metadata, then every tensor with its type, shape, bytes\n"
    "and bits per weight, then totals per type.\n";

static void print_gguf_value(const lq_gguf *g, int64_t k)
{
    const char *key = lq_gguf_kv_key(g, k);
    int type = lq_gguf_kv_type(g, k);
    int64_t i;
    double f;
    const char *s;
    uint64_t len;
    if (type == LQ_GGUF_TYPE_STRING && lq_gguf_get_string(g, key, &s, &len) == LQ_OK) {
        printf("%.*s%s\n", (int)(len > 72 ? 72 : len), s, len > 72 ? "..." : "");
    } else if (type == LQ_GGUF_TYPE_ARRAY) {
        int elem;
        uint64_t n;
        if (lq_gguf_get_array(g, key, &elem, &n) == LQ_OK)
            printf("[%llu values of gguf type %d]\n", (unsigned long long)n, elem);
        else
            printf("[array]\n");
    } else if ((type == LQ_GGUF_TYPE_F32 || type == LQ_GGUF_TYPE_F64) &&
               lq_gguf_get_f64(g, key, &f) == LQ_OK) {
        printf("%g\n", f);
    } else if (type == LQ_GGUF_TYPE_F32) {
        float f32;
        lq_gguf_get_f32(g, key, &f32);
        printf("%g\n", f32);
    } else if (lq_gguf_get_int(g, key, &i) == LQ_OK) {
        printf("%lld\n", (long long)i);
    } else {
        printf("(type %d)\n", type);
    }
}

static void print_metadata(const model_file *m)
{
    if (m->gguf) {
        printf("metadata (%lld keys):\n", (long long)lq_gguf_kv_count(m->gguf));
        for (int64_t k = 0; k < lq_gguf_kv_count(m->gguf); k++) {
            printf("  %-44s ", lq_gguf_kv_key(m->gguf, k));
            print_gguf_value(m->gguf, k);
        }
    } else {
        printf("metadata (%lld keys):\n", (long long)lq_safetensors_meta_count(m->st));
        for (int64_t k = 0; k < lq_safetensors_meta_count(m->st); k++) {
            const char *key = lq_safetensors_meta_key(m->st, k);
            printf("  %-44s %s\n", key, lq_safetensors_meta_get(m->st, key));
        }
    }
    printf("\n");
}

#define MAX_TYPES 64

typedef struct {
    const char *name;
    int64_t count;
    double params, bytes;
} type_total;

int lq_cmd_inspect(int argc, char **argv)
{
    static const char cmd[] = "inspect";
    const char *path = NULL;
    bool meta = true, tensors = true;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if (strcmp(argv[i], "--no-metadata") == 0) {
            meta = false;
        } else if (strcmp(argv[i], "--no-tensors") == 0) {
            tensors = false;
        } else if (argv[i][0] == '-' || path) {
            return lq_tool_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return lq_tool_usage_error(cmd, "wants a FILE");
    model_file m;
    lq_status st = model_file_open(path, &m);
    if (st != LQ_OK)
        return lq_tool_lib_error(cmd, path, st);
    if (meta)
        print_metadata(&m);
    type_total per[MAX_TYPES];
    int ntypes = 0;
    double params = 0, bytes = 0;
    if (tensors)
        printf("%-40s %-9s %-22s %12s %8s\n", "tensor", "type", "shape", "bytes", "bits/w");
    for (int64_t i = 0; i < model_file_count(&m); i++) {
        char shape[64] = "";
        double n = 1;
        for (int d = 0; d < model_file_ndim(&m, i); d++) {
            int64_t v = model_file_dim(&m, i, d);
            n *= (double)v;
            size_t len = strlen(shape);
            snprintf(shape + len, sizeof shape - len, "%s%lld", d ? " x " : "", (long long)v);
        }
        double b = (double)model_file_nbytes(&m, i);
        const char *type = model_file_type(&m, i);
        if (tensors)
            printf("%-40s %-9s %-22s %12.0f %8.3f\n", model_file_name(&m, i), type, shape, b,
                   n > 0 ? 8 * b / n : 0.0);
        params += n;
        bytes += b;
        int t = 0;
        while (t < ntypes && strcmp(per[t].name, type) != 0)
            t++;
        if (t == ntypes && ntypes < MAX_TYPES)
            per[ntypes++] = (type_total){type, 0, 0, 0};
        if (t < ntypes) {
            per[t].count++;
            per[t].params += n;
            per[t].bytes += b;
        }
    }
    char size[32];
    printf("\n%-9s %8s %16s %12s %8s\n", "type", "tensors", "elements", "size", "bits/w");
    for (int t = 0; t < ntypes; t++)
        printf("%-9s %8lld %16.0f %12s %8.3f\n", per[t].name, (long long)per[t].count,
               per[t].params, lq_tool_bytes(per[t].bytes, size, sizeof size),
               per[t].params > 0 ? 8 * per[t].bytes / per[t].params : 0.0);
    printf("%-9s %8lld %16.0f %12s %8.3f\n", "total", (long long)model_file_count(&m), params,
           lq_tool_bytes(bytes, size, sizeof size), params > 0 ? 8 * bytes / params : 0.0);
    model_file_close(&m);
    return 0;
}
