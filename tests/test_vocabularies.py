"""The Enums that name what is stored: their values are the stored strings, so no file format changes."""

from __future__ import annotations

import datetime as dt
import json

from cspr.engine.definition.model import Period
from cspr.engine.definition.workdays import PeriodUnit, WorkingCalendar
from cspr.engine.runtime.case import KINDS
from cspr.engine.runtime.kinds import ActionStatus, RecordKind


def test_record_kinds_are_the_stored_strings():
    assert [k.value for k in RecordKind] == ["opened", "transition", "facts", "signoff", "note", "migrated",
                                             "redacted", "action_added", "action_done", "action_dropped",
                                             "party", "extended", "task_added", "task_done", "task_waived"]
    assert KINDS == tuple(RecordKind)
    assert json.dumps({"kind": RecordKind.TRANSITION}) == '{"kind": "transition"}'
    assert RecordKind("signoff") is RecordKind.SIGNOFF and RecordKind.SIGNOFF == "signoff"


def test_period_units_are_the_yaml_keys_and_own_their_words():
    assert [u.value for u in PeriodUnit] == ["working_days", "calendar_days", "months"]
    assert Period(1, PeriodUnit.WORKING_DAYS).words() == "1 working day"
    assert Period(15, PeriodUnit.WORKING_DAYS).words() == "15 working days"
    assert Period(2, PeriodUnit.MONTHS).words() == "2 months"
    assert json.dumps({PeriodUnit.CALENDAR_DAYS: 3}) == '{"calendar_days": 3}'  # the content hash's normal form
    assert WorkingCalendar().shift(dt.date(2023, 5, 2), 5, PeriodUnit.WORKING_DAYS) == dt.date(2023, 5, 10)  # 8 May 2023 was a bank holiday


def test_an_open_action_past_its_due_date_is_overdue():
    today = dt.date(2026, 5, 11)
    assert ActionStatus.on("open", "2026-05-08", today) is ActionStatus.OVERDUE
    assert ActionStatus.on("open", "2026-05-11", today) is ActionStatus.OPEN
    assert ActionStatus.on("done", "2026-05-01", today) is ActionStatus.DONE
    assert [s.value for s in ActionStatus.stored()] == ["open", "done", "dropped"]
    assert (ActionStatus.OVERDUE.label, ActionStatus.DROPPED.heading) == ("OVERDUE", "Dropped")
