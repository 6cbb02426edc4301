"""ONNX export of the CNN + features hybrid: two inputs, the model's probabilities."""

import numpy as np
import onnx
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import FeatureUnion
from sklearn.pipeline import Pipeline as SklearnPipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sklearn_lipnet import (
    LipNetClassifier,
    ParticleFeatures,
    ParticlePreprocessor,
    load_model,
    make_hybrid_pipeline,
)
from sklearn_lipnet.cli import main
from sklearn_lipnet.datasets import load_particles, make_liposomes, save_particles
from sklearn_lipnet.export import UnsupportedModelError, to_onnx

from .test_onnx import TINY, _metadata, _run, _scatter_weights

#: Features on very different scales (area in nm^2, circularity, a
#: histogram), so that each standardisation in the graph matters.
FEATURES = ["area", "circularity", "histogram"]


@pytest.fixture(scope="module")
def liposomes():
    return make_liposomes(
        40, weights=[0.5, 0.3, 0.2], pixel_size_nm=3.0, random_state=0
    )


def _union_parts(pipeline):
    union = pipeline.named_steps["union"]
    preprocessor = union.transformer_list[0][1]
    feature_steps = union.transformer_list[1][1]
    return union, preprocessor, feature_steps


def _graph_inputs(pipeline, table):
    """What the caller computes: the images and the raw features."""
    _, preprocessor, feature_steps = _union_parts(pipeline)
    side = preprocessor.size
    images = preprocessor.transform(table).reshape(-1, 1, side, side)
    features = feature_steps.named_steps["features"].transform(table)
    return {"images": images, "features": features}


def _rows(inputs, n):
    return {name: value[:n] for name, value in inputs.items()}


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("architecture", ["lipnet4", "lipnet4c"])
def test_hybrid_pipeline_matches_predict_proba(
    architecture, batch_norm, liposomes, tmp_path
):
    table, y = liposomes
    pipeline = make_hybrid_pipeline(
        architecture,
        features=FEATURES,
        # A sampler acts in fit only: the graph must leave it out.
        sampler="oversample" if batch_norm else None,
        module__batch_norm=batch_norm,
        **TINY,
    ).fit(table, y)
    union, _, feature_steps = _union_parts(pipeline)
    _scatter_weights(pipeline.named_steps["hybrid"], union.transform(table))
    path = to_onnx(pipeline, tmp_path / "hybrid.onnx")
    inputs = _graph_inputs(pipeline, table)
    for n in (1, 17):
        (proba,) = _run(path, _rows(inputs, n))
        expected = pipeline.predict_proba(table.iloc[:n])
        assert proba.shape == expected.shape
        np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-5)
    # The comparison has power: the probabilities differ between particles.
    assert np.ptp(proba[:, 0]) > 0.1

    metadata = _metadata(path)
    assert metadata["network"] == "hybrid"
    assert metadata["network_input_size"] == 28
    assert metadata["classes"] == pipeline.classes_.tolist()
    assert metadata["model"] == (
        "FeatureUnion(ParticlePreprocessor, ParticleFeatures -> StandardScaler) "
        "-> LipNetClassifier"
    )
    images, features = metadata["inputs"]
    assert (images["name"], images["dtype"]) == ("images", "float32")
    assert images["shape"] == ["batch", 1, 28, 28]
    assert images["scaler"] is None and images["resize"] is None
    n_features = inputs["features"].shape[1]
    assert (features["name"], features["dtype"]) == ("features", "float64")
    assert features["shape"] == ["batch", n_features]
    scaler = feature_steps.named_steps["scaler"]
    assert features["scaler"]["mean"] == pytest.approx(scaler.mean_.tolist())
    assert features["scaler"]["scale"] == pytest.approx(scaler.scale_.tolist())
    clf_mean, clf_scale = pipeline.named_steps["hybrid"]._scaling["features"]
    assert features["standardisation"]["mean"] == pytest.approx(clf_mean.tolist())
    assert features["standardisation"]["scale"] == pytest.approx(clf_scale.tolist())
    preprocessing = metadata["preprocessing"]
    assert preprocessing["images"]["step"] == "ParticlePreprocessor"
    assert preprocessing["images"]["size"] == 28
    assert preprocessing["features"]["step"] == "ParticleFeatures"
    assert len(preprocessing["features"]["feature_names"]) == n_features


@pytest.fixture(scope="module")
def image_and_feature_columns(liposomes):
    """``[32 x 32 image | raw features]`` of real particles, float64."""
    table, y = liposomes
    images = ParticlePreprocessor(size=32).fit_transform(table)
    features = ParticleFeatures(features=FEATURES).fit_transform(table)
    return images, features, y


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("architecture", ["lipnet4", "lipnet4c"])
def test_bare_hybrid_classifier_matches_predict_proba(
    architecture, batch_norm, image_and_feature_columns, tmp_path
):
    images, features, y = image_and_feature_columns
    X = np.hstack([images, features])
    # 32 x 32 images for a 28 x 28 network: the graph resizes them too.
    clf = LipNetClassifier(
        architecture, n_image_features=32 * 32, module__batch_norm=batch_norm, **TINY
    ).fit(X, y)
    _scatter_weights(clf, X)
    path = to_onnx(clf, tmp_path / "hybrid.onnx")
    inputs = {"images": images.reshape(-1, 1, 32, 32), "features": features}
    for n in (1, 17):
        (proba,) = _run(path, _rows(inputs, n))
        np.testing.assert_allclose(proba, clf.predict_proba(X[:n]), rtol=0, atol=1e-5)
    assert np.ptp(proba[:, 0]) > 0.1
    # A float32 X is standardised in float32 by the classifier, in float64
    # by the graph: the same probabilities still.
    np.testing.assert_allclose(
        proba, clf.predict_proba(X[:17].astype(np.float32)), rtol=0, atol=1e-5
    )
    metadata = _metadata(path)
    assert metadata["preprocessing"] is None
    assert metadata["model"] == "LipNetClassifier"
    images_input, features_input = metadata["inputs"]
    assert images_input["resize"]["to"] == [28, 28]
    assert images_input["resize"]["method"] == "bilinear, antialiased"
    assert features_input["scaler"] is None
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    assert {"Concat", "MatMul"} <= ops
    assert ("BatchNormalization" in ops) == batch_norm


