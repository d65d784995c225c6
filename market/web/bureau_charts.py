"""Chart geometry for the bureau's pages; templates/bureau/_charts.html draws it as inline SVG (CSP-safe)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

PALETTE = ("#a8201a", "#2b6cb0", "#b7791f", "#1a7f37", "#6b46c1", "#4a5568")


@dataclass(frozen=True)
class Rect:
    """One bar."""

    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str  # shown as a tooltip and read by screen readers


@dataclass(frozen=True)
class Mark:
    """A horizontal marker over one category (e.g. a tolerance)."""

    x1: float
    x2: float
    y: float
    title: str


@dataclass(frozen=True)
class Label:
    """A text label at a point."""

    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    """A bar chart ready to draw: bars, markers, axis labels, ticks and a legend."""

    title: str
    width: int
    height: int
    bars: list[Rect] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, text)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, name)
    plot_left: int = 70
    plot_right: int = 0
    baseline: float = 0

    @property
    def empty(self) -> bool:
        """Nothing to draw."""
        return not self.bars or all(bar.height == 0 for bar in self.bars)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def grouped_bars(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    markers: Sequence[float | None] | None = None,
    marker_label: str = "",
    width: int = 640,
    height: int = 260,
) -> Chart:
    """Bars per category, one per series, with an optional marker per category (drawn as a line)."""
    left, right, top, bottom = 70, 10, 14, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vs in series for v in vs] + [m for m in (markers or []) if m is not None]
    top_value = _nice_max(max(values, default=0))
    scale = plot_h / top_value
    baseline = top + plot_h
    group_w = plot_w / max(1, len(categories))
    bar_w = max(2.0, (group_w * 0.8) / max(1, len(series)))
    chart = Chart(title, width, height, plot_left=left, plot_right=width - right, baseline=baseline)
    for i, category in enumerate(categories):
        x0 = left + i * group_w + group_w * 0.1
        for j, (name, vs) in enumerate(series):
            value = vs[i]
            h = value * scale
            chart.bars.append(Rect(round(x0 + j * bar_w, 1), round(baseline - h, 1), round(bar_w - 1, 1),
                                   round(h, 1), PALETTE[j % len(PALETTE)], f"{category} · {name}: {fmt(value)}"))
        if markers and markers[i] is not None:
            y = round(baseline - markers[i] * scale, 1)
            chart.marks.append(Mark(round(x0, 1), round(x0 + group_w * 0.8, 1), y,
                                    f"{category} · {marker_label}: {fmt(markers[i])}"))
        chart.labels.append(Label(round(left + (i + 0.5) * group_w, 1), baseline + 16, category))
    for k in range(5):
        value = top_value * k / 4
        chart.ticks.append((round(baseline - value * scale, 1), fmt(value)))
    chart.legend.extend((PALETTE[j % len(PALETTE)], name) for j, (name, _) in enumerate(series))
    return chart


@dataclass(frozen=True)
class Segment:
    """One part of a stacked horizontal bar."""

    x: float
    width: float
    fill: str
    title: str


def stacked_bar(parts: Sequence[tuple[str, int, str]], *, fmt: Callable[[float], str], width: int = 640) -> list[Segment]:
    """A 100% horizontal bar of (name, amount, colour) parts, e.g. a budget: paid / pending / left."""
    total = sum(amount for _, amount, _ in parts)
    segments, x = [], 0.0
    for name, amount, colour in parts:
        w = 0 if total <= 0 else width * amount / total
        segments.append(Segment(round(x, 1), round(w, 1), colour, f"{name}: {fmt(amount)}"))
        x += w
    return segments
