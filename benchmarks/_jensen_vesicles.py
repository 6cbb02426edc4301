"""The real cryo-EM vesicles of ``benchmarks/real_data/jensen_vesicles``.

Six micrographs with two tables of circles on them (see its ``SOURCE.md``):
``particles.csv``, the 698 single-membrane vesicles their authors annotated,
and ``lamellarity.csv``, our by-eye lamellarity classes of every vesicle
that was annotated or found (unilamellar, multilamellar, uncertain). Used by
``bench_real_vesicles`` (detection, masks, models trained on synthetic
particles) and ``bench_real_data`` (cross-validated classification).
"""

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from sklearn_lipnet.datasets import list_micrographs

DATA = Path(__file__).resolve().parent / "real_data" / "jensen_vesicles"
#: Half the side of a classification cut-out, in radii of its vesicle: a box
#: of 1.5 diameters, as ``real_data/README.md`` asks of vendored cut-outs.
CUT_OUT_CONTEXT = 1.5
#: The two classes cross-validated: the 16 "uncertain" vesicles (overlapped,
#: under ice, too faint to tell) are too few, and lie mostly in one
#: micrograph, for folds grouped by micrograph.
LAMELLARITY_CLASSES = ("unilamellar", "multilamellar")


def load(folder=DATA):
    """The micrographs (with their images) and the annotated vesicles."""
    micrographs = list_micrographs(folder)
    micrographs["image"] = [
        np.asarray(Image.open(path)) for path in micrographs["path"]
    ]
    vesicles = pd.read_csv(folder / "particles.csv")
    return micrographs, vesicles


def load_lamellarity(folder=DATA):
    """The by-eye lamellarity table: ``micrograph, y, x, radius_px, class,
    circle, annotation`` (``circle``: where the circle comes from;
    ``annotation``: the row of ``particles.csv``, -1 for none)."""
    return pd.read_csv(folder / "lamellarity.csv")


def annotated_disc(vesicle, half, shape):
    """The annotated disc in the square of ``2 * half + 1`` px about the
    vesicle's rounded centre, clipped to a micrograph of ``shape``.

    Returns the square's top and left in the micrograph and the disc.
    """
    row, col = int(round(vesicle.y)), int(round(vesicle.x))
    top, left = max(row - half, 0), max(col - half, 0)
    bottom = min(row + half + 1, shape[0])
    right = min(col + half + 1, shape[1])
    rows, cols = np.mgrid[top:bottom, left:right]
    disc = np.hypot(rows - vesicle.y, cols - vesicle.x) <= vesicle.radius_px
    return top, left, disc


def vesicle_cut_outs(micrographs, vesicles, context):
    """Each vesicle in a square of ``2 * context`` radii, with its disc.

    Vesicles whose square the micrograph's border would cut are left out.
    The other columns of ``vesicles`` (a ``class``, say) are kept.
    """
    images = dict(zip(micrographs["id"], micrographs["image"]))
    rows = []
    records = vesicles.to_dict("records")
    for vesicle, record in zip(vesicles.itertuples(), records):
        image = images[vesicle.micrograph]
        half = int(np.ceil(context * vesicle.radius_px))
        top, left, disc = annotated_disc(vesicle, half, image.shape)
        if disc.shape != (2 * half + 1, 2 * half + 1):
            continue
        rows.append(
            {
                **record,
                "id": f"{vesicle.micrograph}-{vesicle.Index}",
                "image": image[top : top + disc.shape[0], left : left + disc.shape[1]],
                "annotated": disc,
            }
        )
    return pd.DataFrame(rows)


def lamellarity_cut_outs(folder=DATA, classes=LAMELLARITY_CLASSES):
    """The by-eye labelled vesicles of ``classes`` as a maskless particle
    table (``id``, ``micrograph``, ``image``) and their labels.

    Each is cut out in a box of ``2 * CUT_OUT_CONTEXT`` radii about its
    circle's centre; the few the micrograph's border would cut are left out.
    """
    micrographs, _ = load(folder)
    labelled = load_lamellarity(folder)
    labelled = labelled[labelled["class"].isin(classes)]
    table = vesicle_cut_outs(micrographs, labelled, CUT_OUT_CONTEXT)
    y = table["class"].to_numpy()
    return table[["id", "micrograph", "image"]], y
