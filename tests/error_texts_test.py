#!/usr/bin/env python3
"""Every error text the server replies is named once, in server/errors.{h,cc}.

Fails on a string literal in server/ or replication/ (outside errors.h and errors.cc) that
starts like a Redis error reply: an upper-case error code followed by a space (ERR, WRONGTYPE,
NOAUTH, ...) or a raw "-CODE " reply. Tests and tools are not read.

Usage: error_texts_test.py ROOT    checks the tree at ROOT
       error_texts_test.py --self  checks that a planted literal is found and errors.h is not
"""
import os
import re
import sys
import tempfile

CODES = ("ERR|WRONGTYPE|NOAUTH|NOPERM|WRONGPASS|NOPROTO|MISCONF|OOM|READONLY|NOREPLICAS|"
         "MASTERDOWN|EXECABORT|NOMASTERLINK|LOADING|BUSY|DENIED|NOSCRIPT|UNKILLABLE")
# The code and a space: a bare "-NOAUTH" is a prefix matched in a reply we read, not one we send.
LITERAL = re.compile(r'"-?(?:' + CODES + r') [^"]*"')
FOLDERS = ("server", "replication")
HOME = {os.path.join("server", "errors.h"), os.path.join("server", "errors.cc")}


def check(root):
    out = []
    for folder in FOLDERS:
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for name in sorted(files):
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                if rel in HOME:
                    continue
                with open(path, encoding="utf-8", errors="replace") as f:
                    for number, line in enumerate(f, 1):
                        code = line.split("//")[0]
                        for m in LITERAL.finditer(code):
                            out.append(f"{rel}:{number}: error text {m.group(0)} outside "
                                       "server/errors.h")
    return out


def self_test():
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(f"{root}/server")
        with open(f"{root}/server/errors.h", "w") as f:
            f.write('inline constexpr std::string_view kSyntax = "ERR syntax error";\n')
        with open(f"{root}/server/a.cc", "w") as f:
            f.write('// "ERR in a comment" is fine\nvoid F() { Log("ERRORS happen"); }\n')
            f.write('bool Ok(std::string_view l) { return l.starts_with("-NOAUTH"); }\n')
        if check(root):
            return [f"self-test: a clean tree reports {check(root)}"]
        with open(f"{root}/server/a.cc", "a") as f:
            f.write('void G(R& r) { r.Error("ERR syntax error"); }\n')
            f.write('const char* k = "-DENIED no";\n')
        found = check(root)
        if len(found) != 2:
            return [f"self-test: planted 2 literals, found {found}"]
    return []


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    problems = self_test() if sys.argv[1] == "--self" else check(sys.argv[1])
    for line in problems:
        print(line)
    if not problems:
        print("every error text is named in server/errors.h")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
