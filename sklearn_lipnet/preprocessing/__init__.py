"""From particle tables to the image matrix that LipNet networks consume."""

from ._cutout import prepare_image
from ._particle_preprocessor import MODES, SCALES, ParticlePreprocessor

__all__ = ["MODES", "SCALES", "ParticlePreprocessor", "prepare_image"]
