"""Fashion-MNIST for the chapter's examples, found locally or downloaded, always verified.

The examples train on Fashion-MNIST through ``torchvision.datasets.FashionMNIST``.
:func:`fashion_mnist_root` makes sure its four files are in place and intact, then
:func:`load_fashion_mnist` returns them as tensors. torchvision is needed only here:
``pip install torchvision``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import zlib
from pathlib import Path

import torch

# MD5 of the four unzipped files as published with the dataset (Xiao et al., 2017).
# The .gz files differ between mirrors (Debian recompressed them); their contents do not.
FILES = {
    "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
}
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
MIRRORS = (  # tried in turn, so that one host's outage does not stop a build
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",  # torchvision's only one
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
HOW_TO_GET_IT = (
    "Get Fashion-MNIST in one of these ways:\n"
    "  - with internet access, torchvision downloads it (download=True, the default);\n"
    "  - on Debian or Ubuntu: sudo apt-get install dataset-fashion-mnist "
    f"(it installs the files in {DEBIAN_DIR});\n"
    "  - set FASHION_MNIST_DIR to a folder that holds the four files "
    f"({', '.join(FILES)}), gzipped or not."
)


def default_root() -> Path:
    """``$MYOPTIM_DATA`` if set, else ``~/.cache/myoptim``."""
    return Path(os.environ.get("MYOPTIM_DATA", Path.home() / ".cache" / "myoptim")).expanduser()


def fashion_mnist_root(root: str | Path | None = None, download: bool = True) -> Path:
    """Make ``<root>/FashionMNIST/raw/`` hold the four verified files, and return ``root``.

    Files already there are kept. Missing ones are copied (and unzipped) from the folder
    named by ``$FASHION_MNIST_DIR``, then from Debian's ``dataset-fashion-mnist``, and
    finally downloaded by torchvision if ``download`` is true, from torchvision's mirror or
    else from the dataset's own repository on GitHub (``MIRRORS``). Every file is checked
    against its published MD5, so a truncated or damaged file is never trained on; a copy is
    checked before it takes its name, so a damaged source leaves nothing behind.

    Args:
        root: the dataset root, as for ``torchvision.datasets.FashionMNIST``;
            default :func:`default_root`.
        download: let torchvision download what cannot be found locally.

    Returns:
        The root, to pass to ``torchvision.datasets.FashionMNIST(root, ...)``.

    Raises:
        FileNotFoundError: if a file can be neither found nor downloaded, or
            ``$FASHION_MNIST_DIR`` names a folder that does not hold the files.
        ValueError: if a file, or the source it is copied from, does not match its checksum.
        PermissionError: if the files are missing and ``root`` cannot be written to.
    """
    root = Path(root).expanduser() if root is not None else default_root()
    raw = root / "FashionMNIST" / "raw"
    missing = [name for name in FILES if not (raw / name).exists()]
    if missing:
        _check_writable(raw)
        sources = [*_named_folder(), DEBIAN_DIR]
        for name in missing:
            _copy_from(sources, name, raw / name)
        missing = [name for name in FILES if not (raw / name).exists()]
    if missing and download:
        _download(root)
        missing = [name for name in FILES if not (raw / name).exists()]
    if missing:
        raise FileNotFoundError(
            f"Fashion-MNIST files missing in {raw}: {missing}.\n{HOW_TO_GET_IT}"
        )
    for name, expected in FILES.items():
        if _md5(raw / name) != expected:
            raise ValueError(
                f"{raw / name} is corrupted (its MD5 is not {expected}). Delete it and run "
                f"again to fetch a fresh copy.\n{HOW_TO_GET_IT}"
            )
    return root


def load_fashion_mnist(
    train: bool = True, root: str | Path | None = None, download: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """The training or test split as two tensors, loaded once.

    Args:
        train: the 60,000 training images if true, else the 10,000 test images.
        root: passed to :func:`fashion_mnist_root`.
        download: passed to :func:`fashion_mnist_root`.

    Returns:
        ``(images, labels)``: float32 images of shape ``(N, 1, 28, 28)`` in ``[0, 1]``,
        the values ``torchvision.transforms.ToTensor`` gives, and int64 labels in ``0..9``.
    """
    from torchvision import datasets

    dataset = datasets.FashionMNIST(fashion_mnist_root(root, download), train=train)
    return dataset.data.unsqueeze(1).float().div_(255), dataset.targets


def _check_writable(raw: Path) -> None:
    try:
        raw.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=raw).close()
    except OSError as error:
        raise PermissionError(
            f"Fashion-MNIST cannot be written to {raw} ({error.strerror or error}). Set "
            "MYOPTIM_DATA to a folder you can write to, or pass root= a writable folder."
        ) from error


def _named_folder() -> list[Path]:
    """The folder $FASHION_MNIST_DIR names, if set; a name that holds no file is refused."""
    named = os.environ.get("FASHION_MNIST_DIR")
    if not named:
        return []
    folder = Path(named).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"FASHION_MNIST_DIR is {named!r}, which is not a folder: correct it, or unset it."
        )
    if not any((folder / n).is_file() or (folder / f"{n}.gz").is_file() for n in FILES):
        raise FileNotFoundError(
            f"FASHION_MNIST_DIR is {named!r}, which holds none of the four files "
            f"({', '.join(FILES)}, gzipped or not): point it at the folder that does."
        )
    return [folder]


def _copy_from(sources: list[Path], name: str, target: Path) -> None:
    """Copy (unzipping) the first source of the file into a temporary name, check it, and
    only then rename it: a damaged source leaves nothing behind and is named."""
    for folder in sources:
        for source, opener in ((folder / name, open), (folder / f"{name}.gz", gzip.open)):
            if not source.is_file():
                continue
            partial = target.with_name(f".{target.name}.part")
            try:
                with opener(source, "rb") as file, partial.open("wb") as out:
                    shutil.copyfileobj(file, out)
                if _md5(partial) != FILES[name]:
                    raise ValueError("its content does not match the published MD5")
            except (OSError, EOFError, zlib.error, ValueError) as error:
                partial.unlink(missing_ok=True)
                raise ValueError(
                    f"{source} is damaged ({error}). Replace it with a fresh copy of the "
                    "dataset's file, or remove it so that the file is found elsewhere."
                    f"\n{HOW_TO_GET_IT}"
                ) from error
            os.replace(partial, target)
            return


def _download(root: Path, mirrors: tuple[str, ...] = MIRRORS) -> None:
    from torchvision import datasets

    class FashionMNIST(datasets.FashionMNIST):  # type: ignore[misc]  # named as its folder
        pass

    FashionMNIST.mirrors = list(mirrors)
    try:
        for train in (True, False):
            FashionMNIST(root, train=train, download=True)
    except Exception as error:  # no network, a mirror down, ...: say how to get the data
        raise FileNotFoundError(
            f"Fashion-MNIST could not be downloaded ({error}).\n{HOW_TO_GET_IT}"
        ) from error


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
