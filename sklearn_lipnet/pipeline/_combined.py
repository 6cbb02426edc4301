"""Models that combine the CNN and the hand-made features.

:func:`make_hybrid_pipeline` trains one network on the image and the
feature vector together; :func:`make_stacking_classifier` trains a LipNet
pipeline and the feature SVM side by side and a small model on their outputs.
"""

from numbers import Integral

from sklearn.base import clone
from sklearn.ensemble import StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion
from sklearn.pipeline import Pipeline as SklearnPipeline
from sklearn.preprocessing import StandardScaler

from ..features import ParticleFeatures
from ..neural_network import LipNetClassifier
from ..preprocessing import ParticlePreprocessor
from ._factories import (
    _network_input_size,
    make_lipnet_pipeline,
    make_svm_pipeline,
    sampled_pipeline,
)

__all__ = ["make_hybrid_pipeline", "make_stacking_classifier"]


def _feature_step(features, n_jobs):
    if isinstance(features, ParticleFeatures):
        step = clone(features)
        if n_jobs is not None:
            step.set_params(n_jobs=n_jobs)
        return step
    return ParticleFeatures(features=features, n_jobs=n_jobs)


def make_hybrid_pipeline(
    architecture="lipnet4",
    *,
    features="auto",
    mode="auto",
    size=None,
    scale="fit",
    canvas_nm=None,
    pixel_size_nm=None,
    sampler=None,
    augment=True,
    balance="oversample",
    max_epochs="auto",
    batch_size=32,
    device="auto",
    verbose=0,
    random_state=None,
    n_jobs=None,
    memory=None,
    **classifier_params,
):
    """One network on the particle image and its hand-made features together.

    The combined model of the thesis's code: the image goes through a
    LipNet's convolutional part and hidden layer, the standardised
    :class:`~sklearn_lipnet.ParticleFeatures` vector through a dense layer,
    and the two are joined before the last layer and trained end to end
    (:class:`~sklearn_lipnet.neural_network.HybridLipNet`), with the
    classifier's per-epoch balancing, augmentation of the image (never of
    the features), validation split and early stopping.

    The steps keep the data a 2-D matrix, so samplers fit between them:
    ``union`` (a ``FeatureUnion`` of ``images``, a
    :class:`~sklearn_lipnet.ParticlePreprocessor`, and ``features``,
    ``ParticleFeatures -> StandardScaler``) emits ``[image pixels |
    standardised features]`` per particle, and the ``hybrid``
    :class:`~sklearn_lipnet.LipNetClassifier` is told with
    ``n_image_features`` where the image ends.

    Parameters
    ----------
    architecture : {"lipnet1", "lipnet2", "lipnet4", "lipnet4c", "lipnet6"}, \
            default="lipnet4"
        The LipNet of the image branch.
    features : "auto", "thesis", "all", "mask_free", list of str or \
            ParticleFeatures, default="auto"
        The features of the feature branch, as in :func:`make_svm_pipeline`:
        ``"auto"`` is the thesis's set where every training particle has an
        expert mask, and adds the features that need no mask, with every
        automatic mask checked, where some have none (measured in
        ``docs/real_data.md``).
    mode : {"auto", "surrounding", "cropped", "masked"}, default="auto"
        Input mode of the images (see
        :class:`~sklearn_lipnet.ParticlePreprocessor`).
    size : int, default=None
        Side of the images; ``None`` is the network's input size (see
        :func:`make_lipnet_pipeline`).
    scale : {"fit", "fixed"}, default="fit"
        Image scale (see :func:`make_lipnet_pipeline`).
    canvas_nm : float or None, default=None
        Canvas side in nanometres for ``scale="fixed"``.
    pixel_size_nm : float or None, default=None
        Pixel size for ``scale="fixed"`` where the table has none.
    sampler : None, "oversample", "smote" or sampler, default=None
        Resampling of the joined matrix before the network.
    augment, balance, max_epochs, batch_size, device, verbose
        Passed to :class:`~sklearn_lipnet.LipNetClassifier`.
    random_state : int or None, default=None
        Seeds the classifier and the sampler.
    n_jobs : int, default=None
        Parallel jobs of the preprocessing and the features.
    memory : str or object with the joblib.Memory interface, default=None
        Caches the joined matrix across fits (a grid search over the
        network then computes the features once per training set).
    **classifier_params
        Further ``LipNetClassifier`` parameters: ``lr``, ``train_split``,
        ``module__dense_units`` (image branch width),
        ``module__feature_units`` (feature branch width, default 32), ...

    Returns
    -------
    pipeline : imblearn.pipeline.Pipeline
        Steps ``union``, ``sampler`` (when there is one) and ``hybrid``;
        grid-search the branch widths as ``hybrid__module__dense_units`` and
        ``hybrid__module__feature_units``.

    See Also
    --------
    make_lipnet_pipeline : the image alone.
    make_svm_pipeline : the features alone.
    make_stacking_classifier : the two models side by side.

    Examples
    --------
    >>> from sklearn_lipnet import make_hybrid_pipeline
    >>> from sklearn_lipnet.datasets import make_liposomes
    >>> table, y = make_liposomes(40, weights=[0.5, 0.4, 0.1], random_state=0)
    >>> hybrid = make_hybrid_pipeline(max_epochs=2, random_state=0)
    >>> [name for name, _ in hybrid.steps]
    ['union', 'hybrid']
    >>> hybrid.fit(table, y).predict_proba(table[:2]).shape
    (2, 3)
    >>> hybrid.named_steps["hybrid"].module_.feature_branch[0].in_features
    55
    """
    size = _network_input_size(architecture, size, classifier_params)
    images = ParticlePreprocessor(
        mode=mode,
        size=size,
        scale=scale,
        canvas_nm=canvas_nm,
        pixel_size_nm=pixel_size_nm,
        n_jobs=n_jobs,
    )
    feature_steps = SklearnPipeline(
        [("features", _feature_step(features, n_jobs)), ("scaler", StandardScaler())]
    )
    union = FeatureUnion([("images", images), ("features", feature_steps)])
    classifier = LipNetClassifier(
        architecture,
        n_image_features=size * size,
        augment=augment,
        balance=balance,
        max_epochs=max_epochs,
        batch_size=batch_size,
        device=device,
        random_state=random_state,
        verbose=verbose,
        **classifier_params,
    )
    return sampled_pipeline(
        [("union", union)],
        ("hybrid", classifier),
        sampler=sampler,
        random_state=random_state,
        memory=memory,
    )


