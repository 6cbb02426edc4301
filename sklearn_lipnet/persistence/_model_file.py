"""Model files that hold data only: loading them cannot run code.

A pickle (``joblib.dump``) can execute anything when loaded. A model file of
ours is a zip archive with

- ``model.json``: the estimator tree as JSON. Every object is named by its
  class, which must be on an allowlist (our estimators, the scikit-learn and
  imbalanced-learn pieces our pipelines use); its state is JSON with numpy
  arrays spelled out;
- ``weights_<n>.pt``: the state dict of each LipNet network, read back with
  ``torch.load(weights_only=True)``, which only builds tensors.

Loading therefore only creates allowlisted classes and fills in plain data,
and only data that passed the schema of its class (:mod:`._schema`): a file
from elsewhere can neither run code nor hand libsvm or PyTorch arrays whose
sizes disagree. Members are read within size limits. Training-only
parameters that are arbitrary objects (``callbacks``, a callable
``train_split``) are not saved: a loaded model predicts, and refits without
them.
"""

import inspect
import io
import json
import math
import os
import pickle
import struct
import zipfile
import zlib

import numpy as np
import torch

from ..utils import atomic_file
from ._checks import InvalidModelFile, describe, fail
from ._network import WEIGHTS_NAME, build_network
from ._registry import FORMAT_1_NAMES, class_for, name_of, network_name
from ._schema import check_state

__all__ = ["load_model", "save_model"]

FORMAT = "sklearn-lipnet-model"
#: Version 2 names classes and networks by registry name; version 1 stored
#: import paths.
FORMAT_VERSION = 2

#: Largest model file, on disk.
MAX_FILE_BYTES = 2 * 2**30
#: Largest ``model.json``, uncompressed (a 100 000-vector SVM of 77
#: features takes about 150 MB).
MAX_JSON_BYTES = 256 * 2**20
#: Largest ``weights_<n>.pt``, uncompressed.
MAX_WEIGHTS_BYTES = 2**30
#: Largest ratio of uncompressed to compressed size of a member over 1 MiB
#: (JSON numbers compress about 3 times, weights barely; a "zip bomb" 1000).
MAX_COMPRESSION_RATIO = 100
#: Most networks (weight members) in one model file.
MAX_NETWORKS = 64
#: Deepest nesting of the JSON tree (pipelines nest about 20 levels).
MAX_DEPTH = 100
#: Longest strings a string array may hold.
MAX_STRING_CHARS = 1024

_SMALL_MEMBER = 2**20
_TAGS = (
    "__ndarray__",
    "__scalar__",
    "__dtype__",
    "__object_array__",
    "__tuple__",
    "__dict__",
    "__object__",
)


class _Encoder:
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


def _keys(value, allowed, where, required=None):
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


class _Archive:
    """The members of an open model file, read within the size limits."""

    def __init__(self, archive, label):
        self.archive = archive
        self.infos = {}
        infos = archive.infolist()
        if "model.json" not in {info.filename for info in infos}:
            raise ValueError(
                f"{label} is not an sklearn-lipnet model file (no model.json)."
            )
        for info in infos:
            name = info.filename
            where = f"member {name!r}"
            if name in self.infos:
                fail(where, "occurs twice.")
            if name != "model.json" and not WEIGHTS_NAME.fullmatch(name):
                fail(where, "is not part of a model file.")
            limit = MAX_JSON_BYTES if name == "model.json" else MAX_WEIGHTS_BYTES
            if info.file_size > limit:
                fail(where, f"holds {info.file_size} bytes, more than {limit}.")
            if info.file_size > _SMALL_MEMBER and info.file_size > (
                MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
            ):
                fail(
                    where,
                    f"inflates {info.file_size / max(info.compress_size, 1):.0f} "
                    f"times (more than {MAX_COMPRESSION_RATIO}).",
                )
            self.infos[name] = info
        if len(self.infos) > MAX_NETWORKS + 1:
            fail("the archive", f"holds {len(self.infos)} members.")
        self.used = set()

    def read(self, name, where):
        if name not in self.infos:
            fail(where, f"names the member {name!r}, which the file does not have.")
        if name in self.used:
            fail(where, f"uses the member {name!r} a second time.")
        self.used.add(name)
        info = self.infos[name]
        try:
            with self.archive.open(info) as handle:
                data = handle.read(info.file_size + 1)
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            OSError,
            RuntimeError,
            NotImplementedError,
            struct.error,
        ) as exc:
            fail(f"member {name!r}", f"cannot be read ({type(exc).__name__}: {exc}).")
        if len(data) != info.file_size:
            fail(f"member {name!r}", "is not the size the archive says.")
        return data

    def check_all_used(self):
        unused = sorted(set(self.infos) - self.used)
        if unused:
            fail(f"member {unused[0]!r}", "is not used by the model.")


