#!/usr/bin/env bash
# 0001-schemas: every schemas/<name>.v1.json accepts each examples/<name>/valid/*.json
# and rejects each examples/<name>/invalid/*.json, checked by ajv (JSON Schema
# draft 2020-12, strict mode, ajv-formats so "date-time" is enforced).
# test_sb_schema checks the same files against the C validators.
set -euo pipefail

SB_SOURCE_DIR=${SB_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
schemas_dir="$SB_SOURCE_DIR/schemas"
npm_dir="$SB_SOURCE_DIR/var/npm-schemas"
ajv="$npm_dir/node_modules/.bin/ajv"

# Install the pinned tools (tests/schemas/package-lock.json) once; var/ is git-ignored.
# The copied lock file records what is installed; a changed lock reinstalls.
if [[ ! -x "$ajv" ]] || ! cmp -s "$SB_SOURCE_DIR/tests/schemas/package-lock.json" "$npm_dir/package-lock.json"; then
    mkdir -p "$npm_dir"
    cp "$SB_SOURCE_DIR/tests/schemas/package.json" "$SB_SOURCE_DIR/tests/schemas/package-lock.json" "$npm_dir/"
    npm ci --prefix "$npm_dir" --no-audit --no-fund --loglevel=error >&2
fi

ajv_flags=(--spec=draft2020 --strict=true --all-errors -c ajv-formats)
passed=0
failed=0

fail() {
    echo "FAIL: $*" >&2
    failed=$((failed + 1))
}

shopt -s nullglob
schemas=("$schemas_dir"/*.v1.json)
((${#schemas[@]} > 0)) || { echo "FAIL: no schemas in $schemas_dir" >&2; exit 1; }

for schema in "${schemas[@]}"; do
    name=$(basename "$schema" .v1.json)
    # Run from the pinned tree, so "-c ajv-formats" can only load the pinned copy.
    if ! out=$(cd "$npm_dir" && "$ajv" compile "${ajv_flags[@]}" -s "$schema" 2>&1); then
        fail "$schema does not compile in strict mode: $out"
        continue
    fi
    for label in valid invalid; do
        examples=("$schemas_dir/examples/$name/$label"/*.json)
        if ((${#examples[@]} == 0)); then
            fail "$name: no $label examples"
            continue
        fi
        # One ajv run per schema and label (node starts slowly); `ajv test
        # --valid` prints "<file> passed test" for each file that matches
        # the expectation, so every file gets its own verdict.
        data_args=()
        for example in "${examples[@]}"; do
            data_args+=(-d "$example")
        done
        out=$(cd "$npm_dir" && "$ajv" test "${ajv_flags[@]}" -s "$schema" "${data_args[@]}" \
            "--$label" 2>&1) || true
        for example in "${examples[@]}"; do
            if grep -qxF "$example passed test" <<<"$out"; then
                passed=$((passed + 1))
            elif grep -qxF "$example failed test" <<<"$out"; then
                fail "$example should be $label against $name.v1.json; ajv says:
$(awk -v f="$example failed test" '$0 == f {p = 1; next} / (passed|failed) test$/ {p = 0} p' <<<"$out")"
            elif ! node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' \
                "$example" 2>/dev/null; then
                # ajv stops at an unparseable file; such cases (duplicate keys,
                # bad UTF-8, ...) belong in test_sb_schema.c instead.
                fail "$example is not parseable JSON: $(grep '^error:' <<<"$out")"
            else
                fail "$example: ajv gave no verdict: $(grep '^error:' <<<"$out" || head -c 300 <<<"$out")"
            fi
        done
    done
done

echo "schemas: $passed passed, $failed failed"
((failed == 0))
