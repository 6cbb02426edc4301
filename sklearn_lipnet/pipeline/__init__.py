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

from ..utils._lazy import lazy_attributes
from ._sampling import (
    SAMPLING_STRATEGIES,
    CheckedSMOTE,
    SamplingStrategy,
    make_sampler,
)
from ._tuned_svc import TunedSVC

# The factories need PyTorch (the network's pipelines); they are imported on
# first use, so that a worker process that unpickles a fitted SVM pipeline
# (parallel folds, Dask) does not import torch for it. joblib takes the
# memory such an import adds after a worker's first task for a leak, and
# restarts the worker.
_TORCH_NAMES = {
    "PIPELINE_AUGMENTATION": "._factories",
    "PIPELINE_WEIGHT_AVERAGING": "._factories",
    "make_lipnet_pipeline": "._factories",
    "make_svm_pipeline": "._factories",
    "make_hybrid_pipeline": "._combined",
    "make_stacking_classifier": "._combined",
}


__getattr__, __dir__ = lazy_attributes(__name__, _TORCH_NAMES)


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
