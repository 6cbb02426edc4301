"""Named settings of ``lipnet benchmark``: the main job, fast, the thesis's size.

A preset fixes the data (how many synthetic particles, in which proportions)
and how the networks train and run. Training settings that change the model
(epochs, batch size, learning rate) are the thesis's in ``"default"``;
``"fast"`` and ``"thesis"`` trade them for throughput, with the learning rate
scaled to the batch size. All three run the arithmetic in bfloat16 where the
hardware has it (``--precision fp32`` restores float32).
"""

import math
from dataclasses import dataclass, field

from ..neural_network._execution import native_bf16

__all__ = [
    "BENCHMARK_PRESETS",
    "THESIS_TRAINING",
    "BenchmarkPreset",
    "resolve_compile",
    "resolve_precision",
    "scaled_learning_rate",
]

#: The classifier's learning rate at the thesis's batch size of 32.
BASE_LEARNING_RATE = 1e-3
BASE_BATCH_SIZE = 32

#: The networks' training as in the thesis, over the pipelines' defaults:
#: its augmentation alone and the last weights. The benchmarks replicate its
#: study, and their recorded results were measured so.
THESIS_TRAINING = {"augment": True, "weight_averaging": None}


def resolve_precision(precision, device):
    """A preset's precision on ``device``: ``"auto"`` is bf16 where native.

    Parameters
    ----------
    precision : {"fp32", "bf16", "fp16", "auto"}
    device : str

    Returns
    -------
    precision : {"fp32", "bf16", "fp16"}
    """
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return precision


def resolve_compile(compile, device):
    """A preset's compilation on ``device``: ``"auto"`` compiles on CUDA only.

    Parameters
    ----------
    compile : bool or "auto"
    device : str

    Returns
    -------
    compile : bool
    """
    if compile == "auto":
        return str(device).startswith("cuda")
    return bool(compile)


def scaled_learning_rate(batch_size, base_lr=BASE_LEARNING_RATE):
    """Adam's learning rate for ``batch_size``: the square-root rule.

    A batch ``k`` times larger averages ``k`` times more gradients, which
    shrinks their noise by ``sqrt(k)``; for Adam, scaling the step by
    ``sqrt(k)`` keeps training comparable (Malladi et al., 2022).

    Parameters
    ----------
    batch_size : int
    base_lr : float, default=1e-3
        The learning rate at batch size 32.

    Returns
    -------
    lr : float

    Examples
    --------
    >>> from sklearn_lipnet.experiments import scaled_learning_rate
    >>> scaled_learning_rate(32), round(scaled_learning_rate(512), 4)
    (0.001, 0.004)
    """
    return base_lr * math.sqrt(batch_size / BASE_BATCH_SIZE)


@dataclass(frozen=True)
class BenchmarkPreset:
    """The settings one ``lipnet benchmark --preset`` stands for.

    Attributes
    ----------
    name : str
    description : str
        One line for ``--help``.
    n_samples : dict of {str: int}
        Synthetic particles per problem.
    thesis_weights : bool
        The thesis's class proportions (tables 1, 2) instead of
        :data:`~sklearn_lipnet.datasets.BENCHMARK_WEIGHTS`.
    epochs : int or "auto"
    batch_size : int
    lr : float
    precision : {"fp32", "bf16", "auto"}
        ``"auto"``: bf16 where the device computes it natively, else fp32.
    compile : bool or "auto"
        ``"auto"``: compile on CUDA only (the compiler's start-up does not pay
        for itself in a few minutes of CPU training).
    predict_batch_size : int
    n_jobs : int or None
        Processes for generating data and computing features, and for the
        folds (a network's only on the CPU).
    training : dict or None
        The networks' training options over the pipelines' defaults:
        :data:`THESIS_TRAINING` (the thesis's augmentation, the last
        weights) in every benchmark, which replicate its study; ``None``
        leaves each pipeline's defaults (what ``lipnet train`` does).
    """

    name: str
    description: str
    n_samples: dict = field(
        default_factory=lambda: {"lamellarity": 900, "encapsulation": 900}
    )
    thesis_weights: bool = False
    epochs: int = 12
    batch_size: int = BASE_BATCH_SIZE
    lr: float = BASE_LEARNING_RATE
    precision: str = "fp32"
    compile: object = False
    predict_batch_size: int = 256
    n_jobs: int | None = None
    training: dict | None = field(default_factory=lambda: dict(THESIS_TRAINING))


# A large batch needs enough of them per epoch to train: 256 on a few
# thousand particles, 512 at the thesis's size (tens of thousands).
_FAST = {
    "precision": "auto",
    "compile": "auto",
    "predict_batch_size": 4096,
    "n_jobs": -1,
}

#: ``lipnet benchmark --preset NAME``.
BENCHMARK_PRESETS = {
    preset.name: preset
    for preset in (
        BenchmarkPreset(
            "default",
            "the main job: 900 particles per problem, the thesis's training "
            "(batch 32, 12 epochs), bf16 where native, every core; minutes "
            "on a laptop CPU",
            # bfloat16 halves the main job on CPUs with AMX or AVX512-BF16
            # and changes no per-class number beyond the fold spread
            # (benchmarks/results/lipnet_benchmark_cpu); elsewhere float32.
            precision="auto",
            # Every core: on a CPU the network's folds share them in
            # parallel processes (benchmarks/results/fold_processes_cpu.md).
            n_jobs=-1,
        ),
        BenchmarkPreset(
            "fast",
            "3,000 particles per problem, 20 epochs at batch 256 with the "
            "square-root learning-rate rule, bf16 where native, compiled on GPUs",
            n_samples={"lamellarity": 3000, "encapsulation": 3000},
            epochs=20,
            batch_size=256,
            lr=scaled_learning_rate(256),
            **_FAST,
        ),
        BenchmarkPreset(
            "thesis",
            "the thesis's study: 14,169 and 24,918 particles in its "
            "proportions, 30 epochs, batch 512 and the fast settings (a GPU job)",
            n_samples={"lamellarity": 14169, "encapsulation": 24918},
            thesis_weights=True,
            epochs=30,
            batch_size=512,
            lr=scaled_learning_rate(512),
            **_FAST,
        ),
    )
}
