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

from ._layers import GraphBuilder, UnsupportedModelError, convert_sequential

__all__ = [
    "NETWORK_GRAPHS",
    "OPSET",
    "GraphInput",
    "classifier_inputs",
    "lipnet_model_proto",
]

#: ONNX operator set of the graphs: opset 17 runs on ONNX Runtime 1.12 and
#: later (Python, C#, C++, Java, JavaScript).
OPSET = 17


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
        images = self.layout == "NCHW"
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
            "axes": ["batch", "channel", "height", "width"]
            if images
            else ["batch", "feature"],
            "shape": ["batch", *self.sample_shape],
            "standardisation": {
                "mean": [float(v) for v in self.mean],
                "scale": [float(v) for v in self.scale],
                "formula": "(x - mean) * float32(1 / scale), per "
                + ("channel" if images else "feature"),
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


# -- networks ----------------------------------------------------------------


def _lipnet_graph(builder, module, inputs):
    # LipNet.forward: head(features(X)).
    x = convert_sequential(builder, module.features, inputs["images"])
    return convert_sequential(builder, module.head, x)


def _mlp_graph(builder, module, inputs):
    # MLPHead.forward: layers(flatten(X, 1)); the features input is 2-D.
    return convert_sequential(builder, module.layers, inputs["features"])


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
    builder = GraphBuilder()
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
