/* blas.c — set OpenBLAS to one thread, once (see blas.h). */
#include <pthread.h>

#include "blas.h"

#ifdef LQ_HAVE_OPENBLAS_THREADS
void openblas_set_num_threads(int num_threads);

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void set_serial(void)
{
    openblas_set_num_threads(1);
}
#endif

void lq__blas_serial(void)
{
#ifdef LQ_HAVE_OPENBLAS_THREADS
    pthread_once(&once, set_serial);
#endif
}
