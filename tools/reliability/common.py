"""Shared helpers for the reliability drivers: HL7 message generation, an MLLP client, a managed
`concord serve` process, and the database consistency checks."""
import hashlib
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import time

VT, FS, CR = b"\x0b", b"\x1c", b"\x0d"

FAMILIES = ["WHITFIELD", "RAMAN", "GARCIA", "BRENNAN", "CASTILLO", "NGUYEN", "OKAFOR", "LINDQVIST",
            "HARTMANN", "MORALES", "PATEL", "KOWALSKI", "ABERNATHY", "DUBOIS", "FERGUSON", "YAMAMOTO"]
GIVENS = ["THEODORE", "MARIA", "JONATHAN", "OLIVIA", "PRIYA", "SAMUEL", "GRACE", "HENRY", "AMARA",
          "LUCAS", "NORA", "ELIJAH", "FATIMA", "OWEN", "ISABEL", "MATEO"]
FACILITY = "Riverside Community Hospital^2.16.840.1.113883.3.1234^ISO"
TESTS = [("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", "4.0-5.6"),
         ("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "m[IU]/L", "0.45-4.50"),
         ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", "70-99"),
         ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", "0.6-1.3")]


def patient(i, patients):
    """Deterministic demographics for patient number i (several messages share one patient)."""
    p = i % patients
    rng = random.Random(p)
    family = FAMILIES[p % len(FAMILIES)] + ("" if p < len(FAMILIES) else chr(65 + (p // len(FAMILIES)) % 26) * 2)
    given = GIVENS[rng.randrange(len(GIVENS))]
    dob = "19%02d%02d%02d" % (30 + rng.randrange(70), 1 + rng.randrange(12), 1 + rng.randrange(28))
    sex = "MF"[rng.randrange(2)]
    mrn = "RCH%07d" % (4000000 + p)
    return mrn, family, given, dob, sex


def message(control, i, patients=1000, app="RELTEST"):
    """An ADT^A04 (even i) or an ORU^R01 with one result (odd i), as Epic/Beaker would send them."""
    mrn, family, given, dob, sex = patient(i, patients)
    ts = "2026%02d%02d%02d%02d00-0500" % (1 + i % 12, 1 + i % 28, 6 + i % 12, i % 60)
    pid = ("PID|1||%s^^^RCH&2.16.840.1.113883.3.1234&ISO^MR||%s^%s^^^^^L||%s|%s|||%d MAPLE ST^^SPRINGFIELD^IL^62704^USA^H"
           "||^PRN^PH^^1^217^555%04d" % (mrn, family, given, dob, sex, 100 + i % 900, i % 10000))
    if i % 2 == 0:
        segs = ["MSH|^~\\&|%s|%s|CONCORD|CONCORD|%s||ADT^A04^ADT_A01|%s|P|2.5.1" % (app, FACILITY, ts, control),
                "EVN|A04|%s" % ts, pid,
                "PV1|1|O|CLINIC^^^RCH||||1841293756^PATEL^ANIKA^^^^MD|||||||||||V%s" % control]
    else:
        code, name, unit, ref = TESTS[i % len(TESTS)]
        value = "%.1f" % (4.0 + (i % 50) / 10.0)
        segs = ["MSH|^~\\&|%s|%s|CONCORD|CONCORD|%s||ORU^R01^ORU_R01|%s|P|2.5.1" % (app, FACILITY, ts, control),
                pid,
                "PV1|1|O|RCH LAB^^^RCH||||1841293756^PATEL^ANIKA^^^^MD",
                "ORC|RE|ORD-%s^EPIC|LAB-%s^BEAKER||CM" % (control, control),
                "OBR|1|ORD-%s^EPIC|LAB-%s^BEAKER|%s^%s^LN|||%s||||||||||||||%s||LAB|F" % (control, control, code, name, ts, ts),
                "OBX|1|NM|%s^%s^LN||%s|%s^%s^UCUM|%s|N|||F|||%s" % (code, name, value, unit, unit, ref, ts)]
    return ("\r".join(segs) + "\r").encode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MLLPConnection:
    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""

    def send(self, payload):
        self.sock.sendall(VT + payload + FS + CR)

    def receive(self):
        while True:
            start = self.buf.find(VT)
            end = self.buf.find(FS + CR, start + 1) if start >= 0 else -1
            if start >= 0 and end >= 0:
                frame = self.buf[start + 1:end]
                self.buf = self.buf[end + 2:]
                return frame
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk

    def exchange(self, payload):
        self.send(payload)
        return self.receive()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def msa(ack):
    for line in ack.split(b"\r"):
        if line.startswith(b"MSA|"):
            fields = line.split(b"|")
            return (fields[1].decode() if len(fields) > 1 else "", fields[2].decode() if len(fields) > 2 else "")
    return ("", "")


class Gateway:
    """A `concord serve` process on its own directory and ports."""

    def __init__(self, concord, workdir, inbox=True, admin_token="rel-admin", reader_token="rel-reader",
                 feed_token="rel-feed", idle_timeout=300, stable=0.2, rescan=0.5, log_level="error"):
        self.concord = concord
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.db = os.path.join(self.workdir, "concord.sqlite")
        self.inbox = os.path.join(self.workdir, "inbox")
        self.archive = os.path.join(self.workdir, "archive")
        self.failed = os.path.join(self.workdir, "failed")
        self.mllp_port = free_port()
        self.http_port = free_port()
        self.tokens = {"admin": admin_token, "reader": reader_token, "feed": feed_token}
        config = {
            "database": self.db,
            "mllp": [{"host": "127.0.0.1", "port": self.mllp_port, "idleTimeoutSeconds": idle_timeout}],
            "http": {"host": "127.0.0.1", "port": self.http_port},
            "tokens": [{"name": "rel-" + role, "sha256": hashlib.sha256(tok.encode()).hexdigest(), "role": role}
                       for role, tok in self.tokens.items()],
            "logLevel": log_level,
        }
        if inbox:
            config["inbox"] = {"path": self.inbox, "archive": self.archive, "failed": self.failed,
                               "stableSeconds": stable, "rescanSeconds": rescan}
        else:
            config["inbox"] = None
        self.config_path = os.path.join(self.workdir, "concord.json")
        with open(self.config_path, "w") as f:
            json.dump(config, f, indent=1)
        self.proc = None
        self.starts = 0
        self.log = open(os.path.join(self.workdir, "server.log"), "ab")

    def start(self, timeout=30.0):
        self.proc = subprocess.Popen([self.concord, "serve", "--config", self.config_path],
                                     stdout=self.log, stderr=self.log)
        self.starts += 1
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("concord serve exited with %s (see %s/server.log)" % (self.proc.returncode, self.workdir))
            try:
                socket.create_connection(("127.0.0.1", self.mllp_port), timeout=0.5).close()
                socket.create_connection(("127.0.0.1", self.http_port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("concord serve did not start listening within %ss" % timeout)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode if self.proc else None


def check_database(db, expected_controls=(), expected_sha256=()):
    """The end-state checks. Returns (problems, stats)."""
    problems = []
    con = sqlite3.connect(db, timeout=30)
    q = lambda sql, *a: con.execute(sql, a).fetchall()
    integrity = [r[0] for r in q("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        problems.append("integrity_check: %s" % integrity[:5])
    fk = q("PRAGMA foreign_key_check")
    if fk:
        problems.append("foreign_key_check: %d violations, e.g. %s" % (len(fk), fk[:3]))
    # Every message stored exactly once.
    counts = dict(q("SELECT control_id, count(*) FROM message_log WHERE control_id IS NOT NULL GROUP BY control_id"))
    missing = [c for c in expected_controls if counts.get(c, 0) == 0]
    doubled = [c for c, n in counts.items() if n > 1]
    if missing:
        problems.append("%d messages never stored, e.g. %s" % (len(missing), missing[:5]))
    if doubled:
        problems.append("%d control ids stored more than once, e.g. %s" % (len(doubled), doubled[:5]))
    hashes = dict(q("SELECT sha256, count(*) FROM message_log GROUP BY sha256"))
    missing_docs = [h for h in expected_sha256 if hashes.get(h, 0) == 0]
    if missing_docs:
        problems.append("%d documents never stored" % len(missing_docs))
    not_ingested = q("SELECT status, count(*) FROM message_log WHERE status != 'ingested' GROUP BY status")
    if not_ingested:
        problems.append("messages not ingested: %s" % not_ingested)
    # Index consistency.
    unlinked = q("SELECT count(*) FROM source_records s WHERE s.merged_into IS NULL AND NOT EXISTS "
                 "(SELECT 1 FROM links l WHERE l.record_id = s.id)")[0][0]
    if unlinked:
        problems.append("%d source records linked to no enterprise patient" % unlinked)
    multi = q("SELECT count(*) FROM (SELECT record_id FROM links GROUP BY record_id HAVING count(*) > 1)")[0][0]
    if multi:
        problems.append("%d source records linked more than once" % multi)
    bad_links = q("SELECT count(*) FROM links l WHERE NOT EXISTS (SELECT 1 FROM source_records s WHERE s.id = l.record_id) "
                  "OR NOT EXISTS (SELECT 1 FROM enterprise_patients e WHERE e.id = l.enterprise_id)")[0][0]
    if bad_links:
        problems.append("%d links to missing records or patients" % bad_links)
    orphans = q("SELECT count(*) FROM enterprise_patients e WHERE e.active = 1 AND e.merged_into IS NULL AND NOT EXISTS "
                "(SELECT 1 FROM links l WHERE l.enterprise_id = e.id)")[0][0]
    if orphans:
        problems.append("%d active enterprise patients with no source record" % orphans)
    dangling = q("SELECT count(*) FROM fact_instance f WHERE NOT EXISTS (SELECT 1 FROM source_records s WHERE s.id = f.source_record_id) "
                 "OR (f.message_log_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM message_log m WHERE m.id = f.message_log_id))")[0][0]
    if dangling:
        problems.append("%d dangling fact instances" % dangling)
    dangling_unified = q("SELECT count(*) FROM unified_fact u WHERE NOT EXISTS (SELECT 1 FROM enterprise_patients e WHERE e.id = u.enterprise_id)")[0][0]
    if dangling_unified:
        problems.append("%d unified facts of missing patients" % dangling_unified)
    bad_source = q("SELECT count(*) FROM source_records s WHERE s.message_log_id IS NOT NULL AND NOT EXISTS "
                   "(SELECT 1 FROM message_log m WHERE m.id = s.message_log_id)")[0][0]
    if bad_source:
        problems.append("%d source records of missing messages" % bad_source)
    stats = {
        "messages": q("SELECT count(*) FROM message_log")[0][0],
        "source_records": q("SELECT count(*) FROM source_records")[0][0],
        "enterprise_patients": q("SELECT count(*) FROM enterprise_patients WHERE active = 1")[0][0],
        "fact_instances": q("SELECT count(*) FROM fact_instance")[0][0],
        "links": q("SELECT count(*) FROM links")[0][0],
    }
    con.close()
    return problems, stats
