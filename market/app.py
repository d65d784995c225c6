"""The application factory: configuration, database, extensions, blueprints. Nothing else."""

from __future__ import annotations

from flask import Flask

from market import cli, config, db, security
from market.extensions import babel, csrf, limiter, login_manager
from market.web import blueprints, context, i18n, refusals


def create_app(test_config: dict | None = None) -> Flask:
    """Create the marketplace app; test_config replaces the settings read from the environment."""
    app = Flask(
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
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    cli.init_app(app)
    return app
