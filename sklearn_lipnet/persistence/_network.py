"""A LipNetClassifier's network in a model file: checked, then rebuilt.

The network is named (a key of ``NETWORKS``), its constructor arguments are
checked against the classifier's classes and input, its weights are read
with ``torch.load(weights_only=True)`` and compared, tensor by tensor, with
the state dict of the same network built on PyTorch's ``meta`` device
(which allocates nothing). Only then is the real network built and filled.
"""

import inspect
import io
import math
import re
import warnings

import numpy as np
import torch

from ._checks import (
    Bool,
    Float,
    Int,
    ListOf,
    PlainValue,
    Str,
    TupleOf,
    describe,
    fail,
)

__all__ = [
    "MAX_PREDICTION_BATCH_BYTES",
    "WEIGHTS_NAME",
    "build_network",
    "lipnet_consistent",
    "lipnet_routed",
]

#: Member names of network weights in a model file.
WEIGHTS_NAME = re.compile(r"weights_(\d{1,4})\.pt")
#: Memory a prediction batch may take (inputs and activations); the batch
#: size of a loaded network is cut down to it.
MAX_PREDICTION_BATCH_BYTES = 256 * 2**20
#: Most image channels a network may take.
MAX_CHANNELS = 64
#: Most rows of a training history.
MAX_EPOCHS = 100_000

_MODULE_ARGUMENTS = {
    "conv_channels": Int(1, 1024),
    "dense_units": Int(1, 65536),
    "conv_dropout": Float(0, 1),
    "dense_dropout": Float(0, 1),
    "batch_norm": Bool(),
    "feature_units": Int(1, 65536),  # the hybrid's feature branch
}


def _channels(state):
    shape = state["input_shape_"]
    return shape[0] if len(shape) == 3 else 1


def _default_input_size(architecture):
    from ..neural_network import ARCHITECTURES

    return (
        inspect.signature(ARCHITECTURES[architecture]).parameters["input_size"].default
    )


def lipnet_routed(state, where):
    """Check the routed (``module__...``) parameters; return their names."""
    from ..neural_network._routing import ROUTED_PREFIXES

    if "_routed_names" not in state:
        return set()
    names = TupleOf(Str(), 0, 100)(state["_routed_names"], f"{where}._routed_names")
    for name in names:
        at = f"{where}.{name}"
        if not name.startswith(ROUTED_PREFIXES):
            fail(at, "is not a parameter LipNetClassifier routes to skorch.")
        if name not in state:
            fail(at, "is named in _routed_names but missing.")
        argument = name.split("__", 1)[1]
        if name.startswith("module__"):
            if argument == "input_size":
                state[name] = Int(8, 512)(state[name], at)
            elif argument in _MODULE_ARGUMENTS:
                state[name] = _MODULE_ARGUMENTS[argument](state[name], at)
            else:
                fail(at, "is not a network argument.")
        elif name.startswith("iterator_"):
            if argument != "batch_size":
                fail(at, "only the batch size of the iterators can be set.")
            state[name] = Int(1, 2**20)(state[name], at)
        else:
            state[name] = PlainValue()(state[name], at)
    return {"_routed_names", *names}


def lipnet_consistent(state, where):
    """The fitted attributes of a LipNetClassifier against each other."""
    shape, n_features = state["input_shape_"], state["n_features_in_"]
    if shape[0] != n_features:
        fail(f"{where}.input_shape_", f"{shape} does not start with n_features_in_.")
    layout = state["input_layout_"]
    n_image = state.get("n_image_features")
    if (layout == "image+features") != (n_image is not None):
        fail(f"{where}.n_image_features", f"{n_image!r} contradicts {layout} input.")
    if layout != "image" and len(shape) != 1:
        fail(f"{where}.input_shape_", f"{shape} is not a row of values.")
    if layout == "image+features" and not 0 < n_image < n_features:
        fail(f"{where}.n_image_features", f"{n_image} of {n_features} columns.")
    n_pixels = n_image if layout == "image+features" else n_features
    if (
        layout != "features"
        and len(shape) == 1
        and math.isqrt(n_pixels) ** 2 != n_pixels
    ):
        fail(f"{where}.n_features_in_", f"{n_pixels} pixels are not a square image.")
    if layout == "image" and _channels(state) > MAX_CHANNELS:
        fail(f"{where}.input_shape_", f"{_channels(state)} channels are too many.")
    if layout == "image+features":
        parts = [
            ("image", state["_scaling"].get("image"), 1),
            ("features", state["_scaling"].get("features"), n_features - n_image),
        ]
    else:
        width = _channels(state) if layout == "image" else n_features
        parts = [("", state["_scaling"], width)]
    for part, scaling, width in parts:
        if not isinstance(scaling, tuple):
            fail(f"{where}._scaling", f"expected the {part} scaling as a pair.")
        for name, values in zip(("mean", "scale"), scaling):
            if values.shape != (width,):
                fail(
                    f"{where}._scaling",
                    f"the {part} {name} has shape {values.shape}, not ({width},).",
                )
            if not np.isfinite(values).all() or (
                name == "scale" and not (values > 0).all()
            ):
                fail(f"{where}._scaling", f"the {part} {name} holds invalid values.")
    input_size = state.get(
        "module__input_size", _default_input_size(state["architecture"])
    )
    if state["_network_input_size"] != input_size:
        fail(
            f"{where}._network_input_size",
            f"{state['_network_input_size']} is not the network's input size "
            f"{input_size}.",
        )
    names = state.get("feature_names_in_")
    if names is not None and len(names) != n_features:
        fail(f"{where}.feature_names_in_", f"does not name {n_features} features.")


