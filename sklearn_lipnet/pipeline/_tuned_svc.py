"""An SVC whose regularisation and kernel width are chosen by cross-validation."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.svm import SVC
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["TunedSVC"]

#: The values of C searched: the thesis's SVM left C at 1, which was too
#: loose for a rare class of two dozen real particles and right for the hard
#: regime's larger ones (benchmarks/results/real_data.md).
SEARCHED_C = (0.1, 0.3, 1.0, 3.0, 10.0)
#: Factors on the base kernel coefficient (``gamma``) searched: wider
#: kernels (smaller gamma) smooth over the many noisy features of small
#: maskless cut-outs.
SEARCHED_GAMMA_FACTORS = (1.0, 0.3, 0.1)


class TunedSVC(ClassifierMixin, BaseEstimator):
    """Support vector classifier with ``C`` and ``gamma`` chosen by an inner CV.

    The classifier step of :func:`~sklearn_lipnet.make_svm_pipeline`. With
    ``C="cv"`` each ``fit`` scores every pair of ``Cs`` and
    ``gamma_factors`` (the kernel coefficient ``gamma`` times the factor)
    by stratified ``cv``-fold cross-validation on the training data,
    balanced accuracy, and fits an :class:`sklearn.svm.SVC` with the best
    pair on all of it. The thesis left ``C`` at 1; the best value depends
    on the data (on real vesicles with a rare class of two dozen particles,
    0.1-3 with a wider kernel; on the larger synthetic hard regime, 3-10), so it is
    chosen where it is used, the way :class:`~sklearn.linear_model.RidgeCV`
    chooses its ``alpha``.

    Parameters
    ----------
    C : float or "cv", default="cv"
        Regularisation of the SVC, or ``"cv"`` to choose it (and the kernel
        width) from ``Cs`` and ``gamma_factors``.
    kernel : {"linear", "poly", "rbf", "sigmoid"}, default="rbf"
        SVC kernel. For ``"linear"`` only ``C`` is searched.
    gamma : "scale", "auto" or float, default="scale"
        Kernel coefficient, as for :class:`~sklearn.svm.SVC`, resolved to a
        number on the training data; the search multiplies it by
        ``gamma_factors``.
    class_weight : "balanced", dict or None, default="balanced"
        Class weights of the SVC (``"balanced"``: inversely proportional to
        the class frequencies).
    sampler : imbalanced-learn sampler or None, default=None
        Resamples the training part of every inner fold, and the training
        data of the final fit, never the data scored: resampled copies
        of a particle on both sides of a fold would favour overfitting.
    Cs : sequence of float, default=(0.1, 0.3, 1.0, 3.0, 10.0)
        The values of ``C`` searched.
    gamma_factors : sequence of float, default=(1.0, 0.3, 0.1)
        The factors on ``gamma`` searched.
    cv : int, default=5
        Folds of the inner cross-validation; fewer where the rarest class
        has fewer particles, and no search (``C=1``, ``gamma`` as given)
        where it has only one.
    max_search_samples : int, default=2000
        The search runs on a stratified subset of at most this many
        training samples, so that its cost stays bounded on large sets; the
        final SVC is fitted on all of them.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds, the subset and the sampler.

    Attributes
    ----------
    C_ : float
        The ``C`` of the fitted SVC.
    gamma_ : float
        Its kernel coefficient.
    search_scores_ : ndarray of shape (len(Cs), len(gamma_factors)) or None
        Mean inner balanced accuracy of every pair searched (columns beyond
        the first are NaN for a linear kernel); None without a search.
    svc_ : sklearn.svm.SVC
        The fitted SVC that predicts.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.

    See Also
    --------
    sklearn_lipnet.make_svm_pipeline : The pipeline this classifier ends.
    sklearn.svm.SVC : The classifier fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet.pipeline import TunedSVC
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (40, 3)), rng.normal(2, 1, (10, 3))]
    >>> y = np.r_[np.zeros(40), np.ones(10)]
    >>> svc = TunedSVC(random_state=0).fit(X, y)
    >>> svc.search_scores_.shape
    (5, 3)
    >>> float(svc.C_) in TunedSVC().Cs
    True
    >>> svc.predict([[0, 0, 0], [3, 3, 3]]).tolist()
    [0.0, 1.0]
    """

    _parameter_constraints = {
        "C": [Interval(Real, 0, None, closed="neither"), StrOptions({"cv"})],
        "kernel": [StrOptions({"linear", "poly", "rbf", "sigmoid"})],
        "gamma": [
            StrOptions({"scale", "auto"}),
            Interval(Real, 0, None, closed="neither"),
        ],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "sampler": [HasMethods(["fit_resample"]), None],
        "Cs": ["array-like"],
        "gamma_factors": ["array-like"],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "max_search_samples": [Interval(Integral, 10, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        C="cv",
        *,
        kernel="rbf",
        gamma="scale",
        class_weight="balanced",
        sampler=None,
        Cs=SEARCHED_C,
        gamma_factors=SEARCHED_GAMMA_FACTORS,
        cv=5,
        max_search_samples=2000,
        random_state=None,
    ):
        self.C = C
        self.kernel = kernel
        self.gamma = gamma
        self.class_weight = class_weight
        self.sampler = sampler
        self.Cs = Cs
        self.gamma_factors = gamma_factors
        self.cv = cv
        self.max_search_samples = max_search_samples
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Search ``C`` and ``gamma`` (with ``C="cv"``), then fit the SVC.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : TunedSVC
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        Cs = _positive_values(self.Cs, "Cs")
        factors = _positive_values(self.gamma_factors, "gamma_factors")
        rng = check_random_state(self.random_state)
        self.classes_, counts = np.unique(y, return_counts=True)
        base_gamma = self._base_gamma(X)
        self.search_scores_ = None
        if self.C != "cv":
            self.C_, self.gamma_ = float(self.C), base_gamma
        else:
            self.C_, self.gamma_ = 1.0, base_gamma
            if len(self.classes_) > 1 and counts.min() >= 2:
                self._search(X, y, Cs, factors, base_gamma, rng)
        X_fit, y_fit = self._resampled(X, y, rng)
        self.svc_ = SVC(
            C=self.C_,
            kernel=self.kernel,
            gamma=self.gamma_,
            class_weight=self.class_weight,
        ).fit(X_fit, y_fit)
        return self

    def _base_gamma(self, X):
        if self.gamma == "auto":
            return 1.0 / X.shape[1]
        if self.gamma == "scale":
            variance = X.var()
            return 1.0 / (X.shape[1] * variance) if variance > 0 else 1.0
        return float(self.gamma)

    def _resampled(self, X, y, rng):
        if self.sampler is None:
            return X, y
        sampler = clone(self.sampler)
        if "random_state" in sampler.get_params():
            sampler.set_params(random_state=rng.randint(2**31 - 1))
        return sampler.fit_resample(X, y)

    def _search(self, X, y, Cs, factors, base_gamma, rng):
        if len(y) > self.max_search_samples:
            # Keep every class in the subset at the size cross-validation needs.
            X, _, y, _ = train_test_split(
                X,
                y,
                train_size=self.max_search_samples,
                stratify=y,
                random_state=rng.randint(2**31 - 1),
            )
        n_splits = min(self.cv, np.unique(y, return_counts=True)[1].min())
        if n_splits < 2:
            return
        folds = list(
            StratifiedKFold(
                n_splits, shuffle=True, random_state=rng.randint(2**31 - 1)
            ).split(X, y)
        )
        try:
            # Each fold's training part resampled once, for every pair.
            training = [self._resampled(X[train], y[train], rng) for train, _ in folds]
        except ValueError as exc:
            # SMOTE, say, on a class that is large enough for the whole
            # training set but not for an inner fold of it.
            warnings.warn(
                f"The sampler cannot resample the inner folds that choose C "
                f"({exc}); the SVC keeps C=1.0 and gamma={self.gamma!r}.",
                UserWarning,
                stacklevel=3,
            )
            return
        widths = factors if self.kernel != "linear" else factors[:1]
        scores = np.full((len(Cs), len(factors)), np.nan)
        for i, C in enumerate(Cs):
            for j, factor in enumerate(widths):
                svc = SVC(
                    C=C,
                    kernel=self.kernel,
                    gamma=base_gamma * factor,
                    class_weight=self.class_weight,
                )
                fold_scores = []
                for (X_train, y_train), (_, test) in zip(training, folds):
                    predicted = clone(svc).fit(X_train, y_train).predict(X[test])
                    fold_scores.append(balanced_accuracy_score(y[test], predicted))
                scores[i, j] = np.mean(fold_scores)
        # The first best in the order given: with the default order, the
        # smallest C (the most regularised of equals), then gamma as given.
        best = np.unravel_index(np.nanargmax(scores), scores.shape)
        self.C_, self.gamma_ = float(Cs[best[0]]), base_gamma * float(factors[best[1]])
        self.search_scores_ = scores

    def _fitted_svc(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.svc_, X

    def predict(self, X):
        """Class labels of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        svc, X = self._fitted_svc(X)
        return svc.predict(X)

    def decision_function(self, X):
        """The SVC's decision function of ``X`` (one-vs-rest shape).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        svc, X = self._fitted_svc(X)
        return svc.decision_function(X)


def _positive_values(values, name):
    """``values`` as a non-empty 1-D float array of positive numbers."""
    try:
        array = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        array = np.array([])
    if not len(array) or not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise ValueError(
            f"{name} must be a non-empty sequence of positive numbers, got {values!r}."
        )
    return array
