"""Model files that hold data only: loading them cannot run code.

A pickle (``joblib.dump``) can execute anything when loaded. A model file of
ours is a zip archive with

- ``model.json``: the estimator tree as JSON. Every object is named by its
  class, which must be on an allowlist (our estimators, the scikit-learn and
  imbalanced-learn pieces our pipelines use); its state is JSON with numpy
  arrays spelled out;
- ``weights_<n>.pt``: the state dict of each LipNet network, read back with
  ``torch.load(weights_only=True)``, which only builds tensors.

Loading therefore only creates allowlisted classes and fills in plain data.
Training-only parameters that are arbitrary objects (``callbacks``, a
callable ``train_split``) are not saved: a loaded model predicts, and refits
without them.
"""

import inspect
import io
import json
import zipfile

import numpy as np
import torch

from ._registry import FORMAT_1_NAMES, class_for, name_of, network_for, network_name

__all__ = ["load_model", "save_model"]

FORMAT = "sklearn-lipnet-model"
#: Version 2 names classes and networks by registry name; version 1 stored
#: import paths.
FORMAT_VERSION = 2


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


def _parameter_defaults(cls):
    """The constructor defaults of an estimator class.

    A parameter added to an estimator after a model file was written is not
    in the file; the loaded estimator gets its default, which is what the
    model was trained with.
    """
    if not hasattr(cls, "_get_param_names"):
        return {}
    parameters = inspect.signature(cls.__init__).parameters.values()
    return {
        parameter.name: parameter.default
        for parameter in parameters
        if parameter.default is not parameter.empty
    }


class _Decoder:
    """JSON data of a model file -> estimator tree, creating registry classes only.

    Parameters
    ----------
    archive : zipfile.ZipFile
        The open model file, for the network weights.
    version : int
        The file's format version: 1 names classes by import path.
    """

    def __init__(self, archive, version):
        self.archive = archive
        self.version = version

    def _name(self, stored):
        if self.version == 1:
            return FORMAT_1_NAMES.get(stored, stored)
        return stored

    def decode(self, value):
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "__scalar__" in value:
            return np.dtype(value["dtype"]).type(value["__scalar__"])
        if "__dtype__" in value:
            return np.dtype(value["__dtype__"])
        if "__ndarray__" in value:
            dtype = np.dtype(value["dtype"])
            return np.asarray(value["__ndarray__"], dtype=dtype).reshape(value["shape"])
        if "__object_array__" in value:
            items = [self.decode(v) for v in value["__object_array__"]]
            array = np.empty(len(items), dtype=object)
            array[:] = items
            return array.reshape(value["shape"])
        if "__tuple__" in value:
            return tuple(self.decode(v) for v in value["__tuple__"])
        if "__dict__" in value:
            return {k: self.decode(v) for k, v in value["__dict__"].items()}
        if "__object__" in value:
            return self._decode_object(value)
        raise ValueError(f"Unreadable entry in the model file: {sorted(value)[:3]}.")

    def _decode_object(self, value):
        cls = class_for(self._name(value["__object__"]))
        state = {k: self.decode(v) for k, v in value["state"].items()}
        if hasattr(cls, "__dataclass_fields__"):
            return cls(**state)
        obj = cls.__new__(cls)
        obj.__dict__.update(_parameter_defaults(cls))
        obj.__dict__.update(state)
        if "net" in value:
            obj.net_ = self._rebuild_net(obj, value["net"])
        return obj

    def _rebuild_net(self, clf, spec):
        from skorch.history import History

        from ..neural_network._skorch_net import LipNetNeuralNet

        stored = spec["module"] if self.version == 1 else spec["network"]
        module = network_for(self._name(stored))
        kwargs = self.decode(spec["module_kwargs"])
        device = (
            "cuda" if str(clf.device) != "cpu" and torch.cuda.is_available() else "cpu"
        )
        net = LipNetNeuralNet(
            module,
            criterion=torch.nn.CrossEntropyLoss,
            batch_size=clf.batch_size,
            device=device,
            train_split=None,
            **{f"module__{k}": v for k, v in kwargs.items()},
            **{
                k: v
                for k, v in clf.get_params().items()
                if k.startswith("iterator_valid__")
            },
        )
        net.initialize()
        with self.archive.open(spec["weights"]) as f:
            weights = torch.load(
                io.BytesIO(f.read()), weights_only=True, map_location=device
            )
        net.module_.load_state_dict(weights)
        net.history = History(
            [dict(row, batches=[]) for row in self.decode(spec["history"])]
        )
        return net


def save_model(model, path):
    """Save a fitted model to a file that loads without running code.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~sklearn_lipnet.LipNetClassifier`, or a pipeline of
        sklearn-lipnet steps (``make_lipnet_pipeline``,
        ``make_svm_pipeline``).
    path : str or Path
        Where to write (a zip archive; ``.lipnet`` is a good suffix).

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
    encoder = _Encoder()
    tree = encoder.encode(model, "model")
    document = {"format": FORMAT, "version": FORMAT_VERSION, "model": tree}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.json", json.dumps(document))
        for index, weights in enumerate(encoder.weights):
            archive.writestr(f"weights_{index}.pt", weights)


def load_model(path):
    """Load a model saved by :func:`save_model`.

    Only the classes sklearn-lipnet allows are created and only plain data
    and tensors are read, so a model file from elsewhere cannot run code.
    A model trained on a GPU loads on a machine without one (on the CPU).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    model : estimator
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, IsADirectoryError) as exc:
        raise ValueError(
            f"{path} is not an sklearn-lipnet model file ({exc})."
        ) from None
    with archive:
        try:
            document = json.loads(archive.read("model.json"))
        except (KeyError, json.JSONDecodeError) as exc:
            raise ValueError(
                f"{path} is not an sklearn-lipnet model file ({exc})."
            ) from None
        if document.get("format") != FORMAT:
            raise ValueError(f"{path} is not an sklearn-lipnet model file.")
        if document.get("version", 0) > FORMAT_VERSION:
            raise ValueError(
                f"{path} was written by a newer sklearn-lipnet (format version "
                f"{document['version']}); upgrade to read it."
            )
        return _Decoder(archive, document.get("version", 1)).decode(document["model"])
