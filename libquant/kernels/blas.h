/* blas.h — the BLAS runs on one thread per caller (internal).
 *
 * libquant splits its large products into chunks on its own pool and calls
 * the BLAS single-threaded on each chunk, so that results never depend on
 * the thread count and overlapping calls from many threads stay independent.
 * OpenBLAS's thread count is process-wide and not safe to change while other
 * threads call it, so it is set to 1 once, before the first BLAS call
 * libquant makes, and never touched again (lq_core.h documents this). Every
 * libquant caller of the BLAS calls lq__blas_serial() first. */
#ifndef LQ_KERNELS_BLAS_H
#define LQ_KERNELS_BLAS_H

/* Set OpenBLAS to one thread the first time it is called in the process;
 * afterwards a no-op. Thread-safe. Without OpenBLAS (a serial reference
 * BLAS) it does nothing. */
void lq__blas_serial(void);

#endif
