"""ONNX export: ONNX Runtime gives the model's own probabilities."""

import json
import os

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_lipnet import (
    LipNetClassifier,
    __version__,
    make_lipnet_pipeline,
    make_svm_pipeline,
    save_model,
)
from sklearn_lipnet.cli import main
from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.export import UnsupportedModelError, to_onnx
from sklearn_lipnet.neural_network import ARCHITECTURES

from .._synthetic import discs_and_rings

TINY = {
    "max_epochs": 2,
    "lr": 1e-2,
    "device": "cpu",
    "random_state": 0,
    "module__conv_channels": 4,
    "module__dense_units": 8,
}


def _scatter_weights(clf, X, seed=0):
    """Scatter the fitted network's weights so that its outputs spread.

    Two-epoch networks of four channels give nearly the same probabilities
    for every image, where an export error could hide. Noise of each
    parameter's own scale, then the last layer scaled and shifted so that
    the logits of ``X`` have mean 0 and spread about 2 (that layer is
    linear, and so is the global pooling after LipNet-4c's), make every
    layer and pixel count without saturating the softmax. The graph must
    reproduce any weights.
    """
    module = clf.net_.module_
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            scale = max(float(parameter.std()) if parameter.numel() > 1 else 0, 0.1)
            noise = scale * torch.randn(parameter.shape, generator=generator)
            parameter.add_(noise.to(parameter.device))
        module.eval()
        inputs = clf._network_input(X)
        # The hybrid network takes a dict: its arguments by name.
        logits = module(**inputs) if isinstance(inputs, dict) else module(inputs)
        factor = 2 / logits.std(dim=0).mean()
        last = [m for m in module.modules() if hasattr(m, "weight")][-1]
        last.weight.mul_(factor)
        last.bias.mul_(factor).sub_(factor * logits.mean(dim=0))
    return clf


def _run(path, inputs):
    session = onnxruntime.InferenceSession(str(path))
    return session.run(None, inputs)


def _metadata(path):
    props = onnx.load(str(path)).metadata_props
    return {entry.key: json.loads(entry.value) for entry in props}


def _assert_same_probabilities(path, clf, X, graph_input):
    """ONNX Runtime's probabilities equal predict_proba's, batches 1 and 17."""
    for n in (1, 17):
        (proba,) = _run(path, {"images": graph_input[:n]})
        expected = clf.predict_proba(X[:n])
        assert proba.shape == expected.shape
        np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-5)
    # The comparison has power: the probabilities differ between images.
    assert np.ptp(clf.predict_proba(X[:17])[:, 0]) > 0.1


@pytest.fixture(scope="module")
def images_40():
    """Discs and rings, 40 x 40: every network's input needs a resize."""
    X, y = discs_and_rings(60, side=40, seed=1)
    return X, y


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_every_architecture_matches_predict_proba(architecture, images_40, tmp_path):
    X, y = images_40
    clf = _scatter_weights(LipNetClassifier(architecture, **TINY).fit(X, y), X)
    path = to_onnx(clf, tmp_path / "model.onnx")
    _assert_same_probabilities(path, clf, X, X.reshape(-1, 1, 40, 40))
    metadata = _metadata(path)
    assert metadata["classes"] == ["disc", "ring"]
    assert metadata["network"] == architecture
    assert metadata["sklearn_lipnet_version"] == __version__
    (graph_input,) = metadata["inputs"]
    assert graph_input["shape"] == ["batch", 1, 40, 40]
    size = 32 if architecture == "lipnet6" else 28
    assert metadata["network_input_size"] == size
    assert graph_input["resize"]["to"] == [size, size]
    assert graph_input["resize"]["method"] == "bilinear, antialiased"
    mean, scale = clf._scaling
    assert graph_input["standardisation"]["mean"] == pytest.approx(mean.tolist())
    assert graph_input["standardisation"]["scale"] == pytest.approx(scale.tolist())
    assert metadata["preprocessing"] is None


