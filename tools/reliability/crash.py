#!/usr/bin/env python3
"""Crash consistency: drive `concord serve` over MLLP (and the inbox) while killing it with SIGKILL.

Clients send N HL7 messages over C concurrent MLLP connections and re-send every message whose ACK they
did not receive (a real interface engine does exactly this). A killer SIGKILLs the server K times at
random points (after a random number of ACKs plus a random sub-commit delay) and restarts it. After each
kill, with the server down, every message ACKed so far must already be in the database (ACK only after
commit). Meanwhile files are dropped into the inbox (some atomically by rename, some written in place).
At the end: every message and file stored exactly once, every file archived, the index consistent, and
`PRAGMA integrity_check` ok. Exit status 0 only when every check passes.
"""
import argparse
import hashlib
import os
import random
import shutil
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Gateway, MLLPConnection, check_database, message, msa  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--concord", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--messages", "-n", type=int, default=300)
    ap.add_argument("--kills", "-k", type=int, default=3)
    ap.add_argument("--connections", "-c", type=int, default=4)
    ap.add_argument("--files", type=int, default=20, help="inbox files of 3 messages each")
    ap.add_argument("--samples", default="", help="a samples/ folder whose C-CDA and FHIR documents are dropped too")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--patients", type=int, default=0, help="distinct patients (default N/3)")
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    shutil.rmtree(args.workdir, ignore_errors=True)
    gw = Gateway(args.concord, args.workdir, inbox=True, stable=0.2, rescan=0.5)
    patients = args.patients or max(10, args.messages // 3)
    controls = ["REL-%07d" % i for i in range(args.messages)]
    payloads = {c: message(c, i, patients) for i, c in enumerate(controls)}

    lock = threading.Lock()
    acked = {}            # control -> ACK bytes
    resends = [0]
    errors = []
    server_up = threading.Event()
    done_clients = threading.Event()
    started = time.time()

    gw.start()
    server_up.set()

    def client(part):
        conn = None
        for c in part:
            while True:
                if time.time() - started > args.timeout:
                    errors.append("timeout"); return
                try:
                    if conn is None:
                        server_up.wait(5)
                        conn = MLLPConnection(gw.mllp_port, timeout=15)
                    ack = conn.exchange(payloads[c])
                    code, ctl = msa(ack)
                    if code != "AA" or ctl != c:
                        errors.append("%s: ACK %s for %s" % (c, code, ctl)); return
                    with lock:
                        acked[c] = ack
                    break
                except (OSError, ConnectionError):
                    # No ACK: the message may or may not be stored. Re-send it on a new connection.
                    if conn: conn.close()
                    conn = None
                    with lock:
                        resends[0] += 1
                    time.sleep(0.02)
        if conn: conn.close()

    # Inbox files: 3 messages each; plus the sample documents (recognized by their SHA-256).
    files = {}
    for f in range(args.files):
        base = args.messages + 3 * f
        body = b"".join(message("INB-%05d-%d" % (f, j), base + j, patients) for j in range(3))
        files["rel-%05d.hl7" % f] = body
    docs = []
    if args.samples:
        for sub in ("lakeside-ccda", "summit-fhir"):
            d = os.path.join(args.samples, sub)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                if name.endswith((".xml", ".json", ".ndjson")) and not name.startswith("bad-"):
                    data = open(os.path.join(d, name), "rb").read()
                    files["doc-" + name] = data
                    docs.append(data)
    inbox_controls = ["INB-%05d-%d" % (f, j) for f in range(args.files) for j in range(3)]

    def dropper():
        names = sorted(files)
        rng2 = random.Random(args.seed + 1)
        for name in names:
            time.sleep(rng2.uniform(0.0, 0.15))
            path = os.path.join(gw.inbox, name)
            if rng2.random() < 0.5:
                with open(path + ".part", "wb") as f:
                    f.write(files[name])
                os.rename(path + ".part", path)
            else:
                # Written in place, in two halves: the inbox must wait until the size is stable.
                data = files[name]
                with open(path, "wb") as f:
                    f.write(data[: len(data) // 2]); f.flush()
                    time.sleep(0.05)
                    f.write(data[len(data) // 2:])

    kill_points = sorted(rng.sample(range(1, max(args.messages, args.kills + 1)), args.kills))
    kill_log = []

    def killer():
        for point in kill_points:
            while True:
                with lock:
                    n = len(acked)
                if n >= point or done_clients.is_set():
                    break
                time.sleep(0.002)
            if done_clients.is_set():
                break
            time.sleep(rng.uniform(0, 0.03))
            server_up.clear()
            gw.kill()
            with lock:
                snapshot = dict(acked)
            # With the server down: every message ACKed so far must be committed.
            con = sqlite3.connect(gw.db, timeout=30)
            stored = {r[0]: r[1] for r in con.execute("SELECT control_id, status FROM message_log WHERE control_id LIKE 'REL-%'")}
            con.close()
            lost = [c for c in snapshot if stored.get(c) != "ingested"]
            kill_log.append((point, len(snapshot), len(stored), lost))
            if lost:
                errors.append("after kill at %d: %d ACKed messages not stored: %s" % (point, len(lost), lost[:5]))
            time.sleep(rng.uniform(0, 0.2))
            gw.start()
            server_up.set()

    parts = [controls[i::args.connections] for i in range(args.connections)]
    threads = [threading.Thread(target=client, args=(p,)) for p in parts]
    kt = threading.Thread(target=killer)
    dt = threading.Thread(target=dropper)
    for t in threads + [kt, dt]:
        t.start()
    for t in threads:
        t.join()
    done_clients.set()
    dt.join()
    kt.join()
    # Let the inbox drain.
    deadline = time.time() + 120
    def pending():
        visible = [n for n in os.listdir(gw.inbox) if not n.startswith(".")]
        claimed = os.listdir(os.path.join(gw.inbox, ".claimed")) if os.path.isdir(os.path.join(gw.inbox, ".claimed")) else []
        return visible + claimed
    while pending() and time.time() < deadline:
        time.sleep(0.1)
    left = pending()
    elapsed = time.time() - started
    gw.stop()

    problems = list(errors)
    if left:
        problems.append("inbox not drained: %s" % left[:5])
    archived = []
    for root, _, names in os.walk(gw.archive):
        archived += names
    failed = os.listdir(gw.failed) if os.path.isdir(gw.failed) else []
    if failed:
        problems.append("files in failed/: %s" % failed[:5])
    if sorted(archived) != sorted(files):
        problems.append("archive holds %d files, expected %d (%s)" % (len(archived), len(files), sorted(set(files) - set(archived))[:5]))
    if len(acked) != len(controls):
        problems.append("%d of %d messages never ACKed" % (len(controls) - len(acked), len(controls)))
    db_problems, stats = check_database(gw.db, controls + inbox_controls, [hashlib.sha256(d).hexdigest() for d in docs])
    problems += db_problems
    expected_rows = len(controls) + len(inbox_controls) + len(docs)
    if stats["messages"] != expected_rows:
        problems.append("message_log has %d rows, expected exactly %d" % (stats["messages"], expected_rows))

    print("crash consistency: N=%d MLLP messages over %d connections, K=%d SIGKILLs (%d server starts), "
          "%d inbox files (%d messages + %d documents), seed %d, %.1fs"
          % (len(controls), args.connections, len(kill_log), gw.starts, len(files), len(inbox_controls), len(docs), args.seed, elapsed))
    print("  re-sends after a lost ACK: %d; ACKed: %d; message_log rows: %d; source records: %d; links: %d; "
          "enterprise patients: %d; fact instances: %d"
          % (resends[0], len(acked), stats["messages"], stats["source_records"], stats["links"],
             stats["enterprise_patients"], stats["fact_instances"]))
    for point, nacked, nstored, lost in kill_log[:50]:
        print("  kill after >=%d ACKs: %d ACKed, %d stored at restart, %d ACKed-but-lost" % (point, nacked, nstored, len(lost)))
    if problems:
        print("FAILED:")
        for p in problems:
            print("  - " + p)
        return 1
    print("OK: every ACKed message stored once, every message and file stored once, index consistent, integrity_check ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
