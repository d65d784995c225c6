"""The sandbox's clock: time that runs `factor` times faster than real time from an anchor, and jumps forward.

An anchor is (real time at the anchor, sandbox time at the anchor, factor); the sandbox time at a real moment
is `sandbox_at + (real − real_at) × factor`. A jump or a change of factor sets a new anchor at the moment it
happens, so the clock never runs backwards. The rules' durations (a 30-day notice, a 24-hour window, the
5-minute extension) are unchanged: they simply pass `factor` times faster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from market.domain.errors import Kind, NotFound, Refusal

DEFAULT_FACTOR = 1440  # a day in a minute
MAX_FACTOR = 1_000_000
MAX_JUMP = timedelta(days=3660)  # ten years: far enough for any rehearsal, far from datetime's end


class NotASandbox(NotFound):
    """The sandbox's clock exists only when the platform runs as a sandbox (MARKET_SANDBOX=1)."""

    code = "not_a_sandbox"


class ClockCannotGoBack(Refusal):
    """A jump moves the sandbox's clock forward only: everything already done stays in the past."""

    code, kind, fields = "sandbox_clock_backwards", Kind.CONFLICT, ("to", "sandbox_now")


class JumpTooFar(Refusal, ValueError):
    """One jump moves the clock by at most MAX_JUMP."""

    code, kind, fields = "sandbox_jump_too_far", Kind.INVALID, ("max_days",)


class JumpNeedsOneTarget(Refusal, ValueError):
    """A jump says either how far forward or to which moment, not both and not neither."""

    code, kind = "sandbox_jump_needs_one_target", Kind.INVALID


@dataclass(frozen=True)
class ClockAnchor:
    """Where the sandbox's clock was set last: at real time `real_at` it read `sandbox_at`, running `factor`×."""

    real_at: datetime
    sandbox_at: datetime
    factor: int

    def time_at(self, real_now: datetime) -> datetime:
        """The sandbox time at real time `real_now` (a real clock set back does not take it below the anchor)."""
        return self.sandbox_at + max(real_now - self.real_at, timedelta(0)) * self.factor

    def real_time_of(self, sandbox_moment: datetime) -> datetime:
        """When, in real time, the sandbox's clock will read `sandbox_moment` (if nobody jumps)."""
        return self.real_at + (sandbox_moment - self.sandbox_at) / self.factor

    def jumped_to(self, to: datetime, real_now: datetime) -> ClockAnchor:
        """The anchor after a jump to sandbox time `to` at real time `real_now`; refuses going back or too far."""
        current = self.time_at(real_now)
        if to < current:
            raise ClockCannotGoBack(to=to, sandbox_now=current)
        if to - current > MAX_JUMP:
            raise JumpTooFar(max_days=MAX_JUMP.days)
        return ClockAnchor(real_at=real_now, sandbox_at=to, factor=self.factor)

    def running_at(self, factor: int, real_now: datetime) -> ClockAnchor:
        """The anchor after the factor changes at real time `real_now`: the sandbox time carries on from there."""
        return ClockAnchor(real_at=real_now, sandbox_at=self.time_at(real_now), factor=factor)

    @classmethod
    def started(cls, real_now: datetime, factor: int) -> ClockAnchor:
        """A new sandbox clock: it reads real time now and runs `factor`× from here."""
        return cls(real_at=real_now, sandbox_at=real_now, factor=factor)
