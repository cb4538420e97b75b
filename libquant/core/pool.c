/* pool.c — persistent worker threads that help callers run chunked loops. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "ctx.h"
#include "error.h"
#include "pool.h"

typedef struct job {
    lq__range_fn fn;
    void *arg;
    int64_t n, grain, nchunks;
    atomic_llong next;   /* next chunk to claim */
    atomic_llong done;   /* chunks finished */
    atomic_int cancel;
    int helpers_wanted;  /* pool workers allowed on this job */
    atomic_int helpers_in; /* workers running it now (changed under the pool mutex) */
    struct job *older, *newer;
} job;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a job was posted */
    pthread_cond_t left; /* a worker left a job */
    int nworkers;
    job *head, *tail;
    atomic_uint posted;  /* jobs posted so far: what a spinning worker watches */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL, NULL, 0};

/* How long a worker out of work, and a caller waiting for the workers on its
 * job, spin before sleeping on a condition variable. A decoding step is a
 * series of short products (a 4096 x 4096 q4_0 matrix-vector product reads
 * 9.4 MB: under a millisecond), with only norms and the like between them;
 * waking a sleeping thread costs a system call and a trip through the
 * scheduler on every one of them, which a worker still spinning from the
 * previous product does not pay. Bounded, and the spinning thread yields
 * its core every microsecond or so: on a machine with more runnable threads
 * than cores a pure spin took the core from the very thread it waited for
 * (a 1024 x 4096 q4_0 product with 2 threads, in cache, at load average 28:
 * median 524-596 us with a pure spin against 500-508 us sleeping at once). */
#define LQ__POOL_SPIN_NS 100000
/* cpu_relax calls between yields: about a microsecond (a pause is tens of
 * cycles to about 140, by CPU). */
#define LQ__POOL_SPIN_PAUSES 32

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* A short spin, then the core offered to any other runnable thread. */
static void spin_step(void)
{
    for (int i = 0; i < LQ__POOL_SPIN_PAUSES; i++)
        cpu_relax();
    sched_yield();
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Spin (without the mutex) while *posted is still seen, at most the spin
 * time; the caller then checks again under the mutex. */
static void spin_while_unposted(const atomic_uint *posted, unsigned seen)
{
    int64_t end = now_ns() + LQ__POOL_SPIN_NS;
    while (atomic_load_explicit(posted, memory_order_relaxed) == seen && now_ns() < end)
        spin_step();
}

/* The same for a caller waiting for the workers to leave its job. */
static void spin_while_busy(const atomic_int *helpers_in)
{
    int64_t end = now_ns() + LQ__POOL_SPIN_NS;
    while (atomic_load_explicit(helpers_in, memory_order_relaxed) > 0 && now_ns() < end)
        spin_step();
}

/* Claim and run one chunk; false when none is left or the job was cancelled. */
static bool run_chunk(job *j)
{
    if (atomic_load(&j->cancel))
        return false;
    long long c = atomic_fetch_add(&j->next, 1);
    if (c >= j->nchunks)
        return false;
    int64_t b = c * j->grain;
    int64_t e = b + j->grain < j->n ? b + j->grain : j->n;
    j->fn(j->arg, b, e);
    atomic_fetch_add(&j->done, 1);
    return true;
}

static job *find_work(void)
{
    for (job *j = pool.head; j; j = j->newer)
        if (atomic_load(&j->helpers_in) < j->helpers_wanted && atomic_load(&j->next) < j->nchunks &&
            !atomic_load(&j->cancel))
            return j;
    return NULL;
}

static void *worker_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        job *j = find_work();
        if (!j) {
            /* jobs are posted under the mutex: one posted after the check
             * below finds the worker waiting, and wakes it */
            unsigned seen = atomic_load(&pool.posted);
            pthread_mutex_unlock(&pool.mu);
            spin_while_unposted(&pool.posted, seen);
            pthread_mutex_lock(&pool.mu);
            if (atomic_load(&pool.posted) == seen)
                pthread_cond_wait(&pool.work, &pool.mu);
            continue;
        }
        atomic_fetch_add(&j->helpers_in, 1);
        pthread_mutex_unlock(&pool.mu);
        while (run_chunk(j)) {
        }
        pthread_mutex_lock(&pool.mu);
        /* the last touch of j: its caller may return as soon as it sees 0 */
        if (atomic_fetch_sub(&j->helpers_in, 1) == 1)
            pthread_cond_broadcast(&pool.left);
    }
    return NULL;
}

