"""Which hand-made features a model needs, per class (the SVM, the hybrid)."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.frozen import FrozenEstimator
from sklearn.inspection import permutation_importance
from sklearn.metrics import balanced_accuracy_score, make_scorer
from sklearn.pipeline import FeatureUnion
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from ..features import FEATURE_FAMILIES, ParticleFeatures
from ..metrics import per_class_scoring
from ._figure import new_figure

__all__ = ["GROUPINGS", "feature_importance", "plot_feature_importance"]

#: How :func:`feature_importance` groups the feature columns.
GROUPINGS = ("family", "feature")


class _GroupedFeatures(ClassifierMixin, BaseEstimator):
    """A fitted model's tail fed by feature rows chosen group by group.

    ``predict`` takes a matrix of row numbers, one column per feature group:
    group ``g`` of sample ``i`` takes its columns from row ``R[i, g]`` of the
    feature matrix. Permuting column ``g`` of the identity rows (what
    :func:`sklearn.inspection.permutation_importance` does) thus shuffles all
    of the group's columns together across the samples. Used frozen: the
    tail is the fitted model's.
    """

    def __init__(self, tail, features, group_columns):
        self.tail = tail
        self.features = features
        self.group_columns = group_columns

    @property
    def classes_(self):
        return self.tail.classes_

    def predict(self, rows):
        rows = np.asarray(rows, dtype=np.intp)
        mixed = np.empty_like(self.features)
        for g, columns in enumerate(self.group_columns):
            mixed[:, columns] = self.features[np.ix_(rows[:, g], columns)]
        return self.tail.predict(mixed)


def _feature_source(model):
    """Where the hand-made features of a fitted pipeline enter its classifier.

    Two shapes are understood: a ``ParticleFeatures`` step followed by the
    classifier (the feature SVM), and a ``FeatureUnion`` step one of whose
    members is ``ParticleFeatures``, possibly followed by transformers that
    keep its columns, such as a ``StandardScaler`` (the hybrid network, whose
    union also holds the image).

    Returns
    -------
    position : int
        The step whose output the rest of the pipeline reads.
    features_step : ParticleFeatures
    members : list of (str, transformer, bool) or None
        For a union: its active members in output order, each flagged when it
        is the features' member.
    """
    steps = getattr(model, "steps", None) or []
    for position, (_, step) in enumerate(steps[:-1]):
        if isinstance(step, ParticleFeatures):
            _check_fitted(step)
            return position, step, None
        if isinstance(step, FeatureUnion):
            members, features_step = [], None
            for name, member in step.transformer_list:
                if member in (None, "drop"):
                    continue
                found = _particle_features_in(member)
                if found is not None and features_step is None:
                    features_step = found
                    members.append((name, member, True))
                else:
                    members.append((name, member, False))
            if features_step is not None:
                _check_fitted(features_step)
                return position, features_step, members
    raise TypeError(
        "feature_importance needs a fitted pipeline with a ParticleFeatures "
        "step followed by a classifier (e.g. make_svm_pipeline()), or with a "
        "FeatureUnion holding one (make_hybrid_pipeline()); got "
        f"{type(model).__name__}."
    )


def _has_feature_source(model):
    """Whether :func:`feature_importance` can read ``model``'s features."""
    try:
        _feature_source(model)
    except TypeError:
        return False
    return True


def _particle_features_in(member):
    """The ``ParticleFeatures`` a union member is or starts with, else None."""
    if isinstance(member, ParticleFeatures):
        return member
    steps = getattr(member, "steps", None)
    if steps and isinstance(steps[0][1], ParticleFeatures):
        return steps[0][1]
    return None


def _check_fitted(features_step):
    check_is_fitted(
        features_step,
        msg="feature_importance needs a fitted model: its ParticleFeatures step "
        "is not fitted yet; call fit first.",
    )


def _source_matrix(model, X, position, features_step, members):
    """The matrix the tail reads, and the features' first column in it.

    Also returns the other members' columns (the hybrid's image), by name.
    """
    for _, step in model.steps[:position]:
        X = step.transform(X)
    if members is None:
        return features_step.transform(X), 0, {}
    union = model.steps[position][1]
    weights = union.transformer_weights or {}
    parts, offset, others, start = [], None, {}, 0
    for name, member, is_features in members:
        part = np.asarray(member.transform(X), dtype=float)
        part = part * weights.get(name, 1)
        width = part.shape[1]
        if is_features:
            n_features = len(features_step.get_feature_names_out())
            if width != n_features:
                raise TypeError(
                    f"feature_importance needs the union member {name!r} to keep "
                    f"the {n_features} ParticleFeatures columns; it outputs "
                    f"{width}."
                )
            offset = start
        else:
            others[name] = list(range(start, start + width))
        parts.append(part)
        start += width
    return np.hstack(parts), offset, others


