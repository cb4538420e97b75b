/* test_tokenizer_bpe.c — the runner's tokenizer against llama.cpp's own
 * tokenizer tests (its models/ggml-vocab-*.gguf with .inp/.out, extracted
 * from the git bundle by vocab_files.sh into $LQ_VOCAB_DIR), against the
 * Hugging Face fixtures' token oracles (transformers / sentencepiece ids of
 * the KJV sample and a Unicode stress text, and of a chat), on hostile
 * vocabularies, and the pre-tokenizer table. Also prints the tokenizer's
 * speed on the whole KJV (a diagnostic line, not a timed check). */
#include <time.h>
#include <unistd.h>

#include "../../libquant/io/json.h"
#include "../../libquant/model/tokenize.h"
#include "../../libquant/model/unicode.h"
#include "../../libquant/model/vocab.h"
#include "../oracle.h"
#include "model_fixture.h"

static lq_status load_vocab(const char *path, lq__vocab *v, lq_gguf **g)
{
    lq_status st = lq_gguf_open(path, g);
    if (st == LQ_OK)
        st = lq__vocab_load(v, *g, "test");
    return st;
}

/* `path` in the folder named by env (or `def`), in a static buffer */
static const char *in_dir(const char *env, const char *def, const char *path)
{
    static char buf[4][1024];
    static int next;
    char *p = buf[next++ % 4];
    const char *dir = getenv(env);
    snprintf(p, sizeof buf[0], "%s/%s", dir && *dir ? dir : (def ? def : ""), path);
    return p;
}

static int exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

/* Tokenize and compare with want[0 .. nwant); prints the first difference. */
static int same(const lq__vocab *v, const char *text, size_t len, int flags, const int32_t *want,
                int64_t nwant, const char *what)
{
    int32_t *tok = NULL;
    int64_t n = 0;
    lq_status st = lq__tokenize("test", v, text, len, flags, 0, &tok, &n);
    int64_t diff = -1;
    for (int64_t i = 0; diff < 0 && i < n && i < nwant; i++)
        if (tok[i] != want[i])
            diff = i;
    if (diff < 0 && n != nwant)
        diff = n < nwant ? n : nwant;
    if (st != LQ_OK || diff >= 0)
        printf("# %s: status %d, %lld tokens, want %lld; first difference at %lld (%d, want %d)\n",
               what, st, (long long)n, (long long)nwant, (long long)diff,
               diff >= 0 && diff < n ? tok[diff] : -1, diff >= 0 && diff < nwant ? want[diff] : -1);
    lq_free(tok);
    return st == LQ_OK && diff < 0;
}

/* Detokenizing the ids gives the text back: exactly, but where llama.cpp's
 * clean_spaces (Llama 3, GPT-2) removes a space before ? ! . , or an
 * apostrophe, which the texts with such a space are checked for instead. */
static int round_trip(const lq__vocab *v, const char *text, size_t len, const char *what)
{
    int32_t *tok = NULL;
    int64_t n = 0;
    char *back = NULL;
    size_t blen = 0;
    lq_status st = lq__tokenize("test", v, text, len, 0, 0, &tok, &n);
    if (st == LQ_OK)
        st = lq__detokenize("test", v, tok, n, 0, &back, &blen);
    int ok = st == LQ_OK && back && blen == len && memcmp(back, text, len) == 0;
    if (!ok && st == LQ_OK && v->type == LQ__VOCAB_BPE && v->pre->clean_spaces) {
        int cleanable = 0; /* some " ?" " !" " ." " ," " '" */
        for (size_t i = 1; i < len; i++)
            cleanable |= text[i - 1] == ' ' && strchr("?!.,'", text[i]) && text[i] != '\0';
        ok = cleanable && blen < len;
    }
    if (!ok)
        printf("# %s: detokenized to %zu bytes, not the %zu of the text\n", what, blen, len);
    lq_free(tok);
    lq_free(back);
    return ok;
}

/* ---- llama.cpp's tests/test-tokenizer-0 cases ---- */

/* Every input of NAME.inp (separated by "\n__ggml_vocab_test__\n") against
 * the ids on the same line of NAME.out, tokenized without BOS/EOS and
 * without reading control tokens, as test-tokenizer-0 does. */
