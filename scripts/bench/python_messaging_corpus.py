#!/usr/bin/env python3
"""Measures python-messaging 0.5.13's MMS decoder on the shared corpus.

The reference side of Ferry's codec speed comparison (docs/PERFORMANCE.md).
Corpus rule (the same as crates/mms/benches/codec.rs): every file under
sailfishos-mms-engine/ and python-messaging/mms-data/ (not in a parts/
folder) whose first octet is 0x8C (X-Mms-Message-Type): the bare MMS PDUs.

Usage: python_messaging_corpus.py VECTORS_DIR [SECONDS]
Prints: corpus PDUs/s (each file once per round), failures, and
notifications/s for m-notification_1.ind alone.
"""
import os
import sys
import time

from messaging.mms.mms_pdu import MMSDecoder


def corpus(root):
    files = []
    for top in ("sailfishos-mms-engine", "python-messaging/mms-data"):
        for d, dirs, names in os.walk(os.path.join(root, top)):
            dirs[:] = [x for x in dirs if x != "parts"]
            for n in names:
                p = os.path.join(d, n)
                with open(p, "rb") as f:
                    if f.read(1) == b"\x8c":
                        files.append(p)
    return sorted(files)


def rate(datas, seconds):
    n = 0
    fails = 0
    start = time.perf_counter()
    while True:
        for d in datas:
            try:
                MMSDecoder().decode_data(bytearray(d))
            except Exception:
                fails += 1
            n += 1
        el = time.perf_counter() - start
        if el >= seconds:
            return n / el, fails, n


def main():
    root = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    files = corpus(root)
    datas = [open(f, "rb").read() for f in files]
    r, fails, n = rate(datas, seconds)
    per_round = fails * len(datas) // max(n, 1)
    print(f"python-messaging corpus: {len(files)} files, {sum(map(len, datas))} bytes, "
          f"{r:.1f} PDUs/s ({per_round} of {len(files)} files fail to decode)")
    notif = open(os.path.join(root, "sailfishos-mms-engine/test_mms_codec/m-notification_1.ind"), "rb").read()
    r, _, _ = rate([notif], seconds / 2)
    print(f"python-messaging notification ({len(notif)} bytes): {r:.0f} decodes/s")


if __name__ == "__main__":
    main()
