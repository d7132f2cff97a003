"""The one date normaliser: record fields and file names give dates in many spellings; the
corpus stores ISO (`2021-12-20`, or `2021-12` / `2021` when only that much is given).

>>> normalise_date("二〇二一年十二月二十日")
'2021-12-20'
>>> normalise_date("2021/12")
'2021-12'
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

YEARS = (1800, 2100)  # outside these a "date" is a typo or a number, not a newspaper's day

_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0", "Ｏ": "0", "O": "0"}
_FULLWIDTH = str.maketrans("０１２３４５６７８９／－．", "0123456789/-.")
_SEP = r"\s*[-/.年月]\s*"
_PATTERNS = [
    re.compile(rf"(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})\s*日?"),  # 2021-12-20, 2021/12/20, 2021年12月20日
    re.compile(r"(\d{4})(\d\d)(\d\d)"),  # 20211220
    re.compile(rf"(\d{{4}}){_SEP}(\d{{1,2}})\s*月?"),  # 2021-12, 2021年12月
    re.compile(r"(\d{4})\s*年?"),  # 2021, 2021年
]
# an ISO timestamp's time part (2021-12-20T08:00:00+08:00, 2021-12-20 08:00): the day is the date
_TIME_RE = re.compile(r"(?:[T\s]\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)$")


def _chinese_number(s: str) -> str:
    """十二 -> 12, 二十 -> 20, 三十一 -> 31, 二〇二一 -> 2021 (digit by digit)."""
    if "十" not in s:
        return "".join(_DIGITS.get(c, c) for c in s)
    tens, _, units = s.partition("十")
    return str(int(_DIGITS.get(tens, "1") if tens else 1) * 10 + (int(_DIGITS[units]) if units else 0))


_CHINESE_RE = re.compile("([〇一二三四五六七八九零○Ｏ]{4})年(?:([一二三四五六七八九十]{1,3})月(?:([一二三四五六七八九十]{1,3})日)?)?")


def normalise_date(value) -> str:
    """ISO date for a spelling of one; raises ValueError saying why not.

    2021/12/20, 2021年12月20日, 20211220, 二〇二一年十二月二十日 -> 2021-12-20; 2021年12月 -> 2021-12.
    """
    text = str(value).strip().translate(_FULLWIDTH)
    if not text:
        raise ValueError("empty date")
    m = _CHINESE_RE.fullmatch(text)
    if m:
        text = "-".join(_chinese_number(g) for g in m.groups() if g)
    text = _TIME_RE.sub("", text)
    for pattern in _PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            break
    else:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD, YYYY-MM or YYYY)")
    year, month, day = (int(g) for g in m.groups()) if len(m.groups()) == 3 else (*map(int, m.groups()), None, None)[:3]
    if not YEARS[0] <= year <= YEARS[1]:
        raise ValueError(f"year {year} is outside {YEARS[0]}-{YEARS[1]}: {value!r}")
    if month is None:
        return f"{year:04d}"
    if day is None:
        if not 1 <= month <= 12:
            raise ValueError(f"no month {month}: {value!r}")
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"no such day: {value!r}") from None


# --- the dates of filters and periods ---------------------------------------------------------

DATE_RE = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$")


def date_bound(value: str, *, end: bool) -> str:
    """'2024-03' -> '2024-03-01' (start) or '2024-03-31' (end): --to includes the whole period."""
    m = DATE_RE.match(value or "")
    if not m:
        raise ValueError(f"{value!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = m.groups()
    if day:
        if int(day) > calendar.monthrange(int(year), int(month))[1]:
            raise ValueError(f"{value!r} is not a date: {year}-{month} has no day {day}")
        return value
    if month:
        last = calendar.monthrange(int(year), int(month))[1]
        return f"{year}-{month}-{last:02d}" if end else f"{year}-{month}-01"
    return f"{year}-12-31" if end else f"{year}-01-01"


def continuous_periods(first: str, last: str, by: str) -> list[str]:
    """Every year / month / day from first to last, both included."""
    if by == "year":
        return [str(y) for y in range(int(first), int(last) + 1)]
    if by == "month":
        y, m = map(int, first.split("-"))
        out = []
        while f"{y:04d}-{m:02d}" <= last:
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(day + timedelta(days=i)).isoformat() for i in range((end - day).days + 1)]
