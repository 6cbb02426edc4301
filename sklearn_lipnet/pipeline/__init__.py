"""Ready-made pipelines from a particle table to class labels.

:func:`make_lipnet_pipeline` (``ParticlePreprocessor -> [sampler] ->
LipNetClassifier``) and :func:`make_svm_pipeline` (``ParticleFeatures ->
StandardScaler -> [sampler] -> SVC``) take the same table and labels, so both
go through one ``cross_validate`` call. :data:`SAMPLING_STRATEGIES` names the
ways of countering class imbalance that the command line offers.
"""

from ._factories import make_lipnet_pipeline, make_svm_pipeline
from ._sampling import (
    SAMPLING_STRATEGIES,
    CheckedSMOTE,
    SamplingStrategy,
    make_sampler,
)

__all__ = [
    "SAMPLING_STRATEGIES",
    "CheckedSMOTE",
    "SamplingStrategy",
    "make_lipnet_pipeline",
    "make_sampler",
    "make_svm_pipeline",
]
