"""LipNetEmbedding: what a trained LipNet learned, as features for another model."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils.validation import check_is_fitted

from ._classifier import LipNetClassifier

__all__ = ["LipNetEmbedding"]


class LipNetEmbedding(TransformerMixin, BaseEstimator):
    """Train a LipNet, then transform to its penultimate-layer features.

    The thesis proposes that features a CNN learns "can be added to the SVM
    pipeline" (section 10). In ``fit`` this step trains a clone of
    ``classifier`` on ``(X, y)``; ``transform`` returns, for every sample,
    the activations that the network's last layer classifies (see
    :meth:`~sklearn_lipnet.neural_network.LipNet.embed`): the hidden dense
    layer's ``dense_units`` values, or LipNet-4c's ``conv_channels``
    averaged channels. Put it after a
    :class:`~sklearn_lipnet.ParticlePreprocessor` and before a scaler and an
    ``SVC``, or next to :class:`~sklearn_lipnet.ParticleFeatures` in a
    ``FeatureUnion``.

    Parameters
    ----------
    classifier : LipNetClassifier or None, default=None
        The network to train (cloned in ``fit``); ``None`` is
        ``LipNetClassifier()``. Grid-search its parameters as
        ``classifier__lr``, ``classifier__module__dense_units``, ...

    Attributes
    ----------
    classifier_ : LipNetClassifier
        The trained network.
    n_features_in_ : int
        Width of ``X`` seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it was a DataFrame with string columns.
    n_features_out_ : int
        Number of embedding features.

    See Also
    --------
    sklearn_lipnet.LipNetClassifier : The network.
    sklearn.ensemble.StackingClassifier : Combining the predictions of the
        LipNet and the SVM instead of their features.

    Notes
    -----
    The embedding of the training data comes from the network that was
    trained on them, so it separates the training classes better than it
    will separate new data; a model fitted on it (the SVM) sees optimistic
    features. Cross-validate the whole pipeline to measure it.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.svm import SVC
    >>> from sklearn_lipnet import LipNetClassifier
    >>> from sklearn_lipnet.neural_network import LipNetEmbedding
    >>> X, y = load_digits(return_X_y=True)
    >>> embedding = LipNetEmbedding(LipNetClassifier(max_epochs=2, random_state=0))
    >>> embedding.fit_transform(X[:200], y[:200]).shape
    (200, 128)
    >>> model = make_pipeline(embedding, StandardScaler(), SVC())
    >>> model.fit(X[:200], y[:200]).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {"classifier": [LipNetClassifier, None]}

    def __init__(self, classifier=None):
        self.classifier = classifier

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Train the network on ``X`` and ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            What the classifier takes: the image matrix, image stacks or
            features.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : LipNetEmbedding
            The fitted transformer.
        """
        classifier = (
            LipNetClassifier() if self.classifier is None else clone(self.classifier)
        )
        self.classifier_ = classifier.fit(X, y)
        self.n_features_in_ = classifier.n_features_in_
        if hasattr(classifier, "feature_names_in_"):
            self.feature_names_in_ = classifier.feature_names_in_
        first = X.iloc[:1] if hasattr(X, "iloc") else np.asarray(X)[:1]
        self.n_features_out_ = classifier._embed(first).shape[1]
        return self

    def transform(self, X):
        """The trained network's penultimate-layer features of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Samples shaped like the training ``X``.

        Returns
        -------
        X_embedded : ndarray of shape (n_samples, n_features_out_)
            float64 activations.
        """
        check_is_fitted(self, "classifier_")
        return self.classifier_._embed(X)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``lipnetembedding<k>``.

        Parameters
        ----------
        input_features : ignored
            Present for the scikit-learn API.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_features_out_")
        return np.asarray(
            [f"lipnetembedding{k}" for k in range(self.n_features_out_)], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = False
        return tags
