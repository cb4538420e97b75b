/* hf_fixture.h — where the Hugging Face fixtures are (tests/hf/make_fixtures.py
 * makes them): $LQ_HF_FIXTURES, else the build folder's cache. */
#ifndef LQ_TESTS_HF_FIXTURE_H
#define LQ_TESTS_HF_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../oracle.h"

/* path of `relative` inside the fixtures (a static buffer, two in turn) */
static inline const char *lqt_hf_fixture(const char *relative)
{
    static char buf[2][4096];
    static int turn;
    char *p = buf[turn++ & 1];
    const char *dir = getenv("LQ_HF_FIXTURES");
    snprintf(p, sizeof buf[0], "%s/%s", dir && *dir ? dir : LQT_HF_FIXTURES_DEFAULT, relative);
    return p;
}

/* Are the fixtures there? */
static inline int lqt_hf_fixtures_present(void)
{
    struct stat s;
    return stat(lqt_hf_fixture("manifest.json"), &s) == 0;
}

#endif
