"""A fitted LipNetClassifier as an ONNX graph, written node by node.

The graph is built with ``onnx.helper`` from the network's layers instead of
being traced by ``torch.onnx.export``: the LipNet layers are few and fixed
(:mod:`sklearn_lipnet.neural_network._networks`), so one short converter per
layer type gives an exact graph on every torch version, without the
TorchScript exporter (deprecated since torch 2.9) or the dynamo exporter
(which needs onnxscript). A layer or network without a converter is an
error, never a silently different graph.

What the classifier does before its network is in the graph too: the
standardisation with the training data's per-channel mean and scale, and
the bilinear resize to the network's input as the fixed linear map
``R(H) @ X @ R(W).T`` that torch applies (ONNX's ``Resize`` with
``antialias=1`` does not reproduce torch's antialiased weights: they differ
by up to 0.1-0.2 on standard-normal images).

A network is converted by a function of :data:`NETWORK_GRAPHS`, which takes
the graph tensors of the classifier's inputs by name (``"images"`` or
``"features"``) and returns the logits; a network with several inputs (the
CNN + features hybrid) is a new entry there and a second input spec from
:func:`classifier_inputs`.
"""

from dataclasses import dataclass

import numpy as np

__all__ = [
    "NETWORK_GRAPHS",
    "OPSET",
    "GraphInput",
    "UnsupportedModelError",
    "classifier_inputs",
    "lipnet_model_proto",
]

#: ONNX operator set of the graphs: opset 17 runs on ONNX Runtime 1.12 and
#: later (Python, C#, C++, Java, JavaScript).
OPSET = 17


class UnsupportedModelError(ValueError):
    """A model, network or layer that to_onnx cannot express exactly."""


@dataclass(frozen=True)
class GraphInput:
    """One input of the graph and what the classifier does to it.

    Parameters
    ----------
    name : str
        Graph input name: ``"images"`` or ``"features"``.
    layout : {"NCHW", "NF"}
        Axes of the input: images, or feature vectors.
    sample_shape : tuple of int
        Shape of one sample: ``(C, H, W)`` or ``(n_features,)``.
    mean, scale : ndarray of float64
        Standardisation of the classifier: ``(x - mean) / scale`` per channel
        (images) or per feature.
    resize_to : int or None
        Side of the network's square input when the images must be resized.
    antialias : bool
        Whether that resize is antialiased.
    """

    name: str
    layout: str
    sample_shape: tuple
    mean: np.ndarray
    scale: np.ndarray
    resize_to: int | None = None
    antialias: bool = False

    def description(self):
        """JSON-able summary for the model's metadata."""
        axes = ["batch", "channel", "height", "width"] if self.layout == "NCHW" else []
        resize = None
        if self.resize_to is not None:
            resize = {
                "from": list(self.sample_shape[1:]),
                "to": [self.resize_to, self.resize_to],
                "method": "bilinear, antialiased" if self.antialias else "bilinear",
                "align_corners": False,
                "in_graph": True,
            }
        return {
            "name": self.name,
            "dtype": "float32",
            "layout": self.layout,
            "axes": axes or ["batch", "feature"],
            "shape": ["batch", *self.sample_shape],
            "standardisation": {
                "mean": [float(v) for v in self.mean],
                "scale": [float(v) for v in self.scale],
                "formula": "(x - mean) * float32(1 / scale), per channel"
                if self.layout == "NCHW"
                else "(x - mean) * float32(1 / scale), per feature",
                "in_graph": True,
            },
            "resize": resize,
        }


def classifier_inputs(clf):
    """The graph inputs of a fitted ``LipNetClassifier``.

    Parameters
    ----------
    clf : LipNetClassifier
        Fitted.

    Returns
    -------
    inputs : list of GraphInput
    """
    from ..neural_network._image_tensor import nchw_sample_shape, resize_antialias

    mean, scale = (np.asarray(v, dtype=np.float64).ravel() for v in clf._scaling)
    if clf.input_layout_ == "features":
        return [GraphInput("features", "NF", tuple(clf.input_shape_), mean, scale)]
    sample_shape = nchw_sample_shape(clf.input_shape_)
    size = clf._network_input_size
    image_shape = sample_shape[1:]
    if image_shape == (size, size):
        return [GraphInput("images", "NCHW", sample_shape, mean, scale)]
    return [
        GraphInput(
            "images",
            "NCHW",
            sample_shape,
            mean,
            scale,
            resize_to=size,
            antialias=resize_antialias(image_shape, size),
        )
    ]


