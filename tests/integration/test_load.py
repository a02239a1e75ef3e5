"""A short sustained mixed load (load.py: reads, imports, sign-ins, shares) on the real binary over
loopback: every answer is the expected success or the documented 429, every kind of request was
served, and the server's memory comes back near its warm baseline once the load stops.
LOAD_SECONDS (default 20) sets the duration; bench/load.sh runs it longer and reports figures.
"""
import os

from harness import Org, Server, Store
from load import run_load

# Alone, after the parallel tests: its memory figures are the server's, not the neighbours'.
SERIAL = True


def test_load_mixed_sustained_no_errors_memory_returns(serve):
    srv = serve()
    org = Org(srv)
    f = run_load(srv, org, int(os.environ.get("LOAD_SECONDS", "20")))
    for kind in ("list", "items", "flat", "import", "delete", "sign-in", "sign-out", "share", "revoke"):
        assert f["by_kind"].get(kind, 0) > 0, (kind, f)
    # Back near the warm baseline: what the load allocated was returned (the bound is about
    # leaks and unbounded caches, not about timing).
    assert f["rss_after_mb"] <= f["rss_baseline_mb"] * 1.5 + 64, f
