"""Compensation claims are 补偿申请 in Chinese, never 债权 (a debt claim, which collides with 债权转让)."""

import pytest

from market.domain.loss import Layer
from tests.factories_settlement import (
    YUAN,
    bureau_users,
    claims_of,
    make_disposed_case,
    make_policy,
    settle,
    user_of,
)


@pytest.fixture
def settled(session, clock):
    """A settled case with drafted claims, its bank's user and a bureau user."""
    make_policy(session)
    case = make_disposed_case(session, recovery_fen=400_000 * YUAN)
    settle(session, case, now=clock())
    claim = claims_of(session, case)[Layer.BANK]
    bank_user, (bureau_user, _) = user_of(session, case.loan.bank), bureau_users(session)
    session.commit()
    return case, claim, bank_user, bureau_user


def _chinese_page(client, user, url):
    client.post("/logout")
    client.post("/login", data={"email": user.email, "password": "password-123"})
    client.get("/language/zh")
    page = client.get(url)
    assert page.status_code == 200
    return page.get_data(as_text=True).replace("债权转让", "")  # the footer names the claim-transfer channel


def test_the_banks_claim_pages_say_compensation_claim(client, settled):
    case, claim, bank_user, _ = settled
    for url in ("/compensation/claims", f"/compensation/claims/{claim.id}", f"/cases/{case.id}/settlement"):
        page = _chinese_page(client, bank_user, url)
        assert "补偿" in page and "债权" not in page, url


def test_the_bureaus_claim_pages_say_compensation_claim(client, settled):
    *_, bureau_user = settled
    for url in ("/bureau/claims", "/bureau/fund"):
        page = _chinese_page(client, bureau_user, url)
        assert "补偿申请" in page and "债权" not in page, url
