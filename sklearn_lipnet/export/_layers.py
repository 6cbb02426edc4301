"""ONNX nodes for torch layers, and the builder that collects them.

One converter per layer type of the LipNet networks, keyed by exact type
(a subclass may compute something else in ``forward``); a layer without one
is an :class:`UnsupportedModelError`, never a silently different graph.
"""

import numpy as np

__all__ = ["GraphBuilder", "UnsupportedModelError", "convert_sequential"]


class UnsupportedModelError(ValueError):
    """A model, network or layer that to_onnx cannot express exactly."""


class GraphBuilder:
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

    def constant(self, hint, value, dtype=np.float32):
        from onnx import numpy_helper

        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        array = np.ascontiguousarray(value, dtype=dtype)
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


def convert_sequential(builder, layers, x):
    """Apply the converters of ``layers`` in order; return the output name."""
    for layer in layers:
        x = _layer(builder, layer, x)
    return x


def _layer_converters():
    from torch import nn

    return {
        nn.Sequential: convert_sequential,
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
