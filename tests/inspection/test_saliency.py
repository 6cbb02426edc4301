"""Saliency maps: the known-answer localisation test, the rules, the errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.exceptions import NotFittedError

from sklearn_lipnet import LipNetClassifier, make_lipnet_pipeline, make_svm_pipeline
from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.inspection import (
    METHODS,
    localisation_score,
    make_spot_images,
    saliency_maps,
)
from sklearn_lipnet.inspection._saliency import _integrated_gradients

SIDE = 28
TOP_LEFT = np.zeros((SIDE, SIDE), dtype=bool)
TOP_LEFT[: SIDE // 2, : SIDE // 2] = True


def _fit(architecture, X, y, epochs):
    return LipNetClassifier(
        architecture,
        max_epochs=epochs,
        augment=False,  # flips and rotations would move the spot's quadrant
        device="cpu",
        random_state=0,
    ).fit(X, y)


@pytest.fixture(scope="module")
def spots():
    X, y, _ = make_spot_images(200, random_state=0)
    X_test, y_test, centres = make_spot_images(40, random_state=1)
    return X, y, X_test, y_test, centres


@pytest.fixture(scope="module")
def spot_model(spots):
    X, y, *_ = spots
    return _fit("lipnet4", X, y, epochs=5)


@pytest.fixture(scope="module")
def spot_model_4c(spots):
    X, y, *_ = spots
    return _fit("lipnet4c", X, y, epochs=5)


def test_the_trained_networks_solve_the_spot_task(spot_model, spot_model_4c, spots):
    *_, X_test, y_test, _ = spots
    assert (spot_model.predict(X_test) == y_test).mean() >= 0.9
    assert (spot_model_4c.predict(X_test) == y_test).mean() >= 0.75


@pytest.mark.parametrize("method", METHODS)
def test_every_method_puts_the_mass_in_the_deciding_quadrant(
    spot_model, spot_model_4c, spots, method
):
    # Only the top-left quadrant depends on the class; a faithful map of a
    # "spot" image puts well over its area share (0.25) of the mass there.
    # Grad-CAM is checked on LipNet-4c, where it is the class activation map:
    # behind LipNet-4's dense head its spatial mean loses the spot (the maps
    # of this model are all zero; see benchmarks/bench_saliency.py).
    *_, X_test, y_test, _ = spots
    model = spot_model_4c if method == "gradcam" else spot_model
    has_spot = y_test == "spot"
    maps = saliency_maps(model, X_test[has_spot], method=method, target="spot")
    assert maps.shape == (has_spot.sum(), SIDE, SIDE)
    assert (maps >= 0).all() and np.isfinite(maps).all()
    assert localisation_score(maps, TOP_LEFT).mean() > 0.5


def test_the_default_target_is_the_predicted_class(spot_model, spots):
    *_, X_test, _, _ = spots
    predicted = spot_model.predict(X_test[:6])
    for method in ("gradient", "gradcam"):
        np.testing.assert_array_equal(
            saliency_maps(spot_model, X_test[:6], method=method),
            saliency_maps(spot_model, X_test[:6], method=method, target=predicted),
        )
    # With two classes the log-odds of one are minus those of the other:
    # the same evidence, the same maps.
    spot_maps = saliency_maps(spot_model, X_test[:2], "gradient", target="spot")
    none_maps = saliency_maps(spot_model, X_test[:2], "gradient", target="no spot")
    np.testing.assert_allclose(spot_maps, none_maps, rtol=1e-5, atol=1e-8)


def test_maps_need_no_gradient_mode_from_the_caller(spot_model, spots):
    *_, X_test, _, _ = spots
    expected = saliency_maps(spot_model, X_test[:3], method="guided_backprop")
    with torch.no_grad():
        maps = saliency_maps(spot_model, X_test[:3], method="guided_backprop")
    np.testing.assert_array_equal(maps, expected)


def test_integrated_gradients_add_up_to_the_score_difference(spot_model, spots):
    *_, X_test, _, _ = spots
    clf = spot_model
    network = clf.module_.eval()
    inputs = clf._network_input(X_test[:4])
    targets = torch.ones(4, dtype=torch.int64)  # "spot"
    attributions = _integrated_gradients(
        network, lambda x: x, inputs, targets, n_steps=128
    )
    with torch.no_grad():
        logits = network(inputs)
        baseline = network(torch.zeros_like(inputs))
    # the score: log-odds of "spot", with two classes the logit difference
    score = (logits[:, 1] - logits[:, 0]) - (baseline[:, 1] - baseline[:, 0])
    total = attributions.sum(dim=(1, 2, 3))
    np.testing.assert_allclose(total.numpy(), score.numpy(), rtol=0.02, atol=0.02)


# -- the rules, against a hand-written deconvnet of LipNet-1 ------------------


def _by_hand(clf, X, method):
    """LipNet-1's backward pass written out: switches, flipped filters, rules.

    Zeiler & Fergus's description (thesis section 4.4) step by step, with the
    rectifier rule of each method, independent of autograd hooks.
    """
    network = clf.module_.eval()
    conv, dense, output = network.features[0], network.head[1], network.head[4]
    x = clf._network_input(X)
    with torch.no_grad():
        a1 = conv(x)
        h1 = F.relu(a1)
        pooled, switches = F.max_pool2d(h1, 2, return_indices=True)
        a2 = dense(pooled.flatten(1))
        # the score: the log-odds of "spot", with two classes the difference
        # of the two logits
        signal = (output.weight[1] - output.weight[0]).expand(len(x), -1)

        def rectify(signal, forward):
            if method == "gradient":
                return signal * (forward > 0)
            if method == "deconvnet":
                return signal.clamp(min=0)
            return signal.clamp(min=0) * (forward > 0)  # guided

        signal = rectify(signal, a2) @ dense.weight
        signal = F.max_unpool2d(
            signal.reshape(pooled.shape), switches, 2, output_size=h1.shape[2:]
        )
        signal = rectify(signal, a1)
        signal = F.conv_transpose2d(signal, conv.weight, padding=1)
    scale = float(clf._scaling[1][0])
    return (signal[:, 0] / scale).abs().numpy()


@pytest.fixture(scope="module")
def lipnet1(spots):
    X, y, *_ = spots
    return _fit("lipnet1", X, y, epochs=1)


@pytest.mark.parametrize("method", ["gradient", "deconvnet", "guided_backprop"])
def test_rectifier_rules_match_the_backward_pass_by_hand(lipnet1, spots, method):
    *_, X_test, _, _ = spots
    maps = saliency_maps(lipnet1, X_test[:5], method=method, target="spot")
    expected = _by_hand(lipnet1, X_test[:5], method)
    np.testing.assert_allclose(maps, expected, rtol=1e-4, atol=1e-6)


def test_guided_backprop_is_neither_the_gradient_nor_the_deconvnet(lipnet1, spots):
    *_, X_test, _, _ = spots
    maps = {
        method: saliency_maps(lipnet1, X_test[:5], method=method, target="spot")
        for method in ("gradient", "deconvnet", "guided_backprop")
    }
    assert not np.allclose(maps["guided_backprop"], maps["gradient"], rtol=0.05)
    assert not np.allclose(maps["guided_backprop"], maps["deconvnet"], rtol=0.05)


def test_gradcam_of_lipnet4c_is_its_class_activation_map(spots):
    # LipNet-4c ends in a 1x1 convolution and global average pooling, so
    # Grad-CAM at its last convolutional layer is the class map itself
    # (without the bias), rectified: any other layer gives another map. The
    # score is the log-odds of "spot": the difference of the two class maps.
    # HiResCAM is the same map here.
    X, y, X_test, *_ = spots
    clf = _fit("lipnet4c", X[:60], y[:60], epochs=1)
    maps = saliency_maps(clf, X_test[:4], method="gradcam", target="spot")
    network = clf.module_.eval()
    class_map = network.head[0]
    with torch.no_grad():
        features = network.features(clf._network_input(X_test[:4]))
        class_maps = class_map(features) - class_map.bias[:, None, None]
        cam = class_maps[:, 1] - class_maps[:, 0]
        cam = F.relu(cam / (features.shape[2] * features.shape[3]))[:, None]
        expected = F.interpolate(cam, size=(SIDE, SIDE), mode="bilinear")[:, 0]
    np.testing.assert_allclose(maps, expected.numpy(), rtol=1e-4, atol=1e-7)
    hirescam = saliency_maps(clf, X_test[:4], method="hirescam", target="spot")
    np.testing.assert_allclose(hirescam, maps, rtol=1e-4, atol=1e-7)


# -- input coordinates --------------------------------------------------------


@pytest.fixture(scope="module")
def resized_model():
    # 42 x 42 images that the classifier shrinks to LipNet-2's 28 x 28.
    X, y, _ = make_spot_images(120, side=42, spot_sigma=2.0, random_state=2)
    return _fit("lipnet2", X, y, epochs=2), X[:4]


def test_maps_are_on_the_input_images_pixel_grid(resized_model):
    clf, X = resized_model
    for method in METHODS:
        maps = saliency_maps(clf, X, method=method, n_steps=4)
        assert maps.shape == (4, 42, 42), method


def test_the_gradient_is_per_input_pixel_through_the_resizing(resized_model):
    # Finite differences through the classifier's own input path (numpy
    # standardisation and resizing): d score / d pixel of the 42 x 42 image.
    clf, X = resized_model
    maps = saliency_maps(clf, X[:1], method="gradient", target="spot")[0]
    network = clf.module_.eval()
    pixels = np.argsort(maps.ravel())[::-1][:5]
    eps = 1e-2
    for pixel in pixels:
        shifted = np.repeat(X[:1].astype(np.float64), 2, axis=0)
        shifted[0, pixel] += eps
        shifted[1, pixel] -= eps
        with torch.no_grad():
            logits = network(clf._network_input(shifted)).double()
        scores = logits[:, 1] - logits[:, 0]  # log-odds of "spot"
        slope = float(scores[0] - scores[1]) / (2 * eps)
        assert abs(slope) == pytest.approx(maps.ravel()[pixel], rel=0.05)


def test_a_pipeline_explains_its_preprocessed_cut_outs():
    table, y = make_liposomes(30, weights=[1, 1, 1], random_state=0)
    pipeline = make_lipnet_pipeline(
        "lipnet2", max_epochs=1, device="cpu", random_state=0
    ).fit(table, y)
    maps = saliency_maps(pipeline, table[:3], method="integrated_gradients")
    assert maps.shape == (3, 28, 28)
    images = pipeline[0].transform(table[:3])
    np.testing.assert_array_equal(
        maps, saliency_maps(pipeline[-1], images, method="integrated_gradients")
    )


@pytest.mark.parametrize(
    "architecture", ["lipnet1", "lipnet2", "lipnet4", "lipnet4c", "lipnet6"]
)
def test_every_architecture_gives_maps_for_every_method(spots, architecture):
    X, y, X_test, *_ = spots
    clf = _fit(architecture, X[:40], y[:40], epochs=1)
    for method in METHODS:
        maps = saliency_maps(clf, X_test[:3], method=method, n_steps=4)
        assert maps.shape == (3, SIDE, SIDE), method
        assert (maps >= 0).all() and maps.sum() > 0, method


# -- the model is left as it was ----------------------------------------------


def test_the_network_is_left_untouched(spot_model, spots):
    *_, X_test, _, _ = spots
    module = spot_model.module_
    before = {k: v.clone() for k, v in module.state_dict().items()}
    modules_before = list(module.modules())
    was_training = module.training
    module.train()  # whatever mode the user left it in is kept
    try:
        for method in METHODS:
            saliency_maps(spot_model, X_test[:2], method=method, n_steps=2)
        assert module.training
        assert list(module.modules()) == modules_before
        for submodule in module.modules():
            assert not submodule._forward_hooks
            assert not submodule._forward_pre_hooks
            assert not submodule._backward_hooks
        for name, value in module.state_dict().items():
            assert torch.equal(value, before[name]), name
        assert all(p.requires_grad for p in module.parameters())
    finally:
        module.train(was_training)


# -- wrong input --------------------------------------------------------------


def test_an_unfitted_model_is_refused(spots):
    *_, X_test, _, _ = spots
    with pytest.raises(NotFittedError, match="not fitted"):
        saliency_maps(LipNetClassifier(), X_test)
    with pytest.raises(NotFittedError, match="not fitted"):
        saliency_maps(make_lipnet_pipeline(), X_test)


def test_an_svm_pipeline_is_refused():
    with pytest.raises(TypeError, match="pipeline ending in TunedSVC.*feature SVM"):
        saliency_maps(make_svm_pipeline(), np.zeros((2, 784)))
    with pytest.raises(TypeError, match="pipeline ending in SVC.*feature SVM"):
        saliency_maps(make_svm_pipeline(C=1.0), np.zeros((2, 784)))


def test_a_feature_vector_classifier_is_refused():
    rng = np.random.default_rng(0)
    clf = LipNetClassifier(max_epochs=1, device="cpu", random_state=0)
    clf.fit(rng.normal(size=(20, 5)), [0, 1] * 10)
    with pytest.raises(ValueError, match="feature vectors"):
        saliency_maps(clf, rng.normal(size=(2, 5)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "lrp"}, "Unknown saliency method 'lrp'"),
        ({"target": "circle"}, "target 'circle' is not one of the model's classes"),
        ({"target": ["spot"] * 3}, "3 labels for 2 samples"),
        ({"n_steps": 0}, "n_steps must be a positive int"),
    ],
)
def test_bad_arguments_are_named(spot_model, spots, kwargs, message):
    *_, X_test, _, _ = spots
    with pytest.raises(ValueError, match=message):
        saliency_maps(spot_model, X_test[:2], **kwargs)


def test_images_of_another_size_are_refused(spot_model):
    with pytest.raises(ValueError, match="expecting 784 features"):
        saliency_maps(spot_model, np.zeros((2, 32 * 32)))


@pytest.mark.cuda
def test_maps_on_the_gpu_localise_the_spot(spots):
    # The CPU test's checks on networks trained on the GPU; Grad-CAM, as
    # there, on LipNet-4c (behind LipNet-4's dense head its maps are zero).
    X, y, X_test, y_test, _ = spots
    models = {
        architecture: LipNetClassifier(
            architecture, max_epochs=5, augment=False, device="cuda", random_state=0
        ).fit(X, y)
        for architecture in ("lipnet4", "lipnet4c")
    }
    assert all(next(m.module_.parameters()).is_cuda for m in models.values())
    assert (models["lipnet4"].predict(X_test) == y_test).mean() >= 0.9
    has_spot = y_test == "spot"
    for method in METHODS:
        model = models["lipnet4c" if method == "gradcam" else "lipnet4"]
        maps = saliency_maps(model, X_test[has_spot], method=method, target="spot")
        assert maps.shape == (has_spot.sum(), SIDE, SIDE)
        assert (maps >= 0).all() and np.isfinite(maps).all(), method
        assert localisation_score(maps, TOP_LEFT).mean() > 0.5, method
