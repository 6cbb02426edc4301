"""LipNetClassifier: the LipNet networks as a scikit-learn classifier."""

import contextlib
import inspect
import os
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit

from ..utils import check_labels
from ._augmentation import Augmentation, dihedral_views
from ._batching import BALANCE_STRATEGIES, IMAGE_KEY, n_rows, slice_rows
from ._execution import PRECISIONS, Execution
from ._feature_networks import HybridLipNet, MLPHead
from ._image_tensor import (
    HYBRID_LAYOUT,
    as_network_input,
    input_layout_of,
)
from ._networks import ARCHITECTURES
from ._routing import RoutedParamsMixin
from ._skorch_net import LipNetNeuralNet
from ._training_length import epoch_budget
from ._warm_start import check_pretrained, load_pretrained, pretrained_classifier
from ._weight_averaging import WeightAveraging

__all__ = ["LipNetClassifier", "resolve_device"]

_OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
_SEED_BOUND = np.iinfo(np.int32).max


def resolve_device(device):
    """The torch device ``device`` names, ``"auto"`` being CUDA if present.

    Parameters
    ----------
    device : str or torch.device

    Returns
    -------
    device : str

    Raises
    ------
    ValueError
        If CUDA is asked for but absent, or ``device`` is no torch device.
    """
    name = str(device)
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(name)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device: {exc}") from None
    if resolved.type == "cuda" and (
        not torch.cuda.is_available()
        or (resolved.index or 0) >= torch.cuda.device_count()
    ):
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available "
            "on this machine; use device='auto' or 'cpu'."
        )
    return name


@contextlib.contextmanager
def _cudnn_autotuning(device):
    """Let cuDNN pick the fastest convolution algorithms, then restore.

    Left alone where the user asked for deterministic algorithms, since the
    fastest algorithms need not be deterministic.
    """
    wanted = (
        device.startswith("cuda")
        and not torch.backends.cudnn.deterministic
        and not torch.are_deterministic_algorithms_enabled()
    )
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = previous or wanted
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous


def _dihedral_inputs(X_tensor):
    """The network input with its images in the eight orientations of
    :func:`dihedral_views` (a hybrid's features stay as they are)."""
    if isinstance(X_tensor, dict):
        for view in dihedral_views(X_tensor[IMAGE_KEY]):
            yield {**X_tensor, IMAGE_KEY: view}
    else:
        yield from dihedral_views(X_tensor)


def _call(function, X_tensor):
    """``function`` applied to a tensor, or to a dict's entries as keywords."""
    if isinstance(X_tensor, dict):
        return function(**X_tensor)
    return function(X_tensor)


