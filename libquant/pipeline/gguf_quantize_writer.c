/* gguf_quantize_writer.c — a writer thread for whole-model quantization
 * (gguf_quantize_writer.h). The thread's error messages are thread-local,
 * so a failed write's message is kept as text and raised again on the
 * calling thread. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include <lq/lq_core.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../io/gguf_internal.h"
#include "gguf_quantize_writer.h"

struct lq__bg_writer {
    lq_gguf_writer *w;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const void *data; /* the write handed over and not yet done, or NULL */
    size_t bytes;
    lq__bg_release rel; /* to release with that write (rel.in NULL: none) */
    bool quit;
    lq_status st;     /* of the last write */
    char msg[512];    /* its message when it failed */
};

static void *run(void *arg)
{
    lq__bg_writer *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->data && !b->quit)
            pthread_cond_wait(&b->cv, &b->mu);
        if (!b->data)
            break;
        const void *data = b->data;
        size_t bytes = b->bytes;
        lq__bg_release rel = b->rel;
        pthread_mutex_unlock(&b->mu);
        /* first: the write does not need the input, and the calling
         * thread is already mapping the next slice's */
        if (rel.in) /* reads the handle's maps only, which stay until the run ends */
            lq__gguf_map_release(rel.in, rel.index, rel.off, rel.len);
        lq_status st = lq_gguf_writer_write(b->w, data, bytes);
        pthread_mutex_lock(&b->mu);
        b->st = st;
        if (st != LQ_OK)
            snprintf(b->msg, sizeof b->msg, "%s", lq_last_error());
        b->data = NULL;
        pthread_cond_broadcast(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

lq_status lq__bg_writer_start(const char *fn, lq_gguf_writer *w, lq__bg_writer **out)
{
    *out = NULL;
    lq__bg_writer *b = lq__calloc(1, sizeof *b);
    if (!b)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    b->w = w;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    if (pthread_create(&b->thread, NULL, run, b) != 0) {
        pthread_cond_destroy(&b->cv);
        pthread_mutex_destroy(&b->mu);
        lq__free(b);
        return lq__fail(LQ_ERR_INTERNAL, "%s: cannot start a writer thread", fn);
    }
    *out = b;
    return LQ_OK;
}

lq_status lq__bg_writer_wait(lq__bg_writer *b)
{
    pthread_mutex_lock(&b->mu);
    while (b->data)
        pthread_cond_wait(&b->cv, &b->mu);
    lq_status st = b->st;
    b->st = LQ_OK;
    pthread_mutex_unlock(&b->mu);
    return st == LQ_OK ? st : lq__fail(st, "%s", b->msg);
}

lq_status lq__bg_writer_put(lq__bg_writer *b, const void *data, size_t bytes,
                            const lq__bg_release *rel)
{
    lq_status st = lq__bg_writer_wait(b);
    if (st != LQ_OK)
        return st;
    pthread_mutex_lock(&b->mu);
    b->data = data;
    b->bytes = bytes;
    b->rel = rel ? *rel : (lq__bg_release){0};
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    return LQ_OK;
}

void lq__bg_writer_stop(lq__bg_writer *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->quit = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL); /* the thread finishes the write in flight first */
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    lq__free(b);
}
