"""A local Milvus standalone server (``pip install milvus==2.3.5``) on loopback, in a folder
of its own: for the tests (tests/milvus_server.py) and the benchmark (eval.bench_milvus).

The ``milvus`` package ships the server binary with embedded etcd and local storage.
"""

from __future__ import annotations

import re
from pathlib import Path

START_TIMEOUT_S = 90  # about 10 s on an idle 2-core machine; a loaded one is slower


def loopback_template(folder: Path) -> Path:
    """The package's config template with every component advertising 127.0.0.1: left empty,
    Milvus picks the machine's first unicast address and its components reach each other
    (and a client) there."""
    from milvus import MilvusServerConfig

    source = Path(MilvusServerConfig().template_file).read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(\s*)ip:\s*#.*$", r"\1ip: 127.0.0.1", source)
    # A Strong-consistency read waits for the next time tick: 200 ms by default made every
    # search of a test take about 0.4 s.
    text = text.replace("timeTickInterval: 200", "timeTickInterval: 20")
    path = folder / "milvus.yaml.template"
    path.write_text(text, encoding="utf-8")
    return path


def start_server(folder: Path):
    """A started MilvusServer whose data, logs and config live in ``folder``."""
    from milvus import MilvusServer, MilvusServerConfig

    config = MilvusServerConfig(template=str(loopback_template(folder)))
    # Set only for the packaged template; the server needs it with any.
    config.glog_conf_file = str(Path(MilvusServerConfig().glog_conf_file))
    server = MilvusServer(config, wait_for_started=False)
    server.set_base_dir(str(folder / "data"))
    server.start()
    try:
        server.wait_started(timeout=START_TIMEOUT_S * 1000)
    except BaseException:
        server.stop()
        raise
    return server
