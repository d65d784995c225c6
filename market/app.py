"""The application factory: configuration, database, extensions, blueprints. Nothing else."""

from __future__ import annotations

from importlib import resources

from flask import Flask

from market import cli, config, db, security
from market.extensions import babel, csrf, login_manager
from market.throttle import login_throttle
from market.web import (
    api,
    auctions,
    audit_trail,
    auth,
    award,
    bureau,
    cases,
    catalogue,
    channels,
    context,
    data_room,
    i18n,
    invitations,
    ledger,
    mail_preferences,
    main,
    notices,
    operator,
    qualification,
    refusals,
    registry,
    request_limits,
    sandbox,
    settlement,
    tokens,
    webhooks,
)

# One blueprint per audience, registered in this order.
BLUEPRINTS = (auth.bp, main.bp, catalogue.bp, cases.bp, operator.bp, auctions.bp, channels.bp, bureau.bp,
              settlement.bp, ledger.bp, audit_trail.bp, tokens.bp, registry.bp, invitations.bp, notices.bp,
              sandbox.bp, data_room.bp, mail_preferences.bp, qualification.bp, award.bp, webhooks.bp, api.bp)

PACKAGE = resources.files("market")


class Marketplace(Flask):
    """Flask, with every view run in the request's unit of work (context.dispatch_in_unit_of_work)."""

    def dispatch_request(self):
        """Dispatch as Flask does, inside the request's unit of work."""
        return context.dispatch_in_unit_of_work(super().dispatch_request)


def create_app(test_config: dict | None = None) -> Flask:
    """Create the marketplace app; test_config replaces the settings read from the environment."""
    app = Marketplace(
        __name__,
        # the top-level templates/ and static/, shipped inside the package (see pyproject.toml)
        template_folder=str(PACKAGE / "_templates"),
        static_folder=str(PACKAGE / "_static"),
        static_url_path="/static",
    )
    app.config.update(security.DEFAULTS)
    app.config.update(test_config if test_config is not None else config.load_config())
    engine = db.make_engine(app.config["DATABASE_URL"])
    app.extensions["market.engine"] = engine
    app.extensions["market.sessions"] = db.make_session_factory(engine)
    app.teardown_appcontext(context.close_db)

    csrf.init_app(app)
    login_manager.init_app(app)
    # Only the login form is throttled, by the view itself: nothing runs before every other request.
    app.extensions["market.login_throttle"] = login_throttle(
        app.config["RATELIMIT_STORAGE_URI"], engine, app.config["LOGIN_RATE_LIMIT"])
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    security.init_app(app)
    i18n.init_app(app)
    refusals.init_app(app)
    sandbox.init_app(app)
    request_limits.init_app(app)  # before the blueprints: their <int:...> ids use its converter
    csrf.exempt(api.bp)  # bearer-token clients
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    cli.init_app(app)
    return app