static void llamacpp_vocab(const char *name)
{
    char file[128], inp[160], out[160];
    snprintf(file, sizeof file, "ggml-vocab-%s.gguf", name);
    snprintf(inp, sizeof inp, "%s.inp", file);
    snprintf(out, sizeof out, "%s.out", file);
    const char *path = in_dir("LQ_VOCAB_DIR", NULL, file);
    if (!getenv("LQ_VOCAB_DIR") || !exists(path)) {
        ORACLE_SKIP_CASE("no %s (vocab_files.sh extracts it from llama.cpp's git bundle)", file);
        return;
    }
    lq__vocab v;
    lq_gguf *g = NULL;
    size_t ilen = 0, olen = 0;
    char *itext = lqt_read_file(in_dir("LQ_VOCAB_DIR", NULL, inp), &ilen);
    char *otext = lqt_read_file(in_dir("LQ_VOCAB_DIR", NULL, out), &olen);
    CHECK(itext && otext);
    lq_status st = load_vocab(path, &v, &g);
    CHECK_OK(st);
    if (st != LQ_OK) {
        lq_gguf_free(g);
        free(itext);
        free(otext);
        return;
    }
    static const char sep[] = "\n__ggml_vocab_test__\n";
    int cases = 0, passed = 0, round_trips = 0;
    char *ip = itext, *op = otext;
    while (itext && otext && ip < itext + ilen && op < otext + olen) {
        char *end = strstr(ip, sep); /* the inputs hold no NUL bytes */
        size_t len = end ? (size_t)(end - ip) : (size_t)(itext + ilen - ip);
        char *eol = strchr(op, '\n');
        if (eol)
            *eol = '\0';
        int32_t want[512];
        int64_t nwant = 0;
        for (char *q = op; *q && nwant < 512;) {
            char *next;
            long id = strtol(q, &next, 10);
            if (next == q)
                break;
            want[nwant++] = (int32_t)id;
            q = next;
        }
        char what[64];
        snprintf(what, sizeof what, "%s case %d", name, cases);
        passed += same(&v, ip, len, 0, want, nwant, what);
        round_trips += round_trip(&v, ip, len, what);
        cases++;
        ip += len + (end ? sizeof sep - 1 : 0);
        op = eol ? eol + 1 : otext + olen;
    }
    printf("# %s: %d of %d cases equal to llama.cpp's, %d back to their text\n", name, passed,
           cases, round_trips);
    CHECK(cases > 30 && passed == cases && round_trips == cases);
    lq__vocab_free(&v);
    lq_gguf_free(g);
    free(itext);
    free(otext);
}

static void llamacpp_llama_bpe(void) { llamacpp_vocab("llama-bpe"); }
static void llamacpp_qwen2(void) { llamacpp_vocab("qwen2"); }
static void llamacpp_gpt2(void) { llamacpp_vocab("gpt-2"); }
static void llamacpp_llama_spm(void) { llamacpp_vocab("llama-spm"); }

/* ---- the Hugging Face fixtures' token oracles ---- */

static int64_t json_ids(const lq__json *a, int32_t **out)
{
    *out = NULL;
    if (!a || a->kind != LQ__JSON_ARRAY)
        return -1;
    *out = malloc((a->count + 1) * sizeof **out);
    for (size_t i = 0; *out && i < a->count; i++)
        (*out)[i] = (int32_t)a->items[i].integer;
    return (int64_t)a->count;
}

/* `text` in its NFC form, by the venv's Python (transformers normalises
 * Qwen2's text to NFC, llama.cpp does not: doc/hf-input.md); NULL when
 * that Python is missing. */
static char *nfc(const char *path, size_t *len)
{
    const char *venv = getenv("LQ_VENV");
    const char *home = getenv("HOME");
    char py[512], cmd[2048], tmp[] = "/tmp/lq_nfc_XXXXXX";
    if (venv && *venv)
        snprintf(py, sizeof py, "%s/bin/python", venv);
    else
        snprintf(py, sizeof py, "%s/.cache/libquant/venv/bin/python", home ? home : "");
    int fd = mkstemp(tmp);
    if (fd < 0 || !exists(py))
        return NULL;
    close(fd);
    snprintf(cmd, sizeof cmd,
             "'%s' -c 'import sys,unicodedata; open(sys.argv[2],\"wb\").write(unicodedata."
             "normalize(\"NFC\", open(sys.argv[1],\"rb\").read().decode()).encode())' '%s' '%s'",
             py, path, tmp);
    char *text = system(cmd) == 0 ? lqt_read_file(tmp, len) : NULL;
    remove(tmp);
    return text;
}

