#!/usr/bin/env python3
# check_lab.py - checks a finished pfslab run from what it left in its folder.
#
#   check_lab.py OUT [--relaxed] [--partial] [--killed XID] [--expect-rrqs]
#
# The .loads is the trust anchor: every endpoint fetched it itself (source
# "anchor"), so it has no tree. Strict (default): for every component exactly
# one root; the root is the only
# TFTP fetch; at most 2 children per node; every parent chain reaches the
# root without a cycle; parent and children lists agree both ways; every
# endpoint verified every file; the files on disk match the .loads; no stray
# files in the download folders; summary.json's per-file roots, TFTP fetches
# and fallbacks (with their reasons) agree with the endpoints' summaries, its
# verdict lists no problem and no warning, and the capture (if any) dropped
# no packet. --relaxed drops "one root, one TFTP fetch", the empty verdict
# and the capture (faults may force fallbacks) but keeps every structural
# check and the per-file facts. --killed
# names an endpoint killed on purpose: it is left out of the checks.
# --partial (a lab that lost its TFTP server, implies --relaxed): an
# endpoint may exit 1, but only when every file it lacks is verified by no
# endpoint of its model at all (what one peer holds, every peer must get);
# the files it holds are checked as above, and the trees are those of the
# verified nodes.
# --expect-rrqs also wants the capture to hold exactly one RRQ per file and
# model.
#
# A site of several models (pfslab --models) is checked per file and model:
# each model's endpoints form their own tree with their own root, and the
# hierarchy ids (H) of one file differ between models. A site without PFS
# (pfslab --no-pfs) is checked for what such phones do: every endpoint
# fetched every file over TFTP itself, with no parent, no child and no root.
#
# Exit 0 when every check holds, 1 otherwise (each failure on its own line).
#
# SPDX-License-Identifier: GPL-2.0-or-later

import argparse
import glob
import hashlib
import json
import os
import sys


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_load(out):
    """The load pfslab served: {name: (size, sha256)}, .loads first."""
    loads = glob.glob(os.path.join(out, "tftpboot", "*.loads"))
    if len(loads) != 1:
        raise SystemExit(f"check_lab: {out}/tftpboot: expected one .loads, found {len(loads)}")
    path = loads[0]
    files = {os.path.basename(path): (os.path.getsize(path), sha256_file(path))}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4 and parts[0] == "FILE":
                files[parts[1]] = (int(parts[2]), parts[3].lower())
    return files


def hier_id(model, name):
    """pfs_hier_id(): FNV-1a 32 over model, a zero byte and /dnld/NAME."""
    h = 0x811C9DC5
    for b in model.encode() + b"\0" + ("/dnld/" + name).encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return f"{h:08X}"


def read_summaries(out):
    sums = {}
    for path in sorted(glob.glob(os.path.join(out, "summaries", "*.json"))):
        with open(path, encoding="utf-8") as f:
            s = json.load(f)
        sums[s["xid"]] = s
    return sums


