#!/usr/bin/env bash
# Regenerates what the field table (launcher/spec/fields.h) produces:
# schema/mesos-launch.schema.json, the key reference in docs/spec.md and
# the KEYS section of man/mesos-launch-spec.5; and the --plan goldens.
# Run after changing the table; tests fail until these are current.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${MESOS_LAUNCH:-build/bin/mesos-launch}
"$bin" --schema > schema/mesos-launch.schema.json
python3 - "$bin" <<'PY'
import subprocess, sys

def fill(path, flag, begin, end):
    text = open(path).read()
    generated = subprocess.run([sys.argv[1], flag], check=True,
                               capture_output=True, text=True).stdout
    i = text.index(begin) + len(begin)
    j = text.index(end)
    open(path, "w").write(text[:i] + generated + text[j:])

fill("docs/spec.md", "--spec-reference",
     "<!-- BEGIN GENERATED: mesos-launch --spec-reference -->\n", "<!-- END GENERATED -->")
fill("man/mesos-launch-spec.5", "--spec-reference=man",
     '.\\" BEGIN GENERATED: mesos-launch --spec-reference=man\n', '.\\" END GENERATED')
PY
# The --plan goldens (tests/data/plans): review their diff, it is what
# real agents would get.
for spec in tests/data/plans/*.yaml; do
  "$bin" --plan --executor-uri https://repo.example/mesos-launch-executor \
    --executor-checksum "sha256:$(printf 'a%.0s' $(seq 64))" "$spec" >"${spec%.yaml}.json"
done
echo "regenerated schema/mesos-launch.schema.json, docs/spec.md's key reference," \
  "man/mesos-launch-spec.5's keys and the --plan goldens in tests/data/plans"
