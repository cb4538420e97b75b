/*
 * lq_core.h — status codes, error messages, versions, build information,
 * run contexts (threads, progress) and library-owned memory.
 *
 * Stable tier (LIBQUANT_0). Include <lq/lq.h> rather than this file.
 */
#ifndef LQ_CORE_H
#define LQ_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <lq/lq_version.h>

#ifdef __cplusplus
extern "C" {
#endif

/* LQ_API marks every exported function. Everything else in the library is
 * hidden (compiled with -fvisibility=hidden and linked with a version script). */
#if defined(_WIN32)
#  if defined(LQ_BUILDING)
#    define LQ_API __declspec(dllexport)
#  else
#    define LQ_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define LQ_API __attribute__((visibility("default")))
#else
#  define LQ_API
#endif

/* ------------------------------------------------------------------------
 * Status codes
 *
 * Every fallible call returns an lq_status: LQ_OK (0) on success, a negative
 * code on failure. The values are pinned and will never be renumbered; new
 * codes are only ever added. The table is written once, here, and expands into
 * the enum and into lq_status_str().
 * ------------------------------------------------------------------------ */
#define LQ_STATUS_MAP(XX)                                                      \
    XX(LQ_OK,              0, "success")                                       \
    XX(LQ_ERR_INVALID,    -1, "invalid argument")                              \
    XX(LQ_ERR_UNSUPPORTED,-2, "unsupported")                                   \
    XX(LQ_ERR_NOMEM,      -3, "out of memory")                                 \
    XX(LQ_ERR_IO,         -4, "input/output error")                            \
    XX(LQ_ERR_FORMAT,     -5, "malformed data")                                \
    XX(LQ_ERR_SHAPE,      -6, "shape mismatch")                                \
    XX(LQ_ERR_NONFINITE,  -7, "non-finite value")                              \
    XX(LQ_ERR_CANCELLED,  -8, "cancelled by the caller")                       \
    XX(LQ_ERR_NUMERIC,    -9, "numerical failure")                             \
    XX(LQ_ERR_STATE,     -10, "object in the wrong state")                     \
    XX(LQ_ERR_INTERNAL,  -11, "internal error")

/* The status type. Plain int so that every FFI can hold it. */
typedef int lq_status;

enum lq_status_code {
#define LQ_STATUS_ENUM_(name, value, text) name = value,
    LQ_STATUS_MAP(LQ_STATUS_ENUM_)
#undef LQ_STATUS_ENUM_
};

/* lq_status_str — static English text for a status code ("success", "out of
 * memory", ...). Unknown codes give "unknown status". Never NULL; the string is
 * never freed. Thread-safe. */
LQ_API const char *lq_status_str(lq_status status);

/* lq_last_error — the detailed message of the most recent failure on the
 * calling thread: what failed, on which object, and why (for example
 * "lq_quantize: tensor 'blk.0.attn_q.weight': 4096 columns are not a multiple
 * of the group size 96"). Each thread has its own message. It is set by every
 * call that returns an error and kept until the next error on the same thread;
 * successful calls leave it alone, so read it right after the failing call.
 * Never NULL ("" before the first error). The pointer stays valid until the
 * next libquant call on the same thread. */
LQ_API const char *lq_last_error(void);

/* ------------------------------------------------------------------------
 * Versions
 *
 * LQ_VERSION_MAJOR/MINOR/PATCH, LQ_VERSION_NUMBER (major*10000 + minor*100 +
 * patch) and LQ_VERSION_STRING are macros from lq_version.h, describing the
 * header you compiled against. The functions describe the library you are
 * running with; bindings compare the two at load time.
 * ------------------------------------------------------------------------ */
LQ_API unsigned    lq_version_number(void);   /* e.g. 100 for 0.1.0 */
LQ_API const char *lq_version_string(void);   /* e.g. "0.1.0" */

/* lq_build_info — one line describing this build: compiler, SIMD paths
 * compiled in, the path selected at run time (after the LQ_ARCH override, if
 * any) and the BLAS in use, as "key=value" pairs separated by spaces, e.g.
 * "version=0.1.0 compiler=gcc-12.2.0 simd=ref,avx2 selected=avx2 blas=openblas".
 * Static string, never NULL. Thread-safe. */
LQ_API const char *lq_build_info(void);

/* ------------------------------------------------------------------------
 * Run contexts: thread count and progress reporting for long calls.
 *
 * A context is optional: every call that takes one accepts NULL, meaning "all
 * online CPUs, no progress callback". A context is not locked internally: use
 * one context from one thread at a time (several threads may each own their
 * own context).
 * ------------------------------------------------------------------------ */
typedef struct lq_ctx lq_ctx;

/* Progress callback: called on the thread that made the library call, with a
 * short stage name ("quantize", "dequantize", ...) and the fraction done in
 * [0, 1]. Return 0 to continue, any other value to cancel: the call then stops
 * as soon as it can and returns LQ_ERR_CANCELLED, with nothing half-made given
 * back to the caller. */
typedef int (*lq_progress_fn)(void *user, const char *stage, double fraction);

/* CONSTRUCTOR. *out receives a new context (threads = 0, meaning all online
 * CPUs; no progress callback). Errors: LQ_ERR_INVALID (out is NULL),
 * LQ_ERR_NOMEM. */
LQ_API lq_status lq_ctx_create(lq_ctx **out);

/* DESTRUCTOR. Accepts NULL. */
LQ_API void lq_ctx_free(lq_ctx *ctx);

/* Thread count for calls made with this context: 0 = all online CPUs, else
 * 1..1024. Results never depend on the thread count. Errors: LQ_ERR_INVALID. */
LQ_API lq_status lq_ctx_set_threads(lq_ctx *ctx, int threads);

/* The thread count that calls with this context will actually use (resolves 0).
 * ctx may be NULL. */
LQ_API int lq_ctx_threads(const lq_ctx *ctx);

/* Install (fn != NULL) or remove (fn == NULL) the progress callback. The
 * library keeps `user` as given and never frees it. Errors: LQ_ERR_INVALID. */
LQ_API lq_status lq_ctx_set_progress(lq_ctx *ctx, lq_progress_fn fn, void *user);

/* ------------------------------------------------------------------------
 * The BLAS. libquant runs large products on its own threads, one
 * single-threaded BLAS call per chunk, so that results never depend on the
 * thread count and calls from many threads at once stay independent.
 * OpenBLAS's thread count is process-wide, so libquant sets it to 1 once, just
 * before its first BLAS call in the process, and never touches it again. An
 * application that uses OpenBLAS itself and wants its threads back may call
 * openblas_set_num_threads after that; libquant's products then stay right,
 * but OpenBLAS splits their chunks again, so their last bits may depend on
 * thread counts and overlapping calls.
 * ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------
 * Memory the library hands to the caller (strings, buffers documented as
 * "free with lq_free") is released with lq_free. Accepts NULL.
 * ------------------------------------------------------------------------ */
LQ_API void lq_free(void *ptr);

#ifdef __cplusplus
}
#endif
#endif /* LQ_CORE_H */
