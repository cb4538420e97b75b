/* cmd_eval.c — lq eval: quantize a model with many schemes and measure each
 * on the reference runner against the input model: size, bits per weight,
 * perplexity, KL divergence, same-top-token share, tokens per second, for
 * each KV-cache type asked for. llama.cpp file types are made as files by
 * lq_gguf_quantize and loaded, exactly as a user's file; every other scheme
 * is quantized in memory (lq_model_quantize), the calibrated methods on a
 * slice of text held back from the evaluation. Output: eval_report.c. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "eval_report.h"
#include "model_file.h"
#include "temp_files.h"
#include "tool.h"

static const char usage_text[] =
    "usage: lq eval MODEL.gguf|HF_DIR --text FILE [--schemes LIST] [--kv LIST] [--ctx N]\n"
    "               [--max-tokens N] [--calib FILE] [--calib-tokens N] [--threads N]\n"
    "               [--json] [--plot FILE.svg] [--budget GIB [--budget-ctx N]]\n\n"
    "Quantizes the model (a llama-architecture GGUF) with each scheme and measures it\n"
    "on libquant's runner against the input model over the text: size, bits per\n"
    "weight, perplexity and its change, mean KL divergence, the share of positions\n"
    "whose most likely token stays the same, and tokens per second.\n\n"
    "  --schemes LIST   comma-separated schemes (lq_scheme grammar, doc/schemes.md), or\n"
    "                   'all' (the default): every type, mixture and method. llama.cpp\n"
    "                   file types (q8_0, q4_k_m, ...) are written as GGUF files and\n"
    "                   loaded; the others are quantized in memory.\n"
    "  --kv LIST        KV-cache types to measure each scheme with: f32, f16, int8, fp8\n"
    "                   (default f16). The base always runs with an f32 cache.\n"
    "  --ctx N          evaluation window in tokens (default: the training context,\n"
    "                   at most 512); perplexity scores the second half of each window.\n"
    "  --max-tokens N   evaluate at most the first N tokens of the text (default all).\n"
    "  --calib FILE     calibration text for gptq, awq, smoothquant and for mixtures\n"
    "                   that need an importance matrix (q2_k_s, iq2_xxs, iq2_xs, iq1_s).\n"
    "                   Without it the last --calib-tokens tokens of --text are held\n"
    "                   back for calibration.\n"
    "  --calib-tokens N calibration tokens (default 1024; 0: skip those schemes).\n"
    "  --json           print JSON instead of the table.\n"
    "  --plot FILE.svg  draw perplexity against bits per weight.\n"
    "  --budget GIB     list the scheme and KV-cache combinations whose weights plus\n"
    "                   KV cache at --budget-ctx tokens (default: the training\n"
    "                   context) fit GIB GiB, best perplexity first.\n";

/* Every scheme the library has: llama.cpp file types (as files), then the
 * other types and the methods (in memory), roughly by falling bits. */
static const char all_schemes[] =
    "f16,bf16,q8_0,q6_k,q5_k_m,q5_k_s,q5_1,q5_0,q4_k_m,q4_k_s,q4_1,q4_0,iq4_xs,iq4_nl,"
    "q3_k_l,q3_k_m,q3_k_s,q2_k,q2_k_s,"
    "int8,fp8_e4m3,fp8_e5m2,llm_int8:int8,smoothquant:int8,"
    "int4,int4:g32:asym,nf4,nf4:dq,fp4,nvfp4,mxfp4,hqq:int4,awq:int4,gptq:int4,"
    "int3,hqq:int3,gptq:int3,iq3_s,iq3_xxs,int2,hqq:int2,gptq:int2,iq2_s,iq2_xs,iq2_xxs,tq2_0,tq1_0,iq1_m,iq1_s";

#define MAX_SCHEMES 128
#define MAX_KV 4
#define DEFAULT_MAX_CTX 512

