/* eval_report.c — lq eval's output: the table, JSON, the budget list and the
 * plot of perplexity against bits per weight. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval_report.h"
#include "svg_plot.h"
#include "tool.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

static bool has_figures(const eval_row *row)
{
    return row->note[0] == 0;
}

/* ---- the table ---- */

/* Width of the scheme column: the longest name. */
static int scheme_width(const eval_report *r)
{
    size_t w = strlen("scheme");
    for (int i = -1; i < r->n_rows; i++) {
        size_t n = strlen(i < 0 ? r->base.scheme : r->rows[i].scheme);
        w = n > w ? n : w;
    }
    return (int)w;
}

static void print_row(const eval_row *w, int width)
{
    char size[32];
    printf("%-*s %-6s %-4s ", width, w->scheme, w->via, lq_kv_type_name(w->kv));
    if (!has_figures(w)) {
        printf("%s\n", w->note);
        return;
    }
    printf("%10s %6.2f %9.4f ", lq_tool_bytes(w->file_bytes, size, sizeof size), w->bpw, w->ppl);
    if (isnan(w->kld))
        printf("%8s %9s %8s", "-", "-", "-");
    else
        printf("%+7.2f%% %9.6f %7.1f%%", 100 * w->ppl_change, w->kld, 100 * w->same_top);
    printf(" %9.0f\n", w->tokens_per_second);
}

void eval_print_table(const eval_report *r)
{
    printf("%s: %lld tokens of %s in %lld windows of %lld (%lld scored)", r->model,
           (long long)r->tokens, r->text, (long long)r->windows, (long long)r->ctx,
           (long long)r->scored);
    if (r->calib_tokens > 0)
        printf("; calibration: %lld tokens of %s", (long long)r->calib_tokens, r->calib);
    printf("\nchange and KLD are against the base (its weights, f32 KV cache)\n\n");
    int width = scheme_width(r);
    printf("%-*s %-6s %-4s %10s %6s %9s %9s %9s %8s %9s\n", width, "scheme", "via", "kv", "size",
           "bpw", "PPL", "change", "KLD", "same top", "tokens/s");
    print_row(&r->base, width);
    for (int i = 0; i < r->n_rows; i++)
        print_row(&r->rows[i], width);
}

/* ---- the budget ---- */

typedef struct {
    const eval_row *row;
    double kv_bytes, total;
} fit;

static int by_ppl(const void *a, const void *b)
{
    double x = ((const fit *)a)->row->ppl, y = ((const fit *)b)->row->ppl;
    return x < y ? -1 : x > y;
}

/* The measured rows whose weights plus a KV cache of budget_ctx tokens fit
 * the budget, best perplexity first. Free the result. */
static fit *fits(const eval_report *r, int *n)
{
    fit *f = calloc((size_t)r->n_rows + 1, sizeof *f);
    *n = 0;
    for (int i = -1; f && i < r->n_rows; i++) {
        const eval_row *w = i < 0 ? &r->base : &r->rows[i];
        double kv = 0;
        if (!has_figures(w) || lq_estimate_kv(r->n_layer, r->n_head_kv, r->head_dim, r->budget_ctx,
                                              1, w->kv, &kv) != LQ_OK)
            continue;
        if (w->weight_bytes + kv <= r->budget_gib * GIB)
            f[(*n)++] = (fit){w, kv, w->weight_bytes + kv};
    }
    if (f)
        qsort(f, (size_t)*n, sizeof *f, by_ppl);
    return f;
}

void eval_print_budget(const eval_report *r)
{
    int n = 0;
    fit *f = fits(r, &n);
    printf("\nBudget %g GiB (weights + KV cache of %lld tokens): %d of %d fit, best perplexity "
           "first\n", r->budget_gib, (long long)r->budget_ctx, n, r->n_rows + 1);
    int width = scheme_width(r);
    if (n > 0)
        printf("%-*s %-4s %10s %10s %10s %9s %9s\n", width, "scheme", "kv", "weights", "KV cache",
               "total", "PPL", "KLD");
    for (int i = 0; i < n; i++) {
        char a[32], b[32], c[32];
        printf("%-*s %-4s %10s %10s %10s %9.4f %9.6f\n", width, f[i].row->scheme,
               lq_kv_type_name(f[i].row->kv), lq_tool_bytes(f[i].row->weight_bytes, a, sizeof a),
               lq_tool_bytes(f[i].kv_bytes, b, sizeof b), lq_tool_bytes(f[i].total, c, sizeof c),
               f[i].row->ppl, f[i].row->kld);
    }
    if (n == 0)
        printf("nothing fits; the smallest measured total is above the budget\n");
    free(f);
}

/* ---- JSON ---- */

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void json_number(const char *key, double v, bool comma)
{
    printf("\"%s\": ", key);
    if (isfinite(v))
        printf("%.10g", v);
    else
        printf("null");
    if (comma)
        printf(", ");
}

