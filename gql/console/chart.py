"""The front page's chart: registrations, approvals and blocks per day, drawn as SVG on the server."""

from __future__ import annotations

from dataclasses import dataclass

from gql.domain.dashboard import CHARTED, DailyActivity
from gql.domain.events import EventKind

WIDTH = 600
HEIGHT = 160
# One colour per series, each with enough contrast on white (WCAG 3:1 for graphics).
COLOURS = {EventKind.REGISTERED: "#1f5fbf", EventKind.APPROVED: "#1b7f3b", EventKind.BLOCKED: "#b3261e"}
LABELS = {EventKind.REGISTERED: "registered", EventKind.APPROVED: "approved", EventKind.BLOCKED: "blocked"}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    top: int  # the largest count of a day: the scale
    legend: list[tuple[str, str]]
    first: str
    last: str


def activity_chart(days: list[DailyActivity]) -> Chart:
    """Grouped bars: for each day, one bar per series, scaled to the busiest day's count."""
    top = max((count for day in days for count in day.counts.values()), default=0)
    slot = WIDTH / max(len(days), 1)
    width = slot / (len(CHARTED) + 1)
    bars = []
    for index, day in enumerate(days):
        for series, kind in enumerate(CHARTED):
            count = day.counts[kind]
            height = 0 if top == 0 else (HEIGHT - 10) * count / top
            bars.append(
                Bar(
                    x=round(index * slot + series * width, 2),
                    y=round(HEIGHT - height, 2),
                    width=round(width, 2),
                    height=round(height, 2),
                    colour=COLOURS[kind],
                    title=f"{day.day.isoformat()}: {count} {LABELS[kind]}",
                )
            )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        top=top,
        legend=[(LABELS[kind], COLOURS[kind]) for kind in CHARTED],
        first=days[0].day.isoformat() if days else "",
        last=days[-1].day.isoformat() if days else "",
    )