class Checker:
    def __init__(self, out, relaxed, killed, expect_rrqs, partial=False):
        self.out, self.relaxed, self.killed = out, relaxed or partial, set(killed)
        self.partial = partial
        self.expect_rrqs = expect_rrqs
        self.failures = []
        self.checks = 0

    def expect(self, cond, msg):
        self.checks += 1
        if not cond:
            self.failures.append(msg)
        return cond

    def run(self):
        load = read_load(self.out)
        with open(os.path.join(self.out, "summary.json"), encoding="utf-8") as f:
            lab = json.load(f)
        sums = read_summaries(self.out)
        self.models = [m["model"] for m in lab["lab"].get("models") or
                       [{"model": lab["lab"]["model"]}]]
        self.no_pfs = bool(lab["lab"].get("no_pfs"))
        self.check_endpoints(lab, sums, load)
        for name in load:
            hs = {hier_id(m, name) for m in self.models}
            self.expect(len(hs) == len(self.models), f"{name}: models share a hierarchy id")
            for model in self.models:
                if name.endswith(".loads"):
                    self.check_anchor(name, model, sums)
                elif self.no_pfs:
                    self.check_direct(name, model, sums, lab)
                else:
                    self.check_tree(name, model, sums)
        self.check_disk(lab, load)
        self.check_report(lab, sums)
        if self.expect_rrqs:
            self.check_rrqs(lab, load)
        return not self.failures

    def check_endpoints(self, lab, sums, load):
        self.expect(lab["lab"]["phones"] == len(lab["endpoints"]),
                    "summary.json: endpoint count differs from --phones")
        for ep in lab["endpoints"]:
            x = ep["xid"]
            if x in self.killed:
                continue
            allowed = (0, 1) if self.partial else (0,)
            if not self.expect(ep["exit"] in allowed, f"XID{x}: pfsd exited {ep['exit']}"):
                continue
            s = sums.get(x)
            if not self.expect(s is not None, f"XID{x}: no summary in summaries/"):
                continue
            self.expect(s.get("exit") == ep["exit"], f"XID{x}: summary says exit {s.get('exit')}")
            self.expect(s.get("ip") == ep["ip"], f"XID{x}: summary ip {s.get('ip')} != {ep['ip']}")
            want = ep.get("model", lab["lab"]["model"])
            self.expect(s.get("model") == want, f"XID{x}: summary model {s.get('model')} != "
                        f"{want}")
            self.expect(s.get("pfs", True) is not self.no_pfs, f"XID{x}: summary pfs "
                        f"{s.get('pfs')}, the lab ran with no_pfs {self.no_pfs}")
            got = {f["name"]: f for f in s.get("files", [])}
            for name, (size, sha) in load.items():
                f = got.get(name)
                if self.partial and (f is None or f.get("verified") is not True):
                    held = sorted(self.nodes_of(name, sums, want))
                    self.expect(not held, f"XID{x}: lacks {name}, which {len(held)} peers hold "
                                f"({' '.join(held[:4])}...): it could have finished from them")
                    continue
                if not self.expect(f is not None, f"XID{x}: {name} missing from its summary"):
                    continue
                self.expect(f.get("verified") is True, f"XID{x}: {name} not verified")
                self.expect(f.get("size") == size, f"XID{x}: {name} size {f.get('size')} != {size}")
                self.expect(str(f.get("sha256", "")).lower() == sha,
                            f"XID{x}: {name} sha256 differs from the .loads")
                self.expect(f.get("h") == hier_id(want, name), f"XID{x}: {name} H {f.get('h')}"
                            f" is not the {want} hierarchy's {hier_id(want, name)}")

    def nodes_of(self, name, sums, model, every=False):
        """{xid: file entry} of the model's endpoints holding name (partial:
        verified only, unless every)."""
        nodes = {}
        for x, s in sums.items():
            if s.get("model") != model:
                continue
            for f in s.get("files", []):
                if f.get("name") == name and (every or not self.partial or
                                              f.get("verified") is True):
                    nodes[x] = f
        return nodes

    def check_anchor(self, name, model, sums):
        """The .loads is the trust anchor: every endpoint fetched it from the
        TFTP server itself (source "anchor"), from no parent, for no child."""
        for x, f in self.nodes_of(name, sums, model).items():
            self.expect(f.get("source") == "anchor" and not f.get("parent") and
                        not f.get("children") and f.get("fallback") is None,
                        f"{name}: XID{x} source {f.get('source')!r}, parent {f.get('parent')}, "
                        f"children {f.get('children')}: want the anchor's own fetch")

    def check_direct(self, name, model, sums, lab):
        """--no-pfs: every endpoint of the model fetched the file itself."""
        nodes = self.nodes_of(name, sums, model)
        want = sum(1 for e in lab["endpoints"] if e.get("model", model) == model and
                   e["xid"] not in self.killed)
        tftp = [x for x, f in nodes.items() if f.get("source") == "tftp"]
        self.expect(len(tftp) == want, f"{name} ({model}): {len(tftp)} TFTP fetches, want one "
                    f"per endpoint ({want})")
        for x, f in nodes.items():
            self.expect(not f.get("parent") and not f.get("children") and not f.get("fallback"),
                        f"{name}: XID{x} without PFS has parent {f.get('parent')}, children "
                        f"{f.get('children')}, fallback {f.get('fallback')}")

    def check_tree(self, name, model, sums):
        nodes = self.nodes_of(name, sums, model)
        name = f"{name} ({model})" if len(self.models) > 1 else name
        roots = [x for x, f in nodes.items() if not f.get("parent")]
        tftp = [x for x, f in nodes.items() if f.get("source") == "tftp"]
        if not self.relaxed:
            if self.expect(len(roots) == 1, f"{name}: {len(roots)} roots {sorted(roots)}, want 1"):
                r = roots[0]
                self.expect(tftp == [r], f"{name}: TFTP fetches by {sorted(tftp)}, want only "
                            f"the root XID{r}")
                self.expect(nodes[r].get("fallback") is None,
                            f"{name}: root XID{r} says fallback {nodes[r].get('fallback')}")
        for x, f in nodes.items():
            kids = f.get("children") or []
            self.expect(len(kids) <= 2, f"{name}: XID{x} has {len(kids)} children")
            self.expect(len(set(kids)) == len(kids), f"{name}: XID{x} lists a child twice")
            self.expect(f.get("source") in ("tftp", "peer"), f"{name}: XID{x} source "
                        f"{f.get('source')!r}")
            self.expect((f.get("source") == "peer") == bool(f.get("parent")),
                        f"{name}: XID{x} source {f.get('source')} but parent {f.get('parent')}")
            self.check_links(name, x, f, nodes)
            self.check_chain(name, x, nodes)

    def check_links(self, name, x, f, nodes):
        p = f.get("parent")
        if p:
            if self.expect(p in nodes or p in self.killed,
                           f"{name}: XID{x}'s parent XID{p} is no endpoint of the lab") \
                    and p in nodes:
                self.expect(x in (nodes[p].get("children") or []),
                            f"{name}: XID{x} names parent XID{p}, which does not list it")
        for c in f.get("children") or []:
            if c in self.killed:
                continue  # lost with its parent's blessing: it was killed
            # A child may have lost this parent and rejoined elsewhere only
            # when faults were injected.
            if self.expect(c in nodes, f"{name}: XID{x} lists child XID{c}, unknown"):
                ok = nodes[c].get("parent") == x
                self.expect(ok or self.relaxed, f"{name}: XID{x} lists child XID{c}, whose "
                            f"parent is {nodes[c].get('parent')}")

    def check_chain(self, name, x, nodes):
        seen, cur = [x], x
        while nodes.get(cur, {}).get("parent"):
            cur = nodes[cur]["parent"]
            if not self.expect(cur not in seen, f"{name}: parent cycle {' -> '.join(seen + [cur])}"):
                return
            seen.append(cur)
            if cur not in nodes:
                self.expect(cur in self.killed, f"{name}: chain of XID{x} ends at unknown XID{cur}")
                return
        self.expect(nodes[cur].get("source") == "tftp",
                    f"{name}: chain of XID{x} ends at XID{cur}, which did not fetch over TFTP")

    def check_disk(self, lab, load):
        for ep in lab["endpoints"]:
            if ep["xid"] in self.killed:
                continue
            d = os.path.join(self.out, "phones", str(ep["index"]))
            present = set(os.listdir(d)) if os.path.isdir(d) else set()
            held = {f.get("name") for f in (ep.get("summary") or {}).get("files", [])
                    if f.get("verified") is True}
            for name, (size, sha) in load.items():
                path = os.path.join(d, name)
                if self.partial and name not in held:
                    self.expect(name not in present, f"{path}: on disk but not verified")
                    continue
                if self.expect(name in present, f"{path}: missing"):
                    self.expect(os.path.getsize(path) == size and sha256_file(path) == sha,
                                f"{path}: content differs from the .loads")
            extra = sorted(present - set(load))
            self.expect(not extra, f"{d}: stray files {extra}")

    def check_report(self, lab, sums):
        """pfslab's per-file facts agree with the endpoints' own summaries;
        strict: its verdict has nothing to report and the capture lost nothing."""
        self.expect(sorted((f["name"], f.get("model", self.models[0])) for f in lab["files"]) ==
                    sorted((n, m) for n in {f["name"] for f in lab["files"]}
                           for m in self.models), "summary.json: one entry per file and model")
        for f in lab["files"]:
            model = f.get("model", self.models[0])
            nodes = self.nodes_of(f["name"], sums, model, every=True)
            roots = sorted(x for x, n in nodes.items() if n.get("source") == "tftp" and
                           not n.get("parent") and not n.get("fallback")) \
                if not self.no_pfs else []
            self.expect(f.get("h") == hier_id(model, f["name"]), f"{f['name']} ({model}): "
                        f"summary.json H {f.get('h')}")
            fetchers = sorted(x for x, n in nodes.items() if n.get("source") == "tftp")
            falls = [{"xid": x, "reason": nodes[x]["fallback"]} for x in sorted(nodes)
                     if nodes[x].get("fallback")]
            self.expect(f.get("roots") == roots, f"{f['name']}: summary.json roots "
                        f"{f.get('roots')}, the endpoints say {roots}")
            self.expect(f.get("tftp_fetchers") == fetchers and f.get("tftp_fetches") ==
                        len(fetchers), f"{f['name']}: summary.json TFTP fetches "
                        f"{f.get('tftp_fetchers')}, the endpoints say {fetchers}")
            self.expect(f.get("fallbacks") == falls, f"{f['name']}: summary.json fallbacks "
                        f"{f.get('fallbacks')}, the endpoints say {falls}")
        if self.relaxed:
            return
        self.expect(lab.get("ok") is True and lab.get("problems") == [] and
                    lab.get("warnings") == [], f"summary.json verdict: ok {lab.get('ok')}, "
                    f"problems {lab.get('problems')}, warnings {lab.get('warnings')}")
        if lab["lab"].get("pcap"):
            cap = lab["lab"].get("capture")
            self.expect(cap is not None and cap.get("dropped") == 0,
                        f"the capture lost no packet (dumpcap: {cap})")

    def check_rrqs(self, lab, load):
        if not self.expect(lab["lab"].get("pcap"), "no capture was made (--pcap)"):
            return
        # RRQs name the file, not the model: one per model, or one per
        # endpoint without PFS; the .loads one per endpoint (the anchor: a
        # killed one fetched it too, at its start).
        for f in lab["files"]:
            want = (len(lab["endpoints"]) if self.no_pfs or f["name"].endswith(".loads")
                    else len(self.models))
            self.expect(f.get("rrqs") == want, f"{f['name']}: {f.get('rrqs')} RRQs in the "
                        f"capture, want {want}")
        self.expect({f["name"] for f in lab["files"]} == set(load), "summary.json files differ "
                    "from the .loads")


def check(out, relaxed=False, killed=(), expect_rrqs=False, partial=False):
    """Runs every check; returns (ok, number of checks, failures)."""
    c = Checker(out, relaxed, killed, expect_rrqs, partial)
    ok = c.run()
    return ok, c.checks, c.failures


def main():
    p = argparse.ArgumentParser(description="Check a finished pfslab run.")
    p.add_argument("out")
    p.add_argument("--relaxed", action="store_true")
    p.add_argument("--partial", action="store_true")
    p.add_argument("--killed", action="append", default=[], metavar="XID")
    p.add_argument("--expect-rrqs", action="store_true")
    a = p.parse_args()
    ok, n, failures = check(a.out, a.relaxed, a.killed, a.expect_rrqs, a.partial)
    for f in failures:
        print(f"check_lab: FAIL {f}")
    print(f"check_lab: {n - len(failures)} passed, {len(failures)} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
