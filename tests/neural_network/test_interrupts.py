"""Ctrl-C stops a fit; a network with unusable weights does not predict."""

import os
import signal

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sklearn_lipnet import LipNetClassifier

from .._synthetic import discs_and_rings


class _CtrlCAtEpoch(Callback):
    """Send this process SIGINT (Ctrl-C) at the end of an epoch."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)


class _StopAtEpoch(Callback):
    """End training the skorch way, as EarlyStopping does."""

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            raise KeyboardInterrupt


def test_ctrl_c_during_fit_is_raised_not_swallowed(ctrl_c):
    # skorch's partial_fit catches KeyboardInterrupt and returned the
    # half-trained net as if training had ended.
    X, y = discs_and_rings(40)
    clf = LipNetClassifier(
        "lipnet1", max_epochs=50, device="cpu", callbacks=[_CtrlCAtEpoch(2)]
    )
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert len(clf.net_.history) == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_callback_still_ends_training_the_skorch_way():
    X, y = discs_and_rings(40)
    clf = LipNetClassifier(
        "lipnet1", max_epochs=50, device="cpu", callbacks=[_StopAtEpoch()]
    ).fit(X, y)
    assert len(clf.history_) == 2


def test_non_finite_outputs_are_an_error_not_nan_probabilities():
    X, y = discs_and_rings(40)
    clf = LipNetClassifier("lipnet1", max_epochs=1, device="cpu", random_state=0)
    clf.fit(X, y)
    with torch.no_grad():
        next(clf.module_.parameters()).add_(3e38)  # overflows in the first layer
    with pytest.raises(ValueError, match="outputs are not finite"):
        clf.predict_proba(X)
    with pytest.raises(ValueError, match="outputs are not finite"):
        clf.predict(X)
    assert np.isfinite(
        LipNetClassifier("lipnet1", max_epochs=1, device="cpu")
        .fit(X, y)
        .predict_proba(X)
    ).all()
