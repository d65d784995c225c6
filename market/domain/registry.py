"""The IP registry: an asset's legal-status events, which of them hold a sale, and the frozen deadline.

Pure: no Flask, no SQLAlchemy. The IP office publishes legal-status events per registry number (a date and
an event name, e.g. 未缴年费专利权终止); `OFFICE_EVENTS` maps each event we read to our `RegistryStatus`
(docs/registry.md gives the source and the reasons). A status in `HOLDING` puts every open case, auction
round and licence round on the asset on hold; a held deadline keeps the time it had left and gets it back
when the operator resumes.
"""

from __future__ import annotations

import csv
import enum
import io
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from market.domain.errors import Kind
from market.domain.rules import RuleBroken


class RegistryStatus(enum.StrEnum):
    """What the IP office's register says about a right (or its pledge) from an effective date on."""

    IN_FORCE = "in_force"  # granted or restored (权利的恢复)
    LAPSED = "lapsed"  # annual fee not paid, term ended, or surrendered
    INVALIDATED = "invalidated"  # declared invalid as a whole
    PLEDGED = "pledged"  # a pledge registration took effect
    PLEDGE_CHANGED = "pledge_changed"  # the pledge registration was changed
    PLEDGE_RELEASED = "pledge_released"  # the pledge registration was cancelled (注销)
    CHANGED = "changed"  # bibliographic change (owner, name, address) or partial invalidation


# The statuses under which nothing on the asset may be sold or licensed until the operator decides.
HOLDING = frozenset({RegistryStatus.LAPSED, RegistryStatus.INVALIDATED, RegistryStatus.PLEDGE_RELEASED})

# The IP office's legal-status event names (CNIPA 专利法律状态 / 商标公告), as its data spells them.
OFFICE_EVENTS: dict[str, RegistryStatus] = {
    "未缴年费专利权终止": RegistryStatus.LAPSED,
    "专利权有效期届满": RegistryStatus.LAPSED,
    "专利权的主动放弃": RegistryStatus.LAPSED,
    "专利权的无效宣告": RegistryStatus.INVALIDATED,
    "专利权的部分无效宣告": RegistryStatus.CHANGED,
    "专利权的恢复": RegistryStatus.IN_FORCE,
    "专利权质押合同登记的生效": RegistryStatus.PLEDGED,
    "专利权质押合同登记的变更": RegistryStatus.PLEDGE_CHANGED,
    "专利权质押合同登记的注销": RegistryStatus.PLEDGE_RELEASED,
    "专利权人的姓名或者名称、地址的变更": RegistryStatus.CHANGED,
    "著录事项变更": RegistryStatus.CHANGED,
    "变更": RegistryStatus.CHANGED,
    "注册商标注销": RegistryStatus.LAPSED,
    "注册商标无效宣告": RegistryStatus.INVALIDATED,
    "商标专用权质权登记注销": RegistryStatus.PLEDGE_RELEASED,
}


class HoldResolution(enum.StrEnum):
    """How the operator ended a hold."""

    RESUMED = "resumed"  # the right is in force again: the sale goes on with the time it had left
    WITHDRAWN = "withdrawn"  # the round is withdrawn (deposits refunded); the case stays suspended


def holds(status: RegistryStatus) -> bool:
    """Whether a change to this status puts the sales of the asset on hold."""
    return status in HOLDING


# Which deadline of an auction round stops while it is held, by the round's status (domain.auction's
# AuctionStatus values): the one the clock would act on next.
AUCTION_CLOCK = {"open": "ends_at", "first_refusal": "first_refusal_ends_at", "awarded": "payment_due_at",
                 "second_bidder_decision": "second_bidder_decision_due_at",
                 "second_bidder_offered": "second_bidder_answer_due_at"}


def remaining_seconds(deadline: datetime, held_at: datetime) -> int:
    """The whole seconds a deadline still had when it was frozen (none once it has passed)."""
    return max(0, math.ceil((deadline - held_at).total_seconds()))


def resumed_deadline(remaining: int, resumed_at: datetime, *, at_least: timedelta = timedelta(0)) -> datetime:
    """The deadline after a hold: the time it had left, counted from the resumption (never less than
    `at_least`, so that bidders who were stopped a moment before the end can still answer)."""
    return resumed_at + max(timedelta(seconds=remaining), at_least)


# ---- refusals ------------------------------------------------------------------------------------


class AssetOnHold(RuleBroken):
    """The asset's legal status changed at the IP office: bidding and offers wait for the operator."""

    code, kind = "asset_on_hold", Kind.CONFLICT


class HeldByRegistry(RuleBroken):
    """A case held by a registry change resumes from the registry desk, which also restarts its round."""

    code, kind = "held_by_registry", Kind.CONFLICT