typedef struct {
    const char *model, *text, *calib, *plot;
    char list[4096];
    char *schemes[MAX_SCHEMES];
    int n_schemes;
    int kv[MAX_KV];
    int n_kv;
    int64_t ctx, max_tokens, calib_tokens, threads, budget_ctx;
    double budget_gib;
    bool json;
} eval_args;

/* ---- arguments ---- */

static int split_schemes(eval_args *a, const char *list)
{
    static const char cmd[] = "eval";
    if (strlen(list) >= sizeof a->list)
        return lq_tool_usage_error(cmd, "--schemes is too long");
    strcpy(a->list, strcmp(list, "all") == 0 ? all_schemes : list);
    char *save = NULL;
    a->n_schemes = 0;
    for (char *s = strtok_r(a->list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        lq_scheme *parsed = NULL;
        if (lq_scheme_parse(s, &parsed) != LQ_OK)
            return lq_tool_usage_error(cmd, "%s", lq_last_error());
        lq_scheme_free(parsed);
        if (a->n_schemes == MAX_SCHEMES)
            return lq_tool_usage_error(cmd, "more than %d schemes", MAX_SCHEMES);
        a->schemes[a->n_schemes++] = s;
    }
    return a->n_schemes ? 0 : lq_tool_usage_error(cmd, "--schemes is empty");
}

static int split_kv(eval_args *a, const char *list)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    a->n_kv = 0;
    for (char *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        if (a->n_kv == MAX_KV || lq_kv_type_from_name(s, &a->kv[a->n_kv]) != LQ_OK)
            return lq_tool_usage_error("eval", "--kv wants up to %d of f32, f16, int8, fp8; got "
                                       "'%s'", MAX_KV, list);
        a->n_kv++;
    }
    return a->n_kv ? 0 : lq_tool_usage_error("eval", "--kv is empty");
}

static int parse(int argc, char **argv, eval_args *a)
{
    static const char cmd[] = "eval";
    static const struct { const char *opt; int64_t lo, hi; size_t offset; } counts[] = {
        {"--ctx", 4, 1 << 20, offsetof(eval_args, ctx)},
        {"--max-tokens", 1, INT64_MAX / 2, offsetof(eval_args, max_tokens)},
        {"--calib-tokens", 0, 1 << 24, offsetof(eval_args, calib_tokens)},
        {"--threads", 0, 1024, offsetof(eval_args, threads)},
        {"--budget-ctx", 1, 1 << 24, offsetof(eval_args, budget_ctx)},
    };
    const char *schemes = "all", *kv = "f16";
    for (int i = 1; i < argc; i++) {
        bool missing = false, matched = true;
        const char *v;
        if ((v = lq_tool_option(argc, argv, &i, "--text", &missing)))
            a->text = v;
        else if (!missing && (v = lq_tool_option(argc, argv, &i, "--schemes", &missing)))
            schemes = v;
        else if (!missing && (v = lq_tool_option(argc, argv, &i, "--kv", &missing)))
            kv = v;
        else if (!missing && (v = lq_tool_option(argc, argv, &i, "--calib", &missing)))
            a->calib = v;
        else if (!missing && (v = lq_tool_option(argc, argv, &i, "--plot", &missing)))
            a->plot = v;
        else if (!missing && (v = lq_tool_option(argc, argv, &i, "--budget", &missing))) {
            if (!lq_tool_parse_double(v, &a->budget_gib) || a->budget_gib <= 0)
                return lq_tool_usage_error(cmd, "--budget wants a positive number of GiB, got "
                                           "'%s'", v);
        } else if (strcmp(argv[i], "--json") == 0)
            a->json = true;
        else
            matched = false;
        for (size_t k = 0; !matched && !missing && k < sizeof counts / sizeof *counts; k++) {
            if ((v = lq_tool_option(argc, argv, &i, counts[k].opt, &missing))) {
                int64_t *dst = (int64_t *)((char *)a + counts[k].offset);
                if (!lq_tool_parse_i64(v, counts[k].lo, counts[k].hi, dst))
                    return lq_tool_usage_error(cmd, "%s wants an integer in %lld..%lld, got '%s'",
                                               counts[k].opt, (long long)counts[k].lo,
                                               (long long)counts[k].hi, v);
                matched = true;
            }
        }
        if (missing)
            return lq_tool_usage_error(cmd, "%s needs a value", argv[i]);
        if (!matched && (argv[i][0] == '-' || a->model))
            return lq_tool_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        if (!matched)
            a->model = argv[i];
    }
    if (!a->model || !a->text)
        return lq_tool_usage_error(cmd, "wants MODEL.gguf and --text FILE");
    if (a->budget_ctx && a->budget_gib <= 0)
        return lq_tool_usage_error(cmd, "--budget-ctx goes with --budget");
    int rc = split_schemes(a, schemes);
    return rc ? rc : split_kv(a, kv);
}

