#!/usr/bin/env python3
"""Copy AWS service models into spec/, without their documentation.

Usage: tools/strip_model.py SRC_MODELS_DIR [DEST_DIR]
  SRC_MODELS_DIR  a botocore-style data tree, e.g. ../shared/aws-models
  DEST_DIR        default spec/aws-models

Every JSON file under SRC is rewritten under DEST with the keys
"documentation" and "documentationUrl" removed at every depth. The result is
the contract rtstage builds and tests against; the build never reads SRC.
"""
import json
import os
import sys

DROP = {"documentation", "documentationUrl"}


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
            out = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, ensure_ascii=False)
                f.write("\n")
            print("wrote", out)


if __name__ == "__main__":
    main(sys.argv)
