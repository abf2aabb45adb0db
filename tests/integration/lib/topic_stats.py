#!/usr/bin/env python3
"""topic_stats: summarises a topic dump (key TAB partition TAB offset TAB value
lines, as common.sh's topic_dump writes) for the assertions of a test.

Prints key=value lines:
  total        messages on the topic
  distinct     distinct message_id values (or distinct source positions for
               dead letters, which have no message_id)
  alerts       distinct alert_id values
  invalid      messages that are not JSON objects of the expected schema
  key_mismatch messages whose Kafka key is not the field the contract names
  reason.X     per dead-letter reason (distinct source positions)
  field.X.Y    for --count-field X: distinct messages per value Y of field X
"""
import json
import sys

KEY_FIELD = {"prompt.v1": "employee_id", "escalation-request.v1": "alert_id",
             "outcome.v1": "alert_id"}


def main():
    schema = sys.argv[1]
    count_field = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--count-field" else None
    total = invalid = key_mismatch = 0
    ids, alerts, positions, reasons, fields = set(), set(), {}, {}, {}
    for raw in sys.stdin.buffer:
        parts = raw.rstrip(b"\n").split(b"\t", 3)
        if len(parts) != 4:
            continue
        total += 1
        key = parts[0].decode("utf-8", "replace")
        try:
            msg = json.loads(parts[3])
        except ValueError:
            invalid += 1
            continue
        if not isinstance(msg, dict) or msg.get("schema") != schema:
            invalid += 1
            continue
        if schema == "alert-dlq.v1":
            pos = (msg["topic"], msg["partition"], msg["offset"])
            positions[pos] = msg["reason"]
            continue
        ids.add(msg["message_id"])
        alerts.add(msg["alert_id"])
        if KEY_FIELD.get(schema) and str(msg.get(KEY_FIELD[schema])) != key:
            key_mismatch += 1
        if count_field:
            fields.setdefault(str(msg.get(count_field)), set()).add(msg["message_id"])
    for r in positions.values():
        reasons[r] = reasons.get(r, 0) + 1
    print(f"total={total}")
    print(f"distinct={len(positions) if schema == 'alert-dlq.v1' else len(ids)}")
    print(f"alerts={len(alerts)}")
    print(f"invalid={invalid}")
    print(f"key_mismatch={key_mismatch}")
    for r, n in sorted(reasons.items()):
        print(f"reason.{r}={n}")
    for v, s in sorted(fields.items()):
        print(f"field.{count_field}.{v}={len(s)}")


if __name__ == "__main__":
    main()
