"""max_epochs="auto": the thesis's epochs, and more updates on small data."""

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_lipnet import (
    LipNetClassifier,
    make_hybrid_pipeline,
    make_lipnet_pipeline,
    save_model,
)
from sklearn_lipnet.neural_network import MinimumUpdates, _training_length

from .._synthetic import discs_and_rings


@pytest.fixture
def small_budget(monkeypatch):
    """The "auto" rule with small numbers, so that tests train in seconds."""
    monkeypatch.setattr(_training_length, "AUTO_MIN_EPOCHS", 3)
    monkeypatch.setattr(_training_length, "AUTO_MIN_UPDATES", 24)


def _updates(clf):
    return list(np.cumsum(clf.history_[:, "train_batch_count"]))


def _balanced(n_samples):
    """Discs and rings, half and half: oversampling adds nothing."""
    return discs_and_rings(n_samples, weights=(0.5, 0.5))


def _net(**params):
    settings = dict(architecture="lipnet1", device="cpu", random_state=0)
    return LipNetClassifier(**{**settings, **params})


def test_auto_trains_until_the_updates_are_made_on_small_data(small_budget):
    X, y = _balanced(64)  # two batches of 32 per epoch
    clf = _net(module__conv_channels=4).fit(X, y)
    updates = _updates(clf)
    # The first epoch at which 24 updates are done, not one more.
    assert updates[-1] >= 24 > updates[-2]
    assert len(clf.history_) == 12


def test_auto_keeps_the_minimum_epochs_on_large_data(small_budget):
    X, y = _balanced(400)  # 13 batches per epoch: 24 updates in 2
    clf = _net(module__conv_channels=4).fit(X, y)
    assert len(clf.history_) == 3
    assert _updates(clf)[-1] == 3 * 13


@pytest.mark.parametrize("reads", ["image+features", "features"])
def test_auto_keeps_the_minimum_epochs_where_the_network_reads_features(
    small_budget, reads
):
    # The hybrid gained nothing from the longer training (docs/real_data.md).
    X, y = _balanced(64)
    if reads == "features":
        clf = _net(input_layout="features").fit(X[:, :20], y)
    else:
        features = X[:, :5] ** 2
        clf = _net(n_image_features=X.shape[1]).fit(np.hstack([X, features]), y)
    assert clf.input_layout_ == reads
    assert len(clf.history_) == 3


def test_auto_fine_tunes_a_pretrained_network_for_the_minimum_epochs(
    small_budget, tmp_path
):
    # Fine-tuned as long as a network from scratch, a pre-trained network
    # lost much of what pre-training gave it (docs/real_data.md).
    X, y = _balanced(64)
    path = tmp_path / "pretrained.lipnet"
    save_model(_net(max_epochs=2).fit(X, y), path)
    scratch = _net().fit(X, y)
    fine_tuned = _net(warm_start_from=path).fit(X, y)
    assert len(scratch.history_) == 12
    assert len(fine_tuned.history_) == 3


def test_an_integer_is_the_number_of_epochs(small_budget):
    X, y = discs_and_rings(32)
    clf = _net(max_epochs=5, module__conv_channels=4).fit(X, y)
    assert len(clf.history_) == 5


def test_early_stopping_still_ends_auto_training_sooner(small_budget, monkeypatch):
    monkeypatch.setattr(_training_length, "AUTO_MIN_UPDATES", 400)
    X, y = _balanced(64)  # 48 training images: two updates per epoch
    full = _net(train_split=0.25, patience=None, module__conv_channels=4).fit(X, y)
    stopped = _net(train_split=0.25, patience=2, module__conv_channels=4).fit(X, y)
    assert len(full.history_) == 200 and _updates(full)[-1] == 400
    assert len(stopped.history_) < 50


def test_the_longer_training_is_what_learns_a_small_set(small_budget, monkeypatch):
    # On 32 noisy images, three epochs (three updates) leave the network at
    # chance on new images; the updates "auto" adds make it learn them.
    monkeypatch.setattr(_training_length, "AUTO_MIN_UPDATES", 60)
    X, y = discs_and_rings(32, weights=(0.5, 0.5), noise=1.5)
    X_new, y_new = discs_and_rings(300, weights=(0.5, 0.5), noise=1.5, seed=1)
    short = _net(max_epochs=3).fit(X, y)
    auto = _net().fit(X, y)
    assert len(auto.history_) == 60
    assert short.score(X_new, y_new) < 0.7
    assert auto.score(X_new, y_new) >= 0.95


def test_the_default_pipelines_train_with_auto():
    assert LipNetClassifier().max_epochs == "auto"
    assert make_lipnet_pipeline()[-1].max_epochs == "auto"
    assert make_hybrid_pipeline()[-1].max_epochs == "auto"


def test_a_bad_max_epochs_is_named():
    X, y = discs_and_rings(16)
    with pytest.raises(InvalidParameterError, match="max_epochs"):
        _net(max_epochs="long").fit(X, y)


@pytest.mark.parametrize("name", ["min_epochs", "min_updates"])
def test_the_callback_refuses_a_bad_minimum(name):
    X, y = discs_and_rings(16)
    callback = MinimumUpdates(**{name: 0})
    with pytest.raises(ValueError, match=f"MinimumUpdates: {name} must be"):
        _net(max_epochs=4, callbacks=[("enough", callback)]).fit(X, y)
