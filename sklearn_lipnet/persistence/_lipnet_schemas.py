"""Schemas of sklearn-lipnet's own classes in a model file.

See :mod:`._schema` for what a schema checks.
"""

import numpy as np

from ._checks import (
    Array,
    Bool,
    Classes,
    FeatureNames,
    Float,
    Int,
    ListOf,
    Optional,
    Str,
    TupleOf,
    describe,
    fail,
)
from ._registry import name_of
from ._schema import MAX_BINS, MAX_FEATURES, MAX_IMAGE_SIDE, Schema, estimator_check

__all__ = ["lipnet_schemas"]


_AUGMENTATION = Schema(
    fitted={},
    optional={
        "rotation": Float(0),
        "shear": Float(0),
        "shift": Float(0),
        "zoom": lambda value, where: (
            None
            if value is None
            else TupleOf(Float(0, positive=True), 2, 2)(
                tuple(value) if isinstance(value, list) else value, where
            )
        ),
        "horizontal_flip": Bool(),
        "vertical_flip": Bool(),
        "blur": Float(0),
        "noise": Float(0),
    },
    params=None,
)


_PREPROCESSOR = Schema(
    fitted={"mode_": Str({"surrounding", "cropped", "masked"})},
    # Files from before fixed scales lack canvas_nm_.
    optional={"canvas_nm_": Optional(Float(0, 10**7, positive=True))},
    params={"size": Int(2, MAX_IMAGE_SIDE)},
    resets={"n_jobs": None},
)


def _embedding_consistent(state, where):
    classifier = state["classifier_"]
    if name_of(classifier) != "LipNetClassifier" or not hasattr(classifier, "net_"):
        fail(f"{where}.classifier_", "is not a fitted LipNetClassifier.")
    if state["n_features_in_"] != classifier.n_features_in_:
        fail(f"{where}.n_features_in_", "differs from the classifier's.")
    # The embedding's width, from one blank sample of the classifier's input.
    blank = np.zeros((1, *classifier.input_shape_), dtype=np.float32)
    width = int(classifier._embed(blank).shape[1])
    if state["n_features_out_"] != width:
        fail(f"{where}.n_features_out_", f"is not the embedding's width {width}.")


_EMBEDDING = Schema(
    fitted={
        "classifier_": estimator_check("fit", "predict_proba"),
        "n_features_in_": Int(1, MAX_FEATURES),
        "n_features_out_": Int(1, MAX_FEATURES),
    },
    optional={"feature_names_in_": FeatureNames()},
    consistent=_embedding_consistent,
)


def _intensity_range(value, where):
    if isinstance(value, str):
        return Str({"percentile", "dtype"})(value, where)
    low, high = TupleOf(Float(), 2, 2)(
        tuple(value) if isinstance(value, list) else value, where
    )
    if not low < high:
        fail(where, f"({low}, {high}) is not a range.")
    return value


def _settings(value, where):
    if not isinstance(value, dict) or set(value) != {
        "n_histogram_bins",
        "n_profile_bins",
        "edge_profile_depth",
        "intensity_range",
    }:
        fail(where, f"expected the four feature settings, got {describe(value)}.")
    return {
        "n_histogram_bins": Int(1, MAX_BINS)(value["n_histogram_bins"], where),
        "n_profile_bins": Int(1, MAX_BINS)(value["n_profile_bins"], where),
        "edge_profile_depth": Optional(Float(1))(value["edge_profile_depth"], where),
        "intensity_range": _intensity_range(value["intensity_range"], where),
    }


def _features_consistent(state, where):
    from ..features._description import FeatureSpec

    features = state["features_"]
    if not features or len(set(features)) != len(features):
        fail(f"{where}.features_", "must name distinct features.")
    settings = dict(state["_settings"])
    if not isinstance(settings["intensity_range"], str):
        settings["intensity_range"] = tuple(settings["intensity_range"])
    names = FeatureSpec(features=tuple(features), **settings).column_names()
    if list(state["_feature_names_out"]) != names:
        fail(f"{where}._feature_names_out", "does not match the features.")
    if state["n_features_out_"] != len(names):
        fail(f"{where}.n_features_out_", f"is not {len(names)}.")