def _module_arguments(state, kwargs, where):
    """The network's constructor arguments, checked against the classifier."""
    if not isinstance(kwargs, dict):
        fail(where, f"expected the network's arguments, got {describe(kwargs)}.")
    n_classes = len(state["classes_"])
    routed = {
        name.split("__", 1)[1]: state[name]
        for name in state.get("_routed_names", ())
        if name.startswith("module__")
    }
    if state["input_layout_"] == "image":
        fixed = {"n_classes": n_classes, "in_channels": _channels(state)}
        allowed = {"input_size", *_MODULE_ARGUMENTS} - {"feature_units"}
    elif state["input_layout_"] == "image+features":
        fixed = {
            "n_features": state["n_features_in_"] - state["n_image_features"],
            "n_classes": n_classes,
            "architecture": state["architecture"],
            "in_channels": 1,
            "input_size": state["_network_input_size"],
        }
        allowed = set(_MODULE_ARGUMENTS)
    else:
        fixed = {"n_features": state["n_features_in_"], "n_classes": n_classes}
        allowed = {"dense_units", "dense_dropout", "batch_norm"}
    expected = {**fixed, **routed}
    unknown = sorted(set(kwargs) - set(fixed) - allowed)
    if unknown:
        fail(where, f"unknown network argument(s) {unknown}.")
    if set(kwargs) != set(expected):
        fail(
            where, f"names the arguments {sorted(kwargs)}, expected {sorted(expected)}."
        )
    for name, value in kwargs.items():
        check = _MODULE_ARGUMENTS.get(name, Int(1, 2**31 - 1))
        if name == "architecture":
            check = Str()
        value = check(value, f"{where}.{name}")
        if value != expected[name]:
            fail(
                f"{where}.{name}",
                f"is {value!r}, but the classifier says {expected[name]!r}.",
            )
    return dict(kwargs)


def _history(rows, where):
    rows = ListOf(lambda row, at: row, 0, MAX_EPOCHS)(rows, where)
    checked = []
    for i, row in enumerate(rows):
        at = f"{where}[{i}]"
        if not isinstance(row, dict) or "batches" in row:
            fail(at, f"expected a row of numbers, got {describe(row)}.")
        for key, value in row.items():
            if not (
                value is None
                or isinstance(value, (bool, np.bool_, int, float, np.integer))
                or (isinstance(value, np.floating) and value.dtype.itemsize <= 8)
                or (isinstance(value, str) and len(value) <= 1000)
            ):
                fail(f"{at}.{key}", f"expected a number, got {describe(value)}.")
        checked.append(dict(row))
    return checked


def _read_weights(data, where):
    # torch.save's zip format, as save_model writes it; PyTorch's legacy
    # format sizes its storages by numbers in the file, so it is refused.
    if not data.startswith(b"PK\x03\x04"):
        fail(where, "is not a PyTorch weights archive.")
    try:
        with warnings.catch_warnings():  # torch's remarks on odd pickles
            warnings.simplefilter("ignore")
            weights = torch.load(
                io.BytesIO(data), weights_only=True, map_location="cpu"
            )
    except Exception as exc:  # untrusted bytes: any failure is a bad file
        fail(where, f"cannot read the network weights ({type(exc).__name__}: {exc}).")
    if not isinstance(weights, dict) or not all(isinstance(k, str) for k in weights):
        fail(where, f"expected a state dict of tensors, got {describe(weights)}.")
    return weights