/* ---- the session ---- */

typedef struct {
    lq_tool_progress bar;
    const char *scheme;
    char label[128];
} progress;

static int on_progress(void *user, const char *stage, double fraction)
{
    progress *p = user;
    if (lq_tool_temp_signalled())
        return 1; /* Ctrl-C: the library stops and removes its temporary output */
    snprintf(p->label, sizeof p->label, "%s: %s", p->scheme, stage);
    return lq_tool_progress_cb(&p->bar, p->label, fraction);
}

typedef struct {
    eval_args *a;
    lq_ctx *ctx;
    progress prog;
    lq_gguf *g;
    lq_model *base;
    int32_t *text_tok, *calib_tok; /* calib_tok is NULL when the calibration comes from the text */
    const int32_t *calib;
    int64_t n_eval, n_calib;
    char imatrix_path[1024];        /* made when a file type needs one; "" until then */
    const char *why;                /* the tool's own reason for a failure, over lq_last_error() */
    eval_report rep;
} session;

static int tokenize(session *s, const char *path, int32_t **tok, int64_t *n)
{
    size_t len = 0;
    char *text = lq_tool_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "lq eval: cannot read %s\n", path);
        return 1;
    }
    lq_status st = lq_model_tokenize(s->base, text, len, 1, tok, n);
    free(text);
    return st == LQ_OK ? 0 : lq_tool_lib_error("eval", path, st);
}

/* The base model (f32 KV cache), the evaluation tokens and the calibration tokens. */
static int open_session(session *s)
{
    eval_args *a = s->a;
    lq_status st = lq_ctx_create(&s->ctx);
    if (st == LQ_OK)
        st = lq_ctx_set_threads(s->ctx, (int)a->threads);
    if (st == LQ_OK)
        st = lq_ctx_set_progress(s->ctx, on_progress, &s->prog);
    if (st == LQ_OK)
        st = model_gguf_open(a->model, LQ_TYPE_F32, &s->g);
    int64_t train = 0;
    const char *arch = NULL;
    char key[96];
    if (st == LQ_OK && lq_gguf_get_string(s->g, "general.architecture", &arch, NULL) == LQ_OK)
        snprintf(key, sizeof key, "%.64s.context_length", arch);
    if (st == LQ_OK && (!arch || lq_gguf_get_int(s->g, key, &train) != LQ_OK))
        train = DEFAULT_MAX_CTX; /* lq_model_from_gguf says what is wrong with the file */
    if (!a->ctx)
        a->ctx = train < DEFAULT_MAX_CTX ? train : DEFAULT_MAX_CTX;
    if (!a->budget_ctx)
        a->budget_ctx = train;
    s->prog.scheme = "base";
    lq_tool_progress_init(&s->prog.bar, NULL);
    if (st == LQ_OK)
        st = lq_model_from_gguf(s->ctx, s->g, a->ctx, LQ_KV_F32, &s->base);
    lq_tool_progress_done(&s->prog.bar);
    if (st != LQ_OK)
        return lq_tool_lib_error("eval", a->model, st);
    int64_t n = 0;
    int rc = tokenize(s, a->text, &s->text_tok, &n);
    if (rc == 0 && a->calib && a->calib_tokens > 0) {
        int64_t nc = 0;
        if ((rc = tokenize(s, a->calib, &s->calib_tok, &nc)) == 0) {
            s->n_calib = nc < a->calib_tokens ? nc : a->calib_tokens;
            s->calib = s->calib_tok + nc - s->n_calib;
        }
    } else if (rc == 0 && a->calib_tokens > 0) {
        if (n - a->calib_tokens < a->ctx)
            return lq_tool_usage_error("eval", "%s has %lld tokens: too few to hold back %lld for "
                                       "calibration and evaluate a window of %lld (see --calib, "
                                       "--calib-tokens)", a->text, (long long)n,
                                       (long long)a->calib_tokens, (long long)a->ctx);
        s->n_calib = a->calib_tokens;
        s->calib = s->text_tok + n - s->n_calib;
        n -= s->n_calib;
    }
    if (rc)
        return rc;
    s->n_eval = a->max_tokens && a->max_tokens < n ? a->max_tokens : n;
    if (s->n_eval < a->ctx)
        return lq_tool_usage_error("eval", "%lld tokens to evaluate are fewer than one window of "
                                   "%lld (see --ctx, --max-tokens)", (long long)s->n_eval,
                                   (long long)a->ctx);
    return 0;
}

