#!/usr/bin/env python3
"""The layers hold: base <- protocol <- storage <- replication <- server.

A file of one layer includes headers of its own layer and those below it only, and each layer's
library (its folder's CMakeLists.txt) and each layer's unit-test binary link only libraries of
the layers below it. Reads the sources and the CMake files as they are; builds nothing.

Usage: layers_test.py ROOT      checks the tree at ROOT
       layers_test.py --self    checks that the checker finds a planted violation of each kind
Prints one line per violation and exits 1 when there is any.
"""
import os
import re
import sys
import tempfile

LAYERS = ["base", "protocol", "storage", "replication", "server"]
RANK = {name: i for i, name in enumerate(LAYERS)}
LIBRARY = {f"typeahead_{name}": name for name in LAYERS}
LIBRARY["typeahead_server_lib"] = "server"
del LIBRARY["typeahead_server"]

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"/]+)/[^"]+"', re.M)
LINK = re.compile(r"target_link_libraries\(\s*(\S+)([^)]*)\)", re.S)


def include_violations(root):
    out = []
    for layer in LAYERS:
        folder = os.path.join(root, layer)
        for dirpath, _, files in os.walk(folder):
            for name in sorted(files):
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for target in INCLUDE.findall(text):
                    if target in RANK and RANK[target] > RANK[layer]:
                        rel = os.path.relpath(path, root)
                        out.append(f"{rel}: {layer} includes {target}/, a layer above it")
    return out


def links(path):
    """(target, [libraries]) for every target_link_libraries in a CMake file."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"#[^\n]*", "", f.read())
    return [(m.group(1), m.group(2).split()) for m in LINK.finditer(text)]


def link_violations(root):
    out = []
    for layer in LAYERS:
        cmake = os.path.join(root, layer, "CMakeLists.txt")
        for target, libs in links(cmake):
            if LIBRARY.get(target) != layer:
                continue  # executables of the layer (the server binary) may link it
            for lib in libs:
                below = LIBRARY.get(lib)
                if below is not None and below != layer and RANK[below] > RANK[layer]:
                    out.append(f"{layer}/CMakeLists.txt: {target} links {lib}, a layer above it")
    # Unit tests of a layer: <layer>_test links that layer's library and those below only.
    for target, libs in links(os.path.join(root, "tests", "CMakeLists.txt")):
        layer = target[: -len("_test")] if target.endswith("_test") else None
        if layer not in RANK:
            continue
        for lib in libs:
            below = LIBRARY.get(lib)
            if below is not None and RANK[below] > RANK[layer]:
                out.append(f"tests/CMakeLists.txt: {target} links {lib}, a layer above {layer}")
    return out


def check(root):
    return include_violations(root) + link_violations(root)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def self_test():
    """Each kind of violation planted in a small tree is found; a clean tree passes."""
    with tempfile.TemporaryDirectory() as root:
        write(f"{root}/storage/a.cc", '#include "protocol/x.h"\n#include "storage/a.h"\n')
        write(f"{root}/storage/CMakeLists.txt",
              "add_library(typeahead_storage a.cc)\n"
              "target_link_libraries(typeahead_storage PUBLIC typeahead_protocol)\n")
        write(f"{root}/tests/CMakeLists.txt",
              "target_link_libraries(storage_test PRIVATE typeahead_storage doctest::doctest)\n")
        clean = check(root)
        if clean:
            return [f"self-test: a clean tree reports {clean}"]
        write(f"{root}/storage/b.h", '#pragma once\n#  include "replication/host.h"\n')
        write(f"{root}/replication/CMakeLists.txt",
              "target_link_libraries(typeahead_replication PUBLIC typeahead_storage\n"
              "  # typeahead_base\n  typeahead_server_lib)\n")
        write(f"{root}/tests/CMakeLists.txt",
              "target_link_libraries(storage_test PRIVATE typeahead_replication)\n")
        found = check(root)
        want = ["storage/b.h", "typeahead_replication links typeahead_server_lib",
                "storage_test links typeahead_replication"]
        missing = [w for w in want if not any(w in line for line in found)]
        if missing or len(found) != len(want):
            return [f"self-test: planted {want}, found {found}"]
    return []


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    problems = self_test() if sys.argv[1] == "--self" else check(sys.argv[1])
    for line in problems:
        print(line)
    if not problems:
        print("layers hold: " + " <- ".join(LAYERS))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
