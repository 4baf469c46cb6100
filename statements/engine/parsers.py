"""The parsers and provider rules the engine uses, registered in one visible list.

Adding a provider or a format is writing its parser (and rules) under
``providers/`` and adding a line here. Nothing registers itself on import.
"""
from __future__ import annotations

from functools import cache

from statements.engine.providers import uatl, umtn, umtn_pdf
from statements.engine.registry import ParserRegistry


@cache
def default_registry() -> ParserRegistry:
    """The engine's registry, built once. Parsers are asked in this order
    and the first that recognises a file reads it."""
    registry = ParserRegistry()
    # MTN's MoMo PDF first: its table header also carries "Transaction Type",
    # which Airtel's format detection takes for format 2 when no marker text is found.
    registry.register_parser(umtn_pdf.MtnMomoPdf())
    registry.register_parser(uatl.AirtelPdfFormat1())
    registry.register_parser(uatl.AirtelPdfFormat2())
    registry.register_parser(uatl.AirtelCsvFormat1())
    registry.register_parser(uatl.AirtelCsvFormat2())
    registry.register_parser(umtn.MtnExport())
    registry.register_rules(uatl.AirtelRules())
    registry.register_rules(umtn.MtnRules())
    return registry
