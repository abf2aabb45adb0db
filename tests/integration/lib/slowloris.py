#!/usr/bin/env python3
"""Slow clients: holds N connections to a server, each sending a request a
byte at a time, from many loopback addresses, as an attacker would.

    slowloris.py PORT N ADDRESSES STOP_FILE [--every S]

N connections spread over ADDRESSES source addresses 127.0.0.2 and up;
each sends a POST's first line and then one byte of a header every S
seconds (default 2), never finishing. A connection the server closes is
opened again at once, so N stay open (or being opened) all along. Prints
"OPEN N" once all N are open, "CLOSED n" each time another hundred
connections have been closed by the server, and when STOP_FILE appears:
"OPENED total CLOSED_BY_SERVER n LONGEST seconds" (the longest any
connection stayed open).
"""
import os
import resource
import selectors
import socket
import sys
import time


def main():
    port, n, naddr, stop = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    every = float(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[5] == "--every" else 2.0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 256)), hard))
    sel = selectors.DefaultSelector()
    conns = {}  # socket -> (opened at, next byte at)
    opened = closed = 0
    longest = 0.0
    said_open = False

    def connect(i):
        nonlocal opened
        s = socket.socket()
        s.bind(("127.0.0.%d" % (2 + i % naddr), 0))
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        sel.register(s, selectors.EVENT_READ, i)
        conns[s] = [time.time(), time.time(), False]
        opened += 1

    for i in range(n):
        connect(i)
    while not os.path.exists(stop):
        now = time.time()
        for s, st in list(conns.items()):
            if now >= st[1]:
                try:
                    s.send(b"POST /slack/interactive HTTP/1.1\r\nHost: x\r\nX-Slow: " if not st[2]
                           else b"a")
                    st[2] = True
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    st[1] = now + 3600  # closed: the reader below sees it
                    continue
                st[1] = now + every
        for key, _ in sel.select(timeout=0.2):
            s, i = key.fileobj, key.data
            try:
                data = s.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if data:
                continue  # an answer (408/400): the server ends it next
            longest = max(longest, time.time() - conns[s][0])
            sel.unregister(s)
            s.close()
            del conns[s]
            closed += 1
            if closed % 100 == 0:
                print("CLOSED %d" % closed, flush=True)
            connect(i)
        if not said_open and len(conns) >= n and all(c[2] for c in conns.values()):
            print("OPEN %d" % len(conns), flush=True)
            said_open = True
    print("OPENED %d CLOSED_BY_SERVER %d LONGEST %.1f" % (opened, closed, longest), flush=True)


if __name__ == "__main__":
    main()