def _particle_features():
    from ..features import FEATURE_NAMES

    return Schema(
        fitted={
            "features_": TupleOf(Str(FEATURE_NAMES), 1, len(FEATURE_NAMES)),
            "_settings": _settings,
            "_feature_names_out": ListOf(Str(), 1, MAX_FEATURES),
            "n_features_out_": Int(1, MAX_FEATURES),
        },
        params={
            "n_histogram_bins": Int(1, MAX_BINS),
            "n_profile_bins": Int(1, MAX_BINS),
            "intensity_range": _intensity_range,
        },
        resets={"n_jobs": None},
        consistent=_features_consistent,
    )


def _lipnet():
    from ._network import lipnet_consistent, lipnet_routed

    return Schema(
        fitted={
            "classes_": Classes(),
            "n_features_in_": Int(1, MAX_FEATURES),
            "input_shape_": TupleOf(Int(1, MAX_FEATURES), 1, 3),
            "input_layout_": Str({"image", "features", "image+features"}),
            "_network_input_size": Int(1, MAX_IMAGE_SIDE),
            "_scaling": _scaling,
        },
        optional={"feature_names_in_": FeatureNames()},
        params={"batch_size": Int(1, 2**20), "augment": _augment},
        # Whether (and how hard) to run the compiler is the caller's choice.
        resets={"compile": False},
        consistent=lipnet_consistent,
        dynamic=lipnet_routed,
    )


def _scaling(value, where):
    """Mean and scale of the input; for the hybrid, of its image and features."""
    pair = TupleOf(Array(np.float64, ndim=1), 2, 2)
    if isinstance(value, dict):
        if set(value) != {"image", "features"}:
            fail(
                where,
                f"expected the image's and the features' scaling, got {sorted(value)}.",
            )
        return {key: pair(part, f"{where}.{key}") for key, part in value.items()}
    return pair(value, where)


def _augment(value, where):
    from ..neural_network import Augmentation

    if isinstance(value, dict):
        try:
            Augmentation.from_param(value, name=where)
        except (TypeError, ValueError) as exc:
            fail(where, str(exc))
    return value


def _searched(value, where):
    """The values a TunedSVC searches: positive, finite, a few."""
    if isinstance(value, list):
        value = tuple(value)
    return TupleOf(Float(0, positive=True), 1, 100)(value, where)


def _tuned_svc_consistent(state, where):
    svc = state["svc_"]
    if not np.array_equal(svc.classes_, state["classes_"]):
        fail(f"{where}.svc_", "predicts other classes than classes_.")
    if svc.n_features_in_ != state["n_features_in_"]:
        fail(
            f"{where}.svc_",
            f"takes {svc.n_features_in_} features, n_features_in_ is "
            f"{state['n_features_in_']}.",
        )
    if svc.C != state["C_"] or svc.gamma != state["gamma_"]:
        fail(f"{where}.svc_", "was not fitted with C_ and gamma_.")
    scores = state["search_scores_"]
    shape = (len(state["Cs"]), len(state["gamma_factors"]))
    if scores is not None and scores.shape != shape:
        fail(
            f"{where}.search_scores_",
            f"has shape {scores.shape}, but Cs and gamma_factors say {shape}.",
        )


def _tuned_svc():
    from sklearn.svm import SVC

    def svc(value, where):
        if type(value) is not SVC:
            fail(where, f"expected a fitted SVC, got {describe(value)}.")
        return value

    return Schema(
        fitted={
            "C_": Float(0, positive=True),
            "gamma_": Float(0, positive=True),
            # NaN where a linear kernel leaves the width unsearched.
            "search_scores_": Optional(Array(np.float64, ndim=2, finite=False)),
            "svc_": svc,
            "classes_": Classes(),
            "n_features_in_": Int(1, MAX_FEATURES),
        },
        optional={"feature_names_in_": FeatureNames()},
        params={
            "Cs": _searched,
            "gamma_factors": _searched,
            "cv": Int(2, 1000),
            "max_search_samples": Int(10, 2**31 - 1),
        },
        consistent=_tuned_svc_consistent,
    )


def lipnet_schemas():
    """The schemas of our classes by registry name (built on first use:
    they import the classes' modules)."""
    return {
        "LipNetClassifier": _lipnet(),
        "Augmentation": _AUGMENTATION,
        "ParticlePreprocessor": _PREPROCESSOR,
        "LipNetEmbedding": _EMBEDDING,
        "ParticleFeatures": _particle_features(),
        "TunedSVC": _tuned_svc(),
    }
