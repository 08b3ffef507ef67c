"""Helpers shared by the test modules: repository paths, tiny model configs, the tool runner, the
two-process gloo harness, toys for Runner runs and the mmseg default scope."""
