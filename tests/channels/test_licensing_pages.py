"""Licensing in the browser: each role's pages, and the paths each role may not take."""

import io

import pytest

from market.domain.roles import Role
from market.domain.workflow import CaseState
from market.models import Licence, LicenceRound
from tests.factories import make_user
from tests.factories_channels import make_channel_case


@pytest.fixture
def world(session):
    """A case ready for licensing, its bank, an operator, two applicants and an unrelated guarantor."""
    case = make_channel_case(session)
    users = {
        "bank": make_user(session, Role.BANK, institution=case.bank),
        "operator": make_user(session, Role.OPERATOR),
        "aic": make_user(session, Role.AIC),
        "other_bank": make_user(session, Role.BANK),
        "guarantor": make_user(session, Role.GUARANTOR),
        "bureau": make_user(session, Role.BUREAU),
    }
    session.commit()
    for user in users.values():
        user.login_email = user.email  # a plain attribute: survives expiry, needs no query
    return case, users


def login(client, auth, user):
    """Log in as a user; its email is read once, so no test transaction holds SQLite's write lock meanwhile."""
    email = user.__dict__.get("login_email") or user.email
    auth.logout()
    assert auth.login(email).status_code == 302


ROUND_FORM = {"kind": "exclusive", "field_of_use": "Machine vision", "territory": "Mainland China",
              "term_months": "36", "reporting_period": "quarterly", "min_upfront": "100000",
              "min_royalty_rate": "3", "reference_sales": "5,000,000", "discount_rate": "8",
              "offer_deadline": "2026-12-10T10:00"}


