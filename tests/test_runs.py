"""How papermill's kernels talk to it: over Unix sockets whose files stay out of the notebooks' folder."""

import asyncio
import os
from pathlib import Path

import pytest

from ganlib import course, runs


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


def test_the_course_command_names_the_profile_in_force_and_refuses_a_bad_one_before_any_run(monkeypatch,
                                                                                           capsys):
    from ganlib import course

    started = []
    monkeypatch.setattr(runs, "run_notebook",
                        lambda *args: started.append(args) or runs.NotebookResult("00_setup_and_data", 0.0, "ok", "-"))
    notebooks = course.project_root() / "notebooks"
    # GANLIB_PROFILE wins in every notebook's configure cell: the command must not claim the other profile.
    monkeypatch.setenv(course.PROFILE_ENV, "smoke")
    runs.run_course(notebooks, out_dir="unused", profile="default", only=("00",))
    assert "running 00_setup_and_data.ipynb at profile 'smoke' (GANLIB_PROFILE overrides 'default')" in \
        capsys.readouterr().out
    monkeypatch.setenv(course.PROFILE_ENV, "quick")
    with pytest.raises(course.ParameterError, match="GANLIB_PROFILE is 'quick'; allowed"):
        runs.run_course(notebooks, out_dir="unused", profile="default", only=("00",))
    assert len(started) == 1, "the bad profile must stop the command before its first notebook"


def test_a_sweeps_folders_are_named_by_every_given_value_the_fixed_ones_too(tmp_path, monkeypatch):
    # Two sweeps into one --out that differ only in a fixed value shared a folder: the second overwrote the
    # first's executed notebook and could leave the first's metrics.json beside it.
    used = []

    def fake_run(path, output_path, parameters):
        used.append(output_path.parent.relative_to(tmp_path).as_posix())
        return runs.NotebookResult(path.stem, 1.0, "ok", "-")
    monkeypatch.setattr(runs, "run_notebook", fake_run)
    notebook = course.project_root() / "notebooks" / "00_setup_and_data.ipynb"
    runs.sweep(notebook, tmp_path, fixed={"profile": "smoke"})
    runs.sweep(notebook, tmp_path, fixed={"profile": "smoke", "data_source": "mnist"}, vary={"seed": [1, 2]})
    runs.sweep(notebook, tmp_path)
    assert used == ["00_setup_and_data/profile=smoke",
                    "00_setup_and_data/profile=smoke-data_source=mnist-seed=1",
                    "00_setup_and_data/profile=smoke-data_source=mnist-seed=2",
                    "00_setup_and_data/run"]
