/* tokenizer_keys.h — a Hugging Face model folder's tokenizer as the GGUF
 * keys llama.cpp reads (internal; doc/hf-input.md, "Tokenizer keys"). */
#ifndef LQ_HF_TOKENIZER_KEYS_H
#define LQ_HF_TOKENIZER_KEYS_H

#include <stdint.h>

#include <lq/lq_io.h>

/* Append to g, in the order convert_hf_to_gguf.py writes them, the
 * tokenizer.ggml.* keys and tokenizer.chat_template for the model folder
 * `dir`: from tokenizer.model (SentencePiece, tried first) or tokenizer.json
 * (byte-level BPE), with tokenizer_config.json, special_tokens_map.json and
 * chat_template.jinja. `arch` is the GGUF architecture ("llama", "qwen2",
 * "qwen3"): the keys written differ by architecture. `n_vocab` is
 * config.json's vocab_size: ids the tokenizer does not define become
 * "[PAD<id>]" tokens; when it is <= 0 (config.json has none) the
 * tokenizer's own count is used, as the converter does. Errors: LQ_ERR_FORMAT (a malformed file: the message
 * names it), LQ_ERR_UNSUPPORTED (no tokenizer file, or a pre-tokenizer no
 * rule recognises: the message names it), LQ_ERR_IO, LQ_ERR_NOMEM. */
lq_status lq__hf_tokenizer_keys(const char *dir, const char *arch, int64_t n_vocab, lq_gguf *g);

#endif
