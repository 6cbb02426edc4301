"""The feature-SVM pipeline as an ONNX graph, through skl2onnx.

``ParticleFeatures`` has no ONNX form (segmentation, region properties,
profiles along the outline), so the graph starts at the feature matrix the
caller computes with the pipeline's own fitted ``features`` step; the
scaler, the SVC and the probability calibration are skl2onnx's converters.
Samplers act in ``fit`` only and are left out, as ``predict`` skips them.
"""

import copy
import warnings

import numpy as np

from ._layers import UnsupportedModelError
from ._lipnet_graph import OPSET

__all__ = ["svm_model_proto"]

#: Opset of the ``ai.onnx.ml`` domain (SVMClassifier, ...), ONNX Runtime 1.12+.
ML_OPSET = 3


def _kept(steps):
    """The estimators of ``steps`` that act at prediction time."""
    return [
        (name, estimator)
        for name, estimator in steps
        if estimator not in (None, "passthrough")
        and not hasattr(estimator, "fit_resample")
    ]


def _as_predicting(estimator):
    """``estimator`` as it predicts: samplers of nested pipelines removed, a
    TunedSVC as its fitted SVC.

    ``make_svm_pipeline(probability=True, sampler=..., C=1.0)`` calibrates a
    ``Pipeline([sampler, svc])``; skl2onnx knows neither imbalanced-learn's
    pipeline nor samplers, and at prediction time that pipeline is its SVC.
    A :class:`~sklearn_lipnet.pipeline.TunedSVC` (the default's last step,
    calibrated or not) likewise predicts with its fitted ``svc_``.
    The model given is not changed: a copy of the calibrated classifier is.
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    from ..pipeline import TunedSVC

    if isinstance(estimator, TunedSVC):
        # Its search and sampler act in fit; it predicts with its SVC.
        return estimator.svc_
    if not isinstance(estimator, CalibratedClassifierCV):
        return estimator

    def unwrap(inner):
        if isinstance(inner, TunedSVC):
            # The calibrated copies are fitted; the template is not.
            return inner.svc_ if hasattr(inner, "svc_") else SVC(kernel=inner.kernel)
        if not hasattr(inner, "steps"):
            return inner
        kept = _kept(inner.steps)
        if len(kept) != 1:
            raise UnsupportedModelError(
                "The calibrated classifier is a pipeline of "
                f"{[type(e).__name__ for _, e in kept]}; to_onnx converts a "
                "calibrated single classifier (with samplers, which act in fit "
                "only)."
            )
        return kept[0][1]

    estimator = copy.deepcopy(estimator)
    estimator.estimator = unwrap(estimator.estimator)
    for calibrated in estimator.calibrated_classifiers_:
        calibrated.estimator = unwrap(calibrated.estimator)
    return estimator


def _rename(graph, old, new):
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for output in graph.output:
        if output.name == old:
            output.name = new


def _scores_as_decision_function(model, n_classes):
    """Make the ``scores`` output equal ``decision_function``.

    skl2onnx's SVC gives two columns for two classes, the first being
    ``decision_function`` (positive: the second class); scikit-learn gives
    that one column as a 1-D array, and so does the graph.
    """
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    if n_classes > 2:
        _rename(graph, "probabilities", "scores")
        return
    _rename(graph, "probabilities", "svc_scores")
    (old_output,) = [o for o in graph.output if o.name == "svc_scores"]
    elem_type = old_output.type.tensor_type.elem_type or TensorProto.DOUBLE
    graph.initializer.append(
        numpy_helper.from_array(np.array(0, dtype=np.int64), "first_column")
    )
    graph.node.append(
        helper.make_node(
            "Gather", ["svc_scores", "first_column"], ["scores"], axis=1, name="scores"
        )
    )
    graph.output.remove(old_output)
    graph.output.append(helper.make_tensor_value_info("scores", elem_type, ["batch"]))


def svm_model_proto(feature_step, steps, classes, *, graph_name, doc_string):
    """The ONNX model of the SVM part of a fitted feature pipeline.

    Parameters
    ----------
    feature_step : ParticleFeatures
        Fitted; gives the width of the input.
    steps : list of (str, estimator)
        The fitted steps after it (scaler, SVC or calibrated SVC), samplers
        already removed.
    classes : ndarray
        The final estimator's ``classes_``.
    graph_name : str
    doc_string : str

    Returns
    -------
    model : onnx.ModelProto
        Input ``features`` (float64, ``(batch, n_features)``); outputs
        ``label`` and ``probabilities`` (with ``predict_proba``) or ``scores``
        (``decision_function``).
    output : {"probabilities", "scores"}
    """
    try:
        from skl2onnx import convert_sklearn
        from skl2onnx.common.data_types import DoubleTensorType
    except ImportError as exc:
        raise ImportError(
            "Exporting the SVM pipeline needs skl2onnx: "
            "pip install 'sklearn-lipnet[onnx]'."
        ) from exc
    import onnx
    from sklearn.pipeline import Pipeline

    steps = [(name, _as_predicting(estimator)) for name, estimator in steps]
    final = steps[-1][1]
    output = "probabilities" if hasattr(final, "predict_proba") else "scores"
    try:
        with warnings.catch_warnings():
            # skl2onnx reads SVC.probA_/probB_, deprecated in scikit-learn 1.9:
            # its business, not the user's.
            warnings.filterwarnings(
                "ignore", message="Attribute `prob[AB]_`", category=FutureWarning
            )
            model = convert_sklearn(
                Pipeline(steps),
                name=graph_name,
                initial_types=[
                    ("features", DoubleTensorType([None, feature_step.n_features_out_]))
                ],
                target_opset={"": OPSET, "ai.onnx.ml": ML_OPSET},
                options={id(final): {"zipmap": False}},
            )
    except Exception as exc:  # skl2onnx raises many kinds; say which model
        names = " -> ".join(type(estimator).__name__ for _, estimator in steps)
        raise UnsupportedModelError(
            f"skl2onnx cannot convert the pipeline's {names}: {exc}"
        ) from exc
    if output == "scores":
        _scores_as_decision_function(model, len(classes))
    model.graph.doc_string = doc_string
    onnx.checker.check_model(model, full_check=True)
    return model, output
