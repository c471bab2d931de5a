"""The Word layer: the raw WordprocessingML boardpack reads and writes, kept in one place.

As python-docx keeps its XML in oxml/, every `qn`, element and attribute of Word's markup that
boardpack handles is here: the package (a deterministic zip, its identifier and timestamps), the
properties' schema order, sections and page set-up, table grids and cell properties, heading and
paragraph styles, fields and bookmarks, text colours, printed text, and documents merged into
one.
"""
