"""dlq_check.py DLQ_DUMP BIN_ALERT: one line per dead letter that
tests/integration/0002-ingest-basics.sh checks (from a topic_dump of alerts.dlq)."""
import base64, json, sys
rows = [l.rstrip(b"\n").split(b"\t", 3) for l in open(sys.argv[1], "rb")]
by_key = {k.decode(): json.loads(v) for k, p, o, v in rows}
orig = open(sys.argv[2], "rb").read().rstrip(b"\n")
d = by_key["key-7"]
print("utf8", d["reason"], d.get("original_encoding"), base64.b64decode(d["original"]) == orig)
d = by_key["key-8"]
print("missing", d["reason"], "occurred_at" in d["detail"], d["original"].startswith('{"source":"x"'))
d = by_key["key-9"]
print("db", d["reason"], "database" in d["detail"])
print("fields", sorted(by_key["key-8"].keys()))
