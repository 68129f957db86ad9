#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (run from the repository root).

Workbook targets: the fixtures of tests/fixtures of the right format. Text targets: every
string literal of the table tests of src/domain/cycle.rs and src/domain/basis.rs; for the basis
target also each (设定依据, 依据层级) pair of the table, joined by a NUL as the target splits it.
"""
import hashlib
import os
import re
import shutil

FIX = "tests/fixtures"
LIT = r'"(?:[^"\\]|\\.)*"'


def unescape(lit):
    body = lit[1:-1]
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n == "u":
            j = body.index("}", i)
            out.append(chr(int(body[i + 3 : j], 16)))
            i = j + 1
            continue
        if n == "\n":  # line continuation
            i += 2
            while i < len(body) and body[i] in " \t\n":
                i += 1
            continue
        out.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}[n])
        i += 2
    return "".join(out)


def write(target, data):
    d = os.path.join("fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def tests_of(path):
    src = open(path, encoding="utf-8").read()
    return src[src.index("#[cfg(test)]") :]


for target, exts in [
    ("import_xlsx", (".xlsx", ".xlsm")),
    ("import_xls", (".xls",)),
    ("import_ods", (".ods",)),
    ("import_csv", (".csv",)),
]:
    for name in sorted(os.listdir(FIX)):
        path = os.path.join(FIX, name)
        # many_members.xlsx (860 KiB) is refused on its central directory: a fixture test covers it.
        if name.endswith(exts) and name != "many_members.xlsx":
            write(target, open(path, "rb").read())

for lit in re.findall(LIT, tests_of("src/domain/cycle.rs")):
    write("cycle", unescape(lit).encode())

basis = tests_of("src/domain/basis.rs")
for lit in re.findall(LIT, basis):
    write("basis", unescape(lit).encode())
for b, _, l in re.findall(r"\(\s*(" + LIT + r")\s*,\s*(None|Some\((" + LIT + r")\))\s*,", basis):
    data = unescape(b) + ("\0" + unescape(l) if l else "")
    write("basis", data.encode())
