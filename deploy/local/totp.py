#!/usr/bin/env python3
"""Prints the RFC 6238 TOTP code (HMAC-SHA1, 30 s, 6 digits) of an otpauth:// URI.

    totp.py URI [--step-offset N]

N shifts the time step (e.g. -1 for the previous code, -3 for one that is
too old). Standard library only: an authenticator app, for tests.
"""
import base64
import hashlib
import hmac
import struct
import sys
import time
import urllib.parse


def code(secret_b32, step):
    pad = "=" * (-len(secret_b32) % 8)
    key = base64.b32decode(secret_b32 + pad)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


def main():
    uri = sys.argv[1]
    offset = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--step-offset" else 0
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    print(code(secret, int(time.time()) // 30 + offset))


if __name__ == "__main__":
    main()
