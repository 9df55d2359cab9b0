"""Core tests' hooks: where the browser tests left their screenshots."""


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from core.tests.test_console_browser import ARTIFACTS

    shots = sorted(ARTIFACTS.glob("*.png")) if ARTIFACTS.exists() else []
    if shots:
        terminalreporter.write_sep("-", "console screenshots")
        terminalreporter.write_line(f"{len(shots)} screenshot(s) in {ARTIFACTS}")
