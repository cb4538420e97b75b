/* hf_checkpoint_dir.c — the folder of a checkpoint written by
 * lq_hf_save_quantized (hf_checkpoint.h): made as "OUT.tmp-XXXXXX" beside
 * OUT, so that the final rename stays on one file system, and renamed to OUT
 * only when every file in it is complete and synced. */
#define _XOPEN_SOURCE 700 /* nftw, mkdtemp */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../io/file.h"
#include "../io/json.h"
#include "hf_checkpoint.h"

/* The files the loaders read besides config.json and the weights: the
 * tokenizer (fast and slow forms, chat template) and the generation
 * defaults, copied as they are when the source has them. */
static const char *const side_files[] = {
    "tokenizer.json",        "tokenizer_config.json", "tokenizer.model",
    "special_tokens_map.json", "added_tokens.json",   "vocab.json",
    "merges.txt",            "chat_template.jinja",   "chat_template.json",
    "generation_config.json",
};

static char *with_suffix(const char *path, const char *suffix)
{
    size_t a = strlen(path), b = strlen(suffix);
    char *s = lq__malloc(a + b + 1);
    if (s) {
        memcpy(s, path, a);
        memcpy(s + a, suffix, b + 1);
    }
    return s;
}

/* out_dir without trailing slashes, so that suffixes name a sibling. */
static char *trimmed(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    char *s = lq__malloc(n + 1);
    if (s) {
        memcpy(s, path, n);
        s[n] = 0;
    }
    return s;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0; /* best effort: go on with the rest */
}

/* Remove the folder `path` and everything under it (symlinks not followed). */
static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The folder holding `path`. */
static char *parent_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return with_suffix(".", "");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *s = lq__malloc(n + 1);
    if (s) {
        memcpy(s, path, n);
        s[n] = 0;
    }
    return s;
}

/* fsync a folder, so that a rename in it is durable (best effort: the
 * rename itself has happened). */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

lq_status lq__ckpt_dir_open(const char *fn, const char *out_dir, bool replace, lq__ckpt_dir *d)
{
    memset(d, 0, sizeof *d);
    d->fn = fn;
    d->replace = replace;
    d->final = trimmed(out_dir);
    d->parent = d->final ? parent_of(d->final) : NULL;
    if (!d->parent)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    struct stat sb;
    if (lstat(d->final, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return lq__fail(LQ_ERR_IO, "%s: %s exists and is not a folder", fn, d->final);
        if (!replace)
            return lq__fail(LQ_ERR_IO, "%s: %s exists (replace it with --force / "
                            "LQ_HF_SAVE_FORCE)", fn, d->final);
    } else if (errno != ENOENT) {
        return lq__fail(LQ_ERR_IO, "%s: %s: %s", fn, d->final, strerror(errno));
    }
    d->tmp = with_suffix(d->final, ".tmp-XXXXXX");
    if (!d->tmp)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (!mkdtemp(d->tmp)) {
        int e = errno;
        lq__free(d->tmp);
        d->tmp = NULL;
        return lq__fail(LQ_ERR_IO, "%s: cannot make a folder beside %s: %s", fn, d->final,
                        strerror(e));
    }
    /* mkdtemp makes it private; a model folder is readable as the files in
     * it are (0644, as the file writer makes them) */
    if (chmod(d->tmp, 0755) != 0)
        return lq__fail(LQ_ERR_IO, "%s: %s: chmod: %s", fn, d->tmp, strerror(errno));
    return LQ_OK;
}

char *lq__ckpt_dir_path(const lq__ckpt_dir *d, const char *name)
{
    char *p = lq__path_join(d->tmp, name);
    if (!p)
        lq__fail(LQ_ERR_NOMEM, "%s: out of memory", d->fn);
    return p;
}

static lq_status write_file(lq__ckpt_dir *d, const char *name, const void *data, size_t len)
{
    char *path = lq__ckpt_dir_path(d, name);
    if (!path)
        return LQ_ERR_NOMEM;
    lq__out o;
    lq_status st = lq__out_open(d->fn, path, &o);
    if (st == LQ_OK)
        st = lq__out_write(&o, data, len);
    if (st == LQ_OK)
        st = lq__out_commit(&o);
    lq__out_abort(&o);
    lq__free(path);
    return st;
}

/* qc (an object printed at the top level with an indent of 2) indented one
 * level deeper: JSON strings hold no raw newline, so every newline is
 * between tokens. */
static lq_status member_text(const char *fn, const char *qc, lq__buf *b)
{
    lq__buf_puts(b, ",\n  \"quantization_config\": ");
    for (const char *p = qc; *p; p++) {
        lq__buf_putc(b, *p);
        if (*p == '\n')
            lq__buf_puts(b, "  ");
    }
    lq__buf_puts(b, "\n}\n");
    return b->failed ? lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn) : LQ_OK;
}

