/* test_hf_tokenizer.c — a Hugging Face folder's tokenizer files as GGUF
 * keys (lq__hf_tokenizer_keys): equal, key for key and byte for byte, to
 * what convert_hf_to_gguf.py wrote for every fixture model; small folders
 * made here whose keys were worked out by hand from the converter's rules;
 * and damaged tokenizer.model / tokenizer.json files, which must give a
 * clear status, never a crash. */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../libquant/hf/tok.h"
#include "../../libquant/hf/tokenizer_keys.h"
#include "../oracle.h"

/* ---- fixtures ---- */

static const char *fixtures(void)
{
    const char *e = getenv("LQ_HF_FIXTURES");
    return e && *e ? e : LQT_HF_FIXTURES_DEFAULT;
}

static int64_t config_vocab_size(const char *model_dir)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/config.json", model_dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strstr(buf, "\"vocab_size\":");
    return p ? strtoll(p + 13, NULL, 10) : -1;
}

/* Compare entry `key` of a and b: type, element type, count, bytes. */
static void check_same_value(const lq_gguf *a, const lq_gguf *b, const char *key)
{
    int64_t ia = lq_gguf_find_key(a, key), ib = lq_gguf_find_key(b, key);
    int ta = lq_gguf_kv_type(a, ia), tb = lq_gguf_kv_type(b, ib);
    CHECKF(ta == tb, "%s: type %d, the converter's %d", key, ta, tb);
    if (ta != tb)
        return;
    if (ta == LQ_GGUF_TYPE_STRING) {
        const char *sa, *sb;
        size_t la, lb;
        CHECK_OK(lq_gguf_get_string(a, key, &sa, &la));
        CHECK_OK(lq_gguf_get_string(b, key, &sb, &lb));
        CHECKF(la == lb && memcmp(sa, sb, la) == 0, "%s: '%.60s' vs the converter's '%.60s'", key,
               sa, sb);
    } else if (ta == LQ_GGUF_TYPE_ARRAY) {
        int ea, eb;
        uint64_t na, nb;
        CHECK_OK(lq_gguf_get_array(a, key, &ea, &na));
        CHECK_OK(lq_gguf_get_array(b, key, &eb, &nb));
        CHECKF(ea == eb && na == nb, "%s: array of %d x %llu, the converter's %d x %llu", key, ea,
               (unsigned long long)na, eb, (unsigned long long)nb);
        if (ea != eb || na != nb)
            return;
        if (ea == LQ_GGUF_TYPE_STRING) {
            uint64_t diff = 0, first = 0;
            for (uint64_t i = 0; i < na; i++) {
                const char *sa, *sb;
                size_t la, lb;
                lq_gguf_get_array_string(a, key, i, &sa, &la);
                lq_gguf_get_array_string(b, key, i, &sb, &lb);
                if (la != lb || memcmp(sa, sb, la) != 0)
                    first = diff++ ? first : i;
            }
            CHECKF(diff == 0, "%s: %llu strings differ, the first at %llu", key,
                   (unsigned long long)diff, (unsigned long long)first);
        } else {
            const void *da, *db;
            uint64_t ca, cb;
            CHECK_OK(lq_gguf_get_array_data(a, key, ea, &da, &ca));
            CHECK_OK(lq_gguf_get_array_data(b, key, eb, &db, &cb));
            int size = ea == LQ_GGUF_TYPE_BOOL || ea <= LQ_GGUF_TYPE_I8 ? 1
                       : ea <= LQ_GGUF_TYPE_I16                         ? 2
                       : ea >= LQ_GGUF_TYPE_U64                         ? 8
                                                                        : 4;
            CHECKF(memcmp(da, db, (size_t)na * (size_t)size) == 0, "%s: elements differ", key);
        }
    } else {
        int64_t va = 0, vb = 0;
        if (ta == LQ_GGUF_TYPE_BOOL) {
            int x, y;
            CHECK_OK(lq_gguf_get_bool(a, key, &x));
            CHECK_OK(lq_gguf_get_bool(b, key, &y));
            va = x, vb = y;
        } else {
            CHECK_OK(lq_gguf_get_int(a, key, &va));
            CHECK_OK(lq_gguf_get_int(b, key, &vb));
        }
        CHECKF(va == vb, "%s: %lld, the converter's %lld", key, (long long)va, (long long)vb);
    }
}

