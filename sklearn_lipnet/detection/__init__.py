"""Particle finding: from micrographs to a particle table, and its evaluation.

:func:`find_particles` (and the transformer :class:`ParticleFinder`) finds
membrane-bounded particles in micrographs and cuts them out as a particle
table; :func:`match_particles` and :func:`detection_scores` compare what was
found with the truth, e.g. that of
:func:`~sklearn_lipnet.datasets.make_micrographs`.
"""

from ._finder import PARTICLE_COLUMNS, find_particles
from ._matching import detection_scores, match_particles
from ._particle_finder import ParticleFinder

__all__ = [
    "PARTICLE_COLUMNS",
    "ParticleFinder",
    "detection_scores",
    "find_particles",
    "match_particles",
]
