"""The bureau sets compensation ratios by loan-size band and by bank through the policy form (CSRF on)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from market.db import unit_of_work
from market.models import PolicyVersion
from market.services.fund import current_policy
from tests.factories import make_institution
from tests.factories_settlement import YUAN, bureau_users, make_policy

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
THE_REST = {"ratio_bank": "30", "ratio_guarantor": "30", "ratio_insurer": "30", "ratio_agency": "30",
            "annual_budget": "0", "subsidy_budget": "0", "shortfall": "wait", "interest_subsidy": "40",
            "appraisal_subsidy": "50", "premium_subsidy": "50", "stop_loss_resume": "year_end"}
GUANGZHOU = {"size_bands-0-edge": "5,000,000", "size_bands-0-ratio": "40", "size_bands-1-edge": "10000000.00",
             "size_bands-1-ratio": "30", "above_ratio": "20", "note": "Guangzhou 2025: 40/30/20% by loan size"}


def test_the_bureau_sets_ratios_by_loan_size_and_by_bank_in_a_new_policy_version(csrf_app):
    client, banks = _bureau_logged_in(csrf_app)
    form = client.get("/bureau/policy/new").get_data(as_text=True)
    assert 'name="size_bands-0-edge"' in form and 'name="above_ratio"' in form
    assert f'<option value="{banks["北京银行"]}">北京银行</option>' in form

    answer = client.post("/bureau/policy/new", data={
        **THE_REST, **GUANGZHOU, "bank_ratios-0-bank": str(banks["北京银行"]), "bank_ratios-0-ratio": "25",
        "csrf_token": TOKEN.search(form).group(1)})

    assert answer.status_code == 302, re.findall(r'class="(?:error|flash[^"]*)">([^<]+)<', answer.get_data(as_text=True))
    policy = _current(csrf_app)
    assert policy.size_band_edges_fen == [5_000_000 * YUAN, 10_000_000 * YUAN]
    assert policy.size_band_ratios_ppm == [400_000, 300_000, 200_000]
    assert policy.bank_ratios_ppm == {str(banks["北京银行"]): 250_000}
    page = client.get("/bureau/policy").get_data(as_text=True)
    assert "北京银行 25.00%" in page and "40.00%" in page and "20.00%" in page
    csv = client.get("/bureau/policy.csv").get_data(as_text=True)
    assert "5000000.00; 10000000.00" in csv and "40.0; 30.0; 20.0" in csv and f"{banks['北京银行']}:25.0" in csv
    again = client.get("/bureau/policy/new").get_data(as_text=True)  # the next version starts from these
    assert 'name="size_bands-1-ratio" type="text" value="30"' in again and 'name="above_ratio" type="text" value="20"' in again
    assert f'<option selected value="{banks["北京银行"]}">' in again


def test_the_policy_form_refuses_bands_and_bank_ratios_that_do_not_fit_and_saves_nothing(csrf_app):
    client, banks = _bureau_logged_in(csrf_app)
    versions = _versions(csrf_app)
    icbc, bob = str(banks["工商银行北京分行"]), str(banks["北京银行"])
    refused = {
        "Give both the band's upper edge and its ratio, or leave the row blank.": {"size_bands-1-ratio": ""},
        "Give the ratio for loans above the last edge.": {"above_ratio": ""},
        "The loan-size band edges must increase from one to the next.": {"size_bands-1-edge": "4000000"},
        "A share is at most 100%.": {"size_bands-0-ratio": "120"},
        "Not a valid choice.": {"bank_ratios-0-bank": "999999", "bank_ratios-0-ratio": "25"},
        "Choose the bank and give its ratio, or leave the row blank.": {"bank_ratios-0-bank": icbc},
        "This bank already has a ratio above.": {"bank_ratios-0-bank": bob, "bank_ratios-0-ratio": "25",
                                                 "bank_ratios-1-bank": bob, "bank_ratios-1-ratio": "20"},
    }
    for message, change in refused.items():
        answer = _post(client, change)
        assert answer.status_code == 422, message
        assert message in answer.get_data(as_text=True), message
    assert 'name="size_bands-0-edge" type="text" value="5,000,000"' in _post(client, {"above_ratio": ""}).get_data(
        as_text=True)  # what was typed comes back
    assert _post(client, {}, token="forged").status_code == 400  # CSRF
    assert _versions(csrf_app) == versions


def test_the_policy_forms_refusals_read_in_chinese(csrf_app):
    client, _ = _bureau_logged_in(csrf_app)
    client.get("/bureau/policy?lang=zh")

    page = _post(client, {"size_bands-1-edge": "4000000"}).get_data(as_text=True)
    missing = _post(client, {"above_ratio": ""}).get_data(as_text=True)

    assert "贷款金额档位的上限必须逐档递增。" in page
    assert "请填写最高档以上贷款的补偿比例。" in missing


def _bureau_logged_in(app):
    with app.extensions["market.sessions"]() as session, unit_of_work(session):
        first, _ = bureau_users(session)
        make_policy(session)
        banks = {name: make_institution(session, name=name).id for name in ("工商银行北京分行", "北京银行")}
        email = first.email
    client = app.test_client()
    token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"email": email, "password": "password-123", "csrf_token": token}).status_code == 302
    return client, banks


def _post(client, change: dict, token: str | None = None):
    """The Guangzhou bands with one change, posted through the form with its CSRF token."""
    token = token or TOKEN.search(client.get("/bureau/policy/new").get_data(as_text=True)).group(1)
    return client.post("/bureau/policy/new", data={**THE_REST, **GUANGZHOU, **change, "csrf_token": token})


def _current(app) -> PolicyVersion:
    with app.extensions["market.sessions"]() as session:
        return current_policy(session)


def _versions(app) -> int:
    with app.extensions["market.sessions"]() as session:
        return session.scalar(sa.select(sa.func.count(PolicyVersion.id)))
