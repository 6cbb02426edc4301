"""Model files: round trips, and nothing but allowlisted data on loading."""

import builtins
import io
import json
import zipfile

import numpy as np
import pytest
import torch
from skorch.dataset import ValidSplit

from sklearn_lipnet import (
    Augmentation,
    LipNetClassifier,
    ParticleFeatures,
    load_model,
    make_lipnet_pipeline,
    make_svm_pipeline,
    save_model,
)
from sklearn_lipnet.datasets import make_liposomes

from .._particle_shapes import vesicle_table
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
        augment=Augmentation(shear=0, blur=0.5, noise=0.2),
        sampler="oversample",
    ).fit(table, y)
    save_model(model, tmp_path / "m.lipnet")
    loaded = load_model(tmp_path / "m.lipnet")
    np.testing.assert_allclose(loaded.predict_proba(table), model.predict_proba(table))
    assert loaded.predict(table).tolist() == model.predict(table).tolist()
    classifier = loaded.named_steps["lipnet"]
    assert classifier.augment == Augmentation(shear=0, blur=0.5, noise=0.2)
    assert len(classifier.history_) == 1
    # A loaded model refits like the original: same parameters, same seed,
    # same network, bit for bit on the CPU.
    loaded.set_params(lipnet__max_epochs=1).fit(table, y)
    assert len(loaded.named_steps["lipnet"].history_) == 1
    np.testing.assert_array_equal(
        loaded.predict_proba(table), model.predict_proba(table)
    )


def _comparable(value):
    """A ``get_params`` value with every estimator replaced by its class name.

    Deep ``get_params`` lists the parameters of nested estimators under
    their own keys, so only their kind is left to compare here.
    """
    if hasattr(value, "get_params") and not isinstance(value, type):
        return type(value).__name__
    if isinstance(value, list | tuple):
        return type(value)(_comparable(v) for v in value)
    return value


def _lipnet_pipeline():
    return make_lipnet_pipeline(
        "lipnet2",
        mode="masked",
        size=24,
        sampler="oversample",
        augment=Augmentation(rotation=90, shear=0),
        balance="undersample",
        max_epochs=1,
        batch_size=8,
        device="cpu",
        random_state=7,
        n_jobs=1,
        lr=0.002,
        optimizer="sgd",
        label_smoothing=0.05,
        train_split=0.25,
        patience=3,
        module__input_size=24,
        module__dense_units=16,
        module__batch_norm=True,
        optimizer__weight_decay=1e-4,
        iterator_valid__batch_size=64,
    )


def _features_classifier():
    return LipNetClassifier(
        input_layout="features",
        augment=False,
        balance="class_weight",
        max_epochs=2,
        lr=0.01,
        device="cpu",
        random_state=3,
        module__dense_units=8,
        module__dense_dropout=0.1,
    )


MODEL_KINDS = {
    "lipnet_pipeline": _lipnet_pipeline,
    "lipnet_on_features": _features_classifier,
    "svm_smote": lambda: make_svm_pipeline(
        ParticleFeatures(
            ["area", "histogram"], n_histogram_bins=8, intensity_range=(10, 250)
        ),
        sampler="smote",
        C=3.0,
        gamma=0.05,
        random_state=5,
    ),
    "svm_probability": lambda: make_svm_pipeline(
        "all", sampler="oversample", probability=True, kernel="linear", random_state=3
    ),
}


#: Parameters load_model sets to the loading machine's defaults.
RESET_ON_LOAD = {"n_jobs": None, "memory": None, "cache_size": 200}


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_a_loaded_model_has_every_parameter_of_the_saved_one(kind, tmp_path):
    model = MODEL_KINDS[kind]()
    if kind == "lipnet_on_features":
        X = np.random.default_rng(0).normal(size=(40, 10))
        y = np.repeat(["b", "a"], 20)
    else:
        X, y = vesicle_table(36, rng=2)
    model.fit(X, y)
    save_model(model, tmp_path / "m.lipnet")
    loaded = load_model(tmp_path / "m.lipnet", device="cpu")
    # Resource settings are the loading machine's (load_model's docstring).
    expected = {
        k: RESET_ON_LOAD.get(k.rsplit("__", 1)[-1], _comparable(v))
        for k, v in model.get_params(deep=True).items()
    }
    assert {k: _comparable(v) for k, v in loaded.get_params().items()} == expected
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


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
    # The per-epoch record comes back; the per-batch one is left out.
    assert len(loaded.history_) == 1
    for column in ("train_loss", "valid_loss", "valid_bacc"):
        assert loaded.history_[:, column] == clf.history_[:, column]
    assert loaded.history_[:, "batches"] == [[]]
    # A callable train_split is training-only too.
    clf.set_params(train_split=ValidSplit(0.25, stratified=True))
    save_model(clf, tmp_path / "callable.lipnet")
    assert load_model(tmp_path / "callable.lipnet").train_split is None


def test_an_unfitted_model_round_trips_its_parameters(tmp_path):
    model = make_lipnet_pipeline("lipnet2", max_epochs=3, random_state=4, lr=0.01)
    save_model(model, tmp_path / "m.lipnet")
    loaded = load_model(tmp_path / "m.lipnet")
    assert loaded.get_params()["lipnet__lr"] == 0.01
    assert loaded.get_params()["lipnet__random_state"] == 4
    assert not hasattr(loaded.named_steps["lipnet"], "net_")


def test_prediction_batch_sizes_come_back(tmp_path):
    X, y = discs_and_rings(40)
    clf = LipNetClassifier(
        max_epochs=1, batch_size=8, device="cpu", iterator_valid__batch_size=5
    ).fit(X, y)
    save_model(clf, tmp_path / "m.lipnet")
    net = load_model(tmp_path / "m.lipnet").net_
    assert net.batch_size == 8
    assert net.get_params_for("iterator_valid")["batch_size"] == 5


def test_a_model_saved_from_a_gpu_loads_on_a_machine_without_one(tmp_path, monkeypatch):
    X, y = discs_and_rings(40)
    clf = LipNetClassifier(max_epochs=1, device="cpu", random_state=0).fit(X, y)
    clf.device = "cuda"  # what a fit on a GPU machine saves
    save_model(clf, tmp_path / "m.lipnet")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = load_model(tmp_path / "m.lipnet")
    assert str(loaded.net_.device) == "cpu"
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X))


class _RunsCode:
    """Unpickling this runs code: what a malicious model file would hold."""

    def __reduce__(self):
        return exec, ("import builtins; builtins.lipnet_code_ran = True",)


def test_weights_that_would_run_code_are_refused(tmp_path):
    X, y = discs_and_rings(40)
    path = tmp_path / "m.lipnet"
    save_model(LipNetClassifier(max_epochs=1, device="cpu").fit(X, y), path)
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO()
    torch.save({"weight": _RunsCode()}, buffer)
    files["weights_0.pt"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match="cannot read the network weights"):
        load_model(path)
    assert not hasattr(builtins, "lipnet_code_ran")


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
    with pytest.raises(
        ValueError,
        match=r"^model.steps\[0\]\[1\]: objects of type "
        r"sklearn\.preprocessing\._function_transformer\.FunctionTransformer "
        "cannot be saved",
    ):
        save_model(model, tmp_path / "m.lipnet")
    weighted = LipNetClassifier(
        max_epochs=1, device="cpu", criterion__weight=torch.tensor([1.0, 2.0])
    ).fit(X, y)
    with pytest.raises(ValueError, match=r"^model\.criterion__weight: .*Tensor"):
        save_model(weighted, tmp_path / "m.lipnet")