static const char *fixtures_default(void)
{
    return getenv("LQ_HF_FIXTURES_DEFAULT");
}

/* The chats the oracle rendered with each tokenizer's template (the messages
 * of make_fixtures.py), tokenized with control tokens read. Not the
 * SentencePiece one: its oracle is transformers' fast tokenizer there, which
 * writes no "\u2581" after a control token where llama.cpp (and
 * SentencePiece itself) does (doc/hf-input.md). */
static const struct {
    const char *tokenizer, *text;
} chats[] = {
    {"llama3-bpe", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWho made the "
                   "heaven?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
                   "God.<|eot_id|>"},
    {"qwen2-bpe", "<|im_start|>user\nWho made the heaven?<|im_end|>\n<|im_start|>assistant\n"
                  "God.<|im_end|>\n"},
};

static void fixture_oracle(const char *tokenizer, const char *gguf, int want_nfc)
{
    char opath[128], gpath[128];
    snprintf(opath, sizeof opath, "oracle/tokens-%s.json", tokenizer);
    snprintf(gpath, sizeof gpath, "gguf/%s", gguf);
    const char *oracle = in_dir("LQ_HF_FIXTURES", fixtures_default(), opath);
    const char *model = in_dir("LQ_HF_FIXTURES", fixtures_default(), gpath);
    if (!exists(oracle) || !exists(model)) {
        ORACLE_SKIP_CASE("no Hugging Face fixtures at %s (the hf-fixtures test makes them)",
                         oracle);
        return;
    }
    size_t jlen = 0;
    char *json = lqt_read_file(oracle, &jlen);
    lq__json_doc *doc = NULL;
    lq__vocab v;
    lq_gguf *g = NULL;
    CHECK_OK(lq__json_parse("test", oracle, json, jlen, 8, &doc));
    lq_status st = load_vocab(model, &v, &g);
    CHECK_OK(st);
    if (!doc || st != LQ_OK) {
        lq__json_free(doc);
        lq_gguf_free(g);
        free(json);
        return;
    }
    const lq__json *root = lq__json_root(doc);
    static const char *const texts[] = {"kjv-sample", "stress"};
    for (int t = 0; t < 2; t++) {
        char tpath[64], what[96];
        snprintf(tpath, sizeof tpath, "text/%s.txt", texts[t]);
        const char *path = in_dir("LQ_HF_FIXTURES", fixtures_default(), tpath);
        size_t len = 0;
        char *text = want_nfc ? nfc(path, &len) : lqt_read_file(path, &len);
        if (!text) {
            ORACLE_SKIP_CASE("cannot read %s%s", path, want_nfc ? " in NFC (no venv Python)" : "");
            continue;
        }
        const lq__json *o = lq__json_get(root, texts[t]);
        int32_t *ids = NULL, *ids_sp = NULL;
        int64_t n = json_ids(lq__json_get(o, "ids"), &ids);
        int64_t n_sp = json_ids(lq__json_get(o, "ids_with_specials"), &ids_sp);
        CHECK(n > 100 && n_sp >= n);
        snprintf(what, sizeof what, "%s %s", tokenizer, texts[t]);
        CHECKF(same(&v, text, len, 0, ids, n, what), "%s", what);
        snprintf(what, sizeof what, "%s %s with BOS/EOS", tokenizer, texts[t]);
        CHECKF(same(&v, text, len, LQ_TOKENIZE_ADD_SPECIAL, ids_sp, n_sp, what), "%s", what);
        free(ids);
        free(ids_sp);
        free(text);
    }
    for (size_t c = 0; c < sizeof chats / sizeof chats[0]; c++) {
        if (strcmp(chats[c].tokenizer, tokenizer) != 0)
            continue;
        int32_t *ids = NULL;
        int64_t n = json_ids(lq__json_get(root, "chat"), &ids);
        char what[96];
        snprintf(what, sizeof what, "%s chat", tokenizer);
        CHECKF(same(&v, chats[c].text, strlen(chats[c].text), LQ_TOKENIZE_PARSE_SPECIAL, ids, n,
                    what), "%s", what);
        free(ids);
    }
    lq__json_free(doc);
    free(json);
    lq__vocab_free(&v);
    lq_gguf_free(g);
}

