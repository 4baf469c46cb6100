"""Airtel Money Uganda (``UATL``): its rules as data (STATEMENT_FORMATS.md)."""
from __future__ import annotations

from decimal import Decimal

from statements.engine.rulebook import common
from statements.engine.rulebook.schema import ChargeRule, ProviderTable
from statements.engine.vocabulary import Format, ImplicitCharge, Provider, SpecialType

TABLE = ProviderTable(
    provider=Provider.UATL,
    specials=common.SPECIALS,
    # Format 2's Status column: listed, but not transactions.
    not_completed={"FAILED": SpecialType.FAILED, "ROLLBACKED": SpecialType.ROLLED_BACK},
    implicit_charges=(
        ChargeRule(ImplicitCharge.IND02_COMMISSION, "IND02", Decimal("0.005"), unless=("IND01",), example="Cash In IND02 to 0700"),
        ChargeRule(ImplicitCharge.MERCHANT_CASHBACK, "MERCHANT PAYMENT OTHER SINGLE STEP", Decimal("0.04"),
                   example="MERCHANT PAYMENT OTHER SINGLE STEP to JUMIA UG"),
    ),
    # Format 2 amounts are signed and already include the fee; format 1 has it apart.
    fee_inside_amount=(Format.PDF_FORMAT_2, Format.CSV_FORMAT_2),
    templates={Format.PDF_FORMAT_1: "Airtel PDF format 1", Format.PDF_FORMAT_2: "Airtel PDF format 2"},
    signatures={
        "format 1": {"title": "PDF Template", "producer": "Qt 4.8.7"},
        "format 2": {"creator": "MOBIQUITY", "producer": "iText 5.3.4"},
    },
    editors=("microsoft", "word", "excel", "powerpoint", "libreoffice", "openoffice", "wps office", "foxit", "nitro",
             "pdfelement", "sejda", "ilovepdf", "smallpdf", "pdf-xchange", "adobe acrobat", "canva", "google docs"),
)
