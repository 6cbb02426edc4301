"""to_onnx: a fitted LipNet (or the feature SVM) as an ONNX model file."""

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from ._layers import UnsupportedModelError

__all__ = ["to_onnx"]

_SUPPORTED = (
    "to_onnx exports a fitted LipNetClassifier, a LipNet pipeline "
    "(make_lipnet_pipeline: ParticlePreprocessor -> LipNetClassifier), the "
    "hybrid pipeline (make_hybrid_pipeline) or the feature SVM pipeline "
    "(make_svm_pipeline)"
)


def _jsonable(value):
    """``value`` as plain JSON data; what JSON cannot hold becomes its repr."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _prediction_steps(model):
    """``(name, estimator)`` of what acts at prediction time, in order."""
    if not hasattr(model, "steps"):
        return [(type(model).__name__, model)]
    steps = [
        (name, estimator)
        for name, estimator in model.steps
        if estimator not in (None, "passthrough")
        # Samplers act in fit only; predict skips them.
        and not hasattr(estimator, "fit_resample")
    ]
    if not steps:
        raise UnsupportedModelError(
            "The pipeline has no step that acts at prediction time."
        )
    return steps


def _check_fitted(model, steps):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    pipeline = hasattr(model, "steps")
    for name, estimator in steps:
        where = (
            f"step {name!r} ({type(estimator).__name__})"
            if pipeline
            else type(estimator).__name__
        )
        message = (
            f"to_onnx needs a fitted model, but {where} is not fitted; call fit first."
        )
        try:
            check_is_fitted(estimator, msg=message)
        except NotFittedError as exc:
            if str(exc) == message:
                raise
            # A FeatureUnion asks its parts, which raise their own message.
            raise NotFittedError(message) from exc


def _name(estimator):
    """Class name; a union or pipeline inside a pipeline with its parts."""
    if isinstance(estimator, str):
        return estimator
    if hasattr(estimator, "transformer_list"):
        parts = [
            _name(part)
            for _, part in estimator.transformer_list
            if part not in (None, "drop")
        ]
        return f"{type(estimator).__name__}({', '.join(parts)})"
    if hasattr(estimator, "steps"):
        return _describe(estimator.steps)
    return type(estimator).__name__


def _describe(steps):
    return " -> ".join(_name(estimator) for _, estimator in steps)


def _preprocessing_metadata(step):
    """What the caller must do before the graph: the steps left out of it."""
    from ..features import ParticleFeatures
    from ..preprocessing import ParticlePreprocessor

    if isinstance(step, ParticlePreprocessor):
        params = step.get_params(deep=False)
        params.pop("n_jobs", None)
        params["mode"] = step.mode_
        # The canvas the model was fitted with (chosen from the training
        # particles when canvas_nm was None), which prepare_image takes.
        params["canvas_nm"] = getattr(step, "canvas_nm_", None)
        return {
            "step": "ParticlePreprocessor",
            **_jsonable(params),
            "function": "sklearn_lipnet.preprocessing.prepare_image",
            "output": "float32 image matrix (n, size * size); reshape it to "
            "(n, 1, size, size) for the graph",
            "in_graph": False,
        }
    if isinstance(step, ParticleFeatures):
        return {
            "step": "ParticleFeatures",
            "features": list(step.features_),
            **_jsonable(step._settings),
            "feature_names": list(step.get_feature_names_out()),
            "output": "float64 feature matrix (n, n_features)",
            "in_graph": False,
        }
    return None


def _caller_step(preprocessing, final):
    """The one step before the classifier that the caller runs, or None."""
    from ..features import ParticleFeatures
    from ..preprocessing import ParticlePreprocessor

    if not preprocessing:
        return None
    if len(preprocessing) == 1 and isinstance(
        preprocessing[0][1], (ParticlePreprocessor, ParticleFeatures)
    ):
        return preprocessing[0][1]
    raise UnsupportedModelError(
        f"{_SUPPORTED}. This pipeline has {_describe(preprocessing)} before its "
        f"{type(final).__name__}; only a ParticlePreprocessor (or "
        "ParticleFeatures) can come before a LipNetClassifier, since the graph "
        "starts where that step's output ends."
    )


def _lipnet_export(model, steps):
    from .. import __version__
    from ..neural_network import NETWORKS
    from ._hybrid import hybrid_steps
    from ._lipnet_graph import lipnet_model_proto

    *preprocessing, (_, clf) = steps
    scalers = None
    if clf.n_image_features is None:
        caller_step = _caller_step(preprocessing, clf)
        _check_fitted(model, steps)
        preprocessing_metadata = _preprocessing_metadata(caller_step)
    else:
        hybrid = hybrid_steps(preprocessing)
        _check_fitted(model, steps)
        preprocessing_metadata = None
        if hybrid is not None:
            hybrid.check_widths(clf)
            scalers = {"features": hybrid.scaler_constants()}
            preprocessing_metadata = {
                "images": _preprocessing_metadata(hybrid.images),
                "features": _preprocessing_metadata(hybrid.features),
            }
    if getattr(clf, "tta", False) and clf.input_layout_ != "features":
        raise UnsupportedModelError(
            "The LipNetClassifier averages its predictions over rotations and "
            "mirror images (tta=True), which the ONNX graph does not do; export "
            "it after set_params(tta=False) (its weights are the same) and "
            "average the eight views in the caller if you need them."
        )
    module = clf.net_.module_
    network = next(
        (name for name, cls in NETWORKS.items() if type(module) is cls),
        type(module).__name__,
    )
    classes = _jsonable(clf.classes_)
    branch = f", {clf.architecture} image branch" if network == "hybrid" else ""
    doc = (
        f"sklearn-lipnet {__version__} {_describe(steps)} ({network}{branch}): "
        "class probabilities, columns in the order of the 'classes' metadata "
        f"{classes}."
    )
    model, inputs = lipnet_model_proto(
        clf, graph_name=f"sklearn_lipnet_{network}", doc_string=doc, scalers=scalers
    )
    metadata = {
        "model": _describe(steps),
        "network": network,
        "network_input_size": clf._network_input_size
        if clf.input_layout_ != "features"
        else None,
        "classes": classes,
        "inputs": [spec.description() for spec in inputs],
        "outputs": [
            {
                "name": "probabilities",
                "dtype": "float32",
                "shape": ["batch", len(clf.classes_)],
                "columns": "classes, in order",
            }
        ],
        "preprocessing": preprocessing_metadata,
    }
    return model, metadata


def _svm_export(model, steps):
    from .. import __version__
    from ._svm import svm_model_proto

    _check_fitted(model, steps)
    (_, features), *rest = steps
    final = rest[-1][1]
    classes = _jsonable(final.classes_)
    doc = (
        f"sklearn-lipnet {__version__} {_describe(steps)}: the steps after "
        "ParticleFeatures, whose features the caller computes."
    )
    model, output = svm_model_proto(
        features,
        rest,
        final.classes_,
        graph_name="sklearn_lipnet_svm",
        doc_string=doc,
    )
    n_features = features.n_features_out_
    if output == "probabilities":
        scores = {
            "name": "probabilities",
            "dtype": "float64",
            "shape": ["batch", len(classes)],
            "columns": "classes, in order",
        }
    else:
        scores = {
            "name": "scores",
            "dtype": "float64",
            "shape": ["batch"] if len(classes) == 2 else ["batch", len(classes)],
            "columns": "decision_function: positive means classes[1]"
            if len(classes) == 2
            else "decision_function (one-vs-rest), classes in order",
        }
    metadata = {
        "model": _describe(steps),
        "network": None,
        "network_input_size": None,
        "classes": classes,
        "inputs": [
            {
                "name": "features",
                "dtype": "float64",
                "layout": "NF",
                "axes": ["batch", "feature"],
                "shape": ["batch", n_features],
                "standardisation": {"in_graph": True},
                "resize": None,
            }
        ],
        "outputs": [
            {"name": "label", "dtype": "same as classes", "shape": ["batch"]},
            scores,
        ],
        "preprocessing": _preprocessing_metadata(features),
    }
    return model, metadata


def _set_metadata(model, metadata):
    from onnx import helper

    from .. import __version__

    model.producer_name = "sklearn-lipnet"
    model.producer_version = __version__
    entries = {"sklearn_lipnet_version": __version__, **metadata}
    helper.set_model_props(
        model, {key: json.dumps(value) for key, value in entries.items()}
    )


def _file_mode():
    """Permissions of a new file under the process's umask (mkstemp uses 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_atomically(data, path):
    """Write ``data`` to ``path`` whole or not at all."""
    path = Path(os.fspath(path))
    folder = path.parent
    if path.is_dir():
        raise IsADirectoryError(f"Cannot write the ONNX model to {path}: a folder.")
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise FileNotFoundError(
            f"Cannot write the ONNX model to {path}: {folder} {problem}."
        )
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=folder
        )
    except OSError as exc:
        raise type(exc)(
            f"Cannot write the ONNX model to {path}: {exc.strerror or exc}."
        ) from exc
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, _file_mode())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def to_onnx(model, path):
    """Write a fitted LipNet (or the feature SVM) as an ONNX model file.

    The graph takes what the model's caller-side preprocessing outputs and
    returns what ``predict_proba`` returns, so ONNX Runtime (Python, C#,
    C++, Java, JavaScript) reproduces the model's probabilities:

    - a :class:`~sklearn_lipnet.LipNetClassifier`, alone or at the end of a
      LipNet pipeline (:func:`~sklearn_lipnet.make_lipnet_pipeline`): input
      ``images``, float32 ``(batch, C, H, W)`` (for the pipeline, the
      ``ParticlePreprocessor`` image matrix reshaped to
      ``(batch, 1, size, size)``); the graph standardises with the
      classifier's training mean and scale, resizes to the network's input
      exactly as the classifier does (bilinear, antialiased when shrinking)
      and returns ``probabilities``, float32 ``(batch, n_classes)``, columns
      in the order of ``classes_``. A classifier fitted on plain feature
      vectors has the input ``features`` ``(batch, n_features)`` instead.
    - the hybrid network: a :class:`~sklearn_lipnet.LipNetClassifier` with
      ``n_image_features``, alone or at the end of
      :func:`~sklearn_lipnet.make_hybrid_pipeline`: two inputs, ``images``,
      float32 ``(batch, 1, side, side)`` (the image columns; for the
      pipeline, the ``ParticlePreprocessor`` image matrix reshaped), and
      ``features``, float64 ``(batch, n_features)`` (the feature columns;
      for the pipeline, the raw ``ParticleFeatures`` output: its
      ``StandardScaler`` is in the graph); output ``probabilities``.
    - the feature SVM pipeline (:func:`~sklearn_lipnet.make_svm_pipeline`),
      through skl2onnx: input ``features``, float64 ``(batch, n_features)``,
      from the pipeline's own fitted ``ParticleFeatures`` step; outputs
      ``label`` and ``probabilities`` (``probability=True``) or ``scores``
      (``decision_function``).

    The batch size is free. Steps the graph leaves to the caller
    (``ParticlePreprocessor``, ``ParticleFeatures``; both for the hybrid
    pipeline, by graph input) are described in the
    model's metadata with their settings, next to the class names, the
    inputs (layout, shape, standardisation constants, resize), the outputs
    and the package version: every value a JSON text (see
    ``docs/deployment.md``). The file holds no pickle. Samplers act in
    ``fit`` only and are left out, as ``predict`` leaves them out.

    Parameters
    ----------
    model : LipNetClassifier or Pipeline
        The fitted model.
    path : str or path-like
        The file to write (``.onnx``). It is written to a temporary file in
        the same folder and renamed, so it appears whole or not at all.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the model (or a step of it) is not fitted.
    UnsupportedModelError
        For any other model, or a network or layer with no exact ONNX form.
    OSError
        If the file cannot be written (missing folder, no permission...).
    ImportError
        If ``onnx`` (or, for the SVM, ``skl2onnx``) is not installed:
        ``pip install 'sklearn-lipnet[onnx]'``.

    See Also
    --------
    sklearn_lipnet.save_model : the model file for Python.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import onnxruntime
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_lipnet import LipNetClassifier
    >>> from sklearn_lipnet.export import to_onnx
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X[:100].astype(np.float32)  # 8 x 8 images, resized to 28 x 28
    >>> clf = LipNetClassifier(max_epochs=1, device="cpu", random_state=0,
    ...                        module__conv_channels=4).fit(X, y[:100])
    >>> path = to_onnx(clf, os.path.join(tempfile.mkdtemp(), "digits.onnx"))
    >>> session = onnxruntime.InferenceSession(path)
    >>> [i.name for i in session.get_inputs()], session.get_inputs()[0].shape
    (['images'], ['batch', 1, 8, 8])
    >>> (proba,) = session.run(None, {"images": X[:5].reshape(-1, 1, 8, 8)})
    >>> bool(np.abs(proba - clf.predict_proba(X[:5])).max() < 1e-5)
    True
    """
    try:
        import onnx  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "to_onnx needs the onnx package: pip install 'sklearn-lipnet[onnx]'."
        ) from exc
    from ..features import ParticleFeatures
    from ..neural_network import LipNetClassifier

    steps = _prediction_steps(model)
    final = steps[-1][1]
    if isinstance(final, LipNetClassifier):
        onnx_model, metadata = _lipnet_export(model, steps)
    elif isinstance(steps[0][1], ParticleFeatures) and len(steps) > 1:
        onnx_model, metadata = _svm_export(model, steps)
    else:
        hint = ""
        if not hasattr(model, "steps") and hasattr(model, "predict"):
            hint = " Convert other scikit-learn models with skl2onnx directly."
        raise UnsupportedModelError(f"{_SUPPORTED}; got {_describe(steps)}.{hint}")
    _set_metadata(onnx_model, metadata)
    _write_atomically(onnx_model.SerializeToString(), path)
    return Path(os.fspath(path))
