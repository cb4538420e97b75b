/* test_status.c — status codes, messages, versions, build info, contexts. */
#include "../harness.h"

#include <pthread.h>

static void status_strings(void)
{
    CHECK(strcmp(lq_status_str(LQ_OK), "success") == 0);
    CHECK(strcmp(lq_status_str(LQ_ERR_NOMEM), "out of memory") == 0);
    CHECK(strcmp(lq_status_str(12345), "unknown status") == 0);
    /* pinned values: these numbers are ABI */
    CHECK(LQ_ERR_INVALID == -1 && LQ_ERR_UNSUPPORTED == -2 && LQ_ERR_NOMEM == -3);
    CHECK(LQ_ERR_IO == -4 && LQ_ERR_FORMAT == -5 && LQ_ERR_SHAPE == -6);
    CHECK(LQ_ERR_NONFINITE == -7 && LQ_ERR_CANCELLED == -8 && LQ_ERR_NUMERIC == -9);
}

static void *fail_in_thread(void *arg)
{
    lq_scheme *s = NULL;
    (void)lq_scheme_parse("bogus", &s);
    return (void *)(strstr(lq_last_error(), "bogus") != NULL ? arg : NULL);
}

static void last_error_is_per_thread(void)
{
    lq_scheme *s = NULL;
    CHECK_STATUS(lq_scheme_parse("int4:g0x", &s), LQ_ERR_INVALID);
    CHECK(strstr(lq_last_error(), "g0x") != NULL);
    pthread_t t;
    void *res = NULL;
    CHECK(pthread_create(&t, NULL, fail_in_thread, (void *)1) == 0);
    pthread_join(t, &res);
    CHECK(res == (void *)1);
    /* the other thread's failure did not touch ours */
    CHECK(strstr(lq_last_error(), "g0x") != NULL);
}

static void versions(void)
{
    CHECK(lq_version_number() == LQ_VERSION_NUMBER);
    CHECK(strcmp(lq_version_string(), LQ_VERSION_STRING) == 0);
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%d.%d", LQ_VERSION_MAJOR, LQ_VERSION_MINOR, LQ_VERSION_PATCH);
    CHECK(strcmp(buf, LQ_VERSION_STRING) == 0);
    const char *info = lq_build_info();
    CHECK(strstr(info, "version=" LQ_VERSION_STRING) != NULL);
    CHECK(strstr(info, "simd=ref") != NULL);
    CHECK(strstr(info, "selected=") != NULL);
    CHECK(strstr(info, "blas=") != NULL);
}

static void contexts(void)
{
    lq_ctx *c = NULL;
    CHECK_STATUS(lq_ctx_create(NULL), LQ_ERR_INVALID);
    CHECK_OK(lq_ctx_create(&c));
    CHECK(lq_ctx_threads(c) >= 1);
    CHECK_OK(lq_ctx_set_threads(c, 3));
    CHECK(lq_ctx_threads(c) == 3);
    CHECK_STATUS(lq_ctx_set_threads(c, -1), LQ_ERR_INVALID);
    CHECK_STATUS(lq_ctx_set_threads(c, 5000), LQ_ERR_INVALID);
    CHECK(lq_ctx_threads(c) == 3);
    CHECK_STATUS(lq_ctx_set_threads(NULL, 1), LQ_ERR_INVALID);
    CHECK(lq_ctx_threads(NULL) >= 1);
    lq_ctx_free(c);
    lq_ctx_free(NULL);
    lq_free(NULL);
}

LQT_MAIN(status_strings, last_error_is_per_thread, versions, contexts)
