"""dlq_replay_check.py BEFORE AFTER ORIGINALS: the messages new on the alerts topic
(topic dumps BEFORE, AFTER) against the dead letters' keys and originals (hex);
prints their count and whether they match (tests/integration/0012-sbctl.sh)."""
import sys
def rows(path):
    # key TAB partition TAB offset TAB value; values hold no newline or tab
    return {tuple(l.rstrip(b"\n").split(b"\t", 3)) for l in open(path, "rb") if l.strip()}
new = rows(sys.argv[2]) - rows(sys.argv[1])
got = sorted(k.hex() + " " + v.hex() for k, p, o, v in new)
want = sorted(l.strip() for l in open(sys.argv[3]) if l.strip())
print(len(new), got == want)