static int is_tokenizer_key(const char *k) { return strncmp(k, "tokenizer.", 10) == 0; }

/* ours holds only tokenizer keys; every key of the converter's file that
 * starts with "tokenizer." must be there, in the same order. */
static void check_like_converter(const lq_gguf *ours, const lq_gguf *conv)
{
    int64_t n = lq_gguf_kv_count(ours), j = 0;
    for (int64_t i = 0; i < lq_gguf_kv_count(conv); i++) {
        const char *k = lq_gguf_kv_key(conv, i);
        if (!is_tokenizer_key(k))
            continue;
        const char *mine = j < n ? lq_gguf_kv_key(ours, j) : "(none)";
        CHECKF(strcmp(mine, k) == 0, "key %lld: '%s', the converter's '%s'", (long long)j, mine, k);
        if (strcmp(mine, k) != 0)
            return;
        check_same_value(ours, conv, k);
        j++;
    }
    CHECKF(j == n, "%lld keys, the converter wrote %lld", (long long)n, (long long)j);
}

static void fixture_model(const char *name, const char *arch)
{
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s/models/%s", fixtures(), name);
    snprintf(path, sizeof path, "%s/gguf/%s-f32.gguf", fixtures(), name);
    if (access(dir, R_OK) != 0 || access(path, R_OK) != 0) {
        ORACLE_SKIP_CASE("no Hugging Face fixtures at %s (tests/hf/make_fixtures.py)", fixtures());
        return;
    }
    lq_gguf *ours = NULL, *conv = NULL;
    CHECK_OK(lq_gguf_create(&ours));
    CHECK_OK(lq__hf_tokenizer_keys(dir, arch, config_vocab_size(dir), ours));
    CHECK_OK(lq_gguf_open(path, &conv));
    if (conv)
        check_like_converter(ours, conv);
    lq_gguf_free(ours);
    lq_gguf_free(conv);
}

static void fixture_llama3(void) { fixture_model("llama3", "llama"); }
static void fixture_llama2_tied(void) { fixture_model("llama2-tied", "llama"); }
static void fixture_mistral(void) { fixture_model("mistral", "llama"); }
static void fixture_qwen2(void) { fixture_model("qwen2", "qwen2"); }
static void fixture_qwen3(void) { fixture_model("qwen3", "qwen3"); }

/* ---- folders made here ---- */

static char tmp_dir[256];

static void make_dir(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/lq_tok_XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmp_dir))
        tmp_dir[0] = '\0';
}

static const char *const FILES[] = {"tokenizer.model", "tokenizer.json", "tokenizer_config.json",
                                    "config.json", "chat_template.jinja", "added_tokens.json",
                                    "chat_template.json"};

static void put_file(const char *name, const void *data, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK(fwrite(data, 1, n, f) == n);
        fclose(f);
    }
}

static void put_text(const char *name, const char *text) { put_file(name, text, strlen(text)); }

static void clear_dir(void)
{
    char path[512];
    for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp_dir, FILES[i]);
        unlink(path);
    }
}

static void drop_dir(void)
{
    clear_dir();
    rmdir(tmp_dir);
}

/* Run the keys on tmp_dir; the status, the handle in *out (or freed). */
static lq_status run(const char *arch, int64_t n_vocab, lq_gguf **out)
{
    lq_gguf *g = NULL;
    CHECK_OK(lq_gguf_create(&g));
    lq_status s = lq__hf_tokenizer_keys(tmp_dir, arch, n_vocab, g);
    if (s != LQ_OK)
        CHECKF(lq_last_error()[0] != '\0', "status %d without a message", s);
    if (out)
        *out = g;
    else
        lq_gguf_free(g);
    return s;
}

static void check_keys(const lq_gguf *g, const char *const *keys, int n)
{
    CHECKF(lq_gguf_kv_count(g) == n, "%lld keys, expected %d", (long long)lq_gguf_kv_count(g), n);
    for (int i = 0; i < n && i < lq_gguf_kv_count(g); i++)
        CHECKF(strcmp(lq_gguf_kv_key(g, i), keys[i]) == 0, "key %d: '%s', expected '%s'", i,
               lq_gguf_kv_key(g, i), keys[i]);
}

