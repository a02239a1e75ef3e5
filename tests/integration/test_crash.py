"""kill -9 during concurrent writes, on the real binary (crash_rounds.py has the method): each
round starts the server, lets four clients create, import, replace, share and delete BOMs, kills
the process at a random moment, runs `bomvault check`, and checks every acknowledged write on the
next start. CRASH_ROUNDS (default 20) sets the number of rounds; bench/crash.sh runs many more.
"""
import os

from crash_rounds import run_rounds
from harness import Store


def test_crash_kill9_during_concurrent_writes_loses_nothing_acknowledged(store):
    st = store
    rounds, writes, _ = run_rounds(st, int(os.environ.get("CRASH_ROUNDS", "20")), seed=7)
    assert writes > rounds, "the writers must have had time to write"
