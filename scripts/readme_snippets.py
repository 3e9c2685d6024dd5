#!/usr/bin/env python3
"""Writes each README snippet marked `<!-- snippet: FILE#NAME -->` from the region of FILE
between `// README: NAME` and `// README: end`, so that what the README shows is a part
of a program CI builds. `tests/readme.rs` checks they agree; run this after editing one
of those regions: `python3 scripts/readme_snippets.py`."""
import re
import sys

def region(path, name):
    text = open(path).read()
    m = re.search(r"^// README: " + re.escape(name) + r"\n(.*?)^// README: end$", text, re.S | re.M)
    if not m:
        sys.exit(f"{path}: no region {name}")
    return m.group(1)

readme = open("README.md").read()
def replace(m):
    path, name = m.group(1), m.group(2)
    return f"<!-- snippet: {path}#{name} -->\n```rust,ignore\n{region(path, name)}```"
out = re.sub(r"<!-- snippet: ([^#\s]+)#(\S+) -->\n```rust,ignore\n.*?```", replace, readme, flags=re.S)
open("README.md", "w").write(out)
