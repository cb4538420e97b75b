#!/usr/bin/env python3
"""Generate the Python and Rust FFI declarations from the C headers, and put
meson.build's version wherever a binding states it.

    bindings/gen/gen_bindings.py            write the generated files
    bindings/gen/gen_bindings.py --check    compare only; exit 1 if stale

Writes bindings/python/libquant/_capi.py (ctypes: every LQ_API function's
types, every constant, the status table, the handle types) and
bindings/rust/libquant-sys/src/capi.rs (extern declarations and constants).
The version from meson.build's project(version:) goes into those files, the
Go package's expected version, pyproject.toml, the Cargo manifests and
Cargo.lock, so a release bump is one edit to meson.build plus a run of this
script. Python 3 standard library only (cheader.py reads the headers)."""
import argparse
import textwrap
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cheader import HeaderError, read_api  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = "bindings/gen/gen_bindings.py"
PY_OUT = "bindings/python/libquant/_capi.py"
RS_OUT = "bindings/rust/libquant-sys/src/capi.rs"
GO_OUT = "bindings/go/version_gen.go"


def meson_version():
    with open(os.path.join(ROOT, "meson.build"), encoding="utf-8") as f:
        src = f.read()
    m = re.search(r"project\s*\([^)]*?\bversion\s*:\s*'(\d+)\.(\d+)\.(\d+)'", src, re.S)
    if not m:
        raise HeaderError("meson.build: no project(version: 'X.Y.Z')")
    return tuple(int(g) for g in m.groups())


# ---------------------------------------------------------------- Python --
_PY_SCALAR = {"char": "c_char", "int": "c_int", "unsigned": "c_uint", "float": "c_float",
              "double": "c_double", "size_t": "c_size_t", "int8_t": "c_int8",
              "uint8_t": "c_uint8", "int16_t": "c_int16", "uint16_t": "c_uint16",
              "int32_t": "c_int32", "uint32_t": "c_uint32", "int64_t": "c_int64",
              "uint64_t": "c_uint64"}


def py_handle(name):
    """lq_gguf_writer -> GgufWriterP: the ctypes class of a handle pointer."""
    return "".join(p.capitalize() for p in name[3:].split("_")) + "P"


def py_type(api, t, is_return=False):
    base = api.resolve(t.base)
    n = len(t.ptrs)
    if n == 0:
        if is_return and t.base == "lq_status":
            return "Status"
        if base == "void":
            return "None"
        if any(f.name == base for f in api.fnptrs):
            return base
        return _PY_SCALAR[base]
    if base in api.handles:
        inner = py_handle(base)
    elif base == "char" and n == 1:
        inner = "c_char_p"       # a NUL-terminated string, in or out
    elif base in ("char", "void"):
        # char ** and void **: an address the library writes (kept as a raw
        # pointer so a string with a length, or memory to lq_free, is not
        # copied and lost); const char *const *: an array of strings.
        inner = "c_char_p" if base == "char" and t.ptrs[0] else "c_void_p"
        n -= 1
        return "POINTER(" * n + inner + ")" * n if n else inner
    else:
        inner = _PY_SCALAR[base]
        return "POINTER(" * n + inner + ")" * n
    n -= 1
    return "POINTER(" * n + inner + ")" * n


