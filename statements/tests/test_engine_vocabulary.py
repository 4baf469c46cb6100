"""One vocabulary: the model choices hold exactly the engine's values (no database)."""
import pytest

from customers import choices as customer_choices
from statements import choices
from statements.engine import vocabulary
from statements.engine.types import ParsedStatement
from statements.engine.vocabulary import Format, Provider, StatementFormat, engine_format


@pytest.mark.parametrize(
    "model_choices, engine_enum",
    [
        (choices.StatementFormat, vocabulary.StatementFormat),
        (choices.StatementStatus, vocabulary.StatementStatus),
        (choices.VerificationStatus, vocabulary.VerificationStatus),
        (choices.BalanceMatch, vocabulary.BalanceMatch),
        (choices.TamperingLevel, vocabulary.TamperingLevel),
        (choices.Direction, vocabulary.Direction),
        # customers sits below statements and cannot import the engine: this test is the link.
        (customer_choices.Provider, vocabulary.Provider),
    ],
)
def test_model_choices_hold_the_engine_values(model_choices, engine_enum):
    assert [(m.name, m.value) for m in model_choices] == [(m.name, m.value) for m in engine_enum]
    assert all(type(m.value) is str for m in model_choices)  # plain strings in migrations and the schema


def test_every_parser_format_has_a_stored_format_and_back():
    for fmt in StatementFormat:
        if fmt is StatementFormat.UNKNOWN:
            assert fmt.provider is None and fmt.engine_format is None
            continue
        assert StatementFormat.of(fmt.provider, fmt.engine_format) is fmt
        assert engine_format(fmt) == fmt.engine_format
    assert {f.engine_format for f in StatementFormat} - {None} == set(Format)


@pytest.mark.parametrize(
    "provider, fmt, stored",
    [
        ("UATL", "pdf_format_1", "uatl_pdf_1"),
        ("UATL", "pdf_format_2", "uatl_pdf_2"),
        ("UATL", "csv_format_1", "uatl_csv_1"),
        ("UATL", "csv_format_2", "uatl_csv_2"),
        ("UMTN", "xlsx", "umtn_xlsx"),
        ("UMTN", "xls", "umtn_xls"),
        ("UMTN", "csv", "umtn_csv"),
        ("UMTN", "pdf_format_1", "unknown"),
        ("UATL", "xlsx", "unknown"),
        ("OTHER", "csv", "unknown"),
    ],
)
def test_statement_format_of_a_parsed_statement(provider, fmt, stored):
    parsed = ParsedStatement(provider=provider, format=fmt, file_kind="", acc_number=None, transactions=[])
    assert parsed.statement_format == stored
    if stored != "unknown":
        assert engine_format(stored) == fmt


def test_engine_format_keeps_a_value_that_names_no_format():
    assert engine_format("unknown") == "unknown"
    assert engine_format("something_else") == "something_else"
    assert Provider.UATL == "UATL"