static void json_row(const eval_row *w)
{
    printf("{\"scheme\": ");
    json_string(w->scheme);
    printf(", \"via\": ");
    json_string(w->via);
    printf(", \"kv\": ");
    json_string(lq_kv_type_name(w->kv));
    printf(", ");
    if (!has_figures(w)) {
        printf("\"error\": %s, \"note\": ", w->failed ? "true" : "false");
        json_string(w->note);
        printf("}");
        return;
    }
    json_number("file_bytes", w->file_bytes, true);
    json_number("weight_bytes", w->weight_bytes, true);
    json_number("bpw", w->bpw, true);
    json_number("ppl", w->ppl, true);
    json_number("ppl_change", w->ppl_change, true);
    json_number("kld", w->kld, true);
    json_number("kld_stderr", w->kld_stderr, true);
    json_number("same_top", w->same_top, true);
    json_number("tokens_per_second", w->tokens_per_second, false);
    printf("}");
}

void eval_print_json(const eval_report *r)
{
    printf("{\"model\": ");
    json_string(r->model);
    printf(", \"text\": ");
    json_string(r->text);
    printf(", \"ctx\": %lld, \"tokens\": %lld, \"windows\": %lld, \"scored\": %lld, "
           "\"params\": %lld, \"calib_tokens\": %lld,\n \"base\": ", (long long)r->ctx,
           (long long)r->tokens, (long long)r->windows, (long long)r->scored,
           (long long)r->params, (long long)r->calib_tokens);
    json_row(&r->base);
    printf(",\n \"results\": [");
    for (int i = 0; i < r->n_rows; i++) {
        printf("%s\n  ", i ? "," : "");
        json_row(&r->rows[i]);
    }
    printf("]");
    if (r->budget_gib > 0) {
        int n = 0;
        fit *f = fits(r, &n);
        printf(",\n \"budget\": {\"gib\": %.10g, \"ctx\": %lld, \"fits\": [", r->budget_gib,
               (long long)r->budget_ctx);
        for (int i = 0; i < n; i++) {
            printf("%s\n  {\"scheme\": ", i ? "," : "");
            json_string(f[i].row->scheme);
            printf(", \"kv\": ");
            json_string(lq_kv_type_name(f[i].row->kv));
            printf(", ");
            json_number("weight_bytes", f[i].row->weight_bytes, true);
            json_number("kv_bytes", f[i].kv_bytes, true);
            json_number("total_bytes", f[i].total, true);
            json_number("ppl", f[i].row->ppl, false);
            printf("}");
        }
        printf("]}");
        free(f);
    }
    printf("}\n");
}

/* ---- the plot ---- */

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Where the plot stops: 12 times as far above the base as the median point,
 * so that a few very lossy schemes do not flatten the others. */
static double plot_cap(const eval_report *r, const svg_point *pts, int n)
{
    double *y = calloc((size_t)n + 1, sizeof *y);
    if (!y || n == 0) {
        free(y);
        return NAN;
    }
    for (int i = 0; i < n; i++)
        y[i] = pts[i].y;
    qsort(y, (size_t)n, sizeof *y, by_value);
    double median = y[n / 2], cap = r->base.ppl + 12 * (median - r->base.ppl);
    free(y);
    return median > r->base.ppl ? cap : NAN;
}

bool eval_write_plot(const eval_report *r, const char *path)
{
    svg_point *pts = calloc((size_t)r->n_rows + 1, sizeof *pts);
    if (!pts)
        return false;
    /* one point per scheme, with the first KV type asked for */
    int n = 0;
    for (int i = 0; i < r->n_rows; i++) {
        const eval_row *w = &r->rows[i];
        if (has_figures(w) && w->kv == r->rows[0].kv)
            pts[n++] = (svg_point){w->bpw, w->ppl, w->label, w->series};
    }
    char title[160], ref[96];
    const char *slash = strrchr(r->model, '/');
    snprintf(title, sizeof title, "%s: perplexity against bits per weight (KV cache %s)",
             slash ? slash + 1 : r->model, r->n_rows ? lq_kv_type_name(r->rows[0].kv) : "-");
    snprintf(ref, sizeof ref, "base %.4f (%.1f bpw)", r->base.ppl, r->base.bpw);
    svg_plot p = {title, "bits per weight (weights as held in memory)", "perplexity",
                  {"llama.cpp file types (GGUF, as llama-quantize)",
                   "other types, round to nearest (in memory)",
                   "hqq, gptq, awq, smoothquant, llm_int8 (in memory)", NULL},
                  r->base.ppl, ref, plot_cap(r, pts, n)};
    bool ok = svg_plot_write(path, &p, pts, n);
    free(pts);
    return ok;
}
