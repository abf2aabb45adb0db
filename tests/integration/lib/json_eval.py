"""json_eval.py FILE EXPR: prints EXPR evaluated with d = the JSON in FILE, or
"invalid" when FILE is not JSON (tests/integration/0012-sbctl.sh)."""
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    print("invalid"); sys.exit(0)
print(eval(sys.argv[2]))
