"""Schemas of the scikit-learn and imbalanced-learn classes a model file holds.

See :mod:`._schema` for what a schema checks.
"""

import numpy as np

from ._checks import (
    Array,
    Bool,
    Classes,
    FeatureNames,
    Float,
    Int,
    ListOf,
    Optional,
    Str,
    TupleOf,
    describe,
    fail,
)
from ._registry import name_of
from ._schema import (
    MAX_FEATURES,
    SEED,
    Schema,
    check_feature_names,
    check_shape,
    estimator_check,
)

__all__ = ["SKLEARN_SCHEMAS"]


def _svc_consistent(state, where):
    n_classes = len(state["classes_"])
    n_pairs = n_classes * (n_classes - 1) // 2
    n_features = state["n_features_in_"]
    if state["_sparse"]:
        fail(f"{where}._sparse", "sparse support vectors are not supported.")
    if state["kernel"] not in ("linear", "poly", "rbf", "sigmoid"):
        fail(f"{where}.kernel", f"kernel {state['kernel']!r} is not supported.")
    n_support = state["_n_support"]
    check_shape(where, "_n_support", n_support, (n_classes,))
    n_vectors = int(n_support.sum())
    shape_fit = state["shape_fit_"]
    if len(shape_fit) != 2 or shape_fit[1] != n_features:
        fail(f"{where}.shape_fit_", f"{shape_fit} does not fit {n_features} features.")
    check_shape(
        where, "support_vectors_", state["support_vectors_"], (n_vectors, n_features)
    )
    check_shape(where, "support_", state["support_"], (n_vectors,))
    if n_vectors and state["support_"].max() >= shape_fit[0]:
        fail(f"{where}.support_", f"indexes past the {shape_fit[0]} training samples.")
    for name in ("_dual_coef_", "dual_coef_"):
        check_shape(where, name, state[name], (n_classes - 1, n_vectors))
    for name in ("_intercept_", "intercept_"):
        check_shape(where, name, state[name], (n_pairs,))
    check_shape(where, "class_weight_", state["class_weight_"], (n_classes,))
    for name in ("_probA", "_probB"):
        if state[name].shape not in ((0,), (n_pairs,)):
            fail(f"{where}.{name}", f"has shape {state[name].shape}.")
    if state["_probA"].shape != state["_probB"].shape or (
        state.get("_effective_probability") and state["_probA"].shape != (n_pairs,)
    ):
        fail(f"{where}._probA", "probability coefficients of different sizes.")
    check_feature_names(state, where)


_INDEX = Array(np.int32, ndim=1, low=0)
_FLOATS_1D = Array(np.float64, ndim=1)
_FLOATS_2D = Array(np.float64, ndim=2)

_SVC = Schema(
    fitted={
        "classes_": Classes(),
        "n_features_in_": Int(1, MAX_FEATURES),
        "shape_fit_": TupleOf(Int(0, 2**31 - 1), 2, 2),
        "support_": _INDEX,
        "support_vectors_": _FLOATS_2D,
        "_n_support": _INDEX,
        "_dual_coef_": _FLOATS_2D,
        "dual_coef_": _FLOATS_2D,
        "_intercept_": _FLOATS_1D,
        "intercept_": _FLOATS_1D,
        "_probA": _FLOATS_1D,
        "_probB": _FLOATS_1D,
        "class_weight_": _FLOATS_1D,
        "_gamma": Float(),
        "_sparse": Bool(),
        "fit_status_": Int(),
        "n_iter_": Array(kinds="iu", ndim=1),
    },
    optional={
        "feature_names_in_": FeatureNames(),
        "_effective_probability": Bool(),
        "_num_iter": Array(kinds="iu", ndim=1),
        # Set by BaseLibSVM.__init__, fixed for SVC.
        "nu": Float(),
        "epsilon": Float(),
    },
    params={"degree": Int(0, 100), "coef0": Float(), "max_iter": Int(-1, 2**31 - 1)},
    resets={"cache_size": 200},
    consistent=_svc_consistent,
)


