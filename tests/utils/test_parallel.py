import numpy as np
import pytest
from joblib import parallel_config

from sklearn_lipnet.utils._parallel import (
    MIN_PARTICLES_PER_PROCESS,
    chunk_bounds,
    map_chunks,
)


def test_few_particles_stay_in_the_calling_process():
    assert chunk_bounds(10, 2) == (1, [(0, 10)])
    assert chunk_bounds(2 * MIN_PARTICLES_PER_PROCESS - 1, -1) == (
        1,
        [(0, 2 * MIN_PARTICLES_PER_PROCESS - 1)],
    )
    assert chunk_bounds(1000, None) == (1, [(0, 1000)])
    assert chunk_bounds(1000, 1) == (1, [(0, 1000)])


@pytest.mark.parametrize("n_items", [2 * MIN_PARTICLES_PER_PROCESS, 1000, 1001])
def test_chunks_cover_every_particle_once_a_few_per_worker(n_items):
    n_workers, bounds = chunk_bounds(n_items, 2)
    assert n_workers == 2
    assert len(bounds) == 8
    assert bounds[0][0] == 0 and bounds[-1][1] == n_items
    assert all(stop == start for (_, stop), (start, _) in zip(bounds, bounds[1:]))
    sizes = [stop - start for start, stop in bounds]
    assert max(sizes) - min(sizes) <= 1


def test_workers_follow_the_joblib_context():
    with parallel_config(n_jobs=3):
        assert chunk_bounds(1000, None)[0] == 3
    # Never more workers than MIN_PARTICLES_PER_PROCESS allows.
    assert chunk_bounds(3 * MIN_PARTICLES_PER_PROCESS, 8)[0] == 3


def _what_arrived(images, masks, sizes, offset):
    """What a worker received: each image's sum and flags, each mask, the sizes."""
    return [
        (
            float(image.sum()) + offset,
            image.dtype.str,
            image.shape,
            image.flags.writeable,
            None if mask is None else mask.copy(),
            size,
        )
        for image, mask, size in zip(images, masks, sizes)
    ]


@pytest.mark.parametrize("side", [9, 150])  # pickled, and over 1 MB per chunk
def test_chunks_arrive_whole_in_order_and_read_only(side):
    rng = np.random.default_rng(0)
    n = 2 * MIN_PARTICLES_PER_PROCESS
    # Shapes differ from particle to particle; some masks are still missing.
    images = [rng.random((side + i % 3, side + i % 5)) for i in range(n)]
    masks = [None if i % 4 == 0 else image > 0.5 for i, image in enumerate(images)]
    sizes = [float(i) for i in range(n)]
    n_workers, bounds = chunk_bounds(n, 2)
    chunks = map_chunks(_what_arrived, bounds, n_workers, (images, masks, sizes), 0.0)
    arrived = [item for chunk in chunks for item in chunk]
    assert len(arrived) == n
    for image, mask, size, (total, dtype, shape, writeable, got_mask, got_size) in zip(
        images, masks, sizes, arrived
    ):
        assert total == float(image.sum())
        assert (dtype, shape) == (image.dtype.str, image.shape)
        assert not writeable
        if mask is None:
            assert got_mask is None
        else:
            np.testing.assert_array_equal(got_mask, mask)
        assert got_size == size


def test_sequences_of_mixed_dtypes_are_sent_as_they_are():
    n = 2 * MIN_PARTICLES_PER_PROCESS
    images = [
        np.full((4, 4), i, dtype=np.uint8 if i % 2 else np.float32) for i in range(n)
    ]
    n_workers, bounds = chunk_bounds(n, 2)
    chunks = map_chunks(
        _what_arrived, bounds, n_workers, (images, [None] * n, [None] * n), 1.0
    )
    arrived = [item for chunk in chunks for item in chunk]
    assert [item[0] for item in arrived] == [16.0 * i + 1.0 for i in range(n)]
    assert [item[1] for item in arrived] == [image.dtype.str for image in images]
    # Unpacked arrays are the unpickled copies, writable as before.
    assert all(item[3] for item in arrived)
