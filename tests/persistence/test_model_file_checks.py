"""What load_model checks: consistent arrays, size limits, resource settings,
one clear ValueError for every malformed file, and saves that cannot lose the
previous file."""

import io
import json
import zipfile

import pytest
import torch
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from sklearn_lipnet import (
    LipNetClassifier,
    ParticleFeatures,
    load_model,
    make_svm_pipeline,
    save_model,
)
from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.persistence import _model_file

from .._synthetic import discs_and_rings


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path, members, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _rewrite_json(path, change):
    members = _members(path)
    document = json.loads(members["model.json"])
    change(document)
    members["model.json"] = json.dumps(document).encode()
    _write(path, members)


@pytest.fixture(scope="module")
def particles():
    return make_liposomes(24, weights=[0.5, 0.25, 0.25], surrounding=10, random_state=0)


@pytest.fixture(scope="module")
def svm_file(particles, tmp_path_factory):
    path = tmp_path_factory.mktemp("svm") / "svm.lipnet"
    table, y = particles
    save_model(make_svm_pipeline(["area", "histogram"], n_jobs=2).fit(table, y), path)
    return path


@pytest.fixture(scope="module")
def probability_file(particles, tmp_path_factory):
    path = tmp_path_factory.mktemp("svm") / "svm_probability.lipnet"
    table, y = particles
    model = make_svm_pipeline(["area", "histogram"], probability=True)
    save_model(model.fit(table, y), path)
    return path


@pytest.fixture(scope="module")
def lipnet_file(tmp_path_factory):
    X, y = discs_and_rings(40)
    path = tmp_path_factory.mktemp("lipnet") / "lipnet.lipnet"
    clf = LipNetClassifier("lipnet1", max_epochs=1, device="cpu", random_state=0)
    save_model(clf.fit(X, y), path)
    return path


def _copy(source, tmp_path):
    path = tmp_path / source.name
    path.write_bytes(source.read_bytes())
    return path


def _last_step(document):
    return document["model"]["state"]["steps"][-1]["__tuple__"][1]["state"]


def _svc(document):
    """The SVC's state: the last step's, or that of the TunedSVC's ``svc_``."""
    state = _last_step(document)
    return state["svc_"]["state"] if "svc_" in state else state


def _trim(name, keep):
    def change(document):
        array = _svc(document)[name]
        array["__ndarray__"] = array["__ndarray__"][:keep]
        array["shape"] = [keep] if len(array["shape"]) == 1 else [keep, 1]

    return change


def _index_past_the_end(document):
    _svc(document)["support_"]["__ndarray__"][0] = 10**6


def _fewer_columns(document):
    vectors = _svc(document)["support_vectors_"]
    rows = vectors["shape"][0]
    vectors["__ndarray__"] = vectors["__ndarray__"][:rows]
    vectors["shape"] = [rows, 1]


# The arrays libsvm trusts; scikit-learn checks only _n_support against the
# support vectors, so before these checks most of them read out of bounds.
@pytest.mark.parametrize(
    "change, attribute",
    [
        (_trim("_dual_coef_", 2), "_dual_coef_"),
        (_trim("_intercept_", 0), "_intercept_"),
        (_index_past_the_end, "support_"),
        (_fewer_columns, "support_vectors_"),
        (_trim("class_weight_", 1), "class_weight_"),
    ],
)
def test_svm_arrays_that_disagree_are_refused(svm_file, tmp_path, change, attribute):
    path = _copy(svm_file, tmp_path)
    _rewrite_json(path, change)
    with pytest.raises(ValueError, match=rf"{path.name}.*\.{attribute}:"):
        load_model(path)


def _search_scores_of_another_grid(document):
    scores = _last_step(document)["search_scores_"]
    scores["__ndarray__"] = scores["__ndarray__"][:3]
    scores["shape"] = [1, 3]


