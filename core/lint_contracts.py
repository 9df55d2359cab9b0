"""An import-linter contract type for what its ``forbidden`` type cannot say: a submodule of an
external package (``django.http``), which import-linter squashes into its top-level package.

Used by ``pyproject.toml`` (``contract_types``); a development tool, never imported at run time.
A module breaks the contract when it imports a forbidden submodule itself, or imports (directly
or through other modules of ours) a module of ours that does.
"""

import re

from importlinter import Contract, ContractCheck, fields, output


class ForbiddenSubmodulesContract(Contract):
    """``source_modules`` (wildcards allowed, descendants included) may not reach
    ``forbidden_modules``, dotted submodules of external packages."""

    source_modules = fields.ListField(subfield=fields.StringField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose: bool) -> ContractCheck:
        offenders = self._direct_importers(graph)
        violations = []
        for source in sorted(self._sources(graph)):
            reached = ({source} | graph.find_upstream_modules(source)) & offenders.keys()
            for module in sorted(reached):
                chain = [source] if module == source else graph.find_shortest_chain(source, module)
                violations.append(
                    {"source": source, "chain": list(chain or []), **offenders[module]}
                )
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            chain = " -> ".join(violation["chain"])
            output.print_error(
                f"{violation['source']} reaches {violation['forbidden']}: {chain} "
                f"(l.{violation['line_number']}: {violation['line_contents']})"
            )
            output.new_line()

    def _sources(self, graph) -> set[str]:
        patterns = [
            re.compile("^" + re.escape(str(m)).replace(r"\*", r"[^.]+") + r"(\..+)?$")
            for m in self.source_modules
        ]
        return {m for m in graph.modules if any(p.match(m) for p in patterns)}

    def _direct_importers(self, graph) -> dict[str, dict]:
        """Each module of ours that imports a forbidden submodule, with the line that does."""
        found = {}
        for forbidden in map(str, self.forbidden_modules):
            top = forbidden.split(".")[0]
            line = re.compile(rf"^\s*(from|import)\s+{re.escape(forbidden)}(\.|\s|$)")
            for importer in graph.find_modules_that_directly_import(top):
                for details in graph.get_import_details(importer=importer, imported=top):
                    if line.match(details["line_contents"]):
                        found.setdefault(importer, {"forbidden": forbidden, **details})
        return found
