"""Splitting per-particle work into chunks for joblib, and sending them."""

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

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


def map_chunks(function, bounds, n_workers, sequences, *args):
    """``function(*chunk, *args)`` for each chunk, in ``n_workers`` processes.

    ``chunk`` holds each of ``sequences`` cut to ``[start:stop]`` for each
    ``(start, stop)`` of ``bounds`` (from :func:`chunk_bounds`); the results
    come back in the order of ``bounds``.

    A sequence of arrays of one dtype (``None`` entries allowed, e.g. masks
    still to be segmented) crosses to the worker as one flat buffer, which
    joblib passes through shared memory once it is over 1 MB, instead of
    pickling every cut-out and sending it down a pipe, which for thousands
    of small images costs a noticeable share of the work. The worker gets
    the same values as read-only arrays (whether or not they came through
    shared memory, so that no worker code can come to rely on writing into
    its inputs). Other sequences (numbers, lists, mixed dtypes) are sent as
    they are.
    """
    return Parallel(n_jobs=n_workers)(
        delayed(_call_unpacked)(
            function,
            [_packed(sequence[start:stop]) for sequence in sequences],
            args,
        )
        for start, stop in bounds
    )


class _PackedArrays:
    """Arrays of one dtype (and ``None`` entries) as one flat buffer."""

    def __init__(self, arrays):
        self.shapes = [None if array is None else array.shape for array in arrays]
        present = [array.ravel() for array in arrays if array is not None]
        self.buffer = np.concatenate(present)

    def unpack(self):
        # Plain ndarray views, not np.memmap ones, and read-only like the
        # memmap joblib makes of large buffers.
        buffer = np.asarray(self.buffer).view()
        buffer.flags.writeable = False
        arrays, offset = [], 0
        for shape in self.shapes:
            if shape is None:
                arrays.append(None)
                continue
            size = int(np.prod(shape))
            arrays.append(buffer[offset : offset + size].reshape(shape))
            offset += size
        return arrays


def _packed(items):
    """``items`` as :class:`_PackedArrays` where they allow it, else as given."""
    items = list(items)
    arrays = [item for item in items if item is not None]
    if (
        not arrays
        or not all(isinstance(array, np.ndarray) for array in arrays)
        or len({array.dtype for array in arrays}) > 1
        or arrays[0].dtype.hasobject
    ):
        return items
    return _PackedArrays(items)


def _call_unpacked(function, chunks, args):
    chunks = [
        chunk.unpack() if isinstance(chunk, _PackedArrays) else chunk
        for chunk in chunks
    ]
    return function(*chunks, *args)
