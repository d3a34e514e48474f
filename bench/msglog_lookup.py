"""The message-log lookup by hash with and without migration 6's index (bench/RESULTS.md, session 9).

python3 bench/msglog_lookup.py ROWS: builds a message log of ROWS messages (one in ten without a control id,
1.5 KB bodies) in /tmp/msglog.db, times the lookup a C-CDA or FHIR message makes for an earlier copy,
creates message_log_sha256 and times it again. The columns and indexes are those of the message log.
"""
import sqlite3, os, time, hashlib, sys
path='/tmp/msglog.db'
if os.path.exists(path): os.remove(path)
db=sqlite3.connect(path)
db.executescript("""
CREATE TABLE message_log (id INTEGER PRIMARY KEY, received_at TEXT NOT NULL, channel TEXT NOT NULL, format TEXT,
 sender_application TEXT NOT NULL DEFAULT '', sender_facility TEXT NOT NULL DEFAULT '', control_id TEXT, sha256 TEXT NOT NULL,
 raw BLOB NOT NULL, status TEXT NOT NULL DEFAULT 'received', error TEXT, error_position TEXT, ack BLOB);
CREATE UNIQUE INDEX message_log_control ON message_log (sender_application, sender_facility, control_id) WHERE control_id IS NOT NULL;
CREATE INDEX message_log_status ON message_log (status, id);
""")
n=int(sys.argv[1]); raw=os.urandom(1500)
rows=[]
for i in range(n):
    cid=None if i%10==0 else 'C%d'%i
    rows.append(('2026-12-07T00:00:00Z','mllp','hl7v2','APP','FAC',cid,hashlib.sha256(str(i).encode()).hexdigest(),raw,'ingested'))
db.executemany("INSERT INTO message_log (received_at,channel,format,sender_application,sender_facility,control_id,sha256,raw,status) VALUES (?,?,?,?,?,?,?,?,?)",rows)
db.commit()
q="SELECT id, ack, status FROM message_log WHERE sha256 = ? AND control_id IS NULL AND status != 'failed' ORDER BY id LIMIT 1"
def t(label):
    hs=[hashlib.sha256(('x%d'%i).encode()).hexdigest() for i in range(20)]
    t0=time.perf_counter()
    for h in hs: db.execute(q,(h,)).fetchall()
    print(label, '%.3f ms per lookup'%((time.perf_counter()-t0)/len(hs)*1000), db.execute("EXPLAIN QUERY PLAN "+q,('a',)).fetchall()[0][3])
t('without index:')
db.execute("CREATE INDEX message_log_sha256 ON message_log (sha256) WHERE control_id IS NULL"); db.commit()
t('with index:')
print(sqlite3.sqlite_version)
os.remove(path)