static void oracle_llama3(void) { fixture_oracle("llama3-bpe", "llama3-f32.gguf", 0); }
static void oracle_qwen2(void) { fixture_oracle("qwen2-bpe", "qwen2-f32.gguf", 1); }
static void oracle_llama2(void) { fixture_oracle("llama2-spm", "llama2-tied-f32.gguf", 0); }

/* The whole KJV (4.3 MB) through each fixture vocabulary: the rate, printed */
static void kjv_speed(void)
{
    const char *path = in_dir("LQ_HF_FIXTURES", fixtures_default(), "text/kjv.txt");
    size_t len = 0;
    char *text = exists(path) ? lqt_read_file(path, &len) : NULL;
    if (!text) {
        ORACLE_SKIP_CASE("no %s", path);
        return;
    }
    static const char *const ggufs[] = {"gguf/llama3-f32.gguf", "gguf/qwen2-f32.gguf",
                                        "gguf/llama2-tied-f32.gguf"};
    for (int i = 0; i < 3; i++) {
        lq__vocab v;
        lq_gguf *g = NULL;
        if (load_vocab(in_dir("LQ_HF_FIXTURES", fixtures_default(), ggufs[i]), &v, &g) != LQ_OK) {
            CHECKF(0, "%s: %s", ggufs[i], lq_last_error());
            lq_gguf_free(g);
            continue;
        }
        int32_t *tok = NULL;
        int64_t n = 0;
        struct timespec t0, t1;
        /* CPU time: the wall clock of a loaded machine says little */
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
        CHECK_OK(lq__tokenize("test", &v, text, len, 0, 0, &tok, &n));
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        printf("# %s: KJV, %zu bytes -> %lld tokens in %.3f CPU s (%.1f MB/s)\n", ggufs[i], len,
               (long long)n, s, (double)len / s / 1e6);
        CHECK(n > (int64_t)len / 8); /* a 1024-token vocabulary: several tokens per word */
        if (v.spm_space_cut) {
            /* SentencePiece merges the pieces between spaces alone when the
             * vocabulary allows it (spm.c): the same ids as the whole text at
             * once, checked on a prefix (the whole text is slow that way) */
            size_t part = len < 300000 ? len : 300000;
            int32_t *cut = NULL, *whole = NULL;
            int64_t ncut = 0, nwhole = 0;
            CHECK_OK(lq__tokenize("test", &v, text, part, 0, 0, &cut, &ncut));
            v.spm_space_cut = 0;
            CHECK_OK(lq__tokenize("test", &v, text, part, 0, 0, &whole, &nwhole));
            CHECK(ncut > 0 && ncut == nwhole && memcmp(cut, whole, (size_t)ncut * 4) == 0);
            lq_free(cut);
            lq_free(whole);
        }
        lq_free(tok);
        lq__vocab_free(&v);
        lq_gguf_free(g);
    }
    free(text);
}

/* ---- llama.cpp itself, asked now ---- */

enum { LIVE_VOCABS = 4, LIVE_TEXTS = 2 };
static const char *const live_vocabs[LIVE_VOCABS] = {
    "ggml-vocab-llama-bpe.gguf", "ggml-vocab-qwen2.gguf", "ggml-vocab-gpt-2.gguf",
    "ggml-vocab-llama-spm.gguf"};
static const char *const live_texts[LIVE_TEXTS] = {"text/kjv-sample.txt", "text/stress.txt"};

/* Run tokens_llamacpp.mjs on every vocabulary and text at once; the id
 * lines in `out` (a file name to fill in), in the order vocabulary-major.
 * Returns 0 when it ran. */
static int run_llamacpp(char paths[LIVE_VOCABS + LIVE_TEXTS][1024], char *out)
{
    int fd = mkstemp(out);
    if (fd < 0)
        return -1;
    close(fd);
    char cmd[16384];
    int at = snprintf(cmd, sizeof cmd, "'%s' '%s/tests/model/tokens_llamacpp.mjs' '%s' '%s'",
                      getenv("LQ_NODE"), getenv("LQ_SOURCE_ROOT"),
                      lqt_oracle_path("node_modules"), out);
    for (int i = 0; i < LIVE_VOCABS; i++)
        for (int t = 0; t < LIVE_TEXTS; t++)
            at += snprintf(cmd + at, sizeof cmd - (size_t)at, " '%s' '%s'", paths[i],
                           paths[LIVE_VOCABS + t]);
    snprintf(cmd + at, sizeof cmd - (size_t)at, " 2>/dev/null");
    return system(cmd) == 0 ? 0 : -1;
}