def emit_python(api, version):
    out = [f'VERSION = "{version[0]}.{version[1]}.{version[2]}"',
           f"VERSION_INFO = {version!r}",
           "",
           "",
           "class Status(c_int):",
           '    """The return type of calls that return an lq_status."""',
           ""]
    for h in api.handles:
        out += ["", f"class {py_handle(h)}(c_void_p):", f'    """{h} *: distinct, so ctypes refuses one '
                f'handle where another is due."""', ""]
    out.append("")
    for f in api.fnptrs:
        args = ", ".join(py_type(api, p.type) for p in f.params)
        out.append(f"{f.name} = CFUNCTYPE({py_type(api, f.ret)}, {args})")
    out += ["", "# (value, name, text) of every status code, from LQ_STATUS_MAP.", "STATUS = ("]
    out += [f"    ({c.value}, {c.name!r}, {c.text!r})," for c in api.constants if c.kind == "status"]
    out.append(")")
    group = None
    for c in api.constants:
        if (c.kind, c.group) != group:
            group = (c.kind, c.group)
            what = {"status": f"enum {c.group}", "enum": f"enum {c.group}",
                    "define": "#define"}[c.kind]
            out += ["", f"# {c.header}: {what}"]
        out.append(f"{c.name} = {c.value}")
    out += ["", "# enum tag -> ((name, value), ...) in declaration order.", "ENUMS = {"]
    tags = []
    for c in api.constants:
        if c.kind == "enum" and c.group not in tags:
            tags.append(c.group)
    for tag in tags:
        out.append(f'    "{tag}": (')
        out += [f'        ("{c.name}", {c.value}),' for c in api.constants
                if c.kind == "enum" and c.group == tag]
        out.append("    ),")
    out.append("}")
    out += ["", "# name -> (restype, (argtypes...)), in header order.", "FUNCTIONS = {"]
    for f in api.functions:
        args = [py_type(api, p.type) for p in f.params]
        tup = "(" + ", ".join(args) + ("," if len(args) == 1 else "") + ")"
        out.append(f'    "{f.name}": ({py_type(api, f.ret, True)}, {tup}),')
    out.append("}")
    exp = sorted(i.name for i in api.constants + api.functions if i.experimental)
    out += ["", "# Names in the experimental tier (#ifdef LQ_EXPERIMENTAL_API): they may change in",
            "# a minor release.", "EXPERIMENTAL = frozenset({"]
    out += [f'    "{n}",' for n in exp]
    out.append("})")
    body = "\n".join(out) + "\n"
    used = sorted(set(re.findall(r"\b(CFUNCTYPE|POINTER|c_\w+)\b", body)), key=str.lower)
    head = [f'"""Generated by {SCRIPT} from include/lq/*.h and meson.build; do not edit.',
            "",
            "The C API as ctypes sees it: constants, the status table, handle types and",
            'FUNCTIONS, name -> (restype, argtypes). _ffi.py turns these into calls."""',
            *textwrap.wrap("from ctypes import (" + ", ".join(used) + ")", 100,
                           subsequent_indent="                    "),
            "", ""]
    return "\n".join(head) + body


# ------------------------------------------------------------------ Rust --
_RS_SCALAR = {"void": "c_void", "char": "c_char", "int": "c_int", "unsigned": "c_uint",
              "float": "c_float", "double": "c_double", "size_t": "usize", "int8_t": "i8",
              "uint8_t": "u8", "int16_t": "i16", "uint16_t": "u16", "int32_t": "i32",
              "uint32_t": "u32", "int64_t": "i64", "uint64_t": "u64"}
_RS_KEYWORDS = {"as", "box", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
                "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
                "mut", "pub", "ref", "return", "static", "struct", "trait", "true", "type",
                "unsafe", "use", "where", "while", "async", "await", "try", "yield", "macro",
                "priv", "final", "override", "virtual", "abstract", "become", "do", "typeof",
                "unsized"}


def rs_type(api, t):
    if t.base in api.aliases or t.base in api.handles or any(f.name == t.base for f in api.fnptrs):
        s = t.base
    else:
        s = _RS_SCALAR[t.base]
    for level in range(len(t.ptrs)):
        s = ("*const " if t.pointee_const(level) else "*mut ") + s
    return s


def rs_name(name):
    return "r#" + name if name in _RS_KEYWORDS else name


def rs_signature(api, params, ret):
    args = ", ".join(f"{rs_name(p.name)}: {rs_type(api, p.type)}" for p in params)
    tail = "" if ret.base == "void" and not ret.ptrs else f" -> {rs_type(api, ret)}"
    return f"({args}){tail}"


def emit_rust(api, version):
    exp_doc = "    /// Experimental tier (LQ_EXPERIMENTAL_API): may change in a minor release."
    out = [f"// Generated by {SCRIPT} from include/lq/*.h and meson.build; do not edit.",
           "use core::ffi::{c_char, c_double, c_float, c_int, c_uint, c_void};",
           "",
           "/// The version of the C headers these declarations come from (major, minor).",
           f"pub const HEADER_VERSION: (u32, u32) = ({version[0]}, {version[1]});",
           "/// The full version string of those headers.",
           f'pub const HEADER_VERSION_STRING: &str = "{version[0]}.{version[1]}.{version[2]}";',
           ""]
    for name, base in api.aliases.items():
        out.append(f"pub type {name} = {_RS_SCALAR[base]};")
    for h in api.handles:
        out += ["", f"/// `{h}`: an opaque handle, only ever used behind a pointer (neither `Send`,",
                "/// `Sync` nor `Unpin` on its own).", "#[repr(C)]", f"pub struct {h} {{",
                "    _private: [u8; 0],",
                "    _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,",
                "}"]
    for f in api.fnptrs:
        out += ["", f"pub type {f.name} = Option<unsafe extern \"C\" fn"
                f"{rs_signature(api, f.params, f.ret)}>;"]
    group = None
    for c in api.constants:
        if (c.kind, c.group) != group:
            group = (c.kind, c.group)
            what = {"status": f"enum {c.group}", "enum": f"enum {c.group}", "define": "#define"}[c.kind]
            out += ["", f"// {c.header}: {what}"]
        if c.experimental:
            out.append(exp_doc.strip())
        ty = "lq_status" if c.kind == "status" else ("c_uint" if c.unsigned else "c_int")
        out.append(f"pub const {c.name}: {ty} = {c.value};")
    out += ["", 'extern "C" {']
    header = None
    for f in api.functions:
        if f.header != header:
            if header is not None:
                out.append("")
            header = f.header
            out.append(f"    // {header}")
        if f.experimental:
            out.append(exp_doc)
        out.append(f"    pub fn {f.name}{rs_signature(api, f.params, f.ret)};")
    out.append("}")
    return "\n".join(out) + "\n"


