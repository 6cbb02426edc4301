import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_lipnet import ParticlePreprocessor
from sklearn_lipnet.datasets import make_micrographs
from sklearn_lipnet.detection import (
    PARTICLE_COLUMNS,
    ParticleFinder,
    detection_scores,
    find_particles,
    match_particles,
)


def draw(shape, rings=(), discs=(), noise=6.0, seed=0):
    """Bright field with dark rings (membranes) and dark filled discs."""
    rows, cols = np.indices(shape, dtype=float)
    image = np.full(shape, 150.0)
    for row, col, radius in rings:
        image[np.abs(np.hypot(rows - row, cols - col) - radius) < 2] = 90
    for row, col, radius in discs:
        image[np.hypot(rows - row, cols - col) <= radius] = 60
    return image + np.random.default_rng(seed).normal(0, noise, shape)


@pytest.mark.parametrize("problem", ["lamellarity", "encapsulation"])
def test_synthetic_micrographs_meet_the_targets(problem):
    # A small version of benchmarks/bench_micrographs.py, default settings.
    micrographs, truth = make_micrographs(
        3, problem=problem, shape=640, crowding=0.25, random_state=11
    )
    found = find_particles(micrographs)
    scores = detection_scores(found, truth)
    assert scores["n_true"] >= 20
    assert scores["recall"] >= 0.9
    assert scores["precision"] >= 0.9
    assert scores["median_diameter_error"] < 0.05


def test_nothing_is_found_in_the_carbon_film():
    # Every micrograph shows the film's ragged edge, whose loops enclose
    # pockets that look like small vesicles from inside.
    micrographs, truth = make_micrographs(7, shape=512, film_edge=1.0, random_state=8)
    found = find_particles(micrographs)
    scores = detection_scores(found, truth)
    assert scores["precision"] == 1.0
    assert scores["recall"] >= 0.9


def test_known_rings_centres_and_sizes():
    rings = [(80, 90, 30), (200, 220, 55), (90, 260, 22)]
    found = find_particles(draw((300, 340), rings=rings))
    assert len(found) == 3
    found = found.sort_values("x")
    for (row, col, radius), (_, hit) in zip(
        sorted(rings, key=lambda r: r[1]), found.iterrows()
    ):
        assert abs(hit["y"] - row) < 1.5 and abs(hit["x"] - col) < 1.5
        # outer edge of a membrane 4 px thick around the radius
        assert hit["diameter_nm"] == pytest.approx(2 * radius + 4, rel=0.05)
        assert not hit["cut_by_border"]


def test_a_membrane_that_fades_over_part_of_its_outline_is_followed():
    # Real membranes fade where they are faint or stacked closely; over an
    # eighth of this ring the contrast drops from 60 to 8 grey levels (about
    # one noise standard deviation). The region stays closed only if the
    # threshold follows the membrane through the faint arc: with the former
    # low threshold (1.5 noise units) 6 of the 12 rings were found.
    rows, cols = np.indices((240, 240), dtype=float)
    on_ring = np.abs(np.hypot(rows - 120, cols - 120) - 50) < 2
    faint_arc = on_ring & (np.abs(np.arctan2(rows - 120, cols - 120)) < np.pi / 8)
    found = 0
    for seed in range(12):
        image = np.full((240, 240), 150.0)
        image[on_ring] = 90
        image[faint_arc] = 142
        image += np.random.default_rng(seed).normal(0, 6, image.shape)
        particles = find_particles(image)
        assert len(particles) <= 1
        if len(particles):
            assert abs(particles["y"][0] - 120) < 2
            assert particles["diameter_nm"][0] == pytest.approx(104, rel=0.05)
            found += 1
    assert found >= 9


@pytest.mark.parametrize("seed", range(6))
def test_a_membrane_missing_over_a_sixth_of_its_circle_is_closed(seed):
    # Its arc encloses nothing and no bridge spans 40 px: the arc's convex
    # hull is the candidate (before it, none of these six was found, and
    # half of those with a 45-degree gap).
    rows, cols = np.indices((200, 200), dtype=float)
    on_ring = np.abs(np.hypot(rows - 100, cols - 100) - 40) < 2
    gap = np.abs(np.arctan2(rows - 100, cols - 100)) < np.pi / 6
    image = np.full((200, 200), 150.0)
    image[on_ring & ~gap] = 90
    image += np.random.default_rng(seed).normal(0, 6, image.shape)
    found = find_particles(image)
    assert len(found) == 1
    assert abs(found["y"][0] - 100) < 1.5 and abs(found["x"][0] - 100) < 1.5
    assert found["diameter_nm"][0] == pytest.approx(2 * 40 + 4, rel=0.05)


