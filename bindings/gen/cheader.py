"""Reads the public headers (include/lq/*.h) into plain data: opaque handles,
type aliases, function-pointer types, constants (enums, #defines and the
status X-macro table) and LQ_API functions.

The headers follow one style (doc/architecture.md, "Handles"), and this
reader accepts exactly that style: anything at file scope it does not
recognise is an error naming the file and line, so a new kind of
declaration makes the generator fail instead of silently dropping it.
No C preprocessor or libclang is needed."""
import re
from dataclasses import dataclass, field
from typing import List, Optional


class HeaderError(Exception):
    pass


# The scalar C types a public signature may use. An lq_ alias (typedef int
# lq_status) resolves to one of these.
SCALARS = ("void", "char", "int", "unsigned", "float", "double", "size_t",
           "int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t",
           "int64_t", "uint64_t")

# The preprocessor symbol that marks the experimental API tier.
EXPERIMENTAL = "LQ_EXPERIMENTAL_API"


@dataclass
class CType:
    """base (a scalar, handle, alias or function-pointer name); base_const;
    ptrs: one entry per '*', innermost first, True when that pointer is
    itself const (the 'const' written after the '*')."""
    base: str
    base_const: bool = False
    ptrs: List[bool] = field(default_factory=list)

    def pointee_const(self, level):
        """Whether what pointer `level` (0 = innermost) points to is const."""
        return self.base_const if level == 0 else self.ptrs[level - 1]


@dataclass
class Param:
    name: str
    type: CType


@dataclass
class Function:
    name: str
    ret: CType
    params: List[Param]
    header: str
    experimental: bool


@dataclass
class Constant:
    name: str
    value: int
    kind: str            # "enum", "define" or "status"
    group: str           # enum tag, or the header for #defines
    header: str
    experimental: bool
    unsigned: bool = False
    text: Optional[str] = None   # the status table's message


@dataclass
class FnPointer:
    name: str
    ret: CType
    params: List[Param]
    header: str


@dataclass
class Api:
    handles: List[str] = field(default_factory=list)       # opaque struct typedefs
    aliases: dict = field(default_factory=dict)            # lq_status -> "int"
    fnptrs: List[FnPointer] = field(default_factory=list)
    constants: List[Constant] = field(default_factory=list)
    functions: List[Function] = field(default_factory=list)

    def resolve(self, base):
        """The scalar behind an alias, or base itself."""
        return self.aliases.get(base, base)


_IDENT = re.compile(r"[A-Za-z_]\w*")
_INT = re.compile(r"^\(?\s*(-?)\s*(0x[0-9a-fA-F]+|\d+)([uU]?)\s*\)?$")


def _int_literal(text):
    """(value, unsigned) of an integer literal such as 32, (-1) or 0x1u."""
    m = _INT.match(text.strip())
    if not m:
        return None
    value = int(m.group(2), 0)
    return (-value if m.group(1) else value), bool(m.group(3))


def _strip_comments(src):
    """The source with comments replaced by spaces (newlines kept, so line
    numbers stay right) and line continuations joined."""
    out = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), src, flags=re.S)
    out = re.sub(r"//[^\n]*", "", out)
    return out


