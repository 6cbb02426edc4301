"""TunedSVC: the SVM pipeline's classifier, C and kernel width chosen by CV."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from imblearn.over_sampling import RandomOverSampler
from sklearn.svm import SVC
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.pipeline import TunedSVC, make_svm_pipeline


@parametrize_with_checks([TunedSVC(random_state=0), TunedSVC(C=2.0)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_tags_are_honest():
    tags = get_tags(TunedSVC())
    assert tags.estimator_type == "classifier"
    assert not tags.input_tags.allow_nan
    assert not tags.classifier_tags.poor_score


def _noisy_rare_class(seed=0, n_noise=60):
    """Two informative features and many noise features; a rare class.

    A tight RBF kernel (gamma="scale" over all features) drowns the two
    informative ones; a wider kernel and stronger regularisation do not.
    """
    rng = np.random.default_rng(seed)
    n_common, n_rare = 200, 16
    informative = np.r_[
        rng.normal(0, 1, (n_common, 2)), rng.normal(1.8, 1, (n_rare, 2))
    ]
    X = np.c_[informative, rng.normal(0, 1, (n_common + n_rare, n_noise))]
    y = np.r_[np.zeros(n_common, int), np.ones(n_rare, int)]
    return X, y


def _balanced_accuracy(model, X, y):
    predicted = model.predict(X)
    return np.mean([np.mean(predicted[y == c] == c) for c in np.unique(y)])


def test_search_picks_the_best_scored_pair_and_fits_it():
    X, y = _noisy_rare_class()
    svc = TunedSVC(random_state=0).fit(X, y)
    scores = svc.search_scores_
    assert scores.shape == (5, 3)
    i, j = np.unravel_index(np.nanargmax(scores), scores.shape)
    assert svc.C_ == TunedSVC().Cs[i]
    base = 1 / (X.shape[1] * X.var())
    assert svc.gamma_ == pytest.approx(base * TunedSVC().gamma_factors[j])
    assert (svc.svc_.C, svc.svc_.gamma) == (svc.C_, svc.gamma_)
    # The search found the pair that matters here: not the thesis's C=1 at
    # gamma="scale" (its own score is in the grid: row 2, column 0).
    assert scores[i, j] > scores[2, 0]


def test_search_beats_the_fixed_thesis_setting_on_new_data():
    X, y = _noisy_rare_class(seed=0)
    X_new, y_new = _noisy_rare_class(seed=1)
    tuned = TunedSVC(random_state=0).fit(X, y)
    fixed = TunedSVC(C=1.0).fit(X, y)
    assert fixed.search_scores_ is None
    assert fixed.C_ == 1.0
    assert (
        _balanced_accuracy(tuned, X_new, y_new)
        > _balanced_accuracy(fixed, X_new, y_new) + 0.05
    )


def test_fixed_C_is_a_plain_balanced_svc():
    X, y = _noisy_rare_class()
    fixed = TunedSVC(C=3.0).fit(X, y)
    plain = SVC(C=3.0, class_weight="balanced").fit(X, y)
    np.testing.assert_allclose(
        fixed.decision_function(X), plain.decision_function(X), atol=1e-8
    )


def test_too_few_of_a_class_fits_without_search():
    X, y = _noisy_rare_class()
    y = y.copy()
    y[np.flatnonzero(y == 1)[1:]] = 0  # one particle left in the rare class
    svc = TunedSVC(random_state=0).fit(X, y)
    assert svc.search_scores_ is None
    assert svc.C_ == 1.0
    assert svc.predict(X[:3]).shape == (3,)


def test_rarest_class_decides_the_number_of_folds(monkeypatch):
    X, y = _noisy_rare_class()
    y = y.copy()
    y[np.flatnonzero(y == 1)[3:]] = 0  # three left: three folds, not five
    splits = []
    original = TunedSVC._search

    def spy(self, X, y, *args):
        import sklearn_lipnet.pipeline._tuned_svc as module

        real = module.StratifiedKFold

        def recording(n_splits, **kwargs):
            splits.append(n_splits)
            return real(n_splits, **kwargs)

        monkeypatch.setattr(module, "StratifiedKFold", recording)
        return original(self, X, y, *args)

    monkeypatch.setattr(TunedSVC, "_search", spy)
    svc = TunedSVC(random_state=0).fit(X, y)
    assert splits == [3]
    assert svc.search_scores_ is not None


def test_search_runs_on_a_stratified_subset_of_large_sets(monkeypatch):
    X, y = _noisy_rare_class()
    seen = []
    original = SVC.fit

    def recording(self, X, y, sample_weight=None):
        seen.append(len(y))
        return original(self, X, y, sample_weight)

    monkeypatch.setattr(SVC, "fit", recording)
    TunedSVC(max_search_samples=100, cv=4, random_state=0).fit(X, y)
    search_fits, final_fit = seen[:-1], seen[-1]
    assert final_fit == len(y)
    assert set(search_fits) == {75}  # 3/4 of the 100 in each inner fold


def test_sampler_resamples_only_the_training_side():
    X, y = _noisy_rare_class()
    svc = TunedSVC(sampler=RandomOverSampler(random_state=0), random_state=0)
    svc.fit(X, y)
    # The final SVC saw the balanced, resampled set.
    assert svc.svc_.shape_fit_[0] == 2 * np.sum(y == 0)
    # And the search's scores stay those of held-out particles: with the
    # copies of a rare particle on both sides of a fold, every pair would
    # score near 1.
    assert np.nanmax(svc.search_scores_) < 0.95


def test_linear_kernel_searches_C_only():
    X, y = _noisy_rare_class()
    svc = TunedSVC(kernel="linear", random_state=0).fit(X, y)
    assert np.isnan(svc.search_scores_[:, 1:]).all()
    assert np.isfinite(svc.search_scores_[:, 0]).all()


def test_same_seed_same_choice():
    X, y = _noisy_rare_class()
    first = TunedSVC(random_state=3).fit(X, y)
    second = TunedSVC(random_state=3).fit(X, y)
    np.testing.assert_array_equal(first.search_scores_, second.search_scores_)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"Cs": ()}, "Cs must be a non-empty sequence of positive numbers"),
        ({"Cs": (1.0, -2.0)}, "Cs must be a non-empty sequence of positive numbers"),
        ({"gamma_factors": ("wide",)}, "gamma_factors must be a non-empty"),
        ({"C": "grid"}, "The 'C' parameter"),
        ({"cv": 1}, "The 'cv' parameter"),
    ],
)
def test_bad_settings_are_named(params, message):
    X, y = _noisy_rare_class()
    with pytest.raises(ValueError, match=message):
        TunedSVC(**params).fit(X, y)


def test_a_sampler_that_cannot_resample_inner_folds_keeps_C_with_a_warning():
    from imblearn.over_sampling import SMOTE

    X, y = _noisy_rare_class()
    y = y.copy()
    y[np.flatnonzero(y == 1)[7:]] = 0  # 7 rare: enough for SMOTE's 5 neighbours
    # on the whole training set, not on the 4/5 of it an inner fold holds.
    svc = TunedSVC(sampler=SMOTE(random_state=0), random_state=0)
    with pytest.warns(UserWarning, match="cannot resample the inner folds"):
        svc.fit(X, y)
    assert svc.search_scores_ is None and svc.C_ == 1.0
    assert svc.svc_.shape_fit_[0] == 2 * np.sum(y == 0)  # resampled for the fit


def test_a_fitted_svm_pipeline_loads_in_a_worker_without_torch():
    # Workers that fit or apply the SVM (parallel folds, Dask) must not
    # import torch: joblib would take the memory it adds for a leak and
    # restart them.
    table, y = make_liposomes(30, problem="lamellarity", random_state=0)
    fitted = make_svm_pipeline(random_state=0).fit(table, y)
    code = (
        "import pickle, sys; model = pickle.loads(sys.stdin.buffer.read()); "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps(fitted),
        capture_output=True,
        check=True,
    )
    assert result.stdout.decode().strip() == "False"