class HoldAlreadyResolved(RuleBroken):
    """The hold was already resumed or withdrawn."""

    code, kind = "hold_already_resolved", Kind.CONFLICT


class RightStillNotInForce(RuleBroken):
    """A sale resumes only once the register shows every asset of the case in force again."""

    code, kind, fields = "right_still_not_in_force", Kind.CONFLICT, ("registry_number", "status")


class EffectiveDateInFuture(RuleBroken):
    """A status change is recorded once it has taken effect."""

    code = "registry_date_in_future"


class SourceReferenceRequired(RuleBroken):
    """Each change names the office's document or announcement it comes from."""

    code = "registry_source_required"


# ---- the office's CSV ----------------------------------------------------------------------------

CSV_COLUMNS = ("registry_number", "event_code", "date")
CSV_OPTIONAL = ("source",)
CSV_MAX_ROWS = 5000


class RegistryCsvProblem(RuleBroken):
    """One row of an office CSV that cannot be read (every such problem names its line)."""

    code, fields = "registry_csv_row", ("line",)


class RegistryCsvHeader(RuleBroken):
    """The header names the office's columns."""

    code, fields = "registry_csv_header", ("columns", "missing")


class RegistryCsvNoRows(RuleBroken):
    """The file holds no events."""

    code = "registry_csv_no_rows"


class RegistryCsvTooManyRows(RuleBroken):
    """A file holds at most so many rows."""

    code, fields = "registry_csv_too_many_rows", ("max_rows",)


class RegistryCsvNumberMissing(RegistryCsvProblem):
    code = "registry_csv_number_missing"


class RegistryCsvUnknownEvent(RegistryCsvProblem):
    code, fields = "registry_csv_unknown_event", ("line", "event_code")


class RegistryCsvBadDate(RegistryCsvProblem):
    code, fields = "registry_csv_bad_date", ("line", "value")


class RegistryCsvFutureDate(RegistryCsvProblem):
    code, fields = "registry_csv_future_date", ("line", "effective_on")


class RegistryCsvUnknownAsset(RegistryCsvProblem):
    code, fields = "registry_csv_unknown_asset", ("line", "registry_number")


class RegistryCsvDuplicate(RegistryCsvProblem):
    code, fields = "registry_csv_duplicate", ("line", "first_line")


@dataclass(frozen=True)
class OfficeEvent:
    """One legal-status event read from the office's file."""

    line: int
    registry_number: str
    event_code: str
    status: RegistryStatus
    effective_on: date
    source: str


def parse_office_csv(text: str, *, today: date) -> tuple[list[OfficeEvent], list[RuleBroken]]:
    """Read registry_number, event_code, date (YYYY-MM-DD or YYYYMMDD)[, source]: the events, and every
    problem found (a file with any problem imports nothing; the caller decides)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in CSV_COLUMNS if name not in header]
    if missing:
        return [], [RegistryCsvHeader(columns=list(CSV_COLUMNS), missing=missing)]
    reader.fieldnames = header
    events: list[OfficeEvent] = []
    problems: list[RuleBroken] = []
    seen: dict[tuple[str, str, date], int] = {}
    for line, raw in enumerate(reader, start=2):
        if line - 1 > CSV_MAX_ROWS:
            problems.append(RegistryCsvTooManyRows(max_rows=CSV_MAX_ROWS))
            break
        values = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(values.values()):
            continue
        try:
            event = _event(line, values, today)
        except RegistryCsvProblem as problem:
            problems.append(problem)
            continue
        key = (event.registry_number, event.event_code, event.effective_on)
        if key in seen:
            problems.append(RegistryCsvDuplicate(line=line, first_line=seen[key]))
            continue
        seen[key] = line
        events.append(event)
    if not events and not problems:
        problems.append(RegistryCsvNoRows())
    return events, problems


def _event(line: int, values: dict[str, str], today: date) -> OfficeEvent:
    number = values.get("registry_number", "")
    if not number:
        raise RegistryCsvNumberMissing(line=line)
    code = values.get("event_code", "")
    if code not in OFFICE_EVENTS:
        raise RegistryCsvUnknownEvent(line=line, event_code=code)
    effective_on = _date(line, values.get("date", ""))
    if effective_on > today:
        raise RegistryCsvFutureDate(line=line, effective_on=effective_on)
    return OfficeEvent(line, number, code, OFFICE_EVENTS[code], effective_on, values.get("source", "")[:200])


_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})", re.ASCII)


def _date(line: int, text: str) -> date:
    found = _DATE.fullmatch(text)
    if found and (len(text) == 8 or text.count("-") == 2):  # 2026-03-31 or 20260331, nothing in between
        try:
            return date(*(int(part) for part in found.groups()))
        except ValueError:
            pass
    raise RegistryCsvBadDate(line=line, value=text[:40])