/* One line of ids from f (malloc'd, *n of them), NULL at the end. */
static int32_t *read_ids(FILE *f, int64_t *n)
{
    int32_t *ids = NULL;
    int64_t cap = 0;
    *n = 0;
    int c = fgetc(f);
    if (c == EOF)
        return NULL;
    ungetc(c, f);
    for (long id; (c = fgetc(f)) != '\n' && c != EOF;) {
        ungetc(c, f);
        if (fscanf(f, "%ld", &id) != 1)
            break;
        if (*n == cap) {
            int32_t *grown = realloc(ids, (size_t)(cap = cap ? 2 * cap : 4096) * sizeof *ids);
            if (!grown)
                break;
            ids = grown;
        }
        ids[(*n)++] = (int32_t)id;
        while ((c = fgetc(f)) == ' ') {
        }
        ungetc(c, f);
    }
    return ids ? ids : malloc(1);
}

/* One line of hex from f as bytes (malloc'd, *n of them; NULL at the end). */
static char *read_hex_line(FILE *f, size_t *n)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got = getline(&line, &cap, f);
    *n = 0;
    if (got < 0) {
        free(line);
        return NULL;
    }
    for (ssize_t i = 0; i + 1 < got; i += 2) {
        unsigned byte;
        if (sscanf(line + i, "%2x", &byte) != 1)
            break;
        line[(*n)++] = (char)byte; /* written behind the reading position */
    }
    return line;
}

/* llama.cpp's tokenizer test vocabularies (real Llama 3, Qwen2, GPT-2 and
 * Llama 2 ones) on the fixture texts (the KJV sample and the Unicode stress
 * text), asked now: every id equal, and the text detokenized from them
 * equal to llama.cpp's. (The whole KJV's ids agree too, but llama.cpp takes
 * minutes over it through node on a loaded machine.) */
static void llamacpp_live(void)
{
    const char *node = getenv("LQ_NODE");
    if (!node || !*node || !exists(lqt_oracle_path("node_modules/node-llama-cpp/dist/index.js"))) {
        ORACLE_SKIP_CASE("no node or no node-llama-cpp to ask llama.cpp");
        return;
    }
    static char paths[LIVE_VOCABS + LIVE_TEXTS][1024];
    for (int i = 0; i < LIVE_VOCABS; i++)
        snprintf(paths[i], sizeof paths[i], "%s", in_dir("LQ_VOCAB_DIR", NULL, live_vocabs[i]));
    for (int t = 0; t < LIVE_TEXTS; t++)
        snprintf(paths[LIVE_VOCABS + t], sizeof paths[0], "%s",
                 in_dir("LQ_HF_FIXTURES", fixtures_default(), live_texts[t]));
    if (!getenv("LQ_VOCAB_DIR") || !exists(paths[0]) || !exists(paths[LIVE_VOCABS])) {
        ORACLE_SKIP_CASE("no llama.cpp vocabularies (vocab_files.sh) or no fixture texts");
        return;
    }
    char out[] = "/tmp/lq_ids_XXXXXX";
    FILE *f = run_llamacpp(paths, out) == 0 ? fopen(out, "r") : NULL;
    CHECKF(f != NULL, "tokens_llamacpp.mjs failed (run it by hand to see why)");
    for (int i = 0; f && i < LIVE_VOCABS; i++) {
        lq__vocab v;
        lq_gguf *g = NULL;
        lq_status st = load_vocab(paths[i], &v, &g);
        CHECK_OK(st);
        for (int t = 0; t < LIVE_TEXTS; t++) {
            int64_t nwant = 0;
            int32_t *want = read_ids(f, &nwant);
            size_t hlen = 0;
            char *hex = read_hex_line(f, &hlen);
            size_t len = 0;
            char *text = lqt_read_file(paths[LIVE_VOCABS + t], &len);
            CHECKF(want && nwant > 0, "%s on %s: no ids from llama.cpp", live_vocabs[i],
                   live_texts[t]);
            char what[128];
            snprintf(what, sizeof what, "%s on %s", live_vocabs[i], live_texts[t]);
            if (want && text && st == LQ_OK)
                CHECKF(same(&v, text, len, 0, want, nwant, what), "%s", what);
            char *back = NULL;
            size_t blen = 0;
            if (want && hex && st == LQ_OK) {
                CHECK_OK(lq__detokenize("test", &v, want, nwant, 0, &back, &blen));
                CHECKF(back && blen == hlen && memcmp(back, hex, hlen) == 0,
                       "%s: detokenized to %zu bytes, llama.cpp %zu", what, blen, hlen);
            }
            lq_free(back);
            free(hex);
            free(want);
            free(text);
        }
        if (st == LQ_OK)
            lq__vocab_free(&v);
        lq_gguf_free(g);
    }
    if (f)
        fclose(f);
    remove(out);
}

