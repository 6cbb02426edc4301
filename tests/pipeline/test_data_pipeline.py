"""From a folder of PNG cut-outs to LipNet predictions in one pipeline."""

from collections import Counter

import numpy as np
import pytest
import torch
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import make_pipeline as make_imblearn_pipeline
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline

from sklearn_lipnet import LipNetClassifier, ParticlePreprocessor
from sklearn_lipnet.datasets import load_particles, make_liposomes, save_particles

from ..neural_network._recording import BatchRecorder, source_rows

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
    return root, table.assign(label=y)


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
        original = original.drop(columns="mask")
    table, y = load_particles(root)
    assert Counter(y.tolist()) == COUNTS
    assert ("mask" in table.columns) == with_masks
    # Every particle comes back whole, with its own label.
    by_id = original.set_index("id")
    for particle_id, image, label in zip(table["id"], table["image"], y):
        np.testing.assert_array_equal(image, by_id.loc[particle_id, "image"])
        assert label == by_id.loc[particle_id, "label"]
    if with_masks:
        for particle_id, mask in zip(table["id"], table["mask"]):
            np.testing.assert_array_equal(mask, by_id.loc[particle_id, "mask"])

    model = make_pipeline(ParticlePreprocessor(), lipnet())
    model.fit(table, y)
    assert model[0].mode_ == ("masked" if with_masks else "surrounding")
    assert list(model.classes_) == sorted(COUNTS)
    proba = model.predict_proba(table)
    assert proba.shape == (len(y), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    # The pipeline sees from the folder what it sees from the table in memory.
    in_memory = original.set_index("id").loc[table["id"]].reset_index()
    np.testing.assert_allclose(model.predict_proba(in_memory), proba, rtol=1e-6)
    np.testing.assert_array_equal(
        model.predict(table), model.classes_[proba.argmax(axis=1)]
    )


def _each_standardised(images):
    flat = images.flatten(1).double()
    mean, std = flat.mean(dim=1, keepdim=True), flat.std(dim=1, keepdim=True)
    return ((flat - mean) / std).float().view(images.shape)


def test_imblearn_sampler_between_preprocessor_and_lipnet(folder):
    table, y = load_particles(folder[0])
    recorder = BatchRecorder()
    model = make_imblearn_pipeline(
        ParticlePreprocessor(size=28),
        RandomOverSampler(random_state=0),
        lipnet(balance=None, augment=False, callbacks=[recorder]),
    ).fit(table, y)
    # With balance=None only the sampler balances what the network sees:
    # every epoch 24 particles of each class, the given ones and copies.
    # Each particle's image on its own (so that the rows cannot be out of
    # order), standardised on its own: the network standardises the
    # resampled matrix as a whole.
    X = np.vstack([model[0].transform(table.iloc[[i]]) for i in range(len(table))])
    X = _each_standardised(torch.from_numpy(X))
    for epoch in range(2):
        images = _each_standardised(recorder.images(True, epoch))
        rows, distance = source_rows(images, X.view(-1, 1, 28, 28))
        assert distance.max() < 1e-4
        assert set(rows) == set(range(len(y)))
        codes = recorder.labels(True, epoch).numpy()
        assert np.bincount(codes).tolist() == [24, 24, 24]
        # each image, copies included, carries its particle's label
        np.testing.assert_array_equal(model.classes_[codes], y[rows])

    # and the same pipeline goes through scikit-learn's model selection
    model.set_params(lipnetclassifier__callbacks=None)
    predicted = cross_val_predict(model, table, y, cv=3)
    assert predicted.shape == y.shape and set(predicted) <= set(COUNTS)
