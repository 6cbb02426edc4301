"""ParticlePreprocessor(scale="fixed"): one physical scale, particles centred."""

import numpy as np
import pandas as pd
import pytest

from sklearn_lipnet import ParticlePreprocessor
from sklearn_lipnet.datasets import make_liposomes

from .._particle_shapes import radius_map


def membrane(radius_nm, pixel_size_nm, surrounding_nm=15):
    """A dark membrane ring of ``radius_nm`` (2 nm thick) with its mask."""
    side = int(round(2 * (radius_nm + surrounding_nm) / pixel_size_nm))
    radius = radius_map((side, side)) * pixel_size_nm
    image = np.where(np.abs(radius - (radius_nm - 2)) < 1, 40.0, 200.0)
    return image, radius <= radius_nm


def table_of(*particles, pixel_sizes=None):
    images, masks = zip(*particles)
    table = pd.DataFrame({"image": list(images), "mask": list(masks)})
    if pixel_sizes is not None:
        table["pixel_size_nm"] = pixel_sizes
    return table


@pytest.mark.parametrize("mode", ["masked", "surrounding"])
def test_the_same_particle_at_two_pixel_sizes_looks_the_same(mode):
    pre = ParticlePreprocessor(mode, 32, scale="fixed", canvas_nm=64)
    fine, coarse = pre.fit_transform(
        table_of(membrane(20, 1.0), membrane(20, 2.0), pixel_sizes=[1.0, 2.0])
    )
    larger, smaller = pre.fit_transform(
        table_of(membrane(20, 1.0), membrane(15, 1.0), pixel_sizes=1.0)
    )
    same_size = np.abs(fine - coarse).mean()
    assert same_size < 0.2
    assert same_size < 0.7 * np.abs(larger - smaller).mean()


def test_cropped_shows_nothing_beyond_the_bounding_box():
    image, mask = membrane(20, 1.0, surrounding_nm=30)
    image[:10, :10] = 1000.0  # a neighbour in the surrounding
    table = table_of((image, mask), pixel_sizes=1.0)
    settings = dict(size=50, scale="fixed", canvas_nm=100, normalize=False)
    cropped = ParticlePreprocessor("cropped", **settings).fit_transform(table)
    surrounding = ParticlePreprocessor("surrounding", **settings).fit_transform(table)
    assert cropped.max() <= 200.0 < 900.0 < surrounding.max()
    # above the box (rows 0-14) the box's content continues mirrored,
    # membrane included: no constant band
    band = cropped.reshape(50, 50)[:14]
    assert band.min() < 100.0 < band.max()


def test_a_particle_twice_as_wide_covers_four_times_the_area():
    table = table_of(membrane(10, 1.0), membrane(20, 1.0), pixel_sizes=1.0)
    pre = ParticlePreprocessor("masked", 40, scale="fixed", canvas_nm=80)
    small, large = pre.fit_transform(table)
    # outside the particle the masked canvas is neutral (0)
    areas = [np.count_nonzero(np.abs(x) > 1e-6) for x in (small, large)]
    assert areas[1] / areas[0] == pytest.approx(4, rel=0.15)
    # 2 nm per pixel: a 20 nm disc covers pi * 10**2 pixels
    assert areas[1] == pytest.approx(np.pi * 100, rel=0.1)
    fit = ParticlePreprocessor("masked", 40).fit_transform(table)
    fit_areas = [np.count_nonzero(np.abs(x) > 1e-6) for x in fit]
    assert fit_areas[1] / fit_areas[0] == pytest.approx(1, abs=0.1)


def test_the_canvas_beyond_the_cut_out_mirrors_its_content():
    ramp = np.tile(np.arange(30.0), (30, 1)) + 3 * np.arange(30.0)[:, None] ** 1.5
    table = pd.DataFrame({"image": [ramp]})
    pre = ParticlePreprocessor(
        "surrounding",
        90,
        scale="fixed",
        canvas_nm=90,
        pixel_size_nm=1.0,
        normalize=False,
    )
    out = pre.fit_transform(table).reshape(90, 90)
    # one output pixel per input pixel: the cut-out, mirrored at its edges
    np.testing.assert_allclose(out, np.pad(ramp, 30, mode="symmetric"), rtol=1e-6)
    assert len(np.unique(out[:30, :30])) > 100  # no constant corner


def test_a_particle_larger_than_the_canvas_is_cut_at_its_edges():
    table = table_of(membrane(40, 1.0), pixel_sizes=1.0)
    out = ParticlePreprocessor("masked", 20, scale="fixed", canvas_nm=50).fit_transform(
        table
    )
    assert np.count_nonzero(np.abs(out) < 1e-6) == 0  # no neutral pixel left


def test_the_canvas_defaults_to_the_largest_training_particle():
    table = table_of(membrane(10, 1.0), membrane(25, 2.0), pixel_sizes=[1.0, 2.0])
    boxes_nm = [
        (np.ptp(np.flatnonzero(mask.any(axis=0))) + 1) * px
        for mask, px in zip(table["mask"], [1.0, 2.0])
    ]
    masked = ParticlePreprocessor("masked", scale="fixed").fit(table)
    assert masked.canvas_nm_ == pytest.approx(max(boxes_nm))
    surrounding = ParticlePreprocessor("surrounding", scale="fixed").fit(table)
    sides_nm = [image.shape[0] * px for image, px in zip(table["image"], [1, 2])]
    assert surrounding.canvas_nm_ == pytest.approx(max(sides_nm))
    assert ParticlePreprocessor().fit(table).canvas_nm_ is None


def test_the_pixel_size_column_wins_and_the_parameter_fills_gaps():
    particle = membrane(20, 1.0)
    table = table_of(particle, particle, pixel_sizes=[1.0, np.nan])
    table["id"] = ["a", "b"]
    pre = ParticlePreprocessor("masked", 32, scale="fixed", canvas_nm=100)
    with pytest.raises(ValueError, match=r"particle 'b' has no pixel_size_nm"):
        pre.fit(table)
    first, second = pre.set_params(pixel_size_nm=2.0).fit_transform(table)
    # the same image read at 2 nm per pixel is a particle twice as wide
    areas = [np.count_nonzero(np.abs(x) > 1e-6) for x in (first, second)]
    assert areas[1] / areas[0] == pytest.approx(4, rel=0.15)
    images_only = [particle[0]] * 2
    with pytest.raises(ValueError, match="Add a 'pixel_size_nm' column"):
        ParticlePreprocessor(scale="fixed", canvas_nm=64).fit(images_only)


def test_the_default_fit_scale_ignores_the_canvas_parameters():
    table, _ = make_liposomes(4, random_state=0)
    plain = ParticlePreprocessor().fit_transform(table)
    ignored = ParticlePreprocessor(canvas_nm=50, pixel_size_nm=3).fit_transform(table)
    np.testing.assert_array_equal(plain, ignored)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"scale": "physical"}, "'scale' parameter"),
        ({"scale": "fixed", "canvas_nm": 0}, "'canvas_nm' parameter"),
        ({"scale": "fixed", "pixel_size_nm": -1.0}, "'pixel_size_nm' parameter"),
    ],
)
def test_scale_parameters_are_validated_in_fit(params, message):
    table, _ = make_liposomes(2, random_state=0)
    with pytest.raises(ValueError, match=message):
        ParticlePreprocessor(**params).fit(table)
