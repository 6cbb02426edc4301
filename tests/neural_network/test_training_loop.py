"""What a fit feeds the network, judged by the batches the network receives.

Each test records the batches through a skorch callback and checks their
effect (which images, how transformed, how often), not how the loop is
written.
"""

from collections import Counter

import numpy as np
import pytest

from sklearn_lipnet import LipNetClassifier

from .._synthetic import discs_and_rings, three_shapes
from ._bars import tilts, vertical_bars
from ._recording import BatchRecorder, source_rows, standardised

FAST = dict(random_state=0, device="cpu")
OFF = dict(
    rotation=0, shear=0, shift=0, zoom=None, horizontal_flip=False, vertical_flip=False
)
#: Largest pixel difference (in standard deviations) of an untouched image.
UNTOUCHED = 1e-4


def test_training_batches_are_the_inputs_flipped_as_requested():
    X, y = discs_and_rings(n_samples=40, seed=2)
    recorder = BatchRecorder()
    LipNetClassifier(
        max_epochs=3,
        augment={**OFF, "horizontal_flip": True},
        callbacks=[recorder],
        **FAST,
    ).fit(X, y)
    images = recorder.images(training=True)
    X_std = standardised(X)
    _, as_is = source_rows(images, X_std)
    _, mirrored = source_rows(images.flip(-1), X_std)
    # Every training image is an input, untouched or mirrored left-right ...
    assert np.minimum(as_is, mirrored).max() < UNTOUCHED
    # ... and about half of them are mirrored.
    share_mirrored = np.mean(mirrored < UNTOUCHED)
    assert 0.3 < share_mirrored < 0.7


def test_default_augmentation_changes_every_training_image():
    X, y = discs_and_rings(n_samples=40, seed=2)
    recorder = BatchRecorder()
    LipNetClassifier(max_epochs=2, callbacks=[recorder], **FAST).fit(X, y)
    _, distance = source_rows(recorder.images(training=True), standardised(X))
    assert distance.min() > 0.1


def test_shear_tilts_training_bars_by_up_to_atan_of_the_shear():
    X, y = vertical_bars(40)
    assert np.abs(tilts(standardised(X))).max() < 1e-9  # upright inputs
    recorder = BatchRecorder()
    LipNetClassifier(
        max_epochs=2,
        batch_size=16,
        augment={**OFF, "shear": 0.5},
        callbacks=[recorder],
        **FAST,
    ).fit(X, y)
    angles = tilts(recorder.images(training=True))
    bound = np.arctan(0.5)
    assert np.abs(angles).max() <= bound + 0.01
    assert np.abs(angles).max() > 0.9 * bound
    # Shears are drawn uniformly from [-0.5, 0.5]: both ways, often far.
    assert np.mean(angles > 0.1) > 0.25 and np.mean(angles < -0.1) > 0.25


@pytest.mark.parametrize("balance", ["oversample", "undersample", None])
def test_every_epoch_draws_its_own_index_set(balance):
    X, y = discs_and_rings(n_samples=48, weights=(0.75, 0.25), seed=4)
    recorder = BatchRecorder()
    LipNetClassifier(
        max_epochs=2,
        augment=False,
        balance=balance,
        batch_size=12,
        callbacks=[recorder],
        **FAST,
    ).fit(X, y)
    X_std = standardised(X)
    epochs = []
    for epoch in range(2):
        rows, distance = source_rows(recorder.images(True, epoch), X_std)
        assert distance.max() < UNTOUCHED
        epochs.append(rows)
    assert not np.array_equal(epochs[0], epochs[1])  # reshuffled
    if balance is not None:  # and re-drawn
        assert Counter(epochs[0].tolist()) != Counter(epochs[1].tolist())


