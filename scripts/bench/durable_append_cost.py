#!/usr/bin/env python3
"""Costs of the durable-write primitives a commit can be made of, on the disk
holding DIR (default target/).

Without --parallel: CPU and wall time per write, 3,000 writes each, of

  - 4 KiB appended to a growing file, then fsync / fdatasync
  - 4 KiB rewritten in place in a preallocated file (what SQLite's WAL is
    after its first checkpoints: frames overwrite the same region), then
    fsync / fdatasync
  - the same with O_DIRECT, and with O_DIRECT|O_DSYNC (one call)

A bundled SQLite (libsqlite3-sys) calls fsync unless built with
-DHAVE_FDATASYNC=1; Debian's libsqlite3, built by autoconf, calls fdatasync.

With --parallel: durable 4 KiB rewrites per second and their latency when
1, 2, 4 or 8 threads write at once (each its own blocks of one preallocated
file), 2 s each, for each MODE (default all three):

  direct        O_DIRECT pwrite, then fdatasync
  buffered      pwrite, then fdatasync
  direct-dsync  O_DIRECT|O_DSYNC pwrite (one call)

This shows whether the disk serves several cache flushes at once, which is
what a gateway with several commits in flight would gain from. Usage:

    python3 scripts/bench/durable_append_cost.py [DIR]
    python3 scripts/bench/durable_append_cost.py [DIR] --parallel [MODE...]
"""
import mmap
import os
import resource
import sys
import threading
import time

args = sys.argv[1:]
d = args.pop(0) if args and not args[0].startswith("--") else "target"
parallel = args[:1] == ["--parallel"]
modes = args[1:] if parallel else []
os.makedirs(d, exist_ok=True)
path = os.path.join(d, "durable-append.bin")
BLOCK = 4096
DIRECT = getattr(os, "O_DIRECT", 0)
FLAGS = {"direct": DIRECT, "buffered": 0, "direct-dsync": DIRECT | os.O_DSYNC}


def aligned_block():
    buf = mmap.mmap(-1, BLOCK)  # page-aligned, as O_DIRECT needs
    buf.write(b"x" * BLOCK)
    return buf


def preallocate(blocks):
    """A file of real zeros (not fallocate's "unwritten" extents, a write
    into which changes metadata each time), on disk."""
    with open(path, "wb") as f:
        f.write(b"\0" * BLOCK * blocks)
        f.flush()
        os.fsync(f.fileno())


def write_durably(fd, buf, off, sync):
    os.pwritev(fd, [buf], off)
    if sync == "fsync":
        os.fsync(fd)
    elif sync == "fdatasync":
        os.fdatasync(fd)


def measure(name, flags, sync, overwrite, n=3000):
    if os.path.exists(path):
        os.remove(path)
    if overwrite:
        preallocate(64)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | flags, 0o600)
    buf = aligned_block()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    for i in range(n):
        write_durably(fd, buf, (i % 64 if overwrite else i) * BLOCK, sync)
    t1 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    os.close(fd)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(f"{name:44}: cpu {cpu / n * 1e6:6.1f} us, wall {(t1 - t0) / n * 1e6:6.1f} us per write")


def measure_parallel(mode, threads, seconds=2.0, blocks=16384):
    sync = None if "dsync" in mode else "fdatasync"
    out = {}

    def worker(k):
        fd = os.open(path, os.O_RDWR | FLAGS[mode])
        buf = aligned_block()
        lat = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            write_durably(fd, buf, ((len(lat) * threads + k) % blocks) * BLOCK, sync)
            lat.append(time.perf_counter() - t0)
        os.close(fd)
        out[k] = lat

    ths = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    lat = sorted(x for v in out.values() for x in v)
    print(f"{mode:12} threads {threads}: {len(lat) / seconds:7.0f} writes/s, "
          f"p50 {lat[len(lat) // 2] * 1e6:6.0f} us, p99 {lat[int(len(lat) * .99)] * 1e6:6.0f} us")


if parallel:
    preallocate(16384)  # 64 MiB
    for mode in modes or list(FLAGS):
        for threads in (1, 2, 4, 8):
            measure_parallel(mode, threads)
else:
    measure("append 4K + fsync", 0, "fsync", False)
    measure("append 4K + fdatasync", 0, "fdatasync", False)
    measure("overwrite 4K + fsync", 0, "fsync", True)
    measure("overwrite 4K + fdatasync", 0, "fdatasync", True)
    if DIRECT:
        measure("overwrite 4K O_DIRECT + fdatasync", DIRECT, "fdatasync", True)
        measure("overwrite 4K O_DIRECT|O_DSYNC", DIRECT | os.O_DSYNC, None, True)
os.remove(path)
