"""Native OPUS-MT releases: Marian models published as ``.zip`` archives (the
Tatoeba-MT-models storage), not on the Hugging Face Hub.

A release is downloaded once with pooch (progress bar, sha256 checked), unpacked under
``lingosum_cache()/releases`` (next to huggingface_hub's cache, not inside it: its cache scan
would call a foreign folder corrupt), and converted by CTranslate2 on first load
(:func:`convert_release`, called from :mod:`lingosum.backends.ct2`). The archive's hash is
the registry's pin when it has one; otherwise it is recorded at the first download and every
later download and use must match it (trust on first use). Each step runs under a file lock,
so two processes never fetch the same release at once, and writes under a temporary name
renamed into place, so a failure or Ctrl-C leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lingosum.errors import ModelCorruptError, ModelError, ModelNotCachedError, first_line
from lingosum.paths import lingosum_cache
from lingosum.registry import ModelSpec

MANIFEST = "lingosum-release.json"
RECORDED = "recorded-sha256.json"
# The input limit of every Hub conversion of these models (max_position_embeddings 512).
MARIAN_MAX_INPUT = 512
MARIAN_SPECIALS = ("</s>", "<unk>")


@dataclass(frozen=True)
class Manifest:
    """What was unpacked, from where: written last, so its presence means complete.

    Attributes:
        url: where the archive came from.
        sha256: the archive's hash.
        pinned: the hash was given by the registry (else recorded at this download).
        files: each unpacked file's size and sha256.
    """

    url: str
    sha256: str
    pinned: bool
    files: dict[str, tuple[int, str]]

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        files = {name: (int(size), str(digest)) for name, (size, digest) in data["files"].items()}
        return cls(str(data["url"]), str(data["sha256"]), bool(data["pinned"]), files)

    def write(self, directory: Path) -> None:
        text = json.dumps(asdict(self), indent=2, sort_keys=True)
        (directory / MANIFEST).write_text(text, encoding="utf-8")


def releases_root() -> Path:
    """Where releases are unpacked: ``lingosum_cache()/releases``."""
    return lingosum_cache() / "releases"


def release_path(name: str) -> Path:
    """The directory release ``name`` (a spec's ``model``) is unpacked into."""
    safe = re.sub(r"[^A-Za-z0-9._+-]+", "--", name).strip("-.") or "release"
    return releases_root() / safe


def is_release_dir(path: Path) -> bool:
    """True for a directory unpacked by this module (which only CTranslate2 can run)."""
    return (path / MANIFEST).is_file()


def hint(spec: ModelSpec) -> str:
    """The command that fetches ``spec``'s release."""
    from lingosum.hub import fetch_hint

    return fetch_hint(spec)


def release_dir(spec: ModelSpec, *, offline: bool) -> Path:
    """The unpacked release of ``spec``, downloaded first unless ``offline``.

    Raises:
        ModelNotCachedError: offline and the release is not unpacked here.
        ModelCorruptError: the unpacked files do not match what was downloaded.
        ModelError: the download failed.
    """
    path = release_path(spec.model)
    if not is_release_dir(path):
        if offline:
            raise ModelNotCachedError(
                f"release {spec.model} is not in the local cache and offline mode is on; "
                f"fetch it first with: {hint(spec)}"
            )
        return fetch(spec)
    check_release(path, spec)
    return path


def fetch(spec: ModelSpec, *, force: bool = False, quiet: bool = False) -> Path:
    """Download and unpack ``spec``'s release (again with ``force``); a cached copy is
    checked byte for byte instead.

    Raises:
        ModelCorruptError: the archive's hash is not the pinned or recorded one (nothing is
            kept), or a cached copy is damaged.
        ModelError: the archive cannot be fetched or is not a Marian release.
    """
    path = release_path(spec.model)
    with _locked(path):
        if force or not is_release_dir(path):
            _download_and_unpack(spec, path, quiet=quiet)
        else:
            check_release(path, spec, deep=True)
    return path


def check_release(path: Path, spec: ModelSpec, *, deep: bool = False) -> None:
    """Fail, naming the file and the fix, when an unpacked release is not what was
    downloaded: sizes always, every byte's hash with ``deep``.

    Raises:
        ModelCorruptError: a file is missing, truncated or changed, or the archive's hash
            is not the one pinned or recorded.
    """
    fix = f"re-download it with: {hint(spec)} --force"
    try:
        manifest = Manifest.read(path)
    except (OSError, ValueError, KeyError, TypeError):
        raise ModelCorruptError(
            f"release {spec.model}: {path / MANIFEST} is broken; {fix}"
        ) from None
    expected = spec.sha256 or recorded_sha256(manifest.url)
    if manifest.url != spec.url or (expected and manifest.sha256 != expected):
        raise ModelCorruptError(
            f"release {spec.model}: the cached copy (sha256 {manifest.sha256[:12]}) is not the "
            f"archive the registry names ({expected[:12] if expected else spec.url}); {fix}"
        )
    for name, (size, digest) in manifest.files.items():
        file = path / name
        if not file.is_file() or file.stat().st_size != size:
            raise ModelCorruptError(f"release {spec.model}: {file} is missing or truncated; {fix}")
        if deep and file_sha256(file) != digest:
            raise ModelCorruptError(f"release {spec.model}: {file} has been changed; {fix}")


def remove(name: str) -> int:
    """Delete release ``name`` and forget its recorded hash; return the bytes freed.

    Raises:
        ModelNotCachedError: no such release is unpacked here.
    """
    path = release_path(name)
    if not is_release_dir(path):
        raise ModelNotCachedError(f"release {name} is not in the cache at {releases_root()}")
    with _locked(path):
        url = Manifest.read(path).url
        freed = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        shutil.rmtree(path)
    _record(url, None)
    return freed


def recorded_sha256(url: str) -> str | None:
    """The hash recorded at the first download of ``url``, if any."""
    return _recorded().get(url)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the cross-process lock of one release (released if the process dies)."""
    from filelock import FileLock

    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        yield


def _recorded() -> dict[str, str]:
    try:
        data = json.loads((releases_root() / RECORDED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _record(url: str, digest: str | None) -> None:
    """Record (or, with None, forget) the hash of ``url``'s archive, atomically."""
    target = releases_root() / RECORDED
    with _locked(target):
        data = _recorded()
        if digest is None:
            data.pop(url, None)
        else:
            data[url] = digest
        temporary = target.with_name(f".{target.name}.{os.getpid()}")
        temporary.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
        temporary.replace(target)


def _download_and_unpack(spec: ModelSpec, path: Path, *, quiet: bool) -> None:
    assert spec.url is not None  # only release specs reach this module
    staging = Path(tempfile.mkdtemp(prefix=".fetching-", dir=path.parent))
    try:
        expected = spec.sha256 or recorded_sha256(spec.url)
        archive = _download(spec, staging / "release.zip", expected, quiet=quiet)
        digest = expected or file_sha256(archive)
        unpacked = _unpack(spec, archive, staging / "release")
        files = {
            str(f.relative_to(unpacked)): (f.stat().st_size, file_sha256(f))
            for f in sorted(unpacked.rglob("*"))
            if f.is_file()
        }
        Manifest(spec.url, digest, bool(spec.sha256), files).write(unpacked)
        if path.exists():
            path.rename(staging / "old")
        unpacked.rename(path)
        if not spec.sha256 and expected is None:
            _record(spec.url, digest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _download(spec: ModelSpec, target: Path, expected: str | None, *, quiet: bool) -> Path:
    """Fetch the archive into ``target``, checking ``expected`` when given.

    Raises:
        ModelCorruptError: the hash does not match.
        ModelError: the archive cannot be fetched.
    """
    assert spec.url is not None
    url = spec.url
    try:
        if "://" not in url or url.startswith("file://"):
            source = Path(url.removeprefix("file://"))
            shutil.copyfile(source, target)
            if expected and file_sha256(target) != expected:
                raise ValueError("hash mismatch")
        else:
            _pooch_download(url, target, expected, quiet=quiet)
    except ValueError as error:
        if "hash" not in str(error).lower():
            raise ModelError(f"cannot download release {spec.model}: {error}") from None
        raise ModelCorruptError(
            f"release {spec.model}: the archive from {url} does not have the sha256 "
            f"{'pinned' if spec.sha256 else 'recorded at its first download'} ({expected}); "
            "nothing was kept"
        ) from None
    except OSError as error:  # requests' errors are OSErrors too
        raise ModelError(
            f"cannot download release {spec.model} from {url}: {first_line(error)}"
        ) from None
    return target


def _pooch_download(url: str, target: Path, expected: str | None, *, quiet: bool) -> None:
    import pooch

    pooch.get_logger().setLevel("WARNING")
    pooch.retrieve(
        url,
        known_hash=f"sha256:{expected}" if expected else None,
        fname=target.name,
        path=target.parent,
        progressbar=not quiet,
    )


def _unpack(spec: ModelSpec, archive: Path, output: Path) -> Path:
    """Extract ``archive`` into ``output`` after checking it is a Marian release.

    Raises:
        ModelError: not a zip file, a member escapes the folder, or no decoder.yml, model,
            vocabulary or SentencePiece files.
    """
    try:
        with zipfile.ZipFile(archive) as bundle:
            names = bundle.namelist()
            if any(n.startswith(("/", "\\")) or ".." in Path(n).parts for n in names):
                raise ModelError(f"release {spec.model}: the archive has unsafe file names")
            bundle.extractall(output)
    except zipfile.BadZipFile:
        raise ModelError(f"release {spec.model}: {spec.url} is not a zip archive") from None
    missing = [name for name in required_files(output) if not (output / name).is_file()]
    if missing:
        raise ModelError(
            f"release {spec.model} is not an OPUS-MT Marian release: "
            f"{', '.join(missing)} missing from the archive"
        )
    return output


def required_files(directory: Path) -> list[str]:
    """decoder.yml, the model and vocabularies it names, source.spm and target.spm."""
    try:
        decoder = _decoder_config(directory)
    except (OSError, ValueError, KeyError, TypeError):
        return ["decoder.yml"]
    return ["decoder.yml", decoder["models"][0], *decoder["vocabs"], "source.spm", "target.spm"]


def _decoder_config(directory: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load((directory / "decoder.yml").read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ValueError(str(error)) from None
    if not isinstance(data, dict) or not data.get("models") or not data.get("vocabs"):
        raise ValueError("decoder.yml names no model or vocabulary")
    return data


def convert_release(release: Path, output: Path, compute_type: str) -> None:
    """Convert an unpacked release into a CTranslate2 model in ``output`` that
    :class:`~lingosum.backends.ct2.CTranslate2Backend` loads without torch: the weights, the
    release's own ``source.spm``/``target.spm``, its source vocabulary as ``vocab.json``
    (``>>xxx<<`` target tokens included) and the decoding details.

    Importing ``ctranslate2.converters`` imports torch and transformers when they are
    installed: that happens here, once per release and compute type, never at run time.

    Raises:
        ModelCorruptError: a file changed since it was unpacked.
        Exception: whatever CTranslate2's converter raises (reported by the caller).
    """
    from ctranslate2.converters import OpusMTConverter
    from ctranslate2.converters.marian import load_vocab

    from lingosum.backends.convert import ConvertedInfo

    manifest = Manifest.read(release)
    for name, (_, digest) in manifest.files.items():
        if file_sha256(release / name) != digest:
            raise ModelCorruptError(f"{release / name} has changed since it was unpacked")
    OpusMTConverter(str(release)).convert(str(output), quantization=compute_type)
    for name in ("source.spm", "target.spm"):
        shutil.copyfile(release / name, output / name)
    vocab = load_vocab(str(release / _decoder_config(release)["vocabs"][0]))
    ids = {token: index for index, token in enumerate(vocab)}
    (output / "vocab.json").write_text(json.dumps(ids, ensure_ascii=False), encoding="utf-8")
    ConvertedInfo(
        tokenizer="sentencepiece",
        max_input_tokens=MARIAN_MAX_INPUT,
        special_tokens=MARIAN_SPECIALS,
        unk_token="<unk>",
        eos_token="</s>",
    ).write(output)
