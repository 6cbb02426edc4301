"""What each class in a model file may hold: the schema of its saved state.

Before an object of a model file is created, its state is checked here
against the schema of its registry class: the constructor parameters
against the class's own ``_parameter_constraints`` (missing ones take their
defaults, so files from before a parameter existed still load), every
fitted attribute for its type, dtype, number of dimensions and bounds, and
the attributes against each other (the sizes libsvm trusts, the network's
shapes against the classes and the input). Attributes the schema does not
name are refused. Resource settings (``n_jobs``, cache folders, cache
sizes) are the caller's business and are reset to their defaults.
"""

import inspect
from dataclasses import dataclass, field

import numpy as np
from sklearn.utils._param_validation import (
    InvalidParameterError,
    validate_parameter_constraints,
)

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

__all__ = ["MAX_IMAGE_SIDE", "check_state", "schema_of"]

#: Largest side of the square images a model file may ask us to make (the
#: preprocessor's ``size``, a network's ``input_size``): memory grows with
#: its square for every particle predicted.
MAX_IMAGE_SIDE = 512
#: Largest number of input features (or pixels of a flattened image).
MAX_FEATURES = 2**26
#: Largest number of histogram or profile bins of ParticleFeatures.
MAX_BINS = 4096
_SEED = Int(0, 2**32 - 1)


@dataclass(frozen=True)
class Schema:
    """The state one class may have in a model file.

    Attributes
    ----------
    fitted : dict
        Fitted attributes and their checks: all present, or none (an
        unfitted estimator).
    optional : dict
        Attributes that may be absent (``feature_names_in_``, attributes of
        other scikit-learn versions).
    params : dict or None
        Checks of the constructor parameters beyond the class's
        ``_parameter_constraints`` (bounds on sizes, ...); ``None`` for
        classes whose whole state is listed in ``fitted`` / ``optional``.
    resets : dict
        Parameters set to these values on loading: resource settings.
    consistent : callable or None
        ``consistent(state, where)`` checks a fitted state's attributes
        against each other.
    dynamic : callable or None
        ``dynamic(state, where)`` checks attributes named by the state itself
        and returns their names (LipNetClassifier's routed parameters).
    """

    fitted: dict = field(default_factory=dict)
    optional: dict = field(default_factory=dict)
    params: dict | None = field(default_factory=dict)
    resets: dict = field(default_factory=dict)
    consistent: object = None
    dynamic: object = None


def _shape(where, name, array, shape):
    if array.shape != tuple(shape):
        fail(
            f"{where}.{name}",
            f"has shape {array.shape}, but the other attributes say {tuple(shape)}.",
        )


def _check_feature_names(state, where):
    names = state.get("feature_names_in_")
    if names is not None and len(names) != state["n_features_in_"]:
        fail(
            f"{where}.feature_names_in_",
            f"names {len(names)} features, but n_features_in_ is "
            f"{state['n_features_in_']}.",
        )


def _estimator(*methods):
    """A registry object with the given methods (a fitted step, ...)."""

    def check(value, where):
        if name_of(value) is None or not all(hasattr(value, m) for m in methods):
            fail(
                where,
                f"expected an estimator with {', '.join(methods)}, got "
                f"{describe(value)}.",
            )
        return value

    return check


# -- scikit-learn and imbalanced-learn ------------------------------------