def _check_weights(expected, weights, where):
    """Every tensor of ``weights`` as the network built on "meta" has it."""
    if set(weights) != set(expected):
        missing = sorted(set(expected) - set(weights))
        extra = sorted(set(weights) - set(expected))
        fail(
            where,
            f"the weights do not fit the network (missing {missing[:3]}, "
            f"unexpected {extra[:3]}).",
        )
    for name, reference in expected.items():
        tensor = weights[name]
        at = f"{where}[{name!r}]"
        if not isinstance(tensor, torch.Tensor) or tensor.layout != torch.strided:
            fail(at, f"expected a dense tensor, got {describe(tensor)}.")
        if tensor.dtype != reference.dtype or tensor.shape != reference.shape:
            fail(
                at,
                f"is a {tensor.dtype} tensor of shape {tuple(tensor.shape)}, the "
                f"network needs {reference.dtype} of shape {tuple(reference.shape)}.",
            )
        if tensor.is_floating_point():
            if not torch.isfinite(tensor).all():
                fail(at, "holds NaN or infinite weights.")
            if name.endswith("running_var") and (tensor < 0).any():
                fail(at, "holds negative variances.")


def _prediction_batch_size(state, kwargs, network):
    """The batch size of prediction: the file's, cut down to the memory budget."""
    batch_size = state.get("iterator_valid__batch_size", state["batch_size"])
    if network == "mlp":
        per_sample = 4 * 3 * (kwargs["n_features"] + kwargs.get("dense_units", 128))
    else:
        side = state["_network_input_size"]
        channels = max(kwargs.get("conv_channels", 32), kwargs["in_channels"])
        per_sample = 4 * 3 * channels * side * side
    if per_sample > MAX_PREDICTION_BATCH_BYTES:
        return None
    return max(1, min(batch_size, MAX_PREDICTION_BATCH_BYTES // per_sample))


def build_network(state, spec, weights_data, where, *, version, device, execution):
    """The fitted skorch net of a LipNetClassifier whose ``state`` is checked.

    Parameters
    ----------
    state : dict
        The classifier's checked state.
    spec : dict
        The ``net`` entry of the model file, decoded.
    weights_data : callable
        ``weights_data(member_name, where)`` returns the bytes of a member.
    where : str
        Place of the classifier in the model, for messages.
    version : int
        Format version of the file.
    device : str
        Resolved torch device to put the network on.
    execution : Execution
        Precision and memory layout of the network's arithmetic.
    """
    from skorch.history import History

    from ..neural_network import NETWORKS
    from ..neural_network._skorch_net import LipNetNeuralNet
    from ._registry import FORMAT_1_NAMES

    at = f"{where}.net"
    network_key = "module" if version == 1 else "network"
    expected_keys = {network_key, "module_kwargs", "weights", "history"}
    if not isinstance(spec, dict) or set(spec) != expected_keys:
        fail(at, f"expected the entries {sorted(expected_keys)}.")
    network = spec[network_key]
    if version == 1:
        network = FORMAT_1_NAMES.get(network, network)
    wanted = {"image": state["architecture"], "image+features": "hybrid"}.get(
        state["input_layout_"], "mlp"
    )
    if network != wanted:
        fail(
            f"{at}.{network_key}",
            f"{network!r} is not the network {wanted!r} the classifier uses.",
        )
    module = NETWORKS[network]
    kwargs = _module_arguments(state, spec["module_kwargs"], f"{at}.module_kwargs")
    history = _history(spec["history"], f"{at}.history")
    batch_size = _prediction_batch_size(state, kwargs, network)
    if batch_size is None:
        fail(at, "the network needs more memory per particle than we allow.")
    name = Str()(spec["weights"], f"{at}.weights")
    weights = _read_weights(weights_data(name, f"{at}.weights"), f"{at}.weights")
    try:
        with torch.device("meta"):
            expected = module(**kwargs).state_dict()
    except (TypeError, ValueError, RuntimeError) as exc:
        fail(f"{at}.module_kwargs", f"cannot build the network ({exc}).")
    _check_weights(expected, weights, f"{at}.weights")

    net = LipNetNeuralNet(
        module,
        criterion=torch.nn.CrossEntropyLoss,
        batch_size=state["batch_size"],
        iterator_valid__batch_size=batch_size,
        device=device,
        train_split=None,
        execution=execution,
        **{f"module__{k}": v for k, v in kwargs.items()},
    )
    net.initialize()
    net.module_.load_state_dict(weights)
    net.history = History([dict(row, batches=[]) for row in history])
    return net
