"""Lamellarity on real cryo-EM vesicles (benchmarks/real_data/jensen_vesicles).

The classes in ``lamellarity.csv`` are ours, given by eye; these tests check
that the table describes the micrographs (its circles sit on membranes, its
multilamellar vesicles hold more membrane than its unilamellar ones) and
that the default SVM pipeline learns the rare class from two dozen real
particles.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import ndimage as ndi

from sklearn_lipnet import make_svm_pipeline
from sklearn_lipnet.datasets import list_micrographs

DATA = Path(__file__).resolve().parents[2] / "benchmarks/real_data/jensen_vesicles"
ANGLES = np.linspace(0, 2 * np.pi, 90, endpoint=False)


@pytest.fixture(scope="module")
def micrographs():
    table = list_micrographs(DATA)
    return {
        id_: ndi.gaussian_filter(np.asarray(Image.open(path), dtype=float), 1.0)
        for id_, path in zip(table["id"], table["path"])
    }


@pytest.fixture(scope="module")
def labelled():
    return pd.read_csv(DATA / "lamellarity.csv")


def _ring(image, row, col, radius):
    return ndi.map_coordinates(
        image,
        [row + radius * np.sin(ANGLES), col + radius * np.cos(ANGLES)],
        order=1,
    ).mean()


def _membrane_contrast(micrographs, vesicles):
    """Mean of (brightness just outside) - (brightness on the outer membrane)."""
    contrast = []
    for vesicle in vesicles.itertuples():
        image = micrographs[vesicle.micrograph]
        # Circles follow the outer edge of the outermost membrane: its dark
        # band lies a few pixels inside.
        on = _ring(image, vesicle.y, vesicle.x, 0.85 * vesicle.radius_px)
        outside = _ring(image, vesicle.y, vesicle.x, vesicle.radius_px + 6)
        contrast.append(outside - on)
    return np.mean(contrast)


def test_the_circles_sit_on_the_membranes(micrographs, labelled):
    expected = _membrane_contrast(micrographs, labelled)
    assert expected > 0
    for d_row, d_col in [(4, 0), (-4, 0), (0, 4), (0, -4)]:
        shifted = labelled.assign(y=labelled["y"] + d_row, x=labelled["x"] + d_col)
        assert _membrane_contrast(micrographs, shifted) < 0.8 * expected
    transposed = labelled.rename(columns={"x": "y", "y": "x"})
    assert _membrane_contrast(micrographs, transposed) < 0.5 * expected


def _interior_darkness(micrograph, vesicle):
    """How far the darkest tenth of the vesicle's inner half (within 0.55
    radii of the centre) lies below the brightness just outside it: inner
    lamellae and enclosed vesicles make it dark, a lone membrane does not
    reach it."""
    radius = vesicle.radius_px
    rows, cols = np.mgrid[
        max(int(vesicle.y - radius - 8), 0) : int(vesicle.y + radius + 9),
        max(int(vesicle.x - radius - 8), 0) : int(vesicle.x + radius + 9),
    ]
    inside = (rows < micrograph.shape[0]) & (cols < micrograph.shape[1])
    rows, cols = rows[inside], cols[inside]
    distance = np.hypot(rows - vesicle.y, cols - vesicle.x)
    core = micrograph[rows[distance < 0.55 * radius], cols[distance < 0.55 * radius]]
    around = (distance > radius + 3) & (distance < radius + 8)
    return np.median(micrograph[rows[around], cols[around]]) - np.percentile(core, 10)


def test_multilamellar_vesicles_are_dark_inside(micrographs, labelled):
    # Blurred more (sigma 2 in all) to compare structure, not noise.
    smooth = {
        key: ndi.gaussian_filter(image, 3**0.5) for key, image in micrographs.items()
    }
    darkness = {
        label: np.array(
            [
                _interior_darkness(smooth[vesicle.micrograph], vesicle)
                for vesicle in labelled[labelled["class"] == label].itertuples()
            ]
        )
        for label in ("unilamellar", "multilamellar")
    }
    # Most multilamellar vesicles are darker inside than 90 % of the
    # unilamellar ones (by eye, the classes say so; so must the pixels).
    threshold = np.percentile(darkness["unilamellar"], 90)
    assert np.mean(darkness["multilamellar"] > threshold) > 0.8


def test_default_svm_learns_the_rare_class_from_real_particles():
    # Imported here: the benchmarks package is not installed with the
    # package, but sits next to the tests in the repository.
    from benchmarks._jensen_vesicles import lamellarity_cut_outs

    table, y = lamellarity_cut_outs()
    test = table["micrograph"].isin(["MicData_5", "MicData_6"]).to_numpy()
    model = make_svm_pipeline(random_state=0).fit(table[~test], y[~test])
    predicted = model.predict(table[test])
    multilamellar = y[test] == "multilamellar"
    assert multilamellar.sum() == 9
    # All 9 multilamellar test vesicles with C and the kernel width chosen
    # by inner cross-validation; the thesis's fixed C=1 found 6.
    assert np.mean(predicted[multilamellar] == "multilamellar") >= 8 / 9
    assert np.mean(predicted[~multilamellar] == "unilamellar") >= 0.98
