"""Splitting per-particle work into chunks for joblib."""

import numpy as np
from joblib import effective_n_jobs

#: With fewer particles per process than this, the work stays in the calling
#: process: starting worker processes and sending them the images costs more
#: than a few dozen particles take to compute.
MIN_PARTICLES_PER_PROCESS = 32


def chunk_bounds(n_items, n_jobs):
    """How to split ``n_items`` particles between joblib worker processes.

    Parameters
    ----------
    n_items : int
        Number of particles.
    n_jobs : int or None
        The estimator's ``n_jobs`` (joblib semantics).

    Returns
    -------
    n_workers : int
        Processes worth using: at most ``effective_n_jobs(n_jobs)``, and 1
        (compute in the calling process) when each would get fewer than
        ``MIN_PARTICLES_PER_PROCESS`` particles.
    bounds : list of (int, int)
        ``(start, stop)`` of consecutive chunks, a few per worker: balanced
        load without per-particle dispatch. One chunk when ``n_workers`` is 1.
    """
    n_workers = min(effective_n_jobs(n_jobs), n_items // MIN_PARTICLES_PER_PROCESS)
    if n_workers <= 1:
        return 1, [(0, n_items)]
    n_chunks = min(n_items, 4 * n_workers)
    edges = np.linspace(0, n_items, n_chunks + 1).astype(int)
    return n_workers, list(zip(edges[:-1].tolist(), edges[1:].tolist()))