def publish(client, case):
    response = client.post(f"/channels/cases/{case.id}/licensing/new", data=ROUND_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_a_case_ends_through_licensing_in_the_browser(client, auth, session, clock, world):
    case, users = world
    login(client, auth, users["operator"])
    round_id = publish(client, case)
    page = client.get(f"/channels/licensing/{round_id}").get_data(as_text=True)
    assert "score" in page and "8.00%" in page

    login(client, auth, users["aic"])
    assert client.get("/channels/licensing").status_code == 200
    response = client.post(f"/channels/licensing/{round_id}/offer",
                           data={"upfront": "200000", "royalty_rate": "5", "min_annual_royalty": ""})
    assert response.status_code == 302
    assert "Your score" in client.get(f"/channels/licensing/{round_id}").get_data(as_text=True)
    login(client, auth, users["other_bank"])
    client.post(f"/channels/licensing/{round_id}/offer", data={"upfront": "150000", "royalty_rate": "4"})

    clock.advance(days=19)
    login(client, auth, users["operator"])
    assert client.post(f"/channels/licensing/{round_id}/close").status_code == 302
    page = client.get(f"/channels/licensing/{round_id}").get_data(as_text=True)
    assert "Offers ranked by the published formula" in page
    best = max(session.get(LicenceRound, round_id).offers, key=lambda o: o.upfront_fen).id
    session.commit()  # SQLite: the test's reads must not hold the write lock while the app writes
    assert client.post(f"/channels/licensing/{round_id}/award", data={"offer_ids": [str(best)]}).status_code == 302

    login(client, auth, users["bank"])
    assert "Your consent as pledgee" in client.get(f"/channels/licensing/{round_id}").get_data(as_text=True)
    response = client.post(f"/channels/licensing/{round_id}/consent", data={"reference": "BJ-2026-77",
                                                                             "consent": "Consent"})
    assert response.status_code == 302

    login(client, auth, users["operator"])
    response = client.post(f"/channels/licensing/{round_id}/sign",
                           data={"contract_refs": "BJIPX-L-001", "signed_on": clock().date().isoformat()})
    assert response.status_code == 302
    session.expire_all()
    assert case.state == CaseState.DISPOSED and case.recovery_fen == 200_000_00
    licence_id = session.query(Licence).one().id
    session.commit()
    page = client.get(f"/channels/licences/{licence_id}").get_data(as_text=True)
    assert "Royalty schedule" in page and "¥200,000.00" in page

    response = client.post(f"/channels/licences/{licence_id}/payments",
                           data={"received_on": clock().date().isoformat(), "amount": "30000", "reference": "TX-9"})
    assert response.status_code == 302
    statement = f"received_on,amount,reference\n{clock().date().isoformat()},1000.50,CSV-1\n"
    response = client.post(f"/channels/licences/{licence_id}/payments/import",
                           data={"statement": (io.BytesIO(statement.encode()), "royalties.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    session.expire_all()
    assert case.recovery_fen == 200_000_00 + 30_000_00 + 1_000_50
    session.commit()
    page = client.get(f"/channels/licences/{licence_id}").get_data(as_text=True)
    assert "To interest" in page and "CSV-1" in page


def test_a_bad_csv_is_refused_with_its_line_and_nothing_is_imported(client, auth, session, clock, world):
    case, users = world
    licence = _signed(client, auth, session, clock, world)
    response = client.post(f"/channels/licences/{licence.id}/payments/import",
                           data={"statement": (io.BytesIO(b"received_on,amount,reference\nnot-a-date,1,A\n"),
                                               "x.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Line 2: received_on must be a date" in response.get_data(as_text=True)


def test_a_missed_recordal_is_shown_on_the_licence(client, auth, session, clock, world):
    licence = _signed(client, auth, session, clock, world)
    clock.advance(days=91)
    page = client.get(f"/channels/licences/{licence.id}").get_data(as_text=True)
    assert "is missing" in page
    response = client.post(f"/channels/licences/{licence.id}/recordal",
                           data={"recordal_number": "2027990000123", "recorded_on": clock().date().isoformat()})
    assert response.status_code == 302
    assert "late" in client.get(f"/channels/licences/{licence.id}").get_data(as_text=True)


def _signed(client, auth, session, clock, world):
    from market.services import licensing
    from market.services.audit import Actor
    from tests.factories_channels import offer, open_round

    case, users = world
    licence_round = open_round(session, case, clock())
    licensing.submit_licence_offer(session, licence_round.id, offer(), actor=Actor.of(users["aic"]), now=clock())
    later = clock.advance(days=7)
    op = Actor.of(users["operator"])
    licensing.close_licence_round(session, licence_round.id, actor=op, now=later)
    licensing.award_licence(session, licence_round.id, [licence_round.offers[0].id], actor=op, now=later)
    licensing.decide_pledgee_consent(session, licence_round.id, consent=True, actor=Actor.of(users["bank"]),
                                     now=later)
    [licence] = licensing.sign_licences(session, licence_round.id, contract_refs=["L-1"], signed_on=later.date(),
                                        actor=op, now=later)
    session.commit()
    login(client, auth, users["operator"])
    return licence


@pytest.mark.parametrize("role", ["bank", "aic", "guarantor", "bureau"])
def test_only_the_operator_publishes_a_licence_offer(client, auth, world, role):
    case, users = world
    login(client, auth, users[role])
    assert client.get(f"/channels/cases/{case.id}/licensing/new").status_code == 403
    assert client.post(f"/channels/cases/{case.id}/licensing/new", data=ROUND_FORM).status_code == 403


def test_the_pledgee_bank_and_the_bureau_cannot_apply(client, auth, world):
    case, users = world
    login(client, auth, users["operator"])
    round_id = publish(client, case)
    login(client, auth, users["bank"])
    assert client.post(f"/channels/licensing/{round_id}/offer",
                       data={"upfront": "200000", "royalty_rate": "5"}).status_code == 403
    login(client, auth, users["bureau"])
    assert client.post(f"/channels/licensing/{round_id}/offer",
                       data={"upfront": "200000", "royalty_rate": "5"}).status_code == 403


def test_an_offer_below_the_minimum_is_refused_with_a_message(client, auth, world):
    case, users = world
    login(client, auth, users["operator"])
    round_id = publish(client, case)
    login(client, auth, users["aic"])
    response = client.post(f"/channels/licensing/{round_id}/offer", data={"upfront": "1000", "royalty_rate": "5"})
    assert response.status_code == 422
    assert "below the minimum" in response.get_data(as_text=True)


def test_applicants_cannot_see_each_others_offers_or_the_ranking(client, auth, clock, world):
    case, users = world
    login(client, auth, users["operator"])
    round_id = publish(client, case)
    login(client, auth, users["aic"])
    client.post(f"/channels/licensing/{round_id}/offer", data={"upfront": "777777", "royalty_rate": "5"})
    login(client, auth, users["other_bank"])
    assert "777,777" not in client.get(f"/channels/licensing/{round_id}").get_data(as_text=True)
    login(client, auth, users["operator"])
    assert "777,777" not in client.get(f"/channels/licensing/{round_id}").get_data(as_text=True)  # sealed
    clock.advance(days=19)
    client.post(f"/channels/licensing/{round_id}/close")
    login(client, auth, users["other_bank"])  # did not offer: the closed round is not its business
    assert client.get(f"/channels/licensing/{round_id}").status_code == 404


def test_a_stranger_cannot_open_a_licence_or_act_on_it(client, auth, session, clock, world):
    case, users = world
    licence = _signed(client, auth, session, clock, world)
    login(client, auth, users["guarantor"])
    assert client.get(f"/channels/licences/{licence.id}").status_code == 404
    login(client, auth, users["bank"])
    assert client.get(f"/channels/licences/{licence.id}").status_code == 200
    assert client.post(f"/channels/licences/{licence.id}/payments",
                       data={"received_on": "2026-12-01", "amount": "1", "reference": "X"}).status_code == 403
    login(client, auth, users["aic"])  # the licensee
    assert client.get(f"/channels/licences/{licence.id}").status_code == 200


def test_signing_without_consent_is_refused_and_says_why(client, auth, session, clock, world):
    from market.services import licensing
    from market.services.audit import Actor
    from tests.factories_channels import offer, open_round

    case, users = world
    licence_round = open_round(session, case, clock())
    licensing.submit_licence_offer(session, licence_round.id, offer(), actor=Actor.of(users["aic"]), now=clock())
    later = clock.advance(days=7)
    op = Actor.of(users["operator"])
    licensing.close_licence_round(session, licence_round.id, actor=op, now=later)
    licensing.award_licence(session, licence_round.id, [licence_round.offers[0].id], actor=op, now=later)
    session.commit()
    login(client, auth, users["operator"])
    response = client.post(f"/channels/licensing/{licence_round.id}/sign",
                           data={"contract_refs": "L-1", "signed_on": later.date().isoformat()})
    assert response.status_code == 422
    assert "art. 444" in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    case, _ = world
    assert client.get("/channels/").status_code == 302
    assert client.get(f"/channels/cases/{case.id}").status_code == 302


def test_every_role_has_a_channel_desk(client, auth, world):
    _, users = world
    for user in users.values():
        login(client, auth, user)
        assert client.get("/channels/").status_code == 200
        assert client.get("/home").status_code == 200


def test_the_desk_links_of_the_operator_workbench_lead_to_the_channel(client, auth, clock, world):
    case, users = world
    login(client, auth, users["operator"])
    response = client.get(f"/channels/cases/{case.id}/licensing")
    assert response.headers["Location"].endswith(f"/channels/cases/{case.id}/licensing/new")
    round_id = publish(client, case)
    assert client.get(f"/channels/cases/{case.id}/licensing").headers["Location"].endswith(f"/licensing/{round_id}")
    assert client.get(f"/channels/cases/{case.id}/conversion").headers["Location"].endswith("/conversion/new")
    assert client.get(f"/channels/cases/{case.id}/claim-transfer").headers["Location"].endswith(f"/cases/{case.id}")


def test_after_signing_the_round_page_has_no_empty_trading_centre_card(client, auth, session, clock, world):
    licence = _signed(client, auth, session, clock, world)
    page = client.get(f"/channels/licensing/{licence.round_id}").get_data(as_text=True)
    assert "Licences signed" in page and "<h2>Trading centre</h2>" not in page


def test_a_case_still_in_notice_shows_when_its_channels_open_instead_of_links(client, auth, session, clock):
    from datetime import timedelta

    from market.domain.case_guards import channel_opens_at

    ends = clock() + timedelta(days=5)
    assert channel_opens_at(ends, clock()) == ends and channel_opens_at(ends, ends) is None
    in_notice = make_channel_case(session, CaseState.NOTICE_PUBLISHED, notice_ends_at=ends)
    ready = make_channel_case(session)
    operator = make_user(session, Role.OPERATOR)
    session.commit()
    login(client, auth, operator)
    desk = client.get("/channels/").get_data(as_text=True)
    assert f"/channels/cases/{ready.id}/licensing/new" in desk
    assert f"/channels/cases/{in_notice.id}/licensing/new" not in desk
    assert f"/channels/cases/{in_notice.id}/conversion/new" not in desk and "Opens 2026-11-27" in desk
    page = client.get(f"/channels/cases/{in_notice.id}").get_data(as_text=True)
    assert "licensing/new" not in page and "open 2026-11-27" in page