/* ---- hostile vocabularies ---- */

/* A small byte-level vocabulary in memory: the 256 byte symbols, "ab",
 * "abc", and a user-defined and a control token. */
static lq_gguf *small_bpe(const char *pre)
{
    static char names[256][3];
    const char *tokens[260];
    int32_t types[260];
    for (int b = 0; b < 256; b++) {
        uint32_t c = lq__byte_to_cp((unsigned char)b);
        size_t k = lq__utf8_encode(c, names[b]);
        names[b][k] = '\0';
        tokens[b] = names[b];
        types[b] = LQ__TOK_NORMAL;
    }
    tokens[256] = "ab";
    tokens[257] = "abc";
    tokens[258] = "<user>";
    tokens[259] = "<|ctl|>";
    types[256] = types[257] = LQ__TOK_NORMAL;
    types[258] = LQ__TOK_USER_DEFINED;
    types[259] = LQ__TOK_CONTROL;
    static const char *const merges[] = {"a b", "ab c", "nospace", "x y z", "missing token"};
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_create(&g));
    CHECK_OK(lq_gguf_set_string(g, "tokenizer.ggml.model", "gpt2"));
    if (pre)
        CHECK_OK(lq_gguf_set_string(g, "tokenizer.ggml.pre", pre));
    CHECK_OK(lq_gguf_set_array_strings(g, "tokenizer.ggml.tokens", tokens, 260));
    CHECK_OK(lq_gguf_set_array(g, "tokenizer.ggml.token_type", LQ_GGUF_TYPE_I32, types, 260));
    CHECK_OK(lq_gguf_set_array_strings(g, "tokenizer.ggml.merges", merges, 5));
    return g;
}

