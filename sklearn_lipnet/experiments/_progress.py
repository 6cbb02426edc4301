"""A progress line with the time left, for long cross-validations.

Work is counted in units: one per training epoch of a network and one per
fold of a model without epochs (which costs about as much as an epoch). The
time left is the time so far scaled by the share of units still to do.
"""

import contextlib
import multiprocessing
import sys
import threading
import time

from skorch.callbacks import Callback

__all__ = ["EpochProgress", "Progress", "format_duration"]


def format_duration(seconds):
    """``m:ss``, or ``h:mm:ss`` from an hour on, of a time in seconds.

    Parameters
    ----------
    seconds : float

    Returns
    -------
    text : str

    Examples
    --------
    >>> from sklearn_lipnet.experiments import format_duration
    >>> format_duration(75), format_duration(3725)
    ('1:15', '1:02:05')
    """
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


class Progress:
    """Counts finished work units and shows how much is left.

    Parameters
    ----------
    total : int
        Units of the whole run.
    stream : file-like, default=sys.stderr
        Where the line goes. On a terminal it is redrawn in place; elsewhere
        (a log file, CI) a new line is written at most every
        ``every_seconds``.
    every_seconds : float, default=20.0
        Minimum time between two lines when not on a terminal.
    """

    def __init__(self, total, stream=None, every_seconds=20.0):
        self.total = max(int(total), 1)
        self.stream = sys.stderr if stream is None else stream
        self.every_seconds = every_seconds
        self.done = 0
        self.context = ""
        self.label = ""
        self.start = time.perf_counter()
        self._last_line = -float("inf")
        self._lock = threading.Lock()
        self._channel = None

    def __deepcopy__(self, memo):
        # Estimators holding a progress callback are cloned for every fold;
        # all clones must report to this one counter, like to a logger.
        return self

    def __reduce__(self):
        # Sent to a worker process (parallel folds), a progress becomes a
        # relay of its counts: back here while ``counting_from_processes``
        # is open, nowhere otherwise.
        return (_ForwardedProgress, (self._channel,))

    @contextlib.contextmanager
    def counting_from_processes(self):
        """Count, inside the block, what worker processes report too.

        Copies of this progress sent to other processes (with the
        estimators of parallel folds) forward their counts here while the
        block is open.

        Yields
        ------
        self : Progress
        """
        manager = multiprocessing.Manager()
        channel = manager.Queue()

        def count_forwarded():
            for units in iter(channel.get, None):
                self.advance(units)

        counter = threading.Thread(target=count_forwarded, daemon=True)
        counter.start()
        self._channel = channel
        try:
            yield self
        finally:
            self._channel = None
            channel.put(None)
            counter.join()
            manager.shutdown()

    def describe(self, label):
        """Name the work now under way (shown in front of the counts).

        Parameters
        ----------
        label : str
            E.g. the model's name; ``context`` (e.g. the problem) goes before.
        """
        self.label = label
        self._show(force=True)

    def advance(self, units=1):
        """Count ``units`` more finished units.

        Parameters
        ----------
        units : int, default=1
        """
        with self._lock:
            self.done = min(self.done + units, self.total)
            self._show(force=self.done == self.total)

    def line(self):
        """The current progress line.

        Returns
        -------
        line : str
            E.g. ``"[lamellarity] LipNet-4   40 %  0:50 elapsed, about 1:15
            left"``.
        """
        elapsed = time.perf_counter() - self.start
        fraction = self.done / self.total
        label = f"[{self.context}] {self.label}" if self.context else self.label
        text = f"{label}  {100 * fraction:3.0f} %  {format_duration(elapsed)} elapsed"
        if 0 < fraction < 1:
            left = elapsed * (1 - fraction) / fraction
            text += f", about {format_duration(left)} left"
        return text

    def _show(self, force=False):
        if self.stream is None:
            return
        interactive = getattr(self.stream, "isatty", lambda: False)()
        now = time.perf_counter()
        if interactive:
            self.stream.write("\r\033[K" + self.line())
            if self.done == self.total:
                self.stream.write("\n")
        elif force or now - self._last_line >= self.every_seconds:
            self.stream.write(self.line() + "\n")
        else:
            return
        self._last_line = now
        self.stream.flush()


class _ForwardedProgress:
    """A :class:`Progress` in a worker process: forwards what it counts.

    ``channel`` is the queue of the parent's open
    :meth:`Progress.counting_from_processes`, or None (counts go nowhere).
    """

    def __init__(self, channel=None):
        self.channel = channel

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        # One hop only: a fitted estimator sent back to the parent keeps no
        # link to a queue that is closed when the folds are done.
        return (_ForwardedProgress, ())

    def describe(self, label):
        """Naming the work is left to the parent."""

    def advance(self, units=1):
        """Send ``units`` to the parent's progress, if it listens."""
        if self.channel is not None:
            self.channel.put(units)


class EpochProgress(Callback):
    """skorch callback: one :class:`Progress` unit per training epoch.

    Epochs that early stopping saves are counted when training ends, so a
    fold always counts ``max_epochs`` units.

    Parameters
    ----------
    progress : Progress
    """

    def __init__(self, progress):
        self.progress = progress

    def on_epoch_end(self, net, **kwargs):
        """Count the epoch.

        Parameters
        ----------
        net : skorch.NeuralNet
        **kwargs
            skorch's other arguments, unused.
        """
        self.progress.advance(1)

    def on_train_end(self, net, **kwargs):
        """Count the epochs early stopping saved.

        Parameters
        ----------
        net : skorch.NeuralNet
        **kwargs
            skorch's other arguments, unused.
        """
        self.progress.advance(max(net.max_epochs - len(net.history), 0))