def _svc_fitted_with_another_C(document):
    _last_step(document)["C_"] = _svc(document)["C"] * 2


def _svc_replaced_by_a_scaler(document):
    state = _last_step(document)
    state["svc_"] = document["model"]["state"]["steps"][1]["__tuple__"][1]


@pytest.mark.parametrize(
    "change, message",
    [
        (_search_scores_of_another_grid, r"search_scores_: has shape \(1, 3\)"),
        (_svc_fitted_with_another_C, r"svc_: was not fitted with C_ and gamma_"),
        (_svc_replaced_by_a_scaler, r"svc_: expected a fitted SVC"),
    ],
)
def test_a_tuned_svc_that_disagrees_with_itself_is_refused(
    svm_file, tmp_path, change, message
):
    path = _copy(svm_file, tmp_path)
    _rewrite_json(path, change)
    with pytest.raises(ValueError, match=message):
        load_model(path)


def test_probability_coefficients_that_disagree_are_refused(probability_file, tmp_path):
    path = _copy(probability_file, tmp_path)

    def change(document):
        calibrated = _svc(document)["calibrated_classifiers_"][0]["state"]
        calibrated["calibrators"] = calibrated["calibrators"][:1]

    _rewrite_json(path, change)
    with pytest.raises(ValueError, match="calibrators for 3 classes"):
        load_model(path)


def test_network_weights_that_do_not_fit_are_refused(lipnet_file, tmp_path):
    path = _copy(lipnet_file, tmp_path)
    members = _members(path)
    weights = torch.load(io.BytesIO(members["weights_0.pt"]), weights_only=True)
    name = next(iter(weights))
    weights[name] = torch.zeros(3)
    buffer = io.BytesIO()
    torch.save(weights, buffer)
    _write(path, {**members, "weights_0.pt": buffer.getvalue()})
    with pytest.raises(ValueError, match=rf"weights\['{name}'\].*shape \(3,\)"):
        load_model(path)


def test_a_member_that_inflates_too_much_is_refused_unread(svm_file, tmp_path):
    # Valid JSON padded with 40 MB of spaces: 40 kB in the zip.
    path = _copy(svm_file, tmp_path)
    members = _members(path)
    members["model.json"] += b" " * (40 * 2**20)
    _write(path, members)
    assert path.stat().st_size < 2**20
    with pytest.raises(ValueError, match="model.json'.*inflates"):
        load_model(path)


def test_members_over_the_size_limit_are_refused(svm_file, tmp_path, monkeypatch):
    path = _copy(svm_file, tmp_path)
    _write(path, _members(path), compression=zipfile.ZIP_STORED)
    monkeypatch.setattr(_model_file, "MAX_JSON_BYTES", 1000)
    with pytest.raises(ValueError, match="model.json'.*more than 1000"):
        load_model(path)


def test_resource_settings_are_the_callers(svm_file, lipnet_file, tmp_path):
    path = _copy(svm_file, tmp_path)

    def greedy(document):
        state = document["model"]["state"]
        state["memory"] = "/tmp/somewhere"
        state["steps"][0]["__tuple__"][1]["state"]["n_jobs"] = 64
        _svc(document)["cache_size"] = 10**6

    _rewrite_json(path, greedy)
    model = load_model(path)
    assert model.memory is None
    assert model.named_steps["features"].n_jobs is None
    assert model.named_steps["svc"].svc_.cache_size == 200

    path = _copy(lipnet_file, tmp_path)

    def greedy_network(document):
        state = document["model"]["state"]
        state["device"] = "cuda:7"
        state["batch_size"] = 2**20
        state["compile"] = {"__dict__": {"mode": "max-autotune"}}

    _rewrite_json(path, greedy_network)
    clf = load_model(path, device="cpu")
    assert clf.device == "cpu" and str(clf.net_.device) == "cpu"
    assert clf.compile is False and not clf.net_.execution.compile
    # The prediction batch is cut down to the memory budget.
    assert 32 <= clf.net_.get_params_for("iterator_valid")["batch_size"] < 2**20
    assert load_model(lipnet_file).device == "auto"


