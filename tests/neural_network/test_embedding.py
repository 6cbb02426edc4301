"""LipNetEmbedding: a trained LipNet's penultimate layer as a transformer."""

import numpy as np
import pytest
import torch
from sklearn.metrics import balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.neural_network import LipNetEmbedding

from .._synthetic import discs_and_rings

FAST = dict(max_epochs=3, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def shapes():
    return discs_and_rings(n_samples=120, seed=4)


@pytest.mark.parametrize(
    "classifier, width",
    [
        (LipNetClassifier(**FAST), 128),
        (LipNetClassifier("lipnet4c", **FAST), 32),
        (LipNetClassifier(module__dense_units=20, **FAST), 20),
    ],
)
def test_the_network_s_last_layer_classifies_the_embedding(shapes, classifier, width):
    X, y = shapes
    embedding = LipNetEmbedding(classifier).fit(X, y)
    features = embedding.transform(X)
    assert features.shape == (len(X), width) == (len(X), embedding.n_features_out_)
    assert features.dtype == np.float64
    network = embedding.classifier_.module_
    last = network.head[-1] if classifier.architecture != "lipnet4c" else None
    if last is None:  # LipNet-4c: a 1x1 convolution, then averaging
        conv = network.head[0]
        weight, bias = conv.weight[:, :, 0, 0], conv.bias
    else:
        weight, bias = last.weight, last.bias
    with torch.no_grad():
        logits = torch.as_tensor(features, dtype=torch.float32) @ weight.T + bias
    np.testing.assert_allclose(
        torch.softmax(logits, 1).numpy(),
        embedding.classifier_.predict_proba(X),
        rtol=1e-4,
        atol=1e-5,
    )
    assert embedding.get_feature_names_out()[[0, -1]].tolist() == [
        "lipnetembedding0",
        f"lipnetembedding{width - 1}",
    ]


def test_the_given_classifier_is_cloned_not_fitted(shapes):
    X, y = shapes
    classifier = LipNetClassifier(**FAST)
    embedding = LipNetEmbedding(classifier).fit(X, y)
    assert not hasattr(classifier, "classes_")
    assert embedding.classifier_ is not classifier


def test_learned_features_feed_an_svm(shapes):
    X, y = shapes
    model = make_pipeline(
        LipNetEmbedding(LipNetClassifier(max_epochs=5, random_state=0)),
        StandardScaler(),
        SVC(class_weight="balanced"),
    )
    model.fit(X[:80], y[:80])
    assert set(model.predict(X[80:])) <= {"disc", "ring"}
    assert balanced_accuracy_score(y[80:], model.predict(X[80:])) > 0.85
