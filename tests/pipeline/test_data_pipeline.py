"""From a folder of PNG cut-outs to LipNet predictions in one pipeline."""

from collections import Counter

import numpy as np
import pytest
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import make_pipeline as make_imblearn_pipeline
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline

from sklearn_lipnet import LipNetClassifier, ParticlePreprocessor
from sklearn_lipnet.datasets import load_particles, make_liposomes, save_particles

COUNTS = {"unilamellar": 24, "multilamellar": 9, "uncertain": 3}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Three imbalanced classes of real-looking PNGs, one folder per class."""
    root = tmp_path_factory.mktemp("particles")
    table, y = make_liposomes(
        sum(COUNTS.values()),
        weights=list(COUNTS.values()),
        pixel_size_nm=2.0,
        random_state=0,
    )
    save_particles(table, y, root)
    return root, table


def lipnet(**kwargs):
    return LipNetClassifier(
        max_epochs=2, batch_size=16, device="cpu", random_state=0, **kwargs
    )


@pytest.mark.parametrize("with_masks", [True, False])
def test_folder_to_lipnet_pipeline(folder, with_masks, tmp_path):
    root, original = folder
    if not with_masks:  # the same images, no mask files
        loaded, labels = load_particles(root)
        save_particles(loaded.drop(columns="mask"), labels, tmp_path)
        root = tmp_path
    table, y = load_particles(root)
    assert Counter(y.tolist()) == COUNTS
    shapes = dict(zip(original["id"], (image.shape for image in original["image"])))
    assert all(
        image.shape == shapes[i] for i, image in zip(table["id"], table["image"])
    )
    assert ("mask" in table.columns) == with_masks

    model = make_pipeline(ParticlePreprocessor(), lipnet())
    model.fit(table, y)
    assert model[0].mode_ == ("masked" if with_masks else "surrounding")
    proba = model.predict_proba(table)
    assert proba.shape == (len(y), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert list(model.classes_) == sorted(COUNTS)
    assert set(model.predict(table)) <= set(COUNTS)


def test_imblearn_sampler_between_preprocessor_and_lipnet(folder):
    table, y = load_particles(folder[0])
    model = make_imblearn_pipeline(
        ParticlePreprocessor(size=28),
        RandomOverSampler(random_state=0),
        lipnet(balance=None),
    )
    predicted = cross_val_predict(model, table, y, cv=3)
    assert predicted.shape == y.shape and set(predicted) <= set(COUNTS)
