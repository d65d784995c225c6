"""A bank's IT generates its client from the served document (openapi-python-client) and bids with the typed
models only, against the real app under gunicorn: list, pay the deposit, bid, be outbid (409 carrying the
fresh auction), bid again from it, read the history."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import urllib.request
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from tests.live_server import BIN, gunicorn_serving

PACKAGE = "bank_client"


def _arrange(database_url: str) -> dict[str, str]:
    """The demo's open auctions, a token for bank2 and one for a second bank."""
    from market.db import make_engine, make_session_factory, unit_of_work
    from market.demo import auctions as demo_auctions
    from market.demo import core as demo_core
    from market.models import User
    from market.services.accounts import create_api_token
    from tests.factories import make_institution, make_user

    engine = make_engine(database_url)
    with make_session_factory(engine)() as session, unit_of_work(session):
        demo_core.seed(session, datetime.now(UTC))
        demo_auctions.seed(session, datetime.now(UTC))
        bank2 = session.scalar(sa.select(User).where(User.email == "bank2@demo.test"))
        rival = make_user(session, institution=make_institution(session))
        tokens = {"bank2": create_api_token(session, bank2), "rival": create_api_token(session, rival)}
    engine.dispose()
    return tokens


def _generate(base: str, tmp_path) -> None:
    """Generate the client package from the served document, as a bank's IT would."""
    document = tmp_path / "openapi.json"
    with urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=10) as answer:
        document.write_bytes(answer.read())
    config = tmp_path / "client.yml"
    config.write_text(f"project_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\n")
    subprocess.run([str(BIN / "openapi-python-client"), "generate", "--path", str(document), "--config", str(config),
                    "--meta", "none", "--output-path", str(tmp_path / PACKAGE)],
                   check=True, capture_output=True, timeout=300, cwd=tmp_path,
                   env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"})
    sys.path.insert(0, str(tmp_path))


class _Operations:
    """The generated operations of one tag, each its own module (`api.list_auctions.sync(...)`)."""

    def __init__(self, package: str):
        self.package = package

    def __getattr__(self, name: str):
        return importlib.import_module(f"{self.package}.{name}")


def test_a_generated_client_bids_with_typed_models_and_reads_the_outbid_auction(tmp_path):
    with gunicorn_serving(tmp_path, _arrange) as (base, tokens):
        _generate(base, tmp_path)
        try:
            client_module = importlib.import_module(PACKAGE)
            api = _Operations(f"{PACKAGE}.api.auctions")
            models = importlib.import_module(f"{PACKAGE}.models")
            clients = {who: client_module.AuthenticatedClient(base_url=f"{base}/api/v1", token=token)
                       for who, token in tokens.items()}

            listed = api.list_auctions.sync(client=clients["bank2"], status=models.AuctionStatus.OPEN)
            assert isinstance(listed, models.AuctionList) and listed.auctions
            auction = next(a for a in listed.auctions if a.kind == models.AuctionKind.ASSET)

            for who in ("bank2", "rival"):
                paid = api.post_deposit.sync(auction.id, client=clients[who], idempotency_key=str(uuid.uuid4()))
                assert isinstance(paid, models.DepositPaid) and paid.deposit.code

            stale = api.get_auction.sync(auction.id, client=clients["rival"])
            first = api.post_bid.sync(auction.id, client=clients["bank2"], body=models.BidIn(amount=stale.minimum_bid),
                                      idempotency_key=str(uuid.uuid4()))
            assert isinstance(first, models.BidPlaced) and first.bid.amount == stale.minimum_bid

            refused = api.post_bid.sync_detailed(auction.id, client=clients["rival"],
                                                 body=models.BidIn(amount=stale.minimum_bid),
                                                 idempotency_key=str(uuid.uuid4()))
            assert refused.status_code == 409
            assert isinstance(refused.parsed, models.Error) and refused.parsed.error == models.ErrorCode.OUTBID
            fresh = refused.parsed.auction
            assert isinstance(fresh, models.AuctionView) and fresh.minimum_bid == first.auction.minimum_bid

            again = api.post_bid.sync(auction.id, client=clients["rival"], body=models.BidIn(amount=fresh.minimum_bid),
                                      idempotency_key=str(uuid.uuid4()))
            assert isinstance(again, models.BidPlaced)

            history = api.list_bids.sync(auction.id, client=clients["bank2"])
            assert isinstance(history, models.BidHistory)
            assert [line.amount for line in history.bids][-2:] == [stale.minimum_bid, fresh.minimum_bid]
        finally:
            sys.path.remove(str(tmp_path))
            for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
                del sys.modules[name]
