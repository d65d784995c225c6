"""Every audit event reads in the reader's language: its action, its states, its reason and its details are
named, whatever object it is about; the platform's own reasons are codes put into words where they are shown."""

import ast
import itertools
from pathlib import Path

import sqlalchemy as sa

from market.db import unit_of_work
from market.domain.auction import RefusalDecision
from market.domain.reasons import SystemReason
from market.domain.registry import HoldResolution
from market.domain.roles import Role
from market.domain.settlement import ReviewDecision
from market.models import AuditEvent, DisposalCase
from market.models.channels import PaymentKind
from market.services.audit import Actor, record_event
from market.services.closing import close_auction
from market.web import audit_events, case_support
from market.web.labels import SYSTEM_REASON_NAMES
from tests.factories import make_user
from tests.factories_auctions import open_round
from tests.factories_workflow import sign_in

SERVICES = Path(__file__).parents[2] / "market" / "services"
# The object a module's own `_audit` helper writes for, and where its action argument is (licensing's names
# the object in the call).
OBJECT_OF_MODULE = {"closing": ("auction", 2), "conversion": ("conversion", 3), "claim_transfer": ("claim_listing", 3)}
# Actions written as f-strings, by the enum values they are built from.
FORMATTED = {
    "first_refusal_{decision.value}": [f"first_refusal_{d.value}" for d in RefusalDecision],
    "claim_{decision.value}": [f"claim_{d.value}" for d in ReviewDecision],
    "{kind.value}_received": [f"{k.value}_received" for k in PaymentKind],
    "hold_{resolution.value}": [f"hold_{r.value}" for r in HoldResolution],
}


def _texts(node: ast.expr, assigned: dict[str, list[str]] | None) -> list[str]:
    """The strings an argument can be: a literal, either branch of `a if c else b`, a name assigned so, an
    f-string built from an enum."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _texts(node.body, assigned) + _texts(node.orelse, assigned)
    if isinstance(node, ast.Name) and assigned is not None:
        return assigned.get(node.id, [])
    if isinstance(node, ast.JoinedStr):  # an action must be one FORMATTED knows; other assigned f-strings are not
        return FORMATTED[ast.unparse(node)[2:-1]] if assigned is not None else []
    return []


def _written_actions() -> set[tuple[str, str]]:
    """(object, action) for every record_event and _audit call in the services."""
    written = set()
    for path in SERVICES.glob("*.py"):
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef):
                continue
            assigned = {target.id: _texts(node.value, None) for node in ast.walk(function) if isinstance(node, ast.Assign)
                        for target in node.targets if isinstance(target, ast.Name)}
            for call in ast.walk(function):
                if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
                    continue
                keywords = {k.arg: k.value for k in call.keywords}
                if call.func.id == "record_event" and isinstance(keywords.get("entity"), ast.Constant):
                    entities, actions = [keywords["entity"].value], _texts(keywords["action"], assigned)
                elif call.func.id == "_audit" and path.stem in OBJECT_OF_MODULE:
                    entity, position = OBJECT_OF_MODULE[path.stem]
                    entities, actions = [entity], _texts(call.args[position], assigned)
                elif call.func.id == "_audit" and path.stem == "licensing":
                    entities, actions = _texts(call.args[2], assigned), _texts(call.args[4], assigned)
                elif call.func.id == "_audit_round":  # the registry's, for the round a hold ends on
                    entities, actions = _texts(call.args[1], assigned), _texts(call.args[3], assigned)
                else:
                    continue
                written.update(itertools.product(entities, actions))
    return written


def test_every_action_the_services_write_has_a_name():
    written = _written_actions()
    assert len(written) > 50 and ("licence", "royalty_received") in written  # the scan finds them
    named = set(audit_events.ACTION_NAMES) | {("case", action) for action in case_support.ACTION_NAMES}
    assert written - named == set()


def test_every_platform_reason_has_words():
    assert set(SYSTEM_REASON_NAMES) == set(SystemReason)


def test_a_round_without_bids_reads_in_chinese_on_the_audit_page(app, client, session, clock):
    auction = open_round(session, clock)
    clock.advance(days=30)
    with unit_of_work(session):
        close_auction(session, auction.id, now=clock())
    case = session.get(DisposalCase, auction.case_id)
    stored = session.scalars(sa.select(AuditEvent.reason).where(AuditEvent.action == "auction_failed")).all()
    assert SystemReason.NO_VALID_BID in stored  # the code is stored, not a sentence
    sign_in(client, _operator(session))
    html = client.get(f"/operator/audit/?case={case.id}&lang=zh").get_data(as_text=True)
    assert "流拍" in html and "no_valid_bid" not in html
    for raw in ("auction_failed", "start_fen", "increment_fen", "case_id", ">open<", ">failed<", "asset"):
        assert raw not in html.split("<table", 1)[1], raw


def test_details_name_institutions_layers_and_money(app, session, clock):
    with unit_of_work(session):
        event = record_event(session, actor=Actor.system(), entity="claim", entity_id=5, action="claim_drafted",
                             now=clock(), to_state="drafted",
                             detail={"case_id": 9, "layer": "bank", "claimed_fen": 123456, "policy_version": 2})
    with app.test_request_context("/?lang=zh"):
        app.preprocess_request()
        said = audit_events.words(event, {})
    assert said.action == "补偿申请已起草" and said.after == "草稿"
    assert dict(said.details) == {"案件": "#9", "分担方": "银行", "申请金额": "¥1,234.56", "政策版本": "2"}


def _operator(session):
    with unit_of_work(session):
        return make_user(session, Role.OPERATOR)