def _svc_consistent(state, where):
    n_classes = len(state["classes_"])
    n_pairs = n_classes * (n_classes - 1) // 2
    n_features = state["n_features_in_"]
    if state["_sparse"]:
        fail(f"{where}._sparse", "sparse support vectors are not supported.")
    if state["kernel"] not in ("linear", "poly", "rbf", "sigmoid"):
        fail(f"{where}.kernel", f"kernel {state['kernel']!r} is not supported.")
    n_support = state["_n_support"]
    _shape(where, "_n_support", n_support, (n_classes,))
    n_vectors = int(n_support.sum())
    shape_fit = state["shape_fit_"]
    if len(shape_fit) != 2 or shape_fit[1] != n_features:
        fail(f"{where}.shape_fit_", f"{shape_fit} does not fit {n_features} features.")
    _shape(
        where, "support_vectors_", state["support_vectors_"], (n_vectors, n_features)
    )
    _shape(where, "support_", state["support_"], (n_vectors,))
    if n_vectors and state["support_"].max() >= shape_fit[0]:
        fail(f"{where}.support_", f"indexes past the {shape_fit[0]} training samples.")
    for name in ("_dual_coef_", "dual_coef_"):
        _shape(where, name, state[name], (n_classes - 1, n_vectors))
    for name in ("_intercept_", "intercept_"):
        _shape(where, name, state[name], (n_pairs,))
    _shape(where, "class_weight_", state["class_weight_"], (n_classes,))
    for name in ("_probA", "_probB"):
        if state[name].shape not in ((0,), (n_pairs,)):
            fail(f"{where}.{name}", f"has shape {state[name].shape}.")
    if state["_probA"].shape != state["_probB"].shape or (
        state.get("_effective_probability") and state["_probA"].shape != (n_pairs,)
    ):
        fail(f"{where}._probA", "probability coefficients of different sizes.")
    _check_feature_names(state, where)


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
            _shape(where, name, state[name], (n_features,))
    if state["with_mean"] and state["mean_"] is None:
        fail(f"{where}.mean_", "is missing although with_mean=True.")
    if state["with_std"] and state["scale_"] is None:
        fail(f"{where}.scale_", "is missing although with_std=True.")
    _check_feature_names(state, where)


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
        "estimator": _estimator("fit", "decision_function"),
        "calibrators": ListOf(_estimator("predict"), 1, 10_000),
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
    _check_feature_names(state, where)


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
        "random_state": Optional(_SEED),
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


# -- sklearn-lipnet ---------------------------------------------------------


_AUGMENTATION = Schema(
    fitted={},
    optional={
        "rotation": Float(0),
        "shear": Float(0),
        "shift": Float(0),
        "zoom": lambda value, where: (
            None
            if value is None
            else TupleOf(Float(0, positive=True), 2, 2)(
                tuple(value) if isinstance(value, list) else value, where
            )
        ),
        "horizontal_flip": Bool(),
        "vertical_flip": Bool(),
    },
    params=None,
)


_PREPROCESSOR = Schema(
    fitted={"mode_": Str({"surrounding", "cropped", "masked"})},
    params={"size": Int(2, MAX_IMAGE_SIDE)},
    resets={"n_jobs": None},
)


def _intensity_range(value, where):
    if isinstance(value, str):
        return Str({"percentile", "dtype"})(value, where)
    low, high = TupleOf(Float(), 2, 2)(
        tuple(value) if isinstance(value, list) else value, where
    )
    if not low < high:
        fail(where, f"({low}, {high}) is not a range.")
    return value


def _settings(value, where):
    if not isinstance(value, dict) or set(value) != {
        "n_histogram_bins",
        "n_profile_bins",
        "edge_profile_depth",
        "intensity_range",
    }:
        fail(where, f"expected the four feature settings, got {describe(value)}.")
    return {
        "n_histogram_bins": Int(1, MAX_BINS)(value["n_histogram_bins"], where),
        "n_profile_bins": Int(1, MAX_BINS)(value["n_profile_bins"], where),
        "edge_profile_depth": Optional(Float(1))(value["edge_profile_depth"], where),
        "intensity_range": _intensity_range(value["intensity_range"], where),
    }


def _features_consistent(state, where):
    from ..features._description import FeatureSpec

    features = state["features_"]
    if not features or len(set(features)) != len(features):
        fail(f"{where}.features_", "must name distinct features.")
    settings = dict(state["_settings"])
    if not isinstance(settings["intensity_range"], str):
        settings["intensity_range"] = tuple(settings["intensity_range"])
    names = FeatureSpec(features=tuple(features), **settings).column_names()
    if list(state["_feature_names_out"]) != names:
        fail(f"{where}._feature_names_out", "does not match the features.")
    if state["n_features_out_"] != len(names):
        fail(f"{where}.n_features_out_", f"is not {len(names)}.")


def _particle_features():
    from ..features import FEATURE_NAMES

    return Schema(
        fitted={
            "features_": TupleOf(Str(FEATURE_NAMES), 1, len(FEATURE_NAMES)),
            "_settings": _settings,
            "_feature_names_out": ListOf(Str(), 1, MAX_FEATURES),
            "n_features_out_": Int(1, MAX_FEATURES),
        },
        params={
            "n_histogram_bins": Int(1, MAX_BINS),
            "n_profile_bins": Int(1, MAX_BINS),
            "intensity_range": _intensity_range,
        },
        resets={"n_jobs": None},
        consistent=_features_consistent,
    )


