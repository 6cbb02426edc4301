"""Ready-made pipelines from a particle table to class labels."""

import inspect
import numbers

from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from ..features import ParticleFeatures
from ..neural_network import ARCHITECTURES, Augmentation, LipNetClassifier
from ..preprocessing import ParticlePreprocessor
from ._sampling import make_sampler
from ._tuned_svc import TunedSVC

__all__ = [
    "PIPELINE_AUGMENTATION",
    "PIPELINE_WEIGHT_AVERAGING",
    "make_lipnet_pipeline",
    "make_svm_pipeline",
]

#: ``make_lipnet_pipeline``'s augmentation: the thesis's rotations, shear,
#: shifts, zoom and flips, and Gaussian noise of up to half the images'
#: standard deviation, for the dose that changes between micrographs. On
#: small, noisy cut-outs without masks the network on images alone then beat
#: the ten-line baselines clearly, where with the thesis's augmentation it
#: did not, and on large clean ones it scored as before; blur on top helped
#: on the first and cost on the second (benchmarks/results/real_data.md).
PIPELINE_AUGMENTATION = Augmentation(noise=0.5)

#: ``make_lipnet_pipeline``'s weight averaging: the decay of the moving
#: average of the weights the network ends with (about the last 200
#: updates). On small, noisy cut-outs without masks the network then beat
#: the ten-line baselines clearly with every seed tried (three, both
#: problems; 5 of 6 with the last weights), gaining most on encapsulation,
#: and scored as well or better on large clean ones
#: (benchmarks/results/real_data.md).
PIPELINE_WEIGHT_AVERAGING = 0.995