class _Decoder:
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
        self.torch_device = _resolve_device(device)

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
            _keys(value, {"__ndarray__", "dtype", "shape"}, where)
            dtype = _dtype(value["dtype"], where, "biufU")
            items = value["__ndarray__"]
            _items(items, dtype, where)
            shape = _shape(value["shape"], len(items), where)
            try:
                return np.asarray(items, dtype=dtype).reshape(shape)
            except (ValueError, TypeError, OverflowError) as exc:
                fail(where, f"cannot hold these values ({exc}).")
        if tag == "__scalar__":
            _keys(value, {"__scalar__", "dtype"}, where)
            dtype = _dtype(value["dtype"], where, "biufU")
            _items([value["__scalar__"]], dtype, where)
            try:
                return dtype.type(value["__scalar__"])
            except (ValueError, TypeError, OverflowError) as exc:
                fail(where, f"cannot hold this value ({exc}).")
        if tag == "__dtype__":
            _keys(value, {"__dtype__"}, where)
            return _dtype(value["__dtype__"], where, "biuf")
        if tag == "__object_array__":
            _keys(value, {"__object_array__", "shape"}, where)
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
            _keys(value, {"__tuple__"}, where)
            items = value["__tuple__"]
            if not isinstance(items, list):
                fail(where, f"expected a list of values, got {describe(items)}.")
            return tuple(
                self.decode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(items)
            )
        if tag == "__dict__":
            _keys(value, {"__dict__"}, where)
            items = value["__dict__"]
            if not isinstance(items, dict):
                fail(where, f"expected a mapping, got {describe(items)}.")
            return {
                k: self.decode(v, f"{where}.{k}", depth + 1) for k, v in items.items()
            }
        return self._decode_object(value, where, depth)

    def _decode_object(self, value, where, depth):
        _keys(value, {"__object__", "state", "net"}, where, {"__object__", "state"})
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


def _resolve_device(device):
    """The torch device ``device`` ("auto", "cpu", "cuda", "cuda:1") names."""
    from ..neural_network import resolve_device

    resolved = resolve_device(device)
    if torch.device(resolved).type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}.")
    return resolved