# -- what is refused ---------------------------------------------------------


@pytest.fixture(scope="module")
def fitted_hybrid(liposomes):
    table, y = liposomes
    return make_hybrid_pipeline(features=FEATURES, **TINY).fit(table, y)


def _with_union(pipeline, union):
    """A copy of the fitted ``pipeline`` whose union is replaced."""
    steps = [(name, step) for name, step in pipeline.steps]
    steps[0] = ("union", union)
    return SklearnPipeline(steps)


def test_other_unions_before_a_hybrid_are_refused(fitted_hybrid, tmp_path):
    union, preprocessor, feature_steps = _union_parts(fitted_hybrid)
    swapped = FeatureUnion([("features", feature_steps), ("images", preprocessor)])
    with pytest.raises(UnsupportedModelError, match="joins Pipeline, Particle"):
        to_onnx(_with_union(fitted_hybrid, swapped), tmp_path / "m.onnx")
    weighted = FeatureUnion(union.transformer_list, transformer_weights={"images": 2})
    with pytest.raises(UnsupportedModelError, match="transformer_weights"):
        to_onnx(_with_union(fitted_hybrid, weighted), tmp_path / "m.onnx")
    features = feature_steps.named_steps["features"]
    other_scaler = FeatureUnion(
        [
            ("images", preprocessor),
            ("features", SklearnPipeline([("f", features), ("s", MinMaxScaler())])),
        ]
    )
    with pytest.raises(UnsupportedModelError, match="ParticleFeatures -> MinMaxScaler"):
        to_onnx(_with_union(fitted_hybrid, other_scaler), tmp_path / "m.onnx")
    images_only = SklearnPipeline(
        [("images", preprocessor), ("hybrid", fitted_hybrid.named_steps["hybrid"])]
    )
    with pytest.raises(UnsupportedModelError, match="has ParticlePreprocessor"):
        to_onnx(images_only, tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())


def test_a_union_whose_widths_differ_is_refused(fitted_hybrid, liposomes, tmp_path):
    _, preprocessor, _ = _union_parts(fitted_hybrid)
    other_features = ParticleFeatures(features=["area"]).fit(liposomes[0])
    union = FeatureUnion(
        [
            ("images", preprocessor),
            ("features", SklearnPipeline([("f", other_features)])),
        ]
    )
    with pytest.raises(UnsupportedModelError, match="computes 1 features"):
        to_onnx(_with_union(fitted_hybrid, union), tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())


def test_an_unfitted_hybrid_pipeline_is_refused(tmp_path):
    with pytest.raises(NotFittedError, match="step 'union'"):
        to_onnx(make_hybrid_pipeline(), tmp_path / "m.onnx")


def test_a_scaler_without_mean_or_scale(liposomes, tmp_path):
    # with_mean=False: the graph divides by the scale only, as the scaler.
    table, y = liposomes
    pipeline = make_hybrid_pipeline(features=FEATURES, **TINY)
    pipeline.set_params(union__features__scaler=StandardScaler(with_mean=False))
    pipeline.fit(table, y)
    union, _, _ = _union_parts(pipeline)
    _scatter_weights(pipeline.named_steps["hybrid"], union.transform(table))
    path = to_onnx(pipeline, tmp_path / "m.onnx")
    (proba,) = _run(path, _graph_inputs(pipeline, table))
    np.testing.assert_allclose(proba, pipeline.predict_proba(table), rtol=0, atol=1e-5)
    assert _metadata(path)["inputs"][1]["scaler"]["mean"] is None


# -- command line ------------------------------------------------------------


def test_lipnet_export_of_a_trained_hybrid(liposomes, tmp_path, capsys):
    table, y = liposomes
    save_particles(table, y, tmp_path / "train")
    model = tmp_path / "hybrid.lipnet"
    argv = ["train", "--data", str(tmp_path / "train"), "--out", str(model)]
    argv += ["--model", "hybrid", "--epochs", "1", "--device", "cpu", "--seed", "0"]
    assert main([*argv, "--quiet"]) == 0
    out = tmp_path / "hybrid.onnx"
    assert main(["export", "--model", str(model), "--out", str(out)]) == 0
    assert "ONNX model written" in capsys.readouterr().out

    pipeline = load_model(model)
    particles = load_particles(tmp_path / "train")[0]
    (proba,) = _run(out, _graph_inputs(pipeline, particles))
    np.testing.assert_allclose(
        proba, pipeline.predict_proba(particles), rtol=0, atol=1e-5
    )
    assert _metadata(out)["network"] == "hybrid"
