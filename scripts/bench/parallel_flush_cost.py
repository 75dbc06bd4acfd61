#!/usr/bin/env python3
"""Durable 4 KiB writes per second and their latency when 1, 2, 4 or 8
threads write at once (each its own blocks of one preallocated 64 MiB file
under DIR, default target/), 2 s each, for each MODE given:

  direct        O_DIRECT pwrite, then fdatasync
  buffered      pwrite, then fdatasync
  direct-dsync  O_DIRECT|O_DSYNC pwrite (one call)

Shows whether the disk serves several cache flushes at once (more writes
per second with more threads), which is what a gateway with several
commits in flight (pipelined group commit) would gain from. Usage:

    python3 scripts/bench/parallel_flush_cost.py [--dir DIR] direct buffered direct-dsync
"""
import mmap, os, sys, threading, time
args = sys.argv[1:]
d = "target"
if args[:1] == ["--dir"]:
    d, args = args[1], args[2:]
os.makedirs(d, exist_ok=True)
path = os.path.join(d, "parallel-flush.bin")
BLOCK = 4096
N = 64 * 1024 * 1024
if not os.path.exists(path) or os.path.getsize(path) != N:
    with open(path, "wb") as f:
        f.write(b"\0" * N); f.flush(); os.fsync(f.fileno())
def worker(k, t, mode, dur, out):
    flags = os.O_RDWR | (os.O_DIRECT if "direct" in mode else 0) | (os.O_DSYNC if "dsync" in mode else 0)
    fd = os.open(path, flags)
    buf = mmap.mmap(-1, BLOCK); buf.write(b"y" * BLOCK)
    n = 0; lat = []
    end = time.perf_counter() + dur
    while time.perf_counter() < end:
        off = ((n * t + k) % (N // BLOCK)) * BLOCK
        t0 = time.perf_counter()
        os.pwritev(fd, [buf], off)
        if "dsync" not in mode:
            os.fdatasync(fd)
        lat.append(time.perf_counter() - t0)
        n += 1
    os.close(fd); out[k] = lat
for mode in args or ["direct", "buffered", "direct-dsync"]:
    for t in (1, 2, 4, 8):
        out = {}
        ths = [threading.Thread(target=worker, args=(k, t, mode, 2.0, out)) for k in range(t)]
        [x.start() for x in ths]; [x.join() for x in ths]
        lat = sorted(l for v in out.values() for l in v)
        print(f"{mode:12} threads {t}: {len(lat)/2.0:7.0f} writes/s, p50 {lat[len(lat)//2]*1e6:6.0f} us, p99 {lat[int(len(lat)*.99)]*1e6:6.0f} us")
os.remove(path)
