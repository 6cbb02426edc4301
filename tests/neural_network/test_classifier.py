import pickle

import joblib
import numpy as np
import pytest
import torch
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import make_pipeline
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from skorch.callbacks import Callback

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.neural_network import ARCHITECTURES

from .._synthetic import discs_and_rings
from ._recording import BatchRecorder, source_rows, standardised

FAST = dict(max_epochs=2, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def shapes():
    return discs_and_rings(n_samples=90, seed=1)


def test_learns_discs_versus_rings():
    X, y = discs_and_rings(n_samples=240, weights=(0.75, 0.25), seed=0)
    clf = LipNetClassifier(max_epochs=6, random_state=0).fit(X[:160], y[:160])
    score = balanced_accuracy_score(y[160:], clf.predict(X[160:]))
    assert score > 0.85


def test_string_labels_come_back_and_proba_follows_classes(shapes):
    X, y = shapes
    clf = LipNetClassifier(**FAST).fit(X, y)
    assert clf.classes_.tolist() == ["disc", "ring"]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert np.array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert set(clf.predict(X)) <= {"disc", "ring"}


def test_same_seed_same_probabilities_bit_for_bit_on_cpu(shapes):
    X, y = shapes
    cpu = dict(FAST, device="cpu")
    first = LipNetClassifier(**cpu).fit(X, y).predict_proba(X)
    second = LipNetClassifier(**cpu).fit(X, y).predict_proba(X)
    other = LipNetClassifier(**{**cpu, "random_state": 1}).fit(X, y).predict_proba(X)
    assert np.array_equal(first, second)
    assert not np.array_equal(first, other)


def test_fit_leaves_the_global_torch_rng_alone(shapes):
    X, y = shapes
    state = torch.get_rng_state()
    LipNetClassifier(**FAST).fit(X, y)
    assert torch.equal(state, torch.get_rng_state())


def test_prediction_is_never_augmented(shapes):
    X, y = shapes
    clf = LipNetClassifier(**FAST).fit(X, y)  # trained with augmentation
    proba = clf.predict_proba(X)
    # The probabilities are the network's output on the plain images ...
    module = clf.module_.eval()
    with torch.no_grad():
        plain = torch.softmax(module(standardised(X)), dim=1).numpy()
    np.testing.assert_allclose(proba, plain, rtol=1e-4, atol=1e-6)
    # ... whatever a sample's place in the batch (a seeded augmentation of
    # prediction batches would transform each place differently).
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(
        clf.predict_proba(X[order]), proba[order], rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("shape", [(28, 28), (1, 28, 28)])
def test_image_stacks_equal_the_image_matrix(shapes, shape):
    X, y = shapes
    flat = LipNetClassifier(**FAST).fit(X, y).predict_proba(X)
    X_nd = X.reshape(len(X), *shape)
    stacked = LipNetClassifier(**FAST).fit(X_nd, y).predict_proba(X_nd)
    np.testing.assert_allclose(stacked, flat, rtol=1e-5, atol=1e-6)


def test_multichannel_images(shapes):
    X, y = shapes
    X_rgb = np.repeat(X.reshape(-1, 1, 28, 28), 3, axis=1)
    clf = LipNetClassifier(**FAST).fit(X_rgb, y)
    assert clf.module_.features[0].in_channels == 3
    assert clf.predict(X_rgb[:5]).shape == (5,)


def test_other_image_sizes_are_resized_to_the_network_input(shapes):
    X, y = shapes
    X40 = torch.nn.functional.interpolate(
        torch.from_numpy(X.reshape(-1, 1, 28, 28)), size=(40, 40), mode="bilinear"
    ).numpy()
    clf = LipNetClassifier(**FAST).fit(X40.reshape(len(X), -1), y)
    assert clf.input_layout_ == "image"
    assert clf.module_.input_size == 28
    assert clf.predict(X40.reshape(len(X), -1)[:3]).shape == (3,)
    with pytest.raises(ValueError, match="1600 features"):
        clf.predict(X)


@pytest.mark.parametrize("architecture", ["lipnet1", "lipnet2", "lipnet4c", "lipnet6"])
def test_every_architecture_fits_and_predicts(shapes, architecture):
    X, y = shapes
    clf = LipNetClassifier(architecture, max_epochs=3, random_state=0).fit(X, y)
    assert type(clf.module_) is ARCHITECTURES[architecture]
    expected_side = 32 if architecture == "lipnet6" else 28
    assert clf.module_.input_size == expected_side
    losses = clf.history_[:, "train_loss"]
    assert losses[-1] < 0.95 * losses[0]  # it learns
    proba = clf.predict_proba(X[:4])
    assert proba.shape == (4, 2)
    assert not np.allclose(proba, proba[0])  # and tells the images apart


def test_wrong_image_size_at_predict(shapes):
    X, y = shapes
    clf = LipNetClassifier(**FAST).fit(X.reshape(-1, 28, 28), y)
    with pytest.raises(ValueError, match=r"shape \(30, 30\).*fitted on.*\(28, 28\)"):
        clf.predict(np.zeros((2, 30, 30)))
    flat = LipNetClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="X has 900 features, but LipNetClassifier"):
        flat.predict(np.zeros((2, 900)))


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        LipNetClassifier().predict(np.zeros((2, 784)))


def test_clone_keeps_parameters_and_drops_the_fit(shapes):
    X, y = shapes
    clf = LipNetClassifier(
        "lipnet2", max_epochs=1, module__dense_units=16, random_state=0
    ).fit(X, y)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert copy.get_params()["module__dense_units"] == 16
    assert not hasattr(copy, "net_")


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_fitted_model_round_trips(shapes, tmp_path, dump):
    X, y = shapes
    clf = LipNetClassifier(**FAST).fit(X, y)
    path = tmp_path / "model.bin"
    if dump == "pickle":
        path.write_bytes(pickle.dumps(clf))
        loaded = pickle.loads(path.read_bytes())
    else:
        joblib.dump(clf, path)
        loaded = joblib.load(path)
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.predict(X[:3]).tolist() == clf.predict(X[:3]).tolist()


@pytest.mark.parametrize(
    "X_change, y_change, match",
    [
        (
            lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X),
            None,
            "NaN",
        ),
        (
            lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.inf, X),
            None,
            "infinity",
        ),
        (lambda X: X[:0], lambda y: y[:0], "0 sample"),
        (None, lambda y: np.full_like(y, "disc"), "at least 2 classes"),
        (None, lambda y: np.linspace(0, 1, len(y)), "Unknown label type: continuous"),
        (None, lambda y: y[:-3], "inconsistent numbers of samples"),
        (lambda X: X[:, 0], None, "Expected 2D array"),
    ],
    ids=["nan", "inf", "empty", "one-class", "continuous", "lengths", "1d"],
)
def test_bad_training_data_is_refused(shapes, X_change, y_change, match):
    X, y = shapes
    X = X_change(X) if X_change else X
    y = y_change(y) if y_change else y
    with pytest.raises(ValueError, match=match):
        LipNetClassifier(**FAST).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"architecture": "lipnet5"}, "'architecture' parameter"),
        ({"balance": "smote"}, "'balance' parameter"),
        ({"optimizer": "rmsprop"}, "'optimizer' parameter"),
        ({"lr": -1.0}, "'lr' parameter"),
        ({"input_layout": "features", "train_split": 1.5}, "'train_split' parameter"),
        ({"modul__dropout": 0.2}, r"Unknown parameter\(s\) \['modul__dropout'\]"),
        ({"module__dropout": 0.2}, "module__dropout does not apply to LipNet4"),
        ({"iterator_train__num_workers": 2}, "iterator_train__num_workers is not"),
        ({"augment": {"rotate": 5}}, "unknown transformations"),
    ],
)
def test_bad_parameters_are_named(shapes, params, match):
    X, y = shapes
    with pytest.raises(ValueError, match=match):
        LipNetClassifier(**{**FAST, **params}).fit(X, y)


