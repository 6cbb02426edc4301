"""Precision, memory layout and compilation: the fast settings on the CPU."""

import copy
import pickle

import numpy as np
import pytest
import torch
from sklearn.metrics import balanced_accuracy_score

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.neural_network._execution import native_bf16

from .._synthetic import discs_and_rings

SMALL = {"module__conv_channels": 8, "module__dense_units": 16, "batch_size": 64}


def _conv_output_dtypes(clf, X):
    """Dtypes of every convolution's output while ``clf`` predicts ``X``."""
    dtypes = []
    hooks = [
        module.register_forward_hook(lambda m, i, out: dtypes.append(out.dtype))
        for module in clf.module_.modules()
        if isinstance(module, torch.nn.Conv2d)
    ]
    try:
        proba = clf.predict_proba(X)
    finally:
        for hook in hooks:
            hook.remove()
    return set(dtypes), proba


@pytest.mark.parametrize(
    "precision, dtype", [("bf16", torch.bfloat16), ("fp16", torch.float16)]
)
def test_reduced_precision_runs_the_convolutions_in_16_bits_and_still_learns(
    precision, dtype
):
    X, y = discs_and_rings(240, seed=1)
    X_test, y_test = discs_and_rings(200, seed=2)
    clf = LipNetClassifier(
        max_epochs=10, precision=precision, random_state=0, device="cpu", **SMALL
    ).fit(X, y)
    dtypes, proba = _conv_output_dtypes(clf, X_test)
    assert dtypes == {dtype}
    assert proba.dtype == np.float64 and np.isfinite(proba).all()
    assert all(p.dtype == torch.float32 for p in clf.module_.parameters())
    assert balanced_accuracy_score(y_test, clf.predict(X_test)) > 0.85
    if precision == "fp16":
        assert clf.net_.grad_scaler_ is not None
        assert clf.net_.grad_scaler_.get_scale() > 0


def test_float32_is_the_default_and_stays_float32():
    X, y = discs_and_rings(60)
    clf = LipNetClassifier(max_epochs=1, random_state=0, device="cpu", **SMALL)
    dtypes, _ = _conv_output_dtypes(clf.fit(X, y), X)
    assert dtypes == {torch.float32}
    assert clf.net_.grad_scaler_ is None


def test_channels_last_changes_the_layout_not_the_result():
    X, y = discs_and_rings(120)
    clf = LipNetClassifier(
        max_epochs=3,
        memory_format="channels_last",
        random_state=0,
        device="cpu",
        **SMALL,
    ).fit(X, y)
    # The second convolution: with one input channel both layouts coincide.
    conv = [m for m in clf.module_.modules() if isinstance(m, torch.nn.Conv2d)][1]
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not conv.weight.is_contiguous()
    # The same weights in the default layout give the same probabilities
    # (training itself diverges by rounding, as any change of kernels does).
    contiguous = copy.deepcopy(clf)
    contiguous.net_.execution.channels_last = False
    contiguous.module_.to(memory_format=torch.contiguous_format)
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    np.testing.assert_allclose(
        clf.predict_proba(X), contiguous.predict_proba(X), rtol=0, atol=1e-6
    )
    # "auto" is channels-last for images only.
    assert LipNetClassifier()._execution("cpu").channels_last
    features = LipNetClassifier(input_layout="features")
    features.input_layout_ = "features"
    assert not features._execution("cpu").channels_last


COMPILED_GRAPHS = []


def recording_backend(graph_module, example_inputs):
    """A torch.compile backend that records the graphs it is given."""
    COMPILED_GRAPHS.append(graph_module)
    return graph_module.forward


def test_compile_runs_the_forward_pass_through_the_compiler():
    COMPILED_GRAPHS.clear()
    X, y = discs_and_rings(80)
    clf = LipNetClassifier(
        max_epochs=2,
        compile={"backend": recording_backend},
        random_state=0,
        device="cpu",
        **SMALL,
    ).fit(X, y)
    assert COMPILED_GRAPHS, "torch.compile was never invoked"
    reference = LipNetClassifier(
        max_epochs=2, random_state=0, device="cpu", **SMALL
    ).fit(X, y)
    np.testing.assert_allclose(
        clf.predict_proba(X), reference.predict_proba(X), atol=1e-5
    )
    # The compiled forward does not travel: a pickle predicts the same.
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(restored.predict_proba(X), clf.predict_proba(X))


def test_native_bf16_is_false_where_bf16_is_not_there():
    assert native_bf16("meta") is False
    assert isinstance(native_bf16("cpu"), bool)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"precision": "fp8"}, "'precision' parameter"),
        ({"memory_format": "nhwc"}, "'memory_format' parameter"),
        ({"compile": "yes"}, "'compile' parameter"),
    ],
)
def test_bad_execution_settings_are_refused_in_fit(params, message):
    X, y = discs_and_rings(20)
    with pytest.raises(ValueError, match=message):
        LipNetClassifier(**params).fit(X, y)
