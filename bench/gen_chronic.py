#!/usr/bin/env python3
"""Patients with long histories: every message is an ORU^R01 about one of PATIENTS patients, in turn.

Usage: gen_chronic.py CORPUS PATIENTS COUNT OUTPUT

Takes the ORUs of a gen_hl7.py corpus (their OBR/OBX content), gives each message the PID of one of the
first PATIENTS patients of the corpus (identical demographics every time, as a lab feed sends them) and
a control id of its own. After COUNT messages each patient has COUNT / PATIENTS results messages, most
with 5-20 OBX: the load a chronic-care population puts on the fact ledger, where the benchmark corpus
alone is almost all new patients.
"""
import sys

corpus, patients, count, output = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
messages = [m for m in open(corpus, "rb").read().split(b"\n") if m.startswith(b"MSH")]
orus = [m for m in messages if b"|ORU^R01" in m.split(b"\r")[0]]
pids = []
for m in messages:
    pid = next((s for s in m.split(b"\r") if s.startswith(b"PID|")), None)
    if pid is not None:
        pids.append(pid)
    if len(pids) >= patients:
        break
if not orus or len(pids) < patients:
    sys.exit("the corpus has too few ORUs or patients")
with open(output, "wb") as out:
    for i in range(count):
        segments = orus[i % len(orus)].split(b"\r")
        msh = segments[0].split(b"|")
        msh[9] = b"CHR%08d" % i
        segments[0] = b"|".join(msh)
        segments = [pids[i % patients] if s.startswith(b"PID|") else s for s in segments]
        out.write(b"\r".join(segments) + b"\n")