def _scaler_consistent(state, where):
    n_features = state["n_features_in_"]
    for name in ("mean_", "var_", "scale_"):
        if state[name] is not None:
            check_shape(where, name, state[name], (n_features,))
    if state["with_mean"] and state["mean_"] is None:
        fail(f"{where}.mean_", "is missing although with_mean=True.")
    if state["with_std"] and state["scale_"] is None:
        fail(f"{where}.scale_", "is missing although with_std=True.")
    check_feature_names(state, where)


def _samples_seen(value, where):
    if isinstance(value, np.ndarray):
        return Array(kinds="iu", ndim=1, low=0)(value, where)
    return Float(0)(value, where)


def _scales(value, where):
    # scikit-learn replaces zero scales by 1; a zero would divide by zero.
    value = Array(np.float64, ndim=1)(value, where)
    if not (value > 0).all():
        fail(where, "holds scales that are not positive.")
    return value


_STANDARD_SCALER = Schema(
    fitted={
        "mean_": Optional(_FLOATS_1D),
        "var_": Optional(Array(np.float64, ndim=1, low=0)),
        "scale_": Optional(_scales),
        "n_features_in_": Int(1, MAX_FEATURES),
        "n_samples_seen_": _samples_seen,
    },
    optional={"feature_names_in_": FeatureNames()},
    consistent=_scaler_consistent,
)


def _classes_of(estimator):
    try:
        return estimator.classes_
    except AttributeError:
        return None


def _n_features_in(estimator):
    if hasattr(estimator, "steps"):
        for _, step in estimator.steps:
            if step is not None and step != "passthrough":
                return _n_features_in(step)
        return None
    return getattr(estimator, "n_features_in_", None)


def _calibrated_consistent(state, where):
    n_classes = len(state["classes"])
    expected = 1 if n_classes == 2 else n_classes
    if len(state["calibrators"]) != expected:
        fail(
            f"{where}.calibrators",
            f"{len(state['calibrators'])} calibrators for {n_classes} classes "
            f"(expected {expected}).",
        )
    classes = _classes_of(state["estimator"])
    if classes is None or not np.array_equal(classes, state["classes"]):
        fail(f"{where}.estimator", "is not fitted on the calibrated classes.")


_CALIBRATED_CLASSIFIER = Schema(
    fitted={
        "estimator": estimator_check("fit", "decision_function"),
        "calibrators": ListOf(estimator_check("predict"), 1, 10_000),
        "classes": Classes(),
        "method": Str({"sigmoid"}),
    },
    params=None,
    consistent=_calibrated_consistent,
)


def _calibrated_cv_consistent(state, where):
    for i, calibrated in enumerate(state["calibrated_classifiers_"]):
        if not np.array_equal(calibrated.classes, state["classes_"]):
            fail(
                f"{where}.calibrated_classifiers_[{i}]",
                "is calibrated for other classes than classes_.",
            )
        n_features = _n_features_in(calibrated.estimator)
        if n_features is not None and n_features != state["n_features_in_"]:
            fail(
                f"{where}.calibrated_classifiers_[{i}]",
                f"takes {n_features} features, but n_features_in_ is "
                f"{state['n_features_in_']}.",
            )
    check_feature_names(state, where)


def _calibrated_classifier(value, where):
    from sklearn.calibration import _CalibratedClassifier

    if type(value) is not _CalibratedClassifier:
        fail(where, f"expected a calibrated classifier, got {describe(value)}.")
    return value


_CALIBRATED_CV = Schema(
    fitted={
        "classes_": Classes(),
        "calibrated_classifiers_": ListOf(_calibrated_classifier, 1, 1000),
        "n_features_in_": Int(1, MAX_FEATURES),
    },
    optional={"feature_names_in_": FeatureNames()},
    resets={"n_jobs": None},
    consistent=_calibrated_cv_consistent,
)

