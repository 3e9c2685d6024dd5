#!/usr/bin/env python3
"""The declared MSRV is true: no normal or build dependency of a workspace crate, as
locked, declares a `rust-version` above the crate's own. Older toolchains cannot be
installed here, so this reads `cargo metadata` instead of building with one.

Then the README's promise for the tests: its line "The test command needs Rust X.Y" must
be at least what the workspace's dev-dependencies (and what they depend on) need, as
locked.

Exit 0 when every crate's rust-version is at least what its locked dependencies need
(and says when it is higher than needed) and the README's test version holds; 1
otherwise, naming the dependency.
"""
import json
import os
import re
import subprocess
import sys


def version(text):
    return tuple(int(part) for part in text.split("."))


def closure(nodes, roots, first_kinds):
    """Every package reachable from `roots`: their dependencies of `first_kinds`, then the
    normal and build dependencies of those."""
    seen, stack = set(), []
    for root in roots:
        for dep in nodes[root]["deps"]:
            if any(k["kind"] in first_kinds for k in dep["dep_kinds"]) and dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                stack.append(dep["pkg"])
    while stack:
        for dep in nodes[stack.pop()]["deps"]:
            normal = any(k["kind"] in (None, "build") for k in dep["dep_kinds"])
            if normal and dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                stack.append(dep["pkg"])
    return seen


def highest(packages, seen):
    """The highest rust-version among `seen`: (version tuple, name, package version), and
    the version as text."""
    needs = [
        (version(packages[d]["rust_version"]), packages[d]["name"], packages[d]["version"])
        for d in seen
        if packages[d].get("rust_version")
    ]
    top = max(needs, default=((0,), "nothing", ""))
    return top, ".".join(map(str, top[0]))


def check_readme_tests(packages, nodes, members):
    readme = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")
    m = re.search(r"test command needs Rust (\d+\.\d+)", open(readme, encoding="utf-8").read())
    if not m:
        print("README.md: no line 'The test command needs Rust X.Y'")
        return False
    promised = m.group(1)
    seen = closure(nodes, members, (None, "build", "dev"))
    top, needed = highest(packages, seen)
    if top[0] > version(promised):
        print(f"README: the tests need Rust {promised}, but {top[1]} {top[2]} needs {needed}")
        return False
    print(f"README: the tests need Rust {promised}; the dev-dependencies need {needed} ({top[1]} {top[2]})")
    return True


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
        seen = closure(nodes, [member], (None, "build"))
        top, needed = highest(packages, seen)
        if top[0] > version(declared):
            print(f"{package['name']}: rust-version {declared}, but {top[1]} {top[2]} needs {needed}")
            failed = True
        elif top[0] < version(declared):
            print(f"{package['name']}: rust-version {declared}, dependencies need only {needed} ({top[1]})")
        else:
            print(f"{package['name']}: rust-version {declared} = what {top[1]} {top[2]} needs")
    if not check_readme_tests(packages, nodes, metadata["workspace_members"]):
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
