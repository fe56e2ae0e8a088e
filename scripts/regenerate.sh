#!/usr/bin/env bash
# Regenerates what the field table (launcher/spec/fields.h) produces:
# schema/mesos-launch.schema.json and the key reference in docs/spec.md.
# Run after changing the table; tests fail until these are current.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${MESOS_LAUNCH:-build/bin/mesos-launch}
"$bin" --schema > schema/mesos-launch.schema.json
python3 - "$bin" <<'PY'
import subprocess, sys
begin = "<!-- BEGIN GENERATED: mesos-launch --spec-reference -->\n"
end = "<!-- END GENERATED -->"
doc = open("docs/spec.md").read()
table = subprocess.run([sys.argv[1], "--spec-reference"], check=True,
                       capture_output=True, text=True).stdout
i = doc.index(begin) + len(begin)
j = doc.index(end)
open("docs/spec.md", "w").write(doc[:i] + table + doc[j:])
PY
echo "regenerated schema/mesos-launch.schema.json and docs/spec.md's key reference"