def test_cuda_requested_without_cuda(shapes, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = shapes
    with pytest.raises(ValueError, match="CUDA is not available"):
        LipNetClassifier(**{**FAST, "device": "cuda"}).fit(X, y)


def test_dunder_parameters_reach_module_and_optimizer(shapes):
    X, y = shapes
    clf = LipNetClassifier(
        max_epochs=1,
        module__dense_units=24,
        module__batch_norm=True,
        optimizer__weight_decay=0.01,
        random_state=0,
    ).fit(X, y)
    assert clf.module_.head[1].out_features == 24
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in clf.module_.modules())
    assert clf.net_.optimizer_.param_groups[0]["weight_decay"] == 0.01


def test_set_params_routes_through_a_pipeline(shapes):
    X, y = shapes
    pipe = make_pipeline(RandomOverSampler(random_state=0), LipNetClassifier(**FAST))
    pipe.set_params(lipnetclassifier__module__dense_units=8)
    assert pipe.get_params()["lipnetclassifier__module__dense_units"] == 8
    pipe.fit(X, y)
    assert pipe[-1].module_.head[1].out_features == 8


def test_sgd_uses_nesterov_momentum(shapes):
    X, y = shapes
    clf = LipNetClassifier(optimizer="sgd", lr=0.01, **FAST).fit(X, y)
    group = clf.net_.optimizer_.param_groups[0]
    assert isinstance(clf.net_.optimizer_, torch.optim.SGD)
    assert group["nesterov"] and group["momentum"] == 0.9 and group["lr"] == 0.01