def _no_model_entry(document):
    del document["model"]


def _no_shape(document):
    del _svc(document)["support_"]["shape"]


def _version_text(document):
    document["version"] = "2"


def _nested(document):
    node = document["model"]["state"]
    for _ in range(200):
        node["memory"] = {"__tuple__": [{"__dict__": {}}]}
        node = node["memory"]["__tuple__"][0]["__dict__"]


# Each raised KeyError, TypeError, IndexError, RecursionError or RuntimeError
# from deep inside the loader before.
@pytest.mark.parametrize("change", [_no_model_entry, _no_shape, _version_text, _nested])
def test_malformed_json_is_one_clear_value_error(svm_file, tmp_path, change):
    path = _copy(svm_file, tmp_path)
    _rewrite_json(path, change)
    with pytest.raises(ValueError, match=path.name):
        load_model(path)


@pytest.mark.parametrize(
    "weights", [None, b"not a tensor file", b"\x80\x04K\x01."], ids=str
)
def test_missing_or_unreadable_weights_are_one_clear_value_error(
    lipnet_file, tmp_path, weights
):
    path = _copy(lipnet_file, tmp_path)
    members = _members(path)
    if weights is None:
        del members["weights_0.pt"]
    else:
        members["weights_0.pt"] = weights
    _write(path, members)
    with pytest.raises(ValueError, match=rf"{path.name}.*weights"):
        load_model(path)


def test_json_nested_past_the_recursion_limit(svm_file, tmp_path):
    path = tmp_path / "deep.lipnet"
    _write(path, {"model.json": b"[" * 100_000 + b"]" * 100_000})
    with pytest.raises(ValueError, match="deep.lipnet"):
        load_model(path)


def test_unexpected_members_are_refused(svm_file, tmp_path):
    path = _copy(svm_file, tmp_path)
    _write(path, {**_members(path), "payload.pkl": b"cos\nsystem\n"})
    with pytest.raises(ValueError, match="'payload.pkl': is not part of a model"):
        load_model(path)


def test_an_unknown_attribute_is_refused(svm_file, tmp_path):
    path = _copy(svm_file, tmp_path)
    _rewrite_json(path, lambda document: _svc(document).update(__class__=1))
    with pytest.raises(ValueError, match=r"unknown attribute\(s\) \['__class__'\]"):
        load_model(path)


def test_a_bad_device_is_refused_before_reading(svm_file):
    with pytest.raises(ValueError, match="device='tpu'"):
        load_model(svm_file, device="tpu")


def test_an_interrupted_save_leaves_the_old_file(
    particles, svm_file, tmp_path, monkeypatch
):
    path = _copy(svm_file, tmp_path)
    before = path.read_bytes()
    table, y = particles
    model = make_svm_pipeline(["area"]).fit(table, y)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(zipfile.ZipFile, "writestr", interrupted)
        with pytest.raises(KeyboardInterrupt):
            save_model(model, path)
    assert path.read_bytes() == before

    def full_disk(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        save_model(model, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_model_that_would_not_load_is_not_saved(particles, svm_file, tmp_path):
    path = _copy(svm_file, tmp_path)
    before = path.read_bytes()
    table, y = particles
    # More histogram bins than a model file may ask for.
    model = make_pipeline(ParticleFeatures(["histogram"], n_histogram_bins=5000), SVC())
    with pytest.raises(ValueError, match="cannot be saved.*n_histogram_bins"):
        save_model(model.fit(table, y), path)
    assert path.read_bytes() == before


def test_every_registry_class_has_a_schema():
    from sklearn_lipnet.persistence._registry import _classes
    from sklearn_lipnet.persistence._schema import schema_of

    for name in _classes():
        schema_of(name)
