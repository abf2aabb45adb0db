"""report_csv_check.py FILE: the totals, rules and comments of `sbctl report
--format csv`, one line each (tests/integration/0012-sbctl.sh)."""
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
total = [r for r in rows if r["section"] == "total"][0]
print(total["alerts"], total["prompted"], total["answered"], total["response_rate"], total["median_answer_seconds"])
print(sorted((r["rule"], r["alerts"]) for r in rows if r["section"] == "rule"))
print(sorted(r["comment"] for r in rows if r["section"] == "flagged"))
