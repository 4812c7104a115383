"""The TMDL reader follows the grammar Microsoft documents, and finds every reference DAX makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from footfall.powerbi.tmdl import (
    DaxReference,
    TmdlError,
    check,
    dax_references,
    parse_document,
    quote,
    read_model,
    split_qualified,
    unquote,
)

SALES = """\
database Sales
\tcompatibilityLevel: 1567

model Model
\tculture: en-US

ref table Sales
ref table Product

/// Sales lines
table Sales

\t/// This is the measure description
\t/// over two lines
\tmeasure 'Sales Amount' = SUMX('Sales', 'Sales'[Quantity] * 'Sales'[Net Price])
\t\tformatString: $ #,##0

\tmeasure 'Sales (ly)' =
\t\t\tvar ly = [Sales Amount]
\t\t\treturn ly
\t\tformatString: $ #,##0
\t\tdisplayFolder: " My ""Amazing"" Measures"

\tcolumn 'Product Key'
\t\tdataType: int64
\t\tisHidden
\t\tsourceColumn: ProductKey
\t\tsummarizeBy: None

\tcolumn Quantity
\t\tdataType: int64
\t\tsourceColumn: Quantity

\tcolumn 'Net Price'
\t\tdataType: int64
\t\tsourceColumn: "Net Price"

\tcolumn Double = Sales[Quantity] * 2
\t\tdataType: int64

\tpartition 'Sales-Partition' = m
\t\tmode: import
\t\tsource =
\t\t\t\tlet
\t\t\t\t    Source = Sql.Database(Server, Database)
\t\t\t\tin
\t\t\t\t    Source

table Product

\tcolumn 'Product Key'
\t\tdataType: int64
\t\tisKey
\t\tsourceColumn: ProductKey

\tcolumn Category
\t\tdataType: string
\t\tsourceColumn: Category
\t\tsortByColumn: 'Product Key'

\thierarchy 'Product Hierarchy'

\t\tlevel Category
\t\t\tcolumn: Category

\tpartition Product = m
\t\tmode: import
\t\tsource = ```
\t\t\tlet
\t\t\t    Source = 1

\t\t\tin
\t\t\t    Source
\t\t\t```

relationship cdb6e6a9-c9d1-42b9-b9e0-484a1bc7e123
\tfromColumn: Sales.'Product Key'
\ttoColumn: Product.'Product Key'

role Role_Store1
\tmodelPermission: read

\ttablePermission Product = 'Product'[Category] IN {"A", "B"}

