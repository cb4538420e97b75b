/* llama_quality_ref.h — stored figures for test_eval_llama.c: the fixture
 * quantized by lq_gguf_quantize to each llama.cpp file type, scored over the
 * first 512 tokens of heldout.txt in windows of 128 (4 windows, 252 scored
 * tokens) with an f16 KV cache against the F32 model.
 *
 * ppl, kld, same_top: our runner (perplexity, mean KL divergence from the
 * F32 model, share of positions with the same most likely token), as
 * test_eval_llama prints them ("ours"). llama_ppl, llama_kld: llama.cpp
 * (node-llama-cpp 3.22.1, CPU), from
 *
 *     node tests/model/llama_ref.mjs --base tests/model/fixture/tiny-llama-f32.gguf \
 *         --text tests/model/fixture/heldout.txt --ctx 128 --max-tokens 512 \
 *         --model Q8_0.gguf --model Q6_K.gguf --model Q4_K_M.gguf --model Q3_K_M.gguf \
 *         --model Q2_K.gguf
 *
 * on files made by `lq quantize tests/model/fixture/tiny-llama-f32.gguf TYPE.gguf TYPE`.
 * Regenerate both whenever the fixture or the quantizers change. */
#ifndef LQ_TESTS_LLAMA_QUALITY_REF_H
#define LQ_TESTS_LLAMA_QUALITY_REF_H

static const struct {
    const char *type;
    double ppl, kld, same_top;   /* ours */
    double llama_ppl, llama_kld; /* llama.cpp's */
} lqt_quality_ref[] = {
    {"Q8_0", 10.924546, 0.000049845, 0.992063, 10.923309507592037, 4.865467357248749e-05},
    {"Q6_K", 10.899280, 0.000333081, 0.968254, 10.899824420442126, 0.000330629513566684},
    {"Q4_K_M", 10.947330, 0.001182327, 0.972222, 10.94457229552218, 0.0011804186108208454},
    {"Q3_K_M", 10.925769, 0.003141013, 0.948413, 10.940563244471406, 0.0031965055079901774},
    {"Q2_K", 11.276549, 0.011842799, 0.944444, 11.279019766417475, 0.01187984813273935},
};

#endif