_SIGMOID_CALIBRATION = Schema(fitted={"a_": Float(), "b_": Float()})
_LABEL_ENCODER = Schema(fitted={"classes_": Classes(min_classes=1)})
_STRATIFIED_K_FOLD = Schema(
    fitted={
        "n_splits": Int(2, 10**6),
        "shuffle": Bool(),
        "random_state": Optional(SEED),
    },
    params=None,
)
_SAMPLER = Schema()


def _steps(value, where):
    steps = ListOf(TupleOf(lambda v, w: v, 2, 2), 1, 100)(value, where)
    names = set()
    for i, (name, step) in enumerate(steps):
        Str()(name, f"{where}[{i}][0]")
        if name in names or "__" in name:
            fail(f"{where}[{i}][0]", f"step name {name!r} is repeated or has '__'.")
        names.add(name)
        if step is not None and step != "passthrough" and name_of(step) is None:
            fail(f"{where}[{i}][1]", f"expected an estimator, got {describe(step)}.")
    return steps


def _output_width(step, width):
    """The number of columns ``step`` outputs from ``width`` input columns."""
    from ..features import ParticleFeatures
    from ..preprocessing import ParticlePreprocessor

    if step is None or step == "passthrough" or hasattr(step, "fit_resample"):
        return width
    if isinstance(step, ParticlePreprocessor):
        return step.size**2 if hasattr(step, "mode_") else None
    if isinstance(step, ParticleFeatures):
        return getattr(step, "n_features_out_", None)
    if hasattr(step, "transformer_list"):  # a FeatureUnion: side by side
        widths = [_output_width(part, width) for _, part in step.transformer_list]
        return None if None in widths else sum(widths)
    if hasattr(step, "steps"):
        for _, part in step.steps:
            width = _output_width(part, width)
        return width
    if hasattr(step, "n_features_out_"):  # LipNetEmbedding
        return step.n_features_out_
    return getattr(step, "n_features_in_", None)  # StandardScaler and the like


def _pipeline_consistent(state, where):
    width, previous = None, None
    for i, (name, step) in enumerate(state["steps"]):
        expected = _n_features_in(step) if step not in (None, "passthrough") else None
        if width is not None and expected is not None and expected != width:
            fail(
                f"{where}.steps[{i}]",
                f"step {name!r} takes {expected} features, but step {previous!r} "
                f"gives {width}.",
            )
        width, previous = _output_width(step, width), name


def _pipeline_steps(state, where):
    # Fitted or not, the steps must fit together.
    _pipeline_consistent(state, where)
    return set()


_PIPELINE = Schema(
    params={"steps": _steps, "transform_input": Optional(ListOf(Str()))},
    resets={"memory": None},
    dynamic=_pipeline_steps,
)


# Fitting replaces the transformers by their fitted selves: no fitted
# attributes of its own.
def _transformer_weights(value, where):
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > 100:
        fail(where, f"expected weights by transformer name, got {describe(value)}.")
    return {
        Str()(key, where): Float()(weight, f"{where}.{key}")
        for key, weight in value.items()
    }


_FEATURE_UNION = Schema(
    params={
        "transformer_list": _steps,
        "transformer_weights": _transformer_weights,
        "verbose_feature_names_out": Bool(),
        "verbose": Bool(),
    },
    resets={"n_jobs": None},
)


def _logistic_consistent(state, where):
    n_classes, n_features = len(state["classes_"]), state["n_features_in_"]
    rows = 1 if n_classes == 2 else n_classes
    check_shape(where, "coef_", state["coef_"], (rows, n_features))
    check_shape(where, "intercept_", state["intercept_"], (rows,))
    check_feature_names(state, where)


_LOGISTIC_REGRESSION = Schema(
    fitted={
        "classes_": Classes(),
        "n_features_in_": Int(1, MAX_FEATURES),
        "coef_": _FLOATS_2D,
        "intercept_": _FLOATS_1D,
        "n_iter_": Array(kinds="iu", ndim=1),
    },
    optional={"feature_names_in_": FeatureNames()},
    params={"max_iter": Int(0, 10**6)},
    resets={"n_jobs": None},
    consistent=_logistic_consistent,
)


