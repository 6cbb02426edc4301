"""A network's cross-validation folds in parallel processes on the CPU.

On a CPU with few cores, one network training with every core spends much
of its time keeping the cores in step: two processes of one thread each
train more images per second together than one process of two threads
(``benchmarks/results/fold_processes_cpu.md``). The folds are therefore
shared out among processes, the cores among the folds that run at the same
time: five folds on two cores run as two rounds of two one-thread folds,
then one fold with both threads. Which fold runs with how many threads is
fixed by the number of folds and processes, never by timing, so a run
gives the same numbers every time.
"""

import contextlib
import time

import numpy as np
from joblib import cpu_count, effective_n_jobs
from sklearn.base import clone
from sklearn.metrics import confusion_matrix
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import unique_labels

from ..metrics import CrossValidationReport
from ..utils import check_labels

__all__ = ["cross_validate_in_processes", "fold_processes"]


def fold_processes(network, n_jobs, n_folds):
    """Processes among which ``network``'s folds are shared.

    Parameters
    ----------
    network : LipNetClassifier or None
        The network at the end of the cross-validated model.
    n_jobs : int or None
        joblib's meaning (``-1``: every core).
    n_folds : int

    Returns
    -------
    n_processes : int
        1 (the folds one after another, in this process) without a network,
        without ``n_jobs``, or on a GPU (which one training keeps busy);
        else ``n_jobs`` capped by the folds and the cores.
    """
    from ..neural_network import resolve_device

    jobs = effective_n_jobs(n_jobs)
    if network is None or jobs < 2:
        return 1
    if not resolve_device(network.device).startswith("cpu"):
        return 1
    return min(jobs, n_folds, cpu_count())


def fold_rounds(n_folds, n_processes, n_cores):
    """How the folds run: ``(folds, processes, threads per process)`` rounds.

    Parameters
    ----------
    n_folds, n_processes, n_cores : int

    Returns
    -------
    rounds : list of (range, int, int)
        The folds that fill every process, then the rest, each fold of a
        round with an equal share of the cores.

    Examples
    --------
    >>> from sklearn_lipnet.experiments._network_folds import fold_rounds
    >>> fold_rounds(5, 2, 2)
    [(range(0, 4), 2, 1), (range(4, 5), 1, 2)]
    """
    full = n_folds - n_folds % n_processes
    rounds = []
    for folds in (range(full), range(full, n_folds)):
        if len(folds):
            processes = min(n_processes, len(folds))
            rounds.append((folds, processes, max(1, n_cores // processes)))
    return rounds


@contextlib.contextmanager
def _torch_threads(n_threads):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _fit_and_count(estimator, X, y, train, test, labels, n_threads):
    """Fit a clone on ``train``; the confusion matrix on ``test``."""
    with _torch_threads(n_threads):
        start = time.perf_counter()
        fitted = clone(estimator)
        fitted.fit(_safe_indexing(X, train), _safe_indexing(y, train))
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        predicted = fitted.predict(_safe_indexing(X, test))
        score_time = time.perf_counter() - start
    matrix = confusion_matrix(_safe_indexing(y, test), predicted, labels=labels)
    return matrix, fit_time, score_time, fitted


#: Worker processes kept between cross-validations, by their number: each
#: imports PyTorch and the training stack once (seconds), not once per model.
_FOLD_WORKERS = {}

#: Seconds an idle worker waits for the next fold before it exits.
IDLE_WORKER_TIMEOUT = 300


def _in_fold_workers(n_processes, tasks):
    """Run ``_fit_and_count(*task)`` for every task in the fold workers.

    The workers are this module's own, not joblib's shared ones: those may
    have started with other work (generating data), and joblib's check for
    leaking workers would then take a fold's imports and training for a
    leak, and restart them (with a warning and the imports again).
    """
    from joblib.externals.loky import ProcessPoolExecutor

    executor = _FOLD_WORKERS.get(n_processes)
    if executor is None:
        executor = ProcessPoolExecutor(n_processes, timeout=IDLE_WORKER_TIMEOUT)
        _FOLD_WORKERS[n_processes] = executor
    try:
        futures = [executor.submit(_fit_and_count, *task) for task in tasks]
        return [future.result() for future in futures]
    except BaseException:
        # An error or an interrupt leaves the workers in an unknown state:
        # stop them now; the next cross-validation starts new ones.
        del _FOLD_WORKERS[n_processes]
        executor.shutdown(wait=False, kill_workers=True)
        raise


def cross_validate_in_processes(
    estimator, X, y, splits, *, n_processes, labels=None, progress=None
):
    """Cross-validate a CPU network with its folds in parallel processes.

    Parameters
    ----------
    estimator : estimator
        Ends in a network; cloned for every fold.
    X : particle table or array
    y : array-like
    splits : list of (train, test) index arrays
    n_processes : int
        Folds trained at the same time (see :func:`fold_processes`).
    labels : sequence, optional
        Class order of the confusion matrices; default sorted.
    progress : Progress, optional
        Receives the epochs that the folds' networks count in the worker
        processes.

    Returns
    -------
    report : CrossValidationReport
        With every fold's fitted estimator, in the order of ``splits``.
    """
    check_labels(y)
    labels = unique_labels(y) if labels is None else np.asarray(labels)
    counting = (
        progress.counting_from_processes()
        if progress is not None
        else contextlib.nullcontext()
    )
    outcomes = []
    with counting:
        for folds, processes, threads in fold_rounds(
            len(splits), n_processes, cpu_count()
        ):
            tasks = [
                (estimator, X, y, *splits[fold], labels, threads) for fold in folds
            ]
            if processes == 1:
                outcomes += [_fit_and_count(*task) for task in tasks]
            else:
                outcomes += _in_fold_workers(n_processes, tasks)
    matrices, fit_times, score_times, fitted = zip(*outcomes)
    matrices, fit_times, score_times, fitted = zip(*outcomes)
    return CrossValidationReport(
        labels=labels,
        fold_confusion_matrices=np.stack(matrices),
        fit_time=np.asarray(fit_times),
        score_time=np.asarray(score_times),
        estimators=list(fitted),
    )
