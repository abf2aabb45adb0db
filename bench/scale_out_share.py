"""scale_out_share.py COUNTS LOG...: each replica's share of the work, for
bench/scale-out. COUNTS holds one input partition number per line (the
whole input topic, from kcat -f '%p\\n'); each LOG is one replica's log,
whose last "kafka: partitions assigned" line names its partitions
("which": "topic[0,3,7]"). A replica's share = the inputs on its partitions
over all inputs. Prints "share=<p1> <p2> ..." (percent, one per replica) and
"moved=1" when a replica logged a revoke after its last assignment (the
partitions moved during the run: the shares are then not exact)."""
import collections, json, re, sys

counts = collections.Counter(int(l) for l in open(sys.argv[1]) if l.strip())
total = sum(counts.values()) or 1
shares, moved = [], 0
for log in sys.argv[2:]:
    owned, last = set(), None
    for line in open(log, errors="replace"):
        if '"kafka: partitions' not in line:
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        last = rec.get("msg", "")
        if last == "kafka: partitions assigned":
            owned = {int(p) for group in re.findall(r"\[([0-9,]*)\]", rec.get("which", ""))
                     for p in group.split(",") if p}
    moved |= last != "kafka: partitions assigned"
    shares.append(100.0 * sum(counts[p] for p in owned) / total)
print("share=" + " ".join("%.1f" % s for s in shares))
print("moved=%d" % moved)
