"""The import contract for submodules of external packages (core.lint_contracts): a service that
reaches ``django.http``, itself or through a module of ours, breaks it; ``django.db`` does not.
A contract that never fails would hold the layers as well as none."""

import grimp
import pytest

from core.lint_contracts import ForbiddenSubmodulesContract


def graph_with(*imports: tuple[str, str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for module in ("sims", "sims.services", "sims.selectors", "core", "core.helpers", "django"):
        graph.add_module(module, is_squashed=module == "django")
    for importer, imported, line in imports:
        graph.add_import(importer=importer, imported=imported, line_number=3, line_contents=line)
    return graph


def check(graph):
    contract = ForbiddenSubmodulesContract(
        "services know no HTTP",
        session_options={"root_packages": ["sims", "core"]},
        contract_options={
            "source_modules": ["sims.services", "sims.selec*"],
            "forbidden_modules": ["django.http"],
        },
    )
    return contract, contract.check(graph, verbose=False)


def test_services_that_import_only_allowed_submodules_keep_it():
    _, result = check(graph_with(("sims.services", "django", "from django.db import models")))
    assert result.kept
    assert result.metadata["violations"] == []


def test_a_service_importing_the_forbidden_submodule_breaks_it():
    _, result = check(graph_with(("sims.services", "django", "from django.http import Http404")))
    assert not result.kept
    [violation] = result.metadata["violations"]
    assert (violation["source"], violation["forbidden"]) == ("sims.services", "django.http")
    assert violation["chain"] == ["sims.services"]


def test_reaching_it_through_a_module_of_ours_breaks_it_and_names_the_chain(capsys):
    contract, result = check(
        graph_with(
            ("core.helpers", "django", "import django.http"),
            ("sims.selectors", "core.helpers", "from core import helpers"),
        )
    )
    assert not result.kept
    [violation] = result.metadata["violations"]
    assert violation["chain"] == ["sims.selectors", "core.helpers"]
    contract.render_broken_contract(result)
    printed = capsys.readouterr().out
    assert "sims.selectors reaches django.http: sims.selectors -> core.helpers" in printed


@pytest.mark.parametrize("line", ["from django.httpx import y", "import django.db"])
def test_a_name_that_only_starts_like_it_is_not_it(line):
    _, result = check(graph_with(("sims.services", "django", line)))
    assert result.kept
