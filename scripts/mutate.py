#!/usr/bin/env python3
"""Mutation check: does the test suite catch deliberate bugs?

Each entry of tests/mutations/mutations.txt is a small, plausible bug (a
library peak matched twice, a ratio term weighted by the wrong m/z, an
unchecked flush...). For each one, in a scratch copy of the working tree:
apply it, rebuild, run the tests, and restore. A mutation is caught when the
build still succeeds and at least one test fails; one that survives means a
hole in the tests. The exit status is 0 only if every mutation is caught.

usage: scripts/mutate.py [--only NAME] [--jobs N] [--keep]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIST = os.path.join(ROOT, "tests", "mutations", "mutations.txt")
# The tests run per mutation: everything but the slow benchmark-like search
# test, the library crash test and the static checkers (they test style, not
# behaviour), and the MPI run (its logic is library code, which test_parts
# covers in one process).
EXCLUDE = "test_flash_search|test_library|test_peer_parity|cli_mpi|clang_format|clang_tidy|cppcheck"


def parse(path):
    muts, cur, mode, buf = [], None, None, []
    for raw in open(path, encoding="utf-8").read().split("\n"):
        if mode in ("find", "replace") and not raw.startswith("--- "):
            buf.append(raw)
            continue
        if raw.startswith("== "):
            name, _, what = raw[3:].partition(":")
            cur = {"name": name.strip(), "what": what.strip()}
            mode = "file"
        elif raw.startswith("--- find"):
            mode, buf = "find", []
        elif raw.startswith("--- replace"):
            cur["find"] = "\n".join(buf)
            mode, buf = "replace", []
        elif raw.startswith("--- end"):
            cur["replace"] = "\n".join(buf)
            muts.append(cur)
            cur, mode = None, None
        elif mode == "file" and raw.strip():
            cur["file"] = raw.strip()
            mode = None
    return muts


def run(cmd, cwd, log, timeout=None):
    with open(log, "ab") as f:
        try:
            return subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                                  timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", help="comma-separated mutation names")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--keep", action="store_true", help="keep the scratch copy")
    a = ap.parse_args()
    muts = parse(LIST)
    if a.only:
        muts = [m for m in muts if m["name"] in a.only.split(",")]
    if not muts:
        sys.exit("mutate: no mutations selected")
    data = os.path.realpath(os.path.join(ROOT, "..", "shared", "data"))
    scratch = tempfile.mkdtemp(prefix="nps_mutate_")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    for f in files:
        if f and os.path.isfile(os.path.join(ROOT, f)):
            os.makedirs(os.path.join(scratch, os.path.dirname(f)), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, f), os.path.join(scratch, f))
    build = os.path.join(scratch, "build")
    log = os.path.join(scratch, "mutate.log")
    print(f"mutate: scratch copy {scratch}; log {log}", flush=True)
    if run(["cmake", "-S", ".", "-B", "build", "-DCMAKE_BUILD_TYPE=Release",
            f"-DNPS_DATA_DIR={data}"], scratch, log) != 0 or \
            run(["cmake", "--build", "build", f"-j{a.jobs}"], scratch, log) != 0:
        sys.exit(f"mutate: the unmutated tree does not build (see {log})")
    ctest = ["ctest", "-j", str(a.jobs), "-E", EXCLUDE, "--timeout", "240"]
    if run(ctest, build, log) != 0:
        sys.exit(f"mutate: the unmutated tree fails its tests (see {log})")
    bad = 0
    for m in muts:
        path = os.path.join(scratch, m["file"])
        src = open(path, encoding="utf-8").read()
        n = src.count(m["find"])
        if n != 1:
            print(f"  {m['name']}: the text to mutate occurs {n} times in {m['file']}: FIX THE LIST")
            bad += 1
            continue
        t0 = time.time()
        with open(path, "w", encoding="utf-8") as f:
            f.write(src.replace(m["find"], m["replace"]))
        try:
            with open(log, "ab") as f:
                f.write(f"\n===== {m['name']}\n".encode())
            if run(["cmake", "--build", "build", f"-j{a.jobs}", "--target", "npsmatch_static",
                    "npsmatch_cli"], scratch, log) != 0:
                verdict, ok = "does not compile (a mutation must build): FIX THE LIST", False
            elif run(["cmake", "--build", "build", f"-j{a.jobs}"], scratch, log) != 0:
                # the build itself uses the tool (the bundled library is built
                # from its MSP source): a failure there is a catch too
                verdict, ok = "caught by the build (the bundled library step fails)", True
            elif run(ctest, build, log) != 0:
                verdict, ok = "caught", True
            else:
                verdict, ok = "SURVIVED: no test fails", False
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(src)
        bad += not ok
        print(f"  {m['name']}: {verdict} ({time.time() - t0:.0f} s) - {m['what']}", flush=True)
    run(["cmake", "--build", "build", f"-j{a.jobs}"], scratch, log)
    if not a.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"mutate: {len(muts) - bad} of {len(muts)} mutations caught")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
