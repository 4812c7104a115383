"""A small reader for TMDL (Tabular Model Definition Language) folders, and a reference checker.

TMDL is the text form Power BI Desktop's developer mode saves a semantic model in
(``*.SemanticModel/definition/``): one file each for the database, the model, the relationships and
the shared expressions, and one per table and per role. Its grammar (learn.microsoft.com,
"Tabular Model Definition Language"): an object is declared by its type and name, optionally followed
by ``= default property`` (a DAX or M expression, on the same line or on the lines below, indented two
levels deeper than the declaration); ``name: value`` lines one level deeper are its properties, a bare
word is a boolean property set to true; ``///`` lines describe the object that follows; names with
spaces or ``.=:'`` are quoted with ``'`` (doubled inside); indentation is one tab per level; expressions
may be enclosed in triple backticks to be read verbatim.

No maintained TMDL parser exists on PyPI (Microsoft's is the .NET ``TmdlSerializer``), so this reader
covers the grammar the documentation gives; it reads what :mod:`footfall.powerbi.model` writes and what
Desktop saves for the same objects. :func:`check` then lists every reference that points nowhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

OBJECT_KEYWORDS = frozenset({
    "database", "model", "table", "column", "measure", "hierarchy", "level", "partition", "relationship",
    "role", "tablepermission", "columnpermission", "expression", "annotation", "extendedproperty", "culture",
    "linguisticmetadata", "perspective", "perspectivetable", "perspectivecolumn", "perspectivemeasure",
    "perspectivehierarchy", "calculationgroup", "calculationitem", "kpi", "formatstringdefinition",
    "detailrowsdefinition", "refreshpolicy", "datasource", "querygroup", "member", "variation", "ref",
    "changedproperty", "calculationexpression", "datacoveragedefinition", "function",
})
"""The TOM object types TMDL declares (compared in lower case: TMDL is case-insensitive on read)."""


class TmdlError(ValueError):
    """A TMDL document that does not follow the grammar, with its file and line."""


@dataclass
class Node:
    """One TMDL object: ``keyword name [= value]``, its properties, children and description."""

    keyword: str
    name: str | None
    value: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    description: str = ""
    where: str = ""

    def child(self, keyword: str) -> Iterator[Node]:
        """The children declared with ``keyword``."""
        return (c for c in self.children if c.keyword == keyword.lower())


def unquote(name: str) -> str:
    """``'Store windows'`` -> ``Store windows``; ``a''b`` escapes a quote; an unquoted name is kept."""
    name = name.strip()
    if len(name) >= 2 and name[0] == "'" and name[-1] == "'":
        return name[1:-1].replace("''", "'")
    return name


def quote(name: str) -> str:
    """A name as TMDL writes it: quoted when it holds anything but letters, digits and ``_``."""
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else "'" + name.replace("'", "''") + "'"


def split_qualified(ref: str) -> tuple[str, str]:
    """``'Store windows'.store_id`` -> (``Store windows``, ``store_id``): a dot outside quotes splits."""
    in_quote = False
    for i, ch in enumerate(ref):
        if ch == "'":
            in_quote = not in_quote
        elif ch == "." and not in_quote:
            return unquote(ref[:i]), unquote(ref[i + 1:])
    raise ValueError(f"{ref!r} is not Table.Column")


def _split_name(rest: str) -> tuple[str, str | None]:
    """The name at the start of ``rest`` and what follows an ``=`` after it (``None`` without ``=``)."""
    rest = rest.strip()
    if rest.startswith("'"):
        i = 1
        while i < len(rest):
            if rest[i] == "'":
                if i + 1 < len(rest) and rest[i + 1] == "'":
                    i += 2
                    continue
                break
            i += 1
        name, after = rest[: i + 1], rest[i + 1:].strip()
    else:
        head, eq, tail = rest.partition("=")
        name, after = head.strip(), (eq + tail).strip()
    if not after:
        return unquote(name), None
    if not after.startswith("="):
        raise TmdlError(f"unexpected {after!r} after the name {name!r}")
    return unquote(name), after[1:].strip()


def _depth(line: str, where: str) -> int:
    stripped = line.lstrip("\t")
    if stripped.startswith(" ") and stripped.strip():
        raise TmdlError(f"{where}: indent with tabs, one per level")
    return len(line) - len(stripped)


def _expression(lines: list[str], start: int, min_depth: int, first: str, where: str) -> tuple[str, int]:
    """Read an expression whose first line is ``first`` (after ``=``), continuing on lines indented at
    least ``min_depth`` tabs (or enclosed in triple backticks). Returns the text and the next line index."""
    if first.startswith("```"):
        body: list[str] = []
        i = start
        while i < len(lines):
            if lines[i].strip() == "```":
                margin = len(lines[i]) - len(lines[i].lstrip("\t"))
                return "\n".join(line[margin:] if line[:margin].strip() == "" else line for line in body), i + 1
            body.append(lines[i])
            i += 1
        raise TmdlError(f"{where}: ``` expression never closed")
    below: list[str] = []
    i = start
    while i < len(lines):
        line = lines[i]
        if line.strip() and len(line) - len(line.lstrip("\t")) < min_depth:
            break
        below.append(line if line.strip() else "")
        i += 1
    while below and not below[-1]:
        below.pop()
    margin = min((len(line) - len(line.lstrip("\t")) for line in below if line), default=0)
    collected = ([first] if first else []) + [line[margin:] for line in below]
    return "\n".join(collected), i


def parse_document(text: str, source: str = "<tmdl>") -> list[Node]:
    """Parse one TMDL document into its top-level objects."""
    lines = text.replace("\r\n", "\n").split("\n")
    roots: list[Node] = []
    stack: list[tuple[int, Node]] = []
    description: list[str] = []
    i = 0
    while i < len(lines):
        raw = lines[i]
        where = f"{source}:{i + 1}"
        i += 1
        if not raw.strip():
            continue
        depth = _depth(raw, where)
        line = raw.strip()
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1] if stack else None
        if line.startswith("///"):
            description.append(line[3:].strip())
            continue
        word = re.match(r"[A-Za-z][A-Za-z0-9]*", line)
        keyword = word.group(0).lower() if word else ""
        rest = line[len(keyword):] if word else line
        is_object = keyword in OBJECT_KEYWORDS and (not rest or rest[0] in " \t")
        if is_object and keyword == "expression" and parent is not None and rest.lstrip().startswith("="):
            is_object = False  # ``expression =`` inside an object (a KPI, a calculation item) is a property
        if is_object:
            if keyword == "ref":
                kind, _, ref_name = rest.strip().partition(" ")
                node = Node("ref", unquote(ref_name), value=kind.lower(), where=where)
            elif rest.lstrip().startswith("="):  # an object whose default property has no name: changedProperty
                node = Node(keyword, None, value=rest.lstrip()[1:].strip(), where=where)
            elif rest.strip():
                name, value = _split_name(rest)
                node = Node(keyword, name, where=where)
                if value is not None:
                    node.value, i = _expression(lines, i, depth + 2, value, where)
            else:
                node = Node(keyword, None, where=where)
            node.description = "\n".join(description)
            description = []
            if parent is None:
                roots.append(node)
            else:
                parent.children.append(node)
            stack.append((depth, node))
            continue
        if parent is None:
            raise TmdlError(f"{where}: property {line!r} outside any object")
        if description:
            raise TmdlError(f"{where}: a /// description must stand right above an object")
        prop = re.match(r"([A-Za-z][A-Za-z0-9_]*)\s*([:=])\s*(.*)$", line)
        if prop is None:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", line):
                raise TmdlError(f"{where}: cannot read {line!r}")
            parent.properties[line] = "true"
            continue
        key, sep, value = prop.groups()
        if key in parent.properties:
            raise TmdlError(f"{where}: property {key!r} declared twice")
        if sep == ":":
            parent.properties[key] = value.strip()
        else:
            parent.properties[key], i = _expression(lines, i, depth + 1, value.strip(), where)
    if description:
        raise TmdlError(f"{source}: a /// description at the end describes nothing")
    return roots


# --- The model ---------------------------------------------------------------------------------


@dataclass
class ModelColumn:
    name: str
    data_type: str | None
    source_column: str | None
    expression: str | None
    properties: dict[str, str]
    description: str


@dataclass
class ModelTable:
    name: str
    columns: dict[str, ModelColumn]
    measures: dict[str, Node]
    hierarchies: dict[str, list[tuple[str, str]]]
    partitions: list[Node]
    node: Node


@dataclass
class SemanticModel:
    """A TMDL folder read back: tables, relationships, roles and shared expressions."""

    tables: dict[str, ModelTable]
    relationships: list[Node]
    roles: dict[str, Node]
    expressions: dict[str, Node]
    model: Node | None
    database: Node | None
    refs: list[Node] = field(default_factory=list)
    """``ref table X`` / ``ref role Y``: the model's collections in order (written unindented after ``model``)."""

    def measure_names(self) -> dict[str, str]:
        """Every measure name and the table it lives in."""
        return {m: t.name for t in self.tables.values() for m in t.measures}


