"""The filters every report takes: a date range, branch, employee, and the
provider where it applies (statements). Parsed once, for the API, the
Excel export and the page alike; bad input is refused with a message."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from reports.choices import Period
from statements.choices import Provider

MAX_TEXT = 200
# Dates outside these are refused: the reports step a day, a week, a month
# past date_to and turn days into local datetimes, which overflow near the
# ends of Python's date range (a 500, not an answer).
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)
MAX_RANGE_DAYS = 366 * 10
MAX_MONTHS = 36
DEFAULT_DAYS = 365


@dataclass(frozen=True)
class ReportFilters:
    date_from: date
    date_to: date
    branch: str = ""
    employee: str = ""
    provider: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data["date_from"] = self.date_from.isoformat()
        data["date_to"] = self.date_to.isoformat()
        return data


def _date(params, name: str, errors: dict) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw[:10]) if len(raw) == 10 else date.fromisoformat(raw)
    except ValueError:
        errors[name] = [f"{raw[:40]!r} is not a date in the form YYYY-MM-DD."]
        return None
    if not MIN_DATE <= day <= MAX_DATE:
        errors[name] = [f"A date from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}."]
        return None
    return day


def _text(params, name: str, errors: dict) -> str:
    raw = (params.get(name) or "").strip()
    if len(raw) > MAX_TEXT:
        errors[name] = [f"At most {MAX_TEXT} characters."]
        return ""
    return raw


def parse_filters(params) -> ReportFilters:
    """The filters from a query dict: ``date_from``, ``date_to`` (default the
    last 365 days to today), ``branch``, ``employee`` (the loan book's
    employee id), ``provider``. Raises ``ValidationError`` naming each bad field."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    date_to = _date(params, "date_to", errors) or today
    date_from = _date(params, "date_from", errors) or date_to - timedelta(days=DEFAULT_DAYS)
    provider = _text(params, "provider", errors)
    if provider and provider not in Provider.values:
        errors["provider"] = [f"Unknown provider; one of {', '.join(Provider.values)}."]
    if not errors and date_from > date_to:
        errors["date_from"] = ["date_from is after date_to."]
    if not errors and (date_to - date_from).days > MAX_RANGE_DAYS:
        errors["date_to"] = [f"The range is at most {MAX_RANGE_DAYS} days."]
    filters = ReportFilters(
        date_from=date_from, date_to=date_to, branch=_text(params, "branch", errors), employee=_text(params, "employee", errors),
        provider=provider,
    )
    if errors:
        raise ValidationError(errors)
    return filters


def parse_months(params, default: int = 6) -> int:
    raw = (params.get("months") or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_MONTHS:
        raise ValidationError({"months": [f"A whole number from 1 to {MAX_MONTHS}."]})
    return int(raw)


def parse_period(params, default: str = Period.MONTH) -> str:
    raw = (params.get("period") or "").strip() or default
    if raw not in Period.values:
        raise ValidationError({"period": [f"One of {', '.join(Period.values)}."]})
    return raw