def make_stacking_classifier(
    lipnet=None,
    svm=None,
    *,
    final_estimator=None,
    cv=3,
    random_state=None,
    n_jobs=None,
):
    """LipNet and the feature SVM, combined by a model of their outputs.

    A :class:`sklearn.ensemble.StackingClassifier`: the LipNet pipeline's
    class probabilities and the SVM's decision values, predicted on
    held-out folds of the training data, are the input of a class-balanced
    logistic regression; at ``predict`` time both models (refitted on all
    the training data) feed it. Both take the particle table, so the whole
    thing does too. Training costs ``cv + 1`` fits of each model.

    Parameters
    ----------
    lipnet : estimator or None, default=None
        The CNN pipeline (cloned); ``None`` is
        ``make_lipnet_pipeline(random_state=random_state)``.
    svm : estimator or None, default=None
        The feature pipeline (cloned); ``None`` is
        ``make_svm_pipeline(random_state=random_state)``.
    final_estimator : classifier or None, default=None
        The model of their outputs (cloned); ``None`` is
        ``LogisticRegression(class_weight="balanced", max_iter=1000)``.
    cv : int or cross-validation generator, default=3
        Folds that produce the held-out outputs; an int ``k`` is
        ``StratifiedKFold(k)``, shuffled with ``random_state`` when it is
        given.
    random_state : int or None, default=None
        Seeds the default models and the folds.
    n_jobs : int, default=None
        Base models fitted in parallel.

    Returns
    -------
    stacking : sklearn.ensemble.StackingClassifier
        Estimators ``lipnet`` and ``svm``; grid-search them as
        ``lipnet__lipnet__lr`` or ``svm__svc__C``.

    See Also
    --------
    make_hybrid_pipeline : one network on both inputs.
    sklearn_lipnet.neural_network.LipNetEmbedding : the CNN's learned
        features as input of the SVM.

    Examples
    --------
    >>> from sklearn_lipnet import make_lipnet_pipeline
    >>> from sklearn_lipnet.datasets import make_liposomes
    >>> from sklearn_lipnet.pipeline import make_stacking_classifier
    >>> table, y = make_liposomes(60, weights=[0.5, 0.4, 0.1], random_state=0)
    >>> stacking = make_stacking_classifier(
    ...     make_lipnet_pipeline(max_epochs=2, random_state=0), cv=2, random_state=0)
    >>> stacking.fit(table, y).predict_proba(table[:2]).shape
    (2, 3)
    >>> stacking.stack_method_
    ['predict_proba', 'decision_function']
    """
    lipnet = (
        make_lipnet_pipeline(random_state=random_state)
        if lipnet is None
        else clone(lipnet)
    )
    svm = make_svm_pipeline(random_state=random_state) if svm is None else clone(svm)
    final = (
        LogisticRegression(class_weight="balanced", max_iter=1000)
        if final_estimator is None
        else clone(final_estimator)
    )
    if isinstance(cv, Integral):
        shuffle = random_state is not None
        cv = StratifiedKFold(
            cv, shuffle=shuffle, random_state=random_state if shuffle else None
        )
    return StackingClassifier(
        [("lipnet", lipnet), ("svm", svm)],
        final_estimator=final,
        cv=cv,
        n_jobs=n_jobs,
    )
