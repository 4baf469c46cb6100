"""MTN Mobile Money Uganda (``UMTN``): its rules as data (STATEMENT_FORMATS.md)."""
from __future__ import annotations

from statements.engine.rulebook import common
from statements.engine.rulebook.schema import ProviderTable, SpecialRule
from statements.engine.vocabulary import Direction, Format, Provider, SpecialType

# Seed 004: UMTN's own special transaction. Marked; it moves the balance like any payment.
BUNDLE = SpecialRule(SpecialType.BUNDLE, ("bundle",), example="Bundle Purchase 1GB Daily")

TABLE = ProviderTable(
    provider=Provider.UMTN,
    specials=(*common.SPECIALS, BUNDLE),
    # The export's Float Balance by type (an agent's float: a customer's cash-out adds to it).
    credit_types=frozenset({"CASH_OUT", "DEPOSIT", "REFUND", "TRANSFER", "BATCH_TRANSFER"}),
    debit_types=frozenset({"CASH_IN", "BILL PAYMENT", "BILL_PAYMENT", "DEBIT"}),
    positive_is_debit=frozenset({"LOAN_REPAYMENT"}),
    # ADJUSTMENT and unknown types: from how the float balance moved.
    sign_from_balance=True,
    # The customer's MoMo PDF: Cash In adds, Cash Out and Payment subtract; Transfer goes
    # either way (from the balance movement, umtn_pdf.derive_directions).
    format_type_directions={Format.MOMO_PDF: {"CASH IN": Direction.CREDIT, "CASH OUT": Direction.DEBIT, "PAYMENT": Direction.DEBIT}},
    templates={Format.MOMO_PDF: "MTN MoMo PDF"},
    signatures={"MoMo PDF": {"producer": "JasperReports"}},
)
