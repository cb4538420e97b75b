/* out_sync.c — background fdatasync of a file being written (out_sync.h).
 *
 * Why: the writer starts the writeback of its output every 32 MB
 * (sync_file_range in file.c), but the fsync before the rename still took
 * 0.35-0.65 s for a 0.4-0.55 GB output on this ext4 disk, all of it waited
 * for at the end of a whole-model quantization while no thread computed:
 * what it waits for is mostly the journal commit of the blocks allocated
 * since the file was opened (delayed allocation), not the data, which the
 * started writeback had mostly written. An fdatasync every 128 MB on another
 * thread commits that as it goes, and the final fsync took 0.03-0.05 s.
 *
 * The thread syncs through a descriptor it opens itself (a file description
 * of its own, not a dup): a write error's report (errseq) is delivered once
 * to each description open when it happened, so one the syncer's fdatasync
 * sees is still reported to the caller's fsync, which stays the check that
 * counts. The syncer's own result is ignored for that reason. */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "out_sync.h"

struct lq__out_syncer {
    int fd;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool asked; /* an fdatasync is wanted and not yet begun */
    bool quit;
};

static void *run(void *arg)
{
    lq__out_syncer *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->asked && !s->quit)
            pthread_cond_wait(&s->cv, &s->mu);
        if (!s->asked)
            break;
        s->asked = false;
        pthread_mutex_unlock(&s->mu);
        (void)fdatasync(s->fd); /* advice: see the top of the file */
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

lq__out_syncer *lq__out_syncer_start(const char *path)
{
    lq__out_syncer *s = lq__calloc(1, sizeof *s);
    if (!s)
        return NULL;
    /* read-only is enough for fdatasync on Linux and the BSDs */
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        lq__free(s);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        close(s->fd);
        lq__free(s);
        return NULL;
    }
    return s;
}

void lq__out_syncer_ask(lq__out_syncer *s)
{
    pthread_mutex_lock(&s->mu);
    s->asked = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void lq__out_syncer_stop(lq__out_syncer *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->asked = false; /* the caller's fsync does what is left */
    s->quit = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    close(s->fd);
    lq__free(s);
}