def make_svm_pipeline(
    features="auto",
    *,
    sampler=None,
    C="cv",
    kernel="rbf",
    gamma="scale",
    probability=False,
    random_state=None,
    n_jobs=None,
    memory=None,
    verbose=False,
):
    """The thesis's feature SVM as one pipeline, from particle table to labels.

    ``ParticleFeatures -> StandardScaler -> SVC`` with class weights
    inversely proportional to the class frequencies
    (``class_weight="balanced"``), as in the thesis (section 8.4), where the
    training sets were not resampled. By default the SVC's ``C`` and kernel
    width are chosen in every ``fit`` by an inner cross-validation
    (:class:`~sklearn_lipnet.pipeline.TunedSVC`): the thesis's fixed
    ``C=1`` lost to a ten-line baseline on real vesicles with a rare class,
    where the search beat both baselines, and the search scored as well or
    better on every synthetic set measured (``docs/real_data.md``). The
    pipeline takes a particle table
    (or a sequence of images) and any labels, strings included, so it sits
    in the same ``cross_validate`` or ``GridSearchCV`` call as a
    :class:`~sklearn_lipnet.LipNetClassifier` pipeline.

    Parameters
    ----------
    features : "auto", "thesis", "all", "mask_free", list of str or \
            ParticleFeatures, default="auto"
        The features: a preset or list of names for
        :class:`~sklearn_lipnet.ParticleFeatures`, or a configured instance
        (cloned). ``"thesis"`` is the thesis's set: area, circularity,
        moments, edge profile, histogram, internal variance. ``"auto"``
        (decided in ``fit``) is the thesis's set where every particle has an
        expert mask, and otherwise adds the features that need no mask and
        checks every automatic mask (``"mask_trusted"``), which holds up on
        small, noisy cut-outs without masks (see ``docs/real_data.md``).
    sampler : None, "oversample", "smote" or sampler, default=None
        How to rebalance each training set before the SVC: not at all (the
        thesis's set-up; the class weights already balance the classes),
        random oversampling of the minority classes
        (:class:`imblearn.over_sampling.RandomOverSampler`),
        :class:`imblearn.over_sampling.SMOTE` (needs at least 6 particles of
        every class in each training set with its default 5 neighbours), or
        any imbalanced-learn sampler (cloned). Samplers only act in ``fit``,
        never on the data being predicted.
    C : float or "cv", default="cv"
        Regularisation of the SVC. ``"cv"`` chooses it, with the kernel
        width (``gamma`` times 1, 0.3 or 0.1), from 0.1, 0.3, 1, 3 and 10 by
        stratified 5-fold cross-validation of balanced accuracy on the
        training set; the last step is then a
        :class:`~sklearn_lipnet.pipeline.TunedSVC`, which also holds the
        sampler (resampling the training part of each inner fold only). A
        number fixes ``C`` (``1.0`` is the thesis's set-up) and the last
        steps are ``sampler`` (when there is one) and a plain ``SVC``.
    kernel : str, default="rbf"
        SVC kernel.
    gamma : "scale", "auto" or float, default="scale"
        RBF kernel coefficient (with ``C="cv"``, the widest searched).
    probability : bool, default=False
        Whether the pipeline has ``predict_proba``. The SVC is then wrapped
        in :class:`sklearn.calibration.CalibratedClassifierCV` (sigmoid,
        5-fold, ``ensemble=False``), which is Platt scaling like libsvm's
        ``probability=True`` (deprecated in scikit-learn 1.9). The sampler
        goes inside the calibration so that the calibration folds never
        contain copies of their own training particles.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampler; with the same seed, the same pipeline.
    n_jobs : int, default=None
        Parallel jobs of the feature extraction (see ``ParticleFeatures``).
    memory : str or object with the joblib.Memory interface, default=None
        Caches the fitted features and scaler (``Pipeline(memory=...)``),
        which saves recomputing features in a grid search over ``C``.
    verbose : bool, default=False
        Print the time each step takes.

    Returns
    -------
    pipeline : imblearn.pipeline.Pipeline
        Steps ``features``, ``scaler`` and ``svc`` (a ``TunedSVC``; its
        choice is ``svc.C_`` and ``svc.gamma_``). With a fixed ``C``:
        ``features``, ``scaler``, ``sampler`` (when there is one) and
        ``svc`` (an ``SVC``); grid-search it as ``svc__C``. With
        ``probability=True`` the last step is one ``calibrated`` step
        holding the ``TunedSVC``, or with a fixed ``C`` a pipeline of
        ``sampler`` (if any) and ``svc``: the SVC is then
        ``calibrated__estimator__svc__C``.

    See Also
    --------
    sklearn_lipnet.ParticleFeatures : the features.
    make_lipnet_pipeline : the CNN counterpart.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_lipnet import make_svm_pipeline
    >>> rng = np.random.default_rng(0)
    >>> rows, cols = np.mgrid[:90, :90]
    >>> radius = np.hypot(rows - 45, cols - 45)
    >>> def particle(n_membranes):
    ...     image = 200 + 10 * rng.standard_normal((90, 90))
    ...     for k in range(n_membranes):
    ...         image[np.abs(radius - 30 + 5 * k) < 1.5] -= 90
    ...     return image
    >>> y = ["unilamellar"] * 12 + ["multilamellar"] * 6
    >>> table = pd.DataFrame({
    ...     "image": [particle(1 if c == "unilamellar" else 2) for c in y],
    ...     "mask": [radius <= 31] * len(y)})
    >>> svm = make_svm_pipeline(random_state=0)
    >>> [name for name, _ in svm.steps]
    ['features', 'scaler', 'svc']
    >>> svm.fit(table, y).predict(table.iloc[[0, -1]]).tolist()
    ['unilamellar', 'multilamellar']
    >>> thesis = make_svm_pipeline(sampler="oversample", C=1.0, random_state=0)
    >>> [name for name, _ in thesis.steps]
    ['features', 'scaler', 'sampler', 'svc']
    """
    if isinstance(features, ParticleFeatures):
        feature_step = clone(features)
        if n_jobs is not None:
            feature_step.set_params(n_jobs=n_jobs)
    else:
        feature_step = ParticleFeatures(features=features, n_jobs=n_jobs)
    if not isinstance(probability, bool | numbers.Integral):
        raise ValueError(f"probability must be True or False, got {probability!r}.")
    sampler_step = make_sampler(sampler, random_state)
    steps = [("features", feature_step), ("scaler", StandardScaler())]
    if isinstance(C, str) and C == "cv":
        svc = TunedSVC(
            kernel=kernel,
            gamma=gamma,
            sampler=sampler_step,
            random_state=random_state,
        )
        classifier_steps = [("svc", svc)]
    else:
        svc = SVC(
            C=C,
            kernel=kernel,
            gamma=gamma,
            class_weight="balanced",
            random_state=random_state,
        )
        classifier_steps = [("svc", svc)]
        if sampler_step is not None:
            classifier_steps.insert(0, ("sampler", sampler_step))
    if probability:
        # A TunedSVC holds its sampler; a plain SVC's comes in a pipeline.
        inner = svc if isinstance(svc, TunedSVC) else Pipeline(classifier_steps)
        calibrated = CalibratedClassifierCV(inner, method="sigmoid", ensemble=False)
        steps.append(("calibrated", calibrated))
    else:
        steps.extend(classifier_steps)
    return Pipeline(steps, memory=memory, verbose=verbose)


