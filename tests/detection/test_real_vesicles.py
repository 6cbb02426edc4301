"""The finder on real cryo-EM vesicles (benchmarks/real_data/jensen_vesicles).

Real micrographs with vesicles annotated by their authors: what synthetic
micrographs cannot show (faint, crowded, stacked membranes; real noise).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import ndimage as ndi

from sklearn_lipnet.datasets import list_micrographs
from sklearn_lipnet.detection import find_particles, match_particles

DATA = Path(__file__).resolve().parents[2] / "benchmarks/real_data/jensen_vesicles"


@pytest.fixture(scope="module")
def first_micrograph():
    micrographs = list_micrographs(DATA).iloc[:1].copy()
    micrographs["image"] = [np.asarray(Image.open(micrographs["path"][0]))]
    vesicles = pd.read_csv(DATA / "particles.csv")
    return micrographs, vesicles[vesicles["micrograph"] == micrographs["id"][0]]


def test_the_derived_annotations_sit_on_the_membranes(first_micrograph):
    # The derivation turns MATLAB's 1-based (x, y) into 0-based rows and
    # columns: the annotated circles must be darkest (the membrane) with
    # the centres as given, not shifted by a pixel or transposed.
    micrographs, vesicles = first_micrograph
    image = ndi.gaussian_filter(micrographs["image"][0].astype(float), 1.0)
    angles = np.linspace(0, 2 * np.pi, 90, endpoint=False)

    def ring_darkness(vesicles, d_row, d_col):
        total = 0.0
        for vesicle in vesicles.itertuples():
            # The darkest circle lies 2.5 px inside the annotated radius.
            radius = vesicle.radius_px - 2.5
            rows = vesicle.y + d_row + radius * np.sin(angles)
            cols = vesicle.x + d_col + radius * np.cos(angles)
            ring = ndi.map_coordinates(image, [rows, cols], order=1)
            around = ndi.map_coordinates(
                image,
                [
                    vesicle.y + d_row + (radius + 6) * np.sin(angles),
                    vesicle.x + d_col + (radius + 6) * np.cos(angles),
                ],
                order=1,
            )
            total += (around - ring).mean()
        return total

    shifts = [(d_row, d_col) for d_row in (-1, 0, 1) for d_col in (-1, 0, 1)]
    darkness = {shift: ring_darkness(vesicles, *shift) for shift in shifts}
    assert max(darkness, key=darkness.get) == (0, 0)
    transposed = vesicles.rename(columns={"x": "y", "y": "x"})
    assert ring_darkness(transposed, 0, 0) < 0.5 * darkness[(0, 0)]


def test_most_annotated_vesicles_are_found_and_measured(first_micrograph):
    micrographs, vesicles = first_micrograph
    found = find_particles(micrographs, pixel_size_nm=1.0)
    truth = vesicles.assign(diameter_nm=2 * vesicles["radius_px"])
    matches = match_particles(found, truth)
    # 120 of the 121 annotated vesicles (118 before gaps of a few pixels
    # were bridged); a threshold that loses faint membranes found 111.
    assert len(matches) >= 0.98 * len(truth)
    # The masks reach the outer edge of the membrane's dark band, which is
    # a few pixels outside the annotated radius: larger, but not by much.
    assert 0 < matches["diameter_error"].median() < 0.12
    assert matches["distance_nm"].median() < 1.0


def test_vesicles_of_each_lamellarity_class_are_found_whole():
    # Their outer lamellae, stacked closely, form one thick dark band that
    # a band-pass tuned to a lone membrane breaks into arcs: the finder
    # then sees only an inner vesicle, or nothing (21 of 31 found whole).
    # Imported here: the benchmarks package is not installed with the
    # package, but sits next to the tests in the repository.
    from benchmarks._jensen_vesicles import load, load_lamellarity
    from benchmarks.bench_real_vesicles import lamellarity_detection

    micrographs, _ = load()
    found = find_particles(micrographs, pixel_size_nm=1.0)
    rows, _ = lamellarity_detection(found, load_lamellarity(), pixel_size_nm=1.0)
    by_class = {row["class"]: row for row in rows}
    assert by_class["multilamellar"]["n"] == 31
    assert by_class["multilamellar"]["whole"] >= 28
    # None is missed outright: 2 were while the membranes' wider gaps stayed
    # open (and 1 where every gap that wide was bridged, joining touching
    # neighbours); 2 more are found only in part.
    assert by_class["multilamellar"]["missed"] == 0
    # ... without losing unilamellar ones: 752 of 762 found whole before the
    # wider gaps were bridged, 757 since, 759 with the hulls of open arcs.
    unilamellar = by_class["unilamellar"]
    assert unilamellar["whole"] >= 0.995 * unilamellar["n"]
    # An open arc's hull next to a touching vesicle would join the two: 12
    # of the 16 uncertain vesicles are found whole, 11 where hulls were
    # allowed to touch other regions.
    assert by_class["uncertain"]["whole"] >= 12


def test_a_multilamellar_vesicle_with_gaps_in_its_outer_band_is_found_whole():
    # A real multilamellar vesicle (52 px across by eye) whose outer band of
    # stacked lamellae breaks into arcs with gaps wider than a working
    # pixel: the 3 x 3 closing leaves them open, so its region was never
    # enclosed and the vesicle was missed.
    from benchmarks._jensen_vesicles import load

    micrographs, _ = load()
    image = micrographs.set_index("id").loc["MicData_3", "image"]
    row, col, radius = 109, 83, 26
    crop = image[: row + 128, : col + 128]
    found = find_particles(crop, pixel_size_nm=1.0)
    distance = np.hypot(found["y"] - row, found["x"] - col)
    whole = found[(distance < 0.2 * radius) & (found["diameter_nm"] >= 1.6 * radius)]
    assert len(whole) == 1
    # The outline follows the outer edge of the band, a little outside the
    # circle drawn by eye.
    assert whole["diameter_nm"].iloc[0] == pytest.approx(2 * radius, rel=0.12)
