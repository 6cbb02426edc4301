import numpy as np
import pandas as pd
import pytest

from sklearn_lipnet.segmentation import (
    checked_masks,
    segment_particle,
    segmentation_quality,
)
from sklearn_lipnet.segmentation._particle import _segment

from .test_segmentation import ring_image


def _table():
    # Every segmented image differs, so that a mix-up of rows shows.
    ring, _ = ring_image(seed=1)
    other, _ = ring_image(radius=28, seed=2)
    larger, _ = ring_image(radius=45, seed=4)
    blank = np.full(ring.shape, 120.0)
    expert = np.zeros(ring.shape, bool)
    expert[50:90, 60:100] = True
    table = pd.DataFrame(
        {
            "image": [ring, other, blank, larger],
            "mask": [None, expert, None, None],
            "id": ["ring", "expert", "blank", "larger"],
        }
    )
    return table, expert


def test_expert_masks_are_kept_and_the_others_segmented_and_checked():
    table, expert = _table()
    masks, qualities = checked_masks(table)
    assert masks[1] is expert and qualities[1] is None
    for position in (0, 2, 3):
        image = table["image"][position]
        np.testing.assert_array_equal(masks[position], segment_particle(image))
        closed = _segment(image)[1]
        assert qualities[position] == segmentation_quality(
            image, masks[position], closed=closed
        )
    assert qualities[0].trusted and qualities[3].trusted
    assert not qualities[2].trusted


def test_parallel_equals_serial(monkeypatch):
    # Lower the bar so that these three segmentations go to two processes.
    monkeypatch.setattr("sklearn_lipnet.utils._parallel.MIN_PARTICLES_PER_PROCESS", 1)
    table, _ = _table()
    serial = checked_masks(table)
    parallel = checked_masks(table, n_jobs=2)
    assert parallel[1] == serial[1]
    for a, b in zip(serial[0], parallel[0]):
        np.testing.assert_array_equal(a, b)


def test_particles_too_small_to_segment_are_named():
    table = pd.DataFrame(
        {"image": [np.zeros((40, 40)), np.zeros((5, 40))], "id": ["ok", "tiny"]}
    )
    with pytest.raises(ValueError, match=r"8 x 8 pixels.*particle 'tiny'"):
        checked_masks(table)