static void check_str_at(const lq_gguf *g, const char *key, uint64_t i, const char *want)
{
    const char *s = NULL;
    CHECK_OK(lq_gguf_get_array_string(g, key, i, &s, NULL));
    CHECKF(s && strcmp(s, want) == 0, "%s[%llu] = '%s', expected '%s'", key,
           (unsigned long long)i, s ? s : "(null)", want);
}

/* ---- a SentencePiece model written here ---- */

typedef struct pbuf {
    uint8_t b[4096];
    size_t n;
} pbuf;

static void pb_byte(pbuf *p, uint8_t c)
{
    if (p->n < sizeof p->b)
        p->b[p->n++] = c;
}

static void pb_varint(pbuf *p, uint64_t v)
{
    do {
        pb_byte(p, (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)));
        v >>= 7;
    } while (v);
}

static void pb_bytes(pbuf *p, int field, const void *d, size_t n)
{
    pb_varint(p, (uint64_t)field << 3 | 2);
    pb_varint(p, n);
    for (size_t i = 0; i < n; i++)
        pb_byte(p, ((const uint8_t *)d)[i]);
}

static void pb_piece(pbuf *p, const char *text, float score, int type)
{
    pbuf m = {{0}, 0};
    pb_bytes(&m, 1, text, strlen(text));
    uint32_t u;
    memcpy(&u, &score, 4);
    pb_varint(&m, 2 << 3 | 5);
    for (int i = 0; i < 4; i++)
        pb_byte(&m, (uint8_t)(u >> (8 * i)));
    if (type)
        pb_varint(&m, 3 << 3), pb_varint(&m, (uint64_t)type);
    pb_bytes(p, 1, m.b, m.n);
}

/* <unk> <s> </s> <0x00> ▁t h user unused; a trainer_spec, a normalizer_spec
 * and an unknown field around them. */
static void spm_model(pbuf *p)
{
    p->n = 0;
    pb_piece(p, "<unk>", 0.0f, 2);
    pb_piece(p, "<s>", 0.0f, 3);
    pb_piece(p, "</s>", 0.0f, 3);
    pb_piece(p, "<0x00>", 0.0f, 6);
    pb_piece(p, "\xe2\x96\x81t", -1.5f, 0); /* type left out: NORMAL */
    pb_piece(p, "h", -2.25f, 1);
    pb_piece(p, "user", 0.0f, 4);
    pb_piece(p, "unused", 0.0f, 5);
    static const uint8_t trainer[] = {0x08, 0x02, 0x1a, 0x03, 'a', 'b', 'c'};
    pb_bytes(p, 2, trainer, sizeof trainer);
    pbuf norm = {{0}, 0};
    pb_bytes(&norm, 1, "identity", 8);
    pb_varint(&norm, 3 << 3), pb_varint(&norm, 1);
    pb_bytes(p, 3, norm.b, norm.n);
    pb_varint(p, 99 << 3), pb_varint(p, 300); /* a field SentencePiece may add later */
    pb_varint(p, 98 << 3 | 1);
    for (int i = 0; i < 8; i++)
        pb_byte(p, 0);
}

