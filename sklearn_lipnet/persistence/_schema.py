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

from sklearn.utils._param_validation import (
    InvalidParameterError,
    validate_parameter_constraints,
)

from ._checks import (
    Int,
    Str,
    describe,
    fail,
)
from ._registry import name_of

__all__ = [
    "MAX_BINS",
    "MAX_FEATURES",
    "MAX_IMAGE_SIDE",
    "SEED",
    "Schema",
    "check_feature_names",
    "check_shape",
    "check_state",
    "estimator_check",
    "schema_of",
]

#: Largest side of the square images a model file may ask us to make (the
#: preprocessor's ``size``, a network's ``input_size``): memory grows with
#: its square for every particle predicted.
MAX_IMAGE_SIDE = 512
#: Largest number of input features (or pixels of a flattened image).
MAX_FEATURES = 2**26
#: Largest number of histogram or profile bins of ParticleFeatures.
MAX_BINS = 4096
SEED = Int(0, 2**32 - 1)


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


def check_shape(where, name, array, shape):
    if array.shape != tuple(shape):
        fail(
            f"{where}.{name}",
            f"has shape {array.shape}, but the other attributes say {tuple(shape)}.",
        )


def check_feature_names(state, where):
    names = state.get("feature_names_in_")
    if names is not None and len(names) != state["n_features_in_"]:
        fail(
            f"{where}.feature_names_in_",
            f"names {len(names)} features, but n_features_in_ is "
            f"{state['n_features_in_']}.",
        )


def estimator_check(*methods):
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


def _schemas():
    # Imported here: the topic modules build their schemas with this
    # module's Schema and checks.
    from ._lipnet_schemas import lipnet_schemas
    from ._sklearn_schemas import SKLEARN_SCHEMAS

    return {**lipnet_schemas(), **SKLEARN_SCHEMAS}


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