class _GraphBuilder:
    """Nodes and initializers of one graph, with unique tensor names."""

    def __init__(self):
        self.nodes = []
        self.initializers = []
        self._used = set()

    def _unique(self, hint):
        name, count = hint, 1
        while name in self._used:
            count += 1
            name = f"{hint}_{count}"
        self._used.add(name)
        return name

    def reserve(self, name):
        if name in self._used:
            raise ValueError(f"tensor name {name!r} used twice")
        self._used.add(name)
        return name

    def constant(self, hint, value):
        from onnx import numpy_helper

        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        array = np.ascontiguousarray(value, dtype=np.float32)
        name = self._unique(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op_type, inputs, hint, *, output=None, **attributes):
        from onnx import helper

        output = self.reserve(output) if output else self._unique(hint)
        self.nodes.append(
            helper.make_node(
                op_type,
                inputs,
                [output],
                name=f"{hint}_{len(self.nodes)}",
                **attributes,
            )
        )
        return output


# -- what the classifier does before the network -----------------------------


def _preprocessed(builder, spec):
    """Standardise (and resize) one graph input as the classifier does."""
    from ..neural_network._image_tensor import resize_matrix

    axes = (-1, 1, 1) if spec.layout == "NCHW" else (-1,)
    # As in as_image_tensor for float32 data: mean and 1/scale cast to
    # float32, then a subtraction and a multiplication in float32.
    mean = spec.mean.reshape(axes).astype(np.float32)
    inverse_scale = (1.0 / spec.scale).reshape(axes).astype(np.float32)
    x = builder.node(
        "Sub", [spec.name, builder.constant(f"{spec.name}_mean", mean)], "centred"
    )
    x = builder.node(
        "Mul",
        [x, builder.constant(f"{spec.name}_inverse_scale", inverse_scale)],
        "standardised",
    )
    if spec.resize_to is None:
        return x
    height, width = spec.sample_shape[1:]
    rows = resize_matrix(height, spec.resize_to, spec.antialias)
    columns = resize_matrix(width, spec.resize_to, spec.antialias)
    x = builder.node(
        "MatMul", [builder.constant("resize_rows", rows), x], "resized_rows"
    )
    return builder.node(
        "MatMul", [x, builder.constant("resize_columns_t", columns.T)], "resized"
    )


# -- layers ------------------------------------------------------------------


def _pair(value):
    return list(value) if isinstance(value, (tuple, list)) else [value, value]


def _conv2d(builder, layer, x):
    if layer.padding_mode != "zeros" or isinstance(layer.padding, str):
        raise UnsupportedModelError(
            f"Conv2d with padding={layer.padding!r}, padding_mode="
            f"{layer.padding_mode!r} has no ONNX converter here."
        )
    inputs = [x, builder.constant("conv_weight", layer.weight)]
    if layer.bias is not None:
        inputs.append(builder.constant("conv_bias", layer.bias))
    pad_h, pad_w = _pair(layer.padding)
    return builder.node(
        "Conv",
        inputs,
        "conv",
        kernel_shape=_pair(layer.kernel_size),
        strides=_pair(layer.stride),
        pads=[pad_h, pad_w, pad_h, pad_w],
        dilations=_pair(layer.dilation),
        group=layer.groups,
    )


def _max_pool2d(builder, layer, x):
    if layer.return_indices:
        raise UnsupportedModelError("MaxPool2d(return_indices=True) is not a layer.")
    pad_h, pad_w = _pair(layer.padding)
    return builder.node(
        "MaxPool",
        [x],
        "max_pool",
        kernel_shape=_pair(layer.kernel_size),
        strides=_pair(layer.stride or layer.kernel_size),
        pads=[pad_h, pad_w, pad_h, pad_w],
        dilations=_pair(layer.dilation),
        ceil_mode=int(layer.ceil_mode),
    )


def _batch_norm(builder, layer, x):
    if layer.running_mean is None or layer.running_var is None:
        raise UnsupportedModelError(
            f"{type(layer).__name__}(track_running_stats=False) normalises with "
            "the statistics of each batch, which a fixed graph cannot."
        )
    channels = layer.num_features
    weight = layer.weight if layer.affine else np.ones(channels)
    bias = layer.bias if layer.affine else np.zeros(channels)
    return builder.node(
        "BatchNormalization",
        [
            x,
            builder.constant("bn_scale", weight),
            builder.constant("bn_bias", bias),
            builder.constant("bn_mean", layer.running_mean),
            builder.constant("bn_var", layer.running_var),
        ],
        "batch_norm",
        epsilon=float(layer.eps),
    )


def _linear(builder, layer, x):
    inputs = [x, builder.constant("dense_weight", layer.weight)]
    if layer.bias is not None:
        inputs.append(builder.constant("dense_bias", layer.bias))
    return builder.node("Gemm", inputs, "dense", transB=1)