def _read_document(archive, label):
    data = archive.read("model.json", "model.json")
    try:
        document = json.loads(data)
    except RecursionError:
        fail("model.json", "is nested too deeply.")
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, huge ints
        raise ValueError(
            f"{label} is not an sklearn-lipnet model file ({exc})."
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{label} is not an sklearn-lipnet model file.")
    _keys(document, {"format", "version", "model"}, "model.json")
    version = document["version"]
    if type(version) is not int or version < 1:
        fail("model.json", f"version {describe(version)} is not a format version.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{label} was written by a newer sklearn-lipnet (format version "
            f"{version}); upgrade to read it."
        )
    return document, version


def _load(source, label, device):
    try:
        zip_file = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, IsADirectoryError, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(
            f"{label} is not an sklearn-lipnet model file ({exc})."
        ) from None
    with zip_file:
        archive = _Archive(zip_file, label)
        document, version = _read_document(archive, label)
        tree = document["model"]
        if not isinstance(tree, dict) or "__object__" not in tree:
            fail("model", "the file holds no estimator.")
        model = _Decoder(archive, version, device).decode(tree, "model")
        archive.check_all_used()
    return model


def _serialize(model):
    """The bytes of the model file of ``model``."""
    encoder = _Encoder()
    tree = encoder.encode(model, "model")
    document = {"format": FORMAT, "version": FORMAT_VERSION, "model": tree}
    members = {"model.json": json.dumps(document).encode()}
    for index, weights in enumerate(encoder.weights):
        members[f"weights_{index}.pt"] = weights
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            compression = zipfile.ZIP_DEFLATED
            if len(data) > _SMALL_MEMBER and len(data) > MAX_COMPRESSION_RATIO * len(
                zlib.compress(data, 1)
            ):
                # Stored as it is, so that load_model's ratio check passes.
                compression = zipfile.ZIP_STORED
            archive.writestr(name, data, compress_type=compression)
    return buffer.getvalue()


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


def save_model(model, path):
    """Save a fitted model to a file that loads without running code.

    The file is written whole or not at all: to a temporary file beside
    ``path`` that replaces ``path`` only once complete, so an interrupted or
    failed save leaves an existing file at ``path`` as it was. Before that,
    the file is loaded back with every check of :func:`load_model`, so a
    saved model always loads.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~sklearn_lipnet.LipNetClassifier`, or a pipeline of
        sklearn-lipnet steps (``make_lipnet_pipeline``,
        ``make_svm_pipeline``).
    path : str or Path
        Where to write (a zip archive; ``.lipnet`` is a good suffix). Its
        folder must exist.

    Raises
    ------
    ValueError
        If the model holds objects a model file cannot hold, or the file
        would not load back.

    See Also
    --------
    load_model : read it back.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from sklearn_lipnet import LipNetClassifier, save_model, load_model
    >>> X = np.random.default_rng(0).normal(size=(40, 64))
    >>> y = np.repeat(["a", "b"], 20)
    >>> clf = LipNetClassifier(max_epochs=1, random_state=0, device="cpu").fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.lipnet")
    >>> save_model(clf, path)
    >>> np.allclose(load_model(path).predict_proba(X), clf.predict_proba(X))
    True
    """
    data = _serialize(model)
    try:
        _load(io.BytesIO(data), "the model file", "cpu")
    except ValueError as exc:
        raise ValueError(
            f"{type(model).__name__} cannot be saved: the model file would not "
            f"load back ({exc})."
        ) from None
    with atomic_file(path) as handle:
        handle.write(data)


def load_model(path, *, device="auto"):
    """Load a model saved by :func:`save_model`.

    A model file holds data only, and every piece of it is checked before
    any estimator sees it: only the classes sklearn-lipnet allows are
    created, every array has the type, shape and bounds its class needs and
    agrees with the others (the support vectors of an SVM with their
    counts, a network's weights with its layers), and members are read
    within size limits. A model file from elsewhere therefore cannot run
    code or crash the process; anything wrong in it is a ``ValueError``.

    Resource settings are the caller's, not the file's: parallel jobs
    (``n_jobs``) and pipeline caches (``memory``) are reset to their
    defaults (``None``), the SVM's kernel cache to 200 MB, a network goes to
    ``device`` and predicts in batches of at most 256 MB.

    Parameters
    ----------
    path : str or Path
        The model file.
    device : str, default="auto"
        Where LipNet networks run: ``"auto"`` (CUDA when available, else the
        CPU), ``"cpu"`` or ``"cuda"``. It becomes the loaded classifiers'
        ``device``, so a model trained on a GPU loads on a machine without
        one.

    Returns
    -------
    model : estimator

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not a model file, is damaged or tampered with, or was
        written by a newer sklearn-lipnet; the message names the file and
        what is wrong with it.

    See Also
    --------
    save_model : write one.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from sklearn_lipnet import make_svm_pipeline, save_model, load_model
    >>> from sklearn_lipnet.datasets import make_liposomes
    >>> table, y = make_liposomes(20, random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "svm.lipnet")
    >>> save_model(make_svm_pipeline(n_jobs=4).fit(table, y), path)
    >>> load_model(path).named_steps["features"].n_jobs is None
    True
    """
    _resolve_device(device)
    label = str(path)
    if isinstance(path, (str, os.PathLike)) and os.path.isfile(path):
        if os.path.getsize(path) > MAX_FILE_BYTES:
            raise ValueError(f"{label} is larger than a model file may be.")
    try:
        return _load(path, label, device)
    except InvalidModelFile as exc:
        raise ValueError(f"{label} is not a valid model file: {exc}") from None
    except (
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        RuntimeError,
        RecursionError,
        OverflowError,
        pickle.UnpicklingError,
        EOFError,
        zlib.error,
        struct.error,
    ) as exc:  # a check we lack; the file is still only data
        raise ValueError(
            f"{label} is not a valid model file ({type(exc).__name__}: {exc})."
        ) from None
