"""What a fitted LipNet learned, and what the feature SVM relies on.

Named after :mod:`sklearn.inspection`. For a fitted
:class:`~sklearn_lipnet.LipNetClassifier`, or a fitted pipeline ending in
one: the convolution kernels (:func:`plot_filters`, the thesis's figure 14)
and feature maps (:func:`plot_activations`, figure 15); saliency maps by five
methods, among them the deconvolutional network the thesis describes in
section 4.4 but could not run (:func:`saliency_maps`, :func:`plot_saliency`);
the penultimate layer's features and a map of them (:func:`embed`,
:func:`plot_embedding`); and the most confidently misclassified particles
(:func:`plot_misclassified`). For the feature SVM: permutation importance of
the hand-made feature families, per class (:func:`feature_importance`,
:func:`plot_feature_importance`). :func:`make_spot_images` and
:func:`localisation_score` check a saliency method against a known answer.

Every ``plot_*`` function returns a :class:`matplotlib.figure.Figure` built
without pyplot, so nothing is drawn into a global state or a window.
"""

from ._embedding import PROJECTIONS, embed, plot_embedding
from ._feature_importance import GROUPINGS, feature_importance, plot_feature_importance
from ._localisation import SPOT_CLASSES, localisation_score, make_spot_images
from ._misclassified import plot_misclassified
from ._network_plots import plot_activations, plot_filters
from ._saliency import METHODS, saliency_maps
from ._saliency_plot import plot_saliency

__all__ = [
    "GROUPINGS",
    "METHODS",
    "PROJECTIONS",
    "SPOT_CLASSES",
    "embed",
    "feature_importance",
    "localisation_score",
    "make_spot_images",
    "plot_activations",
    "plot_embedding",
    "plot_feature_importance",
    "plot_filters",
    "plot_misclassified",
    "plot_saliency",
    "saliency_maps",
]