def multilamellar(seed):
    """A vesicle in a vesicle: a strong inner membrane (radius 20 px) and
    four faint outer lamellae 3 px apart (radii 36-45 px), stacked as
    closely as on real multilamellar vesicles."""
    rows, cols = np.indices((200, 200), dtype=float)
    radius = np.hypot(rows - 100, cols - 100)
    image = np.full((200, 200), 150.0)
    image[np.abs(radius - 20) < 2] = 90
    for lamella in (36, 39, 42, 45):
        image[np.abs(radius - lamella) < 1] = 140
    return image + np.random.default_rng(seed).normal(0, 6, image.shape)


@pytest.mark.parametrize("seed", range(8))
def test_a_multilamellar_vesicle_is_measured_whole(seed):
    # Stacked lamellae weaken each other in the band-pass: the outline at
    # the usual membrane threshold closes around the inner vesicle only
    # (45 px across), in a candidate region as large as the whole particle.
    # The outline along lamellae this faint wanders by a few per cent from
    # seed to seed (88-92 px over these seeds); the inner vesicle is 45.
    found = find_particles(multilamellar(seed))
    assert len(found) == 1
    assert found["diameter_nm"][0] == pytest.approx(92, rel=0.05)
    assert abs(found["y"][0] - 100) < 1.5 and abs(found["x"][0] - 100) < 1.5


def test_the_inner_vesicle_is_kept_where_the_whole_one_fails_the_tests():
    # The outer lamellae score about 1.6 noise units, the inner membrane
    # about 22: at min_score=5 the whole particle fails, and the inner
    # vesicle is reported rather than nothing.
    found = find_particles(multilamellar(0), min_score=5.0)
    assert len(found) == 1
    assert found["diameter_nm"][0] == pytest.approx(45, rel=0.05)


def test_dense_bodies_are_not_particles():
    found = find_particles(
        draw((240, 240), rings=[(70, 70, 35)], discs=[(170, 170, 18), (60, 180, 12)])
    )
    assert len(found) == 1
    assert abs(found["y"][0] - 70) < 2 and abs(found["x"][0] - 70) < 2


def test_touching_particles_are_split():
    found = find_particles(draw((200, 300), rings=[(100, 100, 45), (100, 192, 45)]))
    assert len(found) == 2
    assert sorted(found["x"].round(-1)) == [100, 190]
    assert found["diameter_nm"].between(90, 100).all()


def test_particle_cut_by_the_border_is_flagged_and_measured_whole():
    # Nearly half of the particle lies beyond the border.
    found = find_particles(draw((240, 240), rings=[(5, 120, 50)]))
    assert len(found) == 1
    particle = found.iloc[0]
    assert particle["cut_by_border"] and particle["y0"] == 0
    # the outline is continued across the border: the whole particle's
    # centre and size, not those of the visible part
    assert particle["diameter_nm"] == pytest.approx(104, rel=0.03)
    assert abs(particle["y"] - 5) < 3 and abs(particle["x"] - 120) < 1


def test_table_is_ready_for_the_pipelines():
    micrographs, _ = make_micrographs(1, shape=512, random_state=2)
    micrographs["sample"] = "batch-7"
    micrographs["path"] = "somewhere.tif"
    found = find_particles(micrographs, surrounding_nm=20)
    assert list(found.columns) == [*PARTICLE_COLUMNS, "sample", "micrograph_path"]
    assert (found["sample"] == "batch-7").all()
    image = micrographs["image"][0]
    for _, particle in found.iterrows():
        assert particle["image"].shape == particle["mask"].shape
        assert particle["mask"].dtype == bool
        top, left = particle["cutout_y0"], particle["cutout_x0"]
        # the cut-out is the micrograph's pixels around the particle's box
        height, width = particle["image"].shape
        np.testing.assert_array_equal(
            particle["image"], image[top : top + height, left : left + width]
        )
        rows, cols = np.nonzero(particle["mask"])
        assert (
            rows.min() + top == particle["y0"]
            and cols.max() + left + 1 == particle["x1"]
        )
        if not particle["cut_by_border"] and top > 0 and left > 0:
            assert particle["y0"] - top == 20 and particle["x0"] - left == 20
    matrix = ParticlePreprocessor(mode="masked").fit_transform(found)
    assert matrix.shape == (len(found), 28 * 28)