static void close_session(session *s)
{
    lq_tool_temp_remove(s->imatrix_path);
    lq_free(s->text_tok);
    lq_free(s->calib_tok);
    lq_model_free(s->base);
    lq_gguf_free(s->g);
    lq_ctx_free(s->ctx);
    free(s->rep.rows);
}

static double file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (double)sb.st_size : 0;
}

static void set_note(eval_row *w, bool failed, const char *what, lq_status st)
{
    w->failed = failed;
    if (failed)
        snprintf(w->note, sizeof w->note, "failed: %s (%s)", what, lq_status_str(st));
    else
        snprintf(w->note, sizeof w->note, "%s", what);
}

/* Measure m (weights as loaded) against the base with KV type kv into w. */
static void measure(session *s, lq_model *m, int kv, eval_row *w)
{
    lq_status st = lq_model_set_cache(m, s->a->ctx, kv);
    double r[LQ_EVAL_COUNT_V2];
    if (st == LQ_OK)
        st = lq_model_kl_divergence(s->ctx, s->base, m, s->text_tok, s->n_eval, s->a->ctx, 0, r,
                                    LQ_EVAL_COUNT_V2);
    lq_tool_progress_done(&s->prog.bar);
    if (st != LQ_OK) {
        set_note(w, true, lq_last_error(), st);
        return;
    }
    w->weight_bytes = (double)lq_model_info(m, LQ_MODEL_WEIGHT_BYTES);
    w->bpw = 8 * w->weight_bytes / (double)s->rep.params;
    w->ppl = r[LQ_EVAL_PPL];
    w->ppl_change = r[LQ_EVAL_PPL] / s->rep.base.ppl - 1;
    w->kld = r[LQ_EVAL_KLD];
    w->kld_stderr = r[LQ_EVAL_KLD_STDERR];
    w->same_top = r[LQ_EVAL_SAME_TOP];
    w->tokens_per_second = r[LQ_EVAL_MODEL_TOKENS_PER_SECOND];
}

/* A temporary file under $TMPDIR (or /tmp), created empty and removed on
 * Ctrl-C; "" and s->why on failure. */
static bool temp_path(session *s, const char *suffix, char *path, size_t cap)
{
    if (lq_tool_temp_create("lq-eval", suffix, path, cap))
        return true;
    s->why = "cannot create a temporary file (see TMPDIR)";
    return false;
}

/* An importance matrix from the calibration tokens, saved for lq_qopts_set_imatrix. */
static lq_status imatrix_file(session *s)
{
    if (s->imatrix_path[0])
        return LQ_OK;
    if (!temp_path(s, "-imatrix.dat", s->imatrix_path, sizeof s->imatrix_path))
        return LQ_ERR_IO;
    lq_imatrix *im = NULL;
    lq_status st = lq_model_imatrix(s->ctx, s->base, s->calib, s->n_calib, 0, &im);
    lq_tool_progress_done(&s->prog.bar);
    if (st == LQ_OK)
        st = lq_imatrix_save(im, s->imatrix_path, LQ_IMATRIX_DAT, s->a->calib ? s->a->calib
                                                                             : s->a->text);
    lq_imatrix_free(im);
    return st;
}

