"""The application factory: configuration, database, extensions, blueprints. Nothing else."""

from __future__ import annotations

from flask import Flask

from market import cli, config, db, security
from market.extensions import babel, csrf, limiter, login_manager
from market.web import (
    api,
    auctions,
    audit_trail,
    auth,
    bureau,
    cases,
    catalogue,
    channels,
    context,
    i18n,
    ledger,
    main,
    operator,
    refusals,
    settlement,
)

# One blueprint per audience, registered in this order.
BLUEPRINTS = (auth.bp, main.bp, catalogue.bp, cases.bp, operator.bp, auctions.bp, channels.bp, bureau.bp,
              settlement.bp, ledger.bp, audit_trail.bp, api.bp)


class Marketplace(Flask):
    """Flask, with every view run in the request's unit of work (context.dispatch_in_unit_of_work)."""

    def dispatch_request(self):
        """Dispatch as Flask does, inside the request's unit of work."""
        return context.dispatch_in_unit_of_work(super().dispatch_request)


def create_app(test_config: dict | None = None) -> Flask:
    """Create the marketplace app; test_config replaces the settings read from the environment."""
    app = Marketplace(
        __name__,
        template_folder=str(config.PROJECT_ROOT / "templates"),
        static_folder=str(config.PROJECT_ROOT / "static"),
    )
    app.config.update(security.DEFAULTS)
    app.config.update(test_config if test_config is not None else config.load_config())
    engine = db.make_engine(app.config["DATABASE_URL"])
    app.extensions["market.engine"] = engine
    app.extensions["market.sessions"] = db.make_session_factory(engine)
    app.teardown_appcontext(context.close_db)

    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    # Only the login form is rate-limited, and its decorator checks the limit itself; the extension's
    # check before every other request (about 5% of an API request's work) finds nothing to do.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    security.init_app(app)
    i18n.init_app(app)
    refusals.init_app(app)
    csrf.exempt(api.bp)  # bearer-token clients
    limiter.exempt(api.bp)  # the login form is what is rate-limited
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    cli.init_app(app)
    return app