def _named_estimators(value, where):
    from sklearn.utils import Bunch

    if not isinstance(value, dict):
        fail(where, f"expected a mapping of estimators, got {describe(value)}.")
    for key, estimator in value.items():
        if estimator != "drop":
            estimator_check("fit")(estimator, f"{where}.{key}")
    return Bunch(**value)  # attribute access, as scikit-learn gives it


def _stacking_consistent(state, where):
    n_classes = len(state["classes_"])
    estimators = state["estimators_"]
    methods, widths = state["stack_method_"], state["_n_feature_outs"]
    if not len(methods) == len(widths) == len(estimators):
        fail(
            f"{where}.estimators_",
            f"{len(estimators)} estimators, {len(methods)} stack methods and "
            f"{len(widths)} output widths.",
        )
    for i, (estimator, method) in enumerate(zip(estimators, methods)):
        if estimator == "drop":
            continue
        if method not in ("predict_proba", "decision_function", "predict"):
            fail(f"{where}.stack_method_[{i}]", f"{method!r} is not a method.")
        # scikit-learn fits them on the classes' codes 0, 1, ...
        classes = _classes_of(estimator)
        if classes is None or not np.array_equal(classes, np.arange(n_classes)):
            fail(f"{where}.estimators_[{i}]", "is not fitted on the stacked classes.")
    n_stacked = sum(
        width for estimator, width in zip(estimators, widths) if estimator != "drop"
    )
    final = state["final_estimator_"]
    if getattr(final, "n_features_in_", n_stacked) != n_stacked + (
        state["passthrough"] and state.get("n_features_in_", 0)
    ):
        fail(
            f"{where}.final_estimator_",
            f"takes {final.n_features_in_} columns, the estimators give {n_stacked}.",
        )
    encoder = state["_label_encoder"]
    if not np.array_equal(encoder.classes_, state["classes_"]) or n_classes < 2:
        fail(f"{where}._label_encoder", "does not encode classes_.")


def _stacked_estimator(value, where):
    return value if value == "drop" else estimator_check("fit", "predict")(value, where)


_STACKING = Schema(
    fitted={
        "classes_": Classes(),
        "estimators_": ListOf(_stacked_estimator, 1, 100),
        "final_estimator_": estimator_check("fit", "predict"),
        "named_estimators_": _named_estimators,
        "stack_method_": ListOf(Str(), 1, 100),
        "_n_feature_outs": ListOf(Int(1, MAX_FEATURES), 1, 100),
        "_label_encoder": estimator_check("transform"),
    },
    optional={
        "n_features_in_": Int(1, MAX_FEATURES),
        "feature_names_in_": FeatureNames(),
    },
    params={"estimators": ListOf(TupleOf(lambda v, w: v, 2, 2), 1, 100)},
    resets={"n_jobs": None},
    consistent=_stacking_consistent,
)


#: The schemas by registry name. CheckedSMOTE is ours, but a sampler like
#: the others: only its settings are saved.
SKLEARN_SCHEMAS = {
    "Pipeline": _PIPELINE,
    "SklearnPipeline": _PIPELINE,
    "FeatureUnion": _FEATURE_UNION,
    "StackingClassifier": _STACKING,
    "LogisticRegression": _LOGISTIC_REGRESSION,
    "StandardScaler": _STANDARD_SCALER,
    "LabelEncoder": _LABEL_ENCODER,
    "SVC": _SVC,
    "CalibratedClassifierCV": _CALIBRATED_CV,
    "_CalibratedClassifier": _CALIBRATED_CLASSIFIER,
    "_SigmoidCalibration": _SIGMOID_CALIBRATION,
    "StratifiedKFold": _STRATIFIED_K_FOLD,
    "RandomOverSampler": _SAMPLER,
    "SMOTE": _SAMPLER,
    "CheckedSMOTE": _SAMPLER,
    "RandomUnderSampler": _SAMPLER,
}
