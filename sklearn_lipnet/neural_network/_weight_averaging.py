"""Exponential moving average of a network's weights, as a skorch callback."""

from numbers import Real

import torch
from skorch.callbacks import Callback

__all__ = ["WeightAveraging"]

#: Early in training the average reaches back over the last
#: ``1 / RECENT_FRACTION`` of the updates made so far (its mean age), not
#: further: a fixed decay would keep the random initial weights in the
#: average of a short training (after 20 updates at decay 0.995, 90 % of
#: it), and a network trained for a few epochs would end near its start.
RECENT_FRACTION = 4


class WeightAveraging(Callback):
    """skorch callback: end training with a moving average of the weights.

    After the ``t``-th optimizer update the callback moves its average of
    each weight (and float buffer) a fraction
    ``max(1 - decay, 4 / (t + 3))`` of the way to the network's current
    value; when training ends, the network takes the averaged weights. The
    average smooths out the last updates' noise (small, heavily augmented
    training sets make the weights wander from batch to batch), at the cost
    of one in-place update of the weights per batch. The first update
    replaces the initial weights, and until ``1 / (1 - decay)`` is reached
    the average spans about the last quarter of the updates so far, so a
    short training ends near its last weights rather than near its start.

    Parameters
    ----------
    decay : float, default=0.995
        Weight of the old average at each update once training is long
        enough, in [0, 1). The average then spans about ``1 / (1 - decay)``
        updates (200 for the default, from the 797th update on; an epoch of
        240 particles at batch size 32 is 8 updates). ``0`` keeps the last
        weights.

    Attributes
    ----------
    n_averaged_ : int
        Updates averaged in the last training run.

    Notes
    -----
    Validation scores during training (``train_split``) are those of the
    current weights, not of the average. Early stopping with ``load_best``
    also acts at the end of training: with both, the one listed later in
    the net's callbacks decides the final weights. ``LipNetClassifier``
    adds its early stopping after the user's callbacks, so there the best
    epoch's weights win.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet import LipNetClassifier
    >>> from sklearn_lipnet.neural_network import WeightAveraging
    >>> X = np.random.default_rng(0).normal(size=(16, 1, 28, 28)).astype("float32")
    >>> y = np.array([0, 1] * 8)
    >>> averaging = WeightAveraging(decay=0.9)
    >>> clf = LipNetClassifier(
    ...     "lipnet1", max_epochs=3, batch_size=4, random_state=0,
    ...     callbacks=[("weight_averaging", averaging)],
    ... ).fit(X, y)
    >>> averaging.n_averaged_
    12
    """

    def __init__(self, decay=0.995):
        self.decay = decay

    def initialize(self):
        """Check ``decay`` when the net starts training.

        Returns
        -------
        self : WeightAveraging
        """
        decay = self.decay
        if not isinstance(decay, Real) or isinstance(decay, bool):
            raise ValueError(f"WeightAveraging: decay must be a float, got {decay!r}.")
        if not 0 <= decay < 1:
            raise ValueError(f"WeightAveraging: decay must be in [0, 1), got {decay}.")
        return self

    def on_train_begin(self, net, **kwargs):
        """Start the average at the network's weights.

        Parameters
        ----------
        net : skorch.NeuralNet
        **kwargs
            skorch's other arguments, unused.
        """
        state = net.module_.state_dict()
        # Integer buffers (BatchNorm's batch counter) are not averaged; the
        # network keeps its own.
        self._names = [
            name for name, value in state.items() if value.is_floating_point()
        ]
        self._current = [state[name] for name in self._names]
        self._average = [value.detach().clone() for value in self._current]
        self.n_averaged_ = 0

    def on_batch_end(self, net, training=False, **kwargs):
        """Move the average towards the weights after a training batch.

        Parameters
        ----------
        net : skorch.NeuralNet
        training : bool
            Whether the batch was a training batch (validation batches
            change no weight).
        **kwargs
            skorch's other arguments, unused.
        """
        if not training:
            return
        self.n_averaged_ += 1
        step = max(1.0 - self.decay, RECENT_FRACTION / (self.n_averaged_ + 3))
        with torch.no_grad():
            torch._foreach_lerp_(self._average, self._current, step)

    def on_train_end(self, net, **kwargs):
        """Give the network the averaged weights.

        Parameters
        ----------
        net : skorch.NeuralNet
        **kwargs
            skorch's other arguments, unused.
        """
        if self.n_averaged_:
            with torch.no_grad():
                torch._foreach_copy_(self._current, self._average)
        # The average is a copy of the network (on its device): not kept.
        del self._current, self._average
