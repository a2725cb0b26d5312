"""The report's chart: coverage-accuracy curves, F1 by question type, reliability diagram."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eval.tables import Row

PLOTTED_ROLES = ("primary", "baseline")


def plotted(rows: Sequence[Row]) -> list[Row]:
    """Rows worth a line: primaries and baselines that scored at least one question."""
    return [r for r in rows if r.role in PLOTTED_ROLES and r.summary.n]


def _coverage_panel(ax, rows: Sequence[Row]) -> None:
    for r in rows:
        curve = [p for p in r.summary.curve if p.coverage > 0]  # nothing answered: no accuracy
        ax.plot([p.coverage for p in curve], [p.accuracy for p in curve], marker=".", label=r.label)
    ax.set(
        title="Coverage–accuracy",
        xlabel="coverage (share answered)",
        ylabel="mean F1 of answered",
        xlim=(0, 1.02),
        ylim=(0, 1.02),
    )
    ax.legend(fontsize=7)


def _type_panel(ax, rows: Sequence[Row]) -> None:
    rows = [r for r in rows if r.role == "primary" and r.summary.f1_by_type]
    types = sorted({t for r in rows for t in r.summary.f1_by_type})
    width = 0.8 / max(1, len(rows))
    for i, r in enumerate(rows):
        xs = [j + i * width for j in range(len(types))]
        ax.bar(xs, [r.summary.f1_by_type.get(t, 0.0) for t in types], width, label=r.label)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(types))], types, rotation=45, ha="right")
    ax.set(title="F1 by question type (answerable)", ylabel="mean F1", ylim=(0, 1.02))
    if rows:
        ax.legend(fontsize=7)


def _reliability_panel(ax, rows: Sequence[Row]) -> None:
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    for r in rows:
        filled = [b for b in r.summary.reliability if b.count]
        ax.plot(
            [b.mean_confidence for b in filled],
            [b.accuracy for b in filled],
            marker="o",
            label=f"{r.label} (ECE {r.summary.ece:.2f})",
        )
    ax.set(
        title="Reliability of p(correct)",
        xlabel="mean p(correct) in bin",
        ylabel="share correct",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    ax.legend(fontsize=7)


def write_chart(path: Path, rows: Sequence[Row]) -> bool:
    """Draw the chart with the Agg backend; False (and no file) when nothing was scored."""
    rows = plotted(rows)
    if not rows:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    calibrated = [r for r in rows if r.role == "primary" and r.summary.reliability]
    panels = 3 if calibrated else 2
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 5), constrained_layout=True)
    _coverage_panel(axes[0], rows)
    _type_panel(axes[1], rows)
    if calibrated:
        _reliability_panel(axes[2], calibrated)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
