"""The outputs: the Word document rendered from a template, its Gantt chart, and the PDF."""
