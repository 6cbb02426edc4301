"""A fitted LipNetClassifier as an ONNX graph, written node by node.

The graph is built with ``onnx.helper`` from the network's layers instead of
being traced by ``torch.onnx.export``: the LipNet layers are few and fixed
(:mod:`sklearn_lipnet.neural_network._networks` and
:mod:`~sklearn_lipnet.neural_network._feature_networks`), so one short
converter per layer type gives an exact graph on every torch version, without the
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
``"features"``) and returns the logits. The CNN + features hybrid
(:class:`~sklearn_lipnet.neural_network.HybridLipNet`) takes both: its
classifier's ``X`` is image columns then feature columns, each part
standardised on its own, so :func:`classifier_inputs` gives it two inputs,
and a StandardScaler of its pipeline before the classifier (the scaled
features of :func:`~sklearn_lipnet.make_hybrid_pipeline`) goes into the
graph in front of the classifier's standardisation.
"""

from dataclasses import dataclass, replace

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
    """One input of the graph and what the model does to it.

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
    dtype : {"float32", "float64"}
        Element type of the graph input.
    standardise_dtype : {"float32", "float64"}
        Element type of the standardisation's arithmetic (the classifier's
        for the data it is given), cast to float32 after it.
    scaler : tuple of (ndarray or None, ndarray or None) or None
        Mean and scale of a ``StandardScaler`` of the pipeline applied
        before the classifier, ``(x - mean) / scale``; ``None`` for none.
    """

    name: str
    layout: str
    sample_shape: tuple
    mean: np.ndarray
    scale: np.ndarray
    resize_to: int | None = None
    antialias: bool = False
    dtype: str = "float32"
    standardise_dtype: str = "float32"
    scaler: tuple | None = None

    def description(self):
        """JSON-able summary for the model's metadata."""
        images = self.layout == "NCHW"
        per = "channel" if images else "feature"
        resize = None
        if self.resize_to is not None:
            resize = {
                "from": list(self.sample_shape[1:]),
                "to": [self.resize_to, self.resize_to],
                "method": "bilinear, antialiased" if self.antialias else "bilinear",
                "align_corners": False,
                "in_graph": True,
            }
        if self.standardise_dtype == "float32":
            formula = f"(x - mean) * float32(1 / scale), per {per}"
        else:
            formula = f"float32((float64(x) - mean) * (1 / scale)), per {per}"
        scaler = None
        if self.scaler is not None:
            mean, scale = self.scaler
            scaler = {
                "step": "StandardScaler",
                "mean": None if mean is None else [float(v) for v in mean],
                "scale": None if scale is None else [float(v) for v in scale],
                "formula": f"(x - mean) / scale in {self.standardise_dtype}, per "
                f"{per}, before the standardisation",
                "in_graph": True,
            }
        return {
            "name": self.name,
            "dtype": self.dtype,
            "layout": self.layout,
            "axes": ["batch", "channel", "height", "width"]
            if images
            else ["batch", "feature"],
            "shape": ["batch", *self.sample_shape],
            "scaler": scaler,
            "standardisation": {
                "mean": [float(v) for v in self.mean],
                "scale": [float(v) for v in self.scale],
                "formula": formula,
                "in_graph": True,
            },
            "resize": resize,
        }


def _image_input(sample_shape, mean, scale, size, **settings):
    """The ``images`` input of ``sample_shape`` for a network input ``size``."""
    from ..neural_network._image_tensor import resize_antialias

    image_shape = sample_shape[1:]
    if image_shape == (size, size):
        return GraphInput("images", "NCHW", sample_shape, mean, scale, **settings)
    return GraphInput(
        "images",
        "NCHW",
        sample_shape,
        mean,
        scale,
        resize_to=size,
        antialias=resize_antialias(image_shape, size),
        **settings,
    )


def _as_float64(scaling):
    return tuple(np.asarray(v, dtype=np.float64).ravel() for v in scaling)


def classifier_inputs(clf):
    """The graph inputs of a fitted ``LipNetClassifier``.

    Parameters
    ----------
    clf : LipNetClassifier
        Fitted.

    Returns
    -------
    inputs : list of GraphInput
        ``images`` or ``features``; for a classifier with
        ``n_image_features`` (the hybrid network) both, in that order.
    """
    from ..neural_network._image_tensor import HYBRID_LAYOUT, nchw_sample_shape

    size = clf._network_input_size
    if clf.input_layout_ == HYBRID_LAYOUT:
        # The hybrid pipeline's classifier sees the float64 matrix of its
        # FeatureUnion and standardises both parts in float64 before the cast;
        # the features keep float64 up to there (as the SVM graph's input).
        n_image = clf.n_image_features
        images = _image_input(
            nchw_sample_shape((n_image,)),
            *_as_float64(clf._scaling["image"]),
            size,
            standardise_dtype="float64",
        )
        features = GraphInput(
            "features",
            "NF",
            (clf.input_shape_[0] - n_image,),
            *_as_float64(clf._scaling["features"]),
            dtype="float64",
            standardise_dtype="float64",
        )
        return [images, features]
    mean, scale = _as_float64(clf._scaling)
    if clf.input_layout_ == "features":
        return [GraphInput("features", "NF", tuple(clf.input_shape_), mean, scale)]
    return [_image_input(nchw_sample_shape(clf.input_shape_), mean, scale, size)]


