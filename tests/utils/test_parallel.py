import pytest
from joblib import parallel_config

from sklearn_lipnet.utils._parallel import MIN_PARTICLES_PER_PROCESS, chunk_bounds


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
