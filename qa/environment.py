"""Where the project runs: its folders (a checkout or a wheel install) and the settings that
come from the environment (MILVUS_TOKEN, MILVUS_TIMEOUT, QA_AUTH, QA_SHARED_DATA,
XDG_CACHE_HOME, QA_ALLOW_PRIVATE_URLS, QA_ALLOWED_HOSTS), read in ``Environment.read`` and
nowhere else."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
SEED_FILES = "seeds"  # the seed article's folder: top level in a checkout, in the package too


def is_checkout(root: Path = PROJECT_ROOT) -> bool:
    """Whether ``root`` is a source checkout (editable install), not site-packages."""
    return (root / "pyproject.toml").is_file() and (root / SEED_FILES).is_dir()


def default_corpus_dir(root: Path = PROJECT_ROOT) -> Path:
    """seeds/ of the checkout, else the copy shipped in the package (a wheel install)."""
    return root / SEED_FILES if is_checkout(root) else PACKAGE_DIR / SEED_FILES


MILVUS_TIMEOUT = "MILVUS_TIMEOUT"  # named in the messages that suggest raising it


@dataclass(frozen=True)
class Environment:
    """The settings that come from the environment, read in one place."""

    milvus_token: str = ""  # never written to disk
    # Seconds each Milvus call may take: a hung server fails a request instead of holding it.
    milvus_timeout: float = 10.0
    auth: str = ""  # "user:password" for `qa serve`, the same as --auth
    shared_data: Path | None = None  # the shared data folder (holding external/ and train/)
    cache_home: Path | None = None  # XDG_CACHE_HOME: where a wheel install keeps its indexes
    allow_private_urls: bool = False  # QA_ALLOW_PRIVATE_URLS=1, the same as the setting
    # QA_ALLOWED_HOSTS: Host names `qa serve` answers besides loopback names and --host
    # (comma-separated), the same as --allowed-host
    allowed_hosts: tuple[str, ...] = ()

    @classmethod
    def read(cls, env: Mapping[str, str] | None = None) -> Environment:
        """The environment's values; ValueError for a MILVUS_TIMEOUT that is not seconds."""
        env = os.environ if env is None else env
        shared, cache = env.get("QA_SHARED_DATA"), env.get("XDG_CACHE_HOME")
        return cls(
            milvus_token=env.get("MILVUS_TOKEN", ""),
            milvus_timeout=_seconds(env.get(MILVUS_TIMEOUT, ""), cls.milvus_timeout),
            auth=env.get("QA_AUTH", ""),
            shared_data=Path(shared).expanduser() if shared else None,
            cache_home=Path(cache).expanduser() if cache else None,
            allow_private_urls=env.get("QA_ALLOW_PRIVATE_URLS", "").strip() == "1",
            allowed_hosts=tuple(
                n.strip() for n in env.get("QA_ALLOWED_HOSTS", "").split(",") if n.strip()
            ),
        )


def _seconds(text: str, default: float) -> float:
    if not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise ValueError(f"{MILVUS_TIMEOUT} must be seconds between 0 and 3600, not {text!r}")
    return value


def shared_data_dir(environment: Environment | None = None) -> Path:
    """The shared data folder (external/ and train/ inside): $QA_SHARED_DATA, else
    ../shared/data beside the checkout."""
    chosen = (environment or Environment.read()).shared_data
    return PROJECT_ROOT.parent / "shared" / "data" if chosen is None else chosen


def index_root(root: Path = PROJECT_ROOT, environment: Environment | None = None) -> Path:
    """index/ in a checkout; a per-user cache folder otherwise (never inside site-packages)."""
    if is_checkout(root):
        return root / "index"
    cache = (environment or Environment.read()).cache_home or Path.home() / ".cache"
    return cache / "article-qa" / "index"


def index_folder_name(corpus_dir: Path) -> str:
    """A readable name and a digest of the corpus's full path: two folders both named
    ``corpus`` get two indexes."""
    resolved = Path(corpus_dir).expanduser().resolve()
    digest = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:10]
    return f"{resolved.name or 'corpus'}-{digest}"
