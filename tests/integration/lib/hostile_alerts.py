"""hostile_alerts.py FILE: writes the hostile alerts of
tests/integration/0002-ingest-basics.sh to FILE, one per line."""
import json, sys
good = {"source": "x", "rule": "r", "user": "alice", "occurred_at": "2026-11-29T10:00:00Z"}
cases = [
    b"[" * 10000 + b"]" * 10000,                                   # 10,000 levels deep
    b'{"source":"x","rule":"r","title":"a\x00b","user":"alice"}',
    b'{"source":"x","rule":"r","title":"\x01","user":"alice","occurred_at":"2026-11-29T10:00:00Z"}',
    json.dumps(dict(good, title="x\u0000y")).encode(),             # \u0000 escape
    b'{"source":"x","rule":"r","title":"\xc0\xaf","user":"alice","occurred_at":"2026-11-29T10:00:00Z"}',
    json.dumps(dict(good, title="'; DROP TABLE alerts;--", id="sql-1")).encode(),
    json.dumps(dict(good, title=12345)).encode(),
]
with open(sys.argv[1], "wb") as f:
    for c in cases:
        assert b"\n" not in c
        f.write(c + b"\n")
