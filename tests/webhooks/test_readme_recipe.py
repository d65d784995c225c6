"""The README's verification recipe, run as a bank would: against a delivery the platform really signed and
posted, and against a tampered, a stale and a wrongly keyed one."""

import re
from datetime import UTC, datetime
from pathlib import Path

from market.domain.roles import Role
from market.services import webhooks
from market.webhook_sink import WebhookSink
from tests.factories import make_case, make_user
from tests.webhooks.test_outbox import CONFIG, _case_moved, _endpoint

README = Path(__file__).resolve().parents[2] / "README.md"


def _recipe() -> dict:
    text = README.read_text()
    block = re.search(r"<!-- webhook-recipe.*?-->\n```python\n(.*?)```", text, re.S)
    assert block, "README lost its webhook recipe"
    namespace: dict = {}
    exec(compile(block.group(1), "README.md recipe", "exec"), namespace)  # noqa: S102 - the documented code itself
    return namespace


def test_the_readme_recipe_verifies_a_real_delivery_and_refuses_forgeries(session, clock):
    verify_delivery = _recipe()["verify_delivery"]
    clock.at = datetime.now(UTC)  # the recipe checks against the real clock, as a bank's would
    case = make_case(session)
    make_user(session, Role.BANK, institution=case.bank)
    with WebhookSink() as sink:
        _endpoint_row, secret = _endpoint(session, clock, case.bank_id, url=sink.url)
        _case_moved(session, clock, case)
        assert webhooks.send_due(session, clock(), CONFIG) == 1
    headers, body = sink.raw[0]
    signature = headers["X-IPD-Signature"]
    assert verify_delivery(secret, signature, body)
    assert not verify_delivery(secret, signature, body.replace(b"verified", b"disposed"))
    assert not verify_delivery("whsec_someone-else", signature, body)
    assert not verify_delivery(secret, signature, body, now=clock().timestamp() + 301)
    assert not verify_delivery(secret, "v1=deadbeef", body)