# -------------------------------------------------------------------- Go --
def emit_go(version):
    return (f"// Code generated by {SCRIPT} from meson.build; DO NOT EDIT.\n\n"
            "package libquant\n\n"
            "// #include <lq/lq.h>\n"
            f"// #if LQ_VERSION_MAJOR != {version[0]} || LQ_VERSION_MINOR < {version[1]}\n"
            f"// #error \"the libquant Go package needs the libquant {version[0]}.{version[1]} headers\"\n"
            "// #endif\n"
            "import \"C\"\n\n"
            "// ExpectedMajor and ExpectedMinor are the library version this package was\n"
            "// written for. A library of the same major version and at least this minor\n"
            "// serves it; before 1.0 the minor must match exactly, since 0.x minor\n"
            "// releases may change the API.\n"
            "const (\n"
            f"\tExpectedMajor = {version[0]}\n"
            f"\tExpectedMinor = {version[1]}\n"
            ")\n")


# ------------------------------------------------- version in manifests --
# (file, pattern): the first group of each pattern holds the version. Every
# pattern must match exactly `count` times, so a moved or renamed line is an
# error, not a silently skipped update.
VERSION_SITES = [
    ("bindings/python/pyproject.toml", r'(?m)^version = "([^"]*)"', 1),
    ("bindings/rust/Cargo.toml", r'(?m)^version = "([^"]*)"', 1),
    ("bindings/rust/libquant/Cargo.toml", r'libquant-sys = \{[^}]*version = "([^"]*)"', 1),
    ("bindings/rust/Cargo.lock", r'name = "libquant(?:-sys)?"\nversion = "([^"]*)"', 2),
]


def versioned(path, text, version):
    """`text` of `path` with every version site set to `version`."""
    for site, pattern, count in VERSION_SITES:
        if site != path:
            continue
        found = len(re.findall(pattern, text))
        if found != count:
            raise HeaderError(f"{path}: expected {count} version line(s) matching {pattern!r}, "
                              f"found {found}")
        text = re.sub(pattern, lambda m: m.group(0)[:m.start(1) - m.start(0)] + version
                      + m.group(0)[m.end(1) - m.start(0):], text)
    return text


def outputs():
    """{relative path: wanted content} for every file this script owns or
    touches."""
    api = read_api(os.path.join(ROOT, "include", "lq"))
    version = meson_version()
    dotted = ".".join(map(str, version))
    want = {PY_OUT: emit_python(api, version), RS_OUT: emit_rust(api, version),
            GO_OUT: emit_go(version)}
    for site, _, _ in VERSION_SITES:
        with open(os.path.join(ROOT, site), encoding="utf-8") as f:
            want[site] = versioned(site, f.read(), dotted)
    return want


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="compare with the files in the tree; exit 1 if any differs")
    args = ap.parse_args()
    try:
        want = outputs()
    except HeaderError as e:
        print(f"gen_bindings: {e}", file=sys.stderr)
        return 2
    stale = []
    for rel, text in want.items():
        path = os.path.join(ROOT, rel)
        try:
            with open(path, encoding="utf-8") as f:
                have = f.read()
        except FileNotFoundError:
            have = None
        if have == text:
            continue
        stale.append(rel)
        if not args.check:
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
    if args.check and stale:
        print("gen_bindings: out of date with include/lq/*.h or meson.build: " + ", ".join(stale)
              + f"\nrun {SCRIPT} to regenerate", file=sys.stderr)
        return 1
    if not args.check:
        print(f"gen_bindings: {len(stale)} file(s) updated" + (": " + ", ".join(stale) if stale else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
