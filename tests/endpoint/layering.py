#!/usr/bin/env python3
# layering.py NM LIBPFSD_CORE - the parts of pfsd depend on each other one way.
#
# Reads the symbols of every object in libpfsd_core.a with nm: object A
# depends on object B when A uses a symbol B defines. Fails on any cycle
# in that graph (e.g. node.c -> conn.c -> node.c, which held conn.c,
# node.c and fetch.c in a circle), naming it. Also keeps the layering the
# headers promise: conn.c and fetch.c see site.h, never node.h.
#
# SPDX-License-Identifier: GPL-2.0-or-later

import os
import re
import subprocess
import sys


def graph(nm, lib):
    out = subprocess.run([nm, "-A", lib], check=True, capture_output=True, text=True).stdout
    defs, uses = {}, {}
    for line in out.splitlines():
        # "lib.a:conn.c.o:0000000000000000 T conn_drop" or "lib.a:conn.c.o:  U node_log"
        m = re.match(r"^[^:]+:([^:]+):\s*(?:[0-9a-fA-F]+\s+)?([A-Za-z])\s+(\S+)$", line)
        if not m:
            continue
        obj, kind, sym = m.groups()
        obj = re.sub(r"\.o(bj)?$", "", obj)
        uses.setdefault(obj, set())
        if kind == "U":
            uses[obj].add(sym)
        elif kind.isupper():
            defs[sym] = obj
    return {a: {defs[s] for s in syms if s in defs and defs[s] != a} for a, syms in uses.items()}


def find_cycle(g):
    state, stack = {}, []

    def visit(v):
        state[v] = 1
        stack.append(v)
        for w in sorted(g.get(v, ())):
            if state.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if w not in state:
                c = visit(w)
                if c:
                    return c
        stack.pop()
        state[v] = 2
        return None

    for v in sorted(g):
        if v not in state:
            c = visit(v)
            if c:
                return c
    return None


def main():
    nm, lib = sys.argv[1], sys.argv[2]
    src = sys.argv[3] if len(sys.argv) > 3 else None
    g = graph(nm, lib)
    if "conn.c" not in g or "node.c" not in g:
        print(f"layering: FAIL: no conn.c / node.c objects in {lib}: {sorted(g)}")
        return 1
    cyc = find_cycle(g)
    if cyc:
        print("layering: FAIL: the objects of pfsd_core depend on each other in a circle: "
              + " -> ".join(cyc))
        return 1
    print("ok: no dependency circle among " + ", ".join(sorted(g)))
    for part in ("conn.c", "fetch.c"):
        print(f"ok: {part} uses " + (", ".join(sorted(g[part])) or "nothing"))
    if src:
        for part in ("conn.c", "fetch.c", "site.c", "site.h", "conn.h", "fetch.h"):
            with open(os.path.join(src, part), encoding="utf-8") as f:
                if re.search(r'^#include "node\.h"', f.read(), re.M):
                    print(f"layering: FAIL: {part} includes node.h (site.h is its view)")
                    return 1
        print("ok: conn.c, fetch.c and site.* do not include node.h")
    return 0


if __name__ == "__main__":
    sys.exit(main())
