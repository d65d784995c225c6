"""Lists decide who may see what in SQL, before they page: every page is full and the total is right."""

from market.domain.roles import InstitutionKind, Role
from market.services.accounts import create_api_token
from tests.factories import make_case, make_institution, make_loan, make_user


def test_a_guarantor_pages_through_exactly_the_120_of_300_cases_it_shares_in(client, session):
    guarantor = make_institution(session, InstitutionKind.GUARANTOR)
    me = make_user(session, Role.GUARANTOR, institution=guarantor)
    mine = set()
    for n in range(300):
        loan = make_loan(session, guarantor_id=guarantor.id if n % 5 < 2 else None)
        case = make_case(session, loan=loan)
        if loan.guarantor_id:
            mine.add(case.id)
    headers = {"Authorization": f"Bearer {create_api_token(session, me)}"}

    pages = [client.get(f"/api/v1/cases?per_page=50&page={page}", headers=headers).get_json() for page in (1, 2, 3)]

    assert len(mine) == 120
    assert [len(page["items"]) for page in pages] == [50, 50, 20]
    assert {page["total"] for page in pages} == {120}
    assert {item["id"] for page in pages for item in page["items"]} == mine
