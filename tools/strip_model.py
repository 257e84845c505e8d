#!/usr/bin/env python3
"""Copy AWS service models into spec/, without their documentation.

Usage: tools/strip_model.py SRC_MODELS_DIR [DEST_DIR]
  SRC_MODELS_DIR  a botocore-style data tree, e.g. ../shared/aws-models
  DEST_DIR        default spec/aws-models

Every JSON file under SRC is rewritten under DEST with the keys
"documentation" and "documentationUrl" removed at every depth, and the
ERRATA below applied. The result is the contract rtstage builds and tests
against; the build never reads SRC.
"""
import json
import os
import sys

DROP = {"documentation", "documentationUrl"}

# Corrections to the published model, each with its reason. A correction
# names the file, the shape, the field, the published value and the fix;
# the tool refuses to run if the published value has changed, so an
# erratum never outlives the defect it mends.
ERRATA = [
    ("ivs-realtime/2020-07-14/service-2.json", "ResourceArn", "pattern",
     "arn:aws:ivs:[a-z0-9-]+:[0-9]+:[a-z-]/[a-zA-Z0-9-]+",
     "arn:aws:ivs:[a-z0-9-]+:[0-9]+:[a-z-]+/[a-zA-Z0-9-]+",
     "the resource type is one character in the published pattern, so no stage or "
     "storage-configuration ARN could be tagged; the real service tags them"),
]


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROP}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    src = argv[1]
    dest = argv[2] if len(argv) == 3 else "spec/aws-models"
    for root, _dirs, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith(".json"):
                continue
            rel = os.path.relpath(os.path.join(root, name), src)
            with open(os.path.join(src, rel), encoding="utf-8") as f:
                data = strip(json.load(f))
            for path, shape, field, published, fixed, why in ERRATA:
                if path == rel.replace(os.sep, "/"):
                    have = data["shapes"][shape].get(field)
                    if have != published:
                        sys.exit("erratum for %s.%s is stale: the model now says %r"
                                 % (shape, field, have))
                    data["shapes"][shape][field] = fixed
                    print("erratum %s.%s: %s" % (shape, field, why))
            out = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, ensure_ascii=False)
                f.write("\n")
            print("wrote", out)


if __name__ == "__main__":
    main(sys.argv)
