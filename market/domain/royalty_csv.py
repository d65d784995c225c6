"""Reading royalty payments from a CSV statement: strictly, all rows or none."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from market.domain.money import InvalidAmount, parse_yuan
from market.domain.rules import RuleBroken

REQUIRED_COLUMNS = ("received_on", "amount", "reference")
OPTIONAL_COLUMNS = ("reported_sales",)
MAX_ROWS = 2000


class CsvRejected(RuleBroken):
    """The file has problems; nothing was imported. `problems` lists them (refusals, by line where one is at fault)."""

    code, fields = "csv_rejected", ("problems",)


class CsvHeaderIncomplete(RuleBroken):
    """The header names the required columns."""

    code, fields = "csv_header_incomplete", ("columns", "missing")


class CsvTooManyRows(RuleBroken):
    """A file holds at most so many rows."""

    code, fields = "csv_too_many_rows", ("max_rows",)


class CsvNoRows(RuleBroken):
    """The file has no payment rows."""

    code = "csv_no_rows"


class CsvBadDate(RuleBroken):
    """received_on is a date like 2026-03-31."""

    code, fields = "csv_bad_date", ("line",)


class CsvBadReference(RuleBroken):
    """Each row names the bank transfer's reference, at most 60 characters."""

    code, fields = "csv_bad_reference", ("line",)


class CsvDuplicateReference(RuleBroken):
    """A reference appears once in a file."""

    code, fields = "csv_duplicate_reference", ("line", "reference")


class CsvLineRefused(RuleBroken):
    """A row was refused (its amount cannot be read, or its payment cannot be recorded)."""

    code, fields = "csv_line_refused", ("line", "problem")


@dataclass(frozen=True)
class PaymentRow:
    """One payment read from the file."""

    line: int
    received_on: date
    amount_fen: int
    reference: str
    reported_sales_fen: int | None


def parse_payment_csv(text: str) -> list[PaymentRow]:
    """Read rows of received_on (YYYY-MM-DD), amount (yuan), reference[, reported_sales]; raise CsvRejected."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise CsvRejected(problems=[CsvHeaderIncomplete(columns=list(REQUIRED_COLUMNS), missing=missing)])
    reader.fieldnames = header
    rows, problems, seen = [], [], set()
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            problems.append(CsvTooManyRows(max_rows=MAX_ROWS))
            break
        values = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(values.values()):
            continue
        try:
            rows.append(_row(number, values, seen))
        except RuleBroken as error:
            problems.append(error)
    if problems:
        raise CsvRejected(problems=problems)
    if not rows:
        raise CsvRejected(problems=[CsvNoRows()])
    return rows


def _row(number: int, values: dict[str, str], seen: set[str]) -> PaymentRow:
    try:
        received_on = date.fromisoformat(values.get("received_on", ""))
    except ValueError:
        raise CsvBadDate(line=number) from None
    amount = _amount(number, "amount", values.get("amount"))
    reference = values.get("reference", "")
    if not reference or len(reference) > 60:
        raise CsvBadReference(line=number)
    if reference in seen:
        raise CsvDuplicateReference(line=number, reference=reference)
    seen.add(reference)
    sales_text = values.get("reported_sales", "")
    sales = _amount(number, "reported_sales", sales_text, allow_zero=True) if sales_text else None
    return PaymentRow(number, received_on, amount, reference, sales)


def _amount(number: int, column: str, text: str | None, allow_zero: bool = False) -> int:
    try:
        return parse_yuan(text, field=column, allow_zero=allow_zero)
    except InvalidAmount as problem:
        raise CsvLineRefused(line=number, problem=problem) from None