def test_pixel_size_and_size_range():
    image = draw((260, 260), rings=[(130, 130, 40)])
    at_one = find_particles(image)
    at_two = find_particles(pd.DataFrame({"image": [image], "pixel_size_nm": [2.0]}))
    assert at_two["diameter_nm"][0] == pytest.approx(
        2 * at_one["diameter_nm"][0], rel=0.03
    )
    assert at_two["pixel_size_nm"][0] == 2.0
    assert len(find_particles(image, max_diameter_nm=60)) == 0
    assert len(find_particles(image, min_diameter_nm=100)) == 0
    assert len(find_particles(image, min_score=1e3)) == 0


def test_empty_micrograph_gives_an_empty_table():
    found = find_particles(np.random.default_rng(0).normal(100, 5, (128, 128)))
    assert len(found) == 0 and list(found.columns) == list(PARTICLE_COLUMNS)


def test_bad_micrographs_are_named():
    good = draw((64, 64))
    with pytest.raises(ValueError, match="micrograph 'b'.*NaN"):
        find_particles(
            pd.DataFrame({"id": ["a", "b"], "image": [good, np.full((64, 64), np.nan)]})
        )
    with pytest.raises(ValueError, match="micrograph-0.*2-D"):
        find_particles([np.zeros((64, 64, 3))])
    with pytest.raises(ValueError, match="too small"):
        find_particles(np.zeros((16, 16)))
    with pytest.raises(ValueError, match="min_diameter_nm"):
        find_particles(good, min_diameter_nm=500)
    with pytest.raises(TypeError, match="micrographs"):
        find_particles("micrograph.tif")


def test_particle_finder_is_a_transformer():
    micrographs, _ = make_micrographs(2, shape=384, random_state=5)
    finder = ParticleFinder(surrounding_nm=30, n_jobs=2)
    pd.testing.assert_frame_equal(
        finder.fit_transform(micrographs).drop(columns=["image", "mask"]),
        find_particles(micrographs, surrounding_nm=30).drop(columns=["image", "mask"]),
    )
    assert clone(finder).get_params()["surrounding_nm"] == 30
    with pytest.raises(ValueError, match="min_score"):
        ParticleFinder(min_score=-1).fit(micrographs)
    with pytest.raises(ValueError, match="min_diameter_nm"):
        ParticleFinder(min_diameter_nm=300, max_diameter_nm=100).fit(micrographs)
    # in a pipeline that predicts, one output per particle
    sizes = FunctionTransformer(lambda table: table[["diameter_nm"]].to_numpy())
    pipeline = make_pipeline(ParticleFinder(), sizes)
    assert pipeline.transform(micrographs).shape == (
        len(find_particles(micrographs)),
        1,
    )


def test_match_particles_pairs_one_to_one_within_half_a_diameter():
    truth = pd.DataFrame(
        {
            "micrograph": ["m"] * 2,
            "y": [50.0, 200.0],
            "x": [50.0, 200.0],
            "diameter_nm": [40.0, 40.0],
        }
    )
    found = pd.DataFrame(
        {
            "micrograph": ["m"] * 4,
            "y": [52.0, 55.0, 200.0, 300.0],
            "x": [50.0, 50.0, 221.0, 300.0],
            "diameter_nm": [40.0, 42.0, 40.0, 40.0],
            "pixel_size_nm": [1.0] * 4,
        }
    )
    matches = match_particles(found, truth)
    # two detections near the first particle: only the nearer counts; the
    # third lies 21 px from the second particle, beyond half its diameter
    assert matches[["found", "truth"]].values.tolist() == [[0, 0]]
    scores = detection_scores(found, truth)
    assert scores["precision"] == 0.25 and scores["recall"] == 0.5


def test_importing_the_finder_does_not_import_torch():
    code = (
        "import sys, sklearn_lipnet; sklearn_lipnet.find_particles; "
        "sklearn_lipnet.ParticleFinder; print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