def _lipnet():
    from ._network import lipnet_consistent, lipnet_routed

    return Schema(
        fitted={
            "classes_": Classes(),
            "n_features_in_": Int(1, MAX_FEATURES),
            "input_shape_": TupleOf(Int(1, MAX_FEATURES), 1, 3),
            "input_layout_": Str({"image", "features"}),
            "_network_input_size": Int(1, MAX_IMAGE_SIDE),
            "_scaling": TupleOf(Array(np.float64, ndim=1), 2, 2),
        },
        optional={"feature_names_in_": FeatureNames()},
        params={"batch_size": Int(1, 2**20), "augment": _augment},
        # Whether (and how hard) to run the compiler is the caller's choice.
        resets={"compile": False},
        consistent=lipnet_consistent,
        dynamic=lipnet_routed,
    )


def _augment(value, where):
    from ..neural_network import Augmentation

    if isinstance(value, dict):
        try:
            Augmentation.from_param(value, name=where)
        except (TypeError, ValueError) as exc:
            fail(where, str(exc))
    return value


def _schemas():
    return {
        "LipNetClassifier": _lipnet(),
        "Augmentation": _AUGMENTATION,
        "ParticlePreprocessor": _PREPROCESSOR,
        "ParticleFeatures": _particle_features(),
        "Pipeline": _PIPELINE,
        "SklearnPipeline": _PIPELINE,
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


_SCHEMAS = {}


def schema_of(name):
    """The schema of the registry class ``name``.

    Every class of the registry needs one: a class added to the registry
    without a schema cannot be saved (saving loads the file back) until
    its schema says what its state may hold.
    """
    if not _SCHEMAS:
        _SCHEMAS.update(_schemas())
    if name not in _SCHEMAS:
        raise ValueError(
            f"{name} is in the registry but has no schema of its saved state; "
            "add one to sklearn_lipnet/persistence/_schema.py."
        )
    return _SCHEMAS[name]


def _parameters(cls, state, schema, where):
    """Fill in missing parameters, reset resource settings, check them all."""
    names = cls._get_param_names()
    signature = inspect.signature(cls.__init__).parameters
    for name in names:
        if name not in state:
            default = signature[name].default
            if default is inspect.Parameter.empty:
                fail(where, f"parameter {name!r} is missing.")
            state[name] = default
    state.update(schema.resets)
    constraints = getattr(cls, "_parameter_constraints", {})
    try:
        validate_parameter_constraints(
            {k: v for k, v in constraints.items() if k in names},
            {name: state[name] for name in names},
            caller_name=f"{where} ({cls.__name__})",
        )
    except InvalidParameterError as exc:
        fail(where, str(exc))
    for name, check in schema.params.items():
        state[name] = check(state[name], f"{where}.{name}")
    return set(names)


def check_state(name, cls, state, where):
    """Check the decoded ``state`` of a ``name`` object; return it to be used.

    Raises :class:`~._checks.InvalidModelFile` naming the attribute at fault.
    """
    schema = schema_of(name)
    state = dict(state)
    known = {"_sklearn_version"}
    if "_sklearn_version" in state:
        Str()(state["_sklearn_version"], f"{where}._sklearn_version")
    if schema.params is not None:
        known |= _parameters(cls, state, schema, where)
    present = [attribute for attribute in schema.fitted if attribute in state]
    # An estimator may be unfitted; other objects have their whole state.
    if (present or schema.params is None) and len(present) < len(schema.fitted):
        missing = sorted(set(schema.fitted) - set(present))
        fail(where, f"the fitted attribute(s) {missing} are missing.")
    for attribute, check in {**schema.fitted, **schema.optional}.items():
        if attribute in state:
            state[attribute] = check(state[attribute], f"{where}.{attribute}")
    known |= set(schema.fitted) | set(schema.optional)
    if schema.dynamic is not None:
        known |= schema.dynamic(state, where)
    unknown = sorted(set(state) - known)
    if unknown:
        fail(where, f"unknown attribute(s) {unknown} for {name}.")
    if present and schema.consistent is not None:
        schema.consistent(state, where)
    return state