def test_label_smoothing_reaches_the_loss(shapes):
    X, y = shapes
    clf = LipNetClassifier(label_smoothing=0.2, **FAST).fit(X, y)
    assert clf.net_.criterion_.label_smoothing == 0.2


def test_class_weight_balance_weighs_the_loss():
    X, y = discs_and_rings(n_samples=100, weights=(0.8, 0.2))
    clf = LipNetClassifier(balance="class_weight", **FAST).fit(X, y)
    weight = clf.net_.criterion_.weight.cpu().numpy()
    np.testing.assert_allclose(weight, [100 / (2 * 80), 100 / (2 * 20)], rtol=1e-6)


def test_validation_is_neither_augmented_nor_rebalanced():
    X, y = discs_and_rings(n_samples=100, weights=(0.8, 0.2), seed=3)
    recorder = BatchRecorder()
    clf = LipNetClassifier(
        max_epochs=2, train_split=0.25, callbacks=[recorder], random_state=0
    ).fit(X, y)
    valid_X = recorder.images(training=False)
    valid_y = recorder.labels(training=False)
    # each of the two epochs validates on the same untouched 25 samples
    assert len(valid_X) == 2 * 25
    torch.testing.assert_close(valid_X[:25], valid_X[25:])
    assert torch.bincount(valid_y[:25]).tolist() == [20, 5]
    # the held-out images are exactly the standardised inputs
    _, distance = source_rows(valid_X, standardised(X))
    assert distance.max() < 1e-4
    # training batches: 75 samples (60 + 15) oversampled to 60 + 60, augmented
    train_y = recorder.labels(training=True)
    assert torch.bincount(train_y).tolist() == [2 * 60, 2 * 60]
    assert len(clf.history_) == 2


def test_early_stopping_on_a_validation_split(shapes):
    X, y = shapes
    clf = LipNetClassifier(
        max_epochs=20, lr=1e-9, train_split=0.3, patience=2, random_state=0
    ).fit(X, y)
    # the loss cannot improve with this learning rate: stop after 1 + patience
    assert len(clf.history_) == 3
    assert "valid_bacc" in clf.history_[-1]


def test_callbacks_are_called(shapes):
    X, y = shapes

    class CountEpochs(Callback):
        def initialize(self):
            self.epochs = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs += 1

    counter = CountEpochs()
    LipNetClassifier(max_epochs=3, callbacks=[counter], random_state=0).fit(X, y)
    assert counter.epochs == 3


@pytest.mark.parametrize(
    "width, layout, expected",
    [
        (64, "auto", "image"),
        (49, "auto", "features"),
        (10, "auto", "features"),
        (784, "features", "features"),
    ],
)
def test_input_layout(width, layout, expected):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, width))
    y = np.repeat([0, 1], 20)
    clf = LipNetClassifier(input_layout=layout, **FAST).fit(X, y)
    assert clf.input_layout_ == expected


def test_image_layout_needs_square_rows():
    with pytest.raises(ValueError, match="10 columns, which is not a square"):
        LipNetClassifier(input_layout="image", **FAST).fit(
            np.zeros((6, 10)), [0, 1] * 3
        )


def test_grid_search_over_an_imblearn_pipeline():
    X, y = discs_and_rings(n_samples=150, weights=(0.7, 0.3), seed=4)
    pipe = make_pipeline(
        RandomOverSampler(random_state=0),
        LipNetClassifier(max_epochs=4, balance=None, random_state=0),
    )
    search = GridSearchCV(
        pipe,
        {"lipnetclassifier__architecture": ["lipnet2", "lipnet4"]},
        cv=StratifiedKFold(3),
        scoring="balanced_accuracy",
        n_jobs=2,
    ).fit(X, y)
    assert search.best_score_ > 0.75
    assert set(search.predict(X[:10])) <= {"disc", "ring"}


def test_cross_validate_scores_balanced_accuracy():
    X, y = discs_and_rings(n_samples=150, weights=(0.7, 0.3), seed=5)
    scores = cross_validate(
        LipNetClassifier(max_epochs=4, random_state=0),
        X,
        y,
        cv=StratifiedKFold(3),
        scoring="balanced_accuracy",
    )
    assert scores["test_score"].min() > 0.75


def test_set_params_refuses_unknown_names_but_takes_routed_ones():
    clf = LipNetClassifier()
    with pytest.raises(ValueError, match="Invalid parameter 'bogus'"):
        clf.set_params(bogus=1)
    clf.set_params(optimizer__weight_decay=0.1, lr=0.01)
    assert clf.get_params()["optimizer__weight_decay"] == 0.1
    assert clf.lr == 0.01
