"""The skorch net behind :class:`~sklearn_lipnet.LipNetClassifier`.

It keeps skorch's training loop, callbacks, history and pickling, and changes
only where the data come from: tensors already on the training device, sliced
into batches that are rebalanced and augmented as whole batches (see
:mod:`~sklearn_lipnet.neural_network._batching`).
"""

import contextlib
import signal
import threading

import torch
from skorch import NeuralNetClassifier
from skorch.callbacks import EpochScoring, EpochTimer, PassthroughScoring, PrintLog
from skorch.utils import TeeGenerator, to_device, to_numpy, to_tensor

from ._batching import EpochBatches, TensorDataset, n_rows
from ._execution import Execution


class _TrainingInterrupted(BaseException):
    """Ctrl-C during training, carried past skorch's ``partial_fit``."""


@contextlib.contextmanager
def _ctrl_c_watch():
    """Record whether a KeyboardInterrupt of the block comes from Ctrl-C.

    skorch callbacks end training by raising KeyboardInterrupt
    (``EarlyStopping`` does), so the exception alone does not tell a stop
    from an interrupt. The SIGINT handler is wrapped to note each signal and
    then do what it did. Where it cannot be wrapped (outside the main
    thread, a signal that is ignored), nothing is noted.
    """
    received = []
    previous = (
        signal.getsignal(signal.SIGINT)
        if threading.current_thread() is threading.main_thread()
        else None
    )
    if not callable(previous):
        yield received
        return

    def noting(signum, frame):
        received.append(signum)
        return previous(signum, frame)

    signal.signal(signal.SIGINT, noting)
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)


