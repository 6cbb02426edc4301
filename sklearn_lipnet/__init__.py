"""Classify TEM particle images with small CNNs and the feature SVM.

sklearn-lipnet turns the LipNet convolutional networks and the feature-based
support vector machine of Gryshkevych (Uppsala, 2016) into scikit-learn
estimators for particle cut-outs from transmission electron microscopy.
"""

from ._augmentation import Augmentation
from ._classifier import LipNetClassifier
from ._particle_features import ParticleFeatures
from ._persistence import load_model, save_model
from ._pipelines import make_lipnet_pipeline, make_svm_pipeline
from ._preprocessing import ParticlePreprocessor

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
