/* llama_quantize_run.c — IN OUT FTYPE THREADS: one llama_model_quantize call
 * of llama.cpp (the npm build's libllama, dlopen'd as test_llama_quantize.c
 * does), in a process of its own so that the benchmark can measure its time
 * and peak memory with /usr/bin/time. FTYPE is llama.cpp's number
 * (LLAMA_FTYPE_MOSTLY_*). Exit status 0 when it succeeded. */
#include "../../oracle.h"

#include <dlfcn.h>
#include <stdbool.h>

/* llama_model_quantize_params of node-llama-cpp 3.22.1's llama.h; only the
 * leading fields set here matter, the rest come from its defaults */
struct llama_quantize_params {
    int32_t nthread;
    int ftype;
    int output_tensor_type;
    int token_embedding_type;
    bool allow_requantize, quantize_output_tensor, only_copy, pure, keep_split, dry_run;
    const void *imatrix, *kv_overrides, *tt_overrides;
    const int32_t *prune_layers;
    size_t max_buf_size;
};

static void quiet_log(int level, const char *text, void *user)
{
    (void)level, (void)text, (void)user;
}

#define LOAD_SYM(lib, fp, name)              \
    do {                                     \
        void *sym_ = dlsym(lib, name);       \
        memcpy(&(fp), &sym_, sizeof sym_);   \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s IN OUT FTYPE THREADS\n", argv[0]);
        return 2;
    }
    void *lib = dlopen(lqt_oracle_path(LQT_ORACLE_LLAMA), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "%s: %s\n", argv[0], dlerror());
        return 1;
    }
    void (*backend_init)(void) = NULL;
    void (*log_set)(void (*)(int, const char *, void *), void *) = NULL;
    struct llama_quantize_params (*defaults)(void) = NULL;
    uint32_t (*quantize)(const char *, const char *, const struct llama_quantize_params *) = NULL;
    LOAD_SYM(lib, backend_init, "llama_backend_init");
    LOAD_SYM(lib, log_set, "llama_log_set");
    LOAD_SYM(lib, defaults, "llama_model_quantize_default_params");
    LOAD_SYM(lib, quantize, "llama_model_quantize");
    if (!backend_init || !log_set || !defaults || !quantize) {
        fprintf(stderr, "%s: libllama lacks the quantize calls\n", argv[0]);
        return 1;
    }
    log_set(quiet_log, NULL);
    backend_init();
    struct llama_quantize_params p = defaults();
    p.ftype = atoi(argv[3]);
    p.nthread = atoi(argv[4]);
    return quantize(argv[1], argv[2], &p) == 0 ? 0 : 1;
}
