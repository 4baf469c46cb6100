from django.db import models


class Bucket(models.TextChoices):
    """Where a debt stands on a snapshot date. The five open buckets are the
    aging report's (boundaries inclusive, as ops read them: "1–30" holds 1
    and 30; "90+" is over 90); a paid-off or settled debt is ``closed`` and a
    written-off one ``written_off``, so roll rates see debts leave the book."""

    CURRENT = "current", "Current"
    D1_30 = "d1_30", "1–30"
    D31_60 = "d31_60", "31–60"
    D61_90 = "d61_90", "61–90"
    D90_PLUS = "d90_plus", "90+"
    CLOSED = "closed", "Closed (paid off / settled)"
    WRITTEN_OFF = "written_off", "Written off"


OPEN_BUCKETS = (Bucket.CURRENT, Bucket.D1_30, Bucket.D31_60, Bucket.D61_90, Bucket.D90_PLUS)
# How bad a bucket is, for "rolled forward" (to a worse bucket); closed is
# not worse than anything (the debt left the book paid).
BUCKET_RANK = {Bucket.CURRENT: 0, Bucket.D1_30: 1, Bucket.D31_60: 2, Bucket.D61_90: 3, Bucket.D90_PLUS: 4, Bucket.WRITTEN_OFF: 5}
# Vintage "30+" and "90+": days past due over 30 / over 90; a written-off
# debt counts in both (it went bad, whatever its days past due).
BUCKETS_30_PLUS = (Bucket.D31_60, Bucket.D61_90, Bucket.D90_PLUS, Bucket.WRITTEN_OFF)
BUCKETS_90_PLUS = (Bucket.D90_PLUS, Bucket.WRITTEN_OFF)


class Period(models.TextChoices):
    WEEK = "week", "Week (Monday to Sunday)"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class Report(models.TextChoices):
    AGING = "aging", "Aging"
    ROLL_RATES = "roll-rates", "Roll rates"
    VINTAGE = "vintage", "Vintage"
    COLLECTION_EFFICIENCY = "collection-efficiency", "Collection efficiency"
    PROMISES = "promises", "Promises to pay"
    AGENTS = "agents", "Agents"
    STATEMENTS = "statements", "Statements"
