#!/usr/bin/env python3
"""Hostile input against the real `concord serve` binary (the Swift tests in Tests/GatewayTests/Hostile
do the same in-process, one attack per test). Here the attacks run all at once, and a well-behaved
MLLP sender and HTTP reader must be served throughout, with nothing lost:

  - 2,000 idle MLLP connections and 500 idle HTTP connections held open for the whole run;
  - stalled MLLP senders (half a frame) and stalled HTTP clients (half the headers);
  - never-ending MLLP frames (over maxFrameBytes) and noise outside frames;
  - XXE, billion laughs, deep XML and deep JSON posted to POST /messages;
  - bad tokens and SQL metacharacters in query parameters.

Exit status 0 only when every good message got AA and is stored once, every attack got its expected
answer, and the database passes integrity_check.
"""
import argparse
import http.client
import json
import os
import resource
import shutil
import socket
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Gateway, MLLPConnection, message, msa  # noqa: E402

XXE = b'<?xml version="1.0"?><!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>'
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE ClinicalDocument [<!ENTITY lol0 "lollollollol">'
          + "".join('<!ENTITY lol%d "%s">' % (k, ("&lol%d;" % (k - 1)) * 10) for k in range(1, 10))
          + ']><ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol9;</title></ClinicalDocument>').encode()
