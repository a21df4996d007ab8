"""Loss curves for notebooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_loss_series(points: list[dict[str, Any]], title: str = "training loss", ax: Axes | None = None) -> Axes:
    """Plot [{step, loss}] points as a line; return the matplotlib Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot([p["step"] for p in points], [p["loss"] for p in points], marker="o" if len(points) < 30 else None)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return ax
