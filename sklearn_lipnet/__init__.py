"""Classify TEM particle images with small CNNs and the feature SVM.

sklearn-lipnet turns the LipNet convolutional networks and the feature-based
support vector machine of Gryshkevych (Uppsala, 2016) into scikit-learn
estimators for particle cut-outs from transmission electron microscopy.
"""

import importlib

from ._particle_features import ParticleFeatures
from ._preprocessing import ParticlePreprocessor

# The names below need PyTorch. They are imported on first use, so that
# processes that only compute features or preprocess images (joblib workers,
# Dask workers running the SVM) do not pay for importing torch.
_TORCH_NAMES = {
    "Augmentation": "._augmentation",
    "LipNetClassifier": "._classifier",
    "load_model": "._persistence",
    "save_model": "._persistence",
    "make_lipnet_pipeline": "._pipelines",
    "make_svm_pipeline": "._pipelines",
}


def __getattr__(name):
    if name in _TORCH_NAMES:
        return getattr(importlib.import_module(_TORCH_NAMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_TORCH_NAMES))


__version__ = "0.1.0.dev0"

__all__ = [
    "Augmentation",
    "LipNetClassifier",
    "ParticleFeatures",
    "ParticlePreprocessor",
    "make_lipnet_pipeline",
    "make_svm_pipeline",
    "__version__",
    "load_model",
    "save_model",
]
