"""The estimator tree as JSON-able data, and back, checked on the way.

:class:`Encoder` turns an estimator tree into JSON-able data (numpy arrays
spelled out, objects named by their registry name) and sets the network
weights aside; :class:`Decoder` turns such data back into estimators, and
creates only allowlisted classes, only from state that passed their schema
(:mod:`._schema`), within the depth and size limits below. How the data and
the weights are stored in a file is :mod:`._model_file`'s business.
"""

import inspect
import io
import math

import numpy as np
import torch

from ._checks import describe, fail
from ._network import build_network
from ._registry import FORMAT_1_NAMES, class_for, name_of, network_name
from ._schema import check_state

__all__ = ["Decoder", "Encoder", "check_keys", "resolve_load_device"]

#: Deepest nesting of the JSON tree (pipelines nest about 20 levels).
MAX_DEPTH = 100
#: Longest strings a string array may hold.
MAX_STRING_CHARS = 1024
_TAGS = (
    "__ndarray__",
    "__scalar__",
    "__dtype__",
    "__object_array__",
    "__tuple__",
    "__dict__",
    "__object__",
)


class Encoder:
    """Estimator tree -> JSON-able data, collecting network weights aside."""

    def __init__(self):
        self.weights = []

    def encode(self, value, where):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, np.generic):
            return value  # json writes NaN and infinities as Python reads them
        if isinstance(value, np.generic):
            return {"__scalar__": value.item(), "dtype": value.dtype.str}
        if isinstance(value, np.dtype):
            return {"__dtype__": value.str}
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                return {
                    "__object_array__": [
                        self.encode(v, f"{where}[{i}]")
                        for i, v in enumerate(value.ravel())
                    ],
                    "shape": list(value.shape),
                }
            # tolist() gives Python numbers that hold every value exactly.
            return {
                "__ndarray__": value.ravel().tolist(),
                "dtype": value.dtype.str,
                "shape": list(value.shape),
            }
        if isinstance(value, tuple):
            return {
                "__tuple__": [
                    self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)
                ]
            }
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise ValueError(
                    f"{where}: dictionaries with non-string keys cannot be saved."
                )
            return {
                "__dict__": {
                    k: self.encode(v, f"{where}.{k}") for k, v in value.items()
                }
            }
        name = name_of(value)
        if name is None:
            cls = type(value)
            raise ValueError(
                f"{where}: objects of type {cls.__module__}.{cls.__qualname__} "
                "cannot be saved in a model file."
            )
        if name == "LipNetClassifier":
            return self._encode_lipnet(value, where)
        if hasattr(value, "fit_resample"):
            # A sampler acts in fit only; its fitted state (SMOTE's neighbour
            # search, ...) is not needed to predict, so only its settings go.
            state = value.get_params(deep=False)
        elif hasattr(value, "__dataclass_fields__"):
            state = {name: getattr(value, name) for name in value.__dataclass_fields__}
        else:
            state = value.__getstate__() or {}
        return {
            "__object__": name,
            "state": {k: self.encode(v, f"{where}.{k}") for k, v in state.items()},
        }

    def _encode_lipnet(self, clf, where):
        state = dict(vars(clf))
        state["callbacks"] = None
        if callable(state.get("train_split")):
            state["train_split"] = None
        net = state.pop("net_", None)
        encoded = {
            "__object__": "LipNetClassifier",
            "state": {k: self.encode(v, f"{where}.{k}") for k, v in state.items()},
        }
        if net is not None:
            buffer = io.BytesIO()
            module_state = {
                k: v.detach().cpu() for k, v in net.module_.state_dict().items()
            }
            torch.save(module_state, buffer)
            self.weights.append(buffer.getvalue())
            history = [
                {k: v for k, v in row.items() if k != "batches"} for row in net.history
            ]
            encoded["net"] = {
                "network": network_name(net.module),
                "module_kwargs": self.encode(
                    net.get_params_for("module"), f"{where}.module"
                ),
                "weights": f"weights_{len(self.weights) - 1}.pt",
                "history": self.encode(history, f"{where}.history"),
            }
        return encoded


