"""How a LipNet's arithmetic runs: precision, memory layout, compilation.

None of these settings changes the model, only how fast (and, for reduced
precision, how exactly) its arithmetic is carried out:

- ``precision="bf16"`` / ``"fp16"`` runs the forward pass under
  :func:`torch.autocast` (convolutions and matrix products in 16 bits, the
  loss and the weights in 32); fp16 also scales the loss so that small
  gradients do not underflow.
- ``memory_format="channels_last"`` stores images and convolution weights
  as NHWC, the layout oneDNN (CPU) and cuDNN's tensor-core kernels are
  fastest with. ``"auto"`` picks it for image inputs.
- ``compile=True`` (or a dict of :func:`torch.compile` options) compiles the
  network's forward pass; the uncompiled module keeps the weights, so model
  files and pickles do not change.
"""

from dataclasses import dataclass, field

import torch

__all__ = ["PRECISIONS", "Execution", "native_bf16"]

#: ``LipNetClassifier(precision=...)`` -> autocast dtype (None: float32).
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def native_bf16(device):
    """Whether ``device`` does bfloat16 arithmetic in hardware.

    CUDA GPUs from Ampere on, and CPUs with AMX or AVX512-BF16 (which oneDNN
    uses); elsewhere bf16 is emulated and slower than float32.

    Parameters
    ----------
    device : str or torch.device

    Returns
    -------
    native : bool
    """
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported(
            including_emulation=False
        )
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return False


@dataclass
class Execution:
    """The arithmetic settings of one fitted network on one device.

    Parameters
    ----------
    device : str
        The network's device.
    precision : {"fp32", "bf16", "fp16"}, default="fp32"
    channels_last : bool, default=False
    compile : bool or dict, default=False
        ``torch.compile`` options, ``True`` for its defaults.
    """

    device: str
    precision: str = "fp32"
    channels_last: bool = False
    compile: object = False
    _compiled: object = field(default=None, init=False, repr=False)

    @property
    def device_type(self):
        return torch.device(self.device).type

    def autocast(self):
        """Context in which the forward pass and the loss are computed."""
        dtype = PRECISIONS[self.precision]
        return torch.autocast(
            self.device_type, dtype=dtype or torch.float32, enabled=dtype is not None
        )

    def grad_scaler(self):
        """A loss scaler for fp16 training, else None."""
        if self.precision != "fp16":
            return None
        return torch.amp.GradScaler(self.device_type)

    def prepare_module(self, module):
        """Put the module's weights in the memory layout; returns the module."""
        if self.channels_last:
            module.to(memory_format=torch.channels_last)
        return module

    def prepare_input(self, X):
        """A batch in the memory layout the weights are in."""
        if isinstance(X, dict):  # the hybrid network's images and features
            return {key: self.prepare_input(value) for key, value in X.items()}
        if self.channels_last and X.dim() == 4:
            return X.contiguous(memory_format=torch.channels_last)
        return X

    def forward(self, module, X):
        """``module(X)`` under these settings, as float32 logits."""
        if self.compile:
            if self._compiled is None:
                options = self.compile if isinstance(self.compile, dict) else {}
                self._compiled = torch.compile(module, **options)
            module = self._compiled
        X = self.prepare_input(X)
        with self.autocast():
            # A dict holds the inputs of a network with several (the hybrid).
            logits = module(**X) if isinstance(X, dict) else module(X)
        # The loss and the softmax are computed in float32 whatever the
        # precision of the forward pass.
        return logits.float()

    def __getstate__(self):
        # A compiled module does not pickle; it is rebuilt on first use.
        state = dict(self.__dict__)
        state["_compiled"] = None
        return state