expression Server = "localhost" meta [IsParameterQuery=true, Type="Text", IsParameterQueryRequired=true]
"""


@pytest.fixture
def sales(tmp_path: Path) -> Path:
    (tmp_path / "model.tmdl").write_text(SALES, encoding="utf-8")
    return tmp_path


def test_objects_properties_descriptions_and_expressions_are_read(sales: Path) -> None:
    model = read_model(sales)
    assert model.database is not None and model.database.properties == {"compatibilityLevel": "1567"}
    table = model.tables["Sales"]
    assert table.node.description == "Sales lines"
    amount = table.measures["Sales Amount"]
    assert amount.value == "SUMX('Sales', 'Sales'[Quantity] * 'Sales'[Net Price])"
    assert amount.description == "This is the measure description\nover two lines"
    ly = table.measures["Sales (ly)"]
    assert ly.value == "var ly = [Sales Amount]\nreturn ly"
    assert ly.properties["displayFolder"] == '" My ""Amazing"" Measures"'
    key = table.columns["Product Key"]
    assert (key.data_type, key.source_column, key.properties["isHidden"]) == ("int64", "ProductKey", "true")
    assert table.columns["Double"].expression == "Sales[Quantity] * 2"
    source = table.partitions[0].properties["source"]
    assert source == "let\n    Source = Sql.Database(Server, Database)\nin\n    Source"
    assert table.partitions[0].value == "m"
    assert model.tables["Product"].partitions[0].properties["source"] == "let\n    Source = 1\n\nin\n    Source"
    assert model.tables["Product"].hierarchies == {"Product Hierarchy": [("Category", "Category")]}
    assert model.roles["Role_Store1"].properties["modelPermission"] == "read"
    assert (model.expressions["Server"].value or "").startswith('"localhost" meta')
    assert [(r.value, r.name) for r in model.refs] == [("table", "Sales"), ("table", "Product")]
    assert check(model) == []


def test_check_lists_each_broken_reference(sales: Path) -> None:
    broken = (SALES.replace("'Sales'[Net Price])", "'Sales'[Price])")
              .replace("var ly = [Sales Amount]", "var ly = [Sales Amnt]")
              .replace("toColumn: Product.'Product Key'", "toColumn: Products.'Product Key'")
              .replace("sortByColumn: 'Product Key'", "sortByColumn: 'Product Code'")
              .replace("\t\t\tcolumn: Category", "\t\t\tcolumn: Kind"))
    (sales / "model.tmdl").write_text(broken, encoding="utf-8")
    assert check(read_model(sales)) == [
        "measure Sales[Sales Amount]: no column or measure Sales[Price]",
        "measure Sales[Sales (ly)]: no measure [Sales Amnt]",
        "column Product[Category] is sorted by a missing column \"'Product Code'\"",
        "hierarchy Product[Product Hierarchy] level 'Category': no column 'Kind'",
        "relationship cdb6e6a9-c9d1-42b9-b9e0-484a1bc7e123: toColumn Product.'Product Key' does not exist".replace(
            "Product.", "Products."),
    ]


def test_a_calculated_column_may_name_its_own_tables_columns_bare(sales: Path) -> None:
    calculated = "column Double = Sales[Quantity] * 2"
    (sales / "model.tmdl").write_text(SALES.replace(calculated, "column Double = [Quantity] * 2"))
    assert check(read_model(sales)) == []
    (sales / "model.tmdl").write_text(SALES.replace(calculated, "column Double = [Quantiy] * 2"))
    assert check(read_model(sales)) == ["column Sales[Double]: no measure [Quantiy] (nor a column of its table)"]


def test_dax_references_skip_strings_and_comments_and_read_every_form() -> None:
    dax = """
    // [Not a reference]
    VAR x = CALCULATE([Visitors], 'Store windows'[region] = "a [quoted] 'string'") -- [comment]
    /* 'Table'[in comment] */
    RETURN x + Stores[store_id] + 'It''s'[A]]B] + COUNTROWS('Date')
    """
    assert dax_references(dax) == [
        DaxReference(None, "Visitors"), DaxReference("Store windows", "region"), DaxReference("Stores", "store_id"),
        DaxReference("It's", "A]B"), DaxReference("Date", None),
    ]


def test_names_quote_and_unquote() -> None:
    assert quote("Stores") == "Stores" and quote("Store windows") == "'Store windows'" and quote("It's") == "'It''s'"
    assert unquote("'It''s'") == "It's" and unquote("Stores") == "Stores"
    assert split_qualified("'Store windows'.store_id") == ("Store windows", "store_id")
    assert split_qualified("'a.b'.'c d'") == ("a.b", "c d")


@pytest.mark.parametrize(("text", "message"), [
    ("table T\n    column C\n", "indent with tabs"),
    ("\tdataType: int64\n", "outside any object"),
    ("table T\n\tcolumn C\n\t\tdataType: int64\n\t\tdataType: string\n", "declared twice"),
    ("table T\n\t/// lost\n\tdataType: int64\n", "description must stand right above an object"),
    ("table T\n\tmeasure M = ```\n\t\t\t1\n", "never closed"),
])
def test_malformed_documents_are_refused_with_their_line(text: str, message: str) -> None:
    with pytest.raises(TmdlError, match=message):
        parse_document(text, "bad.tmdl")