class _Reader:
    def __init__(self, api, header, src):
        self.api = api
        self.header = header
        self.src = _strip_comments(src)
        self.maps = {}      # X-macro tables by name: [(name, value, text)]

    def fail(self, line, what):
        raise HeaderError(f"{self.header}:{line}: {what}")

    def known_type(self, base):
        return (base in SCALARS or base in self.api.aliases or base in self.api.handles
                or any(f.name == base for f in self.api.fnptrs))

    # -- preprocessor ----------------------------------------------------
    def logical_lines(self):
        """(line number, text) with backslash continuations joined."""
        lines = self.src.split("\n")
        i = 0
        while i < len(lines):
            start, text = i + 1, lines[i]
            while text.endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text[:-1] + " " + lines[i]
            yield start, text
            i += 1

    def run(self):
        # Conditional stack: each entry is (kind, active) where kind says what
        # the condition is about; only the include guard, C++ linkage, the
        # platform choice of LQ_API and the experimental tier are expected.
        stack = []
        code = []  # (line, text) of C code outside the preprocessor
        for line, text in self.logical_lines():
            s = text.strip()
            if not s.startswith("#"):
                if any(kind == "cplusplus" for kind in stack):
                    continue
                code.append((line, text))
                continue
            directive = re.match(r"#\s*(\w+)\s*(.*)", s)
            if not directive:
                self.fail(line, f"cannot read preprocessor line {s!r}")
            word, rest = directive.group(1), directive.group(2).strip()
            if word in ("ifdef", "ifndef", "if"):
                if "__cplusplus" in rest:
                    stack.append("cplusplus")
                elif EXPERIMENTAL in rest:
                    # "#ifdef X", "#if defined(X)", and zstd's
                    # "#if defined(X) && !defined(<guard>)"; never "X" negated.
                    if word == "ifndef" or re.search(r"!\s*(defined\s*\(?\s*)?" + EXPERIMENTAL, rest):
                        self.fail(line, f"a negated {EXPERIMENTAL} condition is not understood")
                    stack.append("experimental")
                elif word == "ifndef" and rest.endswith("_H") and not stack:
                    stack.append("guard")
                elif "_WIN32" in rest or "__GNUC__" in rest or "LQ_BUILDING" in rest:
                    stack.append("platform")
                else:
                    self.fail(line, f"unexpected conditional {s!r}")
            elif word in ("elif", "else"):
                if not stack or stack[-1] != "platform":
                    self.fail(line, f"#{word} outside a platform conditional")
            elif word == "endif":
                if not stack:
                    self.fail(line, "#endif without #if")
                stack.pop()
            elif word == "include" or word == "undef":
                pass
            elif word == "define":
                if "platform" in stack:
                    continue   # the definitions of LQ_API
                self.define(line, rest, "experimental" in stack)
            elif word in ("error", "pragma"):
                pass
            else:
                self.fail(line, f"unexpected directive #{word}")
        if stack:
            self.fail(0, "unterminated conditional")
        self.code(code)

    def define(self, line, rest, experimental):
        m = re.match(r"(\w+)(\([^)]*\))?\s*(.*)", rest)
        name, args, body = m.group(1), m.group(2), m.group(3).strip()
        if args is None:
            if not body or name.endswith("_H"):
                return   # include guard
            lit = _int_literal(body)
            if lit is None:
                self.fail(line, f"#define {name}: value {body!r} is not an integer literal")
            self.api.constants.append(Constant(name, lit[0], "define", self.header, self.header,
                                               experimental, unsigned=lit[1]))
            return
        param = args.strip("() ")
        entries = re.findall(re.escape(param) + r"\s*\(\s*(\w+)\s*,\s*([^,]+?)\s*,\s*(\"(?:[^\"\\]|\\.)*\")\s*\)",
                             body)
        rest_of_body = re.sub(re.escape(param) + r"\s*\([^)]*\)", "", body).strip()
        if entries and not rest_of_body:
            table = []
            for ename, value, text in entries:
                lit = _int_literal(value)
                if lit is None:
                    self.fail(line, f"{name}: value {value!r} of {ename} is not an integer")
                table.append((ename, lit[0], text[1:-1]))
            self.maps[name] = (table, experimental)
            return
        if name.endswith("_"):
            return   # an expansion helper of an X-macro table, #undef'd after use
        self.fail(line, f"function-like macro {name} is neither an X-macro table nor a helper")

    # -- C declarations ----------------------------------------------------
    def code(self, lines):
        # Statements end at ';' outside braces. Track the line each starts on.
        stmt, start, depth = [], None, 0
        for line, text in lines:
            for ch in text + "\n":
                if start is None and not ch.isspace():
                    start = line
                stmt.append(ch)
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                elif ch == ";" and depth == 0:
                    self.statement(start, " ".join("".join(stmt).split()))
                    stmt, start = [], None
        if "".join(stmt).strip():
            self.fail(start, f"declaration without ';': {''.join(stmt).strip()[:60]!r}")

    def statement(self, line, s):
        experimental = self.in_experimental(line)
        m = re.fullmatch(r"typedef struct (\w+) (\w+) ?;", s)
        if m:
            tag, name = m.group(1), m.group(2)
            if tag != name:
                self.fail(line, f"opaque typedef {s!r}: tag and name differ")
            if name not in self.api.handles:
                self.api.handles.append(name)
            return
        m = re.fullmatch(r"typedef (\w+(?: \w+)?) (\w+) ?;", s)
        if m:
            base = m.group(1)
            if base not in SCALARS:
                self.fail(line, f"typedef of {base!r}: only scalar aliases are understood")
            self.api.aliases[m.group(2)] = base
            return
        m = re.fullmatch(r"typedef (.+?) \( ?\* ?(\w+) ?\) ?\((.*)\) ?;", s)
        if m:
            ret = self.ctype(line, m.group(1))
            self.api.fnptrs.append(FnPointer(m.group(2), ret, self.params(line, m.group(3)),
                                             self.header))
            return
        m = re.fullmatch(r"enum (\w+) ?\{(.*)\} ?;", s)
        if m:
            self.enum(line, m.group(1), m.group(2), experimental)
            return
        m = re.fullmatch(r"LQ_API (.+?) ?\b(lq_\w+) ?\((.*)\) ?;", s)
        if m:
            ret = self.ctype(line, m.group(1))
            self.api.functions.append(Function(m.group(2), ret, self.params(line, m.group(3)),
                                               self.header, experimental))
            return
        self.fail(line, f"cannot parse declaration {s[:80]!r}")

    def in_experimental(self, line):
        # Recomputed from the raw text: is `line` inside #ifdef LQ_EXPERIMENTAL_API?
        depth = []
        for n, text in enumerate(self.src.split("\n"), 1):
            if n >= line:
                break
            s = text.strip()
            if re.match(r"#\s*if", s):
                depth.append(EXPERIMENTAL in s)
            elif re.match(r"#\s*endif", s) and depth:
                depth.pop()
        return any(depth)

    def enum(self, line, tag, body, experimental):
        next_value = 0
        values = {c.name: c.value for c in self.api.constants}
        for item in (x.strip() for x in body.split(",")):
            if not item:
                continue
            m = re.fullmatch(r"(\w+) ?\( ?(\w+) ?\)", item)
            if m and m.group(1) in self.maps:
                table, exp = self.maps[m.group(1)]
                for name, value, text in table:
                    self.api.constants.append(Constant(name, value, "status", tag, self.header,
                                                       experimental or exp, text=text))
                continue
            m = re.fullmatch(r"(\w+)(?: ?= ?(.+))?", item)
            if not m:
                self.fail(line, f"enum {tag}: cannot read {item!r}")
            name, expr = m.group(1), m.group(2)
            if expr is None:
                value = next_value
            elif expr in values:
                value = values[expr]
            else:
                lit = _int_literal(expr)
                if lit is None:
                    self.fail(line, f"enum {tag}: value {expr!r} of {name} is not an integer")
                value = lit[0]
            self.api.constants.append(Constant(name, value, "enum", tag, self.header, experimental))
            values[name] = value
            next_value = value + 1

    def ctype(self, line, text):
        """A type written as 'const T * const *' (no name)."""
        tokens = re.findall(r"\*|\w+", text)
        base_const, base, ptrs, words = False, None, [], []
        for tok in tokens:
            if tok == "const":
                if ptrs:
                    ptrs[-1] = True
                else:
                    base_const = True
            elif tok == "*":
                if base is None:
                    base = " ".join(words)
                ptrs.append(False)
            elif ptrs:
                self.fail(line, f"type {text!r}: a name after '*'")
            else:
                words.append(tok)
        if base is None:
            base = " ".join(words)
        if base == "unsigned int":
            base = "unsigned"
        if not self.known_type(base):
            self.fail(line, f"unknown type {base!r} in {text!r}")
        return CType(base, base_const, ptrs)

    def params(self, line, text):
        text = text.strip()
        if text == "void":
            return []
        if not text:
            self.fail(line, "empty parameter list: write (void)")
        params = []
        for part in (p.strip() for p in text.split(",")):
            m = re.fullmatch(r"(.*?[\s*])(\w+)", part)
            if not m or m.group(2) in ("const",) or m.group(2) in SCALARS:
                self.fail(line, f"parameter {part!r} needs a type and a name")
            params.append(Param(m.group(2), self.ctype(line, m.group(1))))
        return params


