"""``gql.heap.settle``: what a serving process does to its collector once the app is built."""

from __future__ import annotations

import subprocess
import sys

from gql import heap


def test_settle_freezes_what_start_up_made_and_spaces_out_young_collections() -> None:
    # In a process of its own: freezing this test process's objects would outlive the test.
    probe = (
        "import gc; from gql.app import create_app; from gql.config import load_config; from gql import heap; "
        "app = create_app(load_config(), run_worker=False); unfrozen = gc.get_freeze_count(); heap.settle(); "
        "print(unfrozen, gc.get_freeze_count(), *gc.get_threshold())"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    unfrozen, frozen, young, middle, old = map(int, done.stdout.split()[-5:])
    assert unfrozen == 0 and frozen > 50_000  # the modules, the schema and its types: never walked again
    assert (young, middle, old) == (heap.YOUNG_COLLECTION_EVERY, 10, 10)  # only the young threshold moves