@pytest.mark.parametrize("architecture", ["lipnet4", "lipnet4c"])
def test_multichannel_images_with_batch_norm(architecture, images_40, tmp_path):
    X, y = images_40
    images = X.reshape(-1, 40, 40)
    # Three channels on different scales, so per-channel standardisation
    # matters.
    X4 = np.stack([images, 5 * images[:, ::-1] + 3, -images.transpose(0, 2, 1)], 1)
    clf = LipNetClassifier(architecture, module__batch_norm=True, **TINY)
    _scatter_weights(clf.fit(X4, y), X4)
    path = to_onnx(clf, tmp_path / "model.onnx")
    _assert_same_probabilities(path, clf, X4, X4)
    assert _metadata(path)["inputs"][0]["shape"] == ["batch", 3, 40, 40]


@pytest.mark.parametrize("side", [28, 20])
def test_images_at_or_below_the_network_size(side, tmp_path):
    # 28: no resize in the graph; 20: enlarged, plain bilinear. 3-D input.
    X, y = discs_and_rings(60, side=side, seed=2)
    stack = X.reshape(-1, side, side)
    clf = _scatter_weights(LipNetClassifier("lipnet2", **TINY).fit(stack, y), stack)
    path = to_onnx(clf, tmp_path / "model.onnx")
    _assert_same_probabilities(path, clf, stack, stack[:, None])
    resize = _metadata(path)["inputs"][0]["resize"]
    if side == 28:
        assert resize is None
        ops = {node.op_type for node in onnx.load(str(path)).graph.node}
        assert "MatMul" not in ops
    else:
        assert resize["method"] == "bilinear"


def test_feature_vectors_use_the_mlp(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6)) * [1, 10, 100, 1, 1, 1] + 5
    y = np.where(X[:, 0] + X[:, 1] / 10 > 5, "high", "low")
    mlp = {k: v for k, v in TINY.items() if k != "module__conv_channels"}
    features = X.astype(np.float32)
    clf = _scatter_weights(LipNetClassifier(**mlp).fit(features, y), features)
    assert clf.input_layout_ == "features"
    path = to_onnx(clf, tmp_path / "mlp.onnx")
    for n in (1, 17):
        (proba,) = _run(path, {"features": features[:n]})
        np.testing.assert_allclose(
            proba, clf.predict_proba(features[:n]), rtol=0, atol=1e-5
        )
    assert np.ptp(proba[:, 0]) > 0.1
    metadata = _metadata(path)
    assert metadata["network"] == "mlp"
    assert metadata["inputs"][0]["layout"] == "NF"


def test_lipnet_pipeline_takes_the_preprocessed_images(tmp_path):
    table, y = make_liposomes(
        40, weights=[0.5, 0.3, 0.2], pixel_size_nm=3.0, random_state=0
    )
    pipeline = make_lipnet_pipeline(
        "lipnet4", size=40, sampler="oversample", mode="masked", **TINY
    ).fit(table, y)
    preprocessor = pipeline.named_steps["preprocessor"]
    image_matrix = preprocessor.transform(table)
    _scatter_weights(pipeline.named_steps["lipnet"], image_matrix)
    path = to_onnx(pipeline, tmp_path / "pipeline.onnx")
    images = image_matrix.reshape(-1, 1, 40, 40)
    for n in (1, 17):
        (proba,) = _run(path, {"images": images[:n]})
        np.testing.assert_allclose(
            proba, pipeline.predict_proba(table.iloc[:n]), rtol=0, atol=1e-5
        )
    assert np.ptp(proba[:, 0]) > 0.1
    metadata = _metadata(path)
    assert metadata["classes"] == sorted(set(y))
    assert metadata["model"] == "ParticlePreprocessor -> LipNetClassifier"
    preprocessing = metadata["preprocessing"]
    assert preprocessing["step"] == "ParticlePreprocessor"
    assert preprocessing["mode"] == "masked"
    assert preprocessing["size"] == 40
    assert preprocessing["keep_aspect"] is True
    assert preprocessing["normalize"] is True
    assert preprocessing["in_graph"] is False


