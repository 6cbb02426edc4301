"""Write the gallery of synthetic liposomes shown in ``docs/data.md``.

Run from the repository root::

    python docs/make_gallery.py

It writes ``docs/images/liposomes_<problem>.png``: one row per class, each
cut-out at its own scale with its size in pixels, and the outline of the
true mask on the last one of each row. ``--regime hard`` writes
``docs/images/liposomes_hard_<problem>.png`` from the hard regime instead
(shown without interpolation, so the pixels and JPEG blocks stay visible).
"""

import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from sklearn_lipnet.datasets import make_liposomes  # noqa: E402
from sklearn_lipnet.datasets._liposomes import CLASSES  # noqa: E402


def draw_gallery(problem, n_per_class, random_state, path, regime="default"):
    classes = CLASSES[problem]
    table, y = make_liposomes(
        n_per_class * len(classes),
        problem=problem,
        weights=[1] * len(classes),
        regime=regime,
        masks=True,
        shuffle=False,
        random_state=random_state,
    )
    fig, axes = plt.subplots(
        len(classes),
        n_per_class,
        figsize=(2.2 * n_per_class, 2.35 * len(classes)),
        squeeze=False,
    )
    for row, label in enumerate(classes):
        rows = np.flatnonzero(y == label)[:n_per_class]
        for ax, index in zip(axes[row], rows):
            image = table["image"][index]
            interpolation = "lanczos" if regime == "default" else "nearest"
            ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation=interpolation)
            if index == rows[-1]:
                ax.contour(
                    table["mask"][index],
                    levels=[0.5],
                    colors="tab:orange",
                    linewidths=0.8,
                )
            ax.set_title(f"{image.shape[1]} x {image.shape[0]} px", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(label, fontsize=11)
    scale = "1 nm/px" if regime == "default" else "pixel size of its micrograph"
    fig.suptitle(
        f"make_liposomes(problem={problem!r}, regime={regime!r}, "
        f"random_state={random_state}): each cut-out at its own scale ({scale}), "
        "true mask outlined in the last column",
        fontsize=9,
    )
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=110)
    plt.close(fig)
    # Gray noise barely compresses: a 256-colour palette keeps the file small.
    Image.open(buffer).convert("RGB").quantize(256).save(path, optimize=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-class", type=int, default=6)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "images")
    parser.add_argument("--regime", choices=["default", "hard"], default="default")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    prefix = "liposomes" if args.regime == "default" else "liposomes_hard"
    for problem in CLASSES:
        path = args.out / f"{prefix}_{problem}.png"
        draw_gallery(problem, args.n_per_class, args.random_state, path, args.regime)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
