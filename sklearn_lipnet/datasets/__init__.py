"""Particle data sets: real cut-outs from disk and synthetic liposomes.

Also the thesis's two problems (:data:`CLASSES`, :data:`THESIS_COUNTS`,
:func:`thesis_proportions`) and the proportions of the default benchmark
(:data:`BENCHMARK_WEIGHTS`).
"""

from ._liposomes import make_liposomes
from ._load import SkippedParticlesWarning, load_particles
from ._save import save_particles
from ._thesis import BENCHMARK_WEIGHTS, CLASSES, THESIS_COUNTS, thesis_proportions

__all__ = [
    "BENCHMARK_WEIGHTS",
    "CLASSES",
    "SkippedParticlesWarning",
    "THESIS_COUNTS",
    "load_particles",
    "make_liposomes",
    "save_particles",
    "thesis_proportions",
]