DEEP_XML = b'<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3">' + b"<component>" * 20000 + b"</component>" * 20000 + b"</ClinicalDocument>"
DEEP_JSON = b'{"resourceType":"Bundle","type":"collection","entry":' + b"[" * 100000 + b"]" * 100000 + b"}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--concord", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--idle-mllp", type=int, default=2000)
    ap.add_argument("--idle-http", type=int, default=500)
    ap.add_argument("--good", type=int, default=200)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.idle_mllp + args.idle_http + 500)), hard))
    shutil.rmtree(args.workdir, ignore_errors=True)
    gw = Gateway(args.concord, args.workdir, inbox=False, idle_timeout=600)
    # A small frame limit for this run.
    cfg = json.load(open(gw.config_path))
    cfg["mllp"][0]["maxFrameBytes"] = 65536
    cfg["http"]["timeoutSeconds"] = 2
    json.dump(cfg, open(gw.config_path, "w"))
    gw.start()
    problems = []
    held = []
    for _ in range(args.idle_mllp):
        held.append(socket.create_connection(("127.0.0.1", gw.mllp_port)))
    for _ in range(args.idle_http):
        held.append(socket.create_connection(("127.0.0.1", gw.http_port)))

    def post(body, token):
        c = http.client.HTTPConnection("127.0.0.1", gw.http_port, timeout=30)
        c.request("POST", "/messages", body=body, headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def get(path, token):
        c = http.client.HTTPConnection("127.0.0.1", gw.http_port, timeout=30)
        c.request("GET", path, headers={"Authorization": "Bearer " + token} if token else {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    attack_results = {}

    def attacks():
        # Stalled senders.
        stalled = [socket.create_connection(("127.0.0.1", gw.mllp_port)) for _ in range(20)]
        for s in stalled:
            s.sendall(b"\x0bMSH|^~\\&|SLOW|SLOW|")
        slow_http = [socket.create_connection(("127.0.0.1", gw.http_port)) for _ in range(20)]
        for s in slow_http:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        # Never-ending frames: an AR, then the connection closes.
        for k in range(5):
            s = socket.create_connection(("127.0.0.1", gw.mllp_port), timeout=10)
            try:
                s.sendall(b"\x0bMSH|^~\\&|FLOOD|FLOOD|||20260915||ADT^A04|FLOOD-%d|P|2.5.1\r" % k)
                for _ in range(32):
                    s.sendall(b"A" * 8192)
            except OSError:
                pass
            reply = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                pass
            attack_results.setdefault("never-ending frame → AR + close", []).append(msa(reply.strip(b"\x0b\x1c\r"))[0] == "AR")
            s.close()
        # Noise outside frames, then a proper frame on the same connection.
        c = MLLPConnection(gw.mllp_port)
        c.sock.sendall(b"\x00\xff" * 100000)
        code, _ = msa(c.exchange(message("NOISE-1", 1, 50, app="HOSTILE")))
        attack_results["noise then frame → AA"] = [code == "AA"]
        c.close()
        # Poisoned documents.
        for name, body in [("xxe", XXE), ("billion laughs", LAUGHS), ("deep XML", DEEP_XML), ("deep JSON", DEEP_JSON)]:
            status, data = post(body, gw.tokens["feed"])
            attack_results["%s → 422" % name] = [status == 422 and b"root:" not in data]
        # Tokens and SQL.
        attack_results["no token → 401"] = [get("/patients?name=a", None)[0] == 401]
        attack_results["bad token → 401"] = [get("/patients?name=a", "nope")[0] == 401]
        attack_results["reader on /messages → 403"] = [get("/messages", gw.tokens["reader"])[0] == 403]
        for p in ["%27%20OR%20%271%27%3D%271", "%27%3B%20DROP%20TABLE%20message_log%3B--"]:
            attack_results.setdefault("SQL in name/identifier → 200", []).append(
                get("/patients?name=%s" % p, gw.tokens["reader"])[0] == 200 and get("/patients?identifier=%s" % p, gw.tokens["reader"])[0] == 200)
        # Stalled HTTP clients are closed by the timeout.
        time.sleep(3)
        closed = 0
        for s in slow_http:
            s.settimeout(2)
            try:
                if s.recv(100) == b"":
                    closed += 1
            except OSError:
                pass
        attack_results["stalled HTTP clients closed at the timeout"] = [closed == len(slow_http)]
        for s in stalled + slow_http:
            s.close()

    good_acks = []

    def good_sender():
        c = MLLPConnection(gw.mllp_port, timeout=30)
        for i in range(args.good):
            code, ctl = msa(c.exchange(message("GOOD-%05d" % i, i, 50, app="HOSTILE")))
            good_acks.append(code == "AA" and ctl == "GOOD-%05d" % i)
            time.sleep(0.01)
        c.close()

    started = time.time()
    threads = [threading.Thread(target=attacks), threading.Thread(target=good_sender)]
    for t in threads: t.start()
    for t in threads: t.join()
    reads_ok = get("/patients?name=whitfield", gw.tokens["reader"])[0] == 200 and get("/health", None)[0] == 200
    for s in held:
        s.close()
    gw.stop()
    con = sqlite3.connect(gw.db)
    good_stored = con.execute("SELECT count(*), count(DISTINCT control_id) FROM message_log WHERE control_id LIKE 'GOOD-%' AND status = 'ingested'").fetchone()
    failed_docs = con.execute("SELECT count(*) FROM message_log WHERE status = 'failed'").fetchone()[0]
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    for name, results in attack_results.items():
        if not all(results):
            problems.append("%s: %d of %d as expected" % (name, sum(results), len(results)))
    if sum(good_acks) != args.good:
        problems.append("good sender: %d of %d AA" % (sum(good_acks), args.good))
    if good_stored != (args.good, args.good):
        problems.append("good messages stored: %s" % (good_stored,))
    if failed_docs != 4:
        problems.append("expected the 4 poisoned documents logged as failed, found %d" % failed_docs)
    if not reads_ok:
        problems.append("reads after the attacks failed")
    if integrity != "ok":
        problems.append("integrity_check: %s" % integrity)
    print("hostile: %d idle MLLP + %d idle HTTP connections held, %d attack kinds, %d good messages sent meanwhile, %.1fs"
          % (args.idle_mllp, args.idle_http, len(attack_results), args.good, time.time() - started))
    for name, results in sorted(attack_results.items()):
        print("  %-45s %s" % (name, "ok" if all(results) else "FAILED"))
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    print("OK: every attack answered as expected; every good message ACKed AA and stored once; integrity_check ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
