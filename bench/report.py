"""The result table: one row per figure, with its target and whether it was met."""

from __future__ import annotations

import operator
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_COMPARE: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<=": operator.le, "==": operator.eq}


@dataclass(frozen=True)
class Figure:
    name: str
    value: float | None  # None when the figure could not be measured (see detail)
    comparison: str | None = None  # ">=", "<=", "==" or None for a figure without a target
    target: float | None = None
    detail: str = ""
    unit: str = ""

    @property
    def passed(self) -> bool | None:
        if self.comparison is None or self.target is None:
            return None
        if self.value is None:
            return False
        return _COMPARE[self.comparison](self.value, self.target)

    def value_text(self) -> str:
        if self.value is None:
            return "n/a"
        text = f"{self.value:.0f}" if self.value == int(self.value) and abs(self.value) >= 1 else f"{self.value:.2f}"
        return f"{text} {self.unit}".strip()

    def target_text(self) -> str:
        if self.comparison is None or self.target is None:
            return "-"
        target = f"{self.target:g}"
        return target if self.comparison == "==" else f"{self.comparison} {target}"

    def result_text(self, enforced: bool = True) -> str:
        return {True: "pass", False: "FAIL" if enforced else "miss", None: "-"}[self.passed]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def render(figures: Sequence[Figure], markdown: bool = False, enforced: bool = True) -> str:
    """The table; ``enforced`` False (smoke runs) reports a missed target as "miss", not "FAIL"."""
    header = ("figure", "value", "target", "result", "detail")
    rows = [(f.name, f.value_text(), f.target_text(), f.result_text(enforced), f.detail) for f in figures]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)) + "  " + row[-1]

    return "\n".join([line(header), line(tuple("-" * w for w in widths) + ("-" * 6,)), *map(line, rows)])
