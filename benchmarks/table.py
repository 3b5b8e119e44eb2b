"""The one table `script/bench` prints: each figure, ours, its baseline, the ratio, a limit."""

from __future__ import annotations

from dataclasses import dataclass
import statistics


@dataclass(frozen=True, slots=True)
class Row:
    """One measured figure, side by side with what it is compared to."""

    figure: str
    ours: str
    baseline: str = ""
    ratio: float | None = None
    limit: float | None = None
    """The highest ratio the issue allows, where there is one."""

    @property
    def verdict(self) -> str:
        """``ok`` or ``OVER`` where there is a limit."""
        if self.limit is None or self.ratio is None:
            return ""
        return "ok" if self.ratio <= self.limit else "OVER"


ROWS: list[Row] = []


def add(row: Row) -> None:
    """Keep a row for the table printed at the end of the run."""
    ROWS.append(row)


def ms(seconds: float) -> str:
    """Seconds as milliseconds, for the table."""
    return f"{seconds * 1000:.2f} ms"


def median(samples: list[float]) -> float:
    """The median of the samples."""
    return statistics.median(samples)


def render(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    header = ["figure", "ours", "baseline", "ratio", "limit", ""]
    body = [
        [
            row.figure,
            row.ours,
            row.baseline,
            "" if row.ratio is None else f"{row.ratio:.2f}x",
            "" if row.limit is None else f"<= {row.limit:.2f}x",
            row.verdict,
        ]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return (
            "| "
            + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
            + " |"
        )

    return "\n".join(
        [line(header), "| " + " | ".join("-" * width for width in widths) + " |", *map(line, body)]
    )