def _table(node: Node) -> ModelTable:
    columns = {
        c.name or "": ModelColumn(
            c.name or "", c.properties.get("dataType"), c.properties.get("sourceColumn"), c.value,
            c.properties, c.description)
        for c in node.child("column")
    }
    measures = {m.name or "": m for m in node.child("measure")}
    hierarchies = {
        h.name or "": [(lvl.name or "", unquote(lvl.properties.get("column", ""))) for lvl in h.child("level")]
        for h in node.child("hierarchy")
    }
    return ModelTable(node.name or "", columns, measures, hierarchies, list(node.child("partition")), node)


def read_model(definition: Path) -> SemanticModel:
    """Read a TMDL ``definition`` folder (every ``*.tmdl`` file under it)."""
    nodes: list[Node] = []
    for path in sorted(definition.rglob("*.tmdl")):
        nodes += parse_document(path.read_text(encoding="utf-8"), str(path.relative_to(definition)))
    tables: dict[str, ModelTable] = {}
    relationships: list[Node] = []
    roles: dict[str, Node] = {}
    expressions: dict[str, Node] = {}
    model = database = None
    refs: list[Node] = []
    for node in nodes:
        if node.keyword == "table":
            if node.name in tables:
                raise TmdlError(f"{node.where}: table {node.name!r} declared twice")
            tables[node.name or ""] = _table(node)
        elif node.keyword == "relationship":
            relationships.append(node)
        elif node.keyword == "role":
            roles[node.name or ""] = node
        elif node.keyword == "expression":
            expressions[node.name or ""] = node
        elif node.keyword == "model":
            model = node
        elif node.keyword == "database":
            database = node
        elif node.keyword == "ref":
            refs.append(node)
    return SemanticModel(tables, relationships, roles, expressions, model, database, refs)


