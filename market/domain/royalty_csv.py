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
    """The file has problems; nothing was imported. `problems` lists them by line."""

    code = "csv_rejected"

    def __init__(self, problems: list[str]):
        super().__init__("Nothing was imported: " + "; ".join(problems[:10])
                         + (f"; and {len(problems) - 10} more." if len(problems) > 10 else "."))
        self.problems = problems


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
        raise CsvRejected([f"the header must name the columns {', '.join(REQUIRED_COLUMNS)} "
                           f"(missing: {', '.join(missing)})"])
    reader.fieldnames = header
    rows, problems, seen = [], [], set()
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            problems.append(f"more than {MAX_ROWS} rows; split the file")
            break
        values = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(values.values()):
            continue
        try:
            rows.append(_row(number, values, seen))
        except (ValueError, InvalidAmount) as error:
            problems.append(f"line {number}: {error}")
    if problems:
        raise CsvRejected(problems)
    if not rows:
        raise CsvRejected(["the file has no payment rows"])
    return rows


def _row(number: int, values: dict[str, str], seen: set[str]) -> PaymentRow:
    try:
        received_on = date.fromisoformat(values.get("received_on", ""))
    except ValueError:
        raise ValueError("received_on must be a date like 2026-03-31") from None
    amount = parse_yuan(values.get("amount"))
    reference = values.get("reference", "")
    if not reference or len(reference) > 60:
        raise ValueError("reference (the bank transfer's reference) is required, at most 60 characters")
    if reference in seen:
        raise ValueError(f"the reference {reference} appears twice in the file")
    seen.add(reference)
    sales_text = values.get("reported_sales", "")
    sales = parse_yuan(sales_text, allow_zero=True) if sales_text else None
    return PaymentRow(number, received_on, amount, reference, sales)
