"""The meeting around the papers: its settings and deadlines, the pack, the archive and
its history, status and sending."""
