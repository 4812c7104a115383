"""Datetimes as Stream Analytics has them: 100 ns ticks, ISO 8601 text with 7 fractional digits.

Inside DuckDB every datetime is a ``TIMESTAMP_NS`` (UTC); Stream Analytics counts time in .NET
ticks of 100 ns, which ``TIMESTAMP_NS`` holds exactly. Datetimes are written the way Azure
writes them, ``2026-11-23T08:15:00.0000000Z``. Input strings are never rewritten: a JSON string
that looks like a date stays the string it was, as in Stream Analytics.
"""

from __future__ import annotations

import re

AZURE_FORMAT = "%Y-%m-%dT%H:%M:%S.%n"
"""strftime for the first 26 characters of Azure's form (nanoseconds cut to 7 digits below)."""

MACROS = [
    # A string with an explicit UTC offset goes through TIMESTAMPTZ (which honours the offset);
    # everything else (``Z`` or no zone: UTC) parses straight to nanoseconds.
    "CREATE MACRO asa_parse_datetime(s) AS CASE "
    "WHEN s LIKE '%Z' OR NOT regexp_matches(s, '[+-][0-9][0-9]:?[0-9][0-9]$') THEN TRY_CAST(s AS TIMESTAMP_NS) "
    "ELSE TRY_CAST(TRY_CAST(s AS TIMESTAMPTZ) AS TIMESTAMP_NS) END",
    "CREATE MACRO asa_try_datetime(x) AS CASE WHEN typeof(x) = 'VARCHAR' "
    "THEN asa_parse_datetime(CAST(x AS VARCHAR)) ELSE TRY_CAST(x AS TIMESTAMP_NS) END",
    "CREATE MACRO asa_datetime(x) AS asa_try_datetime(x)",
    "CREATE MACRO asa_format_datetime(x) AS "
    f"left(strftime(CAST(x AS TIMESTAMP_NS), '{AZURE_FORMAT}'), 27) || 'Z'",
    # Datetimes become Azure's ISO 8601 text; everything else its plain text.
    "CREATE MACRO asa_to_string(x) AS CASE WHEN typeof(x) LIKE 'TIMESTAMP%' "
    "THEN asa_format_datetime(TRY_CAST(CAST(x AS VARCHAR) AS TIMESTAMP_NS)) ELSE CAST(x AS VARCHAR) END",
]
"""DuckDB macros the translated SQL calls."""

_ISO = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,7}))?Z")


def canonical(text: str) -> str:
    """``text`` with every ISO 8601 UTC datetime in it written with 7 fractional digits.

    ``08:15:00Z``, ``08:15:00.000Z`` and Azure's ``08:15:00.0000000Z`` are the same instant;
    expected outputs may be written in any of these forms.
    """
    return _ISO.sub(lambda m: f"{m.group(1)}.{(m.group(2) or '').ljust(7, '0')}Z", text)


__all__ = ["AZURE_FORMAT", "MACROS", "canonical"]
