#!/usr/bin/env python3
"""CPU and wall time of one SQLite commit (WAL, synchronous=FULL) by the
number of rows it carries, on the disk holding DIR (default target/).

Shows the fixed cost of a durable commit on this machine: the write and
fsync of the WAL (on a virtual disk, two device notifications and a cache
flush). The push gateway's writer pays it once per batch, so its cost per
push is this figure divided by the pushes per commit. Usage:

    python3 scripts/bench/sqlite_commit_cost.py [DIR]
"""
import os
import resource
import sqlite3
import sys
import time

d = sys.argv[1] if len(sys.argv) > 1 else "target"
os.makedirs(d, exist_ok=True)
path = os.path.join(d, "commit-cost.db")
for k in (1, 4, 12, 32, 64):
    for f in (path, path + "-wal", path + "-shm"):
        if os.path.exists(f):
            os.remove(f)
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("pragma journal_mode=wal")
    c.execute("pragma synchronous=full")
    c.execute("create table t(id integer primary key, a text, b blob, state int)")
    c.execute("create index tp on t(state) where state=0")
    n = 3000 if k < 32 else 1000
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.time()
    i = 0
    for _ in range(n):
        c.execute("begin immediate")
        for _ in range(k):
            i += 1
            c.execute("insert into t values(?,?,?,0)", (i, "x" * 150, b"y" * 80))
            if i > k:
                c.execute("update t set state=1 where id=?", (i - k,))
        c.execute("commit")
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    t1 = time.time()
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    sys_ = r1.ru_stime - r0.ru_stime
    print(f"rows/commit {k:3}: cpu {cpu / n * 1e6:6.1f} us (kernel {sys_ / n * 1e6:5.1f}), wall {(t1 - t0) / n * 1e6:6.1f} us per commit")
    c.close()
for f in (path, path + "-wal", path + "-shm"):
    if os.path.exists(f):
        os.remove(f)
