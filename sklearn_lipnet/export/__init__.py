"""Fitted models as ONNX files, for runtimes outside Python.

:func:`to_onnx` writes a fitted :class:`~sklearn_lipnet.LipNetClassifier`
or LipNet pipeline (and the feature SVM pipeline, through skl2onnx) as an
ONNX graph that ONNX Runtime runs from C#, C++, Java or JavaScript; see the
deployment guide (``docs/deployment.md``). Needs the ``onnx`` extra:
``pip install 'sklearn-lipnet[onnx]'``.
"""

from ._layers import UnsupportedModelError
from ._lipnet_graph import OPSET
from ._onnx import to_onnx

__all__ = ["OPSET", "UnsupportedModelError", "to_onnx"]
