#!/usr/bin/env python3
"""CPU and wall time of the durable-write primitives a commit can be made of,
on the disk holding DIR (default target/), each 3,000 times:

  - 4 KiB appended to a growing file, then fsync / fdatasync
  - 4 KiB rewritten in place in a preallocated file (what SQLite's WAL is
    after its first checkpoints: frames overwrite the same region), then
    fsync / fdatasync: fsync also writes the inode whose mtime each write
    changed, fdatasync does not (the size did not change)
  - the same with O_DIRECT, and with O_DIRECT|O_DSYNC (one call)

A bundled SQLite (libsqlite3-sys) calls fsync unless built with
-DHAVE_FDATASYNC=1; Debian's libsqlite3, built by autoconf, calls fdatasync.
Usage:

    python3 scripts/bench/durable_append_cost.py [DIR]
"""
import mmap
import os
import resource
import sys
import time

d = sys.argv[1] if len(sys.argv) > 1 else "target"
os.makedirs(d, exist_ok=True)
path = os.path.join(d, "durable-append.bin")
N = 3000
BLOCK = 4096
buf = mmap.mmap(-1, BLOCK)  # page-aligned, as O_DIRECT needs
buf.write(b"x" * BLOCK)


def measure(name, flags, prealloc, sync, overwrite):
    if os.path.exists(path):
        os.remove(path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | flags, 0o600)
    if prealloc:
        os.posix_fallocate(fd, 0, BLOCK * 64)
        # write real zeros so that the extents are not "unwritten" (a write
        # into an unwritten extent changes metadata each time)
        zfd = os.open(path, os.O_RDWR)
        os.write(zfd, b"\0" * BLOCK * 64)
        os.fsync(zfd)
        os.close(zfd)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    for i in range(N):
        off = (i % 64) * BLOCK if overwrite else i * BLOCK
        os.pwritev(fd, [buf], off)
        if sync == "fsync":
            os.fsync(fd)
        elif sync == "fdatasync":
            os.fdatasync(fd)
    t1 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    os.close(fd)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(f"{name:44}: cpu {cpu / N * 1e6:6.1f} us, wall {(t1 - t0) / N * 1e6:6.1f} us per write")


measure("append 4K + fsync", 0, False, "fsync", False)
measure("append 4K + fdatasync", 0, False, "fdatasync", False)
measure("overwrite 4K + fsync", 0, True, "fsync", True)
measure("overwrite 4K + fdatasync", 0, True, "fdatasync", True)
direct = getattr(os, "O_DIRECT", 0)
if direct:
    measure("overwrite 4K O_DIRECT + fdatasync", direct, True, "fdatasync", True)
    measure("overwrite 4K O_DIRECT|O_DSYNC", direct | os.O_DSYNC, True, None, True)
os.remove(path)
