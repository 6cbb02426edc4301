"""The benchmark report's figures of what each model learned."""

import warnings

import numpy as np
from sklearn.utils import _safe_indexing

__all__ = ["inspection_figures"]


#: Particles per class in the report's saliency panels.
_SALIENCY_PER_CLASS = 2


def _saliency_rows(y, labels):
    """The first test particles of each class, in the report's class order."""
    y = np.asarray(y)
    rows = [np.flatnonzero(y == label)[:_SALIENCY_PER_CLASS] for label in labels]
    return np.concatenate(rows).astype(int)


def inspection_figures(problem, result, out, model_key):
    """Figures of what the last fold's model learned; Markdown lines.

    LipNet: the first layer's filters, saliency maps of a few test particles
    per class by every method, the misclassified gallery. Feature SVM: the
    permutation importance of its feature families per class (and the
    gallery when it has probabilities). All on the last fold's test
    particles, which that model never saw. Files are named
    ``<figure>_<problem>_<model_key>.png``.
    """
    from ..features import ParticleFeatures
    from ..inspection import (
        METHODS,
        plot_feature_importance,
        plot_filters,
        plot_misclassified,
        plot_saliency,
    )
    from ..inspection._figure import save_figure
    from ..neural_network import LipNetClassifier

    model, X_test, y_test = result.model, result.X_test, result.y_test
    if model is None or X_test is None:
        return []
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    steps = [step for _, step in getattr(model, "steps", [])]
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
    if any(isinstance(step, ParticleFeatures) for step in steps):
        figures.append(
            (
                f"feature_importance_{key}.png",
                "permutation importance of the feature families",
                lambda: plot_feature_importance(model, X_test, y_test, random_state=0),
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
