"""Tests of the header reader: what it accepts, and that it refuses loudly."""
import os
import tempfile
import unittest

from cheader import HeaderError, read_api

CORE = """
#ifndef LQ_CORE_H
#define LQ_CORE_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
#if defined(_WIN32)
#  define LQ_API __declspec(dllexport)
#else
#  define LQ_API
#endif
#define LQ_STATUS_MAP(XX) \\
    XX(LQ_OK, 0, "success") \\
    XX(LQ_ERR_INVALID, -1, "invalid argument")
typedef int lq_status;
enum lq_status_code {
#define LQ_STATUS_ENUM_(name, value, text) name = value,
    LQ_STATUS_MAP(LQ_STATUS_ENUM_)
#undef LQ_STATUS_ENUM_
};
typedef struct lq_ctx lq_ctx;
typedef int (*lq_progress_fn)(void *user, const char *stage, double fraction);
#define LQ_FLAG 0x2u /* a flag */
LQ_API lq_status lq_ctx_create(lq_ctx **out);
LQ_API const char *lq_last_error(void);
#ifdef __cplusplus
}
#endif
#endif
"""

EXTRA = """
#ifndef LQ_EXTRA_H
#define LQ_EXTRA_H
#include <lq/lq_core.h>
enum lq_kind { LQ_KIND_A = 0, LQ_KIND_B, LQ_KIND_COUNT_ = 2 };
#ifdef LQ_EXPERIMENTAL_API
typedef struct lq_thing lq_thing;
LQ_API lq_status lq_thing_sum(const lq_thing *t, const float *const *rows, int64_t n,
                              double *out);
#endif
#endif
"""


class ReaderTest(unittest.TestCase):
    def read(self, extra):
        with tempfile.TemporaryDirectory() as d:
            files = {"lq.h": "#include <lq/lq_core.h>\n#include <lq/lq_extra.h>\n",
                     "lq_core.h": CORE, "lq_extra.h": extra}
            for name, text in files.items():
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
            return read_api(d)

    def test_reads_the_house_style(self):
        api = self.read(EXTRA)
        consts = {c.name: c for c in api.constants}
        self.assertEqual([(c.name, c.value, c.text) for c in api.constants if c.kind == "status"],
                         [("LQ_OK", 0, "success"), ("LQ_ERR_INVALID", -1, "invalid argument")])
        self.assertEqual(consts["LQ_KIND_B"].value, 1)
        self.assertTrue(consts["LQ_FLAG"].unsigned)
        self.assertEqual(api.handles, ["lq_ctx", "lq_thing"])
        self.assertEqual([f.name for f in api.fnptrs], ["lq_progress_fn"])
        fns = {f.name: f for f in api.functions}
        self.assertFalse(fns["lq_ctx_create"].experimental)
        s = fns["lq_thing_sum"]
        self.assertTrue(s.experimental)
        rows = s.params[1].type
        self.assertEqual((rows.base, rows.base_const, rows.ptrs), ("float", True, [True, False]))
        self.assertEqual(fns["lq_last_error"].params, [])

    def test_refuses_what_it_cannot_read(self):
        bad = {
            "struct lq_open { int x; };": "cannot parse declaration",
            "LQ_API lq_status lq_f(struct lq_x *p);": "unknown type",
            "LQ_API int lq_g();": "empty parameter list",
            "#define LQ_NAME \"text\"": "not an integer literal",
            "#define LQ_MAX(a, b) ((a) > (b) ? (a) : (b))": "function-like macro",
            "#if LQ_SOMETHING\n#endif": "unexpected conditional",
            "LQ_API int lq_h(int)": "declaration without ';'",
            "#if !defined(LQ_EXPERIMENTAL_API)\n#endif": "negated",
        }
        for text, why in bad.items():
            with self.subTest(text=text):
                with self.assertRaisesRegex(HeaderError, "lq_extra.h:.*" + why):
                    self.read("#include <lq/lq_core.h>\n" + text + "\n")

    def test_zstd_style_experimental_guard(self):
        api = self.read("#include <lq/lq_core.h>\n"
                        "#if defined(LQ_EXPERIMENTAL_API) && !defined(LQ_EXTRA_H_EXPERIMENTAL)\n"
                        "#define LQ_EXTRA_H_EXPERIMENTAL\n"
                        "LQ_API int lq_later(void);\n#endif\n")
        self.assertEqual([(f.name, f.experimental) for f in api.functions][-1], ("lq_later", True))

    def test_a_declaration_twice_is_an_error(self):
        with self.assertRaisesRegex(HeaderError, "declared twice"):
            self.read("LQ_API const char *lq_last_error(void);\n")


if __name__ == "__main__":
    unittest.main()
