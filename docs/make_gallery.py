"""Write the gallery of synthetic liposomes shown in ``docs/data.md``.

Run from the repository root::

    python docs/make_gallery.py

It writes ``docs/images/liposomes_<problem>.png``: one row per class, each
cut-out shown at its true size relative to the others, with the outline of
its mask in the last column's twin for the first example.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sklearn_lipnet.datasets import make_liposomes  # noqa: E402
from sklearn_lipnet.datasets._liposomes import CLASSES  # noqa: E402


def draw_gallery(problem, n_per_class, random_state, path):
    classes = CLASSES[problem]
    table, y = make_liposomes(
        n_per_class * len(classes),
        problem=problem,
        weights=[1] * len(classes),
        shuffle=False,
        random_state=random_state,
    )
    fig, axes = plt.subplots(
        len(classes),
        n_per_class,
        figsize=(1.9 * n_per_class, 2.0 * len(classes)),
        squeeze=False,
    )
    # One pixel scale for all panels, so sizes compare across classes.
    side = max(max(image.shape) for image in table["image"])
    for row, label in enumerate(classes):
        rows = np.flatnonzero(y == label)[:n_per_class]
        for ax, index in zip(axes[row], rows):
            image = table["image"][index]
            height, width = image.shape
            ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            ax.set_xlim(width / 2 - side / 2, width / 2 + side / 2)
            ax.set_ylim(height / 2 + side / 2, height / 2 - side / 2)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if index == rows[-1]:
                ax.contour(
                    table["mask"][index],
                    levels=[0.5],
                    colors="tab:orange",
                    linewidths=0.6,
                )
        axes[row, 0].set_ylabel(label, fontsize=11)
    fig.suptitle(
        f"make_liposomes(problem={problem!r}) — {side} px wide panels, "
        "mask outline on the last column",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-class", type=int, default=6)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "images")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for problem in CLASSES:
        path = args.out / f"liposomes_{problem}.png"
        draw_gallery(problem, args.n_per_class, args.random_state, path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