static void hostile_vocabularies(void)
{
    lq__vocab v;
    lq_gguf *g = small_bpe("llama-bpe");
    CHECK_OK(lq__vocab_load(&v, g, "test"));
    /* merges naming texts that are no tokens, or without a space, are inert */
    int32_t *tok = NULL;
    int64_t n = 0;
    CHECK_OK(lq__tokenize("test", &v, "abcb<|ctl|>", 11, LQ_TOKENIZE_PARSE_SPECIAL, 0, &tok, &n));
    CHECK(n == 3 && tok[0] == 257 && tok[1] == lq__vocab_find(&v, "b", 1) && tok[2] == 259);
    lq_free(tok);
    /* user-defined names are read without PARSE_SPECIAL, control names not */
    CHECK_OK(lq__tokenize("test", &v, "<user><|ctl|>", 13, 0, 0, &tok, &n));
    CHECK(n >= 2 && tok[0] == 258 && tok[1] != 259);
    lq_free(tok);
    /* detokenizing: control names only when asked, user-defined always */
    static const int32_t ids[] = {259, 258, 257};
    char *back = NULL;
    size_t blen = 0;
    CHECK_OK(lq__detokenize("test", &v, ids, 3, 0, &back, &blen));
    CHECK(back && blen == 9 && strcmp(back, "<user>abc") == 0);
    lq_free(back);
    CHECK_OK(lq__detokenize("test", &v, ids, 3, LQ_DETOKENIZE_UNPARSE_SPECIAL, &back, &blen));
    CHECK(back && strcmp(back, "<|ctl|><user>abc") == 0);
    lq_free(back);
    static const int32_t outside[] = {1, 260};
    CHECK_STATUS(lq__detokenize("test", &v, outside, 2, 0, &back, &blen), LQ_ERR_INVALID);
    CHECK(back == NULL && strstr(lq_last_error(), "token 1") != NULL);
    CHECK_STATUS(lq__detokenize("test", &v, ids, 3, 8, &back, &blen), LQ_ERR_INVALID);
    /* invalid UTF-8 and NUL bytes: read as U+FFFD, every id in range */
    static const char bad[] = "a\xff\xc3(\xe2\x82\x00\xf4\x90\x80\x80 \xed\xa0\x80";
    CHECK_OK(lq__tokenize("test", &v, bad, sizeof bad - 1, 0, 0, &tok, &n));
    for (int64_t i = 0; i < n; i++)
        CHECK(tok[i] >= 0 && tok[i] < 260);
    lq_free(tok);
    lq__vocab_free(&v);
    lq_gguf_free(g);

    /* unknown or missing pre-tokenizer: refused, naming it */
    g = small_bpe("no-such-pre");
    CHECK_STATUS(lq__vocab_load(&v, g, "test"), LQ_ERR_UNSUPPORTED);
    CHECK(strstr(lq_last_error(), "no-such-pre") != NULL);
    lq_gguf_free(g);
    g = small_bpe(NULL);
    CHECK_STATUS(lq__vocab_load(&v, g, "test"), LQ_ERR_UNSUPPORTED);
    lq_gguf_free(g);

    /* missing or mistyped merges, short token_type, bad model */
    g = small_bpe("qwen2");
    CHECK_OK(lq_gguf_remove_key(g, "tokenizer.ggml.merges"));
    CHECK_STATUS(lq__vocab_load(&v, g, "test"), LQ_ERR_FORMAT);
    CHECK_OK(lq_gguf_set_u32(g, "tokenizer.ggml.merges", 7));
    CHECK_STATUS(lq__vocab_load(&v, g, "test"), LQ_ERR_FORMAT);
    int32_t one = 1;
    CHECK_OK(lq_gguf_set_array(g, "tokenizer.ggml.token_type", LQ_GGUF_TYPE_I32, &one, 1));
    CHECK_STATUS(lq__vocab_load(&v, g, "test"), LQ_ERR_FORMAT);
    CHECK_OK(lq_gguf_set_string(g, "tokenizer.ggml.model", "bert"));
    CHECK_STATUS(lq__vocab_load(&v, g, "test"), LQ_ERR_UNSUPPORTED);
    lq_gguf_free(g);

    /* empty tokens (never matched by name), a vocabulary without byte
     * tokens (bytes dropped, as llama.cpp does), duplicate merges */
    static const char *const toks[] = {"", "a", "", "ab"};
    static const int32_t types[] = {LQ__TOK_CONTROL, LQ__TOK_NORMAL, LQ__TOK_USER_DEFINED,
                                    LQ__TOK_NORMAL};
    static const char *const merges[] = {"a b", "a b", "a a"};
    CHECK_OK(lq_gguf_create(&g));
    CHECK_OK(lq_gguf_set_string(g, "tokenizer.ggml.model", "gpt2"));
    CHECK_OK(lq_gguf_set_string(g, "tokenizer.ggml.pre", "gpt-2"));
    CHECK_OK(lq_gguf_set_array_strings(g, "tokenizer.ggml.tokens", toks, 4));
    CHECK_OK(lq_gguf_set_array(g, "tokenizer.ggml.token_type", LQ_GGUF_TYPE_I32, types, 4));
    CHECK_OK(lq_gguf_set_array_strings(g, "tokenizer.ggml.merges", merges, 3));
    CHECK_OK(lq__vocab_load(&v, g, "test"));
    CHECK(v.nspecial == 0);
    CHECK_OK(lq__tokenize("test", &v, "aa zz", 5, LQ_TOKENIZE_PARSE_SPECIAL, 0, &tok, &n));
    CHECK(n == 2 && tok[0] == 1 && tok[1] == 1); /* "aa" is no token: a, a; " zz" has none */
    lq_free(tok);
    lq__vocab_free(&v);
    lq_gguf_free(g);
}

/* Random bytes (ASCII, spaces, newlines, digits, apostrophes, UTF-8 lead and
 * continuation bytes, NUL, pieces of special token names) with every
 * pre-tokenizer and both special modes: always ids of the vocabulary, at
 * most a few per byte (a byte is at most 3 of U+FFFD, each 2 in the byte
 * alphabet, plus BOS/EOS). Run under the sanitizers. */
