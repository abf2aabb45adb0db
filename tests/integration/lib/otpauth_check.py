"""otpauth_check.py URI: "ok" when URI is alice's otpauth:// TOTP URI with a
160-bit secret, else "bad URI" (tests/integration/0008-enroll.sh)."""
import base64, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
q = urllib.parse.parse_qs(u.query)
ok = (u.scheme, u.netloc, u.path) == ("otpauth", "totp", "/securitybot:alice")
ok = ok and q["issuer"] == ["securitybot"] and q["digits"] == ["6"] and q["period"] == ["30"]
s = q["secret"][0]
secret = base64.b32decode(s + "=" * (-len(s) % 8))
ok = ok and q.get("algorithm") == ["SHA1"] and len(secret) == 20
print("ok" if ok else "bad URI")
