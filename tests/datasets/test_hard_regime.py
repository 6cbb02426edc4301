"""The hard regime of make_liposomes: small, low-dose, blurred, JPEG cut-outs."""

import numpy as np
import pytest

from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.datasets._acquisition import jpeg_round_trip


def test_none_defaults_are_the_default_regimes_values():
    table, y = make_liposomes(4, weights=[1, 1, 1], random_state=3)
    explicit, y_explicit = make_liposomes(
        4,
        weights=[1, 1, 1],
        regime="default",
        pixel_size_nm=1.0,
        surrounding=50,
        masks=True,
        random_state=3,
    )
    np.testing.assert_array_equal(y, y_explicit)
    assert list(table.columns) == list(explicit.columns)
    for column in ("image", "mask"):
        for a, b in zip(table[column], explicit[column]):
            np.testing.assert_array_equal(a, b)


def test_hard_cutouts_are_small_maskless_and_grouped_by_micrograph():
    table, y = make_liposomes(
        120, regime="hard", weights=[1, 0, 0], masks=True, random_state=0
    )
    assert list(table.columns) == ["id", "image", "mask", "pixel_size_nm", "micrograph"]
    sides = np.array([max(image.shape) for image in table["image"]])
    assert all(image.dtype == np.uint8 for image in table["image"])
    assert all(image.shape[0] == image.shape[1] for image in table["image"])
    # Unilamellar vesicles of a typical 80 nm span 24-40 px; their sizes
    # vary (lognormal) around that.
    extents = np.array(
        [max(mask.any(axis=0).sum(), mask.any(axis=1).sum()) for mask in table["mask"]]
    )
    assert 24 <= np.median(extents) <= 40
    # Square cut-outs 1.15-1.6 times the particle's extent.
    assert np.all(sides >= 1.1 * extents) and np.all(sides <= 1.65 * extents + 3)
    # Micrographs of 10-30 particles sharing one pixel size.
    groups = table.groupby("micrograph")
    assert groups.size().between(1, 30).all() and groups.size().max() >= 10
    assert (groups["pixel_size_nm"].nunique() == 1).all()
    assert table["pixel_size_nm"].nunique() == table["micrograph"].nunique() > 3
    # Without masks=True the cut-outs come without masks.
    bare, _ = make_liposomes(5, regime="hard", random_state=0)
    assert "mask" not in bare.columns


def test_hard_regime_is_reproducible_and_leaves_the_default_regime_alone():
    a, ya = make_liposomes(12, regime="hard", weights=[1, 1, 1], random_state=4)
    b, yb = make_liposomes(12, regime="hard", weights=[1, 1, 1], random_state=4)
    np.testing.assert_array_equal(ya, yb)
    assert a["micrograph"].tolist() == b["micrograph"].tolist()
    for x, z in zip(a["image"], b["image"]):
        np.testing.assert_array_equal(x, z)
    # Same seed: the same classes in the same order as in the default regime.
    _, y_default = make_liposomes(12, weights=[1, 1, 1], random_state=4)
    np.testing.assert_array_equal(ya, y_default)


def _background_noise(table):
    """Standard deviation in the corners (plain ice) of each cut-out."""
    return np.array([np.std(image[:4, :4].astype(float)) for image in table["image"]])


def test_dose_sets_the_shot_noise():
    common = dict(
        regime="hard", weights=[1, 0, 0], blur_px=1.0, jpeg_quality=95, random_state=5
    )
    low, _ = make_liposomes(20, dose=5, **common)
    high, _ = make_liposomes(20, dose=500, **common)
    # Relative shot noise 1 / sqrt(dose): 10 times less at 100 times the dose.
    ratio = np.median(_background_noise(low)) / np.median(_background_noise(high))
    assert ratio > 4


def test_blur_removes_fine_detail():
    common = dict(
        regime="hard", weights=[1, 0, 0], noise=0.0, jpeg_quality=95, random_state=6
    )
    sharp, _ = make_liposomes(10, blur_px=0.3, **common)
    blurred, _ = make_liposomes(10, blur_px=2.5, **common)

    def fine_detail(image):
        image = image.astype(float)
        return np.mean(np.abs(np.diff(image, axis=0))) + np.mean(
            np.abs(np.diff(image, axis=1))
        )

    for a, b in zip(sharp["image"], blurred["image"]):
        assert fine_detail(a) > 1.5 * fine_detail(b)


def test_jpeg_leaves_block_artefacts():
    rng = np.random.default_rng(0)
    smooth = np.clip(
        128 + np.cumsum(rng.normal(0, 2, (64, 64)), axis=1), 0, 255
    ).astype(np.uint8)
    compressed = jpeg_round_trip(smooth, 20).astype(float)

    def seam_jumps(image, on_seam):
        jumps = np.abs(np.diff(image, axis=0))
        rows = np.arange(jumps.shape[0])
        return jumps[(rows % 8 == 7) == on_seam].mean()

    # JPEG codes 8 x 8 blocks separately: jumps concentrate at block seams.
    assert seam_jumps(compressed, True) > 1.5 * seam_jumps(compressed, False)
    assert np.abs(compressed - smooth).mean() > 0.5
    table, _ = make_liposomes(3, regime="hard", jpeg_quality=30, random_state=1)
    lossless, _ = make_liposomes(3, regime="hard", jpeg_quality=100, random_state=1)
    assert any(
        not np.array_equal(a, b) for a, b in zip(table["image"], lossless["image"])
    )


def test_fixed_pixel_size_and_surrounding():
    table, _ = make_liposomes(
        8, regime="hard", pixel_size_nm=4.0, surrounding=3, masks=True, random_state=2
    )
    assert (table["pixel_size_nm"] == 4.0).all()
    for mask in table["mask"]:
        rows = np.flatnonzero(mask.any(axis=1))
        cols = np.flatnonzero(mask.any(axis=0))
        # About 3 px of context on each side (the canvas is rounded to
        # whole detector pixels, and a particle pixel needs half its area).
        assert 2 <= rows[0] <= 5 and 2 <= cols[0] <= 5
        assert 2 <= mask.shape[0] - 1 - rows[-1] <= 6


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dose": 10}, "only apply to regime='hard'"),
        ({"jpeg_quality": 50, "blur_px": 1}, "blur_px, jpeg_quality only apply"),
        ({"regime": "easy"}, "regime must be one of"),
        (
            {"regime": "hard", "pixel_size_nm": 2.0, "particle_size_px": 30},
            "not both",
        ),
        ({"regime": "hard", "dose": (20, 10)}, "low <= high"),
        ({"regime": "hard", "dose": 0}, "dose must be"),
        ({"regime": "hard", "jpeg_quality": 120}, r"in \[1.0, 100.0\]"),
        ({"regime": "hard", "blur_px": "wide"}, "blur_px must be"),
        ({"masks": "yes"}, "masks must be True, False or None"),
    ],
)
def test_bad_hard_regime_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_liposomes(**{"n_samples": 3, **kwargs})
