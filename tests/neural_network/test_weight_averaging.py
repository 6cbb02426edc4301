"""WeightAveraging: the network ends with the moving average of its weights."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback

from sklearn_lipnet import LipNetClassifier, load_model, save_model
from sklearn_lipnet.neural_network import MinimumUpdates, WeightAveraging

from .._synthetic import discs_and_rings


class _Snapshots(Callback):
    """The weights when training starts and after every training batch."""

    def on_train_begin(self, net, **kwargs):
        self.weights = [self._copy(net)]

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.weights.append(self._copy(net))

    @staticmethod
    def _copy(net):
        return {k: v.detach().clone() for k, v in net.module_.state_dict().items()}


def _fit(callbacks, **params):
    X, y = discs_and_rings(40, weights=(0.5, 0.5))
    settings = dict(
        architecture="lipnet1",
        device="cpu",
        max_epochs=3,
        batch_size=8,
        random_state=0,
        callbacks=callbacks,
    )
    return LipNetClassifier(**{**settings, **params}).fit(X, y)


def _moving_average(snapshots, decay):
    """The average of the weights after each update, as documented."""
    average = dict(snapshots[0])
    for t, weights in enumerate(snapshots[1:], start=1):
        step = max(1 - decay, 4 / (t + 3))
        average = {k: (1 - step) * average[k] + step * weights[k] for k in weights}
    return average


@pytest.mark.parametrize("stop", ["max_epochs", "minimum_updates"])
def test_the_network_ends_with_the_moving_average_of_its_weights(stop):
    snapshots = _Snapshots()
    averaging = WeightAveraging(decay=0.8)
    callbacks = [("snapshots", snapshots), ("averaging", averaging)]
    params = {}
    if stop == "minimum_updates":
        # Training ends by skorch's interrupt signal, as max_epochs="auto" does.
        callbacks.append(("enough", MinimumUpdates(min_epochs=2, min_updates=10)))
        params["max_epochs"] = 50
    clf = _fit(callbacks, **params)

    n_updates = int(np.sum(clf.history_[:, "train_batch_count"]))
    assert averaging.n_averaged_ == n_updates == len(snapshots.weights) - 1
    expected = _moving_average(snapshots.weights, 0.8)
    final = clf.module_.state_dict()
    last = snapshots.weights[-1]
    for name, value in final.items():
        torch.testing.assert_close(value, expected[name], rtol=1e-5, atol=1e-6)
    # The average is not simply the last weights.
    assert any(not torch.allclose(final[k], last[k]) for k in final)


def test_the_first_update_replaces_the_initial_weights():
    # One batch, one epoch: one update, so the average is the updated weights.
    averaged = _fit(
        [("averaging", WeightAveraging(decay=0.999))], max_epochs=1, batch_size=64
    )
    plain = _fit(None, max_epochs=1, batch_size=64)
    assert len(averaged.history_) == 1
    for name, value in plain.module_.state_dict().items():
        torch.testing.assert_close(averaged.module_.state_dict()[name], value)


def test_a_short_training_ends_near_its_last_weights():
    # 15 updates: a fixed decay of 0.995 would leave 93 % of the initial
    # weights in the average; it spans the last few updates instead.
    snapshots = _Snapshots()
    clf = _fit([("snapshots", snapshots), ("averaging", WeightAveraging())])
    first, last = snapshots.weights[0], snapshots.weights[-1]
    final = clf.module_.state_dict()
    for name in final:
        if last[name].dtype.is_floating_point and not torch.equal(
            last[name], first[name]
        ):
            to_last = (final[name] - last[name]).norm()
            to_first = (final[name] - first[name]).norm()
            assert to_last < 0.5 * to_first, name


def test_decay_zero_keeps_the_last_weights():
    averaged = _fit([("averaging", WeightAveraging(decay=0.0))])
    plain = _fit(None)
    for name, value in plain.module_.state_dict().items():
        torch.testing.assert_close(averaged.module_.state_dict()[name], value)


def test_validation_batches_are_not_averaged():
    averaging = WeightAveraging()
    clf = _fit([("averaging", averaging)], train_split=0.25, patience=None)
    assert np.sum(clf.history_[:, "valid_batch_count"]) > 0
    assert averaging.n_averaged_ == np.sum(clf.history_[:, "train_batch_count"])


def test_averaged_weights_are_what_the_classifier_predicts_with():
    X, _ = discs_and_rings(40, weights=(0.5, 0.5))
    averaged = _fit([("averaging", WeightAveraging(decay=0.9))])
    plain = _fit(None)
    averaged.module_.eval()
    with torch.no_grad():
        logits = averaged.module_(averaged._network_input(X))
    expected = torch.softmax(logits, dim=1).numpy()
    np.testing.assert_allclose(averaged.predict_proba(X), expected, atol=1e-6)
    assert not np.allclose(averaged.predict_proba(X), plain.predict_proba(X))


@pytest.mark.parametrize("decay", [1.0, -0.1, 1.5, "0.9", True])
def test_bad_decay_is_refused_by_name(decay):
    with pytest.raises(ValueError, match="WeightAveraging: decay must be"):
        _fit([("averaging", WeightAveraging(decay=decay))])


def test_the_classifier_parameter_adds_the_callback():
    by_parameter = _fit(None, weight_averaging=0.8)
    by_callback = _fit([("averaging", WeightAveraging(decay=0.8))])
    plain = _fit(None)
    for name, value in by_callback.module_.state_dict().items():
        assert torch.equal(by_parameter.module_.state_dict()[name], value)
    assert not np.allclose(
        by_parameter.module_.features[0].weight.detach().numpy(),
        plain.module_.features[0].weight.detach().numpy(),
    )


def test_early_stopping_restores_the_best_epoch_over_the_average():
    settings = dict(train_split=0.25, patience=2, max_epochs=4)
    averaged = _fit(None, weight_averaging=0.8, **settings)
    plain = _fit(None, **settings)
    for name, value in plain.module_.state_dict().items():
        torch.testing.assert_close(averaged.module_.state_dict()[name], value)


@pytest.mark.parametrize("value", [1.0, -0.5, "0.99"])
def test_bad_weight_averaging_is_refused(value):
    with pytest.raises(InvalidParameterError, match="weight_averaging"):
        _fit(None, weight_averaging=value)


def test_model_files_keep_weight_averaging(tmp_path):
    clf = _fit(None, weight_averaging=0.9)
    save_model(clf, tmp_path / "averaged.lipnet")
    loaded = load_model(tmp_path / "averaged.lipnet")
    assert loaded.weight_averaging == 0.9
    X, y = discs_and_rings(40, weights=(0.5, 0.5))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    refitted = clone(loaded).fit(X, y)
    np.testing.assert_array_equal(refitted.predict_proba(X), clf.predict_proba(X))