class LipNetClassifier(RoutedParamsMixin, ClassifierMixin, BaseEstimator):
    """Classify particle images with a LipNet convolutional network.

    A scikit-learn classifier around a skorch ``NeuralNetClassifier`` that
    trains one of the five LipNet networks of the thesis (section 7) the way
    the thesis trains them: per-epoch class balancing, random augmentation of
    the training batches only, label smoothing, dropout, Adam or SGD with
    Nesterov momentum, and early stopping when a validation split is used.
    Labels can be any hashable values (strings included); ``predict`` returns
    them and the columns of ``predict_proba`` follow ``classes_``.

    Parameters
    ----------
    architecture : {"lipnet1", "lipnet2", "lipnet4", "lipnet4c", "lipnet6"}, \
            default="lipnet4"
        The network; see :mod:`sklearn_lipnet.neural_network`. LipNet-6 takes 32x32
        images, the others 28x28; images of another size are resized
        (bilinear, antialiased) to that size.
    augment : bool, dict or Augmentation, default=True
        Random transformation of every training batch. ``True``: the thesis's
        rotation up to 180 deg, shear up to 0.2, shifts up to 10 %, zoom in
        [0.8, 1.0] and flips; a dict or :class:`Augmentation` chooses; ``False``
        turns it off. Validation and prediction data are never augmented, and
        inputs without an image layout (see ``input_layout``) never are.
    balance : {"oversample", "undersample", "class_weight"} or None, \
            default="oversample"
        How the training batches counter class imbalance, re-drawn every
        epoch: ``"oversample"`` repeats randomly drawn minority samples until
        each class is as large as the majority class, ``"undersample"`` leaves
        a random 20 % of the majority class out, ``"class_weight"`` weighs the
        loss by ``n_samples / (n_classes * class_count)``, ``None`` does
        nothing. Validation data are never rebalanced.
    label_smoothing : float, default=0.1
        Targets become ``1 - eps (k - 1) / k`` and ``eps / k`` for ``k``
        classes (thesis section 5.2).
    optimizer : {"adam", "sgd"}, default="adam"
        Adam, or SGD with Nesterov momentum 0.9 (change it with
        ``optimizer__momentum``).
    lr : float, default=1e-3
        Learning rate.
    max_epochs : int or "auto", default="auto"
        Number of epochs (passes over the rebalanced training data), fewer if
        early stopping ends training. ``"auto"``: the thesis's 30 epochs,
        except for a network on images alone trained on a set too small for
        30 epochs to make 1,200 optimizer updates (batches): it goes on until
        it has made them (see
        :class:`~sklearn_lipnet.neural_network.MinimumUpdates`). On a few
        hundred particles this trains about three times longer, which raised
        LipNet-4's balanced accuracy on small lamellarity sets by 0.07 to
        0.10 (three seeds) and changed nothing on encapsulation
        (``docs/real_data.md``); from 1,280 samples per rebalanced epoch on
        (at batch size 32; with oversampling of three classes, 427 particles
        in the largest), it is 30 epochs. A network that also reads features
        (``n_image_features``) gained nothing from longer training and keeps
        30, as does one on features alone, and so does fine-tuning
        (``warm_start_from``), which lost much of what pre-training gave
        when it ran that long. ``len(history_)`` tells how many epochs ran.
    batch_size : int, default=32
        Mini-batch size, as in the thesis. Prediction uses the same size
        unless ``iterator_valid__batch_size`` is given.
    train_split : None, float, int or callable, default=None
        skorch's internal validation split. ``None``: train on all of ``X``.
        A float in (0, 1): that stratified fraction is held out; an int ``k``:
        the last of ``k`` stratified folds is; a callable is used as skorch's
        ``train_split`` (e.g. ``skorch.dataset.ValidSplit``).
    patience : int or None, default=5
        With a validation split, training stops when the validation loss has
        not improved for this many epochs and the best epoch's weights are
        restored. ``None`` disables early stopping.
    weight_averaging : float or None, default=None
        End training with an exponential moving average of the weights
        instead of the last ones: the decay of
        :class:`~sklearn_lipnet.neural_network.WeightAveraging`, in [0, 1)
        (0.995 averages over about the last 200 updates). It smooths the
        batch-to-batch wandering of a network trained on a few hundred
        heavily augmented particles; :func:`~sklearn_lipnet.make_lipnet_pipeline`
        uses 0.995. ``None`` (the thesis) keeps the last weights. With early
        stopping, the best epoch's weights are restored instead.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (checkpoints, learning-rate schedules, ...).
    input_layout : {"auto", "image", "features"}, default="auto"
        How a 2-D ``X`` is read. ``"image"``: each row is a flattened square
        image (the image matrix of ``ParticlePreprocessor``, or
        ``load_digits``). ``"features"``: each row is a plain feature vector
        with no spatial order; the network is then the LipNet's fully
        connected head alone (:class:`~sklearn_lipnet.neural_network.MLPHead`),
        without augmentation, so that the classifier is a drop-in for an
        ``SVC`` fed any feature matrix. ``"auto"``: image when the width is a
        perfect square of at least 8 x 8 = 64 pixels, features otherwise. 3-D
        ``(n, H, W)`` and 4-D ``(n, C, H, W)`` inputs are always images.
        Must be ``"auto"`` when ``n_image_features`` is given.
    n_image_features : int or None, default=None
        Read a 2-D ``X`` as image *and* features: its first
        ``n_image_features`` columns are a flattened square image, the
        others a feature vector (what :func:`~sklearn_lipnet.make_hybrid_pipeline`
        feeds it). The network is then
        :class:`~sklearn_lipnet.neural_network.HybridLipNet`: the
        architecture's convolutional part on the image, a dense layer of
        ``module__feature_units`` (default 32) units on the features, joined
        before the last layer and trained end to end. Only the image part is
        augmented; both parts are standardised on their own.
    tta : bool, default=False
        Test-time augmentation: ``predict_proba`` (and ``predict``) average
        the class probabilities of the eight rotations by multiples of 90
        degrees and their mirror images of every image, which makes the
        prediction independent of the particle's orientation on the pixel
        grid. Costs eight forward passes per image. Ignored for feature
        input (``input_layout_ == "features"``); for the hybrid, the image
        turns and the features stay.
    warm_start_from : str, path or None, default=None
        Start training from the weights of a fitted network instead of a
        random initialisation (pre-training, e.g. on synthetic liposomes,
        then fine-tuning on a small labelled set): the path of a model file
        written by :func:`~sklearn_lipnet.save_model` holding a fitted
        ``LipNetClassifier`` or a pipeline that ends in one, read with
        :func:`~sklearn_lipnet.load_model` (no code runs) at every ``fit``.
        The network must be the same (``architecture``, its ``module__*``
        settings and the number of image channels); when the classes differ
        from the pre-trained ones, the last layer starts afresh and all
        others keep their weights. See ``docs/real_data.md``.
    device : str, default="auto"
        Torch device; ``"auto"`` uses CUDA when available, else the CPU.
    precision : {"fp32", "bf16", "fp16"}, default="fp32"
        Arithmetic of the forward pass. ``"bf16"`` and ``"fp16"`` run it
        under :func:`torch.autocast` (weights, loss and optimizer stay in
        float32; fp16 scales the loss against underflow): several times
        faster on GPUs and on CPUs with bfloat16 units (AMX, AVX512-BF16),
        slower on others. Prediction uses the same precision.
    memory_format : {"auto", "channels_last", "contiguous"}, default="auto"
        Memory layout of images and convolution weights. ``"auto"`` is
        channels-last for images (1.5-2x faster convolutions with oneDNN and
        cuDNN), which changes no result beyond float rounding.
    compile : bool or dict, default=False
        Compile the network's forward pass with :func:`torch.compile`
        (``True``) or with these options (a dict, e.g. ``{"mode":
        "max-autotune"}``). Pays off for long GPU runs; the first epoch
        waits for the compiler.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, epoch sampling, augmentation
        and the validation split. With an int, fitting on the CPU is
        repeatable bit for bit.
    verbose : int, default=0
        ``1`` prints skorch's per-epoch table (losses, validation balanced
        accuracy, duration).
    **kwargs
        skorch's dunder parameters, routed to the net: ``module__*`` (e.g.
        ``module__dense_units=256``, ``module__batch_norm=True``,
        ``module__input_size=48``; see :class:`~sklearn_lipnet.neural_network.LipNet`),
        ``optimizer__*`` (e.g. ``optimizer__weight_decay``), ``criterion__*``,
        ``iterator_train__batch_size``, ``iterator_valid__batch_size`` and
        ``callbacks__*``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    n_features_in_ : int
        Width of ``X`` (for 3-D / 4-D input, its second dimension).
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it was a DataFrame with string columns.
    input_shape_ : tuple of int
        Shape of one sample of the training ``X``; ``predict`` requires it.
    input_layout_ : {"image", "features", "image+features"}
        How ``X`` was read.
    net_ : skorch.NeuralNetClassifier
        The fitted skorch net (``net_.module_`` is the torch module).
    history_ : skorch.History
        Per-epoch training record (``history_[:, "train_loss"]``).

    See Also
    --------
    sklearn_lipnet.neural_network : The five LipNet networks.
    sklearn.svm.SVC : The feature-based classifier the thesis compares with.

    Notes
    -----
    Where we differ from the thesis: images are resized with antialiasing
    and augmented by one composed affine warp per image (the thesis used
    Keras's sequential transformations with spline interpolation); the
    default ``label_smoothing`` (0.1), dense width (128) and dropout rates
    (0.25 / 0.5) are our choices where the thesis gives no value.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_lipnet import LipNetClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = LipNetClassifier(max_epochs=2, random_state=0).fit(X[:200], y[:200])
    >>> clf.input_layout_, clf.predict_proba(X[:3]).shape
    ('image', (3, 10))
    """

    _parameter_constraints = {
        "architecture": [StrOptions(set(ARCHITECTURES))],
        "augment": ["boolean", dict, Augmentation, None],
        "balance": [StrOptions({s for s in BALANCE_STRATEGIES if s}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "train_split": [
            None,
            Interval(Real, 0, 1, closed="neither"),
            Interval(Integral, 2, None, closed="left"),
            callable,
        ],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "weight_averaging": [Interval(Real, 0, 1, closed="left"), None],
        "callbacks": [list, None],
        "input_layout": [StrOptions({"auto", "image", "features"})],
        "n_image_features": [Interval(Integral, 1, None, closed="left"), None],
        "tta": ["boolean"],
        "warm_start_from": [str, os.PathLike, None],
        "device": [str, torch.device],
        "precision": [StrOptions(set(PRECISIONS))],
        "memory_format": [StrOptions({"auto", "channels_last", "contiguous"})],
        "compile": ["boolean", dict],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        architecture="lipnet4",
        *,
        augment=True,
        balance="oversample",
        label_smoothing=0.1,
        optimizer="adam",
        lr=1e-3,
        max_epochs="auto",
        batch_size=32,
        train_split=None,
        patience=5,
        weight_averaging=None,
        callbacks=None,
        input_layout="auto",
        n_image_features=None,
        tta=False,
        warm_start_from=None,
        device="auto",
        precision="fp32",
        memory_format="auto",
        compile=False,
        random_state=None,
        verbose=0,
        **kwargs,
    ):
        self.architecture = architecture
        self.augment = augment
        self.balance = balance
        self.label_smoothing = label_smoothing
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.train_split = train_split
        self.patience = patience
        self.weight_averaging = weight_averaging
        self.callbacks = callbacks
        self.input_layout = input_layout
        self.n_image_features = n_image_features
        self.tta = tta
        self.warm_start_from = warm_start_from
        self.device = device
        self.precision = precision
        self.memory_format = memory_format
        self.compile = compile
        self.random_state = random_state
        self.verbose = verbose
        self._store_routed(kwargs)

    # -- parameters --------------------------------------------------------

    def _routed_params(self):
        params = super()._routed_params()
        for name in params:
            if name.startswith(("iterator_train__", "iterator_valid__")) and (
                name.split("__", 1)[1] != "batch_size"
            ):
                raise ValueError(
                    f"{name} is not supported: the data live as tensors on the "
                    "training device and are batched without a DataLoader; only "
                    "iterator_train__batch_size and iterator_valid__batch_size "
                    "apply."
                )
        return params

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

    # -- fitting -----------------------------------------------------------

    def _resolve_device(self):
        return resolve_device(self.device)

    def _module_and_kwargs(self, layout, X_tensor, n_classes, routed):
        module_kwargs = {
            name.split("__", 1)[1]: value
            for name, value in routed.items()
            if name.startswith("module__")
        }
        image_allowed = {
            "input_size",
            "conv_channels",
            "dense_units",
            "conv_dropout",
            "dense_dropout",
            "batch_norm",
        }
        if layout == "image":
            module = ARCHITECTURES[self.architecture]
            fixed = {"n_classes": n_classes, "in_channels": X_tensor.shape[1]}
            allowed = image_allowed
        elif layout == HYBRID_LAYOUT:
            module = HybridLipNet
            fixed = {
                "n_features": X_tensor["features"].shape[1],
                "n_classes": n_classes,
                "architecture": self.architecture,
                "in_channels": X_tensor["image"].shape[1],
                "input_size": self._network_input_size,
            }
            allowed = image_allowed | {"feature_units"}
        else:
            module = MLPHead
            fixed = {"n_features": X_tensor.shape[1], "n_classes": n_classes}
            allowed = {"dense_units", "dense_dropout", "batch_norm"}
        not_allowed = sorted(set(module_kwargs) - allowed)
        if not_allowed:
            raise ValueError(
                f"module__{not_allowed[0]} does not apply to {module.__name__} "
                f"({layout} input); accepted module__ parameters: "
                f"{', '.join('module__' + a for a in sorted(allowed))}."
            )
        return module, {**fixed, **module_kwargs}

    def _train_split(self, seed):
        if self.train_split is None:
            return None
        if callable(self.train_split):
            return self.train_split
        return ValidSplit(self.train_split, stratified=True, random_state=seed)

    def _callbacks(self, extra=()):
        callbacks = list(self.callbacks or []) + list(extra)
        if self.weight_averaging is not None:
            callbacks.append(
                ("weight_averaging", WeightAveraging(decay=self.weight_averaging))
            )
        if self.train_split is not None and self.patience is not None:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss", patience=self.patience, load_best=True
                    ),
                )
            )
        return callbacks

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on images (or features) ``X`` with labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) \
                or (n_samples, C, H, W)
            Training images: the image matrix (one flattened square image per
            row), image stacks, or a plain feature matrix (see
            ``input_layout``). Any numeric dtype; NaN and inf are refused.
        y : array-like of shape (n_samples,)
            Class labels, any hashable values.

        Returns
        -------
        self : LipNetClassifier
            The fitted classifier.

        Raises
        ------
        KeyboardInterrupt
            On Ctrl-C during training, which stops the fit (skorch alone
            would end training early and return a half-trained net).
        """
        routed = self._routed_params()
        augmentation = Augmentation.from_param(self.augment)
        check_labels(y)
        X, y = validate_data(
            self,
            X,
            y,
            allow_nd=True,
            dtype=(np.float32, np.float64),
            y_numeric=False,
            multi_output=False,
        )
        check_classification_targets(y)
        target_type = type_of_target(y, input_name="y")
        if target_type not in ("binary", "multiclass"):
            raise ValueError(
                f"{type(self).__name__} supports binary and multiclass targets; "
                f"y is {target_type}."
            )
        encoder = LabelEncoder().fit(y)
        if len(encoder.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in y; "
                f"got 1 class: {encoder.classes_[0]!r}."
            )
        self.classes_ = encoder.classes_
        codes = encoder.transform(y).astype(np.int64)

        self.input_layout_ = self._input_layout(X)
        self.input_shape_ = tuple(X.shape[1:])
        device = self._resolve_device()
        rng = check_random_state(self.random_state)
        torch_seed, sampling_seed, augmentation_seed, split_seed = rng.randint(
            _SEED_BOUND, size=4
        )
        self._network_input_size = self._input_size(routed)
        X_tensor, self._scaling = as_network_input(
            X,
            self.input_layout_,
            self._network_input_size,
            device,
            n_image_features=self.n_image_features,
        )
        module, module_kwargs = self._module_and_kwargs(
            self.input_layout_, X_tensor, len(self.classes_), routed
        )
        pretrained = None
        if self.warm_start_from is not None:
            pretrained = pretrained_classifier(self.warm_start_from, type(self))
            check_pretrained(
                self.warm_start_from,
                pretrained,
                module,
                module_kwargs,
                f"architecture={self.architecture!r}, {self.input_layout_} input",
            )

        optimizer = _OPTIMIZERS[self.optimizer]
        optimizer_kwargs = {}
        if self.optimizer == "sgd":
            optimizer_kwargs = {"optimizer__momentum": 0.9, "optimizer__nesterov": True}
        elif device.startswith("cuda") and not any(
            k in routed for k in ("optimizer__fused", "optimizer__foreach")
        ):
            # One fused kernel per step instead of one per parameter group
            # operation: small networks are bound by kernel launches on GPUs.
            optimizer_kwargs = {"optimizer__fused": True}
        criterion_kwargs = {"criterion__label_smoothing": self.label_smoothing}
        if self.balance == "class_weight":
            counts = np.bincount(codes, minlength=len(self.classes_))
            weights = len(codes) / (len(self.classes_) * counts)
            criterion_kwargs["criterion__weight"] = torch.as_tensor(
                weights, dtype=torch.float32
            )
        net_params = {
            **optimizer_kwargs,
            **criterion_kwargs,
            **{f"module__{k}": v for k, v in module_kwargs.items()},
            **{k: v for k, v in routed.items() if not k.startswith("module__")},
        }

        max_epochs, epoch_callbacks = epoch_budget(
            self.max_epochs,
            self.input_layout_,
            warm_start=self.warm_start_from is not None,
        )
        self.net_ = LipNetNeuralNet(
            module,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=optimizer,
            lr=self.lr,
            max_epochs=max_epochs,
            batch_size=self.batch_size,
            train_split=self._train_split(int(split_seed)),
            callbacks=self._callbacks(epoch_callbacks),
            device=device,
            verbose=self.verbose,
            balance=None if self.balance == "class_weight" else self.balance,
            augmentation=augmentation if self.input_layout_ != "features" else None,
            execution=self._execution(device),
            **net_params,
        )
        devices = [torch.device(device)] if device.startswith("cuda") else []
        # A private RNG scope: seeding weight init and dropout must neither
        # depend on nor disturb the user's global torch random state.
        with torch.random.fork_rng(devices=devices), _cudnn_autotuning(device):
            torch.manual_seed(int(torch_seed))
            self.net_.seed_generators(int(sampling_seed), int(augmentation_seed))
            try:
                if self.warm_start_from is None:
                    self.net_.fit(X_tensor, codes)
                else:
                    # skorch's fit is initialize() then partial_fit(): the
                    # pre-trained weights go in between.
                    self.net_.initialize()
                    load_pretrained(pretrained, self.net_.module_, self.classes_)
                    self.net_.partial_fit(X_tensor, codes)
            finally:
                self.net_.release_generators()
        return self

    def _input_layout(self, X):
        if self.n_image_features is None:
            return input_layout_of(X, self.input_layout)
        if self.input_layout != "auto":
            raise ValueError(
                f"input_layout={self.input_layout!r} contradicts n_image_features="
                f"{self.n_image_features}, which reads X as image and features; "
                "leave input_layout='auto'."
            )
        return HYBRID_LAYOUT

    def _execution(self, device, *, compile=None):
        """The arithmetic settings of this classifier's network on ``device``.

        ``compile`` overrides the parameter (a loaded model never compiles
        unless asked to).
        """
        layout = getattr(self, "input_layout_", "image")
        channels_last = self.memory_format == "channels_last" or (
            self.memory_format == "auto" and layout != "features"
        )
        return Execution(
            str(device),
            precision=self.precision,
            channels_last=channels_last,
            compile=self.compile if compile is None else compile,
        )

    def _input_size(self, routed):
        """Side of the network's square input, in pixels."""
        if "module__input_size" in routed:
            size = routed["module__input_size"]
        else:
            signature = inspect.signature(ARCHITECTURES[self.architecture])
            size = signature.parameters["input_size"].default
        if not isinstance(size, Integral) or size < 1:
            raise ValueError(
                f"module__input_size must be a positive int, got {size!r}."
            )
        return int(size)

    # -- prediction --------------------------------------------------------

    def _check_input(self, X):
        check_is_fitted(self)
        shape = np.shape(X) if hasattr(X, "shape") or isinstance(X, list) else ()
        if len(shape) > 2 or len(self.input_shape_) > 1:
            # Image stacks: say which image shape was expected, not only the
            # second dimension that n_features_in_ holds.
            self._check_sample_shape(shape)
        X = validate_data(
            self, X, reset=False, allow_nd=True, dtype=(np.float32, np.float64)
        )
        self._check_sample_shape(X.shape)
        return X

    def _check_sample_shape(self, shape):
        if tuple(shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {tuple(shape[1:])}, but "
                f"{type(self).__name__} was fitted on samples of shape "
                f"{self.input_shape_}."
            )

    def predict_proba(self, X):
        """Probability of each class for each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Samples shaped like the training ``X``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.

        Raises
        ------
        ValueError
            If the network's outputs are not finite (weights that diverged
            in training), rather than returning NaN probabilities.
        """
        X_tensor = self._network_input(X)
        with _cudnn_autotuning(str(self.net_.device)):
            if self.tta and self.input_layout_ != "features":
                proba = np.mean(
                    [
                        self.net_.predict_proba(view).astype(np.float64)
                        for view in _dihedral_inputs(X_tensor)
                    ],
                    axis=0,
                )
            else:
                proba = self.net_.predict_proba(X_tensor).astype(np.float64)
        if not np.isfinite(proba).all():
            # Overflowing activations: weights that diverged in training or
            # were damaged. A probability of NaN is no prediction.
            raise ValueError(
                "The network's outputs are not finite (NaN or infinite) for "
                f"{int((~np.isfinite(proba).all(axis=1)).sum())} of {len(proba)} "
                "samples; its weights are not usable (diverged training?)."
            )
        return proba / proba.sum(axis=1, keepdims=True)

    def _network_input(self, X):
        """``X`` checked, standardised and resized: the tensor the network sees.

        ``(n, C, side, side)`` for images, ``(n, n_features)`` for features,
        ``{"image": ..., "features": ...}`` for image and features, on the
        network's device.
        """
        X = self._check_input(X)
        X_tensor, _ = as_network_input(
            X,
            self.input_layout_,
            self._network_input_size,
            self.net_.device,
            scaling=self._scaling,
            n_image_features=self.n_image_features,
        )
        return X_tensor

    def _embed(self, X):
        """Penultimate-layer features of ``X`` as a float64 ndarray.

        See :meth:`~sklearn_lipnet.neural_network.LipNet.embed` and
        :meth:`~sklearn_lipnet.neural_network.HybridLipNet.embed`.
        """
        X_tensor = self._network_input(X)
        module = self.net_.module_
        batch_size = self.net_.get_params_for("iterator_valid").get(
            "batch_size", self.batch_size
        )
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad(), _cudnn_autotuning(str(self.net_.device)):
                parts = [
                    _call(module.embed, slice_rows(X_tensor, start, start + batch_size))
                    for start in range(0, n_rows(X_tensor), batch_size)
                ]
        finally:
            module.train(was_training)
        return torch.cat(parts).cpu().numpy().astype(np.float64)

    def predict(self, X):
        """Most probable class of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Samples shaped like the training ``X``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Samples shaped like the training ``X``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @property
    def history_(self):
        check_is_fitted(self)
        return self.net_.history

    @property
    def module_(self):
        """The trained ``torch.nn.Module``."""
        check_is_fitted(self)
        return self.net_.module_
