import numpy as np
import pandas as pd
import pytest

from sklearn_lipnet.experiments import (
    class_fractions,
    draw_overlay,
    size_statistics,
    summarize_samples,
)


def test_bootstrap_intervals_cover_the_true_fraction():
    # Samples of 200 particles with 10 % of a class: the 95 % intervals
    # must contain 10 % in about 95 % of the samples.
    rng = np.random.default_rng(0)
    n_samples = 300
    labels = np.where(rng.random((n_samples, 200)) < 0.1, "rare", "common")
    particles = pd.DataFrame(
        {
            "sample": np.repeat(np.arange(n_samples), 200),
            "class": labels.ravel(),
        }
    )
    table = class_fractions(
        particles, ["common", "rare"], n_bootstrap=400, random_state=1
    )
    rare = table[table["class"] == "rare"]
    covered = (rare["fraction_low"] <= 0.1) & (0.1 <= rare["fraction_high"])
    assert 0.9 <= covered.mean() <= 0.99
    # wide enough: about +-1.96 * sqrt(p (1 - p) / n)
    width = (rare["fraction_high"] - rare["fraction_low"]).median()
    assert width == pytest.approx(2 * 1.96 * np.sqrt(0.09 / 200), rel=0.15)


def test_fractions_count_every_class_per_sample():
    particles = pd.DataFrame(
        {"sample": ["a", "a", "a", "b"], "class": ["x", "x", "y", "y"]}
    )
    table = class_fractions(particles, ["x", "y", "z"], random_state=0)
    assert table["sample"].tolist() == ["a"] * 3 + ["b"] * 3
    assert table["n"].tolist() == [2, 1, 0, 0, 1, 0]
    np.testing.assert_allclose(table["fraction"], [2 / 3, 1 / 3, 0, 0, 1, 0])
    # a class that never occurs has the interval [0, 0]
    assert table.loc[2, ["fraction_low", "fraction_high"]].tolist() == [0, 0]
    with pytest.raises(ValueError, match="n_bootstrap"):
        class_fractions(particles, ["x"], n_bootstrap=0)
    with pytest.raises(ValueError, match="lacks"):
        class_fractions(particles.drop(columns="class"), ["x"])


def test_size_statistics_are_the_percentiles():
    diameters = np.arange(1.0, 101.0)
    particles = pd.DataFrame(
        {"sample": "s", "class": ["u"] * 50 + ["m"] * 50, "diameter_nm": diameters}
    )
    sizes = size_statistics(particles, ["u", "m", "empty"]).set_index("class")
    assert sizes.loc["u", "D50_nm"] == pytest.approx(25.5)
    assert sizes.loc["m", "D10_nm"] == pytest.approx(np.percentile(diameters[50:], 10))
    assert sizes.loc["all", "D90_nm"] == pytest.approx(np.percentile(diameters, 90))
    assert sizes.loc["all", "diameter_mean_nm"] == pytest.approx(50.5)
    assert sizes.loc["empty", "n"] == 0 and np.isnan(sizes.loc["empty", "D50_nm"])


def test_summary_leaves_out_particles_cut_by_the_border_unless_asked():
    particles = pd.DataFrame(
        {
            "sample": ["s"] * 4,
            "class": ["u", "u", "m", "m"],
            "diameter_nm": [50.0, 60.0, 120.0, 300.0],
            "cut_by_border": [False, False, False, True],
        }
    )
    counted = summarize_samples(particles, ["u", "m"]).set_index("class")
    assert counted.loc["m", "n"] == 1 and counted.loc["all", "n"] == 3
    assert counted.loc["m", "fraction"] == pytest.approx(1 / 3)
    everything = summarize_samples(particles, ["u", "m"], include_cut=True)
    assert everything.set_index("class").loc["m", "D90_nm"] > 200


def test_overlay_outlines_each_particle_in_its_colour():
    image = np.full((400, 300), 100, dtype=np.uint16)
    disc = np.hypot(*np.mgrid[-20:21, -20:21]) <= 18
    particles = pd.DataFrame(
        {
            "mask": [disc, disc],
            "cutout_y0": [100, 300],
            "cutout_x0": [100, 200],
            "class": ["a", "b"],
        }
    )
    colours = {"a": (255, 0, 0), "b": (0, 0, 255)}
    overlay = draw_overlay(image, particles, colours)
    assert overlay.shape == (400, 300, 3)
    assert tuple(overlay[120 - 18, 120]) == (255, 0, 0)
    assert tuple(overlay[320, 220 + 18]) == (0, 0, 255)
    assert tuple(overlay[120, 120]) == tuple(overlay[200, 150])  # inside: gray
    # large micrographs are shrunk, outlines kept
    small = draw_overlay(image, particles, colours, max_side=200)
    assert small.shape == (200, 150, 3)
    assert (small == (0, 0, 255)).all(axis=2).any()