def test_oversampling_repeats_randomly_drawn_minority_samples():
    X, y = discs_and_rings(n_samples=48, weights=(0.75, 0.25), seed=4)
    rings = set(np.flatnonzero(y == "ring").tolist())
    assert (len(y) - len(rings), len(rings)) == (36, 12)
    recorder = BatchRecorder()
    LipNetClassifier(
        max_epochs=2, augment=False, batch_size=12, callbacks=[recorder], **FAST
    ).fit(X, y)
    X_std = standardised(X)
    repeats = []
    for epoch in range(2):
        rows, _ = source_rows(recorder.images(True, epoch), X_std)
        counts = Counter(rows.tolist())
        # every sample at least once, every class as large as the majority
        assert set(counts) == set(range(len(y)))
        assert sum(counts[i] for i in rings) == 36
        repeats.append(sorted(counts[i] for i in rings))
    # A fixed cycle would repeat each ring exactly three times, every epoch;
    # random draws repeat some more often than others, differently each epoch.
    assert all(max(r) - min(r) >= 2 for r in repeats)
    assert repeats[0] != repeats[1]


def _smoothed_log_loss(codes, proba, label_smoothing):
    """Cross-entropy against targets smoothed as in thesis section 5.2."""
    n_classes = proba.shape[1]
    targets = np.full(proba.shape, label_smoothing / n_classes)
    targets[np.arange(len(codes)), codes] += 1 - label_smoothing
    return float(np.mean(-(targets * np.log(proba)).sum(axis=1)))


def test_early_stopping_restores_the_best_epochs_weights():
    X, y = discs_and_rings(n_samples=60, seed=1)
    # A fit that stopped early, after epochs worse than the best one (the
    # first seed gives one; more are tried should the training ever change).
    for random_state in range(5):
        recorder = BatchRecorder()
        clf = LipNetClassifier(
            max_epochs=12,
            lr=0.003,
            train_split=0.3,
            patience=2,
            callbacks=[recorder],
            random_state=random_state,
            device="cpu",
        ).fit(X, y)
        losses = clf.history_[:, "valid_loss"]
        if len(losses) < 12 and losses[-1] - min(losses) > 0.05:
            break
    else:
        pytest.fail("no fit stopped early after a worse epoch")
    rows, distance = source_rows(recorder.images(False, epoch=-1), standardised(X))
    assert distance.max() < UNTOUCHED
    restored = _smoothed_log_loss(
        np.searchsorted(clf.classes_, y[rows]),
        clf.predict_proba(X[rows]),
        clf.label_smoothing,
    )
    assert restored == pytest.approx(min(losses), rel=1e-4)


def test_same_seed_and_validation_split_give_identical_probabilities():
    X, y = discs_and_rings(n_samples=60, seed=1)
    params = dict(max_epochs=3, train_split=0.3, **FAST)
    first = LipNetClassifier(**params).fit(X, y).predict_proba(X)
    second = LipNetClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)


def test_the_validation_split_follows_random_state():
    X, y = discs_and_rings(n_samples=60, seed=1)
    X_std = standardised(X)

    def validation_rows(random_state):
        recorder = BatchRecorder()
        LipNetClassifier(
            max_epochs=1,
            train_split=0.3,
            callbacks=[recorder],
            random_state=random_state,
            device="cpu",
        ).fit(X, y)
        rows, distance = source_rows(recorder.images(False), X_std)
        assert distance.max() < UNTOUCHED
        return sorted(rows.tolist())

    first = validation_rows(0)
    assert len(first) == 18
    # The legacy global generator, which an unseeded split would draw from,
    # has moved on since: it must not matter.
    np.random.random(5)  # noqa: NPY002
    assert validation_rows(0) == first
    assert validation_rows(1) != first


def test_each_probability_column_belongs_to_its_class():
    X, y = three_shapes()
    assert y[0] == max(y)  # the first label sorts last
    clf = LipNetClassifier(max_epochs=5, augment=False, **FAST).fit(X, y)
    assert clf.classes_.tolist() == ["ant", "moth", "zebra"]
    proba = clf.predict_proba(X)
    true_column = np.searchsorted(clf.classes_, y)
    np.testing.assert_array_equal(proba.argmax(axis=1), true_column)
    np.testing.assert_array_equal(clf.predict(X), y)


def test_batch_size_one_trains_on_every_sample():
    X, y = discs_and_rings(n_samples=20, seed=5)
    recorder = BatchRecorder()
    LipNetClassifier(
        "lipnet1",
        max_epochs=1,
        batch_size=1,
        balance=None,
        augment=False,
        callbacks=[recorder],
        **FAST,
    ).fit(X, y)
    rows, _ = source_rows(recorder.images(training=True), standardised(X))
    assert sorted(rows.tolist()) == list(range(20))