class LipNetNeuralNet(NeuralNetClassifier):
    """``NeuralNetClassifier`` training from device-resident tensors.

    Parameters beyond skorch's
    --------------------------
    balance : {"oversample", "undersample", "class_weight", None}
        Per-epoch rebalancing of the training batches.
    augmentation : Augmentation or None
        Random transformation of every training batch.
    execution : Execution or None
        Precision, memory layout and compilation of the forward pass;
        ``None`` is float32 in the default layout.
    """

    def __init__(
        self, *args, balance=None, augmentation=None, execution=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.balance = balance
        self.augmentation = augmentation
        self.execution = execution

    def _execution(self):
        if self.execution is None:
            self.execution = Execution(str(self.device))
        return self.execution

    def initialize_module(self):
        super().initialize_module()
        self._execution().prepare_module(self.module_)
        return self

    def infer(self, x, **fit_params):
        x = to_tensor(x, device=self.device)
        return self._execution().forward(self.module_, x)

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = batch
        y_pred = self.infer(Xi)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        scaler = getattr(self, "grad_scaler_", None)
        (loss if scaler is None else scaler.scale(loss)).backward()
        return {"loss": loss, "y_pred": y_pred}

    def train_step(self, batch, **fit_params):
        scaler = getattr(self, "grad_scaler_", None)
        if scaler is None:
            return super().train_step(batch, **fit_params)
        # fp16: the scaler unscales the gradients, skips the step when they
        # overflowed, and adapts the scale; it cannot run optimizer closures.
        self._zero_grad_optimizer()
        step = self.train_step_single(batch, **fit_params)
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(self.get_all_learnable_params()),
            batch=batch,
            training=True,
        )
        for name in self._optimizers:
            scaler.step(getattr(self, name + "_"))
        scaler.update()
        return step

    def initialize(self):
        super().initialize()
        self.grad_scaler_ = self._execution().grad_scaler()
        return self

    @property
    def _default_callbacks(self):
        # skorch's defaults, with balanced accuracy in place of accuracy:
        # on imbalanced validation data plain accuracy mostly measures the
        # majority class.
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            (
                "valid_bacc",
                EpochScoring(
                    "balanced_accuracy", name="valid_bacc", lower_is_better=False
                ),
            ),
            ("print_log", PrintLog()),
        ]

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        # skorch's partial_fit swallows KeyboardInterrupt: right for a
        # callback ending training early, wrong for Ctrl-C, which returned the
        # half-trained net as if training had finished. Ctrl-C must stop the
        # whole fit (and whatever called it) instead.
        with _ctrl_c_watch() as received:
            try:
                return super().fit_loop(X, y, epochs=epochs, **fit_params)
            except KeyboardInterrupt as interrupt:
                if received:
                    raise _TrainingInterrupted from interrupt
                raise

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        try:
            return super().partial_fit(X, y, classes=classes, **fit_params)
        except _TrainingInterrupted:
            raise KeyboardInterrupt from None

    def seed_generators(self, sampling_seed, augmentation_seed):
        """Create the generators of one fit (epoch indices, augmentation)."""
        device = torch.device(self.device)
        self.sampling_generator = torch.Generator().manual_seed(sampling_seed)
        self.augmentation_generator = torch.Generator(device=device).manual_seed(
            augmentation_seed
        )

    def release_generators(self):
        self.sampling_generator = None
        self.augmentation_generator = None

    def get_dataset(self, X, y=None):
        if isinstance(X, TensorDataset):
            return X
        return TensorDataset(X, y)

    def get_split_datasets(self, X, y=None, **fit_params):
        dataset = self.get_dataset(X, y)
        if not self.train_split:
            return dataset, None
        dataset_train, dataset_valid = self.train_split(dataset, y, **fit_params)
        return _as_tensor_dataset(dataset_train), _as_tensor_dataset(dataset_valid)

    def get_iterator(self, dataset, training=False):
        prefix = "iterator_train" if training else "iterator_valid"
        batch_size = self.get_params_for(prefix).get("batch_size", self.batch_size)
        if batch_size == -1:
            batch_size = len(dataset)
        return EpochBatches(
            _as_tensor_dataset(dataset),
            batch_size,
            training=training,
            balance=self.balance,
            augmentation=self.augmentation,
            sampling_generator=getattr(self, "sampling_generator", None),
            augmentation_generator=getattr(self, "augmentation_generator", None),
        )

    def _set_training(self, training=True):
        # skorch calls this before every batch; Module.train walks every
        # submodule through Module.__setattr__, which for a LipNet costs more
        # than a GPU training step. Only switch when the mode changes.
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and module.training != training:
                module.train(training)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's epoch, without a device synchronisation per batch.

        skorch records ``loss.item()`` after every batch, which makes the CPU
        wait for the GPU each time. Here the batch losses are recorded as
        detached tensors and turned into floats together at the end of the
        epoch, before any ``on_epoch_end`` callback reads them.
        """
        if iterator is None:
            return
        losses = []
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            loss = step["loss"].detach()
            losses.append(loss)
            self.history.record_batch(prefix + "_loss", loss)
            self.history.record_batch(prefix + "_batch_size", n_rows(batch[0]))
            self.notify("on_batch_end", batch=batch, training=training, **step)
        if losses:
            values = torch.stack(losses).tolist()
            batches = self.history[-1]["batches"][-len(values) :]
            for entry, value in zip(batches, values):
                entry[prefix + "_loss"] = value
        self.history.record(prefix + "_batch_count", len(losses))

    def forward_iter(self, X, training=False, device="cpu"):
        self.check_is_fitted()
        iterator = self.get_iterator(self.get_dataset(X), training=training)
        self._set_training(training)
        for batch in iterator:
            with torch.set_grad_enabled(training):
                output = self.infer(batch[0])
            yield to_device(output, device=device)

    def predict_proba(self, X):
        # Outputs stay on the device until the end: one transfer, not one
        # per batch.
        nonlinearity = self._get_predict_nonlinearity()
        outputs = [
            output[0] if isinstance(output, tuple) else output
            for output in self.forward_iter(X, training=False, device=self.device)
        ]
        return to_numpy(nonlinearity(torch.cat(outputs)))


def _as_tensor_dataset(dataset):
    """Turn a ``Subset`` of a :class:`TensorDataset` back into one tensor."""
    if dataset is None or isinstance(dataset, TensorDataset):
        return dataset
    if isinstance(dataset, torch.utils.data.Subset) and isinstance(
        dataset.dataset, TensorDataset
    ):
        return dataset.dataset.subset(dataset.indices)
    raise TypeError(
        "train_split must return subsets of the dataset it is given (as skorch's "
        f"ValidSplit does), got {type(dataset).__name__}."
    )
