/* hf_models.h — the Hugging Face fixture models for the runner's tests: where
 * they are, and transformers' logits on them.
 *
 * The fixtures (tests/hf/make_fixtures.py, doc/hf-input.md) are made by the
 * 'hf-fixtures' test into <build>/tests/hf/fixtures; LQ_HF_FIXTURES names
 * another copy. Without them a test skips, saying why, or fails when
 * LQ_REQUIRE_ORACLE says they must be there (../oracle.h). */
#ifndef LQ_TESTS_MODEL_HF_MODELS_H
#define LQ_TESTS_MODEL_HF_MODELS_H

#include "model_fixture.h"

/* The fixture models: every GGUF architecture the runner runs, with Llama's
 * variants (llama3 rope scaling, tied embeddings, Mistral's converter path). */
#define LQT_HF_MODELS(X) X(llama3) X(llama2_tied) X(mistral) X(qwen2) X(qwen3)
#define LQT_HF_POSITIONS 256 /* rows of each oracle */
#define LQT_HF_VOCAB 1024

/* `relative` in the fixtures folder (a static buffer, one of four in turn). */
static inline const char *lqt_hf_path(const char *relative)
{
    static char buf[4][1024];
    static int next;
    char *p = buf[next++ % 4];
    const char *dir = getenv("LQ_HF_FIXTURES");
    if (!dir || !*dir)
        dir = getenv("LQ_HF_FIXTURES_DEFAULT");
    snprintf(p, sizeof buf[0], "%s/%s", dir ? dir : "tests/hf/fixtures", relative);
    return p;
}

/* The fixture model's folder name ("llama2-tied" for llama2_tied). */
static inline const char *lqt_hf_name(const char *id, char *buf, size_t size)
{
    snprintf(buf, size, "%s", id);
    for (char *c = buf; *c; c++)
        if (*c == '_')
            *c = '-';
    return buf;
}

/* Skip the whole program when the fixtures are not there (before the plan). */
static inline void lqt_hf_require(void)
{
    const char *probe = lqt_hf_path("oracle/qwen3/logits.npy");
    if (access(probe, R_OK) != 0)
        lqt_oracle_skip_all("no Hugging Face fixtures at %s (the hf-fixtures test makes them; "
                            "LQ_HF_FIXTURES names a copy)", probe);
}

/* The ids of oracle/NAME/logits.json ("input_ids": [...]); n of them. NULL
 * when the file cannot be read or holds no list. */
static inline int32_t *lqt_hf_ids(const char *name, int64_t *n)
{
    char rel[128];
    snprintf(rel, sizeof rel, "oracle/%s/logits.json", name);
    size_t len;
    char *text = lqt_read_file(lqt_hf_path(rel), &len);
    char *at = text ? strstr(text, "\"input_ids\"") : NULL;
    at = at ? strchr(at, '[') : NULL;
    int32_t *ids = at ? malloc(LQT_HF_POSITIONS * 4 * sizeof *ids) : NULL;
    *n = 0;
    while (ids && at && *at != ']' && *n < LQT_HF_POSITIONS * 4) {
        char *end;
        long v = strtol(at + 1, &end, 10);
        if (end == at + 1)
            break;
        ids[(*n)++] = (int32_t)v;
        at = end + strspn(end, " \n\r\t");
    }
    if (!at || *at != ']' || *n == 0) {
        free(ids);
        ids = NULL;
    }
    free(text);
    return ids;
}

/* oracle/NAME/logits.npy: a little-endian float32, C-order [rows, cols]
 * array (NumPy format 1.0: magic, version, u16 header length, a Python dict
 * literal). NULL unless it is exactly that. */
static inline float *lqt_hf_logits(const char *name, int64_t *rows, int64_t *cols)
{
    char rel[128];
    size_t len = 0;
    snprintf(rel, sizeof rel, "oracle/%s/logits.npy", name);
    char *b = lqt_read_file(lqt_hf_path(rel), &len);
    float *out = NULL;
    long long r = 0, c = 0;
    if (b && len > 10 && memcmp(b, "\x93NUMPY\x01", 7) == 0) {
        size_t hlen = (unsigned char)b[8] | (size_t)(unsigned char)b[9] << 8;
        char *h = b + 10, save = hlen + 10 <= len ? h[hlen] : 0;
        if (hlen + 10 <= len) {
            h[hlen] = '\0'; /* the header ends in '\n'; the data follows it */
            char *shape = strstr(h, "'shape': (");
            if (strstr(h, "'descr': '<f4'") && strstr(h, "'fortran_order': False") && shape &&
                sscanf(shape, "'shape': (%lld, %lld)", &r, &c) == 2 && r > 0 && c > 0 &&
                (size_t)(r * c) * 4 == len - 10 - hlen && (out = malloc((size_t)(r * c) * 4))) {
                const unsigned char *d = (const unsigned char *)h + hlen;
                h[hlen] = save;
                for (long long i = 0; i < r * c; i++, d += 4) {
                    uint32_t u = d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
                                 (uint32_t)d[3] << 24;
                    memcpy(&out[i], &u, 4);
                }
            }
        }
    }
    free(b);
    *rows = r;
    *cols = c;
    return out;
}

#endif
