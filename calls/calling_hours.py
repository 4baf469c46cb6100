"""Calling hours: the rule lives in ``core.calling_hours`` (``debts`` needs it
too, for the work queue, and sits below ``calls``); re-exported here for
calls' own imports."""
from core.calling_hours import callable_now, customer_zone, local_day_start, next_calling_time, parse_calling_hours

__all__ = ["callable_now", "customer_zone", "local_day_start", "next_calling_time", "parse_calling_hours"]
