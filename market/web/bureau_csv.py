"""CSV export of the settlement and bureau tables: UTF-8 with a BOM (Excel opens Chinese text), yuan as decimals."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

from market.domain.money import fen_to_decimal_string


def yuan(fen: int | None) -> str:
    """An amount for a CSV cell: decimal yuan, empty when there is none."""
    return "" if fen is None else fen_to_decimal_string(fen)


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    """A CSV download."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else _safe(value) for value in row])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _safe(value: object) -> object:
    # a cell starting with = + - @ would be run as a formula by spreadsheets (CSV injection)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
