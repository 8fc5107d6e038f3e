#!/usr/bin/env python3
"""RSS of a running process by what holds it, from /proc/PID/smaps (issue #13's memory breakdown).

Usage: scripts/rss_breakdown.py PID [--json]

Groups: the binary's own libraries (NEEDED by tbml) and everything else they pull in (Debian's libtorch
brings OpenCV, Qt, GDAL, ffmpeg...), each split into file-backed pages (text, read-only data; shared with
the page cache) and private dirty pages (relocated data, .bss); the main malloc heap ([heap]); glibc's other
malloc arenas (64 MiB-aligned reservations); thread stacks (one mapping of the stack size per thread, the
guard page is a separate ---p mapping); other anonymous mappings (large mmap'ed allocations: tensors,
OpenBLAS buffers, torch's allocator).
"""
import json
import os
import re
import sys

HEADER = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$")


def mappings(pid):
    cur = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = HEADER.match(line)
            if m:
                if cur:
                    yield cur
                start, end = int(m.group(1), 16), int(m.group(2), 16)
                cur = {"start": start, "size_kib": (end - start) // 1024, "perms": m.group(3),
                       "name": m.group(4).strip()}
                continue
            key, _, rest = line.partition(":")
            parts = rest.split()
            if cur is not None and len(parts) == 2 and parts[1] == "kB":
                cur[key] = int(parts[0])
    if cur:
        yield cur


def stack_kib(pid):
    # The default thread stack is RLIMIT_STACK (glibc), unless the program set its own.
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max stack size"):
                v = line.split()[3]
                return int(v) // 1024 if v.isdigit() else 8192
    return 8192


def direct_needs(pid):
    exe = os.readlink(f"/proc/{pid}/exe")
    out = os.popen(f"readelf -d '{exe}' 2>/dev/null").read()
    return set(re.findall(r"\[(lib[^\]]+)\]", out))


def classify(pid):
    needed = direct_needs(pid)
    stack = stack_kib(pid)
    exe = os.readlink(f"/proc/{pid}/exe")
    groups = {}
    stacks = 0

    def add(group, m, kind):
        g = groups.setdefault(group, {"rss_kib": 0, "anon_kib": 0, "file_kib": 0, "mappings": 0})
        g["rss_kib"] += m.get("Rss", 0)
        g["anon_kib"] += m.get("Anonymous", 0)
        g["file_kib"] += m.get("Rss", 0) - m.get("Anonymous", 0)
        g["mappings"] += kind

    for m in mappings(pid):
        name = m["name"]
        base = os.path.basename(name)
        if name == "[heap]":
            add("malloc: main heap [heap]", m, 1)
        elif name.startswith("[stack"):
            add("main thread stack", m, 1)
        elif name.startswith("["):
            add("kernel (vdso, vvar)", m, 1)
        elif name == exe:
            add("tbml binary", m, 1)
        elif ".so" in base:
            # libxgboost.so.0 (NEEDED) is the file libxgboost.so.1.6.0: compare the names up to ".so".
            ours = any(base.startswith(n.split(".so")[0] + ".so") for n in needed)
            if not ours:
                add("libraries pulled in by those (OpenCV, Qt, GDAL, ffmpeg, ...)", m, 1)
            elif base.startswith(("libtorch", "libc10")):
                add("libraries tbml links (libtorch*, libc10)", m, 1)
            else:
                add("libraries tbml links (the rest)", m, 1)
        elif name:
            add("other files (locale, fonts, ...)", m, 1)
        elif m["perms"] == "---p":
            add("reserved, not accessible (guards, arena tails)", m, 1)
        elif m["size_kib"] == stack:
            stacks += 1
            add("thread stacks", m, 1)
        elif m["start"] % (64 << 20) == 0 and m["size_kib"] <= 65536:
            add("malloc: thread arenas", m, 1)
        else:
            add("other anonymous (big mmap'ed allocations, TLS, torch/OpenBLAS buffers)", m, 1)
    return groups, stacks


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    pid = int(sys.argv[1])
    groups, stacks = classify(pid)
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    total = sum(g["rss_kib"] for g in groups.values())
    if "--json" in sys.argv:
        print(json.dumps({"pid": pid, "rss_kib": total, "threads": int(status["Threads"]), "stacks": stacks,
                          "groups": groups}, indent=1))
        return 0
    print(f"pid {pid}: VmRSS {status['VmRSS'].strip()}, VmHWM {status['VmHWM'].strip()}, "
          f"threads {status['Threads'].strip()}, thread stacks mapped {stacks}")
    print(f"{'MiB':>7} {'anon':>7} {'file':>7} {'maps':>5}  what")
    for name, g in sorted(groups.items(), key=lambda kv: -kv[1]["rss_kib"]):
        print(f"{g['rss_kib'] / 1024:7.1f} {g['anon_kib'] / 1024:7.1f} {g['file_kib'] / 1024:7.1f} "
              f"{g['mappings']:5d}  {name}")
    print(f"{total / 1024:7.1f}  total of the mappings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
