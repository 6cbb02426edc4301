"""The benchmark report's figures of what each model learned."""

import warnings

import numpy as np
from sklearn.utils import _safe_indexing

__all__ = ["INSPECTION_FIGURE_PREFIXES", "inspection_figures"]

#: How the names of the figures below begin (``<prefix><problem>_<model>.png``):
#: a report folder holds them, so a later report may replace it.
INSPECTION_FIGURE_PREFIXES = (
    "filters_",
    "saliency_",
    "feature_importance_",
    "misclassified_",
)


#: Particles per class in the report's saliency panels.
_SALIENCY_PER_CLASS = 2
#: Test particles per class, at most, whose features are shuffled for the
#: permutation importance: the SVM predicts them 5 times per feature family,
#: which took longer than its whole cross-validation on the thesis's 25,000
#: particles (5,000 test particles). A class's recall drop needs only that
#: class's particles, so the rare classes stay whole.
_IMPORTANCE_PER_CLASS = 500


def _saliency_rows(y, labels):
    """The first test particles of each class, in the report's class order."""
    y = np.asarray(y)
    rows = [np.flatnonzero(y == label)[:_SALIENCY_PER_CLASS] for label in labels]
    return np.concatenate(rows).astype(int)


def _importance_rows(y, labels, per_class=None, random_state=0):
    """Test particles for the permutation importance: at most ``per_class``
    of each class (a seeded draw), in their order in ``y``."""
    per_class = _IMPORTANCE_PER_CLASS if per_class is None else per_class
    y = np.asarray(y)
    rng = np.random.default_rng(random_state)
    rows = []
    for label in labels:
        found = np.flatnonzero(y == label)
        if len(found) > per_class:
            found = rng.choice(found, per_class, replace=False)
        rows.append(found)
    return np.sort(np.concatenate(rows)).astype(int)


def inspection_figures(problem, result, out, model_key):
    """Figures of what the last fold's model learned; Markdown lines.

    LipNet: the first layer's filters, saliency maps of a few test particles
    per class by every method, the misclassified gallery. Feature SVM: the
    permutation importance of its feature families per class (and the
    gallery when it has probabilities); the hybrid network: the same, its
    image one more family, and the gallery. All on the last fold's test
    particles, which that model never saw. Files are named
    ``<figure>_<problem>_<model_key>.png``.
    """
    from ..inspection import (
        METHODS,
        plot_feature_importance,
        plot_filters,
        plot_misclassified,
        plot_saliency,
    )
    from ..inspection._feature_importance import _has_feature_source
    from ..inspection._figure import save_figure
    from ..neural_network import LipNetClassifier

    model, X_test, y_test = result.model, result.X_test, result.y_test
    if model is None or X_test is None:
        return []
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    key = f"{problem}_{model_key}"
    figures = []
    if isinstance(final, LipNetClassifier) and final.input_layout_ == "image":
        rows = _saliency_rows(y_test, result.cv.labels)
        figures += [
            (f"filters_{key}.png", "first-layer filters", lambda: plot_filters(model)),
            (
                f"saliency_{key}.png",
                "saliency maps of test particles, by method",
                lambda: plot_saliency(
                    model,
                    _safe_indexing(X_test, rows),
                    list(METHODS),
                    y=np.asarray(y_test)[rows],
                ),
            ),
        ]
    # The feature SVM's features, or the hybrid network's features and image.
    if _has_feature_source(model):
        shuffled = _importance_rows(y_test, result.cv.labels)
        figures.append(
            (
                f"feature_importance_{key}.png",
                "permutation importance of the feature families, on at most "
                f"{_IMPORTANCE_PER_CLASS} test particles per class",
                lambda: plot_feature_importance(
                    model,
                    _safe_indexing(X_test, shuffled),
                    np.asarray(y_test)[shuffled],
                    random_state=0,
                ),
            )
        )
    if hasattr(model, "predict_proba"):
        figures.append(
            (
                f"misclassified_{key}.png",
                "most confidently misclassified test particles",
                lambda: plot_misclassified(model, X_test, y_test),
            )
        )
    lines = []
    for name, title, draw in figures:
        try:
            save_figure(draw(), out / name)
        except Exception as exc:  # the numbers above must not be lost for it
            warnings.warn(
                f"The report's figure {name} could not be drawn: {exc}",
                UserWarning,
                stacklevel=2,
            )
            lines += [f"({title}: not drawn, {type(exc).__name__}: {exc})", ""]
        else:
            lines += [f"![{result.name}: {title}]({name})", ""]
    return lines
