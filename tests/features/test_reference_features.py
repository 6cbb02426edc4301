"""Feature values pinned by a fixture computed before the speed-ups (issue 14)."""

import warnings

import numpy as np
import pytest

from sklearn_lipnet import ParticleFeatures
from sklearn_lipnet.segmentation import segment_particle

from .._reference_particles import (
    SETTINGS,
    reference_features,
    reference_features_segmented,
    reference_segmentation,
    reference_table,
)


def _transform(table, **settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one particle touches the border
        return ParticleFeatures(**settings).fit_transform(table)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_features_equal_the_pinned_values(name):
    X = _transform(reference_table(), **SETTINGS[name])
    expected = reference_features(name)
    assert X.shape == expected.shape
    # Float rounding only: the moments mu30 and mu03 of symmetric particles
    # are rounding noise around 0, hence the small absolute tolerance.
    np.testing.assert_allclose(X, expected, rtol=1e-10, atol=1e-12)


def test_features_without_masks_equal_the_pinned_values():
    # The segmentation's half-resolution band-pass (issue 14) moved a few
    # outline pixels of two particles; the others' masks are unchanged, and
    # so must their features be.
    table = reference_table(with_masks=False)
    unchanged = [
        position
        for position, (image, pinned) in enumerate(
            zip(table["image"], reference_segmentation())
        )
        if np.array_equal(segment_particle(image), pinned)
    ]
    assert len(unchanged) >= 9
    X = _transform(table)
    np.testing.assert_allclose(
        X[unchanged],
        reference_features_segmented()[unchanged],
        rtol=1e-10,
        atol=1e-12,
    )
