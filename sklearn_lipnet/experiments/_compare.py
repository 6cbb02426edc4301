"""The thesis's comparison protocol: models side by side in stratified k-fold."""

import time
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import _safe_indexing

from ..datasets import CLASSES
from ..metrics import cross_validate_per_class
from ._network_folds import cross_validate_in_processes, fold_processes
from ._progress import EpochProgress
from ._shared_step import shared_first_step

__all__ = [
    "ModelResult",
    "class_order",
    "compare_models",
    "training_history",
    "work_units",
]


def class_order(y, problem):
    """The thesis's class order when ``y`` holds a thesis problem's classes.

    Parameters
    ----------
    y : array-like
        Labels.
    problem : str
        Name of the problem, e.g. ``"lamellarity"``.

    Returns
    -------
    labels : list of str or None
        :data:`sklearn_lipnet.datasets.CLASSES` of ``problem`` when ``y``
        holds exactly those classes, else ``None`` (sorted order).

    Examples
    --------
    >>> from sklearn_lipnet.experiments import class_order
    >>> class_order(["full", "empty", "uncertain"], "encapsulation")
    ['empty', 'full', 'uncertain']
    """
    present = set(np.unique(np.asarray(y)).tolist())
    thesis = CLASSES.get(problem)
    return list(thesis) if thesis is not None and present == set(thesis) else None


@dataclass
class ModelResult:
    """One model's cross-validation on one problem.

    Attributes
    ----------
    name : str
        Display name ("LipNet-4", "SVM").
    cv : CrossValidationReport
        Fold confusion matrices and the per-class measures that follow.
    histories : list of list of dict
        Per fold, per epoch ``{"epoch", "train_loss", ["valid_loss"]}`` for
        networks; empty lists for models without epochs.
    seconds : float
        Wall time of the whole cross-validation.
    model : estimator or None
        The last fold's fitted estimator, kept for the report's figures of
        what the model learned (the other folds' are dropped).
    X_test, y_test : particle table or array, and array, or None
        The last fold's test data, the particles ``model`` never saw.
    """

    name: str
    cv: object
    histories: list
    seconds: float
    model: object = None
    X_test: object = None
    y_test: object = None


def training_history(estimator):
    """Per-epoch losses of the network at the end of ``estimator``, if any.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted model; its last step is looked at.

    Returns
    -------
    history : list of dict
        ``{"epoch", "train_loss", ...}`` per epoch; empty for models without
        epochs (the SVM).
    """
    final = estimator[-1] if hasattr(estimator, "steps") else estimator
    history = getattr(final, "net_", None) and final.net_.history
    if not history:
        return []
    keys = ("epoch", "train_loss", "valid_loss", "valid_bacc", "dur")
    return [{key: row[key] for key in keys if key in row} for row in history]


