"""The sandbox's clock for integrators' systems: read it, and (the trading centre) jump it forward."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, g
from pydantic import AwareDatetime, Field, model_validator

from market.domain.roles import Role
from market.domain.sandbox import MAX_JUMP, JumpNeedsOneTarget, NotASandbox
from market.services import sandbox
from market.services.audit import Actor
from market.web.api import api_user, bp
from market.web.api.contract import IdempotencyKey, Model, Moment, operation
from market.web.api.idempotency import idempotent
from market.web.context import db, now, sandbox_anchor


class SandboxClock(Model):
    """The sandbox's clock: its time now, its speed and where it was last set."""

    time: Moment = Field(description="The sandbox's time now: every deadline is read against it")
    real_time: Moment = Field(description="Real time now")
    factor: int = Field(ge=1, description="How many times faster than real time the clock runs")
    anchored_real_time: Moment = Field(description="Real time when the clock was last set (started, jumped)")
    anchored_time: Moment = Field(description="What the clock read then")


class ClockJump(Model):
    """How far to jump: forward_seconds, or the sandbox moment `to` (one of them); never back."""

    forward_seconds: int | None = Field(None, ge=1, le=int(MAX_JUMP.total_seconds()),
                                        description="Move the clock forward by this many seconds")
    to: AwareDatetime | None = Field(None, description="Move the clock to this moment (not before its time now)")

    @model_validator(mode="after")
    def _one_target(self) -> ClockJump:
        if (self.forward_seconds is None) == (self.to is None):
            raise JumpNeedsOneTarget()
        return self


def _clock() -> SandboxClock:
    if not current_app.config["SANDBOX"]:
        raise NotASandbox()
    anchor = sandbox_anchor()
    return SandboxClock(time=now(), real_time=current_app.config["CLOCK"](), factor=anchor.factor,
                        anchored_real_time=anchor.real_at, anchored_time=anchor.sandbox_at)


@bp.get("/sandbox/clock")
@operation("sandbox", {200: (SandboxClock, "The clock"), 401: "No or bad token", 404: "Not a sandbox"})
def sandbox_clock():
    """The sandbox's clock (in a sandbox only)"""
    api_user()
    return _clock()


@bp.post("/sandbox/clock/jump")
@idempotent
@operation("sandbox", {200: (SandboxClock, "The clock after the jump"), 400: "Missing Idempotency-Key",
                       401: "No or bad token", 403: "Not the trading centre", 404: "Not a sandbox",
                       409: "The moment is before the clock's time", 422: "No single target, or too far"},
           roles=(Role.OPERATOR,))
def jump_sandbox_clock(json: ClockJump, headers: IdempotencyKey):
    """Jump the sandbox's clock forward (the trading centre, in a sandbox only)

    Whatever falls due on the way is done by the next tick, or when a round is read."""
    user = api_user(write=True)
    if not current_app.config["SANDBOX"]:
        raise NotASandbox()
    forward = timedelta(seconds=json.forward_seconds) if json.forward_seconds is not None else None
    g.sandbox_anchor = sandbox.jump(db(), actor=Actor.of(user), real_now=current_app.config["CLOCK"](),
                                    factor=current_app.config["SANDBOX_FACTOR"], to=json.to, forward=forward)
    return _clock()
