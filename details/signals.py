"""Signals details sends for the apps above it to act on.

``details_resynced`` is sent (with ``run_ids``) after the scheduled retry
has heard back from the core database about details that were pending:
``statements`` re-enriches the statements of those run_ids. details sits
below statements and cannot call it, so statements listens.
"""
from django.dispatch import Signal

details_resynced = Signal()
