/* test_resident.c — the first lq_model_eval of a model from lq_model_load
 * copies the GGUF's matrix weights out of the file map into a block of the
 * model's own (model/resident.c), not the load itself: every layer weight and
 * the head then live in that block, and the logits are bit-identical to
 * those of the same file run from its map (lq_model_from_gguf copies
 * nothing); below lq__resident_min_bytes nothing is copied. White-box (the
 * model's tensors and the threshold, lowered for the small fixture). */
#include <stdlib.h>
#include <string.h>

#include "../harness.h"
#include "libquant/model/model.h"
#include "model_fixture.h"

#define STR_(...) #__VA_ARGS__
#define STR(...) STR_(__VA_ARGS__)

#define N_TOK 12

static bool inside(const lq_model *m, const lq__linear *l, size_t size)
{
    const uint8_t *b = m->resident, *p = lq_tensor_data(l->t);
    return b && p >= b && p + lq_tensor_nbytes(l->t) <= b + size;
}

/* The logits of N_TOK tokens (malloc'd), NULL on failure. */
static float *run(lq_model *m, int64_t n_vocab)
{
    int32_t ids[N_TOK];
    for (int i = 0; i < N_TOK; i++)
        ids[i] = (int32_t)((7 * i + 3) % n_vocab);
    float *out = malloc((size_t)N_TOK * (size_t)n_vocab * sizeof *out);
    CHECK(out != NULL);
    if (out && lq_model_eval(NULL, m, ids, N_TOK, 0, 0, out) != LQ_OK) {
        CHECKF(0, "eval: %s", lq_last_error());
        free(out);
        out = NULL;
    }
    return out;
}

static void copied_and_same(void)
{
    lq_model *a = NULL, *b = NULL;
    lq_gguf *g = NULL;
    CHECK_OK(lq_model_load(NULL, lqt_fixture(), 32, LQ_KV_F32, &a));
    /* the threshold itself: nothing copied above the fixture's weight bytes */
    lq_model *small = NULL;
    lq__resident_min_bytes = (size_t)1 << 30;
    CHECK_OK(lq_model_load(NULL, lqt_fixture(), 32, LQ_KV_F32, &small));
    if (small) {
        float *l = run(small, lq_model_info(small, LQ_MODEL_N_VOCAB));
        CHECK(l && small->resident == NULL && small->resident_done);
        free(l);
    }
    lq_model_free(small);
    lq__resident_min_bytes = 0;
    CHECK_OK(lq_gguf_open(lqt_fixture(), &g));
    if (g)
        CHECK_OK(lq_model_from_gguf(NULL, g, 32, LQ_KV_F32, &b));
    if (a && b) {
        CHECK(a->resident == NULL); /* a model only quantized never holds a copy */
        int64_t nv = lq_model_info(a, LQ_MODEL_N_VOCAB);
        float *la = run(a, nv), *lb = run(b, nv);
        CHECK(la && lb && memcmp(la, lb, (size_t)N_TOK * (size_t)nv * sizeof *la) == 0);
        free(la);
        free(lb);
        CHECK(a->resident != NULL && b->resident == NULL);
        /* the block is at most the file's size: bound the pointers by it */
        size_t size = (size_t)lq_model_info(a, LQ_MODEL_WEIGHT_BYTES);
        bool all = inside(a, &a->output, size);
        for (int64_t il = 0; il < a->hp.n_layer; il++) {
            lq__linear *l[LQ__LAYER_WEIGHTS];
            lq__layer_linears(&a->layers[il], l);
            for (int p = 0; p < LQ__LAYER_WEIGHTS; p++)
                all = all && inside(a, l[p], size);
        }
        CHECK(all);
    }
    lq_model_free(a);
    lq_model_free(b);
    lq_gguf_free(g);
}

#define CASES copied_and_same

int main(void)
{
    lq__resident_min_bytes = 0; /* the fixture's weights are below the threshold */
    lqt_case_fn cases[] = {CASES};
    return lqt_run(STR(CASES), cases, (int)(sizeof cases / sizeof *cases));
}
