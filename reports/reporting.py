"""One entry per report: its selector, its tables, and what the API, the
page and the Excel file need to show it. Also the two ways a report leaves
the building: JSON-ready rows and an XLSX workbook."""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.csvsafe import safe_cell
from reports import selectors, tables
from reports.choices import Report
from reports.filters import ReportFilters
from reports.tables import Table

UGX_FORMAT = '#,##0.00 "UGX"'
RATE_FORMAT = "0.00%"
DATE_FORMAT = "yyyy-mm-dd"


@dataclass
class ReportResult:
    report: str
    filters: ReportFilters
    params: dict
    tables: dict[str, Table]
    meta: dict


def _aging(filters: ReportFilters, params: dict) -> tuple[dict, dict]:
    df = selectors.aging(filters=filters)
    as_of = df["snapshot_date"].iloc[0] if not df.empty else None
    return tables.aging_tables(df), {"snapshot_date": as_of.isoformat() if as_of else None}


def _roll(filters: ReportFilters, params: dict) -> tuple[dict, dict]:
    df = selectors.roll_rates(filters=filters, months=params["months"])
    months = sorted({d.isoformat() for d in df["month"]}) if not df.empty else []
    return tables.roll_rate_tables(df), {"months": months}


def _vintage(filters: ReportFilters, params: dict) -> tuple[dict, dict]:
    return tables.vintage_tables(selectors.vintage(filters=filters)), {}


def _efficiency(filters: ReportFilters, params: dict) -> tuple[dict, dict]:
    return tables.efficiency_tables(selectors.collection_efficiency(filters=filters, period=params["period"])), {}


def _promises(filters: ReportFilters, params: dict) -> tuple[dict, dict]:
    return tables.promise_tables(selectors.promises(filters=filters)), {}


def _agents(filters: ReportFilters, params: dict) -> tuple[dict, dict]:
    return tables.agent_tables(selectors.agents(filters=filters)), {}


def _statements(filters: ReportFilters, params: dict) -> tuple[dict, dict]:
    return tables.statement_tables(selectors.statements(filters=filters), selectors.statement_reasons(filters=filters)), {}


BUILDERS: dict[str, Callable[[ReportFilters, dict], tuple[dict, dict]]] = {
    Report.AGING: _aging,
    Report.ROLL_RATES: _roll,
    Report.VINTAGE: _vintage,
    Report.COLLECTION_EFFICIENCY: _efficiency,
    Report.PROMISES: _promises,
    Report.AGENTS: _agents,
    Report.STATEMENTS: _statements,
}


def build(report: str, filters: ReportFilters, params: dict | None = None) -> ReportResult:
    params = params or {}
    built, meta = BUILDERS[report](filters, params)
    return ReportResult(report=report, filters=filters, params=params, tables=built, meta=meta)


# --- JSON ------------------------------------------------------------------------


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT


def json_value(value, kind: str):
    """A cell as JSON: money a string with two places (exact), a rate or
    number a float, an int an int, a date ISO, anything else text."""
    if _missing(value):
        return None
    if kind == "money":
        return str(Decimal(value).quantize(Decimal("0.01")))
    if kind in ("rate", "number"):
        return float(value)
    if kind == "int":
        return int(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def as_json(result: ReportResult) -> dict:
    out = {}
    for name, table in result.tables.items():
        columns = [str(c) for c in table.frame.columns]
        kinds = [table.kind(c) for c in columns]
        out[name] = {
            "title": table.title,
            "columns": [{"name": c, "kind": k} for c, k in zip(columns, kinds, strict=True)],
            "rows": [
                {c: json_value(v, k) for c, k, v in zip(columns, kinds, row, strict=True)}
                for row in table.frame.itertuples(index=False, name=None)
            ],
        }
    return {"report": result.report, "filters": result.filters.as_dict(), "params": result.params, "meta": result.meta, "tables": out}


# --- XLSX ----------------------------------------------------------------------------


def _xlsx_value(value, kind: str):
    if _missing(value):
        return None
    if kind == "money":
        return Decimal(value)
    if kind in ("rate", "number"):
        return float(value)
    if kind == "int":
        return int(value)
    if isinstance(value, date):
        return value
    # Text from the book (branch, employee, agent names) may start like a formula.
    return safe_cell(str(value))


def as_xlsx(result: ReportResult) -> bytes:
    """One sheet per table (plus a first sheet with the filters); money as
    numbers in the UGX format, rates as percentages, every text cell escaped
    against formula injection (``core.csvsafe``)."""
    workbook = Workbook(write_only=True)
    about = workbook.create_sheet("Report")
    about.append(["report", result.report])
    for key, value in {**result.filters.as_dict(), **result.params, **result.meta}.items():
        about.append([key, safe_cell(str(value)) if value is not None else None])
    bold = Font(bold=True)
    formats = {"money": UGX_FORMAT, "rate": RATE_FORMAT, "date": DATE_FORMAT}
    for name, table in result.tables.items():
        sheet = workbook.create_sheet(name[:31])
        columns = [str(c) for c in table.frame.columns]
        kinds = [table.kind(c) for c in columns]
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=safe_cell(column))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.frame.itertuples(index=False, name=None):
            cells = []
            for value, kind in zip(row, kinds, strict=True):
                cell = WriteOnlyCell(sheet, value=_xlsx_value(value, kind))
                if kind in formats:
                    cell.number_format = formats[kind]
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
