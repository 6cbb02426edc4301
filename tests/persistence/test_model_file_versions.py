"""Model files of every format version load and predict what they did."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_lipnet import load_model, save_model

FORMAT_1 = Path(__file__).parent / "model_files_v1"
NAMES = sorted(path.stem for path in FORMAT_1.glob("*.lipnet"))


def _inputs(name):
    data = np.load(FORMAT_1 / "inputs.npz")
    if name == "lipnet_features":
        return data["features"]
    return pd.DataFrame(
        {"image": list(data["images"]), "mask": list(data["masks"].astype(bool))}
    )


def _objects(tree):
    """Every ``__object__`` and ``network`` name in a model file's JSON."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in ("__object__", "network", "module"):
                yield value
            yield from _objects(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _objects(value)


def _document(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("model.json"))


def test_there_are_format_1_files_of_every_kind():
    assert {"lipnet4_pipeline", "lipnet_features", "svm_smote_probability"} <= set(
        NAMES
    )
    for name in NAMES:
        assert _document(FORMAT_1 / f"{name}.lipnet")["version"] == 1


@pytest.mark.parametrize("name", NAMES)
def test_format_1_files_predict_what_they_predicted(name):
    # On the CPU, where the expected values were computed (a GPU's TF32
    # convolutions differ by more than the tolerance).
    model = load_model(FORMAT_1 / f"{name}.lipnet", device="cpu")
    expected = np.load(FORMAT_1 / f"{name}_expected.npz")
    X = _inputs(name)
    np.testing.assert_array_equal(model.predict(X).astype(str), expected["predict"])
    if "predict_proba" in expected:
        np.testing.assert_allclose(
            model.predict_proba(X), expected["predict_proba"], rtol=0, atol=1e-6
        )


@pytest.mark.parametrize("name", NAMES)
def test_resaved_files_name_classes_by_registry_name(name, tmp_path):
    model = load_model(FORMAT_1 / f"{name}.lipnet")
    path = tmp_path / "model.lipnet"
    save_model(model, path)
    document = _document(path)
    assert document["version"] == 2
    names = list(_objects(document["model"]))
    assert names, "the file names no class"
    # Registry names carry no module path, so moving a module breaks nothing.
    assert not [n for n in names if "." in n]
    X = _inputs(name)
    reloaded = load_model(path)
    np.testing.assert_array_equal(reloaded.predict(X), model.predict(X))
    if hasattr(model, "predict_proba"):
        np.testing.assert_array_equal(reloaded.predict_proba(X), model.predict_proba(X))


def test_an_import_path_in_a_format_2_file_is_refused(tmp_path):
    model = load_model(FORMAT_1 / "svm_plain.lipnet")
    path = tmp_path / "model.lipnet"
    save_model(model, path)
    document = _document(path)
    document["model"]["__object__"] = "imblearn.pipeline.Pipeline"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", json.dumps(document))
    with pytest.raises(ValueError, match="imblearn.pipeline.Pipeline.*does not load"):
        load_model(path)


@pytest.mark.parametrize("name", NAMES)
def test_parameters_added_since_a_file_was_written_get_their_defaults(name):
    from sklearn.base import clone

    from sklearn_lipnet import LipNetClassifier

    model = load_model(FORMAT_1 / f"{name}.lipnet")
    steps = [step for _, step in model.steps] if hasattr(model, "steps") else [model]
    for step in steps:
        if isinstance(step, LipNetClassifier):
            # Format-1 files predate test-time augmentation and warm starts.
            assert step.tta is False and step.warm_start_from is None
    clone(model).get_params()
