"""The registry: which parser reads a file, and each provider's rules.

It knows no provider: ``parsers.default_registry`` builds the one the
engine uses, registering every parser and rule set in one visible list
(tests may build their own).
"""
from __future__ import annotations

from statements.engine.base import ProviderRules, StatementParser
from statements.engine.errors import UnknownFormat
from statements.engine.families import family_of
from statements.engine.source import Source
from statements.engine.vocabulary import FileKind


class ParserRegistry:
    """Parsers in the order they are asked, and one ``ProviderRules`` per provider."""

    def __init__(self) -> None:
        self.parsers: list[StatementParser] = []
        self.rules: dict[str, ProviderRules] = {}

    def register_parser(self, parser: StatementParser) -> None:
        """Ask ``parser`` after those registered before it (the first that detects a file reads it)."""
        self.parsers.append(parser)

    def register_rules(self, rules: ProviderRules) -> None:
        self.rules[rules.provider] = rules

    def rules_for(self, provider: str) -> ProviderRules:
        """The provider's rules (its family's for a code such as ``UMTN2``,
        ``families``); the defaults of ``ProviderRules`` for a provider without its own."""
        return self.rules.get(provider) or self.rules.get(family_of(provider)) or ProviderRules()

    def choose_parser(self, source: Source, provider: str | None = None) -> StatementParser:
        """The parser for this file: detected from its content; an explicit
        provider hint (from the statement request) restricts the choice to
        its family's parsers (``families``: ``UMTN2`` is read as ``UMTN``)."""
        candidates = [p for p in self.parsers if source.kind in p.kinds]
        detected = [p for p in candidates if p.detect(source)]
        if provider:
            family = family_of(provider)
            hinted = [p for p in detected if p.provider == family]
            if hinted:
                return hinted[0]
            if detected:
                other = detected[0]
                unmapped = "" if family != provider or provider in {p.provider for p in self.parsers} else (
                    f"; if {provider} is a {other.provider} code, map it in PROVIDER_FAMILIES ({provider}={other.provider})")
                raise UnknownFormat(
                    f"the statement request says provider {provider}, but this {source.kind} file is a {other.provider} "
                    f"statement ({other.format}){unmapped}"
                )
            # Nothing recognised the file, but the request names the provider and
            # only one of its parsers reads this kind of file: let that parser
            # say what is wrong (e.g. which required columns are missing) rather
            # than a vague "unknown format".
            only = [p for p in candidates if p.provider == family]
            if len(only) == 1:
                return only[0]
        if detected:
            return detected[0]
        raise UnknownFormat(_no_parser_message(source))


def _no_parser_message(source: Source) -> str:
    if source.kind == FileKind.PDF:
        first = source.page1_text().strip().splitlines()[:1]
        return (
            "a PDF that is no known statement format: page 1 has neither 'AIRTEL MONEY STATEMENT' nor 'USER STATEMENT' "
            f"nor a known transaction table header (Airtel's, or MTN MoMo's with Fees and Taxes; it starts {first[0][:60]!r})"
            if first else "a PDF with no text on page 1"
        )
    if source.kind in (FileKind.CSV, FileKind.GZIP_CSV):
        rows = [r for r in source.csv_rows() if any(cell.strip() for cell in r)][:1]
        start = ", ".join(rows[0])[:80] if rows else "(empty)"
        return (
            "a CSV file with no statement header: expected Airtel's 'Transaction ID' and 'Transaction Date' "
            f"columns or MTN's 'Date / Time' ... 'Float Balance' columns; the first line is {start!r}"
        )
    return f"a {source.kind} file with no known statement header in its first row"
