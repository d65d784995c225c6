"""The served OpenAPI document is the API's contract: schemathesis runs every operation with all its checks
against the demo data (a bank's and the operator's tokens), and nothing fails.

A schema cannot say which valid requests a business rule refuses, so "valid data is accepted" also allows
our rule answers (409 not now, 422 a broken rule); and unknown query parameters are ignored (except by the
catalogue, which names them), so none are generated. Everything else is the checks' own default.
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from market.db import unit_of_work
from market.demo import auctions as demo_auctions
from market.demo import channels as demo_channels
from market.demo import core as demo_core
from market.models import User
from market.services.accounts import create_api_token

CONFIG = SchemathesisConfig.from_dict({
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}},
    "generation": {"allow-extra-parameters": False},  # query parameters the API does not know are ignored
})
EXAMPLES = 2  # per operation and generation mode: the whole API in well under a minute


@pytest.fixture
def contract(app, session, clock):
    """The demo data, bearer headers for bank2 and the operator, and the schema as served."""
    with unit_of_work(session):
        for area in (demo_core, demo_auctions, demo_channels):  # ids that exist, for a share of the calls
            area.seed(session, clock())
        tokens = [create_api_token(session, session.scalar(sa.select(User).where(User.email == f"{who}@demo.test")))
                  for who in ("bank2", "operator")]
    session.rollback()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
    return schema, [{"Authorization": f"Bearer {token}"} for token in tokens]


def test_every_operation_keeps_every_check_of_its_contract(contract):
    schema, callers = contract
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len({(op.method, op.path) for op in operations}) >= 45
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode), caller=st.sampled_from(callers))
            def exercise(case, caller):
                headers = dict(caller)
                if "Idempotency-Key" in (case.headers or {}):
                    case.headers["Idempotency-Key"] = str(uuid.uuid4())  # reuse is tested on its own
                case.call_and_validate(headers=headers)

            exercise()
