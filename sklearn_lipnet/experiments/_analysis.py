"""One micrograph from file to classified particles: the unit of an analysis.

``lipnet analyze`` runs :func:`try_analyze_micrograph` on each micrograph,
one at a time per worker (joblib or Dask), so that memory holds a few
micrographs, never the whole set; only the per-particle rows travel back.
"""

import time
import traceback
import warnings

import numpy as np
import pandas as pd
from PIL import Image

from ..datasets._image_io import read_image
from ..detection import find_particles
from ..utils._files import write_atomically
from ._micrograph_report import class_colours, draw_overlay

__all__ = ["analyze_micrograph", "rebalanced_training", "try_analyze_micrograph"]

#: Columns of the per-particle rows, before the class probabilities.
RESULT_COLUMNS = (
    "sample",
    "micrograph",
    "particle",
    "y",
    "x",
    "y0",
    "x0",
    "y1",
    "x1",
    "diameter_nm",
    "score",
    "cut_by_border",
    "class",
)


def analyze_micrograph(
    path,
    model,
    *,
    sample,
    micrograph,
    pixel_size_nm=None,
    finder_settings=None,
    overlay_path=None,
    classes=None,
):
    """Find and classify the particles of one micrograph file.

    Parameters
    ----------
    path : path-like
        The micrograph (any format :func:`~sklearn_lipnet.datasets.load_particles`
        reads: PNG, TIFF, MRC...).
    model : fitted classifier or pipeline
        Takes a particle table; has ``classes_`` and ``predict_proba``.
    sample, micrograph : str
        Names written into each row.
    pixel_size_nm : float, default=None
        The micrograph's pixel size; None: 1 nm.
    finder_settings : dict, default=None
        Keyword arguments of :func:`~sklearn_lipnet.find_particles`.
    overlay_path : path-like, default=None
        Where to write the overlay PNG; None writes none.
    classes : sequence of str, default=None
        The model's classes in the order of the probability columns and of
        the overlay's colours; None: ``model.classes_``.

    Returns
    -------
    rows : pandas.DataFrame
        One row per particle: :data:`RESULT_COLUMNS`, then ``p_<class>``
        for each class of the model.

    Raises
    ------
    ImageReadError, ValueError
        If the file cannot be read or is no 2-D micrograph.

    See Also
    --------
    try_analyze_micrograph : The same, returning errors instead of raising.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklearn_lipnet.datasets import (list_micrographs, make_micrographs,
    ...                                      save_micrographs)
    >>> from sklearn_lipnet.experiments import analyze_micrograph
    >>> sizes = FunctionTransformer(lambda table: table[["diameter_nm"]].to_numpy())
    >>> model = make_pipeline(sizes, DummyClassifier()).fit(
    ...     pd.DataFrame({"diameter_nm": [50.0, 150.0]}), ["small", "large"])
    >>> micrographs, truth = make_micrographs(1, shape=384, random_state=0)
    >>> listed = list_micrographs(save_micrographs(micrographs, tempfile.mkdtemp()))
    >>> rows = analyze_micrograph(listed["path"][0], model, sample="a",
    ...                           micrograph=listed["id"][0])
    >>> len(rows) == len(truth), list(rows.columns[-3:])
    (True, ['class', 'p_large', 'p_small'])
    """
    image = read_image(path)
    size = None if pixel_size_nm is None or np.isnan(pixel_size_nm) else pixel_size_nm
    particles = find_particles(
        pd.DataFrame({"id": [micrograph], "image": [image]}),
        pixel_size_nm=size,
        **(finder_settings or {}),
    )
    model_classes = [str(label) for label in model.classes_]
    classes = model_classes if classes is None else [str(c) for c in classes]
    if sorted(classes) != sorted(model_classes):
        raise ValueError(
            f"classes {classes} are not the model's classes {model_classes}."
        )
    if len(particles):
        proba = np.asarray(model.predict_proba(particles))
    else:
        proba = np.empty((0, len(classes)))
    proba = proba[:, [model_classes.index(label) for label in classes]]
    particles["class"] = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
    if overlay_path is not None:
        picture = draw_overlay(image, particles, class_colours(classes))
        write_atomically(
            overlay_path, lambda target: Image.fromarray(picture).save(target)
        )
    rows = particles.rename(columns={"id": "particle"})
    rows["sample"] = sample
    rows = rows[list(RESULT_COLUMNS)].copy()
    for k, label in enumerate(classes):
        rows[f"p_{label}"] = proba[:, k]
    return rows


def try_analyze_micrograph(path, model, **kwargs):
    """:func:`analyze_micrograph`, reporting instead of raising.

    An interrupt is not caught.

    Parameters
    ----------
    path : path-like
        The micrograph file.
    model : fitted classifier or pipeline
        As for :func:`analyze_micrograph`.
    **kwargs
        The other arguments of :func:`analyze_micrograph`.

    Returns
    -------
    result : dict
        ``rows`` (or None), ``error`` (None, or one line naming the
        problem), ``seconds`` and ``warnings`` (distinct messages raised
        while analysing).

    See Also
    --------
    analyze_micrograph : The analysis itself.
    """
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            rows, error = analyze_micrograph(path, model, **kwargs), None
        except Exception as exc:  # reported per micrograph, e.g. --on-error skip
            rows = None
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            error = f"{type(exc).__name__}: {message}"
            if not isinstance(exc, (ValueError, OSError)):
                # Not a bad file: keep where it happened, for a bug report.
                where = traceback.extract_tb(exc.__traceback__)[-1]
                error += f" (at {where.filename}:{where.lineno})"
    return {
        "rows": rows,
        "error": error,
        "seconds": time.perf_counter() - start,
        "warnings": sorted({str(w.message) for w in caught}),
    }


def rebalanced_training(model):
    """How ``model`` was trained on rebalanced classes, or None.

    A classifier trained on rebalanced classes (oversampling, class
    weights, a resampling step) has its decisions and probabilities tuned to
    balanced classes, not to samples in which a class is rare, so the class
    fractions it gives for such samples shift.

    Parameters
    ----------
    model : estimator or pipeline

    Returns
    -------
    description : str or None
        The settings that rebalance, e.g. ``"lipnet__balance='oversample'"``.

    Examples
    --------
    >>> from sklearn.svm import SVC
    >>> from sklearn_lipnet.experiments import rebalanced_training
    >>> rebalanced_training(SVC(class_weight="balanced"))
    "class_weight='balanced'"
    >>> rebalanced_training(SVC()) is None
    True
    """
    found = []
    params = model.get_params(deep=True) if hasattr(model, "get_params") else {}
    for name, value in params.items():
        last = name.rsplit("__", 1)[-1]
        if last == "balance" and value is not None:
            found.append(f"{name}={value!r}")
        elif last == "class_weight" and value is not None:
            found.append(f"{name}={value!r}")
    for name, step in getattr(model, "steps", []):
        if hasattr(step, "fit_resample"):
            found.append(f"a {type(step).__name__} step ({name!r})")
    return ", ".join(found) or None
