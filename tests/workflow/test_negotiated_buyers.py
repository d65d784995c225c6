"""A negotiated sale is agreed only with an institution that may buy pledged IP (or a buyer off the platform)."""

import re

import pytest

from market.db import unit_of_work
from market.domain.auction import BuyerMayNotBuy, may_buy_pledged_ip
from market.domain.roles import InstitutionKind
from market.domain.workflow import CaseState
from market.services import disposal
from market.services.audit import Actor
from tests.factories import make_case, make_institution
from tests.factories_workflow import make_operator, sign_in


@pytest.mark.parametrize(("kind", "may"), [
    (InstitutionKind.BANK, True), (InstitutionKind.AIC, True), (InstitutionKind.GUARANTOR, True),
    (InstitutionKind.INSURER, True), (InstitutionKind.AGENCY, False), (InstitutionKind.BUREAU, False),
    (InstitutionKind.TRADING_CENTRE, False),
])
def test_who_may_buy_pledged_ip(kind, may):
    assert may_buy_pledged_ip(kind) is may


def test_the_bureau_cannot_be_recorded_as_the_buyer(session, clock):
    case = make_case(session, CaseState.NEGOTIATED_SALE)
    bureau = make_institution(session, InstitutionKind.BUREAU)
    operator = make_operator(session)
    session.commit()
    with pytest.raises(BuyerMayNotBuy), unit_of_work(session):
        disposal.agree_negotiated_sale(session, case.id, buyer_name="", buyer_institution_id=bureau.id,
                                       price_fen=100_000_000, actor=Actor.of(operator), now=clock())


def test_the_buyer_list_offers_only_institutions_that_may_buy(session, client, clock):
    case = make_case(session, CaseState.NEGOTIATED_SALE)
    bureau = make_institution(session, InstitutionKind.BUREAU, name="财政局（测试）")
    aic = make_institution(session, InstitutionKind.AIC, name="金融资产投资公司（测试）")
    operator = make_operator(session)
    session.commit()
    sign_in(client, operator)
    page = client.get(f"/operator/cases/{case.id}").get_data(as_text=True)
    [buyers] = re.findall(r'<select id="agree-sale-buyer_institution_id".*?</select>', page, re.S)
    assert aic.name in buyers and bureau.name not in buyers and operator.institution.name not in buyers
