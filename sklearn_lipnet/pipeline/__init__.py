"""Ready-made pipelines from a particle table to class labels.

:func:`make_lipnet_pipeline` (``ParticlePreprocessor -> [sampler] ->
LipNetClassifier``) and :func:`make_svm_pipeline` (``ParticleFeatures ->
StandardScaler -> TunedSVC``, an SVC whose ``C`` and kernel width an inner
cross-validation chooses) take the same table and labels, so both go through
one ``cross_validate`` call. :func:`make_hybrid_pipeline` trains
one network on the image and the features together, and
:func:`make_stacking_classifier` combines the two pipelines' outputs.
:data:`PIPELINE_AUGMENTATION` and :data:`PIPELINE_WEIGHT_AVERAGING` are the
network's default augmentation and weight averaging there, and
:data:`SAMPLING_STRATEGIES` names the ways of countering class imbalance that
the command line offers.
"""

from ._combined import make_hybrid_pipeline, make_stacking_classifier
from ._factories import (
    PIPELINE_AUGMENTATION,
    PIPELINE_WEIGHT_AVERAGING,
    make_lipnet_pipeline,
    make_svm_pipeline,
)
from ._sampling import (
    SAMPLING_STRATEGIES,
    CheckedSMOTE,
    SamplingStrategy,
    make_sampler,
)
from ._tuned_svc import TunedSVC

__all__ = [
    "PIPELINE_AUGMENTATION",
    "PIPELINE_WEIGHT_AVERAGING",
    "SAMPLING_STRATEGIES",
    "CheckedSMOTE",
    "SamplingStrategy",
    "TunedSVC",
    "make_hybrid_pipeline",
    "make_lipnet_pipeline",
    "make_sampler",
    "make_stacking_classifier",
    "make_svm_pipeline",
]