lq_status lq__ckpt_dir_config(lq__ckpt_dir *d, const char *source_dir, const char *qc,
                              bool also_quantize_config)
{
    char *path = lq__path_join(source_dir, "config.json");
    if (!path)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", d->fn);
    lq__map map = {0};
    lq__json_doc *doc = NULL;
    lq__buf b = {0};
    lq_status st = lq__map_open(d->fn, path, &map);
    if (st == LQ_OK)
        st = lq__json_parse(d->fn, path, (const char *)map.data, map.size, 64, &doc);
    const lq__json *root = st == LQ_OK ? lq__json_root(doc) : NULL;
    if (st == LQ_OK && root->kind != LQ__JSON_OBJECT)
        st = lq__fail(LQ_ERR_FORMAT, "%s: %s is not a JSON object", d->fn, path);
    if (st == LQ_OK && lq__json_get(root, "quantization_config"))
        st = lq__fail(LQ_ERR_FORMAT, "%s: %s has a quantization_config already: quantize the "
                      "unquantized model", d->fn, path);
    if (st == LQ_OK) {
        /* the text up to the closing brace, as it was, then the new member */
        const char *text = (const char *)map.data;
        size_t end = map.size;
        while (end > 0 && text[end - 1] != '}')
            end--;
        size_t keep = end - 1;
        while (keep > 0 && (text[keep - 1] == ' ' || text[keep - 1] == '\n' ||
                            text[keep - 1] == '\r' || text[keep - 1] == '\t'))
            keep--;
        lq__buf_put(&b, text, keep);
        st = member_text(d->fn, qc, &b);
        if (st == LQ_OK && root->count == 0) /* "{" then the member: no comma */
            memmove(b.data + keep, b.data + keep + 1, b.len-- - keep - 1);
    }
    if (st == LQ_OK)
        st = write_file(d, "config.json", b.data, b.len);
    if (st == LQ_OK && also_quantize_config) {
        size_t n = strlen(qc);
        lq__buf_free(&b);
        lq__buf_put(&b, qc, n);
        lq__buf_putc(&b, '\n');
        st = b.failed ? lq__fail(LQ_ERR_NOMEM, "%s: out of memory", d->fn)
                      : write_file(d, "quantize_config.json", b.data, b.len);
    }
    lq__buf_free(&b);
    lq__json_free(doc);
    lq__map_close(&map);
    lq__free(path);
    return st;
}

lq_status lq__ckpt_dir_copy_side_files(lq__ckpt_dir *d, const char *source_dir)
{
    lq_status st = LQ_OK;
    for (size_t i = 0; st == LQ_OK && i < sizeof side_files / sizeof *side_files; i++) {
        char *path = lq__path_join(source_dir, side_files[i]);
        if (!path)
            return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", d->fn);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            lq__map map = {0};
            st = lq__map_open(d->fn, path, &map);
            if (st == LQ_OK)
                st = write_file(d, side_files[i], map.data, map.size);
            lq__map_close(&map);
        }
        lq__free(path);
    }
    return st;
}

lq_status lq__ckpt_dir_commit(lq__ckpt_dir *d)
{
    char *old = NULL;
    struct stat sb;
    if (d->replace && lstat(d->final, &sb) == 0) {
        /* an empty folder of a unique name, which rename(2) may replace */
        old = with_suffix(d->final, ".old-XXXXXX");
        if (!old)
            return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", d->fn);
        if (!mkdtemp(old) || rename(d->final, old) != 0) {
            lq_status st = lq__fail(LQ_ERR_IO, "%s: cannot move %s away: %s", d->fn, d->final,
                                    strerror(errno));
            rmdir(old);
            lq__free(old);
            return st;
        }
    }
    if (rename(d->tmp, d->final) != 0) {
        int e = errno;
        bool back = !old || rename(old, d->final) == 0;
        lq_status st = lq__fail(LQ_ERR_IO, "%s: cannot rename %s to %s: %s%s%s", d->fn, d->tmp,
                                d->final, strerror(e), back ? "" : "; the old folder is now ",
                                back ? "" : old);
        lq__free(old);
        return st;
    }
    lq__free(d->tmp);
    d->tmp = NULL;
    sync_dir(d->parent);
    if (old) {
        remove_tree(old);
        lq__free(old);
    }
    return LQ_OK;
}

void lq__ckpt_dir_close(lq__ckpt_dir *d)
{
    if (d->tmp)
        remove_tree(d->tmp);
    lq__free(d->tmp);
    lq__free(d->final);
    lq__free(d->parent);
    d->tmp = d->final = d->parent = NULL;
}
