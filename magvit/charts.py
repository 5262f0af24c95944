"""PNG charts of object-aware scores by horizon (matplotlib, headless Agg backend)."""

from __future__ import annotations

from pathlib import Path

from magvit.objects import ObjectReport

REFERENCE_STYLE = {
    "prediction": ("tab:red", "-", "o"),
    "copy_last_frame": ("tab:grey", "--", "s"),
    "constant_velocity": ("tab:blue", "--", "^"),
    "reconstruction": ("tab:green", ":", "d"),
}
"""Colour, line and marker of each reference; others get matplotlib's cycle."""


def horizon_chart(report: ObjectReport, path: str | Path, title: str = "") -> Path:
    """Three panels against the horizon (frames after the last given one): centroid error (pixels),
    share of clips with the disk visible, and PSNR (dB); one line per reference."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    horizons = list(range(1, report.horizons + 1))
    panels = (("centroid_error", "centroid error (pixels)"), ("visible", "disk visible (share of clips)"),
              ("psnr", "PSNR (dB)"))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), dpi=80)
    try:
        for ax, (attr, label) in zip(axes, panels):
            for name, scores in report.references.items():
                colour, line, marker = REFERENCE_STYLE.get(name, (None, "-", "."))
                ax.plot(horizons, getattr(scores, attr), color=colour, linestyle=line, marker=marker,
                        markersize=4, label=name.replace("_", " "))
            ax.set_xlabel("frames after the last given frame")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
        axes[1].set_ylim(-0.05, 1.05)
        axes[0].legend(fontsize=8)
        fig.suptitle(title or f"{report.clips} held-out clips")
        fig.tight_layout()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
