"""How long a LipNet trains: ``max_epochs="auto"`` and its skorch callback.

The thesis trained 30 epochs on about 10,000 particles: some 9,000 optimizer
updates at batch size 32. On a few hundred particles, 30 epochs are only a
few hundred updates, and the network stops while still learning: on the
hard regime of ``make_liposomes`` (about 240 training particles per fold),
training until 1,200 updates (80-93 epochs) instead of 30 epochs raised
LipNet-4's balanced accuracy on lamellarity from 0.67-0.70 to 0.75-0.81
with three seeds, and left encapsulation where it was
(``benchmarks/bench_real_data.py``, ``docs/real_data.md``). So ``"auto"``
counts updates as well as epochs for a network on images: the thesis's 30
epochs, and more where the training set is too small for 30 epochs to make
enough updates. A network that also reads hand-made features (the hybrid)
learns within 30 epochs: the same longer training changed its balanced
accuracy by -0.05 to +0.00 (mean -0.02 on lamellarity, -0.01 on
encapsulation, three seeds) at three times the cost, so it keeps 30 epochs,
as does a network on features alone. So does fine-tuning a pre-trained
network (``warm_start_from``): fine-tuned for 1,200 updates on 50-200
particles, it lost much of what pre-training gave it (on encapsulation 0.70
instead of 0.88 at n = 50, ``benchmarks/bench_pretraining.py``).
"""

from numbers import Integral

from skorch.callbacks import Callback

__all__ = ["AUTO_MIN_EPOCHS", "AUTO_MIN_UPDATES", "MinimumUpdates", "epoch_budget"]

#: Epochs of ``max_epochs="auto"``: the thesis's (section 8).
AUTO_MIN_EPOCHS = 30
#: Optimizer updates ``max_epochs="auto"`` makes at least: about what 90
#: epochs make on 240 training particles (14 batches of 32 per rebalanced
#: epoch). 60 epochs with a cosine schedule (``bench_real_data`` variant
#: ``lipnet-cosine60``) gained about half as much on lamellarity.
AUTO_MIN_UPDATES = 1200


class MinimumUpdates(Callback):
    """skorch callback: stop once enough epochs and updates have run.

    Training ends after the first epoch at which at least ``min_epochs``
    epochs and at least ``min_updates`` optimizer updates (training batches)
    are done, or at the net's ``max_epochs``, whichever comes first. Other
    callbacks (early stopping on a validation split) may end it sooner.

    Parameters
    ----------
    min_epochs : int, default=30
        Epochs to run at least.
    min_updates : int, default=1200
        Optimizer updates to make at least, counted over the epochs.

    Examples
    --------
    Eight samples at batch size 4 make two updates per epoch, so 10 updates
    take 5 epochs, and the 3 epochs asked for are then exceeded:

    >>> import numpy as np
    >>> from sklearn_lipnet import LipNetClassifier
    >>> from sklearn_lipnet.neural_network import MinimumUpdates
    >>> X = np.random.default_rng(0).normal(size=(8, 64)).astype("float32")
    >>> y = np.array([0, 1] * 4)
    >>> clf = LipNetClassifier(
    ...     "lipnet1", max_epochs=100, batch_size=4, balance=None, random_state=0,
    ...     callbacks=[("enough", MinimumUpdates(min_epochs=3, min_updates=10))],
    ... ).fit(X, y)
    >>> len(clf.history_)
    5
    """

    def __init__(self, min_epochs=AUTO_MIN_EPOCHS, min_updates=AUTO_MIN_UPDATES):
        self.min_epochs = min_epochs
        self.min_updates = min_updates

    def initialize(self):
        """Check the minimums when the net starts training.

        Returns
        -------
        self : MinimumUpdates
        """
        for name in ("min_epochs", "min_updates"):
            value = getattr(self, name)
            if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(
                    f"MinimumUpdates: {name} must be a positive int, got {value!r}."
                )
        return self

    def on_train_begin(self, net, **kwargs):
        """Start counting updates over the net's whole history.

        Parameters
        ----------
        net : skorch.NeuralNet
        **kwargs
            skorch's other arguments, unused.
        """
        self.epochs_counted_, self.updates_ = 0, 0

    def on_epoch_end(self, net, **kwargs):
        """Stop training when both minimums are reached.

        Parameters
        ----------
        net : skorch.NeuralNet
        **kwargs
            skorch's other arguments, unused.
        """
        history = net.history
        # Only the epochs not yet counted: summing the whole history every
        # epoch grows quadratically over the thousand epochs of a tiny set.
        self.updates_ += sum(history[self.epochs_counted_ :, "train_batch_count"])
        self.epochs_counted_ = len(history)
        if len(history) >= self.min_epochs and self.updates_ >= self.min_updates:
            # skorch's own signal to end training (as EarlyStopping does).
            raise KeyboardInterrupt


def epoch_budget(max_epochs, input_layout="image", *, warm_start=False):
    """The net's ``max_epochs`` and extra callbacks for a classifier's setting.

    Parameters
    ----------
    max_epochs : int or "auto"
    input_layout : {"image", "image+features", "features"}, default="image"
        What the network reads; ``"auto"`` adds updates for images alone.
    warm_start : bool, default=False
        Whether training starts from a pre-trained network; ``"auto"`` then
        fine-tunes for the 30 epochs.

    Returns
    -------
    net_max_epochs : int
        An int unchanged; for ``"auto"``, an upper bound the callback always
        stops before or at (every epoch makes at least one update).
    callbacks : list of (str, Callback)
        ``[]``, or the :class:`MinimumUpdates` that ``"auto"`` trains a
        network on images from scratch with.

    Examples
    --------
    >>> from sklearn_lipnet.neural_network._training_length import epoch_budget
    >>> epoch_budget(12)
    (12, [])
    >>> bound, [(name, callback)] = epoch_budget("auto")
    >>> bound, name, callback.min_epochs, callback.min_updates
    (1200, 'auto_epochs', 30, 1200)
    >>> epoch_budget("auto", "image+features")
    (30, [])
    >>> epoch_budget("auto", "image", warm_start=True)
    (30, [])
    """
    if max_epochs != "auto":
        return max_epochs, []
    if input_layout != "image" or warm_start:
        return AUTO_MIN_EPOCHS, []
    bound = max(AUTO_MIN_EPOCHS, AUTO_MIN_UPDATES)
    return bound, [("auto_epochs", MinimumUpdates(AUTO_MIN_EPOCHS, AUTO_MIN_UPDATES))]
