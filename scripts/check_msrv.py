#!/usr/bin/env python3
"""The declared MSRV is true: no normal or build dependency of a workspace crate, as
locked, declares a `rust-version` above the crate's own. Older toolchains cannot be
installed here, so this reads `cargo metadata` instead of building with one.

Exit 0 when every crate's rust-version is at least what its locked dependencies need
(and says when it is higher than needed); 1 otherwise, naming the dependency.
"""
import json
import subprocess
import sys


def version(text):
    return tuple(int(part) for part in text.split("."))


def main():
    metadata = json.loads(
        subprocess.check_output(
            ["cargo", "metadata", "--format-version", "1", "--locked"], text=True
        )
    )
    packages = {p["id"]: p for p in metadata["packages"]}
    nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}
    failed = False
    for member in metadata["workspace_members"]:
        package = packages[member]
        declared = package.get("rust_version")
        if not declared:
            print(f"{package['name']}: no rust-version declared")
            failed = True
            continue
        seen, stack = set(), [member]
        while stack:
            for dep in nodes[stack.pop()]["deps"]:
                normal = any(k["kind"] in (None, "build") for k in dep["dep_kinds"])
                if normal and dep["pkg"] not in seen:
                    seen.add(dep["pkg"])
                    stack.append(dep["pkg"])
        needs = [
            (version(packages[d]["rust_version"]), packages[d]["name"], packages[d]["version"])
            for d in seen
            if packages[d].get("rust_version")
        ]
        top = max(needs, default=((0,), "nothing", ""))
        needed = ".".join(map(str, top[0]))
        if top[0] > version(declared):
            print(f"{package['name']}: rust-version {declared}, but {top[1]} {top[2]} needs {needed}")
            failed = True
        elif top[0] < version(declared):
            print(f"{package['name']}: rust-version {declared}, dependencies need only {needed} ({top[1]})")
        else:
            print(f"{package['name']}: rust-version {declared} = what {top[1]} {top[2]} needs")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