static void spm_folder(void)
{
    make_dir();
    CHECK(tmp_dir[0] != '\0');
    pbuf p;
    spm_model(&p);
    put_file("tokenizer.model", p.b, p.n);
    put_text("tokenizer_config.json",
             "{\"add_bos_token\": true, \"add_prefix_space\": false, \"bos_token\": \"<s>\","
             " \"added_tokens_decoder\": {\"0\": {\"content\": \"<unk>\", \"special\": true},"
             " \"9\": {\"content\": \"my\xe2\x96\x81tok\", \"special\": false},"
             " \"12\": {\"content\": \"past the end\", \"special\": true}}}");
    put_text("config.json", "{\"bos_token_id\": 1, \"eos_token_id\": 2, \"pad_token_id\": null}");
    put_text("chat_template.jinja", "a\r\nb\rc\n");
    lq_gguf *g = NULL;
    CHECK_OK(run("llama", 10, &g));
    /* no tokenizer.json: the config's bos_token names no added token, so
     * the ids come from config.json; the template's newlines as Python
     * reads them; add_space_prefix first (LlamaModel.set_vocab) */
    static const char *const keys[] = {
        "tokenizer.ggml.add_space_prefix", "tokenizer.ggml.model", "tokenizer.ggml.pre",
        "tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
        "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.add_bos_token", "tokenizer.chat_template"};
    check_keys(g, keys, 10);
    static const char *const tokens[10] = {"<unk>", "<s>", "</s>", "<0x00>", "\xe2\x96\x81t",
                                           "h", "user", "unused", "[PAD8]", "my tok"};
    static const float scores[10] = {-1000, 0, 0, 0, -1.5f, -2.25f, 0, 0, -10000, -1000};
    /* user-defined pieces are written NORMAL; added tokens 3 (special) or 4 */
    static const int32_t types[10] = {3, 3, 3, 6, 1, 1, 1, 5, 5, 4};
    const void *d;
    uint64_t n;
    for (int i = 0; i < 10; i++)
        check_str_at(g, "tokenizer.ggml.tokens", (uint64_t)i, tokens[i]);
    CHECK_OK(lq_gguf_get_array_data(g, "tokenizer.ggml.scores", LQ_GGUF_TYPE_F32, &d, &n));
    CHECK(n == 10 && memcmp(d, scores, sizeof scores) == 0);
    CHECK_OK(lq_gguf_get_array_data(g, "tokenizer.ggml.token_type", LQ_GGUF_TYPE_I32, &d, &n));
    CHECK(n == 10 && memcmp(d, types, sizeof types) == 0);
    uint32_t u;
    int b;
    const char *t;
    CHECK_OK(lq_gguf_get_u32(g, "tokenizer.ggml.eos_token_id", &u));
    CHECK(u == 2);
    CHECK_OK(lq_gguf_get_bool(g, "tokenizer.ggml.add_space_prefix", &b));
    CHECK(b == 0);
    CHECK_OK(lq_gguf_get_string(g, "tokenizer.chat_template", &t, NULL));
    CHECK(strcmp(t, "a\nb\nc\n") == 0);
    lq_gguf_free(g);
    /* with a tokenizer.json: the config's bos_token is looked up among its
     * added tokens (same id); a nested normaliser's flags come last, a
     * null one is left out */
    put_text("tokenizer.json",
             "{\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": "
             "\"BertNormalizer\", \"lowercase\": true, \"strip_accents\": null}]}, "
             "\"added_tokens\": [{\"id\": 1, \"content\": \"<s>\"}]}");
    CHECK_OK(run("llama", 10, &g));
    CHECK(lq_gguf_kv_count(g) == 11);
    CHECK(strcmp(lq_gguf_kv_key(g, 10), "tokenizer.ggml.normalizer.lowercase") == 0);
    CHECK(lq_gguf_find_key(g, "tokenizer.ggml.normalizer.strip_accents") < 0);
    lq_gguf_free(g);
    /* qwen2 reads no add_prefix_space; without n_vocab the model's 8 pieces */
    CHECK_OK(run("qwen2", 0, &g));
    CHECK(lq_gguf_find_key(g, "tokenizer.ggml.add_space_prefix") < 0);
    CHECK_OK(lq_gguf_get_array(g, "tokenizer.ggml.tokens", &b, &n));
    CHECK(n == 8);
    lq_gguf_free(g);
    drop_dir();
}

/* The Llama-3 pre-tokenizer regex, as JSON text. */
#define LLAMA3_RE                                                                              \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}{1,3}| "   \
    "?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+"
#define PRE_LLAMA3                                                                             \
    "\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", "   \
    "\"pattern\": {\"Regex\": \"" LLAMA3_RE "\"}, \"behavior\": \"Isolated\", \"invert\": "    \
    "false}, {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, " \
    "\"use_regex\": false}]}"
