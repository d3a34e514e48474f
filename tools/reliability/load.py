#!/usr/bin/env python3
"""Load and memory: sustained MLLP ingest with concurrent HTTP reads, sampling the server's RSS.

P sender processes each keep one MLLP connection with a window of W messages in flight (pipelined, ACKs
matched in order by control id). One HTTP reader thread loops over patient searches, patient reads,
/metrics and /health with a reader token for the whole run. A sampler records VmRSS/VmHWM of the
`concord serve` process from /proc/PID/status every few seconds, with the number of ACKs so far.
Exit status 0 only when every message got AA, every HTTP read got 200, and the message log holds
exactly the messages sent.
"""
import argparse
import http.client
import json
import multiprocessing as mp
import os
import shutil
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import FAMILIES, Gateway, MLLPConnection, message, msa  # noqa: E402


def sender(port, worker, workers, total, window, patients, counter, failures):
    mine = range(worker, total, workers)
    conn = MLLPConnection(port, timeout=60)
    inflight = []
    done = 0
    bad = 0
    it = iter(mine)
    exhausted = False
    while True:
        while not exhausted and len(inflight) < window:
            i = next(it, None)
            if i is None:
                exhausted = True
                break
            control = "LOAD-%08d" % i
            conn.send(message(control, i, patients, app="LOADTEST"))
            inflight.append(control)
        if not inflight:
            break
        ack = conn.receive()
        code, ctl = msa(ack)
        expected = inflight.pop(0)
        if code != "AA" or ctl != expected:
            bad += 1
            if bad <= 3:
                failures.put("%s: %s %s" % (expected, code, ctl))
        done += 1
        if done % 200 == 0:
            with counter.get_lock():
                counter.value += 200
    with counter.get_lock():
        counter.value += done % 200
    conn.close()


def rss(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:", "Threads:")):
                    k, v = line.split(":", 1); k += ":"
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--concord", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--messages", "-n", type=int, default=200_000)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--window", type=int, default=32)
    ap.add_argument("--patients", type=int, default=20_000)
    ap.add_argument("--sample-seconds", type=float, default=5)
    ap.add_argument("--csv", default="")
    args = ap.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    gw = Gateway(args.concord, args.workdir, inbox=False)
    gw.start()
    pid = gw.pid
    counter = mp.Value("q", 0)
    failures = mp.Queue()
    stop = threading.Event()
    samples = []
    http_stats = {"ok": 0, "errors": 0, "first_error": ""}
    t0 = time.time()

    def sampler():
        while not stop.is_set():
            r = rss(pid)
            samples.append((time.time() - t0, counter.value, r.get("VmRSS:", 0), r.get("VmHWM:", 0), r.get("Threads:", 0)))
            stop.wait(args.sample_seconds)

    def reader():
        token = gw.tokens["reader"]
        headers = {"Authorization": "Bearer " + token}
        conn = None
        k = 0
        while not stop.is_set():
            k += 1
            path = ["/patients?name=%s&limit=10" % FAMILIES[k % len(FAMILIES)].lower(), "/metrics", "/health",
                    "/patients?identifier=RCH%07d" % (4000000 + k % 1000), "/fhir/Patient?name=%s" % FAMILIES[(k * 7) % len(FAMILIES)].lower()][k % 5]
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", gw.http_port, timeout=30)
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                if resp.status == 200:
                    http_stats["ok"] += 1
                    if path.startswith("/patients?name") and k % 50 == 0:
                        found = json.loads(body)
                        if isinstance(found, list) and found and "id" in found[0]:
                            conn.request("GET", "/patients/%s" % found[0]["id"], headers=headers)
                            r2 = conn.getresponse(); r2.read()
                            http_stats["ok" if r2.status == 200 else "errors"] += 1
                else:
                    http_stats["errors"] += 1
                    http_stats["first_error"] = http_stats["first_error"] or "%s %s %s" % (path, resp.status, body[:100])
            except (OSError, http.client.HTTPException) as e:
                http_stats["errors"] += 1
                http_stats["first_error"] = http_stats["first_error"] or "%s %r" % (path, e)
                conn = None
                time.sleep(0.1)

    st = threading.Thread(target=sampler); st.start()
    rt = threading.Thread(target=reader); rt.start()
    procs = [mp.Process(target=sender, args=(gw.mllp_port, w, args.senders, args.messages, args.window, args.patients, counter, failures))
             for w in range(args.senders)]
    for p in procs: p.start()
    last = 0
    while any(p.is_alive() for p in procs):
        time.sleep(1)
        now = time.time() - t0
        if now - last >= 30:
            last = now
            r = rss(pid)
            print("  %6.0fs %9d ACKed  %7.0f msg/s  RSS %6.1f MiB  http ok %d err %d"
                  % (now, counter.value, counter.value / now, r.get("VmRSS:", 0) / 1024, http_stats["ok"], http_stats["errors"]), flush=True)
    elapsed = time.time() - t0
    stop.set(); st.join(); rt.join()
    r = rss(pid)
    samples.append((elapsed, counter.value, r.get("VmRSS:", 0), r.get("VmHWM:", 0), r.get("Threads:", 0)))
    sender_errors = [p.exitcode for p in procs if p.exitcode != 0]
    fails = []
    while not failures.empty():
        fails.append(failures.get())
    gw.stop()
    con = sqlite3.connect(gw.db)
    stored = con.execute("SELECT count(*), count(DISTINCT control_id), sum(status = 'ingested') FROM message_log").fetchone()
    con.close()
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("seconds,acked,rss_kib,hwm_kib,threads\n")
            for s in samples:
                f.write("%.1f,%d,%d,%d,%d\n" % s)
    rss_values = [s[2] for s in samples if s[2]]
    print("load: %d messages over MLLP (%d senders x window %d, %d patients) in %.0fs = %.0f msg/s; "
          "HTTP reads: %d ok, %d errors" % (counter.value, args.senders, args.window, args.patients, elapsed,
                                           counter.value / elapsed, http_stats["ok"], http_stats["errors"]))
    print("  RSS: start %.1f MiB, peak %.1f MiB, end %.1f MiB (VmHWM %.1f MiB); message_log rows %d, distinct %d, ingested %d"
          % (rss_values[0] / 1024, max(rss_values) / 1024, rss_values[-1] / 1024, samples[-1][3] / 1024, stored[0], stored[1], stored[2] or 0))
    step = max(1, len(samples) // 12)
    print("  RSS over time (s, ACKed, MiB): " + "; ".join("%.0f,%d,%.1f" % (s[0], s[1], s[2] / 1024) for s in samples[::step]))
    problems = []
    if fails: problems.append("non-AA ACKs: %s" % fails)
    if sender_errors: problems.append("sender processes failed: %s" % sender_errors)
    if http_stats["errors"]: problems.append("HTTP errors: %d (%s)" % (http_stats["errors"], http_stats["first_error"]))
    if counter.value != args.messages or stored[0] != args.messages or stored[1] != args.messages or stored[2] != args.messages:
        problems.append("sent %d, ACKed %d, stored %d/%d distinct/%s ingested" % (args.messages, counter.value, stored[0], stored[1], stored[2]))
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    print("OK: every message ACKed AA and stored once, every HTTP read 200")
    return 0


if __name__ == "__main__":
    sys.exit(main())