def _includes(src):
    return [n for n in re.findall(r"#\s*include\s*<lq/(lq_\w+\.h)>", _strip_comments(src))
            if n != "lq_version.h"]   # made by meson; the version comes from meson.build


def read_api(include_dir):
    """The whole public API: the headers <lq/lq.h> includes, each read after
    the headers it includes itself (so every type is known before use)."""
    import os
    api, done = Api(), []

    def visit(name, chain):
        if name in done:
            return
        if name in chain:
            raise HeaderError(f"include cycle: {' -> '.join(chain + [name])}")
        path = os.path.join(include_dir, name)
        try:
            with open(path, encoding="utf-8") as f:
                src = f.read()
        except OSError as e:
            raise HeaderError(f"{name}: {e}") from None
        for inc in _includes(src):
            visit(inc, chain + [name])
        done.append(name)
        if name != "lq.h":
            _Reader(api, name, src).run()

    visit("lq.h", [])
    if len(done) < 2:
        raise HeaderError("lq.h: includes no lq_*.h headers")
    seen = {}
    for item in api.constants + api.functions:
        if item.name in seen:
            raise HeaderError(f"{item.header}: {item.name} declared twice (also in {seen[item.name]})")
        seen[item.name] = item.header
    if not any(c.kind == "status" for c in api.constants):
        raise HeaderError("no status table (LQ_STATUS_MAP) found")
    return api