#define POST_BOS                                                                               \
    "\"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": " \
    "{\"id\": \"<|b|>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}], " \
    "\"pair\": [{\"SpecialToken\": {\"id\": \"<|b|>\", \"type_id\": 0}}, {\"Sequence\": "      \
    "{\"id\": \"A\", \"type_id\": 0}}, {\"SpecialToken\": {\"id\": \"<|e|>\", \"type_id\": "   \
    "0}}, {\"Sequence\": {\"id\": \"B\", \"type_id\": 1}}]}"
#define ADDED                                                                                  \
    "\"added_tokens\": [{\"id\": 5, \"content\": \"<|b|>\", \"special\": false}, {\"id\": 6, " \
    "\"content\": \"u\xe2\x96\x81v\", \"special\": false}, {\"id\": 8, \"content\": "          \
    "\"<|e|>\", \"special\": true}]"
#define VOCAB "\"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2, \"c\": 3, \" d\": 4, \"c d\": 9}"

static void bpe_folder(void)
{
    make_dir();
    put_text("tokenizer.json",
             "{\"version\": \"1.0\", " ADDED ", " PRE_LLAMA3 ", " POST_BOS ", "
             "\"model\": {\"type\": \"BPE\", \"ignore_merges\": true, \"byte_fallback\": false, "
             VOCAB ", \"merges\": [[\"a\", \"b\"], [\"c\", \" d\"]]}}");
    put_text("tokenizer_config.json",
             "{\"add_bos_token\": true, \"bos_token\": \"<|b|>\", \"eos_token\": {\"content\": "
             "\"<|e|>\"}, \"chat_template\": [{\"name\": \"default\", \"template\": \"D\"}, "
             "{\"name\": \"tool use\", \"template\": \"T\"}]}");
    put_text("chat_template.jinja", "ignored: tokenizer_config.json has one");
    put_text("config.json", "{\"pad_token_id\": 7, \"eos_token_id\": [8, 5]}");
    lq_gguf *g = NULL;
    CHECK_OK(run("llama", 11, &g));
    /* the post-processor's pair puts <|e|> between the sequences, but the
     * converter compares it with the config's eos_token, here a dict, so it
     * is not recognised: add_sep false. add_bos comes from the
     * post-processor first, add_sep next, then the config's add_bos_token
     * updates the first in place. config.json's eos_token_id, a list, is
     * ignored. */
    static const char *const keys[] = {
        "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
        "tokenizer.ggml.token_type", "tokenizer.ggml.merges", "tokenizer.ggml.bos_token_id",
        "tokenizer.ggml.eos_token_id", "tokenizer.ggml.padding_token_id",
        "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_sep_token",
        "tokenizer.chat_template.tool_use", "tokenizer.chat_templates", "tokenizer.chat_template"};
    check_keys(g, keys, 13);
    const char *t;
    CHECK_OK(lq_gguf_get_string(g, "tokenizer.ggml.pre", &t, NULL));
    CHECK(strcmp(t, "llama-bpe") == 0);
    static const char *const tokens[11] = {"a", "b", "ab", "c", " d", "<|b|>", "u v",
                                           "[PAD7]", "<|e|>", "c d", "[PAD10]"};
    static const int32_t types[11] = {1, 1, 1, 1, 1, 3, 4, 5, 3, 1, 5};
    for (int i = 0; i < 11; i++)
        check_str_at(g, "tokenizer.ggml.tokens", (uint64_t)i, tokens[i]);
    const void *d;
    uint64_t n;
    CHECK_OK(lq_gguf_get_array_data(g, "tokenizer.ggml.token_type", LQ_GGUF_TYPE_I32, &d, &n));
    CHECK(n == 11 && memcmp(d, types, sizeof types) == 0);
    /* pairs are joined with a space; a space inside a side is written Ġ */
    check_str_at(g, "tokenizer.ggml.merges", 0, "a b");
    check_str_at(g, "tokenizer.ggml.merges", 1, "c \xc4\xa0" "d");
    uint32_t u;
    int b;
    CHECK_OK(lq_gguf_get_u32(g, "tokenizer.ggml.bos_token_id", &u));
    CHECK(u == 5);
    CHECK_OK(lq_gguf_get_u32(g, "tokenizer.ggml.eos_token_id", &u));
    CHECK(u == 8);
    CHECK_OK(lq_gguf_get_u32(g, "tokenizer.ggml.padding_token_id", &u));
    CHECK(u == 7);
    CHECK_OK(lq_gguf_get_bool(g, "tokenizer.ggml.add_sep_token", &b));
    CHECK(b == 0);
    CHECK_OK(lq_gguf_get_string(g, "tokenizer.chat_template", &t, NULL));
    CHECK(strcmp(t, "D") == 0);
    check_str_at(g, "tokenizer.chat_templates", 0, "tool_use");
    lq_gguf_free(g);
    /* the same regex without a post-processor adding the bos: Llama-3's
     * first tokenizer.json, which the converter names smaug-bpe */
    put_text("tokenizer.json", "{" PRE_LLAMA3 ", \"model\": {" VOCAB "}}");
    CHECK_OK(run("llama", 11, &g));
    CHECK_OK(lq_gguf_get_string(g, "tokenizer.ggml.pre", &t, NULL));
    CHECK(t && strcmp(t, "smaug-bpe") == 0);
    lq_gguf_free(g);
    drop_dir();
}

/* ---- damaged input ---- */

static void spm_truncated_and_mutated(void)
{
    pbuf p;
    spm_model(&p);
    lq__spm spm;
    CHECK_OK(lq__spm_read("t", "m", p.b, p.n, &spm));
    CHECK(spm.count == 8);
    lq__spm_free(&spm);
    /* every prefix: complete, or refused as malformed */
    for (size_t n = 0; n < p.n; n++) {
        lq_status s = lq__spm_read("t", "m", p.b, n, &spm);
        CHECKF(s == LQ_OK || s == LQ_ERR_FORMAT, "prefix %zu: status %d", n, s);
        lq__spm_free(&spm);
    }
    /* seeded random damage: one to four bytes changed */
    lqt_rng r = {77};
    uint8_t m[sizeof p.b];
    for (int k = 0; k < 4000; k++) {
        memcpy(m, p.b, p.n);
        int changes = 1 + (int)(lqt_next(&r) % 4);
        for (int c = 0; c < changes; c++)
            m[lqt_next(&r) % p.n] = (uint8_t)lqt_next(&r);
        lq_status s = lq__spm_read("t", "m", m, p.n, &spm);
        CHECKF(s == LQ_OK || s == LQ_ERR_FORMAT || s == LQ_ERR_UNSUPPORTED, "mutation %d: %d", k,
               s);
        lq__spm_free(&spm);
    }
}

static void spm_hostile(void)
{
    static const struct {
        const char *what;
        uint8_t bytes[16];
        size_t n;
        lq_status want;
    } cases[] = {
        {"empty", {0}, 0, LQ_ERR_FORMAT},
        {"length past the end", {0x0a, 0x7f, 0x0a, 0x01}, 4, LQ_ERR_FORMAT},
        {"11-byte varint", {0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
         12, LQ_ERR_FORMAT},
        {"a group", {0x0b}, 1, LQ_ERR_FORMAT},
        {"field 0", {0x02, 0x00}, 2, LQ_ERR_FORMAT},
        {"pieces as a varint", {0x08, 0x01}, 2, LQ_ERR_FORMAT},
        {"piece type 7", {0x0a, 0x05, 0x0a, 0x01, 'x', 0x18, 0x07}, 7, LQ_ERR_FORMAT},
        {"piece text as a varint", {0x0a, 0x02, 0x08, 0x01}, 4, LQ_ERR_FORMAT},
        {"piece without text", {0x0a, 0x02, 0x18, 0x02}, 4, LQ_ERR_FORMAT},
        {"invalid UTF-8", {0x0a, 0x05, 0x0a, 0x01, 0xff, 0x18, 0x02}, 7, LQ_ERR_FORMAT},
        {"NUL in a piece", {0x0a, 0x06, 0x0a, 0x02, 'a', 0x00, 0x18, 0x02}, 8, LQ_ERR_UNSUPPORTED},
        {"no unknown piece", {0x0a, 0x03, 0x0a, 0x01, 'x'}, 5, LQ_ERR_FORMAT},
        {"two unknown pieces",
         {0x0a, 0x05, 0x0a, 0x01, 'x', 0x18, 0x02, 0x0a, 0x05, 0x0a, 0x01, 'y', 0x18, 0x02}, 14,
         LQ_ERR_FORMAT},
        {"a piece twice",
         {0x0a, 0x05, 0x0a, 0x01, 'x', 0x18, 0x02, 0x0a, 0x03, 0x0a, 0x01, 'x'}, 12, LQ_ERR_FORMAT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lq__spm spm;
        lq_status s = lq__spm_read("t", "m", cases[i].bytes, cases[i].n, &spm);
        CHECKF(s == cases[i].want, "%s: status %d, expected %d (%s)", cases[i].what, s,
               cases[i].want, lq_last_error());
        lq__spm_free(&spm);
    }
    /* through the folder: deep nesting inside an unknown field is skipped
     * whole, not descended into */
    make_dir();
    pbuf p;
    spm_model(&p);
    uint8_t deep[128];
    size_t n = 0;
    /* field 7 { field 7 { ... } }, 63 levels: every length fits one byte */
    for (int i = 0; i < 63; i++)
        deep[n++] = 0x3a, deep[n++] = (uint8_t)(2 * (62 - i));
    memcpy(p.b + p.n, deep, n);
    p.n += n;
    put_file("tokenizer.model", p.b, p.n);
    CHECK_OK(run("llama", 8, NULL));
    put_file("tokenizer.model", p.b, p.n - 1);
    CHECK_STATUS(run("llama", 8, NULL), LQ_ERR_FORMAT);
    drop_dir();
}

static void json_hostile(void)
{
    static const struct {
        const char *what, *tokjson;
        lq_status want;
    } cases[] = {
        {"vocab as a list",
         "{" PRE_LLAMA3 ", \"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0.0]]}}",
         LQ_ERR_UNSUPPORTED},
        {"an id as a string", "{" PRE_LLAMA3 ", \"model\": {\"vocab\": {\"a\": \"0\"}}}",
         LQ_ERR_FORMAT},
        {"a negative id", "{" PRE_LLAMA3 ", \"model\": {\"vocab\": {\"a\": -1}}}", LQ_ERR_FORMAT},
        {"an id past the vocabulary", "{" PRE_LLAMA3 ", \"model\": {\"vocab\": {\"a\": 16}}}",
         LQ_ERR_FORMAT},
        {"an id twice", "{" PRE_LLAMA3 ", \"model\": {\"vocab\": {\"a\": 0, \"b\": 0}}}",
         LQ_ERR_FORMAT},
        {"an added token with another id",
         "{" PRE_LLAMA3 ", \"added_tokens\": [{\"id\": 3, \"content\": \"a\"}], \"model\": "
         "{\"vocab\": {\"a\": 0}}}", LQ_ERR_FORMAT},
        {"an added token taking a vocabulary id",
         "{" PRE_LLAMA3 ", \"added_tokens\": [{\"id\": 0, \"content\": \"z\"}], \"model\": "
         "{\"vocab\": {\"a\": 0}}}", LQ_ERR_FORMAT},
        {"added_tokens not a list",
         "{" PRE_LLAMA3 ", \"added_tokens\": {}, \"model\": {\"vocab\": {\"a\": 0}}}",
         LQ_ERR_FORMAT},
        {"an added token without content",
         "{" PRE_LLAMA3 ", \"added_tokens\": [{\"id\": 1}], \"model\": {\"vocab\": {\"a\": 0}}}",
         LQ_ERR_FORMAT},
        {"a merge naming an unknown token",
         "{" PRE_LLAMA3 ", \"model\": {" VOCAB ", \"merges\": [[\"a\", \"zz\"]]}}",
         LQ_ERR_FORMAT},
        {"a merge whose result is unknown",
         "{" PRE_LLAMA3 ", \"model\": {" VOCAB ", \"merges\": [\"b a\"]}}", LQ_ERR_FORMAT},
        {"merges of both forms",
         "{" PRE_LLAMA3 ", \"model\": {" VOCAB ", \"merges\": [[\"a\", \"b\"], \"a b\"]}}",
         LQ_ERR_FORMAT},
        {"a merge without a space",
         "{" PRE_LLAMA3 ", \"model\": {" VOCAB ", \"merges\": [\"ab\"]}}", LQ_ERR_FORMAT},
        {"a merge of three", "{" PRE_LLAMA3 ", \"model\": {" VOCAB
                             ", \"merges\": [[\"a\", \"b\", \"c\"]]}}", LQ_ERR_FORMAT},
        {"merges of numbers", "{" PRE_LLAMA3 ", \"model\": {" VOCAB ", \"merges\": [1]}}",
         LQ_ERR_FORMAT},
        {"a post_processor string",
         "{" PRE_LLAMA3 ", \"post_processor\": \"x\", \"model\": {" VOCAB "}}", LQ_ERR_FORMAT},
        {"an unknown pre-tokenizer regex",
         "{\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", "
         "\"pattern\": {\"Regex\": \"\\\\s+\"}, \"behavior\": \"Isolated\", \"invert\": false}, "
         "{\"type\": \"ByteLevel\", \"use_regex\": false}]}, \"model\": {" VOCAB "}}",
         LQ_ERR_UNSUPPORTED},
        {"a byte-level pre-tokenizer alone",
         "{\"pre_tokenizer\": {\"type\": \"ByteLevel\", \"use_regex\": true}, \"model\": {" VOCAB
         "}}", LQ_ERR_UNSUPPORTED},
        {"Llama-3's regex with NFC", "{\"normalizer\": {\"type\": \"NFC\"}, " PRE_LLAMA3
                                     ", \"model\": {" VOCAB "}}", LQ_ERR_UNSUPPORTED},
        {"no model", "{" PRE_LLAMA3 "}", LQ_ERR_FORMAT},
        {"not an object", "[1, 2]", LQ_ERR_FORMAT},
        {"cut short", "{\"model\": {\"vocab\": {\"a\"", LQ_ERR_FORMAT},
        {"a NUL in a token", "{" PRE_LLAMA3 ", \"model\": {\"vocab\": {\"a\\u0000\": 0}}}",
         LQ_ERR_UNSUPPORTED},
    };
    make_dir();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        put_text("tokenizer.json", cases[i].tokjson);
        lq_status s = run("qwen2", 16, NULL);
        CHECKF(s == cases[i].want, "%s: status %d, expected %d (%s)", cases[i].what, s,
               cases[i].want, lq_last_error());
    }
    /* nesting far deeper than any tokenizer: refused by the reader's bound */
    static char deep[20001];
    for (int i = 0; i < 10000; i++)
        deep[i] = '[', deep[10000 + i] = ']';
    put_text("tokenizer.json", deep);
    CHECK_STATUS(run("qwen2", 16, NULL), LQ_ERR_FORMAT);
    /* the side files */
    put_text("tokenizer.json", "{" PRE_LLAMA3 ", \"model\": {" VOCAB "}}");
    CHECK_OK(run("qwen2", 16, NULL));
    put_text("tokenizer_config.json", "[]");
    CHECK_STATUS(run("qwen2", 16, NULL), LQ_ERR_FORMAT);
    put_text("tokenizer_config.json", "{\"bos_token\": \"a\"}");
    put_text("chat_template.jinja", "\xff");
    CHECK_STATUS(run("qwen2", 16, NULL), LQ_ERR_FORMAT);
    clear_dir();
    put_text("tokenizer.json", "{" PRE_LLAMA3 ", \"model\": {" VOCAB "}}");
    put_text("config.json", "{\"bos_token_id\": -3}");
    CHECK_STATUS(run("qwen2", 16, NULL), LQ_ERR_FORMAT);
    clear_dir();
    CHECK_STATUS(run("qwen2", 16, NULL), LQ_ERR_UNSUPPORTED); /* no tokenizer at all */
    CHECK_STATUS(run("gpt2", 16, NULL), LQ_ERR_UNSUPPORTED);
    CHECK_STATUS(lq__hf_tokenizer_keys(NULL, "llama", 16, NULL), LQ_ERR_INVALID);
    drop_dir();
}

LQT_MAIN(fixture_llama3, fixture_llama2_tied, fixture_mistral, fixture_qwen2, fixture_qwen3,
         spm_folder, bpe_folder, spm_truncated_and_mutated, spm_hostile, json_hostile)
