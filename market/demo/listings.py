"""Bulk public listings for speed checks and a full-looking catalogue: N published cases in one go.

Everything is inserted with multi-row INSERT ... RETURNING (firms, assets, pledges, loans, cases and a short
audit trail per case, hash-chained in Python), so 10,000 listings take a few seconds on either engine.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import is_postgresql
from market.demo import vocabulary
from market.domain.roles import InstitutionKind, Role
from market.domain.rules import DEFAULT_RULES, min_first_start_fen, min_next_start_fen
from market.domain.workflow import REVIEW_CHECKS, CaseFacts, CaseState, Channel, deadline
from market.models import (
    PPM,
    AuditEvent,
    DisposalCase,
    Enterprise,
    Institution,
    IPAsset,
    LegalStatus,
    Loan,
    LoanStatus,
    Pledge,
    case_asset,
    pledge_asset,
)
from market.services import audit
from market.services.catalogue import search_text_for

S = CaseState
REGIONS = ["北京", "上海", "深圳", "苏州", "杭州", "武汉", "成都", "西安", "合肥", "南京", "广州", "天津"]
FIRM_WORDS = ["智芯", "华锐", "中科", "恒通", "博安", "星河", "瑞康", "天成", "蓝海", "鼎信", "新元", "凯达", "远航",
              "睿视", "微纳", "国芯", "康泰", "绿源"]
STATE_MIX = [(S.NOTICE_PUBLISHED, 30), (S.AUCTION, 20), (S.AWAITING_CHANNEL, 8), (S.NEGOTIATED_SALE, 10),
             (S.LICENSING, 5), (S.CONVERSION, 3), (S.CLAIM_TRANSFER, 2), (S.AWAITING_PAYMENT, 5), (S.DISPOSED, 5),
             (S.SETTLED, 3), (S.TRANSFER_RECORDED, 2), (S.CLOSED, 7)]
# The audit trail each listing gets after filing and publication: (action, from, to).
AUCTIONED = [("open_auction", S.NOTICE_PUBLISHED, S.AUCTION)]
WON = AUCTIONED + [("auction_won", S.AUCTION, S.AWAITING_PAYMENT)]
PAID = WON + [("buyer_paid", S.AWAITING_PAYMENT, S.DISPOSED)]
SETTLED = PAID + [("settle", S.DISPOSED, S.SETTLED)]
RECORDED = SETTLED + [("record_transfer", S.SETTLED, S.TRANSFER_RECORDED)]
HISTORY = {
    S.NOTICE_PUBLISHED: [], S.AUCTION: AUCTIONED,
    S.AWAITING_CHANNEL: AUCTIONED + [("auction_failed", S.AUCTION, S.AWAITING_CHANNEL)],
    S.NEGOTIATED_SALE: AUCTIONED + [("auction_failed", S.AUCTION, S.AWAITING_CHANNEL),
                                    ("open_auction", S.AWAITING_CHANNEL, S.AUCTION),
                                    ("auction_failed", S.AUCTION, S.NEGOTIATED_SALE)],
    S.LICENSING: [("start_licensing", S.NOTICE_PUBLISHED, S.LICENSING)],
    S.CONVERSION: [("start_conversion", S.NOTICE_PUBLISHED, S.CONVERSION)],
    S.CLAIM_TRANSFER: [("start_claim_transfer", S.NOTICE_PUBLISHED, S.CLAIM_TRANSFER)],
    S.AWAITING_PAYMENT: WON, S.DISPOSED: PAID, S.SETTLED: SETTLED, S.TRANSFER_RECORDED: RECORDED,
    S.CLOSED: RECORDED + [("close", S.TRANSFER_RECORDED, S.CLOSED)],
}
CHANNEL_OF = {S.AUCTION: Channel.AUCTION, S.NEGOTIATED_SALE: Channel.NEGOTIATED_SALE, S.LICENSING: Channel.LICENSING,
              S.CONVERSION: Channel.CONVERSION, S.CLAIM_TRANSFER: Channel.CLAIM_TRANSFER}


def seed_listings(session: so.Session, now: datetime, n: int, *, seed: int = 20261124) -> int:
    """Bulk-create n published cases (with their firms, assets, pledges and loans); returns n."""
    rng = random.Random(seed + n)
    banks = _bank_ids(session)
    base = {model: session.scalar(sa.select(sa.func.coalesce(sa.func.max(model.id), 0))) or 0
            for model in (Enterprise, IPAsset, Pledge, Loan, DisposalCase)}
    firm_rows = [_firm(rng, base[Enterprise] + i) for i in range(max(20, n // 25))]
    firms = _insert(session, Enterprise, firm_rows, "credit_code")
    firm_facts = {fid: (row["industry"], row["region"]) for fid, row in zip(firms, firm_rows, strict=True)}
    plans = [_plan(rng, now, banks, firms, firm_facts, i) for i in range(n)]

    seq = base[IPAsset]
    asset_rows = []
    for plan in plans:
        for kind in plan.kinds:
            seq += 1
            title, number = vocabulary.asset_title_and_number(kind, seq, rng, firm_facts[plan.firm][0])
            asset_rows.append(dict(kind=kind, registry_number=number, title=title, owner_id=plan.firm, co_owners=[],
                                   legal_status=LegalStatus.VALID,
                                   expires_on=(now + timedelta(days=rng.randint(400, 5000))).date()))
    asset_ids = _insert(session, IPAsset, asset_rows, "registry_number")
    assets_of, cursor = [], 0
    for plan in plans:
        count = len(plan.kinds)
        assets_of.append(list(zip(asset_ids[cursor:cursor + count], asset_rows[cursor:cursor + count], strict=True)))
        cursor += count

    pledges = _insert(session, Pledge, [dict(
        registration_number=f"Y{plan.filed.year}97{base[Pledge] + i + 1:07d}", pledgee_id=plan.bank,
        secured_amount_fen=plan.principal, registered_on=(plan.filed - timedelta(days=500)).date(),
        released_on=plan.at["record_transfer"].date() if "record_transfer" in plan.at else None)
        for i, plan in enumerate(plans)], "registration_number")
    session.execute(sa.insert(pledge_asset), [{"pledge_id": pledges[i], "asset_id": aid}
                                              for i in range(n) for aid, _ in assets_of[i]])
    loans = _insert(session, Loan, [_loan(plan, pledges[i], base[Loan] + i + 1) for i, plan in enumerate(plans)],
                    "contract_number")
    case_rows = [_case(plan, loans[i], assets_of[i], firm_facts[plan.firm], base[DisposalCase] + i + 1, now)
                 for i, plan in enumerate(plans)]
    cases = _insert(session, DisposalCase, case_rows, "reference")
    session.execute(sa.insert(case_asset), [{"case_id": cases[i], "asset_id": aid}
                                            for i in range(n) for aid, _ in assets_of[i]])
    _audit(session, [(cases[i], plans[i]) for i in range(n)])
    session.flush()
    return n


def _bank_ids(session: so.Session) -> list[int]:
    banks = list(session.scalars(sa.select(Institution.id).where(Institution.kind == InstitutionKind.BANK)))
    if banks:
        return banks
    bank = Institution(name="基准测试银行", kind=InstitutionKind.BANK, credit_code="91BENCHBANK0000001",
                       region="北京", licensed_financial=True)
    session.add(bank)
    session.flush()
    return [bank.id]


def _insert(session: so.Session, model, rows: list[dict], key: str) -> list[int]:
    """Insert rows in multi-row batches, then read their ids back by a unique column (RETURNING with a
    guaranteed order would make SQLite insert row by row)."""
    if not rows:
        return []
    floor = session.scalar(sa.select(sa.func.coalesce(sa.func.max(model.id), 0)))
    session.execute(model.__table__.insert(), rows)
    column = getattr(model, key)
    ids = dict(session.execute(sa.select(column, model.id).where(model.id > floor)).all())
    return [ids[row[key]] for row in rows]


def _firm(rng: random.Random, seq: int) -> dict:
    # every region and every industry among any dozen firms, every pairing among sixty
    region = REGIONS[seq % len(REGIONS)]
    industry = vocabulary.NAMES[seq % len(vocabulary.NAMES)]
    name = f"{region}{rng.choice(FIRM_WORDS)}{industry[:2]}科技有限公司（{seq + 1:05d}）"
    return dict(name=name, credit_code=f"91BENCH{seq + 1:011d}", industry=industry, region=region, whitelisted=False)


def _pick(rng: random.Random, mix):
    return rng.choices([value for value, _ in mix], weights=[weight for _, weight in mix])[0]


def _plan(rng: random.Random, now: datetime, banks: list[int], firms: list[int], firm_facts: dict,
          i: int) -> SimpleNamespace:
    state = _pick(rng, STATE_MIX)
    firm = rng.choice(firms)
    industry = firm_facts[firm][0]
    appraised = max(200_000, min(200_000_000, int(rng.lognormvariate(math.log(3_000_000), 0.9)))) // 1000 * 1000 * 100
    age = {S.NOTICE_PUBLISHED: (1, 29), S.AUCTION: (31, 40), S.AWAITING_CHANNEL: (36, 60)}.get(state, (90, 260))
    published = now - timedelta(days=rng.randint(*age), hours=rng.randint(0, 23))
    kinds = [vocabulary.pick_kind(industry, rng) for _ in range(1 + (rng.random() < 0.15) + (rng.random() < 0.05))]
    # the moves after publication are spread between the end of the notice and a few hours (or days) ago
    history = HISTORY[state]
    first = published + DEFAULT_RULES.notice_period + timedelta(hours=1)
    days_ago = {S.NEGOTIATED_SALE: 58, S.AWAITING_PAYMENT: 9, S.SETTLED: 20, S.TRANSFER_RECORDED: 20, S.CLOSED: 20}
    last = now - timedelta(hours=rng.randint(1, 24 * days_ago.get(state, 1)))
    step = (last - first) / max(len(history) - 1, 1)
    events = [(action, source, target, first + step * k) for k, (action, source, target) in enumerate(history)]
    return SimpleNamespace(
        state=state, appraised=appraised, kinds=kinds, bank=banks[i % len(banks)], firm=firm,
        principal=appraised * rng.randint(70, 160) // 100 // 100_000 * 100_000 or 100_000, published=published,
        filed=published - timedelta(days=rng.randint(10, 40)), events=events,
        at={action: when for action, _, _, when in events},
        start=min_first_start_fen(appraised) + rng.randint(0, 3) * appraised // 20, rng=rng)


def _loan(plan: SimpleNamespace, pledge_id: int, seq: int) -> dict:
    start = (plan.filed - timedelta(days=600)).date()
    done = plan.state in (S.SETTLED, S.TRANSFER_RECORDED, S.CLOSED)
    return dict(contract_number=f"BENCH-{start.year}-{seq:07d}", bank_id=plan.bank, enterprise_id=plan.firm,
                pledge_id=pledge_id, principal_fen=plan.principal, outstanding_principal_fen=plan.principal,
                unpaid_interest_fen=plan.principal * 3 // 100, annual_rate_ppm=42_000,
                appraised_value_fen=plan.principal * 2, start_date=start, maturity_date=start + timedelta(days=365),
                defaulted_on=start + timedelta(days=450), status=LoanStatus.SETTLED if done else LoanStatus.IN_DISPOSAL,
                bank_share_ppm=PPM)


def _case(plan: SimpleNamespace, loan_id: int, assets: list, firm: tuple[str, str], seq: int, now: datetime) -> dict:
    rng, state = plan.rng, plan.state
    industry, region = firm
    facts = dict(notice_published_at=plan.published, notice_ends_at=plan.published + DEFAULT_RULES.notice_period,
                 failed_rounds=0, last_start_price_fen=None, channel=CHANNEL_OF.get(state), list_price=plan.start)
    if state != S.NOTICE_PUBLISHED and state not in (S.LICENSING, S.CONVERSION, S.CLAIM_TRANSFER):
        facts.update(last_start_price_fen=plan.start, channel=Channel.AUCTION)
    if state == S.AWAITING_CHANNEL:
        facts.update(failed_rounds=1)
    if state == S.NEGOTIATED_SALE:
        second = min_next_start_fen(plan.start)
        facts.update(failed_rounds=2, last_start_price_fen=second, list_price=second, channel=Channel.NEGOTIATED_SALE)
    sale = plan.start + rng.randint(0, 8) * plan.start // 20 if state in (S.AWAITING_PAYMENT, S.DISPOSED, S.SETTLED,
                                                                          S.TRANSFER_RECORDED, S.CLOSED) else None
    disposed = plan.at.get("buyer_paid")
    entered = plan.events[-1][3] if plan.events else plan.published
    case_facts = CaseFacts(
        state=state, channel=facts["channel"], notice_ends_at=facts["notice_ends_at"],
        negotiated_sale_ends_at=entered + timedelta(days=DEFAULT_RULES.negotiated_sale_days)
        if state == S.NEGOTIATED_SALE else None,
        payment_due_at=entered + timedelta(days=DEFAULT_RULES.winner_payment_days) if state == S.AWAITING_PAYMENT else None,
        due_at=now + timedelta(hours=rng.randint(1, 120)) if state in (S.AUCTION, S.LICENSING) else None,
    )
    reference = f"DC-{plan.filed.year}-B{seq:06d}"
    numbers = [row["registry_number"] for _, row in assets]
    first = assets[0][1]
    title = first["title"] if len(assets) == 1 else f"{first['title']}等{len(assets)}项知识产权"
    return dict(
        reference=reference, loan_id=loan_id, bank_id=plan.bank, state=state, channel=facts["channel"], title=title,
        primary_kind=first["kind"], industry=industry, region=region, list_price_fen=facts["list_price"],
        summary="", owner_name="", registry_numbers=" ".join(numbers),
        search_text=search_text_for(reference, title, numbers, ""), listed=True, due_at=deadline(case_facts),
        principal_outstanding_fen=plan.principal, unpaid_interest_fen=plan.principal * 3 // 100, costs_so_far_fen=0,
        pledgee_consent=True, co_owner_consents=[], review_checks=list(REVIEW_CHECKS),
        appraised_value_fen=plan.appraised, valuation_report_ref=f"评报字[{plan.filed.year}]第{seq}号",
        valued_on=(plan.published - timedelta(days=5)).date(), notice_published_at=plan.published,
        notice_ends_at=facts["notice_ends_at"], deposit_share_ppm=100_000, encumbrances="无其他质押、查封或许可。",
        failed_rounds=facts["failed_rounds"], last_start_price_fen=facts["last_start_price_fen"],
        negotiated_sale_ends_at=case_facts.negotiated_sale_ends_at, payment_due_at=case_facts.payment_due_at,
        sale_price_fen=sale, recovery_fen=sale if disposed else None, disposed_at=disposed,
        settled_at=plan.at.get("settle"), transfer_recorded_at=plan.at.get("record_transfer"),
        closed_at=plan.at.get("close"), buyer_name="" if not sale else "竞买人", filed_at=plan.filed,
        updated_at=plan.events[-1][3] if plan.events else plan.published,
    )


def _audit(session: so.Session, cases: list[tuple[int, SimpleNamespace]]) -> None:
    """A short hash-chained trail per listing, appended after whatever the chain already holds."""
    if is_postgresql(session):
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": audit._CHAIN_LOCK})
    prev = session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or audit.GENESIS
    rows = []
    for case_id, plan in cases:
        steps = [("file", None, S.FILED, plan.filed, Role.BANK),
                 ("publish_notice", S.VALUED, S.NOTICE_PUBLISHED, plan.published, Role.OPERATOR)]
        steps += [(action, source, target, when, Role.OPERATOR) for action, source, target, when in plan.events]
        for action, source, target, when, role in steps:
            event = SimpleNamespace(occurred_at=when.astimezone(UTC), actor_user_id=None, actor_role=role.value,
                                    entity_type="case", entity_id=case_id, action=action,
                                    from_state=source.value if source else None, to_state=target.value, reason="",
                                    detail={}, prev_hash=prev)
            event.hash = audit.event_hash(event)
            prev = event.hash
            rows.append(vars(event))
    for start in range(0, len(rows), 5000):
        session.execute(AuditEvent.__table__.insert(), rows[start:start + 5000])