def _network_input_size(architecture, size, classifier_params):
    """The image side of a LipNet pipeline; sets ``module__input_size`` to it.

    ``classifier_params`` is updated in place when ``size`` differs from
    the network's default input size.
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"architecture must be one of {sorted(ARCHITECTURES)}, got "
            f"{architecture!r}."
        )
    default = (
        inspect.signature(ARCHITECTURES[architecture]).parameters["input_size"].default
    )
    if size is None:
        return classifier_params.get("module__input_size", default)
    if classifier_params.get("module__input_size", size) != size:
        raise ValueError(
            f"size={size} contradicts module__input_size="
            f"{classifier_params['module__input_size']}; give one of them."
        )
    if size != default:
        classifier_params["module__input_size"] = size
    return size


def make_lipnet_pipeline(
    architecture="lipnet4",
    *,
    mode="auto",
    size=None,
    scale="fit",
    canvas_nm=None,
    pixel_size_nm=None,
    sampler=None,
    augment=PIPELINE_AUGMENTATION,
    weight_averaging=PIPELINE_WEIGHT_AVERAGING,
    balance="oversample",
    max_epochs="auto",
    batch_size=32,
    device="auto",
    random_state=None,
    n_jobs=None,
    memory=None,
    verbose=0,
    **classifier_params,
):
    """A LipNet network as one pipeline, from particle table to labels.

    ``ParticlePreprocessor -> [sampler] -> LipNetClassifier``: the CNN
    counterpart of :func:`make_svm_pipeline`, taking the same particle table
    and labels, so both go through one ``cross_validate`` call.

    Parameters
    ----------
    architecture : {"lipnet1", "lipnet2", "lipnet4", "lipnet4c", "lipnet6"}, \
            default="lipnet4"
        The network (see :class:`~sklearn_lipnet.LipNetClassifier`).
    mode : {"auto", "surrounding", "cropped", "masked"}, default="auto"
        Input mode of :class:`~sklearn_lipnet.ParticlePreprocessor`; the
        thesis found cropped and masked images best (section 8.5).
    size : int, default=None
        Side of the square images fed to the network; ``None`` is the
        network's input size (32 for LipNet-6, 28 for the others, or
        ``module__input_size`` when given). Another size also becomes the
        network's ``module__input_size``, so the images are not resized
        again (LipNet-4c, fully convolutional, takes any size at the same
        number of weights; the others grow their dense layer).
    scale : {"fit", "fixed"}, default="fit"
        ``"fit"`` resizes every particle to fill the image (the thesis);
        ``"fixed"`` keeps the particles' physical size on a canvas of
        ``canvas_nm`` nanometres (see
        :class:`~sklearn_lipnet.ParticlePreprocessor`).
    canvas_nm : float or None, default=None
        Canvas side in nanometres for ``scale="fixed"``; ``None``: the
        largest training particle's.
    pixel_size_nm : float or None, default=None
        Pixel size for ``scale="fixed"`` where the table has no
        ``pixel_size_nm``.
    sampler : None, "oversample", "smote" or sampler, default=None
        Resampling of the image matrix before the network. The classifier
        already rebalances every epoch (``balance``), so the default is none.
    augment : bool, dict or Augmentation, default=PIPELINE_AUGMENTATION
        Passed to :class:`~sklearn_lipnet.LipNetClassifier`. The default is
        the thesis's augmentation with noise of up to half the images'
        standard deviation added (:data:`PIPELINE_AUGMENTATION`), which held
        up better on small, noisy cut-outs (see ``docs/real_data.md``);
        ``True`` is the thesis's alone.
    weight_averaging : float or None, default=PIPELINE_WEIGHT_AVERAGING
        Passed to :class:`~sklearn_lipnet.LipNetClassifier`: the network
        ends with the moving average of its weights over about the last 200
        updates (decay 0.995, :data:`PIPELINE_WEIGHT_AVERAGING`), which held
        up better on small, noisy cut-outs; ``None`` keeps the last weights,
        as the thesis did.
    balance, max_epochs, batch_size, device
        Passed to :class:`~sklearn_lipnet.LipNetClassifier`.
    random_state : int or None, default=None
        Seeds the classifier and the sampler.
    n_jobs : int, default=None
        Parallel jobs of the preprocessing.
    memory : str or object with the joblib.Memory interface, default=None
        Caches the preprocessed images across fits.
    verbose : int, default=0
        Passed to :class:`~sklearn_lipnet.LipNetClassifier`.
    **classifier_params
        Further ``LipNetClassifier`` parameters (``lr``, ``optimizer``,
        ``train_split``, skorch's ``module__...``, ...).

    Returns
    -------
    pipeline : imblearn.pipeline.Pipeline
        Steps ``preprocessor``, ``sampler`` (when there is one) and
        ``lipnet``; grid-search the network as ``lipnet__lr``.

    See Also
    --------
    make_svm_pipeline : the feature SVM on the same input.

    Examples
    --------
    >>> from sklearn_lipnet import make_lipnet_pipeline
    >>> pipeline = make_lipnet_pipeline("lipnet6", max_epochs=5, random_state=0)
    >>> [name for name, _ in pipeline.steps]
    ['preprocessor', 'lipnet']
    >>> pipeline.named_steps["preprocessor"].size
    32

    LipNet-4c on 64-pixel canvases at 5 nm per pixel, particles at their
    physical size:

    >>> fixed = make_lipnet_pipeline("lipnet4c", size=64, scale="fixed",
    ...                              canvas_nm=320)
    >>> fixed.named_steps["lipnet"].get_params()["module__input_size"]
    64
    """
    size = _network_input_size(architecture, size, classifier_params)
    classifier = LipNetClassifier(
        architecture,
        augment=augment,
        weight_averaging=weight_averaging,
        balance=balance,
        max_epochs=max_epochs,
        batch_size=batch_size,
        device=device,
        random_state=random_state,
        verbose=verbose,
        **classifier_params,
    )
    preprocessor = ParticlePreprocessor(
        mode=mode,
        size=size,
        scale=scale,
        canvas_nm=canvas_nm,
        pixel_size_nm=pixel_size_nm,
        n_jobs=n_jobs,
    )
    return sampled_pipeline(
        [("preprocessor", preprocessor)],
        ("lipnet", classifier),
        sampler=sampler,
        random_state=random_state,
        memory=memory,
    )


def sampled_pipeline(steps, final, *, sampler, random_state, memory):
    """``Pipeline(steps + [the sampler, if any] + [final])``.

    The sampler goes right before the network, so that it rebalances what
    the network is trained on and nothing else.
    """
    sampler_step = make_sampler(sampler, random_state)
    if sampler_step is not None:
        steps = [*steps, ("sampler", sampler_step)]
    return Pipeline([*steps, final], memory=memory)