/* The file type `o` as a GGUF file at path; file types that llama.cpp makes
 * only with an importance matrix get one from the calibration tokens
 * (*with_imatrix). Requantizing is allowed: the base may be quantized. */
static lq_status make_file(session *s, lq_qopts *o, const char *path, bool *with_imatrix)
{
    *with_imatrix = false;
    lq_status st = lq_qopts_set_flag(o, LQ_QOPT_ALLOW_REQUANTIZE, 1);
    if (st == LQ_OK)
        st = lq_gguf_quantize(s->ctx, s->a->model, path, o);
    lq_tool_progress_done(&s->prog.bar);
    if (st != LQ_ERR_INVALID || s->n_calib == 0)
        return st;
    if ((st = imatrix_file(s)) == LQ_OK && (st = lq_qopts_set_imatrix(o, s->imatrix_path)) == LQ_OK)
        st = lq_gguf_quantize(s->ctx, s->a->model, path, o);
    lq_tool_progress_done(&s->prog.bar);
    *with_imatrix = st == LQ_OK;
    return st;
}

static bool needs_calibration(int64_t method)
{
    return method == LQ_METHOD_GPTQ || method == LQ_METHOD_AWQ || method == LQ_METHOD_SMOOTHQUANT;
}

/* One scheme: a model made once, measured with every KV type (rows w[0 .. n_kv-1]). */
static void evaluate(session *s, const char *text, eval_row *w)
{
    eval_args *a = s->a;
    lq_scheme *sch = NULL;
    lq_qopts *o = NULL;
    lq_model *m = NULL;
    int64_t method = 0;
    lq_scheme_parse(text, &sch); /* checked by parse() */
    lq_scheme_get_int(sch, LQ_PARAM_METHOD, &method);
    const char *name = lq_scheme_string(sch);
    bool file = method == LQ_METHOD_RTN && lq_qopts_create(name, &o) == LQ_OK, imatrix = false;
    char path[1024] = "";
    s->prog.scheme = name;
    s->why = NULL;
    lq_tool_progress_init(&s->prog.bar, NULL);
    lq_status st = LQ_OK;
    const char *note = NULL;
    if (file) {
        st = temp_path(s, ".gguf", path, sizeof path) ? make_file(s, o, path, &imatrix) : LQ_ERR_IO;
        if (st == LQ_OK)
            st = lq_model_load(s->ctx, path, a->ctx, a->kv[0], &m);
    } else if (needs_calibration(method) && s->n_calib == 0) {
        note = "skipped: needs calibration tokens (--calib-tokens N, N > 0)";
    } else {
        st = lq_model_quantize(s->ctx, s->base, sch, NULL, s->calib, s->n_calib, a->ctx,
                               a->kv[0], &m);
    }
    lq_tool_progress_done(&s->prog.bar);
    for (int k = 0; k < a->n_kv; k++) {
        eval_row *r = &w[k];
        snprintf(r->scheme, sizeof r->scheme, "%s%s", name, imatrix ? " +imatrix" : "");
        snprintf(r->label, sizeof r->label, "%s%s", text, imatrix ? " +imatrix" : "");
        r->via = file ? "gguf" : "memory";
        r->kv = a->kv[k];
        r->series = file ? EVAL_SERIES_GGUF : method == LQ_METHOD_RTN ? EVAL_SERIES_MEMORY
                                                                      : EVAL_SERIES_METHOD;
        if (note)
            set_note(r, false, note, LQ_OK);
        else if (st != LQ_OK)
            set_note(r, true, s->why ? s->why : lq_last_error(), st);
        else
            measure(s, m, a->kv[k], r);
        r->file_bytes = file ? file_size(path) : r->weight_bytes;
    }
    lq_model_free(m);
    lq_tool_temp_remove(path);
    lq_qopts_free(o);
    lq_scheme_free(sch);
}

