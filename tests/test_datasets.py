"""Fashion-MNIST is found locally or downloaded, verified, or refused with a clear error."""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest
import torch
from conftest import Quiet, closed_port, serving

from myoptim import datasets


@pytest.fixture(scope="session")
def real_files(data_root: Path) -> Path:
    """The verified raw files, found or downloaded the usual way."""
    return data_root / "FashionMNIST" / "raw"


@pytest.fixture
def no_local_copies(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, real_files: Path) -> None:
    """No Debian package and no FASHION_MNIST_DIR: only what the test puts in place."""
    monkeypatch.setattr(datasets, "DEBIAN_DIR", tmp_path / "no-debian")
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)


@pytest.mark.usefixtures("no_local_copies")
def test_missing_files_say_how_to_get_the_data(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="Fashion-MNIST files missing") as error:
        datasets.fashion_mnist_root(tmp_path / "root", download=False)
    message = str(error.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "FASHION_MNIST_DIR" in message
    assert "train-images-idx3-ubyte" in message


@pytest.mark.usefixtures("no_local_copies")
def test_corrupted_file_is_refused(tmp_path: Path, real_files: Path) -> None:
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in datasets.FILES:
        (raw / name).write_bytes((real_files / name).read_bytes())
    damaged = raw / "t10k-labels-idx1-ubyte"
    damaged.write_bytes(damaged.read_bytes()[:-100])  # a truncated copy
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte is corrupted .* Delete it"):
        datasets.load_fashion_mnist(train=False, root=tmp_path / "root", download=False)


@pytest.mark.usefixtures("no_local_copies")
def test_gzipped_files_from_a_named_folder(
    tmp_path: Path, real_files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    for name in datasets.FILES:
        (folder / f"{name}.gz").write_bytes(
            gzip.compress((real_files / name).read_bytes(), compresslevel=1)
        )
    monkeypatch.setenv("FASHION_MNIST_DIR", str(folder))
    x, y = datasets.load_fashion_mnist(train=False, root=tmp_path / "root", download=False)
    assert x.shape == (10_000, 1, 28, 28)
    assert y.shape == (10_000,)


def test_load_gives_what_to_tensor_gives(data_root: Path) -> None:
    from torchvision import datasets as tv_datasets
    from torchvision.transforms import ToTensor

    x, y = datasets.load_fashion_mnist(train=False, root=data_root)
    reference = tv_datasets.FashionMNIST(data_root, train=False, transform=ToTensor())
    assert x.dtype == torch.float32
    assert torch.equal(y, reference.targets)
    for i in (0, 1234, 9999):
        image, label = reference[i]
        assert torch.equal(x[i], image)
        assert label == y[i]
    assert sorted(y.unique().tolist()) == list(range(10))


@pytest.fixture
def mirror(tmp_path: Path, real_files: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A download host on localhost that serves the four .gz files under /fashion/."""
    from torchvision import datasets as tv_datasets

    served = tmp_path / "www" / "fashion"
    served.mkdir(parents=True)
    resources = []
    for name in datasets.FILES:
        data = gzip.compress((real_files / name).read_bytes(), compresslevel=1)
        (served / f"{name}.gz").write_bytes(data)
        resources.append((f"{name}.gz", hashlib.md5(data).hexdigest()))
    # torchvision checks each .gz against its MD5; these are compressed anew.
    monkeypatch.setattr(tv_datasets.FashionMNIST, "resources", resources)

    class Files(Quiet, SimpleHTTPRequestHandler):
        pass

    with serving(functools.partial(Files, directory=str(tmp_path / "www"))) as address:
        yield f"{address}/"


def test_two_mirrors_torchvisions_first() -> None:
    from torchvision import datasets as tv_datasets

    assert datasets.MIRRORS[0] == tv_datasets.FashionMNIST.mirrors[0]
    assert datasets.MIRRORS[1].startswith("https://raw.githubusercontent.com/zalandoresearch/")


@pytest.mark.usefixtures("no_local_copies")
def test_a_mirror_that_is_down_gives_way_to_the_next(tmp_path: Path, mirror: str) -> None:
    root = tmp_path / "root"
    datasets._download(root, mirrors=(f"{closed_port()}/", f"{mirror}fashion/"))
    assert datasets.fashion_mnist_root(root, download=False) == root  # all four, verified


def gzipped_copies(real_files: Path, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in datasets.FILES:
        data = gzip.compress((real_files / name).read_bytes(), compresslevel=1)
        (folder / f"{name}.gz").write_bytes(data)
    return folder


DAMAGED = {  # ways a downloaded .gz turns out damaged, as its bytes
    "truncated": lambda data: gzip.compress(data)[: len(data) // 4],
    "not-gzip": lambda data: b"<html>Not Found</html>",  # a proxy's error page, saved
    "other-content": lambda data: gzip.compress(data[:-1] + bytes([data[-1] ^ 1])),
}


@pytest.mark.usefixtures("no_local_copies")
@pytest.mark.parametrize("damage", DAMAGED.values(), ids=DAMAGED)
def test_a_damaged_source_is_named_and_leaves_nothing_behind(
    damage: Callable[[bytes], bytes],
    tmp_path: Path,
    real_files: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = gzipped_copies(real_files, tmp_path / "downloads")
    name = "t10k-labels-idx1-ubyte"
    (folder / f"{name}.gz").write_bytes(damage((real_files / name).read_bytes()))
    monkeypatch.setenv("FASHION_MNIST_DIR", str(folder))
    root = tmp_path / "root"
    with pytest.raises(ValueError, match=rf"{re.escape(str(folder / name))}\.gz is damaged"):
        datasets.fashion_mnist_root(root, download=False)
    raw = root / "FashionMNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(set(datasets.FILES) - {name})
    # With the file replaced, the next run copies it: nothing damaged was kept to trip over.
    (folder / f"{name}.gz").write_bytes(gzip.compress((real_files / name).read_bytes()))
    assert datasets.fashion_mnist_root(root, download=False) == root


@pytest.mark.usefixtures("no_local_copies")
@pytest.mark.parametrize("named", ["missing", "empty"])
def test_a_wrong_fashion_mnist_dir_is_refused(
    named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "fashoin-mnist"  # misspelled
    if named == "empty":
        folder.mkdir()
    monkeypatch.setenv("FASHION_MNIST_DIR", str(folder))
    expected = "which is not a folder" if named == "missing" else "which holds none of the four"
    with pytest.raises(
        FileNotFoundError, match=rf"FASHION_MNIST_DIR is '.*fashoin-mnist', {expected}"
    ):
        datasets.fashion_mnist_root(tmp_path / "root")


def test_a_fashion_mnist_dir_is_not_needed_once_the_files_are_there(
    data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "gone"))
    assert datasets.fashion_mnist_root(data_root, download=False) == data_root


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Path:
    """A folder nobody may write in. Root writes through permissions, but not into /sys."""
    if getattr(os, "geteuid", lambda: -1)() == 0 and Path("/sys").is_dir():
        return Path("/sys/myoptim-cache")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


@pytest.mark.usefixtures("no_local_copies")
def test_a_read_only_cache_says_how_to_choose_another(read_only_folder: Path) -> None:
    with pytest.raises(PermissionError, match=r"cannot be written to .* Set MYOPTIM_DATA to a"):
        datasets.fashion_mnist_root(read_only_folder, download=False)


@pytest.mark.usefixtures("no_local_copies")
def test_a_root_with_a_tilde_is_in_the_home_folder(
    tmp_path: Path, real_files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FASHION_MNIST_DIR", str(gzipped_copies(real_files, tmp_path / "gz")))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    root = datasets.fashion_mnist_root("~/data", download=False)
    assert root == tmp_path / "home" / "data"
    assert list((tmp_path / "work").iterdir()) == []  # no folder named "~"
