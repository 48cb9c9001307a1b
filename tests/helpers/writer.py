"""A separate process that writes to a case database, for the concurrency and crash tests.

    python -m tests.helpers.writer notes DB REF N       N notes on case REF, one command each
    python -m tests.helpers.writer open DB PREFIX N     N new cases PREFIX-1..N with a note each
    python -m tests.helpers.writer race DB REF EVENT    try to record EVENT; print ok or the refusal
    python -m tests.helpers.writer churn DB PREFIX      open and advance cases until killed
    python -m tests.helpers.writer busy DB PREFIX STOP PAUSE
                                                        open cases and record their steps, PAUSE seconds apart,
                                                        until STOP exists
    python -m tests.helpers.writer verify DB N STOP     N full verifications in a row; print each that failed
                                                        as JSON, then create STOP

Each command opens the store, does one transaction and closes it, as the CLI does.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any

from cspr.engine.casebook.book import Casebook
from cspr.engine.definition.catalog import resolve
from cspr.engine.errors import CsprError
from cspr.engine.store.interface import open_store

TODAY = dt.date(2026, 6, 10)


def book(path: str) -> tuple[Any, Casebook]:
    store = open_store(path, create=True)
    return store, Casebook(store, today=TODAY, actor=f"writer-{os.getpid()}")


def one(path: str, action) -> None:
    store, casebook = book(path)
    try:
        action(casebook)
    finally:
        store.close()


def main(argv: list[str]) -> int:
    mode, path = argv[0], argv[1]
    definition = resolve("cspr_pan_lancashire@2025.1")
    if mode == "notes":
        ref, count = argv[2], int(argv[3])
        for i in range(count):
            one(path, lambda b, i=i: b.note(ref, f"note {i} from {os.getpid()}"))
    elif mode == "open":
        prefix, count = argv[2], int(argv[3])
        for i in range(1, count + 1):
            ref = f"{prefix}-{i:03d}"
            one(path, lambda b, ref=ref: b.open_case(ref, definition, dt.date(2026, 6, 1)))
    elif mode == "race":
        ref, event = argv[2], argv[3]
        try:
            one(path, lambda b: b.record(ref, event, on=dt.date(2026, 6, 3)))
            print("ok")
        except CsprError as exc:
            print(f"refused: {exc}")
    elif mode == "churn":
        prefix = argv[2]
        i = 0
        print("started", flush=True)  # imported and ready: the test kills it from now on, not while it starts
        while True:
            i += 1
            ref = f"{prefix}-{i:03d}"
            one(path, lambda b, ref=ref: b.open_case(ref, definition, dt.date(2026, 6, 1), assignments=["harm=died"]))
            one(path, lambda b, ref=ref: b.signoff(ref, "agency_safeguarding_lead", on=dt.date(2026, 6, 1)))
            one(path, lambda b, ref=ref: b.record(ref, "referral_submitted", on=dt.date(2026, 6, 2),
                                                  assignments=["abuse_or_neglect=suspected", "referring_agency=School"]))
            one(path, lambda b, ref=ref: b.note(ref, "x" * 2000, on=dt.date(2026, 6, 2)))
    elif mode == "busy":
        import time

        prefix, stop, pause = argv[2], argv[3], float(argv[4])
        i = 0
        while not os.path.exists(stop):
            i += 1
            ref = f"{prefix}-{i:03d}"
            steps = [lambda b, ref=ref: b.open_case(ref, definition, dt.date(2026, 6, 1), assignments=["harm=died"]),
                     lambda b, ref=ref: b.signoff(ref, "agency_safeguarding_lead", on=dt.date(2026, 6, 1)),
                     lambda b, ref=ref: b.record(ref, "referral_submitted", on=dt.date(2026, 6, 2),
                                                 assignments=["abuse_or_neglect=suspected", "referring_agency=School"]),
                     lambda b, ref=ref: b.note(ref, "busy", on=dt.date(2026, 6, 2))]
            for step in steps:
                one(path, step)
                time.sleep(pause)
    elif mode == "verify":
        import json

        count, stop = int(argv[2]), argv[3]
        try:
            for i in range(count):
                store, casebook = book(path)
                try:
                    report = casebook.verify()
                finally:
                    store.close()
                if not report.ok:
                    print(json.dumps({"run": i, "entries": report.entries, **report.as_dict()}), flush=True)
                print(f"entries {report.entries}", file=sys.stderr, flush=True)
        finally:
            open(stop, "w").close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
