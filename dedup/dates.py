"""Documents' dates (``--date-field``) as instants: "earliest" and ``--window`` compare them in
time, not as strings ("2024-3-9" is before "2024-03-10"; "2024-03-02T01:30:00+03:00" is before
"2024-03-01T23:30:00Z").
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["DATE_FORMS", "parse_date", "within_window"]

DATE_FORMS = "ISO 8601: 2024-03-05, 2024-03-05 10:00, 2024-03-05T10:00:00+03:00"

# What datetime.fromisoformat leaves out: unpadded months and days, "/" between the parts.
_LOOSE = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)


def parse_date(value: str) -> float | None:
    """Seconds since 1970-01-01 UTC of a date or timestamp (:data:`DATE_FORMS`; a time
    without an offset is taken as UTC), or ``None`` when ``value`` is no such date."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        loose = _LOOSE.fullmatch(text)
        if loose is None:
            return None
        year, month, day, hour, minute, second, offset = loose.groups()
        try:
            parsed = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError:
            return None
        if offset:
            zone = _zone(offset)
            if zone is None:
                return None
            parsed = parsed.replace(tzinfo=zone)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _zone(offset: str) -> timezone | None:
    """The zone of an offset ("Z", "+03:00", "-0530"); ``None`` for one no clock has (an
    hour past 23, a minute past 59)."""
    if offset == "Z":
        return UTC
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if offset[0] == "-" else delta)


def within_window(a: float, b: float, days: float | None) -> bool:
    """Whether two instants (:func:`parse_date`; NaN when unknown) are at most ``days`` apart;
    an unknown date is within any window."""
    if days is None or math.isnan(a) or math.isnan(b):
        return True
    return abs(a - b) <= days * 86400.0
