#!/usr/bin/env python3
"""Runs every test_* function in tests/integration/test_*.py against the built binary.

    python3 tests/integration/run.py [build/bomvault] [-k SUBSTRING]

Tests are plain functions; a failing assert fails the test. Prints one line per test and closes
with 'N passed, N failed'; exits non-zero if anything failed.
"""
import importlib.util
import os
import sys
import time
import traceback

here = os.path.dirname(os.path.abspath(__file__))
args = sys.argv[1:]
pattern = ""
if "-k" in args:
    i = args.index("-k")
    pattern = args[i + 1]
    del args[i:i + 2]
os.environ["BOMVAULT_BIN"] = os.path.abspath(args[0] if args else "build/bomvault")
sys.path.insert(0, here)

passed, failed = 0, []
for name in sorted(os.listdir(here)):
    if not (name.startswith("test_") and name.endswith(".py")):
        continue
    spec = importlib.util.spec_from_file_location(name[:-3], os.path.join(here, name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for attr in sorted(vars(module)):
        fn = getattr(module, attr)
        if not (attr.startswith("test_") and callable(fn)):
            continue
        full = f"{name[:-3]}.{attr}"
        if pattern and pattern not in full:
            continue
        started = time.time()
        try:
            fn()
            passed += 1
            print(f"ok    {full} ({time.time() - started:.1f}s)", flush=True)
        except Exception:
            failed.append(full)
            print(f"FAIL  {full} ({time.time() - started:.1f}s)\n{traceback.format_exc()}", flush=True)

print(f"integration: {passed} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
