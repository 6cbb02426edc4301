"""Where and when something ran: recorded with every benchmark and report."""

import datetime
import os
import platform

__all__ = ["machine_info"]


def machine_info():
    """Machine, library versions and date, as a flat dict of strings/numbers."""
    import numpy
    import sklearn
    import skorch
    import torch

    from .. import __version__

    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "skorch": skorch.__version__,
        "scikit-learn": sklearn.__version__,
        "sklearn-lipnet": __version__,
        "load_average": (
            [round(x, 2) for x in os.getloadavg()]
            if hasattr(os, "getloadavg")
            else None
        ),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = torch.version.cuda
        info["cudnn"] = torch.backends.cudnn.version()
    return info
