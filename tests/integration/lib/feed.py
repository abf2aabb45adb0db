"""Steady work for every consuming stage until STOP_FILE exists.

feed.py BROKERS PREFIX EMPLOYEES STOP_FILE: every 50 ms one alert for a
known employee (sb-ingest -> prompt request -> sb-prompt), one for a person
not in the directory (sb-ingest -> escalation request -> sb-escalation) and
one text event from the chat (sb-response), each through kcat.
"""
import json
import os
import subprocess
import sys
import time


def producer(brokers, topic):
    return subprocess.Popen(["kcat", "-P", "-q", "-b", brokers, "-t", topic],
                            stdin=subprocess.PIPE, text=True)


def main():
    brokers, prefix, employees, stop = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    alerts, responses = producer(brokers, prefix + "alerts"), producer(brokers, prefix + "responses")
    n = 0
    while not os.path.exists(stop):
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for user in ("load%d@example.com" % (n % employees), "stranger%d@example.com" % n):
            alerts.stdin.write(json.dumps({
                "source": "feed", "rule": "feed-rule", "id": "feed-%d-%s" % (n, user[:4]),
                "title": "Feed %d" % n, "user": user, "severity": "low",
                "occurred_at": now}) + "\n")
        responses.stdin.write(json.dumps({
            "schema": "response.v1", "event_id": "EvFeed%d" % n, "platform": "console",
            "chat_user_id": "UNOBODY%d" % n, "alert_id": None, "kind": "text",
            "text": "who is asking?", "received_at": now}) + "\n")
        alerts.stdin.flush()
        responses.stdin.flush()
        n += 1
        time.sleep(0.05)
    for p in (alerts, responses):
        p.stdin.close()
        p.wait(timeout=30)
    print(n)


if __name__ == "__main__":
    main()
