"""The ledger pages: the centre and the bureau browse every posting; a bank sees only what concerns it."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from market.domain.ledger import Movement, deposits_held, proceeds_payable
from market.domain.roles import Role
from market.services.ledger import record_movement
from tests.factories import make_case, make_institution, make_loan, make_user
from tests.factories_workflow import sign_in

DEPOSIT = 5_000_000  # ¥50,000.00


@pytest.fixture
def books(session, clock):
    """Two banks with a case each; each bids on the other's case; bank A's case is sold and paid out."""
    bank_a, bank_b = make_institution(session, name="甲银行"), make_institution(session, name="乙银行")
    case_a, case_b = make_case(session, loan=make_loan(session, bank=bank_a)), make_case(session, loan=make_loan(session, bank=bank_b))
    move = lambda movement, **kw: record_movement(session, movement, now=clock(), **kw)  # noqa: E731
    move(Movement.DEPOSIT_PAID, amount_fen=DEPOSIT, case_id=case_b.id, institution_id=bank_a.id)
    move(Movement.DEPOSIT_PAID, amount_fen=DEPOSIT, case_id=case_a.id, institution_id=bank_b.id)
    clock.advance(days=1)
    move(Movement.DEPOSIT_APPLIED, amount_fen=DEPOSIT, case_id=case_a.id, institution_id=bank_b.id)
    move(Movement.BUYER_PAYMENT, amount_fen=95_000_000, case_id=case_a.id, institution_id=bank_b.id)
    move(Movement.PROCEEDS_PAID, amount_fen=100_000_000, case_id=case_a.id, institution_id=bank_a.id)
    return {"a": make_user(session, Role.BANK, bank_a), "b": make_user(session, Role.BANK, bank_b),
            "operator": make_user(session, Role.OPERATOR), "bureau": make_user(session, Role.BUREAU),
            "case_a": case_a, "case_b": case_b, "bank_a": bank_a, "bank_b": bank_b}


def _accounts_shown(html: str) -> list[str]:
    return re.findall(r'href="/ledger/\?account=([^"]+)"', html)


def test_the_centre_sees_every_posting_with_each_accounts_running_balance(client, books):
    sign_in(client, books["operator"])
    html = client.get("/ledger/").get_data(as_text=True)
    assert "Postings found: 10" in html
    assert "Deposits held for a bidder · 甲银行" in html and "Trading centre bank account" in html
    assert "¥1,000,000.00" in html and "Proceeds paid to the pledgee" in html
    # cash: 50,000 + 50,000 + 950,000 in, 1,000,000 out → 50,000 debit left after the last posting
    newest_cash_row = html.split('account=cash"')[1].split("</tr>")[0]
    assert "¥50,000.00" in newest_cash_row and "Dr" in newest_cash_row


def test_the_bureau_reads_the_ledger_too_and_a_guarantor_may_not(client, session, books):
    sign_in(client, books["bureau"])
    assert client.get("/ledger/").status_code == 200
    client.post("/logout")
    sign_in(client, make_user(session, Role.GUARANTOR))
    assert client.get("/ledger/").status_code == 403


def test_a_bank_sees_its_deposits_and_its_cases_proceeds_but_never_another_banks(client, books):
    sign_in(client, books["a"])
    html = client.get("/ledger/").get_data(as_text=True)
    shown = set(_accounts_shown(html))
    assert shown == {deposits_held(books["bank_a"].id), proceeds_payable(books["case_a"].id)}
    assert "Postings found: 4" in html
    assert "乙银行" not in html


def test_a_bank_cannot_open_a_transaction_that_does_not_concern_it(client, session, books):
    sign_in(client, books["a"])
    html = client.get("/ledger/").get_data(as_text=True)
    mine = {int(n) for n in re.findall(r'/ledger/transactions/(\d+)"', html)}
    assert client.get(f"/ledger/transactions/{min(mine)}").status_code == 200
    others = set(range(1, 6)) - mine
    assert others and all(client.get(f"/ledger/transactions/{n}").status_code == 404 for n in others)


def test_a_transaction_page_shows_both_of_its_postings_to_the_centre(client, books):
    sign_in(client, books["operator"])
    html = client.get("/ledger/transactions/4").get_data(as_text=True)
    assert "Buyer&#39;s payment" in html or "Buyer's payment" in html
    assert html.count("¥950,000.00") == 2  # the debit of cash and the credit of the case's proceeds


def test_filters_narrow_by_account_case_and_beijing_date(client, books):
    sign_in(client, books["operator"])
    by_case = client.get(f"/ledger/?case={books['case_b'].id}").get_data(as_text=True)
    assert "Postings found: 2" in by_case
    by_account = client.get("/ledger/?account=cash").get_data(as_text=True)
    assert "Postings found: 4" in by_account and set(_accounts_shown(by_account)) == {"cash"}
    assert "Postings found: 4" in client.get("/ledger/?since=2026-11-22&until=2026-11-22").get_data(as_text=True)
    upside_down = client.get("/ledger/?since=2026-11-23&until=2026-11-22")
    assert upside_down.status_code == 422


def test_a_date_is_a_beijing_day(client, session, clock, books):
    clock.at = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # 01:00 on the 25th in Beijing
    record_movement(session, Movement.DEPOSIT_REFUNDED, amount_fen=DEPOSIT, now=clock(), case_id=books["case_b"].id,
                    institution_id=books["bank_a"].id)
    sign_in(client, books["operator"])
    assert "Postings found: 0" in client.get("/ledger/?since=2026-11-24&until=2026-11-24").get_data(as_text=True)
    assert "Postings found: 2" in client.get("/ledger/?since=2026-11-25&until=2026-11-25").get_data(as_text=True)


def test_of_300_postings_a_bank_gets_full_pages_of_its_own_and_the_right_total(client, session, clock):
    mine, other = make_institution(session), make_institution(session)
    case = make_case(session, loan=make_loan(session, bank=other))
    visible = 0
    for n in range(150):  # 300 postings: the deposit account and the centre's cash
        bidder = other if n % 4 == 0 else mine
        visible += bidder is mine
        clock.advance(minutes=1)
        record_movement(session, Movement.DEPOSIT_PAID, amount_fen=100_00, now=clock(), case_id=case.id,
                        institution_id=bidder.id)
    sign_in(client, make_user(session, Role.BANK, mine))
    rows = []
    for page in (1, 2, 3):
        html = client.get(f"/ledger/?page={page}").get_data(as_text=True)
        assert f"Postings found: {visible}" in html
        rows.append(len(re.findall(r'/ledger/transactions/\d+"', html)))
    assert rows == [50, 50, visible - 100]
    assert f"¥{visible * 100:,}.00" in client.get("/ledger/?page=1").get_data(as_text=True)  # the latest balance


def test_the_csv_holds_the_filtered_postings_in_yuan_and_beijing_time(client, books):
    sign_in(client, books["operator"])
    response = client.get(f"/ledger/export.csv?case={books['case_a'].id}")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Posting", "Transaction", "Time (Beijing)"]
    assert len(body) == 8
    first = dict(zip(header, body[0], strict=True))
    assert first["Time (Beijing)"] == (datetime(2026, 11, 22, 2, 0, tzinfo=UTC) + timedelta(hours=8)).strftime(
        "%Y-%m-%d %H:%M:%S")
    assert first["Account code"] == "cash" and first["Debit (yuan)"] == "50000.00" and first["Credit (yuan)"] == ""
    payout = [dict(zip(header, row, strict=True)) for row in body if row[3] == "Proceeds paid to the pledgee"]
    assert {p["Credit (yuan)"] for p in payout} == {"", "1000000.00"}
    assert {p["Balance (yuan, debit-positive)"] for p in payout if p["Account code"].startswith("proceeds")} == {"0.00"}


def test_a_banks_csv_holds_only_its_own_postings(client, books):
    sign_in(client, books["b"])
    text = client.get("/ledger/export.csv").get_data(as_text=True)
    assert "甲银行" not in text and "cash," not in text and "乙银行" in text