static int measure_base(session *s)
{
    eval_report *rep = &s->rep;
    eval_row *b = &rep->base;
    double r[LQ_EVAL_COUNT_V2];
    s->prog.scheme = "base";
    lq_tool_progress_init(&s->prog.bar, NULL);
    lq_status st = lq_model_perplexity(s->ctx, s->base, s->text_tok, s->n_eval, s->a->ctx, 0, r,
                                       LQ_EVAL_COUNT_V2);
    lq_tool_progress_done(&s->prog.bar);
    if (st != LQ_OK)
        return lq_tool_lib_error("eval", "perplexity of the base model", st);
    rep->model = s->a->model;
    rep->text = s->a->text;
    rep->calib = s->a->calib ? s->a->calib : s->a->text;
    rep->ctx = s->a->ctx;
    rep->tokens = s->n_eval;
    rep->scored = (int64_t)r[LQ_EVAL_SCORED];
    rep->windows = (int64_t)r[LQ_EVAL_WINDOWS];
    rep->calib_tokens = s->n_calib;
    rep->params = lq_model_info(s->base, LQ_MODEL_N_PARAMS);
    rep->n_layer = lq_model_info(s->base, LQ_MODEL_N_LAYER);
    rep->n_head_kv = lq_model_info(s->base, LQ_MODEL_N_HEAD_KV);
    rep->head_dim = lq_model_info(s->base, LQ_MODEL_HEAD_DIM);
    rep->budget_gib = s->a->budget_gib;
    rep->budget_ctx = s->a->budget_ctx;
    snprintf(b->scheme, sizeof b->scheme, "base");
    b->via = "";
    b->kv = LQ_KV_F32;
    b->weight_bytes = (double)lq_model_info(s->base, LQ_MODEL_WEIGHT_BYTES);
    /* a Hugging Face folder has no one file: its weights as read (F32) */
    b->file_bytes = model_is_hf_folder(s->a->model) ? b->weight_bytes : file_size(s->a->model);
    b->bpw = 8 * b->weight_bytes / (double)rep->params;
    b->ppl = r[LQ_EVAL_PPL];
    b->ppl_change = 0;
    b->kld = b->kld_stderr = b->same_top = NAN;
    b->tokens_per_second = r[LQ_EVAL_MODEL_TOKENS_PER_SECOND];
    return 0;
}

int lq_cmd_eval(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    }
    eval_args a = {0};
    a.calib_tokens = 1024;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc;
    session s = {.a = &a};
    lq_tool_temp_catch_signals();
    if ((rc = open_session(&s)) == 0 && (rc = measure_base(&s)) == 0) {
        s.rep.rows = calloc((size_t)(a.n_schemes * a.n_kv), sizeof *s.rep.rows);
        if (!s.rep.rows) {
            fprintf(stderr, "lq eval: out of memory\n");
            rc = 1;
        }
    }
    for (int i = 0; rc == 0 && i < a.n_schemes && !lq_tool_temp_signalled(); i++) {
        evaluate(&s, a.schemes[i], &s.rep.rows[i * a.n_kv]);
        s.rep.n_rows += a.n_kv;
    }
    if (rc == 0 && !lq_tool_temp_signalled()) {
        if (a.json) {
            eval_print_json(&s.rep);
        } else {
            eval_print_table(&s.rep);
            if (a.budget_gib > 0)
                eval_print_budget(&s.rep);
        }
        if (a.plot && !eval_write_plot(&s.rep, a.plot)) {
            fprintf(stderr, "lq eval: cannot write %s\n", a.plot);
            rc = 1;
        }
        for (int i = 0; i < s.rep.n_rows; i++)
            rc = s.rep.rows[i].failed ? 1 : rc;
    }
    close_session(&s);
    lq_tool_temp_reraise(); /* after a Ctrl-C, with everything removed: die of it */
    return rc;
}
