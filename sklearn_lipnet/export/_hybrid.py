"""The caller's steps of a hybrid pipeline (``make_hybrid_pipeline``).

The hybrid classifier (``LipNetClassifier(n_image_features=...)``) reads
each row as image columns then feature columns. In
:func:`~sklearn_lipnet.make_hybrid_pipeline` they come from a
``FeatureUnion`` of a ``ParticlePreprocessor`` (the images) and
``ParticleFeatures -> StandardScaler`` (the features). Neither
``ParticlePreprocessor`` nor ``ParticleFeatures`` has an ONNX form, so the
graph takes their two outputs as two inputs, ``images`` and ``features``;
the scaler is arithmetic and goes into the graph. Any other union would
need other arithmetic and is refused by name.
"""

from dataclasses import dataclass

import numpy as np

from ._layers import UnsupportedModelError

__all__ = ["HybridSteps", "hybrid_steps"]

_EXPECTED = (
    "a hybrid LipNetClassifier (n_image_features) can follow only the "
    "FeatureUnion of make_hybrid_pipeline: a ParticlePreprocessor (the image "
    "columns, first) and ParticleFeatures, alone or followed by a "
    "StandardScaler (the feature columns)"
)


@dataclass(frozen=True)
class HybridSteps:
    """The steps before a hybrid classifier, by the graph input they feed.

    Parameters
    ----------
    images : ParticlePreprocessor
        Its output reshaped is the ``images`` input.
    features : ParticleFeatures
        Its output is the ``features`` input.
    scaler : StandardScaler or None
        Applied to the features in the graph.
    """

    images: object
    features: object
    scaler: object = None

    def scaler_constants(self):
        """``(mean or None, scale or None)`` of the scaler, or None."""
        if self.scaler is None:
            return None
        scaler = self.scaler
        mean = np.asarray(scaler.mean_, dtype=np.float64) if scaler.with_mean else None
        scale = np.asarray(scaler.scale_, dtype=np.float64) if scaler.with_std else None
        return mean, scale

    def check_widths(self, clf):
        """Check that the fitted steps' outputs are the classifier's columns."""
        n_image = clf.n_image_features
        n_features = clf.input_shape_[0] - n_image
        size = self.images.size
        if size * size != n_image:
            raise UnsupportedModelError(
                f"The pipeline's ParticlePreprocessor makes {size} x {size} "
                f"images, but its classifier reads n_image_features={n_image} "
                "image columns."
            )
        if self.features.n_features_out_ != n_features:
            raise UnsupportedModelError(
                f"The pipeline's ParticleFeatures computes "
                f"{self.features.n_features_out_} features, but its classifier "
                f"reads {n_features} feature columns."
            )


def _active(steps):
    return [
        (name, step)
        for name, step in steps
        if step not in (None, "drop", "passthrough")
    ]


def _describe(step):
    return step if isinstance(step, str) else type(step).__name__


def _feature_steps(part):
    """``(ParticleFeatures, StandardScaler or None)`` of the union's 2nd part."""
    from sklearn.preprocessing import StandardScaler

    from ..features import ParticleFeatures

    steps = _active(part.steps) if hasattr(part, "steps") else [("", part)]
    names = [_describe(step) for _, step in steps]
    if not steps or not isinstance(steps[0][1], ParticleFeatures):
        raise UnsupportedModelError(
            f"{_EXPECTED}; its feature part is {' -> '.join(names) or 'empty'}."
        )
    if len(steps) == 1:
        return steps[0][1], None
    # Exact type: a subclass may transform otherwise.
    if len(steps) == 2 and type(steps[1][1]) is StandardScaler:
        return steps[0][1], steps[1][1]
    raise UnsupportedModelError(
        f"{_EXPECTED}; its feature part is {' -> '.join(names)}, whose steps "
        "after ParticleFeatures have no ONNX form here."
    )


def hybrid_steps(preprocessing):
    """The steps before a hybrid classifier, checked.

    Parameters
    ----------
    preprocessing : list of (str, estimator)
        The pipeline's steps before the classifier that act at prediction
        time (samplers left out); empty for a bare classifier.

    Returns
    -------
    steps : HybridSteps or None
        None for a bare classifier.

    Raises
    ------
    UnsupportedModelError
        For anything but make_hybrid_pipeline's FeatureUnion.
    """
    from sklearn.pipeline import FeatureUnion

    from ..preprocessing import ParticlePreprocessor

    if not preprocessing:
        return None
    names = " -> ".join(_describe(step) for _, step in preprocessing)
    if len(preprocessing) != 1 or type(preprocessing[0][1]) is not FeatureUnion:
        raise UnsupportedModelError(f"{_EXPECTED}; this pipeline has {names}.")
    union = preprocessing[0][1]
    if union.transformer_weights:
        raise UnsupportedModelError(
            f"{_EXPECTED}; this FeatureUnion has transformer_weights="
            f"{union.transformer_weights!r}, which the graph does not apply."
        )
    parts = _active(union.transformer_list)
    kinds = [_describe(part) for _, part in parts]
    if len(parts) != 2 or not isinstance(parts[0][1], ParticlePreprocessor):
        raise UnsupportedModelError(
            f"{_EXPECTED}; this FeatureUnion joins {', '.join(kinds) or 'nothing'}."
        )
    features, scaler = _feature_steps(parts[1][1])
    return HybridSteps(images=parts[0][1], features=features, scaler=scaler)
