"""Reading and writing single grayscale particle images (PNG, JPEG, TIFF, MRC)."""

import warnings
from pathlib import Path

import numpy as np

from ..utils import atomic_file

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".mrc")
_TIFF_SUFFIXES = (".tif", ".tiff")

# ITU-R BT.601 luma, the weights of Pillow's "L" conversion.
_LUMA = np.array([0.299, 0.587, 0.114])


class ImageReadError(ValueError):
    """An image file exists but cannot be decoded as one 2-D image."""


def _max_pixels():
    """Pillow's decompression-bomb limit (about 89 million pixels), or None."""
    from PIL import Image

    return Image.MAX_IMAGE_PIXELS


def _check_pixel_count(path, shape):
    """Refuse an image declaring more pixels than Pillow's limit, before reading."""
    limit = _max_pixels()
    count = int(np.prod(shape, dtype=object))
    if limit is not None and count > limit:
        raise ImageReadError(
            f"{path}: declares {' x '.join(map(str, shape))} = {count} pixels, more "
            f"than the {limit} that are read (PIL.Image.MAX_IMAGE_PIXELS; a "
            "damaged file or a decompression bomb?)."
        )


def is_image_file(path):
    """Whether ``path`` has one of the supported image suffixes."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def _to_gray(array):
    """Grayscale from ``(h, w, channels)``; whether colour was really present.

    An alpha channel is dropped; three equal channels (a gray image stored
    as RGB) are taken as they are, anything else becomes the luma, rounded
    back to the input's integer dtype.
    """
    channels = array.shape[2]
    if channels in (1, 2):  # gray, gray + alpha
        return array[:, :, 0], False
    rgb = array[:, :, :3]
    if np.array_equal(rgb[:, :, 0], rgb[:, :, 1]) and np.array_equal(
        rgb[:, :, 0], rgb[:, :, 2]
    ):
        return rgb[:, :, 0], False
    gray = rgb @ _LUMA
    if np.issubdtype(array.dtype, np.integer):
        gray = np.round(gray).astype(array.dtype)
    return gray, True


def _read_pillow(path):
    from PIL import Image

    with warnings.catch_warnings():
        # Pillow warns about images over its limit; they are refused below.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        handle = Image.open(path)
    with handle:
        _check_pixel_count(path, handle.size[::-1])
        frames = getattr(handle, "n_frames", 1)
        if frames > 1:
            raise ImageReadError(
                f"{path}: holds {frames} frames (an animation?); expected one image."
            )
        handle.load()
        mode = handle.mode
        if mode in ("L", "I;16", "I;16L", "I;16B", "I", "F"):
            array = np.array(handle)
        elif mode == "1":
            array = np.array(handle.convert("L"))
        elif mode in ("LA", "La"):
            array = np.array(handle.getchannel(0))
        else:  # P, RGB, RGBA, CMYK, YCbCr, ...
            array = np.array(handle.convert("RGB"))
    if array.dtype == np.int32 and array.size and array.min() >= 0:
        if array.max() < 2**16:  # 16-bit PNGs may open in Pillow's mode "I"
            array = array.astype(np.uint16)
    return array


def _read_tiff(path):
    import tifffile

    with tifffile.TiffFile(path) as handle:
        if not handle.series:
            raise ImageReadError(f"{path}: the TIFF file holds no image.")
        _check_pixel_count(path, handle.series[0].shape)
        return handle.asarray()


def _read_mrc(path):
    try:
        import mrcfile
    except ImportError:
        raise ImportError(
            f"{path}: reading MRC files needs the optional package mrcfile "
            "(pip install mrcfile)."
        ) from None
    with mrcfile.open(path, mode="r", permissive=False, header_only=True) as handle:
        header = handle.header
        _check_pixel_count(path, (int(header.nz), int(header.ny), int(header.nx)))
    with mrcfile.open(path, mode="r", permissive=False) as handle:
        return np.array(handle.data)


def _decode(path):
    """The 2-D pixels of an image file, and whether colour was converted."""
    suffix = Path(path).suffix.lower()
    reader = (
        _read_tiff
        if suffix in _TIFF_SUFFIXES
        else _read_mrc
        if suffix == ".mrc"
        else _read_pillow
    )
    try:
        array = reader(path)
    except (ImportError, ImageReadError):
        raise
    except Exception as exc:  # decoders raise OSError, SyntaxError, struct.error...
        raise ImageReadError(
            f"{path}: cannot read the image ({type(exc).__name__}: {exc})."
        ) from None
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[0] == 1:  # a stack of one (TIFF, MRC)
        array = array[0]
    converted = False
    if array.ndim == 3 and array.shape[2] in (1, 2, 3, 4):
        array, converted = _to_gray(array)
    if array.ndim != 2 or array.size == 0:
        raise ImageReadError(
            f"{path}: expected one 2-D image, got an array of shape {array.shape}"
            + (" (a stack of images?)." if array.ndim == 3 else ".")
        )
    if array.dtype.kind == "b":
        array = array.astype(np.uint8)
    elif array.dtype.kind == "c":
        raise ImageReadError(
            f"{path}: holds complex values; take their magnitude (or real part) "
            "first and save that."
        )
    elif array.dtype.kind not in "iuf":
        raise ImageReadError(f"{path}: holds {array.dtype} values, not pixels.")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        n_bad = int(np.count_nonzero(~np.isfinite(array)))
        raise ImageReadError(
            f"{path}: the image has {n_bad} NaN or infinite pixel(s); fill them or "
            "leave the image out."
        )
    return array, converted


def read_image(path):
    """Read one particle image as a 2-D array.

    Colour images are converted to grayscale (0.299 R + 0.587 G + 0.114 B)
    with a warning; :func:`~sklearn_lipnet.datasets.load_particles` says so
    once for a whole set instead.

    Parameters
    ----------
    path : str or path-like
        A PNG, JPEG, BMP, TIFF (8-, 16-bit or float) or MRC file.

    Returns
    -------
    image : ndarray of shape (height, width)
        The pixels in their stored dtype (uint8, uint16, float32, ...).

    Raises
    ------
    ImageReadError
        If the file cannot be decoded or does not hold one 2-D image of real,
        finite numbers (a stack, an animation, complex values, NaN pixels),
        or declares more pixels than Pillow's limit
        ``PIL.Image.MAX_IMAGE_PIXELS``; the message names the file.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from sklearn_lipnet.datasets._image_io import read_image, write_image
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "particle.png"
    >>> write_image(path, np.arange(12, dtype=np.uint16).reshape(3, 4))
    >>> image = read_image(path)
    >>> image.dtype, image.shape
    (dtype('uint16'), (3, 4))
    """
    reader = ImageReader()
    image = reader.image(path)
    reader.warn()
    return image


def write_image(path, image):
    """Write a 2-D array losslessly; bool arrays (masks) become 0/255 uint8.

    PNG holds uint8 and uint16 images; TIFF any numeric dtype. The file is
    written whole or not at all (see :func:`~sklearn_lipnet.utils.atomic_file`).

    Parameters
    ----------
    path : str or path-like
        Destination, ``.png`` or ``.tif``/``.tiff``.
    image : ndarray of shape (height, width)
        The pixels.
    """
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    suffix = Path(path).suffix.lower()
    if suffix not in (*_TIFF_SUFFIXES, ".png"):
        raise ValueError(f"{path}: can only write .png or .tif/.tiff images.")
    if suffix == ".png" and image.dtype not in (np.uint8, np.uint16):
        raise ValueError(
            f"{path}: PNG stores 8- or 16-bit unsigned images, got dtype "
            f"{image.dtype}; write TIFF instead."
        )
    # Whole or not at all: an interrupted write leaves an earlier file as it was.
    with atomic_file(path) as handle:
        if suffix == ".png":
            from PIL import Image

            Image.fromarray(image).save(handle, format="PNG")
        else:
            import tifffile

            tifffile.imwrite(handle, image)


class ImageReader:
    """Reads images and masks for a loader, counting colour conversions.

    A loader reads many files; :meth:`warn` then says once how many colour
    images became grayscale.
    """

    def __init__(self):
        self.n_converted = 0
        self.example = None

    def _note(self, converted, path):
        if converted:
            self.n_converted += 1
            self.example = self.example or path

    def image(self, path):
        """The 2-D image in ``path``; see :func:`read_image`."""
        image, converted = _decode(path)
        self._note(converted, path)
        return image

    def mask(self, path, image, image_name):
        """The mask in ``path`` as ``pixel > 0``, checked against its image.

        Raises ``ValueError`` naming the file if its shape differs from that
        of ``image`` (read from ``image_name``) or no pixel is set.
        """
        mask = self.image(path)
        if mask.shape != image.shape:
            raise ValueError(
                f"{path}: mask shape {mask.shape} differs from the shape "
                f"{image.shape} of its image {image_name}."
            )
        mask = mask > 0
        if not mask.any():
            raise ValueError(f"{path}: mask is empty (no pixel is set).")
        return mask

    def warn(self, stacklevel=2):
        """Say how many colour images became gray, if any.

        ``stacklevel`` counts from the caller of this method, as for
        :func:`warnings.warn` from that caller.
        """
        if self.n_converted:
            warnings.warn(
                f"{self.n_converted} colour image(s) were converted to grayscale "
                f"(0.299 R + 0.587 G + 0.114 B), e.g. {self.example}.",
                UserWarning,
                stacklevel=stacklevel + 1,
            )
