"""Dates and times as ops staff read them everywhere Django formats one (the
admin's lists and forms, ``{{ value|date }}`` without a format): ``2026-12-04
14:05``, in local time (``TIME_ZONE``, Africa/Kampala). Shorter than Django's
"Dec. 4, 2026, 2:05 p.m.", sortable by eye, the same on every page; amounts
keep no thousands separator here (money has core.money.format_ugx)."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
# What the admin's date and time inputs accept stays Django's default for "en".
