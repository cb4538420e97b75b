/* eval_report.h — what lq eval measured, and the ways it is shown: the table,
 * JSON, the memory budget list and the SVG plot (eval_report.c). The
 * measuring is cmd_eval.c's. */
#ifndef LQ_TOOLS_EVAL_REPORT_H
#define LQ_TOOLS_EVAL_REPORT_H

#include <stdbool.h>
#include <stdint.h>

/* One scheme with one KV-cache type (or the base model). */
typedef struct eval_row {
    char scheme[80];        /* canonical scheme string, "base" for the input model */
    char label[80];         /* the scheme as the user wrote it, for the plot */
    const char *via;        /* "gguf" (a llama.cpp file made and loaded), "memory", or "" */
    int kv;                 /* enum lq_kv_type */
    int series;             /* plot colour: EVAL_SERIES_* */
    double file_bytes;      /* the GGUF file, or the weights held in memory */
    double weight_bytes;    /* weights as the runner holds them (LQ_MODEL_WEIGHT_BYTES) */
    double bpw;             /* 8 * weight_bytes / parameters */
    double ppl, ppl_change, kld, kld_stderr, same_top, tokens_per_second;
    char note[200];         /* why a row has no figures; "" when it has */
    bool failed;            /* the note is an error, not a skip */
} eval_row;

enum { EVAL_SERIES_GGUF = 0, EVAL_SERIES_MEMORY = 1, EVAL_SERIES_METHOD = 2 };

typedef struct eval_report {
    const char *model, *text, *calib;
    int64_t ctx, tokens, scored, windows, calib_tokens;
    int64_t params, n_layer, n_head_kv, head_dim;
    eval_row base;          /* the input model with an f32 KV cache */
    eval_row *rows;
    int n_rows;
    double budget_gib;      /* <= 0: no budget asked */
    int64_t budget_ctx;
} eval_report;

void eval_print_table(const eval_report *r);
void eval_print_budget(const eval_report *r);
void eval_print_json(const eval_report *r);
/* false (errno set) when the file cannot be written */
bool eval_write_plot(const eval_report *r, const char *path);

#endif
