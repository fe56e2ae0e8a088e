#!/usr/bin/env python3
"""Checks the JSON Schema against the spec corpus with an independent validator.

Every spec in specs/, examples/ and tests/data/specs/good/ must be valid under
schema/mesos-launch.schema.json. Every bad fixture whose first line is
`# schema: reject` must be invalid under it. Prints one line per spec and a
closing "N passed, N failed" line.
"""
import glob
import os
import sys

import jsonschema
import yaml


def main():
    schema_path, root = sys.argv[1], sys.argv[2]
    with open(schema_path) as f:
        import json
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)

    passed = failed = 0
    good = []
    for pattern in ("specs/*.yaml", "examples/*.yaml", "tests/data/specs/good/*.yaml"):
        good += sorted(glob.glob(os.path.join(root, pattern)))
    bad = []
    for path in sorted(glob.glob(os.path.join(root, "tests/data/specs/bad/*.yaml"))):
        # Some bad fixtures are not UTF-8 on purpose; only the marker matters.
        with open(path, encoding="utf-8", errors="replace") as f:
            if f.readline().strip() == "# schema: reject":
                bad.append(path)

    for path, want_valid in [(p, True) for p in good] + [(p, False) for p in bad]:
        name = os.path.relpath(path, root)
        try:
            with open(path) as f:
                document = yaml.safe_load(f)
            errors = list(validator.iter_errors(document))
        except yaml.YAMLError as e:
            errors = [e]
        if (not errors) == want_valid:
            passed += 1
            print(f"ok    {name}")
        else:
            failed += 1
            why = "; ".join(str(getattr(e, "message", e))[:200] for e in errors[:3])
            print(f"FAIL  {name}: expected {'valid' if want_valid else 'invalid'}"
                  + (f" ({why})" if why else ""))
    if len(bad) < 10:
        failed += 1
        print(f"FAIL  only {len(bad)} fixtures are marked '# schema: reject'")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
