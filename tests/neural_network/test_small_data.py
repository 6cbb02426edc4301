"""Test-time augmentation and warm starts from a saved network."""

import numpy as np
import pytest
import torch
from sklearn.base import clone

from sklearn_lipnet import (
    LipNetClassifier,
    load_model,
    make_lipnet_pipeline,
    make_svm_pipeline,
    save_model,
)

from .._particle_shapes import vesicle_table
from .._synthetic import discs_and_rings


@pytest.fixture(scope="module")
def shapes():
    return discs_and_rings(80)


@pytest.fixture(scope="module")
def fitted(shapes):
    X, y = shapes
    return LipNetClassifier(max_epochs=2, device="cpu", random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def model_file(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("pretrained") / "discs.lipnet"
    save_model(fitted, path)
    return path


def _views(X):
    """The eight rotations and mirror images of flattened 28 x 28 images."""
    images = X.reshape(-1, 28, 28)
    for mirrored in (images, images[:, :, ::-1]):
        for k in range(4):
            yield np.rot90(mirrored, k, axes=(1, 2)).reshape(len(X), -1)


def test_tta_averages_the_eight_rotations_and_mirror_images(shapes, fitted):
    X, _ = shapes
    expected = np.mean([fitted.predict_proba(view) for view in _views(X)], axis=0)
    tta = fitted.set_params(tta=True)
    try:
        np.testing.assert_allclose(tta.predict_proba(X), expected, atol=1e-6)
        np.testing.assert_allclose(tta.predict_proba(X).sum(axis=1), 1.0)
        # Invariant to the orientation on the grid, which one view is not.
        rotated = np.rot90(X.reshape(-1, 28, 28), 1, axes=(1, 2)).reshape(len(X), -1)
        np.testing.assert_allclose(
            tta.predict_proba(rotated), tta.predict_proba(X), atol=1e-6
        )
        fitted.set_params(tta=False)
        assert not np.allclose(fitted.predict_proba(rotated), fitted.predict_proba(X))
    finally:
        fitted.set_params(tta=False)


def test_tta_leaves_feature_input_alone():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 6)), np.repeat(["a", "b"], 20)
    clf = LipNetClassifier(max_epochs=1, device="cpu", random_state=0).fit(X, y)
    before = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.set_params(tta=True).predict_proba(X), before)


def _weights(clf):
    return {k: v.detach().cpu().clone() for k, v in clf.module_.state_dict().items()}


def test_warm_start_keeps_every_layer_for_the_same_classes(shapes, fitted, model_file):
    X, y = shapes
    # A learning rate too small to move the weights: they are the source's.
    tuned = LipNetClassifier(
        max_epochs=1, lr=1e-12, device="cpu", random_state=5, warm_start_from=model_file
    ).fit(X, y)
    source, weights = _weights(fitted), _weights(tuned)
    for key in source:
        torch.testing.assert_close(weights[key], source[key], rtol=0, atol=1e-8)
    scratch = LipNetClassifier(max_epochs=1, lr=1e-12, device="cpu", random_state=5)
    scratch.fit(X, y)
    assert not torch.allclose(
        _weights(scratch)["features.0.weight"], source["features.0.weight"]
    )


def test_warm_start_starts_the_last_layer_afresh_for_other_classes(
    shapes, fitted, model_file
):
    X, y = shapes
    other = np.where(y == "disc", "full", "empty")
    tuned = LipNetClassifier(
        max_epochs=1, lr=1e-12, device="cpu", random_state=5, warm_start_from=model_file
    ).fit(X, other)
    source, weights = _weights(fitted), _weights(tuned)
    assert list(tuned.classes_) == ["empty", "full"]
    for key in source:
        if key.startswith("head.4."):  # the layer that scores the classes
            assert not torch.allclose(weights[key], source[key])
        else:
            torch.testing.assert_close(weights[key], source[key], rtol=0, atol=1e-8)
    # Three classes: the last layer changes shape, the others still fit.
    three = np.where(np.arange(len(y)) % 3 == 0, "uncertain", y)
    tuned = LipNetClassifier(
        max_epochs=1, device="cpu", random_state=5, warm_start_from=model_file
    ).fit(X, three)
    assert tuned.predict_proba(X).shape == (len(X), 3)


def test_warm_start_in_a_pipeline_survives_clone_and_saving(model_file, tmp_path):
    table, y = vesicle_table(12, rng=0)
    pipeline = make_lipnet_pipeline(
        max_epochs=1, device="cpu", random_state=0, warm_start_from=str(model_file)
    )
    fitted = clone(pipeline).fit(table, y)
    save_model(fitted, tmp_path / "tuned.lipnet")
    loaded = load_model(tmp_path / "tuned.lipnet")
    assert loaded[-1].warm_start_from == str(model_file)
    np.testing.assert_allclose(
        loaded.predict_proba(table), fitted.predict_proba(table), atol=1e-6
    )


@pytest.mark.parametrize(
    "params, match",
    [
        ({"architecture": "lipnet6"}, "holds a LipNet4 network, but this classifier"),
        ({"module__dense_units": 64}, r"layer 'head.1.weight' has shape \(128, 1568\)"),
        ({"module__batch_norm": True}, "has shape|other layers"),
        ({"module__input_size": 32}, "has shape"),
    ],
)
def test_warm_start_from_another_network_is_refused(shapes, model_file, params, match):
    X, y = shapes
    clf = LipNetClassifier(
        max_epochs=1, device="cpu", warm_start_from=model_file, **params
    )
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "net_")


def test_warm_start_from_a_file_without_a_network(tmp_path, shapes):
    X, y = shapes
    with pytest.raises(ValueError, match="no such model file"):
        LipNetClassifier(warm_start_from=tmp_path / "missing.lipnet").fit(X, y)
    table, labels = vesicle_table(9, rng=0)
    save_model(make_svm_pipeline().fit(table, labels), tmp_path / "svm.lipnet")
    with pytest.raises(ValueError, match="holds a TunedSVC, not a fitted LipNet"):
        LipNetClassifier(warm_start_from=tmp_path / "svm.lipnet").fit(X, y)
    (tmp_path / "text.lipnet").write_text("not a model")
    with pytest.raises(ValueError, match="not an sklearn-lipnet model file"):
        LipNetClassifier(warm_start_from=tmp_path / "text.lipnet").fit(X, y)


def test_tta_is_saved_and_old_files_get_the_old_behaviour(fitted, tmp_path, shapes):
    X, _ = shapes
    fitted.set_params(tta=True)
    try:
        save_model(fitted, tmp_path / "tta.lipnet")
    finally:
        fitted.set_params(tta=False)
    loaded = load_model(tmp_path / "tta.lipnet")
    assert loaded.tta is True
    np.testing.assert_allclose(
        loaded.predict_proba(X), fitted.set_params(tta=True).predict_proba(X), atol=1e-6
    )
    fitted.set_params(tta=False)
