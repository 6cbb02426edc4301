"""The checks a value read from a model file passes before anything uses it.

Each checker takes the decoded value and ``where`` (its place in the model,
``"model.steps[2][1].support_"``), returns the value (numbers as plain
Python numbers) or raises :class:`InvalidModelFile` naming the place and
the problem. The per-class schemas in :mod:`._schema` are written with them.
"""

import math
from numbers import Integral, Real

import numpy as np

__all__ = [
    "Array",
    "Bool",
    "Classes",
    "FeatureNames",
    "Int",
    "InvalidModelFile",
    "ListOf",
    "Optional",
    "PlainValue",
    "Float",
    "Str",
    "TupleOf",
    "describe",
    "fail",
]


class InvalidModelFile(ValueError):
    """A model file that is malformed, tampered with or not ours."""


def fail(where, message):
    """Raise :class:`InvalidModelFile` for the value at ``where``."""
    raise InvalidModelFile(f"{where}: {message}")


def describe(value):
    """A short description of a value for messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (str, bytes)) and len(value) > 40:
        return f"a {type(value).__name__} of {len(value)} characters"
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    if isinstance(value, (bool, Real, str, type(None), np.generic)):
        return repr(value)
    return f"a {type(value).__name__}"


class Int:
    """An integer (not a bool) in ``[low, high]``."""

    def __init__(self, low=None, high=None):
        self.low, self.high = low, high

    def __call__(self, value, where):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
            fail(where, f"expected an integer, got {describe(value)}.")
        value = int(value)
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            fail(where, f"{value} is outside [{self.low}, {self.high}].")
        return value


class Float:
    """A real number in ``[low, high]``, finite unless ``finite=False``."""

    def __init__(self, low=None, high=None, *, finite=True, positive=False):
        self.low, self.high, self.finite = low, high, finite
        self.positive = positive

    def __call__(self, value, where):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
            fail(where, f"expected a number, got {describe(value)}.")
        value = float(value)
        if self.finite and not math.isfinite(value):
            fail(where, f"expected a finite number, got {value}.")
        if (
            (self.low is not None and not value >= self.low)
            or (self.high is not None and not value <= self.high)
            or (self.positive and not value > 0)
        ):
            fail(where, f"{value} is out of range.")
        return value


class Bool:
    """``True`` or ``False``."""

    def __call__(self, value, where):
        if not isinstance(value, (bool, np.bool_)):
            fail(where, f"expected True or False, got {describe(value)}.")
        return bool(value)


class Str:
    """A string, one of ``options`` when given."""

    def __init__(self, options=None, max_length=1000):
        self.options = None if options is None else frozenset(options)
        self.max_length = max_length

    def __call__(self, value, where):
        if not isinstance(value, str):
            fail(where, f"expected a string, got {describe(value)}.")
        if len(value) > self.max_length:
            fail(where, f"a string of {len(value)} characters is too long.")
        if self.options is not None and value not in self.options:
            fail(where, f"{value!r} is not one of {sorted(self.options)}.")
        return value


class Optional:
    """``None`` or what ``check`` accepts."""

    def __init__(self, check):
        self.check = check

    def __call__(self, value, where):
        return None if value is None else self.check(value, where)


class TupleOf:
    """A tuple of ``min_length`` to ``max_length`` items, each checked."""

    kind = tuple

    def __init__(self, item, min_length=0, max_length=None):
        self.item = item
        self.min_length = min_length
        self.max_length = max_length

    def __call__(self, value, where):
        if not isinstance(value, self.kind):
            fail(where, f"expected a {self.kind.__name__}, got {describe(value)}.")
        if len(value) < self.min_length or (
            self.max_length is not None and len(value) > self.max_length
        ):
            fail(where, f"{len(value)} items is not a valid length.")
        return self.kind(self.item(v, f"{where}[{i}]") for i, v in enumerate(value))


class ListOf(TupleOf):
    """A list of ``min_length`` to ``max_length`` items, each checked."""

    kind = list


class PlainValue:
    """A number, bool, string or None, or a tuple / list of them."""

    def __call__(self, value, where):
        if value is None or isinstance(value, (bool, np.bool_, str)):
            return value
        if isinstance(value, (Real, np.number)) and not isinstance(
            value, np.complexfloating
        ):
            return value
        if isinstance(value, (tuple, list)):
            return type(value)(self(v, f"{where}[{i}]") for i, v in enumerate(value))
        fail(where, f"expected a plain number or string, got {describe(value)}.")


class Array:
    """An ndarray of ``dtype`` (or of a dtype kind) and ``ndim`` dimensions.

    ``finite`` refuses NaN and infinities, ``low`` / ``high`` bound every
    value, ``shape`` fixes the shape (``None`` entries are free).
    """

    def __init__(
        self, dtype=None, *, kinds=None, ndim=None, finite=True, low=None, high=None
    ):
        self.dtype = None if dtype is None else np.dtype(dtype)
        self.kinds = kinds
        self.ndim = ndim
        self.finite = finite
        self.low, self.high = low, high

    def __call__(self, value, where):
        if not isinstance(value, np.ndarray):
            fail(where, f"expected an array, got {describe(value)}.")
        if self.dtype is not None and value.dtype != self.dtype:
            fail(where, f"expected dtype {self.dtype}, got {value.dtype}.")
        if self.kinds is not None and value.dtype.kind not in self.kinds:
            fail(where, f"an array of dtype {value.dtype} is not allowed here.")
        if self.ndim is not None and value.ndim != self.ndim:
            fail(where, f"expected {self.ndim} dimension(s), got shape {value.shape}.")
        if value.dtype.kind in "iuf" and value.size:
            if self.finite and value.dtype.kind == "f" and not np.isfinite(value).all():
                fail(where, "holds NaN or infinite values.")
            if self.low is not None and not (value >= self.low).all():
                fail(where, f"holds values below {self.low}.")
            if self.high is not None and not (value <= self.high).all():
                fail(where, f"holds values above {self.high}.")
        return value


#: Most classes a classifier in a model file may have.
MAX_CLASSES = 10_000


class Classes:
    """Class labels: a 1-D array of distinct, sorted numbers or strings."""

    def __init__(self, min_classes=2):
        self.min_classes = min_classes

    def __call__(self, value, where):
        if not isinstance(value, np.ndarray) or value.ndim != 1:
            fail(where, f"expected a 1-D array of labels, got {describe(value)}.")
        if not self.min_classes <= len(value) <= MAX_CLASSES:
            fail(where, f"{len(value)} classes is not a valid number of classes.")
        if value.dtype == object:
            strings = all(isinstance(v, str) for v in value)
            numbers = all(
                isinstance(v, Real) and not isinstance(v, (bool, np.bool_))
                for v in value
            )
            if not (strings or numbers):
                fail(where, "class labels must all be strings or all numbers.")
            if numbers and not all(math.isfinite(v) for v in value):
                fail(where, "holds NaN or infinite labels.")
        elif value.dtype.kind not in "biufU":
            fail(where, f"labels of dtype {value.dtype} are not allowed.")
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            fail(where, "holds NaN or infinite labels.")
        if not np.array_equal(np.unique(value), value):
            fail(where, "class labels must be distinct and sorted.")
        return value


class FeatureNames:
    """``feature_names_in_``: a 1-D object array of strings."""

    def __call__(self, value, where):
        if (
            not isinstance(value, np.ndarray)
            or value.ndim != 1
            or not all(isinstance(v, str) for v in value)
        ):
            fail(where, f"expected a 1-D array of names, got {describe(value)}.")
        return value
