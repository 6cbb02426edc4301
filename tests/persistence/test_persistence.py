"""Model files: round trips, and nothing but allowlisted data on loading."""

import json
import zipfile

import numpy as np
import pytest

from sklearn_lipnet import (
    Augmentation,
    LipNetClassifier,
    load_model,
    make_lipnet_pipeline,
    save_model,
)
from sklearn_lipnet.datasets import make_liposomes

from .._synthetic import discs_and_rings


def test_lipnet_pipeline_round_trips(tmp_path):
    table, y = make_liposomes(
        30, problem="lamellarity", weights=[0.5, 0.3, 0.2], random_state=0
    )
    model = make_lipnet_pipeline(
        "lipnet2",
        max_epochs=1,
        device="cpu",
        random_state=0,
        augment=Augmentation(shear=0),
        sampler="oversample",
    ).fit(table, y)
    save_model(model, tmp_path / "m.lipnet")
    loaded = load_model(tmp_path / "m.lipnet")
    np.testing.assert_allclose(loaded.predict_proba(table), model.predict_proba(table))
    assert loaded.predict(table).tolist() == model.predict(table).tolist()
    classifier = loaded.named_steps["lipnet"]
    assert classifier.augment == Augmentation(shear=0)
    assert len(classifier.history_) == 1
    # a loaded model refits like a fresh one
    loaded.set_params(lipnet__max_epochs=1).fit(table, y)


def test_training_only_objects_are_left_out(tmp_path):
    from skorch.callbacks import Callback

    X, y = discs_and_rings(40)
    clf = LipNetClassifier(
        max_epochs=1,
        device="cpu",
        random_state=0,
        callbacks=[Callback()],
        train_split=0.25,
        module__dense_units=16,
    ).fit(X, y)
    save_model(clf, tmp_path / "m.lipnet")
    loaded = load_model(tmp_path / "m.lipnet")
    assert loaded.callbacks is None
    assert loaded.train_split == 0.25
    assert loaded.get_params()["module__dense_units"] == 16
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X))


def _rewrite_json(path, change):
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    document = json.loads(files["model.json"])
    change(document)
    files["model.json"] = json.dumps(document).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def test_a_class_off_the_allowlist_is_refused(tmp_path):
    X, y = discs_and_rings(40)
    path = tmp_path / "m.lipnet"
    save_model(LipNetClassifier(max_epochs=1, device="cpu").fit(X, y), path)

    def smuggle(document):
        document["model"]["state"]["augment"] = {
            "__object__": "subprocess.Popen",
            "state": {},
        }

    _rewrite_json(path, smuggle)
    with pytest.raises(ValueError, match="'subprocess.Popen', which sklearn-lipnet"):
        load_model(path)


def test_newer_formats_and_other_files_are_refused(tmp_path):
    X, y = discs_and_rings(40)
    path = tmp_path / "m.lipnet"
    save_model(LipNetClassifier(max_epochs=1, device="cpu").fit(X, y), path)
    _rewrite_json(path, lambda document: document.update(version=99))
    with pytest.raises(ValueError, match="newer sklearn-lipnet"):
        load_model(path)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ValueError, match="not an sklearn-lipnet model file"):
        load_model(other)


def test_unsavable_objects_are_named(tmp_path):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y = discs_and_rings(40)
    model = make_pipeline(
        FunctionTransformer(np.abs), LipNetClassifier(max_epochs=1, device="cpu")
    ).fit(X, y)
    with pytest.raises(ValueError, match="FunctionTransformer cannot be saved"):
        save_model(model, tmp_path / "m.lipnet")
