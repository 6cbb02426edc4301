"""The classes a model file may hold, by the stable names the file stores.

A model file names every object by a registry name (``"LipNetClassifier"``,
``"StandardScaler"``) and every network by its key in
:data:`~sklearn_lipnet.neural_network.NETWORKS` (``"lipnet4"``), never by an
import path, so moving a module (ours, scikit-learn's or imbalanced-learn's)
does not break the models saved before. Format-1 files, which stored import
paths, are read through :data:`FORMAT_1_NAMES`.
"""

from functools import cache

__all__ = ["FORMAT_1_NAMES", "class_for", "name_of", "network_for", "network_name"]


@cache
def _classes():
    # Imported on first use: the registry names torch-based classes, and
    # importing sklearn_lipnet must not import torch.
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.pipeline import Pipeline
    from imblearn.under_sampling import RandomUnderSampler
    from sklearn.calibration import (
        CalibratedClassifierCV,
        _CalibratedClassifier,
        _SigmoidCalibration,
    )
    from sklearn.ensemble import StackingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import FeatureUnion
    from sklearn.pipeline import Pipeline as SklearnPipeline
    from sklearn.preprocessing import LabelEncoder, StandardScaler
    from sklearn.svm import SVC

    from ..features import ParticleFeatures
    from ..neural_network import Augmentation, LipNetClassifier, LipNetEmbedding
    from ..pipeline import CheckedSMOTE, TunedSVC
    from ..preprocessing import ParticlePreprocessor

    return {
        "LipNetClassifier": LipNetClassifier,
        "LipNetEmbedding": LipNetEmbedding,
        "Augmentation": Augmentation,
        "ParticlePreprocessor": ParticlePreprocessor,
        "ParticleFeatures": ParticleFeatures,
        "Pipeline": Pipeline,
        "SklearnPipeline": SklearnPipeline,
        "FeatureUnion": FeatureUnion,
        "StackingClassifier": StackingClassifier,
        "LogisticRegression": LogisticRegression,
        "StandardScaler": StandardScaler,
        "LabelEncoder": LabelEncoder,
        "SVC": SVC,
        "TunedSVC": TunedSVC,
        "CalibratedClassifierCV": CalibratedClassifierCV,
        "_CalibratedClassifier": _CalibratedClassifier,
        "_SigmoidCalibration": _SigmoidCalibration,
        "StratifiedKFold": StratifiedKFold,
        "RandomOverSampler": RandomOverSampler,
        "SMOTE": SMOTE,
        "CheckedSMOTE": CheckedSMOTE,
        "RandomUnderSampler": RandomUnderSampler,
    }


@cache
def _names():
    return {cls: name for name, cls in _classes().items()}


#: Import paths that format-1 files stored, and the names they stand for.
FORMAT_1_NAMES = {
    "sklearn_lipnet._classifier.LipNetClassifier": "LipNetClassifier",
    "sklearn_lipnet._augmentation.Augmentation": "Augmentation",
    "sklearn_lipnet._preprocessing.ParticlePreprocessor": "ParticlePreprocessor",
    "sklearn_lipnet._particle_features.ParticleFeatures": "ParticleFeatures",
    "sklearn_lipnet._pipelines.CheckedSMOTE": "CheckedSMOTE",
    "sklearn.pipeline.Pipeline": "SklearnPipeline",
    "imblearn.pipeline.Pipeline": "Pipeline",
    "sklearn.preprocessing._data.StandardScaler": "StandardScaler",
    "sklearn.preprocessing._label.LabelEncoder": "LabelEncoder",
    "sklearn.svm._classes.SVC": "SVC",
    "sklearn.calibration.CalibratedClassifierCV": "CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier": "_CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration": "_SigmoidCalibration",
    "sklearn.model_selection._split.StratifiedKFold": "StratifiedKFold",
    "imblearn.over_sampling._random_over_sampler.RandomOverSampler": (
        "RandomOverSampler"
    ),
    "imblearn.over_sampling._smote.base.SMOTE": "SMOTE",
    "imblearn.under_sampling._prototype_selection._random_under_sampler"
    ".RandomUnderSampler": "RandomUnderSampler",
    # Networks, stored by their module path in format 1.
    "sklearn_lipnet.networks.LipNet1": "lipnet1",
    "sklearn_lipnet.networks.LipNet2": "lipnet2",
    "sklearn_lipnet.networks.LipNet4": "lipnet4",
    "sklearn_lipnet.networks.LipNet4c": "lipnet4c",
    "sklearn_lipnet.networks.LipNet6": "lipnet6",
    "sklearn_lipnet.networks.DenseNet": "mlp",
}


def class_for(name):
    """The class a model file names, or a ValueError for any other name."""
    classes = _classes()
    if not isinstance(name, str) or name not in classes:
        raise ValueError(
            f"The model file names class {name!r}, which sklearn-lipnet does not "
            "load (only its own estimators and the scikit-learn and "
            "imbalanced-learn pieces of its pipelines are allowed)."
        )
    return classes[name]


def name_of(obj):
    """The registry name of ``obj``'s exact class, or None."""
    return _names().get(type(obj))


def network_name(module):
    """The name under which a network class is stored."""
    from ..neural_network import NETWORKS

    for name, cls in NETWORKS.items():
        if module is cls:
            return name
    raise ValueError(f"{module!r} is not a network sklearn-lipnet can save.")


def network_for(name):
    """The network class stored under ``name``, or a ValueError."""
    from ..neural_network import NETWORKS

    if not isinstance(name, str) or name not in NETWORKS:
        raise ValueError(f"The model file names an unknown network {name!r}.")
    return NETWORKS[name]