def _flatten(builder, layer, x):
    if layer.end_dim != -1:
        raise UnsupportedModelError(f"Flatten(end_dim={layer.end_dim}) is not a layer.")
    return builder.node("Flatten", [x], "flatten", axis=layer.start_dim)


def _relu(builder, layer, x):
    return builder.node("Relu", [x], "relu")


def _dropout(builder, layer, x):
    return x  # the identity at prediction time


def _adaptive_avg_pool2d(builder, layer, x):
    if _pair(layer.output_size) != [1, 1]:
        raise UnsupportedModelError(
            f"AdaptiveAvgPool2d(output_size={layer.output_size!r}) has no fixed "
            "ONNX form; only global pooling (output_size=1) is converted."
        )
    return builder.node("GlobalAveragePool", [x], "global_average_pool")


def _sequential(builder, layers, x):
    for layer in layers:
        x = _layer(builder, layer, x)
    return x


def _layer_converters():
    from torch import nn

    return {
        nn.Sequential: _sequential,
        nn.Conv2d: _conv2d,
        nn.MaxPool2d: _max_pool2d,
        nn.BatchNorm1d: _batch_norm,
        nn.BatchNorm2d: _batch_norm,
        nn.Linear: _linear,
        nn.Flatten: _flatten,
        nn.ReLU: _relu,
        nn.Dropout: _dropout,
        nn.AdaptiveAvgPool2d: _adaptive_avg_pool2d,
    }


def _layer(builder, layer, x):
    # Exact types: a subclass may compute something else in forward().
    converter = _layer_converters().get(type(layer))
    if converter is None:
        raise UnsupportedModelError(
            f"The network holds a {type(layer).__module__}."
            f"{type(layer).__qualname__} layer, which to_onnx cannot convert."
        )
    return converter(builder, layer, x)


# -- networks ----------------------------------------------------------------


def _lipnet_graph(builder, module, inputs):
    # LipNet.forward: head(features(X)).
    x = _sequential(builder, module.features, inputs["images"])
    return _sequential(builder, module.head, x)


def _mlp_graph(builder, module, inputs):
    # MLPHead.forward: layers(flatten(X, 1)); the features input is 2-D.
    return _sequential(builder, module.layers, inputs["features"])


def _network_graphs():
    from ..neural_network import ARCHITECTURES, LipNet, MLPHead

    graphs = {cls: _lipnet_graph for cls in (LipNet, *ARCHITECTURES.values())}
    graphs[MLPHead] = _mlp_graph
    return graphs


#: Network class -> function(builder, module, {input name: tensor}) -> logits.
#: Filled on first use (the classes need torch).
NETWORK_GRAPHS = {}


def _network_graph(module):
    if not NETWORK_GRAPHS:
        NETWORK_GRAPHS.update(_network_graphs())
    graph = NETWORK_GRAPHS.get(type(module))
    if graph is None:
        raise UnsupportedModelError(
            f"The classifier's network is a {type(module).__module__}."
            f"{type(module).__qualname__}; to_onnx converts the LipNet networks "
            "and MLPHead only."
        )
    return graph


def lipnet_model_proto(clf, *, graph_name, doc_string):
    """The ONNX model of a fitted ``LipNetClassifier``: inputs to probabilities.

    Parameters
    ----------
    clf : LipNetClassifier
        Fitted.
    graph_name : str
    doc_string : str

    Returns
    -------
    model : onnx.ModelProto
        Without metadata; checked by ``onnx.checker`` with shape inference.
    inputs : list of GraphInput
    """
    import onnx
    from onnx import TensorProto, helper

    module = clf.net_.module_
    network = _network_graph(module)
    specs = classifier_inputs(clf)
    builder = _GraphBuilder()
    tensors = {}
    for spec in specs:
        builder.reserve(spec.name)
        tensors[spec.name] = _preprocessed(builder, spec)
    logits = network(builder, module, tensors)
    builder.node("Softmax", [logits], "softmax", output="probabilities", axis=1)
    graph = helper.make_graph(
        builder.nodes,
        graph_name,
        inputs=[
            helper.make_tensor_value_info(
                spec.name, TensorProto.FLOAT, ["batch", *spec.sample_shape]
            )
            for spec in specs
        ],
        outputs=[
            helper.make_tensor_value_info(
                "probabilities", TensorProto.FLOAT, ["batch", len(clf.classes_)]
            )
        ],
        initializer=builder.initializers,
    )
    graph.doc_string = doc_string
    opsets = [helper.make_opsetid("", OPSET)]
    model = helper.make_model(graph, opset_imports=opsets)
    # The oldest IR version that holds this opset: newer files would be
    # refused by older runtimes for no gain.
    model.ir_version = helper.find_min_ir_version_for(opsets)
    onnx.checker.check_model(model, full_check=True)
    return model, specs