def compare_models(
    X,
    y,
    models,
    *,
    cv=5,
    labels=None,
    random_state=0,
    n_jobs=None,
    verbose=0,
    log=print,
    progress=None,
):
    """Cross-validate each model on the same stratified folds.

    Parameters
    ----------
    X : particle table or array
        The data every model takes.
    y : array-like
        Labels.
    models : dict of {str: estimator}
        Display name to (unfitted) estimator.
    cv : int or splitter, default=5
        An int ``k`` is ``StratifiedKFold(k, shuffle=True,
        random_state=random_state)``: the same folds for every model.
    labels : sequence, optional
        Class order of the results; default sorted.
    random_state : int, default=0
        Seeds the folds.
    n_jobs : int, optional
        Processes for the folds (joblib semantics; the feature SVM's folds
        on the 2-core machine: 41 s in one process, 23 s in two on 24,918
        particles, a second or two either way on a few thousand,
        ``benchmarks/results/svm_folds_cpu.md``). A network on the CPU shares
        the cores among the folds that train at the same time (see
        ``docs/cli.md``, "Folds in parallel"); on a GPU its folds train one
        after another.
    verbose : int, default=0
        Passed to ``cross_validate``.
    log : callable, default=print
        Where progress lines go.
    progress : Progress, optional
        Counts the work as it is done (see :func:`work_units`): networks
        with a fixed number of epochs report every epoch, other models every
        cross-validation.

    Returns
    -------
    results : dict of {str: ModelResult}
        Each with the last fold's fitted model and test data.
    """
    if isinstance(cv, int):
        cv = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    # The splits are drawn once, so that every model gets the same folds and
    # the last fold's test data are known even for a splitter without a seed.
    splits = list(check_cv(cv, y, classifier=True).split(X, y))
    last_test = splits[-1][1]
    X_test, y_test = _safe_indexing(X, last_test), _safe_indexing(y, last_test)
    results = {}
    for name, estimator in models.items():
        log(f"  {name}: {len(splits)}-fold cross-validation ...")
        counts_epochs = False
        if progress is not None:
            progress.describe(name)
            estimator, counts_epochs = _reporting_epochs(estimator, progress)
        start = time.perf_counter()
        # A per-particle first step (features, image preparation) gives the
        # same rows in every fold: run once, the folds fit the steps after it.
        shared = shared_first_step(estimator, X, splits)
        model, X_model = estimator, X
        if shared is not None:
            model, X_model = shared.rest, shared.step.transform(X)
            log(
                f"  {name}: {type(shared.step).__name__} run once on the "
                f"{len(y)} particles for every fold "
                f"({time.perf_counter() - start:.0f} s)"
            )
        network = _network_of(estimator)
        processes = fold_processes(network, n_jobs, len(splits))
        if processes > 1:
            log(f"  {name}: folds in {processes} processes sharing the cores")
            report = cross_validate_in_processes(
                model,
                X_model,
                y,
                splits,
                n_processes=processes,
                labels=labels,
                progress=progress,
            )
        else:
            report = cross_validate_per_class(
                model,
                X_model,
                y,
                cv=splits,
                labels=labels,
                # A network here runs on a GPU or was given no jobs.
                n_jobs=n_jobs if network is None else None,
                verbose=verbose,
                random_state=random_state,
                return_estimator=True,
            )
        seconds = time.perf_counter() - start
        histories = [training_history(fitted) for fitted in report.estimators]
        last_model = report.estimators[-1]
        if shared is not None:
            last_model = shared.full_model(last_model)
        # The other fitted models served their purpose (training curves);
        # dropping them keeps the results light enough to hold for many
        # experiments.
        report.estimators = None
        results[name] = ModelResult(
            name, report, histories, seconds, last_model, X_test, y_test
        )
        if progress is not None and not counts_epochs:
            progress.advance(len(splits))
        log(f"  {name}: done in {seconds:.0f} s")
    return results


def _network_of(estimator):
    """The LipNet classifier at the end of ``estimator``, or None."""
    final = estimator[-1] if hasattr(estimator, "steps") else estimator
    return final if hasattr(final, "max_epochs") else None


def _counted_epochs(estimator):
    """Epochs per fold of ``estimator``'s network, or None.

    None where there is no network, or where its epochs are decided in
    ``fit`` (``max_epochs="auto"``): its folds are then counted instead.
    """
    network = _network_of(estimator)
    if network is None or not isinstance(network.max_epochs, Integral):
        return None
    return network.max_epochs


def work_units(models, n_folds):
    """Progress units of cross-validating ``models``: epochs, or one per fold.

    A network counts its epochs where they are known before ``fit``; one
    with ``max_epochs="auto"`` (decided by the data) and every other model
    count one unit per fold.

    Parameters
    ----------
    models : dict of {str: estimator}
    n_folds : int

    Returns
    -------
    units : int
    """
    units = 0
    for estimator in models.values():
        units += n_folds * (_counted_epochs(estimator) or 1)
    return units


def _reporting_epochs(estimator, progress):
    """A clone of ``estimator`` whose network counts its epochs in ``progress``.

    Returns the clone and whether it has a network to count with; models
    without one are returned unchanged.
    """
    if _counted_epochs(estimator) is None:
        return estimator, False
    estimator = clone(estimator)
    network = _network_of(estimator)
    network.set_params(
        callbacks=[*(network.callbacks or []), ("progress", EpochProgress(progress))]
    )
    return estimator, True