@pytest.fixture(scope="module")
def liposome_features():
    table, y = make_liposomes(
        45, weights=[0.5, 0.3, 0.2], pixel_size_nm=3.0, random_state=0
    )
    return table, y


# C="cv": a TunedSVC holding the sampler; C=1.0: the sampler as a step.
@pytest.mark.parametrize("C", ["cv", 1.0])
@pytest.mark.parametrize("probability", [True, False])
def test_svm_pipeline_through_skl2onnx(probability, C, liposome_features, tmp_path):
    table, y = liposome_features
    svm = make_svm_pipeline(
        ["area", "circularity", "histogram", "internal_variance"],
        probability=probability,
        sampler="oversample",
        C=C,
        random_state=0,
    ).fit(table, y)
    path = to_onnx(svm, tmp_path / "svm.onnx")
    features = svm.named_steps["features"].transform(table)
    label, scores = _run(path, {"features": features})
    assert label.tolist() == svm.predict(table).tolist()
    expected = svm.predict_proba(table) if probability else svm.decision_function(table)
    np.testing.assert_allclose(scores, expected, rtol=0, atol=1e-5)
    metadata = _metadata(path)
    assert metadata["outputs"][1]["name"] == (
        "probabilities" if probability else "scores"
    )
    assert metadata["preprocessing"]["feature_names"] == list(
        svm.named_steps["features"].get_feature_names_out()
    )
    assert metadata["classes"] == svm.classes_.tolist()


def test_binary_svm_scores_are_the_decision_function(liposome_features, tmp_path):
    table, y = liposome_features
    binary = np.where(y == "unilamellar", "unilamellar", "other")
    svm = make_svm_pipeline(["area", "histogram"]).fit(table, binary)
    path = to_onnx(svm, tmp_path / "svm.onnx")
    label, scores = _run(
        path, {"features": svm.named_steps["features"].transform(table)}
    )
    assert scores.shape == (len(y),)
    np.testing.assert_allclose(scores, svm.decision_function(table), rtol=0, atol=1e-5)
    assert label.tolist() == svm.predict(table).tolist()


# -- errors ------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    X, y = discs_and_rings(40, seed=3)
    return LipNetClassifier("lipnet1", **TINY).fit(X, y), X, y


def test_unfitted_models_are_refused(tmp_path):
    with pytest.raises(NotFittedError, match="to_onnx needs a fitted model"):
        to_onnx(LipNetClassifier(), tmp_path / "m.onnx")
    with pytest.raises(NotFittedError, match="step 'preprocessor'"):
        to_onnx(make_lipnet_pipeline(), tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())


def test_unsupported_estimators_are_refused(fitted, tmp_path):
    clf, X, y = fitted
    with pytest.raises(UnsupportedModelError, match="SVC.*skl2onnx directly"):
        to_onnx(SVC().fit(X, y), tmp_path / "m.onnx")
    with pytest.raises(UnsupportedModelError, match="LogisticRegression"):
        to_onnx(LogisticRegression().fit(X, y), tmp_path / "m.onnx")
    scaled = Pipeline([("scaler", StandardScaler()), ("lipnet", clf)])
    with pytest.raises(UnsupportedModelError, match="StandardScaler before"):
        to_onnx(scaled, tmp_path / "m.onnx")
    clf.set_params(tta=True)
    try:
        with pytest.raises(UnsupportedModelError, match=r"tta=True.*set_params"):
            to_onnx(clf, tmp_path / "m.onnx")
    finally:
        clf.set_params(tta=False)
    assert not list(tmp_path.iterdir())