def _groups(features_step, group):
    positions = features_step._fitted_spec().column_positions()
    if group == "feature":
        return {name: columns for name, columns in positions.items()}
    groups = {}
    for family, members in FEATURE_FAMILIES.items():
        columns = [c for name in members for c in positions.get(name, [])]
        if columns:
            groups[family] = columns
    return groups


def feature_importance(
    model, X, y, *, group="family", n_repeats=5, random_state=None, n_jobs=None
):
    """Permutation importance of the hand-made features, overall and per class.

    For each feature family (or feature), its columns of the
    :class:`~sklearn_lipnet.ParticleFeatures` matrix are shuffled together
    across the particles (:func:`sklearn.inspection.permutation_importance`
    with the family as one column) and the fitted model predicts again. The
    importance is the drop in the balanced accuracy and in each class's
    true positive rate (recall): a family the SVM needs to recognise a class
    costs that class's recall when shuffled. Measure it on particles the
    model was not trained on.

    For a hybrid network (:func:`~sklearn_lipnet.make_hybrid_pipeline`) the
    image is one more group, named after its member of the union
    (``"images"``): shuffling it gives each particle another particle's
    image, so its importance says how much the network reads the image
    against each feature family.

    Parameters
    ----------
    model : Pipeline
        A fitted pipeline with a ``ParticleFeatures`` step followed by the
        classifier, e.g. :func:`~sklearn_lipnet.make_svm_pipeline`, or with a
        ``FeatureUnion`` holding ``ParticleFeatures`` (alone or followed by
        steps that keep its columns, such as a scaler), e.g.
        :func:`~sklearn_lipnet.make_hybrid_pipeline`.
    X : particle table
        Labelled particles, held out from training.
    y : array-like of shape (n_samples,)
        Their true labels.
    group : {"family", "feature"}, default="family"
        ``"family"``: the families of
        :data:`sklearn_lipnet.features.FEATURE_FAMILIES` (shape, moments,
        histogram, radial profile, edge profile, signal to noise, internal
        variance); ``"feature"``: each feature of ``ParticleFeatures``
        (``"area"``, ``"histogram"``, ...) on its own. The other members of
        a union (the hybrid's image) are one group each, after these.
    n_repeats : int, default=5
        Shuffles per group.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffles.
    n_jobs : int, default=None
        Groups evaluated in parallel (joblib).

    Returns
    -------
    result : sklearn.utils.Bunch
        ``importances_mean`` and ``importances_std``: DataFrames, one row per
        group, columns ``balanced_accuracy`` and ``tpr_<class>`` (drop in
        score; negative values are noise); ``importances``: a dict of
        ``(n_groups, n_repeats)`` arrays per score; ``baseline``: the
        unshuffled scores (a Series); ``columns``: the feature columns of
        each group.

    See Also
    --------
    plot_feature_importance : The importances as a bar chart.

    Examples
    --------
    >>> from sklearn_lipnet import make_svm_pipeline
    >>> from sklearn_lipnet.datasets import make_liposomes
    >>> from sklearn_lipnet.inspection import feature_importance
    >>> table, y = make_liposomes(60, weights=[1, 1, 1], random_state=0)
    >>> svm = make_svm_pipeline().fit(table[:40], y[:40])
    >>> result = feature_importance(svm, table[40:], y[40:], random_state=0)
    >>> result.importances_mean.columns.tolist()
    ['balanced_accuracy', 'tpr_multilamellar', 'tpr_uncertain', 'tpr_unilamellar']
    >>> result.importances_mean.index.tolist()[:3]
    ['shape', 'moments', 'histogram']
    """
    if group not in GROUPINGS:
        raise ValueError(f"group must be one of {list(GROUPINGS)}, got {group!r}.")
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, Integral):
        raise ValueError(f"n_repeats must be a positive int, got {n_repeats!r}.")
    if n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive int, got {n_repeats!r}.")
    position, features_step, members = _feature_source(model)
    features, offset, others = _source_matrix(
        model, X, position, features_step, members
    )
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(features):
        raise ValueError(f"y must hold one label per particle of X ({len(features)}).")
    groups = {
        name: [offset + c for c in columns]
        for name, columns in _groups(features_step, group).items()
    }
    groups.update(others)
    grouped = _GroupedFeatures(model[position + 1 :], features, list(groups.values()))
    scoring = {"balanced_accuracy": make_scorer(balanced_accuracy_score)}
    scoring.update(per_class_scoring(list(model.classes_), measures=("tpr",)))
    identity = np.tile(np.arange(len(features))[:, None], (1, len(groups)))
    result = permutation_importance(
        FrozenEstimator(grouped),
        identity,
        y,
        scoring=scoring,
        n_repeats=n_repeats,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    index = pd.Index(list(groups), name=group)
    names = list(scoring)
    baseline = {name: scoring[name](grouped, identity, y) for name in names}
    return Bunch(
        importances_mean=pd.DataFrame(
            {name: result[name].importances_mean for name in names}, index=index
        ),
        importances_std=pd.DataFrame(
            {name: result[name].importances_std for name in names}, index=index
        ),
        importances={name: result[name].importances for name in names},
        baseline=pd.Series(baseline, name="score"),
        columns={
            name: (
                [f"{name}[{c - columns[0]}]" for c in columns]
                if name in others
                else [
                    str(features_step.get_feature_names_out()[c - offset])
                    for c in columns
                ]
            )
            for name, columns in groups.items()
        },
    )


def plot_feature_importance(
    model, X, y, *, group="family", n_repeats=5, random_state=None, n_jobs=None
):
    """What each feature family is worth to a model, overall and per class.

    Horizontal bars: for each family (see :func:`feature_importance`), the
    drop in balanced accuracy and in each class's true positive rate when the
    family is shuffled, with the standard deviation over the shuffles.

    Parameters
    ----------
    model : Pipeline
        A fitted pipeline with a ``ParticleFeatures`` step, e.g.
        :func:`~sklearn_lipnet.make_svm_pipeline`, or a hybrid network's
        (:func:`~sklearn_lipnet.make_hybrid_pipeline`; its image is one more
        bar).
    X : particle table
        Labelled particles, held out from training.
    y : array-like of shape (n_samples,)
        Their true labels.
    group : {"family", "feature"}, default="family"
        See :func:`feature_importance`.
    n_repeats : int, default=5
        Shuffles per group.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffles.
    n_jobs : int, default=None
        Groups evaluated in parallel.

    Returns
    -------
    figure : matplotlib.figure.Figure

    See Also
    --------
    feature_importance : The numbers.

    Examples
    --------
    >>> from sklearn_lipnet import make_svm_pipeline
    >>> from sklearn_lipnet.datasets import make_liposomes
    >>> from sklearn_lipnet.inspection import plot_feature_importance
    >>> table, y = make_liposomes(60, weights=[1, 1, 1], random_state=0)
    >>> svm = make_svm_pipeline().fit(table[:40], y[:40])
    >>> figure = plot_feature_importance(svm, table[40:], y[40:], random_state=0)
    >>> figure.axes[0].get_xlabel()
    'drop in score when shuffled'
    """
    result = feature_importance(
        model,
        X,
        y,
        group=group,
        n_repeats=n_repeats,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    mean, std = result.importances_mean, result.importances_std
    n_groups, n_scores = mean.shape
    figure = new_figure(6.5, 0.5 + n_groups * (0.18 * n_scores + 0.25))
    ax = figure.subplots()
    height = 0.8 / n_scores
    positions = np.arange(n_groups)
    for k, score in enumerate(mean.columns):
        label = (
            "balanced accuracy"
            if score == "balanced_accuracy"
            else f"TPR {score.removeprefix('tpr_')}"
        )
        ax.barh(
            positions + (k - (n_scores - 1) / 2) * height,
            mean[score],
            height,
            xerr=std[score],
            color="0.35" if score == "balanced_accuracy" else f"C{(k - 1) % 10}",
            label=f"{label} ({result.baseline[score]:.2f})",
            capsize=2,
        )
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_yticks(positions, [str(name) for name in mean.index])
    ax.invert_yaxis()
    ax.set_xlabel("drop in score when shuffled")
    ax.legend(fontsize=7, title="score (unshuffled)", title_fontsize=7)
    ax.set_title(
        f"Permutation importance by {group}, {len(y)} particles, {n_repeats} shuffles",
        fontsize=9,
    )
    return figure
