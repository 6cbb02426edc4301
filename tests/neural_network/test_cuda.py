"""Tests that need a CUDA GPU; deselected (see conftest.py) on machines without.

Run them on a GPU machine with ``python -m pytest -m cuda``.
"""

import pickle

import numpy as np
import pytest
import torch

from sklearn_lipnet import LipNetClassifier

from .._synthetic import discs_and_rings

pytestmark = pytest.mark.cuda


@pytest.fixture(scope="module")
def shapes():
    return discs_and_rings(n_samples=200, weights=(0.7, 0.3), seed=0)


def test_auto_device_trains_on_the_gpu(shapes):
    X, y = shapes
    clf = LipNetClassifier(max_epochs=6, random_state=0).fit(X[:140], y[:140])
    assert clf.net_.device == "cuda"
    assert next(clf.module_.parameters()).is_cuda
    assert clf.net_.optimizer_.defaults["fused"]
    assert (clf.predict(X[140:]) == y[140:]).mean() > 0.8


def test_cuda_fit_is_repeatable_up_to_float_noise(shapes):
    X, y = shapes
    first = LipNetClassifier(max_epochs=2, random_state=0).fit(X, y)
    second = LipNetClassifier(max_epochs=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(
        first.predict_proba(X), second.predict_proba(X), atol=1e-4
    )


def test_cuda_model_unpickles_and_predicts_without_cuda(shapes, monkeypatch):
    X, y = shapes
    clf = LipNetClassifier(max_epochs=2, train_split=0.2, random_state=0).fit(X, y)
    expected = clf.predict_proba(X)
    data = pickle.dumps(clf)
    # A machine without CUDA: skorch maps the CUDA tensors to the CPU.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="not available"):
        loaded = pickle.loads(data)
    assert str(loaded.net_.device) == "cpu"
    assert not next(loaded.module_.parameters()).is_cuda
    np.testing.assert_allclose(loaded.predict_proba(X), expected, atol=1e-4)


def test_augmentation_runs_on_the_gpu(shapes):
    from sklearn_lipnet import Augmentation

    images = torch.rand(16, 1, 28, 28, device="cuda")
    generator = torch.Generator(device="cuda").manual_seed(0)
    out = Augmentation()(images, generator)
    assert out.is_cuda and out.shape == images.shape


def test_a_model_file_from_a_gpu_fit_loads_on_the_gpu(shapes, tmp_path):
    from sklearn_lipnet import load_model, save_model

    X, y = shapes
    clf = LipNetClassifier(max_epochs=1, random_state=0).fit(X, y)
    save_model(clf, tmp_path / "m.lipnet")
    loaded = load_model(tmp_path / "m.lipnet")
    assert str(loaded.net_.device) == "cuda"
    assert next(loaded.module_.parameters()).is_cuda
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), atol=1e-5)
