"""Demo data: cases in every state walked there by the real services; bulk listings that look real and fast."""


import sqlalchemy as sa

from market.demo import seed
from market.demo.core import DEMO_PASSWORD
from market.demo.listings import seed_listings
from market.domain.workflow import PUBLIC_STATES, CaseFacts, CaseState, deadline
from market.models import CompensationClaim, DisposalCase, Loan, User
from market.services import audit
from market.services.cases import case_facts


def test_the_demo_has_several_cases_in_every_state_and_loading_it_twice_changes_nothing(session, clock):
    assert seed(session, now=clock())
    counts = dict(session.execute(sa.select(DisposalCase.state, sa.func.count()).group_by(DisposalCase.state)).all())
    assert all(counts.get(state, 0) >= 3 for state in CaseState), counts
    before = session.scalar(sa.select(sa.func.count(DisposalCase.id)))
    assert not seed(session, now=clock())
    assert session.scalar(sa.select(sa.func.count(DisposalCase.id))) == before
    assert audit.verify_chain(session).ok


def test_bulk_listings_are_public_consistent_with_the_workflow_and_chained_in_the_audit_trail(session, clock):
    seed_listings(session, clock(), 1000)  # its speed is scripts/bench_catalogue.py's to report, not a test's
    seed_listings(session, clock(), 50)  # a second batch gets fresh registry numbers and references
    cases = list(session.scalars(sa.select(DisposalCase)))
    assert len(cases) == 1050 and all(case.listed and case.state in PUBLIC_STATES for case in cases)
    for case in cases[:200]:
        facts: CaseFacts = case_facts(case)
        if case.state not in (CaseState.AUCTION, CaseState.LICENSING, CaseState.CONVERSION, CaseState.CLAIM_TRANSFER):
            assert case.due_at == deadline(facts), case.state
        if case.state in (CaseState.DISPOSED, CaseState.SETTLED, CaseState.TRANSFER_RECORDED, CaseState.CLOSED):
            assert case.recovery_fen and case.disposed_at
        assert case.search_text and case.registry_numbers.split()[0].lower() in case.search_text
    report = audit.verify_chain(session)
    assert report.ok and report.checked > 2000


def test_every_page_of_every_demo_case_renders(client, session, clock):
    from tests.factories_workflow import sign_in

    seed(session, now=clock())
    cases = list(session.execute(sa.select(DisposalCase.id, DisposalCase.listed)))
    operator = session.scalar(sa.select(User).where(User.email == "operator@demo.test"))
    session.commit()
    sign_in(client, operator, password=DEMO_PASSWORD)
    for case_id, listed in cases:
        assert client.get(f"/operator/cases/{case_id}").status_code == 200, case_id
        assert client.get(f"/cases/{case_id}").status_code == 200, case_id
        assert client.get(f"/catalogue/{case_id}").status_code == (200 if listed else 404), case_id
    for path in ("/operator/", "/cases/", "/catalogue", "/home", "/api/v1/cases"):
        assert client.get(path).status_code == 200, path


def test_seed_demo_says_the_demo_was_already_there_when_it_loads_nothing(app):
    runner = app.test_cli_runner()
    with app.app_context():
        first = runner.invoke(args=["seed-demo", "--history", "2"]).output
        again = runner.invoke(args=["seed-demo", "--listings", "3", "--history", "2"]).output
    assert "Demo data loaded." in first and "2 past disposed cases added" in first
    assert "Demo data loaded." not in again
    assert "already there" in again and "3 extra listings added." in again and "none were added" in again


def test_the_demos_calibration_history_closed_before_the_fund_and_has_no_claims(session, clock):
    seed(session, now=clock(), history_cases=2)

    history = sa.select(Loan.id).where(Loan.contract_number.like("HIST-%"))
    assert session.scalar(sa.select(sa.func.count()).select_from(history.subquery())) == 2
    assert session.scalar(sa.select(sa.func.count(CompensationClaim.id))
                          .join(DisposalCase, DisposalCase.id == CompensationClaim.case_id)
                          .where(DisposalCase.loan_id.in_(history))) == 0
    assert session.scalar(sa.select(sa.func.count(CompensationClaim.id))) > 0  # the demo's own cases have theirs
