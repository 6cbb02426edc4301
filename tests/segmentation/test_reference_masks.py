"""Automatic masks pinned by a fixture computed before the speed-ups (issue 14)."""

import numpy as np
import pytest

from sklearn_lipnet.segmentation import particle_masks, segment_particle

from .._reference_particles import reference_segmentation, reference_table


def test_segmentation_equals_the_pinned_masks():
    # Since the half-resolution band-pass (issue 14) an outline pixel may
    # move where the membrane is faint: 8 of about 33,000 mask pixels did.
    table = reference_table(with_masks=False)
    changed_total = 0
    for position, (image, expected) in enumerate(
        zip(table["image"], reference_segmentation())
    ):
        found = segment_particle(image)
        assert found.dtype == bool and found.shape == image.shape
        changed = np.count_nonzero(found != expected)
        assert changed <= 0.005 * expected.sum(), f"particle {position}: {changed}"
        changed_total += changed
    assert changed_total <= 20


def test_particle_masks_segments_the_rows_without_masks():
    table = reference_table(with_masks=True)
    expected = reference_segmentation()
    table.loc[[1, 4], "mask"] = None
    # Particle 4 (an "uncertain" one) has no closed outline.
    with pytest.warns(UserWarning, match=r"1 of 2 images \(particle at index 4\)"):
        masks = particle_masks(table, n_jobs=1)
    np.testing.assert_array_equal(masks[1], segment_particle(table["image"][1]))
    np.testing.assert_array_equal(masks[4], segment_particle(table["image"][4]))
    assert np.count_nonzero(masks[1] != expected[1]) < 0.005 * expected[1].sum()
    np.testing.assert_array_equal(masks[0], table["mask"][0])
