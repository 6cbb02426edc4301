"""The hybrid network: LipNetClassifier(n_image_features=...) on image + features."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import balanced_accuracy_score

from sklearn_lipnet import Augmentation, LipNetClassifier
from sklearn_lipnet.neural_network import HybridLipNet
from sklearn_lipnet.neural_network._batching import EpochBatches, TensorDataset

from .._synthetic import discs_and_rings

FAST = dict(max_epochs=2, random_state=0, device="cpu")
SIDE = 28


def _joined(images, features):
    return np.hstack([images, features]).astype(np.float32)


@pytest.fixture(scope="module")
def shapes_with_noise_features():
    """Discs and rings (string labels) with 3 feature columns of noise."""
    X, y = discs_and_rings(n_samples=90, seed=1)
    noise = np.random.default_rng(0).normal(size=(len(X), 3))
    return _joined(X, noise), y


@pytest.mark.parametrize("architecture", ["lipnet4", "lipnet4c", "lipnet6"])
def test_the_last_layer_of_the_embedding_gives_the_logits(architecture):
    torch.manual_seed(0)
    network = HybridLipNet(n_features=4, n_classes=3, architecture=architecture)
    network.eval()
    side = network.input_size
    image, features = torch.randn(5, 1, side, side), torch.randn(5, 4)
    with torch.no_grad():
        embedding = network.embed(image, features)
        image_width = 32 if architecture == "lipnet4c" else 128
        assert embedding.shape == (5, image_width + 32)
        torch.testing.assert_close(
            network.head[-1](embedding), network(image, features)
        )


def test_both_branches_reach_the_output():
    torch.manual_seed(0)
    network = HybridLipNet(n_features=4, n_classes=2).eval()
    image, features = torch.randn(3, 1, 28, 28), torch.randn(3, 4)
    with torch.no_grad():
        base = network(image, features)
        assert not torch.allclose(base, network(image, features + 1))
        assert not torch.allclose(base, network(image + 1, features))


def test_the_features_decide_when_the_images_do_not():
    # Images are discs and rings regardless of the class; the class is the
    # sign of the first feature, so only the feature branch can learn it.
    X, _ = discs_and_rings(n_samples=160, seed=2)
    features = np.random.default_rng(1).normal(size=(len(X), 2))
    features[:, 0] += np.sign(features[:, 0])
    y = np.where(features[:, 0] > 0, "positive", "negative")
    Xh = _joined(X, features)
    clf = LipNetClassifier(n_image_features=SIDE * SIDE, max_epochs=4, random_state=0)
    clf.fit(Xh[:100], y[:100])
    assert balanced_accuracy_score(y[100:], clf.predict(Xh[100:])) > 0.9


def test_the_image_decides_when_the_features_are_noise():
    X, y = discs_and_rings(n_samples=200, weights=(0.7, 0.3), seed=0)
    noise = np.random.default_rng(3).normal(size=(len(X), 5))
    Xh = _joined(X, noise)
    clf = LipNetClassifier(n_image_features=SIDE * SIDE, max_epochs=5, random_state=0)
    clf.fit(Xh[:130], y[:130])
    assert balanced_accuracy_score(y[130:], clf.predict(Xh[130:])) > 0.85


def test_fitted_hybrid_is_a_scikit_learn_citizen(shapes_with_noise_features):
    X, y = shapes_with_noise_features
    clf = LipNetClassifier(n_image_features=SIDE * SIDE, **FAST).fit(X, y)
    assert clf.input_layout_ == "image+features"
    assert isinstance(clf.module_, HybridLipNet)
    assert clf.n_features_in_ == SIDE * SIDE + 3
    assert set(clf.predict(X)) <= {"disc", "ring"}
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    # clone keeps the split, a refit of the clone repeats the fit exactly
    twin = clone(clf)
    assert twin.n_image_features == SIDE * SIDE
    np.testing.assert_array_equal(twin.fit(X, y).predict_proba(X), proba)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), proba)
    assert clf._embed(X[:4]).shape == (4, 128 + 32)


def test_branch_widths_are_module_parameters(shapes_with_noise_features):
    X, y = shapes_with_noise_features
    clf = LipNetClassifier(
        n_image_features=SIDE * SIDE,
        module__dense_units=16,
        module__feature_units=5,
        **FAST,
    ).fit(X, y)
    assert clf.module_.image_head[1].out_features == 16
    assert clf.module_.feature_branch[0].out_features == 5
    assert clf.module_.head[-1].in_features == 21
    with pytest.raises(ValueError, match="module__feature_units"):
        # only the hybrid has a feature branch
        LipNetClassifier(module__feature_units=5, **FAST).fit(X[:, : SIDE * SIDE], y)


def test_validation_split_and_early_stopping_on_the_hybrid(shapes_with_noise_features):
    X, y = shapes_with_noise_features
    clf = LipNetClassifier(
        n_image_features=SIDE * SIDE,
        train_split=0.25,
        patience=1,
        max_epochs=6,
        random_state=0,
        lr=0.05,  # too large: the validation loss soon stops improving
    ).fit(X, y)
    history = clf.history_
    assert all(np.isfinite(history[:, "valid_loss"]))
    assert all(0 <= bacc <= 1 for bacc in history[:, "valid_bacc"])
    assert len(history) < 6  # stopped early


@pytest.mark.parametrize(
    "n_image_features, message",
    [
        (SIDE * SIDE + 3, "leaves no feature columns"),
        (SIDE * SIDE + 1, "not the pixel count of a square image"),
        (49, "at least 8 x 8"),
    ],
)
def test_a_wrong_split_is_named(shapes_with_noise_features, n_image_features, message):
    X, y = shapes_with_noise_features
    clf = LipNetClassifier(n_image_features=n_image_features, **FAST)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)


def test_the_split_needs_a_flat_matrix_and_the_automatic_layout():
    X, y = discs_and_rings(n_samples=20)
    with pytest.raises(ValueError, match="needs a 2-D X"):
        LipNetClassifier(n_image_features=64, **FAST).fit(X.reshape(20, 28, 28), y)
    with pytest.raises(ValueError, match="contradicts n_image_features"):
        LipNetClassifier(
            n_image_features=SIDE * SIDE, input_layout="image", **FAST
        ).fit(_joined(X, np.ones((20, 2))), y)


def test_only_the_image_is_augmented():
    image = torch.rand(6, 1, 8, 8)
    features = torch.rand(6, 2)
    codes = np.arange(6, dtype=np.int64)  # one class per sample: tells them apart
    batches = EpochBatches(
        TensorDataset({"image": image, "features": features}, codes),
        batch_size=6,
        training=True,
        augmentation=Augmentation(),
        sampling_generator=torch.Generator().manual_seed(0),
        augmentation_generator=torch.Generator().manual_seed(1),
    )
    (batch, drawn), *_ = list(batches)
    assert not torch.equal(drawn, torch.arange(6))  # shuffled
    # the feature rows arrive untouched, with their own samples
    torch.testing.assert_close(batch["features"], features[drawn], rtol=0, atol=0)
    assert not torch.allclose(batch["image"], image[drawn])


def test_training_augments_the_hybrid_s_images(shapes_with_noise_features):
    X, y = shapes_with_noise_features
    split = SIDE * SIDE
    plain = LipNetClassifier(n_image_features=split, augment=False, **FAST)
    augmented = LipNetClassifier(n_image_features=split, **FAST)
    assert not np.allclose(
        plain.fit(X, y).predict_proba(X), augmented.fit(X, y).predict_proba(X)
    )


def test_prediction_batches_of_a_dict_keep_order():
    data = {"image": torch.rand(5, 1, 8, 8), "features": torch.rand(5, 3)}
    batches = list(EpochBatches(TensorDataset(data), batch_size=2))
    assert [len(b["features"]) for b, _ in batches] == [2, 2, 1]
    torch.testing.assert_close(
        torch.cat([b["image"] for b, _ in batches]), data["image"]
    )


def test_tta_turns_the_hybrid_s_image_and_keeps_its_features(
    shapes_with_noise_features,
):
    X, y = shapes_with_noise_features
    clf = LipNetClassifier(n_image_features=SIDE * SIDE, **FAST).fit(X, y)
    images = X[:, : SIDE * SIDE].reshape(-1, SIDE, SIDE)
    features = X[:, SIDE * SIDE :]
    views = [
        np.rot90(flipped, k, axes=(1, 2))
        for flipped in (images, images[:, :, ::-1])
        for k in range(4)
    ]
    expected = np.mean(
        [clf.predict_proba(_joined(v.reshape(len(X), -1), features)) for v in views],
        axis=0,
    )
    # The eight views are not all alike to the network, so the average is
    # a different prediction than the plain one.
    assert np.abs(expected - clf.predict_proba(X)).max() > 1e-3
    np.testing.assert_allclose(
        clf.set_params(tta=True).predict_proba(X), expected, atol=1e-5
    )
