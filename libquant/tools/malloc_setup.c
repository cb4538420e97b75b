/* malloc_setup.c — large buffers go back to the system when freed.
 *
 * glibc serves a request of at least M_MMAP_THRESHOLD bytes (128 KiB at
 * first) by its own mapping, unmapped on free, but each such free raises the
 * threshold to the freed size, up to 32 MiB. After the first weights of
 * tens of MB are freed, the layer-by-layer paths' buffers (a layer's
 * activations, weights widened to F32, GPTQ's Hessians) come from the heap,
 * and what they leave there stays resident: on the 47 M-parameter bench
 * model GPTQ with --max-memory peaked at 119 MB instead of 99 (doc/benchmarks.md,
 * issue 16). A fixed threshold (any mallopt setting ends the raising) keeps
 * buffers of 4 MiB and more in their own mappings; smaller ones, which the
 * kernels and the runner allocate per call, are still reused from the heap
 * without the kernel zeroing fresh pages each time. The library leaves this
 * process-wide setting to the program; the lq tool makes it. */
#include <stdlib.h> /* defines __GLIBC__ under glibc */
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "tool.h"

void lq_tool_malloc_setup(void)
{
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
#endif
}
