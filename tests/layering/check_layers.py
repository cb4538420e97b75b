#!/usr/bin/env python3
"""check_layers.py SOURCE_ROOT — the layering of doc/architecture.md, checked
from the includes so that it stays true.

The layers are the `libquant/<layer>/` lines of the first code block in the
"## Layers" section of doc/architecture.md, highest first. Every
`#include "..."` in libquant/ must go to a file of the same or a lower layer.
A file and its header (x.c, x.h) are one unit; the units that include each
other directly or through others (a cycle) are reported too: calls going
both ways between two files mean they are one thing or are split in the
wrong place. A unit depends on the headers its headers include, and on the
units whose functions it calls through a header (or a prototype of its own).
Output is TAP, one test per rule; stdlib only."""
import os
import re
import sys


def layer_order(doc):
    """The folder names of the Layers code block, highest first."""
    text = open(doc, encoding="utf-8").read()
    section = text.split("## Layers", 1)[1] if "## Layers" in text else ""
    block = re.search(r"^```[^\n]*\n(.*?)^```", section, re.S | re.M)
    if not block:
        return []
    return re.findall(r"^libquant/([A-Za-z0-9_]+)/", block.group(1), re.M)


def sources(root):
    base = os.path.join(root, "libquant")
    for d, _, files in os.walk(base):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(d, f), root)


def includes(root, path):
    """(line number, quoted name, resolved path relative to root or None)."""
    here = os.path.dirname(path)
    out = []
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            name = m.group(1)
            found = None
            for cand in (os.path.join(here, name), name, os.path.join("include", name)):
                cand = os.path.normpath(cand)
                if os.path.isfile(os.path.join(root, cand)):
                    found = cand
                    break
            out.append((n, name, found))
    return out


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def declared(text):
    """Names of the functions a header declares (prototypes ending in ';')."""
    return set(re.findall(r"\b([A-Za-z_]\w*)\s*\([^;{}()]*(?:\([^;{}()]*\)[^;{}()]*)*\)\s*;", text))


def defined(text):
    """Names of the functions with external linkage a .c file defines."""
    names = set()
    for m in re.finditer(r"^([A-Za-z_][\w \t\*]*?)\b([A-Za-z_]\w*)\s*\([^;{}]*\)\s*\{", text, re.M):
        if "static" not in m.group(1).split():
            names.add(m.group(2))
    return names


def layer_of(path):
    parts = path.split(os.sep)
    return parts[1] if len(parts) > 2 and parts[0] == "libquant" else None


def unit(path):
    return os.path.splitext(path)[0]


def call_edges(root, paths, incs):
    """unit -> units whose functions it calls through a header it includes.
    A header may declare functions defined in several .c files (ggml_search.h
    for ggml_search.c and ggml_search_avx2.c): a file including it depends on
    those whose functions it names, not on the others. A prototype written
    into the .c file itself counts as an include."""
    text = {p: strip_comments(open(os.path.join(root, p), encoding="utf-8", errors="replace").read())
            for p in paths}
    definer = {}
    for p in paths:
        if p.endswith(".c"):
            for name in defined(text[p]):
                definer.setdefault(name, set()).add(p)
    edges = {}
    for p in paths:
        if not p.endswith(".c"):
            continue
        # a prototype written in the .c itself is an include in all but name
        for h in [p] + [h for _, _, h in incs[p] if h in text]:
            for name in declared(text[h]):
                for q in definer.get(name, ()):
                    if unit(q) != unit(p) and re.search(r"\b%s\b" % re.escape(name), text[p]):
                        edges.setdefault(unit(p), set()).add(unit(q))
    return edges


def cycles(graph):
    """Strongly connected components with more than one unit (Tarjan, iterative)."""
    index, low, on, stack, found, counter = {}, {}, set(), [], [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    doc = os.path.join(root, "doc", "architecture.md")
    order = layer_order(doc)
    rank = {name: len(order) - i for i, name in enumerate(order)}  # higher layer, higher rank
    folders = sorted(d for d in os.listdir(os.path.join(root, "libquant"))
                     if os.path.isdir(os.path.join(root, "libquant", d)))
    results = []

    missing = [d for d in folders if d not in rank]
    stale = [d for d in order if d not in folders]
    results.append((not missing and not stale and len(order) > 1, "every libquant/ folder is a layer of doc/architecture.md",
                    [f"libquant/{d}/ is not in the Layers block" for d in missing] +
                    [f"the Layers block names libquant/{d}/, which does not exist" for d in stale] +
                    ([] if len(order) > 1 else ["no Layers code block found in doc/architecture.md"])))

    upward, unresolved, graph = [], [], {}
    paths = list(sources(root))
    incs = {p: includes(root, p) for p in paths}
    for path in paths:
        graph.setdefault(unit(path), set())
        for line, name, target in incs[path]:
            if target is None:
                unresolved.append(f'{path}:{line}: "{name}" is not a file of the source tree')
                continue
            if not target.startswith("libquant" + os.sep):
                continue
            a, b = layer_of(path), layer_of(target)
            if a in rank and b in rank and rank[b] > rank[a]:
                upward.append(f"{path}:{line}: {a} includes {target}, of the higher layer {b}")
            # a header including a header is a dependency however it is used; a
            # .c file including one depends on the functions it calls (below)
            if path.endswith(".h") and unit(target) != unit(path):
                graph[unit(path)].add(unit(target))
    results.append((not upward, "includes go to the same or a lower layer", upward))
    results.append((not unresolved, "every quoted include is a file of the source tree", unresolved))
    for u, targets in call_edges(root, paths, incs).items():
        graph.setdefault(u, set()).update(targets)
    loops = [" <-> ".join(c) for c in cycles(graph)]
    results.append((not loops, "no cycles between files through their includes (x.c and x.h as one)",
                    [f"cycle: {c}" for c in loops]))

    print(f"1..{len(results)}")
    for i, (ok, what, notes) in enumerate(results, 1):
        for note in notes:
            print(f"# {note}")
        print(f"{'ok' if ok else 'not ok'} {i} - {what}")
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
