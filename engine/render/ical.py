"""Open deadlines as an iCalendar file (RFC 5545) that Outlook and Google Calendar import.

Each deadline is an all-day event on its due date. Its UID is built from the
case reference and the deadline id, so importing a newer file updates the
event instead of adding a copy; SEQUENCE grows with the case's history, so a
moved due date replaces the old one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from typing import Any

PRODID = "-//cspr//case review deadlines//EN"


# RFC 5545 3.3.11: TEXT holds no control character but tab; a line break is written "\n".
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(text: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped; CR, LF, CRLF (and the other line breaks) as
    "\\n", so no value can end its line and start a property of its own; other control characters dropped."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = re.sub("\r\n|[\r\n\x85\u2028\u2029]", "\\\\n", text)
    return _CONTROL.sub("", text)


def _fold(line: str) -> list[str]:
    """Lines of at most 75 octets, continuation lines starting with a space (RFC 5545 3.1)."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode("utf-8")) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return [out[0]] + [" " + part for part in out[1:]]


def uid(ref: str, deadline: str, domain: str) -> str:
    token = hashlib.sha256(f"{ref}\n{deadline}".encode()).hexdigest()[:24]
    return f"{token}@{domain}"


def calendar(deadlines: Iterable[dict[str, Any]], stamp: dt.datetime, domain: str = "cspr.local",
             name: str = "Case review deadlines") -> str:
    """``deadlines``: dicts with ref, deadline, title, due (date), owner (text), state_title, sequence."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{_escape(name)}"]
    when = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for item in deadlines:
        due: dt.date = item["due"]
        summary = f"{item['ref']}: {item['title']} due"
        description = (f"Case {item['ref']} ({item.get('state_title', '')}). Deadline: {item['title']}, due "
                       f"{due.isoformat()}. Owner: {item.get('owner', '')}. See: cspr case show {item['ref']}")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid(item['ref'], item['deadline'], domain)}",
            f"DTSTAMP:{when}",
            f"SEQUENCE:{int(item.get('sequence', 0))}",
            f"DTSTART;VALUE=DATE:{due.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(due + dt.timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))