/* Grow the pool to `want` workers (under the mutex); returns how many exist.
 * A failure to start a thread is not an error: the caller does the work. */
static int ensure_workers(int want)
{
    while (pool.nworkers < want) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, worker_main, NULL);
        pthread_attr_destroy(&attr);
        if (rc != 0)
            break;
        pool.nworkers++;
    }
    return pool.nworkers;
}

static bool report(const lq_ctx *ctx, const char *stage, job *j)
{
    if (!ctx || !ctx->progress)
        return true;
    double f = (double)atomic_load(&j->done) / (double)j->nchunks;
    if (ctx->progress(ctx->progress_user, stage, f) != 0) {
        atomic_store(&j->cancel, 1);
        return false;
    }
    return true;
}

lq_status lq__parallel_for(const lq_ctx *ctx, const char *stage, int64_t n,
                           int64_t grain, lq__range_fn fn, void *arg)
{
    if (n <= 0)
        return LQ_OK;
    if (grain < 1)
        grain = 1;
    job j = {.fn = fn, .arg = arg, .n = n, .grain = grain, .nchunks = (n + grain - 1) / grain};
    atomic_init(&j.next, 0);
    atomic_init(&j.done, 0);
    atomic_init(&j.cancel, 0);
    atomic_init(&j.helpers_in, 0);

    int threads = lq__ctx_threads(ctx);
    int64_t helpers = threads - 1 < j.nchunks - 1 ? threads - 1 : j.nchunks - 1;
    if (helpers > 0) {
        pthread_mutex_lock(&pool.mu);
        int have = ensure_workers((int)helpers);
        j.helpers_wanted = (int)(helpers < have ? helpers : have);
        if (j.helpers_wanted > 0) {
            j.older = pool.tail;
            if (pool.tail)
                pool.tail->newer = &j;
            else
                pool.head = &j;
            pool.tail = &j;
            atomic_fetch_add(&pool.posted, 1);
            pthread_cond_broadcast(&pool.work);
        }
        pthread_mutex_unlock(&pool.mu);
    }

    bool go_on = report(ctx, stage, &j);
    while (go_on && run_chunk(&j))
        go_on = report(ctx, stage, &j);

    if (j.helpers_wanted > 0) {
        pthread_mutex_lock(&pool.mu);
        if (j.older)
            j.older->newer = j.newer;
        else
            pool.head = j.newer;
        if (j.newer)
            j.newer->older = j.older;
        else
            pool.tail = j.older;
        /* unlinked: no worker joins any more; those in it finish a chunk each */
        if (atomic_load(&j.helpers_in) > 0) {
            pthread_mutex_unlock(&pool.mu);
            spin_while_busy(&j.helpers_in);
            pthread_mutex_lock(&pool.mu);
            while (atomic_load(&j.helpers_in) > 0)
                pthread_cond_wait(&pool.left, &pool.mu);
        }
        pthread_mutex_unlock(&pool.mu);
    }
    if (atomic_load(&j.cancel))
        return lq__fail(LQ_ERR_CANCELLED, "%s: cancelled by the progress callback", stage);
    if (ctx && ctx->progress)
        (void)ctx->progress(ctx->progress_user, stage, 1.0); /* finished: too late to cancel */
    return LQ_OK;
}

int64_t lq__grain_for(int64_t item_work, int64_t per_chunk_work)
{
    if (item_work < 1)
        item_work = 1;
    int64_t g = per_chunk_work / item_work;
    return g < 1 ? 1 : g;
}
