"""The per-sample report of analysed micrographs: overlays, histograms, Markdown."""

import json

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw
from scipy import ndimage as ndi

from ..utils._files import write_atomically

__all__ = [
    "class_colours",
    "draw_overlay",
    "plot_size_histograms",
    "write_analysis_report",
]

# Colour-blind-friendly colours (Okabe & Ito), one per class in model order.
_PALETTE = (
    (0, 114, 178),
    (230, 159, 0),
    (204, 121, 167),
    (0, 158, 115),
    (213, 94, 0),
    (86, 180, 233),
    (240, 228, 66),
)


def class_colours(classes):
    """An RGB colour (0-255 ints) for each class, by position.

    Parameters
    ----------
    classes : sequence
        The classes, in report order.

    Returns
    -------
    colours : dict of {str: (int, int, int)}
        Colour-blind-friendly colours (Okabe and Ito), repeating after seven.

    Examples
    --------
    >>> from sklearn_lipnet.experiments import class_colours
    >>> class_colours(["unilamellar", "multilamellar"])
    {'unilamellar': (0, 114, 178), 'multilamellar': (230, 159, 0)}
    """
    return {str(label): _PALETTE[k % len(_PALETTE)] for k, label in enumerate(classes)}


def _to_gray(image, factor):
    """``image`` shrunk ``factor`` times and stretched to 8 bits."""
    image = np.asarray(image, dtype=np.float32)
    if factor > 1:
        height = image.shape[0] // factor * factor
        width = image.shape[1] // factor * factor
        image = (
            image[:height, :width]
            .reshape(height // factor, factor, width // factor, factor)
            .mean(axis=(1, 3))
        )
    low, high = np.percentile(image, [0.5, 99.5])
    scaled = (image - low) / max(high - low, 1e-6)
    return (np.clip(scaled, 0, 1) * 255).astype(np.uint8)


def draw_overlay(image, particles, colours, *, max_side=1600):
    """The micrograph in gray with each particle's outline in its class colour.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        The micrograph.
    particles : pandas.DataFrame
        Its particles: ``mask``, ``cutout_y0``, ``cutout_x0`` (as
        :func:`~sklearn_lipnet.find_particles` returns) and ``class``.
    colours : dict of {str: (int, int, int)}
        Colour of each class (see :func:`class_colours`); a legend with
        the counts is drawn in the top-left corner.
    max_side : int, default=1600
        Micrographs larger than this are shrunk by an integer factor.

    Returns
    -------
    overlay : ndarray of shape (h, w, 3), uint8

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_lipnet.experiments import draw_overlay
    >>> image = np.full((64, 64), 120, dtype=np.uint8)
    >>> disc = np.hypot(*np.mgrid[-10:11, -10:11]) <= 8
    >>> particles = pd.DataFrame({"mask": [disc], "cutout_y0": [20],
    ...                           "cutout_x0": [20], "class": ["uni"]})
    >>> overlay = draw_overlay(image, particles, {"uni": (255, 0, 0)})
    >>> overlay.shape, overlay[30 + 8, 30].tolist()  # the outline, in red
    ((64, 64, 3), [255, 0, 0])
    """
    height, width = np.shape(image)
    factor = max(1, int(np.ceil(max(height, width) / max_side)))
    gray = _to_gray(image, factor)
    overlay = np.repeat(gray[:, :, None], 3, axis=2)
    shape = gray.shape
    for mask, top, left, label in zip(
        particles["mask"],
        particles["cutout_y0"],
        particles["cutout_x0"],
        particles["class"],
    ):
        edge = mask & ~ndi.binary_erosion(mask, border_value=0)
        rows, cols = np.nonzero(edge)
        rows, cols = (rows + top) // factor, (cols + left) // factor
        # Two display pixels wide, so that outlines show at any zoom.
        rows = np.concatenate([rows, rows + 1, rows])
        cols = np.concatenate([cols, cols, cols + 1])
        keep = (rows < shape[0]) & (cols < shape[1])
        overlay[rows[keep], cols[keep]] = colours.get(str(label), (255, 255, 255))
    picture = Image.fromarray(overlay)
    draw = ImageDraw.Draw(picture)
    counts = particles["class"].astype(str).value_counts()
    legend = [f"{label}: {counts.get(label, 0)}" for label in colours]
    width = 28 + 7 * max(map(len, legend))
    draw.rectangle([2, 2, width, 8 + 14 * len(legend)], fill=(0, 0, 0))
    for k, (text, colour) in enumerate(zip(legend, colours.values())):
        y = 6 + 14 * k
        draw.rectangle([6, y, 16, y + 10], fill=colour)
        draw.text((22, y - 1), text, fill=(255, 255, 255))
    return np.asarray(picture)


def plot_size_histograms(particles, classes, colours, path, *, title):
    """Histograms of the diameters of each class, one figure, written to ``path``.

    Parameters
    ----------
    particles : pandas.DataFrame
        ``class`` and ``diameter_nm`` of one sample's particles.
    classes : sequence of str
        Classes in legend order.
    colours : dict of {str: (int, int, int)}
        As for :func:`draw_overlay`.
    path : path-like
        PNG to write (whole or not at all).
    title : str
        Figure title.

    See Also
    --------
    write_analysis_report : Writes one such figure per sample.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from sklearn_lipnet.experiments import class_colours, plot_size_histograms
    >>> particles = pd.DataFrame({"class": ["uni"] * 30 + ["multi"] * 10,
    ...                           "diameter_nm": [80.0] * 30 + [150.0] * 10})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "sizes.png"
    >>> plot_size_histograms(particles, ["uni", "multi"],
    ...                      class_colours(["uni", "multi"]), path, title="a")
    >>> path.stat().st_size > 0
    True
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = particles["diameter_nm"].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    if len(sizes):
        bins = np.histogram_bin_edges(sizes, bins=min(40, max(5, len(sizes) // 5)))
        for label in classes:
            chosen = sizes[particles["class"].astype(str).to_numpy() == str(label)]
            if len(chosen):
                colour = np.array(colours[str(label)]) / 255
                ax.hist(
                    chosen,
                    bins=bins,
                    histtype="step",
                    linewidth=1.8,
                    color=colour,
                    label=f"{label} (n={len(chosen)})",
                )
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no particles", ha="center", transform=ax.transAxes)
    ax.set_xlabel("diameter (nm)")
    ax.set_ylabel("particles")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    write_atomically(path, lambda target: fig.savefig(target, dpi=110))
    plt.close(fig)


def _share(rows, name, low, high):
    return [
        f"{100 * f:.1f} % [{100 * lo:.1f}, {100 * hi:.1f}]"
        for f, lo, hi in zip(rows[name], rows[low], rows[high])
    ]


def _fraction_table(summary, sample, classes):
    rows = summary[(summary["sample"] == sample) & summary["class"].isin(classes)]
    table = pd.DataFrame(
        {
            "class": rows["class"],
            "particles": rows["n"],
            "counted fraction": _share(
                rows, "fraction", "fraction_low", "fraction_high"
            ),
        }
    )
    if "expected_fraction" in rows.columns:
        table["expected fraction"] = _share(
            rows, "expected_fraction", "expected_low", "expected_high"
        )
    return table.to_markdown(index=False)


def _size_table(summary, sample):
    rows = summary[summary["sample"] == sample]
    table = pd.DataFrame(
        {
            "class": rows["class"],
            "particles": rows["n"],
            "mean ± sd (nm)": [
                ""
                if np.isnan(m)
                else f"{m:.1f} ± {s:.1f}"
                if np.isfinite(s)
                else f"{m:.1f}"
                for m, s in zip(rows["diameter_mean_nm"], rows["diameter_std_nm"])
            ],
            "D10 (nm)": rows["D10_nm"].round(1),
            "D50 (nm)": rows["D50_nm"].round(1),
            "D90 (nm)": rows["D90_nm"].round(1),
        }
    )
    return table.to_markdown(index=False)


def write_analysis_report(
    out, *, particles, summary, samples, classes, skipped, settings
):
    """Write the tables and the Markdown report of an analysis into ``out``.

    Writes ``particles.csv`` (one row per particle), ``summary.csv`` (per
    sample and class), ``skipped.csv`` (micrographs that could not be
    analysed, if any), ``sizes_<sample>.png`` and ``report.md``; overlays
    are written as micrographs are analysed. Every file appears whole or
    not at all.

    Parameters
    ----------
    out : pathlib.Path
        The report folder (exists).
    particles : pandas.DataFrame
        Per-particle results: ``sample``, ``micrograph``, position, size,
        ``class`` and the class probabilities.
    summary : pandas.DataFrame
        :func:`summarize_samples` of the particles.
    samples : dict of {str: list of (str, str or None)}
        Per sample, its micrographs analysed: ``(id, overlay file)``.
    classes : sequence of str
        The model's classes.
    skipped : pandas.DataFrame
        ``sample``, ``micrograph``, ``path``, ``error`` of micrographs left out.
    settings : dict
        What was run (model, finder settings, timings, machine), written
        into the report as given.

    Returns
    -------
    report : pathlib.Path
        ``out / "report.md"``.

    See Also
    --------
    summarize_samples : The summary.
    draw_overlay : The overlays ``lipnet analyze`` writes beside the report.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from sklearn_lipnet.experiments import (summarize_samples,
    ...                                         write_analysis_report)
    >>> particles = pd.DataFrame({
    ...     "sample": "a", "micrograph": "m0", "class": ["uni", "uni", "multi"],
    ...     "diameter_nm": [80.0, 90.0, 150.0], "cut_by_border": False})
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> report = write_analysis_report(
    ...     out, particles=particles,
    ...     summary=summarize_samples(particles, ["uni", "multi"]),
    ...     samples={"a": [("m0", None)]}, classes=["uni", "multi"],
    ...     skipped=pd.DataFrame(), settings={"model": "m.lipnet"})
    >>> sorted(path.name for path in out.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['particles.csv', 'report.md', 'settings.json', 'sizes_a.png', 'summary.csv']
    """
    colours = class_colours(classes)
    write_atomically(out / "particles.csv", lambda t: particles.to_csv(t, index=False))
    write_atomically(out / "summary.csv", lambda t: summary.to_csv(t, index=False))
    if len(skipped):
        write_atomically(out / "skipped.csv", lambda t: skipped.to_csv(t, index=False))
    write_atomically(
        out / "settings.json",
        lambda t: t.write_text(json.dumps(settings, indent=2, default=str) + "\n"),
    )
    counted = (
        "all particles"
        if settings.get("include_cut")
        else ("particles not cut by the micrograph's border")
    )
    lines = [
        "# Micrograph analysis",
        "",
        f"{settings.get('n_micrographs_analysed', 0)} micrographs analysed, "
        f"{len(skipped)} skipped, {len(particles)} particles found, in "
        f"{settings.get('wall_time_s', 0):.1f} s. Model: "
        f"`{settings.get('model')}` (classes: {', '.join(map(str, classes))}).",
        "",
        f"Fractions and sizes count {counted}. The counted fraction of a "
        "class is the share of particles classified into it; the expected "
        "fraction is the mean of its probability over the particles (a "
        "particle the model hesitates about counts partly for each class), "
        "the better estimate when the probabilities are calibrated for the "
        "samples (docs/micrographs.md compares the two). Both come with "
        "95 % percentile-bootstrap intervals over the sample's particles; a "
        "model's per-class errors shift them (see its per-class report). "
        "Diameters are those of the disc of each particle's area.",
        "",
    ]
    if settings.get("rebalanced_training"):
        lines += [
            "**Note:** the model was trained on rebalanced classes "
            f"({settings['rebalanced_training']}). Its decisions and "
            "probabilities are tuned to balanced classes, not to samples in "
            "which a class is rare, which shifts the fractions. For class "
            "fractions, train a network without rebalancing (`lipnet train "
            "--sampling none`; the SVM always weights its classes) on particles "
            "in proportions like the samples'.",
            "",
        ]
    for sample, micrographs in samples.items():
        chosen = (
            particles[particles["sample"] == sample] if len(particles) else particles
        )
        if not settings.get("include_cut") and len(chosen):
            chosen = chosen[~chosen["cut_by_border"].astype(bool)]
        name = f"sizes_{sample}.png"
        plot_size_histograms(
            chosen, classes, colours, out / name, title=f"{sample}: diameters by class"
        )
        lines += [f"## Sample {sample}", ""]
        lines += [
            f"{len(micrographs)} micrographs, {len(chosen)} particles counted.",
            "",
        ]
        if len(chosen):
            lines += [
                "Class fractions:",
                "",
                _fraction_table(summary, sample, classes),
                "",
            ]
            lines += ["Diameters:", "", _size_table(summary, sample), ""]
        lines += [f"![diameters]({name})", ""]
        overlays = [(m, f) for m, f in micrographs if f]
        if overlays:
            lines += ["Overlays (outlines coloured by class):", ""]
            lines += [f"- [{m}]({f})" for m, f in overlays]
            lines += [""]
    if len(skipped):
        lines += ["## Skipped micrographs", "", skipped.to_markdown(index=False), ""]
    lines += [
        "## Files",
        "",
        "- `particles.csv`: every particle: sample, micrograph, position and "
        "bounding box (pixels), diameter, detection score, cut by the border, "
        "class and the probability of each class",
        "- `summary.csv`: per sample and class: counts, counted and "
        "expected fractions with intervals, diameter mean, sd, D10, D50, D90",
        "- `overlays/`: each micrograph with the outlines of its particles",
        "- `settings.json`: model, finder settings, timings, machine",
        "",
        "## Settings",
        "",
        pd.Series({k: v for k, v in settings.items() if np.ndim(v) == 0}, dtype=object)
        .rename("value")
        .to_frame()
        .to_markdown(),
        "",
    ]
    return write_atomically(out / "report.md", lambda t: t.write_text("\n".join(lines)))
