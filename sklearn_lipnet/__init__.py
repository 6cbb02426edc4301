"""Classify TEM particle images with small CNNs and the feature SVM.

sklearn-lipnet turns the LipNet convolutional networks and the feature-based
support vector machine of Gryshkevych (Uppsala, 2016) into scikit-learn
estimators for particle cut-outs from transmission electron microscopy.

Subpackages follow the data flow: :mod:`~sklearn_lipnet.datasets` (particle
tables from disk or synthetic, synthetic micrographs),
:mod:`~sklearn_lipnet.detection` (particles found in micrographs),
:mod:`~sklearn_lipnet.segmentation` and
:mod:`~sklearn_lipnet.preprocessing` (masks, the image matrix),
:mod:`~sklearn_lipnet.features` (hand-made features),
:mod:`~sklearn_lipnet.neural_network` (the LipNet classifier),
:mod:`~sklearn_lipnet.pipeline` (ready-made pipelines and imbalance handling),
:mod:`~sklearn_lipnet.metrics` (per-class evaluation),
:mod:`~sklearn_lipnet.experiments` (model comparison and reports),
:mod:`~sklearn_lipnet.inspection` (what a fitted model learned),
:mod:`~sklearn_lipnet.persistence` (safe model files) and
:mod:`~sklearn_lipnet.export` (ONNX files for other runtimes).
"""

from .features import ParticleFeatures
from .preprocessing import ParticlePreprocessor
from .utils._lazy import lazy_attributes

# The names below need PyTorch. They are imported on first use, so that
# processes that only compute features or preprocess images (joblib workers,
# Dask workers running the SVM) do not pay for importing torch.
_TORCH_NAMES = {
    "Augmentation": ".neural_network",
    "LipNetClassifier": ".neural_network",
    "load_model": ".persistence",
    "save_model": ".persistence",
    "make_hybrid_pipeline": ".pipeline",
    "make_lipnet_pipeline": ".pipeline",
    "make_svm_pipeline": ".pipeline",
}


# Particle finding needs no torch; it is imported on first use too, since
# processes that classify cut-outs never need it.
_LAZY_NAMES = {
    **_TORCH_NAMES,
    "ParticleFinder": ".detection",
    "find_particles": ".detection",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY_NAMES)


__version__ = "0.1.0.dev0"

__all__ = [
    "Augmentation",
    "LipNetClassifier",
    "ParticleFeatures",
    "ParticleFinder",
    "ParticlePreprocessor",
    "make_hybrid_pipeline",
    "find_particles",
    "make_lipnet_pipeline",
    "make_svm_pipeline",
    "__version__",
    "load_model",
    "save_model",
]