def check_keys(value, allowed, where, required=None):
    required = allowed if required is None else required
    if not required <= set(value) <= allowed:
        fail(where, f"an entry with the keys {sorted(value)[:5]} is not readable.")


def _dtype(text, where, kinds):
    if not isinstance(text, str) or len(text) > 20:
        fail(where, f"expected a dtype, got {describe(text)}.")
    try:
        dtype = np.dtype(text)
    except (TypeError, ValueError):
        fail(where, f"{text!r} is not a dtype.")
    if dtype.kind not in kinds or dtype.fields is not None or dtype.shape:
        fail(where, f"dtype {text!r} is not allowed in a model file.")
    if dtype.kind == "U" and dtype.itemsize // 4 > MAX_STRING_CHARS:
        fail(where, f"dtype {text!r} holds strings that are too long.")
    return dtype


# Python types the JSON items of an array of each dtype kind may have.
_ITEM_TYPES = {"b": {bool}, "i": {int}, "u": {int}, "f": {int, float}, "U": {str}}


def _items(items, dtype, where):
    if not isinstance(items, list):
        fail(where, f"expected a list of values, got {describe(items)}.")
    types = set(map(type, items))
    if not types <= _ITEM_TYPES[dtype.kind]:
        fail(
            where,
            f"holds {sorted(t.__name__ for t in types)} values for dtype {dtype}.",
        )
    if dtype.kind == "U" and any(len(item) > dtype.itemsize // 4 for item in items):
        fail(where, f"holds strings longer than dtype {dtype} allows.")


def _shape(shape, n_items, where):
    if (
        not isinstance(shape, list)
        or len(shape) > 32
        or not all(type(n) is int and n >= 0 for n in shape)
    ):
        fail(where, f"expected a shape, got {describe(shape)}.")
    if math.prod(shape) != n_items:
        fail(where, f"shape {tuple(shape)} does not hold {n_items} values.")
    return shape


class Decoder:
    """JSON data of a model file -> estimator tree, checked on the way.

    Parameters
    ----------
    archive : _Archive
        The open model file, for the network weights.
    version : int
        The file's format version: 1 names classes by import path.
    device : str
        The ``device`` given to ``load_model``; LipNet networks go there.
    """

    def __init__(self, archive, version, device):
        self.archive = archive
        self.version = version
        self.device = device
        self.torch_device = resolve_load_device(device)

    def _name(self, stored, where):
        if not isinstance(stored, str):
            fail(where, f"expected a class name, got {describe(stored)}.")
        if self.version == 1:
            return FORMAT_1_NAMES.get(stored, stored)
        return stored

    def decode(self, value, where, depth=0):
        if depth > MAX_DEPTH:
            fail(where, f"the model is nested more than {MAX_DEPTH} levels deep.")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [
                self.decode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)
            ]
        if not isinstance(value, dict):
            fail(where, f"unreadable entry {describe(value)}.")
        tags = [tag for tag in _TAGS if tag in value]
        if len(tags) != 1:
            fail(where, f"an entry with the keys {sorted(value)[:5]} is not readable.")
        tag = tags[0]
        if tag == "__ndarray__":
            check_keys(value, {"__ndarray__", "dtype", "shape"}, where)
            dtype = _dtype(value["dtype"], where, "biufU")
            items = value["__ndarray__"]
            _items(items, dtype, where)
            shape = _shape(value["shape"], len(items), where)
            try:
                return np.asarray(items, dtype=dtype).reshape(shape)
            except (ValueError, TypeError, OverflowError) as exc:
                fail(where, f"cannot hold these values ({exc}).")
        if tag == "__scalar__":
            check_keys(value, {"__scalar__", "dtype"}, where)
            dtype = _dtype(value["dtype"], where, "biufU")
            _items([value["__scalar__"]], dtype, where)
            try:
                return dtype.type(value["__scalar__"])
            except (ValueError, TypeError, OverflowError) as exc:
                fail(where, f"cannot hold this value ({exc}).")
        if tag == "__dtype__":
            check_keys(value, {"__dtype__"}, where)
            return _dtype(value["__dtype__"], where, "biuf")
        if tag == "__object_array__":
            check_keys(value, {"__object_array__", "shape"}, where)
            items = value["__object_array__"]
            if not isinstance(items, list):
                fail(where, f"expected a list of values, got {describe(items)}.")
            shape = _shape(value["shape"], len(items), where)
            items = [
                self.decode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(items)
            ]
            for i, item in enumerate(items):
                if not isinstance(item, (str, bool, int, float, np.number, np.bool_)):
                    fail(f"{where}[{i}]", f"{describe(item)} cannot be in an array.")
            array = np.empty(len(items), dtype=object)
            array[:] = items
            return array.reshape(shape)
        if tag == "__tuple__":
            check_keys(value, {"__tuple__"}, where)
            items = value["__tuple__"]
            if not isinstance(items, list):
                fail(where, f"expected a list of values, got {describe(items)}.")
            return tuple(
                self.decode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(items)
            )
        if tag == "__dict__":
            check_keys(value, {"__dict__"}, where)
            items = value["__dict__"]
            if not isinstance(items, dict):
                fail(where, f"expected a mapping, got {describe(items)}.")
            return {
                k: self.decode(v, f"{where}.{k}", depth + 1) for k, v in items.items()
            }
        return self._decode_object(value, where, depth)

    def _decode_object(self, value, where, depth):
        check_keys(
            value, {"__object__", "state", "net"}, where, {"__object__", "state"}
        )
        name = self._name(value["__object__"], f"{where}.__object__")
        try:
            cls = class_for(name)
        except ValueError as exc:
            fail(where, str(exc))
        if not isinstance(value["state"], dict):
            fail(
                f"{where}.state", f"expected a mapping, got {describe(value['state'])}."
            )
        state = {
            k: self.decode(v, f"{where}.{k}", depth + 1)
            for k, v in value["state"].items()
        }
        state = check_state(name, cls, state, where)
        if name == "Augmentation":
            state.pop("_sklearn_version", None)
            try:
                obj = cls(**state)
                obj._validate(where)
            except (TypeError, ValueError) as exc:
                fail(where, str(exc))
            return obj
        fitted = "classes_" in state
        if name == "LipNetClassifier":
            # Where the network runs is the caller's choice, not the file's.
            state["device"] = self.device
            if fitted != ("net" in value):
                fail(where, "a fitted classifier needs its network, and only it.")
        elif "net" in value:
            fail(where, f"a {name} has no network.")
        obj = cls.__new__(cls)
        obj.__dict__.update(_missing_parameters(cls, state))
        obj.__dict__.update(state)
        if name == "LipNetClassifier" and fitted:
            spec = value["net"]
            if not isinstance(spec, dict):
                fail(f"{where}.net", f"expected a mapping, got {describe(spec)}.")
            spec = {
                k: self.decode(v, f"{where}.net.{k}", depth + 1)
                for k, v in spec.items()
            }
            obj.net_ = build_network(
                state,
                spec,
                self.archive.read,
                where,
                version=self.version,
                device=self.torch_device,
                execution=obj._execution(self.torch_device, compile=False),
            )
        return obj


def resolve_load_device(device):
    """The torch device ``device`` ("auto", "cpu", "cuda", "cuda:1") names."""
    from ..neural_network import resolve_device

    resolved = resolve_device(device)
    if torch.device(resolved).type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}.")
    return resolved


def _missing_parameters(cls, state):
    """Defaults of the constructor parameters that ``state`` lacks.

    A file written before a parameter was added lacks it; its default is
    what the estimator did before the parameter existed (a new parameter's
    default must keep the old behaviour), so the loaded model predicts as
    it did and ``get_params`` and ``clone`` work.
    """
    if not hasattr(cls, "_get_param_names"):
        return {}
    signature = inspect.signature(cls.__init__)
    return {
        name: signature.parameters[name].default
        for name in cls._get_param_names()
        if name not in state
        and signature.parameters[name].default is not inspect.Parameter.empty
    }
