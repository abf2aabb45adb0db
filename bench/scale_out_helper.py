"""scale_out_helper.py M DIR: M employees (DIR/resp-employees.csv), each with one
"yes" answer to publish (DIR/responses.tsv), for bench/scale-out."""
import json, sys
m, tmp = int(sys.argv[1]), sys.argv[2]
with open(tmp + "/resp-employees.csv", "w") as f:
    f.write("username,email,chat_user_id,aliases\n")
    for i in range(m):
        f.write("r%06d,r%06d@example.com,UR%06d,\n" % (i, i, i))
with open(tmp + "/responses.tsv", "w") as f:
    for i in range(m):
        aid = "%064x" % (i + 1)
        ev = {"schema": "response.v1", "event_id": "scale-%d" % i, "platform": "console",
              "chat_user_id": "UR%06d" % i, "alert_id": aid, "kind": "confirm", "text": "",
              "received_at": "2026-11-29T12:00:00Z"}
        f.write("UR%06d\t%s\n" % (i, json.dumps(ev)))
