"""How papermill's kernels talk to it: over Unix sockets whose files stay out of the notebooks' folder."""

import asyncio
import os
from pathlib import Path

import pytest

from ganlib import runs


@pytest.mark.skipif(os.name != "posix", reason="Unix sockets: POSIX only (elsewhere the kernel uses TCP)")
def test_the_kernels_socket_files_go_in_a_folder_of_their_own_which_shutdown_removes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)   # jupyter_client's default would put kernel-ipc-<port> files here
    manager = runs._kernel_manager_class()()
    assert manager.transport == "ipc"
    folder = Path(manager.ip).parent
    assert folder.is_dir() and folder != tmp_path and Path(manager.ip).name == "kernel-ipc"
    asyncio.run(manager._async_cleanup_resources(restart=True))
    assert folder.is_dir(), "a restarted kernel needs the folder again"
    asyncio.run(manager._async_cleanup_resources())
    assert not folder.exists()
    assert list(tmp_path.iterdir()) == []
    # nbclient calls the synchronous alias when the kernel died before shutdown: it removes the folder too.
    died = runs._kernel_manager_class()()
    died.cleanup_resources()
    assert not Path(died.ip).parent.exists()
