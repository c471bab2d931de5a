"""The workbook side: reading a workbook's cells, validating them into a paper, writing
new workbooks."""
