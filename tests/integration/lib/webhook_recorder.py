"""webhook_recorder: a tiny HTTP receiver for tests that records every POST,
one JSON line per request in OUT: {"path", "authorization", "content_type",
"body"} (body as text). Answers every POST with STATUS (default 200) and {}.
Standard library only.

    python3 webhook_recorder.py --out FILE [--status N] [--port N]   # prints "PORT <n>" first

tests/integration/0018-alertmanager-sender.sh points Alertmanager at it."""
import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
MAX_BODY = 16 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            self.send_error(413)
            return
        body = self.rfile.read(n)
        rec = {
            "path": self.path,
            "authorization": self.headers.get("Authorization"),
            "content_type": self.headers.get("Content-Type"),
            "body": body.decode("utf-8", "replace"),
        }
        # one line per request, written whole, so a reader never sees half of one
        with LOCK, open(self.server.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, fmt, *args):
        sys.stderr.write("webhook_recorder: " + (fmt % args) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--status", type=int, default=200)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.out = args.out
    server.status = args.status
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