# -- what the model does before the network ----------------------------------

_DTYPES = {"float32": np.float32, "float64": np.float64}


def _cast(builder, x, dtype, hint):
    from onnx import TensorProto

    to = TensorProto.DOUBLE if dtype == "float64" else TensorProto.FLOAT
    return builder.node("Cast", [x], hint, to=to)


def _preprocessed(builder, spec):
    """Scale, standardise (and resize) one graph input as the model does."""
    from ..neural_network._image_tensor import resize_matrix

    axes = (-1, 1, 1) if spec.layout == "NCHW" else (-1,)
    work = _DTYPES[spec.standardise_dtype]
    x = spec.name
    if spec.dtype != spec.standardise_dtype:
        x = _cast(builder, x, spec.standardise_dtype, f"{spec.name}_as_work_type")
    if spec.scaler is not None:
        # As StandardScaler.transform: subtract the mean, divide by the scale.
        scaler_mean, scaler_scale = spec.scaler
        if scaler_mean is not None:
            mean = np.reshape(scaler_mean, axes)
            x = builder.node(
                "Sub",
                [x, builder.constant(f"{spec.name}_scaler_mean", mean, work)],
                "scaler_centred",
            )
        if scaler_scale is not None:
            scale = np.reshape(scaler_scale, axes)
            x = builder.node(
                "Div",
                [x, builder.constant(f"{spec.name}_scaler_scale", scale, work)],
                "scaler_scaled",
            )
    # As in as_image_tensor: mean and 1/scale cast to the data's type (float32,
    # or float64 for float64 data), a subtraction and a multiplication in that
    # type, then float32.
    mean = spec.mean.reshape(axes).astype(work)
    inverse_scale = (1.0 / spec.scale).reshape(axes).astype(work)
    x = builder.node(
        "Sub", [x, builder.constant(f"{spec.name}_mean", mean, work)], "centred"
    )
    x = builder.node(
        "Mul",
        [x, builder.constant(f"{spec.name}_inverse_scale", inverse_scale, work)],
        "standardised",
    )
    if spec.standardise_dtype != "float32":
        x = _cast(builder, x, "float32", f"{spec.name}_as_float32")
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


def _hybrid_graph(builder, module, inputs):
    # HybridLipNet.forward: head(cat([image_head(features(image)),
    # feature_branch(features)], dim=1)); the head's dropout is the identity.
    image = convert_sequential(builder, module.features, inputs["images"])
    image = convert_sequential(builder, module.image_head, image)
    features = convert_sequential(builder, module.feature_branch, inputs["features"])
    joined = builder.node("Concat", [image, features], "joined", axis=1)
    return convert_sequential(builder, module.head, joined)


def _network_graphs():
    from ..neural_network import ARCHITECTURES, HybridLipNet, LipNet, MLPHead

    graphs = {cls: _lipnet_graph for cls in (LipNet, *ARCHITECTURES.values())}
    graphs[MLPHead] = _mlp_graph
    graphs[HybridLipNet] = _hybrid_graph
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
            f"{type(module).__qualname__}; to_onnx converts the LipNet networks, "
            "HybridLipNet and MLPHead only."
        )
    return graph


def lipnet_model_proto(clf, *, graph_name, doc_string, scalers=None):
    """The ONNX model of a fitted ``LipNetClassifier``: inputs to probabilities.

    Parameters
    ----------
    clf : LipNetClassifier
        Fitted.
    graph_name : str
    doc_string : str
    scalers : dict of {str: tuple} or None
        Graph input name -> ``(mean, scale)`` of a pipeline's
        ``StandardScaler`` before the classifier, put in the graph (see
        :class:`GraphInput`'s ``scaler``).

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
    specs = [
        replace(spec, scaler=(scalers or {}).get(spec.name))
        for spec in classifier_inputs(clf)
    ]
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
                spec.name,
                TensorProto.DOUBLE if spec.dtype == "float64" else TensorProto.FLOAT,
                ["batch", *spec.sample_shape],
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