class _OtherNetwork(torch.nn.Module):
    """A network to_onnx knows nothing about (as a new hybrid would be)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, X):
        return self.inner(X)


def test_unknown_networks_and_layers_are_refused(tmp_path):
    X, y = discs_and_rings(40, seed=3)
    clf = LipNetClassifier("lipnet1", **TINY).fit(X, y)
    clf.net_.module_ = _OtherNetwork(clf.net_.module_)
    with pytest.raises(UnsupportedModelError, match="_OtherNetwork"):
        to_onnx(clf, tmp_path / "m.onnx")
    clf.net_.module_ = clf.net_.module_.inner
    clf.net_.module_.features[1] = torch.nn.GELU()
    with pytest.raises(UnsupportedModelError, match="GELU"):
        to_onnx(clf, tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())


def test_unwritable_paths_give_clear_errors(fitted, tmp_path):
    clf, _, _ = fitted
    with pytest.raises(FileNotFoundError, match="missing does not exist"):
        to_onnx(clf, tmp_path / "missing" / "m.onnx")
    with pytest.raises(IsADirectoryError, match="a folder"):
        to_onnx(clf, tmp_path)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(FileNotFoundError, match="file.txt is not a folder"):
        to_onnx(clf, a_file / "m.onnx")


def test_the_file_appears_whole_or_not_at_all(fitted, tmp_path, monkeypatch):
    clf, X, _ = fitted
    path = tmp_path / "m.onnx"
    path.write_bytes(b"the user's earlier file")

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        to_onnx(clf, path)
    assert path.read_bytes() == b"the user's earlier file"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # no temp file left
    monkeypatch.undo()
    to_onnx(clf, path)  # replaces it, with a new file's usual permissions
    (proba,) = _run(path, {"images": X[:3].reshape(-1, 1, 28, 28)})
    np.testing.assert_allclose(proba, clf.predict_proba(X[:3]), atol=1e-5)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# -- command line ------------------------------------------------------------


def test_lipnet_export_command(fitted, tmp_path, capsys):
    clf, X, _ = fitted
    model = tmp_path / "model.lipnet"
    save_model(clf, model)
    out = tmp_path / "model.onnx"
    assert main(["export", "--model", str(model), "--out", str(out)]) == 0
    assert "ONNX model written" in capsys.readouterr().out
    (proba,) = _run(out, {"images": X.reshape(-1, 1, 28, 28)})
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-5)

    argv = ["export", "--model", str(model), "--format", "onnx", "--out"]
    assert main([*argv, str(model)]) == 2
    assert "is the model file itself" in capsys.readouterr().err
    assert main([*argv, str(tmp_path / "no" / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lipnet: error: Cannot write the ONNX model")
    assert "Traceback" not in err


def test_a_fixed_scale_pipeline_names_the_fitted_canvas(tmp_path):
    from sklearn_lipnet.preprocessing import prepare_image

    table, y = make_liposomes(24, weights=[0.5, 0.3, 0.2], random_state=1)
    pipeline = make_lipnet_pipeline(
        "lipnet4c", size=32, scale="fixed", max_epochs=1, random_state=0
    ).fit(table, y)
    canvas_nm = pipeline.named_steps["preprocessor"].canvas_nm_
    assert canvas_nm is not None
    path = to_onnx(pipeline, tmp_path / "fixed.onnx")
    settings = _metadata(path)["preprocessing"]
    # The canvas chosen at fit, not the parameter (None): what a caller
    # needs to prepare the images as the model saw them.
    assert settings["canvas_nm"] == pytest.approx(canvas_nm)
    row = table.iloc[0]
    image = prepare_image(
        row["image"],
        row["mask"],
        settings["mode"],
        settings["size"],
        keep_aspect=settings["keep_aspect"],
        normalize=settings["normalize"],
        pixel_size_nm=row["pixel_size_nm"],
        canvas_nm=settings["canvas_nm"],
    )
    (proba,) = _run(path, {"images": image.reshape(1, 1, 32, 32)})
    np.testing.assert_allclose(
        proba, pipeline.predict_proba(table.iloc[:1]), rtol=0, atol=1e-5
    )
