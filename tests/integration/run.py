#!/usr/bin/env python3
"""Runs every test_* function in tests/integration/test_*.py against the built binary.

    python3 tests/integration/run.py [build/bomvault] [-k SUBSTRING] [-j JOBS]

Tests are plain functions; a failing assert fails the test. Every test starts its own store and
server on a free port, so tests are independent and run JOBS at a time (default: the number of
cores), each in a child process of its own so a crash or a leaked thread cannot touch another.
Prints one line per test as it finishes, then the failures' output, and closes with
'N passed, N failed'; exits non-zero if anything failed.

A module may set `SERIAL = True` (all its tests) or `SERIAL = {"test_name", ...}` to have those
tests run alone after the parallel ones: tests that measure a process's memory or hold many
sockets open keep their figures meaningful that way.
"""
import concurrent.futures
import importlib.util
import os
import subprocess
import sys
import time
import traceback

here = os.path.dirname(os.path.abspath(__file__))


def load(name):
    spec = importlib.util.spec_from_file_location(name[:-3], os.path.join(here, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def discover(pattern):
    """[(full name, serial)] in file then name order."""
    found = []
    for name in sorted(os.listdir(here)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        module = load(name)
        serial = getattr(module, "SERIAL", False)
        for attr in sorted(vars(module)):
            if attr.startswith("test_") and callable(getattr(module, attr)):
                full = f"{name[:-3]}.{attr}"
                alone = serial is True or (not isinstance(serial, bool) and attr in serial)
                if not pattern or pattern in full:
                    found.append((full, alone))
    return found


def run_one(full):
    """Child mode: runs one test in this process; exit status 0 when it passed."""
    module_name, attr = full.split(".", 1)
    fn = getattr(load(module_name + ".py"), attr)
    try:
        fn()
        return 0
    except Exception:
        traceback.print_exc()
        return 1


def spawn(full):
    started = time.time()
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--one", full],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return full, p.returncode, p.stdout.decode("utf-8", "replace"), time.time() - started


def main():
    args = sys.argv[1:]
    pattern, jobs = "", os.cpu_count() or 2
    if "-k" in args:
        i = args.index("-k")
        pattern = args[i + 1]
        del args[i:i + 2]
    if "-j" in args:
        i = args.index("-j")
        jobs = max(1, int(args[i + 1]))
        del args[i:i + 2]
    if "--one" in args:
        i = args.index("--one")
        full = args[i + 1]
        sys.path.insert(0, here)
        sys.exit(run_one(full))
    os.environ["BOMVAULT_BIN"] = os.path.abspath(args[0] if args else "build/bomvault")
    sys.path.insert(0, here)

    tests = discover(pattern)
    passed, failed = 0, []

    def report(result):
        nonlocal passed
        full, rc, output, seconds = result
        if rc == 0:
            passed += 1
            print(f"ok    {full} ({seconds:.1f}s)", flush=True)
        else:
            failed.append((full, output))
            print(f"FAIL  {full} ({seconds:.1f}s)", flush=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(spawn, t) for t, serial in tests if not serial]
        for future in concurrent.futures.as_completed(futures):
            report(future.result())
    for full, serial in tests:
        if serial:
            report(spawn(full))

    for full, output in failed:
        print(f"\n==== {full}\n{output}", flush=True)
    print(f"integration: {passed} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
