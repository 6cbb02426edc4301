"""Particle data sets: real cut-outs from disk, synthetic liposomes and micrographs.

Also the thesis's two problems (:data:`CLASSES`, :data:`THESIS_COUNTS`,
:func:`thesis_proportions`) and the proportions of the default benchmark
(:data:`BENCHMARK_WEIGHTS`).
"""

from ._liposomes import make_liposomes
from ._load import SkippedParticlesWarning, load_particles
from ._micrograph_files import list_micrographs, save_micrographs
from ._micrographs import make_micrographs
from ._save import save_particles
from ._thesis import BENCHMARK_WEIGHTS, CLASSES, THESIS_COUNTS, thesis_proportions

__all__ = [
    "BENCHMARK_WEIGHTS",
    "CLASSES",
    "SkippedParticlesWarning",
    "THESIS_COUNTS",
    "list_micrographs",
    "load_particles",
    "make_liposomes",
    "make_micrographs",
    "save_micrographs",
    "save_particles",
    "thesis_proportions",
]