# --- DAX references ----------------------------------------------------------------------------

_DAX_TOKEN = re.compile(
    r"""(?P<comment>//[^\n]*|--[^\n]*|/\*.*?\*/)
      | (?P<string>"(?:[^"]|"")*")
      | (?P<qtable>'(?:[^']|'')*')(?P<qcol>\[(?:[^\]]|\]\])*\])?
      | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)(?P<icol>\[(?:[^\]]|\]\])*\])?
      | (?P<bare>\[(?:[^\]]|\]\])*\])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class DaxReference:
    """One reference in a DAX expression: ``'Table'[name]``, ``Table[name]``, ``'Table'`` or ``[name]``."""

    table: str | None
    name: str | None


def dax_references(expression: str) -> list[DaxReference]:
    """The table, column and measure references of a DAX expression (strings and comments skipped).

    An unquoted identifier without brackets (a function, a variable, a keyword or a table) is not
    returned: only forms that can only be references are.
    """
    refs: list[DaxReference] = []
    for match in _DAX_TOKEN.finditer(expression):
        if match.group("qtable"):
            column = match.group("qcol")
            name = column[1:-1].replace("]]", "]") if column else None
            refs.append(DaxReference(unquote(match.group("qtable")), name))
        elif match.group("icol"):
            refs.append(DaxReference(match.group("ident"), match.group("icol")[1:-1].replace("]]", "]")))
        elif match.group("bare"):
            refs.append(DaxReference(None, match.group("bare")[1:-1].replace("]]", "]")))
    return refs


def _check_dax(model: SemanticModel, expression: str, where: str, host: ModelTable | None) -> list[str]:
    problems: list[str] = []
    measures = model.measure_names()
    for ref in dax_references(expression):
        if ref.table is not None:
            table = model.tables.get(ref.table)
            if table is None:
                problems.append(f"{where}: no table {ref.table!r}")
            elif ref.name is not None and ref.name not in table.columns and ref.name not in table.measures:
                problems.append(f"{where}: no column or measure {ref.table}[{ref.name}]")
        elif ref.name not in measures and not (host is not None and ref.name in host.columns):
            problems.append(f"{where}: no measure [{ref.name}]" + (" (nor a column of its table)" if host else ""))
    return problems


def check(model: SemanticModel) -> list[str]:
    """Every broken reference in the model, as readable lines (empty when all is well)."""
    problems: list[str] = []
    measures: dict[str, str] = {}
    for table in model.tables.values():
        for name in table.measures:
            if name in measures:
                problems.append(f"measure {name!r} is in both {measures[name]!r} and {table.name!r}")
            if name in table.columns:
                problems.append(f"{table.name!r} has a column and a measure named {name!r}")
            measures[name] = table.name
    for ref in model.refs:
        if ref.value == "table" and ref.name not in model.tables:
            problems.append(f"model.tmdl refers to table {ref.name!r}, which has no file")
        if ref.value == "role" and ref.name not in model.roles:
            problems.append(f"model.tmdl refers to role {ref.name!r}, which has no file")
    for table in model.tables.values():
        if len(table.partitions) != 1:
            problems.append(f"table {table.name!r} has {len(table.partitions)} partitions (Desktop needs one)")
        for measure in table.measures.values():
            problems += _check_dax(model, measure.value or "", f"measure {table.name}[{measure.name}]", None)
            if not (measure.value or "").strip():
                problems.append(f"measure {table.name}[{measure.name}] has no expression")
        for column in table.columns.values():
            where = f"column {table.name}[{column.name}]"
            if column.expression is not None:
                problems += _check_dax(model, column.expression, where, table)
            elif not column.source_column:
                problems.append(f"{where} has neither a sourceColumn nor an expression")
            sort_by = column.properties.get("sortByColumn")
            if sort_by and unquote(sort_by) not in table.columns:
                problems.append(f"{where} is sorted by a missing column {sort_by!r}")
        for hierarchy, levels in table.hierarchies.items():
            for level, column_name in levels:
                if column_name not in table.columns:
                    problems.append(f"hierarchy {table.name}[{hierarchy}] level {level!r}: no column {column_name!r}")
    for rel in model.relationships:
        for end in ("fromColumn", "toColumn"):
            qualified = rel.properties.get(end)
            if not qualified:
                problems.append(f"relationship {rel.name}: no {end}")
                continue
            table_name, column_name = split_qualified(qualified)
            target = model.tables.get(table_name)
            if target is None or column_name not in target.columns:
                problems.append(f"relationship {rel.name}: {end} {qualified} does not exist")
    for role in model.roles.values():
        for permission in role.child("tablePermission"):
            if permission.name not in model.tables:
                problems.append(f"role {role.name!r}: no table {permission.name!r}")
            problems += _check_dax(model, permission.value or "", f"role {role.name!r} on {permission.name}", None)
    return problems