static void random_texts(void)
{
    static const char *const pres[] = {"llama-bpe", "qwen2", "gpt-2"};
    static const char *const bits[] = {"a", "b", "c", " ", "  ", "\n", "\r\n", "\t", "'", "'S",
                                       "'ll", "1", "12345", ".", "?!", "\xc3\xa9", "\xe3\x80\x80",
                                       "\xff", "\xc3", "\x80", "\xf0\x9f\x98", "<user>", "<|ctl|>",
                                       "<|ct", "ab", "abc"};
    lqt_rng rng = {0xb9e};
    for (int p = 0; p < 3; p++) {
        lq__vocab v;
        lq_gguf *g = small_bpe(pres[p]);
        CHECK_OK(lq__vocab_load(&v, g, "test"));
        for (int iter = 0; iter < 300; iter++) {
            char s[40 * 8]; /* 40 pieces of at most 7 bytes */
            size_t len = 0;
            for (int k = (int)(lqt_next(&rng) % 40); k > 0; k--) {
                const char *b = bits[lqt_next(&rng) % (sizeof bits / sizeof bits[0])];
                size_t bl = strlen(b);
                memcpy(s + len, b, bl);
                len += bl;
            }
            if (lqt_next(&rng) % 8 == 0 && len > 0)
                s[lqt_next(&rng) % len] = '\0';
            int flags = (int)(lqt_next(&rng) % 8);
            int32_t *tok = NULL;
            int64_t n = 0;
            CHECK_OK(lq__tokenize("test", &v, s, len, flags, iter % 5 == 0, &tok, &n));
            CHECK(n >= 0 && (size_t)n <= 6 * len + 2);
            for (int64_t i = 0; i < n; i++)
                CHECK(tok[i] >= 0 && tok[i] < 260);
            lq_free(tok);
        }
        lq__vocab_free(&v);
        lq_gguf_free(g);
    }
}

/* Pre-tokenizer words on hand-made strings, against the regexes as the
 * Hugging Face tokenizers apply them (the expected cuts written out). */
static lq_status collect(void *ctx, size_t start, size_t end)
{
    char *out = ctx;
    char buf[32];
    snprintf(buf, sizeof buf, "%zu-%zu ", start, end);
    strcat(out, buf);
    return LQ_OK;
}

static void words(const char *pre, const char *s, const char *want)
{
    uint32_t cp[64];
    uint8_t cls[64];
    size_t n = 0, used;
    for (size_t at = 0; s[at]; at += used, n++) {
        cp[n] = lq__utf8_decode((const unsigned char *)s + at, strlen(s + at), &used);
        cls[n] = (uint8_t)lq__uc_class(cp[n]);
    }
    char got[512] = "";
    CHECK_OK(lq__pretok_split(lq__pretok_find(pre), cp, cls, n, collect, got));
    CHECKF(strcmp(got, want) == 0, "%s on \"%s\": %s, want %s", pre, s, got, want);
}

static void pretokenizers(void)
{
    /* contractions fold case for llama3/qwen2, not for gpt-2 */
    words("llama-bpe", "I'M here", "0-1 1-3 3-8 ");
    words("gpt-2", "I'M here", "0-1 1-2 2-3 3-8 ");
    /* digits: three at a time for Llama 3, one for Qwen2, a run for GPT-2 */
    words("llama-bpe", "12345", "0-3 3-5 ");
    words("qwen2", "123", "0-1 1-2 2-3 ");
    words("gpt-2", " 12345", "0-6 ");
    /* \s+(?!\S) leaves the last space to the next word; newlines end runs */
    words("llama-bpe", "a   b", "0-1 1-3 3-5 ");
    words("llama-bpe", "a \n\n b", "0-1 1-4 4-6 ");
    words("llama-bpe", "a  ", "0-1 1-3 ");
    /* punctuation takes a space before and newlines after */
    words("llama-bpe", "x ...\n\ny", "0-1 1-7 7-8 ");
    /* letters from the generated tables: é (L), ½ (N), U+3000 (space) */
    /* (U+3000 may lead a word, as any non-letter, non-digit but \r \n) */
    words("llama-bpe", "\xc3\xa9t\xc3\xa9 \xc2\xbd\xe3\x80\x80z", "0-3 3-4 4-5 5-7 ");
    CHECK(lq__pretok_find("default") == NULL && lq__pretok_find("qwen2") != NULL);
}

LQT_MAIN(llamacpp_llama_bpe, llamacpp_qwen2, llamacpp_gpt2, llamacpp_llama_spm, oracle_llama3,
         oracle_qwen2, oracle_llama2, kjv_speed, llamacpp_live, hostile_vocabularies,
         random_texts, pretokenizers)
